"""Update rules of the reference optimizers, checked against steps worked out by hand.

Each hand-computed test writes the arithmetic of two steps out explicitly (the comments
show the intermediate values), so it does not share a single line of code with
``lessons_lib.optimizers``.
"""

from math import sqrt

import numpy as np
import pytest
from numpy.testing import assert_allclose

from lessons_lib import optimizers
from lessons_lib.optimizers import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    ClassicalMomentum,
    EWMAMomentum,
    LookaheadNesterov,
    RMSprop,
)

W0 = np.array([1.0, -2.0])


def two_steps(opt, g1, g2, w0=W0):
    w1 = opt.step(w0, np.array(g1))
    w2 = opt.step(w1, np.array(g2))
    return w1, w2


# --------------------------------------------------------------------------- hand steps
def test_sgd_plain_by_hand():
    w1, w2 = two_steps(SGD(learning_rate=0.1), [0.5, 1.0], [0.2, -0.4])
    assert_allclose(w1, [1 - 0.05, -2 - 0.1], rtol=1e-15)
    assert_allclose(w2, [0.95 - 0.02, -2.1 + 0.04], rtol=1e-15)


def test_sgd_momentum_by_hand():
    # v1 = -0.1 g1 = (-0.05, -0.1);  w1 = w0 + v1
    # v2 = 0.9 v1 - 0.1 g2 = (-0.045 - 0.02, -0.09 + 0.04) = (-0.065, -0.05)
    w1, w2 = two_steps(SGD(learning_rate=0.1, momentum=0.9), [0.5, 1.0], [0.2, -0.4])
    assert_allclose(w1, [0.95, -2.1], rtol=1e-15)
    assert_allclose(w2, [0.95 - 0.065, -2.1 - 0.05], rtol=1e-15)


def test_classical_momentum_is_sgd_with_momentum():
    a = two_steps(ClassicalMomentum(learning_rate=0.1, momentum=0.9), [0.5, 1.0], [0.2, -0.4])
    b = two_steps(SGD(learning_rate=0.1, momentum=0.9), [0.5, 1.0], [0.2, -0.4])
    assert_allclose(a, b, rtol=0)


def test_sgd_nesterov_by_hand():
    # v1 = (-0.05, -0.1);  w1 = w0 + 0.9 v1 - 0.1 g1 = (1 - 0.045 - 0.05, -2 - 0.09 - 0.1)
    # v2 = (-0.065, -0.05); w2 = w1 + 0.9 v2 - 0.1 g2 = (0.905 - 0.0585 - 0.02, ...)
    opt = SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    w1, w2 = two_steps(opt, [0.5, 1.0], [0.2, -0.4])
    assert_allclose(w1, [0.905, -2.19], rtol=1e-15)
    assert_allclose(w2, [0.905 - 0.0585 - 0.02, -2.19 - 0.045 + 0.04], rtol=1e-14)


def test_sgd_weight_decay_by_hand():
    # decoupled: w <- w - lr*wd*w, then w <- w - lr*g
    w1, w2 = two_steps(SGD(learning_rate=0.1, weight_decay=0.5), [0.5, 1.0], [0.2, -0.4])
    assert_allclose(w1, [1 - 0.05 - 0.05, -2 + 0.1 - 0.1], rtol=1e-15)
    assert_allclose(w2, [0.9 * 0.95 - 0.02, -2.0 * 0.95 + 0.04], rtol=1e-15)


def test_ewma_momentum_by_hand():
    # lr 0.5, beta 0.75: v1 = 0.25 g1 = (0.5, -1);  w1 = w0 - 0.5 v1 = (0.75, -1.5)
    # v2 = 0.75 v1 + 0.25 g2 = (0.375 + 0.25, -0.75);  w2 = w1 - 0.5 v2
    w1, w2 = two_steps(EWMAMomentum(learning_rate=0.5, beta=0.75), [2.0, -4.0], [1.0, 0.0])
    assert_allclose(w1, [0.75, -1.5], rtol=1e-15)
    assert_allclose(w2, [0.75 - 0.3125, -1.5 + 0.375], rtol=1e-15)


