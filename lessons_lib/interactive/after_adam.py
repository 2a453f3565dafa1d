r"""Figures and experiments of lesson 10: the optimizers after Adam.

Every optimizer here is a :mod:`lessons_lib.optimizers` class (a Keras twin over its rule in
:mod:`lessons_lib.rules`); this module only runs them and draws. What it adds:

* :func:`state_numbers` / :func:`memory_rows`: the optimizer state, *measured* by counting
  the numbers an optimizer holds after one step on tensors of given shapes (one fresh copy
  per tensor, as Keras and :func:`lessons_lib.mlp.train_mlp` keep state per tensor);
* one slider figure per optimizer (``*_figure`` with ``*_controls``, listed in
  :data:`INTERACTIVE`), each drawn over a cached frame so a slider move stays under 100 ms;
* the 2-D race of lesson 07 with the new optimizers (:func:`tune`, :data:`TUNED`,
  :func:`leaderboard`, :func:`race_figure`) and the Fashion-MNIST sample comparison
  (:func:`sample_results`).
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

from ..functions import get_objective
from ..optimizers import (
    Adadelta,
    Adafactor,
    Adam,
    Adamax,
    AdamW,
    Lamb,
    Lion,
    Muon,
    Nadam,
    Optimizer,
    ScheduleFreeAdamW,
)
from ..plotting import COLORS
from ..rules.muon import newton_schulz
from ..runner import Trajectory, run
from ..widgets import choice, int_slider, log_slider, slider
from .frames import (
    GAP_RANGE,
    frame_gaps,
    frame_landscape,
    frame_legend,
    frame_losses,
    framed,
    handle,
    lesson_figure,
    log_xaxis,
    log_yaxis,
    note,
    shade,
    star_handle,
    title,
)

__all__ = [
    "COLOR",
    "INTERACTIVE",
    "LR_GRID",
    "NAMES",
    "SAMPLE",
    "SAMPLE_EPOCHS",
    "SAMPLE_RATES",
    "SAMPLE_SEEDS",
    "RACE",
    "RACE_OBJECTIVES",
    "RACE_STEPS",
    "TUNED",
    "adadelta_controls",
    "adadelta_figure",
    "adadelta_runs",
    "adafactor_controls",
    "adafactor_figure",
    "adamax_controls",
    "adamax_figure",
    "adamax_steps",
    "decay_controls",
    "decay_figure",
    "decay_runs",
    "decay_settled",
    "family_tree_figure",
    "lamb_controls",
    "lamb_figure",
    "lamb_runs",
    "leaderboard",
    "lion_controls",
    "lion_figure",
    "make_optimizer",
    "memory_rows",
    "muon_controls",
    "muon_figure",
    "muon_singular_values",
    "nadam_controls",
    "nadam_figure",
    "race_controls",
    "race_figure",
    "race_runs",
    "sample_results",
    "schedule_free_controls",
    "schedule_free_figure",
    "schedule_free_runs",
    "state_numbers",
    "tune",
]

#: the optimizers of the lesson, in the order it teaches them (Adam first, the reference)
NAMES = ("Adam", "Adadelta", "Adamax", "Nadam", "AdamW", "Lion", "LAMB", "Adafactor", "Muon",
         "SF-AdamW")  # fmt: skip

#: one colour per optimizer (Adam and AdamW keep the course's colours)
COLOR = {
    "Adam": COLORS["adam"],
    "AdamW": COLORS["adamw"],
    "Adadelta": "#8C564B",
    "Adamax": "#E69F00",
    "Nadam": "#009E73",
    "Lion": "#D55E00",
    "LAMB": "#CC79A7",
    "Adafactor": "#0072B2",
    "Muon": "#7F7F7F",
    "SF-AdamW": "#BCBD22",
    "Adam + L2": "#000000",
}

_CLASSES = {
    "Adam": Adam,
    "Adadelta": Adadelta,
    "Adamax": Adamax,
    "Nadam": Nadam,
    "AdamW": AdamW,
    "Lion": Lion,
    "LAMB": Lamb,
    "Adafactor": Adafactor,
    "Muon": Muon,
    "SF-AdamW": ScheduleFreeAdamW,
}


def make_optimizer(name: str, learning_rate: Any = None) -> Optimizer:
    """Optimizer ``name`` (one of :data:`NAMES`) with Keras' defaults; ``learning_rate``
    replaces Keras' default rate if given."""
    if name not in _CLASSES:
        raise ValueError(f"optimizer must be one of {NAMES}, got {name!r}")
    cls = _CLASSES[name]
    return cls() if learning_rate is None else cls(learning_rate)


# --------------------------------------------------------------------------- state memory
def _count(state: dict[str, Any]) -> int:
    return int(sum(np.size(value) for value in state.values()))


def state_numbers(optimizer: Optimizer, shapes: Any, seed: int = 0) -> int:
    """Numbers of optimizer state for parameter tensors of ``shapes``, counted in the
    state an optimizer really holds after one step on each (a fresh copy per tensor,
    random weights and gradients)."""
    rng = np.random.default_rng(seed)
    total = 0
    for shape in shapes:
        opt = copy.deepcopy(optimizer)
        opt.reset()
        opt.step(rng.standard_normal(shape), rng.standard_normal(shape))
        total += _count(opt.state)
    return total


def memory_rows(shapes: Any, names: Any = NAMES) -> list[tuple[str, int, float]]:
    """``(optimizer, state numbers, state numbers per parameter)`` for tensors ``shapes``."""
    n = int(sum(np.prod(s) for s in shapes))
    rows = []
    for name in names:
        count = state_numbers(make_optimizer(name), shapes)
        rows.append((name, count, count / n))
    return rows


