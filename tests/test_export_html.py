"""scripts/export_html.py: a static site from stored outputs, figures embedded, links working."""

from __future__ import annotations

import base64
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from matplotlib.figure import Figure

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "export_html.py"
NOTEBOOKS = REPO / "notebooks"
LESSONS = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# the first of these present in an output is what nbconvert's HTML shows
DISPLAY_PRIORITY = [
    "application/vnd.jupyter.widget-view+json",
    "application/javascript",
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "text/latex",
    "image/png",
    "image/jpeg",
    "text/plain",
]

_SPEC = importlib.util.spec_from_file_location("export_html", SCRIPT)
export_html = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(export_html)


class Page(HTMLParser):
    """The parts of an HTML page the tests look at: links, element ids, image sources."""

    def __init__(self, text: str):
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.img_srcs: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        if tag == "img":
            self.img_srcs.append(a.get("src") or "")

    @property
    def png_images(self) -> list[bytes]:
        prefix = "data:image/png;base64,"
        return [base64.b64decode(s[len(prefix) :]) for s in self.img_srcs if s.startswith(prefix)]


def read_page(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


def expected_pngs(nb: nbformat.NotebookNode) -> int:
    """PNG images the page must show: PNG outputs (widget views dropped, as the exporter
    does), PNG ``<img>`` inside HTML outputs, PNG attachments of markdown cells."""
    count = 0
    for cell in nb.cells:
        count += sum(1 for a in cell.get("attachments", {}).values() if "image/png" in a)
        for output in cell.get("outputs", []):
            data = {k: v for k, v in output.get("data", {}).items() if k != DISPLAY_PRIORITY[0]}
            shown = next((m for m in DISPLAY_PRIORITY if m in data), None)
            if shown == "image/png":
                count += 1
            elif shown == "text/html":
                count += len(Page("".join(data["text/html"])).png_images)
    return count


def internal_link_problems(site: Path) -> list[str]:
    """Relative links of every page that do not lead to an exported file (and anchor)."""
    pages = {p.name: read_page(p) for p in site.glob("*.html")}
    problems = []
    for name, page in pages.items():
        for href in page.hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith("mailto:"):
                continue
            target = name if not parts.path else unquote(parts.path)
            # a browser looks for the fragment as written, then percent-decoded
            anchors = {parts.fragment, unquote(parts.fragment)}
            if not (site / target).is_file():
                problems.append(f"{name}: {href} -> no file {target}")
            elif parts.fragment and target in pages and not anchors & pages[target].ids:
                problems.append(f"{name}: {href} -> {target} has no id {parts.fragment!r}")
    return problems


# --- the exporter on a small collection made here ------------------------------------------


def _png_output() -> nbformat.NotebookNode:
    fig = Figure(figsize=(2, 1), dpi=40)
    fig.add_subplot().plot([0, 1], [1, 0])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    data = {"image/png": base64.b64encode(buffer.getvalue()).decode(), "text/plain": "<Figure>"}
    return nbformat.v4.new_output("display_data", data=data)


def _widget_output() -> nbformat.NotebookNode:
    view = {"model_id": "abc", "version_major": 2, "version_minor": 0}
    data = {"application/vnd.jupyter.widget-view+json": view, "text/plain": "HBox(children=...)"}
    return nbformat.v4.new_output("display_data", data=data)


def assets_available() -> None:
    """Skip (fail under CI) when MathJax can be neither found in the cache nor fetched."""
    web_assets = export_html.web_assets
    packages = (web_assets.MATHJAX, web_assets.REQUIREJS)
    if shutil.which("npm") or all((web_assets.cache_dir() / p.folder).is_dir() for p in packages):
        return
    message = "npm is needed to fetch MathJax once (install Node.js)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def tiny_site(tmp_path: Path) -> Path:
    assets_available()
    src, out = tmp_path / "notebooks", tmp_path / "site"
    src.mkdir()
    lesson = nbformat.v4.new_notebook()
    lesson.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    lesson.cells = [
        nbformat.v4.new_markdown_cell(
            "# First *lesson*\n\n[contents](00_index.ipynb) | [next](02_next.ipynb#Next-one)"
            " | [elsewhere](https://example.org/x.ipynb)\n\n## Part two"
        ),
        nbformat.v4.new_code_cell("s = '<a href=\"zzcode.ipynb\">'", outputs=[_png_output()]),
        nbformat.v4.new_code_cell("live_figure(...)", outputs=[_widget_output(), _png_output()]),
    ]
    contents = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# Contents\n\n[First](01_first.ipynb#Part-two)")]
    )
    following = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# Next one\n\n[back](./01_first.ipynb)")]
    )
    nbformat.write(contents, src / "00_index.ipynb")
    nbformat.write(lesson, src / "01_first.ipynb")
    nbformat.write(following, src / "02_next.ipynb")
    nbformat.write(nbformat.v4.new_notebook(), src / "scratch.ipynb")  # not a lesson
    export_html.export_site(src, out)
    return out