def test_ewma_momentum_bias_corrected_by_hand():
    # v1_hat = v1 / (1 - 0.75) = g1 = (2, -4): w1 = (1 - 1, -2 + 2) = (0, 0)
    # v2_hat = (0.625, -0.75) / (1 - 0.5625) = (10/7, -12/7): w2 = -0.5 * v2_hat
    opt = EWMAMomentum(learning_rate=0.5, beta=0.75, bias_correction=True)
    w1, w2 = two_steps(opt, [2.0, -4.0], [1.0, 0.0])
    assert_allclose(w1, [0.0, 0.0], atol=1e-15)
    assert_allclose(w2, [-5 / 7, 6 / 7], rtol=1e-14)


def test_lookahead_nesterov_by_hand():
    # f = |w|^2, grad = 2p.  Step 1: look-ahead = w0, g = (2, -4), v1 = (-0.2, 0.4)
    # Step 2: look-ahead = w1 + 0.5 v1 = (0.7, -1.4), g = (1.4, -2.8),
    #         v2 = 0.5 v1 - 0.1 g = (-0.24, 0.48), w2 = w1 + v2
    opt = LookaheadNesterov(learning_rate=0.1, momentum=0.5)
    seen = []

    def grad(p):
        seen.append(p.copy())
        return 2 * p

    w1 = opt.step(W0, grad)
    w2 = opt.step(w1, grad)
    assert_allclose(seen, [[1.0, -2.0], [0.7, -1.4]], rtol=1e-15)
    assert_allclose(w1, [0.8, -1.6], rtol=1e-15)
    assert_allclose(w2, [0.56, -1.12], rtol=1e-14)


def test_lookahead_nesterov_needs_a_gradient_function():
    with pytest.raises(ValueError, match="gradient function"):
        LookaheadNesterov().step(W0, np.ones(2))


def test_adagrad_by_hand():
    # s1 = 0.25 + g1^2 = (1.25, 4.25); w1 = w0 - 0.5 g1 / sqrt(s1 + 0.75)
    # s2 = s1 + g2^2 = (10.25, 4.25);   w2 = w1 - 0.5 g2 / sqrt(s2 + 0.75)
    opt = Adagrad(learning_rate=0.5, initial_accumulator_value=0.25, epsilon=0.75)
    w1, w2 = two_steps(opt, [1.0, -2.0], [3.0, 0.0])
    expected_w1 = [1 - 0.5 / sqrt(2), -2 + 1 / sqrt(5)]
    assert_allclose(w1, expected_w1, rtol=1e-15)
    assert_allclose(w2, [expected_w1[0] - 1.5 / sqrt(11), expected_w1[1]], rtol=1e-15)


def test_rmsprop_by_hand():
    # rho 0.5, eps 0.5 (inside the root): s1 = 0.5 g1^2 = (2, 0.5)
    # w1 = w0 - 0.1 g1 / sqrt(s1 + 0.5) = (1 - 0.2/sqrt(2.5), -2 + 0.1)
    # s2 = 0.5 s1 + 0.5 g2^2 = (1, 0.25 + 2) ; w2 = w1 - 0.1 g2 / sqrt(s2 + 0.5)
    opt = RMSprop(learning_rate=0.1, rho=0.5, epsilon=0.5)
    w1, w2 = two_steps(opt, [2.0, -1.0], [0.0, 2.0])
    expected_w1 = [1 - 0.2 / sqrt(2.5), -1.9]
    assert_allclose(w1, expected_w1, rtol=1e-15)
    assert_allclose(w2, [expected_w1[0], -1.9 - 0.2 / sqrt(2.75)], rtol=1e-15)


