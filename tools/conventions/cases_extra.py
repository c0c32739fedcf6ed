"""Cases: losses losslab does not have (dice, MSLE, MAPE), triplet and CTC, more KL forms,
Keras's docstring examples run as they are printed, Gaussian NLL and the multi-label losses."""

from __future__ import annotations

from .model import C, Case


def dice(pred: str, smooth: str, eps: str, axis: str) -> str:
    """1 - (2 I + 2 s) / (sum pred + sum true + 2 s + eps) over ``axis``, as a NumPy expression."""
    return (
        f"1.0 - (2 * (mask_true * {pred}).sum(axis={axis}) + 2 * {smooth})"
        f" / ({pred}.sum(axis={axis}) + mask_true.sum(axis={axis}) + 2 * {smooth} + {eps})"
    )


TRIPLET = (
    "np.maximum(np.linalg.norm(x - y + 1e-6, axis=-1)"
    " - np.linalg.norm(x - rate + 1e-6, axis=-1) + 1.0, 0.0)"
)

CTC = (
    "losslab.ctc_loss(losslab.log_softmax(ctc_logits, axis=-1).transpose(1, 0, 2), ctc_labels,"
    " np.array([5, 5]), ctc_lengths{})"
)

TRIPLET_OPTAX = (
    "np.maximum(np.sqrt(((x - y) ** 2).sum(axis=-1) + 1e-6)"
    " - np.sqrt(((x - rate) ** 2).sum(axis=-1) + 1e-6) + 1.0, 0.0)"
)

GAUSSIAN_CLAMPED = (
    "(0.5 * (np.log(np.maximum(rate, 1.0)) + (x - y) ** 2 / np.maximum(rate, 1.0))).mean()"
)
# Class lists for logits (3 samples, 4 classes): {0, 2}; {1} (the 0 after -1 ignored); {}.
LABEL_LISTS = "[[0, 2, -1, 1], [1, -1, 0, 0], [-1, 3, 3, 3]]"
MULTILABEL_MARGIN = (
    "np.array([(np.maximum(0, 1 - logits[0, [0, 2]][:, None] + logits[0, [1, 3]]).sum()) / 4,"
    " np.maximum(0, 1 - logits[1, 1] + logits[1, [0, 2, 3]]).sum() / 4, 0.0]).mean()"
)

