"""Tests of what ``SoftmaxRegression`` knows where it stands, and what that costs.

- The objective and gradient it holds are those of its parameters on the data and objective
  of the call, re-evaluated when the data, ``C`` or the parameters (set by hand) change, and
  checked against plain exp/log and central differences.
- The documented costs: one evaluation of J per ``gd`` step, two per ``nesterov`` step, none
  to resume; the data laid out once for a loop of ``partial_fit`` on the same arrays.
- Up to the stable limit the model's J and gradient are ``objective_gradient``'s to the bit
  (the fast summation order).
- Pickling, the defaults, the first state, and the errors of ``step`` and ``objective``.
"""

import copy
import pickle
import re
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import softmax_core.solvers
import softmax_core.training_data
from softmax_core import (
    DivergenceWarning,
    SoftmaxRegression,
    TrainingData,
    make_noisy_blobs,
    make_noisy_classes,
    objective_gradient,
)


def exact(message):
    return f"^{re.escape(message)}$"


def stacked(model):
    return np.column_stack([model.coef_, model.intercept_])


def naive_objective(theta, X, y, C=np.inf):
    scores = X @ theta[:, :-1].T + theta[:, -1]
    log_proba = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    penalty = 0.0 if np.isinf(C) else np.sum(theta[:, :-1] ** 2) / (2 * C * len(y))
    return -np.mean(log_proba[np.arange(len(y)), y]) + penalty


def numeric_gradient(theta, X, y, C=np.inf, h=1e-6):
    grad = np.zeros_like(theta)
    for index in np.ndindex(theta.shape):
        step = np.zeros_like(theta)
        step[index] = h
        up, down = naive_objective(theta + step, X, y, C), naive_objective(theta - step, X, y, C)
        grad[index] = (up - down) / (2 * h)
    return grad


def assert_knows_where_it_stands(model, X, y, C=np.inf):
    theta = stacked(model)
    assert model.loss_ == pytest.approx(naive_objective(theta, X, y, C), rel=1e-12)
    grad = np.column_stack([model.grad_coef_, model.grad_intercept_])
    np.testing.assert_allclose(grad, numeric_gradient(theta, X, y, C), atol=1e-8)


@pytest.fixture
def count_calls(monkeypatch):
    """``count_calls(module, name)`` wraps a module's function; returns its call counter."""

    def install(module, name):
        calls = [0]
        original = getattr(module, name)

        def counted(*args, **kwargs):
            calls[0] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
        return calls

    return install


# ------------------------------------------------------ re-evaluation where it stands


def test_new_data_is_evaluated_where_the_model_stands():
    X, y = make_noisy_classes()
    relabelled = (y + 1) % 3
    model = SoftmaxRegression(tol=1e-2).partial_fit(X, y).partial_fit(X, y)
    model.advance(X, relabelled, n_steps=0)
    assert_knows_where_it_stands(model, X, relabelled)
    theta = stacked(model)
    model.partial_fit(X, relabelled)
    assert model.loss_curve_[-1] == pytest.approx(naive_objective(theta, X, relabelled), rel=1e-12)
    assert_knows_where_it_stands(model, X, relabelled)


@pytest.mark.parametrize("C", [0.05, 1e6])
def test_a_new_penalty_is_evaluated_and_forgets_convergence(C):
    """A change of J measured across two objectives says nothing: ``converged_`` is False
    until a step on the new objective says otherwise, even where J moved by less than tol
    (C = 1e6 adds a penalty of about 1e-5)."""
    X, y = make_noisy_blobs(120, 3, random_state=3)
    model = SoftmaxRegression(tol=1e-3).fit(X, y)
    assert model.converged_ is True
    model.set_params(C=C).advance(X, y, n_steps=0)
    assert model.converged_ is False
    assert_knows_where_it_stands(model, X, y, C=C)
    model.partial_fit(X, y)  # one step on the new objective judges again
    assert model.converged_ is (abs(model.loss_ - model.loss_curve_[-1]) < 1e-3)
    assert model.converged_ is (C == 1e6)


def test_convergence_is_judged_with_the_tol_in_force():
    X, y = make_noisy_blobs(120, 3, random_state=3)
    model = SoftmaxRegression(tol=1e-3).fit(X, y)
    change = abs(model.loss_ - model.loss_curve_[-1])
    assert model.converged_ and change < 1e-3
    model.set_params(tol=change / 2).advance(X, y, n_steps=0)
    assert model.converged_ is False
    model.set_params(tol=change * 2).advance(X, y, n_steps=0)
    assert model.converged_ is True


