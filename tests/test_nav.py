"""scripts/nav.py: navigation cells generated, placed, refreshed in place, idempotent."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

_SPEC = importlib.util.spec_from_file_location(
    "nav", Path(__file__).resolve().parents[1] / "scripts" / "nav.py"
)
nav = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(nav)


def _write(folder: Path, name: str, title: str | None, body: int = 2) -> Path:
    cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\nA hook." if title else "No heading")]
    cells += [nbformat.v4.new_code_cell(f"x = {i}") for i in range(body)]
    path = folder / name
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


@pytest.fixture
def lessons(tmp_path: Path) -> Path:
    _write(tmp_path, "00_index.ipynb", "Contents of the course")
    _write(tmp_path, "01_first.ipynb", "First lesson")
    _write(tmp_path, "02_second.ipynb", "Second lesson")
    _write(tmp_path, "scratch.ipynb", "Not a lesson")
    return tmp_path


def _nav_cells(path: Path) -> list[tuple[int, str]]:
    nb = nbformat.read(path, as_version=4)
    return [(i, c.source) for i, c in enumerate(nb.cells) if "nav" in c.metadata.get("tags", [])]


def test_nav_cells_placed_after_title_and_at_end(lessons: Path) -> None:
    changed = nav.update_folder(lessons)
    assert sorted(p.name for p in changed) == [
        "00_index.ipynb",
        "01_first.ipynb",
        "02_second.ipynb",
    ]
    cells = _nav_cells(lessons / "01_first.ipynb")
    assert [i for i, _ in cells] == [1, 4]  # title, nav, two code cells, nav
    assert cells[0][1] == cells[1][1]
    text = cells[0][1]
    assert "[← Contents of the course](00_index.ipynb)" in text
    assert "[Contents](00_index.ipynb)" in text
    assert "[Second lesson →](02_second.ipynb)" in text
    nbformat.validate(nbformat.read(lessons / "01_first.ipynb", as_version=4))


def test_first_and_last_lessons_have_no_missing_neighbours(lessons: Path) -> None:
    nav.update_folder(lessons)
    index = _nav_cells(lessons / "00_index.ipynb")[0][1]
    assert index == "[First lesson →](01_first.ipynb)"
    last = _nav_cells(lessons / "02_second.ipynb")[0][1]
    assert "→" not in last and "[← First lesson](01_first.ipynb)" in last


def test_non_lessons_are_left_alone(lessons: Path) -> None:
    before = (lessons / "scratch.ipynb").read_bytes()
    nav.update_folder(lessons)
    assert (lessons / "scratch.ipynb").read_bytes() == before
    assert "scratch" not in _nav_cells(lessons / "02_second.ipynb")[0][1]


def test_rerun_changes_nothing(lessons: Path) -> None:
    nav.update_folder(lessons)
    before = {p.name: p.read_bytes() for p in lessons.iterdir()}
    assert nav.update_folder(lessons) == []
    assert {p.name: p.read_bytes() for p in lessons.iterdir()} == before


def test_existing_nav_cells_are_rewritten_in_place(lessons: Path) -> None:
    nav.update_folder(lessons)
    path = lessons / "01_first.ipynb"
    ids = [c.id for c in nbformat.read(path, as_version=4).cells]
    _write(lessons, "02_second.ipynb", "Renamed lesson")
    _write(lessons, "03_third.ipynb", None)
    changed = nav.update_folder(lessons)
    assert path in changed
    nb = nbformat.read(path, as_version=4)
    assert [c.id for c in nb.cells] == ids  # same cells, same places
    assert "[Renamed lesson →](02_second.ipynb)" in nb.cells[1].source
    # a notebook without a heading is linked by its file name
    assert "[03_third →](03_third.ipynb)" in _nav_cells(lessons / "02_second.ipynb")[0][1]


def test_title_only_notebook_is_stable(tmp_path: Path) -> None:
    _write(tmp_path, "00_index.ipynb", "Index", body=0)
    _write(tmp_path, "01_one.ipynb", "One", body=0)
    nav.update_folder(tmp_path)
    assert [i for i, _ in _nav_cells(tmp_path / "01_one.ipynb")] == [1, 2]
    assert nav.update_folder(tmp_path) == []


def test_check_mode_reports_without_writing(lessons: Path) -> None:
    before = (lessons / "01_first.ipynb").read_bytes()
    assert nav.main([str(lessons), "--check"]) == 1
    assert (lessons / "01_first.ipynb").read_bytes() == before
    assert nav.main([str(lessons)]) == 0
    assert nav.main([str(lessons), "--check"]) == 0


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="folder must be a directory"):
        nav.update_folder(tmp_path / "missing")
    _write(tmp_path, "00_index.ipynb", "Index")
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "01_empty.ipynb")
    before = (tmp_path / "00_index.ipynb").read_bytes()
    with pytest.raises(ValueError, match="01_empty.ipynb: the notebook is empty"):
        nav.update_folder(tmp_path)
    assert (tmp_path / "00_index.ipynb").read_bytes() == before  # nothing half-written


def test_command_line_names_each_stale_notebook(lessons: Path, capsys) -> None:
    assert nav.main([str(lessons), "--check"]) == 1
    names = ("00_index.ipynb", "01_first.ipynb", "02_second.ipynb")
    assert capsys.readouterr().out.splitlines() == [f"out of date: {lessons / n}" for n in names]
    assert nav.main([str(lessons)]) == 0
    assert capsys.readouterr().out.splitlines() == [f"updated: {lessons / n}" for n in names]
    assert nav.main([str(lessons), "--check"]) == 0
    assert capsys.readouterr().out == "navigation up to date\n"


def test_command_line_bad_folder_is_a_usage_error(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        nav.main([str(tmp_path / "missing")])
    assert exit_.value.code == 2
    assert "folder must be a directory" in capsys.readouterr().err
