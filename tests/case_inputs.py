"""Input regimes of the case table (``tests/cases.py``): random valid arguments of a function,
drawn from a NumPy generator in float64, each named after what it exercises. The accuracy,
property and parity tests read them through ``cases.regimes`` and ``cases.draw``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Regime = Callable[[np.random.Generator], dict[str, Any]]


def _shape(r: np.random.Generator) -> tuple[int, ...]:
    """A shape of 1 to 3 axes of 1 to 5 entries each."""
    return tuple(int(s) for s in r.integers(1, 6, size=int(r.integers(1, 4))))


def regression(**options: Any) -> dict[str, Regime]:
    """Residuals of every size: random pairs, residuals near 0 or huge, and close pairs (x - t
    cancels). ``options`` (delta, beta) are passed unchanged."""

    def close(r: np.random.Generator) -> dict[str, Any]:
        t = r.normal(size=60)
        return {"input": t + r.normal(size=60) * 1e-9, "target": t, **options}

    return {
        "random": lambda r: {
            "input": r.normal(size=(6, 10)),
            "target": r.normal(size=(6, 10)),
            **options,
        },
        "tiny-residuals": lambda r: {
            "input": r.normal(size=60) * 1e-15,
            "target": np.zeros(60),
            **options,
        },
        "huge-residuals": lambda r: {
            "input": r.normal(size=60) * 1e15,
            "target": np.zeros(60),
            **options,
        },
        "close-pairs": close,
    }


def regression_shapes(
    option: str = "", values: tuple[float, ...] = (), *, weighted: bool = True
) -> dict[str, Regime]:
    """Random shapes and scales, with a kink (x == t at the second element): unweighted and, if
    ``weighted``, with a weight of the input's shape; for each of ``values`` of ``option``
    (huber's delta, smooth L1's beta) one more, with the third residual exactly at +delta or
    -beta (the threshold)."""

    def make(weight: bool = False, **opt: float) -> Regime:
        def draw(r: np.random.Generator) -> dict[str, Any]:
            shape = _shape(r)
            scale = float(r.choice([0.3, 1.0, 5.0, 100.0]))
            x, t = r.normal(size=shape) * scale, r.normal(size=shape) * scale
            flat_x, flat_t = x.reshape(-1), t.reshape(-1)
            if x.size > 2:
                flat_t[1] = flat_x[1]
            if opt and x.size > 3:
                at = opt.get("delta", -opt.get("beta", 0.0))
                flat_x[2], flat_t[2] = at, 0.0
            out = {"input": x, "target": t, **opt}
            return {**out, "weight": r.uniform(0.0, 3.0, size=shape)} if weight else out

        return draw

    out = {"shapes-kink": make()}
    if weighted:
        out["shapes-weighted"] = make(weight=True)
    return out | {f"shapes-{option}-{v:g}": make(**{option: v}) for v in values}


def straddle(option: str) -> dict[str, Regime]:
    """Residuals on both sides of the threshold ``option`` (huber's delta, smooth L1's beta)."""
    return {
        f"straddle-{w:g}": lambda r, w=w: {
            "input": r.normal(size=(5, 12)) * 2 * w,
            "target": np.zeros((5, 12)),
            option: w,
        }
        for w in (0.5, 1.0, 3.0)
    }


def _logits(r: np.random.Generator, kind: str, n: int = 12, c: int = 10) -> np.ndarray:
    if kind == "extreme":  # +-1e4: exp overflows without the max shift
        return r.choice([-1e4, 0.0, 1e4], size=(n, c)) + r.normal(size=(n, c))
    return r.normal(size=(n, c)) * 3


def _ce_confident(r: np.random.Generator) -> dict[str, Any]:
    """The target logit 25 above the rest: a loss of order e^-20."""
    x, labels = r.normal(size=(12, 10)), r.integers(0, 10, size=12)
    x[np.arange(12), labels] += 25.0
    return {"input": x, "target": labels}


def _ce_weighted_ignore(r: np.random.Generator) -> dict[str, Any]:
    labels = r.integers(0, 10, size=12)
    labels[3] = -100
    return {"input": _logits(r, "random"), "target": labels, "weight": r.uniform(0.5, 2, 10)}


def _ce_shapes(r: np.random.Generator) -> dict[str, Any]:
    """(N, C) logits with N from 1 to 8, C from 1 to 12, at a scale from 0.1 to 1000."""
    n, c = int(r.integers(1, 9)), int(r.integers(1, 13))
    scale = float(r.choice([0.1, 1.0, 10.0, 1e3]))
    return {"input": r.normal(size=(n, c)) * scale, "target": r.integers(0, c, size=n)}


def class_layouts(*, log_probabilities: bool = False) -> dict[str, Regime]:
    """cross_entropy's (``log_probabilities``: nll_loss's) other layouts: one (C,) sample and a
    label, and (N, C, d1, d2) with the class axis 1: labels, class weights with an ignored
    position and (for cross_entropy) probabilities."""

    def scores(r: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        x = r.normal(size=shape) * 3
        if not log_probabilities:
            return x
        axis = 1 if len(shape) > 1 else 0
        return x - np.log(np.exp(x).sum(axis=axis, keepdims=True))

    def single(r: np.random.Generator) -> dict[str, Any]:
        return {"input": scores(r, (7,)), "target": r.integers(0, 7)}

    def nd(r: np.random.Generator, weighted: bool = False, probs: bool = False) -> dict[str, Any]:
        n, c, d1, d2 = (int(v) for v in r.integers(1, 5, size=4))
        x = scores(r, (n, c + 1, d1, d2))
        if probs:
            p = np.moveaxis(r.dirichlet(np.ones(c + 1), size=(n, d1, d2)), -1, 1)
            return {"input": x, "target": p}
        labels = r.integers(0, c + 1, size=(n, d1, d2))
        if not weighted:
            return {"input": x, "target": labels}
        labels.reshape(-1)[-1] = -100
        return {"input": x, "target": labels, "weight": r.uniform(0.5, 2.0, size=c + 1)}

    out: dict[str, Regime] = {"single-sample": single, "4d": nd}
    out["4d-weighted-ignore"] = lambda r: nd(r, weighted=True)
    if not log_probabilities:
        out["4d-probabilities"] = lambda r: nd(r, probs=True)
    return out


CE_INPUTS: dict[str, Regime] = {
    "random": lambda r: {"input": _logits(r, "random"), "target": r.integers(0, 10, size=12)},
    "extreme": lambda r: {"input": _logits(r, "extreme"), "target": r.integers(0, 10, size=12)},
    "confident": _ce_confident,
    "shapes": _ce_shapes,
    "weighted-ignore": _ce_weighted_ignore,
    "label-smoothing": lambda r: {
        "input": _logits(r, "random"),
        "label_smoothing": 0.1,
        "target": r.integers(0, 10, size=12),
    },
    "probabilities": lambda r: {
        "input": _logits(r, "random"),
        "target": r.dirichlet(np.ones(10), size=12),
    },
}


def bce_shapes(*, logits: bool) -> dict[str, Regime]:
    """Binary cross-entropy (``logits``: from logits) on random shapes: hard 0/1 targets, and a
    weight of the input's shape, of its last axis (broadcast) or of shape (1,); from logits
    also a ``pos_weight`` over the last axis and logits of size 40."""

    def make(weight: str = "", hard: bool = False, pos_weight: bool = False, scale: float = 3.0):
        def draw(r: np.random.Generator) -> dict[str, Any]:
            shape = _shape(r)
            x = r.normal(size=shape) * scale if logits else r.uniform(0.02, 0.98, size=shape)
            t = r.integers(0, 2, size=shape).astype(float) if hard else r.uniform(size=shape)
            out = {"input": x, "target": t}
            if weight:
                wshape = {"full": shape, "last-axis": shape[-1:], "scalar": (1,)}[weight]
                out["weight"] = r.uniform(0.0, 3.0, size=wshape)
            if pos_weight:
                out["pos_weight"] = r.uniform(0.0, 4.0, size=shape[-1:])
            return out

        return draw

    out = {"shapes-hard-targets": make(hard=True)}
    out |= {f"shapes-weight-{w}": make(weight=w) for w in ("full", "last-axis", "scalar")}
    if logits:
        out |= {"shapes-pos-weight": make(pos_weight=True), "shapes-scale-40": make(scale=40.0)}
    return out


def bce_logits(kind: str, pos_weight: bool) -> Regime:
    def make(r: np.random.Generator) -> dict[str, Any]:
        x = r.normal(size=(6, 8)) * 3
        if kind == "extreme":
            x = r.choice([-1e4, 1e4], size=(6, 8)) + x
        out = {"input": x, "target": r.uniform(0, 1, size=(6, 8))}
        return {**out, "pos_weight": r.uniform(0.5, 3, size=8)} if pos_weight else out

    return make


def signs(r: np.random.Generator) -> dict[str, Any]:
    return {"input": r.normal(size=(6, 5)), "target": r.choice([-1.0, 1.0], size=(6, 5))}


def signs_shapes(*, kinks: bool) -> dict[str, Regime]:
    """Inputs and +-1 targets on random shapes. ``kinks``: inputs are distances in quarters, from
    0 to 3, so some equal the margin (1, 0.5 or 2): the hinge's kink; otherwise normal inputs at
    scales 0.1 to 30."""

    def make(margin: float | None = None, scale: float = 1.0) -> Regime:
        def draw(r: np.random.Generator) -> dict[str, Any]:
            shape = _shape(r)
            y = r.choice([-1.0, 1.0], size=shape)
            if margin is not None:
                return {"input": r.integers(0, 13, size=shape) / 4, "target": y, "margin": margin}
            return {"input": r.normal(size=shape) * scale, "target": y}

        return draw

    if kinks:
        return {f"kinks-margin-{m:g}": make(margin=m) for m in (1.0, 0.5, 2.0)}
    return {f"shapes-scale-{s:g}": make(scale=s) for s in (0.1, 1.0, 10.0, 30.0)}


def dists(r: np.random.Generator, zeros: bool) -> tuple[np.ndarray, np.ndarray]:
    """Rows of distributions over 6 classes; ``zeros``: p has two exact zeros per row."""
    p, q = r.dirichlet(np.ones(6), size=5), r.dirichlet(np.ones(6), size=5)
    if zeros:
        p[:, :2] = 0.0
        p /= p.sum(axis=1, keepdims=True)
    return p, q


def pq(zeros: bool, base: float | None) -> Regime:
    return lambda r: dict(zip("pq", dists(r, zeros), strict=True), base=base)


def kl_div_inputs(**reduction: str) -> Regime:
    def make(r: np.random.Generator) -> dict[str, Any]:
        p, q = dists(r, zeros=True)
        return {"input": np.log(q), "target": p, **reduction}

    return make


def kl_div_shapes(*, log_target: bool, **reduction: str) -> Regime:
    """kl_div on 1 to 3 axes, one target entry exactly 0 (0 log 0); with ``log_target`` the
    target is log(p + 0.05)."""

    def make(r: np.random.Generator) -> dict[str, Any]:
        shape = [(5,), (3, 4), (2, 3, 4)][int(r.integers(0, 3))]
        x = np.log(r.dirichlet(np.ones(shape[-1]), size=shape[:-1]))
        t = r.dirichlet(np.ones(shape[-1]), size=shape[:-1])
        t.reshape(-1)[0] = 0.0
        t = np.log(t + 0.05) if log_target else t
        return {"input": x, "target": t, "log_target": log_target, **reduction}

    return make


ACTIVATION_INPUTS: dict[str, Regime] = {
    "moderate": lambda r: {"x": r.uniform(-1, 1, size=40)},
    "wide": lambda r: {"x": r.uniform(-30, 30, size=40)},
    "saturated": lambda r: {"x": np.array([-1e4, -50.0, 50.0, 1e4])},
}
SOFTMAX_INPUTS: dict[str, Regime] = {
    f"scale-{s:g}": lambda r, s=s: {"x": r.normal(size=(8, 10)) * s, "axis": 1}
    for s in (1.0, 30.0, 1e4)
} | {
    f"3d-axis-{a}": lambda r, a=a: {"x": r.normal(size=(4, 5, 3)) * 30.0, "axis": a}
    for a in (0, -1)
}


def _pair(
    r: np.random.Generator, shape: tuple[int, ...], rows: tuple[int, ...], **options: Any
) -> dict[str, Any]:
    """``input1`` and ``input2`` of ``shape``, a +-1 ``target`` of shape ``rows``."""
    x1, x2 = r.normal(size=shape), r.normal(size=shape)
    target = np.array(r.choice([-1.0, 1.0], size=rows))
    return {"input1": x1, "input2": x2, "target": target, **options}


def _triplet(r: np.random.Generator, **options: Any) -> dict[str, Any]:
    a, p, n = r.normal(size=(3, 7, 4))
    return {"anchor": a, "positive": p, "negative": n, "margin": 1.5, **options}


MARGINS = (0.0, 0.2, -0.1)


def embedding_inputs(name: str) -> dict[str, Regime]:
    """The pair and triplet losses: normal inputs with +-1 targets at margins 0, 0.2 and -0.1
    (cosine_embedding_loss on (6, 3) rows and on one (3,) sample, margin_ranking_loss on (6,)
    scores); triplets of (7, 4) rows for p = 1, 2, 3 (triplet_margin_loss), with and without
    ``swap``."""
    swaps = {"": False, "-swap": True}
    if name == "margin_ranking_loss":
        return {f"margin-{m:g}": lambda r, m=m: _pair(r, (6,), (6,), margin=m) for m in MARGINS}
    if name == "cosine_embedding_loss":
        out = {f"margin-{m:g}": lambda r, m=m: _pair(r, (6, 3), (6,), margin=m) for m in MARGINS}
        return out | {"one-sample": lambda r: _pair(r, (3,), (), margin=0.2)}
    if name == "triplet_margin_loss":
        return {
            f"p-{p:g}{s}": lambda r, p=p, swap=swap: _triplet(r, p=p, swap=swap)
            for p in (1.0, 2.0, 3.0)
            for s, swap in swaps.items()
        }
    return {
        "no-swap": lambda r: _triplet(r, swap=False),
        "swap": lambda r: _triplet(r, swap=True),
    }