@pytest.mark.parametrize(("edit", "converged"), [(1e-9, True), (1.0, False)])
def test_parameters_edited_by_hand_are_judged_on_the_same_objective(edit, converged):
    """An edit is no new objective: converged_ compares J there with the history's last
    entry, as a step would."""
    X, y = make_noisy_blobs(120, 3, random_state=3)
    model = SoftmaxRegression(tol=1e-3).fit(X, y)
    model.coef_[0, 0] += edit
    model.advance(X, y, n_steps=0)
    assert model.converged_ is converged


def test_another_summation_order_re_evaluates_on_the_same_objective(count_calls):
    """lr 0.5 is above the stable limit (the seed's order): J is evaluated again in that
    order, which moves it by rounding only, and convergence is judged as before."""
    X, y = make_noisy_classes()
    model = SoftmaxRegression(tol=1e-4).fit(X, y)
    assert model.converged_ and model.learning_rate_ < model.learning_rate_limit_ < 0.5
    loss = model.loss_
    evaluations = count_calls(softmax_core.solvers, "objective_gradient_kn")
    model.set_params(learning_rate=0.5).advance(X, y, n_steps=0)
    model.advance(X, y, n_steps=0)
    assert evaluations[0] == 1
    assert model.loss_ == pytest.approx(loss, rel=1e-15) and model.converged_ is True


def test_restore_brings_back_whether_the_last_change_is_comparable():
    """A snapshot taken after a converged step restores "comparable" (converged_ is judged
    again and holds); one taken after a change of objective restores "not comparable"
    (converged_ stays False on the next call)."""
    X, y = make_noisy_blobs(120, 3, random_state=3)
    model = SoftmaxRegression(tol=1e-3).fit(X, y)
    converged = model.snapshot()
    model.set_params(tol=1e-9).advance(X, y, n_steps=3)
    model.set_params(tol=1e-3).restore(converged).advance(X, y, n_steps=0)
    assert model.converged_ is True
    model.set_params(C=1e6).advance(X, y, n_steps=0)
    across = model.snapshot()
    assert across.converged is False
    model.partial_fit(X, y)
    assert model.converged_ is True  # a step on the new objective, by less than tol
    model.restore(across).advance(X, y, n_steps=0)
    assert model.converged_ is False


def test_parameters_set_by_hand_are_evaluated_where_they_are():
    X, y = make_noisy_blobs(120, 3, random_state=3)
    model = SoftmaxRegression().partial_fit(X, y)
    model.coef_ = np.array([[1.0, -0.5], [0.25, 0.5], [-1.25, 0.0]])
    model.intercept_ = np.array([0.5, 0.0, -0.5])
    model.advance(X, y, n_steps=0)
    assert_knows_where_it_stands(model, X, y)


@pytest.mark.parametrize(("solver", "per_step"), [("gd", 1), ("nesterov", 2)])
def test_evaluations_per_step_and_none_to_resume(count_calls, solver, per_step):
    """gd evaluates J once per iteration and Nesterov twice (the module docstring of
    ``solvers``); resuming on the same data, after ``restore`` too, evaluates nothing."""
    X, y = make_noisy_blobs(120, 3, random_state=3)
    data = TrainingData(X, y)
    model = SoftmaxRegression(solver=solver).step(data)
    evaluations = count_calls(softmax_core.solvers, "objective_gradient_kn")
    for _ in range(4):
        model.step(data)
    snapshot = model.snapshot()
    model.step(data, n_steps=3)
    model.restore(snapshot)
    model.step(data)
    model.preview_step(data)
    assert evaluations[0] == (4 + 3 + 1 + 1) * per_step
    model.partial_fit(X, y)  # another data object: J is evaluated where the model stands
    for _ in range(3):
        model.partial_fit(X, y)  # the same arrays again: the layout of the last call
    assert evaluations[0] == (4 + 3 + 1 + 1) * per_step + 1 + 4 * per_step


