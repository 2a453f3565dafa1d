"""Coursework: hand out a student edition of the lessons and grade submissions with nbval.

Two commands::

    python -m lessons_lib.coursework student SRC OUT
    python -m lessons_lib.coursework grade [--reference REF] PATH [PATH ...]

``student`` copies SRC (a folder of notebooks, or one notebook) to OUT and replaces every
marked solution region in a code cell::

    # Hint: one line, used verbatim as the NotImplementedError message
    ### BEGIN SOLUTION
    ...reference solution...
    ### END SOLUTION

by ``raise NotImplementedError("<the hint>")`` at the marker's indentation. All stored
outputs stay, so the check cells keep the reference verdict ``PASSED exercise N.k: ...``
that nbval compares the learner's run with. Exercise cells get the metadata
``{"coursework": {"exercise": true}}`` so ``grade --reference`` can find them again.

``grade`` runs nbval (strict) on the notebooks in a subprocess, with this module loaded as a
pytest plugin that records every cell's executed outputs, and prints one line per exercise
(PASSED / FAILED / NOT ATTEMPTED / NOT RUN with the check's message) plus the other cells
that failed. Exit status 0 only when every cell passes and every exercise passed; 1 otherwise;
2 for unusable input. With ``--reference`` (the student edition as handed out, or the
instructor's notebooks) only the exercise cells are taken from the submission; all other cells
and every stored output come from the reference, so saving a run or editing a check cell
cannot change the grade.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "MarkerError",
    "stub_solutions",
    "student_notebook",
    "make_student_edition",
    "merge_submission",
    "grade",
    "format_report",
    "main",
]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
HINT = "# Hint:"
DEFAULT_HINT = "write your solution here, following the formula above"
METADATA_KEY = "coursework"
VERDICT = re.compile(r"^(PASSED|FAILED|NOT ATTEMPTED) exercise ([^\s:]+): ?(.*)$", re.MULTILINE)
RESULTS_ENV = "LESSONS_COURSEWORK_RESULTS"
SKIPPED_PARTS = {".ipynb_checkpoints", "__pycache__"}


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


def _read(path: Path) -> dict[str, Any]:
    """A version-4 notebook as plain JSON (no nbformat import: it costs seconds)."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path} is not a readable notebook: {err}") from err
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
        raise ValueError(f"{path} is not a version-4 notebook; open and save it in JupyterLab")
    return nb


def _dumps(nb: dict[str, Any]) -> str:
    """JSON text laid out as nbformat writes it, so untouched cells stay byte-identical."""
    text = json.dumps(nb, indent=1, sort_keys=True, separators=(",", ": "), ensure_ascii=False)
    return text + "\n"


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _set_source(cell: dict[str, Any], text: str) -> None:
    as_lines = isinstance(cell.get("source"), list)
    cell["source"] = text.splitlines(keepends=True) if as_lines else text


def _cell_name(path: Path | str, code_index: int, source: str) -> str:
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    first = first if len(first) <= 40 else first[:37] + "..."
    return f"{path}: code cell {code_index} ({first!r})"


def _code_cells(nb: dict[str, Any]) -> Iterable[tuple[int, dict[str, Any]]]:
    """(code cell index as nbval counts them, cell) for every code cell."""
    return enumerate(c for c in nb["cells"] if c.get("cell_type") == "code")


def student_notebook(nb: dict[str, Any], name: str = "notebook") -> tuple[dict[str, Any], int]:
    """A copy of ``nb`` with every solution region stubbed; returns (copy, regions replaced).

    Outputs, execution counts, markdown and navigation cells are left as they are.
    """
    nb = copy.deepcopy(nb)
    total = 0
    for k, cell in _code_cells(nb):
        source = _source(cell)
        stubbed, n = stub_solutions(source, _cell_name(name, k, source))
        if n:
            _set_source(cell, stubbed)
            cell.setdefault("metadata", {})[METADATA_KEY] = {"exercise": True}
            total += n
    return nb, total


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


# --- reference merge -------------------------------------------------------------------


def _is_exercise_cell(cell: dict[str, Any]) -> bool:
    if cell.get("cell_type") != "code":
        return False
    if cell.get("metadata", {}).get(METADATA_KEY, {}).get("exercise"):
        return True
    return any(line.strip() == BEGIN for line in _source(cell).splitlines())


