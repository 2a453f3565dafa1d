"""Coursework: hand out a student edition of the lessons, and grade what students hand back.

Two commands::

    python -m lessons_lib.coursework student SRC OUT
    python -m lessons_lib.coursework grade PATH [PATH ...] [--reference REF] [--jobs N]
        [--exercise ID ...] [--csv FILE] [--json FILE] [--timeout S] [--memory MB]

``student`` copies SRC (a folder of notebooks, or one notebook) to OUT and replaces every
marked solution region in a code cell::

    # Hint: one line, used verbatim as the NotImplementedError message
    ### BEGIN SOLUTION
    ...reference solution...
    ### END SOLUTION

by ``raise NotImplementedError("<the hint>")`` at the marker's indentation. Outputs stay,
except where they would show an answer (:func:`shows_answer`): the exercise cells, their
check cells and the reveal cells of predict-then-verify questions are handed out unrun.
Exercise cells get the metadata ``{"coursework": {"exercise": true}}`` so the grader finds
them again.

``grade`` grades notebooks, or a folder of student folders, against REF (the handout or the
instructor's notebooks; default: this project's ``notebooks/``) without ever running a
student's code in its own process: see :mod:`lessons_lib.grading`. It prints one line per
exercise (PASSED / FAILED / NOT ATTEMPTED / BORROWED / ERROR, with the check's diagnosis),
then, for several students, the gradebook; ``--csv`` and ``--json`` write it. Exit status 0
when every exercise passed, 1 otherwise, 2 for unusable input.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .grading import static
from .grading.gradebook import format_report, format_table, grade_class
from .grading.notebooks import BEGIN, METADATA_KEY, code_cells, is_exercise_cell, read_notebook
from .grading.notebooks import source as _source
from .grading.sandbox import Limits

__all__ = [
    "MarkerError",
    "stub_solutions",
    "student_notebook",
    "make_student_edition",
    "main",
]

END = "### END SOLUTION"
HINT = "# Hint:"
DEFAULT_HINT = "write your solution here, following the formula above"
SKIPPED_PARTS = {".ipynb_checkpoints", "__pycache__"}
COURSE_NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
_read, _code_cells, _is_exercise_cell = read_notebook, code_cells, is_exercise_cell


class MarkerError(ValueError):
    """A solution region is malformed (BEGIN without END, END without BEGIN, nested)."""


# --- student edition -------------------------------------------------------------------


def _solution_regions(lines: Sequence[str], where: str) -> list[tuple[int, int]]:
    """(begin, end) line indices of each marked region; MarkerError if markers do not pair."""
    regions: list[tuple[int, int]] = []
    start: int | None = None
    for i, line in enumerate(lines):
        marker = line.strip()
        if marker == BEGIN:
            if start is not None:
                raise MarkerError(
                    f"{where}: line {i + 1}: '{BEGIN}' inside the region opened on line "
                    f"{start + 1}; regions cannot be nested, close the first with '{END}'"
                )
            start = i
        elif marker == END:
            if start is None:
                raise MarkerError(f"{where}: line {i + 1}: '{END}' without a '{BEGIN}' before it")
            regions.append((start, i))
            start = None
    if start is not None:
        raise MarkerError(f"{where}: line {start + 1}: '{BEGIN}' has no matching '{END}'")
    return regions


def _hint(lines: Sequence[str], begin: int, floor: int) -> str:
    """Text of the nearest ``# Hint:`` line above ``begin`` (not above ``floor``)."""
    for line in reversed(lines[floor:begin]):
        text = line.strip()
        if text.startswith(HINT):
            return text[len(HINT) :].strip() or DEFAULT_HINT
    return DEFAULT_HINT


def stub_solutions(source: str, where: str = "cell") -> tuple[str, int]:
    """Replace each solution region of ``source`` by ``raise NotImplementedError(hint)``.

    Returns the new source and the number of regions replaced; raises MarkerError (naming
    ``where`` and the line) when the markers do not pair up.
    """
    lines = source.split("\n")
    regions = _solution_regions(lines, where)
    if not regions:
        return source, 0
    out: list[str] = []
    done = 0
    for begin, end in regions:
        out.extend(lines[done:begin])
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
        hint = json.dumps(_hint(lines, begin, done), ensure_ascii=False)
        out.append(f"{indent}raise NotImplementedError({hint})")
        done = end + 1
    out.extend(lines[done:])
    return "\n".join(out), len(regions)


