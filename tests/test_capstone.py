"""Lesson 08's library parts that do not need the full data: exercise 8.1's check, the
figures of the precomputed run and of the evidence, the progress callback, and the path
of a learner without TensorFlow.

The wrong rules below are written the way a learner would write them, in the bridge's
signature, so the test shows the check's mistake list catches real code.
"""

from __future__ import annotations

import numpy as np
import pytest

from lessons_lib import training
from lessons_lib.checks import capstone as checks
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
    assert checks.check_adam_rule(rule) is True
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
    assert checks.check_adam_rule(rule) is False
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
    assert set(run["histories"]) == set(training.OPTIMIZERS) - {"AdamW"}
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
        model.compile(optimizer=training.keras_optimizer(name),
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
        "from lessons_lib.training import setup_tensorflow\n"
        "setup_tensorflow()\n"
        "import tensorflow as tf\n"
        "tf.constant(1.0) + 1.0\n"  # runs an op: the runtime is up
        "print('python stderr still here', file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "python stderr still here\n"


# --------------------------------------------------------------------------- no TensorFlow
def test_first_cell_without_tensorflow_says_how_to_add_it_and_stops(tmp_path):
    """A core install without the capstone extra: the lesson's first code cell, run by
    IPython with tensorflow blocked, shows the install command and no traceback, and stops
    (an error result, so "Run all" runs nothing after it)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    nb = json.loads((Path(__file__).parent.parent / "notebooks" / "08_fashion_mnist.ipynb")
                    .read_text(encoding="utf-8"))  # fmt: skip
    first = next("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    (tmp_path / "cell.py").write_text(first, encoding="utf-8")
    code = (
        "import sys\n"
        "sys.modules['tensorflow'] = None\n"  # what `import tensorflow` then raises on
        "sys.modules['keras'] = None\n"
        "from IPython.testing.globalipapp import start_ipython\n"
        "ip = start_ipython()\n"
        f"result = ip.run_cell(open({str(tmp_path / 'cell.py')!r}).read())\n"
        "print('RESULT', type(result.error_in_exec).__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    out = done.stdout + done.stderr
    assert 'pip install -e ".[capstone]"' in out, out
    assert "RESULT TensorFlowMissing" in out, out
    assert "Traceback" not in out and "ImportError" not in out, out


def test_require_tensorflow_raises_with_the_install_hint(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    def find_spec(name, *args):
        return None if name == "tensorflow" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    assert training.tensorflow_missing() == training.INSTALL_HINT
    with pytest.raises(training.TensorFlowMissing) as info:
        training.require_tensorflow()
    assert info.value._render_traceback_() == [training.INSTALL_HINT]
    with pytest.raises(training.TensorFlowMissing):
        training.setup_tensorflow()


# --------------------------------------------------------------------------- evidence
@pytest.fixture()
def evidence(tmp_path, monkeypatch):
    """A small synthetic evidence folder, summarized by the real script."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent.parent / "scripts"))
    import precompute_evidence as pe
    import summarize_evidence as se

    monkeypatch.setattr(pe, "RUNS_DIR", tmp_path / "data" / "evidence" / "runs")
    monkeypatch.setattr(se, "ROOT", tmp_path)

    def history(epochs, top, best):
        val_loss = [0.3 + 0.002 * (e - best) ** 2 for e in range(epochs)]
        acc = [top - 0.05 / (e + 1) for e in range(epochs)]
        return {"loss": [0.5] * epochs, "accuracy": acc, "val_loss": val_loss,
                "val_accuracy": acc, "test_loss": val_loss,
                "test_accuracy": [a - 0.01 for a in acc], "seconds": [1.0] * epochs}  # fmt: skip

    def write(cfg, top, best=5, diag=None):
        prov = {"machine": {"cpu": "test", "cores": 2}, "versions": {"keras": "x"},
                "git_commit": "abc", "wall_seconds": 1.0}  # fmt: skip
        pe.write_json(pe.run_path(cfg), {"config": cfg, "history": history(cfg["epochs"], top,
                      best), "diagnostics": diag, "provenance": prov})  # fmt: skip

    layers = [[784, 1024], [1024, 512], [512, 512], [512, 512], [512, 10]]
    diag = {"layers": layers, "update_ratio": [[1e-3 * (1 + e)] * 5 for e in range(50)],
            "epoch_ratio": [[1e-2] * 5] * 50,
            "step_size": [[[0.003, 0.0031, 0.0032]] * 5] * 50,
            "sum_g2": [[[0.0, 1e-4, 1e-3]] * 5] * 50}  # fmt: skip
    for seed, top in zip((0, 1, 2), (0.88, 0.89, 0.90), strict=True):
        write(pe.job("default", "Adagrad", 0.001, seed, 50), top, best=10 + seed,
              diag=diag if seed == 1 else None)  # fmt: skip
    write(pe.job("default", "Adam", 0.001, 0, 50), 0.9)
    write(pe.job("decay", "AdamW", 0.001, 0, 50, weight_decay=0.1), 0.91)
    for factor, top in zip(pe.SWEEP_FACTORS, (0.80, 0.85, 0.92, 0.70), strict=True):
        write(pe.job("sweep", "Adagrad", 0.001 * factor, 0, 10), top)
    return se.summarize()


def test_summary_statistics_are_the_seeds_mean_and_sample_sd(evidence):
    cell = evidence["settings"]["default"]["Adagrad"]
    final = [100 * (top - 0.05 / 50 - 0.01) for top in (0.88, 0.89, 0.90)]
    assert cell["n"] == 3 and cell["seeds"] == [0, 1, 2]
    assert cell["test_accuracy"]["mean"] == pytest.approx(np.mean(final), abs=1e-3)
    assert cell["test_accuracy"]["sd"] == pytest.approx(np.std(final, ddof=1), abs=1e-3)
    assert cell["binomial_se"] == pytest.approx(
        100 * capstone.binomial_se(cell["test_accuracy"]["mean"] / 100), abs=1e-3)
    assert cell["early_stopping"]["by_val_loss"]["epochs"] == [11, 12, 13]
    assert evidence["settings"]["default"]["Adam"]["test_accuracy"]["sd"] is None  # one seed


def test_sweep_picks_the_best_validation_score_and_flags_the_edge(evidence):
    sweep = evidence["sweep"]["Adagrad"]
    assert sweep["complete"] and sweep["chosen"] == pytest.approx(0.001 * 10**0.5, rel=1e-5)
    assert not sweep["at_edge"]
    assert evidence["sweep"]["SGD"]["complete"] is False


def test_evidence_tables_print_every_cell(evidence):
    table = capstone.evidence_table(evidence, "default")
    assert "Adagrad" in table and "85.28" in table  # the blog's number beside
    assert "n" in table.splitlines()[0]
    assert "Adagrad" in capstone.early_stopping_table(evidence)
    assert "(incomplete)" not in capstone.sweep_table(evidence).splitlines()[1]
    assert "not run yet" in capstone.sweep_table(evidence)


def test_spread_report_places_a_live_run_and_never_raises(evidence):
    curve = evidence["settings"]["default"]["Adagrad"]["curves"]["val_accuracy"]["mean"]
    near = {"Adagrad": {"val_accuracy": curve[:5]}}
    far = {"Adagrad": {"val_accuracy": [c - 0.2 for c in curve[:5]]},
           "SGD": {"val_accuracy": [0.5] * 5}}
    assert "within" in capstone.spread_report(near, evidence, 5)
    report = capstone.spread_report(far, evidence, 5)
    assert "OUTSIDE" in report and "no precomputed seeds" in report


def test_binomial_se_is_about_a_third_of_a_point_on_the_test_set():
    assert 100 * capstone.binomial_se(0.89) == pytest.approx(0.313, abs=1e-3)
    with pytest.raises(ValueError):
        capstone.binomial_se(1.5)


def test_evidence_figures_draw(evidence):
    probe = {"record": {k: evidence["diagnostics"]["Adagrad"][k][:3]
                        for k in ("update_ratio", "step_size", "sum_g2")},
             "layers": evidence["diagnostics"]["Adagrad"]["layers"]}  # fmt: skip
    fig = capstone.diagnostics_figure({"Adagrad": probe}, evidence)
    assert len(fig.axes) == 5
    fig = capstone.accumulator_figure({"Adagrad": probe}, evidence)
    assert len(fig.axes[0].lines) > 5
    fig = capstone.decay_figure(evidence)
    assert "0.1" in fig.axes[0].get_title()
    table = capstone.decay_table(evidence).splitlines()
    assert [line.split(",")[0] for line in table[1:]] == ["Adam", "AdamW"]
    assert "stored" not in fig.axes[0].get_legend().get_texts()[0].get_text()  # seed 0 is here
    with pytest.raises(ValueError, match="weight-decay"):
        capstone.decay_figure({"decay": {}})


def test_differences_call_a_small_gap_a_tie_and_a_large_one_real():
    def cell(mean, sd, n):
        return {"test_accuracy": {"mean": mean, "sd": sd}, "n": n,
                "binomial_se": 100 * capstone.binomial_se(mean / 100)}  # fmt: skip

    summary = {"settings": {"default": {"A": cell(89.2, 0.1, 3), "B": cell(89.0, 0.1, 3),
                                        "C": cell(86.0, 0.2, 3)}}}  # fmt: skip
    lines = capstone.differences(summary).splitlines()
    assert lines[0].split()[:3] == ["A", "-", "B"] and "tie" in lines[0]
    assert lines[1].split()[:3] == ["B", "-", "C"] and "beyond the noise" in lines[1]
    # the binomial floor: a tiny sample sd cannot make 0.3 points "real"
    summary["settings"]["default"]["B"] = cell(88.9, 0.01, 2)
    summary["settings"]["default"]["A"] = cell(89.2, 0.01, 2)
    assert "tie" in capstone.differences(summary).splitlines()[0]


# --------------------------------------------------------------------------- the job list
def _pe():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent.parent / "scripts"))
    import precompute_evidence as pe

    return pe


