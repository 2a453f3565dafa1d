"""Reference optimizers in NumPy, written to be read in a lecture.

Every optimizer follows one small protocol::

    opt = Adam(learning_rate=0.01)
    w = opt.step(w, grad(w))      # returns the new parameters, state kept on ``opt``
    opt.reset()                   # forget the state (moments, step count)

``step`` never modifies its arguments. Parameters may have any shape, so a batch of
independent runs (a grid of start points) is just a bigger array. Hyperparameters may
be arrays too, as long as they broadcast against the parameters: a ``(n, 1)`` array of
learning rates with ``(n, 2)`` parameters runs ``n`` differently tuned copies at once.

Names and defaults follow Keras 3 wherever Keras has the algorithm, and each update
rule is the one Keras applies (``keras/src/optimizers/*.py``), so that
:func:`from_keras` / :func:`to_keras` translate between the two exactly.
Where the original papers use another convention the docstring says so.

Weight decay (any optimizer, as in Keras) is *decoupled*: before the update rule,
``w <- w - lr * weight_decay * w`` (Loshchilov & Hutter, 2019).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

ArrayLike = Any  # float, or anything np.asarray turns into a float array

__all__ = [
    "SGD",
    "ClassicalMomentum",
    "EWMAMomentum",
    "LookaheadNesterov",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "Optimizer",
    "from_keras",
    "to_keras",
]


# --------------------------------------------------------------------------- checks
def _hyper(
    name: str,
    value: ArrayLike,
    low: float,
    high: float = np.inf,
    low_inclusive: bool = False,
    high_inclusive: bool = False,
) -> np.ndarray:
    """Return ``value`` as a float array after checking it lies in the stated range."""
    lo = "[" if low_inclusive else "("
    hi = "]" if high_inclusive else ")"
    valid = f"{lo}{low:g}, {high:g}{hi}"
    not_a_number = ValueError(
        f"{name} must be a real number in {valid} (or an array of them), got {value!r}"
    )
    if isinstance(value, (bool, np.bool_)) or (
        not isinstance(value, (numbers.Real, np.ndarray, list, tuple))
    ):
        raise not_a_number
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):  # ragged nested lists
        raise not_a_number from None
    if raw.dtype.kind not in "iuf" or raw.size == 0:  # bools, strings, objects, nothing
        raise not_a_number
    arr = raw.astype(float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite and in {valid}, got {value!r}")
    ok_low = arr >= low if low_inclusive else arr > low
    ok_high = arr <= high if high_inclusive else arr < high
    if not np.all(ok_low & ok_high):
        raise ValueError(f"{name} must be in {valid}, got {value!r}")
    return arr if arr.ndim else float(arr)


def _flag(name: str, value: Any) -> bool:
    """Return ``value`` as a bool; anything but True/False is a mistake worth reporting."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _learning_rate(value: ArrayLike) -> np.ndarray:
    return _hyper("learning_rate", value, 0.0)


def _beta(name: str, value: ArrayLike) -> np.ndarray:
    return _hyper(name, value, 0.0, 1.0, low_inclusive=True)


