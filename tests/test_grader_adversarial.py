"""The grader against tricks, and against honest answers written in many ways.

A hand-made lesson with five exercises of four lessons (1.1 gd_step, 3.1 momentum_step,
4.1 nesterov_step with its grad_fn argument, 5.1 rmsprop_step, 6.1 adam_step) is handed
out with ``student_notebook``; each submission replaces stubs by answers. Honest answers
and named mistakes must get the very verdict line the check prints when it runs in this
process; tricks must be graded as what they are. One ``grade_class`` call per group, so the
children start in parallel.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest

from lessons_lib import checks
from lessons_lib.coursework import student_notebook
from lessons_lib.grading.gradebook import grade_class
from lessons_lib.grading.sandbox import Limits

LIMITS = Limits(seconds=2.0, setup_seconds=8.0, megabytes=400)
SETUP = """%matplotlib inline
import numpy as np

from lessons_lib.checks import (
    check_adam_step, check_gd_step, check_momentum_step, check_nesterov_step, check_rmsprop_step
)
from lessons_lib.optimizers import SGD, Adam
EPSILON = 1e-7  # a lesson constant"""

SIGNATURES = {
    "gd_step": ("1.1", "def gd_step(w, g, learning_rate):"),
    "momentum_step": ("3.1", "def momentum_step(w, m, g, learning_rate, beta):"),
    "nesterov_step": ("4.1", "def nesterov_step(w, v, grad_fn, learning_rate, momentum):"),
    "rmsprop_step": ("5.1", "def rmsprop_step(w, s, g, learning_rate, rho, epsilon):"),
    "adam_step": ("6.1", "def adam_step(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon):"),
}

# Correct answers, several ways each: other algebra, numpy functions, in-place updates,
# float32 arithmetic, helpers and prints inside the cell. The first is the reference.
HONEST = {
    "gd_step": [
        ["return w - learning_rate * g"],
        ["return np.subtract(w, np.multiply(learning_rate, g))"],
        ["w -= learning_rate * g  # in place: the grader sends copies", "return w"],
        ["w32, g32 = w.astype(np.float32), g.astype(np.float32)",
         "return w32 - np.float32(learning_rate) * g32"],
        ["def step(x):", "    return learning_rate * x", "print('debug', w)", "return w - step(g)"],
    ],
    "momentum_step": [
        ["m = beta * m + (1 - beta) * g", "return w - learning_rate * m, m"],
        ["m = m + (1 - beta) * (g - m)", "return w - learning_rate * m, m"],
        ["m *= beta", "m += (1 - beta) * g", "w -= learning_rate * m", "return w, m"],
        ["m = (np.float32(beta) * m.astype(np.float32) + np.float32(1 - beta) * g)",
         "return (w - np.float32(learning_rate) * m).astype(np.float32), m"],
        ["new = np.add(np.multiply(beta, m), np.multiply(1 - beta, g))",
         "return np.subtract(w, learning_rate * new), new"],
    ],
    "nesterov_step": [
        ["v = momentum * v - learning_rate * grad_fn(w + momentum * v)", "return w + v, v"],
        ["look = np.add(w, momentum * v)", "g = grad_fn(look)",
         "v_new = np.subtract(momentum * v, learning_rate * g)", "return w + v_new, v_new"],
        ["v *= momentum", "v -= learning_rate * grad_fn(w + v)", "w += v", "return w, v"],
    ],
    "rmsprop_step": [
        ["s = rho * s + (1 - rho) * g**2",
         "return w - learning_rate * g / np.sqrt(s + epsilon), s"],
        ["s = rho * s + (1 - rho) * np.square(g)",
         "return w - learning_rate * g * (s + epsilon) ** -0.5, s"],
        ["s *= rho", "s += (1 - rho) * g * g", "w -= learning_rate * g / np.sqrt(s + epsilon)",
         "return w, s"],
        ["s = (rho * s + (1 - rho) * g**2).astype(np.float32)",
         "return (w - learning_rate * g / np.sqrt(s + np.float32(epsilon))).astype(np.float32), s"],
    ],
    "adam_step": [
        ["m = beta_1 * m + (1 - beta_1) * g", "v = beta_2 * v + (1 - beta_2) * g**2",
         "m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)",
         "return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v"],
        # the same algebra arranged as Keras does, with epsilon scaled to match the paper
        ["m = m + (1 - beta_1) * (g - m)", "v = v + (1 - beta_2) * (g * g - v)",
         "c2 = np.sqrt(1 - beta_2**t)", "alpha = learning_rate * c2 / (1 - beta_1**t)",
         "return w - alpha * m / (np.sqrt(v) + epsilon * c2), m, v"],
        ["m *= beta_1", "m += (1 - beta_1) * g", "v *= beta_2", "v += (1 - beta_2) * g**2",
         "w -= learning_rate * (m / (1 - beta_1**t)) / (np.sqrt(v / (1 - beta_2**t)) + epsilon)",
         "return w, m, v"],
        ["f = np.float32", "m = f(beta_1) * m.astype(f) + f(1 - beta_1) * g.astype(f)",
         "v = f(beta_2) * v.astype(f) + f(1 - beta_2) * g.astype(f) ** 2",
         "step = f(learning_rate) * (m / f(1 - beta_1**t)) / (np.sqrt(v / f(1 - beta_2**t)) "
         "+ f(epsilon))", "return w.astype(f) - step, m, v"],
    ],
}  # fmt: skip

