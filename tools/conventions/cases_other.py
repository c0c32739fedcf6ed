"""Cases: KL divergence, entropy, hinge, Poisson, cosine, focal, dice, zero-one, activations."""

from __future__ import annotations

from .model import C, Case

KL_PER_SAMPLE = "losslab.kl_divergence(P, Q)"
CS_HINGE = (
    "np.maximum(0.0, 1.0 + np.where(onehot == 1, -np.inf, logits).max(axis=1)"
    " - logits[np.arange(3), labels])"
)
FOCAL = (
    "(1 - (t * p + (1 - t) * (1 - p))) ** 2"
    ' * losslab.binary_cross_entropy_with_logits(z, t, reduction="none")'
)
COS = "(x * y).sum(axis=-1) / np.sqrt((x * x).sum(axis=-1) * (y * y).sum(axis=-1))"
POISSON_FULL = (
    "(rate - counts * np.log(rate + 1e-8) + np.where(counts > 1, counts * np.log(np.where("
    "counts > 1, counts, 1.0)) - counts + 0.5 * np.log(2 * np.pi * np.where(counts > 1, counts,"
    " 1.0)), 0.0)).mean()"
)
OTHER: list[Case] = [
    # ---------------------------------------------------------------- KL divergence
    Case(
        "kl-per-sample",
        "KL divergence",
        "KL(P ‖ Q) per sample: target P, prediction Q",
        {
            "losslab": C("losslab.kl_divergence(P, Q)", KL_PER_SAMPLE, "target first"),
            "torch": C(
                'F.kl_div(torch.log(T(Q)), T(P), reduction="none").sum(dim=-1)',
                KL_PER_SAMPLE,
                "prediction first, as log-probabilities",
            ),
            "keras": C("keras.losses.kl_divergence(P, Q)", KL_PER_SAMPLE, "target first"),
            "optax": C(
                "optax.kl_divergence(np.log(Q), P)",
                KL_PER_SAMPLE,
                "prediction first, as log-probabilities",
            ),
            "scipy": C(
                "stats.entropy(P, Q, axis=1)", KL_PER_SAMPLE, "target first; axis 0 by default"
            ),
        },
    ),
    Case(
        "kl-defaults",
        "KL divergence",
        "one number, each library's default reduction",
        {
            "losslab": C(
                "losslab.kl_div(np.log(Q), P)",
                "losslab.kl_div(np.log(Q), P)",
                '"mean" divides by the 8 elements',
            ),
            "torch": C("F.kl_div(torch.log(T(Q)), T(P))", "losslab.kl_div(np.log(Q), P)"),
            "keras": C(
                "keras.losses.KLDivergence()(P, Q)",
                'losslab.kl_div(np.log(Q), P, reduction="batchmean")',
                "batch mean of the per-sample sums: PyTorch's batchmean (float32)",
            ),
            "scipy": C(
                "special.rel_entr(P, Q).sum()",
                'losslab.kl_div(np.log(Q), P, reduction="sum")',
                "rel_entr is element-wise: summed here",
            ),
        },
    ),
    Case(
        "kl-elementwise",
        "KL divergence",
        "element-wise terms",
        {
            "losslab": C(
                'losslab.kl_div(np.log(Q), P, reduction="none")',
                'losslab.kl_div(np.log(Q), P, reduction="none")',
            ),
            "torch": C(
                'F.kl_div(torch.log(T(Q)), T(P), reduction="none")',
                'losslab.kl_div(np.log(Q), P, reduction="none")',
            ),
            "scipy": C(
                "special.kl_div(P, Q)",
                'losslab.kl_div(np.log(Q), P, reduction="none") - P + Q',
                "special.kl_div adds -p + q to each term (rel_entr does not)",
            ),
        },
    ),
    Case(
        "kl-base-2",
        "KL divergence",
        "in bits (log base 2)",
        {
            "losslab": C(
                "losslab.kl_divergence(P, Q, base=2)", "losslab.kl_divergence(P, Q, base=2)"
            ),
            "scipy": C(
                "stats.entropy(P, Q, base=2, axis=1)", "losslab.kl_divergence(P, Q, base=2)"
            ),
            "torch": C(
                'F.kl_div(torch.log(T(Q)), T(P), reduction="none").sum(dim=-1) / np.log(2.0)',
                "losslab.kl_divergence(P, Q, base=2)",
                "no base option: divide by ln 2",
            ),
        },
    ),
    # ---------------------------------------------------------------- entropy, H(p, q)
    Case(
        "entropy",
        "Entropy",
        "H(P) per row, natural log",
        {
            "losslab": C("losslab.entropy(P)", "losslab.entropy(P)", "last axis"),
            "torch": C(
                "torch.distributions.Categorical(probs=T(P)).entropy()", "losslab.entropy(P)"
            ),
            "scipy": C("stats.entropy(P, axis=1)", "losslab.entropy(P)", "axis 0 by default"),
        },
    ),
    Case(
        "entropy-base-2",
        "Entropy",
        "H(P) in bits",
        {
            "losslab": C("losslab.entropy(P, base=2)", "losslab.entropy(P, base=2)"),
            "scipy": C(
                "stats.entropy(P, base=2, axis=1)",
                "losslab.entropy(P, base=2)",
                "divides the natural-log sum by ln 2: last digit may differ",
            ),
        },
    ),
    Case(
        "cross-entropy-pq",
        "Cross-entropy H(p, q)",
        "soft target P, predicted distribution Q, per sample",
        {
            "losslab": C("losslab.cross_entropy_pq(P, Q)", "losslab.cross_entropy_pq(P, Q)"),
            "torch": C(
                'F.cross_entropy(torch.log(T(Q)), T(P), reduction="none")',
                "losslab.cross_entropy_pq(P, Q)",
                "probability targets; log-probabilities as input",
            ),
            "keras": C(
                "keras.losses.categorical_crossentropy(P, Q)", "losslab.cross_entropy_pq(P, Q)"
            ),
            "optax": C(
                "optax.softmax_cross_entropy(np.log(Q), P)", "losslab.cross_entropy_pq(P, Q)"
            ),
            "scipy": C(
                "stats.entropy(P, axis=1) + stats.entropy(P, Q, axis=1)",
                "losslab.cross_entropy_pq(P, Q)",
                "no function: H(P) + KL(P ‖ Q)",
            ),
            "book": C(
                "[book.cross_entropy_error(Q[i], P[i]) for i in range(2)]",
                "-(P * np.log(Q + book.DELTA)).sum(axis=-1)",
                "adds delta = 1e-7 to every probability",
            ),
        },
    ),
    # ---------------------------------------------------------------- hinge
    Case(
        "hinge",
        "Hinge",
        "labels -1/+1",
        {
            "losslab": C("losslab.hinge_loss(scores, signs)", "losslab.hinge_loss(scores, signs)"),
            "keras": C(
                "keras.losses.hinge(signs, scores)",
                'losslab.hinge_loss(scores, signs, reduction="none").mean(axis=-1)',
                "one value per sample",
            ),
            "optax": C(
                "optax.hinge_loss(scores, signs)",
                'losslab.hinge_loss(scores, signs, reduction="none")',
                "element-wise",
            ),
            "sklearn": C(
                "metrics.hinge_loss(signs.ravel(), scores.ravel())",
                "losslab.hinge_loss(scores, signs)",
            ),
        },
    ),
    Case(
        "hinge-01-labels",
        "Hinge",
        "labels 0/1",
        {
            "keras": C(
                "keras.losses.hinge((signs + 1) / 2, scores)",
                'losslab.hinge_loss(scores, signs, reduction="none").mean(axis=-1)',
                "converts 0/1 labels to -1/+1",
            ),
            "optax": C(
                "optax.hinge_loss(scores, (signs + 1) / 2)",
                "np.maximum(0.0, 1.0 - (signs + 1) / 2 * scores)",
                "no conversion: a 0 label gives 1 whatever the score",
            ),
            "sklearn": C(
                "metrics.hinge_loss(((signs + 1) / 2).ravel(), scores.ravel())",
                "losslab.hinge_loss(scores, signs)",
                "maps the two labels to -1/+1",
            ),
        },
    ),
    Case(
        "squared-hinge",
        "Squared hinge",
        "labels -1/+1",
        {
            "keras": C(
                "keras.losses.squared_hinge(signs, scores)",
                'np.mean(losslab.hinge_loss(scores, signs, reduction="none") ** 2, axis=-1)',
                "no losslab function: the hinge squared; per sample",
            ),
            "optax": C(
                "optax.hinge_loss(scores, signs) ** 2",
                'losslab.hinge_loss(scores, signs, reduction="none") ** 2',
                "no optax function: the hinge squared",
            ),
        },
    ),
    Case(
        "multiclass-hinge",
        "Multi-class hinge",
        "scores = logits, integer labels",
        {
            "losslab": C(
                "losslab.multi_margin_loss(logits, labels)",
                "losslab.multi_margin_loss(logits, labels)",
                "sum over wrong classes divided by C",
            ),
            "torch": C(
                "F.multi_margin_loss(T(logits), T(labels))",
                "losslab.multi_margin_loss(logits, labels)",
            ),
            "keras": C(
                "keras.losses.categorical_hinge(onehot, logits)",
                "np.maximum(0.0, 1.0 + ((1 - onehot) * logits).max(axis=1)"
                " - (onehot * logits).sum(axis=1))",
                "max over (1 - t) * s: the true class enters as 0",
            ),
            "optax": C(
                "optax.losses.multiclass_hinge_loss(logits, labels)",
                CS_HINGE,
                "max over wrong classes (Crammer-Singer), per sample",
            ),
            "sklearn": C(
                "metrics.hinge_loss(labels, logits, labels=[0, 1, 2, 3])",
                CS_HINGE + ".mean()",
                "max over wrong classes (Crammer-Singer)",
            ),
        },
    ),
    # ---------------------------------------------------------------- Poisson
    Case(
        "poisson",
        "Poisson",
        "rate as input, each library's defaults",
        {
            "losslab": C(
                "losslab.poisson_nll_loss(rate, counts)",
                "(np.exp(rate) - counts * rate).mean()",
                "log_input=True by default: the input is log(rate)",
            ),
            "torch": C(
                "F.poisson_nll_loss(T(rate), T(counts))",
                "losslab.poisson_nll_loss(rate, counts)",
                "log_input=True by default: the input is log(rate)",
            ),
            "keras": C(
                "keras.losses.poisson(counts, rate)",
                "(rate - counts * np.log(rate + 1e-7)).mean(axis=-1)",
                "adds epsilon 1e-7 inside the log; per sample",
            ),
            "sklearn": C(
                "metrics.mean_poisson_deviance(counts.ravel(), rate.ravel())",
                "2 * (counts * np.log(np.where(counts > 0,"
                " counts, 1.0) / rate) - counts + rate).mean()",
                "the deviance: 2 (y log(y / mu) - y + mu)",
            ),
        },
    ),
    Case(
        "poisson-rate",
        "Poisson",
        "rate as input (torch log_input=False)",
        {
            "losslab": C(
                "losslab.poisson_nll_loss(rate, counts, log_input=False)",
                "(rate - counts * np.log(rate + 1e-8)).mean()",
                "adds eps = 1e-8 inside the log",
            ),
            "torch": C(
                "F.poisson_nll_loss(T(rate), T(counts), log_input=False)",
                "losslab.poisson_nll_loss(rate, counts, log_input=False)",
                "adds eps = 1e-8 inside the log",
            ),
            "keras": C(
                "keras.losses.Poisson()(counts, rate)",
                "(rate - counts * np.log(rate + 1e-7)).mean()",
                "epsilon 1e-7; batch mean (float32)",
            ),
        },
    ),
    Case(
        "poisson-full",
        "Poisson",
        "rate as input, with the Stirling term (torch full=True)",
        {
            "losslab": C(
                "losslab.poisson_nll_loss(rate, counts, log_input=False, full=True)",
                POISSON_FULL,
                "Stirling's log t! only where t > 1",
            ),
            "torch": C(
                "F.poisson_nll_loss(T(rate), T(counts), log_input=False, full=True)",
                "losslab.poisson_nll_loss(rate, counts, log_input=False, full=True)",
                "Stirling's log t! only where t > 1 (its docstring shows it unmasked)",
            ),
        },
    ),
    # ---------------------------------------------------------------- cosine similarity
    Case(
        "cosine",
        "Cosine similarity",
        "rows of x and y",
        {
            "torch": C("F.cosine_similarity(T(x), T(y))", COS, "no losslab function; dim=1"),
            "keras": C(
                "keras.losses.cosine_similarity(y, x)", "-" + COS, "the loss is minus the cosine"
            ),
            "optax": C("optax.cosine_similarity(x, y)", COS),
            "sklearn": C(
                "np.diag(metrics.pairwise.cosine_similarity(x, y))",
                COS,
                "all pairs of rows: the diagonal",
            ),
            "scipy": C(
                "[spatial.distance.cosine(x[i], y[i]) for i in range(2)]",
                "1.0 - " + COS,
                "a distance: 1 - cosine",
            ),
        },
    ),
    Case(
        "cosine-loss",
        "Cosine similarity",
        "as a loss, one number",
        {
            "losslab": C(
                "losslab.cosine_embedding_loss(x, y, np.ones(2))",
                "(1.0 - " + COS + ").mean()",
                "1 - cosine for target +1",
            ),
            "torch": C(
                "F.cosine_embedding_loss(T(x), T(y), T(np.ones(2)))",
                "losslab.cosine_embedding_loss(x, y, np.ones(2))",
            ),
            "keras": C(
                "keras.losses.CosineSimilarity()(y, x)",
                "-(" + COS + ").mean()",
                "minus the cosine (float32)",
            ),
            "optax": C(
                "optax.cosine_distance(x, y).mean()",
                "losslab.cosine_embedding_loss(x, y, np.ones(2))",
                "a distance per row: 1 - cosine",
            ),
        },
    ),
    # ---------------------------------------------------------------- focal
    Case(
        "focal",
        "Sigmoid focal loss",
        "logits, gamma = 2, no alpha",
        {
            "losslab": C(
                "losslab.sigmoid_focal_loss(z, t, alpha=-1.0)",
                FOCAL,
                "alpha < 0: no weighting (torchvision's convention); element-wise",
                rtol=1e-14,
            ),
            "keras": C(
                "keras.losses.binary_focal_crossentropy(t, z, gamma=2.0, from_logits=True)",
                "losslab.sigmoid_focal_loss(z, t, alpha=-1.0).mean(axis=-1)",
                "labels first; alpha ignored unless apply_class_balancing; per sample",
                rtol=1e-9,
            ),
            "optax": C(
                "optax.sigmoid_focal_loss(z, t, gamma=2.0)",
                "losslab.sigmoid_focal_loss(z, t, alpha=-1.0)",
                "element-wise; alpha=None by default",
                rtol=1e-9,
            ),
        },
    ),
    Case(
        "focal-alpha",
        "Sigmoid focal loss",
        "logits, gamma = 2, alpha = 0.25",
        {
            "losslab": C(
                "losslab.sigmoid_focal_loss(z, t)",
                "(0.25 * t + 0.75 * (1 - t)) * " + FOCAL,
                "torchvision's defaults: alpha = 0.25 applied, no reduction",
                rtol=1e-14,
            ),
            "keras": C(
                "keras.losses.binary_focal_crossentropy(t, z, apply_class_balancing=True,"
                " alpha=0.25, gamma=2.0, from_logits=True)",
                "losslab.sigmoid_focal_loss(z, t, alpha=0.25).mean(axis=-1)",
                "alpha only with apply_class_balancing=True",
                rtol=1e-9,
            ),
            "optax": C(
                "optax.sigmoid_focal_loss(z, t, alpha=0.25, gamma=2.0)",
                "losslab.sigmoid_focal_loss(z, t, alpha=0.25)",
                "alpha for the positives, 1 - alpha for the negatives",
                rtol=1e-9,
            ),
        },
    ),
    # ---------------------------------------------------------------- zero-one, accuracy
    Case(
        "zero-one",
        "Zero-one loss",
        "scores = logits, integer labels",
        {
            "losslab": C(
                "losslab.zero_one_loss(logits, labels)", "losslab.zero_one_loss(logits, labels)"
            ),
            "sklearn": C(
                "metrics.zero_one_loss(labels, logits.argmax(axis=1))",
                "losslab.zero_one_loss(logits, labels)",
                "predicted labels, target first",
            ),
        },
    ),
    Case(
        "accuracy",
        "Accuracy",
        "scores = logits, integer labels",
        {
            "losslab": C("losslab.accuracy(logits, labels)", "losslab.accuracy(logits, labels)"),
            "keras": C(
                "keras.metrics.sparse_categorical_accuracy(labels, logits)",
                '1.0 - losslab.zero_one_loss(logits, labels, reduction="none")',
                "a metric, one value per sample",
            ),
            "sklearn": C(
                "metrics.accuracy_score(labels, logits.argmax(axis=1))",
                "losslab.accuracy(logits, labels)",
            ),
        },
    ),
    # ---------------------------------------------------------------- activations and penalties
    Case(
        "softmax",
        "Softmax",
        "logits, class axis",
        {
            "losslab": C("losslab.softmax(logits)", "losslab.softmax(logits)", "last axis"),
            "torch": C(
                "F.softmax(T(logits), dim=1)", "losslab.softmax(logits)", "dim must be given"
            ),
            "keras": C("keras.ops.softmax(logits)", "losslab.softmax(logits)", "last axis"),
            "optax": C("jax.nn.softmax(logits)", "losslab.softmax(logits)", "jax.nn; last axis"),
            "scipy": C(
                "special.softmax(logits, axis=1)",
                "losslab.softmax(logits)",
                "axis=None by default: the whole array",
            ),
            "book": C("book.softmax(logits)", "losslab.softmax(logits)", "last axis"),
        },
    ),
    Case(
        "sigmoid",
        "Sigmoid",
        "binary logits",
        {
            "losslab": C("losslab.sigmoid(z)", "losslab.sigmoid(z)"),
            "torch": C("torch.sigmoid(T(z))", "losslab.sigmoid(z)"),
            "keras": C("keras.ops.sigmoid(z)", "losslab.sigmoid(z)"),
            "optax": C("jax.nn.sigmoid(z)", "losslab.sigmoid(z)", "jax.nn"),
            "scipy": C("special.expit(z)", "losslab.sigmoid(z)"),
            "book": C("book.sigmoid(z)", "losslab.sigmoid(z)", rtol=1e-15, atol=1e-16),
        },
    ),
    Case(
        "l2-penalty",
        "L2 penalty",
        "weights x, lambda = 0.1",
        {
            "losslab": C(
                "losslab.l2_penalty(x, lam=0.1)",
                "losslab.l2_penalty(x, lam=0.1)",
                "(lambda / 2) sum w^2",
            ),
            "keras": C(
                "keras.regularizers.L2(0.1)(x)",
                "2 * losslab.l2_penalty(x, lam=0.1)",
                "no 1/2: lambda sum w^2",
            ),
        },
    ),
    Case(
        "l1-penalty",
        "L1 penalty",
        "weights x, lambda = 0.1",
        {
            "losslab": C("losslab.l1_penalty(x, lam=0.1)", "losslab.l1_penalty(x, lam=0.1)"),
            "keras": C("keras.regularizers.L1(0.1)(x)", "losslab.l1_penalty(x, lam=0.1)"),
        },
    ),
]
