r"""Reference optimizers in NumPy, written to be read in a lecture.

Every optimizer follows one small protocol::

    opt = Adam(learning_rate=0.01)
    w = opt.step(w, grad(w))      # returns the new parameters, state kept on ``opt``
    opt.reset()                   # forget the state (moments, step count)

``step`` never modifies its arguments. Parameters may have any shape, so a batch of
independent runs (a grid of start points) is just a bigger array. Hyperparameters may
be arrays too, as long as they broadcast against the parameters: a ``(n, 1)`` array of
learning rates with ``(n, 2)`` parameters runs ``n`` differently tuned copies at once.
``learning_rate`` may also be a schedule, any callable ``schedule(step) -> rate`` with
``step`` the number of updates already done (0 at the first, as Keras counts); see
:mod:`lessons_lib.schedules`.

Each class is a thin shell over an update rule of :mod:`lessons_lib.rules`, where every
formula is written once (the same rule runs inside Keras through
:mod:`lessons_lib.keras_bridge`). Names and defaults follow Keras 3, and each rule is the
one Keras applies (``keras/src/optimizers/*.py``), so that :func:`from_keras` /
:func:`to_keras` translate between the two exactly. Where the original papers use another
convention the rule's docstring says so.

Weight decay (any optimizer, as in Keras) is *decoupled*: before the update rule,
``w <- w - w * weight_decay * lr`` (Loshchilov & Hutter, 2019).

All the optimizers (:func:`optimizer_table` builds this table from the rules; a test keeps
the two equal). State is per parameter tensor of ``n`` numbers:

================== ==== ============================ ================= ==========================
class              year paper                        Keras             state per tensor
================== ==== ============================ ================= ==========================
SGD                1951 Robbins & Monro; momentum:   SGD               n (velocity) with
                        Polyak (1964); Nesterov:                       momentum, else none
                        Sutskever et al. (2013)
ClassicalMomentum  1964 Polyak                       SGD(momentum)     n (velocity)
EWMAMomentum       1964 Polyak, as an EWMA (lesson   SGD, rescaled     n (velocity)
                        03)
LookaheadNesterov  1983 Nesterov                     SGD(nesterov)     n (velocity)
Adagrad            2011 Duchi, Hazan & Singer        Adagrad           n (accumulator)
RMSprop            2012 Tieleman & Hinton, lecture   RMSprop           n (velocity); +n
                        6e; centered: Graves (2013)                    centered
                                                                       (average_gradient); +n
                                                                       with momentum
Adam               2015 Kingma & Ba; amsgrad:        Adam              2n (m, v); +n with
                        Reddi, Kale & Kumar (2018)                     amsgrad (v_hat)
AdamW              2019 Loshchilov & Hutter          AdamW             2n (m, v); +n with
                                                                       amsgrad (v_hat)
Adadelta           2012 Zeiler                       Adadelta          2n (s, d)
Adamax             2015 Kingma & Ba, section 7.1     Adamax            2n (m, u)
Nadam              2016 Dozat                        Nadam             2n + 1 (m, v, product of
                                                                       mu)
Lion               2023 Chen et al.                  Lion              n (m)
Lamb               2020 You et al.                   Lamb              2n (m, v)
Adafactor          2018 Shazeer & Stern              Adafactor         R + C for an R x C matrix
                                                                       (r, c); n for a vector
                                                                       (v)
Ftrl               2013 McMahan et al.               Ftrl              2n (n, z)
Muon               2024 Jordan et al. (blog post)    Muon              n (m) for 2-D tensors; 2n
                                                                       (m, v) for the AdamW ones
ScheduleFreeAdamW  2024 Defazio et al.               ScheduleFreeAdamW 2n (z, v)
================== ==== ============================ ================= ==========================

Papers: Robbins & Monro (1951), A Stochastic Approximation Method; Polyak (1964), Some
methods of speeding up the convergence of iteration methods; Nesterov (1983), A method for
solving the convex programming problem with convergence rate O(1/k^2); Sutskever, Martens,
Dahl & Hinton (2013), On the importance of initialization and momentum in deep learning;
the others are named in each rule's ``paper`` field (``lessons_lib.rules.REGISTRY``).

A new optimizer is a rule in :mod:`lessons_lib.rules` (registered in its ``REGISTRY``) and a
few lines here: a class with its formula in the docstring and ``rule = ...``; its
hyperparameters, their defaults, validation, ``from_keras`` and ``to_keras`` come from the
rule.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from .rules import REGISTRY, Rule, by_keras_name, check_value, keras_hyper
from .rules import sgd as _sgd
from .rules.adadelta import ADADELTA
from .rules.adafactor import ADAFACTOR
from .rules.adagrad import ADAGRAD
from .rules.adam import ADAM, ADAMW
from .rules.adamax import ADAMAX
from .rules.ftrl import FTRL
from .rules.lamb import LAMB
from .rules.lion import LION
from .rules.muon import MUON
from .rules.nadam import NADAM
from .rules.rmsprop import RMSPROP
from .rules.schedule_free_adamw import SCHEDULE_FREE_ADAMW
from .rules.schedule_free_adamw import average as sf_average

ArrayLike = Any  # float, or anything np.asarray turns into a float array
Schedule = Callable[[int], Any]

__all__ = [
    "SGD",
    "ClassicalMomentum",
    "EWMAMomentum",
    "LookaheadNesterov",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "Adadelta",
    "Adamax",
    "Nadam",
    "Lion",
    "Lamb",
    "Adafactor",
    "Ftrl",
    "Muon",
    "ScheduleFreeAdamW",
    "Optimizer",
    "from_keras",
    "optimizer_table",
    "to_keras",
]

_UNSET: Any = object()
_NOT_RULE_KEYWORDS = ("learning_rate", "weight_decay")


def _rule_keywords(rule: Rule) -> dict[str, Any]:
    """Every keyword the rule's update takes, with its default (the teaching flags too)."""
    params = inspect.signature(rule.update).parameters.values()
    return {p.name: p.default for p in params if p.kind is p.KEYWORD_ONLY}