def test_job_list_puts_the_most_valuable_runs_first():
    pe = _pe()
    jobs = pe.first_jobs()
    seven = list(training.OPTIMIZERS)
    assert [(j["optimizer"], j["seed"]) for j in jobs[:14]] == [
        (n, s) for s in (1, 2) for n in seven]
    assert (jobs[14]["optimizer"], jobs[14]["seed"]) == ("AdamW", 0)
    assert [j["phase"] for j in jobs[15:19]] == ["decay"] * 4  # lesson 08 draws them
    assert [(j["optimizer"], j["seed"]) for j in jobs[19:25]] == [
        (n, 0) for n in seven if n != "AdamW"]
    default = [j for j in jobs if j["phase"] == "default"]
    assert len(default) == 21
    assert all(j["learning_rate"] == pytest.approx(pe.DEFAULT_LR[j["optimizer"]])
               for j in default)  # fmt: skip
    phases = [j["phase"] for j in jobs]
    assert phases.index("sweep") == 25 and set(phases[25:]) == {"sweep"}
    assert len({pe.run_name(j) for j in jobs}) == len(jobs)  # one file per run


def test_finished_runs_are_kept_and_half_written_ones_are_not(tmp_path, monkeypatch):
    pe = _pe()
    monkeypatch.setattr(pe, "RUNS_DIR", tmp_path)
    cfg = pe.job("default", "SGD", 0.01, 1, 3)
    assert pe.read_run(cfg) is None
    pe.write_json(pe.run_path(cfg), {"config": cfg, "history": {"val_accuracy": [0.5] * 2}})
    assert pe.read_run(cfg) is None  # 2 of 3 epochs: not finished
    pe.write_json(pe.run_path(cfg), {"config": cfg, "history": {"val_accuracy": [0.5] * 3}})
    assert pe.read_run(cfg) is not None
    other = dict(cfg, phase="tuned")  # the same run reached from another phase is shared
    assert pe.read_run(other) is not None
    assert pe.read_run(dict(cfg, seed=2)) is None
    pe.run_path(cfg).write_text("{trunc")
    assert pe.read_run(cfg) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == [pe.run_path(cfg).name]  # no temp


