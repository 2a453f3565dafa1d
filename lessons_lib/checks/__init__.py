"""Exercise checks: compare a learner's function with the reference on odd inputs.

Every check prints exactly one line and returns True/False; it never raises, so a
notebook keeps running and the coursework grader can read the verdict::

    PASSED exercise 6.1: ...
    FAILED exercise 6.1: <what looks wrong and what to do>
    NOT ATTEMPTED exercise 6.1: <the hint>

One module per lesson holds that lesson's checks (``checks.momentum`` for lesson 03, ...);
``checks._core`` holds the comparison machinery they share. Odd hyperparameters
(beta_1 = 0.8, beta_2 = 0.888, epsilon = 1e-2, ...) make the classic mistakes visible;
when an answer is wrong, the check runs known *wrong* variants and names the one it matches.
"""

from ._core import Mistake, check_against_reference
from .adam import (
    check_adam_step,
    check_adamw_step,
    check_amsgrad_prediction,
    check_keras_epsilon,
    check_paper_epsilon,
)
from .adaptive import (
    check_adagrad_step,
    check_jitter_prediction,
    check_prediction,
    check_rmsprop_step,
)
from .after_adam import (
    check_decay_prediction,
    check_lion_step,
    check_trust_ratio_step,
    reveal_decay,
)
from .capstone import check_adam_rule
from .ewma import check_bias_correction_step, check_ewma_corrected, reveal_steps_to_level
from .gradient_descent import check_gd_step, check_max_stable_lr, reveal_fastest_learning_rate
from .momentum import check_momentum_step, check_optimal_momentum, reveal_regime
from .nesterov import check_keras_nesterov_step, check_nesterov_step, reveal_nesterov_limit
from .race import check_saddle_prediction, check_steps_to_reach, check_tuned_rate
from .schedules import (
    check_settled_step_prediction,
    check_torch_momentum_step,
    check_warmup_cosine,
)

__all__ = [
    "check_against_reference",
    "Mistake",
    "check_gd_step",
    "check_max_stable_lr",
    "check_ewma_corrected",
    "check_bias_correction_step",
    "reveal_steps_to_level",
    "reveal_fastest_learning_rate",
    "check_momentum_step",
    "check_optimal_momentum",
    "check_nesterov_step",
    "check_keras_nesterov_step",
    "reveal_regime",
    "reveal_nesterov_limit",
    "check_rmsprop_step",
    "check_adagrad_step",
    "check_adam_step",
    "check_keras_epsilon",
    "check_steps_to_reach",
    "check_prediction",
    "check_jitter_prediction",
    "check_paper_epsilon",
    "check_amsgrad_prediction",
    "check_adamw_step",
    "check_saddle_prediction",
    "check_tuned_rate",
    "check_adam_rule",
    "check_lion_step",
    "check_trust_ratio_step",
    "check_decay_prediction",
    "reveal_decay",
    "check_warmup_cosine",
    "check_torch_momentum_step",
    "check_settled_step_prediction",
]
