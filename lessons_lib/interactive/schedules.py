r"""Interactive figures of lesson 09: learning-rate schedules.

Every schedule drawn or run here is one of :mod:`lessons_lib.schedules` (Keras' six and a
constant) and every optimizer one of :mod:`lessons_lib.optimizers`; this module only builds
them from slider values, runs them and draws. What it adds is lesson-specific:

* :func:`noise_floor`, the stationary mean loss of SGD with a constant rate on a quadratic
  whose gradients carry independent noise (the floor of lesson 01);
* a noisy least-squares problem with real minibatches (:func:`batch_scaling_losses`) for
  the batch-size / learning-rate scaling rule;
* :func:`adam_noise_steps`, Adam's step length per unit learning rate on a stream of noisy
  gradients (why Adam-type methods want warmup);
* :func:`momentum_steps`, the step lengths of the momentum forms under a schedule.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..functions import noisy, quadratic
from ..optimizers import SGD, Adam, EWMAMomentum
from ..plotting import COLORS
from ..runner import Trajectory, run
from ..schedules import (
    Constant,
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
    Schedule,
)
from ..widgets import choice, int_slider, log_slider, slider
from .frames import frame_legend, framed, handle, lesson_figure, log_xaxis, log_yaxis, note, title

__all__ = [
    "BATCH_SIZES",
    "EVENTS",
    "INTERACTIVE",
    "MOMENTUM_FORMS",
    "NOISY_BOWL",
    "SCALINGS",
    "SCHEDULES",
    "adam_noise_steps",
    "overview_figure",
    "sample_figure",
    "batch_scaling_losses",
    "batch_figure",
    "batch_controls",
    "event_schedule",
    "make_schedule",
    "mean_loss",
    "momentum_controls",
    "momentum_figure",
    "momentum_steps",
    "noise_floor",
    "noisy_runs",
    "regression_data",
    "schedule_controls",
    "schedule_figure",
    "warmup_controls",
    "warmup_figure",
    "warmup_schedule",
]

#: the lesson's noisy problem: curvatures 0.2 (x) and 1 (y), start (-9, 2.5)
NOISY_BOWL = quadratic(kappa=5.0)
STEPS, RUNS = 500, 128  # steps of each noisy run, independent runs averaged
SCHEDULES = (
    "constant",
    "step (piecewise constant)",
    "exponential",
    "1/t (inverse time)",
    "polynomial",
    "cosine",
    "cosine with restarts",
)


# --------------------------------------------------------------------------- schedules
def make_schedule(
    schedule: str = "cosine",
    learning_rate: float = 0.3,
    decay_steps: int = 500,
    decay_rate: float = 0.5,
    staircase: bool = False,
    end_learning_rate: float = 1e-4,
    power: float = 1.0,
    cycle: bool = False,
    alpha: float = 0.0,
    warmup_steps: int = 0,
    t_mul: float = 2.0,
    m_mul: float = 1.0,
    horizon: int = STEPS,
) -> Schedule:
    """The :mod:`lessons_lib.schedules` object named ``schedule``, from the figure's sliders.

    ``learning_rate`` is the peak (Keras' ``initial_learning_rate``; with warmup the
    ``warmup_target``, the warmup starting from 0). "step" drops the rate by the factor
    ``decay_rate`` every ``decay_steps`` steps up to ``horizon`` (a PiecewiseConstantDecay).
    Parameters a schedule does not take are ignored.
    """
    lr, T = float(learning_rate), float(decay_steps)
    if schedule == "constant":
        return Constant(lr)
    if schedule.startswith("step"):
        drops = max(1, int(np.ceil(horizon / T)) - 1)
        boundaries = [T * (k + 1) for k in range(drops)]
        return PiecewiseConstantDecay(boundaries, [lr * decay_rate**k for k in range(drops + 1)])
    if schedule == "exponential":
        return ExponentialDecay(lr, T, decay_rate, staircase=bool(staircase))
    if schedule.startswith("1/t"):
        return InverseTimeDecay(lr, T, decay_rate, staircase=bool(staircase))
    if schedule == "polynomial":
        end = min(float(end_learning_rate), lr)
        return PolynomialDecay(lr, T, end, power=float(power), cycle=bool(cycle))
    if schedule == "cosine":
        if warmup_steps > 0:
            return CosineDecay(0.0, T, float(alpha), warmup_target=lr, warmup_steps=warmup_steps)
        return CosineDecay(lr, T, float(alpha))
    if schedule == "cosine with restarts":
        return CosineDecayRestarts(lr, T, float(t_mul), float(m_mul), float(alpha))
    raise ValueError(f"schedule must be one of {SCHEDULES}; got {schedule!r}")


def warmup_schedule(learning_rate: float, warmup_steps: int) -> Schedule:
    r"""Linear warmup from 0 to ``learning_rate`` over ``warmup_steps`` steps, then constant:
    Keras' ``CosineDecay`` with ``alpha = 1`` (the cosine part then stays at 1)."""
    if warmup_steps <= 0:
        return Constant(float(learning_rate))
    return CosineDecay(0.0, 1, alpha=1.0, warmup_target=learning_rate, warmup_steps=warmup_steps)


