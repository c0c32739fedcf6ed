"""Cases: regression losses, cross-entropy, binary cross-entropy."""

from __future__ import annotations

from .model import C, Case

REGRESSION_AND_CROSS_ENTROPY: list[Case] = [
    # ---------------------------------------------------------------- mean squared error
    Case(
        "mse-defaults",
        "Mean squared error",
        "defaults",
        {
            "losslab": C("losslab.mse_loss(x, y)", "losslab.mse_loss(x, y)"),
            "torch": C("F.mse_loss(T(x), T(y))", "losslab.mse_loss(x, y)"),
            "keras": C(
                "keras.losses.mean_squared_error(y, x)",
                'losslab.mse_loss(x, y, reduction="none").mean(axis=-1)',
                "one value per sample: mean over the last axis",
            ),
            "optax": C(
                "optax.squared_error(x, y)",
                'losslab.mse_loss(x, y, reduction="none")',
                "element-wise, no reduction",
            ),
            "sklearn": C("metrics.mean_squared_error(y, x)", "losslab.mse_loss(x, y)"),
            "book": C(
                "book.mean_squared_error(x, y)",
                '0.5 * losslab.mse_loss(x, y, reduction="sum")',
                "half the sum, no mean",
            ),
        },
    ),
    Case(
        "mse-batch-mean",
        "Mean squared error",
        "one number for the batch",
        {
            "losslab": C("losslab.mse_loss(x, y)", "losslab.mse_loss(x, y)"),
            "torch": C('F.mse_loss(T(x), T(y), reduction="mean")', "losslab.mse_loss(x, y)"),
            "keras": C(
                "keras.losses.MeanSquaredError()(y, x)",
                "losslab.mse_loss(x, y)",
                "the class averages the per-sample means (float32)",
            ),
            "optax": C(
                "optax.l2_loss(x, y).mean()",
                "0.5 * losslab.mse_loss(x, y)",
                "l2_loss has the factor 1/2",
            ),
            "sklearn": C("metrics.mean_squared_error(y, x)", "losslab.mse_loss(x, y)"),
        },
    ),
    # ---------------------------------------------------------------- mean absolute error
    Case(
        "mae-defaults",
        "Mean absolute error",
        "defaults",
        {
            "losslab": C("losslab.l1_loss(x, y)", "losslab.l1_loss(x, y)"),
            "torch": C("F.l1_loss(T(x), T(y))", "losslab.l1_loss(x, y)"),
            "keras": C(
                "keras.losses.mean_absolute_error(y, x)",
                'losslab.l1_loss(x, y, reduction="none").mean(axis=-1)',
                "one value per sample",
            ),
            "sklearn": C("metrics.mean_absolute_error(y, x)", "losslab.l1_loss(x, y)"),
        },
    ),
    # ---------------------------------------------------------------- Huber, smooth L1
    Case(
        "huber-defaults",
        "Huber",
        "defaults (delta = 1)",
        {
            "losslab": C("losslab.huber_loss(x, y)", "losslab.huber_loss(x, y)"),
            "torch": C("F.huber_loss(T(x), T(y))", "losslab.huber_loss(x, y)"),
            "keras": C(
                "keras.losses.huber(y, x)",
                'losslab.huber_loss(x, y, reduction="none").mean(axis=-1)',
                "one value per sample",
            ),
            "optax": C(
                "optax.huber_loss(x, y)",
                'losslab.huber_loss(x, y, reduction="none")',
                "element-wise",
            ),
            "scipy": C(
                "special.huber(1.0, x - y)",
                'losslab.huber_loss(x, y, reduction="none")',
                "element-wise, delta first, then the residual",
            ),
        },
    ),
    Case(
        "huber-delta-2",
        "Huber",
        "delta = 2",
        {
            "losslab": C(
                "losslab.huber_loss(x, y, delta=2.0)", "losslab.huber_loss(x, y, delta=2.0)"
            ),
            "torch": C(
                "F.huber_loss(T(x), T(y), delta=2.0)", "losslab.huber_loss(x, y, delta=2.0)"
            ),
            "keras": C(
                "keras.losses.Huber(delta=2.0)(y, x)",
                "losslab.huber_loss(x, y, delta=2.0)",
                "the class: batch mean (float32)",
            ),
            "optax": C(
                "optax.huber_loss(x, y, delta=2.0).mean()",
                "losslab.huber_loss(x, y, delta=2.0)",
            ),
            "scipy": C("special.huber(2.0, x - y).mean()", "losslab.huber_loss(x, y, delta=2.0)"),
        },
    ),
    Case(
        "smooth-l1-beta-2",
        "Smooth L1",
        "beta = 2",
        {
            "losslab": C(
                "losslab.smooth_l1_loss(x, y, beta=2.0)", "losslab.smooth_l1_loss(x, y, beta=2.0)"
            ),
            "torch": C(
                "F.smooth_l1_loss(T(x), T(y), beta=2.0)", "losslab.smooth_l1_loss(x, y, beta=2.0)"
            ),
            "optax": C(
                "optax.huber_loss(x, y, delta=2.0).mean() / 2.0",
                "losslab.smooth_l1_loss(x, y, beta=2.0)",
                "Huber divided by delta",
            ),
            "scipy": C(
                "special.huber(2.0, x - y).mean() / 2.0",
                "losslab.smooth_l1_loss(x, y, beta=2.0)",
                "Huber divided by delta",
            ),
        },
    ),
    # ---------------------------------------------------------------- log-cosh
    Case(
        "log-cosh-defaults",
        "Log-cosh",
        "defaults",
        {
            "losslab": C(
                "losslab.log_cosh_loss(x, y)",
                "(np.logaddexp(x - y, y - x) - np.log(2.0)).mean()",
                "mean over all elements",
            ),
            "keras": C(
                "keras.losses.log_cosh(y, x)",
                'losslab.log_cosh_loss(x, y, reduction="none").mean(axis=-1)',
                "labels first; per sample (the mean over the last axis)",
            ),
            "optax": C(
                "optax.log_cosh(x, y)",
                'losslab.log_cosh_loss(x, y, reduction="none")',
                "element-wise",
            ),
        },
    ),
    # ---------------------------------------------------------------- cross-entropy
    Case(
        "ce-logits-labels",
        "Cross-entropy",
        "logits, integer labels",
        {
            "losslab": C(
                "losslab.cross_entropy(logits, labels)", "losslab.cross_entropy(logits, labels)"
            ),
            "torch": C(
                "F.cross_entropy(T(logits), T(labels))", "losslab.cross_entropy(logits, labels)"
            ),
            "keras": C(
                "keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)",
                'losslab.cross_entropy(logits, labels, reduction="none")',
                "from_logits=True; one value per sample",
            ),
            "optax": C(
                "optax.softmax_cross_entropy_with_integer_labels(logits, labels)",
                'losslab.cross_entropy(logits, labels, reduction="none")',
                "one value per sample",
            ),
        },
    ),
    Case(
        "ce-probabilities",
        "Cross-entropy",
        "probabilities, each library's defaults",
        {
            "losslab": C(
                "losslab.nll_loss(np.log(probs), labels)", "losslab.nll_loss(np.log(probs), labels)"
            ),
            "torch": C(
                "F.nll_loss(torch.log(T(probs)), T(labels))",
                "losslab.nll_loss(np.log(probs), labels)",
                "log-probabilities through nll_loss",
            ),
            "keras": C(
                "keras.losses.categorical_crossentropy(onehot, probs)",
                'losslab.nll_loss(np.log(probs), labels, reduction="none")',
                "probabilities by default; one value per sample",
            ),
            "sklearn": C(
                "metrics.log_loss(labels, probs, labels=[0, 1, 2, 3])",
                "losslab.nll_loss(np.log(probs), labels)",
            ),
            "book": C(
                "book.cross_entropy_error(probs, onehot)",
                "losslab.nll_loss(np.log(probs + book.DELTA), labels)",
                "adds delta = 1e-7 to every probability",
                rtol=1e-12,
            ),
        },
    ),
    Case(
        "ce-zero-probability",
        "Cross-entropy",
        "one-hot targets as probabilities (the TensorFlow article's example)",
        {
            "losslab": C(
                "losslab.cross_entropy_pq(tf_true, tf_pred)",
                "losslab.cross_entropy_pq(tf_true, tf_pred)",
            ),
            "torch": C(
                'F.cross_entropy(torch.log(T(tf_pred)), T(tf_true), reduction="none")',
                "losslab.cross_entropy_pq(tf_true, tf_pred)",
                "probability targets; log-probabilities as input",
            ),
            "keras": C(
                "keras.losses.categorical_crossentropy(tf_true, tf_pred)",
                "losslab.cross_entropy_pq(tf_true, tf_pred)",
                "clipping to [1e-7, 1 - 1e-7] leaves these values unchanged",
            ),
            "optax": C(
                "optax.softmax_cross_entropy(np.log(tf_pred), tf_true)",
                "losslab.cross_entropy_pq(tf_true, tf_pred)",
            ),
            "sklearn": C(
                "metrics.log_loss(tf_true, tf_pred)",
                "losslab.cross_entropy_pq(tf_true, tf_pred).mean()",
                "mean over samples",
            ),
            "book": C(
                "[book.cross_entropy_error(tf_pred[i], tf_true[i]) for i in range(2)]",
                "-np.log(tf_pred[tf_true == 1] + book.DELTA)",
                "adds delta = 1e-7: differs in the 7th digit",
            ),
        },
    ),
    Case(
        "ce-label-smoothing",
        "Cross-entropy",
        "logits, label smoothing 0.1",
        {
            "losslab": C(
                "losslab.cross_entropy(logits, labels, label_smoothing=0.1)",
                "losslab.cross_entropy(logits, labels, label_smoothing=0.1)",
            ),
            "torch": C(
                "F.cross_entropy(T(logits), T(labels), label_smoothing=0.1)",
                "losslab.cross_entropy(logits, labels, label_smoothing=0.1)",
            ),
            "keras": C(
                "keras.losses.categorical_crossentropy(onehot,"
                " logits, from_logits=True, label_smoothing=0.1)",
                'losslab.cross_entropy(logits, labels, label_smoothing=0.1, reduction="none")',
                "one value per sample",
            ),
            "optax": C(
                "optax.softmax_cross_entropy(logits, optax.smooth_labels(onehot, 0.1))",
                'losslab.cross_entropy(logits, labels, label_smoothing=0.1, reduction="none")',
                "smooth_labels on the one-hot targets; per sample",
            ),
        },
    ),
    Case(
        "ce-class-weights",
        "Cross-entropy",
        "logits, class weights [1, 2, 0.5, 3]",
        {
            "losslab": C(
                "losslab.cross_entropy(logits, labels, weight=weight)",
                "losslab.cross_entropy(logits, labels, weight=weight)",
                "weighted mean: divides by the sum of the weights used",
            ),
            "torch": C(
                "F.cross_entropy(T(logits), T(labels), weight=T(weight))",
                "losslab.cross_entropy(logits, labels, weight=weight)",
            ),
            "keras": C(
                "keras.losses.CategoricalCrossentropy(from_logits=True)(onehot,"
                " logits, sample_weight=weight[labels])",
                "losslab.cross_entropy(logits, labels,"
                ' weight=weight, reduction="sum") / len(labels)',
                "sum_over_batch_size: divides by the batch size, not by the weights (float32)",
            ),
            "optax": C(
                "(optax.softmax_cross_entropy_with_integer_labels(logits,"
                " labels) * weight[labels]).mean()",
                "losslab.cross_entropy(logits, labels,"
                ' weight=weight, reduction="sum") / len(labels)',
                "no weight argument: weighting and mean by hand",
            ),
            "sklearn": C(
                "metrics.log_loss(labels, probs,"
                " sample_weight=weight[labels], labels=[0, 1, 2, 3])",
                "losslab.cross_entropy(logits, labels, weight=weight)",
                "weighted average, like PyTorch",
            ),
        },
    ),
    # ---------------------------------------------------------------- binary cross-entropy
    Case(
        "bce-probabilities",
        "Binary cross-entropy",
        "probabilities, defaults",
        {
            "losslab": C(
                "losslab.binary_cross_entropy(p, t)", "losslab.binary_cross_entropy(p, t)"
            ),
            "torch": C("F.binary_cross_entropy(T(p), T(t))", "losslab.binary_cross_entropy(p, t)"),
            "keras": C(
                "keras.losses.binary_crossentropy(t, p)",
                'losslab.binary_cross_entropy(p, t, reduction="none").mean(axis=-1)',
                "one value per sample",
                rtol=1e-9,
            ),
            "sklearn": C(
                "metrics.log_loss(t.ravel(), p.ravel())",
                "losslab.binary_cross_entropy(p, t)",
                "one probability per sample: flatten",
            ),
        },
    ),
    Case(
        "bce-logits",
        "Binary cross-entropy",
        "logits",
        {
            "losslab": C(
                "losslab.binary_cross_entropy_with_logits(z, t)",
                "losslab.binary_cross_entropy_with_logits(z, t)",
            ),
            "torch": C(
                "F.binary_cross_entropy_with_logits(T(z), T(t))",
                "losslab.binary_cross_entropy_with_logits(z, t)",
            ),
            "keras": C(
                "keras.losses.binary_crossentropy(t, z, from_logits=True)",
                'losslab.binary_cross_entropy_with_logits(z, t, reduction="none").mean(axis=-1)',
                "from_logits=True; one value per sample",
            ),
            "optax": C(
                "optax.sigmoid_binary_cross_entropy(z, t)",
                'losslab.binary_cross_entropy_with_logits(z, t, reduction="none")',
                "element-wise",
            ),
        },
    ),
    Case(
        "bce-zero-probability",
        "Binary cross-entropy",
        "probability 0 for a positive target",
        {
            "losslab": C(
                "losslab.binary_cross_entropy([0.0], [1.0])",
                "losslab.binary_cross_entropy([0.0], [1.0])",
                "each log clamped at -100",
            ),
            "torch": C(
                "F.binary_cross_entropy(T(np.array([0.0])), T(np.array([1.0])))",
                "losslab.binary_cross_entropy([0.0], [1.0])",
            ),
            "keras": C(
                "keras.losses.binary_crossentropy(np.array([1.0]), np.array([0.0]))",
                "losslab.binary_cross_entropy([1e-7], [1.0])",
                "clips to [1e-7, 1 - 1e-7]",
            ),
            "sklearn": C(
                "metrics.log_loss([1], [0.0], labels=[0, 1])",
                "losslab.binary_cross_entropy([np.finfo(np.float64).eps], [1.0])",
                "clips to float64's machine epsilon",
            ),
        },
    ),
    Case(
        "bce-label-smoothing",
        "Binary cross-entropy",
        "logits, label smoothing 0.2",
        {
            "keras": C(
                "keras.losses.binary_crossentropy(t, z, from_logits=True, label_smoothing=0.2)",
                "losslab.binary_cross_entropy_with_logits(z,"
                ' 0.8 * t + 0.1, reduction="none").mean(axis=-1)',
                "smooths towards 1/2: t (1 - 0.2) + 0.2 / 2",
            ),
            "optax": C(
                "optax.sigmoid_binary_cross_entropy(z, 0.8 * t + 0.1)",
                'losslab.binary_cross_entropy_with_logits(z, 0.8 * t + 0.1, reduction="none")',
                "no option: smoothed targets by hand",
            ),
            "losslab": C(
                "losslab.binary_cross_entropy_with_logits(z, 0.8 * t + 0.1)",
                "losslab.binary_cross_entropy_with_logits(z, 0.8 * t + 0.1)",
                "no option: smoothed targets by hand",
            ),
            "torch": C(
                "F.binary_cross_entropy_with_logits(T(z), T(0.8 * t + 0.1))",
                "losslab.binary_cross_entropy_with_logits(z, 0.8 * t + 0.1)",
                "no option: smoothed targets by hand",
            ),
        },
    ),
]
