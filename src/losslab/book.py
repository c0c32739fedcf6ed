r"""The textbook code used by the articles (Saito, *Deep Learning from Scratch*, ch. 3-4).

The five source articles quote the book's NumPy functions and print their results. This module keeps
the book's names, arguments and arithmetic, so that an article snippet runs unchanged after
replacing its ``def`` with ``from losslab.book import ...`` and prints the same digits:

>>> import numpy as np
>>> from losslab.book import cross_entropy_error, mean_squared_error
>>> t = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
>>> y2 = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
>>> print(mean_squared_error(y2, np.array(t)))
0.09750000000000003
>>> print(cross_entropy_error(y2, np.array(t)))
0.510825457099338

Differences from the book, all of them fixes that leave its numbers unchanged:

* inputs are checked (shape mismatch, labels out of range, empty or non-numeric arrays raise a
  ``ValueError`` or ``TypeError`` naming the argument); lists are accepted;
* :func:`cross_entropy_error` accepts a plain Python ``int`` label (the book calls ``t.reshape``
  and fails with ``AttributeError``);
* :func:`numerical_gradient` and :func:`gradient_descent` never modify the caller's array (the book
  writes into ``x`` while it differentiates and updates ``init_x`` in place; on an integer array
  ``x[idx] = tmp_val + h`` stores ``int(x + h)``, so the book silently returns a wrong gradient,
  25000 instead of 6 for :math:`x^2` at 3).

**The** :math:`\delta` **in the cross-entropy.** The book adds :math:`\delta = 10^{-7}` to every
predicted probability before the logarithm,
:math:`E = -\sum_k t_k \ln(y_k + \delta)`, so that a zero probability gives the finite value
:math:`-\ln 10^{-7} \approx 16.118` instead of :math:`+\infty`. It also shifts every other value:
:math:`-\ln(0.6 + \delta)` differs from :math:`-\ln 0.6` in the 7th significant digit. The main API
(:func:`losslab.cross_entropy`, :func:`losslab.nll_loss`, :func:`losslab.cross_entropy_pq`) adds no
:math:`\delta`: it works from logits or uses exact :math:`0 \log 0 = 0` handling instead. Use this
module to reproduce the articles, and the main API for anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as v

__all__ = [
    "cross_entropy_error",
    "gradient_descent",
    "mean_squared_error",
    "numerical_diff",
    "numerical_gradient",
    "sigmoid",
    "softmax",
    "step_function",
    "sum_squared_error",
]

DELTA = 1e-7
"""The book's :math:`\\delta`, added inside the logarithm of :func:`cross_entropy_error`."""

H = 1e-4
"""The book's finite-difference step for :func:`numerical_diff` and :func:`numerical_gradient`."""


def _check_callable(f: Any, name: str) -> None:
    if not callable(f):
        raise TypeError(f"`{name}` is {f!r}, expected a callable")


def mean_squared_error(y: ArrayLike, t: ArrayLike) -> Any:
    r"""The book's "mean squared error": half the sum of squared differences.

    .. math::
        :formula: mse_loss book y=x t=y

        E = \frac{1}{2}\sum_k (y_k - t_k)^2

    Despite its name there is no mean: neither over the :math:`k` dimensions nor over a batch.

    Parameters
    ----------
    y : array_like
        Network output, any shape.
    t : array_like
        Supervised data (a one-hot label in the book), same shape as ``y``.

    Returns
    -------
    numpy scalar
        :math:`E`, float64 (float32 if ``y`` is float32 and ``t`` float32 or integer).

    Raises
    ------
    ValueError
        If the shapes differ or an input is empty or not finite.
    TypeError
        If an input has a bool, complex, object or string dtype.

    Conventions
    -----------
    * :func:`losslab.mse_loss` (PyTorch ``F.mse_loss``, scikit-learn, Keras on 1-D input) divides by
      the number of elements and has no :math:`\tfrac12`: for :math:`d` elements the two differ by
      the factor :math:`2/d` (0.2 for the articles' 10 classes).
    * The textbook's own repository names this function ``sum_squared_error``; both names are
      available here.

    Examples
    --------
    The study diary's three outputs against the one-hot label of class 2:

    >>> import numpy as np
    >>> from losslab.book import mean_squared_error
    >>> t = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    >>> y = np.array([0.01, 0.03, 0.7, 0.06, 0.2, 0, 0, 0, 0, 0])
    >>> y2 = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    >>> y3 = np.array([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.0, 0.6, 0.0])
    >>> print(mean_squared_error(y, t))
    0.06730000000000003
    >>> print(mean_squared_error(y2, t))
    0.09750000000000003
    >>> print(mean_squared_error(y3, t))
    0.5974999999999999

    The trailing digits are binary rounding; the exact decimal values are 0.0673, 0.0975 and 0.5975.
    """
    yy = v.as_float_array(y, "y")
    # integer t promotes float32 y to float64, as NumPy does in the book's code
    tt = v.as_float_array(t, "t", int_as=np.float64)
    v.check_same_shape(yy, tt, "y", "t")
    with np.errstate(over="ignore"):  # beyond the range the error is inf, as in the book
        return 0.5 * np.sum((yy - tt) ** 2)


