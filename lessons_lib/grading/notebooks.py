"""Notebook JSON helpers shared by the student edition and the grader (no nbformat: it
costs seconds to import, and the grader must not trust a submission's structure anyway)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "BEGIN",
    "METADATA_KEY",
    "read_notebook",
    "source",
    "code_cells",
    "is_exercise_cell",
    "match_exercises",
]

BEGIN = "### BEGIN SOLUTION"
METADATA_KEY = "coursework"
MAX_BYTES = 50 << 20  # a submitted notebook larger than this is refused


def read_notebook(path: str | Path) -> dict[str, Any]:
    """A version-4 notebook as plain JSON; ValueError saying what is wrong otherwise."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValueError(f"{path.name} is larger than {MAX_BYTES >> 20} MB")
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path.name} is not a readable notebook: {err}") from err
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
        raise ValueError(f"{path.name} is not a version-4 notebook; open and save it in JupyterLab")
    if not all(isinstance(c, dict) for c in nb["cells"]):
        raise ValueError(f"{path.name} has a cell that is not a JSON object")
    return nb


def source(cell: dict[str, Any]) -> str:
    """A cell's source as one string (notebooks store it as a string or a list of lines)."""
    text = cell.get("source", "")
    if isinstance(text, list) and all(isinstance(x, str) for x in text):
        return "".join(text)
    if isinstance(text, str):
        return text
    raise ValueError("a cell's source is neither text nor a list of lines")


def code_cells(nb: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index among the code cells, cell) for every code cell."""
    return enumerate(c for c in nb["cells"] if c.get("cell_type") == "code")


def is_exercise_cell(cell: dict[str, Any]) -> bool:
    """A code cell marked ``{"coursework": {"exercise": true}}`` or holding a solution region."""
    if cell.get("cell_type", "code") != "code":
        return False
    meta = cell.get("metadata")
    mark = meta.get(METADATA_KEY) if isinstance(meta, dict) else None
    if isinstance(mark, dict) and mark.get("exercise"):
        return True
    return any(line.strip() == BEGIN for line in source(cell).splitlines())


def match_exercises(
    reference_cells: list[dict[str, Any]], submission: dict[str, Any], name: str = "submission"
) -> dict[int, str]:
    """{index of a reference exercise cell among its code cells: the submitted source}.

    A reference exercise cell is matched with the submitted code cell of the same id, else
    (when the numbers agree) with the submitted exercise cell in the same position; one
    that matches nothing is left out (the grader reports it missing).
    """
    cells = [c for _, c in code_cells(submission)]
    by_id = {c.get("id"): c for c in cells if isinstance(c.get("id"), str)}
    flagged = [c for c in cells if is_exercise_cell(c)]
    wanted = [k for k, c in enumerate(reference_cells) if is_exercise_cell(c)]
    found: dict[int, str] = {}
    for position, k in enumerate(wanted):
        theirs = by_id.get(reference_cells[k].get("id"))
        if theirs is None and len(flagged) == len(wanted):
            theirs = flagged[position]
        if theirs is not None:
            found[k] = source(theirs)
    if wanted and not found:
        raise ValueError(
            f"{name}: none of the {len(wanted)} exercise cells of the handout is in it "
            "(matched by cell id, else by order); submit the handed-out notebook"
        )
    return found