def _describe(s: Schedule) -> str:
    """``CosineDecay(0.3, 500, ...)`` without the name and with short numbers."""

    def short(v: Any) -> str:
        if isinstance(v, list):
            return "[" + ", ".join(short(x) for x in v[:3]) + (", ...]" if len(v) > 3 else "]")
        return f"{v:.3g}" if isinstance(v, float) else repr(v)

    config = {k: v for k, v in s.get_config().items() if k != "name"}
    if config.get("warmup_target", 0) is None:  # CosineDecay without warmup
        del config["warmup_target"], config["warmup_steps"]
    first = next(iter(config))
    args = [short(config.pop(first))] + [f"{k}={short(v)}" for k, v in config.items()]
    return f"{type(s).__name__}({', '.join(args)})"


# --------------------------------------------------------------------------- noisy SGD
def noise_floor(learning_rate: Any, sigma: float = 1.0,
                eigenvalues: Any = NOISY_BOWL.notes["eigenvalues"]) -> Any:  # fmt: skip
    r"""Stationary mean loss of SGD with a constant rate :math:`\eta` on
    :math:`f = \tfrac12\sum_i \lambda_i w_i^2` with gradient noise of std :math:`\sigma`
    per coordinate: each coordinate follows :math:`w \leftarrow (1-\eta\lambda)w -
    \eta\sigma\xi`, whose variance settles at :math:`\eta\sigma^2/(\lambda(2-\eta\lambda))`,
    so :math:`E f = \sum_i \eta\sigma^2 / (2(2-\eta\lambda_i))` (infinite if
    :math:`\eta\lambda_i \ge 2`)."""
    eta = np.asarray(learning_rate, dtype=float)[..., None]
    lam = np.asarray(eigenvalues, dtype=float)
    with np.errstate(divide="ignore"):
        per = np.where(eta * lam < 2, eta * sigma**2 / (2 * (2 - eta * lam)), np.inf)
    out = per.sum(axis=-1)
    return float(out) if out.ndim == 0 else out


def noisy_runs(learning_rate: Any, sigma: float = 1.0, steps: int = STEPS, runs: int = RUNS,
               seed: int = 0) -> Trajectory:  # fmt: skip
    """``runs`` independent SGD runs (rate or schedule ``learning_rate``) on
    :data:`NOISY_BOWL` with gradient noise ``sigma``, all from its start; seeded."""
    start = np.broadcast_to(np.asarray(NOISY_BOWL.start, dtype=float), (runs, 2))
    return run(SGD(learning_rate), noisy(NOISY_BOWL, sigma, seed), start=start, steps=steps)


def mean_loss(traj: Trajectory) -> np.ndarray:
    """Mean loss over the runs at each step (NaN once any run has diverged)."""
    return traj.losses.mean(axis=-1)


@lru_cache(maxsize=64)
def _constant_loss(learning_rate: float, sigma: float) -> np.ndarray:
    return mean_loss(noisy_runs(learning_rate, sigma))


