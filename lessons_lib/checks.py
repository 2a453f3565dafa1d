"""Exercise checks: compare a learner's function with the reference on odd inputs.

Every check prints exactly one line and returns True/False; it never raises, so a
notebook keeps running and nbval (and ``scripts/grade.py``) can read the verdict::

    PASSED exercise 6.1: ...
    FAILED exercise 6.1: <what looks wrong and what to do>
    NOT ATTEMPTED exercise 6.1: <the hint>

Odd hyperparameters (beta_1 = 0.8, beta_2 = 0.888, epsilon = 1e-2, ...) are what make
the classic mistakes visible; round defaults hide them. When the answer is wrong, the
check also runs known *wrong* variants of the formula and names the one the answer
matches ("epsilon is inside the square root", "no bias correction", ...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["check_against_reference", "Mistake"]

Mistake = tuple[str, Callable[..., Any]]  # (message, wrong implementation)


def _close(a: Any, b: Any, rtol: float, atol: float) -> bool:
    try:
        a_parts = a if isinstance(a, tuple) else (a,)
        b_parts = b if isinstance(b, tuple) else (b,)
        return len(a_parts) == len(b_parts) and all(
            np.shape(x) == np.shape(y) and np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True)
            for x, y in zip(a_parts, b_parts, strict=False)
        )
    except (TypeError, ValueError):
        return False


def _copy(args: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (np.array(v, dtype=float) if isinstance(v, np.ndarray) else v) for k, v in args.items()
    }


def check_against_reference(
    exercise: str,
    student: Callable[..., Any],
    reference: Callable[..., Any],
    cases: Sequence[dict[str, Any]],
    mistakes: Sequence[Mistake] = (),
    rtol: float = 1e-6,
    atol: float = 1e-9,
) -> bool:
    """Call ``student(**case)`` and ``reference(**case)`` for each case; print the verdict.

    A case is a dict of keyword arguments (arrays are copied, so an answer that modifies
    its inputs cannot spoil the next call). On a mismatch, each ``(message, wrong)`` in
    ``mistakes`` is tried and the first whose output matches the learner's is reported
    (NaN where the mistake gives NaN counts as matching: sqrt of a negative v, say).
    NumPy's floating-point warnings are silenced: the verdict says what went wrong.
    """
    with np.errstate(all="ignore"):
        return _verdict(exercise, student, reference, cases, mistakes, rtol, atol)


def _verdict(exercise, student, reference, cases, mistakes, rtol, atol) -> bool:
    for i, case in enumerate(cases, start=1):
        try:
            got = student(**_copy(case))
        except NotImplementedError as err:
            print(f"NOT ATTEMPTED exercise {exercise}: {err}")
            return False
        except Exception as err:  # the learner's code may fail in any way
            print(f"FAILED exercise {exercise}: case {i} raised {type(err).__name__}: {err}")
            return False
        want = reference(**_copy(case))
        if _close(got, want, rtol, atol):
            continue
        for message, wrong in mistakes:
            if _close(got, wrong(**_copy(case)), rtol, atol):
                print(f"FAILED exercise {exercise}: {message}")
                return False
        print(
            f"FAILED exercise {exercise}: case {i} ({_describe(case)}) "
            "does not match the reference; compare your code with the formula above"
        )
        return False
    print(f"PASSED exercise {exercise}: all {len(cases)} cases match the reference")
    return True


def _describe(case: dict[str, Any]) -> str:
    parts = [f"{k}={v:g}" for k, v in case.items() if isinstance(v, (int, float))]
    return ", ".join(parts) or "array inputs"


# Lesson-specific checks follow, one section per lesson. Add yours inside your lesson's
# section; keep each check a few lines that call check_against_reference.

# --- lesson 01: gradient descent -------------------------------------------------
_GD_CASES = [
    {"w": np.array([0.7, -1.3]), "g": np.array([2.5, -0.4]), "learning_rate": 0.37},
    {
        "w": np.array([[1.5, 0.2], [-0.4, 2.0]]),
        "g": np.array([[0.2, -1.1], [0.6, 0.0]]),
        "learning_rate": 0.013,
    },
    {"w": np.array([3.0]), "g": np.array([-7.0]), "learning_rate": 1.7},
]


def _gd_reference(w, g, learning_rate):
    from .optimizers import SGD

    return SGD(learning_rate).step(w, g)


def check_gd_step(gd_step: Callable[..., Any]) -> bool:
    """Exercise 1.1: ``gd_step(w, g, learning_rate) -> w - learning_rate * g``."""
    mistakes = [
        (
            "sign error: you stepped uphill; gradient descent moves against the gradient, "
            "w - learning_rate * g",
            lambda w, g, learning_rate: w + learning_rate * g,
        ),
        (
            "the learning rate is missing: the step is learning_rate * g, not g",
            lambda w, g, learning_rate: w - g,
        ),
        (
            "you returned the step, not the new point: return w - learning_rate * g",
            lambda w, g, learning_rate: -learning_rate * g,
        ),
        (
            "you divided by the learning rate; multiply: w - learning_rate * g",
            lambda w, g, learning_rate: w - g / learning_rate,
        ),
    ]
    return check_against_reference("1.1", gd_step, _gd_reference, _GD_CASES, mistakes)


_STABLE_CASES = [
    {"eigenvalues": np.array([0.3, 2.5, 1.1])},
    {"eigenvalues": np.array([4.0])},
    {"eigenvalues": np.array([0.07, 0.05, 0.9, 0.13])},
]


def check_max_stable_lr(max_stable_lr: Callable[..., Any]) -> bool:
    """Exercise 1.2: ``max_stable_lr(eigenvalues) -> 2 / max(eigenvalues)``, the learning
    rate above which gradient descent diverges on a quadratic with these curvatures."""
    mistakes = [
        (
            "1 / L is a good learning rate, but not the limit: along the steepest direction "
            "the factor |1 - lr * L| stays below 1 up to lr = 2 / L",
            lambda eigenvalues: 1 / np.max(eigenvalues),
        ),
        (
            "the smallest curvature sets how slow the run is; the largest one sets the limit: "
            "2 / max(eigenvalues)",
            lambda eigenvalues: 2 / np.min(eigenvalues),
        ),
        (
            "2 / (L + mu) is the best learning rate, not the largest stable one (2 / L)",
            lambda eigenvalues: 2 / (np.max(eigenvalues) + np.min(eigenvalues)),
        ),
        (
            "use the largest single curvature, not the sum: 2 / max(eigenvalues)",
            lambda eigenvalues: 2 / np.sum(eigenvalues),
        ),
    ]
    return check_against_reference(
        "1.2",
        max_stable_lr,
        lambda eigenvalues: 2 / np.max(eigenvalues),
        _STABLE_CASES,
        mistakes,
    )


# --- lesson 02: EWMA and bias correction -----------------------------------------
_EWMA_CASES = [
    {"x": np.array([5.0, 6.5, 4.0, 7.25, 6.0, 5.5]), "beta": 0.83},
    {"x": np.array([-2.0, 1.0, 3.5, -0.5]), "beta": 0.5},
    {"x": np.array([10.0, 9.0, 11.5, 10.5, 8.0, 12.0, 9.5, 10.0, 11.0]), "beta": 0.97},
]


def _ewma_loop(x, beta, weight_old, weight_new, power_shift=0, correct_state=False):
    """An EWMA written as a loop, with knobs that reproduce the classic mistakes
    (``power_shift=None``: no bias correction)."""
    out, v = [], 0.0
    with np.errstate(all="ignore"):
        for t, xt in enumerate(np.asarray(x, dtype=float), start=1):
            v = weight_old * v + weight_new * xt
            corrected = v if power_shift is None else v / (1 - beta ** (t + power_shift))
            if correct_state:
                v = corrected
            out.append(corrected)
    return np.array(out)


def _ewma_reference(x, beta):
    from .ewma import ewma

    return ewma(x, beta, bias_correction=True)


def check_ewma_corrected(ewma_corrected: Callable[..., Any]) -> bool:
    """Exercise 2.1: ``ewma_corrected(x, beta)``: v_t = beta*v_{t-1} + (1-beta)*x_t with
    v_0 = 0, returned divided by 1 - beta**t (t = 1, 2, ...), one value per point."""
    mistakes = [
        (
            "no bias correction: divide each v_t by 1 - beta**t (the early values are "
            "pulled towards 0)",
            lambda x, beta: _ewma_loop(x, beta, beta, 1 - beta, power_shift=None),
        ),
        (
            "wrong power: divide v_t by 1 - beta**t with t counted from 1 (the first "
            "average is divided by 1 - beta); you used beta**(t-1), i.e. t counted from 0",
            lambda x, beta: _ewma_loop(x, beta, beta, 1 - beta, power_shift=-1),
        ),
        (
            "wrong power: divide v_t by 1 - beta**t with t counted from 1; you used beta**(t+1)",
            lambda x, beta: _ewma_loop(x, beta, beta, 1 - beta, power_shift=1),
        ),
        (
            "the correction went into the running average itself; keep v_t uncorrected "
            "and divide only the value you return",
            lambda x, beta: _ewma_loop(x, beta, beta, 1 - beta, correct_state=True),
        ),
        (
            "beta and 1 - beta are swapped: v_t = beta * v_{t-1} + (1 - beta) * x_t "
            "(beta weighs the past)",
            lambda x, beta: _ewma_loop(x, beta, 1 - beta, beta),
        ),
        (
            "the factor (1 - beta) on x_t is missing: v_t = beta * v_{t-1} + (1 - beta) * x_t",
            lambda x, beta: _ewma_loop(x, beta, beta, 1.0),
        ),
    ]
    return check_against_reference("2.1", ewma_corrected, _ewma_reference, _EWMA_CASES, mistakes)


# --- lesson 03: momentum ---------------------------------------------------------
_MOMENTUM_CASES = [
    {
        "w": np.array([0.7, -1.3]),
        "v": np.array([0.4, 0.25]),
        "g": np.array([0.9, -0.35]),
        "learning_rate": 0.37,
        "beta": 0.81,
    },
    {
        "w": np.array([[1.5, 0.2], [-0.4, 2.0]]),
        "v": np.array([[-0.3, 0.1], [0.05, -0.6]]),
        "g": np.array([[0.2, -1.1], [0.6, 0.0]]),
        "learning_rate": 0.05,
        "beta": 0.63,
    },
    {
        "w": np.array([2.0, -2.0]),
        "v": np.zeros(2),
        "g": np.array([1.5, 0.5]),
        "learning_rate": 1.3,
        "beta": 0.93,
    },
]


def _momentum_reference(w, v, g, learning_rate, beta):
    from .optimizers import EWMAMomentum

    opt = EWMAMomentum(learning_rate, beta)
    opt.state["velocity"] = np.array(v, dtype=float)
    return opt.step(w, g), opt.state["velocity"]


def _classical_unscaled(w, v, g, learning_rate, beta):
    v_new = beta * v - learning_rate * g
    return w + v_new, v_new


def _ewma_variant(weight_old, weight_new, sign=-1.0, use_old=False):
    def wrong(w, v, g, learning_rate, beta):
        v_new = weight_old(beta) * v + weight_new(beta) * g
        return w + sign * learning_rate * (v if use_old else v_new), v_new

    return wrong


def check_momentum_step(momentum_step: Callable[..., Any]) -> bool:
    """Exercise 3.1: ``momentum_step(w, v, g, learning_rate, beta) -> (w, v)`` in the EWMA
    form: v <- beta*v + (1-beta)*g; w <- w - learning_rate*v."""
    same, rest = (lambda b: b), (lambda b: 1 - b)
    mistakes = [
        (
            "this is the classical form (v = beta*v - learning_rate*g, w = w + v): with the "
            "same learning rate its steps are 1/(1-beta) times longer. In the EWMA form v is "
            "an average gradient: v = beta*v + (1-beta)*g, w = w - learning_rate*v",
            _classical_unscaled,
        ),
        (
            "the factor (1 - beta) is missing: v = beta*v + g sums gradients instead of "
            "averaging them, so every step is 1/(1-beta) times too long",
            _ewma_variant(same, lambda b: 1.0),
        ),
        (
            "sign error: the step goes against the average gradient, w - learning_rate * v",
            _ewma_variant(same, rest, sign=1.0),
        ),
        (
            "the step used the old velocity; update v first, then w = w - learning_rate * v "
            "with the new v",
            _ewma_variant(same, rest, use_old=True),
        ),
        (
            "beta and 1 - beta are swapped: beta weighs the old velocity, v = beta*v + (1-beta)*g",
            _ewma_variant(rest, same),
        ),
    ]
    return check_against_reference(
        "3.1", momentum_step, _momentum_reference, _MOMENTUM_CASES, mistakes
    )


_OPTIMAL_CASES = [
    {"mu": 0.13, "L": 2.9},
    {"mu": 0.5, "L": 0.7},
    {"mu": 0.01, "L": 1.0},
]


def _optimal_reference(mu, L):
    from .theory import momentum_optimal

    return momentum_optimal(mu, L)


def check_optimal_momentum(optimal_momentum: Callable[..., Any]) -> bool:
    """Exercise 3.2: ``optimal_momentum(mu, L) -> (learning_rate, beta)``, Polyak's best
    heavy-ball step (classical form) and momentum for curvatures in [mu, L]."""

    def variant(lr_rule, beta_rule):
        def wrong(mu, L):
            s = np.sqrt(L / mu)
            return lr_rule(mu, L, s), beta_rule(mu, L, s)

        return wrong

    def best_lr(mu, L, s):
        return 4 / (np.sqrt(L) + np.sqrt(mu)) ** 2

    def best_beta(mu, L, s):
        return ((s - 1) / (s + 1)) ** 2

    mistakes = [
        (
            "beta is the rate squared: beta = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))**2; "
            "you returned the rate itself",
            variant(best_lr, lambda mu, L, s: (s - 1) / (s + 1)),
        ),
        (
            "beta uses the square root of kappa: ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))**2",
            variant(best_lr, lambda mu, L, s: ((s * s - 1) / (s * s + 1)) ** 2),
        ),
        (
            "2 / (L + mu) is gradient descent's best step; with momentum it is "
            "4 / (sqrt(L) + sqrt(mu))**2",
            variant(lambda mu, L, s: 2 / (L + mu), best_beta),
        ),
        (
            "the learning rate needs square roots: 4 / (sqrt(L) + sqrt(mu))**2",
            variant(lambda mu, L, s: 4 / (L + mu), best_beta),
        ),
        (
            "that is the EWMA form's learning rate (divided by 1 - beta); this exercise "
            "asks for the classical form's, 4 / (sqrt(L) + sqrt(mu))**2",
            variant(lambda mu, L, s: best_lr(mu, L, s) / (1 - best_beta(mu, L, s)), best_beta),
        ),
    ]
    return check_against_reference(
        "3.2", optimal_momentum, _optimal_reference, _OPTIMAL_CASES, mistakes
    )


# --- lesson 04: Nesterov ---------------------------------------------------------
def _wavy_grad(p: Any) -> np.ndarray:
    """Gradient of f = x^2/2 + y^2 + 0.6 sin(2x + y): curved enough that *where* the
    gradient is taken changes the answer."""
    p = np.asarray(p, dtype=float)
    x, y = p[..., 0], p[..., 1]
    c = np.cos(2 * x + y)
    return np.stack([x + 1.2 * c, 2 * y + 0.6 * c], axis=-1)


_NESTEROV_CASES = [
    {
        "w": np.array([0.7, -1.3]),
        "v": np.array([0.4, 0.25]),
        "learning_rate": 0.07,
        "momentum": 0.83,
    },
    {
        "w": np.array([[1.5, 0.2], [-0.4, 2.0]]),
        "v": np.array([[-0.3, 0.1], [0.05, -0.6]]),
        "learning_rate": 0.3,
        "momentum": 0.55,
    },
    {"w": np.array([2.0, -2.0]), "v": np.zeros(2), "learning_rate": 0.01, "momentum": 0.95},
]


def _nesterov_reference(w, v, grad_fn, learning_rate, momentum):
    from .optimizers import LookaheadNesterov

    opt = LookaheadNesterov(learning_rate, momentum)
    opt.state["velocity"] = np.array(v, dtype=float)
    return opt.step(w, grad_fn), opt.state["velocity"]


def _lookahead_variant(
    lookahead_sign: float, grad_sign: float, keras_mix: bool = False, keep_momentum: bool = True
):
    @np.errstate(all="ignore")
    def wrong(w, v, grad_fn, learning_rate, momentum):
        g = grad_fn(w + lookahead_sign * momentum * v)
        v_new = (momentum * v if keep_momentum else 0.0) - grad_sign * learning_rate * g
        return (w + momentum * v_new - learning_rate * g if keras_mix else w + v_new), v_new

    return wrong


def check_nesterov_step(nesterov_step: Callable[..., Any]) -> bool:
    """Exercise 4.1: ``nesterov_step(w, v, grad_fn, learning_rate, momentum) -> (w, v)``,
    the look-ahead form: v <- momentum*v - lr*grad_fn(w + momentum*v); w <- w + v."""
    cases = [{**c, "grad_fn": _wavy_grad} for c in _NESTEROV_CASES]
    mistakes = [
        (
            "the gradient was taken at w; Nesterov takes it at the look-ahead point "
            "w + momentum * v (what you wrote is classical momentum)",
            _lookahead_variant(0.0, 1.0),
        ),
        (
            "the look-ahead point has the wrong sign: look ahead to w + momentum * v, "
            "where the velocity is taking you",
            _lookahead_variant(-1.0, 1.0),
        ),
        (
            "sign error: the velocity must move against the gradient, "
            "v = momentum * v - learning_rate * g",
            _lookahead_variant(1.0, -1.0),
        ),
        (
            "the old velocity is missing: v = momentum * v - learning_rate * g keeps momentum * v",
            _lookahead_variant(1.0, 1.0, keep_momentum=False),
        ),
        (
            "you mixed the two forms: with the look-ahead gradient the update is simply "
            "w + v (w + momentum * v - lr * g belongs to the Keras form of exercise 4.2)",
            _lookahead_variant(1.0, 1.0, keras_mix=True),
        ),
    ]
    return check_against_reference("4.1", nesterov_step, _nesterov_reference, cases, mistakes)


_KERAS_NESTEROV_CASES = [
    {
        "w": np.array([0.7, -1.3]),
        "v": np.array([0.4, 0.25]),
        "g": np.array([0.9, -0.35]),
        "learning_rate": 0.07,
        "momentum": 0.83,
    },
    {
        "w": np.array([[1.5, 0.2], [-0.4, 2.0]]),
        "v": np.array([[-0.3, 0.1], [0.05, -0.6]]),
        "g": np.array([[0.2, -1.1], [0.6, 0.0]]),
        "learning_rate": 0.3,
        "momentum": 0.55,
    },
]


def _keras_nesterov_reference(w, v, g, learning_rate, momentum):
    from .optimizers import SGD

    opt = SGD(learning_rate, momentum, nesterov=True)
    opt.state["velocity"] = np.array(v, dtype=float)
    return opt.step(w, g), opt.state["velocity"]


def check_keras_nesterov_step(keras_nesterov_step: Callable[..., Any]) -> bool:
    """Exercise 4.2: ``keras_nesterov_step(w, v, g, learning_rate, momentum) -> (w, v)``,
    Keras' form: v <- momentum*v - lr*g; w <- w + momentum*v - lr*g (new v)."""

    def classical(w, v, g, learning_rate, momentum):
        v_new = momentum * v - learning_rate * g
        return w + v_new, v_new

    def no_gradient_term(w, v, g, learning_rate, momentum):
        v_new = momentum * v - learning_rate * g
        return w + momentum * v_new, v_new

    def sign(w, v, g, learning_rate, momentum):
        v_new = momentum * v + learning_rate * g
        return w + momentum * v_new + learning_rate * g, v_new

    mistakes = [
        (
            "w + v is classical momentum; Keras' Nesterov adds momentum * v_new - "
            "learning_rate * g (the new velocity, one more look ahead)",
            classical,
        ),
        (
            "the update lacks its gradient term: w + momentum * v_new - learning_rate * g "
            "(momentum * v_new alone only looks ahead)",
            no_gradient_term,
        ),
        ("sign error: both the velocity and the update move against the gradient", sign),
    ]
    return check_against_reference(
        "4.2", keras_nesterov_step, _keras_nesterov_reference, _KERAS_NESTEROV_CASES, mistakes
    )


