"""Interactive figures of lessons 01-03: every control at its extremes draws, without warnings.

Each figure is rendered to PNG (as the notebook does), because some matplotlib problems
(log axes without positive data, bad limits) only surface when drawing.
"""

from __future__ import annotations

import inspect
import itertools
import re
from pathlib import Path

import ipywidgets as W
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from lessons_lib import theory
from lessons_lib.functions import quadratic
from lessons_lib.interactive import ewma, frames, gradient_descent, momentum
from lessons_lib.optimizers import SGD
from lessons_lib.plotting import loss_line, new_figure, png_bytes
from lessons_lib.runner import Trajectory, run

MODULES = [gradient_descent, ewma, momentum]
FIGURES = [pair for module in MODULES for pair in module.INTERACTIVE]
IDS = [f"{fig.__module__.rsplit('.', 1)[-1]}.{fig.__name__}" for fig, _ in FIGURES]


def _options(control: W.ValueWidget) -> list:
    if isinstance(control, W.Dropdown):
        return [o[1] if isinstance(o, tuple) else o for o in control.options]
    if isinstance(control, W.FloatLogSlider):
        return [control.base**control.min, control.base**control.max]
    return [control.min, control.max]


def _extremes(control: W.ValueWidget) -> list:
    """The lowest and the highest value a control can take."""
    options = _options(control)
    return [options[0], options[-1]]


def _texts(fig: Figure) -> str:
    return " ".join(t.get_text() for t in fig.findobj(Text))


def _draw(fig_fn, **values) -> str:
    fig = fig_fn(**values)
    assert isinstance(fig, Figure)
    assert png_bytes(fig).startswith(b"\x89PNG")
    text = _texts(fig)
    fig.clear()  # release the artists (these figures are not registered with pyplot)
    return text


@pytest.mark.parametrize("fig_fn, controls_fn", FIGURES, ids=IDS)
def test_controls_match_the_figure(fig_fn, controls_fn):
    controls = controls_fn()
    params = inspect.signature(fig_fn).parameters
    assert controls, "a figure in INTERACTIVE needs at least one control"
    for name, control in controls.items():
        assert name in params, f"{fig_fn.__name__} has no parameter {name!r}"
        assert isinstance(control, W.ValueWidget)
        assert control.value == pytest.approx(params[name].default), name


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("fig_fn, controls_fn", FIGURES, ids=IDS)
def test_every_control_extreme_draws(fig_fn, controls_fn):
    controls = controls_fn()
    defaults = {name: c.value for name, c in controls.items()}
    for name, control in controls.items():
        for value in _extremes(control):
            _draw(fig_fn, **{**defaults, name: value})
    # all controls at their low ends, then all at their high ends
    for pick in (0, -1):
        _draw(fig_fn, **{name: _extremes(c)[pick] for name, c in controls.items()})


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(
    "fig_fn, values",
    [
        (gradient_descent.lr_figure, {"learning_rate": 10**0.5}),
        (gradient_descent.sgd_figure, {"learning_rate": 1.0, "batch_size": 1}),
        (momentum.valley_figure, {"learning_rate": 100.0, "beta": 0.0}),
    ],
)
def test_divergence_is_labelled(fig_fn, values):
    assert "diverged at step" in _draw(fig_fn, **values)


@pytest.mark.filterwarnings("error")
def test_random_slider_combinations_draw():
    rng = np.random.default_rng(0)
    for fig_fn, controls_fn in FIGURES:
        controls = controls_fn()
        for _ in range(1):
            values = {}
            for name, c in controls.items():
                options = _options(c)
                if isinstance(c, W.Dropdown):
                    values[name] = options[rng.integers(len(options))]
                elif isinstance(c, W.FloatLogSlider):
                    values[name] = c.base ** rng.uniform(c.min, c.max)
                elif isinstance(c, W.IntSlider):
                    values[name] = int(rng.integers(c.min, c.max + 1))
                else:
                    values[name] = float(rng.uniform(c.min, c.max))
            _draw(fig_fn, **values)


def test_minibatch_of_everything_is_full_batch_descent():
    x, y = gradient_descent.regression_data(n=24, seed=3)
    obj = gradient_descent.regression_objective(x, y)
    mini = gradient_descent.minibatch_sgd(x, y, 0.2, batch_size=24, epochs=7, start=obj.start)
    full = run(SGD(0.2), obj, steps=7)
    np.testing.assert_allclose(mini.points, full.points, rtol=1e-12, atol=1e-12)
    assert mini.points.shape == (8, 2) and int(mini.diverged_at) == -1


