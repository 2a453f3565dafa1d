r"""Learning-rate schedules: Keras 3's six, and a constant, in NumPy.

A schedule is a callable ``schedule(step) -> learning rate``, with ``step`` the number of
updates already done (0 for the first update, as Keras counts: an optimizer evaluates it
at ``iterations``). ``step`` may be an array (a whole curve at once). Any optimizer of
:mod:`lessons_lib.optimizers` takes one as its ``learning_rate``::

    lr = CosineDecay(0.1, decay_steps=1000, warmup_target=0.5, warmup_steps=100)
    opt = Adam(learning_rate=lr)
    lr(np.arange(1100))                   # the curve, step 0 .. 1099

Names, arguments and defaults are Keras' (``keras.optimizers.schedules``), and so is the
arithmetic, so :func:`from_keras` and :func:`to_keras` translate both ways.
One difference is rounding: Keras computes a schedule in the dtype of
``initial_learning_rate``, float32 for a Python float, and casts Python-float arguments
through float32; these classes compute in float64. Given float64 values
(``np.float64(0.1)``) Keras agrees with them to ~1e-16; with Python floats to float32
precision (~1e-7 of the peak rate; near a zero of a cosine the float32 value has fewer
correct digits, e.g. 0.5(1 + cos(pi x)) just before the end of a decay).

This module never imports Keras except inside :func:`to_keras`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .rules._base import check_flag, check_hyper

__all__ = [
    "Schedule",
    "Constant",
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "InverseTimeDecay",
    "CosineDecay",
    "CosineDecayRestarts",
    "from_keras",
    "to_keras",
]


def _steps(step: Any) -> np.ndarray:
    """``step`` as a float array of finite numbers >= 0, or a ValueError saying so."""
    try:
        s = np.asarray(step, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"step must be a number or an array of numbers, got {step!r}") from None
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError(f"step counts updates done: it must be finite and >= 0, got {step!r}")
    return s


def _out(value: np.ndarray) -> Any:
    """A float for a scalar step, an array for an array of steps."""
    return float(value) if np.ndim(value) == 0 else value


class Schedule:
    """Base class: ``schedule(step)``, ``get_config()`` (Keras' arguments), equality by config."""

    keras_name: str | None = None  # the class in keras.optimizers.schedules

    def __call__(self, step: Any) -> Any:
        return _out(self._rate(_steps(step)))

    def _rate(self, step: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments by Keras' names (Keras' ``get_config``)."""
        return dict(self._config)

    def _keep(self, args: dict[str, Any], **ranges: str) -> None:
        """Check each constructor argument (``args``: its ``locals()``) against its range
        in ``ranges``: an interval (``"[0, inf)"``; ``"[0, inf) or None"`` also takes None)
        or ``"flag"`` (True or False). Keep the checked values as attributes, and the
        arguments as given (flags checked) as Keras' config, in their order."""
        self._config = {}
        for key, value in args.items():
            spec = ranges.get(key)
            if key in ("self", "__class__"):
                continue
            if spec == "flag":
                value = check_flag(key, value)
                setattr(self, key, value)
            elif spec is not None:
                optional = spec.endswith(" or None")
                interval = spec.removesuffix(" or None")
                checked = None if optional and value is None else check_hyper(key, value, interval)
                setattr(self, key, checked)
            self._config[key] = value

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.get_config() == self.get_config()

    __hash__ = None  # type: ignore[assignment]  # mutable-free but compared by config

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._config.items() if k != "name")
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    r"""The same rate at every step: :math:`\eta_t = \eta`. Keras has no class for it (a
    float learning rate is one); :func:`to_keras` returns the float."""

    def __init__(self, learning_rate: float):
        self._keep({"learning_rate": check_hyper("learning_rate", learning_rate, "[0, inf)")},
                   learning_rate="[0, inf)")  # fmt: skip

    def _rate(self, step: np.ndarray) -> np.ndarray:
        return np.full(step.shape, self.learning_rate)


class _DecayEvery(Schedule):
    r"""What ExponentialDecay and InverseTimeDecay share: Keras' four arguments and the
    progress :math:`p = t/T` (:math:`\lfloor t/T \rfloor` with ``staircase=True``)."""

    _decay_rate_range = "[0, inf)"

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool = False,
        name: str | None = None,
    ):
        name = self.keras_name if name is None else name
        self._keep(locals(), initial_learning_rate="[0, inf)", decay_steps="(0, inf)",
                   decay_rate=self._decay_rate_range, staircase="flag")  # fmt: skip

    def _progress(self, step: np.ndarray) -> np.ndarray:
        p = step / self.decay_steps
        return np.floor(p) if self.staircase else p