def merge_submission(
    reference: dict[str, Any], submission: dict[str, Any], name: str = "submission"
) -> dict[str, Any]:
    """The reference notebook with each exercise cell's source taken from the submission.

    Cells are matched by cell id, else by order among the exercise cells (JupyterLab keeps
    both). Every other cell, and every stored output, stays as in the reference.
    """
    graded = copy.deepcopy(reference)
    by_id = {c.get("id"): c for _, c in _code_cells(submission) if c.get("id")}
    flagged = [c for c in submission["cells"] if _is_exercise_cell(c)]
    targets = [c for c in graded["cells"] if _is_exercise_cell(c)]
    for k, cell in enumerate(targets):
        theirs = by_id.get(cell.get("id"))
        if theirs is None and len(flagged) == len(targets):
            theirs = flagged[k]
        if theirs is None:
            raise ValueError(
                f"{name}: cannot find exercise {k + 1} of the reference (cell id "
                f"{cell.get('id')!r}); keep the exercise cells of the handed-out notebook, "
                "or grade without --reference"
            )
        _set_source(cell, _source(theirs))
    return graded


# --- pytest plugin (loaded in the nbval subprocess with -p lessons_lib.coursework) ------

_records: dict[str, dict[str, Any]] = {}


def _output_items(item: Any, outputs: Any) -> list[dict[str, str]]:
    try:
        from nbval.plugin import coalesce_streams

        outputs = item.sanitize_outputs(coalesce_streams(copy.deepcopy(list(outputs or []))))
    except Exception:  # nbval internals changed: fall back to the raw outputs
        outputs = list(outputs or [])
    items = []
    for out in outputs:
        kind = out.get("output_type", "")
        if kind == "stream":
            items.append({"kind": out.get("name", "stdout"), "text": out.get("text", "")})
        elif kind == "error":
            items.append({"kind": "error", "text": f"{out.get('ename')}: {out.get('evalue')}"})
        elif "text/plain" in out.get("data", {}):
            items.append({"kind": "data", "text": out["data"]["text/plain"]})
    return items


def pytest_runtest_logreport(report: Any) -> None:
    """Record each nbval cell's outcome and nbval's one-line reason."""
    if not os.environ.get(RESULTS_ENV):
        return
    record = _records.setdefault(report.nodeid, {"seconds": 0.0})
    record["seconds"] += report.duration
    if report.when == "call" or (report.when == "setup" and not report.passed):
        # nbval marks every cell after a timed-out one xfail: it still runs, and counts
        after_timeout = hasattr(report, "wasxfail") and report.skipped
        record["outcome"] = "failed" if after_timeout else report.outcome
        record["after_timeout"] = after_timeout
        text = report.longreprtext or "" if report.failed else ""
        found = re.search(r"^Cell \d+: (.+)$", text, re.MULTILINE)
        lines = [line for line in text.splitlines() if line.strip()]
        record["reason"] = found.group(1) if found else (lines[-1] if lines else "")


def pytest_runtest_teardown(item: Any, nextitem: Any) -> None:
    """Record the cell's executed and stored outputs (sanitized as nbval compares them)."""
    if not os.environ.get(RESULTS_ENV) or not hasattr(item, "test_outputs"):
        return
    record = _records.setdefault(item.nodeid, {"seconds": 0.0})
    record.update(
        path=str(item.path),
        cell=item.cell_num,
        source=item.cell.source,
        got=_output_items(item, item.test_outputs),
        want=_output_items(item, item.cell.outputs),
    )


def pytest_sessionfinish(session: Any) -> None:
    """Write this process's records (one file per process, so pytest-xdist works too)."""
    folder = os.environ.get(RESULTS_ENV)
    records = [r for r in _records.values() if "path" in r]
    if folder and records:
        Path(folder, f"{os.getpid()}.json").write_text(json.dumps(records))


# --- grading ---------------------------------------------------------------------------


@dataclass
class Exercise:
    """One exercise's verdict, read from its check cell."""

    id: str
    verdict: str  # PASSED, FAILED, NOT ATTEMPTED or NOT RUN
    message: str
    cell: int


@dataclass
class NotebookReport:
    """The grade of one notebook."""

    path: str
    exercises: list[Exercise] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # other failing cells, one line each
    cells: int = 0
    seconds: float = 0.0
    error: str = ""

    @property
    def ok(self) -> bool:
        return (
            not self.error
            and not self.problems
            and all(e.verdict == "PASSED" for e in self.exercises)
        )


def _stdout(items: list[dict[str, str]]) -> str:
    return "".join(i["text"] for i in items if i["kind"] == "stdout")


def _error(items: list[dict[str, str]]) -> str:
    return next((i["text"] for i in items if i["kind"] == "error"), "")


def _short(text: str, width: int = 70) -> str:
    text = text.strip()
    return text if len(text) <= width else text[: width - 3] + "..."


def _difference(record: dict[str, Any]) -> str:
    """One line saying why the cell failed: a timeout, its exception or the first changed line."""
    text = _why(record)
    return text + " (after an earlier cell timed out)" if record.get("after_timeout") else text


