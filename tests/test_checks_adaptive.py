"""Exercise checks of lessons 04-07: right answers pass, each classic slip fails with its
own message, a stub is NOT ATTEMPTED.

The wrong answers below are written the way a learner would write them (not taken from
the checks' own mistake lists), so these tests also show the lists catch real code.
"""

from __future__ import annotations

import numpy as np
import pytest

from lessons_lib import checks

# --------------------------------------------------------------------------- 4.1 / 4.2


def nesterov_right(w, v, grad_fn, learning_rate, momentum):
    v = momentum * v - learning_rate * grad_fn(w + momentum * v)
    return w + v, v


def nesterov_at_w(w, v, grad_fn, learning_rate, momentum):
    v = momentum * v - learning_rate * grad_fn(w)
    return w + v, v


def nesterov_minus_lookahead(w, v, grad_fn, learning_rate, momentum):
    v = momentum * v - learning_rate * grad_fn(w - momentum * v)
    return w + v, v


def nesterov_sign(w, v, grad_fn, learning_rate, momentum):
    v = momentum * v + learning_rate * grad_fn(w + momentum * v)
    return w + v, v


def nesterov_no_old_v(w, v, grad_fn, learning_rate, momentum):
    v_new = -learning_rate * grad_fn(w + momentum * v)
    return w + v_new, v_new


def nesterov_mixed(w, v, grad_fn, learning_rate, momentum):
    g = grad_fn(w + momentum * v)
    v = momentum * v - learning_rate * g
    return w + momentum * v - learning_rate * g, v


def keras_nesterov_right(w, v, g, learning_rate, momentum):
    v = momentum * v - learning_rate * g
    return w + momentum * v - learning_rate * g, v


def keras_nesterov_classical(w, v, g, learning_rate, momentum):
    v = momentum * v - learning_rate * g
    return w + v, v


def keras_nesterov_no_gradient(w, v, g, learning_rate, momentum):
    v = momentum * v - learning_rate * g
    return w + momentum * v, v


def keras_nesterov_sign(w, v, g, learning_rate, momentum):
    v = momentum * v + learning_rate * g
    return w + momentum * v + learning_rate * g, v


# --------------------------------------------------------------------------- 5.1 / 5.2


def rmsprop_right(w, s, g, learning_rate, rho, epsilon):
    s = rho * s + (1 - rho) * g**2
    return w - learning_rate * g / np.sqrt(s + epsilon), s


def rmsprop_eps_outside(w, s, g, learning_rate, rho, epsilon):
    s = rho * s + (1 - rho) * g**2
    return w - learning_rate * g / (np.sqrt(s) + epsilon), s


def rmsprop_no_eps(w, s, g, learning_rate, rho, epsilon):
    s = rho * s + (1 - rho) * g**2
    return w - learning_rate * g / np.sqrt(s), s


def rmsprop_swapped(w, s, g, learning_rate, rho, epsilon):
    s = (1 - rho) * s + rho * g**2
    return w - learning_rate * g / np.sqrt(s + epsilon), s


def rmsprop_no_one_minus(w, s, g, learning_rate, rho, epsilon):
    s = rho * s + g**2
    return w - learning_rate * g / np.sqrt(s + epsilon), s


def rmsprop_old_s(w, s, g, learning_rate, rho, epsilon):
    w_new = w - learning_rate * g / np.sqrt(s + epsilon)
    return w_new, rho * s + (1 - rho) * g**2


def rmsprop_sign(w, s, g, learning_rate, rho, epsilon):
    s = rho * s + (1 - rho) * g**2
    return w + learning_rate * g / np.sqrt(s + epsilon), s


def adagrad_right(w, s, g, learning_rate, epsilon):
    s = s + g * g
    return w - learning_rate * g / np.sqrt(s + epsilon), s


def adagrad_eps_outside(w, s, g, learning_rate, epsilon):
    s = s + g * g
    return w - learning_rate * g / (np.sqrt(s) + epsilon), s