def test_tiny_site_pages_and_index(tiny_site: Path) -> None:
    names = sorted(p.name for p in tiny_site.iterdir())
    assert names == ["00_index.html", "01_first.html", "02_next.html", "assets", "index.html"]
    index = read_page(tiny_site / "index.html")
    assert index.hrefs == ["00_index.html", "01_first.html", "02_next.html"]
    assert "First lesson</a>" in (tiny_site / "index.html").read_text()


def test_tiny_site_links_rewritten_and_resolving(tiny_site: Path) -> None:
    page = read_page(tiny_site / "01_first.html")
    assert "00_index.html" in page.hrefs
    assert "02_next.html#Next-one" in page.hrefs
    assert "https://example.org/x.ipynb" in page.hrefs  # external links untouched
    assert "./01_first.html" in read_page(tiny_site / "02_next.html").hrefs
    assert internal_link_problems(tiny_site) == []
    # text that merely looks like a link (inside code) is not rewritten
    text = (tiny_site / "01_first.html").read_text()
    assert "zzcode.ipynb" in text and "zzcode.html" not in text


def test_tiny_site_figures_embedded_and_widgets_replaced(tiny_site: Path) -> None:
    text = (tiny_site / "01_first.html").read_text()
    images = read_page(tiny_site / "01_first.html").png_images
    assert len(images) == 2
    assert all(img.startswith(PNG_MAGIC) for img in images)
    assert "static-widget-note" in text
    assert "widget-view+json" not in text and "widget-state+json" not in text