def _as_params_and_grads(params: ArrayLike, grads: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Check shapes and values of one step's inputs; return float arrays."""
    w = np.asarray(params, dtype=float)
    g = np.asarray(grads, dtype=float)
    if w.shape != g.shape:
        raise ValueError(
            f"params and grads must have the same shape, got {w.shape} and {g.shape}; "
            "pass one gradient per parameter"
        )
    if not np.all(np.isfinite(g)):
        raise ValueError(
            "grads contain NaN or inf; the run has diverged or the gradient is wrong. "
            "Lower the learning rate or check the gradient function "
            "(lessons_lib.runner stops diverging runs for you)"
        )
    return w, g


# --------------------------------------------------------------------------- base class
class Optimizer:
    """A rule of :mod:`lessons_lib.rules` with its hyperparameters, state and step count.

    A subclass sets ``rule``; its hyperparameters are the rule's ``defaults`` (Keras'
    arguments), or the class's own ``defaults`` when it names them differently (then it
    overrides :meth:`hyper`, which gives the rule its keywords).
    """

    rule: ClassVar[Rule]
    #: the class's hyperparameters and defaults; None: the rule's (without lr and decay)
    defaults: ClassVar[dict[str, Any] | None] = None
    #: name of the Keras optimizer class this one mirrors (None: a teaching form)
    keras_name: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "rule" in cls.__dict__:
            cls.keras_name = cls.__dict__.get("keras_name", cls.rule.keras_name)
            _CLASSES.setdefault(cls.rule.name, cls)
        elif "keras_name" not in cls.__dict__:
            cls.keras_name = None  # a form of its parent's rule, not a Keras class

    def __init__(
        self,
        learning_rate: ArrayLike | Schedule = _UNSET,
        weight_decay: ArrayLike | None = _UNSET,
        **hyper: Any,
    ):
        defaults = self._defaults()
        accepted = {**defaults, **_rule_keywords(self.rule)}
        unknown = sorted(set(hyper) - set(accepted))
        if unknown:
            raise TypeError(
                f"{type(self).__name__} got unknown hyperparameters {unknown}; it takes "
                f"{', '.join(['learning_rate', 'weight_decay', *defaults])}"
            )
        self._hyper_names = list({**defaults, **hyper})
        for name in self._hyper_names:
            value = hyper.get(name, defaults.get(name))
            setattr(self, name, check_value(name, value, self.rule.spec(name), accepted[name]))
        if learning_rate is _UNSET:
            learning_rate = self.rule.defaults.get("learning_rate", 0.001)
        if weight_decay is _UNSET:
            weight_decay = self.rule.defaults.get("weight_decay")
        self.learning_rate = (
            learning_rate
            if callable(learning_rate)
            else check_value("learning_rate", learning_rate, "(0, inf)")
        )
        self.weight_decay = check_value("weight_decay", weight_decay, "[0, inf)", None)
        self._rule_flags: dict[str, Any] = {}  # Keras' rounding (from_keras), variant flags
        self.reset()

    @classmethod
    def _defaults(cls) -> dict[str, Any]:
        if cls.defaults is not None:
            return dict(cls.defaults)
        return {k: v for k, v in cls.rule.defaults.items() if k not in _NOT_RULE_KEYWORDS}

    def reset(self) -> None:
        """Forget all state: moments, accumulators and the step count."""
        self.iterations = 0
        self.state: dict[str, np.ndarray] = {}

    def hyper(self) -> dict[str, Any]:
        """The rule's keywords (without the learning rate and weight decay)."""
        return {name: getattr(self, name) for name in self._hyper_names} | self._rule_flags

    def current_learning_rate(self) -> Any:
        """The learning rate of the next step: the schedule at ``iterations``, if one."""
        if not callable(self.learning_rate):
            return self.learning_rate
        value = self.learning_rate(self.iterations)
        return check_value(f"learning_rate schedule at step {self.iterations}",
                           np.asarray(value, dtype=float)[()], "[0, inf)")  # fmt: skip

    def step(self, params: ArrayLike, grads: ArrayLike) -> np.ndarray:
        """Return the parameters after one update; ``params`` itself is not modified."""
        w, g = _as_params_and_grads(params, grads)
        try:
            lr, hyper = self.current_learning_rate(), self.hyper()
            state = self.state
            if not (self.iterations and state):  # a slot set by hand before step 1 stays
                # from the weights before any decay, as Keras builds its slots
                # (ScheduleFreeAdamW's z starts as a copy of them)
                state = {**self.rule.init(w, np, **hyper), **state}
            # Keras' order: w - w * wd * lr; a rule taking weight_decay (Muon) decays itself
            if self.weight_decay is not None and "weight_decay" not in hyper:
                w = w - w * self.weight_decay * lr
            new_w, new_state = self.rule.update(w, g, state, self.iterations + 1, lr, np, **hyper)
        except ValueError as err:  # shapes that do not broadcast: nothing was changed
            raise _shape_error(w, err) from None
        self.state, self.iterations = new_state, self.iterations + 1
        return new_w

    def get_config(self) -> dict[str, Any]:
        """Hyperparameters by their Keras names (floats, or lists for array values)."""
        config = {k: v for k, v in vars(self).items()
                  if k not in ("state", "iterations") and not k.startswith("_")}  # fmt: skip
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in config.items()}

    def keras_config(self) -> dict[str, Any]:
        """The arguments of the Keras optimizer ``keras_name`` that does the same updates."""
        if self.keras_name is None:
            raise ValueError(f"{type(self).__name__} has no Keras twin")
        config = self.get_config()
        if any(isinstance(v, list) for v in config.values()):
            raise ValueError("to_keras needs scalar hyperparameters; this optimizer holds arrays")
        keras_args = {*self.rule.defaults, *_NOT_RULE_KEYWORDS}
        keywords = _rule_keywords(self.rule)
        for key in [k for k in config if k not in keras_args]:
            value = config.pop(key)
            if value != keywords.get(key):
                raise ValueError(
                    f"Keras' {self.keras_name} has no {key}={value!r}; set "
                    f"{key}={keywords.get(key)!r} before translating"
                )
        return config

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        flags = {k: v for k, v in self._rule_flags.items() if k not in self.rule.keras_flags}
        variant = "".join(f".variant({k}={v!r})" for k, v in flags.items())
        return f"{type(self).__name__}({args}){variant}"

    def variant(self, **flags: Any) -> Optimizer:
        """A fresh copy of this optimizer whose rule runs with extra keyword ``flags``,
        e.g. ``RMSprop(0.01).variant(epsilon_outside=True)`` (PyTorch's epsilon) or
        ``Adam().variant(bias_correction=False)``: the lessons' variants, one rule each."""
        keywords = _rule_keywords(self.rule)
        unknown = sorted(set(flags) - set(keywords) | set(flags) & set(self._hyper_names))
        if unknown:
            raise ValueError(
                f"{unknown}: not flags of this rule (hyperparameters are set by the "
                f"constructor); its flags are {sorted(set(keywords) - set(self._hyper_names))}"
            )
        checked = {k: check_value(k, v, self.rule.spec(k), keywords[k]) for k, v in flags.items()}
        new = copy.copy(self)
        new._rule_flags = {**self._rule_flags, **checked}
        new.reset()
        return new