def _why(record: dict[str, Any]) -> str:
    reason, error = record.get("reason", ""), _error(record.get("got", []))
    if reason.startswith("Timeout"):
        return f"{reason} (an endless loop?)"
    if error.startswith("NotImplementedError"):
        return f"{_short(error)} (an exercise above is not finished)"
    if error.startswith("NameError"):
        return f"{_short(error)} (did a cell above fail?)"
    if error:
        return _short(error)
    if reason and reason != "Cell outputs differ":
        return reason
    want = "".join(i["text"] for i in record.get("want", [])).splitlines()
    got = "".join(i["text"] for i in record.get("got", [])).splitlines()
    for w, g in zip(want + [""] * len(got), got + [""] * len(want), strict=False):
        if w != g:
            expected, got_line = _short(w, 50), _short(g, 50)
            return f"output differs from the reference: expected {expected!r}, got {got_line!r}"
    return "output differs from the reference (a different kind or number of outputs)"


def _exercise_verdicts(record: dict[str, Any]) -> list[Exercise]:
    got = {m[1]: (m[0], m[2]) for m in VERDICT.findall(_stdout(record.get("got", [])))}
    want = [m[1] for m in VERDICT.findall(_stdout(record.get("want", [])))]
    ids = list(dict.fromkeys([*got, *want]))
    verdicts = []
    for ex in ids:
        if ex in got:
            verdict, message = got[ex]
            if verdict == "PASSED" and record.get("outcome") == "failed":
                verdict = "FAILED"
                message = f"the check passed, but {_difference(record)}"
        elif record.get("outcome") == "skipped":
            verdict, message = "NOT RUN", "the check cell is skipped (NBVAL_SKIP)"
        else:
            verdict, message = "FAILED", f"the check printed no verdict: {_difference(record)}"
        verdicts.append(Exercise(ex, verdict, message, record.get("cell", -1)))
    return verdicts


def _report(path: str, records: list[dict[str, Any]]) -> NotebookReport:
    report = NotebookReport(path, cells=len(records))
    for record in sorted(records, key=lambda r: r["cell"]):
        report.seconds += record.get("seconds", 0.0)
        verdicts = _exercise_verdicts(record)
        report.exercises.extend(verdicts)
        if not verdicts and record.get("outcome") == "failed":
            name = _cell_name("", record["cell"], record.get("source", "")).lstrip(": ")
            report.problems.append(f"{name}: {_difference(record)}")
    return report


def _notebooks(paths: Sequence[str | Path]) -> list[Path]:
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(f for f in _files(p) if f.suffix == ".ipynb")
        elif p.is_file() and p.suffix == ".ipynb":
            found.append(p)
        else:
            raise ValueError(f"PATH {p} is neither a .ipynb notebook nor a folder")
    if not found:
        raise ValueError(f"no .ipynb notebooks found in {', '.join(map(str, paths))}")
    return list(dict.fromkeys(found))


def find_sanitize(*starts: Path) -> Path | None:
    """The first sanitize.cfg in a start folder (or a notebook's folder), one of its parents,
    or a parent's notebooks/ folder; then the same from the working directory."""
    for start in [*starts, Path.cwd()]:
        start = start.resolve()
        folders = [start] if start.is_dir() else []
        for folder in folders + list(start.parents):
            for candidate in (folder / "sanitize.cfg", folder / "notebooks" / "sanitize.cfg"):
                if candidate.is_file():
                    return candidate
    return None


def _reference_for(notebook: Path, reference: Path) -> Path:
    ref = reference / notebook.name if reference.is_dir() else reference
    if not ref.is_file():
        raise ValueError(f"--reference {reference} has no notebook named {notebook.name}")
    return ref


def _prepare(
    notebooks: list[Path], reference: Path | None, staged: list[Path]
) -> dict[str, tuple[Path, int]]:
    """Map each file nbval will run to (the submitted notebook, its number of code cells)."""
    runs: dict[str, tuple[Path, int]] = {}
    for nb_path in notebooks:
        if reference is None:
            nb = _read(nb_path)  # fail early on a broken file
            runs[str(nb_path.resolve())] = (nb_path, len(list(_code_cells(nb))))
            continue
        ref = _read(_reference_for(nb_path, reference))
        merged = merge_submission(ref, _read(nb_path), str(nb_path))
        fd, tmp = tempfile.mkstemp(
            dir=nb_path.resolve().parent, prefix=f".graded-{nb_path.stem}-", suffix=".ipynb"
        )
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_dumps(merged))
        staged.append(Path(tmp))
        runs[tmp] = (nb_path, len(list(_code_cells(merged))))
    return runs


