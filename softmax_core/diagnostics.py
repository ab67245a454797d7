"""Step-size diagnostics and classification metrics.

The learning rate of plain gradient descent is safe when it is below ``2 / L``, where ``L``
bounds the curvature of the objective (the Lipschitz constant of its gradient). For softmax
cross-entropy, Böhning's bound gives ``L = lambda_max(X~^T X~) / (2 n) + 1 / (C n)`` with
``X~ = [X | 1]``: the Hessian of the loss in the scores is ``diag(p) - p p^T``, whose
eigenvalues never exceed 1/2.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_array, check_real
from .functions import hessian, l2_strength


def _design_matrix(X: np.ndarray, fit_intercept: bool) -> np.ndarray:
    X = check_array("X", X, ndim=2)
    return np.hstack([X, np.ones((X.shape[0], 1))]) if fit_intercept else X


def lipschitz_constant(X: np.ndarray, C: float = np.inf, fit_intercept: bool = True) -> float:
    """Upper bound ``L`` on the curvature of the objective for data ``X``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    C : float, default=inf
        Inverse L2 strength; ``inf`` is no penalty.
    fit_intercept : bool, default=True
        Whether the intercept is a parameter (adds a column of ones).

    Returns
    -------
    float
        ``lambda_max(X~^T X~ / n) / 2 + 1 / (C n)``.
    """
    design = _design_matrix(X, fit_intercept)
    C = check_real("C", C, 0.0, low_open=True, allow_inf=True)
    n_samples = design.shape[0]
    gram_top = np.linalg.eigvalsh(design.T @ design / n_samples)[-1]
    return 0.5 * float(gram_top) + l2_strength(C, n_samples)


def stable_learning_rate_limit(
    X: np.ndarray, C: float = np.inf, fit_intercept: bool = True
) -> float:
    """Largest learning rate, ``2 / L``, for which gradient descent cannot overshoot."""
    return 2.0 / lipschitz_constant(X, C, fit_intercept)


def local_curvature(
    coef: np.ndarray, intercept: np.ndarray, X: np.ndarray, C: float = np.inf
) -> float:
    """Largest eigenvalue of the Hessian at the given parameters.

    Gradient descent with learning rate ``lr`` overshoots along that direction, and so
    oscillates, whenever ``lr * local_curvature > 2``. It is at most
    :func:`lipschitz_constant`.
    """
    return float(np.linalg.eigvalsh(hessian(coef, intercept, X, C))[-1])


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of predictions equal to the true labels."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or y_true.size == 0:
        raise ValueError(
            f"y_true and y_pred must be non-empty 1-D arrays of one shape, "
            f"got {y_true.shape} and {y_pred.shape}"
        )
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Counts ``M[i, j]`` of samples of class ``labels[i]`` predicted as ``labels[j]``."""
    y_true, y_pred, labels = np.asarray(y_true), np.asarray(y_pred), np.asarray(labels)
    accuracy(y_true, y_pred)  # same shape checks
    if labels.ndim != 1 or labels.size == 0 or np.unique(labels).size != labels.size:
        raise ValueError(f"labels must be a non-empty 1-D array of distinct values, got {labels!r}")
    index = {label: i for i, label in enumerate(labels.tolist())}
    unknown = set(y_true.tolist()) - index.keys() | set(y_pred.tolist()) - index.keys()
    if unknown:
        raise ValueError(f"labels not in `labels`: {sorted(map(str, unknown))}")
    matrix = np.zeros((labels.size, labels.size), dtype=int)
    np.add.at(
        matrix,
        ([index[v] for v in y_true.tolist()], [index[v] for v in y_pred.tolist()]),
        1,
    )
    return matrix