def test_rmsprop_centered_with_momentum_by_hand():
    # s1 = (2, 0.5), gbar1 = 0.5 g1 = (1, -0.5); denominator = s1 + 0.5 - gbar1^2 = (1.5, 0.75)
    # increment1 = 0.1 g1 / sqrt(denominator); m1 = increment1; w1 = w0 - m1
    # s2 = (1, 2.25), gbar2 = 0.5 gbar1 + 0.5 g2 = (0.5, 0.75); denominator = (1, 2.1875)
    # m2 = 0.5 m1 + 0.1 g2 / sqrt(denominator); w2 = w1 - m2
    opt = RMSprop(learning_rate=0.1, rho=0.5, epsilon=0.5, momentum=0.5, centered=True)
    w1, w2 = two_steps(opt, [2.0, -1.0], [0.0, 2.0])
    m1 = [0.2 / sqrt(1.5), -0.1 / sqrt(0.75)]
    assert_allclose(w1, [1 - m1[0], -2 - m1[1]], rtol=1e-15)
    m2 = [0.5 * m1[0], 0.5 * m1[1] + 0.2 / sqrt(2.1875)]
    assert_allclose(w2, [1 - m1[0] - m2[0], -2 - m1[1] - m2[1]], rtol=1e-15)


# Adam with beta_1 = 0.5, beta_2 = 0.75, eps = 0.25 (large, so its placement shows):
#   g1 = (2, -1):  m1 = (1, -0.5),  v1 = 0.25 g1^2 = (1, 0.25)
#   g2 = (0, 1):   m2 = 0.5 m1 + 0.5 g2 = (0.5, 0.25),  v2 = 0.75 v1 + 0.25 g2^2 = (0.75, 0.4375)
ADAM = dict(learning_rate=0.1, beta_1=0.5, beta_2=0.75, epsilon=0.25)


def test_adam_keras_epsilon_by_hand():
    # alpha_t = lr sqrt(1 - b2^t) / (1 - b1^t); w -= alpha_t m / (sqrt(v) + eps)
    w1, w2 = two_steps(Adam(**ADAM), [2.0, -1.0], [0.0, 1.0])
    alpha1 = 0.1 * sqrt(0.25) / 0.5
    expected_w1 = [1 - alpha1 * 1 / 1.25, -2 + alpha1 * 0.5 / 0.75]
    assert_allclose(w1, expected_w1, rtol=1e-15)
    alpha2 = 0.1 * sqrt(1 - 0.5625) / 0.75
    expected_w2 = [
        expected_w1[0] - alpha2 * 0.5 / (sqrt(0.75) + 0.25),
        expected_w1[1] - alpha2 * 0.25 / (sqrt(0.4375) + 0.25),
    ]
    assert_allclose(w2, expected_w2, rtol=1e-15)


def test_adam_paper_epsilon_by_hand():
    # m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t); w -= lr m_hat / (sqrt(v_hat) + eps)
    w1, w2 = two_steps(Adam(**ADAM, epsilon_mode="paper"), [2.0, -1.0], [0.0, 1.0])
    expected_w1 = [1 - 0.1 * 2 / (2 + 0.25), -2 + 0.1 * 1 / (1 + 0.25)]  # m_hat = g1
    assert_allclose(w1, expected_w1, rtol=1e-15)
    m_hat, v_hat = np.array([0.5, 0.25]) / 0.75, np.array([0.75, 0.4375]) / 0.4375
    assert_allclose(w2, expected_w1 - 0.1 * m_hat / (np.sqrt(v_hat) + 0.25), rtol=1e-15)


def test_adam_amsgrad_by_hand():
    # g2 = (0, 0.1) makes v shrink: v2 = 0.75 v1 + 0.25 g2^2 = (0.75, 0.19) < v1 = (1, 0.25),
    # so AMSGrad divides by sqrt(max(v1, v2)) = sqrt(v1) = (1, 0.5); m2 = (0.5, -0.2)
    w1, w2 = two_steps(Adam(**ADAM, amsgrad=True), [2.0, -1.0], [0.0, 0.1])
    plain = two_steps(Adam(**ADAM), [2.0, -1.0], [0.0, 0.1])[1]
    alpha2 = 0.1 * sqrt(1 - 0.5625) / 0.75
    expected = [w1[0] - alpha2 * 0.5 / (1 + 0.25), w1[1] + alpha2 * 0.2 / (0.5 + 0.25)]
    assert_allclose(w2, expected, rtol=1e-15)
    assert np.all(np.abs(w2 - w1) < np.abs(plain - w1))  # the maximum makes smaller steps


