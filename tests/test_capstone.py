"""Lesson 08's library parts that do not need the full data: exercise 8.1's check, the
figures of the precomputed run, and the progress callback.

The wrong rules below are written the way a learner would write them, in the bridge's
signature, so the test shows the check's mistake list catches real code.
"""

from __future__ import annotations

import numpy as np
import pytest

from lessons_lib.interactive import capstone


def adam_right(w, g, state, t, xp, *, learning_rate, beta_1, beta_2, epsilon):
    m = beta_1 * state["m"] + (1 - beta_1) * g
    v = beta_2 * state["v"] + (1 - beta_2) * g * g
    lr_t = learning_rate * xp.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - lr_t * m / (xp.sqrt(v) + epsilon), {"m": m, "v": v}


def adam_keras_order(w, g, state, t, xp, *, learning_rate, beta_1, beta_2, epsilon):
    m = state["m"] + (g - state["m"]) * (1 - beta_1)
    v = state["v"] + (g * g - state["v"]) * (1 - beta_2)
    lr_t = learning_rate * xp.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - lr_t * m / (xp.sqrt(v) + epsilon), {"m": m, "v": v}


def adam_paper_epsilon(w, g, state, t, xp, *, learning_rate, beta_1, beta_2, epsilon):
    m = beta_1 * state["m"] + (1 - beta_1) * g
    v = beta_2 * state["v"] + (1 - beta_2) * g**2
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    return w - learning_rate * m_hat / (xp.sqrt(v_hat) + epsilon), {"m": m, "v": v}


def adam_no_correction(w, g, state, t, xp, *, learning_rate, beta_1, beta_2, epsilon):
    m = beta_1 * state["m"] + (1 - beta_1) * g
    v = beta_2 * state["v"] + (1 - beta_2) * g**2
    return w - learning_rate * m / (xp.sqrt(v) + epsilon), {"m": m, "v": v}


def adam_eps_inside(w, g, state, t, xp, *, learning_rate, beta_1, beta_2, epsilon):
    m = beta_1 * state["m"] + (1 - beta_1) * g
    v = beta_2 * state["v"] + (1 - beta_2) * g**2
    lr_t = learning_rate * xp.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - lr_t * m / xp.sqrt(v + epsilon), {"m": m, "v": v}


def adam_minus(w, g, state, t, xp, *, learning_rate, beta_1, beta_2, epsilon):
    m = beta_1 * state["m"] - (1 - beta_1) * g
    v = beta_2 * state["v"] - (1 - beta_2) * g**2
    lr_t = learning_rate * xp.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - lr_t * m / (xp.sqrt(v) + epsilon), {"m": m, "v": v}


def adam_corrected_state(w, g, state, t, xp, *, learning_rate, beta_1, beta_2, epsilon):
    m = beta_1 * state["m"] + (1 - beta_1) * g
    v = beta_2 * state["v"] + (1 - beta_2) * g**2
    lr_t = learning_rate * xp.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    new = w - lr_t * m / (xp.sqrt(v) + epsilon)
    return new, {"m": m / (1 - beta_1**t), "v": v / (1 - beta_2**t)}


def adam_stub(w, g, state, t, xp, *, learning_rate, beta_1, beta_2, epsilon):
    raise NotImplementedError


@pytest.mark.parametrize("rule", [adam_right, adam_keras_order])
def test_exercise_8_1_passes_right_answers(rule, capsys):
    assert capstone.check_adam_rule(rule) is True
    assert capsys.readouterr().out.startswith("PASSED exercise 8.1")


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (adam_paper_epsilon, "paper's form"),
        (adam_no_correction, "no bias correction"),
        (adam_eps_inside, "epsilon is inside the square root"),
        (adam_minus, "subtract the new term"),
        (adam_corrected_state, "raw m and v"),
        (adam_stub, "NOT ATTEMPTED"),
    ],
)
def test_exercise_8_1_names_each_mistake(rule, message, capsys):
    assert capstone.check_adam_rule(rule) is False
    out = capsys.readouterr().out
    assert "8.1" in out and message in out, out


def test_full_run_figure_is_the_drawn_figure_pixel_for_pixel():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    def pixels(fig):
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        return np.asarray(canvas.buffer_rgba())

    fast = capstone.full_run_figure("training loss", "all six")
    drawn = capstone._draw_full_run("training loss", "all six")
    np.testing.assert_array_equal(pixels(fast), pixels(drawn))
    # IPython's inline display crops to the tight bbox: the image must survive it
    assert fast.get_tightbbox().width > 0.9 * fast.bbox_inches.width


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"metric": "val acc"}, "metric must be one of"), ({"show": "all"}, "show must be one of")],
)
def test_full_run_figure_rejects_unknown_choices(kwargs, match):
    with pytest.raises(ValueError, match=match):
        capstone.full_run_figure(**kwargs)


def test_full_run_file_holds_fifty_epochs_of_every_optimizer():
    run = capstone.load_full_run()
    assert set(run["histories"]) == set(capstone.OPTIMIZERS)
    for hist in run["histories"].values():
        for key in ("loss", "accuracy", "val_loss", "val_accuracy", "test_accuracy"):
            assert len(hist[key]) == run["meta"]["epochs"] == 50


def test_curves_figure_draws_live_runs_with_and_without_reference():
    hist = {"loss": [1.0, 0.5], "accuracy": [0.6, 0.8], "val_accuracy": [0.7, 0.75]}
    alone = capstone.curves_figure({"Adam": hist})
    assert [len(ax.lines) for ax in alone.axes] == [1, 1]  # validation, training loss
    ref = {"Adam": capstone.load_full_run()["histories"]["Adam"]}
    beside = capstone.curves_figure({"Adam": hist}, ref)
    assert [len(ax.lines) for ax in beside.axes] == [2, 1]  # live + faint, full run
    assert beside.axes[0].get_xlim() == (0.5, 2.5)


def test_live_progress_prints_a_line_per_epoch_and_keeps_each_run(capsys):
    keras = pytest.importorskip("keras")

    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    progress = capstone.live_progress(2)
    for name in ("SGD", "Adam"):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
        model.compile(optimizer=capstone.keras_optimizer(name),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
        model.fit(x, y, validation_data=(x, y), epochs=2, verbose=0,
                  callbacks=[progress.named(name)])  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in lines] == [
        ["SGD", "epoch", "1/2"], ["SGD", "epoch", "2/2"],
        ["Adam", "epoch", "1/2"], ["Adam", "epoch", "2/2"],
    ]  # fmt: skip
    assert list(progress.runs) == ["SGD", "Adam"]
    assert all(len(run["val_accuracy"]) == 2 for run in progress.runs.values())


def test_setup_tensorflow_leaves_nothing_on_stderr_and_keeps_python_stderr():
    """TensorFlow 2.21 prints its oneDNN notice at import through absl, past
    TF_CPP_MIN_LOG_LEVEL; the lesson must not show it. A fresh interpreter (TensorFlow
    loads once per process), without the Makefile's environment."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    code = (
        "import sys\n"
        "from lessons_lib.interactive.capstone import setup_tensorflow\n"
        "setup_tensorflow()\n"
        "import tensorflow as tf\n"
        "tf.constant(1.0) + 1.0\n"  # runs an op: the runtime is up
        "print('python stderr still here', file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "python stderr still here\n"
