"""Tests of the solvers and of what the model knows where it stands.

Independent references: central finite differences of the objective (written out here with
plain exp/log), scikit-learn's ``LogisticRegression`` optimum, and few-line re-implementations
of one gradient, Nesterov (FISTA) and Newton iteration.
"""

import math
import warnings

import numpy as np
import pytest
from references import reference_gradient
from scipy.special import logsumexp
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from softmax_core import (
    DivergenceWarning,
    SoftmaxRegression,
    TrainingData,
    fit_sklearn,
    make_noisy_blobs,
    make_noisy_classes,
    stable_learning_rate_limit,
)
from softmax_core.solvers import evaluator, newton_step


def naive_objective(theta, X, y, C):
    """``J`` at stacked parameters, with plain exp and log."""
    coef, intercept = theta[:, :-1], theta[:, -1]
    scores = X @ coef.T + intercept
    proba = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    penalty = 0.0 if np.isinf(C) else np.sum(coef**2) / (2 * C * len(y))
    return -np.mean(np.log(proba[np.arange(len(y)), y])) + penalty


def numeric_gradient(theta, X, y, C, h=1e-6):
    grad = np.zeros_like(theta)
    for index in np.ndindex(theta.shape):
        step = np.zeros_like(theta)
        step[index] = h
        grad[index] = (
            naive_objective(theta + step, X, y, C) - naive_objective(theta - step, X, y, C)
        ) / (2 * h)
    return grad


def stacked(model):
    return np.column_stack([model.coef_, model.intercept_])


PROBLEMS = {
    "seed": lambda: (*make_noisy_classes(), np.inf),
    "blobs, C=1": lambda: (*make_noisy_blobs(150, 4, random_state=2), 1.0),
    "two classes, C=0.1": lambda: (*make_noisy_classes(80, 2, 0.2, 5), 0.1),
}


@pytest.mark.parametrize("solver", ["gd", "nesterov", "newton"])
@pytest.mark.parametrize("problem", list(PROBLEMS))
def test_loss_and_gradient_are_those_at_the_current_parameters(problem, solver):
    X, y, C = PROBLEMS[problem]()
    model = SoftmaxRegression(solver=solver, C=C)
    for _ in range(4):
        model.partial_fit(X, y)
    theta = stacked(model)
    assert model.loss_ == pytest.approx(naive_objective(theta, X, y, C), rel=1e-12)
    expected = numeric_gradient(theta, X, y, C)
    np.testing.assert_allclose(model.grad_coef_, expected[:, :-1], atol=1e-7)
    np.testing.assert_allclose(model.grad_intercept_, expected[:, -1], atol=1e-7)
    history = model.loss_history()
    assert history.shape == (5,) and history[-1] == model.loss_
    assert model.converged_ == (abs(history[-1] - history[-2]) < model.tol)


def test_one_gradient_step_is_theta_minus_lr_times_the_gradient():
    X, y = make_noisy_classes()
    model = SoftmaxRegression(learning_rate=0.05).partial_fit(X, y)
    before, gradient = stacked(model), numeric_gradient(stacked(model), X, y, np.inf)
    model.partial_fit(X, y)
    np.testing.assert_allclose(stacked(model), before - 0.05 * gradient, atol=1e-8)
    assert model.step_size_ == 0.05


def fista_reference(X, y, learning_rate, n_steps):
    """FISTA with gradient restart in a few lines (Beck & Teboulle; O'Donoghue & Candes)."""
    theta = prev = np.zeros((np.unique(y).size, X.shape[1] + 1))
    momentum, restarts = 1.0, 0
    for _ in range(n_steps):
        momentum_next = (1 + np.sqrt(1 + 4 * momentum**2)) / 2
        point = theta + (momentum - 1) / momentum_next * (theta - prev)
        gradient = reference_gradient(point, X, y)
        new = point - learning_rate * gradient
        uphill = np.vdot(gradient, new - theta) > 0
        momentum, restarts = (1.0, restarts + 1) if uphill else (momentum_next, restarts)
        prev, theta = theta, new
    return theta, restarts


