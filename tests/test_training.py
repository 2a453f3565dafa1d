"""lessons_lib.training: the Keras pipeline of lesson 08 and its optimizer probe, on the
7,000-image sample (a few seconds)."""

from __future__ import annotations

import numpy as np
import pytest

from lessons_lib import training

pytest.importorskip("tensorflow")
pytestmark = pytest.mark.keras


@pytest.fixture(scope="module")
def split():
    from lessons_lib.data import load_fashion_mnist

    training.setup_tensorflow()
    small = load_fashion_mnist(sample=True, verbose=False)
    (x, y), (xt, yt) = small
    return training.prepare(((x[:1500], y[:1500]), (xt[:300], yt[:300])), seed=0)


def _probe(split):
    return training.OptimizerProbe(split.x_train[:256], split.y_train[:256])


@pytest.mark.parametrize("name", ["Adam", "Momentum"])
def test_probe_leaves_training_untouched(split, name):
    """The probe takes a real Keras step and restores everything: the run is bit-identical
    to one without it."""
    plain = training.train(name, split, 2, seed=3, fast=False)
    probed = training.train(name, split, 2, seed=3, fast=False, callbacks=[_probe(split)])
    for key in ("loss", "val_loss", "val_accuracy", "test_accuracy"):
        assert probed[key] == plain[key], key


def test_probe_step_size_is_keras_own_step(split):
    """The recorded AdaGrad step size, lr / sqrt(s + eps), times the gradient reproduces the
    update Keras makes; and the accumulator's start value is subtracted from sum_g2."""
    import keras

    probe = _probe(split)
    opt = training.keras_optimizer("Adagrad", 0.05)
    training.train(opt, split, 1, seed=0, fast=False, callbacks=[probe])
    kernel = [v for v in opt._trainable_variables if len(v.shape) == 2][0]
    acc = opt._accumulators[opt._get_variable_index(kernel)].numpy()
    mult = training._ProbeBase.step_multiplier("Adagrad", {"s": acc}, opt.get_config(), 1)
    assert np.percentile(mult, 50) == pytest.approx(probe.record["step_size"][-1][0][1])
    sums = probe.record["sum_g2"][-1][0]
    assert sums[1] == pytest.approx(np.percentile(acc - 0.1, 50), rel=1e-6)
    # one Keras step on a fresh variable equals -mult * g with mult from the new accumulator
    w = keras.Variable(np.ones(3, np.float32))
    step = keras.optimizers.Adagrad(learning_rate=0.05)
    g = np.array([0.3, -0.2, 0.01], np.float32)
    step.apply([g], [w])
    s = 0.1 + g**2
    expect = 1 - training._ProbeBase.step_multiplier("Adagrad", {"s": s}, step.get_config(), 1) * g
    np.testing.assert_allclose(w.numpy(), expect, rtol=1e-6)


def test_adam_step_multiplier_matches_keras():
    import keras

    w = keras.Variable(np.ones(4, np.float32))
    opt = keras.optimizers.Adam(learning_rate=0.01, beta_1=0.8, beta_2=0.9)
    rng = np.random.default_rng(0)
    for _ in range(3):
        before = w.numpy().copy()
        opt.apply([rng.normal(size=4).astype(np.float32)], [w])
    m = opt._momentums[0].numpy()
    v = opt._velocities[0].numpy()
    mult = training._ProbeBase.step_multiplier("Adam", {"v": v}, opt.get_config(), 3)
    np.testing.assert_allclose(before - w.numpy(), mult * m, rtol=1e-5)


def test_probe_records_per_layer_per_epoch(split):
    probe = _probe(split)
    training.train("RMSprop", split, 2, seed=0, fast=False, callbacks=[probe])
    assert probe.layers == [[784, 1024], [1024, 512], [512, 512], [512, 512], [512, 10]]
    assert len(probe.record["update_ratio"]) == 2
    rows = probe.record["update_ratio"]
    assert all(len(row) == 5 and all(0 < r < 1 for r in row) for row in rows)
    assert probe.record["sum_g2"] == [[], []]  # AdaGrad only
    low, mid, high = probe.record["step_size"][0][0]
    assert 0 < low <= mid <= high


def test_l2_adds_the_penalty_and_records_the_plain_cross_entropy(split):
    model = training.build_mlp(0, l2=0.01)
    hist = training.train("Adam", split, 1, seed=0, fast=False, model=model)
    assert hist["loss"][0] > hist["ce"][0] > 0
    assert "val_ce" in hist


def test_keras_optimizer_names_and_rates():
    assert training.default_learning_rate("Adagrad") == pytest.approx(0.001)
    opt = training.keras_optimizer("Nesterov", 0.03)
    cfg = opt.get_config()
    assert cfg["nesterov"] and cfg["momentum"] == pytest.approx(0.9)
    assert cfg["learning_rate"] == pytest.approx(0.03)
    assert training.keras_optimizer("AdamW").get_config()["weight_decay"] == pytest.approx(0.004)
    with pytest.raises(ValueError, match="one of"):
        training.keras_optimizer("Sophia")
    assert type(training.keras_optimizer("Adamax")).__name__ == "Adamax"  # lessons 09-10
    with pytest.raises(ValueError, match="learning_rate"):
        training.keras_optimizer("SGD", -1.0)


def test_prepare_rejects_a_bad_fraction():
    data = ((np.zeros((10, 28, 28), np.uint8), np.zeros(10, np.uint8)),
            (np.zeros((2, 28, 28), np.uint8), np.zeros(2, np.uint8)))  # fmt: skip
    with pytest.raises(ValueError, match="val_fraction"):
        training.prepare(data, val_fraction=1.0)


def _schedule_free_reference(grads, w0, lr, b1, b2, eps):
    """Algorithm 1 of Defazio et al. (2024), no warmup or decay, in NumPy (float64); the
    bias correction inside the root as Keras has it. Returns the y after every step."""
    z, x, v, ys = w0.copy(), w0.copy(), np.zeros_like(w0), []
    for t, g in enumerate(grads, start=1):
        v = b2 * v + (1 - b2) * g * g
        z = z - lr * g / (np.sqrt(v / (1 - b2**t)) + eps)
        x = (1 - 1 / t) * x + z / t
        ys.append((1 - b1) * z + b1 * x)
    return ys


@pytest.mark.parametrize("jit", [None, True])
def test_schedule_free_paper_step_is_algorithm_1(jit):
    """The evidence's paper-step ScheduleFreeAdamW follows Algorithm 1 step by step, eager
    and under XLA (the gradients are fixed, so y does not feed back)."""
    import sys
    from pathlib import Path

    import keras
    import tensorflow as tf

    sys.path.insert(0, str(Path(__file__).parent.parent / "scripts"))
    from precompute_evidence import schedule_free_paper

    rng = np.random.default_rng(1)
    grads = rng.normal(size=(12, 3))
    w0 = np.array([1.0, -0.5, 0.2])
    var = keras.Variable(w0.astype(np.float32))
    opt = schedule_free_paper(learning_rate=0.05, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
    opt.build([var])
    step = lambda g: opt.apply([g], [var])  # noqa: E731
    if jit:
        step = tf.function(step, jit_compile=True)
    ref = _schedule_free_reference(grads, w0, 0.05, 0.9, 0.999, 1e-8)
    for g, y in zip(grads, ref, strict=True):
        step(tf.constant(g.astype(np.float32)))
        np.testing.assert_allclose(var.numpy(), y, atol=1e-6)