def _shape_error(w: np.ndarray, err: Exception) -> ValueError:
    return ValueError(
        f"params of shape {w.shape} do not broadcast against this optimizer's array "
        f"hyperparameters or its state ({err}); call reset() before changing shape"
    )


_CLASSES: dict[str, type[Optimizer]] = {}  # rule name -> the first class written for it


def _own(args: dict[str, Any]) -> dict[str, Any]:
    """A subclass' ``locals()`` as the keywords of ``Optimizer.__init__``."""
    return {k: v for k, v in args.items() if k not in ("self", "__class__")}


# --------------------------------------------------------------------------- SGD family
class SGD(Optimizer):
    r"""Gradient descent, optionally with classical momentum or Nesterov, exactly as Keras.

    * ``momentum == 0``:  :math:`w_t = w_{t-1} - \eta g_t`
    * momentum (Polyak's heavy ball, *classical* form, velocity in parameter units):
      :math:`v_t = \beta v_{t-1} - \eta g_t,\quad w_t = w_{t-1} + v_t`
    * ``nesterov=True`` (the reformulation of Sutskever et al. 2013 that Keras uses; it
      needs no gradient at a look-ahead point, see :class:`LookaheadNesterov`):
      :math:`w_t = w_{t-1} + \beta v_t - \eta g_t`

    Rule: :mod:`lessons_lib.rules.sgd`.
    """

    rule = _sgd.SGD

    def __init__(
        self,
        learning_rate: ArrayLike | Schedule = 0.01,
        momentum: ArrayLike = 0.0,
        nesterov: bool = False,
        weight_decay: ArrayLike | None = None,
    ):
        super().__init__(**_own(locals()))


