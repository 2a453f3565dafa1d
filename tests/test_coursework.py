"""Student edition, grading of the lessons' own exercises, and the gradebook of a class
(lessons_lib.coursework). The grader's defences are tested in tests/test_grader_*.py."""

from __future__ import annotations

import ast
import csv
import json
import re
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from lessons_lib import coursework as cw
from lessons_lib.grading.gradebook import grade_class
from lessons_lib.grading.sandbox import Limits

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
SANITIZE = NOTEBOOKS / "sanitize.cfg"
KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}

ADAM_CELL = '''def adam_step(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon):
    """One step of Adam, Algorithm 1 of the paper."""
    # Hint: m, v as moving averages; m_hat, v_hat; w - lr * m_hat / (sqrt(v_hat) + epsilon)
    ### BEGIN SOLUTION
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    m_hat = m / (1 - beta_1**t)
    v_hat = v / (1 - beta_2**t)
    w = w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)
    ### END SOLUTION
    return w, m, v'''


def notebook(*cells, outputs=None):
    """A version-4 notebook of code cells (str) and markdown cells ("# ..." prefixed by 'md:')."""
    nb = new_notebook(metadata=KERNEL)
    for k, source in enumerate(cells):
        if source.startswith("md:"):
            nb.cells.append(new_markdown_cell(source[3:]))
        else:
            cell = new_code_cell(source, execution_count=k + 1)
            cell.outputs = [
                new_output("stream", name="stdout", text=t) for t in (outputs or {}).get(k, [])
            ]
            nb.cells.append(cell)
    return nb


def write(nb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


# --- student edition ---------------------------------------------------------------


def test_stub_keeps_indentation_and_uses_the_hint_verbatim():
    source, n = cw.stub_solutions(ADAM_CELL)
    assert n == 1
    lines = source.splitlines()
    hint = "m, v as moving averages; m_hat, v_hat; w - lr * m_hat / (sqrt(v_hat) + epsilon)"
    assert lines[3] == f'    raise NotImplementedError("{hint}")'
    assert "BEGIN SOLUTION" not in source and "m_hat = m" not in source
    assert lines[-1] == "    return w, m, v"
    namespace: dict = {}
    exec(compile(source, "cell", "exec"), namespace)
    with pytest.raises(NotImplementedError, match=re.escape(hint)):
        namespace["adam_step"](*range(9))


def test_stub_escapes_quotes_and_falls_back_to_a_default_hint():
    source = (
        "def f(x):\n"
        '    # Hint: return "x" doubled \\ twice\n'
        "    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
        "\n"
        "def g(x):\n"
        "    if x:\n"
        "        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION\n"
        "    return 0\n"
    )
    stubbed, n = cw.stub_solutions(source)
    assert n == 2
    namespace: dict = {}
    exec(compile(stubbed, "cell", "exec"), namespace)
    with pytest.raises(NotImplementedError) as err:
        namespace["f"](1)
    assert str(err.value) == 'return "x" doubled \\ twice'
    with pytest.raises(NotImplementedError) as err:
        namespace["g"](1)
    assert str(err.value) == cw.DEFAULT_HINT  # g's region has no hint of its own (f's is used up)
    assert "        raise NotImplementedError(" in stubbed


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("    ### BEGIN SOLUTION\n    return 1\n", "line 3: '### BEGIN SOLUTION' has no matching"),
        ("    return 1\n    ### END SOLUTION\n", "line 4: '### END SOLUTION' without"),
        (
            "    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n",
            "line 4: '### BEGIN SOLUTION' inside the region opened on line 3",
        ),
    ],
)
def test_malformed_markers_are_refused_naming_notebook_and_cell(tmp_path, body, problem):
    src = tmp_path / "src"
    write(notebook("import numpy as np", ADAM_CELL), src / "a.ipynb")
    write(notebook("x = 1", "def f():\n    # Hint: h\n" + body), src / "b.ipynb")
    out = tmp_path / "out"
    with pytest.raises(cw.MarkerError) as err:
        cw.make_student_edition(src, out)
    assert str(src / "b.ipynb") in str(err.value)
    assert "code cell 1 ('def f():')" in str(err.value)
    assert problem in str(err.value)
    assert not out.exists()  # nothing half-written, not even the good notebook


