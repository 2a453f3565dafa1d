"""Every number the prose of lessons 03 (momentum) and 04 (Nesterov) states, recomputed.

Each test reads the lesson's markdown, asserts that the sentence still states the number,
and recomputes that number from the library. If the prose or the library changes alone,
the test fails: prose and code cannot drift apart. (Numbers that appear only in printed
outputs are checked by nbval, which reproduces the outputs.)
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from lessons_lib import theory
from lessons_lib.functions import get_objective, quadratic
from lessons_lib.interactive import momentum as figs03
from lessons_lib.interactive import nesterov as figs04
from lessons_lib.optimizers import SGD, LookaheadNesterov
from lessons_lib.runner import Trajectory, run

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _prose(name: str) -> str:
    """The lesson's markdown, whitespace collapsed to single spaces."""
    cells = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))["cells"]
    text = " ".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return re.sub(r"\s+", " ", text)


P03, P04 = _prose("03_momentum.ipynb"), _prose("04_nesterov.ipynb")


def states(prose: str, sentence: str) -> None:
    assert sentence in prose, f"the lesson no longer says: {sentence!r}"


def number_after(prose: str, pattern: str) -> float:
    """The number that the regular expression's group 1 captures in the prose."""
    found = re.search(pattern, prose)
    assert found, f"the lesson no longer has a sentence matching {pattern!r}"
    return float(found.group(1).replace(",", ""))


# ------------------------------------------------------------------ 03, section 1: the ball
def test_03_ball_step_gain_and_overshoot():
    gd, ball = figs03.ball_paths()
    gain = np.abs(np.diff(ball)).max() / np.abs(np.diff(gd)).max()
    stated = number_after(P03, r"its longest step is about (\d+\.\d) times gradient descent's")
    assert round(gain, 1) == stated
    states(P03, "approach $1/(1-\\beta) = 5$ times the gradient step")
    assert 1 / (1 - 0.8) == pytest.approx(5) and gain < 5  # the bowl flattens first
    overshoot = number_after(P03, r"overshoots the minimum a little \(to \$x \\approx (\d\.\d)\$")
    assert round(float(ball.max()), 1) == overshoot


# ------------------------------------------------------------- 03, section 3: the valley
MU, L = 1 / 25, 1.0


def _steps(eta: float, beta: float) -> float:
    return theory.steps_to_tolerance(theory.spectral_radius(eta, beta, [MU, L]), 1e-6)


def test_03_valley_defaults():
    states(P03, "its factor along $y$ is $1 - 1.9 = -0.9$")
    assert theory.regime(1.9, 0.0, L) == "sign flips"
    assert theory.regime(1.9 * 0.3, 0.7, L) == "ripples"  # momentum's steep direction
    gd, hb = theory.spectral_radius(1.9, 0.0, [MU, L]), theory.spectral_radius(0.57, 0.7, [MU, L])
    states(P03, f"(rate {hb:.3f} against {gd:.3f})")
    limit = 2 * (1 + 0.7) / ((1 - 0.7) * L)  # EWMA form: eta~ (1 - beta) < 2 (1 + beta) / L
    assert theory.stable_lr_limit(0.7, L) / (1 - 0.7) == pytest.approx(limit)
    states(P03, f"{limit:.1f} at $\\beta = 0.7$")


def test_03_rounding_beta_star_down_costs_more_than_rounding_up():
    _, beta_star = theory.momentum_optimal(MU, L)
    assert beta_star == pytest.approx(4 / 9)
    states(P03, "$\\beta^* = 4/9 \\approx 0.444$")
    assert figs03.valley_controls()["beta"].step == pytest.approx(0.01)  # 0.45 is next above
    gd_best = _steps(theory.gd_optimal_lr(MU, L), 0.0)
    gains = {b: gd_best / _steps(5 * (1 - b), b) for b in (4 / 9, 0.45, 0.44)}
    states(P03, f"{gains[4 / 9]:.1f} times fewer steps than gradient descent at its best")
    states(P03, f"0.45 is almost as good ({gains[0.45]:.1f} times)")
    states(P03, f"the gain shrinks to {gains[0.44]:.1f} times")
    rates = [theory.spectral_radius(5 * (1 - b), b, [MU, L]) for b in (4 / 9, 0.44)]
    states(P03, f"the rate jumps from {rates[0]:.3f} to {rates[1]:.3f}")
    states(P03, "the steep direction gets two negative real roots")
    assert theory.regime(5 * (1 - 0.44), 0.44, L) == "sign flips"
    assert np.all(theory.roots(5 * (1 - 0.44), 0.44, L).real < 0)