def test_adamw_by_hand():
    # decoupled decay first: w <- w - 0.1 * 0.5 * w = 0.95 w, then the Adam step of above
    w1, _ = two_steps(AdamW(**ADAM, weight_decay=0.5), [2.0, -1.0], [0.0, 1.0])
    alpha1 = 0.1
    assert_allclose(w1, [0.95 - alpha1 / 1.25, -1.9 + alpha1 * 0.5 / 0.75], rtol=1e-15)


def test_adamw_is_not_adam_with_l2_gradient():
    g, w0 = np.array([2.0, -1.0]), np.array([3.0, -2.0])
    decoupled = AdamW(**ADAM, weight_decay=0.5).step(w0, g)
    l2 = Adam(**ADAM).step(w0, g + 0.5 * w0)
    assert np.max(np.abs(decoupled - l2)) > 1e-3


def test_adamw_equals_adam_with_weight_decay():
    rng = np.random.default_rng(3)
    a, b = AdamW(weight_decay=0.01), Adam(weight_decay=0.01)
    wa = wb = rng.standard_normal(5)
    for _ in range(5):
        g = rng.standard_normal(5)
        wa, wb = a.step(wa, g), b.step(wb, g)
    assert_allclose(wa, wb, rtol=0)


# --------------------------------------------------------------------------- protocol
FACTORIES = {
    "sgd": lambda: SGD(learning_rate=0.1),
    "momentum": lambda: SGD(learning_rate=0.1, momentum=0.9),
    "nesterov": lambda: SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
    "ewma": lambda: EWMAMomentum(learning_rate=0.1, beta=0.8, bias_correction=True),
    "adagrad": lambda: Adagrad(learning_rate=0.1),
    "rmsprop": lambda: RMSprop(learning_rate=0.1, momentum=0.5, centered=True),
    "adam": lambda: Adam(learning_rate=0.1, amsgrad=True),
    "adamw": lambda: AdamW(learning_rate=0.1, weight_decay=0.1),
}


def run_steps(opt, w, grads):
    for g in grads:
        w = opt.step(w, g)
    return w


@pytest.mark.parametrize("name", FACTORIES)
@pytest.mark.parametrize("shape", [(), (3,), (2, 3, 4)])
def test_any_shape_is_elementwise(name, shape):
    """A parameter array of any shape behaves like its elements optimised one by one."""
    rng = np.random.default_rng(0)
    w0, grads = rng.standard_normal(shape), rng.standard_normal((4,) + shape)
    together = run_steps(FACTORIES[name](), w0, grads)
    assert together.shape == shape
    flat_w0, flat_grads = np.reshape(w0, -1), grads.reshape(4, -1)
    one_by_one = [
        run_steps(FACTORIES[name](), flat_w0[i], flat_grads[:, i]) for i in range(flat_w0.size)
    ]
    assert_allclose(np.reshape(together, -1), one_by_one, rtol=1e-15)


BATCHES = {  # (class, hyperparameters varied per run)
    "sgd": (SGD, dict(learning_rate=[0.01, 0.1, 0.3], momentum=[0.0, 0.5, 0.9])),
    "nesterov": (
        SGD,
        dict(learning_rate=[0.01, 0.1, 0.3], momentum=[0.0, 0.5, 0.9], nesterov=True),
    ),
    "ewma": (EWMAMomentum, dict(learning_rate=[0.01, 0.1, 0.3], beta=[0.0, 0.5, 0.9])),
    "adagrad": (
        Adagrad,
        dict(learning_rate=[0.01, 0.1, 0.3], initial_accumulator_value=[0.0, 0.1, 1.0]),
    ),
    "rmsprop": (RMSprop, dict(rho=[0.5, 0.9, 0.99], momentum=[0.0, 0.3, 0.6], centered=True)),
    "adam": (
        Adam,
        dict(
            beta_1=[0.0, 0.8, 0.9],
            beta_2=[0.5, 0.888, 0.999],
            epsilon=[1e-7, 1e-3, 0.1],
            amsgrad=True,
        ),
    ),
    "adamw": (AdamW, dict(learning_rate=[0.01, 0.1, 0.3], weight_decay=[0.0, 0.01, 0.5])),
}


