r"""A small neural network in NumPy, trained by the course's reference optimizers.

Lessons 09 and 10 compare schedules and optimizers on a real network, and must run where
TensorFlow cannot be installed (an Intel Mac). This module trains a one-hidden-layer
perceptron on the committed Fashion-MNIST sample (6,000 training and 1,000 test images,
:func:`lessons_lib.data.load_sample`) with any optimizer of :mod:`lessons_lib.optimizers`.
Because those optimizers are proven equal to Keras' (``tests/test_keras_*.py``), a run here
is the run Keras would do with the same weights, batches and rule.

The network, for a batch ``X`` of ``B`` images scaled to [0, 1]::

    H = relu(X W1 + b1)            W1: 784 x h,  b1: h
    Z = H W2 + b2                  W2: h x 10,   b2: 10
    loss = mean_i [ logsumexp(Z_i) - Z_i[y_i] ]          (softmax cross-entropy)

and its gradients, with ``P = softmax(Z)`` and ``Y`` the one-hot labels::

    dZ = (P - Y) / B,   dW2 = H^T dZ,   db2 = sum_i dZ_i
    dH = dZ W2^T * [H > 0],   dW1 = X^T dH,   db1 = sum_i dH_i

Weights start as Keras' ``Dense`` does (Glorot uniform, ``U(-a, a)`` with
``a = sqrt(6 / (fan_in + fan_out))``; biases zero). The optimizer passed in is a
prototype: each of the four tensors gets its own fresh copy, so a layer-wise rule (LAMB's
trust ratio, Muon's orthogonalisation, Adafactor's factored moments) sees one tensor, as
in Keras. The test figures are taken at the trained weights, except for an optimizer with
an ``average`` method (schedule-free AdamW): there at the average, as its paper evaluates
(Keras never switches, see :mod:`lessons_lib.rules.schedule_free_adamw`).

The products are small (a batch of 64 against 784 x 64 weights), so NumPy's BLAS runs them
on one thread here: with two threads on a busy laptop or a shared machine the threads wait
for each other and a run takes 3 to 30 times longer (``benchmarks/bench_mlp.py`` measures).

Everything is seeded: the same seed gives the same numbers on one machine, and numbers
equal to rounding on another.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache

import numpy as np
from threadpoolctl import threadpool_limits

from .data import load_sample
from .optimizers import Optimizer

__all__ = ["MLPHistory", "glorot_uniform", "init_params", "loss_and_grads", "evaluate",
           "train_mlp"]  # fmt: skip

Params = dict[str, np.ndarray]
N_PIXELS, N_CLASSES = 28 * 28, 10
#: a run has diverged once a minibatch loss is not finite or exceeds 100 x the loss of
#: guessing (ln 10 = 2.30 for ten classes): no network recovers from there in a lesson's run
DIVERGED_LOSS = 100 * np.log(N_CLASSES)


@dataclass
class MLPHistory:
    """What :func:`train_mlp` records: per step and per epoch (after that epoch)."""

    step_loss: np.ndarray  #: minibatch loss of every step (before that step's update)
    learning_rate: np.ndarray  #: learning rate each step used
    train_loss: np.ndarray  #: mean minibatch loss over each epoch
    test_loss: np.ndarray  #: loss on the 1,000 test images after each epoch
    test_accuracy: np.ndarray  #: accuracy on the test images after each epoch
    steps_per_epoch: int
    diverged: bool  #: a loss passed DIVERGED_LOSS or was not finite (the rest is NaN)


def glorot_uniform(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """Keras' default kernel: ``U(-a, a)``, ``a = sqrt(6 / (fan_in + fan_out))``."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def init_params(hidden: int, rng: np.random.Generator) -> Params:
    """Glorot-uniform weights, zero biases, for 784 -> ``hidden`` -> 10."""
    return {"W1": glorot_uniform(N_PIXELS, hidden, rng), "b1": np.zeros(hidden),
            "W2": glorot_uniform(hidden, N_CLASSES, rng), "b2": np.zeros(N_CLASSES)}  # fmt: skip


