"""Student edition and grading (lessons_lib.coursework).

Fast tests work on notebook JSON only. The grading tests start real kernels through nbval,
so they use small notebooks: the import cells, exercise cells and check cells (with their
stored reference outputs) of the lessons, plus a few hand-made exercises.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import symtable
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from lessons_lib import coursework as cw

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


def test_student_edition_changes_only_the_solution_regions(tmp_path):
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
        if k != 2:
            assert a == b, f"cell {k} changed"
    assert stu["cells"][3]["outputs"][0]["text"] == [
        "PASSED exercise 6.1: all 3 cases match the reference\n"
    ]
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


def test_merge_takes_only_exercise_cells_from_the_submission():
    reference = notebook(
        "import numpy as np", ADAM_CELL, "check(adam_step)", outputs={2: ["PASSED\n"]}
    )
    student, _ = cw.student_notebook(json.loads(nbformat.writes(reference)))
    submission = copy.deepcopy(student)
    submission["cells"][1]["source"] = "def adam_step(*a):\n    return 'mine'"
    submission["cells"][2]["source"] = "print('PASSED exercise 6.1: trust me')"
    submission["cells"][2]["outputs"] = []
    merged = cw.merge_submission(student, submission)
    assert cw._source(merged["cells"][1]) == "def adam_step(*a):\n    return 'mine'"
    assert merged["cells"][2] == student["cells"][2]
    for cell in submission["cells"]:
        cell["id"] = "renamed-" + cell["id"]  # ids lost: fall back to the order of exercises
    assert cw._source(cw.merge_submission(student, submission)["cells"][1]).endswith("'mine'")
    submission["cells"][1]["metadata"] = {}
    with pytest.raises(ValueError, match="cannot find exercise 1"):
        cw.merge_submission(student, submission, "alice.ipynb")


def test_sanitize_file_is_found_near_the_notebook_or_the_reference(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    submitted = write(notebook("print(1)"), tmp_path / "subs" / "alice" / "01.ipynb")
    assert cw.find_sanitize(submitted) is None
    (tmp_path / "handout").mkdir()
    (tmp_path / "handout" / "sanitize.cfg").write_text("")
    assert (
        cw.find_sanitize(submitted, tmp_path / "handout") == tmp_path / "handout" / "sanitize.cfg"
    )
    (tmp_path / "subs" / "notebooks").mkdir()
    (tmp_path / "subs" / "notebooks" / "sanitize.cfg").write_text("")
    found = cw.find_sanitize(submitted, tmp_path / "handout")
    assert found == tmp_path / "subs" / "notebooks" / "sanitize.cfg"


def test_report_reads_verdicts_and_explains_other_failures():
    def rec(cell, outcome, got, want, reason="", after_timeout=False):
        def items(texts):
            return [{"kind": k, "text": t} for k, t in texts]

        return {
            "cell": cell,
            "outcome": outcome,
            "got": items(got),
            "want": items(want),
            "source": f"code_{cell}()",
            "reason": reason,
            "seconds": 0.5,
            "after_timeout": after_timeout,
        }

    def ok(ex):
        return [("stdout", f"PASSED exercise {ex}: all 3 cases match the reference\n")]

    timeout = "Timeout of 3 seconds exceeded executing cell"
    records = [
        rec(0, "passed", ok("6.1"), ok("6.1")),
        rec(1, "failed", ok("6.2") + [("stdout", "debug 42\n")], ok("6.2"), "Cell outputs differ"),
        rec(2, "failed", [("error", "NameError: name 'f' is not defined")], ok("6.3")),
        rec(3, "failed", [("error", "KeyboardInterrupt: ")], ok("6.4"), timeout),
        rec(
            4, "failed", [("stdout", "0.25\n")], [("stdout", "0.5\n")], "Cell outputs differ", True
        ),
        rec(5, "skipped", [], ok("6.5")),
        rec(6, "failed", [("stdout", "FAILED exercise 6.6: sign error\n")], ok("6.6")),
    ]
    report = cw._report("06_adam.ipynb", records)
    assert [(e.id, e.verdict, e.cell) for e in report.exercises] == [
        ("6.1", "PASSED", 0),
        ("6.2", "FAILED", 1),
        ("6.3", "FAILED", 2),
        ("6.4", "FAILED", 3),
        ("6.5", "NOT RUN", 5),
        ("6.6", "FAILED", 6),
    ]
    messages = [e.message for e in report.exercises]
    assert messages[1] == (
        "the check passed, but output differs from the reference: expected '', got 'debug 42'"
    )
    assert "NameError: name 'f' is not defined (did a cell above fail?)" in messages[2]
    assert messages[3] == f"the check printed no verdict: {timeout} (an endless loop?)"
    assert messages[5] == "sign error"
    assert report.problems == [
        "code cell 4 ('code_4()'): output differs from the reference: expected '0.5', "
        "got '0.25' (after an earlier cell timed out)"
    ]
    assert not report.ok and report.seconds == 3.5
    assert cw._report("x.ipynb", records[:1]).ok


# --- grading through nbval ---------------------------------------------------------


def grade(root: Path, *paths, **kwargs):
    """Grade ``paths``; reports keyed by path relative to ``root`` without the suffix."""
    reports = cw.grade(paths, sanitize=SANITIZE, **kwargs)
    return {Path(r.path).relative_to(root).with_suffix("").as_posix(): r for r in reports}


def verdicts(report):
    return {e.id: (e.verdict, e.message) for e in report.exercises}


def replace_stub(nb: dict, cell: int, body: list[str]) -> dict:
    """A copy of a student-edition notebook with the stub line of ``cell`` replaced by ``body``."""
    nb = copy.deepcopy(nb)
    lines = "".join(nb["cells"][cell]["source"]).split("\n")
    stub = next(i for i, line in enumerate(lines) if "raise NotImplementedError(" in line)
    nb["cells"][cell]["source"] = "\n".join(lines[:stub] + body + lines[stub + 1 :])
    return nb


def region_hint(cell: str) -> str:
    return next(x.split("# Hint:", 1)[1].strip() for x in cell.splitlines() if "# Hint:" in x)


def test_grading_a_hand_made_exercise(tmp_path, capsys):
    """One grade command (--reference the handout): the handout itself, the answer pasted back,
    two slips, and a forgery (a saved wrong run, an edited check cell, re-created cells)."""
    check = "from lessons_lib.checks import check_adam_step\n_ = check_adam_step(adam_step)"
    usage = "w, m, v = adam_step(np.ones(2), 0, 0, np.ones(2), 1, 0.1, 0.9, 0.999, 1e-8)\nprint(w)"
    passed = "PASSED exercise 6.1: all 3 cases match the reference"
    ref = notebook(
        "import numpy as np",
        ADAM_CELL,
        check,
        usage,
        outputs={2: [passed + "\n"], 3: ["[0.9 0.9]\n"]},
    )
    write(ref, tmp_path / "src" / "adam.ipynb")
    assert cw.main(["student", str(tmp_path / "src"), str(tmp_path / "handout")]) == 0
    handout = tmp_path / "handout" / "adam.ipynb"
    student = json.loads(handout.read_text())
    region = ADAM_CELL.split("\n")[4:9]
    slips = {
        "pasted": region,
        "eps_inside": [x.replace("sqrt(v_hat) + epsilon", "sqrt(v_hat + epsilon)") for x in region],
        "syntax": ["    m = (beta_1 * m"],
        "forged": ["    return w - learning_rate * g, m, v  # no Adam at all"],
    }
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "adam.ipynb").write_bytes(handout.read_bytes())
    for name, body in slips.items():
        nb = replace_stub(student, 1, body)
        if name == "forged":
            nb["cells"][2]["source"] = f"print({passed!r})"
            nb["cells"][3]["outputs"][0]["text"] = "[0.2 0.2]\n"
            del nb["cells"][1]["id"], nb["cells"][2]["id"]
        (tmp_path / "sub" / f"{name}.ipynb").write_text(json.dumps(nb))
    capsys.readouterr()

    args = ["grade", str(tmp_path / "sub"), "--reference", str(handout)]
    status = cw.main(args + ["--sanitize", str(SANITIZE), "--json", str(tmp_path / "g.json")])

    printed = capsys.readouterr().out
    assert status == 1
    assert (
        f"{tmp_path / 'sub' / 'adam.ipynb'}: FAILED (0 of 1 exercises passed, 4 code cells"
        in printed
    )
    assert f"  NOT ATTEMPTED exercise 6.1: {region_hint(ADAM_CELL)}\n" in printed
    assert printed.rstrip().endswith("1 of 5 notebooks passed")
    reports = {
        Path(r["path"]).relative_to(tmp_path).with_suffix("").as_posix(): r
        for r in json.loads((tmp_path / "g.json").read_text())
    }
    assert {k for k, r in reports.items() if r["ok"]} == {"sub/pasted"}
    assert reports["sub/pasted"]["exercises"][0]["message"] == passed.split(": ", 1)[1]
    stub = reports["sub/adam"]
    (problem,) = stub["problems"]  # the usage cell fails too, and says why
    assert problem.startswith("code cell 3 ('w, m, v = adam_step(np.ones(2), 0, 0,...'): ")
    assert "NotImplementedError: m, v as moving averages" in problem
    assert problem.endswith("(an exercise above is not finished)")
    (eps,) = reports["sub/eps_inside"]["exercises"]
    assert eps["verdict"] == "FAILED" and "epsilon is inside the square root" in eps["message"]
    syntax = reports["sub/syntax"]
    assert syntax["exercises"][0]["verdict"] == "FAILED"
    assert "NameError" in syntax["exercises"][0]["message"]
    assert any("SyntaxError" in p for p in syntax["problems"])
    forged = reports["sub/forged"]  # check cell and outputs come from the handout
    assert forged["exercises"][0]["verdict"] == "FAILED"
    assert "does not match the reference" in forged["exercises"][0]["message"]
    assert forged["problems"] == []  # its saved '[0.2 0.2]' was not used as the reference
    assert not list((tmp_path / "sub").glob(".graded-*"))  # the staged copies are removed


# --- the lessons' own exercises ----------------------------------------------------
# Wrong answers written against the checks' contracts (the keyword arguments each check
# passes), so they do not depend on how a lesson words its reference solution. Each body
# ends with its own return, so whatever follows the stub in the cell is unreachable.
MISTAKES = {
    "adam_step": {
        "eps_inside_sqrt": (
            [
                "m = beta_1 * m + (1 - beta_1) * g",
                "v = beta_2 * v + (1 - beta_2) * g * g",
                "m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)",
                "return w - learning_rate * m_hat / np.sqrt(v_hat + epsilon), m, v",
            ],
            "inside the square root",
        ),
        "no_bias_correction": (
            [
                "m = beta_1 * m + (1 - beta_1) * g",
                "v = beta_2 * v + (1 - beta_2) * g * g",
                "return w - learning_rate * m / (np.sqrt(v) + epsilon), m, v",
            ],
            "no bias correction",
        ),
        "beta_2_is_0.99": (
            [
                "m = beta_1 * m + (1 - beta_1) * g",
                "v = 0.99 * v + 0.01 * g * g",
                "m_hat, v_hat = m / (1 - beta_1**t), v / (1 - 0.99**t)",
                "return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v",
            ],
            "beta_2 = 0.99",
        ),
        "sign_error": (
            [
                "m = beta_1 * m + (1 - beta_1) * g",
                "v = beta_2 * v + (1 - beta_2) * g * g",
                "m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)",
                "return w + learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v",
            ],
            "sign error",
        ),
    },
    "momentum_step": {
        "classical_unscaled_lr": (
            ["v = beta * v - learning_rate * g", "return w + v, v"],
            "classical form",
        ),
    },
}
LESSONS = sorted(NOTEBOOKS.glob("0[1-7]_*.ipynb"))


def _names(source: str) -> tuple[set[str], set[str]]:
    """(global names a cell binds, global names it reads before binding), via symtable."""
    code = "\n".join(x for x in source.splitlines() if not x.lstrip().startswith(("%", "!")))
    top = symtable.symtable(code, "cell", "exec")
    defined = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}

    def reads(table: symtable.SymbolTable) -> set[str]:
        here = {
            s.get_name()
            for s in table.get_symbols()
            if s.is_referenced() and (table is top or s.is_global())
        }
        return here.union(*(reads(child) for child in table.get_children()))

    return defined, reads(top) - defined


def exercise_slice(path: Path) -> dict:
    """The lesson cut down to its exercise and check cells plus the cells they need.

    A check cell is one whose stored output holds a verdict line; a needed cell is an
    earlier one defining a name that a kept cell reads (followed back transitively).
    Kept cells keep their stored outputs, which the grader compares with.
    """
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    names = [_names(cw._source(c)) for c in code]
    keep = {
        k
        for k, c in enumerate(code)
        if cw._is_exercise_cell(c)
        or any(cw.VERDICT.search("".join(o.get("text", ""))) for o in c.get("outputs", []))
    }
    wanted = set().union(*(names[k][1] for k in keep)) if keep else set()
    for k in range(len(code) - 1, -1, -1):
        if k not in keep and names[k][0] & wanted and any(j > k for j in keep):
            keep.add(k)
            wanted |= names[k][1]
    return {**nb, "cells": [c for k, c in enumerate(code) if k in keep]}


def exercise_functions(nb: dict) -> dict[str, int]:
    """Function name -> index of the exercise cell that defines it."""
    return {
        node.name: k
        for k, cell in enumerate(nb["cells"])
        if cw._is_exercise_cell(cell)
        for node in ast.parse(cw._source(cell)).body
        if isinstance(node, ast.FunctionDef)
    }


def with_body(nb: dict, cell: int, body: list[str]) -> dict:
    """Replace the stub of ``cell`` by ``body``, indented like the stub."""
    lines = cw._source(nb["cells"][cell]).split("\n")
    stub = next(x for x in lines if "raise NotImplementedError(" in x)
    indent = stub[: len(stub) - len(stub.lstrip())]
    return replace_stub(nb, cell, [indent + "import numpy as np"] + [indent + x for x in body])


def paste_back(student: dict, reference: dict) -> dict:
    """The student edition with each stub replaced by the reference region's inner lines."""
    nb = copy.deepcopy(student)
    for mine, ref in zip(nb["cells"], reference["cells"], strict=True):
        lines = cw._source(ref).split("\n")
        regions = cw._solution_regions(lines, "reference")
        out = cw._source(mine).split("\n")
        for begin, end in regions:
            stub = next(i for i, x in enumerate(out) if "raise NotImplementedError(" in x)
            out[stub : stub + 1] = lines[begin + 1 : end]
        if regions:
            cw._set_source(mine, "\n".join(out))
    return nb