sum_squared_error = mean_squared_error


def cross_entropy_error(y: ArrayLike, t: ArrayLike) -> Any:
    r"""The book's cross-entropy error with :math:`\delta = 10^{-7}` inside the logarithm.

    .. math::
        :formula: cross_entropy_pq book_batch y=q t=p

        E = -\frac{1}{N}\sum_{n=1}^{N}\sum_k t_{nk} \ln(y_{nk} + \delta)

    For a single sample (1-D ``y``) :math:`N = 1`. With integer labels :math:`t_n` the inner sum is
    the single term :math:`-\ln(y_{n, t_n} + \delta)`.

    Parameters
    ----------
    y : array_like
        Predicted probabilities, shape ``(C,)`` for one sample or ``(N, C)`` for a batch.
    t : array_like
        Either targets of ``y``'s shape (one-hot in the book; soft targets also work), or integer
        class labels: a scalar (Python ``int`` included) for a 1-D ``y``, shape ``(N,)`` for a
        batch.

    Returns
    -------
    numpy scalar
        :math:`E`, the mean over the batch.

    Raises
    ------
    ValueError
        If ``y`` is not 1-D or 2-D, the shapes do not match, a label is out of range, or an input is
        empty or not finite.
    TypeError
        If an input has a bool, complex, object or string dtype, or float labels of the wrong shape.

    Notes
    -----
    As in the book, ``y`` is not required to be a probability vector. This matters for finite
    differences: perturbing an entry :math:`y_k = 0` by :math:`-h` with :math:`h > \delta` takes
    the logarithm of a negative number, which is NaN (and NumPy warns), and in the one-hot form
    :math:`0 \cdot \mathrm{NaN} = \mathrm{NaN}`. See :mod:`losslab.numerical`.

    The two target forms sum in different orders, so they may differ in the last bit
    compare them with a tolerance.

    Conventions
    -----------
    * :func:`losslab.cross_entropy` (PyTorch ``F.cross_entropy``) takes logits and adds no
      :math:`\delta`; :func:`losslab.nll_loss` takes log-probabilities.
    * Keras ``categorical_crossentropy`` *clips* the probabilities to :math:`[10^{-7}, 1 - 10^{-7}]`
      instead of adding :math:`\delta`: on :math:`y = 0.6` it gives
      :math:`-\ln 0.6 = 0.5108256237659907`, this function 0.510825457099338.
    * scikit-learn ``log_loss`` clips to the dtype's epsilon.

    Examples
    --------
    >>> import numpy as np
    >>> from losslab.book import cross_entropy_error
    >>> t = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    >>> y2 = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    >>> y3 = np.array([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.0, 0.6, 0.0])
    >>> print(cross_entropy_error(y2, t))
    0.510825457099338
    >>> print(cross_entropy_error(y3, t))
    2.302584092994546

    The label form gives the same number, a Python ``int`` included:

    >>> print(cross_entropy_error(y2, 2))
    0.510825457099338

    A batch is averaged (``y2`` and ``y3`` of the study diary):

    >>> print(cross_entropy_error(np.stack([y2, y3]), [2, 2]))
    1.406704775046942

    The largest value a sample can contribute, when the correct class has probability 0:

    >>> print(cross_entropy_error([0.0, 1.0], 0))
    16.11809565095832
    """
    yy = v.as_float_array(y, "y")
    if yy.ndim not in (1, 2):
        raise ValueError(
            f"`y` has {yy.ndim} dimension(s), expected 1 (one sample) or 2 (batch, classes)"
        )
    t_arr = v.to_array(t, "t")
    if t_arr.shape == yy.shape:
        tt = v.as_float_array(t_arr, "t", int_as=np.float64)  # the book's t * log(y): float64
        if yy.ndim == 1:
            tt = tt.reshape(1, tt.size)
            yy = yy.reshape(1, yy.size)
        batch_size = yy.shape[0]
        return -np.sum(tt * np.log(yy + DELTA)) / batch_size
    if t_arr.shape != yy.shape[:-1]:
        raise ValueError(
            f"`t` has shape {t_arr.shape}, expected {yy.shape} (one-hot, like `y`) or "
            f"{yy.shape[:-1]} (integer labels)"
        )
    labels = v.as_label_array(t_arr, "t", n_classes=yy.shape[-1])
    if yy.ndim == 1:
        labels = labels.reshape(1)
        yy = yy.reshape(1, yy.size)
    batch_size = yy.shape[0]
    return -np.sum(np.log(yy[np.arange(batch_size), labels] + DELTA)) / batch_size


