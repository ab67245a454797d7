"""A labelled data set, validated once and laid out for the training loop.

``TrainingData`` holds ``X`` of shape ``(n_samples, n_features)``, the labels ``y`` as given,
their sorted distinct values ``classes``, the encoding ``y_encoded`` in
``0 .. n_classes - 1`` and the sample weights, plus the class-major layout and buffers of
:func:`~softmax_core.functions.kernel_data`. A caller that steps a model many times on one
data set (the app does, once per click) builds it once and passes it to
:meth:`SoftmaxRegression.step`, so that a step costs the step and not the validation.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.class_weight import compute_class_weight

from ._checks import check_array, check_sample_weight
from .diagnostics import design_curvature, lipschitz_from_curvature
from .functions import KernelData, kernel_data

# Beyond this magnitude the curvature bound's squares overflow float64 (about 1e308).
MAX_FEATURE_MAGNITUDE = 1e150


class TrainingData:
    """Training data validated once, with what every step of training needs.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Finite numbers, at most ``MAX_FEATURE_MAGNITUDE`` in magnitude.
    y : array-like of shape (n_samples,)
        Class labels (ints, strings, any sortable values).
    classes : array-like, optional
        Every label that may occur (defaults to those in ``y``); at least two.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights ``s_i`` with a positive sum ``S`` (default: all 1). The
        objective is the weighted mean ``sum_i s_i CE_i / S`` plus ``||W||^2 / (2 C S)``,
        scikit-learn's: a weight of 2 is a repeated row, a weight of 0 a removed one.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), float64, C-contiguous
    y : ndarray of shape (n_samples,)
    classes : ndarray of shape (n_classes,), sorted
    y_encoded : ndarray of shape (n_samples,), int
    sample_weight : ndarray of shape (n_samples,) or None
        A copy of the weights; None when none were given.
    weight_sum : float
        ``S``, the sum of the weights (``n_samples`` without weights).
    kernel : KernelData
        The layout and buffers of the training loop (its buffers are scratch space: one
        ``TrainingData`` serves one model at a time).

    Raises
    ------
    ValueError
        If ``X`` is not a finite 2-D array of numbers within the magnitude bound, ``y`` does
        not have one label per row, there are fewer than two classes, ``y`` has a label
        outside ``classes``, or the weights are not ``n_samples`` finite non-negative
        numbers with a positive sum.
    """

    def __init__(self, X, y, classes=None, sample_weight=None) -> None:
        X = np.ascontiguousarray(check_array("X", X, ndim=2))
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
        known = np.unique(y if classes is None else np.asarray(classes))
        y_encoded = encode_labels(y, known)
        self._set(X, y, known, y_encoded, check_sample_weight(sample_weight, X.shape[0])[0])

    @classmethod
    def from_validated(
        cls,
        X: np.ndarray,
        y: np.ndarray,
        classes: np.ndarray,
        y_encoded: np.ndarray,
        sample_weight: np.ndarray | None = None,
    ) -> TrainingData:
        """Wrap arrays that a caller has validated already (the estimator's own checks)."""
        data = cls.__new__(cls)
        X = np.ascontiguousarray(X, dtype=np.float64)
        data._set(X, y, classes, y_encoded, check_sample_weight(sample_weight, X.shape[0])[0])
        return data

    def _set(self, X, y, classes, y_encoded, sample_weight) -> None:
        largest = float(np.max(np.abs(X)))
        if largest > MAX_FEATURE_MAGNITUDE:
            raise ValueError(
                f"X has values up to {largest:.3g} in magnitude; beyond "
                f"{MAX_FEATURE_MAGNITUDE:.0e} the curvature bound overflows: scale the features"
            )
        if classes.size < 2:
            raise ValueError(
                f"SoftmaxRegression needs at least 2 classes, got {classes.size} class: "
                f"{classes.tolist()}"
            )
        # Copies: the caller's arrays may change in place after this, and partial_fit tells
        # the same data from new data by comparing with these (same_arrays).
        X, y = np.array(X, dtype=np.float64, order="C"), np.array(y)
        self.X, self.y, self.classes, self.y_encoded = X, y, classes, y_encoded
        self.sample_weight: np.ndarray | None = sample_weight
        self.weight_sum = (
            float(X.shape[0]) if sample_weight is None else float(np.sum(sample_weight))
        )
        self.kernel: KernelData = kernel_data(X, y_encoded, classes.size, sample_weight)
        self._curvature: dict[bool, float] = {}
        self._class_weighted: dict[object, TrainingData] = {}

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    def lipschitz(self, C: float, fit_intercept: bool) -> float:
        """The curvature bound ``L`` of the objective on this data (see ``diagnostics``).

        The eigenvalue behind it is computed once per ``fit_intercept`` and kept.
        """
        if fit_intercept not in self._curvature:
            self._curvature[fit_intercept] = design_curvature(
                self.X, fit_intercept, self.sample_weight
            )
        return lipschitz_from_curvature(self._curvature[fit_intercept], C, self.weight_sum)

    def same_arrays(
        self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> bool:
        """Whether ``(X, y, sample_weight)`` hold exactly this data (value by value)."""
        if (sample_weight is None) != (self.sample_weight is None):
            return False
        return (
            X.shape == self.X.shape
            and y.shape == self.y.shape
            and np.array_equal(X, self.X)
            and np.array_equal(y, self.y)
            and (sample_weight is None or np.array_equal(sample_weight, self.sample_weight))
        )

    def with_class_weight(self, class_weight: dict | str | None) -> TrainingData:
        """These data with each sample's weight multiplied by its class's weight.

        ``class_weight`` is scikit-learn's: None (this object itself), ``"balanced"``
        (``S / (n_classes S_c)`` with ``S_c`` the weight of class ``c``, from
        :func:`sklearn.utils.class_weight.compute_class_weight`) or a dict from labels to
        weights (1 for the labels it leaves out). The result is kept: asking again returns
        the same object, so that a model sees the same data.

        Raises
        ------
        ValueError
            As ``compute_class_weight`` does, e.g. for ``"balanced"`` when a class of
            ``classes`` has no sample.
        """
        if class_weight is None:
            return self
        key = class_weight if isinstance(class_weight, str) else tuple(class_weight.items())
        if key not in self._class_weighted:
            weights = class_weighted(
                self.sample_weight, self.y, self.y_encoded, self.classes, class_weight
            )
            self._class_weighted[key] = TrainingData.from_validated(
                self.X, self.y, self.classes, self.y_encoded, weights
            )
        return self._class_weighted[key]


def class_weighted(
    sample_weight: np.ndarray | None,
    y: np.ndarray,
    y_encoded: np.ndarray,
    classes: np.ndarray,
    class_weight: dict | str | None,
) -> np.ndarray | None:
    """Sample weights times class weights, as scikit-learn's ``LogisticRegression`` forms
    them (``sample_weight *= class_weight_[y]``); None when both are None."""
    if class_weight is None:
        return sample_weight
    if isinstance(class_weight, str):  # "balanced": S / (n_classes S_c) needs every S_c > 0
        counts = np.bincount(y_encoded, weights=sample_weight, minlength=classes.size)
        if np.any(counts == 0):
            raise ValueError(
                "class_weight='balanced' needs weight in every class; classes "
                f"{classes[counts == 0].tolist()} have none (no sample, or weights of 0)"
            )
    per_class = compute_class_weight(
        class_weight, classes=classes, y=y, sample_weight=sample_weight
    )
    weights = np.asarray(per_class, dtype=np.float64)[y_encoded]
    return weights if sample_weight is None else sample_weight * weights


def encode_labels(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Positions of the labels ``y`` in the sorted ``classes``; raise for unknown labels."""
    y_encoded = np.minimum(np.searchsorted(classes, y), classes.size - 1)
    if not np.array_equal(classes[y_encoded], y):
        unknown = np.setdiff1d(y, classes)
        raise ValueError(f"y has labels not in classes_ {classes.tolist()}: {unknown}")
    return y_encoded
