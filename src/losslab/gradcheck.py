r"""Three-way gradient check: hand-written NumPy, SymPy-derived, and finite differences.

:func:`gradcheck` evaluates, at one point, four estimates of the gradient of a losslab function
with respect to its prediction argument (the one :func:`losslab.grad` uses):

``numpy``
    the hand-written gradient, ``losslab.value_and_grad(fn)``;
``symbolic``
    the gradient SymPy derived from the formula (:mod:`losslab.symbolic`), lambdified and
    evaluated in float64;
``central``
    central differences of the NumPy *value* with a step chosen for the dtype,
    :math:`h = \varepsilon^{1/3}\max(1, |x_k|)`;
``complex_step``
    :math:`\operatorname{Im} f(x + i h e_k) / h` with :math:`h = 10^{-30}` on the SymPy value,
    when the formula is analytic (no :math:`|\cdot|`, max or piecewise): no subtraction, so it
    is accurate to about machine precision.

It also compares the NumPy value with the SymPy value.  The comparisons and their tolerances
(:math:`\varepsilon` is the machine epsilon of the NumPy result's dtype, :math:`\bar g` the
largest :math:`|g|` of the reference plus the largest :math:`|v|`, for gradients that
vanish by cancellation, as that of the sum of a softmax):

* value, numpy vs symbolic: :math:`64\varepsilon(|v_k| + \overline{|v|} + m_k) + u` (rounding only;
  :math:`m_k` is the size of the terms that cancel in the value, stated by the form: the value
  recomputed from the absolute values of the element terms for element-wise forms,
  :math:`\sum_i p_i(|\log p_i| + |\log q_i|)` for :math:`D_{KL}`, 0 for the others);
* gradient, numpy vs symbolic: :math:`64\varepsilon(|g_k| + \bar g) + u` (rounding only;
  :math:`\bar g` covers cancellation such as softmax minus one-hot; :math:`u` is the smallest
  normal number of the dtype, below which a float32 result underflows, e.g.
  :math:`(10^{-27})^2`);
* symbolic vs complex step: :math:`64\varepsilon_{64}(|g_k| + \bar g)` (nothing is subtracted),
  plus :math:`2.2\times10^{-308}/h`, the subnormal range of the imaginary part;
* numpy vs central: :math:`4 t_k + 8(\varepsilon |f| + s) / (2h_k) + 64\varepsilon(|g_k| + \bar g)`,
  :math:`|f|` the largest of the four evaluated values :math:`f(x \pm h), f(x \pm 2h)` and of
  :math:`\sum_k m_k` (the terms that cancel, as in the value comparison), :math:`s` the dtype's
  smallest subnormal (values that small are rounded to a fixed absolute step).

For central differences, :math:`t_k = |D(2h) - D(h)|/3` is the Richardson estimate of the
truncation error :math:`h^2 f'''/6` (it does not use the gradient being checked), and
:math:`8(\varepsilon|f| + s)/(2h_k)` bounds the rounding error of the difference quotient.

Kinks and domain edges are handled explicitly: each symbolic form states how far every entry is
from the nearest kink (hinge, :math:`|x|`, Huber's switch) or domain edge (:math:`\log p` at
0).  Entries closer than :math:`4h` are *not* differenced (a stencil across a kink measures
nothing); there the NumPy gradient is compared with the symbolic form's documented subgradient
only, and the report lists them.  Random points (``gradcheck(fn)`` without arguments) are drawn
away from kinks by the form's ``sample``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import DTypeLike

if TYPE_CHECKING:
    from .symbolic import SymbolicLoss

__all__ = ["GradcheckError", "GradcheckReport", "gradcheck"]

#: Multiplier of the machine epsilon in the rounding tolerances (see the module docstring).
ROUNDING = 64
#: Multiplier of the rounding bound of a difference quotient (central differences).
FD_ROUNDING = 8
#: Complex step.  Any tiny step works: nothing is subtracted.
COMPLEX_STEP = 1e-30
#: Absolute floor of the complex-step tolerance: an imaginary part below the smallest normal
#: float64 is subnormal and has lost relative precision (gradients of order 1e-280 and below).
CS_UNDERFLOW = np.finfo(np.float64).tiny / COMPLEX_STEP


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when two gradients disagree beyond their tolerance."""


