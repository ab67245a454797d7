"""Tests of ``SoftmaxRegression``: the seed note's run reproduced exactly, the training loop's
bookkeeping (``partial_fit``, ``warm_start``, ``snapshot``/``restore``), convergence and
divergence, label handling, the scikit-learn API (``Pipeline``, ``clone``, ``GridSearchCV``)
and every parameter or data error.

The comparison of converged models with scikit-learn's ``LogisticRegression`` is in
``test_compare.py``; the generic estimator checks are in ``test_estimator_checks.py``.
"""

import contextlib
import re
import warnings

import numpy as np
import pytest
from seed_reference import MySoftmaxRegression, seed_data
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from softmax_core import (
    DivergenceWarning,
    SoftmaxRegression,
    TrainingData,
    lipschitz_constant,
    make_noisy_blobs,
    make_noisy_classes,
    stable_learning_rate_limit,
)


@pytest.fixture
def seed_xy():
    """The seed note's data set: 100 points on [0, 10], 3 noisy classes."""
    return make_noisy_classes()


@pytest.fixture
def blobs_xy():
    """A small, well-conditioned 2-D problem on which gradient descent converges quickly."""
    return make_noisy_blobs(n_samples=120, n_classes=3, random_state=3)


@pytest.fixture(scope="module")
def seed_run():
    """The seed note's run, ours and the seed's own: lr 0.5, 1000 iterations."""
    X, y = make_noisy_classes()
    with pytest.warns(ConvergenceWarning, match="did not converge in max_iter=1000"):
        ours = SoftmaxRegression(learning_rate=0.5, max_iter=1000, tol=1e-6).fit(X, y)
    X_seed, y_seed = seed_data()
    theirs = MySoftmaxRegression(learning_rate=0.5, max_iter=1000)
    theirs.fit(X_seed, y_seed)
    return ours, theirs


def fit_to_max_iter(model, X, y):
    """Fit a model whose ``max_iter`` is meant to run out, checking that it warns so."""
    with pytest.warns(ConvergenceWarning):
        return model.fit(X, y)


