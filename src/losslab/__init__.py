"""losslab: loss functions you can understand and trust.

Every loss has its formula, gradient, conventions and worked examples in its docstring, all
executed in CI. ``import losslab`` loads NumPy only; the symbolic layer (SymPy) loads on use.
"""

from ._config import show_config
from ._registry import differentiable_functions, grad, value_and_grad
from .binary_cross_entropy import binary_cross_entropy, binary_cross_entropy_with_logits
from .classification import accuracy, zero_one_loss
from .cross_entropy import cross_entropy, nll_loss
from .ctc import ctc_loss
from .descent import DescentResult, gradient_descent
from .dice import dice_loss, tversky_loss
from .embedding import (
    cosine_embedding_loss,
    margin_ranking_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from .focal import sigmoid_focal_loss
from .gaussian_nll import gaussian_nll_loss
from .huber import huber_loss, smooth_l1_loss
from .information import cross_entropy_pq, entropy, kl_divergence
from .kl_div import kl_div
from .l1 import l1_loss
from .linear_cross_entropy import linear_cross_entropy
from .log_cosh import log_cosh_loss
from .margin import hinge_embedding_loss, hinge_loss, multi_margin_loss, soft_margin_loss
from .minibatch import duplicate_probability, iterate_minibatches, sample_batch
from .mse import mse_loss
from .multilabel import multilabel_margin_loss, multilabel_soft_margin_loss
from .numerical import numerical_diff, numerical_gradient
from .penalties import l1_penalty, l2_penalty, prox_l1, prox_l2
from .pinball import pinball_loss
from .poisson import poisson_nll_loss
from .softmax import log_sigmoid, log_softmax, sigmoid, softmax
from .threads import get_num_threads, set_num_threads

# The public names, literal so that type checkers see them (tests/test_package.py checks
# that the list matches the imports above).
__all__ = [
    "DescentResult",
    "accuracy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cosine_embedding_loss",
    "cross_entropy",
    "cross_entropy_pq",
    "ctc_loss",
    "dice_loss",
    "differentiable_functions",
    "duplicate_probability",
    "entropy",
    "gaussian_nll_loss",
    "get_num_threads",
    "grad",
    "gradient_descent",
    "hinge_embedding_loss",
    "hinge_loss",
    "huber_loss",
    "iterate_minibatches",
    "kl_div",
    "kl_divergence",
    "l1_loss",
    "l1_penalty",
    "l2_penalty",
    "linear_cross_entropy",
    "log_cosh_loss",
    "log_sigmoid",
    "log_softmax",
    "margin_ranking_loss",
    "mse_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "numerical_diff",
    "numerical_gradient",
    "pinball_loss",
    "poisson_nll_loss",
    "prox_l1",
    "prox_l2",
    "sample_batch",
    "set_num_threads",
    "show_config",
    "sigmoid",
    "sigmoid_focal_loss",
    "smooth_l1_loss",
    "soft_margin_loss",
    "softmax",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "tversky_loss",
    "value_and_grad",
    "zero_one_loss",
]
__version__ = "0.1.0"
