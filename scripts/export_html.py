"""Export the lessons to a static HTML site that reads without a kernel.

Usage::

    python scripts/export_html.py                     # notebooks/ -> site/
    python scripts/export_html.py NOTEBOOKS OUT       # another folder or target
    python scripts/export_html.py NOTEBOOKS --out OUT # the same

Each ``NN_topic.ipynb`` becomes ``NN_topic.html`` through nbconvert's ``HTMLExporter``
(lab template) from its *stored* outputs: nothing is re-executed. Figures are PNG outputs,
embedded as ``data:`` URIs, so each page is one self-contained file; markdown images are
embedded too. Slider widgets cannot move without a kernel, so each widget view is
replaced by a one-line note (the figure below it is the stored static image). Links
between lessons (``03_momentum.ipynb#Section``) are rewritten to the ``.html`` pages, and
``index.html`` lists the lessons. Formulas are typeset by MathJax 2, loaded from its CDN
unless ``--mathjax-url`` names another copy (e.g. Debian's ``libjs-mathjax``:
``file:///usr/share/javascript/mathjax/MathJax.js?config=TeX-AMS_CHTML``).
"""

from __future__ import annotations

import argparse
import html
import logging
import os
import re
import sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

sys.path.insert(0, str(Path(__file__).resolve().parent))
import web_assets  # noqa: E402  (scripts/ is not a package)

LESSON = re.compile(r"^\d\d_.+\.ipynb$")
HEADING = re.compile(r"^\s*#\s+(.+?)\s*#*\s*$", re.MULTILINE)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# the href of a real <a> tag (text never holds a bare "<") with a relative notebook link
NOTEBOOK_HREF = re.compile(
    r'(<a\b[^>]*?\bhref=")(?![a-zA-Z][a-zA-Z0-9+.-]*:|/|#)([^"#?]*?)\.ipynb([#?][^"]*)?"'
)
WIDGET_NOTE = (
    '<p class="static-widget-note"><em>Sliders appear here when the lesson runs in '
    "JupyterLab; the figure below is drawn with their stored values.</em></p>"
)
INDEX_CSS = """
body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 3rem auto;
       padding: 0 1rem; line-height: 1.5; font-size: 1.15rem; }
li { margin: .4rem 0; } .file { color: #666; font-size: .9rem; }
"""

__all__ = ["export_site", "lesson_files", "rewrite_links", "title_of"]


def lesson_files(folder: Path) -> list[Path]:
    """The notebooks ``NN_*.ipynb`` in ``folder``, in order."""
    if not folder.is_dir():
        raise ValueError(f"notebooks must be a directory of lessons, got {str(folder)!r}")
    files = sorted(p for p in folder.iterdir() if LESSON.match(p.name))
    if not files:
        raise ValueError(f"notebooks folder {str(folder)!r} holds no NN_*.ipynb lesson")
    return files


def title_of(nb: nbformat.NotebookNode, path: Path) -> str:
    """The first level-1 heading of the notebook (markdown stripped), else the file stem."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = HEADING.search(cell.source)
            if match:
                return re.sub(r"[*_`]|\[([^\]]*)\]\([^)]*\)", r"\1", match.group(1)).strip()
    return path.stem


def rewrite_links(page: str) -> str:
    """``<a href="x.ipynb#y">`` -> ``<a href="x.html#y">`` for relative links; others untouched."""
    return NOTEBOOK_HREF.sub(lambda m: f'{m[1]}{m[2]}.html{m[3] or ""}"', page)


def _static_copy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy without widget state, each widget view replaced by :data:`WIDGET_NOTE`."""
    nb = nbformat.from_dict(nb)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if WIDGET_MIME in output.get("data", {}):
                output.data = {"text/html": WIDGET_NOTE}
    return nb


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (never a half-written page)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _index_page(titles: list[tuple[str, str]]) -> str:
    items = "\n".join(
        f'  <li><a href="{html.escape(page)}">{html.escape(title)}</a>'
        f' <span class="file">{html.escape(page)}</span></li>'
        for page, title in titles
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Optimizer lessons</title>\n<style>{INDEX_CSS}</style>\n</head>\n<body>\n"
        "<h1>Optimizer lessons: from gradient descent to Adam</h1>\n"
        "<p>A static copy of the notebooks with their stored outputs. To move the sliders "
        "and do the exercises, open the notebooks in JupyterLab.</p>\n"
        f'<ol start="0">\n{items}\n</ol>\n</body>\n</html>\n'
    )


def export_site(notebooks: Path, out: Path, mathjax_url: str | None = None) -> list[Path]:
    """Export every lesson of ``notebooks`` plus ``index.html`` into ``out``; return the pages.

    MathJax and require.js are copied into ``out/assets/`` (no CDN at view time) unless
    ``mathjax_url`` names another MathJax 2."""
    files = lesson_files(notebooks)
    assets = [web_assets.REQUIREJS] + ([] if mathjax_url else [web_assets.MATHJAX])
    web_assets.fetch(assets)  # a missing npm fails here, before anything is written
    exporter = HTMLExporter(template_name="lab", embed_images=True)
    exporter.mathjax_url = mathjax_url or web_assets.MATHJAX_URL
    exporter.require_js_url = web_assets.REQUIREJS_URL
    exporter.log.setLevel(logging.ERROR)  # not one "alternative text is missing" per figure
    rendered: dict[str, str] = {}  # every page is rendered before the first one is written
    titles = []
    for path in files:
        nb = nbformat.read(path, as_version=4)
        title = title_of(nb, path)
        resources = {"metadata": {"name": title, "path": str(path.parent)}}
        body, _ = exporter.from_notebook_node(_static_copy(nb), resources=resources)
        rendered[f"{path.stem}.html"] = rewrite_links(body)
        titles.append((f"{path.stem}.html", title))
    rendered = {"index.html": _index_page(titles), **rendered}
    out.mkdir(parents=True, exist_ok=True)
    for package in assets:
        web_assets.install(package, out)
    for name, text in rendered.items():
        _write(out / name, text)
    return [out / name for name in rendered]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebooks",
        nargs="?",
        default="notebooks",
        type=Path,
        help="folder of NN_*.ipynb lessons (default notebooks/)",
    )
    parser.add_argument("out", nargs="?", type=Path, help="target folder (default site/)")
    parser.add_argument("--out", dest="out_option", type=Path, help="the same, as an option")
    parser.add_argument(
        "--mathjax-url", help="a MathJax 2 script to load instead of the bundled copy"
    )
    args = parser.parse_args(argv)
    if args.out and args.out_option and args.out != args.out_option:
        parser.error("give the target folder once: OUT or --out, not both")
    out = args.out or args.out_option or Path("site")
    try:
        pages = export_site(args.notebooks, out, args.mathjax_url)
    except ValueError as e:
        parser.error(str(e))
    except web_assets.AssetError as e:
        print(f"export_html: {e}", file=sys.stderr)
        return 1
    print(f"wrote {len(pages)} pages to {out}/ (open {out / 'index.html'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