def test_clean_rounds_floats_keeps_integers_and_drops_nan():
    pe = _pe()
    out = pe.clean({"a": [0.123456789, float("nan"), float("inf")], "shape": [784, 1024],
                    "n": np.float32(0.5)})  # fmt: skip
    assert out == {"a": [0.123457, None, None], "shape": [784, 1024], "n": 0.5}
    assert isinstance(out["shape"][0], int)


def test_sweep_extends_past_an_edge_winner_until_it_is_interior(tmp_path, monkeypatch):
    pe = _pe()
    monkeypatch.setattr(pe, "RUNS_DIR", tmp_path)

    def write(step, score):
        cfg = pe.sweep_job("SGD", step)
        hist = {"val_accuracy": [score] * cfg["epochs"]}
        pe.write_json(pe.run_path(cfg), {"config": cfg, "history": hist})

    for step, score in zip(pe.SWEEP_STEPS, (0.60, 0.70, 0.80, 0.85, 0.87), strict=True):
        write(step, score)  # rising: the largest rate wins
    _, todo = pe.sweep_state("SGD")
    assert [c["learning_rate"] for c in todo] == [pytest.approx(0.01 * 10**1.5)]
    assert pe.chosen_learning_rate("SGD") is None  # not chosen while the edge is open
    write(3, 0.88)
    assert pe.sweep_state("SGD")[1][0]["learning_rate"] == pytest.approx(1.0)  # still rising
    write(4, 0.10)  # diverged: 0.316 (step 3) is interior now
    assert pe.sweep_state("SGD")[1] == []
    assert pe.chosen_learning_rate("SGD") == pytest.approx(0.01 * 10**1.5, rel=1e-5)
    assert pe.sweep_extension_jobs()[0]["optimizer"] != "SGD"


