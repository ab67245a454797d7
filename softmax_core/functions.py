"""Softmax, cross-entropy, the training objective and its gradient.

Shape conventions (scikit-learn's): ``X`` is ``(n_samples, n_features)``, scores and
probabilities are ``(n_samples, n_classes)``, ``coef`` is ``(n_classes, n_features)`` and
``intercept`` is ``(n_classes,)``; labels are encoded as ``0 .. n_classes - 1``.

The objective is scikit-learn's multinomial ``LogisticRegression`` objective::

    J(W, b) = sum_i s_i CE(softmax(W x_i + b), y_i) / S + ||W||^2 / (2 C S),  S = sum_i s_i

with sample weights ``s_i`` (all 1 by default, when ``S = n`` and the first term is the mean
cross-entropy), the intercept not penalised and ``C = inf`` meaning no penalty. It is what
scikit-learn 1.9's ``LogisticRegression`` minimises with ``sample_weight`` (its
``LinearModelLoss`` with ``l2_reg_strength = 1 / (C S)``): a weight of 2 is a duplicated row.

The training loop calls :func:`objective_gradient_kn`, which works on the transposed,
class-major layout ``(n_classes, n_samples)``. It takes the parameters stacked as
``theta = [W | b]``, shape ``(n_classes, n_features + 1)``, and the design augmented with a
column of ones, ``[X | 1]`` (laid out once per data set by :func:`kernel_data`, with the
buffers every call reuses): one product ``theta [X | 1]^T`` gives the scores ``W x_i + b``
and one product ``(P - Y)^T [X | 1]`` both gradients (its speed against the seed's
layout is measured in ``benchmarks/``).

Summation order matters in one case. Above the stable learning-rate limit (the seed's own
run) gradient descent is chaotic: a rounding difference of 1e-16 grows to 1e-1 within a few
hundred iterations. There ``seed_order=True`` computes as the seed's code does, which
reproduces its run bit for bit: the intercept is added to ``W x_i`` separately rather than
summed inside the product, ``dJ/dW`` is ``X^T (P - Y) / n`` on an ``(n_samples, n_classes)``
copy and ``dJ/db`` a sum over that copy's rows. Below the limit a gradient step cannot
amplify errors, and the faster order is used.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import check_array, check_int, check_labels, check_real, check_sample_weight

# one_hot refuses tables larger than this (800 MB of float64) with a ValueError, rather than
# failing later with a MemoryError.
MAX_TABLE_ENTRIES = 100_000_000


def logsumexp(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    """Return ``log(sum(exp(scores)))`` along ``axis`` without overflow.

    Subtracting the row maximum first keeps every exponent <= 0 (the log-sum-exp trick).
    """
    scores = check_array("scores", scores)
    row_max = np.max(scores, axis=axis, keepdims=True)
    total = np.sum(np.exp(scores - row_max), axis=axis, keepdims=True)
    return np.squeeze(row_max + np.log(total), axis=axis)


def log_softmax(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    """Return ``log(softmax(scores))`` along ``axis``, computed stably."""
    scores = check_array("scores", scores)
    return scores - np.expand_dims(logsumexp(scores, axis=axis), axis)


def softmax(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    """Turn scores into probabilities: ``exp(z_j) / sum_l exp(z_l)`` along ``axis``.

    Parameters
    ----------
    scores : ndarray of shape (n_samples, n_classes)
        Real-valued class scores (logits); any shape works with ``axis``.
    axis : int, default=-1
        The class axis.

    Returns
    -------
    ndarray of the same shape
        Non-negative entries that sum to 1 along ``axis``; adding a constant to the
        scores along ``axis`` leaves them unchanged.
    """
    scores = check_array("scores", scores)
    shifted = np.exp(scores - np.max(scores, axis=axis, keepdims=True))
    return shifted / np.sum(shifted, axis=axis, keepdims=True)


def one_hot(y_encoded: np.ndarray, n_classes: int) -> np.ndarray:
    """Return the ``(n_samples, n_classes)`` indicator matrix of encoded labels."""
    n_classes = check_int("n_classes", n_classes, 1)
    y_encoded = check_labels("y_encoded", y_encoded, n_classes)
    if y_encoded.shape[0] * n_classes > MAX_TABLE_ENTRIES:
        raise ValueError(
            f"one_hot would need {y_encoded.shape[0]:,} x {n_classes:,} entries, more than "
            f"{MAX_TABLE_ENTRIES:,}"
        )
    indicator = np.zeros((y_encoded.shape[0], n_classes))
    indicator[np.arange(y_encoded.shape[0]), y_encoded] = 1.0
    return indicator


def cross_entropy(scores: np.ndarray, y_encoded: np.ndarray) -> np.ndarray:
    """Per-sample cross-entropy ``-log p_{y_i}(x_i)`` from scores, shape (n_samples,)."""
    log_proba = log_softmax(check_array("scores", scores, ndim=2), axis=1)
    n_samples, n_classes = log_proba.shape
    y_encoded = check_labels("y_encoded", y_encoded, n_classes, n_samples)
    return -log_proba[np.arange(n_samples), y_encoded]


def l2_strength(C: float, n_samples: float) -> float:
    """Return ``alpha = 1 / (C n)``, the weight of ``||W||^2 / 2`` in the objective.

    With sample weights, ``n_samples`` is their sum ``S`` (scikit-learn's ``sw_sum``).
    """
    return 0.0 if np.isinf(C) else 1.0 / (C * n_samples)


def normalised_weights(sample_weight: np.ndarray | None) -> np.ndarray | None:
    """``s / S`` for the objective's weighted mean, or None when every weight is equal.

    Equal weights give the plain mean (they change only ``S``, hence the penalty's
    ``1 / (C S)``), which is then computed exactly as without weights.
    """
    if sample_weight is None or np.all(sample_weight == sample_weight[0]):
        return None
    return sample_weight / np.sum(sample_weight)


class KernelData(NamedTuple):
    """The training data in the layouts of :func:`objective_gradient_kn`, with its buffers.

    Built once per data set by :func:`kernel_data`. ``work`` and ``column`` are scratch space
    that every call overwrites: reusing them spares allocating ``n_classes * n_samples``
    temporaries per iteration.
    """

    X: np.ndarray  # (n_samples, n_features): the seed-order gradient multiplies by X itself
    X_aug_t: np.ndarray  # (n_features + 1, n_samples): [X | 1] transposed, C-contiguous
    Y_t: np.ndarray  # (n_classes, n_samples): transposed one-hot labels
    work: np.ndarray  # (n_classes, n_samples): scores, then proba, then dscores = (P - Y) / n
    column: np.ndarray  # (n_samples,): score maxima, then normalisers, then their logs
    # (n_samples,): the weights s_i / S of the weighted mean; None for the plain mean.
    weights: np.ndarray | None = None
    Y_t_weighted: np.ndarray | None = None  # (n_classes, n_samples): Y_t * weights


def kernel_data(
    X: np.ndarray,
    y_encoded: np.ndarray,
    n_classes: int,
    sample_weight: np.ndarray | None = None,
) -> KernelData:
    """Lay out validated data for :func:`objective_gradient_kn` and allocate its buffers.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite float64 data (not checked).
    y_encoded : ndarray of shape (n_samples,)
        Labels in ``0 .. n_classes - 1`` (not checked).
    n_classes : int
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Finite non-negative weights with a positive sum (not checked); None is all 1.

    Returns
    -------
    KernelData
    """
    n_samples, n_features = X.shape
    X_aug_t = np.empty((n_features + 1, n_samples))
    X_aug_t[:-1] = X.T
    X_aug_t[-1] = 1.0
    Y_t = np.zeros((n_classes, n_samples))
    Y_t[y_encoded, np.arange(n_samples)] = 1.0
    work = np.empty((n_classes, n_samples))
    weights = normalised_weights(sample_weight)
    Y_t_weighted = None if weights is None else Y_t * weights
    return KernelData(X, X_aug_t, Y_t, work, np.empty(n_samples), weights, Y_t_weighted)


def subset_kernel(data: KernelData, index: np.ndarray) -> KernelData:
    """The layout of the samples ``index`` of ``data`` (a mini-batch ``B``), with buffers of
    their size.

    Its objective is the unbiased estimate of the data's: ``(n / |B|) sum_{i in B} v_i CE_i``
    with ``v_i = s_i / S`` the data's weights (for equal weights, the batch's mean
    cross-entropy). Averaged over the batches of an epoch that visits every sample once,
    weighting each by ``|B| / n``, it is the objective of all the data, and so is its
    gradient; batches of light samples take small steps.
    """
    weights = None
    if data.weights is not None:
        weights = data.weights[index] * (data.weights.shape[0] / len(index))
    Y_t = data.Y_t[:, index]
    n_classes, n_subset = Y_t.shape
    return KernelData(
        data.X[index],
        np.ascontiguousarray(data.X_aug_t[:, index]),
        Y_t,
        np.empty((n_classes, n_subset)),
        np.empty(n_subset),
        weights,
        None if weights is None else Y_t * weights,
    )


def objective_gradient_kn(
    theta: np.ndarray, data: KernelData, alpha: float, *, seed_order: bool = False
) -> tuple[float, np.ndarray]:
    """Objective and gradient in the stacked parameters, on the class-major layout.

    Parameters
    ----------
    theta : ndarray of shape (n_classes, n_features + 1)
        The stacked parameters ``[W | b]``: ``coef`` with ``intercept`` as a last column.
    data : KernelData
        From :func:`kernel_data`; its buffers ``work`` and ``column`` are overwritten.
    alpha : float
        L2 strength, ``1 / (C S)`` (see :func:`l2_strength`); it applies to ``W`` only.
    seed_order : bool, default=False
        Compute as the seed note does (slower; see the module docstring). Ignored when the
        data are weighted (the seed's data are not).

    Returns
    -------
    loss : float
        ``J(W, b)``.
    grad : ndarray of shape (n_classes, n_features + 1)
        ``[dJ/dW | dJ/db]``, a new array: ``dJ/dW = (P - Y)^T X / n + alpha W`` and
        ``dJ/db = mean_i (p_i - y_i)`` (weighted means with weights).
    """
    if data.weights is not None:
        return _weighted_objective_gradient_kn(theta, data, alpha)
    X, X_aug_t, Y_t, work, column = data.X, data.X_aug_t, data.Y_t, data.work, data.column
    n_samples = column.shape[0]
    # One buffer, three meanings in turn: each gets its own name when it takes it on.
    scores = work
    if seed_order:
        np.matmul(theta[:, :-1], X_aug_t[:-1], out=scores)  # W X^T, then + b as the seed adds
        scores += theta[:, -1:]
    else:
        np.matmul(theta, X_aug_t, out=scores)  # [K x N] = W X^T + b in one product
    # np.maximum.reduce / np.add.reduce with out= skip the Python wrappers of max / sum.
    score_max = np.maximum.reduce(scores, axis=0, out=column)
    scores -= score_max  # the log-sum-exp shift: every exponent <= 0
    true_class_scores = np.vdot(Y_t, scores)  # sum_i z_{y_i, i}
    proba = np.exp(scores, out=work)
    normaliser = np.add.reduce(proba, axis=0, out=column)
    proba /= normaliser
    log_normaliser_sum = np.add.reduce(np.log(normaliser, out=column))
    loss = (log_normaliser_sum - true_class_scores) / n_samples
    dscores = np.subtract(proba, Y_t, out=work)
    dscores /= n_samples  # (P - Y) / n
    if seed_order:
        dscores_nk = np.ascontiguousarray(dscores.T)  # [N x K], the seed's layout
        grad = np.empty_like(theta)
        grad[:, :-1] = (X.T @ dscores_nk).T
        grad[:, -1] = dscores_nk.sum(axis=0)
    else:
        # [K x (D+1)]: dJ/dW and, from the row of ones, dJ/db. Both factors are read along
        # contiguous rows; np.dot has less call overhead than matmul on small arrays.
        grad = np.dot(dscores, X_aug_t.T)
    if alpha:
        coef = theta[:, :-1]
        loss += 0.5 * alpha * float(np.vdot(coef, coef))
        grad[:, :-1] += alpha * coef
    return float(loss), grad


def _weighted_objective_gradient_kn(
    theta: np.ndarray, data: KernelData, alpha: float
) -> tuple[float, np.ndarray]:
    """:func:`objective_gradient_kn` with the weights ``v_i = s_i / S`` of ``data``:
    ``J = sum_i v_i CE_i + alpha ||W||^2 / 2``, ``dscores = (P - Y) diag(v)``."""
    weights, work, column = data.weights, data.work, data.column
    scores = np.matmul(theta, data.X_aug_t, out=work)
    score_max = np.maximum.reduce(scores, axis=0, out=column)
    scores -= score_max
    true_class_scores = np.vdot(data.Y_t_weighted, scores)  # sum_i v_i z_{y_i, i}
    proba = np.exp(scores, out=work)
    normaliser = np.add.reduce(proba, axis=0, out=column)
    proba /= normaliser
    loss = float(np.dot(weights, np.log(normaliser, out=column))) - true_class_scores
    dscores = np.multiply(proba, weights, out=work)
    dscores -= data.Y_t_weighted  # (P - Y) diag(v)
    grad = np.dot(dscores, data.X_aug_t.T)
    if alpha:
        coef = theta[:, :-1]
        loss += 0.5 * alpha * float(np.vdot(coef, coef))
        grad[:, :-1] += alpha * coef
    return float(loss), grad


def _check_parameters(coef, intercept, X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    coef = check_array("coef", coef, ndim=2)
    intercept = check_array("intercept", intercept, ndim=1)
    X = check_array("X", X, ndim=2)
    if intercept.shape[0] != coef.shape[0] or X.shape[1] != coef.shape[1]:
        raise ValueError(
            f"shapes do not fit: coef {coef.shape}, intercept {intercept.shape}, X {X.shape}; "
            "expected (n_classes, n_features), (n_classes,), (n_samples, n_features)"
        )
    return coef, intercept, X


def objective_gradient(
    coef: np.ndarray,
    intercept: np.ndarray,
    X: np.ndarray,
    y_encoded: np.ndarray,
    C: float = np.inf,
    sample_weight: np.ndarray | None = None,
) -> tuple[float, np.ndarray, np.ndarray]:
    """Objective ``J`` and its gradient ``(dJ/dW, dJ/db)`` in the usual layout.

    Parameters
    ----------
    coef : ndarray of shape (n_classes, n_features)
    intercept : ndarray of shape (n_classes,)
    X : ndarray of shape (n_samples, n_features)
    y_encoded : ndarray of shape (n_samples,)
        Labels in ``0 .. n_classes - 1``.
    C : float, default=inf
        Inverse L2 strength, scikit-learn's meaning; ``inf`` is no penalty.
    sample_weight : array-like of shape (n_samples,) or None, default=None
        Non-negative weights ``s_i`` with a positive sum ``S``; None is all 1 (``S = n``).

    Returns
    -------
    loss : float
        ``J(W, b) = sum_i s_i CE_i / S + ||W||^2 / (2 C S)``.
    grad_coef : ndarray of shape (n_classes, n_features)
        ``dJ/dW = (P - Y)^T diag(s) X / S + W / (C S)``.
    grad_intercept : ndarray of shape (n_classes,)
        ``dJ/db = sum_i s_i (p_i - y_i) / S``.
    """
    coef, intercept, X = _check_parameters(coef, intercept, X)
    y_encoded = check_labels("y_encoded", y_encoded, coef.shape[0], X.shape[0])
    C = check_real("C", C, 0.0, low_open=True, allow_inf=True)
    sample_weight, weight_sum = check_sample_weight(sample_weight, X.shape[0])
    data = kernel_data(X, y_encoded, coef.shape[0], sample_weight)
    theta = np.column_stack([coef, intercept])
    loss, grad = objective_gradient_kn(theta, data, l2_strength(C, weight_sum))
    return loss, np.ascontiguousarray(grad[:, :-1]), grad[:, -1].copy()


def zero_sum_basis(n_classes: int, width: int) -> np.ndarray:
    """Orthonormal basis, as columns, of the stacked parameters that sum to zero over classes.

    Shape ``(n_classes * width, (n_classes - 1) * width)``, in the stacked order. Adding one
    vector to every class row changes no probability, so the Hessian is singular along the
    class-constant directions; training from zero stays in this subspace.
    """
    centred = np.eye(n_classes)[:, :-1] - 1.0 / n_classes  # k - 1 independent zero-sum columns
    class_basis = np.linalg.qr(centred)[0]
    # Each column is a zero-sum class pattern times one unit coordinate of [w | b].
    return np.kron(class_basis, np.eye(width))


def hessian_kn(theta: np.ndarray, data: KernelData, alpha: float) -> np.ndarray:
    """Hessian of ``J`` in the stacked parameters, from the class-major layout.

    ``H[a, :, b, :] = sum_i p_ai (delta_ab - p_bi) x~_i x~_i^T / n`` (plus ``alpha`` on the
    ``W`` diagonal), written as a block diagonal ``[X~^T diag(p_a) X~] / n`` minus
    ``A A^T / n`` with ``A = [p_a x~_i]`` stacked over classes: two matrix products. With
    weights, each sample's term is weighted by ``v_i = s_i / S`` instead of ``1 / n``.
    The buffer ``work`` of ``data`` is overwritten.

    Returns
    -------
    ndarray of shape ``(n_classes * (n_features + 1),) * 2``
    """
    X_aug_t, work = data.X_aug_t, data.work
    n_classes, width = theta.shape
    n_samples = X_aug_t.shape[1]
    scores = np.matmul(theta, X_aug_t, out=work)
    scores -= scores.max(axis=0)
    proba = np.exp(scores, out=work)
    proba /= proba.sum(axis=0)
    weighted = proba[:, None, :] * X_aug_t[None, :, :]  # [K x (D+1) x N]: p_a x~_i
    flat = weighted.reshape(n_classes * width, n_samples)
    if data.weights is None:
        hess = -(flat @ flat.T)
        for a in range(n_classes):
            block = slice(a * width, (a + 1) * width)
            hess[block, block] += weighted[a] @ X_aug_t.T
        hess /= n_samples
    else:
        hess = -((flat * data.weights) @ flat.T)
        for a in range(n_classes):
            block = slice(a * width, (a + 1) * width)
            hess[block, block] += (weighted[a] * data.weights) @ X_aug_t.T
    if alpha:
        w_entries = [a * width + j for a in range(n_classes) for j in range(width - 1)]
        hess[w_entries, w_entries] += alpha
    return hess


def hessian(
    coef: np.ndarray,
    intercept: np.ndarray,
    X: np.ndarray,
    C: float = np.inf,
    sample_weight: np.ndarray | None = None,
) -> np.ndarray:
    """Hessian of ``J`` in the stacked parameters ``[W | b]`` (row-major per class).

    Returns an ndarray of shape ``(n_classes * (n_features + 1),) * 2``: the curvature that
    decides whether a gradient step of a given size overshoots (it does when
    ``learning_rate * largest eigenvalue > 2``). It is singular along the class-constant
    directions (the same vector added to every class row changes no probability).
    ``sample_weight`` weights each sample's term as in :func:`objective_gradient`.
    """
    coef, intercept, X = _check_parameters(coef, intercept, X)
    C = check_real("C", C, 0.0, low_open=True, allow_inf=True)
    n_samples = X.shape[0]
    sample_weight, weight_sum = check_sample_weight(sample_weight, n_samples)
    # The Hessian does not depend on the labels: any valid encoding lays out the data.
    data = kernel_data(X, np.zeros(n_samples, dtype=int), coef.shape[0], sample_weight)
    theta = np.column_stack([coef, intercept])
    return hessian_kn(theta, data, l2_strength(C, weight_sum))
