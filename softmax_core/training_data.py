"""A labelled data set, validated once and laid out for the training loop.

``TrainingData`` holds ``X`` of shape ``(n_samples, n_features)``, the labels ``y`` as given,
their sorted distinct values ``classes`` and the encoding ``y_encoded`` in
``0 .. n_classes - 1``, plus the class-major layout and buffers of
:func:`~softmax_core.functions.kernel_data`. A caller that steps a model many times on one
data set (the app does, once per click) builds it once and passes it to
:meth:`SoftmaxRegression.step`, so that a step costs the step and not the validation.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_array
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

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), float64, C-contiguous
    y : ndarray of shape (n_samples,)
    classes : ndarray of shape (n_classes,), sorted
    y_encoded : ndarray of shape (n_samples,), int
    kernel : KernelData
        The layout and buffers of the training loop (its buffers are scratch space: one
        ``TrainingData`` serves one model at a time).

    Raises
    ------
    ValueError
        If ``X`` is not a finite 2-D array of numbers within the magnitude bound, ``y`` does
        not have one label per row, there are fewer than two classes, or ``y`` has a label
        outside ``classes``.
    """

    def __init__(self, X, y, classes=None) -> None:
        X = np.ascontiguousarray(check_array("X", X, ndim=2))
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
        known = np.unique(y if classes is None else np.asarray(classes))
        self._set(X, y, known, encode_labels(y, known))

    @classmethod
    def from_validated(
        cls, X: np.ndarray, y: np.ndarray, classes: np.ndarray, y_encoded: np.ndarray
    ) -> TrainingData:
        """Wrap arrays that a caller has validated already (the estimator's own checks)."""
        data = cls.__new__(cls)
        data._set(np.ascontiguousarray(X, dtype=np.float64), y, classes, y_encoded)
        return data

    def _set(self, X, y, classes, y_encoded) -> None:
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
        self.kernel: KernelData = kernel_data(X, y_encoded, classes.size)
        self._curvature: dict[bool, float] = {}

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
            self._curvature[fit_intercept] = design_curvature(self.X, fit_intercept)
        return lipschitz_from_curvature(self._curvature[fit_intercept], C, self.n_samples)

    def same_arrays(self, X: np.ndarray, y: np.ndarray) -> bool:
        """Whether ``(X, y)`` hold exactly this data (compared value by value)."""
        return (
            X.shape == self.X.shape
            and y.shape == self.y.shape
            and np.array_equal(X, self.X)
            and np.array_equal(y, self.y)
        )


def encode_labels(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Positions of the labels ``y`` in the sorted ``classes``; raise for unknown labels."""
    y_encoded = np.minimum(np.searchsorted(classes, y), classes.size - 1)
    if not np.array_equal(classes[y_encoded], y):
        unknown = np.setdiff1d(y, classes)
        raise ValueError(f"y has labels not in classes_ {classes.tolist()}: {unknown}")
    return y_encoded