EXTRA: list[Case] = [
    Case(
        "dice-defaults",
        "Dice",
        "each library's defaults",
        {
            "losslab": C(
                "losslab.dice_loss(mask_pred, mask_true)",
                "(" + dice("mask_pred", "0.0", "0.0", "1") + ").mean()",
                "probabilities; per sample, then the mean; no smoothing (0/0 is an error)",
                rtol=1e-14,
            ),
            "keras": C(
                "keras.losses.dice(mask_true, mask_pred)",
                "losslab.dice_loss(mask_pred, mask_true, smooth_dr=1e-7, per_sample=False)",
                "probabilities; the whole batch at once; epsilon 1e-7 in the denominator only",
            ),
            "optax": C(
                "optax.losses.binary_dice_loss(mask_logits, mask_true)",
                "losslab.dice_loss(mask_logits, mask_true, smooth_nr=2.0, smooth_dr=2.0,"
                ' from_logits=True, reduction="none")',
                "logits (sigmoid applied); per sample; smooth = 1 counts twice in 2I + 2s",
            ),
        },
    ),
    Case(
        "dice-per-sample",
        "Dice",
        "probabilities, per sample, no smoothing",
        {
            "losslab": C(
                'losslab.dice_loss(mask_pred, mask_true, reduction="none")',
                dice("mask_pred", "0.0", "0.0", "1"),
                rtol=1e-14,
            ),
            "keras": C(
                "keras.losses.dice(mask_true, mask_pred, axis=1)",
                'losslab.dice_loss(mask_pred, mask_true, smooth_dr=1e-7, reduction="none")',
                "epsilon 1e-7 in the denominator",
            ),
            "optax": C(
                "optax.losses.binary_dice_loss(mask_logits, mask_true, smooth=0.0)",
                'losslab.dice_loss(mask_pred, mask_true, reduction="none")',
                "logits: with apply_sigmoid=False it rejects any probability but 1",
                rtol=1e-9,
            ),
        },
    ),
    Case(
        "tversky",
        "Tversky",
        "alpha = 0.3, beta = 0.7, per sample where possible",
        {
            "losslab": C(
                'losslab.tversky_loss(mask_pred, mask_true, alpha=0.3, beta=0.7, reduction="none")',
                "1.0 - (mask_pred * mask_true).sum(axis=1) / ((mask_pred * mask_true).sum(axis=1)"
                " + 0.3 * (mask_pred * (1 - mask_true)).sum(axis=1)"
                " + 0.7 * ((1 - mask_pred) * mask_true).sum(axis=1))",
                "alpha weighs the false positives (Salehi et al.)",
                rtol=1e-14,
            ),
            "keras": C(
                "keras.losses.tversky(mask_true, mask_pred, alpha=0.3, beta=0.7, axis=1)",
                "losslab.tversky_loss(mask_pred, mask_true, alpha=0.7, beta=0.3, smooth_dr=1e-7,"
                ' reduction="none")',
                "Keras's alpha multiplies the false negatives: alpha and beta swapped",
            ),
            "optax": C(
                "optax.losses.dice_loss(mask_logits[..., None], mask_true[..., None],"
                " alpha=0.3, beta=0.7, smooth=0.0)",
                "losslab.tversky_loss(mask_logits, mask_true, alpha=0.3, beta=0.7,"
                ' from_logits=True, reduction="none")',
                "logits; alpha weighs the false positives",
                rtol=1e-9,
            ),
        },
    ),
    Case(
        "pinball",
        "Pinball (quantile)",
        "alpha = 0.9, mean over all elements",
        {
            "losslab": C(
                "losslab.pinball_loss(x, y, alpha=0.9)",
                "np.maximum(0.9 * (y - x), -0.1 * (y - x)).mean()",
                "prediction first (torch's order)",
                rtol=1e-14,
            ),
            "sklearn": C(
                "metrics.mean_pinball_loss(y, x, alpha=0.9)",
                "losslab.pinball_loss(x, y, alpha=0.9)",
                "target first: mean_pinball_loss(y_true, y_pred)",
                rtol=1e-14,
            ),
        },
    ),
    Case(
        "pinball-swapped",
        "Pinball (quantile)",
        "alpha = 0.9 with the prediction passed first by mistake",
        {
            "sklearn": C(
                "metrics.mean_pinball_loss(x, y, alpha=0.9)",
                "losslab.pinball_loss(x, y, alpha=0.1)",
                "swapping the arguments gives the 1 - alpha quantile's loss",
                rtol=1e-14,
            ),
        },
    ),
    Case(
        "msle",
        "Mean squared logarithmic error",
        "defaults",
        {
            "keras": C(
                "keras.losses.mean_squared_logarithmic_error(counts, rate)",
                "((np.log1p(rate) - np.log1p(counts)) ** 2).mean(axis=-1)",
                "no losslab function; per sample",
            ),
            "sklearn": C(
                "metrics.mean_squared_log_error(counts, rate)",
                "((np.log1p(rate) - np.log1p(counts)) ** 2).mean()",
            ),
        },
    ),
    Case(
        "mape",
        "Mean absolute percentage error",
        "defaults",
        {
            "keras": C(
                "keras.losses.mean_absolute_percentage_error(rate, counts)",
                "100 * (np.abs(counts - rate) / rate).mean(axis=-1)",
                "no losslab function; in percent; per sample",
            ),
            "sklearn": C(
                "metrics.mean_absolute_percentage_error(rate, counts)",
                "(np.abs(counts - rate) / rate).mean()",
                "a fraction, not percent",
            ),
        },
    ),
    Case(
        "triplet",
        "Triplet margin",
        "anchor x, positive y, negative rate; margin 1",
        {
            "losslab": C(
                "losslab.triplet_margin_loss(x, y, rate)", TRIPLET + ".mean()", "eps = 1e-6"
            ),
            "torch": C(
                "F.triplet_margin_loss(T(x), T(y), T(rate))",
                "losslab.triplet_margin_loss(x, y, rate)",
                "eps = 1e-6 added to the difference; batch mean",
            ),
            "optax": C(
                "optax.losses.triplet_margin_loss(x, y, rate)",
                TRIPLET_OPTAX,
                "per sample; eps = 1e-6 added under the square root, not to the difference",
            ),
        },
    ),
    Case(
        "ctc",
        "CTC",
        "logits (batch first), blank 0, labels padded with 0",
        {
            "losslab": C(CTC.format(""), CTC.format("")),
            "torch": C(
                "F.ctc_loss(F.log_softmax(T(ctc_logits), dim=-1).transpose(0, 1), T(ctc_labels),"
                " T(np.array([5, 5])), T(ctc_lengths))",
                CTC.format(""),
                "log-probabilities (T, N, C); each loss divided by its target length, then the"
                " batch mean",
            ),
            "keras": C(
                "keras.losses.ctc(ctc_labels, ctc_logits)",
                CTC.format(', reduction="none"'),
                "logits (N, T, C); one loss per sequence; 0 is both the blank and the padding",
                rtol=1e-6,
            ),
            "optax": C(
                "optax.ctc_loss(ctc_logits, np.zeros((2, 5)), ctc_labels,"
                " (ctc_labels == 0).astype(float))",
                CTC.format(', reduction="none"'),
                "logits (N, T, C) with paddings; one loss per sequence",
            ),
        },
    ),
    Case(
        "kl-log-target",
        "KL divergence",
        "log-probability target, per sample",
        {
            "losslab": C(
                "losslab.kl_div(np.log(Q), np.log(P),"
                ' log_target=True, reduction="none").sum(axis=-1)',
                "losslab.kl_divergence(P, Q)",
            ),
            "torch": C(
                "F.kl_div(torch.log(T(Q)), torch.log(T(P)),"
                ' log_target=True, reduction="none").sum(dim=-1)',
                "losslab.kl_divergence(P, Q)",
            ),
            "optax": C(
                "optax.losses.kl_divergence_with_log_targets(np.log(Q), np.log(P))",
                "losslab.kl_divergence(P, Q)",
            ),
        },
    ),
    Case(
        "kl-generalized",
        "KL divergence",
        "generalized: prediction 2 Q not normalized, per sample",
        {
            "losslab": C(
                'losslab.kl_div(np.log(Q2), P, reduction="none").sum(axis=-1)',
                'losslab.kl_div(np.log(Q2), P, reduction="none").sum(axis=-1)',
                "no -p + q terms",
            ),
            "optax": C(
                "optax.losses.generalized_kl_divergence(np.log(Q2), P)",
                'losslab.kl_div(np.log(Q2), P, reduction="none").sum(axis=-1)'
                " - P.sum(axis=-1) + Q2.sum(axis=-1)",
                "adds -p + q: sum(p log(p / q) - p + q)",
            ),
            "scipy": C(
                "special.kl_div(P, Q2).sum(axis=-1)",
                'losslab.kl_div(np.log(Q2), P, reduction="none").sum(axis=-1)'
                " - P.sum(axis=-1) + Q2.sum(axis=-1)",
                "special.kl_div, summed",
            ),
        },
    ),
    # Keras's docstring examples, run on the inputs they print.
    Case(
        "keras-doc-huber",
        "Huber",
        "Keras's docstring example of huber (it prints 0.155)",
        {
            "losslab": C(
                'losslab.huber_loss(doc_pred, doc_true, reduction="none").mean(axis=-1)',
                'losslab.huber_loss(doc_pred, doc_true, reduction="none").mean(axis=-1)',
            ),
            "torch": C(
                'F.huber_loss(T(doc_pred), T(doc_true), reduction="none").mean(dim=-1)',
                'losslab.huber_loss(doc_pred, doc_true, reduction="none").mean(axis=-1)',
            ),
            "keras": C(
                "keras.losses.huber(doc_true, doc_pred)",
                'losslab.huber_loss(doc_pred, doc_true, reduction="none").mean(axis=-1)',
                "one value per sample; 0.155 printed in the docstring is their mean",
            ),
        },
    ),
    Case(
        "keras-doc-log-cosh",
        "Log-cosh",
        "Keras's docstring example of log_cosh (it prints 0.108)",
        {
            "keras": C(
                "keras.losses.log_cosh(lc_true, lc_pred)",
                'losslab.log_cosh_loss(lc_pred, lc_true, reduction="none").mean(axis=-1)',
                "one value per sample; 0.108 printed in the docstring is their mean",
            ),
            "optax": C(
                "optax.log_cosh(lc_pred, lc_true).mean(axis=-1)",
                'losslab.log_cosh_loss(lc_pred, lc_true, reduction="none").mean(axis=-1)',
            ),
        },
    ),
    Case(
        "keras-doc-focal",
        "Sigmoid focal loss",
        "Keras's docstring example of binary_focal_crossentropy, default gamma",
        {
            "keras": C(
                "keras.losses.binary_focal_crossentropy(doc_true, doc_pred)",
                "losslab.sigmoid_focal_loss(doc_logits, doc_true, alpha=-1.0).mean(axis=-1)",
                "gamma = 2 by default: the docstring prints binary_crossentropy's [0.916, 0.714]",
            ),
            "optax": C(
                "optax.sigmoid_focal_loss(doc_logits, doc_true).mean(axis=-1)",
                "losslab.sigmoid_focal_loss(doc_logits, doc_true, alpha=-1.0).mean(axis=-1)",
                rtol=1e-9,
            ),
        },
    ),
    # ---------------------------------------------------------------- Gaussian NLL
    Case(
        "gaussian-nll",
        "Gaussian NLL",
        "mean x, observation y, variance rate, with the constant",
        {
            "losslab": C(
                "losslab.gaussian_nll_loss(x, y, rate, full=True)",
                "(0.5 * np.log(2 * np.pi * rate) + (y - x) ** 2 / (2 * rate)).mean()",
                "full=True adds log(2 pi) / 2",
            ),
            "torch": C(
                "F.gaussian_nll_loss(T(x), T(y), T(rate), full=True)",
                "losslab.gaussian_nll_loss(x, y, rate, full=True)",
            ),
            "scipy": C(
                "-stats.norm.logpdf(y, x, np.sqrt(rate)).mean()",
                "losslab.gaussian_nll_loss(x, y, rate, full=True)",
                "the log density; scale is the standard deviation",
            ),
        },
    ),
    Case(
        "gaussian-nll-eps",
        "Gaussian NLL",
        "eps = 1 (variances below it)",
        {
            "losslab": C(
                "losslab.gaussian_nll_loss(x, y, rate, eps=1.0)",
                GAUSSIAN_CLAMPED,
                "eps clamps the variance from below",
            ),
            "torch": C(
                "F.gaussian_nll_loss(T(x), T(y), T(rate), eps=1.0)",
                "losslab.gaussian_nll_loss(x, y, rate, eps=1.0)",
                "eps clamps the variance (its docstring says it is added)",
            ),
        },
    ),
    # ---------------------------------------------------------------- multi-label
    Case(
        "multilabel-soft-margin",
        "Multi-label soft margin",
        "logits z, 0/1 targets t, per sample",
        {
            "losslab": C(
                'losslab.multilabel_soft_margin_loss(z, t, reduction="none")',
                'losslab.binary_cross_entropy_with_logits(z, t, reduction="none").mean(axis=-1)',
                "mean of the per-class BCE over the classes",
            ),
            "torch": C(
                'F.multilabel_soft_margin_loss(T(z), T(t), reduction="none")',
                'losslab.multilabel_soft_margin_loss(z, t, reduction="none")',
            ),
            "keras": C(
                "keras.losses.binary_crossentropy(t, z, from_logits=True)",
                'losslab.multilabel_soft_margin_loss(z, t, reduction="none")',
                "target first; the mean over the last axis",
            ),
        },
    ),
    Case(
        "multilabel-margin",
        "Multi-label margin",
        "class lists padded with -1",
        {
            "losslab": C(
                f"losslab.multilabel_margin_loss(logits, {LABEL_LISTS})",
                MULTILABEL_MARGIN,
                "classes up to the first -1; the rest ignored",
            ),
            "torch": C(
                f"F.multilabel_margin_loss(T(logits), torch.tensor({LABEL_LISTS}))",
                f"losslab.multilabel_margin_loss(logits, {LABEL_LISTS})",
                "classes up to the first -1; the rest ignored",
            ),
        },
    ),
]
