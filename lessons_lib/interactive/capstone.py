"""Lesson 08: the Fashion-MNIST optimizer comparison in Keras.

The experiment of seed 002, done carefully: MLP 784-1024-512-512-512-10 (ReLU, softmax),
batch 256, Keras' default hyperparameters, a validation split taken from the training set,
one seed for the initial weights and the shuffling, the test set touched once at the end.

* :func:`prepare` splits and scales the data; :func:`train` trains one optimizer and
  returns its history; :func:`live_progress` makes one callback
  that shows a compact progress line per run and live curves while they train.
* :func:`full_run_figure` draws the precomputed 50-epoch histories
  (``data/full_run_histories.json``, made by ``scripts/precompute_full_run.py``);
  ``INTERACTIVE`` lists it with its controls for the slider benchmark.

Keras and TensorFlow are imported only inside the functions that train, so the figures
work without them.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from ..data import REPO_DATA_DIR
from ..plotting import COLORS
from ..widgets import choice

__all__ = [
    "BATCH_SIZE",
    "FAST_COMPILE",
    "FULL_RUN_FILE",
    "INTERACTIVE",
    "OPTIMIZERS",
    "SEED_RESULTS",
    "Split",
    "build_mlp",
    "compile_model",
    "curves_figure",
    "examples_figure",
    "full_run_controls",
    "full_run_figure",
    "keras_optimizer",
    "live_progress",
    "load_full_run",
    "prepare",
    "setup_tensorflow",
    "train",
    "train_dataset",
]

BATCH_SIZE = 256
LAYERS = (1024, 512, 512, 512)
#: seed 002's test accuracies (%), one unseeded 50-epoch run each, validated on the test set
SEED_RESULTS = {"SGD": 87.42, "Adagrad": 85.28, "RMSprop": 88.39, "Adam": 89.04}
#: name -> (Keras class, arguments); everything else is Keras' default
OPTIMIZERS: dict[str, tuple[str, dict[str, Any]]] = {
    "SGD": ("SGD", {}),
    "Adagrad": ("Adagrad", {}),
    "RMSprop": ("RMSprop", {}),
    "Adam": ("Adam", {}),
    "Momentum": ("SGD", {"momentum": 0.9}),
    "Nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
}
CURVE_COLORS = {
    "SGD": COLORS["sgd"],
    "Adagrad": COLORS["adagrad"],
    "RMSprop": COLORS["rmsprop"],
    "Adam": COLORS["adam"],
    "Momentum": COLORS["momentum"],
    "Nesterov": COLORS["nesterov"],
    "Keras' Adam": COLORS["adam"],
    "your Adam": COLORS["adamw"],
}
#: the fastest configuration measured by benchmarks/bench_fashion.py on 2 CPU cores: XLA,
#: 64 minibatches per call into TensorFlow, the data already in memory as tensors
FAST_COMPILE = {"jit_compile": True, "steps_per_execution": 64}
FULL_RUN_FILE = REPO_DATA_DIR / "full_run_histories.json"


@contextmanager
def _c_stderr_discarded() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for a while: C++ libraries write there directly,
    past ``sys.stderr`` (which is restored, and so are Python's own warnings)."""
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def setup_tensorflow(inter_op_threads: int = 1) -> None:
    """Quiet TensorFlow, and give its inter-op pool ``inter_op_threads`` threads.

    ``TF_CPP_MIN_LOG_LEVEL=3`` silences TensorFlow's C++ logs once its logging has started;
    the notices printed while its libraries load (TensorFlow 2.21: "oneDNN custom operations
    are on", twice, through absl before ``InitializeLog``) ignore it, so the import runs with
    the C-level stderr discarded. On a 2-core machine the training step keeps both cores busy
    by itself (intra-op threads); extra inter-op threads only compete with it
    (``benchmarks/bench_fashion.py``, config ``notebook`` against ``notebook-2t``). Call it
    before TensorFlow runs anything: afterwards thread settings cannot change, and this
    function leaves them as they are.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _c_stderr_discarded():
        import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    try:
        tf.config.threading.set_inter_op_parallelism_threads(inter_op_threads)
    except RuntimeError:  # TensorFlow already initialised: keep its settings
        pass


# --------------------------------------------------------------------------- data
@dataclass(frozen=True)
class Split:
    """Flattened float32 images in [0, 1] and uint8 labels: train / validation / test."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def prepare(data: Any, val_fraction: float = 0.1, seed: int = 0) -> Split:
    """Scale to [0, 1], flatten, and hold out ``val_fraction`` of the *training* images
    (a seeded random choice) for validation; the test set stays untouched."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction!r}")
    (x, y), (x_test, y_test) = data
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = int(round(val_fraction * len(x)))
    val, train_idx = np.sort(order[:n_val]), np.sort(order[n_val:])

    def flat(a: np.ndarray) -> np.ndarray:
        return (a.reshape(len(a), -1) / np.float32(255)).astype(np.float32)

    return Split(flat(x[train_idx]), y[train_idx], flat(x[val]), y[val], flat(x_test), y_test)


def train_dataset(x: np.ndarray, y: np.ndarray, batch_size: int = BATCH_SIZE, seed: int = 0):
    """A tf.data pipeline kept in memory: each epoch a new seeded permutation of indices,
    batches gathered in one op (cheaper than shuffling 54,000 single images)."""
    import tensorflow as tf

    images, labels = tf.constant(x), tf.constant(y)
    dataset = (
        tf.data.Dataset.range(len(x))
        .shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .map(lambda i: (tf.gather(images, i), tf.gather(labels, i)))
        .prefetch(2)
    )
    return _without_autotune(dataset)


def _eval_dataset(x: np.ndarray, y: np.ndarray):
    import tensorflow as tf

    return _without_autotune(tf.data.Dataset.from_tensor_slices((x, y)).batch(2000).cache())


def _without_autotune(dataset):
    """Switch tf.data's autotuning off (nothing here asks for AUTOTUNE).

    Keras makes a new iterator every epoch and every evaluation. Deleting one waits for
    its autotuning thread, which can be asleep for seconds: on 2 cores about every other
    epoch took 10 s instead of 5, with both cores idle for the difference.
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