def _forward(params: Params, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    hidden = np.maximum(x @ params["W1"] + params["b1"], 0.0)
    return hidden, hidden @ params["W2"] + params["b2"]


def _cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy and the softmax probabilities."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), y].mean()), np.exp(log_p)


def loss_and_grads(params: Params, x: np.ndarray, y: np.ndarray) -> tuple[float, Params]:
    """The mean cross-entropy of batch ``(x, y)`` and its gradient for each tensor."""
    hidden, logits = _forward(params, x)
    loss, probs = _cross_entropy(logits, y)
    d_logits = probs
    d_logits[np.arange(len(y)), y] -= 1.0
    d_logits /= len(y)
    d_hidden = (d_logits @ params["W2"].T) * (hidden > 0)
    return loss, {"W1": x.T @ d_hidden, "b1": d_hidden.sum(axis=0),
                  "W2": hidden.T @ d_logits, "b2": d_logits.sum(axis=0)}  # fmt: skip


def evaluate(params: Params, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of the network on ``(x, y)``."""
    _, logits = _forward(params, x)
    loss, _ = _cross_entropy(logits, y)
    return loss, float((logits.argmax(axis=1) == y).mean())


def _check(optimizer: Optimizer, epochs: int, batch_size: int, hidden: int) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizer must be a lessons_lib.optimizers optimizer such as SGD(0.1); "
            f"got {type(optimizer).__name__} (a Keras optimizer runs in lesson 08)"
        )
    for name, value, low in (("epochs", epochs, 1), ("batch_size", batch_size, 1),
                             ("hidden", hidden, 1)):  # fmt: skip
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ValueError(f"{name} must be a whole number >= {low}; got {value!r}")


def _evaluated(params: Params, opts: dict[str, Optimizer]) -> Params:
    """The point a model is evaluated at: the weights, or for an optimizer that keeps an
    average of its iterates (schedule-free AdamW) that average, as its paper does."""
    return {n: opts[n].average(w) if hasattr(opts[n], "average") else w
            for n, w in params.items()}  # fmt: skip


def _images(x: np.ndarray) -> np.ndarray:
    return x.reshape(len(x), -1).astype(np.float64) / 255.0


@cache
def _sample() -> tuple[np.ndarray, ...]:
    """The sample as (x_train, y_train, x_test, y_test), images scaled to [0, 1]: read and
    checked once per process (a lesson trains dozens of runs; reading took ~0.1 s each).
    The arrays are read-only, so no run can change another's data."""
    (x_train, y_train), (x_test, y_test) = load_sample()
    arrays = (_images(x_train), y_train, _images(x_test), y_test)
    for a in arrays:
        a.flags.writeable = False
    return arrays


def train_mlp(
    optimizer: Optimizer,
    *,
    epochs: int = 5,
    batch_size: int = 64,
    hidden: int = 64,
    seed: int = 0,
) -> MLPHistory:
    """Train 784 -> ``hidden`` -> 10 on the Fashion-MNIST sample with a copy of
    ``optimizer`` per tensor; ``seed`` sets the initial weights and the batch order
    (reshuffled each epoch; the last, smaller batch is kept, as Keras does)."""
    _check(optimizer, epochs, batch_size, hidden)
    rng = np.random.default_rng(seed)
    params = init_params(hidden, rng)
    opts = {name: copy.deepcopy(optimizer) for name in params}
    for opt in opts.values():
        opt.reset()
    with threadpool_limits(limits=1, user_api="blas"):
        return _train(params, opts, _sample(), epochs, batch_size, rng)


def _train(params: Params, opts: dict[str, Optimizer], data: tuple[np.ndarray, ...],
           epochs: int, batch_size: int, rng: np.random.Generator) -> MLPHistory:  # fmt: skip
    x_train, y_train, x_test, y_test = data
    steps = -(-len(x_train) // batch_size)
    step_loss, rates = np.full(epochs * steps, np.nan), np.full(epochs * steps, np.nan)
    per_epoch = np.full((3, epochs), np.nan)
    diverged = False
    for epoch in range(epochs):
        order = rng.permutation(len(x_train))
        for k in range(steps):
            batch = order[k * batch_size : (k + 1) * batch_size]
            loss, grads = loss_and_grads(params, x_train[batch], y_train[batch])
            i = epoch * steps + k
            step_loss[i], rates[i] = loss, opts["W1"].current_learning_rate()
            if not loss < DIVERGED_LOSS:  # NaN too
                diverged = True
                break
            params = {n: opts[n].step(params[n], grads[n]) for n in params}
        if diverged:
            break
        per_epoch[0, epoch] = step_loss[epoch * steps : (epoch + 1) * steps].mean()
        per_epoch[1:, epoch] = evaluate(_evaluated(params, opts), x_test, y_test)
    return MLPHistory(step_loss, rates, *per_epoch, steps_per_epoch=steps, diverged=diverged)