@pytest.mark.parametrize("name", BATCHES)
def test_batch_of_runs_with_array_hyperparameters_equals_separate_runs(name):
    cls, varied = BATCHES[name]
    rng = np.random.default_rng(1)
    w0, grads = rng.standard_normal((3, 2)), rng.standard_normal((6, 3, 2))
    as_column = {k: np.array(v)[:, None] if isinstance(v, list) else v for k, v in varied.items()}
    batch = run_steps(cls(**as_column), w0, grads)
    for i in range(3):
        alone = {k: v[i] if isinstance(v, list) else v for k, v in varied.items()}
        assert_allclose(batch[i], run_steps(cls(**alone), w0[i], grads[:, i]), rtol=1e-15)


def test_array_hyperparameters_fan_out_a_single_start():
    """(n, 1) learning rates with one (2,) start point give n runs of shape (n, 2)."""
    opt = SGD(learning_rate=np.array([[0.1], [0.2]]), momentum=0.5)
    w = opt.step(W0, 2 * W0)
    w = opt.step(w, 2 * w)
    assert w.shape == (2, 2)
    alone = SGD(learning_rate=0.2, momentum=0.5)
    w_alone = alone.step(W0, 2 * W0)
    assert_allclose(w[1], alone.step(w_alone, 2 * w_alone), rtol=1e-15)


@pytest.mark.parametrize("name", FACTORIES)
def test_reset_forgets_state(name):
    rng = np.random.default_rng(2)
    w0, grads = rng.standard_normal(3), rng.standard_normal((5, 3))
    opt = FACTORIES[name]()
    first = run_steps(opt, w0, grads)
    assert opt.iterations == 5
    opt.reset()
    assert opt.iterations == 0 and opt.state == {}
    assert_allclose(run_steps(opt, w0, grads), first, rtol=0)


@pytest.mark.parametrize("name", FACTORIES)
def test_step_does_not_mutate_inputs_or_share_memory(name):
    rng = np.random.default_rng(4)
    w, g = rng.standard_normal(3), rng.standard_normal(3)
    w_copy, g_copy = w.copy(), g.copy()
    opt = FACTORIES[name]()
    new = opt.step(w, g)
    assert_allclose(w, w_copy, rtol=0)
    assert_allclose(g, g_copy, rtol=0)
    assert not np.shares_memory(new, w) and not np.shares_memory(new, g)
    # scribbling on the result must not change the optimizer's state
    reference = FACTORIES[name]()
    reference.step(w, g)
    new[...] = 123.0
    assert_allclose(opt.step(w, g), reference.step(w, g), rtol=0)


def test_lookahead_step_does_not_mutate_params():
    w = W0.copy()
    LookaheadNesterov(learning_rate=0.1).step(w, lambda p: 2 * p)
    assert_allclose(w, W0, rtol=0)


def test_get_config_uses_keras_names_and_repr_round_trips():
    opt = Adam(learning_rate=0.01, beta_1=0.8, amsgrad=True)
    config = opt.get_config()
    assert config["beta_1"] == 0.8 and config["amsgrad"] is True
    assert eval(repr(opt), {"Adam": Adam}).get_config() == config
    assert SGD(learning_rate=np.array([0.1, 0.2])).get_config()["learning_rate"] == [0.1, 0.2]


# --------------------------------------------------------------------------- conventions
# The same algorithm written two ways: the tests show exactly when they coincide.
def quadratic_grad(w):
    return np.array([0.1, 1.0]) * w  # f = (0.1 x^2 + y^2) / 2


def rosenbrock_grad(w):
    x, y = w[..., 0], w[..., 1]
    return np.stack([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], axis=-1)


def follow(opt, w, grad, steps=60):
    path = []
    for _ in range(steps):
        w = opt.step(w, grad(w))
        path.append(w)
    return np.array(path)


