"""Interactive figures of lessons 04-07 (nesterov, adaptive, adam, race).

Every figure is drawn and rendered to PNG at the extremes of every control (and with every
option of every drop-down), with warnings turned into errors: any slider combination must
render, and divergence must be drawn and labelled, never raised. The helpers the figures
rely on are checked against independent computations.
"""

from __future__ import annotations

import warnings

import ipywidgets as W
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from lessons_lib import pitfalls
from lessons_lib.functions import get_objective
from lessons_lib.interactive import adam, adaptive, nesterov, race
from lessons_lib.optimizers import SGD, Adam, RMSprop
from lessons_lib.plotting import png_bytes, use_lesson_style
from lessons_lib.runner import run

MODULES = [nesterov, adaptive, adam, race]
FIGURES = [(m.__name__.rsplit(".", 1)[-1], d, c) for m in MODULES for d, c in m.INTERACTIVE]
IDS = [f"{name}.{draw.__name__}" for name, draw, _ in FIGURES]


@pytest.fixture(autouse=True, scope="module")
def _style():
    use_lesson_style()


def _extremes(control: W.ValueWidget) -> list:
    if hasattr(control, "options"):
        return list(control.options)
    if hasattr(control, "base"):  # log slider: min/max are exponents
        return [control.base**control.min, control.base**control.max]
    return [control.min, control.max]


def _render(draw, values: dict) -> Figure:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = draw(**values)
        assert isinstance(fig, Figure)
        assert png_bytes(fig).startswith(b"\x89PNG")
    return fig


def _texts(fig: Figure) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(Text))


@pytest.mark.parametrize(("name", "draw", "make_controls"), FIGURES, ids=IDS)
def test_every_control_at_its_extremes_renders_without_warnings(name, draw, make_controls):
    controls = make_controls()
    assert controls and all(isinstance(c, W.ValueWidget) for c in controls.values())
    defaults = {k: c.value for k, c in controls.items()}
    _render(draw, defaults)
    for key, control in controls.items():
        for value in _extremes(control):
            _render(draw, {**defaults, key: value})
    for pick in (0, -1):  # every slider at its minimum, then at its maximum, at once
        corner = {
            k: _extremes(c)[pick] if not hasattr(c, "options") else defaults[k]
            for k, c in controls.items()
        }
        _render(draw, corner)


@pytest.mark.parametrize(("name", "draw", "make_controls"), FIGURES, ids=IDS)
def test_controls_match_the_draw_signature(name, draw, make_controls):
    import inspect

    params = inspect.signature(draw).parameters
    controls = make_controls()
    assert set(controls) == set(params)
    for key, control in controls.items():  # the default figure is the default control state
        default = params[key].default
        if isinstance(default, str):
            assert default == control.value
        else:
            assert default == pytest.approx(control.value, rel=1e-9)


# --------------------------------------------------------------------------- divergence
@pytest.mark.parametrize(
    ("draw", "values"),
    [
        (nesterov.overshoot_figure, {"objective": "rosenbrock", "learning_rate": 2.0}),
        (adaptive.adaptive_figure, {"learning_rate": 3.0, "loss_scale": 100.0}),
        (race.race_figure, {"objective": "rosenbrock", "lr_scale": 10.0}),
        (adam.adam_figure, {"objective": "beale", "learning_rate": 3.0, "beta_1": 0.0}),
    ],
)
def test_divergence_is_drawn_and_labelled(draw, values):
    assert "diverged at step" in _texts(_render(draw, values))


# --------------------------------------------------------------------------- nesterov
@pytest.mark.parametrize("nesterov_flag", [False, True])
@pytest.mark.parametrize("a", [0.05, 0.5, 1.2, 1.5])
def test_contraction_is_the_observed_rate_on_a_quadratic(a, nesterov_flag):
    # one eigen-direction with curvature 1, learning rate a: iterate Keras' rule itself
    opt = SGD(a, momentum=0.9, nesterov=nesterov_flag)
    w, norms = np.array([1.0]), []
    for _ in range(600):
        w = opt.step(w, w)  # gradient of w^2/2 is w
        norms.append(np.hypot(w[0], opt.state["velocity"][0]))
    rho = nesterov.contraction(a, 0.9, nesterov_flag)
    observed = (norms[-1] / norms[299]) ** (1 / 300)
    assert observed == pytest.approx(rho, rel=0.02)