# --- lesson 05: AdaGrad and RMSProp -----------------------------------------------
# Odd values on purpose: epsilon = 1e-2 and small gradients make the place of epsilon
# visible; rho = 0.77 catches a swapped rho / (1 - rho).
_RMSPROP_CASES = [
    {
        "w": np.array([0.5, -1.2, 2.0]),
        "s": np.array([0.04, 0.3, 0.001]),
        "g": np.array([0.1, -0.5, 0.02]),
        "learning_rate": 0.03,
        "rho": 0.77,
        "epsilon": 1e-2,
    },
    {
        "w": np.array([[1.0, -1.0], [0.25, 3.0]]),
        "s": np.array([[0.5, 0.02], [0.0, 0.2]]),
        "g": np.array([[-0.3, 0.004], [0.0, 1.5]]),
        "learning_rate": 0.1,
        "rho": 0.9,
        "epsilon": 1e-7,
    },
]


def _rmsprop_reference(w, s, g, learning_rate, rho, epsilon):
    from .optimizers import RMSprop

    opt = RMSprop(learning_rate, rho, epsilon=epsilon)
    opt.state["velocity"] = np.array(s, dtype=float)
    return opt.step(w, g), opt.state["velocity"]


def _rmsprop_variant(*, eps_outside=False, swap=False, no_one_minus=False, old_s=False, sign=1.0):
    @np.errstate(all="ignore")
    def wrong(w, s, g, learning_rate, rho, epsilon):
        if swap:
            s_new = (1 - rho) * s + rho * g * g
        elif no_one_minus:
            s_new = rho * s + g * g
        else:
            s_new = rho * s + (1 - rho) * g * g
        d = s if old_s else s_new
        root = np.sqrt(d) + epsilon if eps_outside else np.sqrt(d + epsilon)
        return w - sign * learning_rate * g / root, s_new

    return wrong


