"""The convention cases' model: the shared inputs, a case, a cell.

A case is one row of the matrix on the Conventions page: a loss with a set of options. A cell
is one library's call on the shared inputs (``call``, run by ``run.py`` with the library
installed) and the losslab expression that reproduces its value (``losslab``, run with losslab
and NumPy only, also by ``tests/test_conventions_record.py``). When losslab has no matching call
the expression states the difference as a formula in NumPy; ``note`` says in words what it is.

Names available to ``call``: the inputs below, ``np``, ``losslab``, ``book``, ``torch``, ``F``
(``torch.nn.functional``), ``T`` (NumPy array to torch tensor), ``keras``, ``optax``, ``jax``,
``jnp``, ``metrics`` (``sklearn.metrics``), ``special`` and ``stats`` (SciPy).
Names available to ``losslab``: the inputs, ``np``, ``losslab`` and ``book``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

LIBRARIES = ("losslab", "torch", "keras", "optax", "sklearn", "scipy", "book")
"""Matrix columns, in order. ``book`` is ``losslab.book``, the articles' textbook code."""

LIBRARY_TITLES = {
    "losslab": "losslab",
    "torch": "PyTorch",
    "keras": "Keras",
    "optax": "optax",
    "sklearn": "scikit-learn",
    "scipy": "SciPy",
    "book": "textbook",
}

DISTRIBUTIONS = {
    "losslab": "losslab",
    "torch": "torch",
    "keras": "keras",
    "optax": "optax",
    "jax": "jax",
    "sklearn": "scikit-learn",
    "scipy": "scipy",
    "numpy": "numpy",
}
"""Distributions whose versions the record keeps."""


def inputs() -> dict[str, np.ndarray]:
    """The shared inputs: small float64 arrays every case uses (a fresh copy per call)."""
    x = np.array([[0.0, 0.5, 3.0], [1.5, -2.0, 0.25]])  # regression predictions
    y = np.array([[0.2, 2.0, 0.0], [1.0, -0.5, 0.25]])  # regression targets
    logits = np.array([[2.0, 0.5, -1.0, 0.1], [0.3, 1.2, 0.0, -0.4], [-0.5, 0.2, 1.5, 0.7]])
    labels = np.array([0, 1, 3])
    onehot = np.eye(4)[labels]
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    # The TensorFlow article's example: one-hot targets given as probabilities.
    tf_pred = np.array([[0.1, 0.1, 0.1, 0.7], [0.1, 0.6, 0.1, 0.2]])
    tf_true = np.array([[0.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0]])
    z = np.array([[1.5, -0.3, 0.8], [-2.0, 0.4, 0.0]])  # binary logits
    t = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])  # binary targets
    p = 1.0 / (1.0 + np.exp(-z))
    P = np.array([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]])  # target distributions
    Q = np.array([[0.3, 0.3, 0.2, 0.2], [0.1, 0.2, 0.3, 0.4]])  # predicted distributions
    scores = np.array([[0.8, -0.3, 1.7], [-1.2, 0.4, -0.1]])  # binary decision values
    signs = np.array([[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0]])  # their +-1 labels
    rate = np.array([[0.5, 1.5, 3.0], [2.0, 0.2, 1.0]])  # Poisson rates
    counts = np.array([[0.0, 2.0, 3.0], [1.0, 0.0, 4.0]])  # Poisson counts
    mask_pred = np.array([[0.9, 0.2, 0.7, 0.1], [0.3, 0.8, 0.6, 0.4]])  # soft masks (dice)
    mask_true = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]])
    mask_logits = np.log(mask_pred / (1.0 - mask_pred))
    weight = np.array([1.0, 2.0, 0.5, 3.0])  # class weights
    Q2 = 2.0 * Q  # not normalized: a rate or count vector
    # The inputs of Keras's docstring examples (huber, binary_focal_crossentropy; log_cosh)
    doc_true = np.array([[0.0, 1.0], [0.0, 0.0]])
    doc_pred = np.array([[0.6, 0.4], [0.4, 0.6]])
    doc_logits = np.log(doc_pred / (1.0 - doc_pred))
    lc_true = np.array([[0.0, 1.0], [0.0, 0.0]])
    lc_pred = np.array([[1.0, 1.0], [0.0, 0.0]])
    # CTC: two sequences of 5 frames over 4 classes (class 0 is the blank), batch first;
    # labels padded with 0, the blank (Keras's convention); lengths 2 and 3.
    ctc_logits = np.array(
        [
            [[0.5, 1.0, -0.3, 0.2], [0.1, 0.4, 1.2, -0.5], [1.0, -0.2, 0.3, 0.0],
             [0.2, 0.1, 0.9, 0.4], [0.8, 0.3, -0.1, 0.6]],
            [[0.0, -0.4, 0.3, 1.1], [0.7, 0.2, 0.1, 0.9], [0.3, 0.8, -0.6, 0.5],
             [-0.2, 1.3, 0.4, 0.1], [0.6, 0.0, 0.2, -0.3]],
        ]
    )  # fmt: skip
    ctc_labels = np.array([[1, 2, 0], [3, 3, 1]])
    ctc_lengths = np.array([2, 3])
    return {k: v for k, v in locals().items() if k != "shifted"}


@dataclass(frozen=True)
class Cell:
    """One library's value for a case, and the losslab expression that reproduces it."""

    call: str
    losslab: str
    note: str = ""
    rtol: float = 1e-12
    atol: float = 1e-15


@dataclass(frozen=True)
class Case:
    """One row: a loss with options, evaluated by each library that has it."""

    id: str
    loss: str
    options: str
    cells: dict[str, Cell] = field(default_factory=dict)


def C(call: str, losslab: str, note: str = "", **tol: float) -> Cell:
    return Cell(call, losslab, note, **tol)


FLOAT32_TOLERANCE = (1e-6, 1e-7)
"""(rtol, atol) at least, for a library that returned float32 (Keras computes in floatx)."""


def tolerance(rtol: float, atol: float, dtype: str) -> tuple[float, float]:
    """The tolerance of a cell whose library returned ``dtype`` ("float64" or "float32")."""
    if dtype == "float32":
        return max(rtol, FLOAT32_TOLERANCE[0]), max(atol, FLOAT32_TOLERANCE[1])
    return rtol, atol


def to_array(value: Any) -> np.ndarray:
    """A library's result (tensor, jax array, list of scalars, NumPy scalar) as a NumPy array."""
    if isinstance(value, (list, tuple)):
        return np.array([to_array(v) for v in value])
    if hasattr(value, "detach"):  # torch, and Keras on the torch backend
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def losslab_namespace() -> dict[str, Any]:
    """What a cell's ``losslab`` expression sees: the inputs, NumPy, losslab and losslab.book."""
    import losslab
    from losslab import book

    return {**inputs(), "np": np, "losslab": losslab, "book": book}


def evaluate(expression: str, namespace: dict[str, Any]) -> np.ndarray:
    """Evaluate one cell expression in a copy of ``namespace``."""
    return to_array(eval(expression, dict(namespace)))


def matches(value: np.ndarray, expected: Any, rtol: float, atol: float) -> bool:
    """Same shape and every entry within ``atol + rtol * |expected|``."""
    expected = np.asarray(expected, dtype=np.float64)
    value = np.asarray(value, dtype=np.float64)
    return value.shape == expected.shape and bool(
        np.allclose(value, expected, rtol=rtol, atol=atol, equal_nan=False)
    )
