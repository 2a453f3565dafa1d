r"""Interactive figure of lesson 07: every optimizer of the course racing on four
classic 2-D test functions, animated by a play button.

Each optimizer gets its own learning rate, tuned per objective by :func:`tune`: a sweep
over :data:`LR_GRID` (one batched run per optimizer) that keeps the rate with the lowest
mean :math:`\log_{10}` gap to the minimum value over :data:`RACE_STEPS` steps (gaps
below :data:`ARRIVED` count as arrived). The results are stored in :data:`TUNED` so a
slider move does not re-tune; ``tests/test_interactive_adaptive.py`` re-runs the sweep
and checks the table.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import ipywidgets as W
import numpy as np
import traitlets
from matplotlib.figure import Figure

from ..functions import get_objective
from ..optimizers import SGD, Adagrad, Adam, Optimizer, RMSprop
from ..plotting import COLORS
from ..runner import Trajectory, run
from ..widgets import choice, int_slider, log_slider
from .frames import (
    frame_gaps,
    frame_landscape,
    frame_legend,
    framed,
    handle,
    lesson_figure,
    loss_lines,
    nice_limit,
    note,
    shade,
    star_handle,
    title,
)

__all__ = [
    "ARRIVED",
    "INTERACTIVE",
    "LR_GRID",
    "OPTIMIZERS",
    "PlayStep",
    "RACE_OBJECTIVES",
    "RACE_STEPS",
    "TUNED",
    "leaderboard",
    "make_optimizer",
    "race_controls",
    "race_figure",
    "race_runs",
    "tune",
]

OPTIMIZERS = ("GD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam")
RACE_OBJECTIVES = ("beale", "saddle", "rosenbrock", "himmelblau")
LR_GRID = np.logspace(-4, 0.5, 19)  # 1e-4 ... 3.2, four per decade
RACE_STEPS = 200
ARRIVED = 1e-6
MAX_FRAMES = 40

#: tuned learning rates, TUNED[objective][optimizer]: ``tune``'s choices rounded to three
#: significant digits (the tests re-run the sweep and compare)
TUNED: dict[str, dict[str, float]] = {
    "beale": {
        "GD": 0.0316,
        "Momentum": 0.01,
        "Nesterov": 0.00316,
        "AdaGrad": 1.78,
        "RMSProp": 0.0562,
        "Adam": 0.562,
    },
    "saddle": {
        "GD": 0.562,
        "Momentum": 0.562,
        "Nesterov": 0.562,
        "AdaGrad": 0.562,
        "RMSProp": 0.0562,
        "Adam": 0.562,
    },
    "rosenbrock": {
        "GD": 0.00178,
        "Momentum": 0.00178,
        "Nesterov": 0.001,
        "AdaGrad": 1.78,
        "RMSProp": 0.562,
        "Adam": 1.0,
    },
    "himmelblau": {
        "GD": 0.0178,
        "Momentum": 0.01,
        "Nesterov": 0.01,
        "AdaGrad": 1.0,
        "RMSProp": 0.1,
        "Adam": 1.0,
    },
}


def make_optimizer(name: str, learning_rate: Any) -> Optimizer:
    """The course's optimizers with Keras' defaults except the learning rate
    (momentum 0.9 for both momentum methods)."""
    makers = {
        "GD": lambda: SGD(learning_rate),
        "Momentum": lambda: SGD(learning_rate, momentum=0.9),
        "Nesterov": lambda: SGD(learning_rate, momentum=0.9, nesterov=True),
        "AdaGrad": lambda: Adagrad(learning_rate),
        "RMSProp": lambda: RMSprop(learning_rate),
        "Adam": lambda: Adam(learning_rate),
    }
    if name not in makers:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")
    return makers[name]()


def tune(objective: str, optimizer: str, steps: int = RACE_STEPS) -> tuple[float, np.ndarray]:
    """Best learning rate on :data:`LR_GRID` and every rate's score (lower is better:
    mean log10 of the gap, floored at :data:`ARRIVED`; +inf for a diverged run)."""
    obj = get_objective(objective)
    traj = run(make_optimizer(optimizer, LR_GRID[:, None]), obj, steps=steps)
    with np.errstate(invalid="ignore"):
        score = np.mean(np.log10(np.maximum(obj.gap(traj.losses), ARRIVED)), axis=0)
    score[traj.diverged] = np.inf
    return float(LR_GRID[int(np.argmin(score))]), score


#: the positions of the "lr × tuned" slider (0.1 to 10, ten per decade): the race is
#: computed for all of them at once, one batched run per optimizer and objective
LR_SCALES = 10 ** (np.arange(-10, 11) / 10)


def _check(objective: str) -> None:
    if objective not in TUNED:
        raise ValueError(f"objective must be one of {RACE_OBJECTIVES}, got {objective!r}")


@lru_cache(maxsize=8)
def _batched_runs(objective: str) -> dict[str, Trajectory]:
    """Every optimizer at its tuned rate times every :data:`LR_SCALES` value (batched)."""
    _check(objective)
    obj = get_objective(objective)
    rates = {name: TUNED[objective][name] * LR_SCALES[:, None] for name in OPTIMIZERS}
    return {
        name: run(make_optimizer(name, rates[name]), obj, steps=RACE_STEPS) for name in OPTIMIZERS
    }


@lru_cache(maxsize=64)
def race_runs(objective: str, lr_scale: float = 1.0) -> dict[str, Trajectory]:
    """Every optimizer at its tuned rate times ``lr_scale`` for :data:`RACE_STEPS` steps.
    Slider positions come from one cached batched run; other scales are run on demand."""
    _check(objective)
    on_grid = np.flatnonzero(np.isclose(LR_SCALES, lr_scale, rtol=1e-6, atol=0.0))
    if on_grid.size:
        i = int(on_grid[0])
        return {
            name: Trajectory(traj.points[:, i], traj.losses[:, i], traj.diverged_at[i])
            for name, traj in _batched_runs(objective).items()
        }
    obj = get_objective(objective)
    return {
        name: run(make_optimizer(name, TUNED[objective][name] * lr_scale), obj, steps=RACE_STEPS)
        for name in OPTIMIZERS
    }


def _steps_to_reach(losses: np.ndarray, target: float) -> int:
    hits = np.flatnonzero(losses <= target)
    return int(hits[0]) if hits.size else -1


def leaderboard(objective: str, target: float = 1e-3, lr_scale: float = 1.0) -> list[tuple]:
    """``(optimizer, learning rate, steps to get within target of f*, final gap)`` rows,
    fastest first (never: last); steps = -1 if the run never got there."""
    obj = get_objective(objective)
    rows = []
    for name, traj in race_runs(objective, float(lr_scale)).items():
        g = obj.gap(traj.losses)
        rows.append(
            (name, TUNED[objective][name] * lr_scale, _steps_to_reach(g, target), float(g[-1]))
        )
    return sorted(rows, key=lambda r: (r[2] < 0, r[2], r[3]))


STEP_RANGES = (40, 80, 200)  # x ranges of the gap panel (40 frames x 1..5 steps)


def _race_frame(objective: str, xmax: float):
    fig, (ax, ax2) = lesson_figure(2, figsize=(12.0, 5.8), width_ratios=(1.1, 1))
    obj = get_objective(objective)
    frame_landscape(ax, obj, aspect="auto")
    shade(ax, obj, ("lesson07", objective))
    frame_gaps(ax2, xmax)
    ax2.axhline(ARRIVED, color="0.6", lw=1)
    runners = [
        handle(f"{name} (lr {TUNED[objective][name]:.3g})", COLORS[name.lower()])
        for name in OPTIMIZERS
    ]
    frame_legend(fig, [*runners, star_handle()], bottom=0.24, ncol=4)
    return fig, (ax, ax2)


_FRAME_KEYS = [(o, x) for o in RACE_OBJECTIVES for x in STEP_RANGES]


def race_figure(
    objective: str = "beale",
    lr_scale: float = 1.0,
    steps_per_frame: int = 5,
    frame: int = MAX_FRAMES,
) -> Figure:
    """All optimizers after ``frame * steps_per_frame`` steps: paths (left), gaps (right).
    The legend shows the tuned rates; every rate is multiplied by ``lr_scale``."""
    for name in RACE_OBJECTIVES:  # every objective's race is ready before the first switch
        _batched_runs(name)
    obj = get_objective(objective)
    total = MAX_FRAMES * int(steps_per_frame)
    now = int(frame) * int(steps_per_frame)
    runs = race_runs(objective, float(lr_scale))
    key = (objective, nice_limit(total, STEP_RANGES))
    fig, (ax, ax2) = framed("lesson07-race", _race_frame, key, _FRAME_KEYS)
    shown = []  # each run's first `now` steps (the race is RACE_STEPS long)
    for name, traj in runs.items():
        color = COLORS[name.lower()]
        pts = traj.points[: now + 1]
        k = int(traj.diverged_at) if traj.diverged_at <= now else -1
        ax.plot(pts[:, 0], pts[:, 1], "-", color=color, lw=2.5, alpha=0.9)
        alive = pts[~np.isnan(pts[:, 0])]
        ax.plot(
            *alive[-1],
            "X" if k >= 0 else "o",
            color=color,
            markersize=13,
            markeredgecolor="k",
            zorder=6,
        )
        shown.append((name, Trajectory(pts, obj.gap(traj.losses[: now + 1]), np.array(k)), color))
    ax.plot(*obj.start, "o", color="w", markeredgecolor="k", markersize=11, zorder=6)
    title(ax, f"{objective}: step {now} of {total}")
    title(ax2, f"learning rates: tuned × {lr_scale:.3g}")
    note(ax2, loss_lines(ax2, shown))
    return fig


class PlayStep(W.HBox, W.ValueWidget):
    """A play button and a step slider moving together; ``value`` is the step.

    The two are linked in the browser (``jslink``), and only the slider reports to the
    kernel, so each animation frame triggers one redraw."""

    value = traitlets.Int(0)

    def __init__(self, description: str, value: int, high: int, interval_ms: int = 300):
        self.play = W.Play(value=value, min=0, max=high, step=1, interval=interval_ms)
        self.slider = int_slider(description, value, 0, high)
        W.jslink((self.play, "value"), (self.slider, "value"))
        super().__init__([self.play, self.slider])
        self.min, self.max, self.step = 0, high, 1
        self.value = value
        traitlets.link((self.slider, "value"), (self, "value"))


def race_controls() -> dict[str, Any]:
    """Objective, learning-rate scale (log), steps per frame, and the frame (play/slider)."""
    return {
        "objective": choice("objective", RACE_OBJECTIVES, "beale"),
        "lr_scale": log_slider("lr × tuned", 1.0, 0.1, 10.0),
        "steps_per_frame": int_slider("steps per frame", 5, 1, RACE_STEPS // MAX_FRAMES),
        "frame": PlayStep("frame", MAX_FRAMES, MAX_FRAMES),
    }


INTERACTIVE = [(race_figure, race_controls)]