_EPS_OUTSIDE = (
    "epsilon is outside the square root (PyTorch's convention); this exercise follows "
    "Keras: divide by sqrt(s + epsilon)"
)
_NO_EPS = (
    "epsilon is missing: divide by sqrt(s + epsilon), or a coordinate whose gradient "
    "has always been 0 gives 0/0 = NaN"
)


def check_rmsprop_step(rmsprop_step: Callable[..., Any]) -> bool:
    """Exercise 5.1: ``rmsprop_step(w, s, g, learning_rate, rho, epsilon) -> (w, s)``,
    Keras' RMSprop: s <- rho*s + (1-rho)*g^2; w <- w - lr*g/sqrt(s + epsilon)."""
    from .pitfalls import rmsprop_step_no_eps

    mistakes = [
        (_EPS_OUTSIDE, _rmsprop_variant(eps_outside=True)),
        (_NO_EPS, rmsprop_step_no_eps),
        (
            "rho and 1 - rho are swapped: the old average keeps the weight rho, "
            "s = rho * s + (1 - rho) * g**2",
            _rmsprop_variant(swap=True),
        ),
        (
            "the factor (1 - rho) on g**2 is missing: s = rho * s + (1 - rho) * g**2",
            _rmsprop_variant(no_one_minus=True),
        ),
        (
            "the step used the old s; update s first, then divide by sqrt(s_new + epsilon)",
            _rmsprop_variant(old_s=True),
        ),
        (
            "sign error: step against the gradient, w - learning_rate * g / ...",
            _rmsprop_variant(sign=-1.0),
        ),
    ]
    return check_against_reference(
        "5.1", rmsprop_step, _rmsprop_reference, _RMSPROP_CASES, mistakes
    )


