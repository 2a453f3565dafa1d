"""Write the prev | contents | next navigation cells of every lesson notebook.

Usage::

    python scripts/nav.py notebooks          # update the notebooks in place
    python scripts/nav.py notebooks --check  # exit 1 if any notebook is out of date

Lessons are the files ``NN_*.ipynb`` (two digits, then ``_``), in file-name order;
``00_*.ipynb`` is the contents page. Each lesson gets one markdown cell tagged ``nav``
right after its title cell and one at the end. Existing ``nav`` cells are rewritten in
place (same position, same cell id), so running the script twice changes nothing.
A notebook file is written only when its text would change.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat

TAG = "nav"
LESSON = re.compile(r"^\d\d_.+\.ipynb$")
HEADING = re.compile(r"^\s*#\s+(.+?)\s*#*\s*$", re.MULTILINE)


def lesson_files(folder: Path) -> list[Path]:
    """The notebooks ``NN_*.ipynb`` in ``folder``, in order."""
    if not folder.is_dir():
        raise ValueError(f"folder must be a directory of notebooks, got {str(folder)!r}")
    return sorted(p for p in folder.iterdir() if LESSON.match(p.name))


def title_of(nb: nbformat.NotebookNode, path: Path) -> str:
    """The first level-1 heading of the first markdown cell, else the file name."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and TAG not in cell.metadata.get("tags", []):
            match = HEADING.search(cell.source)
            if match:
                return match.group(1).replace("[", "(").replace("]", ")")
            break
    return path.stem


def nav_text(titles: list[tuple[str, str]], i: int) -> str:
    """Markdown for lesson ``i`` of ``titles`` (``(file name, title)`` pairs)."""
    parts = []
    if i > 0:
        parts.append(f"[← {titles[i - 1][1]}]({titles[i - 1][0]})")
    if i > 0 and titles[0][0].startswith("00_"):
        parts.append(f"[Contents]({titles[0][0]})")
    if i + 1 < len(titles):
        parts.append(f"[{titles[i + 1][1]} →]({titles[i + 1][0]})")
    return " | ".join(parts)


def _is_nav(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "markdown" and TAG in cell.metadata.get("tags", [])


def _nav_cell(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text, metadata={"tags": [TAG]})


def apply_nav(nb: nbformat.NotebookNode, text: str) -> None:
    """Give ``nb`` a nav cell after its first (title) cell and one at the end, both ``text``."""
    for cell in nb.cells:
        if _is_nav(cell):
            cell.source = text
    if not nb.cells:
        raise ValueError("the notebook is empty; give it a title cell (# Title) first")
    if len(nb.cells) < 2 or not _is_nav(nb.cells[1]):
        nb.cells.insert(1, _nav_cell(text))
    if len(nb.cells) < 3 or not _is_nav(nb.cells[-1]):
        nb.cells.append(_nav_cell(text))


def _serialize(nb: nbformat.NotebookNode) -> str:
    """The file text exactly as ``nbformat.write`` (and so nbconvert) would save it."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def rewrite_lessons(
    paths: list[Path],
    books: list[nbformat.NotebookNode],
    apply: Callable[[int, nbformat.NotebookNode], None],
    check: bool = False,
) -> list[Path]:
    """Run ``apply(i, books[i])`` on every notebook read from ``paths``, then write those
    whose text changed; return them (with ``check``, the ones that would change, and
    nothing is written). Every notebook is done before any is written, so one that
    ``apply`` rejects (a ValueError, reported with its path) leaves the folder untouched."""
    changed: dict[Path, str] = {}
    for i, (path, nb) in enumerate(zip(paths, books, strict=True)):
        try:
            apply(i, nb)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None
        new = _serialize(nb)
        if new != path.read_text(encoding="utf-8"):
            changed[path] = new
    if not check:
        for path, new in changed.items():
            path.write_text(new, encoding="utf-8")
    return list(changed)


def update_folder(folder: Path, check: bool = False) -> list[Path]:
    """Refresh the nav cells of every lesson in ``folder`` (:func:`rewrite_lessons`)."""
    paths = lesson_files(folder)
    books = [nbformat.read(p, as_version=4) for p in paths]
    titles = [(p.name, title_of(nb, p)) for p, nb in zip(paths, books, strict=True)]
    return rewrite_lessons(paths, books, lambda i, nb: apply_nav(nb, nav_text(titles, i)), check)


def folder_parser(description: str) -> argparse.ArgumentParser:
    """The command line of a script that rewrites every lesson in place (this one and
    ``slides.py``): ``FOLDER [--check]``; the caller may add options before parsing."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("folder", type=Path, help="folder holding the NN_*.ipynb lessons")
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if stale")
    return parser


def run_update(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    update: Callable[..., list[Path]],
    what: str,
) -> int:
    """Run ``update(args.folder, check=args.check)`` (an ``update_folder``), print each
    notebook it changed or, with --check, would change, else that ``what`` is up to date.
    A ValueError (bad folder, bad notebook) becomes a usage error. Returns the exit
    status: 1 when --check finds a notebook out of date, else 0."""
    try:
        changed = update(args.folder, check=args.check)
    except ValueError as err:
        parser.error(str(err))
    verb = "out of date" if args.check else "updated"
    for path in changed:
        print(f"{verb}: {path}")
    if not changed:
        print(f"{what} up to date")
    return 1 if (args.check and changed) else 0


def main(argv: list[str] | None = None) -> int:
    parser = folder_parser(__doc__.split("\n\n")[0])
    return run_update(parser, parser.parse_args(argv), update_folder, "navigation")


if __name__ == "__main__":
    sys.exit(main())
