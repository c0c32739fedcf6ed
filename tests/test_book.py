"""losslab.book: the textbook's code and its digits, with validation and no mutation of the
caller's arrays where the book has neither."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from losslab import book

T = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
Y = np.array([0.01, 0.03, 0.7, 0.06, 0.2, 0, 0, 0, 0, 0])
Y2 = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
Y3 = np.array([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.0, 0.6, 0.0])


# --- the book's code, verbatim, as the reference for "same digits" -----------------------------


def _book_numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]
        x[idx] = float(tmp_val) + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
        it.iternext()
    return grad


def _book_gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x
    for _ in range(step_num):
        x -= lr * _book_numerical_gradient(f, x)
    return x


# --- printed digits (the study diary) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("y", "printed"),
    [(Y, "0.06730000000000003"), (Y2, "0.09750000000000003"), (Y3, "0.5974999999999999")],
)
def test_mse_prints_article_digits(y, printed):
    assert str(book.mean_squared_error(y, T)) == printed
    assert book.sum_squared_error is book.mean_squared_error


@pytest.mark.parametrize(("y", "printed"), [(Y2, "0.510825457099338"), (Y3, "2.302584092994546")])
def test_cross_entropy_prints_article_digits(y, printed):
    assert str(book.cross_entropy_error(y, T)) == printed
    # label form: a NumPy int, a NumPy 0-d array and a Python int give the same digits
    for label in (np.int64(2), np.array(2), 2):
        assert str(book.cross_entropy_error(y, label)) == printed


def test_cross_entropy_depends_only_on_correct_entry():
    # only the correct entry counts: bit-for-bit -log(y[2] + 1e-7)
    assert book.cross_entropy_error(Y2, T) == -np.log(Y2[2] + 1e-7)
    changed = Y2.copy()
    changed[0] = 0.3
    assert book.cross_entropy_error(changed, T) == book.cross_entropy_error(Y2, T)


def test_cross_entropy_batch_forms_agree():
    y = np.stack([Y2, Y3])
    one_hot = book.cross_entropy_error(y, np.stack([T, T]))
    labels = book.cross_entropy_error(y, [2, 2])
    assert one_hot == pytest.approx(labels, rel=1e-15)
    mean_of_rows = (book.cross_entropy_error(Y2, T) + book.cross_entropy_error(Y3, T)) / 2
    assert one_hot == pytest.approx(mean_of_rows, rel=1e-15)


def test_cross_entropy_soft_targets_use_the_sum_formula():
    t = np.array([0.25, 0.75])
    y = np.array([0.4, 0.6])
    expected = -(0.25 * np.log(0.4 + 1e-7) + 0.75 * np.log(0.6 + 1e-7))
    assert book.cross_entropy_error(y, t) == pytest.approx(expected, rel=1e-15)


def test_book_negative_probability_gives_nan_like_the_book():
    # Faithful to the book: y is not range-checked, so log of a negative is NaN (NumPy warns).
    y = Y2.copy()
    y[3] = -1e-4
    with pytest.warns(RuntimeWarning):
        assert np.isnan(book.cross_entropy_error(y, T))


def test_dtypes():
    y32 = Y2.astype(np.float32)
    # integer one-hot t promotes to float64, as NumPy does in the book's code
    assert book.mean_squared_error(y32, T).dtype == np.float64
    assert book.cross_entropy_error(y32, T).dtype == np.float64
    assert book.mean_squared_error(y32, T.astype(np.float32)).dtype == np.float32
    assert book.cross_entropy_error(y32, T.astype(np.float32)).dtype == np.float32
    assert book.cross_entropy_error(y32, 2).dtype == np.float32
    assert book.softmax(y32).dtype == np.float32
    assert book.mean_squared_error(Y2, T).dtype == np.float64


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: book.mean_squared_error(Y2, T[:9]), ValueError, "`t` has shape"),
        (lambda: book.mean_squared_error([], []), ValueError, "`y` is empty"),
        (lambda: book.mean_squared_error(["a"], T), TypeError, "`y`"),
        (lambda: book.cross_entropy_error(Y2, T[:9]), ValueError, "`t` has shape"),
        (lambda: book.cross_entropy_error(Y2, 10), ValueError, "`t` contains label 10"),
        (lambda: book.cross_entropy_error(Y2, -1), ValueError, "`t` contains label -1"),
        (lambda: book.cross_entropy_error(Y2, 2.0), TypeError, "`t` has dtype float"),
        (lambda: book.cross_entropy_error(np.ones((2, 2, 2)), 0), ValueError, "`y` has 3"),
        (lambda: book.cross_entropy_error([[0.5, 0.5]], [0, 1]), ValueError, "`t` has shape"),
        (lambda: book.numerical_diff(1.0, 0.0), TypeError, "`f`"),
        (lambda: book.numerical_gradient(np.sum, [np.nan]), ValueError, "`x` contains NaN"),
        (lambda: book.gradient_descent(np.sum, [1.0], lr=-1), ValueError, "`lr`"),
        (lambda: book.gradient_descent(np.sum, [1.0], step_num=-1), ValueError, "`step_num`"),
        (lambda: book.gradient_descent(np.sum, [1.0], step_num=1.5), TypeError, "`step_num`"),
        (lambda: book.sigmoid([np.nan]), ValueError, "`x` contains NaN"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# --- softmax, sigmoid, step --------------------------------------------------------------------


@given(arrays(np.float64, (3, 4), elements=st.floats(-700, 700)))
def test_softmax_is_a_distribution_and_shift_invariant(a):
    s = book.softmax(a)
    assert np.all(s >= 0)
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(book.softmax(a + 5.0), s, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(book.softmax(a[0]), s[0], rtol=1e-15)


def test_softmax_matches_definition_and_does_not_overflow():
    a = np.array([0.3, 2.9, 4.0])
    np.testing.assert_allclose(book.softmax(a), np.exp(a) / np.exp(a).sum(), rtol=1e-15)
    assert np.all(np.isfinite(book.softmax([1010.0, 1000.0, 990.0])))


def test_sigmoid_extremes_without_warning():
    s = book.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_array_equal(s, [0.0, 0.5, 1.0])


def test_step_function_and_its_numerical_derivative():
    # D001-SIG-vs-step: 0 away from 0, 1/(2h) = 5000 at the jump
    assert book.step_function([-1.0, 0.0, 3.0]).tolist() == [0, 0, 1]
    d = [book.numerical_diff(book.step_function, x) for x in (-1.0, 0.0, 0.5, 1.0, 3.0)]
    assert d == [0.0, 1 / (2 * book.H), 0.0, 0.0, 0.0]


# --- numerical differentiation and descent: book digits, no mutation --------------------------


def test_numerical_gradient_matches_book_and_does_not_mutate():
    f = lambda y: book.cross_entropy_error(y, T)  # noqa: E731
    x = np.array([0.1, 0.05, 0.6, 0.02, 0.05, 0.1, 0.03, 0.05, 0.0, 0.0]) + 1e-3
    before = x.copy()
    ours = book.numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(ours, _book_numerical_gradient(f, x.copy()))
    assert ours[2] == pytest.approx(-1 / (x[2] + 1e-7), rel=1e-6)


def test_numerical_gradient_of_integer_input_is_not_rounded():
    f = lambda x: np.sum(x**2)  # noqa: E731
    x = np.array([[3, 4], [1, -2]])
    # the book's silent failure: x +- h is stored as an integer (3 and 2), giving (9 - 4) / 2e-4
    assert _book_numerical_gradient(f, x.copy())[0, 0] == 25000
    np.testing.assert_allclose(book.numerical_gradient(f, x), 2 * x, rtol=1e-9)
    assert x.dtype.kind == "i" and x.tolist() == [[3, 4], [1, -2]]


def test_numerical_diff_book_digits():
    f = lambda x: 0.01 * x**2 + 0.1 * x  # noqa: E731
    assert book.numerical_diff(f, 5) == (f(5 + 1e-4) - f(5 - 1e-4)) / 2e-4
    assert book.numerical_diff(f, 5) == pytest.approx(0.2, abs=1e-10)


def test_gradient_descent_matches_book_and_does_not_mutate():
    f = lambda x: x[0] ** 2 + x[1] ** 2  # noqa: E731
    init_x = np.array([-3.0, 4.0])
    ours = book.gradient_descent(f, init_x, lr=0.1, step_num=100)
    np.testing.assert_array_equal(init_x, [-3.0, 4.0])
    np.testing.assert_array_equal(ours, _book_gradient_descent(f, init_x.copy(), 0.1, 100))
    assert np.max(np.abs(ours)) < 1e-8
    # too large / too small learning rates, as in the book's discussion
    assert np.max(np.abs(book.gradient_descent(f, init_x, lr=10.0, step_num=100))) > 1e10
    np.testing.assert_allclose(book.gradient_descent(f, init_x, lr=1e-10), init_x, rtol=1e-7)


def _book_softmax(x):
    """The book's softmax, as printed (ch. 3 and the two-layer net)."""
    if x.ndim == 2:
        x = x.T
        x = x - np.max(x, axis=0)
        y = np.exp(x) / np.sum(np.exp(x), axis=0)
        return y.T
    x = x - np.max(x)
    return np.exp(x) / np.sum(np.exp(x))


