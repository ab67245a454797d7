"""Softmax, cross-entropy, the training objective and its gradient.

Shape conventions (scikit-learn's): ``X`` is ``(n_samples, n_features)``, scores and
probabilities are ``(n_samples, n_classes)``, ``coef`` is ``(n_classes, n_features)`` and
``intercept`` is ``(n_classes,)``; labels are encoded as ``0 .. n_classes - 1``.

The objective is scikit-learn's multinomial ``LogisticRegression`` objective::

    J(W, b) = mean_i CE(softmax(W x_i + b), y_i) + ||W||^2 / (2 C n)

with the intercept not penalised and ``C = inf`` meaning no penalty.

The training loop calls :func:`objective_gradient_kn`, which works on the transposed,
class-major layout ``(n_classes, n_samples)``: reductions over classes then run across a few
long contiguous rows instead of along many three-element rows, which makes a step several
times faster than the seed note's loop (see ``benchmarks/``). It takes the parameters
stacked as ``theta = [W | b]``, shape ``(n_classes, n_features + 1)``, and the design
augmented with a column of ones, ``[X | 1]`` (built once per fit by :func:`kernel_data`,
with the buffers that every call reuses): one product ``theta [X | 1]^T`` then gives the
scores ``W x_i + b`` and one product ``(P - Y)^T [X | 1]`` both gradients, and the
training loop updates the parameters with one array operation instead of two.

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

from ._checks import check_array, check_int, check_labels, check_real


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
    indicator = np.zeros((y_encoded.shape[0], n_classes))
    indicator[np.arange(y_encoded.shape[0]), y_encoded] = 1.0
    return indicator


def cross_entropy(scores: np.ndarray, y_encoded: np.ndarray) -> np.ndarray:
    """Per-sample cross-entropy ``-log p_{y_i}(x_i)`` from scores, shape (n_samples,)."""
    log_proba = log_softmax(check_array("scores", scores, ndim=2), axis=1)
    n_samples, n_classes = log_proba.shape
    y_encoded = check_labels("y_encoded", y_encoded, n_classes, n_samples)
    return -log_proba[np.arange(n_samples), y_encoded]


def l2_strength(C: float, n_samples: int) -> float:
    """Return ``alpha = 1 / (C n)``, the weight of ``||W||^2 / 2`` in the objective."""
    return 0.0 if np.isinf(C) else 1.0 / (C * n_samples)


class KernelData(NamedTuple):
    """The training data in the layouts of :func:`objective_gradient_kn`, with its buffers.

    Built once per fit by :func:`kernel_data`. ``work`` and ``column`` are scratch space that
    every call overwrites: reusing them spares allocating ``n_classes * n_samples``
    temporaries per iteration, and the page faults that fresh large arrays can cost.
    """

    X: np.ndarray  # (n_samples, n_features): the seed-order gradient multiplies by X itself
    X_aug_t: np.ndarray  # (n_features + 1, n_samples): [X | 1] transposed, C-contiguous
    Y_t: np.ndarray  # (n_classes, n_samples): transposed one-hot labels
    work: np.ndarray  # (n_classes, n_samples): scores, then probabilities, then (P - Y) / n
    column: np.ndarray  # (n_samples,): column maxima, then normalisers, then their logs


def kernel_data(X: np.ndarray, y_encoded: np.ndarray, n_classes: int) -> KernelData:
    """Lay out validated data for :func:`objective_gradient_kn` and allocate its buffers.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite float64 data (not checked).
    y_encoded : ndarray of shape (n_samples,)
        Labels in ``0 .. n_classes - 1`` (not checked).
    n_classes : int

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
    return KernelData(X, X_aug_t, Y_t, work, np.empty(n_samples))


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
        L2 strength, ``1 / (C n)`` (see :func:`l2_strength`); it applies to ``W`` only.
    seed_order : bool, default=False
        Compute as the seed note does (slower; see the module docstring).

    Returns
    -------
    loss : float
        ``J(W, b)``.
    grad : ndarray of shape (n_classes, n_features + 1)
        ``[dJ/dW | dJ/db]``, a new array: ``dJ/dW = (P - Y)^T X / n + alpha W`` and
        ``dJ/db = mean_i (p_i - y_i)``.
    """
    X, X_aug_t, Y_t, scores, column = data
    n_samples = column.shape[0]
    if seed_order:
        np.matmul(theta[:, :-1], X_aug_t[:-1], out=scores)  # W X^T, then + b as the seed adds
        scores += theta[:, -1:]
    else:
        np.matmul(theta, X_aug_t, out=scores)  # [K x N] = W X^T + b in one product
    # np.maximum.reduce / np.add.reduce with out= skip the Python wrappers of max / sum.
    scores -= np.maximum.reduce(scores, axis=0, out=column)  # log-sum-exp shift: exponents <= 0
    true_class_scores = np.vdot(Y_t, scores)  # sum_i z_{y_i, i}
    np.exp(scores, out=scores)
    scores /= np.add.reduce(scores, axis=0, out=column)  # now the probabilities P
    log_normaliser_sum = np.add.reduce(np.log(column, out=column))
    loss = (log_normaliser_sum - true_class_scores) / n_samples
    scores -= Y_t
    scores /= n_samples  # dscores = (P - Y) / n
    if seed_order:
        dscores = np.ascontiguousarray(scores.T)  # [N x K], the seed's layout
        grad = np.empty_like(theta)
        grad[:, :-1] = (X.T @ dscores).T
        grad[:, -1] = dscores.sum(axis=0)
    else:
        # [K x (D+1)]: dJ/dW and, from the row of ones, dJ/db. Both factors are read along
        # contiguous rows; np.dot has less call overhead than matmul on small arrays.
        grad = np.dot(scores, X_aug_t.T)
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

    Returns
    -------
    loss : float
        ``J(W, b)``.
    grad_coef : ndarray of shape (n_classes, n_features)
        ``dJ/dW = (P - Y)^T X / n + W / (C n)``.
    grad_intercept : ndarray of shape (n_classes,)
        ``dJ/db = mean_i (p_i - y_i)``.
    """
    coef, intercept, X = _check_parameters(coef, intercept, X)
    y_encoded = check_labels("y_encoded", y_encoded, coef.shape[0], X.shape[0])
    C = check_real("C", C, 0.0, low_open=True, allow_inf=True)
    data = kernel_data(X, y_encoded, coef.shape[0])
    theta = np.column_stack([coef, intercept])
    loss, grad = objective_gradient_kn(theta, data, l2_strength(C, X.shape[0]))
    return loss, np.ascontiguousarray(grad[:, :-1]), grad[:, -1].copy()


