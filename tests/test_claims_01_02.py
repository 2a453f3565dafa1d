"""Every number the prose of lessons 00, 01 and 02 states, recomputed from the library.

The printed outputs are compared by nbval; this module covers the numbers that sit in the
text itself ("the x factor 0.97", "every one of ten shuffles diverges", "6.6 times near
t = 12"). If the library or a default changes, the sentence and this test fail together.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import json
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import rgb_to_hsv, to_rgb

from lessons_lib import checks
from lessons_lib.ewma import bias_correction, effective_window, ewma, ewma_weights
from lessons_lib.functions import quadratic
from lessons_lib.interactive import gradient_descent as gd
from lessons_lib.optimizers import SGD
from lessons_lib.plotting import COLORS
from lessons_lib.runner import run
from lessons_lib.theory import gd_optimal_lr, gd_optimal_rate, gd_rate, steps_to_tolerance
from lessons_lib.widgets import log_slider

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
LESSONS = sorted(p.name[:2] for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb") if p.name[:2] != "00")


def _markdown(number: str) -> list[str]:
    (path,) = NOTEBOOKS.glob(f"{number}_*.ipynb")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]


# ------------------------------------------------------------------------- 00 the index
def _lesson_numbers(text: str) -> set[str]:
    """Lesson numbers in a piece of text: '03', '01, 02', ranges '01–06' / '03-06'."""
    found = set()
    number = r"(0[1-9]|[1-9]\d)"  # 01..99: the lessons' two-digit numbers, not 00
    for a, b in re.findall(rf"\b{number}\s*[-–]\s*{number}\b", text):
        found |= {f"{k:02d}" for k in range(int(a), int(b) + 1)}
    text = re.sub(rf"\b{number}\s*[-–]\s*{number}\b", " ", text)
    return found | set(re.findall(rf"\b{number}\b", text))


def builds_on() -> dict[str, set[str]]:
    """The index's lesson table: lesson -> the lessons in its column 'builds on'."""
    for text in _markdown("00"):
        if "| builds on |" in text:
            rows = re.findall(r"^\| (\d\d) \| [^|]+ \| ([^|]+) \|", text, flags=re.M)
            return {lesson: _lesson_numbers(needs) for lesson, needs in rows}
    raise AssertionError("00_index has no lesson table with a column 'builds on'")


def needs_paragraph(number: str) -> str:
    for text in _markdown(number):
        for para in re.split(r"\n\s*\n", text):
            if para.lstrip().startswith("**What you'll need**"):
                return para
    raise AssertionError(f"lesson {number} has no paragraph '**What you'll need**'")


def test_index_lists_every_lesson_and_numerical_order_respects_dependencies():
    table = builds_on()
    assert sorted(table) == LESSONS
    for lesson, needs in table.items():
        assert all(n < lesson for n in needs), f"{lesson} builds on a later lesson: {needs}"
    # the dependencies the issue names
    assert "05" in table["06"] and "03" in table["06"] and "02" in table["05"]


@pytest.mark.parametrize("lesson", LESSONS)
def test_index_dependencies_match_each_lessons_what_you_need(lesson):
    """The index's 'builds on' is what the lesson itself says it needs."""
    assert _lesson_numbers(needs_paragraph(lesson)) == builds_on()[lesson]


def test_index_says_04_and_05_are_independent_and_06_needs_both():
    table = builds_on()
    assert "04" not in table["05"] and "05" not in table["04"]
    assert {"03", "05"} <= table["06"]


def test_log_slider_notch_multiplies_by_about_1_26():
    slider = log_slider("learning rate", 0.1, 1e-3, 1.0)
    assert 10**slider.step == pytest.approx(1.26, abs=0.005)


@pytest.mark.parametrize(
    "key, hue_range",
    [
        ("gd", (0.52, 0.70)),  # blue
        ("momentum", (0.0, 0.09)),  # orange
        ("nesterov", (0.35, 0.50)),  # green
        ("adagrad", (0.80, 0.97)),  # pink
        ("rmsprop", (0.09, 0.16)),  # yellow-orange
    ],
)
def test_index_colour_names(key, hue_range):
    hue, saturation, _ = rgb_to_hsv(to_rgb(COLORS[key]))
    assert hue_range[0] <= hue <= hue_range[1] and saturation > 0.3


def test_adam_is_black():
    assert to_rgb(COLORS["adam"]) == (0.0, 0.0, 0.0)