@dataclass
class GradcheckReport:
    """What :func:`gradcheck` compared, and how far apart the estimates were.

    Attributes
    ----------
    name, wrt : str
        The function and the argument differentiated.
    dtype : numpy.dtype
        dtype of the NumPy result (sets :math:`\\varepsilon` and the step).
    arguments : dict
        The point (all of the function's arguments).
    gradients : dict of ndarray
        ``numpy``, ``symbolic``, ``central`` and ``complex_step`` (when analytic) estimates.
    errors : dict of ndarray
        Absolute difference per entry, for each comparison.
    tolerances : dict of ndarray
        Tolerance per entry, for each comparison.
    at_kink : ndarray of bool
        Entries within :math:`4h` of a kink or domain edge (not finite-differenced).
    undecided : dict of int
        Per comparison, the entries it cannot decide: the float64 reference (SymPy's value or
        gradient, or the complex step) is NaN, or infinite where the NumPy result is finite
        (logits beyond about 710 overflow a formula evaluated as written).  They are left
        out of ``ok`` and counted in the report.
    """

    name: str
    wrt: str
    dtype: np.dtype
    arguments: dict[str, Any]
    gradients: dict[str, np.ndarray]
    errors: dict[str, np.ndarray] = field(default_factory=dict[str, np.ndarray])
    tolerances: dict[str, np.ndarray] = field(default_factory=dict[str, np.ndarray])
    at_kink: np.ndarray | None = None
    undecided: dict[str, int] = field(default_factory=dict[str, int])

    @property
    def worst_error(self) -> np.ndarray:
        """Per entry of the gradient: the largest error over the gradient comparisons."""
        errs = [e for key, e in self.errors.items() if not key.startswith("value")]
        out: np.ndarray = np.max(np.stack(errs), axis=0)
        return out

    def worst(self) -> dict[str, tuple[float, float, tuple[int, ...]]]:
        """Per comparison: ``(error, tolerance, index)`` of the entry with the largest
        error-to-tolerance ratio."""
        out: dict[str, tuple[float, float, tuple[int, ...]]] = {}
        for key, err in self.errors.items():
            tol = self.tolerances[key]
            ratio = np.where(np.isnan(err), np.inf, err / np.maximum(tol, np.finfo(float).tiny))
            idx = np.unravel_index(int(np.argmax(ratio)), err.shape) if err.ndim else ()
            out[key] = (float(err[idx]), float(tol[idx]), tuple(int(i) for i in idx))
        return out

    @property
    def ok(self) -> bool:
        """True when every comparison is within its tolerance at every entry."""
        return all(bool(np.all(self.errors[k] <= self.tolerances[k])) for k in self.errors)

    def __str__(self) -> str:
        kinks = 0 if self.at_kink is None else int(self.at_kink.sum())
        lines = [
            f"gradcheck {self.name} d/d{self.wrt}, {self.dtype}, "
            f"{np.size(self.gradients['numpy'])} entries, {kinks} at a kink: "
            + ("ok" if self.ok else "FAILED")
        ]
        for key, (err, tol, idx) in self.worst().items():
            flag = "ok" if err <= tol else "FAIL"
            lines.append(f"  {key:<26} worst {err:.2e} (tol {tol:.2e}) at {idx} {flag}")
            if self.undecided.get(key):
                lines.append(
                    f"  {'':<26} cannot decide {self.undecided[key]} entries "
                    "(the reference overflows)"
                )
        return "\n".join(lines)


def _eps(dtype: DTypeLike) -> float:
    return float(np.finfo(dtype).eps)


