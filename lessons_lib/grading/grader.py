"""Grade one submitted notebook against its reference, without running the learner's code here.

From the REFERENCE notebook (the handout, or the instructor's notebooks; never the
submission) the grader takes each check call ``ok = check_xxx(fn)``: which check (resolved
statically to a function of ``lessons_lib``), which function it tests, and the exercise id
its stored verdict names. From the SUBMISSION it takes only the exercise cells (metadata
``{"coursework": {"exercise": true}}``, matched by cell id, else by order).

For each check: the exercise cell is inspected (syntax, borrowed imports, refused
constructs); then a :class:`~lessons_lib.grading.sandbox.Sandbox` runs, in a child process,
the lesson's statements the cell needs (its imports and constants, from the reference), the
earlier exercise cells it uses, and the cell itself; and this process runs the real check
with a stand-in for the learner's function that forwards every call to the child. The
comparison with the reference, and the diagnosis of a mistake, happen here.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import static
from .notebooks import (
    METADATA_KEY,
    code_cells,
    is_exercise_cell,
    match_exercises,
    read_notebook,
    source,
)
from .sandbox import Limits, Sandbox, Stopped

__all__ = ["Exercise", "NotebookReport", "CheckCall", "find_checks", "grade_notebook"]

VERDICT = re.compile(r"^(PASSED|FAILED|NOT ATTEMPTED) exercise ([^\s:]+): ?(.*)$", re.MULTILINE)
VERDICTS = ("PASSED", "FAILED", "NOT ATTEMPTED", "BORROWED", "ERROR")


@dataclass
class Exercise:
    """One exercise's verdict (one of VERDICTS) and the message that explains it."""

    id: str
    verdict: str
    message: str
    function: str = ""


@dataclass
class NotebookReport:
    """The grade of one notebook; ``error`` when the notebook could not be graded at all."""

    path: str
    exercises: list[Exercise] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.error and all(e.verdict == "PASSED" for e in self.exercises)


@dataclass
class CheckCall:
    """A check cell of the reference: ``check`` tests ``function``, defined in exercise cell
    ``exercise_cell`` (an index into the reference's code cells)."""

    exercise: str
    check: Callable[..., Any]
    function: str
    exercise_cell: int
    check_cell: int


# --- the reference's check cells ---------------------------------------------------------


def _import_map(cells: list[dict[str, Any]]) -> dict[str, str]:
    """Name -> dotted path it stands for, from the reference's imports of ``lessons_lib``."""
    found: dict[str, str] = {}
    for cell in cells:
        for stmt in static.statements(source(cell)):
            if isinstance(stmt, ast.ImportFrom) and not stmt.level and stmt.module:
                for a in stmt.names:
                    found[a.asname or a.name] = f"{stmt.module}.{a.name}"
            elif isinstance(stmt, ast.Import):
                for a in stmt.names:
                    found[a.asname or a.name.split(".")[0]] = (
                        a.name if a.asname else a.name.split(".")[0]
                    )
    return {k: v for k, v in found.items() if v == "lessons_lib" or v.startswith("lessons_lib.")}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else ""
    return ""