class ExponentialDecay(_DecayEvery):
    r"""Keras' ``ExponentialDecay``: :math:`\eta_t = \eta_0\, r^{t/T}` with
    :math:`r` = ``decay_rate``, :math:`T` = ``decay_steps``; with ``staircase=True`` the
    exponent is :math:`\lfloor t/T \rfloor` (the rate drops every T steps).
    Arguments as Keras': ``(initial_learning_rate, decay_steps, decay_rate,
    staircase=False, name="ExponentialDecay")``."""

    keras_name = "ExponentialDecay"
    _decay_rate_range = "(0, inf)"

    def _rate(self, step: np.ndarray) -> np.ndarray:
        return self.initial_learning_rate * np.power(self.decay_rate, self._progress(step))


class PiecewiseConstantDecay(Schedule):
    r"""Keras' ``PiecewiseConstantDecay``: ``values[0]`` while :math:`t \le b_0`,
    ``values[i]`` while :math:`b_{i-1} < t \le b_i`, ``values[-1]`` after the last
    boundary (a boundary step still gets the value *before* it)."""

    keras_name = "PiecewiseConstantDecay"

    def __init__(
        self, boundaries: Sequence[float], values: Sequence[float], name: str = "PiecewiseConstant"
    ):
        if isinstance(boundaries, (str, bytes)) or isinstance(values, (str, bytes)):
            raise ValueError("boundaries and values must be lists of numbers")
        if len(boundaries) == 0:
            raise ValueError("boundaries needs at least one step (use Constant for one rate)")
        b = check_hyper("boundaries", list(boundaries), "(-inf, inf)")
        v = check_hyper("values", list(values), "[0, inf)")
        if np.ndim(b) != 1 or np.ndim(v) != 1 or len(v) != len(b) + 1:
            raise ValueError(
                f"values needs exactly one more entry than boundaries (a value before the "
                f"first boundary and one after each); got {len(list(boundaries))} boundaries "
                f"and {len(list(values))} values"
            )
        if np.any(np.diff(b) <= 0):
            raise ValueError(f"boundaries must be strictly increasing, got {list(boundaries)}")
        self.boundaries, self.values = b, v
        self._config = {"boundaries": list(boundaries), "values": list(values), "name": name}

    def _rate(self, step: np.ndarray) -> np.ndarray:
        return self.values[np.searchsorted(self.boundaries, step, side="left")]


class PolynomialDecay(Schedule):
    r"""Keras' ``PolynomialDecay``: with :math:`\tau = \min(t, T)`,
    :math:`\eta_t = (\eta_0 - \eta_{\rm end})(1 - \tau/T)^{p} + \eta_{\rm end}`.
    With ``cycle=True`` the horizon grows instead: :math:`T' = T\lceil t/T \rceil`
    (:math:`T' = T` at :math:`t = 0`), :math:`\eta_t = (\eta_0 - \eta_{\rm end})
    (1 - t/T')^{p} + \eta_{\rm end}`, so the rate jumps back up (to less than
    :math:`\eta_0`) at every multiple of T."""

    keras_name = "PolynomialDecay"

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ):
        self._keep(locals(), initial_learning_rate="[0, inf)", decay_steps="(0, inf)",
                   end_learning_rate="[0, inf)", power="[0, inf)", cycle="flag")  # fmt: skip

    def _rate(self, step: np.ndarray) -> np.ndarray:
        horizon = np.full(step.shape, self.decay_steps)
        if self.cycle:
            horizon = horizon * np.where(step == 0, 1.0, np.ceil(step / self.decay_steps))
        else:
            step = np.minimum(step, self.decay_steps)
        p = step / horizon
        span = self.initial_learning_rate - self.end_learning_rate
        return span * np.power(1 - p, self.power) + self.end_learning_rate


class InverseTimeDecay(_DecayEvery):
    r"""Keras' ``InverseTimeDecay``: :math:`\eta_t = \eta_0 / (1 + r\, t/T)`, with
    :math:`\lfloor t/T \rfloor` instead of :math:`t/T` when ``staircase=True``.
    Arguments as Keras': ``(initial_learning_rate, decay_steps, decay_rate,
    staircase=False, name="InverseTimeDecay")``."""

    keras_name = "InverseTimeDecay"

    def _rate(self, step: np.ndarray) -> np.ndarray:
        return self.initial_learning_rate / (1.0 + self.decay_rate * self._progress(step))


def _cosine(fraction: np.ndarray, alpha: float) -> np.ndarray:
    r""":math:`(1-\alpha)\,\tfrac12(1 + \cos\pi f) + \alpha`: from 1 at f = 0 to alpha at 1."""
    return (1 - alpha) * (0.5 * (1.0 + np.cos(np.pi * fraction))) + alpha


