"""Tests of divergence: when a run stops, what it keeps, what it says, and how it goes on.

A step whose objective is not finite is refused (the model stays where it was); a step whose
objective exceeds 1000 times the objective where the run began (at least 1000) is taken,
recorded, and stops the run. The thresholds are checked against the objective computed here
with plain exp/log; every warning is checked word for word.
"""

import inspect
import math
import os
import re
import warnings

import numpy as np
import pytest
from references import reference_gradient
from sklearn.exceptions import ConvergenceWarning

import softmax_core.model
from softmax_core import (
    DivergenceWarning,
    SoftmaxRegression,
    TrainingData,
    make_noisy_classes,
    stable_learning_rate_limit,
)

LOG3 = math.log(3)


@pytest.fixture
def seed_xy():
    return make_noisy_classes()


def naive_objective(theta, X, y):
    """``J`` at stacked parameters ``[W | b]``, unpenalised, with plain exp and log."""
    scores = X @ theta[:, :-1].T + theta[:, -1]
    scores -= scores.max(axis=1, keepdims=True)
    log_proba = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    return -np.mean(log_proba[np.arange(len(y)), y])


def caught_warnings(call):
    """Run ``call`` and return the warnings it gave (all of them, each time)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [(w.category, str(w.message)) for w in caught]


# ------------------------------------------------------------------ refused steps


def test_a_non_finite_step_is_refused_and_nothing_is_recorded(seed_xy):
    """lr = 1e308: the first step overflows. It used to be taken and rolled back without
    decrementing ``n_iter_`` (1 step, no history); now it is refused: iteration 0, empty
    history, ``len(loss_curve_) == n_iter_``."""
    X, y = seed_xy
    model = SoftmaxRegression(learning_rate=1e308)
    message = (
        "training diverged: the objective of iteration 1 is not finite (nan) (it started at "
        "1.099); learning_rate=1e+308 is too large (the stable limit 2/L is 0.1168). The run "
        "stays at iteration 0, the last finite objective."
    )
    assert caught_warnings(lambda: model.fit(X, y)) == [(DivergenceWarning, message)]
    assert model.n_iter_ == 0 and model.loss_curve_ == []
    assert model.loss_ == pytest.approx(LOG3, abs=1e-15)
    np.testing.assert_array_equal(model.coef_, 0.0)
    np.testing.assert_array_equal(model.intercept_, 0.0)
    np.testing.assert_allclose(
        np.column_stack([model.grad_coef_, model.grad_intercept_]),
        reference_gradient(np.zeros((3, 2)), X, y),
        atol=1e-15,
    )
    assert model.diverged_ is True and model.converged_ is False
    assert model.step_size_ == 0.0


def test_a_refused_step_after_accepted_ones_keeps_them(seed_xy):
    X, y = seed_xy
    model = SoftmaxRegression(warm_start=True, max_iter=5, tol=0.0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    coef, curve = model.coef_.copy(), list(model.loss_curve_)
    with pytest.warns(DivergenceWarning, match="stays at iteration 5, the last finite"):
        model.set_params(learning_rate=1e308).fit(X, y)
    assert model.n_iter_ == 5 and model.loss_curve_ == curve
    np.testing.assert_array_equal(model.coef_, coef)


def stacked(model):
    return np.column_stack([model.coef_, model.intercept_])


def test_a_step_refused_within_a_call_keeps_the_steps_taken_before_it(seed_xy, monkeypatch):
    """The third step of one ``advance`` call is refused (its objective made NaN): the model
    stays at the second iterate, with J and the gradient there, as if it had stopped."""
    X, y = seed_xy
    reference = SoftmaxRegression(learning_rate=0.1).advance(X, y, n_steps=2)
    gradient_step, steps = softmax_core.model.gradient_step, []

    def third_step_not_finite(*args):
        steps.append(gradient_step(*args))
        return steps[-1]._replace(loss=math.nan) if len(steps) == 3 else steps[-1]

    monkeypatch.setattr(softmax_core.model, "gradient_step", third_step_not_finite)
    model = SoftmaxRegression(learning_rate=0.1)
    with pytest.warns(DivergenceWarning, match="stays at iteration 2, the last finite"):
        model.advance(X, y, n_steps=5)
    assert model.n_iter_ == 2 and len(model.loss_curve_) == 2 and model.diverged_
    np.testing.assert_array_equal(stacked(model), stacked(reference))
    theta = stacked(model)
    assert model.loss_ == pytest.approx(naive_objective(theta, X, y), rel=1e-12)
    np.testing.assert_allclose(
        np.column_stack([model.grad_coef_, model.grad_intercept_]),
        reference_gradient(theta, X, y),
        atol=1e-15,
    )
    np.testing.assert_array_equal(model.path()[0], [0, 1, 2])


def test_an_objective_of_exactly_1000_times_the_start_is_no_explosion(seed_xy, monkeypatch):
    """Exploded means beyond 1000 J_0: the steps' objectives are set to 1000 J_0, then to
    the next float above it."""
    X, y = seed_xy
    model = SoftmaxRegression(learning_rate=0.1).advance(X, y, n_steps=0)
    threshold = 1000 * max(model.snapshot().reference_loss, 1.0)
    assert threshold == pytest.approx(1000 * LOG3, rel=1e-15)
    landings = iter([threshold, math.nextafter(threshold, math.inf)])
    gradient_step = softmax_core.model.gradient_step

    def landing(*args):
        return gradient_step(*args)._replace(loss=next(landings))

    monkeypatch.setattr(softmax_core.model, "gradient_step", landing)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.advance(X, y)
    assert model.n_iter_ == 1 and not model.diverged_
    with pytest.warns(DivergenceWarning, match="the objective reached 1099 at iteration 2"):
        model.advance(X, y)
    assert model.n_iter_ == 2 and model.diverged_


# -------------------------------------------------------------------- explosions


def test_an_exploding_step_is_recorded_and_stops_the_run(seed_xy):
    X, y = seed_xy
    model = SoftmaxRegression(learning_rate=1e6)
    message = (
        "training diverged: the objective reached 3.127e+06 at iteration 1 (it started at "
        "1.099); learning_rate=1e+06 is too large (the stable limit 2/L is 0.1168). The run "
        "stops here."
    )
    assert caught_warnings(lambda: model.fit(X, y)) == [(DivergenceWarning, message)]
    assert model.n_iter_ == 1 and model.loss_curve_ == [pytest.approx(LOG3, abs=1e-15)]
    expected = naive_objective(-1e6 * reference_gradient(np.zeros((3, 2)), X, y), X, y)
    assert model.loss_ == pytest.approx(expected, rel=1e-12)
    assert model.diverged_ is True and model.converged_ is False
    later = [(DivergenceWarning, "training diverged earlier; start a new fit")]
    assert caught_warnings(lambda: model.partial_fit(X, y)) == later
    assert caught_warnings(lambda: model.advance(X, y, n_steps=3)) == later
    assert caught_warnings(lambda: model.advance(X, y, n_steps=0)) == []  # no step asked
    assert model.n_iter_ == 1


@pytest.mark.parametrize("learning_rate", [300.0, 350.0, 360.0, 400.0])
def test_the_explosion_threshold_is_1000_times_the_start(seed_xy, learning_rate):
    """One step from zero lands at J of about 3.1 lr: whether the run stops depends on
    J > 1000 J_0 = 1000 log 3 = 1098.6 (measured: 938, 1094, 1126, 1251)."""
    X, y = seed_xy
    landing = naive_objective(-learning_rate * reference_gradient(np.zeros((3, 2)), X, y), X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        model = SoftmaxRegression(learning_rate=learning_rate).partial_fit(X, y)
    assert model.loss_ == pytest.approx(landing, rel=1e-12)
    assert model.diverged_ == (landing > 1000 * LOG3)


def test_explosions_are_judged_from_where_the_run_began_not_a_warm_start(seed_xy):
    """A warm start (without a divergence) continues the run: on relabelled data J starts
    at 1.37 there, but the threshold stays 1000 log 3. lr = 170 lands in between (1195)."""
    X, y = seed_xy
    relabelled = (y + 1) % 3
    model = SoftmaxRegression(warm_start=True, max_iter=20, tol=0.0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    theta = np.column_stack([model.coef_, model.intercept_])
    start = naive_objective(theta, X, relabelled)
    landing = naive_objective(
        theta - 170.0 * reference_gradient(theta, X, relabelled), X, relabelled
    )
    assert 1000 * LOG3 < landing < 1000 * start
    with pytest.warns(DivergenceWarning, match="it started at 1.099"):
        model.set_params(learning_rate=170.0, max_iter=1).fit(X, relabelled)
    assert model.diverged_ and model.n_iter_ == 21


def test_a_warm_start_after_divergence_trains_on_at_the_stable_rate(seed_xy):
    """It used to re-diverge at once and blame the stable 1/L: the explosion is judged from
    where the restart begins (J about 3.1e6), and at lr = 1/L J never increases."""
    X, y = seed_xy
    model = SoftmaxRegression(learning_rate=1e6, warm_start=True)
    with pytest.warns(DivergenceWarning):
        model.fit(X, y)
    restart = model.loss_
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.set_params(learning_rate="auto", max_iter=200).fit(X, y)
    assert [w.category for w in caught] == [ConvergenceWarning]  # slow, not diverging
    assert model.diverged_ is False and model.n_iter_ == 201
    assert model.learning_rate_ == pytest.approx(stable_learning_rate_limit(X) / 2, rel=1e-15)
    history = model.loss_history()
    assert history[1] == restart and np.all(np.diff(history[1:]) <= 0)
    assert history[-1] < restart
    # Judged from 3.1e6 on: a step to J = 2e9 (a thousandfold the start, not the restart)
    # is no explosion now.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.set_params(learning_rate=1e6, max_iter=1).fit(X, y)
    assert 1000 * LOG3 < model.loss_ < 1000 * restart and not model.diverged_


# ------------------------------------------------------ an all-zero design, no intercept


@pytest.mark.parametrize("solver", ["gd", "nesterov", "newton"])
def test_zero_features_without_intercept_give_the_flat_optimum(solver):
    """J is log 2 whatever the parameters: converged at once with probabilities 1/2. It used
    to raise ZeroDivisionError (L = 0)."""
    X, y = np.zeros((10, 1)), [0, 1] * 5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = SoftmaxRegression(fit_intercept=False, solver=solver).fit(X, y)
    assert model.converged_ and model.n_iter_ == 1
    assert model.learning_rate_ == 1e12  # 1 / MIN_LIPSCHITZ
    assert model.loss_ == pytest.approx(math.log(2), abs=1e-15)
    np.testing.assert_array_equal(model.predict_proba(X), 0.5)


# ---------------------------------------------------- where the warnings point


@pytest.mark.skipif(
    "MUTANT_UNDER_TEST" in os.environ,
    reason="mutmut's trampolines add stack frames: the location is tested in the plain run",
)
def test_warnings_point_at_the_callers_line(seed_xy):
    X, y = seed_xy
    data = TrainingData(X, y)
    calls = {
        "fit": lambda model: model.fit(X, y),
        "advance": lambda model: model.advance(X, y, n_steps=3),
        "step": lambda model: model.step(data, n_steps=3),
    }
    for name, call in calls.items():
        for learning_rate in (1e6, 1e308):
            model = SoftmaxRegression(learning_rate=learning_rate, max_iter=3)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                call(model)
                call(model)  # a fit starts over; the others warn "diverged earlier"
            # The line of the lambda, not of the loop calling it.
            where = (__file__, call.__code__.co_firstlineno)
            assert [(w.filename, w.lineno) for w in caught] == [where] * 2, name
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1
        SoftmaxRegression(max_iter=2).fit(X, y)
    where = [(ConvergenceWarning, __file__, line)]
    assert [(w.category, w.filename, w.lineno) for w in caught] == where


def test_messages_name_the_real_values(seed_xy):
    """The numbers in a divergence message are the model's, formatted to 4 digits."""
    X, y = seed_xy
    model = SoftmaxRegression(learning_rate=1e6)
    with pytest.warns(DivergenceWarning) as record:
        model.fit(X, y)
    numbers = re.findall(r"\d[\d.e+]*\d", str(record[0].message))
    assert f"{model.loss_:.4g}" in numbers and f"{model.learning_rate_limit_:.4g}" in numbers