# Named mistakes, written as a learner would: each must get the check's diagnosis.
MISTAKES = {
    "gd_step": [
        ["return w + learning_rate * g"],
        ["return w - g"],
        ["return -learning_rate * g"],
        ["return w - g / learning_rate"],
    ],
    "momentum_step": [
        ["v = beta * m - learning_rate * g", "return w + v, v"],
        ["m = beta * m + g", "return w - learning_rate * m, m"],
        ["m_new = beta * m + (1 - beta) * g", "return w - learning_rate * m, m_new"],
        ["m = (1 - beta) * m + beta * g", "return w - learning_rate * m, m"],
    ],
    "nesterov_step": [
        ["v = momentum * v - learning_rate * grad_fn(w)", "return w + v, v"],
        ["v = momentum * v - learning_rate * grad_fn(w - momentum * v)", "return w + v, v"],
    ],
    "rmsprop_step": [
        ["s = rho * s + (1 - rho) * g**2",
         "return w - learning_rate * g / (np.sqrt(s) + epsilon), s"],
        ["s = rho * s + (1 - rho) * g**2", "return w - learning_rate * g / np.sqrt(s), s"],
        ["s = (1 - rho) * s + rho * g**2",
         "return w - learning_rate * g / np.sqrt(s + epsilon), s"],
        ["s_new = rho * s + (1 - rho) * g**2",
         "return w - learning_rate * g / np.sqrt(s + epsilon), s_new"],
    ],
    "adam_step": [
        ["m = beta_1 * m + (1 - beta_1) * g", "v = beta_2 * v + (1 - beta_2) * g**2",
         "m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)",
         "return w - learning_rate * m_hat / np.sqrt(v_hat + epsilon), m, v"],
        ["m = beta_1 * m + (1 - beta_1) * g", "v = beta_2 * v + (1 - beta_2) * g**2",
         "return w - learning_rate * m / (np.sqrt(v) + epsilon), m, v"],
        ["m = beta_1 * m + (1 - beta_1) * g", "v = 0.99 * v + 0.01 * g**2",
         "m_hat, v_hat = m / (1 - beta_1**t), v / (1 - 0.99**t)",
         "return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v"],
        ["m = beta_1 * m + (1 - beta_1) * g", "v = beta_2 * v + (1 - beta_2) * g**2",
         "alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)",
         "return w - alpha * m / (np.sqrt(v) + epsilon), m, v"],
    ],
}  # fmt: skip


def exercise_cell(function: str, body: list[str], cell_id: str) -> dict:
    signature = SIGNATURES[function][1]
    lines = [signature, "    # Hint: the formula of the lesson", "    ### BEGIN SOLUTION"]
    lines += ["    " + x for x in body] + ["    ### END SOLUTION"]
    return code("\n".join(lines), cell_id)


