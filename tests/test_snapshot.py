"""Tests of ``snapshot`` and ``restore``: a restore brings back everything that training
changes (parameters, J and its gradient, the flags, the solver's memory), from any point of
the run including its start, its current iteration and after a divergence; and a snapshot
that is not a well-formed one of this run is refused with a message naming the field.
"""

import re
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from softmax_core import (
    DivergenceWarning,
    SoftmaxRegression,
    TrainingData,
    make_noisy_blobs,
    make_noisy_classes,
)


def exact(message):
    return f"^{re.escape(message)}$"


def numeric_gradient(model, X, y, h=1e-6):
    """Central differences of J (plain exp/log, no penalty) at the model's parameters."""
    theta = np.column_stack([model.coef_, model.intercept_])

    def objective(t):
        scores = X @ t[:, :-1].T + t[:, -1]
        log_proba = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
        return -np.mean(log_proba[np.arange(len(y)), y])

    grad = np.zeros_like(theta)
    for index in np.ndindex(theta.shape):
        step = np.zeros_like(theta)
        step[index] = h
        grad[index] = (objective(theta + step) - objective(theta - step)) / (2 * h)
    return grad


def state(model):
    """Everything ``restore`` promises to bring back, public and private."""
    return {
        "n_iter_": model.n_iter_,
        "coef_": model.coef_.copy(),
        "intercept_": model.intercept_.copy(),
        "loss_": model.loss_,
        "grad_coef_": model.grad_coef_.copy(),
        "grad_intercept_": model.grad_intercept_.copy(),
        "loss_curve_": list(model.loss_curve_),
        "step_size_": model.step_size_,
        "n_restarts_": model.n_restarts_,
        "converged_": model.converged_,
        "diverged_": model.diverged_,
        "prev": np.column_stack([model._prev_coef, model._prev_intercept]),
        "momentum": model._momentum,
    }


def assert_same_state(model, expected):
    for name, value in expected.items():
        actual = state(model)[name]
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(actual, value, err_msg=name)
        else:
            assert actual == value and type(actual) is type(value), name


@pytest.mark.parametrize("solver", ["gd", "nesterov", "newton"])
def test_restore_after_a_divergence_brings_back_the_converged_run(solver):
    """Converge, diverge (a huge learning rate), restore: the flags, J, its gradient, the
    step size and the solver's memory are the converged run's, and training on reproduces
    the run that never diverged."""
    X, y = make_noisy_classes()
    data = TrainingData(X, y)
    model = SoftmaxRegression(solver=solver, tol=1e-3).step(data, 500, until_converged=True)
    twin = SoftmaxRegression(solver=solver, tol=1e-3).step(data, 500, until_converged=True)
    assert model.converged_ is True and model.step_size_ > 0
    snapshot, before = model.snapshot(), state(model)
    np.testing.assert_allclose(
        np.column_stack([model.grad_coef_, model.grad_intercept_]),
        numeric_gradient(model, X, y),
        atol=1e-8,
    )

    model.set_params(learning_rate=1e6, solver="gd")
    with pytest.warns(DivergenceWarning):
        model.step(data, 3)
    assert model.diverged_ and not model.converged_

    model.set_params(learning_rate="auto", solver=solver).restore(snapshot)
    assert_same_state(model, before)
    model.step(data, 4)
    twin.step(data, 4)
    assert_same_state(model, state(twin))


def test_restore_brings_back_a_divergence():
    """A snapshot taken when the run had diverged restores ``diverged_`` (after a warm start
    had trained on from there)."""
    X, y = make_noisy_classes()
    model = SoftmaxRegression(learning_rate=1e6, warm_start=True)
    with pytest.warns(DivergenceWarning):
        model.fit(X, y)
    diverged, before = model.snapshot(), state(model)
    with pytest.warns(ConvergenceWarning):
        model.set_params(learning_rate="auto", max_iter=5).fit(X, y)
    assert model.diverged_ is False and model.n_iter_ == 6
    model.restore(diverged)
    assert_same_state(model, before)
    assert model.diverged_ is True
    with pytest.warns(DivergenceWarning, match="diverged earlier"):
        model.partial_fit(X, y)