def softmax(x: ArrayLike) -> np.ndarray:
    r"""The book's softmax, with its overflow guard (subtract the maximum).

    .. math::
        :formula: softmax general a=x

        y_k = \frac{\exp(a_k - \max_j a_j)}{\sum_i \exp(a_i - \max_j a_j)}

    Parameters
    ----------
    x : array_like
        Scores, shape ``(C,)`` or ``(N, C)``; the softmax is taken along the last axis. Any
        other number of dimensions is normalised as a whole, as the book's code does.

    Returns
    -------
    ndarray
        Probabilities of ``x``'s shape; each row sums to 1.

    Raises
    ------
    ValueError
        If ``x`` is empty or not finite.
    TypeError
        If ``x`` has a bool, complex, object or string dtype.

    Conventions
    -----------
    The book transposes 2-D input and works along axis 0; the result is the same as taking the last
    axis. :func:`losslab.softmax` follows PyTorch's class axis (``dim``) instead.

    Examples
    --------
    >>> from losslab.book import softmax
    >>> print(softmax([0.3, 2.9, 4.0]))
    [0.01821127 0.24519181 0.73659691]
    >>> print(softmax([1010, 1000, 990]))  # no overflow
    [9.99954600e-01 4.53978686e-05 2.06106005e-09]
    """
    a = v.as_float_array(x, "x")
    axis = -1 if a.ndim == 2 else None  # the book: rows of a batch, else the whole array
    a = a - np.max(a, axis=axis, keepdims=True)
    e = np.exp(a)
    out: np.ndarray = e / np.sum(e, axis=axis, keepdims=True)
    return out


def sigmoid(x: ArrayLike) -> Any:
    r"""The book's logistic sigmoid :math:`\sigma(x) = 1 / (1 + e^{-x})`.

    Parameters
    ----------
    x : array_like
        Any shape.

    Returns
    -------
    ndarray or numpy scalar
        :math:`\sigma(x)`, shaped like ``x``.

    Raises
    ------
    ValueError
        If ``x`` is empty or contains NaN.
    TypeError
        If ``x`` has a bool, complex, object or string dtype.

    Notes
    -----
    For :math:`x < -709` the book's :math:`e^{-x}` overflows to ``inf`` (NumPy warns); the result
    :math:`1/\infty = 0` is the correctly rounded value, so the overflow is silenced here. The
    derivative :math:`\sigma(1 - \sigma)` computed from this value is exactly 0 once
    :math:`\sigma(x)` rounds to 1 (:math:`x \gtrsim 36.7`); :func:`losslab.sigmoid` and its gradient
    avoid that.

    Examples
    --------
    >>> from losslab.book import sigmoid
    >>> print(sigmoid([-1.0, 1.0, 2.0]))
    [0.26894142 0.73105858 0.88079708]
    """
    a = v.as_float_array(x, "x", allow_nonfinite=True)
    if np.isnan(a).any():
        raise ValueError("`x` contains NaN; expected numbers")
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-a))


def step_function(x: ArrayLike) -> np.ndarray:
    r"""The book's step activation: 1 where :math:`x > 0`, else 0 (an integer array).

    Its derivative is 0 everywhere except at 0, where it does not exist; this is why a network
    trained by gradients uses the sigmoid instead (the "Learning from data" notes).

    Parameters
    ----------
    x : array_like
        Any shape.

    Returns
    -------
    ndarray
        ``int`` array shaped like ``x``.

    Examples
    --------
    >>> from losslab.book import numerical_diff, step_function
    >>> print(step_function([-1.0, 0.0, 0.5]))
    [0 0 1]
    >>> print(numerical_diff(step_function, 0.5), numerical_diff(step_function, 0.0))
    0.0 5000.0
    """
    a = v.as_float_array(x, "x", allow_nonfinite=True)
    if np.isnan(a).any():
        raise ValueError("`x` contains NaN; expected numbers")
    return np.array(a > 0, dtype=int)