def _dumps(nb: dict[str, Any]) -> str:
    """JSON text laid out as nbformat writes it, so untouched cells stay byte-identical."""
    text = json.dumps(nb, indent=1, sort_keys=True, separators=(",", ": "), ensure_ascii=False)
    return text + "\n"


def _set_source(cell: dict[str, Any], text: str) -> None:
    as_lines = isinstance(cell.get("source"), list)
    cell["source"] = text.splitlines(keepends=True) if as_lines else text


def _cell_name(path: Path | str, code_index: int, source: str) -> str:
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    first = first if len(first) <= 40 else first[:37] + "..."
    return f"{path}: code cell {code_index} ({first!r})"


def student_notebook(nb: dict[str, Any], name: str = "notebook") -> tuple[dict[str, Any], int]:
    """A copy of ``nb`` with every solution region stubbed; returns (copy, regions replaced).

    Markdown and navigation cells are left as they are, and so are outputs, except those of
    cells that would show an answer (:func:`shows_answer`), which are cleared. Each
    exercise cell gets the metadata ``{"coursework": {"exercise": true}}``, plus
    ``"allow": [...]`` when its solution uses a library the grader otherwise counts as
    borrowed (the names the lesson imports from it, or the modules it imports): an exercise
    that asks the learner to use the lesson's runner may use it.
    """
    nb = copy.deepcopy(nb)
    total = 0
    answers, after_check = _exercise_names(nb), False
    for cell in nb.get("cells", []):
        code = cell.get("cell_type") == "code"
        if code and (after_check or shows_answer(_source(cell), answers)):
            cell["outputs"], cell["execution_count"] = [], None
        after_check = code and bool(CHECK_CALL.search(_source(cell)))
    plain = [_source(c) for _, c in _code_cells(nb) if not _is_exercise_cell(c)]
    lesson = static.library_imports(plain)
    for k, cell in _code_cells(nb):
        source = _source(cell)
        stubbed, n = stub_solutions(source, _cell_name(name, k, source))
        if n:
            _set_source(cell, stubbed)
            mark: dict[str, Any] = {"exercise": True}
            allow = static.allowance(source, lesson)
            if allow:
                mark["allow"] = allow
            cell.setdefault("metadata", {})[METADATA_KEY] = mark
            total += n
    return nb, total


def _exercise_names(nb: dict[str, Any]) -> set[str]:
    """Names the exercise cells (those with a solution region) define."""
    names: set[str] = set()
    for _, cell in _code_cells(nb):
        source = _source(cell)
        if BEGIN in source:
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            names |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
            names |= {t.id for n in tree.body if isinstance(n, ast.Assign)
                      for t in n.targets if isinstance(t, ast.Name)}  # fmt: skip
    return names


CHECK_CALL = re.compile(r"\bcheck_\w*\s*\(")


def shows_answer(source: str, exercise_names: set[str]) -> bool:
    """Whether a code cell's stored output would give an exercise away: the exercise itself
    (a solution region), a check (``check_...``), a reveal (``reveal...`` or a cell run only
    ``if ok:``), or any cell using what an exercise cell defines. (The code cell right after
    a check cell is a predict-then-verify experiment: :func:`student_notebook` clears it.)"""
    if BEGIN in source or CHECK_CALL.search(source) or re.search(r"\breveal\w*\s*\(", source):
        return True
    if re.match(r"\s*(#[^\n]*\n\s*)*if\s+ok\b", source):
        return True
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return bool(used & exercise_names)


def _files(src: Path) -> list[Path]:
    if src.is_file():
        return [src]

    def hidden(p: Path) -> bool:
        return any(part.startswith(".") or part in SKIPPED_PARTS for part in p.parts)

    return sorted(p for p in src.rglob("*") if p.is_file() and not hidden(p.relative_to(src)))


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check_dirs(src: Path, out: Path) -> None:
    if not src.exists():
        raise ValueError(f"SRC {src} does not exist: pass the folder of lesson notebooks")
    if src.is_file() and src.suffix != ".ipynb":
        raise ValueError(f"SRC {src} is neither a folder nor a .ipynb notebook")
    if out.exists() and not out.is_dir():
        raise ValueError(f"OUT {out} is a file: pass a folder for the student edition")
    s, o = src.resolve(), out.resolve()
    base = s.parent if s.is_file() else s
    if o == base or base in o.parents or o in base.parents:
        raise ValueError(
            f"OUT {out} overlaps SRC {src}: write the student edition to a separate folder "
            "(e.g. student/) so the reference notebooks are never overwritten"
        )