def test_a_diverged_model_evaluates_new_data_once(count_calls):
    """Poking a diverged model costs one evaluation per new data set, then nothing."""
    X, y = make_noisy_classes()
    model = SoftmaxRegression(learning_rate=1e6)
    with pytest.warns(DivergenceWarning):
        model.advance(X, y, n_steps=2)
    evaluations = count_calls(softmax_core.solvers, "objective_gradient_kn")
    data = TrainingData(X, y)
    for _ in range(3):
        model.step(data, n_steps=0)
    assert evaluations[0] == 1 and model.diverged_


def test_partial_fit_in_a_loop_lays_out_the_data_once(count_calls):
    X, y = make_noisy_blobs(120, 3, random_state=3)
    layouts = count_calls(softmax_core.training_data, "kernel_data")
    model = SoftmaxRegression()
    for _ in range(5):
        model.partial_fit(X, y)
    model.partial_fit(X.copy(), y.copy())  # equal values: the same data
    assert layouts[0] == 1
    changed = y.copy()
    changed[0] = (changed[0] + 1) % 3
    theta = stacked(model)
    model.partial_fit(X, changed)  # other values: laid out anew, and trained on
    assert layouts[0] == 2
    assert model.loss_curve_[-1] == pytest.approx(naive_objective(theta, X, changed), rel=1e-12)


# ------------------------------------------------------------------ summation order


@pytest.mark.parametrize(
    ("solver", "learning_rate"),
    [("gd", "auto"), ("gd", "limit"), ("nesterov", "auto"), ("nesterov", 0.5)],
)
def test_below_the_limit_the_model_holds_objective_gradient_to_the_bit(solver, learning_rate):
    """Up to the stable limit (inclusive) a step cannot amplify rounding, and the model sums
    as ``objective_gradient`` does; only gd above the limit uses the seed's order (whose
    bits ``test_model`` checks against the seed's code). On the seed data the two orders give
    different bits."""
    X, y = make_noisy_classes()
    if learning_rate == "limit":
        learning_rate = SoftmaxRegression().advance(X, y, n_steps=0).learning_rate_limit_
    model = SoftmaxRegression(solver=solver, learning_rate=learning_rate).advance(X, y, 10)
    y_encoded = np.searchsorted(model.classes_, y)
    loss, grad_coef, grad_intercept = objective_gradient(
        model.coef_, model.intercept_, X, y_encoded
    )
    assert model.loss_ == loss
    np.testing.assert_array_equal(model.grad_coef_, grad_coef)
    np.testing.assert_array_equal(model.grad_intercept_, grad_intercept)


# ------------------------------------------------------------------------- pickling


def test_an_unfitted_model_pickles():
    model = pickle.loads(pickle.dumps(SoftmaxRegression(C=2.0)))
    assert model.get_params()["C"] == 2.0


def test_a_pickled_model_carries_no_data_and_trains_on_identically():
    X, y = make_noisy_classes(n_samples=20_000)
    model = SoftmaxRegression(solver="nesterov").advance(X, y, n_steps=5)
    blob = pickle.dumps(model)
    assert len(blob) < 10_000  # the data and its buffers are 640 KB
    copy = pickle.loads(blob)
    model.advance(X, y, n_steps=5)
    copy.advance(X, y, n_steps=5)
    np.testing.assert_array_equal(copy.coef_, model.coef_)
    assert copy.loss_curve_ == model.loss_curve_ and copy.loss_ == model.loss_


def test_a_pickled_model_names_nothing_of_the_process_it_came_from():
    """What names the data by ``id`` is dropped: in another process an id can be that of
    other data. Until evaluated again, the model cannot say in which order J was summed."""
    X, y = make_noisy_classes()
    model = SoftmaxRegression().advance(X, y, n_steps=3)
    assert model.snapshot().seed_order is False
    copy = pickle.loads(pickle.dumps(model))
    assert not {"_data_cache", "_evaluate", "_kernel", "_evaluated_on"} & set(vars(copy))
    assert copy.snapshot().seed_order is None
    copy.advance(X, y, n_steps=0)
    assert copy.snapshot().seed_order is False


def test_pickling_or_copying_a_model_leaves_it_as_it_was():
    # Found by the live classroom's questions, which step copies of the run: deepcopy made
    # the run itself forget its summation order and evaluate J again.
    X, y = make_noisy_classes()
    model = SoftmaxRegression(learning_rate=0.5).advance(X, y, n_steps=3)
    before = model.snapshot()
    pickle.dumps(model)
    copy.deepcopy(model)
    assert {"_data_cache", "_evaluate", "_kernel", "_evaluated_on"} <= set(vars(model))
    assert model.snapshot().seed_order is before.seed_order is True