# --------------------------------------------------------------------------- model
def build_mlp(seed: int = 0, dtype: str | None = None):
    """MLP 784-1024-512-512-512-10, ReLU then softmax; ``seed`` fixes the initial weights
    (and every other random choice of Keras and TensorFlow that follows)."""
    import keras

    keras.utils.set_random_seed(seed)
    layers = [keras.Input((784,), dtype=dtype)]
    layers += [keras.layers.Dense(n, activation="relu", dtype=dtype) for n in LAYERS]
    layers += [keras.layers.Dense(10, activation="softmax", dtype=dtype)]
    return keras.Sequential(layers, name="mlp")


def keras_optimizer(name: str):
    """The Keras optimizer ``name`` (a key of :data:`OPTIMIZERS`) with its defaults."""
    import keras

    if name not in OPTIMIZERS:
        raise ValueError(f"name must be one of {', '.join(OPTIMIZERS)}; got {name!r}")
    cls, kwargs = OPTIMIZERS[name]
    return getattr(keras.optimizers, cls)(**kwargs)


def compile_model(model, optimizer, fast: bool = True) -> None:
    """Cross-entropy on integer labels (same as the seed's one-hot categorical one)."""
    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        **(FAST_COMPILE if fast else {"jit_compile": False}),
    )


def train(
    optimizer: Any,
    split: Split,
    epochs: int,
    *,
    seed: int = 0,
    callbacks: list | None = None,
    test_every_epoch: bool = False,
    fast: bool = True,
    model: Any = None,
) -> dict[str, list[float]]:
    """Train a fresh seeded MLP (or ``model``) and return its history.

    ``optimizer`` is a name from :data:`OPTIMIZERS` or a Keras optimizer. The history has
    per-epoch ``loss, accuracy, val_loss, val_accuracy, seconds`` and ``test_loss,
    test_accuracy``: measured once after the last epoch, or after every epoch with
    ``test_every_epoch`` (only to *show* why choosing by test accuracy misleads).
    """
    import keras
    import tensorflow as tf

    # a new model per optimizer retraces TensorFlow's functions on purpose: no warnings
    tf.get_logger().setLevel("ERROR")
    model = build_mlp(seed) if model is None else model
    opt = keras_optimizer(optimizer) if isinstance(optimizer, str) else optimizer
    compile_model(model, opt, fast=fast)
    test = _eval_dataset(split.x_test, split.y_test)
    history: dict[str, list[float]] = {"seconds": [], "test_loss": [], "test_accuracy": []}

    class Bookkeeping(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            history["seconds"].append(time.perf_counter() - self.start)
            if test_every_epoch or epoch == epochs - 1:
                loss, acc = self.model.evaluate(test, verbose=0)
                history["test_loss"].append(float(loss))
                history["test_accuracy"].append(float(acc))
                if logs is not None:  # later callbacks (the progress line) see it too
                    logs["test_accuracy"] = float(acc)

    fit = model.fit(
        train_dataset(split.x_train, split.y_train, seed=seed),
        validation_data=_eval_dataset(split.x_val, split.y_val),
        epochs=epochs,
        shuffle=False,  # the pipeline shuffles, seeded
        verbose=0,
        callbacks=[Bookkeeping(), *(callbacks or [])],
    )
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        history[key] = [float(v) for v in fit.history[key]]
    return history


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


# --------------------------------------------------------------------------- exercise 8.1
def _as_tuple(rule):
    """Call a rule on NumPy arrays and return ``(w, m, v)``, for the exercise check."""

    def call(w, g, m, v, t, **hyper):
        new_w, state = rule(w, g, {"m": m, "v": v}, t, np, **hyper)
        return new_w, state["m"], state["v"]

    return call


def _adam_variant(*, paper=False, corrected=True, eps_inside=False, minus=False,
                  corrected_state=False):  # fmt: skip
    """Adam with one of the classic mistakes (only for naming them in the check)."""

    def step(w, g, m, v, t, learning_rate, beta_1, beta_2, epsilon):
        sign = -1 if minus else 1
        m = beta_1 * m + sign * (1 - beta_1) * g
        v = beta_2 * v + sign * (1 - beta_2) * g * g
        m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
        if paper:
            new = w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)
        elif not corrected:
            new = w - learning_rate * m / (np.sqrt(v) + epsilon)
        else:
            lr_t = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
            root = np.sqrt(v + epsilon) if eps_inside else np.sqrt(v) + epsilon
            new = w - lr_t * m / root
        return (new, m_hat, v_hat) if corrected_state else (new, m, v)

    return step


