"""One report of a run: every number the pages show about it, computed once per rerun.

Plain Python over the core, no Streamlit. The model owns its facts (iteration, loss,
converged, diverged, the learning rate in use and its limit); this module only gathers them,
adds the comparison with scikit-learn's reference fit and the measured trend of the last
steps, and formats numbers so that every display of one fact reads the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from softmax_core import (
    ProbabilityGap,
    SoftmaxRegression,
    TrainingData,
    accuracy,
    objective_gradient,
    probability_gap,
    symmetric_parameters,
)
from softmax_core.solvers import batches_per_epoch

# The last steps whose loss trend the explanations describe.
RECENT_STEPS = 20
# A change of the loss smaller than this share of it is rounding, not a rise.
RISE_TOLERANCE = 1e-12


@dataclass(frozen=True)
class Reference:
    """scikit-learn's fit drawn as the target, and what it is.

    ``objective`` is ``"same"`` (the scratch model's objective, tight tolerance) or
    ``"default"`` (``LogisticRegression()``, C = 1).
    """

    model: LogisticRegression
    objective: str
    C: float  # the scratch-model C it matches ("same"), or scikit-learn's own C = 1
    # Fixed for a reference, so computed once with it (see scored): its probabilities on
    # the training points, its parameters scored by the scratch model's objective, and the
    # norm of its (symmetric) weights.
    train_proba: np.ndarray
    train_objective: float
    norm: float

    @classmethod
    def scored(
        cls,
        model: LogisticRegression,
        objective: str,
        X: np.ndarray,
        y_encoded: np.ndarray,
        C: float,
    ) -> Reference:
        """scikit-learn's ``model``, fitted on ``(X, y)``, with what every report of it uses;
        ``C`` is the scratch model's (its objective scores the reference either way)."""
        coef, intercept = symmetric_parameters(model)
        return cls(
            model,
            objective,
            C if objective == "same" else 1.0,
            train_proba=model.predict_proba(X),
            train_objective=objective_gradient(coef, intercept, X, y_encoded, C)[0],
            norm=float(np.linalg.norm(coef)),
        )

    @property
    def label(self) -> str:
        if self.objective == "same":
            return f"scikit-learn, same objective ({format_penalty(self.C)})"
        return "scikit-learn default (C = 1)"

    @property
    def stopped_early(self) -> bool:
        """Whether its solver stopped at max_iter rather than at its tolerance."""
        return bool(np.max(self.model.n_iter_) >= self.model.max_iter)

    @property
    def n_iter(self) -> int:
        return int(np.max(self.model.n_iter_))


@dataclass(frozen=True)
class Epoch:
    """The last complete epoch of an ``sgd`` run, measured on the full-batch objective J
    (the model's ``loss_`` history): its steps ``start`` to ``end``, J's change between its
    two ends (the model's convergence rule), the steps that raised J, and what the rises and
    the falls of its steps add up to."""

    start: int
    end: int
    change: float  # J(end) - J(start)
    rises: int
    rise_total: float  # the sum of its steps' increases of J (>= 0)
    fall_total: float  # the sum of its steps' decreases of J (>= 0)

    @property
    def steps(self) -> int:
        return self.end - self.start

    @property
    def net_fall(self) -> float:
        """How much lower J ended than it started (negative: higher)."""
        return -self.change

    @property
    def bouncing(self) -> bool:
        """Whether the epoch's rises add up to at least its net fall: as much climbing as
        progress, the mark of a noise floor (never for an epoch without a rise)."""
        return self.rises > 0 and self.rise_total >= self.net_fall


def sgd_last_epoch(
    model: SoftmaxRegression, n_samples: int, history: np.ndarray | None = None
) -> Epoch | None:
    """The last complete epoch of ``model``'s run on ``n_samples`` training points (None
    before the first one ends). ``history`` is ``model.loss_history()``, if at hand."""
    history = model.loss_history() if history is None else history
    per_epoch = batches_per_epoch(n_samples, model.batch_size)
    end = model.n_iter_ // per_epoch * per_epoch
    start = end - per_epoch
    if start < 0:
        return None
    changes = np.diff(history[start : end + 1])
    rises = changes > RISE_TOLERANCE * np.maximum(np.abs(history[start:end]), 1.0)
    return Epoch(
        start=start,
        end=end,
        change=float(history[end] - history[start]),
        rises=int(np.count_nonzero(rises)),
        rise_total=float(np.sum(changes[changes > 0])),
        fall_total=float(-np.sum(changes[changes < 0])),
    )


@dataclass(frozen=True)
class RunReport:
    """The state of a run, as every page shows it."""

    n_iter: int
    max_iter: int
    solver: str
    C: float
    tol: float
    loss: float
    previous_loss: float | None
    converged: bool
    diverged: bool
    learning_rate: float
    auto_rate: bool
    limit: float
    lipschitz: float  # L, the curvature bound (limit = 2 / L)
    step_size: float
    n_restarts: int
    recent_steps: int
    recent_rises: int
    accuracy: float
    norm: float
    reference: Reference | None = None
    gap: ProbabilityGap | None = None
    reference_loss: float | None = None
    reference_norm: float | None = None
    heldout_accuracy: float | None = None  # on the held-out points, if there are any
    heldout_loss: float | None = None  # their mean cross-entropy (no penalty)
    # sgd only: its batch size, the steps of an epoch and the last complete epoch.
    batch_size: int | None = None
    epoch_steps: int = 1
    last_epoch: Epoch | None = None

    @property
    def loss_change(self) -> float | None:
        return None if self.previous_loss is None else self.loss - self.previous_loss

    @property
    def ratio(self) -> float:
        """The learning rate as a multiple of the stable limit 2/L."""
        return self.learning_rate / self.limit

    @property
    def at_max_iter(self) -> bool:
        return self.n_iter >= self.max_iter

    @property
    def same_objective(self) -> bool:
        return self.reference is not None and self.reference.objective == "same"

    @property
    def suboptimality(self) -> float | None:
        """``J - J*``: how far the scratch objective is above scikit-learn's, when both
        minimise the same objective."""
        if not self.same_objective or self.reference_loss is None:
            return None
        return self.loss - self.reference_loss


def _recent_trend(history: np.ndarray, steps_at_rate: int | None) -> tuple[int, int]:
    """How many of the last steps (at the current learning rate) there are, and in how
    many the loss rose."""
    window = RECENT_STEPS if steps_at_rate is None else min(RECENT_STEPS, steps_at_rate)
    window = min(window, history.size - 1)
    if window <= 0:
        return 0, 0
    recent = history[-(window + 1) :]
    rises = np.diff(recent) > RISE_TOLERANCE * np.maximum(np.abs(recent[:-1]), 1.0)
    return window, int(np.count_nonzero(rises))


def build_report(
    model: SoftmaxRegression,
    data: TrainingData,
    *,
    auto_rate: bool,
    reference: Reference | None = None,
    steps_at_rate: int | None = None,
    heldout: tuple[np.ndarray, np.ndarray] | None = None,
    diverged_at_rate: float | None = None,
) -> RunReport:
    """The report of ``model`` trained on ``data``, compared with ``reference`` if given.

    ``steps_at_rate`` is how many of the last steps used the current learning rate (the
    trend describes those only); None means all of them. ``heldout`` is ``(X, y_encoded)``
    of the points kept out of training, as the model sees them. ``diverged_at_rate``: the
    learning rate of the steps that diverged, when the model's rate has been set to another
    since (a link's schedule replayed): the report speaks of the rate that diverged.
    """
    history = model.loss_history()
    recent_steps, recent_rises = _recent_trend(history, steps_at_rate)
    gap = reference_loss = reference_norm = None
    if reference is not None:
        gap = probability_gap(model.predict_proba(data.X), reference.train_proba)
        reference_loss, reference_norm = reference.train_objective, reference.norm
    heldout_accuracy = heldout_loss = None
    if heldout is not None and heldout[1].size:
        X_test, y_test = heldout
        heldout_accuracy = accuracy(data.classes[y_test], model.predict(X_test))
        heldout_loss = objective_gradient(model.coef_, model.intercept_, X_test, y_test)[0]
    sgd = {}
    if model.solver == "sgd":
        sgd = {
            "batch_size": min(model.batch_size, data.n_samples),
            "epoch_steps": batches_per_epoch(data.n_samples, model.batch_size),
            "last_epoch": sgd_last_epoch(model, data.n_samples, history),
        }
    return RunReport(
        n_iter=model.n_iter_,
        max_iter=model.max_iter,
        solver=model.solver,
        C=model.C,
        tol=model.tol,
        loss=model.loss_,
        previous_loss=model.loss_curve_[-1] if model.loss_curve_ else None,
        converged=model.converged_,
        diverged=model.diverged_,
        learning_rate=model.learning_rate_ if diverged_at_rate is None else diverged_at_rate,
        auto_rate=auto_rate and diverged_at_rate is None,
        limit=model.learning_rate_limit_,
        lipschitz=model.lipschitz_,
        step_size=model.step_size_,
        n_restarts=model.n_restarts_,
        recent_steps=recent_steps,
        recent_rises=recent_rises,
        # The model's own prediction (argmax of the scores), as Compare counts it: on a tie
        # the probabilities' argmax can differ by rounding.
        accuracy=accuracy(data.y, model.predict(data.X)),
        norm=float(np.linalg.norm(model.coef_)),
        reference=reference,
        gap=gap,
        reference_loss=reference_loss,
        reference_norm=reference_norm,
        heldout_accuracy=heldout_accuracy,
        heldout_loss=heldout_loss,
        **sgd,
    )


def format_change(change: float | None, loss: float) -> str:
    """A step's change of the loss, as the metric shows it: a change that is rounding (below
    ``RISE_TOLERANCE`` of the loss, the rule that counts rises) is shown as about zero, not
    as a rise or a fall."""
    if change is None:
        return "–"
    if abs(change) <= RISE_TOLERANCE * max(abs(loss), 1.0):
        return "≈ 0 (rounding)"
    return f"{change:+.2e}"


def format_number(value: float, digits: int = 6) -> str:
    """A number that fits a metric: fixed point up to 10^5, scientific beyond or below."""
    if not math.isfinite(value):
        return str(value)
    if value != 0 and not 1e-4 <= abs(value) < 1e5:
        return f"{value:.{max(digits - 3, 2)}e}"
    return f"{value:.{digits}g}" if abs(value) >= 1 else f"{value:.{digits}f}"


def format_ratio(ratio: float) -> str:
    """A multiple like ``4.28×``, with as many decimals as it takes to stay on the right side
    of 1 (``1.001×`` above the limit, ``0.999×`` below): one rounding rule for all; from
    1,000 on, three significant digits (``8.56e+06×``: a link's rate may be anything)."""
    if ratio >= 1_000:
        return f"{ratio:.3g}×"
    for decimals in range(2, 8):
        text = f"{ratio:.{decimals}f}"
        if (float(text) > 1) == (ratio > 1) and (float(text) < 1) == (ratio < 1):
            return f"{text}×"
    return f"{ratio!r}×"


def format_penalty(C: float) -> str:
    return "C = ∞" if math.isinf(C) else f"C = {C:g}"


def format_rate(value: float) -> str:
    return f"{value:.4g}"