@contextlib.contextmanager
def no_warnings():
    """A context in which any warning is an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ------------------------------------------------------------------- the seed's run


def test_seed_run_gives_the_seed_parameters(seed_run):
    ours, theirs = seed_run
    assert theirs.W.shape == (1, 3) and theirs.b.shape == (1, 3)
    np.testing.assert_allclose(ours.coef_, theirs.W.T, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.intercept_, theirs.b.ravel(), rtol=0, atol=1e-10)


def test_seed_run_is_reproduced_bit_for_bit(seed_run):
    """The module docstring of ``functions`` promises more than 1e-10: in the seed's summation
    order, the chaotic run is reproduced exactly."""
    ours, theirs = seed_run
    np.testing.assert_array_equal(ours.coef_, theirs.W.T)
    np.testing.assert_array_equal(ours.intercept_, theirs.b.ravel())


def test_seed_run_loss_curve_matches_the_seed_losses(seed_run):
    ours, theirs = seed_run
    assert not hasattr(theirs, "converged_at")  # the seed never converges either
    assert ours.n_iter_ == len(theirs.losses) == 1000
    # The seed adds 1e-15 inside its log; that is all that separates the curves.
    np.testing.assert_allclose(ours.loss_curve_, theirs.losses, rtol=0, atol=1e-5)
    assert ours.loss_curve_[0] == pytest.approx(np.log(3), abs=1e-15)


def test_seed_run_never_settles(seed_run):
    ours, _ = seed_run
    assert not ours.converged_ and not ours.diverged_
    last = np.array(ours.loss_curve_[-100:])
    # Measured: the loss swings between about 0.82 and 1.14 (amplitude ~0.32) to the end.
    assert last.max() - last.min() > 0.1
    assert np.max(np.abs(np.diff(last))) > 0.1
    # Its learning rate is more than four times the stable limit 2/L.
    assert ours.learning_rate_ == 0.5
    assert ours.learning_rate_ / ours.learning_rate_limit_ > 4


# ---------------------------------------------------------------------- bookkeeping


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_iter": 7, "tol": 0.0},
        {"max_iter": 7, "tol": 0.0, "solver": "nesterov"},
        {"learning_rate": 0.5, "max_iter": 50},
    ],
)
def test_loss_curve_has_one_entry_per_step_when_max_iter_runs_out(seed_xy, kwargs):
    model = fit_to_max_iter(SoftmaxRegression(**kwargs), *seed_xy)
    assert len(model.loss_curve_) == model.n_iter_ == kwargs["max_iter"]


def test_loss_curve_has_one_entry_per_step_when_converged(blobs_xy):
    with no_warnings():
        model = SoftmaxRegression(tol=1e-4).fit(*blobs_xy)
    assert model.converged_
    assert 1 < model.n_iter_ < 1000
    assert len(model.loss_curve_) == model.n_iter_


def test_loss_curve_has_one_entry_per_step_when_diverged(seed_xy):
    with pytest.warns(DivergenceWarning):
        model = SoftmaxRegression(learning_rate=1e6).fit(*seed_xy)
    assert len(model.loss_curve_) == model.n_iter_ == 1


def test_partial_fit_does_exactly_one_iteration(seed_xy):
    model = SoftmaxRegression()
    model.partial_fit(*seed_xy)
    assert model.n_iter_ == 1
    assert model.loss_curve_ == [pytest.approx(np.log(3), abs=1e-15)]
    coef_before = model.coef_.copy()
    model.partial_fit(*seed_xy)
    assert model.n_iter_ == 2 and len(model.loss_curve_) == 2
    assert np.all(model.coef_ != coef_before)


@pytest.mark.parametrize("solver", ["gd", "nesterov"])
def test_k_partial_fits_equal_fit_with_max_iter_k(seed_xy, solver):
    k = 25
    stepped = SoftmaxRegression(solver=solver)
    for _ in range(k):
        stepped.partial_fit(*seed_xy)
    fitted = fit_to_max_iter(SoftmaxRegression(solver=solver, max_iter=k, tol=0.0), *seed_xy)
    np.testing.assert_allclose(stepped.coef_, fitted.coef_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(stepped.intercept_, fitted.intercept_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(stepped.loss_curve_, fitted.loss_curve_, rtol=0, atol=1e-12)


@pytest.mark.parametrize("solver", ["gd", "nesterov"])
def test_advance_n_steps_equals_n_partial_fits(seed_xy, solver):
    stepped = SoftmaxRegression(solver=solver)
    for _ in range(12):
        stepped.partial_fit(*seed_xy)
    advanced = SoftmaxRegression(solver=solver).advance(*seed_xy, n_steps=5)
    advanced.advance(*seed_xy, n_steps=7)
    assert advanced.n_iter_ == len(advanced.loss_curve_) == 12
    np.testing.assert_array_equal(advanced.coef_, stepped.coef_)
    np.testing.assert_array_equal(advanced.intercept_, stepped.intercept_)
    assert advanced.loss_curve_ == stepped.loss_curve_


def test_advance_zero_steps_sets_up_a_model_at_iteration_zero(seed_xy):
    model = SoftmaxRegression().advance(*seed_xy, n_steps=0, classes=[0, 1, 2, 3])
    assert model.n_iter_ == 0 and model.loss_curve_ == []
    np.testing.assert_array_equal(model.coef_, np.zeros((4, 1)))
    np.testing.assert_allclose(model.predict_proba(seed_xy[0]), 0.25, rtol=1e-15)
    assert model.objective(*seed_xy) == pytest.approx(np.log(4), abs=1e-15)


def test_advance_stops_at_divergence(seed_xy):
    model = SoftmaxRegression(learning_rate=1e6)
    with pytest.warns(DivergenceWarning):
        model.advance(*seed_xy, n_steps=50)
    assert model.diverged_ and model.n_iter_ == 1


@pytest.mark.parametrize(
    ("n_steps", "message"),
    [(-1, "n_steps must be >= 0, got -1"), (2.0, "n_steps must be an integer, got 2.0")],
)
def test_advance_rejects_bad_step_counts(seed_xy, n_steps, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        SoftmaxRegression().advance(*seed_xy, n_steps=n_steps)


def test_partial_fit_keeps_stepping_after_the_tolerance_is_met(blobs_xy):
    model = SoftmaxRegression(tol=10.0)  # every change counts as converged
    model.partial_fit(*blobs_xy)
    model.partial_fit(*blobs_xy)
    assert model.converged_
    coef_before = model.coef_.copy()
    model.partial_fit(*blobs_xy)
    assert model.n_iter_ == 3
    assert not np.array_equal(model.coef_, coef_before)


def test_partial_fit_with_a_class_absent_from_y(seed_xy):
    model = SoftmaxRegression()
    for _ in range(20):
        model.partial_fit(*seed_xy, classes=[0, 1, 2, 3])
    np.testing.assert_array_equal(model.classes_, [0, 1, 2, 3])
    proba = model.predict_proba(seed_xy[0])
    assert proba.shape == (100, 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    # The absent class starts at 1/4 and only loses probability.
    assert np.all(proba[:, 3] < 0.25)
    assert model.loss_curve_[0] == pytest.approx(np.log(4), abs=1e-15)


def test_parameters_stay_centred_over_classes(seed_xy):
    """Starting from zero, each step's gradient sums to zero over classes (without penalty
    or with one), so the rows of ``coef_`` and ``intercept_`` always sum to zero."""
    for C in (np.inf, 1.0):
        model = fit_to_max_iter(SoftmaxRegression(C=C, max_iter=50, tol=0.0), *seed_xy)
        np.testing.assert_allclose(model.coef_.sum(axis=0), 0.0, atol=1e-12)
        np.testing.assert_allclose(model.intercept_.sum(), 0.0, atol=1e-12)


def test_objective_equals_the_next_loss_curve_entry(seed_xy):
    for C in (np.inf, 1.0):
        model = SoftmaxRegression(C=C).partial_fit(*seed_xy)
        objective = model.objective(*seed_xy)
        model.partial_fit(*seed_xy)
        assert model.loss_curve_[-1] == pytest.approx(objective, rel=1e-14)


def test_objective_at_zero_parameters_is_log_k(seed_xy):
    model = SoftmaxRegression(C=1.0).partial_fit(*seed_xy)
    model.coef_[:] = 0.0
    model.intercept_[:] = 0.0
    assert model.objective(*seed_xy) == pytest.approx(np.log(3), abs=1e-15)


def test_learning_rate_auto_is_one_over_l(seed_xy):
    X, y = seed_xy
    model = SoftmaxRegression().partial_fit(X, y)
    assert model.learning_rate_ == pytest.approx(1 / lipschitz_constant(X), rel=1e-15)
    assert model.learning_rate_limit_ == pytest.approx(stable_learning_rate_limit(X), rel=1e-15)
    # The model says what L is, so that no page derives it from the limit.
    assert model.lipschitz_ == pytest.approx(lipschitz_constant(X), rel=1e-15)
    assert SoftmaxRegression(C=0.5).partial_fit(X, y).lipschitz_ == pytest.approx(
        lipschitz_constant(X, C=0.5), rel=1e-15
    )


# ------------------------------------------------------------------------- labels


def test_string_labels_train_like_their_integer_codes(seed_xy):
    X, y = seed_xy
    names = np.array(["a_low", "b_mid", "c_high"])  # sorted as 0, 1, 2
    by_name = fit_to_max_iter(SoftmaxRegression(max_iter=40, tol=0.0), X, names[y])
    by_code = fit_to_max_iter(SoftmaxRegression(max_iter=40, tol=0.0), X, y)
    np.testing.assert_array_equal(by_name.classes_, names)
    np.testing.assert_array_equal(by_name.coef_, by_code.coef_)
    np.testing.assert_array_equal(by_name.predict(X), names[by_code.predict(X)])
    assert by_name.objective(X, names[y]) == by_code.objective(X, y)


def test_non_contiguous_integer_labels(seed_xy):
    X, y = seed_xy
    values = np.array([10, 20, 50])
    sparse = fit_to_max_iter(SoftmaxRegression(max_iter=40, tol=0.0), X, values[y])
    dense = fit_to_max_iter(SoftmaxRegression(max_iter=40, tol=0.0), X, y)
    np.testing.assert_array_equal(sparse.classes_, values)
    np.testing.assert_array_equal(sparse.coef_, dense.coef_)
    assert set(sparse.predict(X)) <= set(values.tolist())
    np.testing.assert_array_equal(sparse.predict(X), values[dense.predict(X)])


def test_predict_is_the_most_probable_class(blobs_xy):
    X, y = blobs_xy
    model = SoftmaxRegression(tol=1e-4).fit(X, y)
    scores = model.class_scores(X)
    assert scores.shape == (120, 3)
    np.testing.assert_allclose(scores, X @ model.coef_.T + model.intercept_, rtol=1e-15)
    proba = model.predict_proba(X)
    naive = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(proba, naive, rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])
    assert model.score(X, y) > 0.7


# ------------------------------------------------------------------ warm start


def test_warm_start_continues_from_the_current_parameters(seed_xy):
    model = SoftmaxRegression(max_iter=30, tol=0.0, warm_start=True)
    fit_to_max_iter(model, *seed_xy)
    fit_to_max_iter(model.set_params(max_iter=20), *seed_xy)
    assert model.n_iter_ == len(model.loss_curve_) == 50
    straight = fit_to_max_iter(SoftmaxRegression(max_iter=50, tol=0.0), *seed_xy)
    np.testing.assert_allclose(model.coef_, straight.coef_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(model.loss_curve_, straight.loss_curve_, rtol=0, atol=1e-12)


def test_without_warm_start_fit_starts_over(seed_xy):
    model = SoftmaxRegression(max_iter=30, tol=0.0)
    first = fit_to_max_iter(model, *seed_xy).coef_.copy()
    fit_to_max_iter(model, *seed_xy)
    assert model.n_iter_ == 30
    np.testing.assert_array_equal(model.coef_, first)


def test_warm_start_after_convergence_takes_no_step(blobs_xy):
    model = SoftmaxRegression(tol=1e-5, warm_start=True).fit(*blobs_xy)
    n_iter, coef = model.n_iter_, model.coef_.copy()
    with no_warnings():
        model.fit(*blobs_xy)
    assert model.converged_ and model.n_iter_ == n_iter
    np.testing.assert_array_equal(model.coef_, coef)


# ------------------------------------------------------------ convergence


def test_stable_learning_rate_converges_without_warning(seed_xy):
    with no_warnings():
        model = SoftmaxRegression(learning_rate="auto", tol=1e-8, max_iter=50_000).fit(*seed_xy)
    assert model.converged_ and not model.diverged_
    assert model.n_iter_ < 50_000
    assert np.abs(model.grad_coef_).max() < 1e-3


@pytest.mark.parametrize("fraction_of_limit", [0.25, 0.5, 0.95, 1.0])
@pytest.mark.parametrize("data", ["seed", "blobs"])
def test_loss_never_increases_for_gd_below_the_stable_limit(
    seed_xy, blobs_xy, fraction_of_limit, data
):
    """Plain gradient descent with ``lr <= 2 / L`` is a descent method."""
    X, y = seed_xy if data == "seed" else blobs_xy
    learning_rate = fraction_of_limit * stable_learning_rate_limit(X)
    model = fit_to_max_iter(
        SoftmaxRegression(learning_rate=learning_rate, max_iter=300, tol=0), X, y
    )
    assert np.all(np.diff(model.loss_curve_) <= 0)


def test_nesterov_reaches_the_same_optimum_as_gd(blobs_xy):
    with no_warnings():
        gd = SoftmaxRegression(C=1.0, tol=1e-15, max_iter=20_000).fit(*blobs_xy)
        nesterov = SoftmaxRegression(C=1.0, tol=1e-15, solver="nesterov").fit(*blobs_xy)
    assert gd.converged_ and nesterov.converged_
    assert nesterov.n_iter_ < gd.n_iter_ / 3
    np.testing.assert_allclose(nesterov.coef_, gd.coef_, rtol=0, atol=1e-5)
    np.testing.assert_allclose(nesterov.intercept_, gd.intercept_, rtol=0, atol=1e-5)
    assert nesterov.objective(*blobs_xy) == pytest.approx(gd.objective(*blobs_xy), abs=1e-10)


def test_penalty_changes_the_solution(seed_xy):
    with no_warnings():
        free = SoftmaxRegression(solver="nesterov", tol=1e-12, max_iter=20_000).fit(*seed_xy)
        penalised = SoftmaxRegression(solver="nesterov", tol=1e-12, C=1.0).fit(*seed_xy)
    assert np.linalg.norm(penalised.coef_) < np.linalg.norm(free.coef_) - 1e-2
    assert np.abs(penalised.predict_proba(seed_xy[0]) - free.predict_proba(seed_xy[0])).max() > 1e-3


def test_fit_intercept_false_keeps_the_intercept_at_zero(seed_xy):
    X, y = seed_xy
    model = fit_to_max_iter(SoftmaxRegression(fit_intercept=False, max_iter=50, tol=0.0), X, y)
    model.partial_fit(X, y)
    np.testing.assert_array_equal(model.intercept_, np.zeros(3))
    np.testing.assert_array_equal(model.grad_intercept_, np.zeros(3))
    assert np.any(model.coef_ != 0)
    expected_limit = stable_learning_rate_limit(X, fit_intercept=False)
    assert model.learning_rate_limit_ == pytest.approx(expected_limit, rel=1e-15)


# ------------------------------------------------------------------ divergence


def test_huge_learning_rate_diverges_with_finite_probabilities(seed_xy):
    X, y = seed_xy
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = SoftmaxRegression(learning_rate=1e6).fit(X, y)
    assert [w.category for w in caught] == [DivergenceWarning]
    assert "diverged" in str(caught[0].message)
    assert issubclass(DivergenceWarning, ConvergenceWarning)
    assert model.diverged_ and not model.converged_
    assert np.all(np.isfinite(model.coef_)) and np.all(np.isfinite(model.intercept_))
    grid = np.linspace(-100, 100, 401).reshape(-1, 1)
    proba = model.predict_proba(grid)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)


def test_partial_fit_after_divergence_warns_and_changes_nothing(seed_xy):
    with pytest.warns(DivergenceWarning):
        model = SoftmaxRegression(learning_rate=1e6).fit(*seed_xy)
    state = (model.coef_.copy(), model.intercept_.copy(), model.n_iter_, list(model.loss_curve_))
    with pytest.warns(DivergenceWarning, match="diverged earlier"):
        model.partial_fit(*seed_xy)
    np.testing.assert_array_equal(model.coef_, state[0])
    np.testing.assert_array_equal(model.intercept_, state[1])
    assert model.n_iter_ == state[2] and model.loss_curve_ == state[3]
    assert model.diverged_


def test_a_new_fit_after_divergence_starts_over(seed_xy):
    with pytest.warns(DivergenceWarning):
        model = SoftmaxRegression(learning_rate=1e6).fit(*seed_xy)
    fit_to_max_iter(model.set_params(learning_rate="auto", max_iter=10), *seed_xy)
    assert not model.diverged_
    assert model.n_iter_ == 10
    assert model.loss_curve_[0] == pytest.approx(np.log(3), abs=1e-15)


def test_divergence_at_the_largest_accepted_learning_rate_keeps_probabilities_finite(seed_xy):
    X, y = seed_xy
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = SoftmaxRegression(learning_rate=1e308).fit(X, y)
        proba = model.predict_proba(X)
    assert model.diverged_
    assert np.all(np.isfinite(proba))
    assert [w.category for w in caught] == [DivergenceWarning]


# ------------------------------------------------------------ snapshot / restore


@pytest.mark.parametrize(
    ("solver", "learning_rate"), [("gd", "auto"), ("nesterov", "auto"), ("gd", 0.5)]
)
def test_restore_then_restepping_reproduces_the_trajectory(seed_xy, solver, learning_rate):
    model = SoftmaxRegression(solver=solver, learning_rate=learning_rate)
    for _ in range(10):
        model.partial_fit(*seed_xy)
    snapshot = model.snapshot()
    for _ in range(15):
        model.partial_fit(*seed_xy)
    coef_after, curve_after = model.coef_.copy(), list(model.loss_curve_)

    model.restore(snapshot)
    assert model.n_iter_ == 10
    assert model.loss_curve_ == curve_after[:10]
    np.testing.assert_array_equal(model.coef_, snapshot.coef)
    for _ in range(15):
        model.partial_fit(*seed_xy)
    np.testing.assert_array_equal(model.coef_, coef_after)
    assert model.loss_curve_ == curve_after


def test_snapshot_is_a_copy(seed_xy):
    model = SoftmaxRegression().partial_fit(*seed_xy)
    snapshot = model.snapshot()
    coef = snapshot.coef.copy()
    model.partial_fit(*seed_xy)
    np.testing.assert_array_equal(snapshot.coef, coef)
    assert snapshot.n_iter == 1


def test_restore_rejects_a_snapshot_from_elsewhere(seed_xy, blobs_xy):
    model = SoftmaxRegression().partial_fit(*seed_xy)
    later = SoftmaxRegression().partial_fit(*seed_xy).partial_fit(*seed_xy).snapshot()
    with pytest.raises(ValueError, match="does not come from this run"):
        model.restore(later)  # from a later iteration than this run has reached
    other_shape = SoftmaxRegression().partial_fit(*blobs_xy).snapshot()
    with pytest.raises(ValueError, match="does not come from this run"):
        model.restore(other_shape)


def test_parameter_arrays_are_independent_after_every_call(seed_xy):
    """The loop works on stacked parameters; what it leaves behind must be separate arrays,
    and an edit of ``coef_`` between calls is where the next step starts."""
    X, y = seed_xy

    def check(model):
        arrays = [model.coef_, model.intercept_, model.grad_coef_, model.grad_intercept_]
        arrays += [model._prev_coef, model._prev_intercept]
        for i, first in enumerate(arrays):
            assert first.flags.owndata and first.flags.c_contiguous
            assert not any(np.shares_memory(first, other) for other in arrays[i + 1 :])

    model = fit_to_max_iter(SoftmaxRegression(solver="nesterov", max_iter=5), X, y)
    check(model)
    snapshot = model.snapshot()
    check(model.partial_fit(X, y))
    check(model.advance(X, y, n_steps=3))
    check(model.restore(snapshot))
    with pytest.warns(DivergenceWarning):
        check(SoftmaxRegression(learning_rate=1e308).advance(X, y, n_steps=5))

    edited = SoftmaxRegression().partial_fit(X, y)
    edited.coef_[:] = 0.0
    edited.intercept_[:] = 0.0
    edited.partial_fit(X, y)
    assert edited.loss_curve_[-1] == pytest.approx(np.log(3), abs=1e-15)


def test_snapshot_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        SoftmaxRegression().snapshot()


# -------------------------------------------------------------- scikit-learn API


def test_init_stores_parameters_without_validating():
    model = SoftmaxRegression(learning_rate=-1.0, solver="sgd")
    assert model.get_params()["learning_rate"] == -1.0
    assert model.get_params()["solver"] == "sgd"


def test_clone_copies_parameters_not_the_fit(seed_xy):
    model = fit_to_max_iter(SoftmaxRegression(learning_rate=0.5, C=2.0, max_iter=5), *seed_xy)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        copy.predict(seed_xy[0])


def test_works_in_a_pipeline_with_standard_scaler():
    X, y = load_iris(return_X_y=True)
    pipeline = make_pipeline(StandardScaler(), SoftmaxRegression(solver="nesterov", C=1.0))
    with no_warnings():
        pipeline.fit(X, y)
    assert pipeline.score(X, y) > 0.95
    X_scaled = StandardScaler().fit_transform(X)
    alone = SoftmaxRegression(solver="nesterov", C=1.0).fit(X_scaled, y)
    np.testing.assert_allclose(pipeline.predict_proba(X), alone.predict_proba(X_scaled), atol=1e-12)


def test_grid_search_over_c_and_learning_rate_on_iris():
    X, y = load_iris(return_X_y=True)
    pipeline = make_pipeline(StandardScaler(), SoftmaxRegression(solver="nesterov", max_iter=5000))
    grid = {"softmaxregression__C": [0.1, 1.0], "softmaxregression__learning_rate": ["auto", 0.5]}
    search = GridSearchCV(pipeline, grid, cv=3, error_score="raise")
    with no_warnings():
        search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_score_ > 0.9
    best = search.best_estimator_[-1]
    assert best.converged_
    assert search.best_params_["softmaxregression__C"] == best.get_params()["C"]


# --------------------------------------------------------------------------- errors


LEARNING_RATE = "a float in the range (0.0, inf) or a str among {'auto'}"


def parameter_message(name, allowed, value):
    """scikit-learn's message for a parameter outside its ``_parameter_constraints``."""
    return f"The {name!r} parameter of SoftmaxRegression must be {allowed}. Got {value!r} instead."