def test_student_edition_changes_only_the_solution_regions_and_answer_outputs(tmp_path):
    src = tmp_path / "notebooks"
    check = "from lessons_lib.checks import check_adam_step\ncheck_adam_step(adam_step)"
    nb = notebook(
        "md:# Adam",
        "import numpy as np",
        ADAM_CELL,
        check,
        outputs={3: ["PASSED exercise 6.1: all 3 cases match the reference\n"]},
    )
    nb.cells[3].metadata["tags"] = ["keep-me"]
    nb.cells.append(
        new_markdown_cell("[prev](05.ipynb) | [next](07.ipynb)", metadata={"tags": ["nav"]})
    )
    write(nb, src / "06_adam.ipynb")
    plain = write(notebook("md:# Index", "print(1)", outputs={1: ["1\n"]}), src / "00_index.ipynb")
    (src / "sanitize.cfg").write_text("[x]\nregex: a\nreplace: b\n")
    (src / ".ipynb_checkpoints").mkdir()
    (src / ".ipynb_checkpoints" / "06_adam-checkpoint.ipynb").write_text("{}")
    before = {p: p.read_bytes() for p in src.rglob("*") if p.is_file()}

    written = cw.make_student_edition(src, tmp_path / "student")

    assert sorted((p.name, n) for p, n in written) == [("00_index.ipynb", 0), ("06_adam.ipynb", 1)]
    assert {p: p.read_bytes() for p in src.rglob("*") if p.is_file()} == before
    out = tmp_path / "student"
    assert (out / "00_index.ipynb").read_bytes() == plain.read_bytes()
    assert (out / "sanitize.cfg").read_text() == (src / "sanitize.cfg").read_text()
    assert not (out / ".ipynb_checkpoints").exists()
    ref, stu = (json.loads((d / "06_adam.ipynb").read_text()) for d in (src, out))
    for k, (a, b) in enumerate(zip(ref["cells"], stu["cells"], strict=True)):
        if k not in (2, 3):
            assert a == b, f"cell {k} changed"
    assert ref["cells"][3]["outputs"] and not stu["cells"][3]["outputs"]  # the check's verdict
    assert stu["cells"][3]["execution_count"] is None
    assert {k: v for k, v in stu["cells"][3].items() if k not in ("outputs", "execution_count")} \
        == {k: v for k, v in ref["cells"][3].items() if k not in ("outputs", "execution_count")}
    assert stu["cells"][2]["metadata"] == {cw.METADATA_KEY: {"exercise": True}}
    assert "raise NotImplementedError(" in "".join(stu["cells"][2]["source"])
    assert {k: v for k, v in ref.items() if k != "cells"} == {
        k: v for k, v in stu.items() if k != "cells"
    }


def test_student_edition_refuses_to_touch_the_source(tmp_path):
    src = write(notebook(ADAM_CELL), tmp_path / "nb" / "06_adam.ipynb").parent
    for out in (src, src / "student", tmp_path):
        with pytest.raises(ValueError, match="overlaps SRC"):
            cw.make_student_edition(src, out)
    with pytest.raises(ValueError, match="does not exist"):
        cw.make_student_edition(tmp_path / "missing", tmp_path / "out")
    assert cw.main(["student", str(src), str(src)]) == 2
    assert "### BEGIN SOLUTION" in (src / "06_adam.ipynb").read_text()


LESSONS = sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb") if not p.name.startswith("00"))
FIXTURES = REPO / "tests" / "fixtures" / "submissions"
LIMITS = Limits(seconds=2.0, setup_seconds=8.0, megabytes=400)


def test_lessons_have_well_formed_exercises():
    assert LESSONS, f"no lesson notebooks in {NOTEBOOKS}"
    for path in LESSONS:
        student, n = cw.student_notebook(json.loads(path.read_text()), str(path))
        assert n >= 1, f"{path.name} has no exercise marked with '{cw.BEGIN}'"


