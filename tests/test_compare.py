"""Tests of ``softmax_core.compare``: ``probability_gap`` on hand-computed tables and its
errors, ``fit_sklearn`` and ``symmetric_parameters``, and the parity of a converged
``SoftmaxRegression`` with scikit-learn's ``LogisticRegression`` when both minimise the same
objective (seed data, iris, wine, two-class problems).
"""

import functools
import re
import warnings

import numpy as np
import pytest
import scipy.special
from sklearn.datasets import load_iris, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from softmax_core import (
    ProbabilityGap,
    SoftmaxRegression,
    fit_sklearn,
    make_noisy_blobs,
    make_noisy_classes,
    objective_gradient,
    probability_gap,
    symmetric_parameters,
)

# -------------------------------------------------------------------- probability_gap


def test_identical_tables_have_no_gap():
    p = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.1, 0.8, 0.1]])
    assert probability_gap(p, p.copy()) == ProbabilityGap(0.0, 0.0, 1.0)


def test_gap_of_a_hand_computed_example():
    p = np.array([[0.6, 0.4], [1.0, 0.0]])
    q = np.array([[0.3, 0.7], [0.9, 0.1]])
    gap = probability_gap(p, q)
    kl_rows = [0.6 * np.log(0.6 / 0.3) + 0.4 * np.log(0.4 / 0.7), np.log(1.0 / 0.9)]
    assert gap.max_abs_diff == pytest.approx(0.3, abs=1e-15)
    assert gap.mean_kl == pytest.approx(np.mean(kl_rows), rel=1e-14)
    assert gap.agreement == 0.5  # row 0: class 0 vs class 1; row 1: class 0 for both


def test_zeros_in_p_count_as_zero_log_zero():
    p = np.array([[0.0, 1.0]])
    q = np.array([[0.5, 0.5]])
    assert probability_gap(p, q).mean_kl == pytest.approx(np.log(2), rel=1e-15)