# --------------------------------------------------------------------------- family tree
_TREE = {  # name: (x, y, parent, year)
    "SGD + momentum": (0.5, 5.0, None, "1964"),
    "AdaGrad": (3.0, 5.0, None, "2011"),
    "RMSProp": (3.0, 4.0, "AdaGrad", "2012"),
    "Adadelta": (5.5, 4.0, "AdaGrad", "2012"),
    "Adam": (1.75, 3.0, "RMSProp", "2015"),
    "Adamax": (0.0, 2.0, "Adam", "2015"),
    "Nadam": (1.6, 2.0, "Adam", "2016"),
    "AdamW": (3.2, 2.0, "Adam", "2019"),
    "Adafactor": (5.2, 2.0, "Adam", "2018"),
    "LAMB": (2.2, 1.0, "AdamW", "2020"),
    "Lion": (4.2, 1.0, "AdamW", "2023"),
    "SF-AdamW": (3.2, 0.0, "AdamW", "2024"),
    "Muon": (0.3, 1.0, "SGD + momentum", "2024"),
}
_EXTRA_EDGES = (("SGD + momentum", "Adam"), ("SGD + momentum", "Nadam"))


def family_tree_figure() -> Figure:
    """The family tree: each optimizer below what it changes (arrows: "builds on")."""
    fig, (ax,) = lesson_figure(1, figsize=(13.0, 7.0))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.93)
    ax.set_axis_off()
    ax.set(xlim=(-0.9, 6.4), ylim=(-0.5, 5.5))
    edges = [(parent, child) for child, (*_, parent, _y) in _TREE.items() if parent]
    for parent, child in [*edges, *_EXTRA_EDGES]:
        (x0, y0, *_), (x1, y1, *_) = _TREE[parent], _TREE[child]
        ax.add_patch(FancyArrowPatch((x0, y0 - 0.22), (x1, y1 + 0.25), arrowstyle="-|>",
                                     mutation_scale=18, color="0.45", lw=1.6))  # fmt: skip
    for name, (x, y, _parent, year) in _TREE.items():
        new = name in COLOR and name not in ("Adam",)
        ax.text(x, y, f"{name}\n{year}", ha="center", va="center", fontsize=15,
                bbox={"boxstyle": "round,pad=0.4", "facecolor": COLOR[name] if new else "white",
                      "alpha": 0.35 if new else 1.0, "edgecolor": "k"})  # fmt: skip
    title(ax, "after Adam: each arrow points from a method to one that builds on it")
    return fig


# --------------------------------------------------------------------------- Adadelta
ADADELTA_STEPS = 400


@lru_cache(maxsize=256)
def adadelta_runs(scale: float, rho: float = 0.95, epsilon: float = 1e-7) -> dict[str, np.ndarray]:
    r""":math:`|w_t|/s` on :math:`f(w) = \tfrac12 (w/s)^2` from :math:`w_0 = s`: the same
    problem written in units ``scale`` times larger, so a method whose steps carry the
    parameter's units draws the same curve for every ``scale``. Adadelta as in the paper
    (:math:`\eta = 1`) and with Keras' default :math:`\eta = 0.001`, at ``scale``, and
    the paper's at scale 1 for reference."""
    names = ("paper (η = 1), units s", "Keras' default (η = 0.001), units s",
             "paper (η = 1), units 1")  # fmt: skip
    lr, s = np.array([1.0, 0.001, 1.0]), np.array([scale, scale, 1.0])
    opt = Adadelta(lr, rho=rho, epsilon=epsilon)  # the three runs as one batch
    w, rel = s.copy(), np.empty((ADADELTA_STEPS + 1, 3))
    rel[0] = 1.0
    for t in range(1, ADADELTA_STEPS + 1):
        w = opt.step(w, w / s**2)
        rel[t] = np.abs(w) / s
    return dict(zip(names, rel.T, strict=True))


_ADADELTA_STYLES = ((COLOR["Adadelta"], "-"), ("#D9A38A", "-"), ("0.55", ":"))
_REL_RANGE = (1e-6, 1e3)


def _adadelta_frame():
    fig, (ax,) = lesson_figure(1, figsize=(12.0, 5.6))
    fig.subplots_adjust(left=0.1)
    frame_losses(ax, ADADELTA_STEPS, ylim=_REL_RANGE, ylabel="|wₜ| / s  (1 = start)",
                 xlabel="step t")  # fmt: skip
    names = list(adadelta_runs(1.0))
    frame_legend(fig, [handle(f"Adadelta, {n}", c, linestyle=ls)
                       for n, (c, ls) in zip(names, _ADADELTA_STYLES, strict=True)],
                 bottom=0.24)  # fmt: skip
    return fig, (ax,)


def adadelta_figure(scale: float = 1000.0, rho: float = 0.95, epsilon: float = 1e-7) -> Figure:
    """Adadelta on one quadratic written in units ``scale`` times larger: does its path,
    measured in those units, stay the same?"""
    fig, (ax,) = framed("lesson10-adadelta", _adadelta_frame)
    runs = adadelta_runs(float(scale), float(rho), float(epsilon))
    for rel, (color, style) in zip(runs.values(), _ADADELTA_STYLES, strict=True):
        ax.plot(np.arange(ADADELTA_STEPS + 1), np.clip(rel, *_REL_RANGE), style, color=color)
    ax.axhline(1.0, color="0.6", lw=1)
    title(ax, f"f(w) = ½(w/s)², w₀ = s,  s = {scale:.3g},  ρ = {rho:.3g},  ε = {epsilon:.0e}")
    return fig


def adadelta_controls() -> dict[str, Any]:
    """Units scale s (log), rho, epsilon (log)."""
    return {
        "scale": log_slider("units scale s", 1000.0, 1e-3, 1e3, steps_per_decade=4),
        "rho": slider("ρ", 0.95, 0.5, 0.99, 0.01),
        "epsilon": log_slider("ε", 1e-7, 1e-10, 1e-2, steps_per_decade=2),
    }


# --------------------------------------------------------------------------- Adamax
ADAMAX_STEPS, SPIKE_AT = 600, 100


def adamax_steps(spike: float, beta_2: float = 0.999, beta_1: float = 0.9) -> dict[str, np.ndarray]:
    r"""Step length over :math:`\eta` of Adam and Adamax for a gradient of 1 at every step
    except one, ``spike``, at step :data:`SPIKE_AT`."""
    grads = np.ones(ADAMAX_STEPS)
    grads[SPIKE_AT - 1] = spike
    out = {}
    for name, opt in (("Adam", Adam(1.0, beta_1=beta_1, beta_2=beta_2)),
                      ("Adamax", Adamax(1.0, beta_1=beta_1, beta_2=beta_2))):  # fmt: skip
        w, steps = np.zeros(1), np.empty(ADAMAX_STEPS)
        for t, g in enumerate(grads):
            new = opt.step(w, np.array([g]))
            steps[t] = abs(new[0] - w[0])
            w = new
        out[name] = steps
    return out