def test_nesterov_follows_fistas_schedule_with_restart():
    """250 steps at 1/L on the seed data: the first restart comes at step 218 (measured)."""
    X, y = make_noisy_classes()
    learning_rate = stable_learning_rate_limit(X) / 2
    model = SoftmaxRegression(solver="nesterov", learning_rate=learning_rate)
    model.advance(X, y, n_steps=250)
    expected, restarts = fista_reference(X, y, learning_rate, 250)
    np.testing.assert_allclose(stacked(model), expected, rtol=1e-9, atol=1e-9)
    assert model.n_restarts_ == restarts > 0


def test_nesterov_resumes_fistas_schedule_across_calls():
    """One ``partial_fit`` at a time on 2-D data: the previous iterate (``coef`` and
    ``intercept``) is carried from call to call."""
    X, y = make_noisy_blobs(150, 4, random_state=2)
    learning_rate = stable_learning_rate_limit(X) / 2
    model = SoftmaxRegression(solver="nesterov", learning_rate=learning_rate)
    for _ in range(40):
        model.partial_fit(X, y)
    expected, restarts = fista_reference(X, y, learning_rate, 40)
    np.testing.assert_allclose(stacked(model), expected, rtol=1e-9, atol=1e-12)
    assert model.n_restarts_ == restarts


def symmetric_problem():
    """Two classes mirrored about 0: at zero parameters the gradient is exactly zero."""
    return np.array([[1.0], [1.0], [-1.0], [-1.0]]), np.array([0, 1, 0, 1])


@pytest.mark.parametrize("solver", ["gd", "nesterov", "newton"])
def test_at_a_stationary_point_every_solver_stays_without_restarting(solver):
    """A zero gradient is not uphill (no restart), and Newton's zero direction is accepted
    with s = 1 (a change of J of zero is no ascent)."""
    X, y = symmetric_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = SoftmaxRegression(solver=solver, tol=0.0).advance(X, y, n_steps=3)
    np.testing.assert_array_equal(model.grad_coef_, 0.0)
    np.testing.assert_array_equal(stacked(model), 0.0)
    assert model.n_restarts_ == 0 and model.loss_curve_ == [np.log(2)] * 3
    assert model.step_size_ == (1.0 if solver == "newton" else model.learning_rate_)


