"""Lesson 09's figure module: the schedules it builds, the runs it makes, the figures it draws,
and PyTorch's momentum form (the SGD rule's ``dampening`` flag) it relies on."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from lessons_lib import schedules as S
from lessons_lib.interactive import schedules as L
from lessons_lib.optimizers import SGD, EWMAMomentum
from lessons_lib.plotting import png_bytes


# --------------------------------------------------------------------------- figures
@pytest.mark.parametrize("draw, controls", L.INTERACTIVE, ids=lambda f: getattr(f, "__name__", ""))
def test_every_control_value_draws(draw, controls):
    """Every option of every drop-down, and each slider at both ends, gives a figure."""
    widgets = controls()
    for name, widget in widgets.items():
        if hasattr(widget, "options"):
            values = [o[1] if isinstance(o, tuple) else o for o in widget.options]
        elif hasattr(widget, "base"):  # a log slider: min and max are exponents
            values = [widget.base**widget.min, widget.base**widget.max]
        else:
            values = [widget.min, widget.max]
        for value in values:
            fig = draw(**{name: value})
            assert isinstance(fig, Figure)
            assert png_bytes(fig)[:4] == b"\x89PNG"


def test_controls_are_the_figures_keywords():
    for draw, controls in L.INTERACTIVE:
        names = set(controls())
        assert names <= set(draw.__code__.co_varnames[: draw.__code__.co_argcount])


def test_every_parameter_of_keras_six_schedules_has_a_slider():
    names = set(L.schedule_controls())
    for cls in (S.ExponentialDecay, S.PolynomialDecay, S.InverseTimeDecay, S.CosineDecay,
                S.CosineDecayRestarts):  # fmt: skip
        params = set(cls.__init__.__code__.co_varnames[1 : cls.__init__.__code__.co_argcount])
        params -= {"name", "initial_learning_rate", "warmup_target", "first_decay_steps"}
        assert params <= names, (cls.__name__, params - names)


# --------------------------------------------------------------------------- schedules
@pytest.mark.parametrize(
    "kind, cls",
    [("constant", S.Constant), ("step (piecewise constant)", S.PiecewiseConstantDecay),
     ("exponential", S.ExponentialDecay), ("1/t (inverse time)", S.InverseTimeDecay),
     ("polynomial", S.PolynomialDecay), ("cosine", S.CosineDecay),
     ("cosine with restarts", S.CosineDecayRestarts)],
)  # fmt: skip
def test_make_schedule_builds_the_library_class(kind, cls):
    assert type(L.make_schedule(kind)) is cls


def test_step_schedule_drops_by_the_factor_after_each_period():
    step = L.make_schedule("step", learning_rate=0.3, decay_steps=150, decay_rate=0.3)
    s = np.array([0, 150, 151, 300, 301, 450, 451, 499])
    np.testing.assert_allclose(step(s), 0.3 * 0.3 ** np.array([0, 0, 1, 1, 2, 2, 3, 3]))


def test_warmup_schedules():
    cos = L.make_schedule("cosine", learning_rate=0.5, decay_steps=100, warmup_steps=20)
    assert cos(0) == 0.0 and cos(10) == pytest.approx(0.25) and cos(20) == pytest.approx(0.5)
    flat = L.warmup_schedule(2.0, 10)
    np.testing.assert_allclose(flat(np.arange(30)), np.minimum(np.arange(30) / 10, 1) * 2.0)
    assert L.warmup_schedule(2.0, 0)(5) == 2.0


def test_bad_names_say_what_is_accepted():
    with pytest.raises(ValueError, match="schedule must be one of"):
        L.make_schedule("linear")
    with pytest.raises(ValueError, match="event must be one of"):
        L.event_schedule("bump")


# --------------------------------------------------------------------------- noisy SGD
def test_noise_floor_formula_matches_a_long_simulation():
    traj = L.noisy_runs(0.2, sigma=0.5, steps=2000, runs=256, seed=3)
    measured = traj.losses[500:].mean()
    assert measured == pytest.approx(L.noise_floor(0.2, 0.5), rel=0.05)


def test_noise_floor_is_infinite_past_the_stability_limit():
    assert np.isinf(L.noise_floor(2.5, 1.0))
    np.testing.assert_allclose(L.noise_floor([0.1, 0.2], 1.0),
                               [L.noise_floor(0.1, 1.0), L.noise_floor(0.2, 1.0)])  # fmt: skip


# --------------------------------------------------------------------------- Adam and warmup
def test_adam_first_step_is_eta_and_later_steps_shrink_on_noise():
    ratio = L.adam_noise_steps(0.9, 0.999, 1e-7, 0.0)
    assert ratio[0] == pytest.approx(1.0, abs=1e-4)
    assert ratio[-500:].mean() < 0.25
    assert not ratio.flags.writeable  # cached arrays cannot be spoiled by a caller


# --------------------------------------------------------------------------- momentum forms
def test_pytorch_dampening_flag_follows_pytorchs_recurrence():
    """torch.optim.SGD's documented algorithm, written out: b_1 = g_1, then
    b_t = mu b + (1 - d) g; w -= lr * b (Nesterov: w -= lr * (g + mu b))."""
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(12, 3))
    lrs = np.linspace(0.3, 0.05, 12)
    for nesterov in (False, True):
        opt = SGD(lambda s: lrs[int(s)], momentum=0.7, nesterov=nesterov).variant(dampening=0.4)
        w = w_ref = np.ones(3)
        b = None
        for t, g in enumerate(grads):
            b = g.copy() if b is None else 0.7 * b + 0.6 * g
            w_ref = w_ref - lrs[t] * (g + 0.7 * b if nesterov else b)
            w = opt.step(w, g)
            np.testing.assert_allclose(w, w_ref, rtol=1e-14)


def test_dampening_flag_is_validated_and_off_by_default():
    with pytest.raises(ValueError, match="dampening"):
        SGD(0.1, momentum=0.9).variant(dampening=1.5)
    plain, flagged = SGD(0.1, momentum=0.9), SGD(0.1, momentum=0.9).variant(dampening=None)
    w1 = w2 = np.ones(2)
    for _ in range(3):
        w1, w2 = plain.step(w1, np.ones(2)), flagged.step(w2, np.ones(2))
    np.testing.assert_array_equal(w1, w2)


def test_forms_agree_at_a_constant_rate_and_differ_after_a_drop():
    flat = L.momentum_steps(S.Constant(0.1), beta=0.9, dampening=0.5)
    classical = flat["classical (Keras)"]
    for name in L.MOMENTUM_FORMS[1:3]:
        np.testing.assert_allclose(flat[name], classical, rtol=1e-12)
    # PyTorch with dampening: only its undamped first step differs
    d_form = flat[L.MOMENTUM_FORMS[3]]
    assert d_form[0] == pytest.approx(2 * classical[0])
    np.testing.assert_allclose(d_form[80:], classical[80:], rtol=1e-3)
    drop = L.momentum_steps(L.event_schedule("drop", 50, 0.1), beta=0.9, dampening=0.5)
    assert drop["EWMA form"][51] == pytest.approx(0.1 * drop["EWMA form"][49], rel=0.01)
    assert drop["classical (Keras)"][51] > 0.8 * drop["classical (Keras)"][49]


def test_pytorch_without_dampening_is_the_ewma_form_under_any_schedule():
    sched = S.CosineDecayRestarts(0.2, 30)
    grads = np.random.default_rng(1).normal(size=(90, 2))
    torch = SGD(sched, momentum=0.8).variant(dampening=0.0)
    ewma = EWMAMomentum(lambda s: sched(s) / 0.2, beta=0.8)
    w1 = w2 = np.zeros(2)
    for g in grads:
        w1, w2 = torch.step(w1, g), ewma.step(w2, g)
    np.testing.assert_allclose(w1, w2, rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------- batch size
def test_linear_scaling_holds_below_the_limit_and_diverges_past_it():
    X, _, _ = L.regression_data()
    lam_max = np.linalg.eigvalsh(X.T @ X / len(X)).max()
    base = L.batch_scaling_losses(8, 0.05)[-1]
    assert L.batch_scaling_losses(64, 0.4)[-1] == pytest.approx(base, rel=0.1)
    too_big = 1.1 * 2 / lam_max
    assert np.isinf(L.batch_scaling_losses(512, too_big)[-1])
    assert L.batch_scaling_losses(64, 0.05)[-1] > 3 * base  # unscaled: much slower


def test_regression_minimiser_is_exact():
    X, y, w_star = L.regression_data()
    np.testing.assert_allclose(X.T @ (X @ w_star - y), 0, atol=1e-9)


def _random_values(controls, rng):
    """One value per control, as a learner could set it (on the slider's steps)."""
    values = {}
    for name, w in controls.items():
        if hasattr(w, "options"):
            options = [o[1] if isinstance(o, tuple) else o for o in w.options]
            values[name] = options[rng.integers(len(options))]
            continue
        x = w.min + round(rng.uniform(0, w.max - w.min) / w.step) * w.step
        values[name] = float(w.base**x) if hasattr(w, "base") else type(w.value)(x)
    return values


@pytest.mark.parametrize("draw, controls", L.INTERACTIVE, ids=lambda f: getattr(f, "__name__", ""))
def test_random_slider_combinations_never_raise_or_warn(draw, controls, recwarn):
    """Combinations a learner can reach (growing rates, restarts, divergence) draw a figure
    without an exception or a NumPy warning."""
    rng = np.random.default_rng(9)
    for _ in range(12):
        assert isinstance(draw(**_random_values(controls(), rng)), Figure)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_a_diverging_schedule_is_reported_not_raised():
    fig = L.schedule_figure("exponential", learning_rate=1.5, decay_steps=10, decay_rate=2.0)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("diverged" in t for t in texts)
