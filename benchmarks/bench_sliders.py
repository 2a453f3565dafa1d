"""How long a slider move takes: every interactive figure, every control swept.

For each module in ``lessons_lib/interactive`` and each ``(draw, controls)`` pair in its
``INTERACTIVE`` list, each control is swept over its range with the others at their
defaults: ``--values`` points between min and max for a slider (log-spaced for a log
slider), every option of a drop-down. One update = ``draw(**values)`` plus the PNG render
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


def sweep_values(control: Any, n: int) -> list[Any]:
    """The values a control is swept over: options, or ``n`` points from min to max."""
    if hasattr(control, "options"):
        return [o[1] if isinstance(o, tuple) and len(o) == 2 else o for o in control.options]
    if isinstance(control.value, bool):
        return [False, True]
    if not (hasattr(control, "min") and hasattr(control, "max")):
        return [control.value]
    if hasattr(control, "base"):  # FloatLogSlider: min and max are exponents
        return list(control.base ** np.linspace(control.min, control.max, n))
    if isinstance(control.value, (int, np.integer)):
        return sorted({int(round(v)) for v in np.linspace(control.min, control.max, n)})
    return list(np.linspace(control.min, control.max, n))


def time_update(draw: Callable[..., Any], values: dict[str, Any]) -> float:
    """Milliseconds for one draw plus PNG render."""
    t0 = time.perf_counter()
    png_bytes(draw(**values))
    return (time.perf_counter() - t0) * 1000


def bench_figure(draw: Callable[..., Any], make_controls: Callable[[], dict], n: int) -> list:
    controls = make_controls()
    defaults = {name: c.value for name, c in controls.items()}
    png_bytes(draw(**defaults))  # warm-up: caches (contour images, fonts), as in the notebook
    times = []
    for name, control in controls.items():
        for value in sweep_values(control, n):
            times.append(time_update(draw, {**defaults, name: value}))
    return times


def baseline(repeats: int = 8) -> list[float]:
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
    print(f"{'lesson':<7}{'figure':<44}{'n':>4}{'median':>9}{'p95':>9}{'max':>9}  (ms)")
    floor = np.array(baseline())
    print(
        f"{'--':<7}{'(baseline: empty 2-panel figure)':<44}{len(floor):>4}"
        f"{np.median(floor):>9.0f}{np.percentile(floor, 95):>9.0f}{floor.max():>9.0f}"
    )
    worst, rows, failed = 0.0, 0, []
    for module in modules(args.only):
        short = module.__name__.rsplit(".", 1)[-1]
        for draw, make_controls in getattr(module, "INTERACTIVE", []):
            label = f"{short}.{draw.__name__}"
            lesson = LESSONS.get(short, "--")
            try:
                times = np.array(bench_figure(draw, make_controls, args.values))
            except Exception as err:  # report and go on: one broken figure hides no others
                failed.append(label)
                print(f"{lesson:<7}{label:<44} ERROR {type(err).__name__}: {err}")
                continue
            p95 = float(np.percentile(times, 95))
            worst = max(worst, p95)
            rows += 1
            print(
                f"{lesson:<7}{label:<44}{len(times):>4}"
                f"{np.median(times):>9.0f}{p95:>9.0f}{times.max():>9.0f}"
            )
    if not rows and not failed:
        print("no interactive figures found")
        return 1
    verdict = "PASS" if worst <= BUDGET_MS else "OVER BUDGET"
    print(f"worst p95 {worst:.0f} ms vs budget {BUDGET_MS:.0f} ms: {verdict}")
    if failed:
        print(f"could not be measured: {', '.join(failed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
