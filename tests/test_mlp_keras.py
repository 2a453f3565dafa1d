"""lessons_lib.mlp computes what Keras computes: the same network with the same weights has
the same loss and gradients, and a few optimizer steps land on the same weights."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from lessons_lib import mlp  # noqa: E402
from lessons_lib.optimizers import from_keras  # noqa: E402


@pytest.fixture
def float64_keras():
    """Keras' layers and losses in float64, as the reference computes. (An optimizer made
    while floatx is float64 keeps a float64 learning rate; one made before, the float32
    one that ``from_keras`` copies: the test below makes it before.)"""
    floatx = keras.config.floatx()
    keras.config.set_floatx("float64")
    yield
    keras.config.set_floatx(floatx)


def _keras_twin(params):
    model = keras.Sequential([keras.Input((mlp.N_PIXELS,), dtype="float64"),
                              keras.layers.Dense(params["b1"].size, "relu", dtype="float64"),
                              keras.layers.Dense(mlp.N_CLASSES, dtype="float64")])  # fmt: skip
    model.set_weights([params[k] for k in ("W1", "b1", "W2", "b2")])
    return model


def _batch(n=32, hidden=12, seed=0):
    rng = np.random.default_rng(seed)
    (x, y), _ = mlp.load_sample()
    pick = rng.choice(len(x), n, replace=False)
    return mlp.init_params(hidden, rng), mlp._images(x[pick]), y[pick]


def test_loss_and_gradients_equal_keras(float64_keras):
    import tensorflow as tf

    params, x, y = _batch()
    model = _keras_twin(params)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        keras_loss = loss_fn(y, model(x))
    keras_grads = tape.gradient(keras_loss, model.trainable_variables)
    loss, grads = mlp.loss_and_grads(params, x, y)
    assert loss == pytest.approx(float(keras_loss), rel=1e-12)
    for name, g in zip(("W1", "b1", "W2", "b2"), keras_grads, strict=True):
        np.testing.assert_allclose(grads[name], g.numpy(), rtol=1e-10, atol=1e-14)


def test_adam_steps_land_on_keras_weights(request):
    import tensorflow as tf

    keras_opt = keras.optimizers.Adam(0.01)  # float32 learning rate, as in training
    request.getfixturevalue("float64_keras")
    params, x, y = _batch()
    model = _keras_twin(params)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    # the twin of that Keras optimizer: its float32-rounded learning rate and betas included
    ours = {n: from_keras("Adam", **keras_opt.get_config()) for n in params}
    for _ in range(5):
        with tf.GradientTape() as tape:
            keras_loss = loss_fn(y, model(x))
        keras_opt.apply(tape.gradient(keras_loss, model.trainable_variables),
                        model.trainable_variables)  # fmt: skip
        _, grads = mlp.loss_and_grads(params, x, y)
        params = {n: ours[n].step(w, grads[n]) for n, w in params.items()}
    for name, w in zip(("W1", "b1", "W2", "b2"), model.get_weights(), strict=True):
        np.testing.assert_allclose(params[name], w, rtol=1e-9, atol=1e-12)