def test_restore_brings_back_where_explosions_are_judged_from():
    """A warm start after a divergence judges explosions from where it restarted (J about
    3.1e6); restoring a snapshot from before goes back to judging from log 3."""
    X, y = make_noisy_classes()
    model = SoftmaxRegression(warm_start=True, max_iter=5, tol=0.0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    before = model.snapshot()
    with pytest.warns(DivergenceWarning):
        model.set_params(learning_rate=1e6).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        model.set_params(learning_rate="auto").fit(X, y)  # restarted: judged from 3.1e6
    model.restore(before)
    with pytest.warns(DivergenceWarning, match="at iteration 6 [(]it started at 1.099[)]"):
        model.set_params(learning_rate=1e6).partial_fit(X, y)
    assert model.diverged_


@pytest.mark.parametrize("solver", ["gd", "nesterov"])
def test_restore_to_the_start_and_to_the_current_iteration(solver):
    X, y = make_noisy_blobs(120, 3, random_state=3)
    model = SoftmaxRegression(solver=solver).advance(X, y, n_steps=0)
    start, at_start = model.snapshot(), state(model)
    assert at_start["step_size_"] == 0.0 and at_start["converged_"] is False
    model.advance(X, y, n_steps=6)
    current, now = model.snapshot(), state(model)
    model.restore(current)  # the current iteration: nothing changes
    assert_same_state(model, now)
    model.restore(start)
    assert_same_state(model, at_start)
    model.advance(X, y, n_steps=6)
    assert_same_state(model, now)


# ------------------------------------------------------------------- validation


@pytest.fixture(scope="module")
def trained():
    """A Nesterov model after 5 steps (2-D blobs: coef (3, 2), intercept (3,))."""
    X, y = make_noisy_blobs(120, 3, random_state=3)
    model = SoftmaxRegression(solver="nesterov").advance(X, y, n_steps=5)
    return model, model.snapshot()


FOREIGN = "the snapshot does not come from this run"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"run_token": "0" * 32}, FOREIGN),
        ({"n_iter": 6}, FOREIGN),
        ({"n_iter": -1}, FOREIGN),
        ({"n_iter": 2}, FOREIGN),  # its loss is not the history's at iteration 2
        ({"n_iter": True}, "snapshot n_iter must be an integer, got True"),
        ({"n_iter": 5.0}, "snapshot n_iter must be an integer, got 5.0"),
        ({"loss": 0.5}, FOREIGN),
        ({"coef": np.zeros((3, 3))}, "snapshot coef must be a float array of shape (3, 2)"),
        (
            {"coef": np.zeros((3, 2), dtype=int)},
            "snapshot coef must be a float array of shape (3, 2)",
        ),
        ({"coef": [[0.0, 0.0]] * 3}, "snapshot coef must be a float array of shape (3, 2)"),
        ({"coef": np.full((3, 2), "a")}, "snapshot coef must be a float array of shape (3, 2)"),
        ({"intercept": np.zeros((3, 1))}, "snapshot intercept must be a float array of shape (3,)"),
        ({"intercept": np.zeros(2)}, "snapshot intercept must be a float array of shape (3,)"),
        ({"grad_coef": np.full((3, 2), np.nan)}, "snapshot grad_coef must be finite"),
        (
            {"grad_intercept": np.zeros(4)},
            "snapshot grad_intercept must be a float array of shape (3,)",
        ),
        ({"prev_coef": np.full((3, 2), np.inf)}, "snapshot prev_coef must be finite"),
        ({"prev_intercept": None}, "snapshot prev_intercept must be a float array of shape (3,)"),
        ({"momentum": "2"}, "snapshot momentum must be a number, got '2'"),
        ({"momentum": True}, "snapshot momentum must be a number, got True"),
        ({"step_size": float("nan")}, "snapshot step_size must be finite, got nan"),
        ({"reference_loss": float("inf")}, "snapshot reference_loss must be finite, got inf"),
        ({"momentum": 0.5}, "snapshot momentum must be >= 1 and step_size >= 0"),
        ({"step_size": -0.1}, "snapshot momentum must be >= 1 and step_size >= 0"),
        ({"n_restarts": -1}, "snapshot n_restarts must be >= 0, got -1"),
        ({"n_restarts": 1.5}, "snapshot n_restarts must be >= 0, got 1.5"),
        ({"converged": 1}, "snapshot converged must be a bool"),
        ({"diverged": "no"}, "snapshot diverged must be a bool"),
    ],
)
def test_restore_refuses_a_malformed_snapshot(trained, change, message):
    model, snapshot = trained
    before = state(model)
    with pytest.raises(ValueError, match=exact(message)):
        model.restore(snapshot._replace(**change))
    assert_same_state(model, before)  # nothing half-restored


def test_restore_refuses_a_negative_iteration_even_with_a_recorded_loss(trained):
    """n_iter = -1 with the loss of the history's last entry (what ``loss_curve_[-1]`` would
    find) is no point of the run."""
    model, snapshot = trained
    forged = snapshot._replace(n_iter=-1, loss=model.loss_curve_[-1])
    with pytest.raises(ValueError, match=exact(FOREIGN)):
        model.restore(forged)
    assert model.n_iter_ == 5 and len(model.loss_curve_) == 5


@pytest.mark.parametrize(("learning_rate", "n_steps"), [("auto", 8), (0.5, 3)])
def test_the_current_iterations_loss_may_differ_in_its_last_bits(learning_rate, n_steps):
    """Re-evaluated in another summation order, J at the current iteration may have moved by
    rounding: a snapshot's loss within 1e-12 of it (relative, at least 1e-12 absolute) is
    this run's; further off it is not. J is 0.99 here at 1/L, 3.5 at lr 0.5."""
    X, y = make_noisy_classes()
    model = SoftmaxRegression(learning_rate=learning_rate).advance(X, y, n_steps=n_steps)
    snapshot = model.snapshot()
    assert snapshot.loss == pytest.approx(0.99 if learning_rate == "auto" else 3.5, abs=0.01)
    tolerance = 1e-12 * max(1.0, snapshot.loss)
    for offset in (0.5 * tolerance, -0.5 * tolerance):
        model.restore(snapshot._replace(loss=snapshot.loss + offset))
        assert model.n_iter_ == n_steps
        model.restore(snapshot)
    for offset in (1.5 * tolerance, -1.5 * tolerance):
        with pytest.raises(ValueError, match=exact(FOREIGN)):
            model.restore(snapshot._replace(loss=snapshot.loss + offset))


def test_restore_refuses_what_is_not_a_snapshot(trained):
    model, snapshot = trained
    with pytest.raises(ValueError, match=exact(FOREIGN)):
        model.restore(tuple(snapshot))


def test_restore_accepts_numpy_scalars(trained):
    model, snapshot = trained
    converted = snapshot._replace(
        n_iter=np.int64(snapshot.n_iter),
        loss=np.float64(snapshot.loss),
        momentum=np.float64(snapshot.momentum),
        n_restarts=np.int32(snapshot.n_restarts),
        converged=np.bool_(snapshot.converged),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.restore(converted)
    assert model.n_iter_ == 5 and isinstance(model.loss_, float)