def test_odd_values_named_in_the_index_are_used_by_the_checks():
    source = "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "lessons_lib" / "checks").glob("*.py")
    )
    assert re.search(r'"learning_rate": 0\.37\b', source)
    assert re.search(r'"beta": 0\.81\b', source)


def test_index_example_verdict_is_a_real_message(capsys):
    """00 shows 'FAILED exercise 3.1: the factor (1 - beta) is missing: ...'."""

    def no_one_minus_beta(w, v, g, learning_rate, beta):
        v = beta * v + g
        return w - learning_rate * v, v

    checks.check_momentum_step(no_one_minus_beta)
    assert capsys.readouterr().out.startswith(
        "FAILED exercise 3.1: the factor (1 - beta) is missing: "
    )


def _all_source(number: str) -> str:
    (path,) = NOTEBOOKS.glob(f"{number}_*.ipynb")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells)


def test_01_and_02_use_the_course_notation():
    """00's notation table: t counts steps (no k), r is a rate (rho is RMSProp's only), the
    EWMA of 02 is m_t (v_t only as Adam's second moment)."""
    one = _all_source("01")
    assert not re.search(r"\\rho\b", one), "01 writes a rate as rho; the course writes r"
    assert not re.search(r"w_\{?k|\^\{\(k", one), "01 counts steps with k; the course uses t"
    assert "w_t = w_{t-1} - \\eta\\, g_t" in one
    two = _all_source("02")
    assert "m_t = \\beta\\, m_{t-1} + (1 - \\beta)\\, x_t" in two
    for match in re.finditer(r"v_t|\\hat v", two):
        context = two[max(0, match.start() - 400) : match.end() + 200]
        assert "Adam" in context, "02 uses v outside Adam's second moment"


# ------------------------------------------------------------------ 01 gradient descent
MU, L = 0.1, 1.0


def test_01_bowl_is_the_one_described():
    bowl = quadratic(kappa=10)
    assert bowl.notes["eigenvalues"] == pytest.approx((MU, L))
    assert bowl.start == (-9.0, 2.5)


def test_01_intuition_step_keeps_0_7_of_the_distance():
    eta = inspect.signature(gd.intuition_figure).parameters["learning_rate"].default
    assert 1 - eta == pytest.approx(0.7)  # f = w^2/2 has curvature 1


def test_01_x_factor_at_0_3_is_0_97():
    assert 1 - 0.3 * MU == pytest.approx(0.97)


def test_01_large_learning_rate_zigzags_but_converges_and_past_2_diverges():
    bowl = quadratic(kappa=10)
    zig = run(SGD(learning_rate=1.5), bowl, steps=60)
    y = zig.points[:10, 1]
    assert np.all(np.sign(y[1:]) == -np.sign(y[:-1]))  # y changes sign every step
    assert zig.diverged_at < 0 and np.linalg.norm(zig.points[-1]) < 1e-3
    assert run(SGD(learning_rate=2.05), bowl, steps=200).diverged_at >= 0


def test_01_round_bowl_one_step_to_the_minimum():
    path = run(SGD(learning_rate=1.0), quadratic(kappa=1), steps=1)
    assert np.array_equal(path.points[1], [0.0, 0.0])


def test_01_best_rate_at_kappa_100_is_close_to_1():
    assert gd_optimal_rate(100) == pytest.approx(0.9802, abs=1e-4)


def test_01_best_learning_rate_and_steep_factor():
    for kappa in (2.0, 10.0, 25.0, 100.0):
        mu = 1.0 / kappa
        eta = gd_optimal_lr(mu, 1.0)
        assert eta == pytest.approx(2 / (1 + mu))
        assert 1 - eta * 1.0 == pytest.approx(-(kappa - 1) / (kappa + 1))
        assert gd_rate(eta, [mu, 1.0]) == pytest.approx(gd_optimal_rate(kappa))


@pytest.mark.parametrize("kappa", [10, 100, 1000, 10000])
def test_01_steps_to_a_millionth_are_about_7_kappa(kappa):
    r = gd_optimal_rate(kappa)
    assert r == pytest.approx(1 - 2 / kappa, abs=2 / kappa**2 + 1e-12)
    steps = steps_to_tolerance(r, 1e-6)
    assert 6.8 <= steps / kappa <= 7.0
    assert steps == pytest.approx(kappa / 2 * np.log(1e6), rel=0.01)


