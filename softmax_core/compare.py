"""The comparison with scikit-learn's ``LogisticRegression`` (the only module that fits it).

Probability tables are ``(n_samples, n_classes)`` with columns in the order of the sorted
class labels, as both models produce them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from ._checks import check_int, check_real

SAME_OBJECTIVE_TOL = 1e-12
SAME_OBJECTIVE_MAX_ITER = 10_000


def fit_sklearn(
    X: np.ndarray,
    y: np.ndarray,
    C: float = 1.0,
    *,
    same_objective_as: float | None = None,
    max_iter: int | None = None,
    sample_weight: np.ndarray | None = None,
    class_weight: dict | str | None = None,
) -> LogisticRegression:
    """Fit scikit-learn's multinomial ``LogisticRegression`` (lbfgs).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    C : float, default=1.0
        scikit-learn's own default penalty, as a user of ``LogisticRegression()`` gets it;
        ``inf`` is no penalty.
    same_objective_as : float or None, default=None
        If given, the ``C`` of a :class:`~softmax_core.SoftmaxRegression` to match: ``C``
        is then ignored, the tolerance is tight, and for two classes the penalty is
        converted (scikit-learn's single binomial vector carries the penalty of two
        symmetric rows: ``C_sklearn = 2 C``), so that both minimise the same objective.
    max_iter : int or None, default=None
        The solver's iteration limit: scikit-learn's default (100), or 10,000 with
        ``same_objective_as``. A caller with a work budget passes its own.
    sample_weight : array-like of shape (n_samples,) or None, default=None
        Passed to ``LogisticRegression.fit``: the weights a
        :class:`~softmax_core.SoftmaxRegression` fitted with the same weights uses.
    class_weight : dict, "balanced" or None, default=None
        ``LogisticRegression``'s ``class_weight``, the same as ``SoftmaxRegression``'s.

    Returns
    -------
    LogisticRegression
        Fitted.
    """
    if max_iter is not None:
        max_iter = check_int("max_iter", max_iter, 1)
    if same_objective_as is None:
        C = check_real("C", C, 0.0, low_open=True, allow_inf=True)
        model = LogisticRegression(C=C, max_iter=max_iter or 100, class_weight=class_weight)
        return model.fit(X, y, sample_weight=sample_weight)
    C = check_real("same_objective_as", same_objective_as, 0.0, low_open=True, allow_inf=True)
    if np.unique(np.asarray(y)).size == 2:
        C = 2.0 * C
    model = LogisticRegression(
        C=C,
        tol=SAME_OBJECTIVE_TOL,
        max_iter=max_iter or SAME_OBJECTIVE_MAX_ITER,
        class_weight=class_weight,
    )
    return model.fit(X, y, sample_weight=sample_weight)


def symmetric_parameters(model: LogisticRegression) -> tuple[np.ndarray, np.ndarray]:
    """A fitted ``LogisticRegression``'s parameters as one row per class.

    For more than two classes they already are. For two, scikit-learn's single vector
    ``v`` (and intercept ``c``) becomes the rows ``-v/2`` and ``v/2``: the same
    probabilities, and the symmetric rows of least norm, as :class:`SoftmaxRegression`
    finds them.

    Returns
    -------
    coef : ndarray of shape (n_classes, n_features)
    intercept : ndarray of shape (n_classes,)
    """
    coef, intercept = np.asarray(model.coef_), np.asarray(model.intercept_)
    if model.classes_.size == 2:
        return np.vstack([-coef / 2, coef / 2]), np.concatenate([-intercept / 2, intercept / 2])
    return coef.copy(), intercept.copy()


@dataclass(frozen=True)
class ProbabilityGap:
    """How far apart two probability tables are.

    Attributes
    ----------
    max_abs_diff : float
        ``max |p - q|`` over all samples and classes.
    mean_kl : float
        Mean over samples of ``KL(p || q) = sum_j p_j log(p_j / q_j)``, in nats.
    agreement : float
        Fraction of samples whose most probable class is the same.
    """

    max_abs_diff: float
    mean_kl: float
    agreement: float


def probability_gap(p: np.ndarray, q: np.ndarray) -> ProbabilityGap:
    """Compare two probability tables of shape (n_samples, n_classes).

    Raises
    ------
    ValueError
        If the shapes differ, or a table has negative entries, non-finite entries or rows
        that do not sum to 1.
    """
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    if p.shape != q.shape or p.ndim != 2 or p.size == 0:
        raise ValueError(f"p and q must be non-empty tables of one shape, got {p.shape}, {q.shape}")
    for name, table in (("p", p), ("q", q)):
        if not np.all(np.isfinite(table)) or np.any(table < 0):
            raise ValueError(f"{name} must hold finite, non-negative probabilities")
        if not np.allclose(table.sum(axis=1), 1.0, atol=1e-6):
            raise ValueError(f"the rows of {name} must sum to 1")
    # 0 log 0 = 0; a floor on q keeps log finite where q underflowed to 0.
    tiny = np.finfo(float).tiny
    ratio = np.log(np.maximum(p, tiny)) - np.log(np.maximum(q, tiny))
    # KL >= 0 (Gibbs); rows that sum to 1 only up to rounding can give -1e-17, shown as 0.
    kl = np.maximum(np.sum(np.where(p > 0, p * ratio, 0.0), axis=1), 0.0)
    return ProbabilityGap(
        max_abs_diff=float(np.max(np.abs(p - q))),
        mean_kl=float(np.mean(kl)),
        agreement=float(np.mean(np.argmax(p, axis=1) == np.argmax(q, axis=1))),
    )