def code(source: str, cell_id: str, outputs: list | None = None) -> dict:
    return {"cell_type": "code", "id": cell_id, "metadata": {}, "execution_count": None,
            "source": source, "outputs": outputs or []}  # fmt: skip


def lesson(functions: list[str]) -> dict:
    """The instructor's notebook: setup, then per function its exercise and check cells."""
    cells = [{"cell_type": "markdown", "id": "title", "metadata": {}, "source": "# Quiz"}]
    cells.append(code(SETUP, "setup"))
    for f in functions:
        cells.append(exercise_cell(f, HONEST[f][0], f"ex-{f}"))
        cells.append(code(f"ok = check_{f}({f})", f"check-{f}"))
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


def answer(handout: dict, bodies: dict[str, list[str]]) -> dict:
    """The handout with the stub of each function in ``bodies`` replaced."""
    nb = copy.deepcopy(handout)
    for cell in nb["cells"]:
        for f, body in bodies.items():
            if cell["id"] == f"ex-{f}":
                cell["source"] = "\n".join([SIGNATURES[f][1]] + ["    " + x for x in body])
    return nb


def in_process(function: str, body: list[str]) -> str:
    """The verdict line the check prints for this answer run here, in the test."""
    namespace: dict = {"np": np}
    source = "\n".join([SIGNATURES[function][1]] + ["    " + x for x in body])
    exec(compile(source, "answer", "exec"), namespace)  # noqa: S102 - the test's own answers
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        getattr(checks, f"check_{function}")(namespace[function])
    return out.getvalue().strip().splitlines()[-1]


def grade_folder(tmp_path: Path, functions: list[str], submissions: dict[str, dict]):
    """Write the handout and one folder per submission, grade them all in one call."""
    handout, _ = student_notebook(lesson(functions))
    (tmp_path / "handout.ipynb").write_text(json.dumps(handout))
    for name, nb in submissions.items():
        folder = tmp_path / "class" / name
        folder.mkdir(parents=True)
        (folder / "quiz.ipynb").write_text(json.dumps(nb) if isinstance(nb, dict) else nb)
    return grade_class([tmp_path / "class"], tmp_path / "handout.ipynb", jobs=2, limits=LIMITS)


def line(book, student: str, function: str) -> str:
    ex = SIGNATURES[function][0]
    verdict = book.verdicts[student][ex].upper()
    return f"{verdict} exercise {ex}: {book.messages[student][ex]}"


@pytest.mark.parametrize("group", ["honest", "mistakes"])
def test_answers_get_the_verdict_the_check_gives_in_process(tmp_path, group):
    """Every honest variant passes and every named mistake is diagnosed, exactly as the check
    says when the same function runs in this process (the grader adds nothing, hides nothing)."""
    table = HONEST if group == "honest" else MISTAKES
    functions = list(SIGNATURES)
    handout, _ = student_notebook(lesson(functions))
    rounds = max(len(v) for v in table.values())
    submissions = {
        f"{group}{k}": answer(handout, {f: v[k] for f, v in table.items() if k < len(v)})
        for k in range(rounds)
    }
    book = grade_folder(tmp_path, functions, submissions)
    for k in range(rounds):
        for f, variants in table.items():
            if k >= len(variants):
                continue
            want = in_process(f, variants[k])
            got = line(book, f"{group}{k}", f)
            assert got == want, f"{f} variant {k}"
            if group == "honest":
                assert got.startswith("PASSED"), f"{f} variant {k}: {got}"
            else:
                assert got.startswith("FAILED") and "does not match" not in got, got