class ClassicalMomentum(SGD):
    r"""Momentum in the classical form: :math:`v_t = \beta v_{t-1} - \eta g_t,\;
    w_t = w_{t-1} + v_t`.

    The same as ``SGD(momentum=beta)``; the name makes the lessons read clearly.
    It equals :class:`EWMAMomentum` with learning rate :math:`\tilde\eta = \eta / (1-\beta)`.
    """

    def __init__(
        self,
        learning_rate: ArrayLike | Schedule = 0.01,
        momentum: ArrayLike = 0.9,
        weight_decay: ArrayLike | None = None,
    ):
        super().__init__(learning_rate, momentum, nesterov=False, weight_decay=weight_decay)

    keras_name = "SGD"  # it is Keras' SGD, under a clearer name


class EWMAMomentum(Optimizer):
    r"""Momentum as an exponentially weighted moving average of gradients (Ng's course form).

    :math:`m_t = \beta m_{t-1} + (1-\beta) g_t,\quad w_t = w_{t-1} - \tilde\eta\, m_t`

    ``m`` is an average gradient, so the learning rate :math:`\tilde\eta` keeps the meaning
    it has for plain gradient descent. Equivalent to :class:`ClassicalMomentum` with
    learning rate :math:`\eta = \tilde\eta(1-\beta)` (the velocities differ by the factor
    :math:`-\tilde\eta`). ``bias_correction`` divides :math:`m_t` by :math:`1-\beta^t`.
    Keras has no twin of this form; ``to_keras`` translates it to ``SGD``. The state slot
    is called ``velocity``. Rule: :mod:`lessons_lib.rules.sgd` with ``ewma=True``.
    """

    rule = _sgd.SGD
    keras_name = None
    defaults = {"beta": 0.9, "bias_correction": False}

    def __init__(
        self,
        learning_rate: ArrayLike | Schedule = 0.1,
        beta: ArrayLike = 0.9,
        bias_correction: bool = False,
        weight_decay: ArrayLike | None = None,
    ):
        super().__init__(**_own(locals()))

    def hyper(self) -> dict[str, Any]:
        return {"momentum": self.beta, "ewma": True, "bias_correction": self.bias_correction,
                **self._rule_flags}  # fmt: skip

    def keras_config(self) -> dict[str, Any]:
        """``SGD(learning_rate=lr*(1-beta), momentum=beta)``, weight decay rescaled by
        ``1/(1-beta)`` so that ``lr * weight_decay`` is unchanged."""
        if self.bias_correction:
            raise ValueError("Keras has no bias-corrected momentum; use bias_correction=False")
        if callable(self.learning_rate) or any(
            np.ndim(v) for v in (self.learning_rate, self.beta, self.weight_decay or 0.0)
        ):
            raise ValueError("to_keras needs scalar hyperparameters; this optimizer holds arrays")
        scale = 1 - self.beta
        wd = self.weight_decay
        return {
            "learning_rate": float(self.learning_rate * scale),
            "momentum": float(self.beta),
            "weight_decay": None if wd is None else float(wd / scale),
        }


class LookaheadNesterov(Optimizer):
    r"""Nesterov's accelerated gradient in its textbook look-ahead form.

    :math:`v_t = \beta v_{t-1} - \eta \nabla f(w_{t-1} + \beta v_{t-1}),\quad
    w_t = w_{t-1} + v_t`

    The gradient is taken at the look-ahead point, so this optimizer needs the gradient
    *function*: call ``step(w, grad_fn)`` with ``grad_fn(points) -> gradients``.
    With :math:`\tilde w = w + \beta v` (the look-ahead point) the iterates
    :math:`\tilde w` are exactly those of ``SGD(momentum=beta, nesterov=True)``.
    Rule: classical momentum (:mod:`lessons_lib.rules.sgd`), given the look-ahead gradient.
    """

    rule = _sgd.SGD
    keras_name = None
    defaults = {"momentum": 0.9}

    def __init__(self, learning_rate: ArrayLike | Schedule = 0.01, momentum: ArrayLike = 0.9):
        super().__init__(learning_rate, None, momentum=momentum)

    def lookahead(self, params: ArrayLike) -> np.ndarray:
        r"""The point where the next gradient is evaluated: :math:`w + \beta v`."""
        return _sgd.lookahead(np.asarray(params, dtype=float), self.state, self.momentum)

    def step(self, params: ArrayLike, grads: Any) -> np.ndarray:  # type: ignore[override]
        """One update; ``grads`` is the gradient function, called at the look-ahead point."""
        if not callable(grads):
            raise ValueError(
                "LookaheadNesterov.step needs the gradient function, not a gradient array: "
                "step(w, grad_fn), because the gradient is taken at w + momentum * v"
            )
        w = np.asarray(params, dtype=float)
        return super().step(w, grads(self.lookahead(w)))

    def keras_config(self) -> dict[str, Any]:
        """Keras' Nesterov SGD, whose iterates are this optimizer's look-ahead points."""
        config = {"learning_rate": self.learning_rate, "momentum": self.momentum}
        if any(np.ndim(v) for v in config.values() if not callable(v)):
            raise ValueError("to_keras needs scalar hyperparameters; this optimizer holds arrays")
        return {**config, "nesterov": True}