def _adamax_frame():
    fig, (ax,) = lesson_figure(1, figsize=(12.0, 5.4))
    fig.subplots_adjust(left=0.1)
    frame_losses(ax, ADAMAX_STEPS, ylim=(1e-3, 3.0), ylabel="step length / η", xlabel="step t")
    frame_legend(fig, [handle("Adam: √v̂ (an L² average)", COLOR["Adam"]),
                       handle("Adamax: u = max(β₂u, |g|) (the ∞-norm)", COLOR["Adamax"])],
                 bottom=0.22)  # fmt: skip
    return fig, (ax,)


def adamax_figure(spike: float = 100.0, beta_2: float = 0.999) -> Figure:
    """After one gradient ``spike`` times larger than the rest: Adam's and Adamax's steps."""
    fig, (ax,) = framed("lesson10-adamax", _adamax_frame)
    steps = adamax_steps(float(spike), float(beta_2))
    t = np.arange(1, ADAMAX_STEPS + 1)
    for name, s in steps.items():
        ax.plot(t, np.clip(s, 1e-3, 3.0), color=COLOR[name])
    ax.axvline(SPIKE_AT, color="0.6", lw=1, ls=":")
    late = {name: s[SPIKE_AT + 99] for name, s in steps.items()}
    title(ax, f"gradient 1, once {spike:.3g} at t = {SPIKE_AT};  β₂ = {beta_2:.4g}")
    note(ax, [f"100 steps after the spike: Adam {late['Adam']:.3f} η, "
              f"Adamax {late['Adamax']:.3f} η"])  # fmt: skip
    return fig


def adamax_controls() -> dict[str, Any]:
    """Spike size (log) and beta_2."""
    return {
        "spike": log_slider("spike × gradient", 100.0, 1.0, 1e4, steps_per_decade=4),
        "beta_2": slider("β₂", 0.999, 0.9, 0.9999, 0.0001),
    }


# --------------------------------------------------------------------------- 2-D paths
PATH_OBJECTIVES = ("rosenbrock", "beale", "himmelblau")
PATH_STEPS = 150


def _pair_frame(objective: str, names: tuple[str, ...], right: str):
    fig, (ax, ax2) = lesson_figure(2, figsize=(12.0, 5.8), width_ratios=(1.1, 1))
    obj = get_objective(objective)
    frame_landscape(ax, obj, aspect="auto")
    shade(ax, obj, ("lesson10", objective))
    if right == "gap":
        frame_gaps(ax2, PATH_STEPS)
    else:
        frame_losses(ax2, PATH_STEPS, ylim=(1e-5, 1.0), ylabel="|Δw| per coordinate",
                     xlabel="step t")  # fmt: skip
    frame_legend(fig, [star_handle(), *(handle(n, COLOR[n]) for n in names)], bottom=0.22)
    return fig, (ax, ax2)


def _pair_figure(key: str, objective: str, runs: dict[str, Trajectory], right: str) -> Figure:
    names = tuple(runs)
    every = [(o, names, right) for o in PATH_OBJECTIVES]
    fig, (ax, ax2) = framed(key, _pair_frame, (objective, names, right), every)
    obj = get_objective(objective)
    notes = []
    for name, traj in runs.items():
        pts = traj.points
        ax.plot(pts[:, 0], pts[:, 1], "-", color=COLOR[name], lw=2.2, alpha=0.9)
        alive = pts[~np.isnan(pts[:, 0])]
        ax.plot(*alive[-1], "s", color=COLOR[name], markersize=11, markeredgecolor="k", zorder=6)
        if traj.diverged_at >= 0:
            notes.append(f"{name}: diverged at step {int(traj.diverged_at)}")
        if right == "gap":
            ax2.plot(np.clip(obj.gap(traj.losses), *GAP_RANGE), color=COLOR[name])
        else:
            with np.errstate(invalid="ignore"):
                steps = np.abs(np.diff(pts, axis=0))
            for i, style in enumerate(("-", "--")):
                ax2.plot(np.arange(1, len(pts)), np.clip(steps[:, i], 1e-5, 1.0), style,
                         color=COLOR[name], lw=1.8)  # fmt: skip
    ax.plot(*obj.start, "o", color="w", markeredgecolor="k", markersize=11, zorder=6)
    note(ax2, notes)
    return fig


def nadam_figure(objective: str = "rosenbrock", learning_rate: float = 0.1,
                 beta_1: float = 0.9) -> Figure:  # fmt: skip
    """Nadam and Adam with the same hyperparameters: paths and gaps to the minimum."""
    obj = get_objective(objective)
    runs = {name: run(cls(learning_rate, beta_1=beta_1), obj, steps=PATH_STEPS)
            for name, cls in (("Adam", Adam), ("Nadam", Nadam))}  # fmt: skip
    fig = _pair_figure("lesson10-nadam", objective, runs, "gap")
    title(fig.data_axes[0], f"{objective}: η = {learning_rate:.3g}, β₁ = {beta_1:.3g}")
    title(fig.data_axes[1], "gap to the minimum value")
    return fig


def nadam_controls() -> dict[str, Any]:
    """Objective, learning rate (log), beta_1."""
    return {
        "objective": choice("objective", PATH_OBJECTIVES, "rosenbrock"),
        "learning_rate": log_slider("learning rate η", 0.1, 1e-3, 1.0),
        "beta_1": slider("β₁", 0.9, 0.0, 0.99, 0.01),
    }