def test_minibatch_steps_per_epoch_and_seeded_order():
    x, y = gradient_descent.regression_data(n=10, seed=1)
    a = gradient_descent.minibatch_sgd(x, y, 0.1, batch_size=4, epochs=3, seed=5)
    b = gradient_descent.minibatch_sgd(x, y, 0.1, batch_size=4, epochs=3, seed=5)
    c = gradient_descent.minibatch_sgd(x, y, 0.1, batch_size=4, epochs=3, seed=6)
    assert a.points.shape == (3 * 3 + 1, 2)  # batches of 4, 4, 2 per epoch
    np.testing.assert_array_equal(a.points, b.points)
    assert not np.allclose(a.points, c.points)
    with pytest.raises(ValueError, match="batch_size must be between 1 and 10"):
        gradient_descent.minibatch_sgd(x, y, 0.1, batch_size=11, epochs=1)


def test_least_squares_minimum_has_zero_gradient():
    x, y = gradient_descent.regression_data()
    obj = gradient_descent.regression_objective(x, y)
    np.testing.assert_allclose(obj.grad(np.array(obj.minima[0])), 0.0, atol=1e-10)


def test_lr_regimes_follow_the_limits():
    mu, L = 0.1, 1.0
    names = [gradient_descent.lr_regime(lr, mu, L) for lr in (0.05, 0.5, 1.5, 2.5)]
    assert [n.split(":")[0] for n in names] == ["too small", "fine", "large", "too large"]
    # the labels agree with what the runs do
    runs = run(SGD(np.array([[1.5], [2.5]])), quadratic(10.0), steps=300)
    assert runs.diverged.tolist() == [False, True]


def test_sweep_agrees_with_theory():
    s = momentum.sweep(kappa=20.0, n_lr=20, n_beta=15)
    assert s.rate.shape == s.theory.shape == (15, 20)
    converging = ~np.isnan(s.rate) & (s.theory < 0.999)
    gap = np.abs(s.rate - s.theory)[converging]
    assert np.median(gap) < 1e-3 and np.quantile(gap, 0.95) < 0.03
    # every run that blew up is one the theory says cannot converge
    assert np.all(s.theory[np.isnan(s.rate)] >= 1)
    lr_star, beta_star = theory.momentum_optimal(1 / 20, 1.0)
    predicted = theory.spectral_radius(s.lr, beta_star, [1 / 20, 1.0])
    ok = predicted < 0.999
    np.testing.assert_allclose(s.best_beta_rate[ok], predicted[ok], atol=0.03)


@pytest.mark.parametrize("beta, n", list(itertools.product([0.0, 0.99], [1, 300])))
def test_ewma_figure_reports_the_true_weight_sum(beta, n):
    assert f"{1 - beta**n:.3f}" in _draw(ewma.ewma_figure, beta=beta, n_points=n)


def _pixels(fig: Figure) -> np.ndarray:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("fig_fn, controls_fn", FIGURES, ids=IDS)
def test_frame_copy_draws_the_same_picture(fig_fn, controls_fn, monkeypatch):
    fast = _pixels(fig_fn())
    again = _pixels(fig_fn())  # a second figure, and a second render, change nothing
    monkeypatch.setattr(frames.FramedFigure, "copy_frame", False)
    slow = _pixels(fig_fn())
    np.testing.assert_array_equal(fast, again)
    assert fast.shape == slow.shape
    assert np.mean(np.any(fast != slow, axis=-1)) < 1e-3  # same picture, up to a few pixels


@pytest.mark.filterwarnings("error")
def test_a_figure_renders_twice_identically():
    fig = gradient_descent.lr_figure()
    assert png_bytes(fig) == png_bytes(fig)  # no layout engine sneaks in between renders


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("fig_fn", [ewma.ewma_figure, momentum.sweep_figure], ids=["ewma", "sweep"])
def test_cropped_png_as_in_a_notebook_shows_the_same_picture(fig_fn):
    """IPython saves figures with bbox_inches="tight": the frame must move with the axes."""
    import io

    from matplotlib.image import imread

    fast = _pixels(fig_fn()).astype(float) / 255
    buf = io.BytesIO()
    fig_fn().savefig(buf, format="png", bbox_inches="tight", pad_inches=0.1)  # IPython's
    tight = imread(io.BytesIO(buf.getvalue()))
    pad = 8  # 0.1 inch at 80 dpi, on every side: the frame is drawn as an image here
    assert tight.shape == (fast.shape[0] + 2 * pad, fast.shape[1] + 2 * pad, 4)
    inner = tight[pad:-pad, pad:-pad]
    assert np.mean(np.any(np.abs(inner - fast) > 0.02, axis=-1)) < 1e-3


