"""Build-time pictures that replace the articles' lost figures (used with tools/siteplot.py).

Each function returns a :class:`matplotlib.figure.Figure`; a page prints it with
``siteplot.svg(fig, alt=...)`` from a ```python exec="on" html="on"``` fence, so the picture is
drawn from losslab's numbers on every build and never committed.  The figures are narrow
(at most 5 inches) with large type, so that they stay readable when the SVG is scaled down to
a phone's column width; all text is English or formulas.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Polygon
from siteplot import STYLE

import losslab

__all__ = [
    "descent_paths",
    "digit_grid",
    "network_diagram",
    "penalty_shapes",
    "softmax_pipeline",
]

#: Larger type than the site's plots: these figures are mostly text and shapes.
BIG: dict[str, object] = {**STYLE, "font.size": 13.0, "axes.grid": False}

_BLUE, _ORANGE, _GREEN, _GREY = "#3f51b5", "#e65100", "#2e7d32", "0.35"
_LABEL_BOX = {"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.85}


def _figure(width: float, height: float, nrows: int = 1, ncols: int = 1) -> tuple[Figure, list]:
    with matplotlib.rc_context(BIG):
        fig = Figure(figsize=(width, height), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, [ax for row in axes for ax in row]


def _blank(ax: Axes, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_axis_off()


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], **kw: object) -> None:
    style = {"arrowstyle": "-|>", "mutation_scale": 14, "lw": 1.4, "color": _GREY, **kw}
    ax.add_patch(FancyArrowPatch(start, end, shrinkA=0, shrinkB=0, **style))


def _box(ax: Axes, x: float, y: float, w: float, h: float, colour: str, alpha: float) -> None:
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            fc=colour,
            ec=colour,
            alpha=alpha,
            lw=1.2,
        )
    )


def softmax_pipeline(scores: Sequence[float], classes: Sequence[str], true: int) -> Figure:
    """Scores -> exponentiate -> normalise -> minus log of the true class, as a table.

    The exponentials are ``np.exp``; the probabilities are ``losslab.softmax``; the loss is
    ``losslab.cross_entropy`` of the scores and the true class.
    """
    z = np.asarray(scores, dtype=float)
    e = np.exp(z)
    p = losslab.softmax(z)
    loss = float(losslab.cross_entropy(z[None, :], np.array([true])))
    fig, (ax,) = _figure(5.0, 3.6)
    n = len(z)
    _blank(ax, (-0.15, 4.35), (-1.55, n + 0.55))
    cols = [1.05, 2.05, 3.05, 3.95]
    heads = ["score\n$z$", "exp\n$e^{z}$", "normalise\n$p = e^{z}/\\Sigma$", "$-\\ln p$"]
    for x, head in zip(cols, heads, strict=True):
        ax.text(x, n + 0.05, head, ha="center", va="bottom", fontsize=12, color=_GREY)
    for i, name in enumerate(classes):
        row = n - 1 - i
        is_true = i == true
        if is_true:
            _box(ax, 2.0, row + 0.35, 4.3, 0.8, _ORANGE, 0.12)
        weight = "bold" if is_true else "normal"
        ax.text(0.0, row + 0.35, name, ha="left", va="center", fontsize=14, fontweight=weight)
        cells = [f"{z[i]:.1f}", f"{e[i]:.2f}", f"{p[i]:.3f}"]
        for x, cell in zip(cols[:3], cells, strict=True):
            ax.text(x, row + 0.35, cell, ha="center", va="center", fontsize=14, fontweight=weight)
        ax.add_patch(  # a bar under the probability, full width = 1
            FancyBboxPatch(
                (cols[2] - 0.4, row + 0.02), 0.8 * p[i], 0.08, boxstyle="square,pad=0", fc=_BLUE
            )
        )
        if is_true:
            ax.text(
                cols[3],
                row + 0.35,
                f"{loss:.2f}",
                ha="center",
                va="center",
                fontsize=14,
                fontweight="bold",
                color=_ORANGE,
            )
        else:
            ax.text(cols[3], row + 0.35, "-", ha="center", va="center", fontsize=14, color="0.6")
    for a, b in itertools.pairwise(cols):
        _arrow(ax, (a + 0.28, -0.45), (b - 0.28, -0.45))
    ax.text(cols[1], -0.85, f"$\\Sigma$ = {e.sum():.2f}", ha="center", va="top", fontsize=12)
    ax.text(cols[2], -0.85, f"sum = {p.sum():.0f}", ha="center", va="top", fontsize=12)
    ax.text(cols[3], -0.85, f"loss\n(true: {classes[true]})", ha="center", va="top", fontsize=12)
    return fig


def descent_paths(
    f: Callable[[np.ndarray, np.ndarray], np.ndarray],
    grad: Callable[[np.ndarray], np.ndarray],
    starts: Sequence[tuple[float, float]],
    *,
    lr: float,
    max_iter: int,
    tol: float,
    lim: float = 2.0,
) -> tuple[Figure, list[losslab.DescentResult]]:
    """Contours of ``f(x, y)`` and the path of ``losslab.gradient_descent`` from each start."""
    fig, (ax,) = _figure(5.0, 4.6)
    g = np.linspace(-lim, lim, 301)
    xx, yy = np.meshgrid(g, g)
    levels = np.quantile(f(xx, yy), np.linspace(0.0, 0.9, 16))
    ax.contourf(xx, yy, f(xx, yy), levels=levels, cmap="Greys_r", alpha=0.45, extend="max")
    ax.contour(xx, yy, f(xx, yy), levels=levels, colors="0.45", linewidths=0.5)
    colours = ["#3f51b5", "#e65100", "#2e7d32", "#ad1457", "#00838f", "#6d4c41"]
    results = []
    for k, start in enumerate(starts):
        res = losslab.gradient_descent(
            grad, np.array(start, dtype=float), lr=lr, max_iter=max_iter, tol=tol
        )
        results.append(res)
        path = np.asarray(res.path)
        c = colours[k % len(colours)]
        ax.plot(path[:, 0], path[:, 1], "-", color=c, lw=2.0)
        ax.plot(*path[0], "o", ms=8, mfc="white", mec=c, mew=2)
        ax.plot(*path[-1], "*", ms=16, color=c, mec="white", mew=0.8)
    for res in results:  # the value at each end point, once per minimum
        x, y = np.asarray(res.x)
        ax.annotate(
            f"{float(f(x, y)):.2f}",
            (x, y),
            xytext=(0, -20),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=12,
            bbox=_LABEL_BOX,
        )
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xlabel="$w_1$", ylabel="$w_2$", aspect="equal")
    return fig, results


def penalty_shapes(x: Sequence[float], marked: dict[str, Sequence[float]] | None = None) -> Figure:
    """Two weights: the line of weights with score ``w @ x = 1``, the smallest L1 diamond and
    L2 circle that reach it, and the ``marked`` weights (default: each penalty's choice).

    The penalty values written on the figure are ``losslab.l1_penalty`` and
    ``losslab.l2_penalty`` (lambda = 1, so the L2 value is half the sum of squares).
    """
    x = np.asarray(x, dtype=float)
    fig, (ax,) = _figure(4.6, 4.4)
    lo, hi = -0.7, 1.6
    t = np.linspace(lo, hi, 2)
    ax.plot(t, (1 - x[0] * t) / x[1], color=_GREY, lw=2.0, label="score $w \\cdot x = 1$")
    r1 = 1 / np.abs(x).max()  # the smallest L1 ball touching the line has this radius
    w_l1 = np.zeros(2)
    w_l1[np.abs(x).argmax()] = r1
    w_l2 = x / (x @ x)  # the point of the line nearest to 0
    r2 = float(np.linalg.norm(w_l2))
    ax.add_patch(
        Polygon(
            [(r1, 0), (0, r1), (-r1, 0), (0, -r1)],
            closed=True,
            fill=False,
            ec=_ORANGE,
            lw=2.2,
            label=f"L1: $|w_1| + |w_2| = {r1:.3g}$",
        )
    )
    ax.add_patch(
        Circle(
            (0, 0),
            r2,
            fill=False,
            ec=_BLUE,
            lw=2.2,
            ls="--",
            label=f"L2: $w_1^2 + w_2^2 = {r2**2:.3g}$",
        )
    )
    if marked is None:
        marked = {"L1's choice": w_l1, "L2's choice": w_l2}
    for k, (name, w) in enumerate(marked.items()):
        w = np.asarray(w, dtype=float)
        l1 = float(losslab.l1_penalty(w, 1.0))
        l2 = float(losslab.l2_penalty(w, 1.0))
        c = (_ORANGE, _BLUE, _GREEN)[k % 3]
        ax.plot(*w, "o", ms=9, color=c, zorder=5)
        ax.annotate(
            f"{name} = ({w[0]:.2g}, {w[1]:.2g})\nL1 {l1:.3g}, L2 {l2:.3g}",
            w,
            xytext=(10, 6),
            textcoords="offset points",
            fontsize=11,
            color=c,
            bbox=_LABEL_BOX,
        )
    ax.axhline(0, color="0.7", lw=0.8)
    ax.axvline(0, color="0.7", lw=0.8)
    ax.set(xlim=(lo, hi), ylim=(lo, hi), xlabel="$w_1$", ylabel="$w_2$", aspect="equal")
    ax.legend(loc="lower left", fontsize=10.5, framealpha=0.9, frameon=True)
    return fig


def network_diagram(n_in: int = 4, n_hidden: int = 3, classes: Sequence[str] = ()) -> Figure:
    """Inputs -> hidden layer -> scores -> softmax -> loss against the label, plus a penalty."""
    classes = list(classes) or ["cat", "dog", "sheep"]
    fig, (ax,) = _figure(5.0, 3.9)
    _blank(ax, (-0.3, 6.2), (-1.35, 4.3))

    def column(x: float, n: int) -> list[tuple[float, float]]:
        top = 1.5 + (n - 1) / 2 * 0.9
        return [(x, top - k * 0.9) for k in range(n)]

    ins, hid, outs = column(0.3, n_in), column(1.7, n_hidden), column(3.1, len(classes))
    for a_col, b_col in ((ins, hid), (hid, outs)):
        for a in a_col:
            for b in b_col:
                ax.plot([a[0], b[0]], [a[1], b[1]], color="0.75", lw=0.9, zorder=1)
    for col, colour in ((ins, "0.55"), (hid, _BLUE), (outs, _BLUE)):
        for xy in col:
            ax.add_patch(Circle(xy, 0.22, fc="white", ec=colour, lw=2.0, zorder=2))
    for k, xy in enumerate(ins):
        ax.text(xy[0], xy[1], f"$x_{k + 1}$", ha="center", va="center", fontsize=12, zorder=3)
    for name, xy in zip(classes, outs, strict=True):
        ax.text(xy[0] + 0.3, xy[1], name, ha="left", va="center", fontsize=12)
    ax.text(1.0, 3.75, "weights $W$", ha="center", va="center", fontsize=12, color=_BLUE)
    ax.text(3.1, -0.3, "scores $z$", ha="center", va="top", fontsize=12)
    _box(ax, 4.95, 2.7, 1.5, 0.6, _BLUE, 0.15)
    ax.text(4.95, 2.7, "softmax $p$", ha="center", va="center", fontsize=12)
    _arrow(ax, (3.85, 1.9), (4.3, 2.45))
    _box(ax, 4.95, 1.2, 1.5, 0.75, _ORANGE, 0.15)
    ax.text(4.95, 1.2, "loss\n$-\\ln p_t$", ha="center", va="center", fontsize=12)
    _arrow(ax, (4.95, 2.38), (4.95, 1.6))
    ax.text(4.95, -0.45, "label $t$", ha="center", va="center", fontsize=12)
    _arrow(ax, (4.95, -0.25), (4.95, 0.8))
    _box(ax, 3.2, -1.05, 2.2, 0.5, _ORANGE, 0.15)
    ax.text(3.2, -1.05, "+ penalty $\\lambda\\,\\Omega(W)$", ha="center", va="center", fontsize=12)
    _arrow(ax, (4.1, -0.78), (4.45, 0.8))
    # the gradient of the total loss goes back to the weights
    _arrow(ax, (5.75, 1.2), (5.95, 1.2), color=_ORANGE, ls="--", arrowstyle="-")
    _arrow(ax, (5.95, 1.2), (5.95, 3.75), color=_ORANGE, ls="--", arrowstyle="-")
    _arrow(ax, (5.95, 3.75), (1.75, 3.75), color=_ORANGE, ls="--")
    ax.text(
        3.85,
        3.85,
        "gradient descent updates $W$",
        ha="center",
        va="bottom",
        fontsize=11,
        color=_ORANGE,
    )
    return fig


def digit_grid(
    images: np.ndarray,
    titles: Sequence[str],
    *,
    ncols: int = 5,
    diverging: bool = False,
    width: float = 5.0,
) -> Figure:
    """Small images (``(n, h, w)``) in a grid with a title over each.

    ``diverging=True`` draws signed values (weights) blue for negative, red for positive, on one
    symmetric colour scale shared by all images; otherwise grey levels, dark = high.
    """
    images = np.asarray(images, dtype=float)
    nrows = -(-len(images) // ncols)
    cell = width / ncols
    fig, axes = _figure(width, nrows * cell * 1.2 + (0.45 if diverging else 0.0), nrows, ncols)
    if diverging:
        vmax = float(np.abs(images).max())
        kw = {"cmap": "RdBu_r", "vmin": -vmax, "vmax": vmax}
    else:
        kw = {"cmap": "gray_r", "vmin": 0.0, "vmax": float(images.max())}
    im = None
    for ax, img, title in zip(axes, images, titles, strict=False):
        im = ax.imshow(img, interpolation="nearest", **kw)
        ax.set_title(title, fontsize=14, pad=4)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(True)
            spine.set_color("0.7")
    for ax in axes[len(images) :]:
        ax.set_axis_off()
    if diverging and im is not None:
        bar = fig.colorbar(im, ax=axes, orientation="horizontal", fraction=0.08, aspect=40)
        bar.ax.tick_params(labelsize=11)
    return fig
