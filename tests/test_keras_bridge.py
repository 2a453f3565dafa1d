"""lessons_lib.keras_bridge: a lessons_lib update rule running inside Keras.

Three levels:

1. NumPy: each rule with ``xp=numpy`` equals the lessons_lib optimizer it stands for.
2. Keras, optimizer alone: the bridge and Keras' own optimizer, on float64 variables, give
   the same weights over 50 steps of random gradients (to float64 rounding, 1e-12).
3. Keras, the lesson's model: one epoch (22 steps) of the MLP on the committed sample,
   from the same seeded initial weights and batches.

   In float32 with Keras' defaults, what the notebook runs (level 2 already shows the
   formulas equal in float64, where rounding is ~1e-16). Adam divides by ``sqrt(v)``,
   which turns rounding noise in near-zero gradients into full-size steps, so two runs
   that round even one operation differently drift apart: writing the average as
   ``beta_1 m + (1 - beta_1) g`` instead of Keras' ``m + (g - m)(1 - beta_1)`` already
   leaves the weights ~1 % (of the distance they moved) apart after one epoch, and
   Keras' own XLA-compiled and uncompiled runs are 2 % apart. ``adam_rule`` uses Keras'
   order, and on TensorFlow 2.21's CPU kernels the two runs are then identical to the
   bit. The tolerance, 5 % of the distance moved, would still pass a backend that rounds
   differently and fails every real mistake measured (beta_2 = 0.99: 23 %, the paper's
   epsilon placement: 27 %, a 10 % larger learning rate: 42 %); the epoch's mean loss
   must agree to 1e-4.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lessons_lib import optimizers as O  # noqa: E402
from lessons_lib.keras_bridge import adam_rule, keras_optimizer, rule_for, rule_optimizer  # noqa: E402
from lessons_lib.rules import REGISTRY  # noqa: E402
from lessons_lib.rules.adam import ADAM  # noqa: E402

F32_EXACT = {"beta_1": 0.875, "beta_2": 0.998046875}  # 1 - 2**-3, 1 - 2**-9

CONFIGS = [
    O.SGD(learning_rate=0.125),
    O.SGD(learning_rate=0.0625, momentum=0.875),
    O.SGD(learning_rate=0.0625, momentum=0.875, nesterov=True),
    O.Adagrad(learning_rate=0.25, initial_accumulator_value=0.125, epsilon=1e-3),
    O.RMSprop(learning_rate=0.01, rho=0.8, epsilon=1e-3),
    O.RMSprop(learning_rate=0.01, rho=0.8, momentum=0.5, centered=True, epsilon=1e-4),
    O.Adam(learning_rate=0.03125, epsilon=1e-2, **F32_EXACT),
    O.Adam(learning_rate=0.03125, epsilon=1e-3, amsgrad=True, **F32_EXACT),
    O.AdamW(learning_rate=0.03125, weight_decay=0.25, epsilon=1e-3, **F32_EXACT),
]


def _gradients(steps: int = 50) -> np.ndarray:
    """Random gradients that shrink 100x, so v shrinks and AMSGrad's maximum matters."""
    rng = np.random.default_rng(7)
    return rng.standard_normal((steps, 3, 4)) * np.geomspace(3, 0.03, steps)[:, None, None]


# --------------------------------------------------------------------------- 1. NumPy
@pytest.mark.parametrize("opt", CONFIGS + [O.Adam(epsilon_mode="paper", epsilon=0.1, **F32_EXACT)],
                         ids=repr)  # fmt: skip
def test_rule_in_numpy_equals_the_reference_optimizer(opt):
    """What the bridge hands Keras (rule + keywords) run in NumPy is the optimizer itself
    (these hyperparameters are ones float32 holds exactly, so Keras' rounding is moot)."""
    rule, hyper = rule_for(opt)
    w = ref = np.linspace(-1, 1, 12).reshape(3, 4)
    state = rule.init(w, np, **hyper)
    lr, wd = opt.learning_rate, opt.weight_decay
    opt.reset()
    for t, g in enumerate(_gradients(), start=1):
        if wd is not None:  # Keras applies decoupled weight decay before the rule
            w = w - w * wd * lr
        w, state = rule.update(w, g, state, t, lr, np, **hyper)
        ref = opt.step(ref, g)
        np.testing.assert_allclose(w, ref, rtol=0, atol=1e-13)


def test_adam_rule_alias_is_the_registered_rule():
    rng = np.random.default_rng(3)
    w, g = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    state = {"m": rng.normal(size=(2, 3)), "v": rng.random((2, 3))}
    hyper = dict(beta_1=0.8, beta_2=0.888, epsilon=1e-2)
    got = adam_rule(w, g, state, 3, np, learning_rate=0.1, **hyper)
    want = ADAM.update(w, g, state, 3, 0.1, np, **hyper)
    np.testing.assert_array_equal(got[0], want[0])


def test_bad_sources_are_clear_errors():
    with pytest.raises(ValueError, match="no Keras rule for LookaheadNesterov"):
        rule_for(O.LookaheadNesterov())
    with pytest.raises(ValueError, match="learning_rate is an array"):
        keras_optimizer(O.Adam(learning_rate=np.array([0.1, 0.2])))
    with pytest.raises(ValueError, match="slots="):
        keras_optimizer(adam_rule)
    with pytest.raises(ValueError, match="known rules"):
        keras_optimizer("sophia")
    with pytest.raises(ValueError, match="source must be"):
        keras_optimizer(42)


