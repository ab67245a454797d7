"""Tests of ``softmax_core.functions``: softmax, log-softmax, log-sum-exp, cross-entropy, the
training objective, its gradient and its Hessian.

Every number is checked against an independent reference: the naive formula on moderate
values, exact values at extreme logits, central finite differences for the gradient and the
Hessian, and the ``log k`` fact for the initial loss. Hypothesis property tests cover random
shapes (1-50 samples, 1-5 features, 2-6 classes), values in [-50, 50] and labels.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import log_loss

from softmax_core import (
    cross_entropy,
    hessian,
    log_softmax,
    logsumexp,
    objective_gradient,
    one_hot,
    softmax,
)
from softmax_core.functions import kernel_data, l2_strength, objective_gradient_kn

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None)
PENALTIES = [np.inf, 1.0, 0.1]


def random_problem(seed, n_samples=20, n_features=3, n_classes=4, scale=1.0):
    """Random data, labels (every class present) and parameters of moderate size."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    y = np.arange(n_samples) % n_classes
    rng.shuffle(y)
    coef = scale * rng.normal(size=(n_classes, n_features))
    intercept = scale * rng.normal(size=n_classes)
    return X, y, coef, intercept


def naive_objective(coef, intercept, X, y, C):
    """``mean_i -log p_{y_i}(x_i) + ||W||^2 / (2 C n)``, written out with plain exp/log."""
    scores = X @ coef.T + intercept
    proba = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    data_term = -np.mean(np.log(proba[np.arange(len(y)), y]))
    penalty = 0.0 if np.isinf(C) else np.sum(coef**2) / (2 * C * X.shape[0])
    return data_term + penalty


def stack(coef, intercept):
    """Parameters as the Hessian orders them: ``[W | b]``, row-major per class."""
    return np.column_stack([coef, intercept]).ravel()


def unstack(theta, n_classes):
    table = theta.reshape(n_classes, -1)
    return table[:, :-1], table[:, -1]


# ---------------------------------------------------------------------------- strategies


@st.composite
def problems(draw, value_range=50.0):
    """A random problem: ``(X, y, coef, intercept)`` with finite values in the range."""
    n_samples = draw(st.integers(1, 50))
    n_features = draw(st.integers(1, 5))
    n_classes = draw(st.integers(2, 6))
    values = st.floats(-value_range, value_range, allow_nan=False, allow_infinity=False)
    X = draw(arrays(np.float64, (n_samples, n_features), elements=values))
    y = draw(arrays(np.int64, n_samples, elements=st.integers(0, n_classes - 1)))
    coef = draw(arrays(np.float64, (n_classes, n_features), elements=values))
    intercept = draw(arrays(np.float64, n_classes, elements=values))
    return X, y, coef, intercept


# ------------------------------------------------------------------------------- softmax


def test_softmax_rows_sum_to_one():
    scores = np.random.default_rng(0).normal(scale=5.0, size=(30, 4))
    proba = softmax(scores)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    assert np.all(proba > 0)


def test_softmax_matches_naive_formula_on_moderate_values():
    scores = np.random.default_rng(1).normal(scale=3.0, size=(10, 5))
    naive = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(softmax(scores), naive, rtol=1e-13)


def test_softmax_is_invariant_to_adding_a_constant_to_a_row():
    rng = np.random.default_rng(2)
    scores = rng.normal(size=(8, 3))
    shifts = rng.uniform(-1000, 1000, size=(8, 1))
    np.testing.assert_allclose(softmax(scores + shifts), softmax(scores), rtol=1e-12)


