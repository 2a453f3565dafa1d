"""Lesson 09's checks: correct answers pass, each named mistake is named, stubs are not
attempted, and nothing a learner writes can make a check raise."""

import numpy as np
import pytest

from lessons_lib.checks import (
    check_settled_step_prediction,
    check_torch_momentum_step,
    check_warmup_cosine,
)
from lessons_lib.checks import schedules as cs


def _verdict(capsys, check, fn):
    result = check(fn)
    return result, capsys.readouterr().out.strip()


def good_rate(step, peak, warmup_steps, decay_steps, alpha):
    if step < warmup_steps:
        return peak * step / warmup_steps
    f = min(step - warmup_steps, decay_steps) / decay_steps
    return peak * ((1 - alpha) * 0.5 * (1 + np.cos(np.pi * f)) + alpha)


def good_rate_numpy(step, peak, warmup_steps, decay_steps, alpha):
    """Another correct form: vectorised, written with np.where and np.clip."""
    up = peak * step / max(warmup_steps, 1)
    f = np.clip((step - warmup_steps) / decay_steps, 0, 1)
    down = peak * (alpha + (1 - alpha) * (1 + np.cos(np.pi * f)) / 2)
    return np.where(step < warmup_steps, up, down)


def good_torch(w, buf, g, t, learning_rate, momentum, dampening):
    b = g if t == 1 else momentum * buf + (1 - dampening) * g
    return w - learning_rate * b, b


@pytest.mark.parametrize("fn", [good_rate, good_rate_numpy])
def test_correct_warmup_cosine_passes(capsys, fn):
    ok, out = _verdict(capsys, check_warmup_cosine, fn)
    assert ok and out.startswith("PASSED exercise 9.2")


@pytest.mark.parametrize("message, wrong", cs._WARMUP_MISTAKES)
def test_each_warmup_mistake_is_named(capsys, message, wrong):
    ok, out = _verdict(capsys, check_warmup_cosine, wrong)
    assert not ok and out == f"FAILED exercise 9.2: {message}"


def test_warmup_mistakes_are_distinct_from_each_other():
    curves = [cs._over_steps(w)(**case) for case in cs._WARMUP_CASES for _, w in
              cs._WARMUP_MISTAKES]  # fmt: skip
    n = len(cs._WARMUP_MISTAKES)
    for i in range(n):
        for j in range(i + 1, n):
            assert any(not np.allclose(curves[k * n + i], curves[k * n + j])
                       for k in range(len(cs._WARMUP_CASES)))  # fmt: skip


def test_correct_torch_step_passes(capsys):
    ok, out = _verdict(capsys, check_torch_momentum_step, good_torch)
    assert ok and out.startswith("PASSED exercise 9.3")


@pytest.mark.parametrize("message, wrong", cs._TORCH_MISTAKES)
def test_each_torch_mistake_is_named(capsys, message, wrong):
    ok, out = _verdict(capsys, check_torch_momentum_step, wrong)
    assert not ok and out == f"FAILED exercise 9.3: {message}"


def test_an_unknown_mistake_points_at_the_formula(capsys):
    def wrong(w, buf, g, t, learning_rate, momentum, dampening):
        return w + learning_rate * g, buf  # wrong sign, buffer unchanged

    ok, out = _verdict(capsys, check_torch_momentum_step, wrong)
    assert not ok and "does not match the reference" in out


def test_the_reference_is_the_library_rule():
    case = cs._torch_step_cases()[2]
    w, b = cs._reference_torch(**case)
    want_b = case["momentum"] * case["buf"] + (1 - case["dampening"]) * case["g"]
    np.testing.assert_allclose(b, want_b)
    np.testing.assert_allclose(w, case["w"] - case["learning_rate"] * want_b)


@pytest.mark.parametrize("check", [check_warmup_cosine, check_torch_momentum_step,
                                   check_settled_step_prediction])  # fmt: skip
def test_stubs_are_not_attempted_and_errors_never_raise(capsys, check):
    def stub(*args, **kwargs):
        raise NotImplementedError("write it")

    ok, out = _verdict(capsys, check, stub)
    assert not ok and out == f"NOT ATTEMPTED exercise 9.{out.split('9.')[1][0]}: write it"

    def broken(*args, **kwargs):
        raise ZeroDivisionError("oops")

    ok, out = _verdict(capsys, check, broken)
    assert not ok and out.startswith("FAILED") and "ZeroDivisionError" in out


@pytest.mark.parametrize("value, passes", [(0.18, True), (1, True), (0.0, True),
                                           (-0.5, False), ("0.2", False), (np.nan, False),
                                           (True, False)])  # fmt: skip
def test_prediction_needs_one_number_at_least_zero(capsys, value, passes):
    ok, out = _verdict(capsys, check_settled_step_prediction, lambda: value)
    assert ok is passes
    assert out.startswith("PASSED exercise 9.1" if passes else "FAILED exercise 9.1")
