"""Exercise checks of lessons 01-03: right answers pass, classic mistakes are named.

Each answer below is written the way a learner would write it (loops, plain numpy),
independently of the reference inside lessons_lib.checks.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from lessons_lib import checks


def _verdict(capsys, check, answer) -> tuple[bool, str]:
    ok = check(answer)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1, lines  # exactly one deterministic line
    return ok, lines[0]


def _not_attempted(*args, **kwargs):
    raise NotImplementedError("write the update here")


# ----------------------------------------------------------------------- 1.1 gd_step
def gd_step(w, g, learning_rate):
    return w - learning_rate * g


GD_MISTAKES = {
    "sign error": lambda w, g, learning_rate: w + learning_rate * g,
    "learning rate is missing": lambda w, g, learning_rate: w - g,
    "returned the step, not the new point": lambda w, g, learning_rate: -learning_rate * g,
    "divided by the learning rate": lambda w, g, learning_rate: w - g / learning_rate,
}


# --------------------------------------------------------------- 1.2 max_stable_lr
def max_stable_lr(eigenvalues):
    return 2.0 / max(eigenvalues)


STABLE_MISTAKES = {
    "not the limit": lambda eigenvalues: 1.0 / max(eigenvalues),
    "largest one sets the limit": lambda eigenvalues: 2.0 / min(eigenvalues),
    "is the best learning rate": lambda eigenvalues: 2.0 / (max(eigenvalues) + min(eigenvalues)),
    "not the sum": lambda eigenvalues: 2.0 / sum(eigenvalues),
}


# -------------------------------------------------------------- 2.1 ewma_corrected
def _ewma(x, beta, first_t=1, correct=True, into_state=False, swap=False, no_scale=False):
    out, v = [], 0.0
    with np.errstate(all="ignore"):
        for t, xt in enumerate(x, start=first_t):
            if swap:
                v = (1 - beta) * v + beta * xt
            else:
                v = beta * v + (1.0 if no_scale else 1 - beta) * xt
            value = v / (1 - beta**t) if correct else v
            if into_state:
                v = value
            out.append(value)
    return np.array(out)


def ewma_corrected(x, beta):
    return _ewma(x, beta)


EWMA_MISTAKES = {
    "no bias correction": lambda x, beta: _ewma(x, beta, correct=False),
    "you used beta**(t-1)": lambda x, beta: _ewma(x, beta, first_t=0),
    "you used beta**(t+1)": lambda x, beta: _ewma(x, beta, first_t=2),
    "into the running average itself": lambda x, beta: _ewma(x, beta, into_state=True),
    "beta and 1 - beta are swapped": lambda x, beta: _ewma(x, beta, swap=True),
    "the factor (1 - beta) on x_t is missing": lambda x, beta: _ewma(x, beta, no_scale=True),
}


# ------------------------------------------------------------- 2.2 ewma_step (bias correction)
def ewma_step(m, x, beta, t):
    m = beta * m + (1 - beta) * x
    return m, m / (1 - beta**t)


def _step_with(divisor=None, keep_corrected=False, swapped=False):
    def step(m, x, beta, t):
        new = beta * m + (1 - beta) * x
        with np.errstate(divide="ignore", invalid="ignore"):
            shown = new / (divisor(beta, t) if divisor else 1 - beta**t)
        kept = shown if keep_corrected else new
        return (shown, kept) if swapped else (kept, shown)

    return step


STEP_MISTAKES = {
    "no correction": _step_with(divisor=lambda beta, t: 1.0),
    "you used beta**(t-1)": _step_with(divisor=lambda beta, t: 1 - beta ** (t - 1)),
    "you used beta**(t+1)": _step_with(divisor=lambda beta, t: 1 - beta ** (t + 1)),
    "you divided by (1 - beta), a constant": _step_with(divisor=lambda beta, t: 1 - beta),
    "you divided by (1 - beta)**t": _step_with(divisor=lambda beta, t: (1 - beta) ** t),
    "you divided by beta**t": _step_with(divisor=lambda beta, t: beta**t),
    "you multiplied by the correction factor": _step_with(
        divisor=lambda beta, t: 1 / (1 - beta**t)
    ),
    "you corrected the stored state": _step_with(keep_corrected=True),
    "the two return values are swapped": _step_with(swapped=True),
}


# --------------------------------------------------------------- 3.1 momentum_step
def momentum_step(w, m, g, learning_rate, beta):
    m = beta * m + (1 - beta) * g
    return w - learning_rate * m, m


def _classical(w, m, g, learning_rate, beta):
    v = beta * m - learning_rate * g
    return w + v, v


def _no_one_minus_beta(w, m, g, learning_rate, beta):
    m = beta * m + g
    return w - learning_rate * m, m


def _plus(w, m, g, learning_rate, beta):
    m = beta * m + (1 - beta) * g
    return w + learning_rate * m, m


def _old_velocity(w, m, g, learning_rate, beta):
    w_new = w - learning_rate * m
    return w_new, beta * m + (1 - beta) * g


def _swapped(w, m, g, learning_rate, beta):
    m = (1 - beta) * m + beta * g
    return w - learning_rate * m, m


MOMENTUM_MISTAKES = {
    "this is the classical form": _classical,
    "the factor (1 - beta) is missing": _no_one_minus_beta,
    "sign error": _plus,
    "used the old velocity": _old_velocity,
    "beta and 1 - beta are swapped": _swapped,
}


# ------------------------------------------------------------ 3.2 optimal_momentum
def optimal_momentum(mu, L):
    kappa = L / mu
    rate = (kappa**0.5 - 1) / (kappa**0.5 + 1)
    return 4 / (L**0.5 + mu**0.5) ** 2, rate**2


def _with(lr=None, beta=None):
    def answer(mu, L):
        good_lr, good_beta = optimal_momentum(mu, L)
        return (good_lr if lr is None else lr(mu, L)), (good_beta if beta is None else beta(mu, L))

    return answer


def _rate(mu, L):
    return ((L / mu) ** 0.5 - 1) / ((L / mu) ** 0.5 + 1)


OPTIMAL_MISTAKES = {
    "you returned the rate itself": _with(beta=_rate),
    "beta uses the square root of kappa": _with(beta=lambda mu, L: ((L - mu) / (L + mu)) ** 2),
    "gradient descent's best step": _with(lr=lambda mu, L: 2 / (L + mu)),
    "needs square roots": _with(lr=lambda mu, L: 4 / (L + mu)),
    "EWMA form's learning rate": _with(
        lr=lambda mu, L: optimal_momentum(mu, L)[0] / (1 - optimal_momentum(mu, L)[1])
    ),
}


EXERCISES = [
    ("1.1", checks.check_gd_step, gd_step, GD_MISTAKES),
    ("1.2", checks.check_max_stable_lr, max_stable_lr, STABLE_MISTAKES),
    ("2.1", checks.check_ewma_corrected, ewma_corrected, EWMA_MISTAKES),
    ("2.2", checks.check_bias_correction_step, ewma_step, STEP_MISTAKES),
    ("3.1", checks.check_momentum_step, momentum_step, MOMENTUM_MISTAKES),
    ("3.2", checks.check_optimal_momentum, optimal_momentum, OPTIMAL_MISTAKES),
]
IDS = [e[0] for e in EXERCISES]


@pytest.mark.parametrize("exercise, check, answer, _", EXERCISES, ids=IDS)
def test_right_answer_passes(capsys, exercise, check, answer, _):
    ok, line = _verdict(capsys, check, answer)
    assert ok
    assert line == f"PASSED exercise {exercise}: all 3 cases match the reference"


@pytest.mark.parametrize(
    "exercise, check, wrong, message",
    [(e, c, w, m) for e, c, _, ms in EXERCISES for m, w in ms.items()],
    ids=[f"{e}-{m}" for e, _, _, ms in EXERCISES for m in ms],
)
def test_classic_mistake_is_named(capsys, exercise, check, wrong, message):
    ok, line = _verdict(capsys, check, wrong)
    assert not ok
    assert line.startswith(f"FAILED exercise {exercise}: ")
    assert message in line


@pytest.mark.parametrize("exercise, check, _a, _m", EXERCISES, ids=IDS)
def test_stub_is_not_attempted(capsys, exercise, check, _a, _m):
    ok, line = _verdict(capsys, check, _not_attempted)
    assert not ok
    assert line == f"NOT ATTEMPTED exercise {exercise}: write the update here"


@pytest.mark.parametrize("exercise, check, answer, _", EXERCISES, ids=IDS)
def test_unknown_error_gets_the_generic_message(capsys, exercise, check, answer, _):
    def slightly_off(**kwargs):
        out = answer(**kwargs)
        parts = out if isinstance(out, tuple) else (out,)
        bumped = tuple(np.asarray(p) * 1.01 + 1e-3 for p in parts)
        return bumped if isinstance(out, tuple) else bumped[0]

    ok, line = _verdict(capsys, check, slightly_off)
    assert not ok
    assert "does not match the reference" in line


@pytest.mark.parametrize("exercise, check, _a, _m", EXERCISES, ids=IDS)
def test_crash_is_reported_not_raised(capsys, exercise, check, _a, _m):
    def crashes(**kwargs):
        return kwargs["no such argument"]

    ok, line = _verdict(capsys, check, crashes)
    assert not ok
    assert line.startswith(f"FAILED exercise {exercise}: case 1 raised KeyError")


def test_answers_that_modify_their_inputs_still_get_fair_cases(capsys):
    def in_place(w, m, g, learning_rate, beta):
        m *= beta
        m += (1 - beta) * g
        w -= learning_rate * m
        return w, m

    ok, _ = _verdict(capsys, checks.check_momentum_step, in_place)
    assert ok


def test_ewma_mistake_variants_raise_no_warnings(capsys):
    # the t-1 variant divides by 1 - beta**0 = 0; the check must stay silent about it
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checks.check_ewma_corrected(EWMA_MISTAKES["you used beta**(t-1)"])
    assert "beta**(t-1)" in capsys.readouterr().out


def test_bias_correction_step_must_use_the_step_number_it_is_given(capsys):
    """A step that counts its own calls instead of using t fails on the resumed run
    (t = 7 with a state handed over), with the generic message."""
    calls = []

    def own_counter(m, x, beta, t):
        calls.append(1)
        m = beta * m + (1 - beta) * x
        return m, m / (1 - beta ** len(calls))

    ok, line = _verdict(capsys, checks.check_bias_correction_step, own_counter)
    assert not ok
    assert "does not match the reference" in line


def test_bias_correction_step_mistakes_raise_no_warnings(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checks.check_bias_correction_step(STEP_MISTAKES["you used beta**(t-1)"])
    assert "beta**(t-1)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "prediction, verdict",
    [
        (1.0, "Your prediction 1 is wrong."),
        (1.5, "Your prediction 1.5 is right."),
        (np.float32(1.5), "Your prediction 1.5 is right."),
    ],
)
def test_reveal_fastest_learning_rate(capsys, prediction, verdict):
    fastest = checks.reveal_fastest_learning_rate(prediction)
    out = capsys.readouterr().out
    assert fastest == 1.5
    assert verdict in out
    rows = [line.split() for line in out.splitlines()[1:5]]
    assert [float(r[0]) for r in rows] == [0.5, 1.0, 1.5, 1.9]
    steps = [int(r[2]) for r in rows]
    assert min(steps) == steps[2]  # the printed table agrees with the verdict


@pytest.mark.parametrize(
    "reveal, prediction, message",
    [
        (checks.reveal_fastest_learning_rate, None, "No prediction committed yet"),
        (checks.reveal_fastest_learning_rate, "fast", "should be one of 0.5, 1.0, 1.5, 1.9"),
        (checks.reveal_fastest_learning_rate, 0.7, "(a number), not 0.7"),
        (checks.reveal_fastest_learning_rate, "1.5", "(a number), not '1.5'"),
        (checks.reveal_fastest_learning_rate, True, "(a number), not True"),
        (checks.reveal_steps_to_level, None, "No prediction committed yet"),
        (checks.reveal_steps_to_level, "soon", "should be one number"),
        (checks.reveal_steps_to_level, 0, "should be a number > 0"),
        (checks.reveal_steps_to_level, float("nan"), "should be a number > 0"),
    ],
)
def test_reveal_hides_the_answer_until_a_valid_prediction(capsys, reveal, prediction, message):
    assert reveal(prediction) is None
    out = capsys.readouterr().out.strip()
    assert len(out.splitlines()) == 1 and message in out
    assert "then run this cell again" in out
    assert not re.search(r"\d{2}", out)  # no step counts or rates given away


@pytest.mark.parametrize(
    "prediction, verdict",
    [(100, "0.33 times the truth"), (300, "within 10 %"), (np.int64(290), "within 10 %")],
)
def test_reveal_steps_to_level(capsys, prediction, verdict):
    truth = checks.reveal_steps_to_level(prediction)
    out = capsys.readouterr().out
    assert 1 - 0.99**truth >= 0.95 > 1 - 0.99 ** (truth - 1)  # the first such step
    assert f"step t = {truth} " in out
    assert verdict in out
