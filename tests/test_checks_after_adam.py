"""Lesson 10's checks: right answers pass, and every named mistake is named."""

from __future__ import annotations

import numpy as np
import pytest

from lessons_lib.checks import after_adam as checks
from lessons_lib.optimizers import Lamb, Lion


def _mistakes(check) -> list[tuple[str, object]]:
    """The (message, wrong function) list a check passes to check_against_reference."""
    recorded = {}

    def recorder(exercise, student, reference, cases, mistakes=(), **_):
        recorded["mistakes"] = list(mistakes)
        return True

    original = checks.check_against_reference
    checks.check_against_reference = recorder
    try:
        check(lambda **_: None)
    finally:
        checks.check_against_reference = original
    return recorded["mistakes"]


def lion_step(w, m, g, learning_rate, beta_1, beta_2, weight_decay):
    """A learner's correct answer, written from the paper (not the library)."""
    w = w - learning_rate * weight_decay * w
    w = w - learning_rate * np.sign(beta_1 * m + (1 - beta_1) * g)
    return w, beta_2 * m + (1 - beta_2) * g


def trust_ratio_step(w, r, learning_rate):
    w_norm, r_norm = np.sqrt(np.sum(w * w)), np.sqrt(np.sum(r * r))
    phi = w_norm / r_norm if w_norm > 0 and r_norm > 0 else 1.0
    return w - learning_rate * phi * r


def test_correct_answers_pass(capsys):
    assert checks.check_lion_step(lion_step)
    assert checks.check_trust_ratio_step(trust_ratio_step)
    assert capsys.readouterr().out.count("PASSED") == 2


@pytest.mark.parametrize("check", [checks.check_lion_step, checks.check_trust_ratio_step])
def test_every_mistake_is_named(check, capsys):
    mistakes = _mistakes(check)
    assert len(mistakes) >= 8
    for message, wrong in mistakes:
        assert not check(wrong)
        out = capsys.readouterr().out
        assert out.startswith("FAILED") and message in out, (message, out)


def test_the_reference_is_the_library_rule():
    """The check's Lion is Keras' order: decay first, sign of the OLD momentum mixed with beta_1."""
    w, m, g = np.array([1.0, -2.0]), np.array([1.0, -1.0]), np.array([-5.0, 6.0])
    opt = Lion(0.1, beta_1=0.8, beta_2=0.95, weight_decay=0.3)
    opt.state["m"], opt.iterations = m.copy(), 3
    new_w, new_m = checks._lion(w, m, g, 0.1, 0.8, 0.95, 0.3)
    np.testing.assert_allclose(new_w, opt.step(w, g))
    # by hand: c = 0.8 m + 0.2 g = (-0.2, 0.4): signs (-, +)
    np.testing.assert_allclose(new_w, w * (1 - 0.03) - 0.1 * np.array([-1.0, 1.0]))
    np.testing.assert_allclose(new_m, 0.95 * m + 0.05 * g)


def test_trust_ratio_reference_matches_lamb_optimizer():
    """At t = 1 with epsilon tiny, Adam's direction r is sign(g); LAMB's step is then the
    check's reference step with that r."""
    w, g = np.array([[3.0, -4.0], [1.0, 2.0]]), np.array([[0.5, -2.0], [1.0, -0.1]])
    opt = Lamb(0.1, epsilon=1e-12)
    r = np.sign(g)
    np.testing.assert_allclose(opt.step(w, g), checks._trust_step(w, r, 0.1), rtol=1e-9)


def test_zero_weights_take_the_plain_step():
    r = np.array([1.0, -2.0])
    np.testing.assert_allclose(checks._trust_step(np.zeros(2), r, 0.5), -0.5 * r)


def test_stub_is_not_attempted(capsys):
    def stub(**_):
        raise NotImplementedError("write lion_step")

    assert not checks.check_lion_step(stub)
    assert "NOT ATTEMPTED" in capsys.readouterr().out


def test_decay_prediction_and_reveal(capsys):
    assert not checks.check_decay_prediction(lambda: "sideways")
    assert "FAILED" in capsys.readouterr().out
    assert checks.check_decay_prediction(lambda: "Noisy ")
    settled = {"AdamW": np.array([0.76, 0.99]), "Adam + L2": np.array([0.91, 0.91])}

    def stub():
        raise NotImplementedError("predict")

    checks.reveal_decay(stub, settled)
    out = capsys.readouterr().out
    assert "Commit a prediction first" in out and "0.760" not in out
    checks.reveal_decay(lambda: "quiet", settled)
    out = capsys.readouterr().out
    assert "0.760" in out and "what happens is 'noisy'" in out
    checks.reveal_decay("noisy", settled)
    assert "'noisy': right" in capsys.readouterr().out