def _value_rounding(magnitude: float, eps: float, dtype: np.dtype) -> float:
    """Rounding error of a value of size ``magnitude``: relative ``eps``, plus the fixed
    absolute step of the dtype's subnormal range."""
    return eps * magnitude + float(np.finfo(dtype).smallest_subnormal)


def _total(value: Any) -> Any:
    """Sum of a function's output (the scalar whose gradient ``losslab.grad`` returns)."""
    arr = np.asarray(value)
    if np.iscomplexobj(arr):
        return arr.sum()
    return float(np.sum(arr, dtype=np.float64))


def _resolve(fn: Callable[..., Any] | str) -> tuple[Callable[..., Any], str]:
    from . import differentiable_functions

    funcs = differentiable_functions()
    if isinstance(fn, str):
        if fn not in funcs:
            raise ValueError(f"`fn` is {fn!r}, expected one of: {', '.join(sorted(funcs))}")
        return funcs[fn], fn
    name = getattr(fn, "__name__", None)
    if name not in funcs or funcs[name] is not fn:
        raise TypeError(f"`fn` is {fn!r}, expected a differentiable losslab function")
    return fn, name


def gradcheck(
    fn: Callable[..., Any] | str,
    args: tuple[Any, ...] = (),
    kwargs: Mapping[str, Any] | None = None,
    *,
    dtype: Any = np.float64,
    seed: int | None = 0,
    raise_exception: bool = True,
) -> GradcheckReport:
    r"""Compare the NumPy, SymPy-derived and finite-difference gradients of ``fn`` at a point.

    Parameters
    ----------
    fn : callable or str
        A function of :func:`losslab.differentiable_functions` (or its name).
    args, kwargs
        The point: ``fn(*args, **kwargs)``.  When both are empty, a random valid point away
        from kinks is drawn by the symbolic form's sampler.
    dtype : {numpy.float64, numpy.float32}
        dtype of the random point (ignored when ``args``/``kwargs`` are given).
    seed : int or None
        Seed of the random point.
    raise_exception : bool, default True
        Raise :class:`GradcheckError` when a comparison fails (as ``torch.autograd.gradcheck``);
        otherwise return the report with ``ok`` False.

    Returns
    -------
    GradcheckReport
        The four gradient estimates, the error and tolerance per entry of every comparison,
        and the entries skipped as kinks.

    Raises
    ------
    GradcheckError
        If ``raise_exception`` and a comparison exceeds its tolerance.
    KeyError
        If ``fn`` has no symbolic form.

    Notes
    -----
    The tolerances and step sizes are in the module docstring of :mod:`losslab.gradcheck`.

    Conventions
    -----------
    ``torch.autograd.gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)`` compares the
    analytic Jacobian with central differences in float64 only; ``jax.test_util.check_grads``
    does the same for JAX's own derivatives.  Neither checks a derivation against the
    formula: here a third, independent gradient comes from SymPy, and the complex step gives
    a near-exact derivative where the formula is analytic.

    Examples
    --------
    >>> import losslab
    >>> from losslab.gradcheck import gradcheck
    >>> report = gradcheck(losslab.mse_loss, ([0.5, -1.0, 2.0], [0.0, 0.0, 1.0]))
    >>> print(report.ok, report.gradients["symbolic"])
    True [ 0.33333333 -0.66666667  0.66666667]
    >>> print(report.worst_error.max() < 1e-9)
    True
    """
    from . import symbolic as _symbolic
    from . import value_and_grad

    fn, name = _resolve(fn)
    form = _symbolic.get(name)
    kwargs = dict(kwargs or {})
    if not args and not kwargs:
        kwargs = form.sample(np.random.default_rng(seed), np.dtype(dtype))
    arguments = form.arguments(*args, **kwargs)
    wrt = form.wrt

    value, g_np = value_and_grad(fn)(**arguments)
    out_dtype = np.asarray(value).dtype
    eps = _eps(out_dtype)
    x0 = np.asarray(arguments[wrt])
    x = x0.astype(out_dtype if x0.dtype.kind in "iu" else x0.dtype)
    g_np = np.asarray(g_np, dtype=np.float64)

    ref_args = dict(arguments)
    ref_args[wrt] = x
    with np.errstate(all="ignore"):  # a reference that overflows is reported as undecided
        v_sym, g_sym = form.evaluate(ref_args)
    g_sym = np.asarray(g_sym, dtype=np.float64)

    report = GradcheckReport(name, wrt, out_dtype, arguments, {"numpy": g_np, "symbolic": g_sym})
    v_np64 = np.asarray(value, dtype=np.float64)
    v_sym = np.asarray(v_sym, dtype=np.float64)
    # |g_k| + max|g|, plus max|v| for gradients that vanish by cancellation (softmax sums to 1);
    # over the finite entries (an infinite limit at a domain edge must match exactly).
    # Entries at a kink or domain edge (where gradients may be huge) do not set the scale of others.
    step = eps ** (1 / 3) * np.maximum(1.0, np.abs(x.astype(np.float64)))
    at_kink = np.zeros(x.shape, dtype=bool)
    if form.kink_distance is not None:
        at_kink = np.asarray(form.kink_distance(ref_args)) < 4 * step
    report.at_kink = at_kink
    # An infinite value or gradient (a limit at a domain edge) gets tolerance 0: equal or wrong.
    scale = _finite(np.abs(g_sym) + _finite_max(g_sym[~at_kink]) + _finite_max(v_sym))
    report.errors["value: numpy vs symbolic"] = _abs_error(v_np64, v_sym)
    _undecide(report, "value: numpy vs symbolic", v_sym, v_np64)
    # Below the smallest normal number of the dtype, relative precision is gone (underflow).
    underflow = float(np.finfo(out_dtype).tiny)
    terms = 0.0 if form.magnitude is None else np.asarray(form.magnitude(ref_args), dtype=float)
    report.tolerances["value: numpy vs symbolic"] = (
        ROUNDING * eps * _finite(np.abs(v_sym) + _finite_mean(v_sym) + terms) + underflow
    )
    report.errors["numpy vs symbolic"] = _abs_error(g_np, g_sym)
    _undecide(report, "numpy vs symbolic", g_sym, g_np)
    report.tolerances["numpy vs symbolic"] = ROUNDING * eps * scale + underflow

    # Central differences of the NumPy value, away from kinks.
    central = np.full(x.shape, np.nan)
    fd_tol = np.full(x.shape, np.inf)

    def total_at(k: tuple[int, ...], delta: float) -> tuple[float, float]:
        xp = x.copy()
        xp[k] = x[k] + x.dtype.type(delta)
        call = dict(arguments)
        call[wrt] = xp
        return _total(fn(**call)), float(xp[k]) - float(x[k])

    tiny = np.finfo(np.float64).tiny
    # Terms that cancel in the value (kl_div, hinge_embedding with negative x) round at their size.
    cancelling = float(np.sum(_finite(terms)))
    if form.simplex is not None:
        _simplex_differences(
            fn, arguments, wrt, x, g_np, step, at_kink, form.simplex, report, cancelling
        )
        return _finish(report, form, x, ref_args, wrt, scale, raise_exception)
    for k in np.ndindex(x.shape):
        if at_kink[k]:
            continue
        h = float(step[k])
        fp, hp = total_at(k, h)
        fm, hm = total_at(k, -h)
        fp2, hp2 = total_at(k, 2 * h)
        fm2, hm2 = total_at(k, -2 * h)
        d1 = (fp - fm) / (hp - hm)
        d2 = (fp2 - fm2) / (hp2 - hm2)
        central[k] = d1
        # Rounding of the evaluated values f(x +- h), not of f(x): at w ~ 0, f(w) ~ 0 but
        # f(w +- h) ~ h^2 carries the rounding error.
        magnitude = max(abs(fp), abs(fm), abs(fp2), abs(fm2), cancelling) + tiny
        rounding = _value_rounding(magnitude, eps, out_dtype)
        fd_tol[k] = 4 * abs(d2 - d1) / 3 + FD_ROUNDING * rounding / (hp - hm)
    report.gradients["central"] = central
    report.errors["numpy vs central"] = np.where(at_kink, 0.0, np.abs(g_np - central))
    report.tolerances["numpy vs central"] = np.where(at_kink, 0.0, fd_tol + ROUNDING * eps * scale)
    return _finish(report, form, x, ref_args, wrt, scale, raise_exception)