def test_zeros_in_q_give_a_large_but_finite_kl():
    p = np.array([[0.5, 0.5]])
    q = np.array([[1.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero RuntimeWarning either
        gap = probability_gap(p, q)
    assert np.isfinite(gap.mean_kl)
    assert gap.mean_kl > 300  # log(0.5 / tiny) / 2 is about 354
    assert gap.max_abs_diff == 0.5


def test_kl_is_not_symmetric_but_max_diff_is():
    p = np.array([[0.9, 0.1], [0.5, 0.5]])
    q = np.array([[0.6, 0.4], [0.2, 0.8]])
    forward, backward = probability_gap(p, q), probability_gap(q, p)
    assert forward.max_abs_diff == backward.max_abs_diff
    assert forward.mean_kl > 0 and backward.mean_kl > 0
    assert forward.mean_kl != pytest.approx(backward.mean_kl)


@pytest.mark.parametrize(
    ("p", "q", "message"),
    [
        (np.full((2, 3), 1 / 3), np.full((3, 3), 1 / 3), "must be non-empty tables of one shape"),
        (np.full((2, 3), 1 / 3), np.full((2, 2), 1 / 2), "must be non-empty tables of one shape"),
        (np.full(3, 1 / 3), np.full(3, 1 / 3), "must be non-empty tables of one shape"),
        (np.empty((0, 3)), np.empty((0, 3)), "must be non-empty tables of one shape"),
        ([[np.nan, 1.0]], [[0.5, 0.5]], "p must hold finite, non-negative probabilities"),
        ([[0.5, 0.5]], [[np.inf, 0.5]], "q must hold finite, non-negative probabilities"),
        ([[1.5, -0.5]], [[0.5, 0.5]], "p must hold finite, non-negative probabilities"),
        ([[0.5, 0.5]], [[-0.1, 1.1]], "q must hold finite, non-negative probabilities"),
        ([[0.5, 0.6]], [[0.5, 0.5]], "the rows of p must sum to 1"),
        ([[0.5, 0.5]], [[0.2, 0.2]], "the rows of q must sum to 1"),
    ],
)
def test_probability_gap_rejects_bad_tables(p, q, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        probability_gap(p, q)


@pytest.mark.parametrize("where", ["p", "q"])
def test_probability_gap_reads_missing_entries_as_not_finite(where):
    """``None`` in a table is NaN (a ValueError naming the table), not a TypeError."""
    tables = {"p": [[0.5, 0.5]], "q": [[0.5, 0.5]]} | {where: [[None, 1.0]]}
    message = f"{where} must hold finite, non-negative probabilities"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        probability_gap(tables["p"], tables["q"])


def test_probability_gap_tolerates_rounding_in_the_row_sums():
    """Rows summing to 1 within 1e-6 + 1e-5 (``np.allclose`` with ``atol=1e-6``) are
    probabilities, as float32 tables rounded to a few digits are; further off they are not."""
    p = np.array([[0.5, 0.5 + 1.05e-5]])
    q = np.array([[0.5, 0.5]])
    assert probability_gap(p, q).max_abs_diff == pytest.approx(1.05e-5, rel=1e-9)
    with pytest.raises(ValueError, match="the rows of p must sum to 1"):
        probability_gap(np.array([[0.5, 0.5 + 1.2e-5]]), q)


# -------------------------------------------------------- fit_sklearn, symmetric_parameters


def test_fit_sklearn_default_is_logistic_regression_with_c_1():
    X, y = make_noisy_classes()
    model = fit_sklearn(X, y)
    assert isinstance(model, LogisticRegression)
    assert model.C == 1.0
    reference = LogisticRegression().fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-12)


@pytest.mark.parametrize(("n_classes", "factor"), [(2, 2.0), (3, 1.0), (4, 1.0)])
def test_same_objective_doubles_c_only_for_two_classes(n_classes, factor):
    X, y = make_noisy_classes(n_classes=n_classes)
    model = fit_sklearn(X, y, C=123.0, same_objective_as=0.5)  # C is then ignored
    sklearn_c = model.get_params()["C"]
    assert sklearn_c == 0.5 * factor
    assert model.tol <= 1e-12


def test_same_objective_with_no_penalty_keeps_c_infinite():
    X, y = make_noisy_classes(n_classes=2)
    model = fit_sklearn(X, y, same_objective_as=np.inf)
    assert np.isinf(model.get_params()["C"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"C": 0.0}, "C must be in (0.0, inf], got 0.0"),
        ({"C": "1"}, "C must be a real number, got '1'"),
        ({"same_objective_as": -1.0}, "same_objective_as must be in (0.0, inf], got -1.0"),
        ({"same_objective_as": np.nan}, "same_objective_as must be a number, got nan"),
    ],
)
def test_fit_sklearn_rejects_bad_penalties(kwargs, message):
    X, y = make_noisy_classes()
    with pytest.raises(ValueError, match=re.escape(message)):
        fit_sklearn(X, y, **kwargs)


def test_fit_sklearn_passes_c_through():
    X, y = make_noisy_classes()
    assert fit_sklearn(X, y, C=0.25).get_params()["C"] == 0.25


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, 100),  # scikit-learn's own default
        ({"same_objective_as": 1.0}, 10_000),
        ({"max_iter": 3}, 3),
        ({"max_iter": 7, "same_objective_as": 1.0}, 7),
        ({"max_iter": 1}, 1),
    ],
)
def test_fit_sklearn_max_iter(kwargs, expected):
    X, y = make_noisy_classes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a budget of 1 to 7 iterations does not converge
        model = fit_sklearn(X, y, **kwargs)
    assert model.get_params()["max_iter"] == expected
    assert model.n_iter_[0] <= expected


@pytest.mark.parametrize(
    ("max_iter", "message"),
    [
        (0, "max_iter must be >= 1, got 0"),
        (2.5, "max_iter must be an integer, got 2.5"),
        (True, "max_iter must be an integer, got True"),
    ],
)
def test_fit_sklearn_rejects_bad_max_iter(max_iter, message):
    X, y = make_noisy_classes()
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        fit_sklearn(X, y, max_iter=max_iter)


def test_symmetric_parameters_give_the_same_probabilities():
    for n_classes in (2, 4):
        X, y = make_noisy_blobs(n_classes=n_classes)
        model = fit_sklearn(X, y)
        coef, intercept = symmetric_parameters(model)
        assert coef.shape == (n_classes, 2) and intercept.shape == (n_classes,)
        scores = X @ coef.T + intercept
        proba = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        np.testing.assert_allclose(proba, model.predict_proba(X), rtol=1e-12, atol=1e-15)


def test_symmetric_parameters_split_the_binary_vector_in_halves():
    X, y = make_noisy_blobs(n_classes=2)
    model = fit_sklearn(X, y)
    coef, intercept = symmetric_parameters(model)
    np.testing.assert_array_equal(coef, [-model.coef_[0] / 2, model.coef_[0] / 2])
    np.testing.assert_array_equal(intercept, [-model.intercept_[0] / 2, model.intercept_[0] / 2])
    coef[:] = 0.0  # a copy, not a view of the model
    assert np.any(model.coef_ != 0)


# ------------------------------------------------------------- parity with scikit-learn


