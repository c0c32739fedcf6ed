r"""Central finite differences with a step chosen for the dtype.

These are tools for checking gradients, not differentiable functions: nothing here is registered
with :func:`losslab.grad`. :mod:`losslab.book` keeps the textbook's fixed-step versions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as v

__all__ = ["numerical_diff", "numerical_gradient"]


def _check_callable(f: Any) -> None:
    if not callable(f):
        raise TypeError(f"`f` is {f!r}, expected a callable")


def _default_step(x: np.ndarray) -> np.ndarray:
    """cbrt(eps) * max(1, |x|), in x's dtype."""
    eps = np.finfo(x.dtype).eps
    step: np.ndarray = (np.cbrt(eps) * np.maximum(1, np.abs(x))).astype(x.dtype)
    return step


def _check_h(h: Any) -> float | None:
    return None if h is None else v.check_positive_number(h, "h")


def _scalar_value(value: Any) -> Any:
    arr = np.asarray(value)
    if arr.ndim != 0:
        raise ValueError(f"`f` returned an array of shape {arr.shape}, expected a scalar")
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"`f` returned dtype {arr.dtype}, expected a real number")
    return arr.reshape(()).astype(np.result_type(arr.dtype, np.float32))[()]


def numerical_diff(f: Callable[[Any], Any], x: Any, h: float | None = None) -> Any:
    r"""Derivative of a function of one variable by a central difference.

    .. math::

        f'(x) \approx \frac{f(x + h) - f(x - h)}{(x + h) - (x - h)}, \qquad
        h = \sqrt[3]{\varepsilon}\,\max(1, |x|)

    where :math:`\varepsilon` is the machine epsilon of ``x``'s dtype. The denominator is the
    distance between the two points *as stored*, which removes the rounding of :math:`x \pm h`.

    Parameters
    ----------
    f : callable
        Function of one number, returning a number.
    x : float
        Where to differentiate. A ``numpy.float32`` is differentiated in float32; anything else in
        float64.
    h : float, optional
        Step; the default balances truncation error (:math:`O(h^2)`) against rounding error
        (:math:`O(\varepsilon/h)`).

    Returns
    -------
    numpy scalar
        The estimate, in ``x``'s dtype.

    Raises
    ------
    ValueError
        If ``x`` is not a finite scalar, ``h`` is not a finite positive number, or ``f`` returns an
        array.
    TypeError
        If ``f`` is not callable or ``x`` is not a real number.

    Notes
    -----
    The error of the central difference is about
    :math:`\frac{h^2}{6}|f'''| + \frac{\varepsilon}{h}|f|`; with the default step that is roughly
    :math:`\varepsilon^{2/3}` relative, i.e. 10 correct digits in float64 and 5 in float32. The
    textbook's fixed :math:`h = 10^{-4}` (:func:`losslab.book.numerical_diff`) gives about 8 in
    float64 and is far too small for float32.

    Conventions
    -----------
    * ``scipy.differentiate.derivative`` iterates with Richardson extrapolation (more accurate, more
      evaluations); ``torch.autograd.gradcheck`` uses a fixed ``eps=1e-6``.

    Examples
    --------
    >>> import numpy as np
    >>> import losslab
    >>> print(round(losslab.numerical_diff(np.sin, 0.0), 9))
    1.0
    >>> f = lambda x: 0.01 * x**2 + 0.1 * x  # the textbook's example, f'(5) = 0.2
    >>> print(round(losslab.numerical_diff(f, 5.0), 10))
    0.2
    """
    _check_callable(f)
    step = _check_h(h)
    xa = v.as_float_array(x, "x")
    if xa.ndim != 0:
        raise ValueError(f"`x` has shape {xa.shape}, expected a scalar (use numerical_gradient)")
    hh = _default_step(xa) if step is None else xa.dtype.type(step)
    xp, xm = (xa + hh)[()], (xa - hh)[()]
    if xp == xm:
        raise ValueError(f"`h` is {step!r}, too small to move x = {float(xa)!r} in {xa.dtype}")
    fp, fm = _scalar_value(f(xp)), _scalar_value(f(xm))
    return xa.dtype.type((fp - fm) / (xp - xm))