def _undecide(report: GradcheckReport, key: str, reference: Any, other: Any) -> None:
    """Note the entries of ``key`` whose float64 reference overflowed (see ``undecided``)."""
    ref, oth = np.asarray(reference, dtype=float), np.asarray(other, dtype=float)
    bad = np.isnan(ref) | (np.isinf(ref) & np.isfinite(oth))
    report.__dict__.setdefault("_pending", {})[key] = np.broadcast_to(bad, report.errors[key].shape)


def _apply_undecided(report: GradcheckReport, key: str) -> None:
    pending = report.__dict__.get("_pending", {})
    if key in pending:
        _mark(report, key, pending[key])


def _mark(report: GradcheckReport, key: str, bad: np.ndarray) -> None:
    bad = np.asarray(bad, dtype=bool)
    if bad.any():
        report.errors[key] = np.where(bad, 0.0, report.errors[key])
        report.tolerances[key] = np.where(bad, 0.0, report.tolerances[key])
        report.undecided[key] = int(bad.sum())


def _finite(a: Any) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    return np.where(np.isfinite(a), a, 0.0)


def _finite_max(a: np.ndarray) -> float:
    finite = np.abs(a[np.isfinite(a)])
    return float(finite.max(initial=0.0))


def _finite_mean(a: np.ndarray) -> float:
    finite = np.abs(a[np.isfinite(a)])
    return float(finite.mean()) if finite.size else 0.0