# --------------------------------------------------------------------------- 2. Keras
def _apply(opt, grads: np.ndarray, dtype: str = "float64") -> np.ndarray:
    import keras

    w = keras.Variable(np.linspace(-1, 1, 12).reshape(3, 4), dtype=dtype)
    path = []
    for g in grads:
        opt.apply([keras.ops.convert_to_tensor(g, dtype=dtype)], [w])
        path.append(np.array(w.numpy()))
    return np.array(path)


@pytest.mark.parametrize("opt", CONFIGS, ids=repr)
def test_bridge_equals_keras_optimizer_step_by_step(opt):
    grads = _gradients()
    bridge = _apply(keras_optimizer(opt), grads)
    keras_own = _apply(O.to_keras(opt), grads)
    np.testing.assert_allclose(bridge, keras_own, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", [n for n, rule in REGISTRY.items() if rule.keras_name])
def test_every_registered_rule_runs_in_keras_as_keras_does(name):
    """Any rule of the registry, by name, with Keras' defaults (decimal betas, which Keras
    rounds in places) and a decimal learning rate: the same weights as Keras' own."""
    import keras

    keras_name = REGISTRY[name].keras_name
    grads = _gradients()
    floatx = keras.config.floatx()
    try:  # Keras 3.15's Muon multiplies float64 weights by a float32 scale: TF refuses
        keras.config.set_floatx("float64" if keras_name == "Muon" else floatx)
        bridge = _apply(keras_optimizer(name, learning_rate=0.05), grads)
        keras_own = _apply(getattr(keras.optimizers, keras_name)(learning_rate=0.05), grads)
    finally:
        keras.config.set_floatx(floatx)
    np.testing.assert_allclose(bridge, keras_own, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", [n for n, rule in REGISTRY.items() if rule.keras_name])
def test_every_registered_rule_rounds_in_float32_as_keras_does(name):
    """On float32 weights, rounding order matters: each rule does Keras' operations in
    Keras' order (LAMB's norms square with ``power(x, 2)``, which TensorFlow's float32
    does not round as ``x * x``), so the weights are the same to the bit after 50 steps."""
    import keras

    keras_name = REGISTRY[name].keras_name
    grads = _gradients()
    bridge = _apply(keras_optimizer(name, learning_rate=0.01), grads, "float32")
    keras_own = _apply(getattr(keras.optimizers, keras_name)(learning_rate=0.01), grads, "float32")
    np.testing.assert_array_equal(bridge, keras_own)


def test_learner_rule_with_its_own_slots():
    """A rule written by hand (the notebook's exercise shape) runs as given."""

    def my_momentum(w, g, state, t, xp, *, learning_rate, beta):
        v = beta * state["v"] + (1 - beta) * g
        return w - learning_rate * v, {"v": v}

    grads = _gradients(20)
    got = _apply(keras_optimizer(my_momentum, slots={"v": 0.0}, learning_rate=0.5, beta=0.75),
                 grads)  # fmt: skip
    ref, w = O.EWMAMomentum(learning_rate=0.5, beta=0.75), np.linspace(-1, 1, 12).reshape(3, 4)
    expected = []
    for g in grads:
        w = ref.step(w, g)
        expected.append(w)
    np.testing.assert_allclose(got, np.array(expected), rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- 3. the MLP
@pytest.fixture(scope="module")
def sample_split():
    from lessons_lib.data import load_fashion_mnist
    from lessons_lib.interactive.capstone import prepare

    return prepare(load_fashion_mnist(sample=True, verbose=False))


def _one_epoch(optimizer, split, dtype: str):
    from lessons_lib.interactive.capstone import build_mlp, train_dataset

    model = build_mlp(seed=0, dtype=dtype)
    assert model.weights[0].dtype == dtype
    start = [w.numpy() for w in model.weights]
    model.compile(optimizer, "sparse_categorical_crossentropy", jit_compile=False)
    ds = train_dataset(split.x_train.astype(dtype), split.y_train, seed=0)
    loss = model.fit(ds, epochs=1, verbose=0, shuffle=False).history["loss"][0]
    return start, [w.numpy() for w in model.weights], loss


def test_one_epoch_float32_defaults_lies_on_keras_adam(sample_split):
    import keras

    start, ours, loss_ours = _one_epoch(keras_optimizer(O.Adam()), sample_split, "float32")
    _, theirs, loss_theirs = _one_epoch(keras.optimizers.Adam(), sample_split, "float32")

    def norm(arrays):
        return np.sqrt(sum(float(np.sum(np.square(a, dtype=np.float64))) for a in arrays))

    moved = norm([b - s for b, s in zip(theirs, start, strict=True)])
    apart = norm([a - b for a, b in zip(ours, theirs, strict=True)])
    assert apart / moved < 0.05, f"weights differ by {apart / moved:.1%} of the distance moved"
    assert abs(loss_ours - loss_theirs) < 1e-4


def test_keras_optimizer_is_the_old_name_of_rule_optimizer():
    assert keras_optimizer is rule_optimizer