@pytest.mark.parametrize(
    ("kwargs", "allowed"),
    [
        ({"learning_rate": 0.0}, LEARNING_RATE),
        ({"learning_rate": -0.5}, LEARNING_RATE),
        ({"learning_rate": float("nan")}, LEARNING_RATE),
        ({"learning_rate": float("inf")}, LEARNING_RATE),
        ({"learning_rate": "fast"}, LEARNING_RATE),
        ({"learning_rate": None}, LEARNING_RATE),
        ({"learning_rate": True}, LEARNING_RATE),
        ({"max_iter": 0}, "an int in the range [1, inf)"),
        ({"max_iter": 10.0}, "an int in the range [1, inf)"),
        ({"max_iter": True}, "an int in the range [1, inf)"),
        ({"tol": -1e-6}, "a float in the range [0.0, inf)"),
        ({"tol": float("nan")}, "a float in the range [0.0, inf)"),
        ({"C": 0.0}, "a float in the range (0.0, inf]"),
        ({"C": -1.0}, "a float in the range (0.0, inf]"),
        ({"C": float("nan")}, "a float in the range (0.0, inf]"),
        ({"C": "1"}, "a float in the range (0.0, inf]"),
        ({"fit_intercept": "yes"}, "an instance of 'bool' or an instance of 'numpy.bool'"),
        ({"fit_intercept": 1}, "an instance of 'bool' or an instance of 'numpy.bool'"),
        ({"batch_size": 0}, "an int in the range [1, inf)"),
        ({"decay_epochs": 0.0}, "a float in the range (0.0, inf)"),
        (
            {"random_state": -1},
            "an int in the range [0, 4294967295] or None",
        ),
    ],
)
def test_bad_parameters_raise_at_fit_naming_the_parameter(seed_xy, kwargs, allowed):
    """scikit-learn's parameter validation, with its messages (``InvalidParameterError``
    is a ValueError); ``True`` is not taken for a number."""
    ((name, value),) = kwargs.items()
    message = parameter_message(name, allowed, value)
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        SoftmaxRegression(**kwargs).fit(*seed_xy)
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        SoftmaxRegression(**kwargs).partial_fit(*seed_xy)
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        SoftmaxRegression(**kwargs).step(TrainingData(*seed_xy))