def run_path(opt, w, grads):
    path = []
    for g in grads:
        w = opt.step(w, g)
        path.append(w)
    return np.array(path)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.99])
def test_ewma_momentum_is_classical_momentum_with_scaled_learning_rate(beta):
    lr, w0 = 0.3, np.array([-9.0, 2.5])
    ewma, classical = EWMAMomentum(lr, beta=beta), ClassicalMomentum(lr * (1 - beta), beta)
    assert_allclose(
        follow(ewma, w0, quadratic_grad), follow(classical, w0, quadratic_grad), rtol=1e-12
    )
    if beta > 0:  # (SGD keeps no velocity without momentum) v_classical = -lr * v_ewma
        assert_allclose(classical.state["velocity"], -lr * ewma.state["velocity"], rtol=1e-12)


def test_ewma_momentum_with_unscaled_learning_rate_is_not_classical():
    """The classic mistake: moving a learning rate between the two forms unchanged."""
    w0 = np.array([-9.0, 2.5])
    ewma = follow(EWMAMomentum(0.05, beta=0.9), w0, quadratic_grad, steps=5)
    classical = follow(ClassicalMomentum(0.05, momentum=0.9), w0, quadratic_grad, steps=5)
    # first step: EWMA moves lr (1 - beta) g, classical lr g: ten times further
    assert_allclose(w0 - classical[0], 10 * (w0 - ewma[0]), rtol=1e-12)


@pytest.mark.parametrize("grad", [quadratic_grad, rosenbrock_grad])
def test_lookahead_points_are_reformulated_nesterov_iterates(grad):
    lr, mu = (0.1, 0.9) if grad is quadratic_grad else (1e-4, 0.9)
    w0 = np.array([-1.5, 2.0])
    lookahead, keras_form = LookaheadNesterov(lr, mu), SGD(lr, momentum=mu, nesterov=True)
    w, x, gaps = w0, w0, []
    for _ in range(60):
        w, x = lookahead.step(w, grad), keras_form.step(x, grad(x))
        assert_allclose(lookahead.lookahead(w), x, rtol=1e-11, atol=1e-14)
        gaps.append(np.max(np.abs(w - x)))
    assert max(gaps) > 1e-3  # the parameters themselves differ: it is a change of variable


BETA_2, EPS = 0.9, 0.3  # large epsilon, so a misplaced one shows


def bias_corrected_rmsprop(w, grads, lr):
    """RMSProp whose average of squares is bias-corrected, epsilon outside the root."""
    s, path = 0.0, []
    for t, g in enumerate(grads, start=1):
        s = BETA_2 * s + (1 - BETA_2) * g * g
        w = w - lr * g / (np.sqrt(s / (1 - BETA_2**t)) + EPS)
        path.append(w)
    return np.array(path)


def test_adam_with_beta1_zero_is_bias_corrected_rmsprop():
    rng = np.random.default_rng(5)
    w0, grads = rng.standard_normal(4), rng.standard_normal((30, 4))
    adam = Adam(0.1, beta_1=0.0, beta_2=BETA_2, epsilon=EPS, epsilon_mode="paper")
    expected = bias_corrected_rmsprop(w0, grads, 0.1)
    assert_allclose(run_path(adam, w0, grads), expected, rtol=1e-13)
    # Keras' epsilon placement: the same average, the correction moved into the step size
    # lr_t = lr sqrt(1 - beta_2^t), epsilon added to the uncorrected root
    s, w, keras_path = 0.0, w0, []
    for t, g in enumerate(grads, start=1):
        s = BETA_2 * s + (1 - BETA_2) * g * g
        w = w - 0.1 * np.sqrt(1 - BETA_2**t) * g / (np.sqrt(s) + EPS)
        keras_path.append(w)
    adam_keras = Adam(0.1, beta_1=0.0, beta_2=BETA_2, epsilon=EPS)
    assert_allclose(run_path(adam_keras, w0, grads), keras_path, rtol=1e-13)
    # Keras' RMSprop (no bias correction, epsilon inside the root) is a different rule:
    # its first step is lr / sqrt(1 - rho) ~ 3.2x longer when g >> eps.
    rms = run_path(RMSprop(0.1, rho=BETA_2, epsilon=EPS), w0, grads)
    assert np.max(np.abs(rms - expected)) > 1e-2