def _scaled(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _problem(name):
    if name == "seed":
        return (*make_noisy_classes(), np.inf)
    if name == "seed-2-classes":
        return (*make_noisy_classes(n_classes=2), np.inf)
    if name == "blobs-5-classes":
        return (*make_noisy_blobs(n_classes=5), 1.0)
    if name == "iris":
        return (*_scaled(load_iris), 1.0)
    if name == "wine":
        return (*_scaled(load_wine), 1.0)
    X, y = _scaled(load_iris)  # "iris-1-vs-2": the two overlapping species
    return X[y > 0], y[y > 0], 1.0


PROBLEMS = ["seed", "seed-2-classes", "blobs-5-classes", "iris", "wine", "iris-1-vs-2"]


@functools.cache
def _fitted(name):
    """The problem and both models fitted to it in same-objective mode, once per problem
    (the tests only read them): ``(X, y, C, ours, theirs)``."""
    X, y, C = _problem(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither may stop short of its optimum
        ours = SoftmaxRegression(solver="nesterov", tol=1e-15, max_iter=100_000, C=C).fit(X, y)
        theirs = fit_sklearn(X, y, same_objective_as=C)
    return X, y, C, ours, theirs


@pytest.mark.parametrize("name", PROBLEMS)
def test_converged_model_matches_sklearn_probabilities(name):
    X, _, _, ours, theirs = _fitted(name)
    assert ours.converged_
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    gap = probability_gap(ours.predict_proba(X), theirs.predict_proba(X))
    assert gap.max_abs_diff < 1e-6
    assert gap.mean_kl < 1e-12
    assert gap.agreement == 1.0


@pytest.mark.parametrize("name", PROBLEMS)
def test_converged_model_matches_sklearn_parameters_and_objective(name):
    X, y, C, ours, theirs = _fitted(name)
    coef, intercept = symmetric_parameters(theirs)
    np.testing.assert_allclose(ours.coef_, coef, rtol=0, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, intercept, rtol=0, atol=1e-5)
    y_encoded = np.searchsorted(ours.classes_, y)
    their_objective = objective_gradient(coef, intercept, X, y_encoded, C)[0]
    assert ours.objective(X, y) == pytest.approx(their_objective, abs=1e-10)


@pytest.mark.parametrize("name", ["seed-2-classes", "iris-1-vs-2"])
def test_two_classes_sklearn_vector_is_the_difference_of_our_rows(name):
    """For two classes scikit-learn's single vector is ``w_1 - w_0``; ``fit_sklearn`` doubles
    ``C`` so that its penalty equals ours on the two symmetric rows."""
    X, _, C, ours, theirs = _fitted(name)
    assert theirs.coef_.shape == (1, X.shape[1])
    assert theirs.get_params()["C"] == 2 * C
    np.testing.assert_allclose(theirs.coef_[0], ours.coef_[1] - ours.coef_[0], atol=1e-5)
    np.testing.assert_allclose(
        theirs.intercept_[0], ours.intercept_[1] - ours.intercept_[0], atol=1e-5
    )


def test_two_classes_without_c_doubling_the_optimum_differs():
    X, y, C, ours, _ = _fitted("iris-1-vs-2")
    undoubled = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y)
    assert np.abs(undoubled.coef_[0] - (ours.coef_[1] - ours.coef_[0])).max() > 1e-2


def test_default_sklearn_differs_visibly_from_the_unpenalised_seed_optimum():
    """``LogisticRegression()`` has ``C=1.0``: on the seed data its probabilities are a couple
    of percentage points away from the unpenalised optimum that gradient descent targets."""
    X, y, _, ours, _ = _fitted("seed")
    default = fit_sklearn(X, y)
    gap = probability_gap(ours.predict_proba(X), default.predict_proba(X))
    assert gap.max_abs_diff > 0.01  # measured: about 0.022
    assert np.linalg.norm(default.coef_) < np.linalg.norm(ours.coef_)


def test_the_kl_divergence_of_nearly_equal_tables_is_never_negative():
    """Newton lands within 1e-10 of scikit-learn on the seed data: rows summing to 1 only up
    to rounding gave a mean KL of -1.2e-17, which the Compare page printed."""
    X, y = make_noisy_classes()
    model = SoftmaxRegression(solver="newton").fit(X, y)
    reference = fit_sklearn(X, y, same_objective_as=model.C)
    p, q = model.predict_proba(X), reference.predict_proba(X)
    assert probability_gap(p, q).mean_kl >= 0.0
    # Against scipy's relative entropy, which sums the same terms.
    expected = np.mean(np.maximum(scipy.special.rel_entr(p, q).sum(axis=1), 0.0))
    assert probability_gap(p, q).mean_kl == pytest.approx(expected, abs=1e-16)
