"""Lesson 10's figures and experiments (lessons_lib.interactive.after_adam)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from matplotlib.figure import Figure

from lessons_lib.interactive import after_adam as A
from lessons_lib.optimizers import Adafactor, Adam, AdamW, Lion, Muon
from lessons_lib.plotting import png_bytes


@pytest.mark.parametrize("draw, controls", A.INTERACTIVE, ids=lambda f: f.__name__)
def test_every_figure_draws_at_its_controls_defaults(draw, controls):
    widgets = controls()
    assert set(widgets) == set(inspect.signature(draw).parameters)
    fig = draw(**{name: w.value for name, w in widgets.items()})
    assert isinstance(fig, Figure)
    assert png_bytes(fig).startswith(b"\x89PNG")


@pytest.mark.parametrize("draw, controls", A.INTERACTIVE, ids=lambda f: f.__name__)
def test_every_figure_draws_at_its_controls_extremes(draw, controls):
    """Each slider at its smallest and largest value, every drop-down option."""
    widgets = controls()
    defaults = {name: w.value for name, w in widgets.items()}
    for name, w in widgets.items():
        if hasattr(w, "options"):
            values = list(w.options)
        elif hasattr(w, "base"):
            values = [w.base**w.min, w.base**w.max]
        else:
            values = [w.min, w.max]
        for value in values:
            if hasattr(w, "base"):  # a log slider holds its ends as exponents
                value = float(np.round(value, 12))
            assert isinstance(draw(**{**defaults, name: value}), Figure)


def test_family_tree_draws():
    assert isinstance(A.family_tree_figure(), Figure)


def test_state_numbers_counts_the_state_held():
    """Counted from the optimizers' state after one step, checked against what each rule
    keeps (Adam m and v; Lion m; Adafactor a row and a column mean for a matrix, a full v
    for a vector; Muon m for a matrix, AdamW's m and v for a vector)."""
    shapes = [(30, 7), (7,)]
    n = 30 * 7 + 7
    assert A.state_numbers(Adam(), shapes) == 2 * n
    assert A.state_numbers(Lion(), shapes) == n
    assert A.state_numbers(Adafactor(), shapes) == (30 + 7) + 7
    assert A.state_numbers(Muon(), shapes) == 30 * 7 + 2 * 7
    rows = {name: per for name, _, per in A.memory_rows([(64, 64)])}
    assert rows["Adafactor"] == pytest.approx(2 / 64)
    assert rows["Nadam"] == pytest.approx(2 + 1 / 64**2)


def test_state_numbers_leaves_the_prototype_alone():
    opt = Adam(0.1)
    A.state_numbers(opt, [(3, 3)])
    assert opt.iterations == 0 and not opt.state


def test_make_optimizer_rejects_unknown_names():
    with pytest.raises(ValueError, match="one of"):
        A.make_optimizer("Adamm")
    assert A.make_optimizer("SF-AdamW").learning_rate == 0.0025  # Keras' default


def test_tuned_table_is_what_tuning_gives():
    """Re-run the sweep (one run per rate) and compare with the stored table."""
    for objective in A.RACE_OBJECTIVES:
        for name in A.RACE:
            best, scores = A.tune(objective, name)
            assert scores.shape == A.LR_GRID.shape
            assert best == pytest.approx(A.TUNED[objective][name], rel=2e-3), (objective, name)
            assert best < A.LR_GRID[-1], f"{name} on {objective} picked the top of the grid"


def test_leaderboard_rows_are_sorted_and_consistent():
    rows = A.leaderboard("beale", target=1e-3)
    assert [r[0] for r in rows] != [] and {r[0] for r in rows} == set(A.RACE)
    arrived = [r[2] for r in rows if r[2] >= 0]
    assert arrived == sorted(arrived)
    assert all(r[3] > 1e-3 for r in rows if r[2] < 0)  # never arrived: still outside


def test_race_rejects_unknown_objective():
    with pytest.raises(ValueError, match="objective"):
        A.race_runs("quadratic")


def test_adadelta_units_curve_depends_on_scale_only_through_eta_over_s():
    """Keras' eta = 0.001 at units s = 0.001 is the paper's eta = 1 at s = 1, to 1e-5 (the
    steps do not depend on the gradient's scale where epsilon is negligible)."""
    small, one = A.adadelta_runs(1e-3), A.adadelta_runs(1.0)
    np.testing.assert_allclose(small["Keras' default (η = 0.001), units s"],
                               one["paper (η = 1), units s"], rtol=1e-5)  # fmt: skip
    big = A.adadelta_runs(1e3)["paper (η = 1), units s"]
    assert big[-1] > 0.999  # a thousand times larger units: it has hardly moved


def test_adamax_remembers_a_spike_longer_than_adam():
    steps = A.adamax_steps(100.0)
    assert steps["Adamax"][A.SPIKE_AT + 99] < 0.1 * steps["Adam"][A.SPIKE_AT + 99]
    flat = A.adamax_steps(1.0)
    np.testing.assert_allclose(flat["Adamax"], 1.0, rtol=1e-6)


def test_decay_settles_where_the_fixed_points_say():
    """Adam + L2: 1/(1 + lambda) for both weights; AdamW: about 1/(1 + lambda sigma)."""
    lam = A.DECAY_GRID[10]
    settled = A.decay_settled(lam)
    np.testing.assert_allclose(settled["Adam + L2"], 1 / (1 + lam), atol=0.02)
    np.testing.assert_allclose(settled["AdamW"], 1 / (1 + lam * A.DECAY_NOISE), atol=0.02)
    with pytest.raises(ValueError, match="slider"):
        A.decay_settled(0.123)


def test_lamb_progress_does_not_depend_on_the_layer_scale():
    a, b = A.lamb_runs(0.01, 0.01)["LAMB"], A.lamb_runs(0.01, 100.0)["LAMB"]
    np.testing.assert_allclose(a, b, rtol=2e-2)  # epsilon's share differs with the scale
    np.testing.assert_allclose(a[-1], b[-1], atol=5e-4)
    adam_small, adam_big = A.lamb_runs(0.01, 0.01)["Adam"], A.lamb_runs(0.01, 100.0)["Adam"]
    assert adam_small[-1, 1] < 0.05 < 0.9 < adam_big[-1, 1]


def test_muon_orthogonalisation_raises_small_singular_values():
    g = A.muon_matrix(20.0, 0.6)
    np.testing.assert_allclose(np.linalg.svd(g, compute_uv=False), [1.0, 0.05], rtol=1e-12)
    s = A.muon_singular_values(20.0, ns_steps=5)
    assert 0.6 < s.min() <= s.max() < 1.25


def test_muon_on_a_vector_is_adamw():
    w, g = np.array([0.3, -1.2]), np.array([0.5, 0.1])
    muon, adamw = Muon(0.01), AdamW(0.01, weight_decay=0.004)
    for _ in range(5):
        w_m, w_a = muon.step(w, g), adamw.step(w, g)
        np.testing.assert_array_equal(w_m, w_a)
        w = w_m


def test_schedule_free_runs_shapes_and_start():
    runs = A.schedule_free_runs(0.1)
    assert set(runs) == {"AdamW, constant η", "AdamW, cosine to 0", "schedule-free y",
                         "schedule-free x (average)"}  # fmt: skip
    for losses in runs.values():
        assert losses.shape == (A.SF_STEPS + 1,)
        assert losses[0] == pytest.approx(0.5 * (4 + 40))


def test_sample_results_shapes_and_determinism():
    a = A.sample_results(("Adam", "Lion"), seeds=(0,), epochs=1)
    b = A.sample_results(("Adam", "Lion"), seeds=(0,), epochs=1)
    assert a["Adam"]["test_accuracy"].shape == (1,)
    assert a["Adam"]["train_loss"].shape == (1, 1)
    for name in a:
        np.testing.assert_array_equal(a[name]["test_accuracy"], b[name]["test_accuracy"])
    assert 0.5 < a["Adam"]["test_accuracy"][0] <= 1.0


def test_stored_sample_table_is_what_training_gives():
    """Every seed of the stored five-seed table (the lesson trains only seed 0 live)."""
    fresh = A.sample_results(A.NAMES, seeds=A.SAMPLE_SEEDS, epochs=A.SAMPLE_EPOCHS)
    for name in A.NAMES:
        np.testing.assert_allclose(fresh[name]["test_accuracy"],
                                   A.SAMPLE[name]["test_accuracy"], rtol=0, atol=1e-9)
        np.testing.assert_allclose(fresh[name]["test_loss"], A.SAMPLE[name]["test_loss"],
                                   rtol=0, atol=5e-5)  # fmt: skip
