"""Fuzz every public core function: any input gives a finite result or a clear ValueError.

"Clear" means a ValueError (never a TypeError, IndexError or a NaN in the output) whose
message names what was wrong.
"""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.exceptions import ConvergenceWarning

import softmax_core as sc

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

numbers = st.one_of(
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
    numbers,
    st.text(max_size=5),
    st.lists(numbers, max_size=5),
    arrays,
)


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
@given(n_samples=junk, n_classes=junk, noise=junk, random_state=junk)
def test_make_noisy_classes(n_samples, n_classes, noise, random_state):
    finite_or_value_error(lambda: sc.make_noisy_classes(n_samples, n_classes, noise, random_state))


@FUZZ
@given(n_samples=junk, n_classes=junk, noise=junk, cluster_std=junk, random_state=junk)
def test_make_noisy_blobs(n_samples, n_classes, noise, cluster_std, random_state):
    finite_or_value_error(
        lambda: sc.make_noisy_blobs(n_samples, n_classes, noise, cluster_std, random_state)
    )


@FUZZ
@given(n_classes=junk)
def test_line_thresholds(n_classes):
    finite_or_value_error(lambda: sc.line_thresholds(n_classes))


@FUZZ
@given(scores=junk)
def test_softmax_family(scores):
    for function in (sc.softmax, sc.log_softmax, sc.logsumexp):
        finite_or_value_error(lambda f=function: f(scores))


@FUZZ
@given(y=junk, n_classes=junk)
def test_one_hot(y, n_classes):
    finite_or_value_error(lambda: sc.one_hot(y, n_classes))


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