# --------------------------------------------------------------------------- adaptive
class Adagrad(Optimizer):
    r"""AdaGrad (Duchi et al., 2011) as Keras writes it.

    :math:`s_t = s_{t-1} + g_t^2,\quad w_t = w_{t-1} - \eta\, g_t / \sqrt{s_t + \epsilon}`

    ``s`` starts at ``initial_accumulator_value`` (Keras: 0.1). Note that Keras puts
    epsilon *inside* the square root; PyTorch and the paper's common statement put it
    outside (:math:`\sqrt{s_t} + \epsilon`). See lesson 05 for when it matters.
    Rule: :mod:`lessons_lib.rules.adagrad`.
    """

    rule = ADAGRAD

    def __init__(
        self,
        learning_rate: ArrayLike | Schedule = 0.001,
        initial_accumulator_value: ArrayLike = 0.1,
        epsilon: ArrayLike = 1e-7,
        weight_decay: ArrayLike | None = None,
    ):
        super().__init__(**_own(locals()))


class RMSprop(Optimizer):
    r"""RMSProp (Hinton's lecture 6e) as Keras writes it.

    .. math::
        s_t = \rho s_{t-1} + (1-\rho) g_t^2, \qquad
        \Delta_t = \eta\, g_t / \sqrt{s_t - \bar g_t^2 + \epsilon}

    where :math:`\bar g_t = \rho \bar g_{t-1} + (1-\rho) g_t` only when ``centered``
    (otherwise :math:`\bar g = 0`). Then :math:`w_t = w_{t-1} - \Delta_t`, or with momentum
    :math:`b_t = \beta b_{t-1} + \Delta_t,\; w_t = w_{t-1} - b_t`. Epsilon is *inside* the
    square root, as in Keras (PyTorch puts it outside). Rule: :mod:`lessons_lib.rules.rmsprop`.
    """

    rule = RMSPROP

    def __init__(
        self,
        learning_rate: ArrayLike | Schedule = 0.001,
        rho: ArrayLike = 0.9,
        momentum: ArrayLike = 0.0,
        epsilon: ArrayLike = 1e-7,
        centered: bool = False,
        weight_decay: ArrayLike | None = None,
    ):
        super().__init__(**_own(locals()))


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015): momentum + RMSProp + bias correction.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \quad
        \hat m_t = \frac{m_t}{1-\beta_1^t}, \quad \hat v_t = \frac{v_t}{1-\beta_2^t}

    ``epsilon_mode="keras"`` (default; Keras, and Algorithm 1's "efficient version" in the
    paper) applies epsilon to the *uncorrected* root:
    :math:`w_t = w_{t-1} - \eta_t\, m_t / (\sqrt{v_t} + \hat\epsilon)` with
    :math:`\eta_t = \eta \sqrt{1-\beta_2^t} / (1-\beta_1^t)`.
    ``epsilon_mode="paper"`` is Algorithm 1 as printed (and PyTorch):
    :math:`w_t = w_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)`.
    The two agree when :math:`\hat\epsilon = \epsilon\sqrt{1-\beta_2^t}`.
    ``amsgrad`` (Reddi et al., 2018) uses the running maximum of ``v``.
    Rule: :mod:`lessons_lib.rules.adam`.
    """

    rule = ADAM

    def __init__(
        self,
        learning_rate: ArrayLike | Schedule = 0.001,
        beta_1: ArrayLike = 0.9,
        beta_2: ArrayLike = 0.999,
        epsilon: ArrayLike = 1e-7,
        amsgrad: bool = False,
        weight_decay: ArrayLike | None = None,
        epsilon_mode: str = "keras",
    ):
        super().__init__(**_own(locals()))



class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019), Keras defaults.

    :math:`w \leftarrow w - w\lambda\eta` before the Adam update (``weight_decay`` =
    :math:`\lambda`, Keras default 0.004). Unlike L2 regularisation the decay is not
    divided by :math:`\sqrt{\hat v}`. Rule: :mod:`lessons_lib.rules.adam` (``ADAMW``).
    """

    rule = ADAMW

    def __init__(
        self,
        learning_rate: ArrayLike | Schedule = 0.001,
        weight_decay: ArrayLike = 0.004,
        beta_1: ArrayLike = 0.9,
        beta_2: ArrayLike = 0.999,
        epsilon: ArrayLike = 1e-7,
        amsgrad: bool = False,
    ):
        if weight_decay is None:  # Keras' AdamW refuses None too
            raise ValueError(
                "weight_decay must be a real number in [0, inf) for AdamW; "
                "use Adam for no weight decay"
            )
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay)


# --------------------------------------------------------------------------- Keras bridge
# keys Keras configs carry that have no meaning for a single reference update rule; they
# are accepted when they leave the update unchanged (None/False; ema_momentum is only
# used when use_ema is on)
_KERAS_ONLY_KEYS = {
    "name",
    "clipnorm",
    "clipvalue",
    "global_clipnorm",
    "use_ema",
    "ema_momentum",
    "ema_overwrite_frequency",
    "loss_scale_factor",
    "gradient_accumulation_steps",
}
_HARMLESS_KEYS = {"name", "ema_momentum"}


