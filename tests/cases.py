"""The case table: one row per public function of ``losslab.__all__``.

A row gives a *valid call* (keyword arguments built fresh on every call), the bad-input cases
that apply to the function and, for a differentiable function, its named input regimes
(``inputs``: random valid arguments drawn from a NumPy generator, float64; ``draw`` casts them).
The tests derive from it: validation (``tests/test_validation_table.py``), the checks of every
differentiable function (``tests/test_cases.py``, which takes the list of those from
``losslab._registry.entries()``), the accuracy test against mpmath
(``tests/test_accuracy_oracle.py``), the properties (``tests/test_properties.py``) and the
PyTorch parity of every loss PyTorch has (``tests/parity/test_torch_cases.py``). A row without
``inputs`` has one regime, its valid call. Add a row when you add a public function. The
families of bad-input cases are built in ``tests/case_builders.py``, the regimes in
``tests/case_inputs.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from case_builders import (
    Case,
    Row,
    _with,
    array_cases,
    axis_cases,
    dist_cases,
    int_cases,
    label_cases,
    number_cases,
    prob_cases,
    reduction_cases,
    weight_cases,
)
from case_inputs import (
    ACTIVATION_INPUTS,
    CE_INPUTS,
    SOFTMAX_INPUTS,
    Regime,
    bce_logits,
    bce_shapes,
    class_layouts,
    dists,
    embedding_inputs,
    kl_div_inputs,
    kl_div_shapes,
    pq,
    regression,
    regression_shapes,
    signs,
    signs_shapes,
    straddle,
)

import losslab

# --- building blocks ---------------------------------------------------------------------------

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]])  # (N=2, C=3) scores / predictions
Y = np.array([[0.25, 0.5, -1.0], [2.0, -0.5, 0.0]])  # a target like X
P = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])  # rows are distributions
Q = np.array([[0.1, 0.6, 0.3], [0.25, 0.25, 0.5]])
LABELS = np.array([2, 0])
SIGNS = np.array([[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0]])
LOGP = np.log(P)


# --- the table ---------------------------------------------------------------------------------


def _pair(**more: Any) -> Callable[[], dict[str, Any]]:
    return lambda: {"input": X.copy(), "target": Y.copy(), **more}


ROWS: list[Row] = [
    Row(
        "mse_loss",
        lambda: {"input": X.copy(), "target": Y.copy(), "weight": np.ones_like(X)},
        [
            *array_cases("input", X, paired=False),
            *array_cases("target", Y),
            *weight_cases("weight", np.ones_like(X)),
            *reduction_cases(),
        ],
        inputs=regression() | regression_shapes(),
    ),
    Row(
        "l1_loss",
        lambda: {"input": X.copy(), "target": Y.copy(), "weight": np.ones_like(X)},
        [
            *array_cases("input", X, paired=False),
            *array_cases("target", Y),
            *weight_cases("weight", np.ones_like(X)),
            *reduction_cases(),
        ],
        inputs=regression() | regression_shapes(),
    ),
    Row(
        "huber_loss",
        lambda: {"input": X.copy(), "target": Y.copy(), "delta": 1.0, "weight": np.ones_like(X)},
        [
            *array_cases("input", X, paired=False),
            *array_cases("target", Y),
            *weight_cases("weight", np.ones_like(X)),
            *number_cases("delta", allow_zero=False),
            *reduction_cases(),
        ],
        inputs=regression(delta=1.0)
        | straddle("delta")
        | regression_shapes("delta", (0.25, 1.0, 2.0, 7.5)),
    ),
    Row(
        "smooth_l1_loss",
        _pair(beta=1.0),
        [
            *array_cases("input", X, paired=False),
            *array_cases("target", Y),
            *number_cases("beta", allow_zero=True),
            *reduction_cases(),
        ],
        inputs=regression(beta=1.0)
        | straddle("beta")
        | regression_shapes("beta", (0.0, 0.5, 1.0, 3.0), weighted=False),
    ),
    *[
        Row(
            name,
            lambda: {"x": X.copy(), "axis": 1},
            [*array_cases("x", X, paired=False), *axis_cases("axis", X.ndim)],
            inputs=SOFTMAX_INPUTS,
        )
        for name in ("softmax", "log_softmax")
    ],
    *[
        Row(
            name,
            lambda: {"x": X.copy()},
            array_cases("x", X, paired=False),
            inputs=ACTIVATION_INPUTS,
        )
        for name in ("sigmoid", "log_sigmoid")
    ],
    Row(
        "cross_entropy",
        lambda: {"input": X.copy(), "target": LABELS.copy(), "weight": np.ones(3)},
        [
            *array_cases("input", X, paired=False),
            *label_cases("target", LABELS, 3),
            Case("prob-target-below-0", "target", _with(P, (0, 0), -0.1), ValueError),
            Case("prob-target-above-1", "target", _with(P, (0, 0), 1.1), ValueError),
            Case("prob-target-nan", "target", _with(P, (0, 0), np.nan), ValueError),
            Case("prob-target-wrong-shape", "target", P[:, :2].copy(), ValueError),
            *weight_cases("weight", np.ones(3)),
            *int_cases("ignore_index"),
            Case("label-smoothing-above-1", "label_smoothing", 1.5, ValueError),
            Case("label-smoothing-negative", "label_smoothing", -0.1, ValueError),
            Case("label-smoothing-nan", "label_smoothing", float("nan"), ValueError),
            *reduction_cases(),
        ],
        inputs=CE_INPUTS | class_layouts(),
    ),
    Row(
        "nll_loss",
        lambda: {"input": LOGP.copy(), "target": LABELS.copy(), "weight": np.ones(3)},
        [
            # nll_loss reads only the label entries, so NaN/inf is an error there (and, as in
            # PyTorch, ignored elsewhere: tests/test_cross_entropy.py)
            *[
                c
                for c in array_cases("input", LOGP, paired=False)
                if c.id not in ("nan", "inf", "-inf")
            ],
            *[
                Case(cid, "input", _with(LOGP, (0, int(LABELS[0])), bad), ValueError)
                for cid, bad in (("nan", np.nan), ("inf", np.inf), ("-inf", -np.inf))
            ],
            *label_cases("target", LABELS, 3),
            *weight_cases("weight", np.ones(3)),
            *int_cases("ignore_index"),
            *reduction_cases(),
        ],
        inputs={
            "weighted": lambda r: {
                "input": np.log(r.dirichlet(np.ones(10), size=12)),
                "target": r.integers(0, 10, size=12),
                "weight": r.uniform(0.5, 2.0, size=10),
            },
            **class_layouts(log_probabilities=True),
        },
    ),
    Row(
        "binary_cross_entropy",
        lambda: {"input": P.copy(), "target": Q.copy(), "weight": np.ones_like(P)},
        [
            *prob_cases("input", P, paired=False),
            *prob_cases("target", Q),
            *weight_cases("weight", np.ones_like(P)),
            *reduction_cases(),
        ],
        inputs={
            "random": lambda r: {
                "input": r.uniform(0.01, 0.99, size=(6, 8)),
                "target": r.uniform(0, 1, size=(6, 8)),
            },
            **bce_shapes(logits=False),
        },
    ),
    Row(
        "binary_cross_entropy_with_logits",
        lambda: {
            "input": X.copy(),
            "target": Q.copy(),
            "weight": np.ones_like(X),
            "pos_weight": np.ones(3),
        },
        [
            *array_cases("input", X, paired=False),
            *prob_cases("target", Q),
            *weight_cases("weight", np.ones_like(X)),
            *weight_cases("pos_weight", np.ones(3)),
            *reduction_cases(),
        ],
        inputs={
            f"{kind}{'-pos-weight' * pw}": bce_logits(kind, pw)
            for kind in ("random", "extreme")
            for pw in (False, True)
        }
        | bce_shapes(logits=True),
    ),
    Row(
        "multi_margin_loss",
        lambda: {"input": X.copy(), "target": LABELS.copy(), "weight": np.ones(3)},
        [
            *array_cases("input", X, paired=False),
            *label_cases("target", LABELS, 3),
            *weight_cases("weight", np.ones(3)),
            Case("p-3", "p", 3, ValueError),
            Case("p-str", "p", "1", TypeError),
            Case("margin-nan", "margin", float("nan"), ValueError),
            Case("margin-str", "margin", "1", TypeError),
            *reduction_cases(),
        ],
        inputs={
            f"p-{p}": lambda r, p=p: {
                "input": r.normal(size=(6, 5)),
                "target": r.integers(0, 5, size=6),
                "p": p,
            }
            for p in (1, 2)
        },
    ),
    Row(
        "hinge_embedding_loss",
        lambda: {"input": X.copy(), "target": SIGNS.copy()},
        [
            *array_cases("input", X, paired=False),
            *array_cases("target", SIGNS),
            Case("target-not-sign", "target", _with(SIGNS, (0, 0), 0.5), ValueError),
            Case("margin-nan", "margin", float("nan"), ValueError),
            Case("margin-str", "margin", "1", TypeError),
            *reduction_cases(),
        ],
        inputs={"random": signs, **signs_shapes(kinks=True)},
    ),
    Row(
        "soft_margin_loss",
        lambda: {"input": X.copy(), "target": SIGNS.copy()},
        [*array_cases("input", X, paired=False), *array_cases("target", SIGNS), *reduction_cases()],
        inputs={"random": signs, **signs_shapes(kinks=False)},
    ),
    Row(
        "kl_div",
        lambda: {"input": LOGP.copy(), "target": Q.copy()},
        [
            *array_cases("input", LOGP, paired=False),
            *prob_cases("target", Q),
            Case("batchmean-ok-but-unknown", "reduction", "batch_mean", ValueError),
            *reduction_cases(),
        ],
        inputs={
            "zeros": kl_div_inputs(),
            "zeros-batchmean": kl_div_inputs(reduction="batchmean"),
            "shapes": kl_div_shapes(log_target=False),
            "shapes-batchmean": kl_div_shapes(log_target=False, reduction="batchmean"),
            "shapes-log-target": kl_div_shapes(log_target=True),
            "shapes-log-target-batchmean": kl_div_shapes(log_target=True, reduction="batchmean"),
        },
    ),
]

ROWS += [
    Row(
        "entropy",
        lambda: {"p": P.copy(), "base": 2.0, "axis": -1},
        [
            *dist_cases("p", P, paired=False),
            *number_cases("base", allow_zero=False),
            Case("base-1", "base", 1.0, ValueError),
            *axis_cases("axis", P.ndim),
        ],
        # d/dp of -p log p is -inf at p = 0: no regime with zeros in p
        inputs={
            f"dirichlet{'-base-2' * (b == 2)}": lambda r, b=b: {"p": dists(r, False)[0], "base": b}
            for b in (None, 2.0)
        },
    ),
    *[
        Row(
            name,
            lambda: {"p": P.copy(), "q": Q.copy(), "base": 2.0, "axis": -1},
            [
                *dist_cases("p", P, paired=False),
                *dist_cases("q", Q),
                *number_cases("base", allow_zero=False),
                Case("base-1", "base", 1.0, ValueError),
                *axis_cases("axis", P.ndim),
            ],
            inputs={
                f"{'zeros' if z else 'dirichlet'}{'-base-2' * (b == 2)}": pq(z, b)
                for z in (False, True)
                for b in (None, 2.0)
            },
        )
        for name in ("kl_divergence", "cross_entropy_pq")
    ],
]

ROWS += [
    Row(
        "hinge_loss",
        lambda: {"input": X.copy(), "target": SIGNS.copy()},
        [
            *array_cases("input", X, paired=False),
            *array_cases("target", SIGNS),
            Case("target-not-sign", "target", _with(SIGNS, (0, 0), 0.5), ValueError),
            Case("margin-nan", "margin", float("nan"), ValueError),
            Case("margin-str", "margin", "1", TypeError),
            *reduction_cases(),
        ],
        inputs={"random": signs},
    ),
    Row(
        "zero_one_loss",
        lambda: {"input": X.copy(), "target": LABELS.copy()},
        [
            *array_cases("input", X, paired=False),
            *label_cases("target", LABELS, 3),
            *reduction_cases(),
        ],
    ),
    Row(
        "accuracy",
        lambda: {"input": X.copy(), "target": LABELS.copy()},
        [*array_cases("input", X, paired=False), *label_cases("target", LABELS, 3)],
    ),
    *[
        Row(
            name,
            lambda: {"w": X.copy(), "lam": 0.5},
            [*array_cases("w", X, paired=False), *number_cases("lam", allow_zero=True)],
        )
        for name in ("l1_penalty", "l2_penalty")
    ],
    *[
        Row(
            name,
            lambda: {"a": X.copy(), "lam": 0.5},
            [*array_cases("a", X, paired=False), *number_cases("lam", allow_zero=True)],
        )
        for name in ("prox_l1", "prox_l2")
    ],
    Row(
        "numerical_diff",
        lambda: {"f": np.sin, "x": 0.5, "h": 1e-5},
        [
            Case("f-not-callable", "f", 1.0, TypeError),
            Case("x-nan", "x", float("nan"), ValueError),
            Case("x-str", "x", "0.5", TypeError),
            Case("x-bool", "x", True, TypeError),
            Case("x-complex", "x", 1j, TypeError),
            *number_cases("h", allow_zero=False),
        ],
    ),
    Row(
        "numerical_gradient",
        lambda: {"f": lambda w: float(np.sum(w**2)), "x": X.copy(), "h": 1e-5},
        [
            Case("f-not-callable", "f", 1.0, TypeError),
            *array_cases("x", X, paired=False),
            *number_cases("h", allow_zero=False),
        ],
    ),
]


def _count_cases(arg: str) -> list[Case]:
    return [
        Case("zero", arg, 0, ValueError),
        Case("negative", arg, -3, ValueError),
        *int_cases(arg),
    ]


ROWS += [
    Row(
        "sample_batch",
        lambda: {"n": 10, "batch_size": 3, "rng": 0},
        [
            *_count_cases("n"),
            *_count_cases("batch_size"),
            Case("batch-larger-than-n", "batch_size", 11, ValueError),
            Case("rng-negative-seed", "rng", -1, ValueError),
            Case("rng-str", "rng", "0", TypeError),
            Case("replace-str", "replace", "yes", TypeError),
        ],
    ),
    Row(
        # A generator must check its arguments when called, not at the first next().
        "iterate_minibatches",
        lambda: {"n": 10, "batch_size": 3, "rng": 0},
        [
            *_count_cases("n"),
            *_count_cases("batch_size"),
            Case("rng-str", "rng", "0", TypeError),
            Case("shuffle-str", "shuffle", "yes", TypeError),
            Case("drop_last-str", "drop_last", "yes", TypeError),
        ],
    ),
    Row(
        "duplicate_probability",
        lambda: {"n": 60000, "batch_size": 10},
        [*_count_cases("n"), *_count_cases("batch_size")],
    ),
    Row(
        "gradient_descent",
        lambda: {"grad": lambda x: 2 * x, "x0": np.array([1.0, -2.0]), "lr": 0.1, "max_iter": 5},
        [
            Case("grad-not-callable", "grad", 1.0, TypeError),
            *array_cases("x0", np.array([1.0, -2.0]), paired=False),
            *number_cases("lr", allow_zero=False),
            *_count_cases("max_iter"),
            Case("tol-negative", "tol", -1.0, ValueError),
            Case("tol-nan", "tol", float("nan"), ValueError),
            Case("callback-not-callable", "callback", 1, TypeError),
            Case("grad-returns-wrong-shape", "grad", lambda x: np.ones(3), ValueError),
        ],
    ),
]

ROWS += [
    Row(
        name,
        lambda: {"fn": losslab.mse_loss},
        [
            Case("not-differentiable", "fn", print, TypeError),
            Case("none", "fn", None, TypeError),
            Case("a-string", "fn", "mse_loss", TypeError),
        ],
    )
    for name in ("grad", "value_and_grad")
]

ROWS += [
    Row(
        # n=None restores the default thread count, so the valid call leaves no state behind.
        "set_num_threads",
        lambda: {"n": None},
        [Case("zero", "n", 0, ValueError), Case("negative", "n", -2, ValueError), *int_cases("n")],
    ),
    Row("get_num_threads", lambda: {}, []),
]

# The losses of tests/test_ctc.py, test_linear_cross_entropy.py and test_embedding.py (which
# hold their fuller validation tests).
_PAIR = {"input1": np.array([[1.0, 2.0]]), "input2": np.array([[0.5, 1.0]]), "target": np.ones(1)}
_TRIPLET = {"anchor": np.zeros((1, 2)), "positive": np.ones((1, 2)), "negative": -np.ones((1, 2))}
ROWS += [
    Row(
        "ctc_loss",
        lambda: {
            "log_probs": np.log(np.full((2, 1, 3), 1 / 3)),
            "targets": np.array([[1]]),
            "input_lengths": np.array([2]),
            "target_lengths": np.array([1]),
        },
        [
            Case("1-d", "log_probs", np.zeros(3), ValueError),
            Case("nan", "log_probs", np.full((2, 1, 3), np.nan), ValueError),
            Case("float-labels", "targets", np.array([[1.0]]), TypeError),
            Case("blank-label", "targets", np.array([[0]]), ValueError),
            Case("too-long", "input_lengths", np.array([3]), ValueError),
            Case("negative", "target_lengths", np.array([-1]), ValueError),
            Case("out-of-range", "blank", 3, ValueError),
            Case("not-bool", "zero_infinity", 1, TypeError),
            Case("unknown", "reduction", "avg", ValueError),
        ],
    ),
    Row(
        "linear_cross_entropy",
        lambda: {
            "input": np.ones((2, 3)),
            "linear_weight": np.ones((4, 3)),
            "target": np.array([0, 3]),
            "linear_bias": np.zeros(4),
        },
        [
            Case("1-d", "input", np.ones(3), ValueError),
            Case("wrong-d", "linear_weight", np.ones((4, 2)), ValueError),
            Case("out-of-range", "target", [0, 4], ValueError),
            Case("float", "target", [0.0, 1.0], TypeError),
            Case("negative", "weight", -np.ones(4), ValueError),
            Case("too-large", "label_smoothing", 2.0, ValueError),
            Case("unknown", "reduction", "avg", ValueError),
        ],
    ),
    *[
        Row(
            name,
            lambda shape=shape: {**_PAIR, "target": np.ones(shape)},
            [
                Case("shape", "input2", np.ones((1, 3)), ValueError),
                Case("zero-label", "target", np.zeros(shape), ValueError),
                Case("bool", "input1", np.ones((1, 2), bool), TypeError),
                Case("str", "margin", "1", TypeError),
                Case("unknown", "reduction", "avg", ValueError),
            ],
            inputs=embedding_inputs(name),
        )
        for name, shape in (("cosine_embedding_loss", (1,)), ("margin_ranking_loss", (1, 2)))
    ],
    *[
        Row(
            name,
            lambda: dict(_TRIPLET),
            [
                Case("shape", "negative", np.ones((1, 3)), ValueError),
                Case("nan", "positive", np.full((1, 2), np.nan), ValueError),
                Case("not-bool", "swap", 1, TypeError),
                Case("unknown", "reduction", "avg", ValueError),
            ],
            inputs=embedding_inputs(name),
        )
        for name in ("triplet_margin_loss", "triplet_margin_with_distance_loss")
    ],
]

# The losses of tests/test_poisson.py, test_gaussian_nll.py and test_multilabel.py (which hold
# their fuller validation tests).
RATES = np.array([[0.5, 1.5, 3.0], [2.0, 0.2, 1.0]])
COUNTS = np.array([[0.0, 2.0, 3.0], [1.0, 0.0, 4.0]])
LABEL_LISTS = np.array([[2, -1, 0], [0, 1, -1]])  # classes up to the first -1
MULTI_HOT = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
ROWS += [
    Row(
        "poisson_nll_loss",
        lambda: {"input": RATES.copy(), "target": COUNTS.copy()},
        [
            *array_cases("input", RATES, paired=False),
            *array_cases("target", COUNTS),
            Case("negative-count", "target", _with(COUNTS, (0, 0), -1.0), ValueError),
            Case(
                "negative-rate",
                "input",
                _with(RATES, (0, 0), -0.5),
                ValueError,
                extra={"log_input": False},
            ),
            Case("eps-negative", "eps", -1e-8, ValueError),
            Case("eps-str", "eps", "1", TypeError),
            Case("log_input-int", "log_input", 1, TypeError),
            Case("full-str", "full", "yes", TypeError),
            *reduction_cases(),
        ],
    ),
    Row(
        "gaussian_nll_loss",
        lambda: {"input": X.copy(), "target": Y.copy(), "var": np.ones_like(X)},
        [
            *array_cases("input", X, paired=False),
            *array_cases("target", Y),
            *array_cases("var", np.ones_like(X)),
            Case("negative", "var", _with(np.ones_like(X), (0, 0), -1.0), ValueError),
            Case("negative-number", "var", -1.0, ValueError),
            Case("two-dims-differ", "var", np.ones((1, 1)), ValueError),
            *number_cases("eps", allow_zero=False),
            Case("full-int", "full", 1, TypeError),
            *reduction_cases(),
        ],
    ),
    Row(
        "multilabel_margin_loss",
        lambda: {"input": X.copy(), "target": LABEL_LISTS.copy()},
        [
            *array_cases("input", X, paired=False),
            Case("ragged", "target", [[1], [1, 2]], ValueError),
            Case("out-of-range-high", "target", _with(LABEL_LISTS, (0, 0), 3), ValueError),
            Case("after-padding", "target", _with(LABEL_LISTS, (0, 2), 3), ValueError),
            Case("padding-not-minus-1", "target", _with(LABEL_LISTS, (0, 1), -2), ValueError),
            Case("non-integer", "target", LABEL_LISTS + 0.5, TypeError),
            Case("bool", "target", np.ones(X.shape, dtype=bool), TypeError),
            Case("complex", "target", LABEL_LISTS.astype(complex), TypeError),
            Case("str-array", "target", np.full(X.shape, "a"), TypeError),
            Case("wrong-shape", "target", LABEL_LISTS[:, :2], ValueError),
            *reduction_cases(),
        ],
    ),
    Row(
        "multilabel_soft_margin_loss",
        lambda: {"input": X.copy(), "target": MULTI_HOT.copy(), "weight": np.ones(3)},
        [
            *array_cases("input", X, paired=False),
            *prob_cases("target", MULTI_HOT),
            *weight_cases("weight", np.ones(3)),
            *reduction_cases(),
        ],
    ),
]


# Losses beyond torch.nn.functional (tests/test_focal.py, test_log_cosh.py, test_pinball.py,
# test_dice.py hold their fuller tests).
ROWS += [
    Row(
        "sigmoid_focal_loss",
        lambda: {"inputs": X.copy(), "targets": Q.copy(), "alpha": 0.25, "gamma": 2.0},
        [
            *array_cases("inputs", X, paired=False),
            *prob_cases("targets", Q),
            Case("above-1", "alpha", 1.5, ValueError),
            Case("nan", "alpha", float("nan"), ValueError),
            Case("str", "alpha", "0.25", TypeError),
            *number_cases("gamma", allow_zero=True),
            *reduction_cases(),
        ],
    ),
    Row(
        "log_cosh_loss",
        _pair(),
        [*array_cases("input", X, paired=False), *array_cases("target", Y), *reduction_cases()],
    ),
    Row(
        "pinball_loss",
        _pair(alpha=0.9),
        [
            *array_cases("input", X, paired=False),
            *array_cases("target", Y),
            Case("negative", "alpha", -0.1, ValueError),
            Case("above-1", "alpha", 1.5, ValueError),
            Case("nan", "alpha", float("nan"), ValueError),
            Case("str", "alpha", "0.5", TypeError),
            *reduction_cases(),
        ],
    ),
    *[
        Row(
            name,
            lambda: {"input": P.copy(), "target": Q.copy(), "smooth_nr": 0.0, "smooth_dr": 1e-5},
            [
                *prob_cases("input", P, paired=False),
                *prob_cases("target", Q),
                *number_cases("smooth_nr", allow_zero=True),
                *number_cases("smooth_dr", allow_zero=True),
                Case("not-bool", "per_sample", 1, TypeError),
                Case("not-bool", "from_logits", "yes", TypeError),
                *reduction_cases(),
            ],
        )
        for name in ("dice_loss", "tversky_loss")
    ],
]

# Functions whose behaviour is not an input check (reason given).
EXEMPT = {
    "differentiable_functions": "takes no arguments",
    "DescentResult": "the record gradient_descent returns, not an input-taking function",
    "show_config": "prints the build configuration; takes no array arguments",
}

ROW_BY_NAME = {row.name: row for row in ROWS}


def regimes(name: str) -> dict[str, Regime]:
    """The named input regimes of ``name``'s row (its valid call when it lists none); none for a
    function without a row (``tests/test_cases.py`` reports it)."""
    row = ROW_BY_NAME.get(name)
    if row is None:
        return {}
    return row.inputs or {"valid": lambda _: row.valid()}


def draw(name: str, regime: str, dtype: Any = np.float64, seed: int = 20240611) -> dict[str, Any]:
    """The arguments of ``regime`` drawn with ``seed``, float64 arrays cast to ``dtype``
    (integer labels keep their dtype)."""
    kwargs = regimes(name)[regime](np.random.default_rng(seed))
    return {
        k: a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype == np.float64 else a
        for k, a in kwargs.items()
    }