def _adagrad_reference(w, s, g, learning_rate, epsilon):
    from .optimizers import Adagrad

    opt = Adagrad(learning_rate, epsilon=epsilon)
    opt.state["accumulator"] = np.array(s, dtype=float)
    return opt.step(w, g), opt.state["accumulator"]


def _adagrad_variant(*, eps_outside=False, average=False, old_s=False, sign=1.0):
    @np.errstate(all="ignore")
    def wrong(w, s, g, learning_rate, epsilon):
        s_new = 0.9 * s + 0.1 * g * g if average else s + g * g
        d = s if old_s else s_new
        root = np.sqrt(d) + epsilon if eps_outside else np.sqrt(d + epsilon)
        return w - sign * learning_rate * g / root, s_new

    return wrong


def check_adagrad_step(adagrad_step: Callable[..., Any]) -> bool:
    """Exercise 5.2: ``adagrad_step(w, s, g, learning_rate, epsilon) -> (w, s)``,
    Keras' Adagrad: s <- s + g^2; w <- w - lr*g/sqrt(s + epsilon)."""
    from .pitfalls import adagrad_step_no_eps

    cases = [{k: v for k, v in c.items() if k != "rho"} for c in _RMSPROP_CASES]
    mistakes = [
        (_EPS_OUTSIDE, _adagrad_variant(eps_outside=True)),
        (_NO_EPS, adagrad_step_no_eps),
        (
            "s must be the running SUM of squared gradients (AdaGrad never forgets); "
            "a moving average is RMSProp",
            _adagrad_variant(average=True),
        ),
        (
            "the step used the old s; add g**2 first, then divide by sqrt(s_new + epsilon)",
            _adagrad_variant(old_s=True),
        ),
        (
            "sign error: step against the gradient, w - learning_rate * g / ...",
            _adagrad_variant(sign=-1.0),
        ),
    ]
    return check_against_reference("5.2", adagrad_step, _adagrad_reference, cases, mistakes)


