"""Fuzz every public core function: for each generated input, the test decides which outcome
is right and checks that it happens.

Where the rule is short (the data generators, ``line_thresholds``, the softmax family,
``one_hot``) an oracle here predicts it from the input alone: a ValueError whose message
starts with the name of the first out-of-range parameter (the order in which the function
checks them), or a result with the documented properties. Elsewhere the outcome must be a
ValueError with a message (never a TypeError, IndexError or MemoryError) or a finite result.
"""

from __future__ import annotations

import math
import numbers
import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from properties import examples
from sklearn.exceptions import ConvergenceWarning

import softmax_core as sc
from softmax_core.data import MAX_CLASSES, MAX_SAMPLES

FUZZ = settings(
    max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

numbers_ = st.one_of(
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 2, 3, -1, 0.5, 1e308, -0.0]),
)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)
arrays = st.one_of(
    hnp.arrays(np.float64, shapes, elements=st.floats(-1e6, 1e6)),
    hnp.arrays(np.float64, shapes, elements=st.floats(allow_nan=True, allow_infinity=True)),
    hnp.arrays(np.int64, shapes, elements=st.integers(-3, 6)),
)
junk = st.one_of(
    st.none(),
    st.booleans(),
    numbers_,
    st.text(max_size=5),
    st.lists(numbers_, max_size=5),
    arrays,
)


def bad_int(value, low, high=None):
    """Whether ``check_int`` refuses ``value`` for ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        return True
    return value < low or (high is not None and value > high)


def bad_real(value, low, high, *, low_open=False):
    """Whether ``check_real`` refuses ``value`` for the interval (finite values only)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return True
    value = float(value)
    if not math.isfinite(value):
        return True
    return (value <= low if low_open else value < low) or value > high


def expect_value_error_naming(name, call):
    """``call`` must raise ValueError whose message starts with the parameter's name."""
    with pytest.raises(ValueError, match=f"^{re.escape(name)}[ =]"):
        call()


def generator_problem(n_samples, n_classes, noise, random_state, cluster_std=1.0):
    """The first parameter the generators refuse (in the order they check), or None."""
    if bad_int(n_classes, 2, MAX_CLASSES):
        return "n_classes"
    if bad_int(n_samples, n_classes, MAX_SAMPLES):
        return "n_samples"
    if bad_real(noise, 0.0, 1.0):
        return "noise"
    if bad_real(cluster_std, 0.0, 10.0, low_open=True):
        return "cluster_std"
    if bad_int(random_state, 0, 2**32 - 1):
        return "random_state"
    return None


def check_generated(X, y, n_samples, n_classes, n_features):
    assert X.shape == (n_samples, n_features) and X.dtype == np.float64
    assert np.all(np.isfinite(X))
    assert y.shape == (n_samples,) and y.dtype.kind == "i"
    np.testing.assert_array_equal(np.unique(y), np.arange(n_classes))  # every class


# Valid values (with the edges of the ranges), out-of-range values and junk.
VALID = {
    "n_samples": st.one_of(st.integers(10, 120), st.integers(MAX_SAMPLES - 2, MAX_SAMPLES)),
    "n_classes": st.integers(2, MAX_CLASSES),
    "noise": st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0)),
    "cluster_std": st.one_of(st.just(10.0), st.floats(0.0, 10.0, exclude_min=True)),
    "random_state": st.one_of(st.sampled_from([0, 2**32 - 1]), st.integers(0, 2**32 - 1)),
}
INVALID = {
    "n_samples": st.one_of(junk, st.integers(-2, 9), st.integers(MAX_SAMPLES + 1, 2**40)),
    "n_classes": st.one_of(junk, st.integers(-1, 1), st.integers(MAX_CLASSES + 1, 20)),
    "noise": st.one_of(junk, st.floats(-1.0, -1e-9), st.floats(1.0 + 1e-9, 2.0)),
    "cluster_std": st.one_of(junk, st.floats(-1.0, 0.0), st.floats(10.0 + 1e-9, 20.0)),
    "random_state": st.one_of(junk, st.integers(-(2**33), -1), st.integers(2**32, 2**40)),
}


@st.composite
def generator_arguments(draw, names):
    """Arguments with none, one or several parameters drawn from the invalid values (which
    may still happen to be valid: the oracle decides)."""
    broken = draw(
        st.one_of(
            st.just(set()),
            st.sampled_from(names).map(lambda name: {name}),
            st.sets(st.sampled_from(names), min_size=2),
        )
    )
    return {name: draw(INVALID[name] if name in broken else VALID[name]) for name in names}


LINE = ["n_samples", "n_classes", "noise", "random_state"]
BLOBS = ["n_samples", "n_classes", "noise", "cluster_std", "random_state"]


@FUZZ
@given(arguments=generator_arguments(LINE))
def test_make_noisy_classes(arguments):
    def call():
        return sc.make_noisy_classes(**arguments)

    problem = generator_problem(**arguments)
    if problem is not None:
        expect_value_error_naming(problem, call)
        return
    n_samples, n_classes = arguments["n_samples"], arguments["n_classes"]
    x = np.linspace(0.0, 10.0, n_samples)
    clean = np.searchsorted(sc.line_thresholds(n_classes), x)  # the seed's ">" threshold
    if np.unique(clean).size < n_classes:  # a class of the line holds no grid point
        expect_value_error_naming("n_samples", call)
        return
    X, y = call()
    check_generated(X, y, n_samples, n_classes, 1)
    np.testing.assert_array_equal(X[:, 0], x)


