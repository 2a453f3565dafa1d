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
            np.shape(x) == np.shape(y) and np.allclose(x, y, rtol=rtol, atol=atol)
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
    ``mistakes`` is tried and the first whose output matches the learner's is reported.
    """
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

# --- lesson 02: EWMA and bias correction -----------------------------------------

# --- lesson 03: momentum ---------------------------------------------------------

# --- lesson 04: Nesterov ---------------------------------------------------------

# --- lesson 05: AdaGrad and RMSProp -----------------------------------------------

# --- lesson 06: Adam --------------------------------------------------------------

# --- lesson 07: optimizer race ----------------------------------------------------