def _resolve(path: str) -> Any:
    """The object a dotted path under ``lessons_lib`` names (imported here, trusted)."""
    parts = path.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        for attr in parts[k:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(f"cannot import {path}")


def _check_calls(cell: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(dotted name of the check, name of the function it is given) for each top-level
    ``check_xxx(fn)`` call of a cell, alone or assigned (``ok = ...``)."""
    for stmt in static.statements(source(cell)):
        value = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign)) else None
        if (
            isinstance(value, ast.Call)
            and len(value.args) == 1
            and not value.keywords
            and isinstance(value.args[0], ast.Name)
            and _dotted(value.func).split(".")[-1].startswith("check_")
        ):
            yield _dotted(value.func), value.args[0].id


def _exercise_id(cell: dict[str, Any], check: Any, function: str) -> str:
    """The id the reference's stored verdict names, else the check's docstring's."""
    for out in cell.get("outputs", []):
        text = out.get("text", "")
        found = VERDICT.search("".join(text) if isinstance(text, list) else text)
        if found:
            return found.group(2)
    found = re.search(r"Exercise (\d+(?:\.\d+)*)", check.__doc__ or "")
    return found.group(1) if found else function


def _defines(cell: dict[str, Any], name: str) -> bool:
    return name in set().union(*(static.binds(s) for s in static.statements(source(cell))))


def find_checks(reference: dict[str, Any]) -> list[CheckCall]:
    """Every check call of the reference notebook whose function an exercise cell defines."""
    cells = [c for _, c in code_cells(reference)]
    names = _import_map(cells)
    calls = []
    for k, cell in enumerate(cells):
        if is_exercise_cell(cell):
            continue
        for dotted, function in _check_calls(cell):
            head, _, rest = dotted.partition(".")
            if head not in names:
                continue  # not a check of lessons_lib: nothing the grader can trust
            check = _resolve(names[head] + (f".{rest}" if rest else ""))
            where = [
                j for j in range(k) if is_exercise_cell(cells[j]) and _defines(cells[j], function)
            ]
            if where:
                exercise = _exercise_id(cell, check, function)
                calls.append(CheckCall(exercise, check, function, where[-1], k))
    return calls


# --- running one check -------------------------------------------------------------------


class _ThreadStdout(io.TextIOBase):
    """sys.stdout while grading: each thread's prints go to that thread's buffer, so
    notebooks can be graded in parallel threads."""

    def __init__(self, fallback: Any) -> None:
        self.fallback, self.local = fallback, threading.local()

    def write(self, text: str) -> int:
        return getattr(self.local, "buffer", self.fallback).write(text)

    def flush(self) -> None:
        getattr(self.local, "buffer", self.fallback).flush()


_stdout_lock = threading.Lock()


@contextlib.contextmanager
def _captured() -> Iterator[io.StringIO]:
    with _stdout_lock:
        if not isinstance(sys.stdout, _ThreadStdout):
            sys.stdout = _ThreadStdout(sys.stdout)
        out = sys.stdout
    buffer = io.StringIO()
    out.local.buffer = buffer
    try:
        yield buffer
    finally:
        del out.local.buffer


def _bound(cell_source: str) -> set[str]:
    return set().union(*(static.binds(s) for s in static.statements(cell_source)))


def _allowed(reference: list[dict[str, Any]], k: int) -> frozenset[str]:
    """What exercise cell ``k`` of the reference may take from a library: the handout's
    ``coursework.allow`` metadata (written by the student edition from the solution), and
    what the reference cell itself uses (an instructor's notebook still has the solution)."""
    meta = reference[k].get("metadata", {}).get(METADATA_KEY, {})
    listed = meta.get("allow", []) if isinstance(meta, dict) else []
    lesson = static.library_imports([source(c) for c in reference if not is_exercise_cell(c)])
    own = static.allowance(source(reference[k]), lesson)
    return frozenset([*(x for x in listed if isinstance(x, str)), *own])


def blocked_for(allowed: frozenset[str]) -> list[str]:
    """The libraries the child refuses to import: all borrowed ones, except those whose
    modules an exercise is allowed (its solution imports them, directly or via the lesson)."""
    free = {
        name.split(".")[0] for name in allowed if "." in name or name in static.BORROWED_MODULES
    }
    return [m for m in static.BORROWED_MODULES if m not in free]


def _cells_for(
    call: CheckCall, reference: list[dict[str, Any]], submitted: dict[int, str]
) -> tuple[list[dict[str, str]], list[str], list[str]]:
    """(cells for the child, borrowed findings, refused findings) for one check."""
    mine = submitted[call.exercise_cell]
    needed = static.reads(static.parse(mine))
    bound = _bound(mine)
    exercise_cells, borrowed, refused = [], [], []
    for j in sorted(submitted, reverse=True):  # earlier exercise cells this one uses
        if j < call.exercise_cell and _bound(submitted[j]) & (needed - bound):
            exercise_cells.insert(0, j)
            needed |= static.reads(
                ast.Module(body=static.statements(submitted[j]), type_ignores=[])
            )
            bound |= _bound(submitted[j])
    needed -= bound
    allowed = _allowed(reference, call.exercise_cell)
    for j in [*exercise_cells, call.exercise_cell]:
        found = static.inspect_exercise(submitted[j], allowed)
        borrowed += found.borrowed
        refused += found.refused + ([found.syntax_error] if found.syntax_error else [])
    setup = [
        s
        for k, cell in enumerate(reference[: call.exercise_cell])
        if not is_exercise_cell(cell) and not any(True for _ in _check_calls(cell))
        for s in static.statements(source(cell))
    ]
    kept, via = static.setup_slice(setup, needed, allowed)
    borrowed += [
        f"uses {name}, which the lesson imports from {module}" for name, module in via.items()
    ]
    cells = [{"source": ast.unparse(s), "kind": "setup"} for s in kept]
    cells += [
        {"source": static.strip_magics(submitted[j]), "kind": "exercise"} for j in exercise_cells
    ]
    cells.append({"source": static.strip_magics(mine), "kind": "exercise"})
    return cells, borrowed, refused


def _verdict_of(call: CheckCall, printed: str) -> Exercise:
    found = [m for m in VERDICT.findall(printed) if m[1] == call.exercise] or VERDICT.findall(
        printed
    )
    if not found:
        last = printed.strip().splitlines()[-1:] or ["nothing"]
        return Exercise(call.exercise, "ERROR", f"the check printed no verdict ({last[0]})")
    verdict, _, message = found[-1]
    return Exercise(call.exercise, verdict, message)


def run_check(
    call: CheckCall, reference: list[dict[str, Any]], submitted: dict[int, str], limits: Limits
) -> Exercise:
    """The verdict of one check on the submitted exercise cells."""
    cells, borrowed, refused = _cells_for(call, reference, submitted)
    allowed = _allowed(reference, call.exercise_cell)
    if allowed:  # an exercise that uses the library: the lesson's imports of it must work
        lesson = static.library_imports([source(c) for c in reference])
        allowed = allowed | {lesson[n] for n in allowed if n in lesson}
    if borrowed:
        return Exercise(
            call.exercise,
            "BORROWED",
            "; ".join(borrowed) + ": write the computation yourself instead of calling a library",
        )
    if refused:
        return Exercise(
            call.exercise,
            "FAILED",
            "; ".join(refused) + ": the grader does not run this; compute the answer from the "
            "arguments with NumPy",
        )
    try:
        with Sandbox(cells, call.function, limits, blocked_for(allowed)) as sandbox:

            def stand_in(*args: Any, **kwargs: Any) -> Any:
                return sandbox.call(*args, **kwargs)

            stand_in.__name__ = stand_in.__qualname__ = call.function
            if sandbox.signature is not None:
                stand_in.__signature__ = sandbox.signature  # type: ignore[attr-defined]
            with _captured() as printed:
                call.check(sandbox.value if sandbox.has_value else stand_in)
    except OSError as err:  # the machine refused a process or a pipe
        return Exercise(call.exercise, "ERROR", f"the grader could not start a process: {err}")
    except Exception as err:  # noqa: BLE001 - a check that fails by itself is not the student's
        return Exercise(
            call.exercise, "ERROR", f"the check itself failed: {type(err).__name__}: {err}"
        )
    except Stopped as stop:
        verdict = {"borrowed": "BORROWED", "setup": "FAILED", "missing": "FAILED"}.get(
            stop.kind, "FAILED"
        )
        if stop.kind == "setup" and "the lesson's setup" in stop.message:
            verdict = "ERROR"
        return Exercise(call.exercise, verdict, stop.message)
    return _verdict_of(call, printed.getvalue())


# --- one notebook ------------------------------------------------------------------------


def grade_notebook(
    submission: str | Path,
    reference: str | Path,
    limits: Limits | None = None,
    only: frozenset[str] | None = None,
) -> NotebookReport:
    """Grade ``submission`` against the notebook ``reference`` (only the exercises whose ids
    are in ``only``, if given); never raises for a bad submission (the report's ``error``
    says what is wrong with it)."""
    start = time.monotonic()
    report = NotebookReport(str(submission))
    try:
        ref = read_notebook(reference)
    except ValueError as err:
        report.error = f"the reference cannot be used: {err}"
        return report
    ref_cells = [c for _, c in code_cells(ref)]
    try:
        calls = [c for c in find_checks(ref) if only is None or c.exercise in only]
    except (ImportError, AttributeError, ValueError) as err:
        report.error = f"the reference's check cells cannot be resolved: {err}"
        return report
    try:
        theirs = read_notebook(submission)
        submitted = match_exercises(ref_cells, theirs, str(submission))
    except ValueError as err:
        report.error = str(err)
        report.exercises = [
            Exercise(c.exercise, "ERROR", "the notebook could not be graded (see its error)")
            for c in calls
        ]
        report.seconds = time.monotonic() - start
        return report
    for call in calls:
        if call.exercise_cell not in submitted:
            ex = Exercise(call.exercise, "ERROR", "the exercise cell is missing from the notebook")
        else:
            ex = run_check(call, ref_cells, submitted, limits or Limits())
        ex.function = call.function
        report.exercises.append(ex)
    report.seconds = time.monotonic() - start
    return report