@pytest.mark.parametrize("flag", [False, True])
def test_stability_limit_is_where_contraction_reaches_one(flag):
    limit = nesterov.stability_limit(0.9, flag)
    assert (
        nesterov.contraction(limit - 1e-3, 0.9, flag)
        < 1
        < nesterov.contraction(limit + 1e-3, 0.9, flag)
    )


def test_lookahead_picture_draws():
    fig = _render(nesterov.lookahead_picture, {})
    assert "look-ahead" in _texts(fig)


# --------------------------------------------------------------------------- adaptive
def _previous_eps_outside(name: str, lr: float, epsilon: float, rho: float, w0, grad, steps: int):
    """The figure module's former hand-written classes (before ``.variant``), in their own
    order of operations: AdaGrad ``s + g*g``; RMSProp ``rho*s + (1-rho)*g*g``; then
    ``w - lr*g/(sqrt(s) + eps)``."""
    w, s, path = np.asarray(w0, dtype=float), 0.0, []
    for _ in range(steps):
        g = grad(w)
        s = s + g * g if name == "adagrad" else rho * s + (1 - rho) * g * g
        w = w - lr * g / (np.sqrt(s) + epsilon)
        path.append(w)
    return np.array(path)


@pytest.mark.parametrize("name", ["adagrad", "rmsprop"])
def test_eps_outside_variant_is_the_previous_pytorch_form(name):
    # one step from a set state: PyTorch's formula exactly
    w, g = np.array([1.0, -2.0]), np.array([1e-3, 0.5])
    opt = adaptive.make_adaptive(name, 0.1, epsilon=1e-2, inside=False, rho=0.8)
    assert opt.hyper()["epsilon_outside"] is True and opt.keras_name in ("Adagrad", "RMSprop")
    slot = "accumulator" if name == "adagrad" else "velocity"
    opt.state[slot] = np.array([1e-6, 0.2])
    s = (
        np.array([1e-6, 0.2]) + g * g
        if name == "adagrad"
        else 0.8 * np.array([1e-6, 0.2]) + 0.2 * g * g
    )
    np.testing.assert_allclose(opt.step(w, g), w - 0.1 * g / (np.sqrt(s) + 1e-2), rtol=1e-15)
    # 100 steps on the lesson's bowl: the former classes' paths (they rounded (1-rho)*g*g
    # in another order, so equal to rounding, not bitwise)
    bowl = adaptive.BOWL
    opt = adaptive.make_adaptive(name, 0.3, epsilon=1e-3, inside=False, rho=0.8)
    got = run(opt, bowl, steps=100).points[1:]
    want = _previous_eps_outside(name, 0.3, 1e-3, 0.8, bowl.start, bowl.grad, 100)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ["adagrad", "rmsprop"])
@pytest.mark.parametrize("inside", [True, False])
def test_effective_step_sizes_are_the_steps_actually_taken(name, inside):
    obj = adaptive.BOWL
    opt = adaptive.make_adaptive(name, 0.3, epsilon=1e-3, inside=inside, rho=0.7)
    traj = run(opt, obj, steps=40)
    sizes = adaptive.effective_step_sizes(traj, obj, name, 0.3, 1e-3, inside, rho=0.7)
    g = obj.grad(traj.points[:-1])
    taken = (traj.points[:-1] - traj.points[1:]) / g
    np.testing.assert_allclose(sizes, taken, rtol=1e-9)