def numerical_gradient(f: Callable[[np.ndarray], Any], x: ArrayLike, h: float | None = None) -> Any:
    r"""Gradient of a scalar function of an array, one central difference per entry.

    .. math::

        \frac{\partial f}{\partial x_i} \approx
        \frac{f(x + h_i e_i) - f(x - h_i e_i)}{2 h_i}, \qquad
        h_i = \sqrt[3]{\varepsilon}\,\max(1, |x_i|)

    (with :math:`2h_i` replaced by the stored distance between the two points, as in
    :func:`numerical_diff`).

    Parameters
    ----------
    f : callable
        Function of one array (``x``'s shape), returning a number.
    x : array_like
        Where to differentiate; any shape. float32 stays float32; integers become float64.
    h : float, optional
        One step for every entry instead of the dtype-aware default.

    Returns
    -------
    ndarray
        The gradient, shaped like ``x``.

    Raises
    ------
    ValueError
        If ``x`` is empty or not finite, ``h`` is not a finite positive number, or ``f`` returns an
        array.
    TypeError
        If ``f`` is not callable or ``x`` has a bool, complex, object or string dtype.

    Notes
    -----
    ``x`` is never modified: ``f`` receives a fresh copy with one entry moved. This costs
    :math:`2n` evaluations of ``f`` for :math:`n` entries.

    **Pitfall: the step must stay inside the function's domain.** The textbook's
    :func:`losslab.book.cross_entropy_error` computes :math:`\ln(y_k + \delta)` with
    :math:`\delta = 10^{-7}`. At an entry :math:`y_k = 0` a central difference evaluates it at
    :math:`y_k - h`; with the book's :math:`h = 10^{-4}` that is
    :math:`\ln(-10^{-4} + 10^{-7})`, which is NaN. In the one-hot form the NaN is multiplied by
    :math:`t_k = 0`, which is still NaN, so the whole loss and that gradient entry become NaN. The
    default step here is smaller (:math:`6 \times 10^{-6}`) but still larger than :math:`\delta`.
    Keep :math:`h < \delta` at such points, or differentiate the main API's losses, which work
    from logits. (The analytic derivative there is :math:`-t_k/(y_k + \delta) = 0`.)

    Conventions
    -----------
    * :func:`losslab.book.numerical_gradient`: the textbook's fixed :math:`h = 10^{-4}`.
    * ``torch.autograd.gradcheck`` compares a central difference with ``eps=1e-6`` to autograd.

    Examples
    --------
    >>> import numpy as np
    >>> import losslab
    >>> x = np.array([[3.0, 4.0], [1.0, -2.0]])
    >>> print(np.round(losslab.numerical_gradient(lambda x: np.sum(x**2), x), 8))
    [[ 6.  8.]
     [ 2. -4.]]

    The NaN pitfall with the textbook's cross-entropy and step, at the study diary's ``y2``
    (``np.errstate`` hides NumPy's "invalid value in log" warning):

    >>> from losslab import book
    >>> t = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    >>> y2 = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    >>> loss = lambda y: book.cross_entropy_error(y, t)
    >>> with np.errstate(invalid="ignore"):
    ...     g = book.numerical_gradient(loss, y2)
    >>> print(np.isnan(g).sum(), "of", g.size, "entries are NaN: those where y2 == 0")
    4 of 10 entries are NaN: those where y2 == 0
    >>> g = losslab.numerical_gradient(loss, y2, h=1e-8)  # h < delta: no NaN, no warning
    >>> print(np.isnan(g).any(), round(float(g[2]), 6))  # -1/(0.6 + 1e-7) at the label
    False -1.666666
    """
    _check_callable(f)
    step = _check_h(h)
    base = v.as_float_array(x, "x")
    dtype = base.dtype
    steps = _default_step(base) if step is None else np.full(base.shape, step, dtype=dtype)
    grad = np.empty(base.shape, dtype=dtype)
    for idx in np.ndindex(base.shape):
        xp, xm = base.copy(), base.copy()
        xp[idx] = base[idx] + steps[idx]
        xm[idx] = base[idx] - steps[idx]
        dist = xp[idx] - xm[idx]
        if dist == 0:
            raise ValueError(
                f"`h` is {step!r}, too small to move x{list(idx)} = {float(base[idx])!r} in {dtype}"
            )
        fp, fm = _scalar_value(f(xp)), _scalar_value(f(xm))
        grad[idx] = (fp - fm) / dist
    return grad