# --- lesson 06: Adam --------------------------------------------------------------
# The odd values of deeplearning.ai's assignment: beta_1 = 0.8, beta_2 = 0.888,
# epsilon = 1e-2, t = 2. With them every classic slip changes the answer.
_ADAM_CASES = [
    {
        "w": np.array([0.5, -1.2, 2.0]),
        "m": np.array([0.05, -0.1, 0.3]),
        "v": np.array([0.002, 0.03, 0.01]),
        "g": np.array([0.2, -0.6, 0.05]),
        "t": 2,
        "learning_rate": 0.01,
        "beta_1": 0.8,
        "beta_2": 0.888,
        "epsilon": 1e-2,
    },
    {
        "w": np.array([[1.0, -2.0], [0.3, 0.0]]),
        "m": np.zeros((2, 2)),
        "v": np.zeros((2, 2)),
        "g": np.array([[0.4, -0.02], [1.5, 0.0]]),
        "t": 1,
        "learning_rate": 0.1,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-8,
    },
    {
        "w": np.array([3.0, -0.5]),
        "m": np.array([0.2, 0.01]),
        "v": np.array([0.05, 1e-4]),
        "g": np.array([-0.1, 0.03]),
        "t": 7,
        "learning_rate": 0.003,
        "beta_1": 0.7,
        "beta_2": 0.95,
        "epsilon": 1e-3,
    },
]


