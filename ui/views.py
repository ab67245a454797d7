"""From the session's model and data to the arrays and figures the pages show.

Every number comes from ``softmax_core``; this module only lays out grids, picks the figure
for the data's dimension, and caches scikit-learn's fit per data set and penalty.
"""

from __future__ import annotations

import copy
import io
import warnings
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from softmax_core import (
    ProbabilityGap,
    SoftmaxRegression,
    accuracy,
    fit_sklearn,
    local_curvature,
    objective_gradient,
    probability_gap,
    softmax,
    symmetric_parameters,
)

from . import figures, state

GRID_1D = 300
GRID_2D = 80
# The local curvature needs a Hessian over all points; on larger data the bound alone is shown.
CURVATURE_MAX_SAMPLES = 20_000


def class_names(model: SoftmaxRegression | LogisticRegression) -> list[str]:
    return [str(label) for label in model.classes_]


def grid_1d(X: np.ndarray) -> np.ndarray:
    low, high = float(X[:, 0].min()), float(X[:, 0].max())
    pad = 0.05 * (high - low or 1.0)
    return np.linspace(low - pad, high + pad, GRID_1D)


def grid_2d(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid axes and the ``(GRID_2D**2, 2)`` points, covering the data with a margin."""
    low, high = X.min(axis=0), X.max(axis=0)
    pad = 0.08 * np.maximum(high - low, 1.0)
    gx = np.linspace(low[0] - pad[0], high[0] + pad[0], GRID_2D)
    gy = np.linspace(low[1] - pad[1], high[1] + pad[1], GRID_2D)
    xx, yy = np.meshgrid(gx, gy)
    return gx, gy, np.column_stack([xx.ravel(), yy.ravel()])


def model_figure(
    model: SoftmaxRegression | LogisticRegression,
    X: np.ndarray,
    y: np.ndarray,
    *,
    reference: LogisticRegression | None = None,
    title: str,
    large: bool,
) -> go.Figure:
    """Probability curves (1-D) or decision regions (2-D) of a fitted model over the data.

    ``reference`` (1-D only) adds scikit-learn's curves, dashed.
    """
    names = class_names(model)
    y_index = np.searchsorted(model.classes_, y)
    if X.shape[1] == 1:
        grid = grid_1d(X)
        points = grid.reshape(-1, 1)
        return figures.probability_curves(
            grid,
            model.predict_proba(points),
            X,
            y_index,
            names,
            reference=None if reference is None else reference.predict_proba(points),
            title=title,
            large=large,
        )
    gx, gy, points = grid_2d(X)
    proba = model.predict_proba(points).reshape(gy.size, gx.size, -1)
    return figures.decision_regions(gx, gy, proba, X, y_index, names, title=title, large=large)


def loss_values(model: SoftmaxRegression, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The loss history plus the objective at the current parameters (the last point)."""
    return np.array([*model.loss_curve_, model.objective(X, y)])


@dataclass(frozen=True)
class Progress:
    """What the Train page reports about the current iteration."""

    n_iter: int
    loss: float
    previous_loss: float | None
    accuracy: float
    learning_rate: float
    limit: float
    curvature: float | None
    converged: bool


def progress(
    model: SoftmaxRegression, X: np.ndarray, y: np.ndarray, tol: float, losses: np.ndarray
) -> Progress:
    """The numbers of the current iteration; ``losses`` as from :func:`loss_values`."""
    curvature = (
        local_curvature(model.coef_, model.intercept_, X, model.C)
        if X.shape[0] <= CURVATURE_MAX_SAMPLES
        else None
    )
    previous = float(losses[-2]) if losses.size > 1 else None
    return Progress(
        n_iter=model.n_iter_,
        loss=float(losses[-1]),
        previous_loss=previous,
        accuracy=accuracy(y, model.predict(X)),
        learning_rate=float(model.learning_rate_),
        limit=float(model.learning_rate_limit_),
        curvature=curvature,
        converged=previous is not None and abs(previous - losses[-1]) < tol,
    )


@st.cache_data(max_entries=32, show_spinner=False)
def sklearn_model(data_key: tuple, C: float, same_objective: bool) -> LogisticRegression:
    """scikit-learn's fit on the data set: its default C=1, or the scratch model's objective."""
    X, y = state.load_dataset(*data_key)
    with warnings.catch_warnings():
        # The page says so when scikit-learn stops at max_iter (see sklearn_stopped_early).
        warnings.simplefilter("ignore", ConvergenceWarning)
        if same_objective:
            return fit_sklearn(X, y, same_objective_as=C)
        return fit_sklearn(X, y)


def sklearn_stopped_early(reference: LogisticRegression) -> bool:
    """Whether scikit-learn's solver stopped at its max_iter rather than converging."""
    return bool(np.max(reference.n_iter_) >= reference.max_iter)


def sklearn_objective(reference: LogisticRegression, model: SoftmaxRegression, X, y) -> float:
    """scikit-learn's parameters scored by the scratch model's objective (its C)."""
    coef, intercept = symmetric_parameters(reference)
    y_encoded = np.searchsorted(model.classes_, y)
    return objective_gradient(coef, intercept, X, y_encoded, model.C)[0]


def gap(model: SoftmaxRegression, reference: LogisticRegression, X) -> ProbabilityGap:
    return probability_gap(model.predict_proba(X), reference.predict_proba(X))


@dataclass(frozen=True)
class PointTrace:
    """One data point through the model: scores, probabilities, loss and gradient."""

    index: int
    x: np.ndarray
    label: str
    scores: np.ndarray
    proba: np.ndarray
    loss: float
    grad_coef: np.ndarray
    grad_intercept: np.ndarray


def trace_point(model: SoftmaxRegression, X: np.ndarray, y: np.ndarray, index: int) -> PointTrace:
    x_row = X[index : index + 1]
    scores = model.class_scores(x_row)[0]
    y_encoded = np.searchsorted(model.classes_, y[index : index + 1])
    loss, grad_coef, grad_intercept = objective_gradient(
        model.coef_, model.intercept_, x_row, y_encoded
    )
    return PointTrace(
        index=index,
        x=x_row[0],
        label=str(y[index]),
        scores=scores,
        proba=softmax(scores),
        loss=loss,
        grad_coef=grad_coef,
        grad_intercept=grad_intercept,
    )


def class_counts(y: np.ndarray) -> dict[str, int]:
    labels, counts = np.unique(y, return_counts=True)
    return {str(label): int(count) for label, count in zip(labels, counts, strict=True)}


def csv_text(X: np.ndarray, y: np.ndarray) -> str:
    """The data set as CSV: one column per feature, then the label."""
    buffer = io.StringIO()
    header = ",".join([*(f"x{i + 1}" for i in range(X.shape[1])), "label"])
    np.savetxt(
        buffer, np.column_stack([X, y]), delimiter=",", header=header, comments="", fmt="%.17g"
    )
    return buffer.getvalue()


@st.cache_data(max_entries=16, show_spinner=False)
def converged_model(data_key: tuple, C: float, max_iter: int) -> SoftmaxRegression:
    """A scratch model trained all the way (Nesterov, auto rate), for the home thumbnail."""
    X, y = state.load_dataset(*data_key)
    model = SoftmaxRegression(solver="nesterov", C=C, tol=1e-12, max_iter=max_iter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


@dataclass(frozen=True)
class NextStep:
    """The gradient at the current parameters and where one more step would take them."""

    grad_coef: np.ndarray
    grad_intercept: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    learning_rate: float


def next_step(model: SoftmaxRegression, X: np.ndarray, y: np.ndarray) -> NextStep:
    """One more iteration on a copy of the model (the run itself is not changed)."""
    ahead = copy.deepcopy(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ahead.partial_fit(X, y)
    return NextStep(
        ahead.grad_coef_, ahead.grad_intercept_, ahead.coef_, ahead.intercept_, ahead.learning_rate_
    )