# ------------------------------------------------------------------ the first state


def test_the_state_at_iteration_zero():
    X, y = make_noisy_classes()
    model = SoftmaxRegression().advance(X, y)  # n_steps defaults to 1
    assert model.n_iter_ == 1
    start = SoftmaxRegression().advance(X, y, n_steps=0)
    assert start.n_iter_ == 0 and start.loss_curve_ == [] and start.n_restarts_ == 0
    assert start.step_size_ == 0.0 and start.converged_ is False and start.diverged_ is False
    # No change of the objective yet, so none measured across two objectives.
    assert start.snapshot().comparable is True
    assert_knows_where_it_stands(start, X, y)


def test_a_refit_on_data_of_another_shape_starts_over():
    X, y = make_noisy_classes()
    X2, y2 = make_noisy_blobs(n_classes=4)
    model = SoftmaxRegression(max_iter=5)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    with pytest.warns(ConvergenceWarning):
        model.fit(X2, y2)
    assert model.n_features_in_ == 2 and model.coef_.shape == (4, 2) and model.n_iter_ == 5


def test_a_failed_refit_keeps_the_previous_fit_usable():
    """The data of a refused refit (2 features, 1 class) leave no trace: the fit before
    predicts as it did, and data of the refused shape are refused by name."""
    X, y = make_noisy_classes()
    model = SoftmaxRegression(max_iter=5)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    expected = model.predict_proba(X)
    with pytest.raises(ValueError, match="needs at least 2 classes"):
        model.fit(np.ones((10, 2)), np.zeros(10, dtype=int))
    assert model.n_features_in_ == 1
    np.testing.assert_array_equal(model.predict_proba(X), expected)
    message = "X has 2 features, but SoftmaxRegression is expecting 1 features as input."
    with pytest.raises(ValueError, match=exact(message)):
        model.predict(np.ones((10, 2)))


# --------------------------------------------------------------------------- errors


def test_step_errors():
    model = SoftmaxRegression()
    data = TrainingData(*make_noisy_classes())
    with pytest.raises(ValueError, match=exact("n_steps must be >= 0, got -1")):
        model.step(data, -1)
    with pytest.raises(ValueError, match=exact("n_steps must be an integer, got 1.5")):
        model.step(data, 1.5)
    with pytest.raises(ValueError, match=exact("data must be a TrainingData, got tuple")):
        model.step(make_noisy_classes())


def test_objective_checks_x_against_the_fit_and_changes_nothing():
    X, y = make_noisy_classes()
    model = SoftmaxRegression().partial_fit(X, y)
    message = "X has 2 features, but SoftmaxRegression is expecting 1 features as input."
    with pytest.raises(ValueError, match=exact(message)):
        model.objective(np.ones((100, 2)), y)
    assert model.n_features_in_ == 1
    message = "y must be a 1-D array of labels from classes_, one per row of X"
    with pytest.raises(ValueError, match=exact(message)):
        model.objective(X, np.full(100, 7))
    assert model.objective(X.tolist(), y) == pytest.approx(model.loss_, rel=1e-15)