def test_softmax_axis_argument_picks_the_class_axis():
    scores = np.random.default_rng(3).normal(size=(4, 6))
    np.testing.assert_allclose(softmax(scores, axis=0), softmax(scores.T, axis=1).T, rtol=1e-15)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([1e4, -1e4, 0.0], [1.0, 0.0, 0.0]),
        ([-1e4, -1e4, -1e4], [1 / 3, 1 / 3, 1 / 3]),
        ([1e4, 1e4, 1e4], [1 / 3, 1 / 3, 1 / 3]),
        ([1e4, 1e4, -1e4], [0.5, 0.5, 0.0]),
        ([-1e4, 0.0], [0.0, 1.0]),
    ],
)
def test_softmax_at_extreme_logits_is_exact_and_warning_free(scores, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow or 0/0 would raise RuntimeWarning
        proba = softmax(np.array([scores]))
    np.testing.assert_allclose(proba, [expected], rtol=1e-15, atol=0)


def test_log_softmax_and_logsumexp_at_extreme_logits():
    scores = np.array([[1e4, -1e4, 0.0], [1e4, 1e4, 1e4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log_proba = log_softmax(scores)
        lse = logsumexp(scores)
    np.testing.assert_allclose(log_proba[0], [0.0, -2e4, -1e4], rtol=1e-15, atol=1e-12)
    np.testing.assert_allclose(log_proba[1], np.full(3, -np.log(3)), rtol=1e-12)
    np.testing.assert_allclose(lse, [1e4, 1e4 + np.log(3)], rtol=1e-15)


def test_log_softmax_equals_log_of_softmax_where_finite():
    rng = np.random.default_rng(4)
    scores = np.vstack([rng.normal(scale=10.0, size=(20, 4)), [[800.0, -800.0, 0.0, 5.0]]])
    proba = softmax(scores)
    finite = proba > 0
    with np.errstate(divide="ignore"):
        expected = np.log(proba)
    # Near log(1) = 0 it is log(softmax) that loses digits: compare with an absolute floor.
    np.testing.assert_allclose(
        log_softmax(scores)[finite], expected[finite], rtol=1e-12, atol=1e-14
    )
    assert np.all(np.isfinite(log_softmax(scores)))  # finite even where softmax underflows


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_logsumexp_matches_naive_reference_on_moderate_values(axis):
    scores = np.random.default_rng(5).uniform(-20, 20, size=(7, 5))
    naive = np.log(np.sum(np.exp(scores), axis=axis))
    np.testing.assert_allclose(logsumexp(scores, axis=axis), naive, rtol=1e-14)


# -------------------------------------------------------------------- labels and losses


def test_one_hot_marks_the_label_column():
    indicator = one_hot(np.array([2, 0, 1, 2]), 4)
    expected = np.array([[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], dtype=float)
    np.testing.assert_array_equal(indicator, expected)


def test_cross_entropy_is_minus_log_probability_of_the_true_class():
    rng = np.random.default_rng(6)
    scores = rng.normal(size=(12, 3))
    y = rng.integers(0, 3, size=12)
    expected = -np.log(softmax(scores)[np.arange(12), y])
    np.testing.assert_allclose(cross_entropy(scores, y), expected, rtol=1e-13)


@pytest.mark.parametrize("n_classes", [2, 3, 4, 5, 6])
@pytest.mark.parametrize("C", PENALTIES)
def test_initial_loss_at_zero_parameters_is_log_k(n_classes, C):
    X, y, _, _ = random_problem(n_classes, n_samples=30, n_classes=n_classes)
    coef, intercept = np.zeros((n_classes, X.shape[1])), np.zeros(n_classes)
    loss, _, grad_intercept = objective_gradient(coef, intercept, X, y, C)
    assert abs(loss - np.log(n_classes)) < 1e-12
    # At zero every class has probability 1/k: dJ/db_j = 1/k - (fraction of class j).
    frequency = np.bincount(y, minlength=n_classes) / y.size
    np.testing.assert_allclose(grad_intercept, 1 / n_classes - frequency, atol=1e-15)


@pytest.mark.parametrize("C", PENALTIES)
def test_objective_matches_naive_formula(C):
    X, y, coef, intercept = random_problem(7)
    loss, _, _ = objective_gradient(coef, intercept, X, y, C)
    np.testing.assert_allclose(loss, naive_objective(coef, intercept, X, y, C), rtol=1e-13)


def test_unpenalised_objective_matches_sklearn_log_loss():
    X, y, coef, intercept = random_problem(8)
    loss, _, _ = objective_gradient(coef, intercept, X, y)
    proba = softmax(X @ coef.T + intercept)
    np.testing.assert_allclose(loss, log_loss(y, proba, labels=range(4)), rtol=1e-12)


@pytest.mark.parametrize(("C", "n_samples", "expected"), [(np.inf, 10, 0.0), (2.0, 50, 0.01)])
def test_l2_strength_is_one_over_c_n(C, n_samples, expected):
    assert l2_strength(C, n_samples) == pytest.approx(expected, abs=1e-15)


# ------------------------------------------------------------ gradient and Hessian


@pytest.mark.parametrize("C", PENALTIES)
def test_gradient_matches_central_finite_differences(C):
    X, y, coef, intercept = random_problem(9)
    n_classes = coef.shape[0]
    _, grad_coef, grad_intercept = objective_gradient(coef, intercept, X, y, C)
    theta, step = stack(coef, intercept), 1e-6
    numeric = np.empty_like(theta)
    for i in range(theta.size):
        delta = np.zeros_like(theta)
        delta[i] = step
        up = objective_gradient(*unstack(theta + delta, n_classes), X, y, C)[0]
        down = objective_gradient(*unstack(theta - delta, n_classes), X, y, C)[0]
        numeric[i] = (up - down) / (2 * step)
    np.testing.assert_allclose(stack(grad_coef, grad_intercept), numeric, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("C", PENALTIES)
def test_gradient_kn_seed_order_and_fast_order_agree(C):
    X, y, coef, intercept = random_problem(10, n_samples=200, n_features=5, n_classes=6)
    theta = np.column_stack([coef, intercept])
    args = (theta, kernel_data(X, y, 6), l2_strength(C, 200))
    loss_fast, grad_fast = objective_gradient_kn(*args, seed_order=False)
    loss_seed, grad_seed = objective_gradient_kn(*args, seed_order=True)
    # The fast order adds the intercept inside the product: the scores may differ by an ulp.
    assert loss_fast == pytest.approx(loss_seed, rel=1e-14)
    np.testing.assert_allclose(grad_fast, grad_seed, rtol=1e-12, atol=1e-12)
    loss, grad_coef, grad_intercept = objective_gradient(coef, intercept, X, y, C)
    assert loss == loss_fast
    np.testing.assert_array_equal(np.column_stack([grad_coef, grad_intercept]), grad_fast)


@pytest.mark.parametrize("seed_order", [False, True])
def test_gradient_kn_gives_the_same_bits_with_used_buffers(seed_order):
    """The buffers of ``kernel_data`` hold the last call's values; a call must not depend on
    them (nor return a view of them)."""
    X, y, coef, intercept = random_problem(14, n_samples=50, n_features=2, n_classes=3)
    thetas = [np.column_stack([coef, intercept]), np.full((3, 3), 0.3), np.zeros((3, 3))]
    shared = kernel_data(X, y, 3)
    results = [objective_gradient_kn(t, shared, 0.01, seed_order=seed_order) for t in thetas]
    for theta, (loss, grad) in zip(thetas, results, strict=True):
        fresh_loss, fresh_grad = objective_gradient_kn(
            theta, kernel_data(X, y, 3), 0.01, seed_order=seed_order
        )
        assert loss == fresh_loss
        np.testing.assert_array_equal(grad, fresh_grad)


def test_gradient_kn_seed_order_is_the_seed_notes_arithmetic():
    """One step of the seed note's code, written out: ``seed_order=True`` gives the same bits."""
    X, y, coef, intercept = random_problem(15, n_samples=100, n_features=1, n_classes=3)
    W, b = coef.T, intercept[None, :]  # the seed's layout: (n_features, n_classes), (1, k)
    z = np.dot(X, W) + b
    exp_z = np.exp(z - np.max(z, axis=1, keepdims=True))
    y_hat = exp_z / np.sum(exp_z, axis=1, keepdims=True)
    dz = (y_hat - np.eye(3)[y]) / 100
    dW, db = np.dot(X.T, dz), np.sum(dz, axis=0, keepdims=True)
    theta = np.column_stack([coef, intercept])
    _, grad = objective_gradient_kn(theta, kernel_data(X, y, 3), 0.0, seed_order=True)
    np.testing.assert_array_equal(grad[:, :-1], dW.T)
    np.testing.assert_array_equal(grad[:, -1], db[0])


def test_objective_gradient_does_not_modify_its_inputs():
    X, y, coef, intercept = random_problem(11)
    copies = [a.copy() for a in (X, y, coef, intercept)]
    objective_gradient(coef, intercept, X, y, 1.0)
    for original, copy in zip((X, y, coef, intercept), copies, strict=True):
        np.testing.assert_array_equal(original, copy)


@pytest.mark.parametrize("C", PENALTIES)
def test_hessian_matches_finite_differences_of_the_gradient(C):
    X, y, coef, intercept = random_problem(12, n_samples=15, n_features=2, n_classes=3)
    n_classes = coef.shape[0]
    theta, step = stack(coef, intercept), 1e-5
    numeric = np.empty((theta.size, theta.size))
    for i in range(theta.size):
        delta = np.zeros_like(theta)
        delta[i] = step
        _, up_coef, up_intercept = objective_gradient(*unstack(theta + delta, n_classes), X, y, C)
        _, dn_coef, dn_intercept = objective_gradient(*unstack(theta - delta, n_classes), X, y, C)
        numeric[:, i] = (stack(up_coef, up_intercept) - stack(dn_coef, dn_intercept)) / (2 * step)
    np.testing.assert_allclose(hessian(coef, intercept, X, C), numeric, rtol=1e-6, atol=1e-8)


def test_hessian_is_symmetric_positive_semidefinite():
    X, _, coef, intercept = random_problem(13, n_classes=5)
    hess = hessian(coef, intercept, X)
    assert hess.shape == (5 * 4, 5 * 4)
    np.testing.assert_allclose(hess, hess.T, atol=1e-15)
    assert np.linalg.eigvalsh(hess)[0] > -1e-12


# ------------------------------------------------------------------ properties (hypothesis)


@PROPERTY_SETTINGS
@given(problems())
def test_property_probabilities_are_a_distribution(problem):
    X, _, coef, intercept = problem
    proba = softmax(X @ coef.T + intercept)
    assert np.all(np.isfinite(proba))
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@PROPERTY_SETTINGS
@given(problems(), st.floats(-1e3, 1e3))
def test_property_softmax_shift_invariance(problem, shift):
    X, _, coef, intercept = problem
    scores = X @ coef.T + intercept
    np.testing.assert_allclose(softmax(scores + shift), softmax(scores), rtol=1e-9, atol=1e-12)


@PROPERTY_SETTINGS
@given(problems())
def test_property_log_softmax_and_logsumexp_bounds(problem):
    X, _, coef, intercept = problem
    scores = X @ coef.T + intercept
    assert np.all(log_softmax(scores) <= 0)
    lse = logsumexp(scores)
    assert np.all(lse >= scores.max(axis=1))
    assert np.all(lse <= scores.max(axis=1) + np.log(scores.shape[1]) + 1e-9 * np.abs(lse))


@PROPERTY_SETTINGS
@given(problems())
def test_property_unpenalised_loss_is_finite_non_negative_mean_cross_entropy(problem):
    X, y, coef, intercept = problem
    loss, grad_coef, grad_intercept = objective_gradient(coef, intercept, X, y)
    assert np.isfinite(loss)
    assert loss >= 0
    expected = np.mean(cross_entropy(X @ coef.T + intercept, y))
    np.testing.assert_allclose(loss, expected, rtol=1e-9, atol=1e-12)
    assert np.all(np.isfinite(grad_coef))
    assert np.all(np.isfinite(grad_intercept))


@PROPERTY_SETTINGS
@given(problems(), st.sampled_from(PENALTIES))
def test_property_gradients_sum_to_zero_over_classes(problem, C):
    """``sum_j (p_ij - y_ij) = 0``: the intercept gradient sums to 0 over classes, and so
    does the coefficient gradient up to the penalty's ``alpha * sum_j w_j``."""
    X, y, coef, intercept = problem
    _, grad_coef, grad_intercept = objective_gradient(coef, intercept, X, y, C)
    assert abs(grad_intercept.sum()) < 1e-12
    penalty_part = l2_strength(C, X.shape[0]) * coef.sum(axis=0)
    scale = 1.0 + np.abs(X).max()
    np.testing.assert_allclose(grad_coef.sum(axis=0), penalty_part, rtol=1e-9, atol=1e-12 * scale)


@PROPERTY_SETTINGS
@given(problems(), st.sampled_from([1.0, 0.1]))
def test_property_penalty_adds_squared_norm_over_2cn(problem, C):
    X, y, coef, intercept = problem
    plain, _, _ = objective_gradient(coef, intercept, X, y)
    penalised, _, _ = objective_gradient(coef, intercept, X, y, C)
    expected = plain + np.sum(coef**2) / (2 * C * X.shape[0])
    np.testing.assert_allclose(penalised, expected, rtol=1e-12)