_LR_TOPS = (0.2, 0.5, 1.0, 1.6)


def _schedule_frame(top: float):
    fig, (ax, ax2) = lesson_figure(2, figsize=(13.0, 5.6))
    ax.set(xlim=(0, STEPS), ylim=(0, top), xlabel="step t", ylabel="learning rate η_t")
    log_yaxis(ax2)
    ax2.set(xlim=(0, STEPS), ylim=(1e-6, 1e2), xlabel="step t",
            ylabel=f"mean loss of {RUNS} noisy runs")  # fmt: skip
    frame_legend(fig, [handle("constant η", "0.55", linestyle="--"),
                       handle("schedule", COLORS["sgd"]),
                       handle("noise floor of constant η (theory)", "0.3", linestyle=":")],
                 bottom=0.22)  # fmt: skip
    return fig, (ax, ax2)


def schedule_figure(
    schedule: str = "cosine",
    learning_rate: float = 0.3,
    decay_steps: int = 500,
    decay_rate: float = 0.5,
    staircase: bool = False,
    end_learning_rate: float = 1e-4,
    power: float = 1.0,
    cycle: bool = False,
    alpha: float = 0.0,
    warmup_steps: int = 0,
    t_mul: float = 2.0,
    m_mul: float = 1.0,
    noise: float = 1.0,
) -> Figure:
    """The schedule (left) and SGD under it on the noisy bowl (right), beside a constant
    rate equal to the schedule's peak."""
    sched = make_schedule(schedule, learning_rate, decay_steps, decay_rate, staircase,
                          end_learning_rate, power, cycle, alpha, warmup_steps, t_mul,
                          m_mul)  # fmt: skip
    steps = np.arange(STEPS + 1)
    rates = np.asarray(sched(steps), dtype=float) * np.ones(STEPS + 1)
    top = next((c for c in _LR_TOPS if c >= 1.04 * learning_rate), _LR_TOPS[-1])
    fig, (ax, ax2) = framed("lesson09-schedule", _schedule_frame, (top,), [(c,) for c in _LR_TOPS])
    ax.plot(steps, np.full(STEPS + 1, learning_rate), "--", color="0.55")
    ax.plot(steps[:-1], rates[:-1], color=COLORS["sgd"])
    title(ax, _describe(sched), fontsize=11)
    const = np.clip(_constant_loss(float(learning_rate), float(noise)), 1e-6, 1e2)
    traj = noisy_runs(sched, noise)
    loss = np.clip(mean_loss(traj), 1e-6, 1e2)
    floor = noise_floor(learning_rate, noise)
    ax2.plot(steps, const, "--", color="0.55")
    ax2.plot(steps, loss, color=COLORS["sgd"])
    if np.isfinite(floor):
        ax2.axhline(min(max(floor, 1e-6), 1e2), color="0.3", ls=":", lw=2)
    title(ax2, f"noise σ = {noise:.3g}; at step {STEPS}: constant {const[-1]:.3g}, "
               f"schedule {loss[-1]:.3g}", fontsize=13)  # fmt: skip
    if traj.diverged.any():
        note(ax2, [f"{int(traj.diverged.sum())} of {RUNS} runs diverged"])
    return fig


def schedule_controls() -> dict[str, Any]:
    """The schedule and every parameter of Keras' six schedules, plus the gradient noise."""
    return {
        "schedule": choice("schedule", SCHEDULES, "cosine"),
        "learning_rate": log_slider("peak rate η₀", 0.3, 0.01, 1.5),
        "decay_steps": int_slider("decay_steps T", 500, 10, 1000, 10),
        "decay_rate": slider("decay_rate", 0.5, 0.05, 2.0, 0.05),
        "staircase": choice("staircase", (False, True), False),
        "end_learning_rate": log_slider("end_learning_rate", 1e-4, 1e-5, 0.1),
        "power": slider("power", 1.0, 0.25, 4.0, 0.25),
        "cycle": choice("cycle", (False, True), False),
        "alpha": slider("alpha (floor / peak)", 0.0, 0.0, 1.0, 0.05),
        "warmup_steps": int_slider("warmup_steps (cosine)", 0, 0, 300, 10),
        "t_mul": slider("t_mul (restarts)", 2.0, 1.0, 3.0, 0.25),
        "m_mul": slider("m_mul (restarts)", 1.0, 0.0, 1.0, 0.05),
        "noise": log_slider("gradient noise σ", 1.0, 0.01, 3.0),
    }