def make_student_edition(src: str | Path, out: str | Path) -> list[tuple[Path, int]]:
    """Write the student edition of ``src`` (folder or notebook) into the folder ``out``.

    Notebooks are stubbed (see :func:`student_notebook`); other files (e.g. sanitize.cfg)
    are copied. Everything is checked before anything is written; each file is written
    to a temporary file and moved into place. Returns (written notebook, regions replaced).
    """
    src, out = Path(src), Path(out)
    _check_dirs(src, out)
    base = src.parent if src.is_file() else src
    planned: list[tuple[Path, bytes, int | None]] = []
    for path in _files(src):
        rel = path.relative_to(base)
        if path.suffix == ".ipynb":
            nb, n = student_notebook(_read(path), str(path))
            planned.append((out / rel, _dumps(nb).encode("utf-8"), n))
        else:
            planned.append((out / rel, path.read_bytes(), None))
    if not any(n is not None for _, _, n in planned):
        raise ValueError(f"SRC {src} holds no .ipynb notebooks")
    for target, data, _ in planned:
        _write_atomic(target, data)
    return [(target, n) for target, _, n in planned if n is not None]


# --- command line ----------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lessons_lib.coursework",
        description="Make the student edition of the lessons, or grade submitted notebooks.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    student = sub.add_parser("student", help="write the student edition (solutions stubbed)")
    student.add_argument("src", help="folder of reference notebooks (or one notebook)")
    student.add_argument("out", help="folder to write the student edition into")
    g = sub.add_parser("grade", help="grade notebooks, or a folder of student folders")
    g.add_argument("paths", nargs="+", help="notebooks, or folders (one sub-folder per student)")
    g.add_argument(
        "--reference",
        help="the handed-out notebooks (folder, matched by file name, or one notebook); "
        f"default: {COURSE_NOTEBOOKS.name}/ of this project",
    )
    g.add_argument("--jobs", type=int, default=1, help="notebooks graded in parallel (1)")
    g.add_argument("--timeout", type=float, default=10.0, help="seconds per call of a "
                   "student's function (10)")  # fmt: skip
    g.add_argument("--memory", type=int, default=512, help="MB of memory per exercise (512)")
    g.add_argument(
        "--exercise",
        action="append",
        metavar="ID",
        help="grade only this exercise (e.g. 6.1; repeat for more): one autograding test each",
    )
    g.add_argument("--csv", help="write the gradebook (one row per student) to this CSV file")
    g.add_argument("--json", help="write the gradebook and every message to this JSON file")
    return parser


def _grade(args: argparse.Namespace) -> int:
    reference = Path(args.reference) if args.reference else COURSE_NOTEBOOKS
    limits = Limits(seconds=args.timeout, megabytes=args.memory)
    only = frozenset(args.exercise) if args.exercise else None
    book = grade_class(args.paths, reference, args.jobs, limits, only)
    if only and not book.exercises:
        raise ValueError(f"no exercise {', '.join(sorted(only))} in the reference")
    print(format_report(book.reports))
    if len(book.students) > 1 or args.csv or args.json:
        print(f"\ngradebook ({len(book.students)} students, {book.seconds:.1f} s)")
        print(format_table(book))
    if args.csv:
        _write_atomic(Path(args.csv), book.to_csv().encode("utf-8"))
    if args.json:
        _write_atomic(Path(args.json), book.to_json().encode("utf-8"))
    return 0 if book.reports and all(r.ok for r in book.reports) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (0 ok, 1 failures, 2 bad input)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "student":
            for path, n in make_student_edition(args.src, args.out):
                print(f"wrote {path} ({n} solution region{'s' if n != 1 else ''} stubbed)")
            return 0
        return _grade(args)
    except ValueError as err:  # MarkerError included
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