@pytest.mark.filterwarnings("error")
def test_figures_held_elsewhere_are_never_reused():
    """A redraw may reuse a figure nobody refers to any more (that saves making axes), but
    a figure the caller still holds keeps its picture."""
    kept = gradient_descent.lr_figure(learning_rate=0.3)
    before = png_bytes(kept)
    seen = set()
    for lr in (0.05, 1.5, 2.5, 0.7):
        fig = gradient_descent.lr_figure(learning_rate=lr)
        seen.add(id(fig))
        assert fig is not kept
        assert "η = " + f"{lr:.3g}" in _texts(fig)
        del fig
    assert png_bytes(kept) == before
    assert len(seen) <= 3  # released figures were reused
    fresh = [gradient_descent.lr_figure(learning_rate=lr) for lr in (0.1, 0.2, 0.3)]
    assert len({id(f) for f in fresh}) == 3
    # a reused figure draws exactly what a brand-new one draws
    reused = png_bytes(fresh[2])
    del fresh
    for lr in (0.9, 0.3):
        last = gradient_descent.lr_figure(learning_rate=lr)
    assert png_bytes(last) == reused


# --------------------------------------------------------------------------- loss curves
def _x_marks(ax) -> list:
    return [line for line in ax.lines if line.get_marker() == "X"]


def test_loss_line_marks_the_last_finite_loss_of_a_diverged_run():
    losses = np.array([1.0, 1e3, 1e8, np.nan, np.nan])
    fig, (free, fixed) = new_figure(2)
    fixed.set(ylim=(1e-3, 1e5), yscale="log")
    fixed.set_autoscale_on(False)
    for ax in (free, fixed):
        loss_line(ax, losses, 3, color="C1")
    (mark_free,), (mark_fixed,) = _x_marks(free), _x_marks(fixed)
    assert mark_free.get_xydata().tolist() == [[2.0, 1e8]]  # step k - 1, its loss
    assert mark_fixed.get_xydata().tolist() == [[2.0, 1e5]]  # held at the top edge
    assert not mark_fixed.get_clip_on()
    converged = new_figure()[1][0]
    loss_line(converged, np.array([1.0, 0.0]), -1, floor=1e-12)
    assert _x_marks(converged) == [] and converged.lines[0].get_ydata()[-1] == 1e-12


def test_loss_lines_notes_each_diverged_run():
    ok = Trajectory(np.zeros((3, 2)), np.array([3.0, 2.0, 1.0]), np.array(-1))
    bad = Trajectory(np.zeros((3, 2)), np.array([3.0, 9.0, np.nan]), np.array(2))
    fig, (ax,) = frames.lesson_figure(1)
    frames.frame_losses(ax, 20)
    notes = frames.loss_lines(ax, [("ok", ok, "C0"), ("bad", bad, "C1")])
    assert notes == ["bad: diverged at step 2"] and len(_x_marks(ax)) == 1


# --------------------------------------------------------------------------- the guard
LESSONS_DIR = Path(frames.__file__).parent
TESTS_DIR = Path(__file__).parent


def _imports_module(test_source: str, name: str) -> bool:
    """The test imports ``lessons_lib.interactive.<name>`` (any import form)."""
    pattern = "|".join([
        rf"lessons_lib\.interactive\.{name}\b",  # import lessons_lib.interactive.x
        rf"lessons_lib\.interactive import[^(\n]*\b{name}\b",  # from ... import a, x
        rf"lessons_lib\.interactive import \([^)]*\b{name}\b",  # from ... import (\n x,
    ])  # fmt: skip
    return re.search(pattern, test_source) is not None


@pytest.mark.parametrize(
    "name",
    sorted(p.stem for p in LESSONS_DIR.glob("*.py") if p.stem not in ("__init__", "frames")),
)
def test_every_lesson_module_lists_its_figures_and_is_tested(name):
    """A new lesson module cannot go untested: it lists its slider figures in INTERACTIVE
    (the benchmark and the tests find them there), and some test module imports it."""
    source = (LESSONS_DIR / f"{name}.py").read_text(encoding="utf-8")
    assert re.search(r"^INTERACTIVE\s*=", source, re.MULTILINE), f"{name}.py lists no INTERACTIVE"
    tests = [p.name for p in TESTS_DIR.glob("test_*.py")
             if _imports_module(p.read_text(encoding="utf-8"), name)]  # fmt: skip
    assert tests, f"no test imports lessons_lib.interactive.{name}; add tests/test_interactive_*"
