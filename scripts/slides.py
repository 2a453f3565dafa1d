"""Slide metadata for every lesson, by rule, and reveal.js decks built from it.

Usage::

    python scripts/slides.py notebooks                # write the slide metadata in place
    python scripts/slides.py notebooks --check        # exit 1 if any notebook is out of date
    python scripts/slides.py notebooks --build slides # decks in slides/ (from stored outputs)

Each cell's ``metadata.slideshow.slide_type`` (what RISE in JupyterLab and nbconvert's
reveal.js export read) follows from the cell itself, so a lecture never drifts from the
lesson:

- ``skip``: navigation cells, the setup (import) cell, exercise solutions and their check
  cells (a projector must not show the answer), and code cells that print nothing and
  draw nothing (definitions);
- ``slide``: the title (``#``) and every ``##`` section;
- ``subslide``: every ``###`` heading (exercise prompts included), every cell that draws
  a figure (a live figure keeps its sliders on the same slide) unless the slide before it
  holds only a heading and a sentence or two, and a cell whose text would overflow the
  slide it follows (about 1,000 characters fill one);
- ``fragment``: the paragraph right after a figure (what to notice), shown on a click;
- ``-`` (continue the current slide): everything else.

A lesson longer than one lecture (:data:`LECTURE_MAX` slides) is cut into parts, each a
deck of its own: the cuts fall before ``##`` sections and make the parts as even as they
can be (:func:`lecture_parts`); every part after the first opens with the lesson's title
and "part k of n".

``--build`` exports each lesson with nbconvert's reveal.js template from its stored
outputs, nothing re-executed (a lesson without metadata is given it in memory first).
reveal.js, MathJax, require.js and jQuery are copied next to the decks by
``scripts/web_assets.py`` (fetched once from the npm registry), so the decks work with no
network; slider widgets cannot move without a kernel, so each is replaced by a note and
the stored figure. Present a lesson live, sliders and all, with RISE in JupyterLab.
"""

from __future__ import annotations

import copy
import html
import logging
import os
import re
import sys
from collections import Counter
from itertools import combinations
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import export_html  # noqa: E402  (scripts/ is not a package)
import nav  # noqa: E402
import web_assets  # noqa: E402

SLIDE_TYPES = ("slide", "subslide", "fragment", "skip", "notes", "-")
TITLE = re.compile(r"^#\s")
SECTION = re.compile(r"^##\s")
SUBSECTION = re.compile(r"^###\s")
IMPORT = re.compile(r"^(import|from)\s+\w", re.M)
SLIDE_BUDGET = 1000  # characters of text (markdown, code, printed output) on one slide
CAPTION = 350  # a figure joins the slide before it if that holds no more text than this
FIGURE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
REVEAL_WIDTH, REVEAL_HEIGHT = 1280, 800
LECTURE_MAX = 35  # slides one lecture can hold (most lessons take 15-25)

__all__ = ["LECTURE_MAX", "SLIDE_TYPES", "build_decks", "lecture_parts", "slide_types",
           "update_folder"]  # fmt: skip


def _tags(cell: nbformat.NotebookNode) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _draws(cell: nbformat.NotebookNode) -> bool:
    """A code cell that shows a figure (a stored image) or builds a live figure."""
    if "live_figure(" in cell.source:
        return True
    outputs = cell.get("outputs", [])
    return any(m in o.get("data", {}) for o in outputs for m in (*FIGURE_MIMES, WIDGET_MIME))


def _prints(cell: nbformat.NotebookNode) -> bool:
    return bool(cell.get("outputs"))


def _is_setup(cell: nbformat.NotebookNode) -> bool:
    return bool(IMPORT.search(cell.source))


def _is_exercise_code(cell: nbformat.NotebookNode) -> bool:
    text = cell.source
    return "BEGIN SOLUTION" in text or bool(re.search(r"^\s*ok\s*=\s*\w*check", text, re.M))


def _weight(cell: nbformat.NotebookNode) -> int:
    """Roughly how much of a slide a cell fills, in characters of text (a figure: all)."""
    if cell.cell_type == "code" and _draws(cell):
        return SLIDE_BUDGET
    printed = sum(len("".join(o.get("text", ""))) for o in cell.get("outputs", []))
    return len(cell.source) + printed