def hessian(
    coef: np.ndarray, intercept: np.ndarray, X: np.ndarray, C: float = np.inf
) -> np.ndarray:
    """Hessian of ``J`` in the stacked parameters ``[W | b]`` (row-major per class).

    Returns an ndarray of shape ``(n_classes * (n_features + 1),) * 2``: the curvature that
    decides whether a gradient step of a given size overshoots (it does when
    ``learning_rate * largest eigenvalue > 2``).
    """
    coef, intercept, X = _check_parameters(coef, intercept, X)
    C = check_real("C", C, 0.0, low_open=True, allow_inf=True)
    n_samples, n_features = X.shape
    n_classes = coef.shape[0]
    X_aug = np.hstack([X, np.ones((n_samples, 1))])  # [N x (D+1)]
    proba = softmax(X @ coef.T + intercept, axis=1)  # [N x K]
    width = n_features + 1
    hess = np.empty((n_classes, width, n_classes, width))
    for a in range(n_classes):
        for b in range(a, n_classes):
            weight = proba[:, a] * ((a == b) - proba[:, b])  # p_a (delta_ab - p_b)
            block = (X_aug * weight[:, None]).T @ X_aug / n_samples
            hess[a, :, b, :] = block
            hess[b, :, a, :] = block.T
    alpha = l2_strength(C, n_samples)
    for a in range(n_classes):
        hess[a, :n_features, a, :n_features] += alpha * np.eye(n_features)
    return hess.reshape(n_classes * width, n_classes * width)