def check_adam_rule(rule) -> bool:
    """Exercise 8.1: ``rule`` must be Keras' Adam step, on odd hyperparameters."""
    from ..checks import check_against_reference
    from ..keras_bridge import adam_rule

    rng = np.random.default_rng(8)
    cases = [
        {"w": rng.normal(size=(3, 2)), "g": rng.normal(size=(3, 2)),
         "m": rng.normal(size=(3, 2)) * 0.1, "v": rng.random((3, 2)) * 0.01, "t": t,
         "learning_rate": 0.1, "beta_1": 0.8, "beta_2": 0.888, "epsilon": 1e-2}
        for t in (1, 2, 7)
    ]  # fmt: skip
    mistakes = [
        ("epsilon is added to the bias-corrected root (the paper's form); Keras adds it to "
         "the uncorrected root: lr_t * m / (sqrt(v) + epsilon)", _adam_variant(paper=True)),
        ("no bias correction: scale the learning rate by sqrt(1 - beta_2**t) / (1 - beta_1**t)",
         _adam_variant(corrected=False)),
        ("epsilon is inside the square root; Keras' Adam adds it outside: sqrt(v) + epsilon",
         _adam_variant(eps_inside=True)),
        ("the moving averages subtract the new term; they add it: "
         "m = beta_1 * m + (1 - beta_1) * g", _adam_variant(minus=True)),
        ("the state returned holds bias-corrected moments; return the raw m and v "
         "(the correction is recomputed from t at every step)",
         _adam_variant(corrected_state=True)),
    ]  # fmt: skip
    return check_against_reference("8.1", _as_tuple(rule), _as_tuple(adam_rule), cases, mistakes)
