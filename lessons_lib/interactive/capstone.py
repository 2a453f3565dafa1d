"""Lesson 08's figures and tables: the Fashion-MNIST optimizer comparison in Keras.

The training pipeline lives in :mod:`lessons_lib.training`; this module shows its results.

* :func:`live_progress` makes one Keras callback that shows a compact progress line per
  run and live curves while they train.
* :func:`full_run_figure` draws the precomputed 50-epoch seed-0 histories
  (``data/full_run_histories.json``, made by ``scripts/precompute_full_run.py``);
  ``INTERACTIVE`` lists it with its controls for the slider benchmark.
* :func:`load_evidence` reads ``data/evidence_summary.json`` (several seeds, default and
  tuned learning rates: ``scripts/precompute_evidence.py`` then
  ``scripts/summarize_evidence.py``); :func:`evidence_table`, :func:`early_stopping_table`,
  :func:`sweep_table` print it, :func:`spread_report` places a live run in the seeds'
  spread, :func:`diagnostics_figure`, :func:`accumulator_figure` and :func:`decay_figure`
  draw the optimizer diagnostics and the weight-decay runs.

Keras and TensorFlow are imported only inside the functions that train, so the figures
work without them.
"""

from __future__ import annotations

import json
import math
import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from ..data import REPO_DATA_DIR
from ..plotting import COLORS
from ..training import OPTIMIZERS, build_mlp, prepare, train_dataset
from ..widgets import choice

__all__ = [
    "EVIDENCE_FILE",
    "FULL_RUN_FILE",
    "INTERACTIVE",
    "SEED_RESULTS",
    "accumulator_figure",
    "binomial_se",
    "curves_figure",
    "decay_figure",
    "decay_table",
    "diagnostics_figure",
    "differences",
    "early_stopping_table",
    "evidence_table",
    "examples_figure",
    "full_run_controls",
    "full_run_figure",
    "live_progress",
    "load_evidence",
    "load_full_run",
    "spread_report",
    "sweep_table",
]
# the pipeline's names stay importable from here for older code (one home: ..training)
_PIPELINE = (OPTIMIZERS, build_mlp, prepare, train_dataset)

#: seed 002's test accuracies (%), one unseeded 50-epoch run each, validated on the test set
SEED_RESULTS = {"SGD": 87.42, "Adagrad": 85.28, "RMSprop": 88.39, "Adam": 89.04}
CURVE_COLORS = {
    "SGD": COLORS["sgd"],
    "Adagrad": COLORS["adagrad"],
    "RMSprop": COLORS["rmsprop"],
    "Adam": COLORS["adam"],
    "Momentum": COLORS["momentum"],
    "Nesterov": COLORS["nesterov"],
    "AdamW": COLORS["adamw"],
    "Keras' Adam": COLORS["adam"],
    "your Adam": COLORS["adamw"],
}
FULL_RUN_FILE = REPO_DATA_DIR / "full_run_histories.json"
EVIDENCE_FILE = REPO_DATA_DIR / "evidence_summary.json"
TEST_IMAGES = 10_000


