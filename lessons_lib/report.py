"""Numbers for printed lesson output that read the same on every machine.

Two computations that agree up to float64 rounding differ by about 1e-16 times their size,
but the exact last digits depend on the CPU, the BLAS library and its thread count. A lesson
that prints them would store an output other machines cannot reproduce (nbval fails), and
the digits carry no lesson anyway: "rounding only" is the message.
"""

import math

ROUNDING = 1e-12


def gap(difference: float, rounding: float = ROUNDING) -> str:
    """Format a difference: ``"< 1e-12 (rounding only)"`` when ``|difference| < rounding``,
    else the value with two significant digits (``"2.1e-03"``, ``"nan"``, ``"inf"``)."""
    if not rounding > 0:
        raise ValueError(f"rounding must be a positive threshold such as 1e-12, got {rounding!r}")
    difference = float(difference)
    if math.isfinite(difference) and abs(difference) < rounding:
        return f"< {rounding:.0e} (rounding only)"
    return f"{difference:.1e}"