@FUZZ
@given(arguments=generator_arguments(BLOBS))
def test_make_noisy_blobs(arguments):
    def call():
        return sc.make_noisy_blobs(**arguments)

    problem = generator_problem(**arguments)
    if problem is not None:
        expect_value_error_naming(problem, call)
        return
    X, y = call()
    check_generated(X, y, arguments["n_samples"], arguments["n_classes"], 2)


@FUZZ
@given(n_classes=st.one_of(junk, st.integers(-1, 12)))
def test_line_thresholds(n_classes):
    if bad_int(n_classes, 2, MAX_CLASSES):
        expect_value_error_naming("n_classes", lambda: sc.line_thresholds(n_classes))
        return
    thresholds = sc.line_thresholds(n_classes)
    assert thresholds.shape == (n_classes - 1,)
    assert np.all(np.diff(thresholds) > 0) and thresholds[0] > 0 and thresholds[-1] < 10


def as_finite_array(value):
    """``value`` as a non-empty finite float array, or None where the core refuses it."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    if array.size == 0 or not np.all(np.isfinite(array)):
        return None
    return array


@FUZZ
@given(scores=junk)
def test_softmax_family(scores):
    array = as_finite_array(scores)
    if array is None:
        for function in (sc.softmax, sc.log_softmax, sc.logsumexp):
            expect_value_error_naming("scores", lambda f=function: f(scores))
        return
    proba, log_proba, lse = sc.softmax(scores), sc.log_softmax(scores), sc.logsumexp(scores)
    if array.ndim == 0:  # one class: probability 1 (log_softmax gives it shape (1,))
        assert proba == 1.0 and np.all(log_proba == 0.0) and lse == array
        return
    assert proba.shape == log_proba.shape == array.shape and lse.shape == array.shape[:-1]
    assert np.all(proba >= 0) and np.all(log_proba <= 0)
    np.testing.assert_allclose(proba.sum(axis=-1), 1.0, atol=1e-12)
    assert np.all(lse >= array.max(axis=-1))


@FUZZ
@given(
    y=st.one_of(junk, hnp.arrays(np.int64, st.integers(1, 6), elements=st.integers(0, 3))),
    n_classes=st.one_of(junk, st.integers(-1, 5)),
)
def test_one_hot(y, n_classes):
    def call():
        return sc.one_hot(y, n_classes)

    if bad_int(n_classes, 1):
        expect_value_error_naming("n_classes", call)
        return
    labels = np.asarray(y)
    valid = (
        labels.ndim == 1
        and labels.size > 0
        and labels.dtype.kind in "iu"
        and labels.min() >= 0
        and labels.max() < n_classes
    )
    if not valid:
        expect_value_error_naming("y_encoded", call)
    elif labels.size * n_classes > 100_000_000:
        with pytest.raises(ValueError, match=r"^one_hot would need "):
            call()
    else:
        indicator = call()
        assert indicator.shape == (labels.size, n_classes)
        np.testing.assert_array_equal(indicator.sum(axis=1), 1.0)
        np.testing.assert_array_equal(indicator[np.arange(labels.size), labels], 1.0)


def finite_or_value_error(call):
    """Run ``call``; it may raise ValueError with a message, else its numbers are finite."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            result = call()
    except ValueError as error:
        assert str(error), "a ValueError must say what is wrong"
        return None
    for value in result if isinstance(result, tuple) else (result,):
        if isinstance(value, np.ndarray | float | int):
            assert np.all(np.isfinite(np.asarray(value, dtype=float)))
    return result


@FUZZ
@given(scores=junk, y=junk)
def test_cross_entropy(scores, y):
    finite_or_value_error(lambda: sc.cross_entropy(scores, y))


@FUZZ
@given(coef=junk, intercept=junk, X=junk, y=junk, C=junk)
def test_objective_gradient_and_hessian(coef, intercept, X, y, C):
    finite_or_value_error(lambda: sc.objective_gradient(coef, intercept, X, y, C))
    finite_or_value_error(lambda: sc.hessian(coef, intercept, X, C))
    finite_or_value_error(lambda: sc.local_curvature(coef, intercept, X, C))


@FUZZ
@given(X=junk, C=junk)
def test_step_size_bounds(X, C):
    finite_or_value_error(lambda: sc.lipschitz_constant(X, C))
    finite_or_value_error(lambda: sc.stable_learning_rate_limit(X, C))


@FUZZ
@given(y_true=junk, y_pred=junk, labels=junk)
def test_metrics(y_true, y_pred, labels):
    finite_or_value_error(lambda: sc.accuracy(y_true, y_pred))
    finite_or_value_error(lambda: sc.confusion_matrix(y_true, y_pred, labels))


@FUZZ
@given(p=junk, q=junk)
def test_probability_gap(p, q):
    gap = finite_or_value_error(lambda: sc.probability_gap(p, q))
    if gap is not None:
        assert np.isfinite([gap.max_abs_diff, gap.mean_kl, gap.agreement]).all()


@FUZZ
@given(
    learning_rate=st.one_of(junk, st.just("auto")),
    max_iter=junk,
    tol=junk,
    C=junk,
    solver=st.one_of(junk, st.sampled_from(["gd", "nesterov"])),
    X=junk,
    y=junk,
)
def test_softmax_regression(learning_rate, max_iter, tol, C, solver, X, y):
    model = sc.SoftmaxRegression(
        learning_rate=learning_rate, max_iter=max_iter, tol=tol, C=C, solver=solver
    )
    fitted = finite_or_value_error(lambda: model.partial_fit(X, y))
    if fitted is not None:
        assert len(fitted.loss_curve_) == fitted.n_iter_
        assert np.all(np.isfinite(fitted.predict_proba(X)))
