"""Tests of sample and class weights below the estimator's API: the weighted objective is
scikit-learn 1.9.1's own (its ``LinearModelLoss``, the function ``LogisticRegression``
minimises, with ``l2_reg_strength = 1 / (C S)``); a weight of 2 is a repeated row and a
weight of 0 a removed one, for the objective, its gradient and Hessian, the curvature bound
and so the learning rate, and whole runs; equal weights take the unweighted code path;
``TrainingData`` keeps its weights and refuses bad ones; class weights multiply them.

The estimator against ``LogisticRegression`` with weights is in ``test_sklearn_contract.py``.
"""

import re
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model._linear_loss import LinearModelLoss
from sklearn.preprocessing import StandardScaler

from softmax_core import (
    SoftmaxRegression,
    TrainingData,
    fit_sklearn,
    hessian,
    lipschitz_constant,
    make_noisy_blobs,
    make_noisy_classes,
    objective_gradient,
    probability_gap,
    stable_learning_rate_limit,
)
from softmax_core.functions import kernel_data, objective_gradient_kn

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def problem(seed, n_samples=40, n_features=3, n_classes=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    y = rng.integers(0, n_classes, n_samples)
    coef = rng.normal(size=(n_classes, n_features))
    intercept = rng.normal(size=n_classes)
    return X, y, coef, intercept, rng


def exact(message):
    return f"^{re.escape(message)}$"


# ------------------------------------------------------------ scikit-learn's objective


@pytest.mark.parametrize("C", [0.3, 1.0, np.inf])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_the_weighted_objective_is_scikit_learns_multinomial_loss(C, fit_intercept):
    X, y, coef, intercept, rng = problem(1)
    if not fit_intercept:
        intercept = np.zeros(4)
    sw = rng.uniform(0, 3, size=40)
    loss, grad_coef, grad_intercept = objective_gradient(coef, intercept, X, y, C, sw)
    sk = LinearModelLoss(base_loss=HalfMultinomialLoss(n_classes=4), fit_intercept=fit_intercept)
    theta = np.column_stack([coef, intercept]) if fit_intercept else coef
    strength = 0.0 if np.isinf(C) else 1.0 / (C * sw.sum())
    sk_loss, sk_grad = sk.loss_gradient(theta, X, y.astype(float), sw, l2_reg_strength=strength)
    assert loss == pytest.approx(sk_loss, rel=1e-13)
    np.testing.assert_allclose(grad_coef, sk_grad[:, :3], rtol=1e-12, atol=1e-15)
    if fit_intercept:
        np.testing.assert_allclose(grad_intercept, sk_grad[:, 3], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("C", [0.3, np.inf])
def test_for_two_classes_it_is_the_binomial_loss_of_the_difference_at_twice_c(C):
    """Rows ``-v/2, v/2`` carry half the penalty of scikit-learn's single vector ``v``."""
    X, y, _, _, rng = problem(2, n_classes=2)
    v, c = rng.normal(size=3), 0.7
    sw = rng.uniform(0, 3, size=40)
    loss, _, _ = objective_gradient(
        np.vstack([-v / 2, v / 2]), np.array([-c / 2, c / 2]), X, y, C, sw
    )
    sk = LinearModelLoss(base_loss=HalfBinomialLoss(), fit_intercept=True)
    strength = 0.0 if np.isinf(C) else 1.0 / (2 * C * sw.sum())
    sk_loss = sk.loss(np.append(v, c), X, y.astype(float), sw, l2_reg_strength=strength)
    assert loss == pytest.approx(sk_loss, rel=1e-13)


# ------------------------------------------------------- a weight of 2 is a repeated row


def repeated(X, y, counts):
    return np.repeat(X, counts, axis=0), np.repeat(y, counts)


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), C=st.sampled_from([0.1, 1.0, np.inf]))
def test_property_integer_weights_are_repeated_rows(seed, C):
    X, y, coef, intercept, rng = problem(
        seed, n_samples=int(np.random.default_rng(seed).integers(1, 30))
    )
    counts = rng.integers(0, 4, size=len(y))
    counts[0] = max(counts[0], 1)  # not all zero
    weighted = objective_gradient(coef, intercept, X, y, C, counts.astype(float))
    plain = objective_gradient(coef, intercept, *repeated(X, y, counts), C)
    assert weighted[0] == pytest.approx(plain[0], rel=1e-12)
    for ours, theirs in zip(weighted[1:], plain[1:], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(
        hessian(coef, intercept, X, C, counts.astype(float)),
        hessian(coef, intercept, *repeated(X, y, counts)[:1], C),
        rtol=1e-11,
        atol=1e-14,
    )
    assert lipschitz_constant(X, C, sample_weight=counts) == pytest.approx(
        lipschitz_constant(repeated(X, y, counts)[0], C), rel=1e-11
    )


def test_a_weighted_run_is_the_run_on_repeated_rows():
    """The learning rate 1/L and every step agree (to rounding) when weights are counts."""
    X, y = make_noisy_blobs(60, 3, random_state=5)
    counts = np.random.default_rng(5).integers(0, 4, size=60)
    for solver in ("gd", "nesterov", "newton"):
        weighted = SoftmaxRegression(solver=solver, C=2.0).advance(
            X, y, n_steps=8, sample_weight=counts
        )
        plain = SoftmaxRegression(solver=solver, C=2.0).advance(*repeated(X, y, counts), n_steps=8)
        assert weighted.learning_rate_ == pytest.approx(plain.learning_rate_, rel=1e-12)
        assert weighted.learning_rate_limit_ == pytest.approx(plain.learning_rate_limit_, rel=1e-12)
        np.testing.assert_allclose(weighted.loss_curve_, plain.loss_curve_, rtol=1e-12)
        np.testing.assert_allclose(weighted.coef_, plain.coef_, rtol=1e-10, atol=1e-13)


def test_the_stable_rate_accounts_for_the_weights():
    """Weight on the far points raises the curvature bound, and lowers 2/L."""
    X, y = make_noisy_classes()
    far = np.where(X[:, 0] > 8, 10.0, 1.0)
    assert stable_learning_rate_limit(X, sample_weight=far) < stable_learning_rate_limit(X)
    model = SoftmaxRegression().advance(X, y, n_steps=0, sample_weight=far)
    assert model.learning_rate_limit_ == pytest.approx(
        stable_learning_rate_limit(X, sample_weight=far), rel=1e-14
    )


def test_weight_zero_is_a_removed_row_and_ones_are_no_weights():
    X, y = make_noisy_blobs(60, 3, random_state=5)
    keep = np.arange(60) % 3 != 0
    removed = SoftmaxRegression(solver="newton", C=1.0).fit(X, y, sample_weight=keep * 1.0)
    dropped = SoftmaxRegression(solver="newton", C=1.0).fit(X[keep], y[keep])
    np.testing.assert_allclose(removed.coef_, dropped.coef_, rtol=1e-9, atol=1e-12)
    # All weights 1: the unweighted computation itself, bit for bit.
    ones = SoftmaxRegression(max_iter=50, tol=0.0)
    with pytest.warns(ConvergenceWarning):
        ones.fit(X, y, sample_weight=np.ones(60))
    with pytest.warns(ConvergenceWarning):
        none = SoftmaxRegression(max_iter=50, tol=0.0).fit(X, y)
    np.testing.assert_array_equal(ones.coef_, none.coef_)
    assert ones.loss_curve_ == none.loss_curve_


def test_equal_weights_only_scale_the_penalty():
    """Weights all c: the mean is unchanged and S = c n, as C c would make it."""
    X, y, coef, intercept, _ = problem(3)
    threes = objective_gradient(coef, intercept, X, y, 0.5, np.full(40, 3.0))
    scaled = objective_gradient(coef, intercept, X, y, 1.5)
    assert threes[0] == pytest.approx(scaled[0], rel=1e-15)
    np.testing.assert_allclose(threes[1], scaled[1], rtol=1e-15)
    data = kernel_data(X, y, 4, np.full(40, 3.0))
    assert data.weights is None  # the unweighted path


def test_the_weighted_kernel_needs_no_temporary_of_the_data_size():
    rng = np.random.default_rng(16)
    X, y = rng.normal(size=(100_000, 3)), np.arange(100_000) % 4
    data = kernel_data(X, y, 4, rng.uniform(0, 2, 100_000))
    theta = rng.normal(size=(4, 4))
    objective_gradient_kn(theta, data, 0.01)
    tracemalloc.start()
    try:
        objective_gradient_kn(theta, data, 0.01)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < data.work.nbytes / 10


# -------------------------------------------------------------------- TrainingData


def test_training_data_keeps_a_copy_of_its_weights():
    X, y = make_noisy_classes()
    sw = np.linspace(0.5, 2.0, 100)
    data = TrainingData(X, y, sample_weight=sw)
    sw[0] = 100.0
    assert data.sample_weight[0] == 0.5 and data.weight_sum == pytest.approx(125.0)
    assert TrainingData(X, y).sample_weight is None and TrainingData(X, y).weight_sum == 100.0
    assert data.same_arrays(data.X, data.y, np.linspace(0.5, 2.0, 100))
    assert not data.same_arrays(data.X, data.y, None)
    assert not TrainingData(X, y).same_arrays(X, y, np.ones(100))


def test_stepping_weighted_training_data_is_fitting_with_the_weights():
    X, y = make_noisy_blobs(90, 3, random_state=1)
    sw = np.random.default_rng(2).uniform(0.5, 2.0, 90)
    stepped = SoftmaxRegression(C=3.0).step(TrainingData(X, y, sample_weight=sw), 7)
    advanced = SoftmaxRegression(C=3.0).advance(X, y, n_steps=7, sample_weight=sw)
    np.testing.assert_array_equal(stepped.coef_, advanced.coef_)
    assert stepped.loss_curve_ == advanced.loss_curve_
    assert stepped.objective(X, y, sample_weight=sw) == pytest.approx(stepped.loss_, rel=1e-13)


def test_one_weighted_gradient_step_written_out():
    X, y = make_noisy_blobs(30, 3, random_state=1)
    sw = np.random.default_rng(3).uniform(0.0, 2.0, 30)
    model = SoftmaxRegression(learning_rate=0.3, C=2.0).partial_fit(X, y, sample_weight=sw)
    v = sw / sw.sum()
    residual = (np.full((30, 3), 1 / 3) - np.eye(3)[y]) * v[:, None]  # at theta = 0
    np.testing.assert_allclose(model.coef_, -0.3 * residual.T @ X, rtol=1e-13)
    np.testing.assert_allclose(model.intercept_, -0.3 * residual.sum(axis=0), rtol=1e-13)


@pytest.mark.parametrize(
    ("sample_weight", "message"),
    [
        (np.ones(3), "sample_weight must have shape (100,), got (3,)"),
        (np.ones((100, 1)), "sample_weight must be 1-D, got shape (100, 1)"),
        (-np.ones(100), "sample_weight must not be negative"),
        (np.zeros(100), "sample_weight must not be all zero"),
        (np.full(100, np.nan), "sample_weight must hold finite numbers (no NaN or infinity)"),
        (np.full(100, 1e307), "sample_weight must have a finite sum, got inf"),
        (["a"] * 100, "sample_weight must be an array of numbers, got list"),
    ],
)
def test_training_data_refuses_bad_weights(sample_weight, message):
    X, y = make_noisy_classes()
    with pytest.raises(ValueError, match=exact(message)):
        TrainingData(X, y, sample_weight=sample_weight)
    with pytest.raises(ValueError, match=exact(message)):
        lipschitz_constant(X, sample_weight=sample_weight)


# ------------------------------------------------------------------ class weights


def test_class_weighted_data_are_kept_and_multiply_the_sample_weights():
    X, y = make_noisy_classes()
    sw = np.linspace(0.5, 2.0, 100)
    data = TrainingData(X, y, sample_weight=sw)
    assert data.with_class_weight(None) is data
    weighted = data.with_class_weight({0: 2.0, 2: 0.5})
    assert data.with_class_weight({0: 2.0, 2: 0.5}) is weighted
    np.testing.assert_array_equal(weighted.sample_weight, sw * np.array([2.0, 1.0, 0.5])[y])
    balanced = data.with_class_weight("balanced").sample_weight
    per_class = np.bincount(y, weights=balanced)
    np.testing.assert_allclose(per_class, sw.sum() / 3)  # every class weighs S / k


def test_class_weights_and_sample_weights_against_logistic_regression():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    sw = np.random.default_rng(0).integers(0, 5, size=150).astype(float)
    for class_weight in (None, "balanced", {0: 1.0, 1: 3.0, 2: 0.5}):
        ours = SoftmaxRegression(solver="newton", C=1.0, tol=1e-14, class_weight=class_weight)
        ours.fit(X, y, sample_weight=sw)
        sk = fit_sklearn(X, y, same_objective_as=1.0, sample_weight=sw, class_weight=class_weight)
        # Measured: 1.4e-7 to 1.8e-7, scikit-learn's lbfgs being the less precise.
        assert probability_gap(ours.predict_proba(X), sk.predict_proba(X)).max_abs_diff < 1e-6
        at_sklearn = SoftmaxRegression(C=1.0, class_weight=class_weight).advance(X, y, n_steps=0)
        at_sklearn.coef_, at_sklearn.intercept_ = sk.coef_.copy(), sk.intercept_.copy()
        # Both minimise the same function: scikit-learn's optimum is no lower than ours.
        assert ours.objective(X, y, sw) <= at_sklearn.objective(X, y, sw) + 1e-14
        assert ours.objective(X, y, sw) == pytest.approx(ours.loss_, rel=1e-13)
