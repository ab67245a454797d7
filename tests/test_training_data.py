"""Tests of ``TrainingData``: what it holds (against the inputs and ``np.unique``), the
magnitude bound of the features (up to 1e150 a model trains with finite learning rates), and
every ``ValueError``, word for word.
"""

import re
import warnings

import numpy as np
import pytest

from softmax_core import SoftmaxRegression, TrainingData, make_noisy_classes
from softmax_core.training_data import MAX_FEATURE_MAGNITUDE


def exact(message):
    return f"^{re.escape(message)}$"


def test_holds_the_data_its_classes_and_the_encoding():
    X, y = make_noisy_classes(n_classes=4)
    names = np.array(["d", "c", "b", "a"])[y]  # sorted: a, b, c, d
    data = TrainingData(X.tolist(), names)
    assert data.X.dtype == np.float64 and data.X.flags.c_contiguous
    np.testing.assert_array_equal(data.X, X)
    np.testing.assert_array_equal(data.y, names)
    np.testing.assert_array_equal(data.classes, ["a", "b", "c", "d"])
    np.testing.assert_array_equal(data.classes[data.y_encoded], names)
    assert (data.n_samples, data.n_features) == (100, 1)


def test_classes_may_name_labels_absent_from_y():
    X, y = make_noisy_classes()
    data = TrainingData(X, y, classes=[3, 0, 1, 2])
    np.testing.assert_array_equal(data.classes, [0, 1, 2, 3])
    np.testing.assert_array_equal(data.y_encoded, y)


def test_from_validated_lays_out_float64():
    X, y = make_noisy_classes()
    data = TrainingData.from_validated(np.asarray(X * 10, dtype=int), y, np.arange(3), y)
    assert data.X.dtype == np.float64
    np.testing.assert_array_equal(data.X, np.floor(X * 10))


@pytest.mark.parametrize(
    ("X", "y", "classes", "message"),
    [
        (np.ones(3), [0, 1, 1], None, "X must be 2-D, got shape (3,)"),
        (np.ones((3, 1, 1)), [0, 1, 1], None, "X must be 2-D, got shape (3, 1, 1)"),
        ([["a"], ["b"]], [0, 1], None, "X must be an array of numbers, got list"),
        (np.ones((3, 1)), [0, 1], None, "y must have shape (3,), got (2,)"),
        (np.ones((3, 1)), [[0, 1, 1]], None, "y must have shape (3,), got (1, 3)"),
        (
            np.ones((3, 1)),
            [0, 0, 0],
            None,
            "SoftmaxRegression needs at least 2 classes, got 1 class: [0]",
        ),
        (np.ones((3, 1)), [0, 1, 2], [0, 1], "y has labels not in classes_ [0, 1]: [2]"),
        (
            np.full((2, 1), 1.01e150),
            [0, 1],
            None,
            "X has values up to 1.01e+150 in magnitude; beyond 1e+150 the curvature bound "
            "overflows: scale the features",
        ),
    ],
)
def test_errors(X, y, classes, message):
    with pytest.raises(ValueError, match=exact(message)):
        TrainingData(X, y, classes)


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e100, MAX_FEATURE_MAGNITUDE])
def test_features_up_to_the_bound_train_like_scaled_features(scale):
    """Gradient descent at 1/L is invariant to scaling X: the iterates ``coef`` scale by
    ``1/s`` and the objective is the same. Inputs near 1e154 used to give NaN learning rates
    and a divergence at iteration 0 from finite data."""
    X, y = make_noisy_classes()
    X = X / 10  # values in [0, 1]: the largest is exactly ``scale`` below
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plain = SoftmaxRegression(fit_intercept=False).step(TrainingData(X, y), 20)
        scaled = SoftmaxRegression(fit_intercept=False).step(TrainingData(X * scale, y), 20)
    assert not scaled.diverged_ and np.isfinite(scaled.learning_rate_)
    np.testing.assert_allclose(scaled.coef_ * scale, plain.coef_, rtol=1e-9)
    np.testing.assert_allclose(scaled.loss_curve_, plain.loss_curve_, rtol=1e-12)


def test_the_magnitude_bound_is_inclusive():
    X, y = make_noisy_classes()
    X = X / 10 * MAX_FEATURE_MAGNITUDE
    assert np.abs(X).max() == MAX_FEATURE_MAGNITUDE
    model = SoftmaxRegression().step(TrainingData(X, y), 5)
    assert np.isfinite(model.learning_rate_) and not model.diverged_


def test_partial_fit_sees_data_changed_in_place_between_calls():
    """The model keeps the prepared data of its last call; arrays the caller changes in place
    afterwards are new data (the scikit-learn contract: each call learns from what it gets)."""
    X, y = make_noisy_classes()
    X = X.copy()
    changed = SoftmaxRegression(learning_rate=0.05).partial_fit(X, y)
    X *= 5.0
    changed.partial_fit(X, y)
    # The same two steps, on two separate arrays.
    expected = SoftmaxRegression(learning_rate=0.05).partial_fit(X / 5.0, y).partial_fit(X, y)
    np.testing.assert_allclose(changed.coef_, expected.coef_, rtol=1e-12)
    np.testing.assert_allclose(changed.intercept_, expected.intercept_, rtol=1e-12)