# --------------------------------------------------------------------------- warmup and Adam
WARMUP_STEPS, COORDS = 2000, 256


@lru_cache(maxsize=64)
def adam_noise_steps(beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                     signal: float = 0.0, steps: int = WARMUP_STEPS, coords: int = COORDS,
                     seed: int = 0) -> np.ndarray:  # fmt: skip
    r"""Mean |step| / :math:`\eta_t` of Keras' Adam (``epsilon`` is :math:`\hat\epsilon`)
    over ``coords`` coordinates whose gradients are ``signal`` + standard normal noise,
    at steps t = 1..``steps``. The gradients do not depend on the weights, so the step is
    :math:`\eta_t` times this ratio for any schedule :math:`\eta_t`."""
    grads = signal + np.random.default_rng(seed).standard_normal((steps, coords))
    adam, w, out = Adam(1.0, beta_1, beta_2, epsilon), np.zeros(coords), np.empty(steps)
    for k in range(steps):
        new = adam.step(w, grads[k])
        out[k] = np.mean(np.abs(new - w))
        w = new
    out.flags.writeable = False
    return out


def _warmup_frame():
    fig, (ax, ax2) = lesson_figure(2, figsize=(13.0, 5.6))
    log_xaxis(ax)
    ax.set(xlim=(1, WARMUP_STEPS), ylim=(0, 1.1), xlabel="step t",
           ylabel="mean |step| / η_t")  # fmt: skip
    ax2.set(xlim=(0, 1000), ylim=(0, 1.1), xlabel="step t", ylabel="mean |step| / η")
    frame_legend(fig, [handle("Adam, no warmup", COLORS["adam"]),
                       handle("Adam, linear warmup", COLORS["adamw"]),
                       handle("settled level (mean of the last 500 steps)", "0.4",
                              linestyle=":")], bottom=0.22)  # fmt: skip
    return fig, (ax, ax2)


def warmup_figure(warmup_steps: int = 200, beta_1: float = 0.9, beta_2: float = 0.999,
                  epsilon: float = 1e-7, signal: float = 0.0) -> Figure:  # fmt: skip
    """Adam's step per unit rate on noisy gradients (left, log steps) and the step with
    and without a linear warmup (right, first 1000 steps)."""
    ratio = adam_noise_steps(float(beta_1), float(beta_2), float(epsilon), float(signal))
    t = np.arange(1, WARMUP_STEPS + 1)
    rates = np.asarray(warmup_schedule(1.0, int(warmup_steps))(t - 1)) * np.ones(len(t))
    settled = float(ratio[-500:].mean())
    fig, (ax, ax2) = framed("lesson09-warmup", _warmup_frame)
    ax.plot(t, ratio, color=COLORS["adam"])
    ax.axhline(settled, color="0.4", ls=":", lw=2)
    title(ax, f"β₁ = {beta_1:.3g}, β₂ = {beta_2:.4g}, ε̂ = {epsilon:.0e}, mean gradient "
              f"{signal:.3g} (noise sd 1)", fontsize=12)  # fmt: skip
    ax2.plot(t[:1000], ratio[:1000], color=COLORS["adam"])
    ax2.plot(t[:1000], (rates * ratio)[:1000], color=COLORS["adamw"])
    ax2.axhline(settled, color="0.4", ls=":", lw=2)
    title(ax2, f"warmup {int(warmup_steps)} steps; step 1: {ratio[0]:.2f} η, settled "
               f"{settled:.2f} η", fontsize=13)  # fmt: skip
    return fig


