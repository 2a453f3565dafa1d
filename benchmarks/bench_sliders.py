"""How long a slider move takes: every interactive figure, every control swept.

For each module in ``lessons_lib/interactive`` and each ``(draw, controls)`` pair in its
``INTERACTIVE`` list, each control is swept over its range with the others at their
defaults: ``--values`` points between min and max for a slider (log-spaced for a log
slider, snapped to the slider's step, as a learner can only pick those), every option of
a drop-down. One update = ``draw(**values)`` plus the PNG render
the notebook shows (:func:`lessons_lib.plotting.png_bytes`), i.e. what a learner waits for.
One untimed draw at the defaults comes first (it fills the caches the notebook's first
display fills too). Prints n, median, p95 and max per figure and a verdict against the
budget (p95 <= 100 ms). Timings depend on the machine and its load, which is printed too.

Usage::

    python benchmarks/bench_sliders.py                 # all figures, 8 values per slider
    python benchmarks/bench_sliders.py --only adam race --values 4
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import lessons_lib.interactive as interactive
from lessons_lib.plotting import png_bytes, use_lesson_style

BUDGET_MS = 100.0
LESSONS = {
    "gradient_descent": "01",
    "ewma": "02",
    "momentum": "03",
    "nesterov": "04",
    "adaptive": "05",
    "adam": "06",
    "race": "07",
    "capstone": "08",
    "schedules": "09",
    "after_adam": "10",
}


def modules(only: list[str] | None = None) -> list[Any]:
    """Every public module of ``lessons_lib.interactive`` (or those named in ``only``)."""
    names = sorted(
        m.name for m in pkgutil.iter_modules(interactive.__path__) if not m.name.startswith("_")
    )
    if only:
        unknown = sorted(set(only) - set(names))
        if unknown:
            raise SystemExit(f"--only: no module {unknown}; choose from {names}")
        names = [n for n in names if n in only]
    return [importlib.import_module(f"lessons_lib.interactive.{n}") for n in names]


def _on_steps(values: np.ndarray, low: float, step: float | None) -> np.ndarray:
    """Snap ``values`` to the positions a slider can take: ``low + k * step``."""
    if not step:
        return values
    return low + np.round((values - low) / step) * step


def sweep_values(control: Any, n: int) -> list[Any]:
    """The values a control is swept over: every option, or ``n`` points from min to max
    snapped to the slider's step (the values a learner can actually select)."""
    if hasattr(control, "options"):
        return [o[1] if isinstance(o, tuple) and len(o) == 2 else o for o in control.options]
    if isinstance(control.value, bool):
        return [False, True]
    if not (hasattr(control, "min") and hasattr(control, "max")):
        return [control.value]
    step = getattr(control, "step", None)
    grid = np.linspace(control.min, control.max, n)
    if hasattr(control, "base"):  # FloatLogSlider: min, max and step are exponents
        exponents = np.unique(_on_steps(grid, control.min, step))
        return [float(control.base**e) for e in exponents]
    if isinstance(control.value, (int, np.integer)):
        return sorted({int(v) for v in _on_steps(grid, control.min, step or 1)})
    return [float(v) for v in np.unique(_on_steps(grid, control.min, step))]


def time_update(draw: Callable[..., Any], values: dict[str, Any]) -> tuple[float, float]:
    """Milliseconds for one draw plus PNG render: wall clock, and this process's CPU time
    (which other programs on a busy machine inflate much less)."""
    t0, c0 = time.perf_counter(), time.process_time()
    png_bytes(draw(**values))
    return (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000


def bench_figure(
    draw: Callable[..., Any], make_controls: Callable[[], dict], n: int
) -> list[tuple[float, float]]:
    controls = make_controls()
    defaults = {name: c.value for name, c in controls.items()}
    png_bytes(draw(**defaults))  # warm-up: caches (contour images, fonts), as in the notebook
    times = []
    for name, control in controls.items():
        for value in sweep_values(control, n):
            times.append(time_update(draw, {**defaults, name: value}))
    return times


def baseline(repeats: int = 8) -> list[tuple[float, float]]:
    """Times for an empty two-panel figure of the lessons' size: the floor set by
    matplotlib and this machine (its load included), for reading the other rows."""
    from matplotlib.figure import Figure

    def empty() -> Figure:
        fig = Figure(figsize=(11, 5.5), dpi=80, layout="none")
        fig.subplots(1, 2)
        return fig

    png_bytes(empty())
    return [time_update(empty, {}) for _ in range(repeats)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--values", type=int, default=8, help="points per slider (default 8)")
    parser.add_argument("--only", nargs="*", help="module names, e.g. adam race")
    args = parser.parse_args(argv)
    if args.values < 2:
        parser.error("--values must be at least 2 (min and max)")
    use_lesson_style()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"slider updates (draw + PNG), {os.cpu_count()} CPUs, load average {load:.1f}")
    print(
        f"{'lesson':<7}{'figure':<40}{'n':>4}{'median':>8}{'p95':>7}{'max':>7}{'cpu p95':>9}  (ms)"
    )

    def row(lesson: str, label: str, samples: list[tuple[float, float]]) -> float:
        wall, cpu = np.array(samples).T
        p95 = float(np.percentile(wall, 95))
        print(
            f"{lesson:<7}{label:<40}{len(wall):>4}{np.median(wall):>8.0f}{p95:>7.0f}"
            f"{wall.max():>7.0f}{np.percentile(cpu, 95):>9.0f}"
        )
        return p95

    row("--", "(baseline: empty 2-panel figure)", baseline())
    worst, rows, failed = 0.0, 0, []
    per_lesson: dict[str, list[float]] = {}
    for module in modules(args.only):
        short = module.__name__.rsplit(".", 1)[-1]
        for draw, make_controls in getattr(module, "INTERACTIVE", []):
            label = f"{short}.{draw.__name__}"
            lesson = LESSONS.get(short, "--")
            try:
                samples = bench_figure(draw, make_controls, args.values)
            except Exception as err:  # report and go on: one broken figure hides no others
                failed.append(label)
                print(f"{lesson:<7}{label:<40} ERROR {type(err).__name__}: {err}")
                continue
            worst = max(worst, row(lesson, label, samples))
            per_lesson.setdefault(lesson, []).extend(wall for wall, _ in samples)
            rows += 1
    if not rows and not failed:
        print("no interactive figures found")
        return 1
    summary = ", ".join(f"{k}: {np.percentile(v, 95):.0f}" for k, v in sorted(per_lesson.items()))
    print(f"p95 per lesson (ms): {summary}")
    verdict = "PASS" if worst <= BUDGET_MS else "OVER BUDGET"
    print(f"worst p95 {worst:.0f} ms vs budget {BUDGET_MS:.0f} ms: {verdict}")
    if failed:
        print(f"could not be measured: {', '.join(failed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