@pytest.mark.parametrize("dtype", [np.int64, np.float32, np.longdouble])
def test_class_scores_are_float64_whatever_the_features(dtype):
    X, y = make_noisy_classes()
    model = SoftmaxRegression().advance(X, y, n_steps=3)
    features = np.arange(11, dtype=dtype).reshape(-1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = model.class_scores(features)
    assert scores.dtype == np.float64
    expected = np.arange(11.0).reshape(-1, 1) @ model.coef_.T + model.intercept_
    np.testing.assert_allclose(scores, expected, rtol=1e-15)


# ----------------------------------------------------------------- the path of iterates


def test_the_path_holds_every_iterate_of_a_short_run():
    X, y = make_noisy_blobs(120, 3, random_state=3)
    data = TrainingData(X, y)
    model, iterates = SoftmaxRegression(solver="nesterov").step(data, n_steps=0), []
    for _ in range(30):
        iterates.append(stacked(model))
        model.step(data)
    iterates.append(stacked(model))
    iterations, thetas = model.path()
    np.testing.assert_array_equal(iterations, np.arange(31))
    np.testing.assert_array_equal(thetas, np.array(iterates))
    assert iterations.dtype.kind == "i"


def test_a_long_path_is_thinned_at_odd_strides_and_cut_back_by_restore():
    """4,500 steps at the seed's lr 0.5 (a two-step zigzag): the first 1,000 iterates whole,
    then a stride of 3, by now 9 (odd, so both sides of the zigzag stay), at most 2,000
    points plus the current one; each point is the iterate of its iteration."""
    X, y = make_noisy_classes()
    data = TrainingData(X, y)
    model, iterates = SoftmaxRegression(learning_rate=0.5).step(data, n_steps=0), []
    for _ in range(4500):
        iterates.append(stacked(model))
        model.step(data)
    iterates.append(stacked(model))
    iterations, thetas = model.path()
    np.testing.assert_array_equal(iterations[:1000], np.arange(1000))
    assert iterations[-1] == 4500 and len(iterations) <= 2001
    assert set(np.diff(iterations[:-1]).tolist()) == {1, 9}
    assert {int(i) % 2 for i in iterations[1000:]} == {0, 1}
    np.testing.assert_array_equal(thetas, np.array(iterates)[iterations])

    model.restore(model.snapshot())  # the current iteration: the path stays
    np.testing.assert_array_equal(model.path()[0], iterations)
    short = SoftmaxRegression(learning_rate=0.5).step(data, n_steps=700)
    checkpoint = short.snapshot()
    short.step(data, n_steps=50)
    short.restore(checkpoint)
    iterations_after, thetas_after = short.path()
    np.testing.assert_array_equal(iterations_after, np.arange(701))
    np.testing.assert_array_equal(thetas_after, np.array(iterates[:701]))
    short.step(data, n_steps=5)  # the restored point stays on the path as it goes on
    iterations_after, thetas_after = short.path()
    np.testing.assert_array_equal(iterations_after, np.arange(706))
    np.testing.assert_array_equal(thetas_after, np.array(iterates[:706]))


def test_the_path_is_thinned_once_the_rest_grows_past_1000_points():
    """The first 1,000 iterates and up to 1,000 more are kept whole: 2,000 points at
    iteration 1,999; the 2,001st thins the rest to a stride of 3."""
    X, y = make_noisy_classes()
    data = TrainingData(X, y)
    model = SoftmaxRegression(learning_rate=0.5).step(data, n_steps=1999)
    np.testing.assert_array_equal(model.path()[0], np.arange(2000))
    model.step(data)
    iterations = model.path()[0]
    np.testing.assert_array_equal(iterations[:1000], np.arange(1000))
    np.testing.assert_array_equal(iterations[1000:-1], np.arange(1002, 2000, 3))
    assert iterations[-1] == 2000


def test_undoing_and_redoing_steps_gives_back_the_same_path():
    """Restore to iteration 900 of a thinned run (stride 3 past iteration 1,000) and take
    the same steps again: the path is the one before the restore, point for point."""
    X, y = make_noisy_classes()
    data = TrainingData(X, y)
    model = SoftmaxRegression(learning_rate=0.5).step(data, n_steps=900)
    checkpoint = model.snapshot()
    model.step(data, n_steps=1200)
    iterations, thetas = model.path()
    assert iterations[999] == 999 and iterations[1000] == 1002  # thinned past 1,000
    model.restore(checkpoint)
    model.step(data, n_steps=1200)
    iterations_again, thetas_again = model.path()
    np.testing.assert_array_equal(iterations_again, iterations)
    np.testing.assert_array_equal(thetas_again, thetas)


def test_a_released_model_holds_no_data_and_steps_on_as_before():
    X, y = make_noisy_classes(n_samples=5_000)
    data = TrainingData(X, y)
    model = SoftmaxRegression(solver="nesterov").step(data, 5)
    twin = copy.deepcopy(model)
    model.release_data()
    assert not {"_data", "_kernel", "_evaluate"} & set(vars(model))
    assert len(pickle.dumps(model)) < 10_000
    model.step(TrainingData(X, y), 5)  # the same points, laid out anew
    twin.step(data, 5)
    np.testing.assert_array_equal(model.coef_, twin.coef_)
    assert model.loss_curve_ == twin.loss_curve_ and model.converged_ == twin.converged_
