"""Step-size diagnostics and classification metrics.

The learning rate of plain gradient descent is safe when it is below ``2 / L``, where ``L``
bounds the curvature of the objective (the Lipschitz constant of its gradient). For softmax
cross-entropy, Böhning's bound gives ``L = lambda_max(X~^T X~) / (2 n) + 1 / (C n)`` with
``X~ = [X | 1]``: the Hessian of the loss in the scores is ``diag(p) - p p^T``, whose
eigenvalues never exceed 1/2. With sample weights ``s_i`` (sum ``S``) the objective is the
weighted mean, and the bound is ``lambda_max(X~^T diag(s) X~) / (2 S) + 1 / (C S)``: the
same as for the data with each row repeated ``s_i`` times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._checks import check_array, check_real, check_sample_weight
from .functions import hessian, l2_strength, normalised_weights, zero_sum_basis

# L is floored here so that 1/L and 2/L stay finite for an all-zero design (then J is flat
# in W, and any step is safe).
MIN_LIPSCHITZ = 1e-12


def design_curvature(
    X: np.ndarray, fit_intercept: bool = True, sample_weight: np.ndarray | None = None
) -> float:
    """``lambda_max(X~^T X~ / n) / 2`` with ``X~ = [X | 1]`` (or ``X``): L without penalty.

    With ``sample_weight``, ``lambda_max(X~^T diag(s) X~ / S) / 2``. Computed on ``X~``
    divided by its largest magnitude, so that large features (up to about 1e150) do not
    overflow the squares.
    """
    X = check_array("X", X, ndim=2)
    sample_weight, _ = check_sample_weight(sample_weight, X.shape[0])
    design = np.hstack([X, np.ones((X.shape[0], 1))]) if fit_intercept else X
    scale = float(np.max(np.abs(design)))
    if scale == 0.0:
        return 0.0
    scaled = design / scale
    weights = normalised_weights(sample_weight)  # None for equal weights: the plain mean
    moment = (
        scaled.T @ scaled / design.shape[0] if weights is None else (scaled.T * weights) @ scaled
    )
    top = float(np.linalg.eigvalsh(moment)[-1])
    return 0.5 * top * scale * scale


def lipschitz_from_curvature(curvature: float, C: float, n_samples: float) -> float:
    """L from :func:`design_curvature`'s value: plus the penalty's ``1 / (C n)``, floored
    (``n_samples`` is the sum of the sample weights when there are weights)."""
    return max(curvature + l2_strength(C, n_samples), MIN_LIPSCHITZ)


def lipschitz_constant(
    X: np.ndarray,
    C: float = np.inf,
    fit_intercept: bool = True,
    sample_weight: np.ndarray | None = None,
) -> float:
    """Upper bound ``L`` on the curvature of the objective for data ``X``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    C : float, default=inf
        Inverse L2 strength; ``inf`` is no penalty.
    fit_intercept : bool, default=True
        Whether the intercept is a parameter (adds a column of ones).
    sample_weight : array-like of shape (n_samples,) or None, default=None
        Non-negative weights with a positive sum ``S``; None is all 1 (``S = n``).

    Returns
    -------
    float
        ``lambda_max(X~^T diag(s) X~ / S) / 2 + 1 / (C S)`` (at least ``MIN_LIPSCHITZ``).
    """
    curvature = design_curvature(X, fit_intercept, sample_weight)
    C = check_real("C", C, 0.0, low_open=True, allow_inf=True)
    _, weight_sum = check_sample_weight(sample_weight, np.shape(X)[0])
    return lipschitz_from_curvature(curvature, C, weight_sum)


def stable_learning_rate_limit(
    X: np.ndarray,
    C: float = np.inf,
    fit_intercept: bool = True,
    sample_weight: np.ndarray | None = None,
) -> float:
    """Largest learning rate, ``2 / L``, for which gradient descent cannot overshoot."""
    return 2.0 / lipschitz_constant(X, C, fit_intercept, sample_weight)


def local_curvature(
    coef: np.ndarray, intercept: np.ndarray, X: np.ndarray, C: float = np.inf
) -> float:
    """Largest eigenvalue of the Hessian at the given parameters.

    Gradient descent with learning rate ``lr`` overshoots along that direction, and so
    oscillates, whenever ``lr * local_curvature > 2``. It is at most
    :func:`lipschitz_constant`.
    """
    return float(np.linalg.eigvalsh(hessian(coef, intercept, X, C))[-1])


def curvatures(
    coef: np.ndarray, intercept: np.ndarray, X: np.ndarray, C: float = np.inf
) -> np.ndarray:
    """The Hessian's eigenvalues over the parameters that sum to zero over the classes.

    These are the directions training moves along (the class-constant ones change
    nothing). The largest decides whether a gradient step overshoots (``lr * lambda > 2``);
    the smallest how slowly gradient descent closes in: the error along it shrinks by
    ``|1 - lr * lambda_min|`` per step.

    Returns
    -------
    ndarray of shape ((n_classes - 1) * (n_features + 1),)
        Ascending; negative rounding is clipped to 0.
    """
    full = hessian(coef, intercept, X, C)
    n_classes, width = np.shape(coef)[0], np.shape(coef)[1] + 1
    basis = zero_sum_basis(n_classes, width)
    reduced = basis.T @ full @ basis
    return np.maximum(np.linalg.eigvalsh(0.5 * (reduced + reduced.T)), 0.0)


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


# A curvature below this share of L is rounding: the objective is flat that way, as on
# separable data without a penalty, where the weights grow without end (no unique optimum).
FLAT_CURVATURE = 1e-10


@dataclass(frozen=True)
class Pace:
    """How fast plain gradient descent at the stable rate ``1/L`` closes in on the optimum
    along its flattest direction, of curvature ``flattest`` (``lambda_min`` of the Hessian
    there): the error along it shrinks by ``1 - lambda/L`` per step, a factor e every
    ``L/lambda`` steps. Flat (``lambda`` at rounding level next to ``L``): no unique optimum,
    and no number of steps reaches one."""

    flattest: float
    lipschitz: float

    @property
    def flat(self) -> bool:
        return self.flattest <= FLAT_CURVATURE * self.lipschitz

    @property
    def contraction(self) -> float:
        """``1 - lambda/L``: what one step at ``1/L`` multiplies the error by."""
        return 1.0 - self.flattest / self.lipschitz

    @property
    def steps_per_efold(self) -> float:
        """``L/lambda``: steps for the error to shrink by a factor e (inf when flat)."""
        return math.inf if self.flat else self.lipschitz / self.flattest

    def steps_for(self, factor: float) -> float:
        """Steps for the error to shrink by ``factor`` (e.g. 1e6: six digits)."""
        return self.steps_per_efold * math.log(factor)


def gradient_descent_pace(curvature_spectrum: np.ndarray, lipschitz: float) -> Pace:
    """The :class:`Pace` of gradient descent from the Hessian's spectrum at the optimum
    (:func:`curvatures`, ascending) and the bound ``L``."""
    spectrum = check_array("curvature_spectrum", curvature_spectrum, ndim=1)
    lipschitz = check_real("lipschitz", lipschitz, 0.0, low_open=True)
    return Pace(float(max(spectrum[0], 0.0)), lipschitz)