def test_adam_epsilon_modes_agree_exactly_when_epsilon_is_rescaled():
    """Keras form with eps_hat_t = eps * sqrt(1 - beta_2^t) is the paper's form."""
    rng = np.random.default_rng(6)
    w0, grads = rng.standard_normal(4), rng.standard_normal((30, 4))
    paper = run_path(Adam(0.1, beta_2=BETA_2, epsilon=EPS, epsilon_mode="paper"), w0, grads)
    keras_form, w, path = Adam(0.1, beta_2=BETA_2, epsilon=EPS), w0, []
    for t, g in enumerate(grads, start=1):
        keras_form.epsilon = EPS * np.sqrt(1 - BETA_2**t)
        w = keras_form.step(w, g)
        path.append(w)
    assert_allclose(path, paper, rtol=1e-13)
    same_eps = run_path(Adam(0.1, beta_2=BETA_2, epsilon=EPS), w0, grads)
    assert np.max(np.abs(same_eps - paper)) > 1e-2


# --------------------------------------------------------------------------- the rules
def _docstring_table():
    """Rows of the table in lessons_lib.optimizers' docstring, continuation lines joined."""
    import lessons_lib.optimizers as O

    lines = O.__doc__.splitlines()
    rules = [i for i, line in enumerate(lines) if line.startswith("=" * 10)]
    starts = [0] + [j + 1 for j, ch in enumerate(lines[rules[0]]) if ch == " "]
    ends = starts[1:] + [None]
    cells = lambda line: [line[a:b].strip() for a, b in zip(starts, ends, strict=True)]  # noqa: E731
    rows = []
    for line in lines[rules[1] + 1 : rules[2]]:
        if line[: starts[1]].strip():
            rows.append(cells(line))
        else:
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells(line), strict=True)]
    return {row[0]: row for row in rows}


def test_docstring_table_lists_every_registered_rule_as_the_rule_says():
    from lessons_lib.optimizers import optimizer_class
    from lessons_lib.rules import REGISTRY

    table = _docstring_table()
    for rule in REGISTRY.values():
        name = optimizer_class(rule).__name__
        assert name in table, f"{name} is missing from the optimizers table"
        _, year, _, keras_name, memory = table[name]
        assert (int(year), keras_name, memory) == (rule.year, rule.keras_name, rule.memory), name


def test_learning_rate_may_be_a_schedule_evaluated_at_the_updates_done():
    seen = []

    def schedule(step):
        seen.append(step)
        return 0.1 / (1 + step)

    opt, w = SGD(learning_rate=schedule, momentum=0.5), W0
    fixed = [SGD(learning_rate=0.1 / (1 + k), momentum=0.5) for k in range(3)]
    v = np.zeros(2)
    for k, g in enumerate([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]]):
        v = 0.5 * v - fixed[k].learning_rate * np.array(g)  # classical momentum by hand
        expected = w + v
        w = opt.step(w, np.array(g))
        assert_allclose(w, expected, rtol=1e-15)
    assert seen == [0, 1, 2]
    opt.reset()
    with pytest.raises(ValueError, match="learning_rate schedule at step 0"):
        SGD(learning_rate=lambda step: -1.0).step(W0, W0)


