"""The comparison band of ``check_against_reference`` justifies itself, for every check.

Each check of ``lessons_lib.checks`` (and any other module's check built on
``check_against_reference``) is run with the comparison replaced by a recorder, which gives
its reference, cases and named mistakes. Then, in units of the band
``atol + rtol * |reference|``:

* every named mistake lies at least MARGIN band-widths from the reference on some case
  (else a learner making it would pass, and its message could never be shown);
* the reference computed from float32 inputs stays inside the band on every case (an
  answer computed in float32 passes).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import pkgutil

import numpy as np
import pytest

import lessons_lib.checks as checks_pkg
from lessons_lib.checks import _core

MARGIN = 10.0


def _record_all() -> dict[str, tuple]:
    recorded: dict[str, tuple] = {}

    def recorder(exercise, student, reference, cases, mistakes=(), **tolerances):
        recorded[exercise] = (reference, cases, mistakes)
        return True

    modules = [
        importlib.import_module(f"lessons_lib.checks.{m.name}")
        for m in pkgutil.iter_modules(checks_pkg.__path__)
        if not m.name.startswith("_")
    ]
    patched = [m for m in [*modules, checks_pkg] if hasattr(m, "check_against_reference")]
    originals = {m: m.check_against_reference for m in patched}
    try:
        for m in patched:
            m.check_against_reference = recorder
        for module in modules:
            for name in dir(module):
                fn = getattr(module, name)
                if name.startswith("check_") and callable(fn) and fn.__module__ == module.__name__:
                    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(Exception):
                        fn(lambda *a, **k: None)
    finally:
        for m, original in originals.items():
            m.check_against_reference = original
    return recorded


RECORDED = _record_all()


def _parts(x):
    return x if isinstance(x, tuple) else (x,)


def band_widths(got, want) -> float:
    """The largest elementwise |got - want| / (atol + rtol |want|); inf if shapes differ,
    0 where both are NaN (the check counts that as equal)."""
    worst = 0.0
    if len(_parts(got)) != len(_parts(want)):
        return np.inf
    for a, b in zip(_parts(got), _parts(want), strict=True):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        if a.shape != b.shape:
            return np.inf
        with np.errstate(all="ignore"):
            d = np.abs(a - b) / (_core.ATOL + _core.RTOL * np.abs(b))
        d = np.where(np.isnan(a) & np.isnan(b), 0.0, np.where(np.isnan(d), np.inf, d))
        worst = max(worst, float(d.max()) if d.size else 0.0)
    return worst


def _float32(case: dict) -> dict:
    return {
        k: v.astype(np.float32)
        if isinstance(v, np.ndarray) and v.dtype.kind == "f"
        else np.float32(v)
        if isinstance(v, float)
        else v
        for k, v in case.items()
    }


def test_every_check_was_found():
    assert {"1.1", "3.1", "4.1", "5.1", "6.1"} <= set(RECORDED), sorted(RECORDED)


@pytest.mark.parametrize("exercise", sorted(RECORDED))
def test_named_mistakes_lie_far_outside_the_band(exercise):
    reference, cases, mistakes = RECORDED[exercise]
    for message, wrong in mistakes:
        with np.errstate(all="ignore"):
            distance = max(
                band_widths(wrong(**_core._copy(c)), reference(**_core._copy(c))) for c in cases
            )
        assert distance >= MARGIN, (
            f"{exercise}: {message!r} is only {distance:.3g} band-widths away"
        )


@pytest.mark.parametrize("exercise", sorted(RECORDED))
def test_float32_answers_stay_inside_the_band(exercise):
    reference, cases, _ = RECORDED[exercise]
    for k, case in enumerate(cases, start=1):
        want = reference(**_core._copy(case))
        if not all(np.asarray(p).dtype.kind == "f" for p in _parts(want)):
            continue  # an integer answer (an index, a count) has no rounding
        with np.errstate(all="ignore"):
            got = tuple(
                np.asarray(p, dtype=np.float32) for p in _parts(reference(**_float32(case)))
            )
        distance = band_widths(got if isinstance(want, tuple) else got[0], want)
        assert distance <= 1.0, f"{exercise} case {k}: float32 is {distance:.3g} band-widths off"