def _adam_reference(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon):
    from .optimizers import Adam

    opt = Adam(learning_rate, beta_1, beta_2, epsilon, epsilon_mode="paper")
    opt.state.update(m=np.array(m, dtype=float), v=np.array(v, dtype=float))
    opt.iterations = t - 1  # step() counts this step as t
    return opt.step(w, g), opt.state["m"], opt.state["v"]


def _adam_variant(
    *,
    sign=1.0,
    t_shift=0,
    keras_eps=False,
    return_hat=False,
    beta_2_fixed=None,
    v_of_g=False,
    correct_m=True,
    correct_v=True,
):
    @np.errstate(all="ignore")
    def wrong(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon):
        b2 = beta_2 if beta_2_fixed is None else beta_2_fixed
        m = beta_1 * m + (1 - beta_1) * g
        v = b2 * v + (1 - b2) * (g if v_of_g else g * g)
        tt = t + t_shift
        if keras_eps:
            alpha = learning_rate * np.sqrt(1 - b2**tt) / (1 - beta_1**tt)
            return w - alpha * m / (np.sqrt(v) + epsilon), m, v
        m_hat = m / (1 - beta_1**tt) if correct_m else m
        v_hat = v / (1 - b2**tt) if correct_v else v
        w_new = w - sign * learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)
        return (w_new, m_hat, v_hat) if return_hat else (w_new, m, v)

    return wrong