def numerical_diff(f: Callable[[Any], Any], x: Any) -> Any:
    r"""The book's central difference with :math:`h = 10^{-4}`.

    .. math::

        f'(x) \approx \frac{f(x + h) - f(x - h)}{2h}

    Parameters
    ----------
    f : callable
        Function of one number.
    x : float
        Where to differentiate.

    Returns
    -------
    float
        The estimate, whatever type ``f`` returns.

    Raises
    ------
    TypeError
        If ``f`` is not callable.

    Conventions
    -----------
    :func:`losslab.numerical_diff` picks the step from the dtype and the size of ``x``
    (:math:`\sqrt[3]{\varepsilon}\max(1, |x|)`), which is more accurate in float64.

    Examples
    --------
    The book's example :math:`f(x) = 0.01x^2 + 0.1x` has :math:`f'(5) = 0.2` and
    :math:`f'(10) = 0.3`:

    >>> from losslab.book import numerical_diff
    >>> f = lambda x: 0.01 * x**2 + 0.1 * x
    >>> print(numerical_diff(f, 5), numerical_diff(f, 10))
    0.1999999999990898 0.2999999999986347
    """
    _check_callable(f, "f")
    h = H
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f: Callable[[np.ndarray], Any], x: ArrayLike) -> np.ndarray:
    r"""The book's numerical gradient: a central difference (:math:`h = 10^{-4}`) per entry.

    .. math::

        \frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}

    Parameters
    ----------
    f : callable
        Function of one array, returning a number.
    x : array_like
        Where to differentiate; any shape. Integer input is differentiated in float64.

    Returns
    -------
    ndarray
        The gradient, shaped like ``x`` (float32 for float32 ``x``, float64 otherwise).

    Raises
    ------
    ValueError
        If ``x`` is empty or not finite.
    TypeError
        If ``f`` is not callable or ``x`` has a bool, complex, object or string dtype.

    Notes
    -----
    The book perturbs ``x`` itself (``x[idx] = tmp_val + h``) and puts the old value back. Here a
    float copy is perturbed instead, so the caller's array is never written to, and an integer
    array is no longer rounded to integers at :math:`x \pm h` (the book returns 25000 instead of 6
    for :math:`x^2` at :math:`x = 3`). ``f`` receives the copy with one entry moved by
    :math:`\pm h`, exactly as in the book, so the digits are the book's.

    Examples
    --------
    The book's :math:`f(x) = x_0^2 + x_1^2` at :math:`(3, 4)`:

    >>> import numpy as np
    >>> from losslab.book import numerical_gradient
    >>> f = lambda x: np.sum(x**2)
    >>> x = np.array([3, 4])  # integers: the book's version returns [25000 35000]
    >>> print(numerical_gradient(f, x))
    [6. 8.]
    >>> print(x)  # untouched
    [3 4]
    """
    _check_callable(f, "f")
    work = v.as_float_array(x, "x").copy()
    grad = np.zeros_like(work)
    h = H
    for idx in np.ndindex(work.shape):
        tmp_val = work[idx]
        work[idx] = float(tmp_val) + h
        fxh1 = f(work)
        work[idx] = tmp_val - h
        fxh2 = f(work)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        work[idx] = tmp_val
    return grad


def gradient_descent(
    f: Callable[[np.ndarray], Any], init_x: ArrayLike, lr: float = 0.01, step_num: int = 100
) -> np.ndarray:
    r"""The book's gradient descent: ``step_num`` steps of :math:`x \leftarrow x - \eta\nabla f(x)`.

    The gradient is :func:`numerical_gradient`; there is no stopping rule. For tolerances, a
    recorded path and an analytic gradient use :func:`losslab.gradient_descent`.

    Parameters
    ----------
    f : callable
        Function of one array, returning a number.
    init_x : array_like
        Starting point, any shape; never modified (the book updates it in place).
    lr : float, default 0.01
        Learning rate :math:`\eta`.
    step_num : int, default 100
        Number of steps.

    Returns
    -------
    ndarray
        The last iterate.

    Raises
    ------
    ValueError
        If ``lr`` is not a finite positive number, ``step_num`` is negative, ``init_x`` is empty
        or not finite, or the iterate stops being finite (``lr`` too large).
    TypeError
        If ``f`` is not callable, ``step_num`` is not an int, or ``init_x`` is not numeric.

    Examples
    --------
    The book's example, :math:`f(x) = x_0^2 + x_1^2` from :math:`(-3, 4)`:

    >>> import numpy as np
    >>> from losslab.book import gradient_descent
    >>> init_x = np.array([-3.0, 4.0])
    >>> x = gradient_descent(lambda x: np.sum(x**2), init_x, lr=0.1, step_num=100)
    >>> print(x)
    [-6.11110793e-10  8.14814391e-10]
    >>> print(init_x)
    [-3.  4.]
    """
    _check_callable(f, "f")
    lr = v.check_positive_number(lr, "lr")
    step_num = v.check_int(step_num, "step_num")
    if step_num < 0:
        raise ValueError(f"`step_num` is {step_num}, expected an int >= 0")
    x = v.as_float_array(init_x, "init_x").copy()
    for step in range(step_num):
        if not np.all(np.isfinite(x)):
            raise ValueError(
                f"`lr` is {lr!r}: the iterate from `init_x` is no longer finite after {step} "
                "step(s); expected a smaller `lr`"
            )
        grad = numerical_gradient(f, x)
        x -= lr * grad
    return x