def adagrad_no_eps(w, s, g, learning_rate, epsilon):
    s = s + g * g
    return w - learning_rate * g / np.sqrt(s), s


def adagrad_average(w, s, g, learning_rate, epsilon):
    s = 0.9 * s + 0.1 * g * g
    return w - learning_rate * g / np.sqrt(s + epsilon), s


# --------------------------------------------------------------------------- 6.1 / 6.2


def adam_right(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    m_hat = m / (1 - beta_1**t)
    v_hat = v / (1 - beta_2**t)
    return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v


def _adam(
    w,
    m,
    v,
    g,
    t,
    learning_rate,
    beta_1,
    beta_2,
    epsilon,
    *,
    inside=False,
    correct=True,
    b2=None,
    sign=1,
    t_off=0,
    hat_state=False,
):
    b2 = beta_2 if b2 is None else b2
    m = beta_1 * m + (1 - beta_1) * g
    v = b2 * v + (1 - b2) * g**2
    tt = t + t_off
    m_hat = m / (1 - beta_1**tt) if correct else m
    v_hat = v / (1 - b2**tt) if correct else v
    root = np.sqrt(v_hat + epsilon) if inside else np.sqrt(v_hat) + epsilon
    w = w - sign * learning_rate * m_hat / root
    return (w, m_hat, v_hat) if hat_state else (w, m, v)


def adam_keras_form(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    lr_t = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - lr_t * m / (np.sqrt(v) + epsilon), m, v


def adam_tutorial_sqrt_eps(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    return w - learning_rate / np.sqrt(v) * m / np.sqrt(epsilon), m, v


def _adam_with(**kw):
    return lambda *a, **k: _adam(*a, **k, **kw)


# --------------------------------------------------------------------------- 7.1


def reach_right(losses, target):
    hits = np.nonzero(losses <= target)[0]
    return int(hits[0]) if len(hits) else -1


def reach_argmax(losses, target):
    return int(np.argmax(losses <= target))


def reach_from_one(losses, target):
    for k, loss in enumerate(losses, start=1):
        if loss <= target:
            return k
    return -1


def reach_strict(losses, target):
    hits = np.nonzero(losses < target)[0]
    return int(hits[0]) if len(hits) else -1


def reach_nan_counts(losses, target):
    for k, loss in enumerate(losses):
        if not loss > target:
            return k
    return -1


def stub(*args, **kwargs):
    raise NotImplementedError("Hint: start from the formula above")


CASES = {
    "nesterov": (
        checks.check_nesterov_step,
        nesterov_right,
        [
            (nesterov_at_w, "classical momentum"),
            (nesterov_minus_lookahead, "look-ahead point has the wrong sign"),
            (nesterov_sign, "sign error"),
            (nesterov_no_old_v, "old velocity is missing"),
            (nesterov_mixed, "mixed the two forms"),
        ],
    ),
    "keras_nesterov": (
        checks.check_keras_nesterov_step,
        keras_nesterov_right,
        [
            (keras_nesterov_classical, "w + v is classical momentum"),
            (keras_nesterov_no_gradient, "lacks its gradient term"),
            (keras_nesterov_sign, "sign error"),
        ],
    ),
    "rmsprop": (
        checks.check_rmsprop_step,
        rmsprop_right,
        [
            (rmsprop_eps_outside, "epsilon is outside the square root"),
            (rmsprop_no_eps, "epsilon is missing"),
            (rmsprop_swapped, "rho and 1 - rho are swapped"),
            (rmsprop_no_one_minus, "(1 - rho) on g**2 is missing"),
            (rmsprop_old_s, "used the old s"),
            (rmsprop_sign, "sign error"),
        ],
    ),
    "adagrad": (
        checks.check_adagrad_step,
        adagrad_right,
        [
            (adagrad_eps_outside, "epsilon is outside the square root"),
            (adagrad_no_eps, "epsilon is missing"),
            (adagrad_average, "running SUM"),
        ],
    ),
    "adam": (
        checks.check_adam_step,
        adam_right,
        [
            (_adam_with(inside=True), "epsilon is inside the square root; Adam adds it outside"),
            (_adam_with(correct=False), "no bias correction: divide"),
            (_adam_with(correct=False, inside=True), "different algorithm"),
            (_adam_with(b2=0.99), "beta_2 = 0.99 is hard-coded"),
            (_adam_with(b2=0.999), "beta_2 = 0.999 is hard-coded"),
            (_adam_with(sign=-1), "sign error"),
            (_adam_with(t_off=1), "wrong t"),
            (_adam_with(t_off=-1), "wrong t"),
            (_adam_with(hat_state=True), "returned m_hat and v_hat"),
            (adam_keras_form, "Keras' epsilon-hat form"),
            (adam_tutorial_sqrt_eps, "epsilon divides the step"),
        ],
    ),
    "keras_epsilon": (
        checks.check_keras_epsilon,
        lambda epsilon, beta_2, t: epsilon * (1 - beta_2**t) ** 0.5,
        [
            (lambda epsilon, beta_2, t: epsilon * (1 - beta_2**t), "square root is missing"),
            (lambda epsilon, beta_2, t: epsilon / (1 - beta_2**t) ** 0.5, "upside down"),
        ],
    ),
    "steps_to_reach": (
        checks.check_steps_to_reach,
        reach_right,
        [
            (reach_argmax, "np.argmax of an all-False"),
            (reach_from_one, "off by one"),
            (reach_strict, "use <=, not <"),
            (reach_nan_counts, "NaN never reaches"),
        ],
    ),
}
WRONG = [(name, wrong, msg) for name, (_, _, ws) in CASES.items() for wrong, msg in ws]


@pytest.mark.parametrize("name", CASES)
def test_reference_passes(name, capsys):
    check, right, _ = CASES[name]
    assert check(right) is True
    out = capsys.readouterr().out
    assert out.startswith("PASSED exercise ") and out.count("\n") == 1


@pytest.mark.parametrize(("name", "wrong", "message"), WRONG)
def test_each_mistake_fails_with_its_own_message(name, wrong, message, capsys):
    check = CASES[name][0]
    with np.errstate(all="ignore"):
        assert check(wrong) is False
    out = capsys.readouterr().out
    assert out.startswith("FAILED exercise ") and out.count("\n") == 1
    assert message in out, out


@pytest.mark.parametrize("name", CASES)
def test_each_mistake_message_is_distinct(name, capsys):
    """No two different slips of one exercise are reported with the same words
    (the two wrong-t variants deliberately share one message)."""
    check, _, wrongs = CASES[name]
    seen = {}
    for wrong, expected in wrongs:
        with np.errstate(all="ignore"):
            check(wrong)
        seen.setdefault(capsys.readouterr().out, set()).add(expected)
    assert all(len(expected) == 1 for expected in seen.values()), seen


@pytest.mark.parametrize("name", CASES)
def test_stub_is_not_attempted(name, capsys):
    check = CASES[name][0]
    assert check(stub) is False
    out = capsys.readouterr().out
    assert out.startswith("NOT ATTEMPTED exercise ")
    assert "Hint: start from the formula above" in out


def test_unrecognised_wrong_answer_gets_a_generic_message(capsys):
    def off(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon):
        w2, m2, v2 = adam_right(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon)
        return w2 + 0.123, m2, v2

    assert checks.check_adam_step(off) is False
    out = capsys.readouterr().out
    assert "case 1" in out and "does not match the reference" in out


def test_answer_that_modifies_its_inputs_does_not_spoil_later_cases(capsys):
    def in_place(w, s, g, learning_rate, rho, epsilon):
        s *= rho
        s += (1 - rho) * g**2
        w -= learning_rate * g / np.sqrt(s + epsilon)
        return w, s

    assert checks.check_rmsprop_step(in_place) is True
    capsys.readouterr()