@pytest.mark.parametrize("kappa", [100.0, 10_000.0])
def test_01_momentum_brings_the_cost_down_to_about_sqrt_kappa(kappa):
    """01: 'momentum with its best settings brings the cost down to about sqrt(kappa)'."""
    from lessons_lib import theory

    mu, big = 1.0 / kappa, 1.0
    lr, beta = theory.momentum_optimal(mu, big)
    r = theory.spectral_radius(lr, beta, [mu, big])
    assert r == pytest.approx((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1), rel=1e-6)
    steps = steps_to_tolerance(r, 1e-6)
    assert 6.8 <= steps / np.sqrt(kappa) <= 7.0  # the same 7 as gradient descent's 7 kappa


def test_01_regression_data_gives_a_narrow_valley():
    x, _ = gd.regression_data(n=40, seed=0)
    assert 0 <= x.min() and x.max() <= 3  # "inputs in [0, 3]"
    hessian = np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])
    mu, big = np.linalg.eigvalsh(hessian)
    assert round(big / mu) == 22  # "kappa ~ 22"
    assert 2 / big == pytest.approx(0.47, abs=0.006)  # "eta ~ 0.47 = 2/L"
    assert 9.5 < np.max(1 + x**2) < 10  # "curvature up to 1 + x_i^2, nearly 10"


def _diverged(learning_rate, batch_size, seeds=range(10), epochs=20):
    x, y = gd.regression_data()
    return [
        gd.minibatch_sgd(x, y, learning_rate, batch_size, epochs, seed=s).diverged_at.item() >= 0
        for s in seeds
    ]


def test_01_single_point_steps_diverge_below_the_full_batch_limit():
    x, y = gd.regression_data()
    objective = gd.regression_objective(x, y)
    assert run(SGD(learning_rate=0.4), objective, steps=200).diverged_at < 0
    assert all(_diverged(0.4, 1))  # every one of ten shuffles, within 20 epochs


@pytest.mark.parametrize("learning_rate", [0.4, 0.45, 0.47])
def test_01_batches_of_4_stay_stable_up_to_0_47(learning_rate):
    assert not any(_diverged(learning_rate, 4))


