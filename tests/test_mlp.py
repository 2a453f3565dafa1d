"""lessons_lib.mlp: gradients, determinism, schedules, divergence and bad input.

The network's agreement with Keras (same loss and gradients) is in ``test_mlp_keras.py``.
"""

import numpy as np
import pytest

from lessons_lib import mlp
from lessons_lib.optimizers import SGD, Adam, Lamb, ScheduleFreeAdamW
from lessons_lib.schedules import CosineDecay


def _batch(seed=0, n=5, hidden=7):
    rng = np.random.default_rng(seed)
    params = mlp.init_params(hidden, rng)
    params = {k: v + 0.1 * rng.standard_normal(v.shape) for k, v in params.items()}
    return params, rng.random((n, mlp.N_PIXELS)), rng.integers(0, 10, n)


@pytest.mark.parametrize("name", ["W1", "b1", "W2", "b2"])
def test_gradients_match_central_differences(name):
    params, x, y = _batch()
    _, grads = mlp.loss_and_grads(params, x, y)
    rng = np.random.default_rng(1)
    for index in [tuple(rng.integers(0, s) for s in params[name].shape) for _ in range(6)]:
        h, plus, minus = 1e-6, dict(params), dict(params)
        plus[name], minus[name] = params[name].copy(), params[name].copy()
        plus[name][index] += h
        minus[name][index] -= h
        numeric = (mlp.loss_and_grads(plus, x, y)[0] - mlp.loss_and_grads(minus, x, y)[0]) / 2 / h
        assert grads[name][index] == pytest.approx(numeric, rel=1e-5, abs=1e-9)


def test_glorot_limits_follow_the_fan_sizes():
    w = mlp.glorot_uniform(784, 64, np.random.default_rng(0))
    limit = np.sqrt(6 / (784 + 64))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit
    assert abs(w.mean()) < 0.01 * limit


def test_runs_are_deterministic_per_seed_and_differ_across_seeds():
    a = mlp.train_mlp(Adam(0.001), epochs=1, hidden=16, seed=3)
    b = mlp.train_mlp(Adam(0.001), epochs=1, hidden=16, seed=3)
    c = mlp.train_mlp(Adam(0.001), epochs=1, hidden=16, seed=4)
    np.testing.assert_array_equal(a.step_loss, b.step_loss)
    assert not np.allclose(a.step_loss, c.step_loss)


def test_training_learns_and_leaves_the_prototype_untouched():
    opt = SGD(0.1, momentum=0.9)
    hist = mlp.train_mlp(opt, epochs=2, hidden=32)
    assert opt.iterations == 0 and not opt.state
    assert hist.steps_per_epoch == 94  # 6000 images in batches of 64, the last one smaller
    assert hist.step_loss.shape == hist.learning_rate.shape == (188,)
    assert hist.step_loss[:10].mean() > 1.5 > hist.train_loss[-1]
    assert hist.test_accuracy[-1] > 0.7 and not hist.diverged


def test_the_schedule_is_read_once_per_step_from_zero():
    schedule = CosineDecay(0.0, 2 * 94, warmup_target=0.05, warmup_steps=94)
    hist = mlp.train_mlp(SGD(schedule), epochs=2, hidden=8)
    np.testing.assert_allclose(hist.learning_rate, schedule(np.arange(188)))


def test_layerwise_rules_see_one_tensor_each():
    """LAMB's trust ratio is per tensor: the second step's loss is the one reached by a
    fresh LAMB per tensor (the run draws the weights, then the epoch's batch order)."""
    hist = mlp.train_mlp(Lamb(0.01), epochs=1, hidden=8, seed=0)
    (x, y), _ = mlp.load_sample()
    x = mlp._images(x)
    rng = np.random.default_rng(0)
    params = mlp.init_params(8, rng)
    order = rng.permutation(len(x))
    _, grads = mlp.loss_and_grads(params, x[order[:64]], y[order[:64]])
    params = {n: Lamb(0.01).step(w, grads[n]) for n, w in params.items()}
    second, _ = mlp.loss_and_grads(params, x[order[64:128]], y[order[64:128]])
    assert hist.step_loss[1] == pytest.approx(second, rel=1e-12)
    # and one LAMB over all weights at once (one trust ratio) would have given another loss
    start = mlp.init_params(8, np.random.default_rng(0))
    flat = Lamb(0.01).step(np.concatenate([w.ravel() for w in start.values()]),
                           np.concatenate([g.ravel() for g in grads.values()]))  # fmt: skip
    sizes = np.cumsum([w.size for w in start.values()])[:-1]
    parts = zip(start, np.split(flat, sizes), strict=True)
    joint = {n: part.reshape(start[n].shape) for n, part in parts}
    joint_loss, _ = mlp.loss_and_grads(joint, x[order[64:128]], y[order[64:128]])
    assert abs(joint_loss - second) > 1e-6


def test_schedule_free_is_evaluated_at_its_average():
    opt = ScheduleFreeAdamW(0.0025)
    w = np.array([1.0, -2.0])
    assert np.array_equal(opt.average(w), w)  # before any step: its own average
    y = opt.step(w, np.array([0.5, 0.5]))
    x = opt.average(y)
    z = opt.state["z"]
    np.testing.assert_allclose(y, (1 - 0.9) * z + 0.9 * x)


def test_divergence_is_reported_not_raised():
    hist = mlp.train_mlp(SGD(1e6), epochs=2, hidden=8)
    assert hist.diverged
    assert np.isnan(hist.test_accuracy[-1]) and np.isnan(hist.step_loss[-1])
    assert not mlp.train_mlp(SGD(0.5), epochs=1, hidden=8).diverged


@pytest.mark.parametrize(
    "kwargs, message",
    [({"epochs": 0}, "epochs"), ({"batch_size": 2.5}, "batch_size"), ({"hidden": True}, "hidden")],
)
def test_bad_arguments_say_what_to_pass(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mlp.train_mlp(SGD(0.1), **kwargs)


def test_a_non_lessons_optimizer_is_refused_with_a_pointer():
    with pytest.raises(TypeError, match="lessons_lib.optimizers"):
        mlp.train_mlp("adam")


def test_training_runs_blas_on_one_thread_and_restores_it():
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    seen = []

    def schedule(step):
        seen.append(blas_threads())
        return 0.01

    before = blas_threads()
    mlp.train_mlp(SGD(schedule), epochs=1, hidden=8)
    assert seen and all(threads == [1] * len(before) for threads in seen)
    assert blas_threads() == before
