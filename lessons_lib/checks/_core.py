"""What every exercise check shares: compare a learner's function with the reference.

A case is a dict of keyword arguments; the learner's function and the reference are called
on each, and on a mismatch the known wrong variants ("mistakes") are tried so the verdict
can name the error. See ``lessons_lib.checks`` for the verdict lines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "ATOL",
    "Mistake",
    "RTOL",
    "check_against_reference",
    "check_prediction",
    "choice_problem",
    "committed_prediction",
    "number_problem",
]

Mistake = tuple[str, Callable[..., Any]]  # (message, wrong implementation)
RTOL, ATOL = 1e-5, 1e-7  # justified in check_against_reference's docstring


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
    rtol: float = RTOL,
    atol: float = ATOL,
) -> bool:
    """Call ``student(**case)`` and ``reference(**case)`` for each case; print the verdict.

    A case is a dict of keyword arguments (arrays are copied, so an answer that modifies
    its inputs cannot spoil the next call). On a mismatch, each ``(message, wrong)`` in
    ``mistakes`` is tried and the first whose output matches the learner's is reported
    (NaN where the mistake gives NaN counts as matching: sqrt of a negative v, say).
    NumPy's floating-point warnings are silenced: the verdict says what went wrong.

    Values match when ``|got - want| <= atol + rtol * |want|`` elementwise (``np.allclose``),
    with the same shape and the same number of returned parts. The defaults, rtol = 1e-5
    and atol = 1e-7, sit between two measured distances:

    * equal answers must pass: any rearrangement of the algebra in float64 differs from
      the reference by a few units of 1e-16; the whole reference computed in float32
      (inputs and arithmetic) stays within a quarter of the band on every case of every
      check (worst: Adam 6.1, 0.24 band-widths);
    * named mistakes must fail: on at least one case each one is at least 149 band-widths
      away from the reference (nearest: Keras' epsilon-hat form of Adam in 6.1).

    ``tests/test_grader_tolerance.py`` recomputes both distances for every check, so a new
    check whose mistakes the band would hide fails there.
    """
    with np.errstate(all="ignore"):
        return _verdict(exercise, student, reference, cases, mistakes, rtol, atol)


_FAILED = object()  # what attempt() returns when the learner's code did not give a value


def attempt(exercise: str, call: Callable[[], Any], what: str) -> Any:
    """``call()``, the learner's code; if it raises, print the verdict and return
    :data:`_FAILED`: NOT ATTEMPTED for the stub's NotImplementedError, else FAILED with
    ``what`` ("case 2", "your prediction") and the error."""
    try:
        return call()
    except NotImplementedError as err:
        print(f"NOT ATTEMPTED exercise {exercise}: {err}")
    except Exception as err:  # the learner's code may fail in any way
        print(f"FAILED exercise {exercise}: {what} raised {type(err).__name__}: {err}")
    return _FAILED


def _verdict(exercise, student, reference, cases, mistakes, rtol, atol) -> bool:
    for i, case in enumerate(cases, start=1):
        got = attempt(exercise, lambda case=case: student(**_copy(case)), f"case {i}")
        if got is _FAILED:
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


# --------------------------------------------------------------------------- predictions
_COMMITTED = "prediction committed; the next cell shows what actually happens"


def _value(predict: Any) -> Any:
    """The learner's prediction: ``predict()`` if it is callable, else ``predict``."""
    return predict() if callable(predict) else predict


def check_prediction(exercise: str, predict: Any, problem: Callable[[Any], str]) -> bool:
    """A predict-then-verify exercise: PASSED once a valid prediction is committed.

    ``predict`` is the learner's answer or a function returning it; ``problem(value)``
    returns "" for a valid answer, else what a valid one is and what was given (as
    :func:`number_problem` and :func:`choice_problem` do). Right or wrong, a valid
    prediction passes with the same line: the cell after the check shows the truth, and
    being surprised there is the point of the exercise. A stub that raises
    NotImplementedError is NOT ATTEMPTED.
    """
    value = attempt(exercise, lambda: _value(predict), "your prediction")
    if value is _FAILED:
        return False
    why = problem(value)
    if why:
        print(f"FAILED exercise {exercise}: return {why}")
        return False
    print(f"PASSED exercise {exercise}: {_COMMITTED}")
    return True


def committed_prediction(prediction: Any, problem: Callable[[Any], str], wanted: str) -> Any:
    """A reveal cell's input: the variable ``prediction`` the learner set in the cell above.

    Returns it once it is valid (``problem`` as for :func:`check_prediction`); else prints
    what to set (``wanted``, e.g. "a number of steps") and returns None, so the truth stays
    hidden until a valid prediction is committed.
    """
    again = "then run this cell again."
    if prediction is None:
        print(f"No prediction committed yet: set prediction in the cell above to {wanted}, {again}")
        return None
    why = problem(prediction)
    if why:
        print(f"Your prediction should be {why}: set it in the cell above, {again}")
        return None
    return prediction


def number_problem(value: Any, what: str, *, positive: bool = False) -> str:
    """Empty if ``value`` is one finite number >= 0 (> 0 if ``positive``), else what a
    valid answer is and what ``value`` is."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        return f"one number ({what}), not {type(value).__name__} {value!r}"
    if not np.isfinite(value) or value < 0 or (positive and value == 0):
        return f"a number {'> 0' if positive else '>= 0'} ({what}), not {value!r}"
    return ""


def choice_problem(value: Any, choices: Sequence[Any]) -> str:
    """Empty if ``value`` is one of ``choices``, else what a valid answer is and what
    ``value`` is. Strings match with case and surrounding spaces ignored, numbers to
    rounding (``np.isclose``); a string never matches a number or the reverse."""
    names = ", ".join(repr(c) for c in choices)
    if isinstance(value, str):
        ok = value.strip().lower() in {c.lower() for c in choices if isinstance(c, str)}
    elif isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_)):
        ok = any(np.isclose(value, c) for c in choices if not isinstance(c, str))
    else:
        ok = False
    kind = "a string" if all(isinstance(c, str) for c in choices) else "a number"
    return "" if ok else f"one of {names} ({kind}), not {value!r}"