def test_variants_are_flags_of_the_rule():
    """PyTorch's epsilon and Adam without bias correction, by hand, from one rule each."""
    g = np.array([2.0, -1.0])
    rms = RMSprop(0.1, rho=0.5, epsilon=0.25).variant(epsilon_outside=True).step(W0, g)
    assert_allclose(rms, W0 - 0.1 * g / (np.sqrt(0.5 * g * g) + 0.25), rtol=1e-15)
    ada = Adagrad(0.1, initial_accumulator_value=0.0, epsilon=0.25)
    assert_allclose(ada.variant(epsilon_outside=True).step(W0, g),
                    W0 - 0.1 * g / (np.abs(g) + 0.25), rtol=1e-15)  # fmt: skip
    adam = Adam(**ADAM).variant(bias_correction=False)
    m, v = 0.5 * g, 0.25 * g * g
    assert_allclose(adam.step(W0, g), W0 - 0.1 * m / (np.sqrt(v) + 0.25), rtol=1e-15)
    assert "variant(bias_correction=False)" in repr(adam)
    with pytest.raises(ValueError, match="not flags"):
        Adam().variant(amsgrad=True)  # a hyperparameter: set it in the constructor
    with pytest.raises(ValueError, match="not flags"):
        Adam().variant(centred=True)
    with pytest.raises(ValueError, match="epsilon_outside must be True or False"):
        RMSprop().variant(epsilon_outside="yes")


def test_a_rule_without_a_class_still_runs_and_translates():
    """from_keras works from the rule registry alone (a plain class is made for it)."""
    from lessons_lib.optimizers import from_keras, optimizer_class
    from lessons_lib.rules import REGISTRY

    for rule in REGISTRY.values():
        if rule.keras_name:
            opt = from_keras(rule.keras_name)
            assert isinstance(opt, optimizer_class(rule))
            w = opt.step(np.ones((3, 2)), np.full((3, 2), 0.5))
            assert w.shape == (3, 2) and np.all(np.isfinite(w))


def test_optimizer_table_has_a_row_per_rule():
    from lessons_lib.optimizers import optimizer_table
    from lessons_lib.rules import REGISTRY

    rows = optimizer_table().splitlines()[2:]
    assert len(rows) == len(REGISTRY)
    for row, rule in zip(rows, REGISTRY.values(), strict=True):
        assert f"| {rule.year} | {rule.paper} |" in row and row.endswith(f"| {rule.memory} |")


# ------------------------------------------------------------- the nine other twins, NumPy side
def test_muon_orthogonalises_matrices_and_falls_back_for_vectors():
    """One step from a fresh state: a 2-D step has singular values near 1 (times lr), a
    vector's is Adam's first step, lr * sign(g) (up to epsilon: 1e-5 here)."""
    g = np.random.default_rng(3).standard_normal((6, 4)) + np.eye(6, 4) * 3
    opt = optimizers.Muon(learning_rate=0.01, rms_rate=None, weight_decay=None)
    step = np.linalg.svd((np.zeros((6, 4)) - opt.step(np.zeros((6, 4)), g)) / 0.01,
                         compute_uv=False)  # fmt: skip
    assert np.all((step > 0.6) & (step < 1.25)), step
    vec = np.array([0.3, -2.0, 5.0])
    opt.reset()
    assert np.allclose(opt.step(np.zeros(3), vec), -0.01 * np.sign(vec), rtol=1e-4)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: optimizers.Ftrl(l1_regularization_strength=-1.0), "l1_regularization_strength"),
        (lambda: optimizers.Ftrl(learning_rate_power=0.5), "learning_rate_power"),
        (lambda: optimizers.Muon(ns_steps=2.5), "ns_steps"),
        (lambda: optimizers.Muon(exclude_layers="dense"), "exclude_layers"),
        (lambda: optimizers.Muon(rms_rate=-0.2), "rms_rate"),
        (lambda: optimizers.ScheduleFreeAdamW(beta_1=0.0), "beta_1"),
        (lambda: optimizers.ScheduleFreeAdamW(warmup_steps=-3), "warmup_steps"),
        (lambda: optimizers.Adafactor(clip_threshold=0.0), "clip_threshold"),
        (lambda: optimizers.Adafactor(relative_step="yes"), "relative_step"),
        (lambda: optimizers.Lion(beta_2=1.5), "beta_2"),
        (lambda: optimizers.from_keras("Nadam", schedule_decay=0.004), "argument names"),
    ],
)
def test_bad_hyperparameters_say_what_is_valid(make, match):
    with pytest.raises(ValueError, match=match):
        make()
