"""The Keras training pipeline of lesson 08, in one place for the notebook, ``scripts/`` and
``benchmarks/``.

The experiment of seed 002, done carefully: MLP 784-1024-512-512-512-10 (ReLU, softmax),
batch 256, a validation split taken from the training set, one seed for the initial weights
and the shuffling, the test set measured but never used for a choice.

* :func:`prepare` splits and scales the data; :func:`train_dataset` is the in-memory
  ``tf.data`` pipeline; :func:`build_mlp` the network; :func:`keras_optimizer` an optimizer
  by name and learning rate; :func:`train` trains one run and returns its history, with the
  test loss and accuracy after every epoch if asked.
* :class:`OptimizerProbe` is a Keras callback that reads the optimizer's state after each
  epoch: per layer, the update-to-weight ratio of one step (CS231n's ``||dW|| / ||W||``),
  the effective step size ``eta / sqrt(s)`` of the adaptive methods, and AdaGrad's
  accumulated ``sum g^2`` against its initial value.

Keras and TensorFlow are imported inside the functions, so importing this module is cheap
and works without them (:func:`tensorflow_missing` says how to add them).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "BATCH_SIZE",
    "FAST_COMPILE",
    "INSTALL_HINT",
    "LATER_OPTIMIZERS",
    "LAYERS",
    "OPTIMIZERS",
    "OptimizerProbe",
    "Split",
    "TensorFlowMissing",
    "build_mlp",
    "compile_model",
    "default_learning_rate",
    "keras_optimizer",
    "prepare",
    "require_tensorflow",
    "setup_tensorflow",
    "tensorflow_missing",
    "train",
    "train_dataset",
]

BATCH_SIZE = 256
LAYERS = (1024, 512, 512, 512)
#: name -> (Keras class, arguments); everything not given is Keras' default
OPTIMIZERS: dict[str, tuple[str, dict[str, Any]]] = {
    "SGD": ("SGD", {}),
    "Adagrad": ("Adagrad", {}),
    "RMSprop": ("RMSprop", {}),
    "Adam": ("Adam", {}),
    "Momentum": ("SGD", {"momentum": 0.9}),
    "Nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "AdamW": ("AdamW", {}),
}
#: the optimizers lessons 09 and 10 add (their precomputed evidence only), Keras' defaults
LATER_OPTIMIZERS: dict[str, tuple[str, dict[str, Any]]] = {
    name: (name, {})
    for name in ("Nadam", "Adamax", "Adadelta", "Lion", "Lamb", "Adafactor", "Muon",
                 "ScheduleFreeAdamW")
}  # fmt: skip
#: the fastest configuration measured by benchmarks/bench_fashion.py on 2 CPU cores: XLA,
#: 64 minibatches per call into TensorFlow, the data already in memory as tensors
FAST_COMPILE = {"jit_compile": True, "steps_per_execution": 64}
INSTALL_HINT = (
    "Lesson 08 needs TensorFlow, and this Python environment does not have it (the core\n"
    "install leaves it out). Add the capstone extra, in the project folder:\n"
    '    pip install -e ".[capstone]"\n'
    "then restart the kernel and run the notebook again. The README's install section\n"
    "lists the platforms TensorFlow supports. Lessons 00-07 do not need it."
)


def tensorflow_missing() -> str | None:
    """``None`` if TensorFlow can be imported, else what to run to add it."""
    try:
        found = importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):  # a broken or blocked installation
        found = False
    return None if found else INSTALL_HINT


class TensorFlowMissing(ModuleNotFoundError):
    """TensorFlow is not installed. In a notebook IPython shows only the message (through
    ``_render_traceback_``), and "Run all" stops here: the cells that train do not run."""

    def _render_traceback_(self) -> list[str]:
        return [str(self)]


def require_tensorflow() -> None:
    """Raise :class:`TensorFlowMissing`, whose message says how to add TensorFlow, if it
    cannot be imported; do nothing otherwise."""
    hint = tensorflow_missing()
    if hint:
        raise TensorFlowMissing(hint)


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


def setup_tensorflow(inter_op_threads: int = 1, intra_op_threads: int | None = None) -> None:
    """Quiet TensorFlow and size its thread pools.

    ``TF_CPP_MIN_LOG_LEVEL=3`` silences TensorFlow's C++ logs once its logging has started;
    the notices printed while its libraries load (TensorFlow 2.21: "oneDNN custom operations
    are on", twice, through absl before ``InitializeLog``) ignore it, so the import runs with
    the C-level stderr discarded. On a 2-core machine the training step keeps both cores busy
    by itself (intra-op threads); extra inter-op threads only compete with it
    (``benchmarks/bench_fashion.py``, config ``notebook`` against ``notebook-2t``).
    ``intra_op_threads`` (default: TensorFlow's choice, one per core) is for running several
    trainings side by side. Call it before TensorFlow runs anything: afterwards thread
    settings cannot change, and this function leaves them as they are.
    """
    require_tensorflow()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    with _c_stderr_discarded():
        import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    try:
        tf.config.threading.set_inter_op_parallelism_threads(inter_op_threads)
        if intra_op_threads:
            tf.config.threading.set_intra_op_parallelism_threads(intra_op_threads)
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
def build_mlp(seed: int = 0, dtype: str | None = None, l2: float = 0.0):
    """MLP 784-1024-512-512-512-10, ReLU then softmax; ``seed`` fixes the initial weights
    (and every other random choice of Keras and TensorFlow that follows).

    ``l2 > 0`` adds ``l2 * sum(W**2)`` of every kernel (not the biases) to the loss, so
    the gradient gains ``2 * l2 * W``: the classic "L2 regularisation".
    """
    import keras

    if l2 < 0:
        raise ValueError(f"l2 must be >= 0, got {l2!r}")
    keras.utils.set_random_seed(seed)
    reg = {"kernel_regularizer": keras.regularizers.L2(l2)} if l2 > 0 else {}
    layers = [keras.Input((784,), dtype=dtype)]
    layers += [keras.layers.Dense(n, activation="relu", dtype=dtype, **reg) for n in LAYERS]
    layers += [keras.layers.Dense(10, activation="softmax", dtype=dtype, **reg)]
    return keras.Sequential(layers, name="mlp")


def default_learning_rate(name: str) -> float:
    """Keras' default learning rate of optimizer ``name`` (a key of :data:`OPTIMIZERS`)."""
    return float(keras_optimizer(name).get_config()["learning_rate"])


def keras_optimizer(name: str, learning_rate: float | None = None, **overrides: Any):
    """The Keras optimizer ``name`` (a key of :data:`OPTIMIZERS` or :data:`LATER_OPTIMIZERS`):
    Keras' defaults, except ``learning_rate`` (a number or a Keras schedule) and
    ``overrides`` when given."""
    import keras

    known = {**OPTIMIZERS, **LATER_OPTIMIZERS}
    if name not in known:
        raise ValueError(f"name must be one of {', '.join(known)}; got {name!r}")
    if isinstance(learning_rate, int | float) and not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}")
    cls, kwargs = known[name]
    kwargs = {**kwargs, **overrides}
    if learning_rate is not None:
        kwargs["learning_rate"] = learning_rate
    return getattr(keras.optimizers, cls)(**kwargs)


def compile_model(model, optimizer, fast: bool = True) -> None:
    """Cross-entropy on integer labels (same as the seed's one-hot categorical one). With
    L2 terms in the model, ``ce`` is also recorded: the cross-entropy without them."""
    import keras

    metrics: list[Any] = ["accuracy"]
    if model.losses:
        metrics.append(keras.metrics.SparseCategoricalCrossentropy(name="ce"))
    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=metrics,
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
    per-epoch ``loss, accuracy, val_loss, val_accuracy, seconds`` (and ``ce, val_ce`` with
    L2 terms) and ``test_loss, test_accuracy``: measured once after the last epoch, or
    after every epoch with ``test_every_epoch``.
    """
    import keras
    import tensorflow as tf

    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs!r}")
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
                loss, acc = self.model.evaluate(test, verbose=0)[:2]
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
    for key, values in fit.history.items():
        history[key] = [float(v) for v in values]
    return history


# --------------------------------------------------------------------------- diagnostics
def _norm(a: np.ndarray) -> float:
    return float(np.sqrt(np.sum(np.square(a, dtype=np.float64))))


def _quartiles(a: np.ndarray) -> list[float]:
    """10th, 50th and 90th percentile."""
    return [float(q) for q in np.percentile(a, (10, 50, 90))]


class _ProbeBase:
    """What :class:`OptimizerProbe` records, written without Keras so it can be tested."""

    #: per layer and epoch (``[epoch][layer]``)
    KEYS = ("update_ratio", "epoch_ratio", "step_size", "sum_g2")

    @staticmethod
    def step_multiplier(kind: str, slots: dict[str, np.ndarray], config: dict[str, Any],
                        iterations: int) -> np.ndarray | None:  # fmt: skip
        """The factor that multiplies the gradient (or Adam's ``m``) in Keras' update:

        * AdaGrad: ``eta / sqrt(s + eps)``, with ``s`` the accumulator (initial value + sum g^2);
        * RMSprop: ``eta / sqrt(s + eps)``, with ``s`` the moving average of g^2;
        * Adam, AdamW: ``eta * sqrt(1 - beta_2^t) / (1 - beta_1^t) / (sqrt(v) + eps)``.

        ``None`` for the others (SGD's is the learning rate itself).
        """
        lr, eps = float(config["learning_rate"]), float(config.get("epsilon", 0.0))
        if kind in ("Adagrad", "RMSprop"):
            return lr / np.sqrt(slots["s"] + eps)
        if kind in ("Adam", "AdamW"):
            t = iterations
            lr_t = lr * np.sqrt(1 - config["beta_2"] ** t) / (1 - config["beta_1"] ** t)
            return lr_t / (np.sqrt(slots["v"]) + eps)
        return None


def OptimizerProbe(probe_x: np.ndarray, probe_y: np.ndarray):  # noqa: N802 (a class factory)
    """A Keras callback that measures, after every epoch and for every layer's kernel:

    * ``update_ratio``: CS231n's update-to-weight ratio ``||dW|| / ||W||`` of one step,
      the step the optimizer would take next on the fixed batch ``probe_x, probe_y``
      (Keras' own ``apply``, then weights and optimizer state restored exactly:
      training is not touched; TensorFlow has no ``stateless_apply``);
    * ``epoch_ratio``: ``||W_e - W_(e-1)|| / ||W_(e-1)||``, how far the epoch moved it;
    * ``step_size`` (AdaGrad, RMSprop, Adam, AdamW): 10th, 50th and 90th percentile over
      the layer's weights of the factor in :meth:`_ProbeBase.step_multiplier`;
    * ``sum_g2`` (AdaGrad): the same percentiles of ``s - s_0``, the summed squared
      gradients, beside ``initial_accumulator_value`` ``s_0``.

    After ``fit`` the callback's ``record`` holds the lists (``[epoch][layer]``) and
    ``layers`` the kernels' shapes.
    """
    import keras
    import tensorflow as tf

    class _Probe(keras.callbacks.Callback, _ProbeBase):
        def __init__(self):
            super().__init__()
            self.x, self.y = tf.constant(probe_x), tf.constant(probe_y)
            self.record: dict[str, list] = {k: [] for k in self.KEYS}
            self.layers: list[list[int]] = []
            self.before: list[np.ndarray] = []

        def _kernels(self):
            return [v for v in self.model.trainable_variables if len(v.shape) == 2]

        def on_epoch_begin(self, epoch, logs=None):
            self.before = [np.asarray(v.numpy()) for v in self._kernels()]
            self.layers = [list(v.shape) for v in self._kernels()]

        def on_epoch_end(self, epoch, logs=None):
            opt, model = self.model.optimizer, self.model
            kernels = self._kernels()
            now = [np.asarray(v.numpy()) for v in kernels]
            self.record["epoch_ratio"].append(
                [_norm(a - b) / _norm(b) for a, b in zip(now, self.before, strict=True)]
            )
            self.record["update_ratio"].append(self._next_step_ratio(opt, model, kernels, now))
            kind = type(opt).__name__
            cfg = opt.get_config()
            steps, sizes, sums = int(opt.iterations.numpy()), [], []
            for kernel in kernels:
                slots = self._slots(opt, kind, kernel)
                mult = self.step_multiplier(kind, slots, cfg, steps) if slots else None
                sizes.append(None if mult is None else _quartiles(mult))
                if kind == "Adagrad":
                    sums.append(_quartiles(slots["s"] - cfg["initial_accumulator_value"]))
            self.record["step_size"].append(sizes)
            self.record["sum_g2"].append(sums)

        @staticmethod
        def _slots(opt, kind, kernel) -> dict[str, np.ndarray]:
            index = opt._get_variable_index(kernel)
            if kind == "Adagrad":
                return {"s": opt._accumulators[index].numpy()}
            if kind == "RMSprop":
                return {"s": opt._velocities[index].numpy()}
            if kind in ("Adam", "AdamW"):
                return {"v": opt._velocities[index].numpy()}
            return {}

        def _next_step_ratio(self, opt, model, kernels, now) -> list[float]:
            """Take one step on the probe batch with Keras' own ``apply``, measure it, and
            put every weight and optimizer variable back (bit for bit)."""
            variables = model.trainable_variables
            saved = [v.numpy() for v in variables], [v.numpy() for v in opt.variables]
            with tf.GradientTape() as tape:
                pred = model(self.x, training=True)
                loss = model.compute_loss(x=self.x, y=self.y, y_pred=pred)
            opt.apply(tape.gradient(loss, variables), variables)
            ratios = [_norm(k.numpy() - w) / _norm(w) for k, w in zip(kernels, now, strict=True)]
            for group, values in zip((variables, opt.variables), saved, strict=True):
                for v, value in zip(group, values, strict=True):
                    v.assign(value)
            return ratios

    return _Probe()