def lion_figure(objective: str = "rosenbrock", learning_rate: float = 0.03,
                beta_1: float = 0.9, beta_2: float = 0.99) -> Figure:  # fmt: skip
    """Lion and Adam at the same learning rate: paths, and every coordinate's step
    (solid: x, dashed: y); Lion's are all exactly η."""
    obj = get_objective(objective)
    runs = {
        "Adam": run(Adam(learning_rate), obj, steps=PATH_STEPS),
        "Lion": run(Lion(learning_rate, beta_1=beta_1, beta_2=beta_2), obj, steps=PATH_STEPS),
    }
    fig = _pair_figure("lesson10-lion", objective, runs, "steps")
    title(fig.data_axes[0], f"{objective}: η = {learning_rate:.3g}, β₁ = {beta_1:.3g}, "
          f"β₂ = {beta_2:.3g}")  # fmt: skip
    title(fig.data_axes[1], "each coordinate's step (solid x, dashed y)")
    fig.data_axes[1].axhline(learning_rate, color="0.5", ls=":", lw=2)
    return fig


def lion_controls() -> dict[str, Any]:
    """Objective, learning rate (log), beta_1, beta_2."""
    return {
        "objective": choice("objective", PATH_OBJECTIVES, "rosenbrock"),
        "learning_rate": log_slider("learning rate η", 0.03, 1e-3, 0.3),
        "beta_1": slider("β₁", 0.9, 0.0, 0.99, 0.01),
        "beta_2": slider("β₂", 0.99, 0.5, 0.999, 0.001),
    }


# --------------------------------------------------------------------------- AdamW vs L2
DECAY_GRID = 10 ** (np.arange(-20, 1) / 10)  # weight decay 0.01 ... 1, ten per decade
DECAY_NOISE = np.array([3.0, 0.1])  # gradient noise std of the two coordinates
DECAY_STEPS, DECAY_RUNS, DECAY_LR = 2000, 32, 0.01


@lru_cache(maxsize=4)
def decay_runs(seed: int = 0) -> dict[str, np.ndarray]:
    r"""Mean weights over time, shape ``(steps + 1, len(DECAY_GRID), 2)``, of AdamW and of
    Adam + L2 on :math:`f(w) = \tfrac12\|w - 1\|^2` with gradient noise of std
    :data:`DECAY_NOISE` (per coordinate), :data:`DECAY_RUNS` seeded runs per decay value,
    from :math:`w = 0`, at :math:`\eta` = :data:`DECAY_LR`. Adam + L2 adds
    :math:`\lambda w` to the gradient; AdamW shrinks :math:`w` by :math:`\eta\lambda w`."""
    lam = DECAY_GRID[:, None, None]
    out = {}
    for name in ("AdamW", "Adam + L2"):
        rng = np.random.default_rng(seed)
        opt = AdamW(DECAY_LR, weight_decay=lam) if name == "AdamW" else Adam(DECAY_LR)
        w = np.zeros((DECAY_GRID.size, DECAY_RUNS, 2))
        means = np.empty((DECAY_STEPS + 1, DECAY_GRID.size, 2))
        means[0] = 0.0
        for t in range(1, DECAY_STEPS + 1):
            g = (w - 1.0) + DECAY_NOISE * rng.standard_normal(w.shape)
            w = opt.step(w, g + lam * w if name == "Adam + L2" else g)
            means[t] = w.mean(axis=1)
        out[name] = means
    return out