def optimizer_class(rule: Rule) -> type[Optimizer]:
    """The class written for ``rule``, or a plain one made from the rule alone."""
    if rule.name not in _CLASSES:
        doc = f"{rule.keras_name or rule.name}: {rule.paper}. Rule: lessons_lib.rules."
        _CLASSES[rule.name] = type(rule.keras_name or rule.name, (Optimizer,),
                                   {"rule": rule, "__doc__": doc})  # fmt: skip
    return _CLASSES[rule.name]


def from_keras(name: str, /, **config: Any) -> Optimizer:
    r"""Return the reference twin of ``keras.optimizers.<name>(**config)``.

    ``name`` is the Keras class name of any rule in ``lessons_lib.rules.REGISTRY`` (any
    case); ``config`` takes Keras' argument names (``keras_optimizer.get_config()`` works,
    a serialized learning-rate schedule too), and missing ones get Keras' defaults.

    Keras rounds some Python-float hyperparameters through float32 whatever the dtype of
    the weights: the learning rate (a float32 variable), ``weight_decay``, and per rule
    those in its ``keras_float32`` (SGD's momentum, Adagrad's
    ``initial_accumulator_value``). So ``learning_rate=0.1`` really is ``0.10000000149...``
    inside Keras, and the twin rounds those hyperparameters the same way
    (:func:`lessons_lib.rules.keras_hyper`). Keras' Adam uses ``float32(beta)`` in the bias
    corrections :math:`1-\beta^t` but the exact ``beta`` in the moving averages; the twin
    does too (the rule's ``keras_flags``). Against Keras running in float64 it then agrees
    to rounding error (~1e-15). In float32 training float32 arithmetic itself is the
    larger difference.
    """
    rule = by_keras_name(name)
    unsupported = [
        k
        for k, v in config.items()
        if k in _KERAS_ONLY_KEYS and k not in _HARMLESS_KEYS and v not in (None, False)
    ]
    if unsupported:
        raise ValueError(f"from_keras cannot reproduce {unsupported}; remove them from the config")
    cls = optimizer_class(rule)
    kwargs = {k: v for k, v in config.items() if k not in _KERAS_ONLY_KEYS}
    if isinstance(kwargs.get("learning_rate"), dict):  # a serialized Keras schedule
        from . import schedules

        spec = kwargs["learning_rate"]
        kwargs["learning_rate"] = schedules.from_keras(spec["class_name"], **spec["config"])
    try:
        keras_args = {*rule.defaults, *_NOT_RULE_KEYWORDS}
        defaults = {k: v for k, v in cls().get_config().items() if k in keras_args}
        full = {**defaults, **kwargs}
        opt = cls(**keras_hyper(rule, full))
    except TypeError as err:
        raise ValueError(f"{name}: {err}; use Keras' argument names") from None
    opt._rule_flags = dict(rule.keras_flags)
    return opt


def to_keras(opt: Optimizer) -> Any:
    """Return the Keras optimizer that performs the same updates as ``opt``.

    :class:`EWMAMomentum` becomes ``SGD(learning_rate=lr*(1-beta), momentum=beta)`` (the
    classical form with rescaled learning rate, weight decay rescaled by ``1/(1-beta)`` so
    that ``lr * weight_decay`` is unchanged); :class:`LookaheadNesterov` becomes
    ``SGD(nesterov=True)``, whose iterates are its look-ahead points. A schedule becomes
    Keras' schedule (:func:`lessons_lib.schedules.to_keras`). Hyperparameters must be
    scalars. Imports Keras, which takes a few seconds.
    """
    keywords = _rule_keywords(opt.rule)
    variant = {k: v for k, v in opt._rule_flags.items()
               if k not in opt.rule.keras_flags and v != keywords.get(k)}  # fmt: skip
    if variant:
        raise ValueError(f"Keras has no variant {variant} of {opt.rule.keras_name or 'this'}; "
                         "translate the optimizer without .variant(...)")  # fmt: skip
    config = opt.keras_config()
    import keras  # lazy: the rest of lessons_lib never needs it

    if callable(config.get("learning_rate")):
        from . import schedules

        config["learning_rate"] = schedules.to_keras(config["learning_rate"])
    return getattr(keras.optimizers, opt.rule.keras_name)(**config)


