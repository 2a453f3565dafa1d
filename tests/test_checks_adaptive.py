"""Exercise checks of lessons 04-07: right answers pass, each classic slip fails with its
own message, a stub is NOT ATTEMPTED. Predictions pass once committed, whatever they are.

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


def adagrad_old_s(w, s, g, learning_rate, epsilon):
    return w - learning_rate * g / np.sqrt(s + epsilon), s + g * g


def adagrad_sign(w, s, g, learning_rate, epsilon):
    s = s + g * g
    return w + learning_rate * g / np.sqrt(s + epsilon), s


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


# --------------------------------------------------------------------------- 6.4


def adamw_right(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon, weight_decay):
    w = w * (1 - learning_rate * weight_decay)
    return adam_right(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon)


def adamw_l2(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon, weight_decay):
    return adam_right(w, m, v, g + weight_decay * w, t, learning_rate, beta_1, beta_2, epsilon)


def adamw_in_denominator(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon, weight_decay):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    return w - learning_rate * (m_hat + weight_decay * w) / (np.sqrt(v_hat) + epsilon), m, v


def adamw_paper_lambda(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon, weight_decay):
    w = w - weight_decay * w
    return adam_right(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon)


def adamw_bias_corrected_rate(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon, weight_decay):
    lr_t = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return adam_right(
        w - lr_t * weight_decay * w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon
    )


def adamw_after(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon, weight_decay):
    w, m, v = adam_right(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon)
    return w - learning_rate * weight_decay * w, m, v


def adamw_sign(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon, weight_decay):
    w = w + learning_rate * weight_decay * w
    return adam_right(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon)


def adamw_forgot_decay(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon, weight_decay):
    return adam_right(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon)


def adamw_keras_adam(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon, weight_decay):
    w = w - learning_rate * weight_decay * w
    return adam_keras_form(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon)


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
            (adagrad_old_s, "used the old s"),
            (adagrad_sign, "sign error"),
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
    "paper_epsilon": (
        checks.check_paper_epsilon,
        lambda epsilon_hat, beta_2, t: epsilon_hat / (1 - beta_2**t) ** 0.5,
        [
            (
                lambda epsilon_hat, beta_2, t: epsilon_hat / (1 - beta_2**t),
                "square root is missing",
            ),
            (lambda epsilon_hat, beta_2, t: epsilon_hat * (1 - beta_2**t) ** 0.5, "upside down"),
            (
                lambda epsilon_hat, beta_2, t: epsilon_hat / (1 - beta_2 ** (t + 1)) ** 0.5,
                "t counts from 1",
            ),
        ],
    ),
    "adamw": (
        checks.check_adamw_step,
        adamw_right,
        [
            (adamw_l2, "that is an L2 penalty"),
            (adamw_in_denominator, "divided by sqrt(v_hat) + epsilon"),
            (adamw_paper_lambda, "not multiplied by the learning rate"),
            (adamw_bias_corrected_rate, "bias-corrected step size"),
            (adamw_after, "applied after the Adam step"),
            (adamw_sign, "sign error"),
            (adamw_forgot_decay, "no weight decay at all"),
            (adamw_keras_adam, "Keras' epsilon-hat form"),
        ],
    ),
    "jitter_prediction": (
        checks.check_jitter_prediction,
        lambda: 0.25,
        [
            (lambda: "0.25", "return one number"),
            (lambda: -0.25, "a number >= 0"),
            (lambda: np.array([0.25, 0.25]), "not ndarray"),
        ],
    ),
    "amsgrad_prediction": (
        checks.check_amsgrad_prediction,
        lambda: "grows",
        [(lambda: "grow", "return one of 'grows', 'stays', 'shrinks'")],
    ),
    "saddle_prediction": (
        checks.check_saddle_prediction,
        lambda: "Adam",
        [(lambda: "SGD", "return one of 'GD', 'Momentum'")],
    ),
    "tuned_rate": (
        checks.check_tuned_rate,
        lambda: 0.038,
        [
            (lambda: 0.0316, "0.0316 does not arrive"),
            (lambda: 0.05, "0.05 is too large: the run diverged"),
            (lambda: np.array([0.038]), "return one learning rate, a single number"),
            (lambda: 0.0, "a learning rate is a number > 0"),
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


# --------------------------------------------------------------------------- predictions


@pytest.mark.parametrize(
    ("check", "answers"),
    [
        (checks.check_jitter_prediction, [0, 0.25, 0.5, 1, np.float64(2.0)]),
        (checks.check_amsgrad_prediction, ["grows", "stays", " Shrinks "]),
        (checks.check_saddle_prediction, ["GD", "adam", "RMSProp"]),
    ],
)
def test_every_valid_prediction_passes_with_the_same_line(check, answers, capsys):
    """Right or wrong, a committed prediction passes with one fixed line (nbval compares the
    learner's output with the stored one); the cell after the check shows the truth."""
    lines = set()
    for answer in answers:
        assert check(lambda a=answer: a) is True
        assert check(answer) is True  # a plain value works as well as a function
        lines.add(capsys.readouterr().out)
    assert len(lines) == 1 and next(iter(lines)).startswith("PASSED exercise ")


def test_a_prediction_that_crashes_or_is_a_stub_gets_its_verdict(capsys):
    def crashes():
        return 1 / 0

    def stub():
        raise NotImplementedError("predict here")

    assert checks.check_jitter_prediction(crashes) is False
    assert capsys.readouterr().out == (
        "FAILED exercise 5.3: your prediction raised ZeroDivisionError: division by zero\n"
    )
    assert checks.check_jitter_prediction(stub) is False
    assert capsys.readouterr().out == "NOT ATTEMPTED exercise 5.3: predict here\n"


def test_tuned_rate_passes_with_the_same_line_for_any_good_rate(capsys):
    for rate in (0.037, 0.0385, 0.040, 0.041):
        assert checks.check_tuned_rate(lambda r=rate: r) is True
    out = capsys.readouterr().out.splitlines()
    assert len(set(out)) == 1 and out[0].startswith("PASSED exercise 7.3: ")


def test_tuned_rate_says_by_how_much_a_run_missed(capsys):
    assert checks.check_tuned_rate(0.0365) is False
    out = capsys.readouterr().out
    assert "after 250 steps f - f* is 1.06e-04, above 0.0001" in out


def test_adamw_reference_is_keras_decay_then_the_paper_step():
    """The 6.4 reference, written out: w <- w - lr*wd*w, then Algorithm 1 with g."""
    from lessons_lib.checks.adam import _ADAMW_CASES, _adamw_reference

    for case in _ADAMW_CASES:
        got = _adamw_reference(**case)
        want = adamw_right(**case)
        for a, b in zip(got, want, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12)