@pytest.mark.parametrize("name", ["adagrad", "rmsprop"])
def test_adaptive_paths_do_not_depend_on_the_loss_scale_without_epsilon(name):
    paths = [
        run(
            adaptive.make_adaptive(name, 0.2, 1e-300, inside=False),
            adaptive.scaled("stretched bowl", scale),
            steps=50,
        ).points
        for scale in (1.0, 1e-4)
    ]
    np.testing.assert_allclose(paths[0], paths[1], rtol=1e-9, atol=1e-12)


def test_scaled_objective_scales_loss_and_gradient():
    base, small = adaptive.scaled("beale"), adaptive.scaled("beale", 1e-3)
    p = np.array([0.5, -0.3])
    assert small(p) == pytest.approx(1e-3 * base(p))
    np.testing.assert_allclose(small.grad(p), 1e-3 * base.grad(p))
    assert small.minima == base.minima and small.bounds == base.bounds


def test_bad_adaptive_arguments_are_value_errors():
    with pytest.raises(ValueError, match="scale"):
        adaptive.scaled("beale", 0.0)


def test_make_adaptive_rejects_unknown_names():
    with pytest.raises(ValueError, match="adagrad"):
        adaptive.make_adaptive("adam", 0.1, 1e-7, True)


# --------------------------------------------------------------------------- adam
def test_adam_without_bias_correction_matches_the_pitfall_rule():
    problem = pitfalls.regression_problem(dead_feature=False)
    hyper = {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-3}
    want = pitfalls.run_adam_rule(
        pitfalls.adam_step_no_bias_correction, problem.grad, problem.w0, 25, **hyper
    ).points
    got = pitfalls.run_optimizer(
        Adam(0.05, 0.8, 0.95, 1e-3).variant(bias_correction=False),
        problem.grad,
        problem.w0,
        25,
    ).points
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_adam_without_bias_correction_is_the_previous_class():
    """The figure's former ``AdamNoBiasCorrection`` wrote ``b1*m + (1-b1)*g`` and
    ``b2*v + (1-b2)*g*g``, then ``w - lr*m/(sqrt(v) + eps)``; the variant rounds the
    averages as Keras does (``m + (g-m)*(1-b1)``), so the paths agree to rounding."""
    bowl = get_objective("quadratic")
    w, m, v, want = np.array(bowl.start), 0.0, 0.0, []
    for _ in range(100):
        g = bowl.grad(w)
        m, v = 0.8 * m + 0.2 * g, 0.95 * v + 0.05 * g * g
        w = w - 0.05 * m / (np.sqrt(v) + 1e-3)
        want.append(w)
    opt = Adam(0.05, 0.8, 0.95, 1e-3).variant(bias_correction=False)
    got = run(opt, bowl, steps=100).points[1:]
    np.testing.assert_allclose(got, np.array(want), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("b1, b2", [(0.9, 0.999), (0.5, 0.95), (0.0, 0.9)])
def test_step_ratio_is_the_step_of_a_constant_gradient(b1, b2):
    t = np.arange(1, 31)

    def lengths(opt):
        w, out = np.zeros(1), []
        for _ in t:
            new = opt.step(w, np.array([2.0]))
            out.append(abs(new - w)[0] / 0.01)
            w = new
        return np.array(out)

    corrected = lengths(Adam(0.01, b1, b2, 1e-12, epsilon_mode="paper"))
    uncorrected = lengths(Adam(0.01, b1, b2, 1e-12).variant(bias_correction=False))
    np.testing.assert_allclose(corrected, adam.step_ratio(t, b1, b2, True, True), rtol=1e-9)
    np.testing.assert_allclose(uncorrected, adam.step_ratio(t, b1, b2, False, False), rtol=1e-9)


def test_compare_losses_marks_a_broken_run():
    dead = pitfalls.regression_problem(dead_feature=True)
    runs = {
        "ok": pitfalls.run_optimizer(RMSprop(0.01), dead.grad, dead.w0, 20),
        "no eps": pitfalls.run_accumulator_rule(
            pitfalls.rmsprop_step_no_eps,
            dead.grad,
            dead.w0,
            20,
            learning_rate=0.01,
            rho=0.9,
            epsilon=1e-7,
        ),
    }
    fig = _render(adam.compare_losses, {"panels": [("dead input", dead, runs)]})
    assert "no eps: NaN at step 1" in _texts(fig)


# --------------------------------------------------------------------------- race
def test_tuned_table_is_what_the_sweep_finds():
    for objective, rates in race.TUNED.items():
        for name, lr in rates.items():
            best, scores = race.tune(objective, name)
            assert float(f"{best:.3g}") == lr, (objective, name)
            assert np.isfinite(scores).any()


def test_leaderboard_is_sorted_and_agrees_with_the_runs():
    rows = race.leaderboard("beale", target=1e-3)
    assert [r[0] for r in rows] != [] and {r[0] for r in rows} == set(race.OPTIMIZERS)
    reached = [r[2] for r in rows if r[2] >= 0]
    assert reached == sorted(reached) and all(r[2] < 0 for r in rows[len(reached) :])
    obj = get_objective("beale")
    runs = race.race_runs("beale", 1.0)
    for name, lr, steps, final in rows:
        assert lr == race.TUNED["beale"][name]
        g = obj.gap(runs[name].losses)
        assert final == pytest.approx(g[-1])
        if steps >= 0:
            assert g[steps] <= 1e-3 and np.all(~(g[:steps] <= 1e-3))


@pytest.mark.parametrize("scale", [0.1, 10**0.3, 0.77])  # two slider positions, one not
def test_race_runs_equal_single_runs(scale):
    obj = get_objective("saddle")
    runs = race.race_runs("saddle", scale)
    for name in ("GD", "Adam"):
        single = run(
            race.make_optimizer(name, race.TUNED["saddle"][name] * scale),
            obj,
            steps=race.RACE_STEPS,
        )
        np.testing.assert_array_equal(runs[name].points, single.points)
        assert int(runs[name].diverged_at) == int(single.diverged_at)


def test_play_step_reports_slider_moves_once():
    control = race.PlayStep("frame", 3, 10)
    seen = []
    control.observe(lambda change: seen.append(change["new"]), names="value")
    control.slider.value = 7
    assert control.value == 7 and seen == [7]
    assert (control.min, control.max) == (0, 10) and isinstance(control, W.ValueWidget)
    assert control.play.max == 10


def test_make_optimizer_rejects_unknown_names():
    with pytest.raises(ValueError, match="optimizer must be one of"):
        race.make_optimizer("Lion", 0.1)


def test_race_frame_zero_shows_only_the_start():
    fig = _render(race.race_figure, {"frame": 0})
    assert "step 0 of" in _texts(fig)


@pytest.mark.parametrize(
    "call",
    [
        lambda: race.race_runs("quadratic"),
        lambda: nesterov.overshoot_figure(objective="bowl"),
        lambda: adaptive.adaptive_figure(objective="bowl"),
        lambda: adam.adam_figure(objective="bowl"),
    ],
)
def test_unknown_objectives_are_a_clear_value_error(call):
    with pytest.raises(ValueError, match="objective"):
        call()


def test_race_notes_a_divergence_only_once_it_has_happened():
    runs = race.race_runs("rosenbrock", 10.0)
    crashed = {name: int(t.diverged_at) for name, t in runs.items() if t.diverged_at >= 0}
    assert crashed, "a rate 10x the tuned one should make some runner diverge"
    first = min(crashed.values())
    before = _texts(
        _render(
            race.race_figure,
            {"objective": "rosenbrock", "lr_scale": 10.0, "steps_per_frame": 1, "frame": first - 1},
        )
    )
    after = _texts(
        _render(
            race.race_figure,
            {"objective": "rosenbrock", "lr_scale": 10.0, "steps_per_frame": 5, "frame": 40},
        )
    )
    assert "diverged" not in before
    for name, k in crashed.items():
        assert f"{name}: diverged at step {k}" in after
