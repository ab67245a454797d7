"""Tests of ``softmax_core.functions``: softmax, log-softmax, log-sum-exp, cross-entropy, the
training objective, its gradient and its Hessian.

Every number is checked against an independent reference, never against the project's own
functions: the naive formula on moderate values, ``scipy.special`` (``softmax``,
``log_softmax``, ``logsumexp``) and ``sklearn.metrics.log_loss``, exact values at extreme
logits, central finite differences of a reference objective for the gradient, of a written-out
gradient for the Hessian, and the ``log k`` fact for the initial loss. Hypothesis property tests
cover random shapes (1-50 samples, 1-5 features, 2-6 classes), values in [-50, 50] and labels.
Every ``ValueError`` is checked word for word: its message names the parameter.
"""

import re
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from properties import examples
from scipy import special
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
from softmax_core.functions import (
    MAX_TABLE_ENTRIES,
    kernel_data,
    l2_strength,
    objective_gradient_kn,
)

PROPERTY_SETTINGS = settings(max_examples=examples(60), deadline=None)
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


def reference_objective(coef, intercept, X, y, C):
    """``J`` with ``scipy.special.logsumexp``: stable wherever the scores are finite."""
    scores = X @ coef.T + intercept
    data_term = np.mean(special.logsumexp(scores, axis=1) - scores[np.arange(len(y)), y])
    penalty = 0.0 if np.isinf(C) else np.sum(coef**2) / (2 * C * X.shape[0])
    return data_term + penalty


def reference_gradient(coef, intercept, X, y, C):
    """``(P - Y)^T X / n + W / (C n)`` and ``mean(P - Y)``, with ``scipy.special.softmax``."""
    residual = special.softmax(X @ coef.T + intercept, axis=1)
    residual[np.arange(len(y)), y] -= 1.0
    alpha = 0.0 if np.isinf(C) else 1.0 / (C * X.shape[0])
    return residual.T @ X / len(y) + alpha * coef, residual.mean(axis=0)


def exact_message(message):
    """A ``match`` pattern that accepts ``message`` and nothing longer or shorter."""
    return f"^{re.escape(message)}$"


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


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_family_matches_scipy(axis):
    rng = np.random.default_rng(4)
    scores = np.vstack([rng.normal(scale=10.0, size=(20, 4)), [[800.0, -800.0, 0.0, 5.0]]])
    np.testing.assert_allclose(
        softmax(scores, axis=axis), special.softmax(scores, axis=axis), rtol=1e-12, atol=1e-300
    )
    np.testing.assert_allclose(
        log_softmax(scores, axis=axis),
        special.log_softmax(scores, axis=axis),
        rtol=1e-12,
        atol=1e-14,  # near log(1) = 0 the last digits are rounding, in either
    )
    np.testing.assert_allclose(
        logsumexp(scores, axis=axis), special.logsumexp(scores, axis=axis), rtol=1e-14
    )
    assert np.all(np.isfinite(log_softmax(scores, axis=axis)))  # even where softmax underflows


@pytest.mark.parametrize("shape", [(1, 3), (3, 1), (1, 1), (2, 1, 4), (5,)])
@pytest.mark.parametrize("axis", [0, -1])
def test_the_family_keeps_every_axis_but_the_class_axis(shape, axis):
    """Axes of length 1 other than the class axis stay (as scipy's keep them)."""
    scores = np.random.default_rng(17).normal(size=shape)
    assert logsumexp(scores, axis=axis).shape == special.logsumexp(scores, axis=axis).shape
    assert log_softmax(scores, axis=axis).shape == softmax(scores, axis=axis).shape == shape


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


def test_one_hot_of_a_single_class_is_a_column_of_ones():
    np.testing.assert_array_equal(one_hot(np.zeros(3, dtype=int), 1), np.ones((3, 1)))


def test_one_hot_accepts_a_table_of_exactly_max_table_entries():
    """10 x 10**7 entries: allowed, and cheap, since untouched zero pages cost no memory."""
    labels = np.arange(10) * 10**6
    indicator = one_hot(labels, 10**7)
    assert indicator.shape == (10, 10**7) and indicator.size == MAX_TABLE_ENTRIES
    np.testing.assert_array_equal(indicator[np.arange(10), labels], 1.0)