@pytest.mark.parametrize("shape", [(4,), (2, 3), (2, 3, 2), (1, 2, 2, 2)])
def test_softmax_normalises_as_the_book_for_any_dimensions(shape):
    from losslab import book

    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape) / 3
    np.testing.assert_allclose(book.softmax(x), _book_softmax(x), rtol=1e-15)


def test_float32_y_with_integer_t_gives_the_books_float64_digits():
    from losslab import book

    y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0], dtype=np.float32)
    t = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    for got, printed in (
        (book.cross_entropy_error(y, t), -np.sum(t * np.log(y + 1e-7))),
        (book.mean_squared_error(y, t), 0.5 * np.sum((y - t) ** 2)),
    ):
        assert got.dtype == printed.dtype == np.float64
        assert repr(got) == repr(printed)


def test_book_functions_overflow_without_a_warning():
    import warnings

    from losslab import book

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert book.mean_squared_error([1e200, 0.0], [0.0, 0.0]) == np.inf
        assert book.sigmoid(np.array([-1000.0]))[0] == 0.0


def test_gradient_descent_that_diverges_names_its_own_parameters():
    from losslab import book

    def f(x):
        return 10.0 * float(x[0])

    with pytest.raises(ValueError, match="`lr`") as info:
        book.gradient_descent(f, np.array([1.0]), lr=1e307, step_num=5)
    assert "`x`" not in str(info.value)
