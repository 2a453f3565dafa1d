"""scripts/slides.py: slide metadata by rule (checked on notebooks/) and offline decks."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = Path(os.environ.get("LESSONS_NOTEBOOKS", REPO / "notebooks")).resolve()
LESSONS = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
sys.path.insert(0, str(REPO / "scripts"))
_SPEC = importlib.util.spec_from_file_location("slides", REPO / "scripts" / "slides.py")
slides = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(slides)
import web_assets  # noqa: E402

SOLUTION = re.compile(r"BEGIN SOLUTION|^\s*ok\s*=\s*\w*check", re.M)
LECTURE_SLIDES = (12, 35)  # slide + subslide per lesson (about 15-25 for most)


def kind(cell: nbformat.NotebookNode) -> str | None:
    return cell.metadata.get("slideshow", {}).get("slide_type")


def assets_available() -> None:
    """Skip (fail under CI) when the bundled JavaScript can be neither found nor fetched."""
    cached = all((web_assets.cache_dir() / p.folder).is_dir() for p in slides.ASSETS)
    if cached or shutil.which("npm"):
        return
    message = "npm is needed to fetch reveal.js and MathJax once (install Node.js)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


# --- the rules, on a notebook made here -------------------------------------------------------


def _figure_output() -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0=", "text/plain": ""})


def _widget_output() -> nbformat.NotebookNode:
    view = {"model_id": "a", "version_major": 2, "version_minor": 0}
    return nbformat.v4.new_output("display_data", data={slides.WIDGET_MIME: view})


def _printed(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def tiny_lesson() -> nbformat.NotebookNode:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    def nav():
        return md("[← back](00_index.ipynb)", metadata={"tags": ["nav"]})

    cells = [
        md("# A lesson\n\nWhat it is about."),  # 0 slide
        nav(),  # 1 skip
        code("%matplotlib inline\nimport numpy as np"),  # 2 skip: setup
        md("## 1. The idea\n\nOne sentence."),  # 3 slide
        code("picture()", outputs=[_figure_output()]),  # 4 -: short slide, figure joins
        md("**What to notice**\n\n* this"),  # 5 fragment
        md("x" * 900),  # 6 subslide: would overflow
        code("print(1)", outputs=[_printed("1\n")]),  # 7 -
        code("def helper():\n    return 1"),  # 8 skip: shows nothing
        md("## 2. Try it"),  # 9 slide
        md("y" * 400),  # 10 -
        code("live_figure(f, **c());", outputs=[_widget_output(), _figure_output()]),  # 11 sub
        md("## 3. Exercises\n\n### Exercise 3.1: a step"),  # 12 slide
        code("def step(w):\n    ### BEGIN SOLUTION\n    return w\n    ### END SOLUTION"),  # skip
        code("ok = check_step(step)", outputs=[_printed("correct\n")]),  # 14 skip
        md("### Exercise 3.2: another"),  # 15 subslide
        nav(),  # 16 skip
    ]
    return nbformat.v4.new_notebook(cells=cells)


EXPECTED = [
    "slide", "skip", "skip", "slide", "-", "fragment", "subslide", "-", "skip", "slide", "-",
    "subslide", "slide", "skip", "skip", "subslide", "skip",
]  # fmt: skip


def test_rules_on_a_tiny_lesson():
    assert slides.slide_types(tiny_lesson()) == EXPECTED


def test_apply_keeps_other_metadata_and_ids():
    nb = tiny_lesson()
    nb.cells[3].metadata["tags"] = ["keep"]
    ids = [c.id for c in nb.cells]
    slides.apply_slides(nb)
    assert [kind(c) for c in nb.cells] == EXPECTED
    assert nb.cells[3].metadata["tags"] == ["keep"] and [c.id for c in nb.cells] == ids
    assert slides.count_slides(nb) == EXPECTED.count("slide") + EXPECTED.count("subslide")


def test_a_notebook_without_a_title_is_a_clear_error():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("no heading")])
    with pytest.raises(ValueError, match="title"):
        slides.apply_slides(nb)


def test_check_reports_then_update_fixes(tmp_path, capsys):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nbformat.write(tiny_lesson(), folder / "01_tiny.ipynb")
    assert slides.main([str(folder), "--check"]) == 1
    assert "out of date" in capsys.readouterr().out
    assert slides.main([str(folder)]) == 0
    written = (folder / "01_tiny.ipynb").read_text()
    assert slides.main([str(folder), "--check"]) == 0
    assert slides.main([str(folder)]) == 0 and (folder / "01_tiny.ipynb").read_text() == written


# --- what must be true of notebooks/ (after `python scripts/slides.py notebooks`) -------------


def test_notebooks_slide_metadata_is_up_to_date():
    stale = slides.update_folder(NOTEBOOKS, check=True)
    assert not stale, f"run `python scripts/slides.py notebooks`: stale {[p.name for p in stale]}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_is_a_lecture(lesson):
    nb = nbformat.read(NOTEBOOKS / lesson, as_version=4)
    for i, cell in enumerate(nb.cells):
        where = f"{lesson} cell {i}"
        assert kind(cell) in slides.SLIDE_TYPES, f"{where}: slide_type {kind(cell)!r}"
        first_line = cell.source.lstrip().split("\n", 1)[0]
        if "nav" in cell.metadata.get("tags", []):
            assert kind(cell) == "skip", f"{where}: navigation shows on a slide"
        elif cell.cell_type == "markdown" and re.match(r"#{1,2}\s", first_line):
            assert kind(cell) == "slide", f"{where}: a # / ## heading must open a slide"
        elif cell.cell_type == "markdown" and first_line.startswith("### "):
            assert kind(cell) == "subslide", f"{where}: a ### heading (exercise) opens a subslide"
        elif cell.cell_type == "code" and "live_figure(" in cell.source:
            assert kind(cell) in ("subslide", "-"), f"{where}: a live figure must be shown"
        elif cell.cell_type == "code" and SOLUTION.search(cell.source):
            assert kind(cell) == "skip", f"{where}: an exercise's answer must not be projected"


@pytest.mark.parametrize("lesson", [n for n in LESSONS if not n.startswith("00_")])
def test_every_lecture_fits(lesson):
    """A lesson is presented in one lecture or, if longer, in parts that each fit one."""
    low, high = LECTURE_SLIDES
    nb = nbformat.read(NOTEBOOKS / lesson, as_version=4)
    parts = slides.lecture_parts(nb)
    counts = [slides.count_slides(slides._part(nb, cells, k, len(parts), "T"))
              for k, cells in enumerate(parts, start=1)]  # fmt: skip
    assert sum(counts) == slides.count_slides(nb) + len(parts) - 1  # + the repeated titles
    assert all(low <= n <= high for n in counts), f"{lesson}: lectures of {counts} slides"


def _long_lesson(sections: list[int]) -> nbformat.NotebookNode:
    """A title, then ``##`` sections of the given numbers of slides (### headings)."""
    cells = [nbformat.v4.new_markdown_cell("# Long")]
    for i, n in enumerate(sections):
        cells.append(nbformat.v4.new_markdown_cell(f"## Section {i}"))
        cells += [nbformat.v4.new_markdown_cell(f"### Part {i}.{j}") for j in range(n - 1)]
    nb = nbformat.v4.new_notebook(cells=cells)
    slides.apply_slides(nb)
    return nb