def test_one_hot_refuses_a_huge_table_before_allocating_it():
    """It used to raise MemoryError for 10**12 classes."""
    message = "one_hot would need 2 x 1,000,000,000,000 entries, more than 100,000,000"
    with pytest.raises(ValueError, match=exact_message(message)):
        one_hot(np.array([0, 1]), 10**12)
    with pytest.raises(ValueError, match=exact_message(message.replace("2 x", "11 x"))):
        one_hot(np.zeros(11, dtype=int), 10**12)


def test_cross_entropy_is_minus_log_probability_of_the_true_class():
    rng = np.random.default_rng(6)
    scores = rng.normal(size=(12, 3))
    y = rng.integers(0, 3, size=12)
    expected = -special.log_softmax(scores, axis=1)[np.arange(12), y]
    np.testing.assert_allclose(cross_entropy(scores, y), expected, rtol=1e-13)
    # One label per sample, the class axis last, as sklearn's log_loss sees it.
    proba = special.softmax(scores, axis=1)
    assert np.mean(cross_entropy(scores, y)) == pytest.approx(
        log_loss(y, proba, labels=range(3)), rel=1e-12
    )


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
    proba = special.softmax(X @ coef.T + intercept, axis=1)
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
        up = reference_objective(*unstack(theta + delta, n_classes), X, y, C)
        down = reference_objective(*unstack(theta - delta, n_classes), X, y, C)
        numeric[i] = (up - down) / (2 * step)
    np.testing.assert_allclose(stack(grad_coef, grad_intercept), numeric, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("seed_order", [False, True])
@pytest.mark.parametrize("C", PENALTIES)
def test_gradient_kn_in_either_order_matches_the_reference(C, seed_order):
    X, y, coef, intercept = random_problem(10, n_samples=200, n_features=5, n_classes=6)
    theta = np.column_stack([coef, intercept])
    loss, grad = objective_gradient_kn(
        theta, kernel_data(X, y, 6), l2_strength(C, 200), seed_order=seed_order
    )
    assert loss == pytest.approx(reference_objective(coef, intercept, X, y, C), rel=1e-13)
    grad_coef, grad_intercept = reference_gradient(coef, intercept, X, y, C)
    np.testing.assert_allclose(grad, np.column_stack([grad_coef, grad_intercept]), atol=1e-13)


def test_gradient_kn_fast_order_needs_no_temporary_of_the_data_size():
    """The point of ``kernel_data``'s buffers: a call allocates the gradient and nothing of
    size ``n_classes * n_samples`` (here 3.2 MB); measured: about 2 KB."""
    rng = np.random.default_rng(16)
    X, y = rng.normal(size=(100_000, 3)), np.arange(100_000) % 4
    data, theta = kernel_data(X, y, 4), rng.normal(size=(4, 4))
    objective_gradient_kn(theta, data, 0.01)  # first call: numpy's own caches
    tracemalloc.start()
    try:
        objective_gradient_kn(theta, data, 0.01)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < data.work.nbytes / 10


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
        up_coef, up_intercept = reference_gradient(*unstack(theta + delta, n_classes), X, y, C)
        dn_coef, dn_intercept = reference_gradient(*unstack(theta - delta, n_classes), X, y, C)
        numeric[:, i] = (stack(up_coef, up_intercept) - stack(dn_coef, dn_intercept)) / (2 * step)
    np.testing.assert_allclose(hessian(coef, intercept, X, C), numeric, rtol=1e-6, atol=1e-8)


def reference_hessian(coef, intercept, X, C):
    """``sum_i kron(diag(p_i) - p_i p_i^T, x~_i x~_i^T) / n`` (plus the penalty on ``W``), with
    ``scipy.special.softmax`` for ``p_i``: the Hessian in the ``[W | b]`` row-major order."""
    X_aug = np.column_stack([X, np.ones(len(X))])
    proba = special.softmax(X @ coef.T + intercept, axis=1)
    hess = sum(
        np.kron(np.diag(p) - np.outer(p, p), np.outer(x, x))
        for p, x in zip(proba, X_aug, strict=True)
    ) / len(X)
    if not np.isinf(C):
        penalised = np.ones_like(X_aug[0])
        penalised[-1] = 0.0
        hess += np.diag(np.tile(penalised, len(intercept))) / (C * len(X))
    return hess


@pytest.mark.parametrize("C", PENALTIES)
def test_hessian_matches_the_reference_at_extreme_and_spread_scores(C):
    """Scores of +-1000 per sample (the shift must be per sample: one row's maximum does not
    fit another's) and a saturated sample whose Hessian is exactly zero."""
    X = np.array([[10.0], [-10.0], [0.5], [3.0]])
    coef = np.array([[100.0], [100.0], [-100.0]])
    intercept = np.array([0.0, 1.0, -2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hess = hessian(coef, intercept, X, C)
    np.testing.assert_allclose(hess, reference_hessian(coef, intercept, X, C), atol=1e-15)
    assert np.abs(hess).max() > 0.01  # not all saturated: the comparison means something


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
    expected = reference_objective(coef, intercept, X, y, np.inf)
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


# ------------------------------------------------------------------------------ errors


def _ok_problem():
    """Valid arguments of ``objective_gradient``: 4 samples, 2 features, 3 classes."""
    return np.zeros((3, 2)), np.zeros(3), np.ones((4, 2)), np.array([0, 1, 2, 0])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"coef": np.zeros(3)}, "coef must be 2-D, got shape (3,)"),
        ({"coef": "w"}, "coef must be an array of numbers, got str"),
        ({"intercept": np.zeros((3, 1))}, "intercept must be 1-D, got shape (3, 1)"),
        ({"intercept": [np.nan, 0, 0]}, "intercept must hold finite numbers (no NaN or infinity)"),
        ({"X": np.ones(4)}, "X must be 2-D, got shape (4,)"),
        ({"X": np.ones((0, 2))}, "X must not be empty, got shape (0, 2)"),
        (
            {"intercept": np.zeros(2)},
            "shapes do not fit: coef (3, 2), intercept (2,), X (4, 2); "
            "expected (n_classes, n_features), (n_classes,), (n_samples, n_features)",
        ),
        (
            {"X": np.ones((4, 3))},
            "shapes do not fit: coef (3, 2), intercept (3,), X (4, 3); "
            "expected (n_classes, n_features), (n_classes,), (n_samples, n_features)",
        ),
        ({"y": np.array([0, 1, 2])}, "y_encoded must have shape (4,), got (3,)"),
        ({"y": np.array([[0, 1, 2, 0]])}, "y_encoded must have shape (4,), got (1, 4)"),
        ({"y": np.array([0, 1, 3, 0])}, "y_encoded must hold integers from 0 to 2"),
        ({"y": np.array([0, -1, 2, 0])}, "y_encoded must hold integers from 0 to 2"),
        ({"y": np.array([0.0, 1.0, 2.0, 0.0])}, "y_encoded must hold integers from 0 to 2"),
        ({"C": 0.0}, "C must be in (0.0, inf], got 0.0"),
        ({"C": -1.0}, "C must be in (0.0, inf], got -1.0"),
        ({"C": "1"}, "C must be a real number, got '1'"),
    ],
)
def test_objective_gradient_errors_name_the_parameter(change, message):
    coef, intercept, X, y = _ok_problem()
    arguments = {"coef": coef, "intercept": intercept, "X": X, "y": y, "C": np.inf} | change
    with pytest.raises(ValueError, match=exact_message(message)):
        objective_gradient(**{("y_encoded" if k == "y" else k): v for k, v in arguments.items()})
    if "y" not in change:  # the Hessian takes the same parameters but the labels
        arguments.pop("y")
        with pytest.raises(ValueError, match=exact_message(message)):
            hessian(**arguments)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: softmax("abc"), "scores must be an array of numbers, got str"),
        (lambda: softmax([]), "scores must not be empty, got shape (0,)"),
        (
            lambda: log_softmax([[1.0, np.inf]]),
            "scores must hold finite numbers (no NaN or infinity)",
        ),
        (lambda: logsumexp({"a": 1}), "scores must be an array of numbers, got dict"),
        (lambda: cross_entropy(np.zeros(3), [0]), "scores must be 2-D, got shape (3,)"),
        (lambda: cross_entropy(np.zeros((2, 3)), [0]), "y_encoded must have shape (2,), got (1,)"),
        (
            lambda: cross_entropy(np.zeros((4, 3)), [0, 1, 2, 3]),
            "y_encoded must hold integers from 0 to 2",
        ),
        (lambda: one_hot([0, 1], 0), "n_classes must be >= 1, got 0"),
        (lambda: one_hot([0, 1], 2.0), "n_classes must be an integer, got 2.0"),
        (lambda: one_hot([[0, 1]], 2), "y_encoded must have shape (n,), got (1, 2)"),
        (lambda: one_hot([0, 2], 2), "y_encoded must hold integers from 0 to 1"),
    ],
)
def test_function_errors_name_the_parameter(call, message):
    with pytest.raises(ValueError, match=exact_message(message)):
        call()