# ------------------------------------------------------------- 03, section 4: one direction
def test_03_damping_widget_defaults():
    xs = figs03._coordinates(0.2, 0.5, 40)
    low = int(np.argmin(xs))
    states(P03, "the coordinate overshoots once, to about $-0.07$")
    assert round(float(xs[low]), 2) == -0.07
    states(P03, "its later swings are below 0.01")
    later = xs[low:][np.argmax(xs[low:] > 0) :]  # from the next crossing on
    assert np.abs(later).max() < 0.01
    critical = theory.critical_momentum(0.2, 1.0)
    states(P03, f"the critical value in the left title ({critical:.3f})")
    states(P03, "gradient descent's factor $1 - \\eta\\lambda = 0.8$")
    assert theory.roots(0.2, 0.0, 1.0)[0].real == pytest.approx(0.8)


def test_03_negative_real_roots_example():
    z = theory.roots(2.0, 0.1, 1.0)
    states(P03, f"negative (about ${z[0].real:.2f}$ and ${z[1].real:.2f}$)")
    assert theory.regime(2.0, 0.1, 1.0) == "sign flips"
    critical = float(theory.critical_momentum(2.0, 1.0))
    states(P03, f"$(\\sqrt2-1)^2 \\approx {critical:.3f}$")
    assert critical == pytest.approx((math.sqrt(2) - 1) ** 2)
    assert theory.regime(2.0, critical + 0.01, 1.0) == "ripples"


def test_03_regime_table_and_critical_formulas_match_the_theory():
    for name in theory.REGIMES:
        states(P03, f"`{name!r}`".replace("'", '"'))
    states(P03, "for $1 < \\eta\\lambda < 4$ at $\\beta = (\\sqrt{\\eta\\lambda}-1)^2$")
    states(P03, "a *negative* double root: less momentum flips the sign every step")
    for eta_lambda in (1.5, 2.5, 3.5):
        beta = theory.critical_momentum(eta_lambda, 1.0)
        assert beta == pytest.approx((math.sqrt(eta_lambda) - 1) ** 2)
        assert theory.roots(eta_lambda, beta, 1.0)[0].real < 0


# ----------------------------------------------------------- 03, sections 5 and 6: optimum
def test_03_speed_up_at_kappa_1000():
    gd = theory.steps_to_tolerance(theory.gd_optimal_rate(1000), 1e-6)
    hb = theory.steps_to_tolerance(theory.momentum_optimal_rate(1000), 1e-6)
    states(P03, f"the table of section 5: {gd / hb:.1f} times")
    states(P03, "the gap is about 30-fold")
    assert round(gd / hb, -1) == 30


def test_03_no_direction_overdamped_at_the_optimum():
    states(P03, "**no direction is overdamped**")
    eta, beta = theory.momentum_optimal(MU, L)
    for lam in np.linspace(MU, L, 41)[1:-1]:
        assert theory.regime(eta, beta, lam) == "ripples"
    for lam, sign in ((MU, 1), (L, -1)):  # the extremes: positive and negative double roots
        z = theory.roots(eta, beta, lam)
        assert z[0] == pytest.approx(z[1], abs=1e-6) and np.sign(z[0].real) == sign