def test_every_lesson_passes_its_own_answers_and_not_its_handout(tmp_path):
    """The lessons graded against themselves (every check cell found, every reference answer
    passes through the child process) and their student edition (every exercise NOT
    ATTEMPTED, with its hint)."""
    handout = tmp_path / "handout"
    cw.make_student_edition(NOTEBOOKS, handout)
    (tmp_path / "class" / "solutions").mkdir(parents=True)
    (tmp_path / "class" / "handout").mkdir()
    for path in LESSONS:
        (tmp_path / "class" / "solutions" / path.name).write_bytes(path.read_bytes())
        (tmp_path / "class" / "handout" / path.name).write_bytes((handout / path.name).read_bytes())

    book = grade_class([tmp_path / "class"], handout, jobs=2, limits=LIMITS)

    assert book.students == ["handout", "solutions"]
    per_lesson = {Path(r.path).parent.name + "/" + Path(r.path).stem: r for r in book.reports}
    for path in LESSONS:
        mine = per_lesson[f"solutions/{path.stem}"]
        assert mine.exercises, f"{path.name}: no check cell found"
        assert mine.ok, cw.format_report([mine])
        for ex in per_lesson[f"handout/{path.stem}"].exercises:
            assert ex.verdict == "NOT ATTEMPTED", cw.format_report(
                [per_lesson[f"handout/{path.stem}"]]
            )
    hints = {
        cw._hint(lines, begin, 0)
        for path in LESSONS
        for c in json.loads(path.read_text())["cells"]
        for lines in [cw._source(c).split("\n")]
        for begin, _ in cw._solution_regions(lines, path.name)
    }
    assert set(book.messages["handout"].values()) <= hints


def _answer(nb: dict, function: str, body: list[str]) -> None:
    """Replace the stub in the exercise cell that defines ``function`` by ``body``."""
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or not cw._is_exercise_cell(cell):
            continue
        tree = ast.parse(cw._source(cell))
        if not any(isinstance(n, ast.FunctionDef) and n.name == function for n in tree.body):
            continue
        lines = cw._source(cell).split("\n")
        stub = next(i for i, x in enumerate(lines) if "raise NotImplementedError(" in x)
        indent = lines[stub][: len(lines[stub]) - len(lines[stub].lstrip())]
        cell["source"] = "\n".join(lines[:stub] + [indent + x for x in body] + lines[stub + 1 :])
        return
    raise AssertionError(f"no exercise cell defines {function}")


def make_class(spec: dict, handout: dict, folder: Path) -> None:
    """One folder per student of ``spec`` holding their version of the lesson."""
    for student, sub in spec["students"].items():
        (folder / student).mkdir(parents=True)
        target = folder / student / spec["lesson"]
        if "raw" in sub:
            target.write_text(sub["raw"])
            continue
        nb = json.loads(json.dumps(handout))
        for function, body in sub.get("answers", {}).items():
            _answer(nb, function, body)
        for cell in nb["cells"]:
            if cell["cell_type"] == "code" and re.search(r"check_\w+\(", cw._source(cell)):
                if "check_cell" in sub:
                    cell["source"] = sub["check_cell"]
                if "fake_outputs" in sub:
                    cell["outputs"] = [
                        {"output_type": "stream", "name": "stdout", "text": sub["fake_outputs"]}
                    ]
            if sub.get("drop_ids"):
                cell.pop("id", None)
        if sub.get("drop_ids"):
            nb["nbformat_minor"] = 4
            nb["cells"].insert(1, {"cell_type": "code", "metadata": {}, "execution_count": None,
                                   "outputs": [], "source": "x = 'an extra cell'"})  # fmt: skip
        target.write_text(json.dumps(nb))