def check_adam_step(adam_step: Callable[..., Any]) -> bool:
    """Exercise 6.1: ``adam_step(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon)
    -> (w, m, v)``, Algorithm 1 of Kingma & Ba (epsilon added to sqrt(v_hat))."""
    from . import pitfalls as P

    mistakes = [
        (
            "epsilon is inside the square root; Adam adds it outside: "
            "m_hat / (sqrt(v_hat) + epsilon)",
            P.adam_step_eps_inside_sqrt,
        ),
        (
            "no bias correction: divide m by (1 - beta_1**t) and v by (1 - beta_2**t) "
            "before the update",
            P.adam_step_no_bias_correction,
        ),
        (
            "no bias correction and epsilon inside the square root: that is a different "
            "algorithm from the paper's",
            P.adam_step_no_correction_eps_inside,
        ),
        (
            "only m is bias-corrected; v_hat = v / (1 - beta_2**t) too",
            _adam_variant(correct_v=False),
        ),
        (
            "only v is bias-corrected; m_hat = m / (1 - beta_1**t) too",
            _adam_variant(correct_m=False),
        ),
        (
            "beta_2 = 0.99 is hard-coded; use the beta_2 argument (the paper's default "
            "is 0.999, not 0.99)",
            P.adam_step_beta2_099,
        ),
        (
            "beta_2 = 0.999 is hard-coded; use the beta_2 argument",
            _adam_variant(beta_2_fixed=0.999),
        ),
        (
            "sign error: step against the gradient, w - learning_rate * m_hat / ...",
            _adam_variant(sign=-1.0),
        ),
        (
            "this is Keras' epsilon-hat form (epsilon added to the uncorrected sqrt(v)); "
            "the exercise asks for the paper's m_hat / (sqrt(v_hat) + epsilon)",
            _adam_variant(keras_eps=True),
        ),
        (
            "the bias correction used the wrong t: t counts from 1, so the first step "
            "divides by 1 - beta**1",
            _adam_variant(t_shift=1),
        ),
        (
            "the bias correction used the wrong t: t counts from 1, so the first step "
            "divides by 1 - beta**1",
            _adam_variant(t_shift=-1),
        ),
        (
            "you returned m_hat and v_hat as the new state; keep the raw m and v "
            "(bias correction is applied afresh at every step)",
            _adam_variant(return_hat=True),
        ),
        (
            "v must average the SQUARED gradient: v = beta_2 * v + (1 - beta_2) * g**2",
            _adam_variant(v_of_g=True),
        ),
        (
            "epsilon divides the step (lr / sqrt(v) * m / sqrt(epsilon)) and nothing is "
            "bias-corrected; epsilon belongs in the denominator, added to sqrt(v_hat)",
            P.adam_step_divides_by_sqrt_eps,
        ),
    ]
    return check_against_reference("6.1", adam_step, _adam_reference, _ADAM_CASES, mistakes)