WRONG_GD = "return w + learning_rate * g  # uphill"
FAKE = "PASSED exercise 1.1: all 3 cases match the reference"
# trick -> (gd_step body, how the rest of the notebook is changed, verdict of 1.1, words)
TRICKS = {
    "rebinds the check": (
        [WRONG_GD.replace("return", "result ="), "return result"], "rebind", "FAILED",
        "sign error"),
    "patches lessons_lib.checks": (
        ["import lessons_lib.checks as c", "c.check_gd_step = lambda f: True", WRONG_GD],
        None, "BORROWED", "imports lessons_lib.checks"),
    "patches numpy": (
        ["np.allclose = lambda *a, **k: True", "np.isclose = lambda *a, **k: True", WRONG_GD],
        None, "FAILED", "sign error"),
    "prints a fake verdict": ([f"print({FAKE!r})", WRONG_GD], None, "FAILED", "sign error"),
    "edits the check cell": (None, "check_cell", "NOT ATTEMPTED", "the formula of the lesson"),
    "saves fake outputs": (None, "outputs", "NOT ATTEMPTED", "the formula of the lesson"),
    "calls the library's reference": (
        ["from lessons_lib.optimizers import SGD as S", "return S(learning_rate).step(w, g)"],
        None, "BORROWED", "imports lessons_lib.optimizers"),
    "uses the lesson's import of the reference": (
        ["return SGD(learning_rate).step(w, g)"], None, "BORROWED",
        "uses SGD, which the lesson imports from lessons_lib.optimizers"),
    "imports keras' optimizer": (
        ["import keras", "opt = keras.optimizers.SGD(learning_rate)", "return w"],
        None, "BORROWED", "imports keras"),
    "hides the import": (
        ["m = __import__('lessons_' + 'lib.optimizers')", "return w"], None, "FAILED",
        "uses __import__"),
    "climbs to builtins": (
        ["b = ().__class__.__base__.__subclasses__()", "return w"], None, "FAILED",
        "uses the attribute __class__"),
    "reaches the process": (["import os", "os.kill(os.getppid(), 9)"], None, "FAILED",
                            "imports os"),
    "loops forever": (["while True:", "    pass"], None, "FAILED",
                      "one call of your function took longer than 2 s"),
    "loops at import": (None, "top_loop", "FAILED", "running the exercise cell took longer"),
    "bombs memory": (["x = np.ones((1 << 37,))", "return x"], None, "FAILED",
                     "used more than 400 MB of memory"),
    "grows memory": (["x = []", "while True:", "    x.append(np.zeros(1 << 25))"], None,
                     "FAILED", "used more than 400 MB of memory"),
}  # fmt: skip


def trick_notebook(handout: dict, body, change) -> dict:
    nb = answer(handout, {"gd_step": body}) if body else copy.deepcopy(handout)
    cells = {c["id"]: c for c in nb["cells"]}
    if change == "rebind":
        cells["ex-gd_step"]["source"] += (
            f"\n\ncheck_gd_step = lambda f: print({FAKE!r}) or True\nok = True"
        )
    elif change == "check_cell":
        cells["check-gd_step"]["source"] = f"print({FAKE!r})"
    elif change == "outputs":
        stream = {"output_type": "stream", "name": "stdout", "text": FAKE + "\n"}
        cells["check-gd_step"]["outputs"] = [stream]
        cells["ex-gd_step"]["outputs"] = [stream]
    elif change == "top_loop":
        cells["ex-gd_step"]["source"] += "\nwhile True:\n    pass"
    return nb


def test_tricks_are_graded_as_what_they_are(tmp_path):
    """Each trick in exercise 1.1, with exercise 6.1 left as handed out: 1.1 gets its verdict
    and 6.1 is still graded (NOT ATTEMPTED with its hint) after a timeout or a memory bomb."""
    functions = ["gd_step", "adam_step"]
    handout, _ = student_notebook(lesson(functions))
    submissions = {
        re.sub(r"\W+", "_", name): trick_notebook(handout, body, change)
        for name, (body, change, _, _) in TRICKS.items()
    }
    start = time.monotonic()
    book = grade_folder(tmp_path, functions, submissions)
    seconds = time.monotonic() - start
    rows = []
    for name, (_, _, verdict, words) in TRICKS.items():
        student = re.sub(r"\W+", "_", name)
        got = line(book, student, "gd_step")
        rows.append(f"{name:45s} {got}")
        assert got.startswith(verdict + " ") and words in got, got
        assert line(book, student, "adam_step").startswith(
            "NOT ATTEMPTED exercise 6.1: the formula"
        )
    print("\n".join(rows) + f"\n{len(TRICKS)} tricks graded in {seconds:.1f} s")
    assert seconds < 60