def warmup_controls() -> dict[str, Any]:
    """Warmup length, Adam's betas and epsilon-hat, and the gradients' mean (noise sd 1)."""
    return {
        "warmup_steps": int_slider("warmup steps", 200, 0, 1000, 50),
        "beta_1": slider("β₁", 0.9, 0.0, 0.99, 0.01),
        "beta_2": slider("β₂", 0.999, 0.9, 0.9999, 0.0001),
        "epsilon": log_slider("ε̂ (Keras' epsilon)", 1e-7, 1e-8, 10.0),
        "signal": slider("mean gradient (signal)", 0.0, 0.0, 2.0, 0.1),
    }


# --------------------------------------------------------------------------- momentum forms
EVENTS = ("drop", "jump up (restart)", "linear warmup")
MOMENTUM_FORMS = ("classical (Keras)", "EWMA form", "PyTorch, dampening 0", "PyTorch, dampening d")
MOMENTUM_STEPS, ETA0 = 150, 0.1


def event_schedule(event: str = "drop", event_step: int = 50, factor: float = 0.1,
                   learning_rate: float = ETA0) -> Schedule:  # fmt: skip
    """``learning_rate`` dropping to ``factor`` times itself at ``event_step``, jumping up
    from ``factor`` times it, or warming up linearly from 0 over ``event_step`` steps."""
    if event == "drop":
        return PiecewiseConstantDecay([event_step], [learning_rate, factor * learning_rate])
    if event.startswith("jump"):
        return PiecewiseConstantDecay([event_step], [factor * learning_rate, learning_rate])
    if event.endswith("warmup"):
        return warmup_schedule(learning_rate, event_step)
    raise ValueError(f"event must be one of {EVENTS}; got {event!r}")


def momentum_steps(
    schedule: Schedule,
    beta: float = 0.9,
    dampening: float = 0.5,
    grads: Any = None,
    steps: int = MOMENTUM_STEPS,
) -> dict[str, np.ndarray]:
    r"""Step lengths :math:`|w_t - w_{t-1}|` of the four momentum forms under ``schedule``
    (gradient 1 at every step unless ``grads`` is given), each given the rate that makes it
    take the same steps as the others at a constant rate: :math:`\eta_t` for Keras'
    classical form and PyTorch's with dampening 0, :math:`\eta_t/(1-\beta)` for the EWMA
    form (its :math:`\tilde\eta`), :math:`\eta_t/(1-d)` for PyTorch's with dampening d."""
    g = np.ones(steps) if grads is None else np.asarray(grads, dtype=float)
    forms = {
        MOMENTUM_FORMS[0]: SGD(schedule, momentum=beta),
        MOMENTUM_FORMS[1]: EWMAMomentum(lambda s: schedule(s) / (1 - beta), beta=beta),
        MOMENTUM_FORMS[2]: SGD(schedule, momentum=beta).variant(dampening=0.0),
        MOMENTUM_FORMS[3]: SGD(lambda s: schedule(s) / (1 - dampening), momentum=beta).variant(
            dampening=dampening
        ),  # fmt: skip
    }
    out = {}
    for name, opt in forms.items():
        w, lengths = np.zeros(1), np.empty(len(g))
        for k, g_k in enumerate(g):
            new = opt.step(w, np.array([g_k]))
            lengths[k] = abs(new[0] - w[0])
            w = new
        out[name] = lengths
    return out


_FORM_STYLE = {
    MOMENTUM_FORMS[0]: (COLORS["momentum"], "-"),
    MOMENTUM_FORMS[1]: (COLORS["sgd"], "-"),
    MOMENTUM_FORMS[2]: ("k", ":"),
    MOMENTUM_FORMS[3]: (COLORS["nesterov"], "--"),
}