def check_keras_epsilon(keras_epsilon: Callable[..., Any]) -> bool:
    """Exercise 6.2: ``keras_epsilon(epsilon, beta_2, t)``, the epsilon-hat that makes
    Keras' Adam step equal the paper's at step t: epsilon * sqrt(1 - beta_2**t)."""
    cases = [
        {"epsilon": 1e-2, "beta_2": 0.888, "t": 2},
        {"epsilon": 1e-8, "beta_2": 0.999, "t": 1},
        {"epsilon": 3e-4, "beta_2": 0.95, "t": 40},
    ]

    def reference(epsilon, beta_2, t):
        return epsilon * np.sqrt(1 - beta_2**t)

    mistakes = [
        (
            "the square root is missing: v_hat = v / (1 - beta_2**t), so "
            "sqrt(v_hat) carries sqrt(1 - beta_2**t)",
            lambda epsilon, beta_2, t: epsilon * (1 - beta_2**t),
        ),
        (
            "upside down: Keras' epsilon-hat is smaller than the paper's epsilon early on, "
            "epsilon * sqrt(1 - beta_2**t)",
            lambda epsilon, beta_2, t: epsilon / np.sqrt(1 - beta_2**t),
        ),
        (
            "the bias correction of m plays no part here; only v's correction moves epsilon",
            lambda epsilon, beta_2, t: epsilon * np.sqrt(1 - beta_2**t) / (1 - 0.9**t),
        ),
    ]
    return check_against_reference("6.2", keras_epsilon, reference, cases, mistakes)


# --- lesson 07: optimizer race ----------------------------------------------------
_REACH_CASES = [
    {"losses": np.array([5.0, 3.0, 1.5, 0.9, 0.4]), "target": 1.0},
    {"losses": np.array([4.0, 1.0, 1.0, 0.5]), "target": 1.0},
    {"losses": np.array([3.0, 2.5, 2.2, 2.1]), "target": 1.0},
    {"losses": np.array([2.0, 1.5, np.nan, np.nan]), "target": 1.0},
    {"losses": np.array([0.5, 0.2, 0.1]), "target": 1.0},
]


def _first(hits: np.ndarray, shift: int = 0) -> int:
    found = np.flatnonzero(hits)
    return int(found[0]) + shift if found.size else -1


def check_steps_to_reach(steps_to_reach: Callable[..., Any]) -> bool:
    """Exercise 7.1: ``steps_to_reach(losses, target) -> int``, the first step k with
    ``losses[k] <= target``, or -1 if the run never gets there (NaN never does)."""

    def reference(losses, target):
        return _first(np.asarray(losses) <= target)

    mistakes = [
        (
            "off by one: losses[0] is the loss at the start (step 0), so the answer is "
            "the index itself",
            lambda losses, target: _first(losses <= target, 1),
        ),
        (
            "a loss equal to the target counts as reached: use <=, not <",
            lambda losses, target: _first(losses < target),
        ),
        (
            "when the target is never reached you returned 0 (np.argmax of an all-False "
            "array is 0); return -1",
            lambda losses, target: int(np.argmax(losses <= target)),
        ),
        (
            "a diverged run (NaN loss) counted as reaching the target; NaN never reaches anything",
            lambda losses, target: _first(~(losses > target)),
        ),
    ]
    return check_against_reference("7.1", steps_to_reach, reference, _REACH_CASES, mistakes)