@pytest.mark.parametrize("solver", ["gd", "nesterov", "newton"])
def test_at_zero_loss_every_solver_stays(solver):
    """Noise-free classes at parameters with margins of thousands: J is exactly 0.0, and so
    are the gradient and the Hessian. Newton's (zero) step is accepted with s = 1."""
    X, y = make_noisy_classes(n_classes=2, noise=0.0)
    model = SoftmaxRegression(solver=solver, tol=0.0).advance(X, y, n_steps=0)
    model.coef_ = np.array([[-1e5], [1e5]])
    model.intercept_ = np.array([5e5, -5e5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.advance(X, y, n_steps=2)
    assert model.loss_curve_ == [0.0, 0.0] and model.loss_ == 0.0
    np.testing.assert_array_equal(stacked(model), [[-1e5, 5e5], [1e5, -5e5]])
    assert model.step_size_ == (1.0 if solver == "newton" else model.learning_rate_)


@pytest.mark.parametrize("solver", ["gd", "nesterov", "newton"])
def test_preview_gradient_is_the_gradient_at_the_point(solver):
    X, y = make_noisy_blobs(120, 3, random_state=3)
    data = TrainingData(X, y)
    model = SoftmaxRegression(solver=solver, learning_rate=0.3).step(data, n_steps=3)
    preview = model.preview_step(data)
    np.testing.assert_allclose(
        preview.point_grad, reference_gradient(preview.point, X, y), atol=1e-14
    )
    if solver != "newton":
        np.testing.assert_array_equal(preview.direction, preview.point_grad)


@pytest.mark.parametrize("solver", ["gd", "nesterov", "newton"])
def test_parameters_set_by_hand_beyond_overflow_are_not_stepped_from(solver):
    """Scores up to 1e308 make J overflow to infinity: every solver refuses the next step
    (Nesterov's look-ahead is not finite, no Newton step length decreases J), and the
    preview says so: where it would have looked, with step length 0."""
    X, y = make_noisy_classes()
    data = TrainingData(X, y)
    model = SoftmaxRegression(solver=solver).step(data, n_steps=3)
    snapshot = model.snapshot()
    prev = np.column_stack([snapshot.prev_coef, snapshot.prev_intercept])
    model.coef_ = np.array([[1e306], [-1e306], [0.0]])
    theta = stacked(model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        preview = model.preview_step(data)
        model.step(data)
    cause = (
        "the scores overflow at these parameters"
        if solver == "newton"
        else f"learning_rate={model.learning_rate_:.4g} is too large (the stable limit 2/L "
        "is 0.1168)"
    )
    assert [str(w.message) for w in caught] == [
        "training diverged: the objective of iteration 4 is not finite (inf) (it started at "
        f"1.099); {cause}. The run stays at iteration 3, the last finite objective."
    ]
    assert model.n_iter_ == 3 and len(model.loss_curve_) == 3 and model.diverged_
    np.testing.assert_array_equal(stacked(model), theta)
    assert preview.loss == np.inf
    if solver == "gd":
        step = preview.step_size * preview.point_grad
        np.testing.assert_array_equal(preview.theta, theta - step)
        return
    assert preview.step_size == 0.0 and preview.theta.shape == theta.shape
    np.testing.assert_array_equal(preview.theta, theta)
    assert preview.grad.shape == preview.point_grad.shape == preview.direction.shape == (3, 2)
    if solver == "nesterov":
        assert preview.ok is False
        momentum = 1.0
        for _ in range(4):  # FISTA's m_4 and m_5 after three steps without restart
            momentum, previous = (1 + np.sqrt(1 + 4 * momentum**2)) / 2, momentum
        np.testing.assert_allclose(
            preview.point, theta + (previous - 1) / momentum * (theta - prev), rtol=1e-15
        )
        np.testing.assert_array_equal(preview.direction, preview.point_grad)
        np.testing.assert_array_equal(preview.grad, preview.point_grad)
    else:
        assert preview.ok is False  # J is not finite: no curvature to divide by
        np.testing.assert_array_equal(preview.point, theta)
        current = np.column_stack([model.grad_coef_, model.grad_intercept_])
        np.testing.assert_array_equal(preview.grad, current)
        np.testing.assert_array_equal(preview.point_grad, current)
        np.testing.assert_array_equal(preview.direction, 0.0)


@pytest.mark.parametrize(
    "solver",
    [
        "gd",
        "nesterov",
        "newton",
    ],
)
def test_parameters_whose_scores_overflow_give_only_a_divergence_warning(solver):
    """Scores of 1e309 overflow (inf - inf in the log-sum-exp shift): the model re-evaluates,
    previews and refuses without a RuntimeWarning of NumPy's, with J not finite."""
    X, y = make_noisy_classes()
    data = TrainingData(X, y)
    model = SoftmaxRegression(solver=solver).step(data, n_steps=3)
    model.coef_ = np.array([[1e308], [-1e308], [0.0]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        preview = model.preview_step(data)
        model.step(data)
    assert [w.category for w in caught] == [DivergenceWarning]
    assert not np.isfinite(model.loss_) and not np.isfinite(preview.loss)
    assert model.n_iter_ == 3 and model.diverged_


@pytest.mark.parametrize("solver", ["gd", "nesterov", "newton"])
def test_preview_step_is_the_step_that_then_happens(solver):
    X, y = make_noisy_classes()
    data = TrainingData(X, y)
    model = SoftmaxRegression(solver=solver, learning_rate=0.5).step(data, n_steps=7)
    snapshot = model.snapshot()
    preview = model.preview_step(data)
    assert model.n_iter_ == 7 and model.snapshot().loss == snapshot.loss  # nothing moved
    model.step(data)
    np.testing.assert_array_equal(stacked(model), preview.theta)
    np.testing.assert_array_equal(
        preview.theta, preview.point - preview.step_size * preview.direction
    )
    if solver == "gd":
        np.testing.assert_array_equal(
            preview.point, np.column_stack([snapshot.coef, snapshot.intercept])
        )
        assert preview.step_size == 0.5
    if solver == "nesterov":
        coef = np.column_stack([snapshot.coef, snapshot.intercept])
        prev = np.column_stack([snapshot.prev_coef, snapshot.prev_intercept])
        np.testing.assert_allclose(preview.point, coef + preview.beta * (coef - prev), atol=1e-15)


def test_step_on_prepared_data_equals_advance():
    X, y = make_noisy_blobs(200, 3, random_state=4)
    data = TrainingData(X, y)
    prepared = SoftmaxRegression(solver="nesterov").step(data, n_steps=30)
    validated = SoftmaxRegression(solver="nesterov").advance(X, y, n_steps=30)
    np.testing.assert_array_equal(prepared.coef_, validated.coef_)
    assert prepared.loss_curve_ == validated.loss_curve_


def test_step_until_converged_stops_as_fit_does():
    X, y = make_noisy_blobs(200, 3, random_state=4)
    data = TrainingData(X, y)
    stepped = SoftmaxRegression(tol=1e-5).step(data, 10_000, until_converged=True)
    fitted = SoftmaxRegression(tol=1e-5).fit(X, y)
    assert stepped.converged_ and stepped.n_iter_ == fitted.n_iter_ < 10_000
    n_iter = stepped.n_iter_
    stepped.step(data, 10, until_converged=True)
    stepped.step(TrainingData(X, y), 10, until_converged=True)  # equal data, another object
    assert stepped.n_iter_ == n_iter  # already converged: no step


def test_step_rejects_data_of_another_shape():
    model = SoftmaxRegression().step(TrainingData(*make_noisy_classes()))
    with pytest.raises(ValueError, match="this model has 1 and"):
        model.step(TrainingData(*make_noisy_blobs()))
    with pytest.raises(ValueError, match="data must be a TrainingData"):
        model.step(make_noisy_classes())


NEWTON_PROBLEMS = {
    "seed": lambda: (*make_noisy_classes(), np.inf),
    "iris, standardised, C=1": lambda: (
        StandardScaler().fit_transform(load_iris().data),
        load_iris().target,
        1.0,
    ),
    # Not C=inf here: setosa is separable on the petals, so J has no finite minimum.
    "iris petal features, C=100": lambda: (load_iris().data[:, 2:], load_iris().target, 100.0),
    "five blobs, C=0.1": lambda: (*make_noisy_blobs(300, 5, random_state=3), 0.1),
    "two classes, C=1": lambda: (*make_noisy_classes(100, 2, 0.2, 1), 1.0),
}


@pytest.mark.parametrize("name", list(NEWTON_PROBLEMS))
def test_newton_reaches_sklearns_optimum_in_few_iterations(name):
    X, y, C = NEWTON_PROBLEMS[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = SoftmaxRegression(solver="newton", C=C, tol=1e-12, max_iter=100).fit(X, y)
    reference = fit_sklearn(X, y, same_objective_as=C)
    assert model.converged_
    assert model.n_iter_ <= 15  # measured: 6 to 8 (iris petals: 12)
    assert np.abs(model.predict_proba(X) - reference.predict_proba(X)).max() < 1e-6
    assert max(np.abs(model.grad_coef_).max(), np.abs(model.grad_intercept_).max()) < 1e-8
    np.testing.assert_allclose(model.coef_.sum(axis=0), 0.0, atol=1e-9)


def test_newton_partial_fit_is_one_newton_step_with_line_search():
    """From zero, one Newton step with step length s lands at ``-s H^+ grad``: checked with
    numpy's pseudo-inverse of a finite-difference Hessian (of the written-out gradient)."""
    X, y = make_noisy_classes()
    model = SoftmaxRegression(solver="newton").partial_fit(X, y)
    assert model.n_iter_ == 1 and 0 < model.step_size_ <= 1
    zero, h = np.zeros((3, 2)), 1e-5
    columns = []
    for index in np.ndindex(zero.shape):
        step = np.zeros_like(zero)
        step[index] = h
        difference = reference_gradient(zero + step, X, y) - reference_gradient(zero - step, X, y)
        columns.append((difference / (2 * h)).ravel())
    hessian = np.array(columns)
    # Finite differences blur the Hessian's null directions to about 1e-11: cut them off.
    direction = np.linalg.pinv(hessian, rcond=1e-8) @ reference_gradient(zero, X, y).ravel()
    expected = -model.step_size_ * direction.reshape(3, 2)
    np.testing.assert_allclose(stacked(model), expected, rtol=1e-7, atol=1e-9)
    assert model.loss_ < np.log(3)


def newton_reference_direction(theta, X, y):
    """``pinv(H) grad`` with the exact Hessian written out: ``sum_i kron(diag(p_i) - p_i
    p_i^T, x~_i x~_i^T) / n``, unpenalised."""
    X_aug = np.column_stack([X, np.ones(len(y))])
    scores = X_aug @ theta.T
    proba = np.exp(scores - scores.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    hess = sum(
        np.kron(np.diag(p) - np.outer(p, p), np.outer(x, x))
        for p, x in zip(proba, X_aug, strict=True)
    ) / len(y)
    direction = (
        np.linalg.pinv(hess, rcond=1e-10, hermitian=True) @ reference_gradient(theta, X, y).ravel()
    )
    return direction.reshape(theta.shape)


ARMIJO_PROBLEMS = {
    # Saturated scores (coef +-2 on [0, 10]): the full step overshoots (measured: s = 1/128).
    "seed, coef +-2": lambda: (*make_noisy_classes(), [[-2.0], [0.0], [2.0]], [0.0, 0.0, 0.0]),
    # Far from the optimum the full step raises J from 17.5 to 175, by less than
    # 1e-4 <grad, d> = 240: only the decrease the rule asks for refuses it (s = 1/32).
    "six points, far out": lambda: (
        np.array([[-1.46], [-1.18], [-1.36], [0.91], [0.32], [-0.38]]),
        np.array([1, 1, 1, 0, 0, 1]),
        [[-17.6], [5.2]],
        [-16.1, -2.1],
    ),
}


@pytest.mark.parametrize("name", list(ARMIJO_PROBLEMS))
def test_newton_line_search_takes_the_largest_halving_with_armijo_decrease(name):
    """The step length is the first of 1, 1/2, 1/4, ... with ``J(theta - s d) <= J(theta) -
    1e-4 s <grad, d>``, and J decreases."""
    X, y, coef, intercept = ARMIJO_PROBLEMS[name]()
    model = SoftmaxRegression(solver="newton").advance(X, y, n_steps=0)
    model.coef_, model.intercept_ = np.array(coef), np.array(intercept)
    model.advance(X, y, n_steps=0)
    theta = stacked(model)
    direction = newton_reference_direction(theta, X, y)
    slope = np.vdot(reference_gradient(theta, X, y), direction)

    def objective(t):  # scipy's log-sum-exp: trial steps reach scores of 1e3
        scores = X @ t[:, :-1].T + t[:, -1]
        return np.mean(logsumexp(scores, axis=1) - scores[np.arange(len(y)), y])

    start = objective(theta)

    def armijo(s):
        return objective(theta - s * direction) <= start - 1e-4 * s * slope

    expected = next(0.5**k for k in range(50) if armijo(0.5**k))
    assert expected < 1 / 16
    model.partial_fit(X, y)
    assert model.step_size_ == expected
    np.testing.assert_allclose(stacked(model), theta - expected * direction, rtol=1e-7)
    assert model.loss_ < start


@pytest.mark.parametrize(("fit_intercept", "scale"), [(True, 1e-4), (False, 1e-7)])
def test_newton_is_invariant_to_the_scale_of_the_features(fit_intercept, scale):
    """Newton's method is affine invariant: on ``X * s`` its iterates are ``coef / s``, in
    as many steps, although the Hessian's eigenvalues there are as small as 1e-14. (With
    the intercept's eigenvalue near 0.25 beside them, eigenvalues below 1e-12 of it count
    as zero, hence the larger scale there.)"""
    X, y = make_noisy_classes(n_classes=2)
    kwargs = {"solver": "newton", "fit_intercept": fit_intercept, "tol": 1e-12}
    plain = SoftmaxRegression(**kwargs).fit(X, y)
    scaled = SoftmaxRegression(**kwargs).fit(X * scale, y)
    assert scaled.converged_ and scaled.n_iter_ == plain.n_iter_
    np.testing.assert_allclose(scaled.coef_ * scale, plain.coef_, rtol=1e-6)
    np.testing.assert_allclose(scaled.intercept_, plain.intercept_, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(scaled.loss_curve_, plain.loss_curve_, rtol=1e-9)


def newton_setting():
    X, y = make_noisy_classes()
    data = TrainingData(X, y)
    evaluate = evaluator(data.kernel, 0.0, seed_order=False, fit_intercept=True)
    theta = np.array([[-1.0, 3.0], [0.0, 0.5], [1.0, -3.5]])
    return X, y, data, evaluate, theta


def test_newton_step_without_any_decrease_stays_with_a_step_of_length_zero():
    """When no step length in 1, 1/2, ..., 2**-49 gives the decrease (here one asked of an
    objective 1 below the true one), the parameters stay: a step of length 0 that keeps the
    objective and gradient it was given."""
    X, y, data, evaluate, theta = newton_setting()
    loss, grad = evaluate(theta)
    step = newton_step(evaluate, theta, loss - 1.0, grad, data.kernel, 0.0, True)
    assert step.ok and step.step_size == 0.0 and step.loss == loss - 1.0
    np.testing.assert_array_equal(step.theta, theta)
    np.testing.assert_array_equal(step.grad, grad)
    np.testing.assert_array_equal(step.point, theta)
    np.testing.assert_array_equal(step.point_grad, grad)
    expected = newton_reference_direction(theta, X, y)
    np.testing.assert_allclose(step.direction, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("what", ["gradient", "objective"])
def test_newton_step_refuses_to_step_from_a_non_finite_start(what):
    """A refused step reports a non-finite objective, the one it was given or NaN."""
    _, _, data, evaluate, theta = newton_setting()
    loss, grad = evaluate(theta)
    if what == "gradient":
        grad[1, 0] = np.inf
    else:
        loss = np.inf
    step = newton_step(evaluate, theta, loss, grad, data.kernel, 0.0, True)
    assert not step.ok and step.step_size == 0.0
    assert math.isnan(step.loss) if what == "gradient" else step.loss == np.inf
    np.testing.assert_array_equal(step.theta, theta)


def test_newton_direction_on_a_flat_objective_is_zero():
    """All-zero features, no intercept: the Hessian is the zero matrix and its
    pseudo-inverse applied to the (zero) gradient is zero."""
    X, y = np.zeros((6, 2)), np.array([0, 1, 2, 0, 1, 2])
    data = TrainingData(X, y)
    model = SoftmaxRegression(solver="newton", fit_intercept=False).step(data, n_steps=0)
    preview = model.preview_step(data)
    np.testing.assert_array_equal(preview.direction, 0.0)
    assert preview.step_size == 1.0 and preview.loss == pytest.approx(np.log(3), abs=1e-15)


def test_newton_without_intercept_keeps_it_at_zero():
    X, y = make_noisy_blobs(150, 3, random_state=1)
    model = SoftmaxRegression(solver="newton", fit_intercept=False, tol=1e-12).fit(X, y)
    np.testing.assert_array_equal(model.intercept_, 0.0)
    assert model.converged_ and np.abs(model.grad_coef_).max() < 1e-8