def _abs_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a - b|, 0 where both are the same infinity (a limit at a domain edge)."""
    with np.errstate(invalid="ignore"):
        return np.where(a == b, 0.0, np.abs(a - b))


def _simplex_differences(
    fn: Callable[..., Any],
    arguments: dict[str, Any],
    wrt: str,
    x: np.ndarray,
    g_np: np.ndarray,
    step: np.ndarray,
    at_kink: np.ndarray,
    axis_of: Callable[[dict[str, Any]], int],
    report: GradcheckReport,
    cancelling: float,
) -> None:
    r"""Central differences along the probability simplex (``wrt`` must stay a distribution).

    For entry k, the direction is :math:`u_k = e_k - \frac{1}{|S|}\sum_{j \in S} e_j` where S
    holds the entries of k's distribution that are at least :math:`4h` from the edge 0: moving
    along :math:`u_k` keeps the sum and the signs.  The estimate of :math:`g \cdot u_k` is
    compared with the NumPy gradient projected on the realised displacement.  Entries with no
    such direction (:math:`|S| < 2`) are not differenced and count as at a kink.
    """
    eps = _eps(report.dtype)
    axis = axis_of(arguments) % x.ndim
    h = float(step.max())
    central = np.full(x.shape, np.nan)
    projected = np.full(x.shape, np.nan)
    fd_tol = np.zeros(x.shape)
    moved: np.ndarray = np.moveaxis(np.arange(x.size).reshape(x.shape), axis, -1)
    at_kink = at_kink | False
    for row in moved.reshape(-1, moved.shape[-1]):
        idx = [np.unravel_index(int(j), x.shape) for j in row]
        free = [k for k in idx if not at_kink[k]]
        if len(free) < 2:
            for k in idx:
                at_kink[k] = True
            continue
        for k in free:
            u = np.zeros(x.shape)
            for j in free:
                u[j] = -1.0 / len(free)
            u[k] += 1.0

            def total_at(t: float, u: np.ndarray = u) -> tuple[float, np.ndarray]:
                xp = (x.astype(np.float64) + t * u).astype(x.dtype)
                call = dict(arguments)
                call[wrt] = xp
                return _total(fn(**call)), xp.astype(np.float64)

            (fp, xp), (fm, xm) = total_at(h), total_at(-h)
            (fp2, _), (fm2, _) = total_at(2 * h), total_at(-2 * h)
            if not np.all(np.isfinite([fp, fm, fp2, fm2])):  # an infinite value (q = 0 < p)
                at_kink[k] = True
                continue
            d1, d2 = (fp - fm) / (2 * h), (fp2 - fm2) / (4 * h)
            central[k] = d1
            moved_by = xp - xm  # 0 off the free entries (whose gradient may be infinite)
            on = moved_by != 0
            projected[k] = float(np.sum(g_np[on] * moved_by[on])) / (2 * h)
            magnitude = abs(fp) + abs(fm) + cancelling + np.finfo(np.float64).tiny
            rounding = _value_rounding(magnitude, eps, x.dtype)
            fd_tol[k] = 4 * abs(d2 - d1) / 3 + FD_ROUNDING * rounding / (2 * h)
    report.at_kink = at_kink
    report.gradients["central"] = central
    report.gradients["numpy along the simplex"] = projected
    scale = np.abs(projected) + _finite_max(g_np)
    report.errors["numpy vs central"] = np.where(at_kink, 0.0, np.abs(projected - central))
    report.tolerances["numpy vs central"] = np.where(at_kink, 0.0, fd_tol + ROUNDING * eps * scale)


def _finish(
    report: GradcheckReport,
    form: SymbolicLoss,
    x: np.ndarray,
    ref_args: dict[str, Any],
    wrt: str,
    scale: np.ndarray,
    raise_exception: bool,
) -> GradcheckReport:
    assert report.at_kink is not None  # set by the difference checks
    # Complex step on the SymPy value (analytic forms only).
    if form.analytic:
        cs = np.empty(x.shape)
        xc = x.astype(np.complex128)
        for k in np.ndindex(x.shape):
            if report.at_kink[k]:  # at a domain edge the formula is replaced by its limit
                cs[k] = np.nan
                continue
            xp = xc.copy()
            xp[k] += 1j * COMPLEX_STEP
            call = dict(ref_args)
            call[wrt] = xp
            with np.errstate(all="ignore"):
                cs[k] = np.imag(_total(form.evaluate(call)[0])) / COMPLEX_STEP
        g_sym = report.gradients["symbolic"]
        report.gradients["complex_step"] = cs
        report.errors["symbolic vs complex step"] = np.where(
            report.at_kink, 0.0, np.abs(g_sym - cs)
        )
        report.tolerances["symbolic vs complex step"] = np.where(
            report.at_kink, 0.0, ROUNDING * _eps(np.float64) * scale + CS_UNDERFLOW
        )
        for key in ("value: numpy vs symbolic", "numpy vs symbolic", "symbolic vs complex step"):
            _apply_undecided(report, key)
        cs_bad = ~report.at_kink & (~np.isfinite(cs) | ~np.isfinite(g_sym))
        # Where the value itself overflows, the complex step lands on a branch of log or exp.
        value_bad = report.__dict__.get("_pending", {}).get("value: numpy vs symbolic")
        if value_bad is not None and value_bad.any():
            cs_bad |= value_bad if value_bad.shape == cs.shape else ~report.at_kink
        _mark(report, "symbolic vs complex step", cs_bad)
    else:
        for key in ("value: numpy vs symbolic", "numpy vs symbolic"):
            _apply_undecided(report, key)

    if raise_exception and not report.ok:
        raise GradcheckError(str(report))
    return report