def _momentum_frame():
    fig, (ax, ax2) = lesson_figure(2, figsize=(13.0, 5.6))
    fig.subplots_adjust(left=0.09)
    ax.set(xlim=(0, MOMENTUM_STEPS), ylim=(0, 1.1 * ETA0), xlabel="step t",
           ylabel="learning rate η_t")  # fmt: skip
    ax2.set(xlim=(0, MOMENTUM_STEPS), ylim=(0, 1.6), xlabel="step t",
            ylabel="|step| / (η₀ / (1 − β))")  # fmt: skip
    frame_legend(fig, [handle(n, c, linestyle=ls) for n, (c, ls) in _FORM_STYLE.items()],
                 bottom=0.22)  # fmt: skip
    return fig, (ax, ax2)


def momentum_figure(event: str = "drop", event_step: int = 50, factor: float = 0.1,
                    beta: float = 0.9, dampening: float = 0.5) -> Figure:  # fmt: skip
    """The schedule (left) and each momentum form's step on a constant gradient of 1
    (right), in units of the settled step at the peak rate."""
    sched = event_schedule(event, int(event_step), float(factor))
    t = np.arange(MOMENTUM_STEPS)
    lengths = momentum_steps(sched, float(beta), float(dampening))
    fig, (ax, ax2) = framed("lesson09-momentum", _momentum_frame)
    ax.plot(t + 1, np.asarray(sched(t)) * np.ones(len(t)), color=COLORS["momentum"])
    title(ax, _describe(sched), fontsize=11)
    unit = ETA0 / (1 - beta)
    for name, (color, ls) in _FORM_STYLE.items():
        ax2.plot(t + 1, np.clip(lengths[name] / unit, 0, 1.6), color=color, ls=ls)
    gaps = np.abs(lengths[MOMENTUM_FORMS[0]] - lengths[MOMENTUM_FORMS[1]]) / unit
    k = int(np.argmax(gaps))
    title(ax2, f"β = {beta:.3g}, d = {dampening:.3g}; largest |classical − EWMA| = "
               f"{gaps[k]:.2f} (step {k + 1})", fontsize=13)  # fmt: skip
    return fig


def momentum_controls() -> dict[str, Any]:
    """What happens to the rate, when, by what factor; momentum beta; PyTorch's dampening."""
    return {
        "event": choice("the rate", EVENTS, "drop"),
        "event_step": int_slider("at step (warmup length)", 50, 10, 140, 10),
        "factor": log_slider("factor", 0.1, 0.01, 1.0),
        "beta": slider("momentum β", 0.9, 0.0, 0.99, 0.01),
        "dampening": slider("PyTorch dampening d", 0.5, 0.0, 0.95, 0.05),
    }


# --------------------------------------------------------------------------- batch size
BATCH_SIZES = (8, 16, 32, 64, 128, 256, 512)
N_EXAMPLES, N_FEATURES, LABEL_NOISE = 1024, 8, 1.0


@lru_cache(maxsize=4)
def regression_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""A least-squares problem :math:`f(w) = \frac{1}{2n}\|Xw - y\|^2` with 1024 examples
    and 8 features whose scales spread the Hessian's eigenvalues over about two decades;
    returns ``(X, y, w_star)`` (``w_star`` the exact minimiser)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N_EXAMPLES, N_FEATURES)) * np.geomspace(1.0, 0.1, N_FEATURES)
    y = X @ rng.standard_normal(N_FEATURES) + LABEL_NOISE * rng.standard_normal(N_EXAMPLES)
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    for a in (X, y, w_star):
        a.flags.writeable = False
    return X, y, w_star


def _excess_loss(X: np.ndarray, y: np.ndarray, w: np.ndarray, w_star: np.ndarray) -> np.ndarray:
    """f(w) - f(w*) for a batch of weight vectors ``w`` (runs x features)."""
    r, r_star = w @ X.T - y, X @ w_star - y
    return 0.5 * (np.mean(r**2, axis=-1) - np.mean(r_star**2))