def test_sweep_extension_stops_after_max_extension(tmp_path, monkeypatch):
    pe = _pe()
    monkeypatch.setattr(pe, "RUNS_DIR", tmp_path)
    for step in range(pe.SWEEP_STEPS[0] - pe.MAX_EXTENSION, pe.SWEEP_STEPS[-1] + 1):
        cfg = pe.sweep_job("Adam", step)
        hist = {"val_accuracy": [0.9 - 0.01 * step] * cfg["epochs"]}  # smaller is better
        pe.write_json(pe.run_path(cfg), {"config": cfg, "history": hist})
    assert pe.sweep_state("Adam")[1] == []  # the cap: no further run asked for
    lowest = 0.001 * 10 ** ((pe.SWEEP_STEPS[0] - pe.MAX_EXTENSION) / 2)
    assert pe.chosen_learning_rate("Adam") == pytest.approx(lowest, rel=1e-5)


def test_lesson_jobs_have_their_own_files_and_schedules():
    pe = _pe()
    nine, ten = pe.lesson09_jobs(), pe.lesson10_jobs()
    assert len(nine) == 4 * len(pe.L09_SEEDS) and len(ten) == len(pe.LESSON10) * len(pe.L10_SEEDS)
    names = [pe.run_name(j) for j in nine + ten + pe.first_jobs()]
    assert len(set(names)) == len(names)
    cosine = [j for j in nine if j["schedule"] is not None]
    assert len(cosine) == len(nine) // 2 and all("cosine" in pe.run_name(j) for j in cosine)
    # a lesson-08 file (no lesson key) is not a lesson-10 run of the same optimizer
    adam10 = next(j for j in ten if j["optimizer"] == "Adam")
    assert pe.run_name(adam10).startswith("L10_")


def test_a_winner_that_diverges_over_50_epochs_gives_way_to_the_next_best(tmp_path, monkeypatch):
    pe = _pe()
    monkeypatch.setattr(pe, "RUNS_DIR", tmp_path)
    scores = (0.60, 0.70, 0.80, 0.86, 0.84)  # step 1 (0.0316) wins, interior
    for step, score in zip(pe.SWEEP_STEPS, scores, strict=True):
        cfg = pe.sweep_job("SGD", step)
        hist = {"val_accuracy": [score] * cfg["epochs"], "loss": [0.5] * cfg["epochs"]}
        pe.write_json(pe.run_path(cfg), {"config": cfg, "history": hist})
    assert pe.chosen_learning_rate("SGD") == pytest.approx(0.01 * 10**0.5, rel=1e-5)
    long = pe.job("tuned", "SGD", 0.01 * 10**0.5, 0, pe.EPOCHS)
    loss = [0.5] * 11 + [None] * (pe.EPOCHS - 11)  # NaN from epoch 12 on
    pe.write_json(pe.run_path(long), {"config": long, "history": {
        "val_accuracy": [0.1] * pe.EPOCHS, "loss": loss}})  # fmt: skip
    assert list(pe.rejected_rates("SGD").values()) == [12]
    assert pe.chosen_learning_rate("SGD") == pytest.approx(0.1)  # the next best score