class CosineDecay(Schedule):
    r"""Keras' ``CosineDecay`` (Loshchilov & Hutter, 2017, SGDR, without restarts), with an
    optional linear warm-up (Goyal et al., 2017).

    Without ``warmup_target``: :math:`\tau = \min(t, T)`,
    :math:`\eta_t = \eta_0\,[(1-\alpha)\tfrac12(1 + \cos(\pi\tau/T)) + \alpha]`, from
    :math:`\eta_0` down to :math:`\alpha\eta_0` in T = ``decay_steps`` steps.
    With ``warmup_target`` :math:`\eta_w` and W = ``warmup_steps``: for :math:`t < W` the rate
    rises linearly, :math:`\eta_0 + (\eta_w - \eta_0)\, t/W`; then it decays as above from
    :math:`\eta_w` (not :math:`\eta_0`) to :math:`\alpha\eta_w` over the next T steps, and
    stays there."""

    keras_name = "CosineDecay"

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: float = 0,
    ):
        self._keep(locals(), initial_learning_rate="[0, inf)", decay_steps="(0, inf)",
                   alpha="[0, 1]", warmup_target="[0, inf) or None",
                   warmup_steps="[0, inf)")  # fmt: skip

    def _rate(self, step: np.ndarray) -> np.ndarray:
        if self.warmup_target is None:
            step = np.minimum(step, self.decay_steps)
            return self.initial_learning_rate * _cosine(step / self.decay_steps, self.alpha)
        step = np.minimum(step, self.decay_steps + self.warmup_steps)
        warm = self.warmup_steps
        rising = (self.warmup_target - self.initial_learning_rate) * (
            step / (warm if warm > 0 else 1.0)
        ) + self.initial_learning_rate
        after = np.maximum(step - warm, 0.0)
        falling = self.warmup_target * _cosine(after / self.decay_steps, self.alpha)
        return np.where(step < warm, rising, falling)


class CosineDecayRestarts(Schedule):
    r"""Keras' ``CosineDecayRestarts`` (SGDR: Loshchilov & Hutter, 2017).

    Cosine decays from :math:`\eta_0` to :math:`\alpha\eta_0`, restarted: the first period
    lasts T = ``first_decay_steps`` steps, each next one ``t_mul`` times longer, and the
    i-th restart (i = 0, 1, ...) starts from ``m_mul``:math:`^i\eta_0`. With
    :math:`c = t/T`, the period index is :math:`i = \lfloor c \rfloor` when ``t_mul`` = 1,
    else :math:`i = \lfloor \log(1 - c(1 - t_{\rm mul})) / \log t_{\rm mul} \rfloor`, and
    the fraction done within it :math:`f = (c - \frac{1 - t_{\rm mul}^i}{1 - t_{\rm mul}})
    / t_{\rm mul}^i`. Then :math:`\eta_t = \eta_0[(1-\alpha)\, m_{\rm mul}^i\,
    \tfrac12(1 + \cos\pi f) + \alpha]`. Note that :math:`\alpha\eta_0` is added after the
    ``m_mul`` scaling, so the floor does not shrink with the restarts."""

    keras_name = "CosineDecayRestarts"

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: float,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ):
        self._keep(locals(), initial_learning_rate="[0, inf)",
                   first_decay_steps="(0, inf)", t_mul="(0, inf)", m_mul="[0, inf)",
                   alpha="[0, 1]")  # fmt: skip

    def _rate(self, step: np.ndarray) -> np.ndarray:
        c = step / self.first_decay_steps
        t_mul = self.t_mul
        if t_mul == 1.0:
            i = np.floor(c)
            fraction = c - i
        else:
            i = np.floor(np.log(1.0 - c * (1.0 - t_mul)) / np.log(t_mul))
            done = (1.0 - np.power(t_mul, i)) / (1.0 - t_mul)
            fraction = (c - done) / np.power(t_mul, i)
        scale = np.power(self.m_mul, i) * (0.5 * (1.0 + np.cos(np.pi * fraction)))
        return self.initial_learning_rate * ((1 - self.alpha) * scale + self.alpha)


_CLASSES: dict[str, type[Schedule]] = {
    cls.__name__.lower(): cls
    for cls in (
        Constant,
        ExponentialDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        InverseTimeDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def from_keras(name: str, /, **config: Any) -> Schedule:
    """The schedule ``keras.optimizers.schedules.<name>(**config)`` computes.

    ``name`` is a Keras class name (any case) or "Constant"; ``config`` takes Keras'
    argument names, so ``keras_schedule.get_config()`` works. Anything else is a
    ValueError naming what is accepted.
    """
    cls = _CLASSES.get(str(name).lower())
    if cls is None:
        known = ", ".join(c.__name__ for c in _CLASSES.values())
        raise ValueError(f"name must be one of {known}; got {name!r}")
    try:
        return cls(**config)
    except TypeError as err:
        raise ValueError(f"{cls.__name__}: {err}; use Keras' argument names") from None


def to_keras(schedule: Schedule) -> Any:
    """The Keras schedule equal to ``schedule`` (a float for :class:`Constant`).

    Imports Keras, which takes a few seconds.
    """
    if not isinstance(schedule, Schedule):
        raise ValueError(
            f"to_keras takes a schedule of lessons_lib.schedules, got {schedule!r}; a plain "
            "function has no Keras equivalent (write a keras LearningRateSchedule for it)"
        )
    if isinstance(schedule, Constant):
        return schedule.learning_rate
    import keras  # lazy: the rest of lessons_lib never needs it

    return getattr(keras.optimizers.schedules, schedule.keras_name)(**schedule.get_config())