def optimizer_table() -> str:
    """The table of every registered rule (class, year, paper, Keras name, state), in
    Markdown; the module docstring holds the same table for readers of the source."""
    rows = ["| class | year | paper | Keras | state per parameter tensor |",
            "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for rule in REGISTRY.values():
        cls = optimizer_class(rule)
        rows.append(f"| {cls.__name__} | {rule.year} | {rule.paper} | "
                    f"{rule.keras_name or '-'} | {rule.memory} |")  # fmt: skip
    return "\n".join(rows)


# --------------------------------------------------------------------------- H12b's twins
# (the classes of the other Keras optimizers follow here: a docstring and ``rule = ...``)
# Each class: Keras' signature and defaults, a one-line formula, and its rule; the
# formulas in full, the papers and where Keras departs from them are in the rule modules.


def _whole_number(name: str, value: Any) -> int:
    """``value`` as an int (Keras loops ``range(ns_steps)``), or a ValueError."""
    if isinstance(value, (bool, np.bool_)) or not float(value).is_integer() or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    return int(value)


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012):
    :math:`\Delta_t = -g_t \sqrt{d_{t-1}+\epsilon}/\sqrt{s_t+\epsilon}`,
    :math:`w_t = w_{t-1} + \eta\Delta_t` (``s``, ``d``: running averages of :math:`g^2` and
    :math:`\Delta^2`). The paper has no learning rate (:math:`\eta = 1`); Keras' default is
    0.001. Rule: :mod:`lessons_lib.rules.adadelta`.
    """

    rule = ADADELTA

    def __init__(
        self,
        learning_rate: ArrayLike | Schedule = 0.001,
        rho: ArrayLike = 0.95,
        epsilon: ArrayLike = 1e-7,
        weight_decay: ArrayLike | None = None,
    ):
        super().__init__(**_own(locals()))


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2015, section 7.1): Adam with an infinity norm,
    :math:`u_t = \max(\beta_2 u_{t-1}, |g_t|)`,
    :math:`w_t = w_{t-1} - \frac{\eta}{1-\beta_1^t}\frac{m_t}{u_t+\epsilon}`.
    Rule: :mod:`lessons_lib.rules.adamax`.
    """

    rule = ADAMAX

    def __init__(
        self,
        learning_rate: ArrayLike | Schedule = 0.001,
        beta_1: ArrayLike = 0.9,
        beta_2: ArrayLike = 0.999,
        epsilon: ArrayLike = 1e-7,
        weight_decay: ArrayLike | None = None,
    ):
        super().__init__(**_own(locals()))


class Nadam(Optimizer):
    r"""Nadam (Dozat, 2016): Adam with a Nesterov look-ahead on the first moment and the
    momentum schedule :math:`\mu_t = \beta_1(1 - \frac12 0.96^t)` (Keras 3; the paper has
    :math:`0.96^{t/250}`), bias-corrected by the product :math:`\prod\mu_i`.
    Rule: :mod:`lessons_lib.rules.nadam`.
    """

    rule = NADAM

    def __init__(
        self,
        learning_rate: ArrayLike | Schedule = 0.001,
        beta_1: ArrayLike = 0.9,
        beta_2: ArrayLike = 0.999,
        epsilon: ArrayLike = 1e-7,
        weight_decay: ArrayLike | None = None,
    ):
        super().__init__(**_own(locals()))


class Lion(Optimizer):
    r"""Lion (Chen et al., 2023): :math:`w_t = w_{t-1} - \eta\,\mathrm{sign}(\beta_1 m_{t-1}
    + (1-\beta_1) g_t)`, then :math:`m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t`: every
    coordinate moves by exactly :math:`\eta`. Rule: :mod:`lessons_lib.rules.lion`.
    """

    rule = LION

    def __init__(
        self,
        learning_rate: ArrayLike | Schedule = 0.001,
        beta_1: ArrayLike = 0.9,
        beta_2: ArrayLike = 0.99,
        weight_decay: ArrayLike | None = None,
    ):
        super().__init__(**_own(locals()))