def test_pages_load_nothing_from_the_network(tiny_site: Path) -> None:
    """MathJax and require.js are bundled in site/assets/: formulas typeset offline."""
    text = (tiny_site / "01_first.html").read_text()
    loads = re.findall(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"', text)
    assert any("MathJax.js" in url for url in loads), loads
    for url in loads:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"the page loads {url} from the network"
        assert (tiny_site / unquote(parts.path)).is_file(), f"the page loads missing {url}"
    mathjax = tiny_site / urlsplit(export_html.web_assets.MATHJAX_URL).path
    assert (mathjax.parent / "jax" / "output" / "CommonHTML" / "jax.js").is_file()
    assert (mathjax.parent / "fonts" / "HTML-CSS" / "TeX" / "woff").is_dir()


def test_mathjax_url_replaces_the_bundled_copy(tmp_path: Path, tiny_site: Path) -> None:
    local = "file:///usr/share/javascript/mathjax/MathJax.js?config=TeX-AMS_CHTML"
    export_html.export_site(tiny_site.parent / "notebooks", tmp_path / "offline", local)
    text = (tmp_path / "offline" / "01_first.html").read_text()
    assert local in text and "assets/mathjax" not in text
    assert not (tmp_path / "offline" / "assets" / export_html.web_assets.MATHJAX.folder).exists()


def test_link_checker_reports_broken_links(tiny_site: Path) -> None:
    (tiny_site / "02_next.html").unlink()
    problems = internal_link_problems(tiny_site)
    assert any("no file 02_next.html" in p for p in problems)
    page = tiny_site / "00_index.html"
    page.write_text(page.read_text().replace("#Part-two", "#No-such-part"))
    assert any("has no id 'No-such-part'" in p for p in internal_link_problems(tiny_site))


def test_rewrite_links_only_relative_notebook_hrefs() -> None:
    rewrite = export_html.rewrite_links
    assert rewrite('<a href="03_momentum.ipynb#Theory">') == '<a href="03_momentum.html#Theory">'
    assert rewrite('<a class="x" href="sub/a.ipynb">') == '<a class="x" href="sub/a.html">'
    for kept in ["http://x.org/a.ipynb", "/abs/a.ipynb", "#a.ipynb", "a.ipynb.txt", "a.py"]:
        assert rewrite(f'<a href="{kept}">') == f'<a href="{kept}">'
    assert rewrite('&lt;a href="a.ipynb"&gt;') == '&lt;a href="a.ipynb"&gt;'  # text, not a tag


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_bad_folder_is_a_clear_error(tmp_path: Path, make: str) -> None:
    folder = tmp_path / "lessons"
    if make == "empty":
        folder.mkdir()
    with pytest.raises(ValueError, match="notebooks"):
        export_html.export_site(folder, tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_broken_notebook_writes_nothing(tmp_path: Path) -> None:
    src = tmp_path / "notebooks"
    src.mkdir()
    nbformat.write(nbformat.v4.new_notebook(), src / "00_index.ipynb")
    (src / "01_broken.ipynb").write_text("{ not json")
    with pytest.raises(ValueError):
        export_html.export_site(src, tmp_path / "site")
    assert not (tmp_path / "site").exists()


# --- the real collection ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's lessons exported once, through the command line."""
    assets_available()
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(NOTEBOOKS), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"export failed:\n{result.stderr}"
    return out


def test_command_line_takes_the_target_as_argument_or_option(tmp_path: Path) -> None:
    assets_available()
    src = tmp_path / "notebooks"
    src.mkdir()
    nbformat.write(nbformat.v4.new_notebook(), src / "00_index.ipynb")
    assert export_html.main([str(src), str(tmp_path / "a")]) == 0
    assert export_html.main([str(src), "--out", str(tmp_path / "b")]) == 0
    assert (tmp_path / "a" / "00_index.html").is_file()
    assert (tmp_path / "b" / "index.html").is_file()
    with pytest.raises(SystemExit):
        export_html.main([str(src), str(tmp_path / "a"), "--out", str(tmp_path / "c")])


def test_lessons_exist() -> None:
    assert LESSONS, f"no NN_*.ipynb lessons in {NOTEBOOKS}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_page_shows_its_figures(site: Path, lesson: str) -> None:
    nb = nbformat.read(NOTEBOOKS / lesson, as_version=4)
    page = read_page(site / lesson.replace(".ipynb", ".html"))
    images = page.png_images
    assert len(images) == expected_pngs(nb), f"{lesson}: PNG <img> count differs from outputs"
    assert all(img.startswith(PNG_MAGIC) for img in images), f"{lesson}: an image is not a PNG"
    external = [s[:60] for s in page.img_srcs if not s.startswith("data:")]
    assert not external, f"{lesson}: images not embedded: {external}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_live_figure_has_a_stored_image(lesson: str) -> None:
    """A reader without a kernel sees each slider-driven figure: its cell stores a PNG."""
    nb = nbformat.read(NOTEBOOKS / lesson, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and re.search(r"\blive_figure\(", cell.source):
            pngs = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
            assert pngs, f"{lesson} cell {i} calls live_figure but stores no PNG output"


def test_site_index_and_links(site: Path) -> None:
    index = read_page(site / "index.html")
    assert index.hrefs == [name.replace(".ipynb", ".html") for name in LESSONS]
    problems = internal_link_problems(site)
    assert not problems, "broken links in the exported site:\n" + "\n".join(problems)