def test_lessons_have_well_formed_exercises():
    assert LESSONS, f"no lesson notebooks in {NOTEBOOKS}"
    for path in LESSONS:
        student, n = cw.student_notebook(json.loads(path.read_text()), str(path))
        assert n >= 1, f"{path.name} has no exercise marked with '{cw.BEGIN}'"


def stored_verdicts(cell: dict) -> list[str]:
    """Exercise ids of the verdict lines in a cell's stored outputs."""
    text = "".join("".join(o.get("text", "")) for o in cell.get("outputs", []))
    return [m[1] for m in cw.VERDICT.findall(text)]


def test_lesson_exercises_stubbed_pasted_back_and_wrong(tmp_path):
    """One grade call over the lessons' exercise cells (all lessons in one notebook, to start
    few kernels): the student edition, the reference answers pasted back into it, and the
    classic mistakes in Adam (06) and momentum (03), one notebook each."""
    slices = {path.stem: exercise_slice(path) for path in LESSONS}
    ref = {**slices[LESSONS[0].stem], "cells": [c for nb in slices.values() for c in nb["cells"]]}
    student, _ = cw.student_notebook(ref)
    per_cell = [stored_verdicts(c) for c in ref["cells"]]
    ids = [x for cell_ids in per_cell for x in cell_ids]
    assert len(ids) == len(set(ids)) >= len(LESSONS), ids
    hints = {
        cw._hint(lines, begin, 0)
        for lines in (cw._source(c).split("\n") for c in ref["cells"])
        for begin, _ in cw._solution_regions(lines, "lessons")
    }
    notebooks = {"student": student, "pasted": paste_back(student, ref)}
    expected = {
        "student": {ex: ("NOT ATTEMPTED", "") for ex in ids},
        "pasted": {ex: ("PASSED", "all") for ex in ids},
    }
    for function, cell in exercise_functions(student).items():
        for slip, (body, words) in MISTAKES.get(function, {}).items():
            notebooks[slip] = with_body(student, cell, body)
            exercise = next(x for cell_ids in per_cell[cell + 1 :] for x in cell_ids)
            expected[slip] = {exercise: ("FAILED", words)}
    assert set(notebooks) - {"student", "pasted"} == {s for m in MISTAKES.values() for s in m}
    for name, nb in notebooks.items():
        (tmp_path / f"{name}.ipynb").write_text(cw._dumps(nb))

    reports = grade(tmp_path, tmp_path)

    for name, want in expected.items():
        report = reports[name]
        got = verdicts(report)
        for ex, (verdict, words) in want.items():
            assert got[ex][0] == verdict, f"{name}: {cw.format_report([report])}"
            assert words in got[ex][1], f"{name}: {cw.format_report([report])}"
        assert report.ok == (name == "pasted"), cw.format_report([report])
    assert {m for _, m in verdicts(reports["student"]).values()} <= hints  # each its own hint


def test_end_to_end_on_a_whole_lesson(tmp_path, capsys):
    """Hand out every lesson; a submission of lesson 06 with the reference answers pasted back
    passes the grade command (--reference) cell for cell."""
    lesson = NOTEBOOKS / "06_adam.ipynb"
    handout = tmp_path / "handout"
    assert cw.main(["student", str(NOTEBOOKS), str(handout)]) == 0
    student = json.loads((handout / lesson.name).read_text())
    answer = paste_back(student, json.loads(lesson.read_text()))
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / lesson.name).write_text(cw._dumps(answer))
    capsys.readouterr()

    args = ["grade", str(tmp_path / "alice"), "--reference", str(handout)]
    status = cw.main(args + ["--sanitize", str(SANITIZE)])

    printed = capsys.readouterr().out
    assert status == 0, printed
    ids = [x for cell in student["cells"] for x in stored_verdicts(cell)]
    assert ids and all(f"  PASSED exercise {x}: " in printed for x in ids), printed
    assert "other cells" not in printed