def _run_nbval(
    files: list[str], timeout: float, jobs: int, sanitize: Path | None, results: str
) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env"]
    cmd += [f"--nbval-cell-timeout={timeout}", "-p", "lessons_lib.coursework"]
    cmd += ["-p", "no:cacheprovider", "--noconftest", "--color=no", "-q", "--tb=no"]
    cmd += ["-rN", "-c", os.devnull]
    cmd += ["--rootdir", os.path.commonpath([str(Path(f).parent) for f in files])]
    if sanitize is not None:
        cmd += ["--nbval-sanitize-with", str(sanitize)]
    if jobs > 1 and len(files) > 1:
        cmd += ["-n", str(min(jobs, len(files))), "--dist", "loadfile"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env[RESULTS_ENV] = results
    defaults = {"PYTHONHASHSEED": "0", "LESSONS_MODE": "ci", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env = defaults | env
    return subprocess.run(cmd + files, env=env, capture_output=True, text=True, check=False)


def grade(
    paths: Sequence[str | Path],
    reference: str | Path | None = None,
    timeout: float = 120.0,
    jobs: int = 1,
    sanitize: str | Path | None = None,
) -> list[NotebookReport]:
    """Run nbval on the notebooks in ``paths`` (files or folders); one report per notebook.

    ``timeout`` is nbval's per-cell limit in seconds; ``jobs`` > 1 runs notebooks in
    parallel (pytest-xdist); ``sanitize`` defaults to the nearest ``sanitize.cfg``.
    """
    if timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout}")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    notebooks = _notebooks(paths)
    ref = Path(reference) if reference is not None else None
    if ref is not None and not ref.exists():
        raise ValueError(f"--reference {ref} does not exist")
    starts = [notebooks[0]] + ([ref] if ref is not None else [])
    cfg = Path(sanitize) if sanitize is not None else find_sanitize(*starts)
    if cfg is not None and not cfg.is_file():
        raise ValueError(f"--sanitize {cfg} is not a file")
    if cfg is None:
        print("warning: no sanitize.cfg found; pass --sanitize FILE", file=sys.stderr)
    staged: list[Path] = []
    try:
        runs = _prepare(notebooks, ref, staged)
        with tempfile.TemporaryDirectory(prefix="coursework-") as results:
            proc = _run_nbval(list(runs), timeout, jobs, cfg, results)
            records = [r for f in Path(results).glob("*.json") for r in json.loads(f.read_text())]
    finally:
        for path in staged:
            path.unlink(missing_ok=True)
    reports = []
    tail = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
    for run, (nb_path, n_cells) in runs.items():
        mine = [r for r in records if Path(r["path"]).resolve() == Path(run).resolve()]
        report = _report(str(nb_path), mine)
        if not mine:
            report.error = f"nbval did not run the notebook: {tail}"
        elif len(mine) < n_cells:
            report.error = f"nbval stopped after {len(mine)} of {n_cells} code cells: {tail}"
        reports.append(report)
    return reports


def format_report(reports: Sequence[NotebookReport]) -> str:
    """The report the grade command prints: per notebook, one line per exercise."""
    lines = []
    for r in reports:
        passed = sum(e.verdict == "PASSED" for e in r.exercises)
        status = "PASSED" if r.ok else "FAILED"
        lines.append(
            f"{r.path}: {status} ({passed} of {len(r.exercises)} exercises passed, "
            f"{r.cells} code cells, {r.seconds:.1f} s)"
        )
        if r.error:
            lines.append(f"  ERROR {r.error}")
        for e in r.exercises:
            lines.append(f"  {e.verdict} exercise {e.id}: {e.message}")
        if r.problems:
            lines.append("  other cells that failed under nbval:")
            lines.extend(f"    {p}" for p in r.problems)
    if len(reports) > 1:
        good = sum(r.ok for r in reports)
        lines.append(f"{good} of {len(reports)} notebooks passed")
    return "\n".join(lines)


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
    g = sub.add_parser("grade", help="run nbval on notebooks and report each exercise")
    g.add_argument("paths", nargs="+", help="submitted notebooks or folders of them")
    g.add_argument(
        "--reference",
        help="the handed-out notebooks (folder or notebook): "
        "take only the exercise cells from the submission",
    )
    g.add_argument("--timeout", type=float, default=120.0, help="seconds per cell (120)")
    g.add_argument("--jobs", type=int, default=1, help="notebooks graded in parallel (1)")
    g.add_argument("--sanitize", help="nbval sanitize file (default: nearest sanitize.cfg)")
    g.add_argument("--json", help="also write the reports to this JSON file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (0 ok, 1 failures, 2 bad input)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "student":
            for path, n in make_student_edition(args.src, args.out):
                print(f"wrote {path} ({n} solution region{'s' if n != 1 else ''} stubbed)")
            return 0
        reports = grade(args.paths, args.reference, args.timeout, args.jobs, args.sanitize)
    except ValueError as err:  # MarkerError included
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(format_report(reports))
    if args.json:
        data = [asdict(r) | {"ok": r.ok} for r in reports]
        _write_atomic(Path(args.json), json.dumps(data, indent=1).encode())
    return 0 if all(r.ok for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