def _floor(learning_rate, batch_size, epochs=300, seeds=range(4)):
    """Mean excess loss over the second half of long runs: the noise floor."""
    x, y = gd.regression_data()
    objective = gd.regression_objective(x, y)
    best = objective(np.array(objective.minima[0]))
    values = []
    for s in seeds:
        losses = gd.minibatch_sgd(x, y, learning_rate, batch_size, epochs, seed=s).losses
        values.append(np.mean(losses[len(losses) // 2 :] - best))
    return float(np.mean(values))


def test_01_smaller_batches_or_larger_learning_rates_raise_the_noise_floor():
    by_batch = [_floor(0.1, b) for b in (1, 2, 4, 8)]
    assert all(a > b for a, b in zip(by_batch, by_batch[1:], strict=False)), by_batch
    assert _floor(0.2, 4) > _floor(0.1, 4) > _floor(0.05, 4)


def test_01_small_batches_get_further_per_epoch():
    x, y = gd.regression_data()
    objective = gd.regression_objective(x, y)
    best = objective(np.array(objective.minima[0]))
    full = run(SGD(learning_rate=0.1), objective, steps=10).losses[-1] - best
    mini = gd.minibatch_sgd(x, y, 0.1, 4, 10, seed=0).losses[-1] - best
    assert mini < full / 10


def test_01_exercise_1_3_fastest_of_the_four_is_1_5(capsys):
    """Recomputed from the closed form x_t = (1 - eta mu)^t x_0, y_t = (1 - eta L)^t y_0."""
    start = np.array([-9.0, 2.5])
    t = np.arange(0, 1000)[:, None]
    steps = {}
    for eta in checks.gradient_descent.RACE_RATES:
        factors = np.array([1 - eta * MU, 1 - eta * L])
        dist = np.linalg.norm(factors**t * start, axis=1)
        steps[eta] = int(np.argmax(dist < 1e-6 * dist[0]))
    assert min(steps, key=steps.get) == 1.5
    assert steps[1.0] > steps[1.5] and steps[1.9] > steps[1.5]
    assert 1 - 1.0 * L == 0  # "eta = 1.0 lands on the valley floor in a single step"
    assert checks.reveal_fastest_learning_rate(1.0) == 1.5
    printed = capsys.readouterr().out
    for eta, k in steps.items():
        assert re.search(rf"^\s*{eta:.1f}\s+\S+\s+{k}$", printed, flags=re.M)


# -------------------------------------------------------------------------- 02 the EWMA
def test_02_first_average_is_a_tenth_of_the_first_reading():
    from lessons_lib.interactive.ewma import noisy_series

    _, x = noisy_series(n=200, seed=0)
    assert round(x[0], 2) == 20.69 and round(ewma(x, 0.9)[0], 2) == 2.07


@pytest.mark.parametrize("beta", [0.9, 0.99, 0.999])
def test_02_share_of_weight_older_than_one_and_three_windows(beta):
    n = effective_window(beta)
    w = ewma_weights(beta, 20_000)[::-1]  # w[k]: the weight of the reading k steps old
    older = w[int(round(n)) :].sum() / w.sum()
    assert older == pytest.approx(beta**n, rel=1e-6)
    assert 0.34 < older < 0.37  # "about 37 %"
    assert 0.04 < w[int(round(3 * n)) :].sum() / w.sum() < 0.05  # "about e^-3 = 5 %"


def test_02_weight_one_window_back():
    for beta, want in ((0.5, 0.25), (0.9, 0.35), (0.999, 0.37)):
        assert beta ** effective_window(beta) == pytest.approx(want, abs=0.005)


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.99])
def test_02_lag_on_a_steady_trend_is_beta_over_one_minus_beta(beta):
    t = np.arange(1.0, 20_001.0)
    for corrected in (False, True):
        lag = t[-1] - ewma(t, beta, bias_correction=corrected)[-1]
        assert lag == pytest.approx(beta / (1 - beta), rel=1e-6)
    assert 0.9 / (1 - 0.9) == pytest.approx(9)


def test_02_start_up_shares():
    assert 1 - bias_correction(0.9, 1) == pytest.approx(0.9)  # m_1 is a tenth of c
    assert bias_correction(0.999, 1) == pytest.approx(0.001)  # a thousandth
    assert round(float(bias_correction(0.9, 5)), 2) == 0.41  # "41-65 %"
    assert round(float(bias_correction(0.9, 10)), 2) == 0.65
    assert round(float(bias_correction(0.9, 30)), 2) == 0.96  # "96 % at t = 30"


def test_02_uncorrected_adam_steps_are_too_long():
    t = np.arange(1, 20_001)
    ratio = bias_correction(0.9, t) / np.sqrt(bias_correction(0.999, t))
    assert 3.0 < ratio[0] < 3.3  # "about three times too long"
    assert ratio.max() > 6 and 10 <= t[ratio.argmax()] <= 14  # "more than six times near 12"
    assert t[ratio > 1.1].max() > 1000  # "more than 10 % too long for over a thousand steps"
    assert np.all(ratio >= 1 - 1e-12)  # never too short


def test_02_momentum_without_correction_never_lengthens_a_step():
    assert np.all(bias_correction(0.9, np.arange(1, 1000)) <= 1)


def test_02_dividing_by_one_minus_beta_inflates_by_10_late():
    t, beta = 200, 0.9
    assert (1 - beta**t) / (1 - beta) == pytest.approx(10, rel=1e-8)


def test_02_exercise_2_3_truth(capsys):
    shown = 1 - 0.99 ** np.arange(1, 1000)
    first = int(np.argmax(shown >= 0.95)) + 1
    assert first == 299 and first > 2 * effective_window(0.99)
    assert round(1 - 0.99**100, 3) == 0.634
    assert checks.reveal_steps_to_level(100, beta=0.99, level=0.95) == first
    assert f"step t = {first} " in capsys.readouterr().out


def _keras_default(module: str, cls: str, argument: str):
    """A default argument of a Keras optimizer, read from its source (no TensorFlow import)."""
    spec = importlib.util.find_spec("keras")  # finds the package without importing it
    if spec is None or spec.origin is None:
        pytest.skip("Keras is not installed (a core install): its defaults cannot be read")
    path = Path(spec.origin).parent / "src" / "optimizers" / f"{module}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    init = next(
        f
        for c in ast.walk(tree)
        if isinstance(c, ast.ClassDef) and c.name == cls
        for f in c.body
        if isinstance(f, ast.FunctionDef) and f.name == "__init__"
    )
    names = [a.arg for a in init.args.args][-len(init.args.defaults) :]
    return ast.literal_eval(init.args.defaults[names.index(argument)])


def test_02_table_of_usual_betas_is_keras():
    assert _keras_default("rmsprop", "RMSprop", "rho") == 0.9
    assert _keras_default("adam", "Adam", "beta_1") == 0.9
    assert _keras_default("adam", "Adam", "beta_2") == 0.999
    assert effective_window(0.999) == pytest.approx(1000)