@lru_cache(maxsize=256)
def batch_scaling_losses(batch_size: int, learning_rate: float, epochs: int = 4,
                         seeds: int = 16) -> np.ndarray:  # fmt: skip
    r"""Minibatch SGD (:class:`lessons_lib.optimizers.SGD`) on :func:`regression_data`,
    ``seeds`` shuffles at once, from w = 0: the mean excess loss :math:`f(w) - f(w^*)` over
    the shuffles after each epoch (length ``epochs``; inf once a run has diverged)."""
    X, y, w_star = regression_data()
    rng = np.random.default_rng(1)
    opt, w = SGD(learning_rate), np.zeros((seeds, N_FEATURES))
    start = float(_excess_loss(X, y, w[:1], w_star)[0])
    out = np.full(epochs, np.inf)
    per_epoch = -(-N_EXAMPLES // batch_size)
    with np.errstate(all="ignore"):
        for e in range(epochs):
            order = np.argsort(rng.random((seeds, N_EXAMPLES)), axis=1)
            for k in range(per_epoch):
                idx = order[:, k * batch_size : (k + 1) * batch_size]
                Xb, yb = X[idx], y[idx]  # (seeds, B, d), (seeds, B)
                resid = np.einsum("sbd,sd->sb", Xb, w) - yb
                w = opt.step(w, np.einsum("sbd,sb->sd", Xb, resid) / idx.shape[1])
                if not np.all(np.isfinite(w)) or np.abs(w).max() > 1e6:
                    break
            out[e] = float(np.mean(_excess_loss(X, y, w, w_star)))
            if not out[e] <= start:  # above the loss at w = 0: diverging
                out[e:] = np.inf
                break
    out.flags.writeable = False
    return out


SCALINGS = ("linear: η ∝ B", "square root: η ∝ √B", "none: η fixed")
BASE_BATCH = 8


def _scaled_rate(base_rate: float, batch_size: int, scaling: str) -> float:
    k = batch_size / BASE_BATCH
    return float(base_rate) * (k if scaling.startswith("linear") else
                        np.sqrt(k) if scaling.startswith("square") else 1.0)  # fmt: skip


def _batch_frame():
    fig, (ax, ax2) = lesson_figure(2, figsize=(13.0, 5.6))
    log_xaxis(ax)
    log_yaxis(ax)
    ax.set(xlim=(6, 700), ylim=(1e-4, 1e2), xlabel="batch size B",
           ylabel="excess loss after the epochs")  # fmt: skip
    log_yaxis(ax2)
    ax2.set(xlim=(0.8, 4.2), ylim=(1e-4, 1e2), xlabel="epoch", xticks=(1, 2, 3, 4),
            ylabel="excess loss f(w) − f(w*)")  # fmt: skip
    frame_legend(fig, [handle("scaled rate", COLORS["sgd"], marker="o"),
                       handle(f"B = {BASE_BATCH} (the base)", "0.5", marker="s"),
                       handle("X: diverged", "k", marker="X", linestyle="")],
                 bottom=0.22)  # fmt: skip
    return fig, (ax, ax2)


def batch_figure(base_rate: float = 0.05, scaling: str = SCALINGS[0], batch_size: int = 128,
                 epochs: int = 4) -> Figure:  # fmt: skip
    """Excess loss after ``epochs`` for every batch size with the rate scaled from
    ``base_rate`` at B = 8 (left); the epochs of ``batch_size`` against the base (right)."""
    epochs = int(epochs)
    finals = np.array([batch_scaling_losses(b, _scaled_rate(base_rate, b, scaling))[epochs - 1]
                       for b in BATCH_SIZES])  # fmt: skip
    fig, (ax, ax2) = framed("lesson09-batch", _batch_frame)
    ok = np.isfinite(finals)
    bs = np.array(BATCH_SIZES, dtype=float)
    ax.plot(bs[ok], np.clip(finals[ok], 1e-4, 1e2), "o-", color=COLORS["sgd"])
    ax.plot(bs[~ok], np.full((~ok).sum(), 1e2), "X", color="k", markersize=14, clip_on=False)
    title(
        ax, f"{scaling}, η = {base_rate:.3g} at B = {BASE_BATCH}, {int(epochs)} epochs", fontsize=12
    )
    e = np.arange(1, epochs + 1)
    base = batch_scaling_losses(BASE_BATCH, base_rate)[:epochs]
    mine = batch_scaling_losses(int(batch_size), _scaled_rate(base_rate, batch_size, scaling))
    mine = mine[:epochs]
    ax2.plot(e, np.clip(base, 1e-4, 1e2), "s-", color="0.5")
    ax2.plot(e, np.clip(mine, 1e-4, 1e2), "o-", color=COLORS["sgd"])
    eta = _scaled_rate(base_rate, batch_size, scaling)
    title(ax2, f"B = {int(batch_size)}: η = {eta:.3g}", fontsize=13)
    if not np.all(np.isfinite(mine)):
        note(ax2, [f"B = {int(batch_size)} diverged"])
    return fig


def batch_controls() -> dict[str, Any]:
    """Base rate (at B = 8), scaling rule, the batch size on the right, epochs."""
    return {
        "base_rate": log_slider("η at B = 8", 0.05, 0.005, 0.5),
        "scaling": choice("scaling rule", SCALINGS, SCALINGS[0]),
        "batch_size": choice("batch size (right)", BATCH_SIZES, 128),
        "epochs": int_slider("epochs", 4, 1, 4),
    }


INTERACTIVE = [
    (schedule_figure, schedule_controls),
    (warmup_figure, warmup_controls),
    (momentum_figure, momentum_controls),
    (batch_figure, batch_controls),
]


# --------------------------------------------------------------------------- static figures
def overview_figure(schedules: dict[str, Schedule], steps: int = STEPS) -> Figure:
    """The given schedules' rates over ``steps`` steps, one line each (a static figure)."""
    fig, (ax,) = lesson_figure(1, figsize=(13.0, 5.6))
    s = np.arange(steps)
    colors = ("0.5", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#000000", "#56B4E9")
    styles = ("--", "-", "-", "-", "-", "-", "-", ":")
    top = 0.0
    for (name, sched), color, ls in zip(schedules.items(), colors, styles, strict=False):
        rates = np.asarray(sched(s)) * np.ones(steps)
        top = max(top, float(rates.max()))
        ax.plot(s, rates, color=color, ls=ls, label=name)
    ax.set(xlim=(0, steps), ylim=(0, 1.08 * top), xlabel="updates done s (= step t − 1)",
           ylabel="learning rate")  # fmt: skip
    ax.legend(loc="upper right", fontsize=12, ncol=2)
    return fig


def sample_figure(histories: dict[str, list[Any]], styles: dict[str, tuple[str, str]]) -> Figure:
    """Lesson 09's Fashion-MNIST sample runs: minibatch loss averaged over the seeds and
    over windows of one tenth of an epoch (left), test accuracy per epoch, mean and the
    seeds' range (right). ``histories`` maps a label to the seeds' ``MLPHistory`` objects."""
    fig, (ax, ax2) = lesson_figure(2, figsize=(13.0, 5.6))
    for label, runs in histories.items():
        color, ls = styles[label]
        loss = np.mean([h.step_loss for h in runs], axis=0)
        window = max(1, runs[0].steps_per_epoch // 10)
        smooth = np.convolve(loss, np.ones(window) / window, mode="valid")
        epochs = (np.arange(len(smooth)) + window) / runs[0].steps_per_epoch
        ax.plot(epochs, smooth, color=color, ls=ls, label=label)
        acc = 100 * np.array([h.test_accuracy for h in runs])
        e = np.arange(1, acc.shape[1] + 1)
        ax2.plot(e, acc.mean(axis=0), "o", color=color, ls=ls)
        ax2.fill_between(e, acc.min(axis=0), acc.max(axis=0), color=color, alpha=0.15)
    n_epochs = len(runs[0].test_accuracy)
    ax.set(xlabel="epoch", ylabel="minibatch loss (mean of seeds)", ylim=(0.2, 1.2),
           xticks=np.arange(n_epochs + 1))  # fmt: skip
    ax2.set(xlabel="epoch", ylabel="test accuracy (%)", xticks=np.arange(1, acc.shape[1] + 1))
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=4, frameon=False,
               fontsize=12)  # fmt: skip
    fig.subplots_adjust(bottom=0.25)
    return fig
