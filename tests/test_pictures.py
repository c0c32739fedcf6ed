"""tools/pictures.py: the build-time pictures that replace the articles' lost figures."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

pictures = pytest.importorskip("pictures")
siteplot = pytest.importorskip("siteplot")

import losslab  # noqa: E402


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_softmax_pipeline_shows_losslabs_numbers() -> None:
    scores = [3.2, 5.1, -1.7]
    fig = pictures.softmax_pipeline(scores, ["cat", "dog", "sheep"], 0)
    texts = _texts(fig)
    assert f"{float(losslab.cross_entropy(scores, 0)):.2f}" in texts
    assert f"{float(losslab.softmax(scores)[1]):.3f}" in texts
    assert "svg" in siteplot.svg(fig, alt="pipeline")


def test_descent_paths_stop_at_stationary_points() -> None:
    def f(a, b):
        return (a**2 - 1) ** 2 + (b**2 - 1) ** 2

    def grad(w):
        return np.array([4 * w[0] * (w[0] ** 2 - 1), 4 * w[1] * (w[1] ** 2 - 1)])

    _, results = pictures.descent_paths(
        f, grad, [(0.5, 1.8), (-1.8, -0.5)], lr=0.02, max_iter=2000, tol=1e-8
    )
    ends = [np.asarray(r.x) for r in results]
    assert all(r.reason == "tol" for r in results)
    np.testing.assert_allclose(np.abs(ends), 1.0, atol=1e-6)
    assert np.sign(ends[0]).tolist() == [1.0, 1.0] and np.sign(ends[1]).tolist() == [-1.0, -1.0]


def test_penalty_shapes_marks_each_penaltys_choice() -> None:
    texts = [t.get_text() for ax in pictures.penalty_shapes([1.0, 0.5]).axes for t in ax.texts]
    assert any(t.startswith("L1's choice = (1, 0)") for t in texts)
    assert any(t.startswith("L2's choice = (0.8, 0.4)") for t in texts)


def test_digit_grid_uses_a_symmetric_scale_for_weights() -> None:
    w = np.array([[[-1.0, 0.5]], [[0.25, 2.0]]])
    fig = pictures.digit_grid(w, ["a", "b"], ncols=2, diverging=True)
    lo, hi = fig.axes[0].images[0].get_clim()
    assert (lo, hi) == (-2.0, 2.0)
    assert pictures.network_diagram().axes