def test_a_long_lesson_is_cut_before_sections_into_even_lectures():
    nb = _long_lesson([10, 10, 10, 10, 10])  # 1 + 50 slides: two lectures, 21 and 30
    parts = slides.lecture_parts(nb, most=35)
    assert len(parts) == 2 and parts[0].start == 0 and parts[-1].stop == len(nb.cells)
    assert all(nb.cells[p.start].source.startswith(("# ", "## ")) for p in parts)
    assert [slides.count_slides(slides._part(nb, c, k, 2, "Long")) for k, c in
            enumerate(parts, 1)] == [21, 31]  # fmt: skip
    assert slides.lecture_parts(nb, most=60) == [range(len(nb.cells))]
    assert len(slides.lecture_parts(nb, most=15)) == 5  # sections of 10: one per part
    second = slides._part(nb, parts[1], 2, 2, "Long")
    assert second.cells[0].source == "# Long\n\nPart 2 of 2"
    assert len(nb.cells) == sum(len(p) for p in parts)  # nothing lost, nothing repeated


# --- decks ------------------------------------------------------------------------------------


class Refs(HTMLParser):
    """Addresses a page loads (scripts, style sheets, images) and the links it shows."""

    def __init__(self, text: str):
        super().__init__()
        self.loads: list[str] = []
        self.links: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img") and a.get("src"):
            self.loads.append(a["src"])
        if tag == "link" and a.get("href"):
            self.loads.append(a["href"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])


@pytest.fixture(scope="module")
def tiny_decks(tmp_path_factory) -> Path:
    assets_available()
    base = tmp_path_factory.mktemp("decks")
    src = base / "notebooks"
    src.mkdir()
    lesson = tiny_lesson()
    lesson.cells[10].source = "See [the index](00_index.ipynb) and $$\\eta < 2/L$$"
    nbformat.write(lesson, src / "01_tiny.ipynb")
    index = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Contents")])
    nbformat.write(index, src / "00_index.ipynb")
    assert slides.main([str(src), "--build", str(base / "slides")]) == 0
    return base / "slides"


def test_decks_and_index_are_written(tiny_decks):
    names = sorted(p.name for p in tiny_decks.glob("*.html"))
    assert names == ["00_index.slides.html", "01_tiny.slides.html", "index.html"]
    index = Refs((tiny_decks / "index.html").read_text())
    assert index.links == ["00_index.slides.html", "01_tiny.slides.html"]


def test_deck_loads_only_bundled_files(tiny_decks):
    text = (tiny_decks / "01_tiny.slides.html").read_text()
    refs = Refs(text)
    local = [u for u in refs.loads if not u.startswith("data:")]
    assert any("reveal.js" in u for u in local) and any("MathJax.js" in u for u in local)
    for url in local:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"deck loads {url} from the network"
        assert (tiny_decks / parts.path).is_file(), f"deck loads {url}, which is missing"
    for module in re.findall(r'"([^"]+\.js)"', text.split("require(", 1)[1].split("function")[0]):
        assert (tiny_decks / module).is_file(), f"require() loads {module}, which is missing"
    assert "00_index.slides.html" in refs.links  # lesson links lead to the decks
    assert "BEGIN SOLUTION" not in text and "static-widget-note" in text
    assert "import mermaid" not in text


def test_deck_sections_follow_the_metadata(tiny_decks):
    text = (tiny_decks / "01_tiny.slides.html").read_text()
    # nbconvert nests sections: one outer <section> per slide, inner ones per subslide
    assert text.count('class="fragment"') == EXPECTED.count("fragment")
    assert "What it is about" in text and "def helper" not in text


def test_build_without_npm_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LESSONS_ASSET_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(web_assets.shutil, "which", lambda name: None)
    src = tmp_path / "notebooks"
    src.mkdir()
    nbformat.write(tiny_lesson(), src / "01_tiny.ipynb")
    assert slides.main([str(src), "--build", str(tmp_path / "out")]) == 1
    assert "install Node.js" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_lessons_found():
    assert LESSONS and json.loads((NOTEBOOKS / LESSONS[0]).read_text())["cells"]
