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
times faster than the seed note's loop (see ``benchmarks/``).

Summation order matters in one case. Above the stable learning-rate limit (the seed's own
run) gradient descent is chaotic: a rounding difference of 1e-16 grows to 1e-1 within a few
hundred iterations. There ``seed_order=True`` sums over samples exactly as the seed's code
does, which reproduces its run bit for bit. Below the limit a gradient step cannot amplify
errors, and the faster order is used.
"""

from __future__ import annotations

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


def objective_gradient_kn(
    coef: np.ndarray,
    intercept: np.ndarray,
    X: np.ndarray,
    X_t: np.ndarray,
    Y_t: np.ndarray,
    alpha: float,
    *,
    seed_order: bool = False,
) -> tuple[float, np.ndarray, np.ndarray]:
    """Objective and gradient on the class-major layout used by the training loop.

    Parameters
    ----------
    coef : ndarray of shape (n_classes, n_features)
    intercept : ndarray of shape (n_classes,)
    X : ndarray of shape (n_samples, n_features)
        The design matrix, C-contiguous.
    X_t : ndarray of shape (n_features, n_samples)
        The same, transposed and C-contiguous.
    Y_t : ndarray of shape (n_classes, n_samples)
        The transposed one-hot labels.
    alpha : float
        L2 strength, ``1 / (C n)`` (see :func:`l2_strength`).
    seed_order : bool, default=False
        Sum over samples in the seed note's order (slower; see the module docstring).

    Returns
    -------
    loss : float
        ``J(W, b)``.
    grad_coef : ndarray of shape (n_classes, n_features)
        ``dJ/dW = (P - Y)^T X / n + alpha W``.
    grad_intercept : ndarray of shape (n_classes,)
        ``dJ/db = mean_i (p_i - y_i)``.
    """
    n_samples = X_t.shape[1]
    scores = coef @ X_t  # [K x N]
    scores += intercept[:, None]
    scores -= scores.max(axis=0)  # log-sum-exp shift: every exponent <= 0
    true_class_scores = np.vdot(Y_t, scores)  # sum_i z_{y_i, i}
    np.exp(scores, out=scores)
    normaliser = scores.sum(axis=0)
    loss = (np.log(normaliser).sum() - true_class_scores) / n_samples
    scores /= normaliser  # now the probabilities P
    scores -= Y_t
    scores /= n_samples  # dscores = (P - Y) / n
    if seed_order:
        dscores = np.ascontiguousarray(scores.T)  # [N x K], the seed's layout
        grad_coef = (X.T @ dscores).T
        grad_intercept = dscores.sum(axis=0)
    else:
        grad_coef = scores @ X
        grad_intercept = scores.sum(axis=1)
    if alpha:
        loss += 0.5 * alpha * float(np.vdot(coef, coef))
        grad_coef += alpha * coef
    return float(loss), grad_coef, grad_intercept


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
    loss, grad_coef, grad_intercept
        As in :func:`objective_gradient_kn`.
    """
    coef, intercept, X = _check_parameters(coef, intercept, X)
    X = np.ascontiguousarray(X)
    Y_t = np.ascontiguousarray(one_hot(y_encoded, coef.shape[0]).T)
    C = check_real("C", C, 0.0, low_open=True, allow_inf=True)
    alpha = l2_strength(C, X.shape[0])
    return objective_gradient_kn(coef, intercept, X, np.ascontiguousarray(X.T), Y_t, alpha)


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
