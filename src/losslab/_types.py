"""Types of the public signatures (for type checkers; nothing here runs at call time)."""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray

#: The reductions of every loss.
Reduction: TypeAlias = Literal["none", "mean", "sum"]
#: kl_div's reductions: PyTorch's ``"batchmean"`` divides by the batch size.
KLReduction: TypeAlias = Literal["none", "mean", "sum", "batchmean"]
#: What ``reduction="none"`` returns: one loss per element (or row).
Losses: TypeAlias = NDArray[np.floating[Any]]
#: What ``"mean"``, ``"sum"`` (and ``"batchmean"``) return: a NumPy scalar of the input's dtype
#: (np.float64 or np.float32).
Scalar: TypeAlias = np.floating[Any]
#: A result dtype of the losses: float64 or float32.
FloatDType: TypeAlias = np.dtype[np.floating[Any]]
#: ``(value, gradient)`` as the engines return them: the reduced value (``Scalar``, or
#: ``Losses`` for ``"none"``) and the gradient (None when it was not asked for).
ValueAndGrad: TypeAlias = tuple[Scalar | Losses, Losses | None]