class Lamb(Optimizer):
    r"""LAMB (You et al., 2020): Adam's direction :math:`r_t` times the trust ratio
    :math:`\|w\|/\|r_t\|` of the whole tensor (1 if a norm is zero),
    :math:`w_t = w_{t-1} - \eta\frac{\|w\|}{\|r_t\|} r_t`. Rule: :mod:`lessons_lib.rules.lamb`.
    """

    rule = LAMB

    def __init__(
        self,
        learning_rate: ArrayLike | Schedule = 0.001,
        beta_1: ArrayLike = 0.9,
        beta_2: ArrayLike = 0.999,
        epsilon: ArrayLike = 1e-7,
        weight_decay: ArrayLike | None = None,
    ):
        super().__init__(**_own(locals()))


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer & Stern, 2018): no first moment; for a matrix the second moment is
    the rank-1 product of row and column means of :math:`g^2+\epsilon_1`; the step
    :math:`g/\sqrt{\hat v}` is clipped to RMS ``clip_threshold`` and scaled by
    :math:`\max(\epsilon_2, \mathrm{RMS}(w))\min(\eta, 1/\sqrt t)`. ``relative_step`` changes
    nothing, as in Keras 3.15. Rule: :mod:`lessons_lib.rules.adafactor`.
    """

    rule = ADAFACTOR

    def __init__(
        self,
        learning_rate: ArrayLike | Schedule = 0.001,
        beta_2_decay: ArrayLike = -0.8,
        epsilon_1: ArrayLike = 1e-30,
        epsilon_2: ArrayLike = 1e-3,
        clip_threshold: ArrayLike = 1.0,
        relative_step: bool = True,
        weight_decay: ArrayLike | None = None,
    ):
        super().__init__(**_own(locals()))


class Ftrl(Optimizer):
    r"""FTRL-Proximal (McMahan et al., 2013): weights recomputed in closed form from the
    accumulated linear term :math:`z`, :math:`w = -\mathrm{sign}(z)\max(|z|-\lambda_1, 0)
    / (n^{-p}/\eta + \beta/\eta + 2\lambda_2)`, so L1 gives exact zeros.
    Rule: :mod:`lessons_lib.rules.ftrl`.
    """

    rule = FTRL

    def __init__(
        self,
        learning_rate: ArrayLike | Schedule = 0.001,
        learning_rate_power: ArrayLike = -0.5,
        initial_accumulator_value: ArrayLike = 0.1,
        l1_regularization_strength: ArrayLike = 0.0,
        l2_regularization_strength: ArrayLike = 0.0,
        l2_shrinkage_regularization_strength: ArrayLike = 0.0,
        beta: ArrayLike = 0.0,
        weight_decay: ArrayLike | None = None,
    ):
        super().__init__(**_own(locals()))


class Muon(Optimizer):
    r"""Muon (Jordan et al., 2024): for 2-D tensors, momentum whose step is orthogonalised
    by five Newton-Schulz iterations, :math:`w_t = w_{t-1} - \eta\, 0.2\sqrt{\max(R,C)}\,
    \mathrm{NS}_5(g_t + \beta m_t)`; every other tensor takes an AdamW step. Keras' decay is
    per tensor (``weight_decay`` for Muon tensors, ``adam_weight_decay`` for AdamW ones),
    so the rule applies it. Without a Keras variable path only the number of axes decides;
    ``.variant(path="...")`` gives one. Rule: :mod:`lessons_lib.rules.muon`.
    """

    rule = MUON

    def __init__(
        self,
        learning_rate: ArrayLike | Schedule = 0.001,
        adam_beta_1: ArrayLike = 0.9,
        adam_beta_2: ArrayLike = 0.999,
        adam_weight_decay: ArrayLike | None = 0.004,
        epsilon: ArrayLike = 1e-7,
        weight_decay: ArrayLike | None = 0.004,
        exclude_layers: list[str] | tuple[str, ...] | None = None,
        exclude_embeddings: bool = True,
        muon_a: ArrayLike = 3.4445,
        muon_b: ArrayLike = -4.7750,
        muon_c: ArrayLike = 2.0315,
        adam_lr_ratio: ArrayLike = 1,
        momentum: ArrayLike = 0.95,
        ns_steps: int = 5,
        nesterov: bool = True,
        rms_rate: ArrayLike | None = 0.2,
    ):
        args = _own(locals())
        # None means "off" for these two (Keras' meaning); the others are checked as usual
        off = {k: args.pop(k) for k in ("adam_weight_decay", "rms_rate")}
        layers = args.pop("exclude_layers")
        super().__init__(**args)
        for name, value in off.items():
            setattr(self, name, None if value is None else check_value(name, value, "[0, inf)"))
        if isinstance(layers, str) or not all(isinstance(s, str) for s in layers or ()):
            raise ValueError(f"exclude_layers must be a list of name patterns, got {layers!r}")
        self.exclude_layers = tuple(layers) if layers else None
        self.ns_steps = _whole_number("ns_steps", self.ns_steps)

    def hyper(self) -> dict[str, Any]:
        """The rule's keywords, weight_decay included (the rule decays, per tensor)."""
        return {**super().hyper(), "weight_decay": self.weight_decay}


class ScheduleFreeAdamW(Optimizer):
    r"""Schedule-Free AdamW (Defazio et al., 2024): Adam-normalised steps on :math:`z`, a
    uniform running average :math:`x` of the :math:`z`'s, gradients taken at
    :math:`y = (1-\beta_1) z + \beta_1 x`, which is what ``step`` returns (as Keras' variable
    holds :math:`y`); :func:`lessons_lib.rules.schedule_free_adamw.average` gives :math:`x`.
    Built directly it follows the paper; :func:`from_keras` adds Keras 3.15's TensorFlow
    slip (``x_from_new_z``, see the rule). Rule: :mod:`lessons_lib.rules.schedule_free_adamw`.
    """

    rule = SCHEDULE_FREE_ADAMW

    def __init__(
        self,
        learning_rate: ArrayLike | Schedule = 0.0025,
        beta_1: ArrayLike = 0.9,
        beta_2: ArrayLike = 0.999,
        epsilon: ArrayLike = 1e-8,
        warmup_steps: int = 0,
        weight_decay: ArrayLike | None = None,
    ):
        super().__init__(**_own(locals()))
        self.warmup_steps = _whole_number("warmup_steps", self.warmup_steps)

    def average(self, params: ArrayLike) -> np.ndarray:
        r"""The averaged iterate :math:`x` behind the returned :math:`y` (what the paper
        evaluates a trained model at); ``params`` before any step is its own average."""
        if not self.state:
            return np.asarray(params, dtype=float)
        return sf_average(np.asarray(params, dtype=float), self.state, self.beta_1)
