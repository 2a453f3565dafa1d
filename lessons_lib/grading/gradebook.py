"""Grade a class: every student's notebooks, in parallel, into one table (CSV and JSON).

A folder given to :func:`grade_class` holds one sub-folder per student (any depth of
notebooks inside it); notebooks lying directly in the folder are graded as one student
named after the folder. A notebook given directly belongs to the student of its folder.
Each notebook is graded against the reference notebook of the same file name. A broken,
unreadable or unmatched notebook is a row with its error, never a crash.
"""

from __future__ import annotations

import csv
import io
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .grader import NotebookReport, find_checks, grade_notebook
from .notebooks import read_notebook
from .sandbox import Limits

__all__ = ["Gradebook", "collect", "grade_class", "format_report", "format_table"]

SKIPPED = {".ipynb_checkpoints", "__pycache__"}
CELL = {
    "PASSED": "passed",
    "FAILED": "failed",
    "NOT ATTEMPTED": "not attempted",
    "BORROWED": "borrowed",
    "ERROR": "error",
}


@dataclass
class Gradebook:
    """One row per student: ``verdicts[student][exercise]`` is a CELL value."""

    exercises: list[str]
    students: list[str]
    verdicts: dict[str, dict[str, str]]
    messages: dict[str, dict[str, str]]
    errors: dict[str, list[str]]
    reports: list[NotebookReport] = field(default_factory=list)
    seconds: float = 0.0

    def passed(self, student: str) -> int:
        return sum(v == "passed" for v in self.verdicts[student].values())

    def to_csv(self) -> str:
        """student, one column per exercise, passed, out_of, errors."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["student", *self.exercises, "passed", "out_of", "errors"])
        for s in self.students:
            row = [self.verdicts[s].get(e, "not attempted") for e in self.exercises]
            writer.writerow(
                [s, *row, self.passed(s), len(self.exercises), " | ".join(self.errors[s])]
            )
        return out.getvalue()

    def to_json(self) -> str:
        rows = [
            {
                "student": s,
                "verdicts": self.verdicts[s],
                "messages": self.messages[s],
                "passed": self.passed(s),
                "out_of": len(self.exercises),
                "errors": self.errors[s],
            }
            for s in self.students
        ]
        data = {
            "exercises": self.exercises,
            "students": rows,
            "notebooks": [asdict(r) | {"ok": r.ok} for r in self.reports],
            "seconds": round(self.seconds, 2),
        }
        return json.dumps(data, indent=1) + "\n"


def _notebooks_in(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*.ipynb")
        if not any(part.startswith(".") or part in SKIPPED for part in p.relative_to(folder).parts)
    )


def collect(paths: list[str | Path]) -> dict[str, list[Path]]:
    """{student: their notebooks}; ValueError for a path that does not exist."""
    students: dict[str, list[Path]] = {}
    for path in map(Path, paths):
        if path.is_file():
            students.setdefault(path.resolve().parent.name, []).append(path)
        elif path.is_dir():
            loose = [p for p in path.glob("*.ipynb") if p.is_file()]
            if loose:
                students.setdefault(path.resolve().name, []).extend(sorted(loose))
            for sub in sorted(p for p in path.iterdir() if p.is_dir()):
                if not sub.name.startswith(".") and sub.name not in SKIPPED:
                    students.setdefault(sub.name, []).extend(_notebooks_in(sub))
        else:
            raise ValueError(f"{path} does not exist: pass notebooks or folders of them")
    if not students:
        raise ValueError(f"no notebooks or student folders in {', '.join(map(str, paths))}")
    return students


def _reference_for(notebook: Path, reference: Path) -> Path:
    return reference / notebook.name if reference.is_dir() else reference


def _columns(references: list[Path]) -> list[str]:
    ids: list[str] = []
    for ref in sorted(set(references), key=lambda p: p.name):
        try:
            ids += [c.exercise for c in find_checks(read_notebook(ref))]
        except (ValueError, ImportError, AttributeError):
            continue  # reported for each notebook that uses it
    return list(dict.fromkeys(ids))


def grade_class(
    paths: list[str | Path],
    reference: str | Path,
    jobs: int = 1,
    limits: Limits | None = None,
    only: frozenset[str] | None = None,
) -> Gradebook:
    """Grade every notebook of every student against ``reference`` (folder or notebook);
    ``only``: the ids of the exercises to grade (default: all)."""
    import time

    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    ref = Path(reference)
    if not ref.exists():
        raise ValueError(f"the reference {ref} does not exist: pass the handed-out notebooks")
    start = time.monotonic()
    students = collect(paths)
    tasks = [(s, nb) for s, notebooks in students.items() for nb in notebooks]

    def one(task: tuple[str, Path]) -> NotebookReport:
        nb = task[1]
        target = _reference_for(nb, ref)
        if not target.is_file():
            return NotebookReport(str(nb), error=f"the reference has no notebook named {nb.name}")
        return grade_notebook(nb, target, limits, only)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        reports = list(pool.map(one, tasks))
    used = [_reference_for(nb, ref) for _, nb in tasks if _reference_for(nb, ref).is_file()]
    columns = [c for c in _columns(used) if only is None or c in only]
    book = Gradebook(columns, list(students), {}, {}, {}, reports)
    for s in students:
        book.verdicts[s], book.messages[s], book.errors[s] = {}, {}, []
        if not students[s]:
            book.errors[s].append("no notebooks submitted")
    for (s, _), report in zip(tasks, reports, strict=True):
        if report.error:
            name = Path(report.path).name
            error = report.error
            book.errors[s].append(error if error.startswith(name) else f"{name}: {error}")
        for ex in report.exercises:
            book.verdicts[s][ex.id] = CELL[ex.verdict]
            book.messages[s][ex.id] = ex.message
    for s in students:
        for ex_id in book.exercises:
            book.verdicts[s].setdefault(ex_id, "not attempted")
            book.messages[s].setdefault(ex_id, "its notebook was not submitted")
    book.seconds = time.monotonic() - start
    return book


def format_report(reports: list[NotebookReport]) -> str:
    """Per notebook: a status line, then one line per exercise."""
    lines = []
    for r in reports:
        passed = sum(e.verdict == "PASSED" for e in r.exercises)
        status = "PASSED" if r.ok else "FAILED"
        lines.append(
            f"{r.path}: {status} ({passed} of {len(r.exercises)} exercises passed, "
            f"{r.seconds:.1f} s)"
        )
        if r.error:
            lines.append(f"  ERROR {r.error}")
        lines.extend(f"  {e.verdict} exercise {e.id}: {e.message}" for e in r.exercises)
    return "\n".join(lines)


def format_table(book: Gradebook) -> str:
    """The gradebook as an aligned text table (what the CSV holds, for the terminal)."""
    head = ["student", *book.exercises, "passed"]
    rows = [
        [
            s,
            *(book.verdicts[s][e] for e in book.exercises),
            f"{book.passed(s)}/{len(book.exercises)}",
        ]
        for s in book.students
    ]
    widths = [max(len(str(r[k])) for r in [head, *rows]) for k in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in [head, *rows]]  # fmt: skip
    for s in book.students:
        lines.extend(f"  {s}: {e}" for e in book.errors[s])
    return "\n".join(lines)