# --------------------------------------------------------------------------- live display
def live_progress(epochs: int, reference: dict | None = None, finished: dict | None = None):
    """One Keras callback for a series of runs: a progress line per run and one figure.

    Call ``progress.named(name)`` before each ``fit`` (it returns the callback). In a
    notebook the lines and the figure (every run so far, with ``reference``, the
    precomputed run, drawn faintly beside) are replaced in place each epoch; elsewhere one
    line per epoch is printed. ``finished`` holds runs done earlier, drawn as well.
    """
    import keras

    try:
        from IPython import get_ipython
        from IPython.display import Image, Pretty, display

        in_notebook = get_ipython() is not None
    except ImportError:  # pragma: no cover
        in_notebook = False

    class LiveProgress(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.runs = dict(finished or {})
            self.lines: list[str] = []
            self.name, self.handles = "run", None

        def named(self, name: str) -> LiveProgress:
            self.name = name
            return self

        def on_train_begin(self, logs=None):
            self.current = {k: [] for k in ("loss", "accuracy", "val_loss", "val_accuracy")}
            self.start = time.perf_counter()
            self.lines.append(f"{self.name}: compiling...")
            if in_notebook and self.handles is None:
                self.handles = (display(Pretty(""), display_id=True),
                                display(Pretty(""), display_id=True))  # fmt: skip
            self._show_lines()

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            for key in self.current:
                self.current[key].append(float(logs.get(key, np.nan)))
            self.lines[-1] = (
                f"{self.name:<9} epoch {epoch + 1:>2}/{epochs}  loss {logs.get('loss', np.nan):.4f}"
                f"  acc {logs.get('accuracy', np.nan):.4f}"
                f"  val_acc {logs.get('val_accuracy', np.nan):.4f}"
                f"  {time.perf_counter() - self.start:5.1f} s"
            )
            if logs.get("test_accuracy") is not None:
                self.lines[-1] += f"  test_acc {logs['test_accuracy']:.4f}"
            if not in_notebook:
                print(self.lines[-1], flush=True)
                return
            from ..plotting import png_bytes

            self._show_lines()
            shown = {**self.runs, self.name: self.current}
            self.handles[1].update(Image(png_bytes(curves_figure(shown, reference)), format="png"))

        def on_train_end(self, logs=None):
            self.runs[self.name] = self.current

        def _show_lines(self):
            if self.handles is not None:
                self.handles[0].update(Pretty("\n".join(self.lines)))

    return LiveProgress()


# --------------------------------------------------------------------------- figures
def examples_figure(x: np.ndarray, y: np.ndarray) -> Figure:
    """The first image of each class, with its name."""
    from ..data import CLASS_NAMES

    fig = Figure(figsize=(12, 2.8), dpi=80, layout="constrained")
    for c, ax in enumerate(fig.subplots(1, 10)):
        ax.imshow(x[np.flatnonzero(y == c)[0]].reshape(28, 28), cmap="gray_r")
        ax.set_title(CLASS_NAMES[c], fontsize=11)
        ax.set_axis_off()
    return fig


def _axes_pair(figsize: tuple[float, float] = (12, 4.6)) -> tuple[Figure, Any]:
    fig = Figure(figsize=figsize, dpi=80, layout="constrained")
    return fig, fig.subplots(1, 2)


def _log_loss_axis(ax: Any) -> None:
    """Log scale with plain tick labels (0.1, 0.2, 0.5, ...), readable on a projector."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(FixedLocator([0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def curves_figure(
    runs: dict[str, dict[str, list[float]]],
    reference: dict[str, dict[str, list[float]]] | None = None,
    metric: str = "val_accuracy",
) -> Figure:
    """Left: the live runs (dots) over the first epochs of the precomputed runs (thick,
    faint). Right: the whole precomputed runs with the live window shaded or, without a
    reference, the live runs' training loss."""
    fig, (ax, ax_right) = _axes_pair()
    ref = reference or {}
    shown = max([len(h[metric]) for h in runs.values()] + [1])
    for name, hist in ref.items():
        color = CURVE_COLORS.get(name)
        full = np.asarray(hist[metric])
        ax.plot(np.arange(1, min(shown, len(full)) + 1), full[:shown], color=color, alpha=0.3,
                lw=6)  # fmt: skip
        ax_right.plot(np.arange(1, len(full) + 1), full, color=color, label=name)
    for name, hist in runs.items():
        epochs = np.arange(1, len(hist[metric]) + 1)
        color = CURVE_COLORS.get(name)
        ax.plot(epochs, hist[metric], "o-", color=color, label=name)
        if not ref:
            ax_right.plot(epochs, hist["loss"], "o-", color=color, label=name)
    label = metric.replace("val_", "validation ").replace("_", " ")
    title = "this run (faint: precomputed run)" if ref else "validation"
    ax.set(xlabel="epoch", ylabel=label, title=title)
    for a in (ax, ax_right) if not ref else (ax,):
        a.set_xlim(0.5, shown + 0.5)
        a.xaxis.get_major_locator().set_params(integer=True)
    if runs:
        ax.legend(loc="lower right")
    if ref:
        ax_right.axvspan(0.5, shown + 0.5, color="0.85", zorder=0)
        ax_right.set(xlabel="epoch", ylabel=label, title="precomputed: 50 epochs")
        ax_right.legend(loc="lower right", ncol=2)
    elif runs:
        ax_right.set(xlabel="epoch", ylabel="training loss", title="training")
        _log_loss_axis(ax_right)
        ax_right.legend(loc="upper right")
    return fig


@lru_cache(maxsize=2)
def _full_run_cached(path: str, mtime: float) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def load_full_run(path: str | os.PathLike | None = None) -> dict[str, Any]:
    """The precomputed full run: ``{"meta": {...}, "histories": {name: history}}``.

    ``path`` defaults to ``$LESSONS_FULL_RUN_FILE`` if set (another run's histories),
    else ``data/full_run_histories.json``.
    """
    path = Path(path or os.environ.get("LESSONS_FULL_RUN_FILE") or FULL_RUN_FILE)
    if not path.is_file():
        raise ValueError(
            f"{path.name} is missing: run `python scripts/precompute_full_run.py` (about "
            f"15-30 min on 2 cores) or restore it with `git checkout -- data/{path.name}`"
        )
    return _full_run_cached(str(path), path.stat().st_mtime)


METRICS = {
    "validation accuracy": "val_accuracy",
    "validation loss": "val_loss",
    "training accuracy": "accuracy",
    "training loss": "loss",
    "test accuracy (peeking!)": "test_accuracy",
}


def _draw_full_run(metric: str, show: str) -> Figure:
    hist = load_full_run()["histories"]
    names = list(SEED_RESULTS) if show == "seed's four" else list(hist)
    key = METRICS[metric]
    other = {"val_loss": "loss", "loss": "val_loss", "val_accuracy": "accuracy",
             "accuracy": "val_accuracy", "test_accuracy": "val_accuracy"}[key]  # fmt: skip
    fig, axes = _axes_pair()
    inverse = {v: k for k, v in METRICS.items()}
    for ax, k in zip(axes, (key, other), strict=True):
        for name in names:
            if name in hist:
                values = np.asarray(hist[name][k])
                ax.plot(np.arange(1, len(values) + 1), values, color=CURVE_COLORS[name],
                        label=name)  # fmt: skip
        ax.set(xlabel="epoch", ylabel=inverse.get(k, k), title=inverse.get(k, k))
        if "loss" in k:
            _log_loss_axis(ax)
        ax.legend(ncol=2, fontsize=11, loc="best")
    return fig


@lru_cache(maxsize=len(METRICS) * 2)
def _full_run_pixels(metric: str, show: str, path: str, mtime: float) -> np.ndarray:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(_draw_full_run(metric, show))
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def full_run_figure(metric: str = "validation accuracy", show: str = "seed's four") -> Figure:
    """The precomputed 50-epoch histories: the chosen metric, and beside it its training or
    validation counterpart, so overfitting shows (validation loss turning up while the
    training loss falls).

    The data never change, so each of the ten views is drawn once and kept as pixels; a
    slider move then only copies them into a new figure (a few ms instead of ~300 ms).
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}")
    if show not in SHOW:
        raise ValueError(f"show must be one of {', '.join(SHOW)}; got {show!r}")
    load_full_run()  # a clear error if the file is missing
    path = Path(os.environ.get("LESSONS_FULL_RUN_FILE") or FULL_RUN_FILE)
    pixels = _full_run_pixels(metric, show, str(path), path.stat().st_mtime)
    height, width = pixels.shape[:2]
    fig = Figure(figsize=(width / 80, height / 80), dpi=80, layout="none")
    ax = fig.add_axes((0, 0, 1, 1))  # an axes, not figimage: IPython's tight bbox keeps it
    ax.imshow(pixels, interpolation="none")
    ax.set_axis_off()
    return fig


SHOW = ("seed's four", "all six")


def full_run_controls() -> dict[str, W.ValueWidget]:
    """A metric and which optimizers to show; makes the ten views once (about 3 s)."""
    for metric in METRICS:
        for show in SHOW:
            full_run_figure(metric, show)
    return {
        "metric": choice("metric", list(METRICS), "validation accuracy"),
        "show": choice("optimizers", list(SHOW), SHOW[0]),
    }


INTERACTIVE = [(full_run_figure, full_run_controls)]


# --------------------------------------------------------------------------- evidence
def binomial_se(accuracy: float, n: int = TEST_IMAGES) -> float:
    """Standard error of an accuracy measured on ``n`` independent images,
    ``sqrt(p (1 - p) / n)``: about 0.003 (0.3 points) for p = 0.89 and n = 10,000."""
    if not 0.0 <= accuracy <= 1.0 or n < 1:
        raise ValueError(f"need 0 <= accuracy <= 1 and n >= 1, got {accuracy!r}, {n!r}")
    return math.sqrt(accuracy * (1.0 - accuracy) / n)


def load_evidence(path: str | os.PathLike | None = None) -> dict[str, Any]:
    """``data/evidence_summary.json`` (or ``path``): the multi-seed evidence of lesson 08."""
    path = Path(path or EVIDENCE_FILE)
    if not path.is_file():
        raise ValueError(
            f"{path.name} is missing: run `python scripts/summarize_evidence.py` (it "
            f"summarizes the runs in data/evidence/runs/) or restore it from git"
        )
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _pm(stat: dict[str, Any]) -> str:
    """``mean +/- sd`` in points; one value has no sd."""
    if stat["sd"] is None:
        return f"{stat['mean']:6.2f}        "
    return f"{stat['mean']:6.2f} ± {stat['sd']:4.2f}"


def evidence_table(summary: dict[str, Any], setting: str = "default") -> str:
    """Final test accuracy (%) per optimizer: mean ± sd over seeds (n of them), the range,
    the binomial standard error of one run's accuracy, and the blog's number beside."""
    cells = summary["settings"].get(setting, {})
    lines = [f"{'optimizer':<10}{'lr':>9}{'n':>3}{'test acc. mean ± sd':>21}{'range':>15}"
             f"{'binom. SE':>10}{'blog':>7}{'blog - mean':>13}"]  # fmt: skip
    for name, c in cells.items():
        t = c["test_accuracy"]
        blog, mean = summary["blog"].get(name), t["mean"]
        lines.append(
            f"{name:<10}{c['learning_rate']:>9.4g}{c['n']:>3}{_pm(t):>21}"
            f"{min(t['values']):>8.2f}-{max(t['values']):<6.2f}{c['binomial_se']:>10.2f}"
            f"{'-' if blog is None else f'{blog:.2f}':>7}"
            f"{'-' if blog is None else f'{blog - mean:+.2f}':>13}"
        )
    if not cells:
        lines.append("(no finished runs yet)")
    return "\n".join(lines)


def differences(summary: dict[str, Any], setting: str = "default") -> str:
    """Neighbours in the ranking by mean test accuracy, with the uncertainty of their gap.

    The gap's standard error is ``sqrt(u1^2 / n1 + u2^2 / n2)``, where ``u`` is a cell's
    standard deviation over seeds, but never less than the binomial standard error of one
    run (with two or three seeds the sample sd can come out far too small). A gap larger
    than twice that is called *beyond the noise*; anything else is a tie as far as these
    runs can tell.
    """
    cells = sorted(summary["settings"].get(setting, {}).items(),
                   key=lambda kv: -kv[1]["test_accuracy"]["mean"])  # fmt: skip
    lines = []
    for (a, ca), (b, cb) in zip(cells, cells[1:], strict=False):
        u = [max(c["test_accuracy"]["sd"] or 0.0, c["binomial_se"]) for c in (ca, cb)]
        se = math.sqrt(u[0] ** 2 / ca["n"] + u[1] ** 2 / cb["n"])
        gap = ca["test_accuracy"]["mean"] - cb["test_accuracy"]["mean"]
        verdict = "beyond the noise" if gap > 2 * se else "within the noise (a tie)"
        if min(ca["n"], cb["n"]) < 2:
            verdict += " (one seed: the seed spread is not known yet)"
        lines.append(f"{a:>9} - {b:<9}{gap:6.2f} ± {se:4.2f} points  {verdict}")
    return "\n".join(lines) if lines else "(fewer than two optimizers finished)"


def early_stopping_table(summary: dict[str, Any], setting: str = "default") -> str:
    """Per optimizer: the epochs of the lowest validation loss (one per seed), the test
    accuracy at that epoch (mean ± sd), and the same for the highest validation accuracy,
    beside the test accuracy after the last epoch."""
    cells = summary["settings"].get(setting, {})
    lines = [f"{'optimizer':<10}{'n':>3}{'min val. loss: epochs':>24}{'test acc.':>16}"
             f"{'max val. acc.: epochs':>24}{'test acc.':>16}{'epoch 50':>10}"]  # fmt: skip
    for name, c in cells.items():
        loss, acc = c["early_stopping"]["by_val_loss"], c["early_stopping"]["by_val_accuracy"]
        lines.append(
            f"{name:<10}{c['n']:>3}{', '.join(map(str, loss['epochs'])):>24}"
            f"{_pm(loss['test_accuracy']):>16}{', '.join(map(str, acc['epochs'])):>24}"
            f"{_pm(acc['test_accuracy']):>16}{c['test_accuracy']['mean']:>10.2f}"
        )
    return "\n".join(lines)


def sweep_table(summary: dict[str, Any]) -> str:
    """The learning-rate sweep: mean validation accuracy (%) of epochs 8-10 per rate."""
    lines = []
    for name, sw in summary["sweep"].items():
        if not sw["learning_rates"]:
            lines.append(f"{name:<10}(not run yet)")
            continue
        cells = [f"{lr:.2g}: {score:.1f}" + ("*" if lr == sw["chosen"] else "")
                 for lr, score in zip(sw["learning_rates"], sw["score"], strict=True)]  # fmt: skip
        note = "" if sw["complete"] else "  (incomplete)"
        note += "  (best at the edge of the grid)" if sw["at_edge"] else ""
        for lr, epoch in (sw.get("rejected") or {}).items():
            note += f"  ({float(lr):.2g} diverged at epoch {epoch} of 50: next best taken)"
        if sw.get("extensions"):
            note += "  (extended: " + ", ".join(f"{lr:.2g}" for lr in sw["extensions"]) + ")"
        lines.append(f"{name:<10}" + "  ".join(cells) + note)
    return "\n".join(lines)


def spread_report(live: dict[str, dict], summary: dict[str, Any], epoch: int,
                  setting: str = "default") -> str:  # fmt: skip
    """Place each live run's validation accuracy at ``epoch`` among the precomputed seeds.

    The tolerance is 3 times the larger of the seeds' standard deviation at that epoch and
    the binomial standard error on the 6,000 validation images: a live run further away
    than that is reported (never an exception: it depends on the processor).
    """
    n_val = summary["meta"].get("validation_images", 6000)
    lines = []
    for name, hist in live.items():
        c = summary["settings"].get(setting, {}).get(name)
        if c is None or len(hist["val_accuracy"]) < epoch:
            lines.append(f"{name:<10}no precomputed seeds to compare with")
            continue
        mean = c["curves"]["val_accuracy"]["mean"][epoch - 1]
        sd = c["curves"]["val_accuracy"]["sd"][epoch - 1] or 0.0
        tol = 3 * max(sd, binomial_se(mean, n_val))
        diff = hist["val_accuracy"][epoch - 1] - mean
        verdict = "within" if abs(diff) <= tol else "OUTSIDE"
        spread = f"± {100 * sd:4.2f} (n={c['n']})" if c["n"] > 1 else "(1 seed, no sd)"
        lines.append(f"{name:<10}live {100 * (mean + diff):6.2f}   seeds {100 * mean:6.2f} "
                     f"{spread:<16}  {verdict} the tolerance ± {100 * tol:.2f}")  # fmt: skip
    return "\n".join(lines)


# --------------------------------------------------------------------------- diagnostics
def _layer_label(shape: list[float]) -> str:
    return f"{int(shape[0])}→{int(shape[1])}"


def diagnostics_figure(live: dict[str, dict] | None, summary: dict[str, Any],
                       key: str = "update_ratio") -> Figure:  # fmt: skip
    """One panel per layer: ``key`` (``update_ratio``: one step's ||dW|| / ||W||) per epoch,
    precomputed over 50 epochs (thin lines) and live (dots). ``live`` maps an optimizer to
    ``{"record": probe.record, "layers": probe.layers}``. The dashed line is CS231n's rule
    of thumb for one step, 1e-3."""
    pre = summary.get("diagnostics", {})
    names = list(dict.fromkeys([*(live or {}), *pre]))
    layers = next((d["layers"] for d in [*(live or {}).values(), *pre.values()]), None)
    if layers is None:
        raise ValueError("no diagnostics: neither live runs nor precomputed ones recorded them")
    fig = Figure(figsize=(13, 3.8), dpi=80, layout="constrained")
    axes = fig.subplots(1, len(layers), sharey=True)
    for i, (ax, shape) in enumerate(zip(axes, layers, strict=True)):
        for name in names:
            color = CURVE_COLORS.get(name)
            if name in pre:
                y = [row[i] for row in pre[name][key]]
                ax.plot(np.arange(1, len(y) + 1), y, color=color, lw=1.5, alpha=0.6)
            if live and name in live:
                y = [row[i] for row in live[name]["record"][key]]
                ax.plot(np.arange(1, len(y) + 1), y, "o", color=color, ms=5,
                        label=name if i == 0 else None)  # fmt: skip
            elif i == 0 and name in pre:
                ax.plot([], [], color=color, label=name)
        ax.axhline(1e-3, color="0.4", ls="--", lw=1)
        ax.set(yscale="log", xscale="log", title=f"layer {i + 1}: {_layer_label(shape)}",
               xlabel="epoch")  # fmt: skip
        ax.title.set_fontsize(12)
    axes[0].set_ylabel("||ΔW|| / ||W||, one step")
    fig.legend(loc="outside right center", fontsize=11)
    return fig


def _percentiles(record: dict, key: str, epoch: int, layer: int) -> list[float] | None:
    rows = record.get(key) or []
    if len(rows) < epoch or not rows[epoch - 1] or rows[epoch - 1][layer] is None:
        return None
    return rows[epoch - 1][layer]


def accumulator_figure(live: dict[str, dict] | None, summary: dict[str, Any],
                       sgd_rate: float = 0.01) -> Figure:  # fmt: skip
    """Left: AdaGrad's summed squared gradients per layer (median, bar to the 90th
    percentile over the layer's weights) after the live run's last epoch (dots) and after
    epoch 50 precomputed (squares), against the accumulator's start value (dashed).
    Right: the effective step size, the factor that multiplies the gradient (AdaGrad,
    RMSprop) or Adam's m, per layer, same markers; SGD's learning rate dashed."""
    pre = summary.get("diagnostics", {})
    fig, (left, right) = _axes_pair((13, 4.6))
    sources = [("live", live or {}, "o"), ("precomputed", pre, "s")]
    for label, runs, marker in sources:
        run = runs.get("Adagrad")
        if not run or not run.get("sum_g2" if label == "precomputed" else "layers"):
            continue
        record = run if label == "precomputed" else run["record"]
        last = len(record["sum_g2"])
        for layer in range(len(run["layers"])):
            p = _percentiles(record, "sum_g2", last, layer)
            if p is None:
                continue
            x = layer + 1 + (0.12 if label == "precomputed" else -0.12)
            left.plot([x, x], [max(p[1], 1e-12), p[2]], color=CURVE_COLORS["Adagrad"], lw=2)
            left.plot(x, max(p[1], 1e-12), marker, color=CURVE_COLORS["Adagrad"], ms=8,
                      label=f"{label}, epoch {last}" if layer == 0 else None)  # fmt: skip
    left.axhline(0.1, color="0.3", ls="--", label="initial accumulator 0.1")
    left.set(yscale="log", xlabel="layer", ylabel="sum of g² per weight",
             title="AdaGrad: what the accumulator has summed")  # fmt: skip
    left.legend(fontsize=11, loc="lower right")
    offsets = {"Adagrad": -0.2, "RMSprop": 0.0, "Adam": 0.2}
    for label, runs, marker in sources:
        for name, dx in offsets.items():
            run = runs.get(name)
            if not run:
                continue
            record = run if label == "precomputed" else run["record"]
            last = len(record.get("step_size") or [])
            for layer in range(len(run["layers"])):
                p = _percentiles(record, "step_size", last, layer) if last else None
                if p is None:
                    continue
                x = layer + 1 + dx + (0.06 if label == "precomputed" else -0.06)
                right.plot([x, x], [p[0], p[2]], color=CURVE_COLORS[name], lw=2)
                right.plot(x, p[1], marker, color=CURVE_COLORS[name], ms=8,
                           label=f"{name} ({label})" if layer == 0 else None)  # fmt: skip
    right.axhline(sgd_rate, color=CURVE_COLORS["SGD"], ls="--", label=f"SGD: η = {sgd_rate:g}")
    right.set(yscale="log", xlabel="layer", ylabel="factor in front of g (Adam: of m)",
              title="effective step size (10th-90th percentile)")  # fmt: skip
    right.legend(fontsize=10, loc="upper left", ncol=2)
    for ax in (left, right):
        ax.set_xticks(range(1, 6))
    return fig


def decay_table(summary: dict[str, Any]) -> str:
    """The weight-decay runs: lowest validation cross-entropy (epoch), its value at the
    last epoch, and the last epoch's training and test accuracy (%)."""
    lines = [f"{'run':<24}{'min val. CE (epoch)':>21}{'val. CE at end':>16}"
             f"{'train acc.':>12}{'test acc.':>11}"]  # fmt: skip
    for name, run in summary.get("decay", {}).items():
        ce = np.asarray([np.nan if v is None else v for v in run["val_ce"]])
        best = int(np.nanargmin(ce))
        lines.append(f"{name.replace('lambda', 'λ'):<24}{ce[best]:>15.3f} ({best + 1:>2})"
                     f"{ce[-1]:>16.3f}{100 * run['train_accuracy'][-1]:>12.2f}"
                     f"{run['test_accuracy']:>11.2f}")  # fmt: skip
    return "\n".join(lines)


def decay_figure(summary: dict[str, Any]) -> Figure:
    """Validation cross-entropy over epochs: Adam, Adam + L2 and AdamW at matched lambda
    (both add lambda * w: to the gradient, or to the update), one panel per lambda."""
    runs = summary.get("decay", {})
    lambdas = sorted({r["lambda"] for r in runs.values() if r["lambda"] > 0})
    if not lambdas:
        raise ValueError("no weight-decay runs in the evidence yet (precompute_evidence.py)")
    fig = Figure(figsize=(12, 4.2), dpi=80, layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(lambdas), sharey=True))
    styles = {"Adam": ("Adam (no decay)", COLORS["adam"], "-"),
              "Adam + L2": ("Adam + L2", COLORS["rmsprop"], "-"),
              "AdamW": ("AdamW", COLORS["adamw"], "-")}  # fmt: skip
    for ax, lam in zip(axes, lambdas, strict=True):
        for run in runs.values():
            if run["lambda"] not in (0.0, lam):
                continue
            label, color, ls = styles[run["method"]]
            if "source" in run:
                label += " (stored seed-0 run)"
            y = np.asarray([np.nan if v is None else v for v in run["val_ce"]])
            ax.plot(np.arange(1, len(y) + 1), y, ls, color=color, lw=2.5,
                    label=f"{label}: test {run['test_accuracy']:.2f} %")  # fmt: skip
        ax.set(title=f"λ = {lam:g}", xlabel="epoch")
        _log_loss_axis(ax)
        ax.set_ylim(0.2, 3.5)  # room for the legend above the curves
        ax.legend(fontsize=10, loc="upper left")
    axes[0].set_ylabel("validation cross-entropy")
    return fig