def test_03_sweep_prose_matches_the_sweep():
    s = figs03.sweep(kappa=30)
    states(P03, "a $28 \\times 36$ grid (plus one row at $\\beta^*$)")
    assert s.rate.shape == (28, 36) and s.best_beta_rate.shape == (36,)
    states(P03, f"the run's {s.steps} steps")
    blew_up, cannot = np.isnan(s.rate), s.theory >= 1
    assert np.all(cannot[blew_up])  # "every run that blew up is in a cell ... cannot converge"
    slow = cannot & ~blew_up
    stated = number_after(P03, r"have a predicted rate of at most (\d\.\d+)")
    assert 0 < slow.sum() <= 10 and s.theory[slow].max() <= stated
    assert round(float(s.theory[slow].max()), 2) == stated
    # "the largest disagreements (a few hundredths) sit just above the flat direction's
    # critical damping curve"
    converging = ~blew_up & (s.theory < 0.999)
    error = np.where(converging, np.abs(s.rate - s.theory), 0.0)
    states(P03, "The largest disagreements (a few hundredths)")
    assert 0.01 < error.max() < 0.05
    worst = np.argsort(error.ravel())[-10:]
    i, j = np.unravel_index(worst, error.shape)
    above = s.beta[i] - theory.critical_momentum(s.lr[j], 1 / 30)
    assert np.all((above > 0) & (above < 0.12))


# ---------------------------------------------------------------------- 03, pitfalls
def test_03_pitfall_numbers():
    steps = math.ceil(math.log(0.05) / math.log(0.9))  # beta^t < 5 %
    states(P03, f"falls below 5 % after {steps} steps at $\\beta = 0.9$ (about $3/(1-\\beta)$)")
    assert abs(steps - 3 / (1 - 0.9)) <= 1 + 1e-9
    bound = math.sqrt(0.99)
    states(P03, f"$\\sqrt{{0.99}} \\approx {bound:.3f}$ per step")
    grid = theory.spectral_radius(np.linspace(1e-3, 3.9, 400), 0.99, [1e-3, 1.0])
    assert grid.min() >= bound - 1e-12  # no learning rate does better
    steps = theory.steps_to_tolerance(bound, 1e-6)
    stated = number_after(P03, r"about ([\d,]+) steps to shrink the error a millionfold")
    assert abs(steps - stated) <= 5


# ------------------------------------------------------------------------------- 04
def test_04_contraction_factors():
    r = {
        (lam, nest): figs04.contraction(0.5 * lam, 0.9, nesterov=nest)
        for lam in (0.1, 1.0)
        for nest in (False, True)
    }
    assert r[0.1, False] == pytest.approx(math.sqrt(0.9)) == pytest.approx(r[1.0, False])
    states(P04, f"$\\sqrt{{\\beta}} \\approx {math.sqrt(0.9):.3f}$ per step in *both* directions")
    states(P04, f"{r[1.0, True]:.3f} along the steep direction ($a = 0.5$)")
    states(P04, f"{r[0.1, True]:.3f} along the flat one ($a = 0.05$)")
    for lam in (0.1, 1.0):  # complex roots: |z| = sqrt(beta (1 - a))
        assert r[lam, True] == pytest.approx(math.sqrt(0.9 * (1 - 0.5 * lam)))
    states(P04, f"({r[1.0, True]:.3f} vs {r[1.0, False]:.3f} per step above)")


def test_04_stability_limits():
    nesterov, momentum = figs04.stability_limit(0.9, True), figs04.stability_limit(0.9, False)
    assert (
        figs04.contraction(nesterov * 0.999, 0.9, True)
        < 1
        < figs04.contraction(nesterov * 1.001, 0.9, True)
    )
    states(P04, f"Raise the learning rate past {nesterov:.2f} on the bowl")
    states(P04, f"$1+2\\beta = {momentum / nesterov:.1f}$ times lower at $\\beta = 0.9$")
    bowl = get_objective("quadratic")
    above = 1.4  # just past the limit, the widget's 60 steps
    n = run(SGD(above, 0.9, nesterov=True), bowl, steps=60)
    m = run(SGD(above, 0.9), bowl, steps=60)
    assert n.diverged_at >= 0 or n.losses[-1] > n.losses[0]
    assert m.diverged_at < 0 and m.losses[-1] < m.losses[0]