@pytest.mark.parametrize(
    ("name", "value"), [("solver", "sag"), ("learning_rate_schedule", "optimal")]
)
def test_a_choice_outside_the_options_names_them(seed_xy, name, value):
    """The options of a ``StrOptions`` come from a set: their order is the set's."""
    pattern = (
        f"^The '{name}' parameter of SoftmaxRegression must be a str among "
        rf"\{{('[a-z]+'(, )?)+\}}\. Got '{value}' instead\.$"
    )
    with pytest.raises(ValueError, match=pattern):
        SoftmaxRegression(**{name: value}).fit(*seed_xy)


def test_a_single_class_is_rejected(seed_xy):
    X, _ = seed_xy
    with pytest.raises(ValueError, match=re.escape("needs at least 2 classes, got 1 class: [7]")):
        SoftmaxRegression().fit(X, np.full(100, 7))


def test_nan_in_x_is_rejected(seed_xy):
    X, y = seed_xy
    X = X.copy()
    X[5, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        SoftmaxRegression().fit(X, y)


@pytest.mark.parametrize("bad", ["nan", "inf"])
def test_numbers_given_as_text_are_checked_as_numbers(seed_xy, bad):
    """Features as strings (as read from a file) are converted to float64 first, so a
    "nan" or "inf" among them is refused as it would be as a number, by every method."""
    X, y = seed_xy
    text = X.astype(str)
    model = SoftmaxRegression(max_iter=3)
    with pytest.warns(ConvergenceWarning):
        model.fit(text, y)  # the strings of numbers train like the numbers
    reference = fit_to_max_iter(SoftmaxRegression(max_iter=3), X, y)
    np.testing.assert_array_equal(model.coef_, reference.coef_)
    assert model.objective(text, y) == model.objective(X, y)
    text[5, 0] = bad
    message = "Input X contains NaN." if bad == "nan" else "Input X contains infinity"
    for call in (lambda: SoftmaxRegression().fit(text, y), lambda: model.objective(text, y)):
        with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
            call()


def test_continuous_y_is_rejected(seed_xy):
    X, _ = seed_xy
    with pytest.raises(ValueError, match="Unknown label type"):
        SoftmaxRegression().fit(X, np.linspace(0, 1, 100))


def test_feature_count_mismatch_at_predict(seed_xy):
    model = fit_to_max_iter(SoftmaxRegression(max_iter=3), *seed_xy)
    message = "X has 2 features, but SoftmaxRegression is expecting 1 features"
    for method in (model.predict, model.predict_proba, model.class_scores):
        with pytest.raises(ValueError, match=message):
            method(np.ones((4, 2)))


def test_predict_before_fit_raises_not_fitted(seed_xy):
    with pytest.raises(NotFittedError):
        SoftmaxRegression().predict(seed_xy[0])


def test_partial_fit_with_labels_not_in_classes(seed_xy):
    X, y = seed_xy
    model = SoftmaxRegression().partial_fit(X, y)
    with pytest.raises(ValueError, match=re.escape("y has labels not in classes_ [0, 1, 2]: [7]")):
        model.partial_fit(X, np.where(y == 2, 7, y))
    assert model.n_iter_ == 1  # the failed call changed nothing


def test_partial_fit_with_different_classes(seed_xy):
    model = SoftmaxRegression().partial_fit(*seed_xy)
    with pytest.raises(ValueError, match="differs from classes_"):
        model.partial_fit(*seed_xy, classes=[0, 1, 2, 3])


def test_first_partial_fit_rejects_classes_missing_a_label(seed_xy):
    with pytest.raises(ValueError, match=re.escape("y has labels not in classes_ [0, 1]: [2]")):
        SoftmaxRegression().partial_fit(*seed_xy, classes=[0, 1])


def test_failed_first_partial_fit_leaves_the_model_unfitted(seed_xy):
    model = SoftmaxRegression()
    with pytest.raises(ValueError):
        model.partial_fit(*seed_xy, classes=[0, 1])
    with pytest.raises(NotFittedError):
        model.predict(seed_xy[0])
    model.partial_fit(*seed_xy)  # a correct first call then works
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])


def test_objective_rejects_labels_outside_classes(seed_xy):
    X, y = seed_xy
    model = fit_to_max_iter(SoftmaxRegression(max_iter=3), X, y)
    message = "y must be a 1-D array of labels from classes_, one per row of X"
    for bad_y in (np.full(100, 7), y[:50], np.full(100, "a")):
        with pytest.raises(ValueError, match=re.escape(message)):
            model.objective(X, bad_y)


def test_a_step_that_explodes_is_reported_at_once(seed_xy):
    with pytest.warns(DivergenceWarning, match="reached 3.127e[+]06 at iteration 1"):
        model = SoftmaxRegression(learning_rate=1e6).partial_fit(*seed_xy)
    assert model.diverged_ and model.n_iter_ == 1 and len(model.loss_curve_) == 1
    assert model.objective(*seed_xy) > 1e3
    assert np.all(np.isfinite(model.predict_proba(seed_xy[0])))
