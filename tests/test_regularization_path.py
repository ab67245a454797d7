"""softmax_core.regularization_path: the optimum at each C of a grid, warm-started Newton.

Checked point by point against scikit-learn's ``LogisticRegression`` on the same objective
(for two classes its C is twice the model's), with tolerances that hold on any BLAS kernel:
both solvers stop far below them.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from properties import examples
from references import reference_gradient
from seed_reference import seed_data
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss

from softmax_core import (
    RegularizationPath,
    TrainingData,
    make_noisy_blobs,
    make_noisy_classes,
    regularization_path,
    symmetric_parameters,
)
from softmax_core.datasets import holdout_split
from softmax_core.regularization import DEFAULT_CS, MAX_PATH_POINTS

# Both fits stop far below this (measured: 1e-11 for Newton against Newton-Cholesky, 2e-8
# against L-BFGS at tol 1e-12 on the seed data).
COEF_RTOL = 1e-6


def sklearn_fit(X, y, C, solver):
    C_sklearn = 2 * C if np.unique(y).size == 2 else C
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # L-BFGS's line search warns at rounding level
        return LogisticRegression(C=C_sklearn, solver=solver, tol=1e-12, max_iter=100_000).fit(X, y)


def relative(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


@pytest.fixture(scope="module")
def seed_split():
    X, y = seed_data()
    y = y.ravel()
    train, held = holdout_split(y, 0.3, 0)
    return X[train], y[train], X[held], y[held]


@pytest.fixture(scope="module")
def seed_path(seed_split):
    X, y, X_held, y_held = seed_split
    return regularization_path((X, y), holdout=(X_held, y_held))


def test_the_seed_notes_data_is_the_cores():
    X, y = seed_data()
    X_core, y_core = make_noisy_classes()
    np.testing.assert_array_equal(X, X_core)
    np.testing.assert_array_equal(y.ravel(), y_core)


@pytest.mark.parametrize("solver", ["newton-cholesky", "lbfgs"])
def test_every_point_of_the_seed_path_is_scikit_learns_optimum(solver):
    X, y = make_noisy_classes()
    path = regularization_path((X, y))
    assert path.complete and path.converged.all()
    np.testing.assert_array_equal(path.Cs, DEFAULT_CS)
    for i, C in enumerate(path.Cs):
        sk = sklearn_fit(X, y, C, solver)
        coef, intercept = symmetric_parameters(sk)
        assert relative(path.coef[i], coef) < COEF_RTOL, C
        assert relative(path.intercept[i], intercept) < COEF_RTOL, C
        assert path.coef_norm[i] == pytest.approx(np.linalg.norm(coef), rel=COEF_RTOL)
        assert path.train_accuracy[i] == accuracy_score(y, sk.predict(X))
        assert path.train_log_loss[i] == pytest.approx(
            log_loss(y, sk.predict_proba(X)), rel=COEF_RTOL
        )


def test_the_held_out_figures_are_scikit_learns_on_the_held_out_points(seed_split, seed_path):
    X, y, X_held, y_held = seed_split
    assert seed_path.has_holdout
    for i, C in enumerate(seed_path.Cs):
        sk = sklearn_fit(X, y, C, "newton-cholesky")
        assert relative(seed_path.coef[i], symmetric_parameters(sk)[0]) < COEF_RTOL
        assert seed_path.train_accuracy[i] == accuracy_score(y, sk.predict(X))
        assert seed_path.holdout_accuracy[i] == accuracy_score(y_held, sk.predict(X_held))
        assert seed_path.holdout_log_loss[i] == pytest.approx(
            log_loss(y_held, sk.predict_proba(X_held), labels=[0, 1, 2]), rel=COEF_RTOL
        )


def test_two_classes_match_scikit_learns_single_vector_at_twice_the_c():
    X, y = make_noisy_blobs(120, 2, 0.2, random_state=3)
    path = regularization_path((X, y), [1e-3, 0.1, 10.0, 1e3])
    for i, C in enumerate(path.Cs):
        sk = sklearn_fit(X, y, C, "newton-cholesky")
        coef, intercept = symmetric_parameters(sk)
        assert relative(path.coef[i], coef) < COEF_RTOL
        assert relative(path.intercept[i], intercept) < COEF_RTOL
        assert path.coef_norm[i] == pytest.approx(np.linalg.norm(sk.coef_) / np.sqrt(2), rel=1e-6)
        assert path.train_accuracy[i] == accuracy_score(y, sk.predict(X))


def test_a_warm_start_takes_fewer_newton_iterations_than_cold_starts_and_lands_alike():
    X, y = make_noisy_classes()
    warm = regularization_path((X, y))
    cold = regularization_path((X, y), warm_start=False)
    assert warm.warm_start and not cold.warm_start
    assert cold.converged.all() and warm.converged.all()
    # Measured 57 against 113 on the seed data; the margin is wide, whatever the kernel.
    assert warm.n_iter.sum() < 0.75 * cold.n_iter.sum()
    for i in range(warm.n_points):
        assert relative(warm.coef[i], cold.coef[i]) < 1e-8


def test_norm_grows_and_training_fit_improves_with_c(seed_path):
    norms, losses = seed_path.coef_norm, seed_path.train_log_loss
    # Theorems for an L2 penalty on a convex loss; the slack is rounding only.
    assert np.all(np.diff(norms) >= -1e-9 * norms[1:])
    assert np.all(np.diff(losses) <= 1e-12)
    assert norms[0] < 0.1 * norms[-1]  # and it really does change along the grid


def test_the_grid_is_sorted_and_the_result_is_the_same():
    X, y = make_noisy_classes()
    shuffled = regularization_path((X, y), [10.0, 1e-3, 0.1])
    ordered = regularization_path((X, y), [1e-3, 0.1, 10.0])
    np.testing.assert_array_equal(shuffled.Cs, [1e-3, 0.1, 10.0])
    np.testing.assert_allclose(shuffled.coef, ordered.coef, rtol=0, atol=0)


def test_training_data_and_a_tuple_give_the_same_path():
    X, y = make_noisy_blobs(60, 3)
    a = regularization_path(TrainingData(X, y), [0.01, 1.0])
    b = regularization_path((X, y), [0.01, 1.0])
    np.testing.assert_array_equal(a.coef, b.coef)
    assert a.holdout_accuracy is None and a.holdout_log_loss is None


def test_a_weight_of_two_is_a_repeated_row():
    X, y = make_noisy_blobs(40, 3, random_state=1)
    weights = np.ones(40)
    weights[:10] = 2.0
    weighted = regularization_path(TrainingData(X, y, sample_weight=weights), [0.01, 1.0])
    X_repeated, y_repeated = np.vstack([X, X[:10]]), np.concatenate([y, y[:10]])
    repeated = regularization_path((X_repeated, y_repeated), [0.01, 1.0])
    np.testing.assert_allclose(weighted.coef, repeated.coef, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(weighted.train_log_loss, repeated.train_log_loss, rtol=1e-9)
    np.testing.assert_allclose(weighted.train_accuracy, repeated.train_accuracy, rtol=1e-12)


def test_the_work_budget_ends_the_path_at_the_last_finished_point():
    X, y = make_noisy_classes()
    whole = regularization_path((X, y))
    budget = int(whole.n_iter[:5].sum()) + 1  # the 5 first points, and one step of the 6th
    cut = regularization_path((X, y), max_total_iter=budget)
    assert not cut.complete and cut.n_points == 5
    np.testing.assert_array_equal(cut.Cs, whole.Cs[:5])
    np.testing.assert_array_equal(cut.coef, whole.coef[:5])
    assert cut.converged.all()
    with pytest.raises(ValueError, match="did not finish the first point"):
        regularization_path((X, y), max_total_iter=1)


def test_a_point_stopped_by_max_iter_is_kept_and_says_so():
    X, y = make_noisy_classes()
    path = regularization_path((X, y), [0.1, 1.0], max_iter=1)
    assert path.complete and path.n_points == 2
    assert not path.converged.any()
    np.testing.assert_array_equal(path.n_iter, [1, 1])


def small_data():
    @st.composite
    def build(draw):
        n_classes = draw(st.integers(2, 3))
        n_features = draw(st.integers(1, 2))
        n_samples = draw(st.integers(3 * n_classes, 30))
        seed = draw(st.integers(0, 2**32 - 1))
        rng = np.random.default_rng(seed)
        X = rng.normal(scale=draw(st.sampled_from([0.3, 1.0, 3.0])), size=(n_samples, n_features))
        y = np.concatenate(
            [np.arange(n_classes), rng.integers(0, n_classes, n_samples - n_classes)]
        )
        Cs = draw(st.lists(st.sampled_from(list(DEFAULT_CS)), min_size=2, max_size=6, unique=True))
        return X, y, Cs

    return build()


@hsettings(max_examples=examples(25), deadline=None)
@given(small_data())
def test_any_small_data_set_has_an_optimal_monotone_path(case):
    X, y, Cs = case
    path = regularization_path((X, y), Cs)
    assert path.complete and path.converged.all()
    assert np.all(np.diff(path.Cs) > 0)
    norms = path.coef_norm
    assert np.all(np.diff(norms) >= -1e-7 * norms[1:])
    assert np.all(np.diff(path.train_log_loss) <= 1e-10)
    # Each point is an optimum: the gradient of the objective, from its formula, vanishes.
    for i, C in enumerate(path.Cs):
        theta = np.column_stack([path.coef[i], path.intercept[i]])
        grad = reference_gradient(theta, X, y)
        grad[:, :-1] += path.coef[i] / (C * X.shape[0])
        assert np.max(np.abs(grad)) < 1e-7


BAD_CS = {
    "zero": ([0.0, 1.0], "positive"),
    "negative": ([-1.0, 1.0], "positive"),
    "nan": ([np.nan, 1.0], "finite"),
    "inf": ([1.0, np.inf], "beyond its right end"),
    "empty": ([], "non-empty"),
    "2-d": ([[1.0, 2.0]], "1-D"),
    "too many": (np.logspace(-4, 4, MAX_PATH_POINTS + 1), "at most 41"),
    "duplicates": ([1.0, 0.1, 1.0], "distinct"),
    "text": (["a", "b"], "positive numbers"),
}


@pytest.mark.parametrize(("Cs", "message"), BAD_CS.values(), ids=BAD_CS.keys())
def test_a_bad_grid_is_refused_with_a_reason(Cs, message):
    X, y = make_noisy_classes()
    with pytest.raises(ValueError, match=message):
        regularization_path((X, y), Cs)


def test_bad_data_and_held_out_points_are_refused():
    X, y = make_noisy_classes()
    with pytest.raises(ValueError, match="TrainingData or a tuple"):
        regularization_path(X, [1.0])
    with pytest.raises(ValueError, match="2 features; the training data have 1"):
        regularization_path((X, y), [1.0], holdout=(np.ones((3, 2)), [0, 1, 2]))
    with pytest.raises(ValueError, match="not in classes_"):
        regularization_path((X, y), [1.0], holdout=(np.ones((2, 1)), [0, 7]))
    with pytest.raises(ValueError, match="holdout X must not be empty"):
        regularization_path((X, y), [1.0], holdout=(np.ones((0, 1)), []))
    with pytest.raises(ValueError, match="shape"):
        regularization_path((X, y), [1.0], holdout=(np.ones((2, 1)), [0]))
    with pytest.raises(ValueError, match="tuple"):
        regularization_path((X, y), [1.0], holdout=X)
    with pytest.raises(ValueError, match="tol"):
        regularization_path((X, y), [1.0], tol=-1.0)
    with pytest.raises(ValueError, match="max_iter"):
        regularization_path((X, y), [1.0], max_iter=0)
    with pytest.raises(ValueError, match="warm_start"):
        regularization_path((X, y), [1.0], warm_start="yes")


def test_the_path_is_a_frozen_record():
    X, y = make_noisy_classes()
    path = regularization_path((X, y), [1.0])
    assert isinstance(path, RegularizationPath)
    with pytest.raises(AttributeError):
        path.complete = False