def _epsilon(value: ArrayLike) -> np.ndarray:
    return _hyper("epsilon", value, 0.0)


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
    """State and bookkeeping shared by every optimizer; subclasses write ``_update``."""

    #: name of the Keras optimizer class this one mirrors (None: Keras has no twin)
    keras_name: str | None = None

    def __init__(self, learning_rate: ArrayLike, weight_decay: ArrayLike | None = None):
        self.learning_rate = _learning_rate(learning_rate)
        self.weight_decay = (
            None
            if weight_decay is None
            else _hyper("weight_decay", weight_decay, 0.0, low_inclusive=True)
        )
        self.reset()

    def reset(self) -> None:
        """Forget all state: moments, accumulators and the step count."""
        self.iterations = 0
        self.state: dict[str, np.ndarray] = {}

    def _slot(self, name: str, like: np.ndarray, fill: ArrayLike = 0.0) -> np.ndarray:
        """The state array ``name``, created filled with ``fill`` on first use."""
        if name not in self.state:
            shape = np.broadcast_shapes(like.shape, np.shape(self.learning_rate), np.shape(fill))
            self.state[name] = np.broadcast_to(np.asarray(fill, dtype=float), shape).copy()
        return self.state[name]

    def step(self, params: ArrayLike, grads: ArrayLike) -> np.ndarray:
        """Return the parameters after one update; ``params`` itself is not modified."""
        w, g = _as_params_and_grads(params, grads)
        saved = dict(self.state), self.iterations  # _update replaces arrays, never edits them
        try:
            if self.weight_decay is not None:
                w = w - self.learning_rate * self.weight_decay * w
            self.iterations += 1
            return self._update(w, g)
        except ValueError as err:  # shapes that do not broadcast: leave nothing half-done
            self.state, self.iterations = saved
            raise ValueError(
                f"params of shape {w.shape} do not broadcast against this optimizer's array "
                f"hyperparameters or its state ({err}); call reset() before changing shape"
            ) from None

    def _update(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """Hyperparameters by their Keras names (floats, or lists for array values)."""
        config = {k: v for k, v in vars(self).items() if k not in ("state", "iterations")}
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in config.items()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


# --------------------------------------------------------------------------- SGD family
class SGD(Optimizer):
    r"""Gradient descent, optionally with classical momentum or Nesterov, exactly as Keras.

    * ``momentum == 0``:  :math:`w \leftarrow w - \eta g`
    * momentum (Polyak's heavy ball, *classical* form, velocity in parameter units):
      :math:`v \leftarrow \mu v - \eta g,\quad w \leftarrow w + v`
    * ``nesterov=True`` (the reformulation of Sutskever et al. 2013 that Keras uses; it
      needs no gradient at a look-ahead point, see :class:`LookaheadNesterov`):
      :math:`v \leftarrow \mu v - \eta g,\quad w \leftarrow w + \mu v - \eta g`
    """

    keras_name = "SGD"

    def __init__(
        self,
        learning_rate: ArrayLike = 0.01,
        momentum: ArrayLike = 0.0,
        nesterov: bool = False,
        weight_decay: ArrayLike | None = None,
    ):
        self.momentum = _hyper("momentum", momentum, 0.0, 1.0, low_inclusive=True)
        self.nesterov = _flag("nesterov", nesterov)
        super().__init__(learning_rate, weight_decay)

    def _update(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        lr, mu = self.learning_rate, self.momentum
        if not np.any(mu) and not self.nesterov:
            return w - lr * g
        v = self.state["velocity"] = mu * self._slot("velocity", w) - lr * g
        return w + mu * v - lr * g if self.nesterov else w + v


class ClassicalMomentum(SGD):
    r"""Momentum in the classical form: :math:`v \leftarrow \beta v - \eta g,\; w \leftarrow w + v`.

    The same as ``SGD(momentum=beta)``; the name makes the lessons read clearly.
    It equals :class:`EWMAMomentum` with learning rate :math:`\eta / (1-\beta)`.
    """

    def __init__(
        self,
        learning_rate: ArrayLike = 0.01,
        momentum: ArrayLike = 0.9,
        weight_decay: ArrayLike | None = None,
    ):
        super().__init__(learning_rate, momentum, nesterov=False, weight_decay=weight_decay)


class EWMAMomentum(Optimizer):
    r"""Momentum as an exponentially weighted moving average of gradients (Ng's course form).

    :math:`v \leftarrow \beta v + (1-\beta) g,\quad w \leftarrow w - \eta v`

    ``v`` is an average gradient, so ``eta`` keeps the meaning it has for plain gradient
    descent. Equivalent to :class:`ClassicalMomentum` with learning rate
    :math:`\eta(1-\beta)` (the velocities differ by the factor :math:`-\eta(1-\beta)`).
    Keras has no twin of this form; ``to_keras`` translates it to ``SGD``.
    """

    def __init__(
        self,
        learning_rate: ArrayLike = 0.1,
        beta: ArrayLike = 0.9,
        bias_correction: bool = False,
        weight_decay: ArrayLike | None = None,
    ):
        self.beta = _beta("beta", beta)
        self.bias_correction = _flag("bias_correction", bias_correction)
        super().__init__(learning_rate, weight_decay)

    def _update(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        b = self.beta
        v = self.state["velocity"] = b * self._slot("velocity", w) + (1 - b) * g
        if self.bias_correction:
            v = v / (1 - b**self.iterations)
        return w - self.learning_rate * v


class LookaheadNesterov(Optimizer):
    r"""Nesterov's accelerated gradient in its textbook look-ahead form.

    :math:`v \leftarrow \mu v - \eta \nabla f(w + \mu v),\quad w \leftarrow w + v`

    The gradient is taken at the look-ahead point, so this optimizer needs the gradient
    *function*: call ``step(w, grad_fn)`` with ``grad_fn(points) -> gradients``.
    With :math:`\tilde w = w + \mu v` (the look-ahead point) the iterates
    :math:`\tilde w` are exactly those of ``SGD(momentum=mu, nesterov=True)``.
    """

    def __init__(self, learning_rate: ArrayLike = 0.01, momentum: ArrayLike = 0.9):
        self.momentum = _hyper("momentum", momentum, 0.0, 1.0, low_inclusive=True)
        super().__init__(learning_rate)

    def lookahead(self, params: ArrayLike) -> np.ndarray:
        """The point where the next gradient is evaluated: :math:`w + \\mu v`."""
        w = np.asarray(params, dtype=float)
        return w + self.momentum * self.state.get("velocity", 0.0)

    def step(self, params: ArrayLike, grads: Any) -> np.ndarray:  # type: ignore[override]
        """One update; ``grads`` is the gradient function, called at the look-ahead point."""
        if not callable(grads):
            raise ValueError(
                "LookaheadNesterov.step needs the gradient function, not a gradient array: "
                "step(w, grad_fn), because the gradient is taken at w + momentum * v"
            )
        w = np.asarray(params, dtype=float)
        return super().step(w, grads(self.lookahead(w)))

    def _update(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        v = self.state["velocity"] = (
            self.momentum * self._slot("velocity", w) - self.learning_rate * g
        )
        return w + v


# --------------------------------------------------------------------------- adaptive
class Adagrad(Optimizer):
    r"""AdaGrad (Duchi et al., 2011) as Keras writes it.

    :math:`s \leftarrow s + g^2,\quad w \leftarrow w - \eta\, g / \sqrt{s + \epsilon}`

    ``s`` starts at ``initial_accumulator_value`` (Keras: 0.1). Note that Keras puts
    epsilon *inside* the square root; PyTorch and the paper's common statement put it
    outside (:math:`\sqrt{s} + \epsilon`). See lesson 05 for when it matters.
    """

    keras_name = "Adagrad"

    def __init__(
        self,
        learning_rate: ArrayLike = 0.001,
        initial_accumulator_value: ArrayLike = 0.1,
        epsilon: ArrayLike = 1e-7,
        weight_decay: ArrayLike | None = None,
    ):
        self.initial_accumulator_value = _hyper(
            "initial_accumulator_value", initial_accumulator_value, 0.0, low_inclusive=True
        )
        self.epsilon = _epsilon(epsilon)
        super().__init__(learning_rate, weight_decay)

    def _update(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        s = self._slot("accumulator", w, self.initial_accumulator_value)
        s = self.state["accumulator"] = s + g * g
        return w - self.learning_rate * g / np.sqrt(s + self.epsilon)


class RMSprop(Optimizer):
    r"""RMSProp (Hinton's lecture 6e) as Keras writes it.

    .. math::
        s \leftarrow \rho s + (1-\rho) g^2, \qquad
        \Delta = \eta\, g / \sqrt{s - \bar g^2 + \epsilon}

    where :math:`\bar g \leftarrow \rho \bar g + (1-\rho) g` only when ``centered``
    (otherwise :math:`\bar g = 0`). Then :math:`w \leftarrow w - \Delta`, or with momentum
    :math:`m \leftarrow \mu m + \Delta,\; w \leftarrow w - m`. Epsilon is *inside* the
    square root, as in Keras (PyTorch puts it outside).
    """

    keras_name = "RMSprop"

    def __init__(
        self,
        learning_rate: ArrayLike = 0.001,
        rho: ArrayLike = 0.9,
        momentum: ArrayLike = 0.0,
        epsilon: ArrayLike = 1e-7,
        centered: bool = False,
        weight_decay: ArrayLike | None = None,
    ):
        self.rho = _beta("rho", rho)
        self.momentum = _hyper("momentum", momentum, 0.0, 1.0, low_inclusive=True)
        self.epsilon = _epsilon(epsilon)
        self.centered = _flag("centered", centered)
        super().__init__(learning_rate, weight_decay)

    def _update(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        rho = self.rho
        s = self.state["velocity"] = rho * self._slot("velocity", w) + (1 - rho) * g * g
        denominator = s + self.epsilon
        if self.centered:
            gbar = self.state["average_gradient"] = (
                rho * self._slot("average_gradient", w) + (1 - rho) * g
            )
            denominator = denominator - gbar * gbar
        increment = self.learning_rate * g / np.sqrt(denominator)
        if not np.any(self.momentum):
            return w - increment
        m = self.state["momentum"] = self.momentum * self._slot("momentum", w) + increment
        return w - m


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015): momentum + RMSProp + bias correction.

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g, \quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2, \quad
        \hat m = \frac{m}{1-\beta_1^t}, \quad \hat v = \frac{v}{1-\beta_2^t}

    ``epsilon_mode="keras"`` (default; Keras, and Algorithm 1's "efficient version" in the
    paper) applies epsilon to the *uncorrected* root:
    :math:`w \leftarrow w - \eta_t\, m / (\sqrt{v} + \hat\epsilon)` with
    :math:`\eta_t = \eta \sqrt{1-\beta_2^t} / (1-\beta_1^t)`.
    ``epsilon_mode="paper"`` is Algorithm 1 as printed (and PyTorch):
    :math:`w \leftarrow w - \eta\, \hat m / (\sqrt{\hat v} + \epsilon)`.
    The two agree when :math:`\hat\epsilon = \epsilon\sqrt{1-\beta_2^t}`.
    ``amsgrad`` (Reddi et al., 2018) uses the running maximum of ``v``.
    """

    keras_name = "Adam"

    def __init__(
        self,
        learning_rate: ArrayLike = 0.001,
        beta_1: ArrayLike = 0.9,
        beta_2: ArrayLike = 0.999,
        epsilon: ArrayLike = 1e-7,
        amsgrad: bool = False,
        weight_decay: ArrayLike | None = None,
        epsilon_mode: str = "keras",
    ):
        self.beta_1 = _beta("beta_1", beta_1)
        self.beta_2 = _beta("beta_2", beta_2)
        self.epsilon = _epsilon(epsilon)
        self.amsgrad = _flag("amsgrad", amsgrad)
        if epsilon_mode not in ("keras", "paper"):
            raise ValueError(f"epsilon_mode must be 'keras' or 'paper', got {epsilon_mode!r}")
        self.epsilon_mode = epsilon_mode
        super().__init__(learning_rate, weight_decay)

    def _update(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        b1, b2, t = self.beta_1, self.beta_2, self.iterations
        m = self.state["m"] = b1 * self._slot("m", w) + (1 - b1) * g
        v = self.state["v"] = b2 * self._slot("v", w) + (1 - b2) * g * g
        if self.amsgrad:
            v = self.state["v_hat"] = np.maximum(self._slot("v_hat", w), v)
        if self.epsilon_mode == "paper":
            m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
            return w - self.learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)
        alpha = self.learning_rate * np.sqrt(1 - b2**t) / (1 - b1**t)
        return w - alpha * m / (np.sqrt(v) + self.epsilon)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019), Keras defaults.

    :math:`w \leftarrow w - \eta\lambda w` before the Adam update (``weight_decay`` =
    :math:`\lambda`, Keras default 0.004). Unlike L2 regularisation the decay is not
    divided by :math:`\sqrt{\hat v}`.
    """

    keras_name = "AdamW"

    def __init__(
        self,
        learning_rate: ArrayLike = 0.001,
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
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay=weight_decay)


# --------------------------------------------------------------------------- Keras bridge
_KERAS_CLASSES: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
}
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
# Hyperparameters Keras only ever uses after rounding them through float32: the learning
# rate lives in a float32 variable, and ``ops.cast(python_float, "float64")`` converts the
# Python float to a float32 tensor first. Found by running Keras 3 (TensorFlow backend)
# in float64 against the twin with and without the rounding; tests/test_keras_equivalence.py
# keeps checking it. (RMSprop's rho/momentum and every epsilon are used exactly.)
_KERAS_FLOAT32 = {
    "sgd": ("learning_rate", "momentum", "weight_decay"),
    "rmsprop": ("learning_rate", "weight_decay"),
    "adagrad": ("learning_rate", "initial_accumulator_value", "weight_decay"),
    "adam": ("learning_rate", "weight_decay"),
    "adamw": ("learning_rate", "weight_decay"),
}


def _float32(value: Any) -> Any:
    """Round a hyperparameter through float32 as Keras does (see :func:`from_keras`)."""
    return np.asarray(value, dtype=np.float32).astype(float)[()]


def from_keras(name: str, /, **config: Any) -> Optimizer:
    r"""Return the reference twin of ``keras.optimizers.<name>(**config)``.

    ``name`` is "SGD", "RMSprop", "Adagrad", "Adam" or "AdamW" (any case); ``config``
    takes Keras' argument names (``keras_optimizer.get_config()`` works), and missing
    ones get Keras' defaults.

    Keras rounds some Python-float hyperparameters through float32 whatever the dtype of
    the weights: the learning rate (a float32 variable), SGD's momentum, AdamW's
    ``weight_decay`` and Adagrad's ``initial_accumulator_value``. So
    ``learning_rate=0.1`` really is ``0.10000000149...`` inside Keras, and the twin rounds
    those hyperparameters the same way. Against Keras running in float64 it then agrees
    to rounding error (~1e-15). One exception remains: Keras' Adam uses
    ``float32(beta)`` in the bias corrections :math:`1-\beta^t` but the exact ``beta``
    in the moving averages, which no single value can copy. For betas that float32
    holds exactly (0.75, 0.875, ``float(np.float32(0.9))``) the twin is exact; for
    ``beta_2=0.999`` the first steps differ by ~2e-5 relatively. In float32 training
    float32 arithmetic itself is the larger difference.
    """
    key = str(name).lower()
    if key not in _KERAS_CLASSES:
        raise ValueError(f"name must be one of SGD, RMSprop, Adagrad, Adam, AdamW; got {name!r}")
    unsupported = [
        k
        for k, v in config.items()
        if k in _KERAS_ONLY_KEYS and k not in _HARMLESS_KEYS and v not in (None, False)
    ]
    if unsupported:
        raise ValueError(f"from_keras cannot reproduce {unsupported}; remove them from the config")
    cls = _KERAS_CLASSES[key]
    kwargs = {k: v for k, v in config.items() if k not in _KERAS_ONLY_KEYS}
    defaults = vars(cls())
    for hyper in _KERAS_FLOAT32[key]:
        value = kwargs.get(hyper, defaults[hyper])
        if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
            kwargs[hyper] = _float32(value)
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise ValueError(f"{name}: {err}; use Keras' argument names") from None


def to_keras(opt: Optimizer) -> Any:
    """Return the Keras optimizer that performs the same updates as ``opt``.

    :class:`EWMAMomentum` becomes ``SGD(learning_rate=lr*(1-beta), momentum=beta)`` (the
    classical form with rescaled learning rate, weight decay rescaled by ``1/(1-beta)`` so
    that ``lr * weight_decay`` is unchanged); :class:`LookaheadNesterov` becomes
    ``SGD(nesterov=True)``, whose iterates are its look-ahead points.
    Hyperparameters must be scalars. Imports Keras, which takes a few seconds.
    """
    import keras  # lazy: the rest of lessons_lib never needs it

    config = opt.get_config()
    if any(isinstance(v, list) for v in config.values()):
        raise ValueError("to_keras needs scalar hyperparameters; this optimizer holds arrays")
    if isinstance(opt, EWMAMomentum):
        if opt.bias_correction:
            raise ValueError("Keras has no bias-corrected momentum; use bias_correction=False")
        scale = 1 - opt.beta  # Keras' decay is lr * weight_decay: keep the product
        return keras.optimizers.SGD(
            learning_rate=float(opt.learning_rate * scale),
            momentum=float(opt.beta),
            weight_decay=None if opt.weight_decay is None else float(opt.weight_decay / scale),
        )
    if isinstance(opt, LookaheadNesterov):
        return keras.optimizers.SGD(
            learning_rate=float(opt.learning_rate), momentum=float(opt.momentum), nesterov=True
        )
    if opt.keras_name is None:
        raise ValueError(f"{type(opt).__name__} has no Keras twin")
    if isinstance(opt, Adam) and opt.epsilon_mode != "keras":
        raise ValueError("Keras' Adam uses epsilon_mode='keras'; set it before translating")
    config.pop("epsilon_mode", None)
    if isinstance(opt, SGD) and type(opt) is not SGD:  # ClassicalMomentum
        config["nesterov"] = False
    return getattr(keras.optimizers, opt.keras_name)(**config)
