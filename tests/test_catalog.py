"""Every worked example of the catalog (../shared/spec/examples.json), recomputed with losslab.

Each row below holds one value of one catalog entry: the entry id, a key for entries with several
values, a function that computes the value with losslab, and the catalog's reference values copied
from examples.json (``expected`` in float64, the mpmath 50-digit decimal string where the catalog
gives one, and the catalog's absolute tolerance). The project does not read ../shared at test time;
``test_every_catalog_entry_is_covered`` checks, when that file is present, that these copies match
it and that no catalog id is left without a test. It is the only test here that may skip.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest

import losslab
from losslab import book

CATALOG = Path(__file__).resolve().parents[1].parent / "shared" / "spec" / "examples.json"

# Entries checked by tests in other files: the file and the test function that checks each.
COVERED_ELSEWHERE = {
    "I002-HINGE-multiclass": ("tests/test_margin.py", "test_catalog_hinge_multiclass"),
    "I002-HINGE-binary": ("tests/test_margin.py", "test_catalog_hinge_binary"),
    "I002-MAE": ("tests/test_l1.py", "test_catalog_mae"),
}

T = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
Y = np.array([0.01, 0.03, 0.7, 0.06, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0])
Y2 = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
Y3 = np.array([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.0, 0.6, 0.0])
TF_TRUE = np.array([[0, 0, 0, 1], [0, 1, 0, 0]])
TF_PRED = np.array([[0.1, 0.1, 0.1, 0.7], [0.1, 0.6, 0.1, 0.2]])
ONEHOT_P, SOFT_Q = [0, 0, 0, 1], [0.1, 0.1, 0.1, 0.7]


@dataclass(frozen=True)
class Row:
    id: str
    key: str  # "" for a single value; else a key (or "key[i]") inside the entry's expected
    compute: Callable[[], Any]
    expected: Any
    mp: str | None
    tol: float


# --- helpers that compute with losslab ----------------------------------------------------------


def _batch5(one_hot: bool) -> Any:
    labels = np.array([2, 7, 0, 9, 4])
    p = np.array([0.6, 0.5, 0.8, 0.3, 0.9])
    y = np.repeat(((1 - p) / 9)[:, None], 10, axis=1)
    y[np.arange(5), labels] = p
    return book.cross_entropy_error(y, np.eye(10)[labels] if one_hot else labels)


_X1 = np.array([-2.0, -1.0, 0.5, 1.5, 3.0])
_L1 = np.array([0, 0, 1, 1, 1])


def _acc(b: float) -> Any:
    return losslab.accuracy((_X1 + b > 0).astype(int), _L1)


def _bce(b: float) -> Any:
    # mean binary cross-entropy of sigmoid(x + b) as the cross-entropy of two-class distributions
    s = book.sigmoid(_X1 + b)
    p = np.stack([_L1, 1 - _L1], axis=-1)
    q = np.stack([s, 1 - s], axis=-1)
    return np.mean(losslab.cross_entropy_pq(p, q))


def _sigmoid_prime(x: float) -> Any:
    s = book.sigmoid(x)
    return s * (1 - s)


def _descent(x0: float, **kw: Any) -> losslab.DescentResult:
    return losslab.gradient_descent(lambda x: 4 * x**3 - 6 * x + 1, x0, lr=0.01, **kw)


_SMCE = book.softmax(np.array([3.2, 5.1, -1.7]))


def _mnist_batch_shapes() -> dict[str, list[int]]:
    x_train = np.zeros((60000, 784), dtype=np.uint8)  # synthetic: MNIST is not downloaded
    t_train = np.zeros((60000, 10), dtype=np.uint8)
    idx = losslab.sample_batch(x_train.shape[0], 10, rng=np.random.RandomState(0), replace=True)
    assert x_train[idx].shape == (10, 784) and t_train[idx].shape == (10, 10)
    return {"x_train.shape": list(x_train.shape), "t_train.shape": list(t_train.shape)}


# --- the table ----------------------------------------------------------------------------------

ROWS = [
    Row(
        "S000-MSE-y",
        "",
        lambda: book.mean_squared_error(Y, T),
        0.06730000000000003,
        "0.0673",
        1e-12,
    ),
    Row(
        "S000-MSE-y2",
        "",
        lambda: book.mean_squared_error(Y2, T),
        0.09750000000000003,
        "0.0975",
        1e-12,
    ),
    Row(
        "S000-MSE-y3",
        "",
        lambda: book.mean_squared_error(Y3, T),
        0.5974999999999999,
        "0.5975",
        1e-12,
    ),
    Row(
        "S000-CE-y2",
        "",
        lambda: book.cross_entropy_error(Y2, T),
        0.510825457099338,
        "0.51082545709933790542619310884224215607153000655043",
        1e-12,
    ),
    Row(
        "S000-CE-y3",
        "",
        lambda: book.cross_entropy_error(Y3, T),
        2.302584092994546,
        "2.3025840929945456836846583713508308744344346791051",
        1e-12,
    ),
    Row(
        "S001-WHY-acc32",
        "",
        lambda: losslab.accuracy([0] * 32 + [1] * 68, [0] * 100),
        0.32,
        "0.32",
        0.0,
    ),
    Row("S003-ENT-onehot", "", lambda: losslab.entropy(ONEHOT_P, base=2), 0.0, "0.0", 0.0),
    Row(
        "S003-ENT-soft",
        "",
        lambda: losslab.entropy(SOFT_Q, base=2),
        1.3567796494470394,
        "1.3567796494470394726609409074271086098161127548483",
        1e-12,
    ),
    Row(
        "S003-KL-ex",
        "",
        lambda: losslab.kl_divergence(ONEHOT_P, SOFT_Q),
        0.35667494393873245,
        "0.35667494393873237891263871124118447796401675904691",
        1e-12,
    ),
    *[
        Row(
            "S003-CCE-tf",
            f"[{i}]",
            lambda i=i, dt=dt: losslab.cross_entropy_pq(TF_TRUE, TF_PRED.astype(dt))[i],
            e,
            m,
            1e-06,
        )
        for i, (e, m) in enumerate(
            [
                (0.35667494393873245, "0.35667494393873237891263871124118447796401675904691"),
                (0.5108256237659907, "0.51082562376599068320551409630366193487811079644577"),
            ]
        )
        for dt in (np.float64, np.float32)  # TF computes in float32: within the 1e-6 tolerance
    ],
    Row(
        "S004-MB-arange",
        "",
        lambda: next(losslab.iterate_minibatches(5, 5, shuffle=False)).tolist(),
        [0, 1, 2, 3, 4],
        None,
        0,
    ),
    Row(
        "S004-MB-fancy",
        "",
        lambda: [
            [int(r), int(c)]
            for r, c in zip(
                next(losslab.iterate_minibatches(5, 5, shuffle=False)), [2, 7, 0, 9, 4], strict=True
            )
        ],
        [[0, 2], [1, 7], [2, 0], [3, 9], [4, 4]],
        None,
        0,
    ),
    Row(
        "S004-MB-load-shapes",
        "",
        _mnist_batch_shapes,
        {"x_train.shape": [60000, 784], "t_train.shape": [60000, 10]},
        None,
        0,
    ),
    Row(
        "D000-CE-y",
        "",
        lambda: book.cross_entropy_error(Y, T),
        0.3566748010815999,
        "0.35667480108159972585044240425104147009031475846308",
        1e-12,
    ),
    *[
        Row("D000-MSE-mean-convention", f"[{i}]", lambda v=v: losslab.mse_loss(v, T), e, m, 1e-12)
        for i, (v, e, m) in enumerate(
            [
                (Y, 0.013460000000000005, "0.01346"),
                (Y2, 0.019500000000000007, "0.0195"),
                (Y3, 0.11949999999999998, "0.1195"),
            ]
        )
    ],
    Row(
        "D000-CE-floor",
        "",
        lambda: book.cross_entropy_error([0.0, 1.0], 0),
        16.11809565095832,
        "16.118095650958319788125940182790549453207710420401",
        1e-12,
    ),
    *[
        Row(
            "D004-CE-batch-y2y3",
            "",
            lambda t=t: book.cross_entropy_error(np.stack([Y2, Y3]), t),
            1.406704775046942,
            "1.4067047750469417945554257400965365152529823428278",
            1e-12,
        )
        for t in (np.stack([T, T]), [2, 2])
    ],
    *[
        Row(
            "D004-CE-batch-5",
            "",
            lambda oh=oh: _batch5(oh),
            0.5472897479025801,
            "0.54728974790258007217889283440621462860298605504201",
            1e-12,
        )
        for oh in (True, False)
    ],
    Row(
        "D004-MB-fancy-values",
        "",
        lambda: (np.arange(50).reshape(5, 10) / 100)[
            next(losslab.iterate_minibatches(5, 5, shuffle=False)), [2, 7, 0, 9, 4]
        ].tolist(),
        [0.02, 0.17, 0.2, 0.39, 0.44],
        None,
        0,
    ),
    Row(
        "D004-MB-choice-seed0",
        "",
        lambda: losslab.sample_batch(
            60000, 10, rng=np.random.RandomState(0), replace=True
        ).tolist(),
        [2732, 43567, 42613, 52416, 45891, 21243, 30403, 32103, 41993, 57043],
        None,
        0,
    ),
    Row(
        "D003-XENT-bits",
        "",
        lambda: losslab.cross_entropy_pq(ONEHOT_P, SOFT_Q, base=2),
        0.5145731728297583,
        "0.51457317282975824042835011225755936722380476705844",
        1e-12,
    ),
    Row(
        "D003-XENT-identity",
        "H",
        lambda: losslab.entropy(SOFT_Q, base=2),
        1.3567796494470394,
        "1.3567796494470394726609409074271086098161127548483",
        1e-12,
    ),
    Row(
        "D003-XENT-identity",
        "KL",
        lambda: losslab.kl_divergence(SOFT_Q, [0.25] * 4, base=2),
        0.6432203505529606,
        None,
        1e-12,
    ),
    Row(
        "D003-XENT-identity",
        "CE",
        lambda: losslab.cross_entropy_pq(SOFT_Q, [0.25] * 4, base=2),
        2.0,
        "2",
        1e-12,
    ),
    *[
        Row(
            "D003-MSE-tf-shapes",
            f"per_row[{i}]",
            lambda i=i: losslab.mse_loss(TF_PRED[i], TF_TRUE[i]),
            e,
            m,
            1e-12,
        )
        for i, (e, m) in enumerate(
            [(0.030000000000000006, "0.03"), (0.055000000000000014, "0.055")]
        )
    ],
    Row(
        "D003-MSE-tf-shapes",
        "reduce_mean",
        lambda: losslab.mse_loss(TF_PRED, TF_TRUE),
        0.04250000000000001,
        "0.0425",
        1e-12,
    ),
    Row("D001-ACC-vs-loss", "accuracy", lambda: _acc(-0.7), 0.8, None, 1e-09),
    Row(
        "D001-ACC-vs-loss",
        "d_accuracy_db",
        lambda: losslab.numerical_diff(_acc, -0.7, h=1e-4),
        0.0,
        None,
        1e-09,
    ),
    Row(
        "D001-ACC-vs-loss",
        "bce",
        lambda: _bce(-0.7),
        0.2995229182180378,
        "0.29952291821803779474020838697032099782058569941898",
        1e-09,
    ),
    Row(
        "D001-ACC-vs-loss",
        "d_bce_db",
        lambda: losslab.numerical_diff(_bce, -0.7, h=1e-4),
        -0.1467087712118381,
        "-0.14670877121183808148329462659336140845594769162604",
        1e-09,
    ),
    *[
        Row(
            "D001-SIG-vs-step", f"sigmoid_prime[{i}]", lambda x=x: _sigmoid_prime(x), e, None, 1e-15
        )
        for i, (x, e) in enumerate(
            [
                (-1.0, 0.19661193324148185),
                (0.0, 0.25),
                (0.5, 0.2350037122015945),
                (1.0, 0.19661193324148185),
                (3.0, 0.045176659730912),
            ]
        )
    ],
    *[
        # x = 0 (index 1) is the jump, null in the catalog: 1/(2h) is checked in test_book.py
        Row(
            "D001-SIG-vs-step",
            f"step_numeric_derivative[{i}]",
            lambda x=x: book.numerical_diff(book.step_function, x),
            0.0,
            None,
            1e-15,
        )
        for i, x in [(0, -1.0), (2, 0.5), (3, 1.0), (4, 3.0)]
    ],
    *[
        Row("I002-SMCE-cat", f"softmax[{i}]", lambda i=i: _SMCE[i], e, None, 1e-12)
        for i, e in enumerate([0.12998253901717313, 0.8690495352082657, 0.0009679257745610439])
    ],
    Row(
        "I002-SMCE-cat",
        "loss_ln",
        lambda: losslab.cross_entropy_pq([1, 0, 0], _SMCE),
        2.04035515280017,
        "2.0403551528001706298287931954475319429362198422513",
        1e-12,
    ),
    Row(
        "I002-SMCE-cat",
        "loss_log10",
        lambda: losslab.cross_entropy_pq([1, 0, 0], _SMCE, base=10),
        0.8861149839839801,
        None,
        1e-12,
    ),
    *[
        Row("I002-REG-w1w2", key, fn, e, None, 0)
        for key, fn, e in [
            ("score_w1", lambda: float(np.dot([1, 1, 1, 1], [1.0, 0, 0, 0])), 1.0),
            ("score_w2", lambda: float(np.dot([1, 1, 1, 1], [0.25] * 4)), 1.0),
            ("L2_w1", lambda: losslab.l2_penalty([1.0, 0, 0, 0], lam=2), 1.0),
            ("L2_w2", lambda: losslab.l2_penalty([0.25] * 4, lam=2), 0.25),
            ("halfL2_w1", lambda: losslab.l2_penalty([1.0, 0, 0, 0]), 0.5),
            ("halfL2_w2", lambda: losslab.l2_penalty([0.25] * 4), 0.125),
            ("L1_w1", lambda: losslab.l1_penalty([1.0, 0, 0, 0]), 1.0),
            ("L1_w2", lambda: losslab.l1_penalty([0.25] * 4), 1.0),
        ]
    ],
    Row(
        "I002-REG-L1-sparsity",
        "L1",
        lambda: losslab.prox_l1([0.3, -0.05, 1.2], 0.1).tolist(),
        [0.19999999999999998, -0.0, 1.0999999999999999],
        None,
        1e-12,
    ),
    Row(
        "I002-REG-L1-sparsity",
        "L2",
        lambda: losslab.prox_l2([0.3, -0.05, 1.2], 0.1).tolist(),
        [0.2727272727272727, -0.045454545454545456, 1.0909090909090908],
        None,
        1e-12,
    ),
    *[
        Row(
            "I002-GD-quadratic",
            f"[{k}]",
            lambda k=k: losslab.gradient_descent(
                lambda w: 2 * (w - 3), 0.0, lr=0.1, max_iter=5
            ).path[k + 1],
            e,
            m,
            1e-12,
        )
        for k, (e, m) in enumerate(
            [
                (0.6000000000000001, "0.6"),
                (1.08, "1.08"),
                (1.464, "1.464"),
                (1.7711999999999999, "1.7712"),
                (2.01696, "2.01696"),
            ]
        )
    ],
    *[
        Row(
            "I002-GD-local-minima",
            key,
            fn,
            e,
            m,
            1e-08,
        )
        for key, fn, e, m in [
            (
                "from_-2",
                lambda: _descent(-2.0, tol=1e-8, max_iter=10000).x,
                -1.3008395666045112,
                "-1.30083956594157712623218518009",
                # the mpmath value is the exact minimum; the stop at |f'| < 1e-8 is within 1e-8
            ),
            (
                "from_+2",
                lambda: _descent(2.0, tol=1e-8, max_iter=10000).x,
                1.1309011236225572,
                "1.13090112262998585006608018924",
            ),
            ("iterations[0]", lambda: _descent(-2.0, tol=1e-8, max_iter=10000).n_iter, 130, None),
            ("iterations[1]", lambda: _descent(2.0, tol=1e-8, max_iter=10000).n_iter, 200, None),
        ]
    ],
    Row("I002-ZERO-ONE", "[0]", lambda: losslab.zero_one_loss(Y2, 2), 0, None, 0),
    Row("I002-ZERO-ONE", "[1]", lambda: losslab.zero_one_loss(Y3, 2), 1, None, 0),
]


def _close(value: Any, ref: Any, tol: float) -> bool:
    if isinstance(ref, dict):
        return value == ref
    if isinstance(ref, list):
        return len(value) == len(ref) and all(
            _close(v, r, tol) for v, r in zip(value, ref, strict=True)
        )
    return value == ref if tol == 0 else abs(float(value) - ref) <= tol


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.id}{'-' + r.key if r.key else ''}" for r in ROWS])
def test_catalog_value(row: Row) -> None:
    value = row.compute()
    assert _close(value, row.expected, row.tol), (
        f"{row.id} {row.key}: {value!r} vs {row.expected!r}"
    )
    if row.mp is not None:
        with mpmath.workdps(60):
            err = abs(mpmath.mpf(float(value)) - mpmath.mpf(row.mp))
        if row.tol == 0:
            assert float(value) == float(mpmath.mpf(row.mp))
        else:
            assert err <= row.tol, f"{row.id} {row.key}: {value!r} is {err} from mpmath"


def test_local_minima_iteration_limit() -> None:
    # I002-GD-local-minima, notes: max_iter = 3 from x0 = 2 stops by the iteration count
    r = _descent(2.0, tol=1e-8, max_iter=3)
    assert (r.x, r.reason) == (1.5651588069976374, "max_iter")


def _lookup(expected: Any, key: str) -> Any:
    """``expected`` at ``key`` ("", "name", "[i]" or "name[i]")."""
    if not key:
        return expected
    name, _, index = key.partition("[")
    out = expected[name] if name else expected
    return out[int(index[:-1])] if index else out


def _strings(obj: Any) -> set[str]:
    if isinstance(obj, str):
        return {obj}
    values = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, list) else []
    return set().union(*(_strings(v) for v in values)) if values else set()


def test_every_catalog_entry_is_covered() -> None:
    if not CATALOG.exists():
        pytest.skip(f"{CATALOG} not found: the catalog lives beside the repository, not in it")
    entries = {e["id"]: e for e in json.loads(CATALOG.read_text(encoding="utf-8"))}
    covered = {r.id for r in ROWS}
    missing = set(entries) - covered - set(COVERED_ELSEWHERE)
    assert not missing, f"catalog entries without a test: {sorted(missing)}"
    assert not (covered | set(COVERED_ELSEWHERE)) - set(entries), "ids not in the catalog"
    root = Path(__file__).resolve().parents[1]
    for cid, (path, test) in COVERED_ELSEWHERE.items():
        source = (root / path).read_text(encoding="utf-8")
        assert f"def {test}(" in source, f"{path} has no {test}, which should test {cid}"
    # the reference values copied above are the catalog's
    for r in ROWS:
        e = entries[r.id]
        assert _lookup(e["expected"], r.key) == r.expected, (r.id, r.key)
        assert e["tolerance"] == r.tol, (r.id, r.key)
        if r.mp is not None:
            assert r.mp in _strings(e["mpmath_50_exact_decimal_inputs"]), (r.id, r.key)