def _gaps(name: str, lr: float, steps: int = 60):
    obj = get_objective(name)
    runs = [run(SGD(lr, 0.9, nesterov=nest), obj, steps=steps) for nest in (False, True)]
    return [Trajectory(t.points, obj.gap(t.losses), t.diverged_at) for t in runs]


def test_04_overshoot_widget_claims():
    mom, nes = _gaps("quadratic", 0.5)
    ratio = mom.losses[-1] / nes.losses[-1]
    states(P04, "after 60 steps its gap $f - f^\\star$ is about 30 times smaller")
    assert round(ratio, -1) == 30
    states(P04, f"({mom.losses[-1]:.2g} against {nes.losses[-1]:.2g})")
    mom, nes = _gaps("rosenbrock", 1e-3)
    states(P04, "after 60 steps its gap is about 15 times smaller")
    assert round(mom.losses[-1] / nes.losses[-1]) in (15, 16)
    mom, nes = _gaps("beale", 0.01)
    states(P04, "On Beale at a learning rate of 0.01 it is Nesterov that diverges")
    assert nes.diverged_at >= 0 and mom.diverged_at < 0


def test_04_keras_iterates_are_the_lookahead_points():
    states(P04, "Keras' iterates are the look-ahead points $w_t + \\beta v_t$")
    rosen = get_objective("rosenbrock")
    textbook, keras_form = LookaheadNesterov(1e-3, 0.9), SGD(1e-3, 0.9, nesterov=True)
    w = w_keras = np.array(rosen.start)
    for _ in range(300):
        w = textbook.step(w, rosen.grad)
        w_keras = keras_form.step(w_keras, rosen.grad(w_keras))
        np.testing.assert_allclose(textbook.lookahead(w), w_keras, rtol=0, atol=1e-12)
    final = float(np.max(np.abs(np.round(w, 4) - np.round(w_keras, 4))))
    states(P04, f"after 300 steps, it is still {final:.4f} (last line)")


def test_04_nesterov_limit_is_below_gradient_descent_for_any_momentum():
    """Exercise 4.3's answer, for every beta > 0, not only the exercise's 0.5."""
    for beta in (0.1, 0.5, 0.9, 0.99):
        assert figs04.stability_limit(beta, True) < 2


def test_03_04_use_the_course_notation():
    """beta, not mu, is the momentum coefficient; r, not rho, is a rate."""
    for prose in (P03, P04):
        assert "\\rho" not in prose and "\\alpha" not in prose
    assert "\\mu v" not in P04 and "\\mu(1" not in P04
    states(P03, "$\\eta = \\tilde\\eta\\,(1-\\beta)$")


def test_bowl_used_by_03_has_the_stated_curvatures():
    mu, big = quadratic(25.0).notes["eigenvalues"]
    assert (mu, big) == pytest.approx((MU, L))


def test_check_references_take_the_optimizers_steps():
    """The checks of exercises 3.1, 4.1 and 4.2 state their reference in NumPy; over three
    steps from a zero state they must take exactly the steps of the library's optimizers."""
    from lessons_lib.checks import momentum as c03
    from lessons_lib.checks import nesterov as c04
    from lessons_lib.optimizers import EWMAMomentum

    grad = c04._wavy_grad
    start = np.array([0.7, -1.3])
    pairs = [
        (EWMAMomentum(0.37, 0.81), lambda w, s: c03._momentum_reference(w, s, grad(w), 0.37, 0.81)),
        (
            LookaheadNesterov(0.07, 0.83),
            lambda w, s: c04._nesterov_reference(w, s, grad, 0.07, 0.83),
        ),
        (
            SGD(0.3, 0.55, nesterov=True),
            lambda w, s: c04._keras_nesterov_reference(w, s, grad(w), 0.3, 0.55),
        ),
    ]
    for opt, reference in pairs:
        w_opt, w_ref, state = start.copy(), start.copy(), np.zeros(2)
        for _ in range(3):
            w_opt = opt.step(w_opt, grad if isinstance(opt, LookaheadNesterov) else grad(w_opt))
            w_ref, state = reference(w_ref, state)
            np.testing.assert_allclose(w_ref, w_opt, rtol=1e-12, atol=1e-14)