def cell_slide_type(cell: nbformat.NotebookNode, previous, first_code: bool, filled: int) -> str:
    """The slide type of ``cell`` by the module's rules: ``previous`` is the shown cell
    before it, ``filled`` the weight (:func:`_weight`) already on the current slide."""
    if "nav" in _tags(cell):
        return "skip"
    text = cell.source.lstrip()
    if cell.cell_type == "markdown":
        if TITLE.match(text) or SECTION.match(text):
            return "slide"
        if SUBSECTION.match(text):
            return "subslide"
        if previous is not None and previous.cell_type == "code" and _draws(previous):
            return "fragment"
    elif cell.cell_type != "code" or (first_code and _is_setup(cell)) or _is_exercise_code(cell):
        return "skip"
    elif _draws(cell):
        return "-" if filled <= CAPTION else "subslide"
    elif not _prints(cell):
        return "skip"
    return "subslide" if filled + _weight(cell) > SLIDE_BUDGET else "-"


def slide_types(nb: nbformat.NotebookNode) -> list[str]:
    """The slide type of every cell of ``nb``, in order."""
    types, previous, seen_code, filled = [], None, False, 0
    for cell in nb.cells:
        first_code = cell.cell_type == "code" and not seen_code
        seen_code = seen_code or cell.cell_type == "code"
        kind = cell_slide_type(cell, previous, first_code, filled)
        types.append(kind)
        if kind == "skip":
            continue
        filled = _weight(cell) + (filled if kind in ("-", "fragment") else 0)
        previous = cell
    return types


def apply_slides(nb: nbformat.NotebookNode) -> None:
    """Write the rules' slide types into the cells' metadata (other metadata untouched)."""
    if not nb.cells or not TITLE.match(nb.cells[0].source.lstrip()):
        raise ValueError("the first cell must be the title (# Title), the first slide")
    for cell, kind in zip(nb.cells, slide_types(nb), strict=True):
        cell.metadata.setdefault("slideshow", {})["slide_type"] = kind


def count_slides(nb: nbformat.NotebookNode) -> int:
    """Slides a lecturer steps through: ``slide`` plus ``subslide`` cells."""
    kinds = Counter(c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells)
    return kinds["slide"] + kinds["subslide"]


def _opens_slide(cell: nbformat.NotebookNode) -> bool:
    return cell.metadata.get("slideshow", {}).get("slide_type") in ("slide", "subslide")


def lecture_parts(nb: nbformat.NotebookNode, most: int = LECTURE_MAX) -> list[range]:
    """The cell ranges of the lectures a lesson (with slide metadata) is presented in: one
    if it has at most ``most`` slides, else the fewest parts of at most ``most`` (plus the
    repeated title) cut before ``##`` sections, choosing the cuts that make the longest
    part shortest. A lesson whose sections cannot be cut so keeps its long parts."""
    cuts = [i for i, c in enumerate(nb.cells) if i and c.cell_type == "markdown"
            and SECTION.match(c.source.lstrip())]  # fmt: skip
    size = [int(_opens_slide(c)) for c in nb.cells]
    if sum(size) <= most or not cuts:
        return [range(len(nb.cells))]

    def parts_of(chosen: tuple[int, ...]) -> list[range]:
        edges = [0, *chosen, len(nb.cells)]
        return [range(a, b) for a, b in zip(edges, edges[1:], strict=False)]

    def longest(chosen: tuple[int, ...]) -> int:
        return max(sum(size[i] for i in part) for part in parts_of(chosen))

    for n in range(2, len(cuts) + 2):
        best = min(combinations(cuts, n - 1), key=longest)
        if longest(best) < most:  # + 1 for the repeated title
            return parts_of(best)
    return parts_of(tuple(cuts))


def _part(nb: nbformat.NotebookNode, cells: range, k: int, n: int, title: str):
    """Lecture ``k`` of ``n``: a copy of ``nb`` with those cells, titled if k > 1."""
    part = copy.deepcopy(nb)
    part.cells = [part.cells[i] for i in cells]
    if k > 1:
        head = nbformat.v4.new_markdown_cell(f"# {title}\n\nPart {k} of {n}")
        head.metadata["slideshow"] = {"slide_type": "slide"}
        part.cells.insert(0, head)
    return part


def update_folder(folder: Path, check: bool = False) -> list[Path]:
    """Give every lesson of ``folder`` its slide metadata (:func:`nav.rewrite_lessons`):
    the files that changed, or with ``check`` would change."""
    paths = export_html.lesson_files(folder)
    books = [nbformat.read(p, as_version=4) for p in paths]
    return nav.rewrite_lessons(paths, books, lambda _, nb: apply_slides(nb), check)


# --- reveal.js decks -------------------------------------------------------------------------

MERMAID = re.compile(r"<script type=\"module\">\s*import mermaid[^<]*</script>")
INDEX_CSS = export_html.INDEX_CSS


