r"""Zero-one loss and accuracy: what a classifier is judged by, but cannot be trained on.

Both are *piecewise constant* in the model's parameters: a small change of a weight moves the scores
a little, the argmax does not change, and the value stays where it was; when the argmax does change,
the value jumps by :math:`1/N`. So their derivative is 0 almost everywhere and undefined at the
jumps, and gradient descent gets no signal from them. That is why training minimises a smooth
surrogate (the cross-entropy) and reports accuracy. These functions are therefore *not* registered
with :func:`losslab.grad`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _reduction as r
from . import _validation as v

__all__ = ["accuracy", "zero_one_loss"]


def _predicted_labels(input: ArrayLike, target: ArrayLike) -> tuple[np.ndarray, np.ndarray, Any]:
    """Return (predicted labels, target labels, result dtype)."""
    t_raw = v.to_array(target, "target")
    x_raw = v.to_array(input, "input")
    if x_raw.ndim == t_raw.ndim + 1:
        scores = v.as_float_array(x_raw, "input")
        class_axis, n_classes, expected = v.class_layout(scores.shape)
        if t_raw.shape != expected:
            raise ValueError(
                f"`target` has shape {t_raw.shape}, expected {expected} for scores of shape "
                f"{scores.shape} (class axis {class_axis})"
            )
        labels = v.as_label_array(t_raw, "target", n_classes=n_classes)
        pred = np.argmax(scores, axis=class_axis)
        return pred, labels, np.dtype(v.result_dtype(scores))
    if x_raw.shape == t_raw.shape:
        if x_raw.dtype.kind == "f":
            raise TypeError(
                f"`input` has dtype {x_raw.dtype} and the shape of `target`; expected integer "
                "predicted labels, or scores with one more (class) axis than `target`"
            )
        pred = v.as_label_array(x_raw, "input")
        labels = v.as_label_array(t_raw, "target")
        if pred.size and np.min(pred) < 0:
            raise ValueError(
                f"`input` contains the label {int(np.min(pred))}, expected class labels >= 0"
            )
        if labels.size == 0:
            raise ValueError("`target` is empty, expected at least one label")
        return pred, labels, np.dtype(np.float64)
    raise ValueError(
        f"`input` has shape {x_raw.shape}, expected {t_raw.shape} (predicted labels, like "
        f"`target`) or scores with one more (class) axis than `target`"
    )


def zero_one_loss(input: ArrayLike, target: ArrayLike, *, reduction: str = "mean") -> Any:
    r"""Zero-one loss: 1 for a misclassified sample, 0 for a correct one.

    .. math::
        :formula: zero_one_loss value argmax

        \ell_n = \mathbb{1}\left[\hat y_n \ne y_n\right], \qquad
        \hat y_n = \operatorname*{arg\,max}_c x_{n,c}

    ``'mean'`` gives the error rate :math:`\frac1N\sum_n \ell_n = 1 - \text{accuracy}`, ``'sum'``
    the number of errors, ``'none'`` the array of :math:`\ell_n`.

    Parameters
    ----------
    input : array_like
        Either scores (logits or probabilities) with one more axis than ``target``: the class axis,
        which is axis 1 for ``(N, C, ...)`` and axis 0 for a single ``(C,)`` sample, as in
        :func:`losslab.cross_entropy`; or integer predicted labels of ``target``'s shape.
    target : array_like
        Integer class labels.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the per-sample losses are combined.

    Returns
    -------
    numpy scalar or ndarray
        float64 (float32 for float32 scores); an array shaped like ``target`` for ``'none'``.

    Shape
    -----
    * ``input``: scores ``(C,)``, ``(N, C)`` or ``(N, C, d1, ..., dK)``, or predicted labels of
      ``target``'s shape.
    * ``target``: ``()``, ``(N,)`` or ``(N, d1, ..., dK)``: the scores' shape without the class
      axis.
    * output: a scalar for ``reduction='mean'`` and ``'sum'``; ``target``'s shape for
      ``reduction='none'``.

    Raises
    ------
    ValueError
        If the shapes do not fit, a label is out of range, an input is empty or not finite, or
        ``reduction`` is unknown.
    TypeError
        If labels are not integers (float predictions of ``target``'s shape included) or an input
        has a bool, complex, object or string dtype.

    Notes
    -----
    Ties go to the first maximal class (:func:`numpy.argmax`, like ``torch.argmax``). Not
    differentiable (see the module notes): ``losslab.grad(losslab.zero_one_loss)`` raises
    ``TypeError``.

    Conventions
    -----------
    * scikit-learn ``zero_one_loss(y_true, y_pred, normalize=True)``: labels only, arguments in the
      other order; ``normalize=False`` is ``reduction='sum'``.
    * PyTorch and Keras have no zero-one loss; the metric libraries report accuracy instead.

    Examples
    --------
    The study diary's outputs with the correct class 2:

    >>> import losslab
    >>> y2 = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
    >>> y3 = [0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.0, 0.6, 0.0]
    >>> print(losslab.zero_one_loss(y2, 2), losslab.zero_one_loss(y3, 2))
    0.0 1.0
    >>> print(losslab.zero_one_loss([y2, y3], [2, 2], reduction="none"))
    [0. 1.]
    """
    v.check_reduction(reduction)
    pred, labels, dtype = _predicted_labels(input, target)
    wrong = (pred != labels).astype(dtype)
    return r.reduce(wrong, reduction, dtype)


def accuracy(input: ArrayLike, target: ArrayLike) -> Any:
    r"""Fraction of correctly classified samples.

    .. math::
        :formula: accuracy mean|-

        \text{accuracy} = \frac{1}{N}\sum_{n=1}^{N} \mathbb{1}\left[\hat y_n = y_n\right]
        = 1 - \text{zero-one loss}

    Parameters
    ----------
    input : array_like
        Scores with a class axis (see :func:`zero_one_loss`) or integer predicted labels of
        ``target``'s shape.
    target : array_like
        Integer class labels.

    Returns
    -------
    numpy scalar
        A multiple of :math:`1/N` in :math:`[0, 1]`; float64 (float32 for float32 scores).

    Raises
    ------
    ValueError
        If the shapes do not fit, a label is out of range, or an input is empty or not finite.
    TypeError
        If labels are not integers or an input has a bool, complex, object or string dtype.

    Notes
    -----
    Accuracy only takes the values :math:`k/N`: with 100 samples it moves from 0.32 to 0.33, never
    to 0.320123. Its derivative with respect to any parameter is 0 wherever it exists, so it cannot
    guide gradient descent (see the module notes). Not registered with :func:`losslab.grad`.

    Conventions
    -----------
    * scikit-learn ``accuracy_score(y_true, y_pred)``: labels only, arguments in the other order.
    * Keras ``SparseCategoricalAccuracy`` takes scores and labels like this function;
      ``torchmetrics.Accuracy`` likewise (``task='multiclass'``).

    Examples
    --------
    32 of 100 samples correct (the "Learning from data" notes):

    >>> import numpy as np
    >>> import losslab
    >>> target = np.zeros(100, dtype=int)
    >>> predicted = np.array([0] * 32 + [1] * 68)
    >>> print(losslab.accuracy(predicted, target))
    0.32

    A 1-D classifier that predicts class 1 where :math:`x + b > 0`. At
    :math:`b = -0.7` it gets 4 of 5 right, and the accuracy does not move when :math:`b` does:

    >>> x = np.array([-2.0, -1.0, 0.5, 1.5, 3.0])
    >>> labels = np.array([0, 0, 1, 1, 1])
    >>> acc = lambda b: losslab.accuracy((x + b > 0).astype(int), labels)
    >>> print(acc(-0.7))
    0.8
    >>> print(losslab.numerical_diff(acc, -0.7, h=1e-4))
    0.0
    """
    pred, labels, dtype = _predicted_labels(input, target)
    return r.reduce((pred == labels).astype(dtype), "mean", dtype)