def decay_settled(weight_decay: float = 0.1) -> dict[str, np.ndarray]:
    """Where each method's mean weights settle at a decay value of :data:`DECAY_GRID`:
    the mean over the last half of :func:`decay_runs` (noisy coordinate first)."""
    i = _decay_index(float(weight_decay))
    return {name: means[DECAY_STEPS // 2 :, i].mean(axis=0) for name, means in decay_runs().items()}


def _decay_index(weight_decay: float) -> int:
    on_grid = np.flatnonzero(np.isclose(DECAY_GRID, weight_decay, rtol=1e-6))
    if not on_grid.size:
        raise ValueError(f"weight_decay must be one of the slider's values {DECAY_GRID}")
    return int(on_grid[0])


def _decay_frame():
    fig, (ax, ax2) = lesson_figure(2, figsize=(13.0, 5.8), width_ratios=(1.2, 1))
    fig.subplots_adjust(left=0.09)
    ax.set(xlim=(0, DECAY_STEPS), ylim=(0.0, 1.1), xlabel="step t",
           ylabel="mean weight (target 1)")  # fmt: skip
    log_xaxis(ax2)
    ax2.set(xlim=(DECAY_GRID[0], DECAY_GRID[-1]), ylim=(0.0, 1.1), xlabel="weight decay λ",
            ylabel="final weight (mean of the last half)")  # fmt: skip
    lam = np.logspace(-2, 0, 100)
    for sigma, style in zip(DECAY_NOISE, ("-", "--"), strict=True):
        ax2.plot(lam, 1 / (1 + lam * sigma), style, color="0.75", lw=5)
    ax2.plot(lam, 1 / (1 + lam), ":", color="0.55", lw=3)
    frame_legend(fig, [handle("AdamW", COLOR["AdamW"]), handle("Adam + L2", COLOR["Adam + L2"]),
                       handle("noisy coordinate (σ = 3)", "0.3"),
                       handle("quiet coordinate (σ = 0.1)", "0.3", linestyle="--"),
                       handle("1/(1 + λσ)", "0.75", lw=5), handle("1/(1 + λ)", "0.55", ls=":")],
                 bottom=0.25, ncol=3)  # fmt: skip
    return fig, (ax, ax2)


def decay_figure(weight_decay: float = 0.1) -> Figure:
    """AdamW against Adam + L2 on a noisy bowl: the mean weights over time (left) and
    where they settle for every decay value (right)."""
    runs = decay_runs()
    i = _decay_index(float(weight_decay))
    fig, (ax, ax2) = framed("lesson10-decay", _decay_frame)
    tail = slice(DECAY_STEPS // 2, None)  # as decay_settled
    for name, means in runs.items():
        for k, style in enumerate(("-", "--")):
            ax.plot(means[:, i, k], style, color=COLOR[name], lw=2)
            ax2.plot(DECAY_GRID, means[tail, :, k].mean(axis=0), style, color=COLOR[name],
                     marker="o", markersize=4)  # fmt: skip
    ax2.axvline(DECAY_GRID[i], color="0.5", lw=1)
    title(ax, f"λ = {DECAY_GRID[i]:.3g}, η = {DECAY_LR}: {DECAY_RUNS} noisy runs averaged")
    title(ax2, "where the weights settle")
    return fig


def decay_controls() -> dict[str, Any]:
    """Weight decay (log)."""
    return {"weight_decay": log_slider("weight decay λ", 0.1, 0.01, 1.0)}


# --------------------------------------------------------------------------- LAMB
LAMB_STEPS, LAMB_SIZE = 100, 200


@lru_cache(maxsize=128)
def lamb_runs(learning_rate: float, scale: float) -> dict[str, np.ndarray]:
    r"""Relative distance :math:`\|w_t - w^\star\| / \|w_0 - w^\star\|` of two "layers"
    (tensors of :data:`LAMB_SIZE` numbers, one with entries of size 1, one ``scale``) that
    each minimise :math:`\tfrac12\|w - w^\star\|^2` with :math:`w^\star = w_0/2`, by Adam
    and by LAMB (one optimizer copy per tensor, as in Keras). Shape ``(steps + 1, 2)``."""
    rng = np.random.default_rng(0)
    layers = [rng.standard_normal(LAMB_SIZE), scale * rng.standard_normal(LAMB_SIZE)]
    out = {}
    for name, cls in (("Adam", Adam), ("LAMB", Lamb)):
        dist = np.empty((LAMB_STEPS + 1, 2))
        for j, w0 in enumerate(layers):
            opt, w, target = cls(learning_rate), w0.copy(), w0 / 2
            start = np.linalg.norm(w0 - target)
            dist[0, j] = 1.0
            for t in range(1, LAMB_STEPS + 1):
                w = opt.step(w, w - target)
                dist[t, j] = np.linalg.norm(w - target) / start
        out[name] = dist
    return out


def _lamb_frame():
    fig, (ax,) = lesson_figure(1, figsize=(12.0, 5.6))
    fig.subplots_adjust(left=0.1)
    frame_losses(ax, LAMB_STEPS, ylim=(1e-3, 1e2), ylabel="‖w − w*‖ / ‖w₀ − w*‖",
                 xlabel="step t")  # fmt: skip
    frame_legend(fig, [handle("Adam", COLOR["Adam"]), handle("LAMB", COLOR["LAMB"]),
                       handle("layer with |w| ~ 1", "0.3"),
                       handle("layer with |w| ~ s", "0.3", linestyle="--")],
                 bottom=0.22)  # fmt: skip
    return fig, (ax,)


def lamb_figure(learning_rate: float = 0.01, scale: float = 0.01) -> Figure:
    """Two layers of very different size, each halving its weights: Adam moves both by
    about η per coordinate, LAMB by about η times each layer's own norm."""
    fig, (ax,) = framed("lesson10-lamb", _lamb_frame)
    for name, dist in lamb_runs(float(learning_rate), float(scale)).items():
        for j, style in enumerate(("-", "--")):
            ax.plot(np.clip(dist[:, j], 1e-3, 1e2), style, color=COLOR[name])
    title(ax, f"η = {learning_rate:.3g}, second layer's scale s = {scale:.3g}")
    return fig


def lamb_controls() -> dict[str, Any]:
    """Learning rate (log), size of the second layer's weights (log)."""
    return {
        "learning_rate": log_slider("learning rate η", 0.01, 1e-3, 0.3),
        "scale": log_slider("second layer's scale s", 0.01, 1e-3, 1e2, steps_per_decade=4),
    }


# --------------------------------------------------------------------------- Adafactor
SIZES = (4, 8, 16, 32, 64, 128, 256, 512)
MEMORY_NAMES = ("Adam", "Lion", "Adafactor", "Muon", "SF-AdamW")


@lru_cache(maxsize=1)
def _memory_by_size() -> dict[str, np.ndarray]:
    """State numbers per parameter of a d x d matrix, measured for every d of :data:`SIZES`."""
    out = {name: np.empty(len(SIZES)) for name in MEMORY_NAMES}
    for k, d in enumerate(SIZES):
        for name, _, per in memory_rows([(d, d)], MEMORY_NAMES):
            out[name][k] = per
    return out


def _adafactor_frame():
    fig, (ax, ax2) = lesson_figure(2, figsize=(13.0, 5.6), width_ratios=(1.3, 1))
    fig.subplots_adjust(left=0.09)
    log_xaxis(ax)
    log_yaxis(ax)
    ax.set(xlim=(3, 700), ylim=(1e-3, 4.0), xlabel="d (a d × d weight matrix)",
           ylabel="state numbers per parameter")  # fmt: skip
    ax2.set(xlim=(-0.6, len(MEMORY_NAMES) - 0.4), ylim=(0, 2.4), ylabel="per parameter")
    ax2.set_xticks(range(len(MEMORY_NAMES)), MEMORY_NAMES, rotation=20)
    frame_legend(fig, [handle(n, COLOR[n], marker="o") for n in MEMORY_NAMES], bottom=0.24)
    return fig, (ax, ax2)


def adafactor_figure(d: int = 256) -> Figure:
    """Optimizer state per parameter of a d x d matrix, counted in each optimizer's state
    after one step: all sizes (left), the chosen d (right)."""
    memory = _memory_by_size()
    k = SIZES.index(int(d)) if int(d) in SIZES else int(np.argmin(np.abs(np.array(SIZES) - d)))
    fig, (ax, ax2) = framed("lesson10-adafactor", _adafactor_frame)
    for j, (name, per) in enumerate(memory.items()):
        ax.plot(SIZES, per, "o-", color=COLOR[name], lw=2)
        ax2.bar(j, per[k], color=COLOR[name], width=0.7)
        ax2.text(j, per[k] + 0.05, f"{per[k]:.3g}", ha="center", fontsize=13)
    ax.axvline(SIZES[k], color="0.5", lw=1)
    title(ax, "measured from each optimizer's state")
    title(ax2, f"d = {SIZES[k]}: {SIZES[k] ** 2:,} parameters")
    return fig


def adafactor_controls() -> dict[str, Any]:
    """Matrix size d (powers of two)."""
    return {"d": choice("matrix size d", SIZES, 256)}


# --------------------------------------------------------------------------- Muon
def _rotation(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def muon_matrix(ratio: float, angle: float) -> np.ndarray:
    """A 2 x 2 "gradient" with singular values 1 and 1/``ratio``: rotate by ``angle``,
    stretch, rotate back by half of it."""
    return _rotation(angle) @ np.diag([1.0, 1.0 / ratio]) @ _rotation(-angle / 2).T


def muon_singular_values(ratio: float, angle: float = 0.6, ns_steps: int = 5) -> np.ndarray:
    """Singular values of the gradient and of its Newton-Schulz orthogonalisation."""
    g = muon_matrix(ratio, angle)
    return np.linalg.svd(newton_schulz(g, np, steps=int(ns_steps)), compute_uv=False)


def _muon_frame():
    fig, (ax, ax2) = lesson_figure(2, figsize=(13.0, 6.0), width_ratios=(1, 1))
    for a in (ax, ax2):
        a.set(xlim=(-1.35, 1.35), ylim=(-1.35, 1.35), aspect="equal")
    theta = np.linspace(0, 2 * np.pi, 200)
    for a in (ax, ax2):
        a.plot(np.cos(theta), np.sin(theta), color="0.75", lw=1.5)
    frame_legend(fig, [handle("unit circle", "0.75"), handle("G applied to it", COLOR["Adam"]),
                       handle("NS(G) applied to it", COLOR["Muon"]),
                       handle("exact UVᵀ", "#D55E00", linestyle=":")], bottom=0.16)  # fmt: skip
    return fig, (ax, ax2)


def muon_figure(ratio: float = 20.0, angle: float = 0.6, ns_steps: int = 5) -> Figure:
    """What orthogonalising a 2 x 2 gradient G does: the image of the unit circle under G
    (an ellipse, left) and under its Newton-Schulz orthogonalisation (nearly a circle,
    right), with the exact :math:`UV^\\top`."""
    g = muon_matrix(float(ratio), float(angle))
    x = newton_schulz(g, np, steps=int(ns_steps))
    u, _s, vt = np.linalg.svd(g)
    theta = np.linspace(0, 2 * np.pi, 120)
    circle = np.stack([np.cos(theta), np.sin(theta)])
    fig, (ax, ax2) = framed("lesson10-muon", _muon_frame)
    ax.plot(*(g @ circle), color=COLOR["Adam"], lw=2.5)
    ax2.plot(*(x @ circle), color=COLOR["Muon"], lw=2.5)
    ax2.plot(*((u @ vt) @ circle), ":", color="#D55E00", lw=2.5)
    sg, sx = np.linalg.svd(g, compute_uv=False), np.linalg.svd(x, compute_uv=False)
    title(ax, f"G: singular values {sg[0]:.3g}, {sg[1]:.3g}")
    title(ax2, f"NS after {int(ns_steps)} steps: {sx[0]:.3g}, {sx[1]:.3g}")
    return fig


def muon_controls() -> dict[str, Any]:
    """Singular-value ratio of G (log), its rotation, Newton-Schulz steps."""
    return {
        "ratio": log_slider("σ₁/σ₂ of G", 20.0, 1.0, 1e3, steps_per_decade=4),
        "angle": slider("rotation", 0.6, 0.0, 3.1, 0.1),
        "ns_steps": int_slider("Newton-Schulz steps", 5, 0, 10),
    }


# --------------------------------------------------------------------------- schedule-free
SF_STEPS, SF_RUNS = 400, 32
SF_CURVATURE = np.array([1.0, 10.0])


@lru_cache(maxsize=128)
def schedule_free_runs(learning_rate: float, beta_1: float = 0.9,
                       seed: int = 0) -> dict[str, np.ndarray]:  # fmt: skip
    r"""Mean loss over :data:`SF_RUNS` noisy runs on :math:`\tfrac12(x^2 + 10y^2)` (gradient
    noise std 1) from (2, 2): AdamW at a constant rate, AdamW with cosine decay to zero over
    the whole run (it must know the length), and schedule-free AdamW, at its average
    :math:`x_t` and at :math:`y_t` (where it takes gradients)."""
    from ..schedules import CosineDecay

    opts = {
        "AdamW, constant η": AdamW(learning_rate, weight_decay=0.0),
        "AdamW, cosine to 0": AdamW(CosineDecay(learning_rate, SF_STEPS), weight_decay=0.0),
        "schedule-free y": ScheduleFreeAdamW(learning_rate, beta_1=beta_1),
    }
    out = {}
    for name, opt in opts.items():
        rng = np.random.default_rng(seed)
        w = np.full((SF_RUNS, 2), 2.0)
        losses = np.empty((SF_STEPS + 1, 2 if name.startswith("schedule") else 1))
        losses[0] = 0.5 * np.sum(SF_CURVATURE * w**2, axis=-1).mean()
        for t in range(1, SF_STEPS + 1):
            w = opt.step(w, SF_CURVATURE * w + rng.standard_normal(w.shape))
            at = [w, opt.average(w)] if isinstance(opt, ScheduleFreeAdamW) else [w]
            losses[t] = [0.5 * np.sum(SF_CURVATURE * p**2, axis=-1).mean() for p in at]
        if isinstance(opt, ScheduleFreeAdamW):
            out["schedule-free y"], out["schedule-free x (average)"] = losses[:, 0], losses[:, 1]
        else:
            out[name] = losses[:, 0]
    return out


_SF_COLORS = {
    "AdamW, constant η": COLOR["AdamW"],
    "AdamW, cosine to 0": "#0072B2",
    "schedule-free y": "#DBDB8D",
    "schedule-free x (average)": COLOR["SF-AdamW"],
}


def _sf_frame():
    fig, (ax,) = lesson_figure(1, figsize=(12.0, 5.6))
    fig.subplots_adjust(left=0.1)
    frame_losses(ax, SF_STEPS, ylim=(1e-4, 1e2), ylabel="mean loss", xlabel="step t")
    frame_legend(fig, [handle(n, c) for n, c in _SF_COLORS.items()], bottom=0.22, ncol=2)
    return fig, (ax,)


def schedule_free_figure(learning_rate: float = 0.1, beta_1: float = 0.9) -> Figure:
    """Schedule-free AdamW against AdamW with and without a cosine schedule, noisy bowl."""
    fig, (ax,) = framed("lesson10-sf", _sf_frame)
    for name, losses in schedule_free_runs(float(learning_rate), float(beta_1)).items():
        ax.plot(np.clip(losses, 1e-4, 1e2), color=_SF_COLORS[name])
    title(ax, f"½(x² + 10y²), gradient noise 1, {SF_RUNS} runs:  η = {learning_rate:.3g}, "
              f"β₁ = {beta_1:.3g}")  # fmt: skip
    return fig


def schedule_free_controls() -> dict[str, Any]:
    """Learning rate (log), beta_1."""
    return {
        "learning_rate": log_slider("learning rate η", 0.1, 1e-3, 1.0, steps_per_decade=5),
        "beta_1": slider("β₁", 0.9, 0.1, 1.0, 0.05),
    }


# --------------------------------------------------------------------------- the race
RACE = ("Adam", "Adadelta", "Adamax", "Nadam", "AdamW", "Lion", "LAMB", "Adafactor", "SF-AdamW")
RACE_OBJECTIVES = ("beale", "saddle", "rosenbrock", "himmelblau")
LR_GRID = np.logspace(-4, 3, 29)  # 1e-4 ... 1000, four per decade (lesson 07 stops at 3.2)
RACE_STEPS, ARRIVED = 200, 1e-6

#: tuned learning rates TUNED[objective][optimizer], :func:`tune`'s choices to three
#: significant digits (``tests/test_interactive_after_adam.py`` re-runs the sweep)
TUNED: dict[str, dict[str, float]] = {
    "beale": {
        "Adam": 0.562,
        "Adadelta": 178.0,
        "Adamax": 1.0,
        "Nadam": 1.0,
        "AdamW": 0.562,
        "Lion": 0.1,
        "LAMB": 0.0316,
        "Adafactor": 0.0562,
        "SF-AdamW": 1.78,
    },
    "saddle": {
        "Adam": 0.562,
        "Adadelta": 56.2,
        "Adamax": 1.0,
        "Nadam": 1.78,
        "AdamW": 0.562,
        "Lion": 0.0562,
        "LAMB": 0.0316,
        "Adafactor": 0.1,
        "SF-AdamW": 1.0,
    },
    "rosenbrock": {
        "Adam": 1.0,
        "Adadelta": 562.0,
        "Adamax": 1.78,
        "Nadam": 1.78,
        "AdamW": 1.0,
        "Lion": 0.0178,
        "LAMB": 0.178,
        "Adafactor": 1.0,
        "SF-AdamW": 1.78,
    },
    "himmelblau": {
        "Adam": 1.0,
        "Adadelta": 56.2,
        "Adamax": 1.78,
        "Nadam": 0.562,
        "AdamW": 1.0,
        "Lion": 0.1,
        "LAMB": 0.0562,
        "Adafactor": 0.0562,
        "SF-AdamW": 1.78,
    },
}


def _single_run(name: str, learning_rate: float, objective: str) -> Trajectory:
    return run(make_optimizer(name, learning_rate), get_objective(objective), steps=RACE_STEPS)


def tune(objective: str, name: str) -> tuple[float, np.ndarray]:
    """Lesson 07's tuning: the rate on :data:`LR_GRID` with the lowest mean log10 gap over
    :data:`RACE_STEPS` steps (floored at :data:`ARRIVED`; a diverged run scores +inf).
    One run per rate: LAMB and Adafactor see the whole parameter array (their norms), so
    runs cannot be batched."""
    obj = get_objective(objective)
    scores = np.empty(LR_GRID.size)
    for i, lr in enumerate(LR_GRID):
        traj = _single_run(name, float(lr), objective)
        with np.errstate(invalid="ignore"):
            gaps = np.maximum(obj.gap(traj.losses), ARRIVED)
        scores[i] = np.inf if traj.diverged_at >= 0 else float(np.mean(np.log10(gaps)))
    return float(LR_GRID[int(np.argmin(scores))]), scores


@lru_cache(maxsize=8)
def race_runs(objective: str) -> dict[str, Trajectory]:
    """Every optimizer of :data:`RACE` at its tuned rate on ``objective``."""
    if objective not in TUNED:
        raise ValueError(f"objective must be one of {RACE_OBJECTIVES}, got {objective!r}")
    return {name: _single_run(name, TUNED[objective][name], objective) for name in RACE}


def leaderboard(objective: str, target: float = 1e-3) -> list[tuple[str, float, int, float]]:
    """``(optimizer, tuned rate, first step within target of f*, final gap)``, fastest
    first; -1 (sorted last, by final gap) for runs that never got there."""
    obj = get_objective(objective)
    rows = []
    for name, traj in race_runs(objective).items():
        gaps = obj.gap(traj.losses)
        hits = np.flatnonzero(gaps <= target)
        rows.append((name, TUNED[objective][name], int(hits[0]) if hits.size else -1,
                     float(gaps[-1])))  # fmt: skip
    return sorted(rows, key=lambda r: (r[2] < 0, r[2], r[3]))


def _race_frame(objective: str):
    fig, (ax, ax2) = lesson_figure(2, figsize=(13.0, 6.2), width_ratios=(1.1, 1))
    obj = get_objective(objective)
    frame_landscape(ax, obj, aspect="auto")
    shade(ax, obj, ("lesson10", objective))
    frame_gaps(ax2, RACE_STEPS)
    ax2.axhline(ARRIVED, color="0.6", lw=1)
    runners = [handle(f"{n} ({TUNED[objective][n]:.3g})", COLOR[n]) for n in RACE]
    frame_legend(fig, [*runners, star_handle()], bottom=0.27, ncol=4)
    return fig, (ax, ax2)


def race_figure(objective: str = "beale", steps: int = RACE_STEPS) -> Figure:
    """Every optimizer at its tuned rate (legend) after ``steps`` steps: paths, gaps."""
    for name in RACE_OBJECTIVES:  # every race is ready before the first switch
        race_runs(name)
    obj = get_objective(objective)
    every = [(o,) for o in RACE_OBJECTIVES]
    fig, (ax, ax2) = framed("lesson10-race", _race_frame, (objective,), every)
    steps = int(steps)
    notes = []
    for name, traj in race_runs(objective).items():
        pts = traj.points[: steps + 1]
        ax.plot(pts[:, 0], pts[:, 1], "-", color=COLOR[name], lw=2.2, alpha=0.9)
        alive = pts[~np.isnan(pts[:, 0])]
        k = int(traj.diverged_at)
        ax.plot(*alive[-1], "X" if 0 <= k <= steps else "o", color=COLOR[name], markersize=12,
                markeredgecolor="k", zorder=6)  # fmt: skip
        if 0 <= k <= steps:
            notes.append(f"{name}: diverged at step {k}")
        ax2.plot(np.clip(obj.gap(traj.losses[: steps + 1]), *GAP_RANGE), color=COLOR[name])
    ax.plot(*obj.start, "o", color="w", markeredgecolor="k", markersize=11, zorder=6)
    title(ax, f"{objective}: step {steps}")
    title(ax2, "gap to the minimum value (tuned rates)")
    note(ax2, notes)
    return fig


def race_controls() -> dict[str, Any]:
    """Objective and the number of steps shown."""
    return {
        "objective": choice("objective", RACE_OBJECTIVES, "beale"),
        "steps": int_slider("steps", RACE_STEPS, 10, RACE_STEPS, 10),
    }


# --------------------------------------------------------------------------- Fashion-MNIST
#: learning rates of the sample comparison that are not Keras' defaults
SAMPLE_RATES = {"Adadelta": 1.0}  # the paper's: Keras' 0.001 barely moves (section 2)


SAMPLE_SEEDS, SAMPLE_EPOCHS = (0, 1, 2, 3, 4), 2

#: :func:`sample_results` for :data:`SAMPLE_SEEDS` and :data:`SAMPLE_EPOCHS` (test accuracy
#: as a fraction, test loss to four decimals): five seeds take about 10 s of computing,
#: more than the lesson's budget, so the lesson runs seed 0 live and compares it with this
#: table; ``tests/test_interactive_after_adam.py`` recomputes every seed
SAMPLE: dict[str, dict[str, tuple[float, ...]]] = {  # fmt: skip
    "Adam": {
        "test_accuracy": (0.790, 0.782, 0.776, 0.777, 0.803),
        "test_loss": (0.5848, 0.6296, 0.6175, 0.5996, 0.5695),
    },
    "Adadelta": {
        "test_accuracy": (0.786, 0.764, 0.732, 0.771, 0.751),
        "test_loss": (0.5993, 0.6240, 0.7489, 0.6011, 0.6840),
    },
    "Adamax": {
        "test_accuracy": (0.768, 0.746, 0.765, 0.749, 0.747),
        "test_loss": (0.6632, 0.7133, 0.6981, 0.6856, 0.7054),
    },
    "Nadam": {
        "test_accuracy": (0.779, 0.784, 0.784, 0.791, 0.807),
        "test_loss": (0.5877, 0.6123, 0.5939, 0.5735, 0.5644),
    },
    "AdamW": {
        "test_accuracy": (0.793, 0.781, 0.774, 0.781, 0.806),
        "test_loss": (0.5853, 0.6294, 0.6161, 0.5968, 0.5706),
    },
    "Lion": {
        "test_accuracy": (0.797, 0.808, 0.790, 0.804, 0.796),
        "test_loss": (0.5598, 0.5748, 0.5968, 0.5357, 0.5339),
    },
    "LAMB": {
        "test_accuracy": (0.687, 0.674, 0.680, 0.699, 0.693),
        "test_loss": (0.9395, 1.0178, 0.9965, 0.9654, 0.9765),
    },
    "Adafactor": {
        "test_accuracy": (0.655, 0.625, 0.633, 0.682, 0.641),
        "test_loss": (1.2459, 1.3750, 1.3182, 1.2707, 1.2871),
    },
    "Muon": {
        "test_accuracy": (0.776, 0.763, 0.786, 0.783, 0.773),
        "test_loss": (0.6606, 0.7031, 0.6868, 0.6742, 0.6935),
    },
    "SF-AdamW": {
        "test_accuracy": (0.813, 0.796, 0.814, 0.800, 0.809),
        "test_loss": (0.5271, 0.5483, 0.5383, 0.5290, 0.5362),
    },
}


def sample_results(names: Any = NAMES, seeds: Any = (0, 1, 2),
                   epochs: int = 2) -> dict[str, dict[str, np.ndarray]]:  # fmt: skip
    """Train :func:`lessons_lib.mlp.train_mlp` with each optimizer (Keras' defaults, except
    :data:`SAMPLE_RATES`) for each seed: ``{name: {"test_accuracy": (seeds,), "test_loss":
    (seeds,), "train_loss": (seeds, epochs)}}`` after the last epoch."""
    from ..mlp import train_mlp

    out = {}
    for name in names:  # train_mlp runs NumPy's BLAS on one thread itself
        hist = [train_mlp(make_optimizer(name, SAMPLE_RATES.get(name)), epochs=epochs,
                          seed=int(s)) for s in seeds]  # fmt: skip
        out[name] = {
            "test_accuracy": np.array([h.test_accuracy[-1] for h in hist]),
            "test_loss": np.array([h.test_loss[-1] for h in hist]),
            "train_loss": np.array([h.train_loss for h in hist]),
        }
    return out


INTERACTIVE = [
    (adadelta_figure, adadelta_controls),
    (adamax_figure, adamax_controls),
    (nadam_figure, nadam_controls),
    (decay_figure, decay_controls),
    (lion_figure, lion_controls),
    (lamb_figure, lamb_controls),
    (adafactor_figure, adafactor_controls),
    (muon_figure, muon_controls),
    (schedule_free_figure, schedule_free_controls),
    (race_figure, race_controls),
]