ASSETS = [web_assets.MATHJAX, web_assets.REQUIREJS, web_assets.JQUERY, web_assets.REVEAL]


def _deck_exporter():
    from nbconvert import SlidesExporter

    exporter = SlidesExporter(embed_images=True)
    exporter.reveal_url_prefix = web_assets.REVEAL.url("").rstrip("/")
    exporter.reveal_theme = "white"  # its fonts are bundled (others import web fonts)
    exporter.reveal_scroll = True  # a tall slide scrolls instead of being cut off
    exporter.reveal_transition = "none"  # a projector shows the next slide at once
    exporter.reveal_number = "c/t"
    exporter.reveal_width, exporter.reveal_height = str(REVEAL_WIDTH), str(REVEAL_HEIGHT)
    exporter.mathjax_url = web_assets.MATHJAX_URL
    exporter.require_js_url = web_assets.REQUIREJS_URL
    exporter.jquery_url = web_assets.JQUERY.url("dist/jquery.min.js")
    exporter.log.setLevel(logging.ERROR)
    return exporter


def _index_page(decks: list[tuple[str, str, int]]) -> str:
    items = "\n".join(
        f'  <li><a href="{html.escape(page)}">{html.escape(title)}</a>'
        f' <span class="file">{count} slides</span></li>'
        for page, title, count in decks
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Optimizer lessons: slides</title>\n<style>{INDEX_CSS}</style>\n</head>\n"
        "<body>\n<h1>Optimizer lessons: slides</h1>\n<p>Arrow keys step through a deck "
        "(down for the figures of a section), <kbd>S</kbd> opens the speaker view. To move "
        "the sliders, present the notebook live with RISE in JupyterLab.</p>\n"
        f'<ol start="0">\n{items}\n</ol>\n</body>\n</html>\n'
    )


def _deck_names(stem: str, n: int) -> list[str]:
    if n == 1:
        return [f"{stem}.slides.html"]
    return [f"{stem}.part{k}.slides.html" for k in range(1, n + 1)]


def build_decks(notebooks: Path, out: Path) -> list[Path]:
    """A reveal.js deck ``NN_topic.slides.html`` per lesson (``NN_topic.partK.slides.html``
    per part of a long one, :func:`lecture_parts`) plus ``index.html`` in ``out``."""
    files = export_html.lesson_files(notebooks)
    web_assets.fetch(ASSETS)  # a missing npm fails here, before anything is written
    exporter = _deck_exporter()
    rendered, decks = {}, []
    first_deck = {p.stem: _deck_names(p.stem, 1)[0] for p in files}
    for path in files:
        nb = nbformat.read(path, as_version=4)
        apply_slides(nb)
        title = export_html.title_of(nb, path)
        parts = lecture_parts(nb)
        names = _deck_names(path.stem, len(parts))
        first_deck[path.stem] = names[0]
        for k, (cells, name) in enumerate(zip(parts, names, strict=True), start=1):
            part = _part(nb, cells, k, len(parts), title)
            label = title if len(parts) == 1 else f"{title} (part {k} of {len(parts)})"
            resources = {"metadata": {"name": label, "path": str(path.parent)}}
            body, _ = exporter.from_notebook_node(export_html._static_copy(part), resources)
            rendered[name] = MERMAID.sub("", body)
            decks.append((name, label, count_slides(part)))
    for name, body in rendered.items():  # links to a lesson open its (first) deck
        rendered[name] = export_html.NOTEBOOK_HREF.sub(
            lambda m: f'{m[1]}{first_deck.get(m[2], m[2] + ".slides.html")}{m[3] or ""}"', body
        )
    rendered["index.html"] = _index_page(decks)
    out.mkdir(parents=True, exist_ok=True)
    for package in ASSETS:
        web_assets.install(package, out)
    for name, text in rendered.items():
        tmp = out / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out / name)
    return [out / name for name in rendered]


def main(argv: list[str] | None = None) -> int:
    parser = nav.folder_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--build", type=Path, metavar="OUT", help="write reveal.js decks to OUT")
    args = parser.parse_args(argv)
    if args.check and args.build:
        parser.error("--check and --build do different things: give one")
    if not args.build:
        return nav.run_update(parser, args, update_folder, "slide metadata")
    try:
        pages = build_decks(args.folder, args.build)
    except ValueError as err:
        parser.error(str(err))
    except web_assets.AssetError as err:
        print(f"slides: {err}", file=sys.stderr)
        return 1
    print(f"wrote {len(pages) - 1} decks to {args.build}/ (open {pages[-1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
