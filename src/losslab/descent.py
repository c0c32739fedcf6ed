r"""Plain gradient descent with explicit stopping rules and a recorded path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as v

__all__ = ["DescentResult", "gradient_descent"]


@dataclass(frozen=True)
class DescentResult:
    r"""Outcome of :func:`gradient_descent`.

    Attributes
    ----------
    x : numpy scalar or ndarray
        The last iterate (a scalar if ``x0`` was a scalar).
    n_iter : int
        Number of updates performed.
    converged : bool
        Whether the gradient at ``x`` met the tolerance.
    reason : {'tol', 'max_iter'}
        Why the loop stopped.
    path : ndarray
        Every iterate, ``x0`` first: shape ``(n_iter + 1, *x0.shape)``.

    Examples
    --------
    >>> import losslab
    >>> r = losslab.gradient_descent(lambda w: 2 * (w - 3), 0.0, lr=0.1, max_iter=2)
    >>> print(r.n_iter, r.reason, r.converged, r.path)
    2 max_iter False [0.   0.6  1.08]
    """

    x: Any
    n_iter: int
    converged: bool
    reason: Literal["tol", "max_iter"]
    path: np.ndarray


def gradient_descent(
    grad: Callable[[Any], ArrayLike],
    x0: ArrayLike,
    *,
    lr: float = 0.01,
    max_iter: int = 1000,
    tol: float | None = None,
    callback: Callable[[int, Any], None] | None = None,
) -> DescentResult:
    r"""Minimise a function by gradient descent, given its gradient.

    .. math::

        x_{k+1} = x_k - \eta\,\nabla f(x_k), \qquad k = 0, 1, \ldots

    Before each update the gradient at the current point is checked: the loop stops with
    ``reason='tol'`` as soon as :math:`\max_i |\nabla f(x_k)_i| < \mathrm{tol}` (for a scalar,
    :math:`|f'(x_k)| < \mathrm{tol}`), and with ``reason='max_iter'`` after ``max_iter`` updates
    otherwise. ``n_iter`` counts updates, so a start at a stationary point gives ``n_iter = 0``.

    Parameters
    ----------
    grad : callable
        :math:`\nabla f`: takes an iterate (a NumPy scalar or an array of ``x0``'s shape) and
        returns the gradient of the same shape. :func:`losslab.grad` of a loss, with the other
        arguments bound, or :func:`losslab.numerical_gradient` wrapped in a lambda both work.
    x0 : array_like
        Starting point, a scalar or any shape; never modified.
    lr : float, default 0.01
        Learning rate :math:`\eta > 0`.
    max_iter : int, default 1000
        Maximum number of updates, :math:`\ge 1`.
    tol : float, optional
        Gradient tolerance :math:`\ge 0` (max-norm). ``None`` (default) runs all ``max_iter``
        updates.
    callback : callable, optional
        Called as ``callback(k, x)`` after the ``k``-th update (``k`` from 1) with a copy of the new
        iterate; its return value is ignored.

    Returns
    -------
    DescentResult
        ``x``, ``n_iter``, ``converged``, ``reason`` and ``path`` (all iterates including ``x0``).

    Raises
    ------
    ValueError
        If ``lr`` is not a finite number > 0, ``max_iter`` < 1, ``tol`` < 0, ``x0`` is empty or not
        finite, or ``grad`` returns the wrong shape or a non-finite value (the iteration diverged:
        lower ``lr``).
    TypeError
        If ``grad`` or ``callback`` is not callable, ``max_iter`` is not an int, or ``x0`` has a
        bool, complex, object or string dtype.

    Notes
    -----
    Descent only finds a stationary point near where it starts: different ``x0`` can end in
    different local minima (see the example). It converges for a smooth :math:`f` when
    :math:`\eta < 2/L`, with :math:`L` the largest curvature along the path; above that it
    oscillates or diverges. float32 ``x0`` is iterated in float32.

    Conventions
    -----------
    * PyTorch ``optim.SGD(lr=...)`` and optax ``sgd(learning_rate)`` perform the same update on
      parameters, without a stopping rule; ``max_iter`` corresponds to the number of ``step()``
      calls.
    * :func:`losslab.book.gradient_descent` is the textbook's version: numerical gradient of ``f``,
      fixed ``step_num``, no path.

    Examples
    --------
    :math:`L(w) = (w - 3)^2` from :math:`w_0 = 0` with :math:`\eta = 0.1` (the
    regularization article's update rule); the iterates are :math:`3(1 - 0.8^k)`:

    >>> import losslab
    >>> r = losslab.gradient_descent(lambda w: 2 * (w - 3), 0.0, lr=0.1, max_iter=5)
    >>> print(r.path[1:].tolist())
    [0.6000000000000001, 1.08, 1.464, 1.7711999999999999, 2.01696]

    :math:`f(x) = x^4 - 3x^2 + x` has a global minimum near :math:`-1.30` and a local one near
    :math:`1.13` (the regularization article's valleys). Where descent ends depends on
    where it starts:

    >>> fprime = lambda x: 4 * x**3 - 6 * x + 1
    >>> left = losslab.gradient_descent(fprime, -2.0, lr=0.01, tol=1e-8, max_iter=10000)
    >>> print(left.x, left.n_iter, left.reason)
    -1.3008395666045112 130 tol
    >>> right = losslab.gradient_descent(fprime, 2.0, lr=0.01, tol=1e-8, max_iter=10000)
    >>> print(right.x, right.n_iter, right.reason)
    1.1309011236225572 200 tol
    >>> short = losslab.gradient_descent(fprime, 2.0, lr=0.01, tol=1e-8, max_iter=3)
    >>> print(short.x, short.n_iter, short.reason, short.converged)
    1.5651588069976374 3 max_iter False

    Arrays work the same way; the gradient of a losslab loss is one call. Here the gradient of
    the mean squared error over 2 elements is :math:`w - t`, so :math:`\eta = 0.5` halves the
    distance to the target at every step:

    >>> import numpy as np
    >>> target = np.array([1.0, -2.0])
    >>> g = lambda w: losslab.grad(losslab.mse_loss)(w, target)
    >>> r = losslab.gradient_descent(g, np.zeros(2), lr=0.5, tol=1e-10)
    >>> print(r.x, r.n_iter, r.reason, r.path.shape)
    [ 1. -2.] 35 tol (36, 2)
    """
    if not callable(grad):
        raise TypeError(f"`grad` is {grad!r}, expected a callable")
    if callback is not None and not callable(callback):
        raise TypeError(f"`callback` is {callback!r}, expected a callable or None")
    lr_value = v.check_positive_number(lr, "lr")
    max_iter = v.check_int(max_iter, "max_iter")
    if max_iter < 1:
        raise ValueError(f"`max_iter` is {max_iter}, expected an int >= 1")
    tol_value = None if tol is None else v.check_positive_number(tol, "tol", allow_zero=True)

    x = v.as_float_array(x0, "x0").copy()
    dtype = x.dtype
    step = dtype.type(lr_value)
    path = [x.copy()]
    reason: Literal["tol", "max_iter"] = "max_iter"
    k = 0
    while True:
        g = _gradient(grad, x, k)
        if tol_value is not None and np.max(np.abs(g)) < tol_value:
            reason = "tol"
            break
        if k == max_iter:
            break
        with np.errstate(over="ignore", invalid="ignore"):
            x = (x - step * g).astype(dtype, copy=False)
        if not np.isfinite(x).all():
            raise ValueError(
                f"`lr` is {lr_value!r} and the iteration diverged: the iterate became "
                f"non-finite at iteration {k + 1}; try a smaller `lr`"
            )
        k += 1
        path.append(x.copy())
        if callback is not None:
            callback(k, x.copy()[()])
    return DescentResult(
        x=x[()], n_iter=k, converged=reason == "tol", reason=reason, path=np.stack(path)
    )


def _gradient(grad: Callable[[Any], ArrayLike], x: np.ndarray, k: int) -> np.ndarray:
    g = np.asarray(grad(x.copy()[()]))
    if g.dtype.kind not in "iuf":
        raise TypeError(f"`grad` returned dtype {g.dtype}, expected real numbers")
    if g.shape != x.shape:
        raise ValueError(f"`grad` returned shape {g.shape}, expected {x.shape} like `x0`")
    if not np.isfinite(g).all():
        raise ValueError(
            f"`grad` returned a non-finite value at iteration {k} (x = {x[()]!r}); the iteration "
            "diverged or left the function's domain: try a smaller `lr`"
        )
    return g