def test_gradebook_of_a_class_of_ten(tmp_path, capsys, request):
    """Ten mixed submissions of lesson 01 (one broken file) in one grade command: the CSV and
    JSON gradebooks hold one row per student with the expected verdicts, and the run is
    timed (the table and the time are printed with -s)."""
    spec = json.loads((FIXTURES / "class_01.json").read_text())
    lesson = NOTEBOOKS / spec["lesson"]
    handout, _ = cw.student_notebook(json.loads(lesson.read_text()))
    (tmp_path / "handout").mkdir()
    (tmp_path / "handout" / lesson.name).write_text(json.dumps(handout))
    make_class(spec, handout, tmp_path / "class")
    out = tmp_path / "grades"
    capsys.readouterr()

    start = time.monotonic()
    status = cw.main(
        ["grade", str(tmp_path / "class"), "--reference", str(tmp_path / "handout"),
         "--jobs", "2", "--timeout", "2", "--memory", "400",
         "--csv", f"{out}.csv", "--json", f"{out}.json"]
    )  # fmt: skip
    seconds = time.monotonic() - start

    printed = capsys.readouterr().out
    assert status == 1
    rows = list(csv.DictReader(open(f"{out}.csv", encoding="utf-8")))
    assert [r["student"] for r in rows] == sorted(spec["students"])
    for row in rows:
        want = spec["students"][row["student"]]["expect"]
        got = {ex: row[ex] for ex in want}
        assert got == want, (row["student"], printed)
        assert row["passed"] == str(sum(v == "passed" for v in row.values()))
    book = json.loads(Path(f"{out}.json").read_text())
    messages = {r["student"]: r["messages"] for r in book["students"]}
    errors = {r["student"]: r["errors"] for r in book["students"]}
    assert "not a readable notebook" in errors["ivy"][0] and not errors["ada"]
    assert "took longer than 2 s" in messages["finn"]["1.1"]
    assert "more than 400 MB" in messages["gus"]["1.1"]
    assert "sign error" in messages["cleo"]["1.1"]
    assert "imports lessons_lib.optimizers" in messages["dan"]["1.1"]
    assert "learning rate is missing" in messages["hana"]["1.1"]
    table = printed[printed.index("gradebook (") :]
    if request.config.getoption("capture") == "no":  # pytest -s shows the gradebook
        with capsys.disabled():
            print(f"\n{table}\nwall time of the grade command: {seconds:.1f} s")
    assert seconds < 60


def test_grade_refuses_unusable_input(tmp_path, capsys):
    assert cw.main(["grade", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "a.ipynb").write_text("{}")
    assert cw.main(["grade", str(tmp_path / "a.ipynb"), "--reference", str(tmp_path / "no")]) == 2
    assert "the reference" in capsys.readouterr().err
    status = cw.main(["grade", str(tmp_path / "a.ipynb"), "--reference", str(tmp_path)])
    assert status == 1  # a row with its error, not a crash
    assert "ERROR the reference cannot be used" in capsys.readouterr().out


def test_one_exercise_at_a_time_for_autograding(capsys):
    """``--exercise`` grades only that exercise (one autograding test per exercise); the
    default reference is the project's own notebooks."""
    lesson = str(NOTEBOOKS / "01_gradient_descent.ipynb")
    assert cw.main(["grade", lesson, "--exercise", "1.2"]) == 0
    printed = capsys.readouterr().out
    assert "  PASSED exercise 1.2: " in printed and "exercise 1.1" not in printed
    assert cw.main(["grade", lesson, "--exercise", "9.9"]) == 2
    assert "no exercise 9.9 in the reference" in capsys.readouterr().err


def test_handout_outputs_do_not_give_answers_away():
    """The student edition keeps the lessons' figures and printed results, but not what an
    exercise cell, a check or a predict-then-verify experiment printed."""
    for path in LESSONS:
        nb = json.loads(path.read_text())
        student, _ = cw.student_notebook(nb, str(path))
        cells = student["cells"]
        kept = sum(bool(c.get("outputs")) for c in cells)
        assert kept >= 0.5 * sum(bool(c.get("outputs")) for c in nb["cells"]) - 5, path.name
        for k, cell in enumerate(cells):
            text = "".join(cell.get("source", ""))
            shown = json.dumps(cell.get("outputs", []))
            assert "PASSED" not in shown and "prediction committed" not in shown, (path.name, k)
            if cell["cell_type"] == "code" and cw.CHECK_CALL.search(text):
                after = next((c for c in cells[k + 1 :] if c["cell_type"] == "code"), None)
                if after is not None and cells.index(after) == k + 1:
                    assert not after.get("outputs"), f"{path.name}: cell {k + 1} reveals"


@pytest.mark.parametrize(
    "source, shown",
    [
        ("ok = check_lion_step(lion_step)", True),
        ("checks.reveal_regime(predicted_regime, predicted_rate)", True),
        ("# NBVAL_IGNORE_OUTPUT\nif ok:  # nothing before a prediction\n    print(1)", True),
        ("print(lion_step(1, 2))", True),  # uses what the exercise defines
        ("plt.plot(xs)", False),
        ("oks = 3\nprint(oks)", False),
    ],
)
def test_which_cells_show_an_answer(source, shown):
    assert cw.shows_answer(source, {"lion_step"}) is shown
