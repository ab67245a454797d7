"""Predict, then reveal: questions about a run that the run answers itself.

Plain Python over the core, no Streamlit. Each template steps *copies* of the run (never the
run: :func:`copy_run`, a deep copy of the model; the run's ``TrainingData`` is shared, its
buffers being scratch space between steps) and builds a :class:`Question` with its options,
its true answer and what the reveal should say, the numbers computed. A question a run
cannot answer now (diverged, at ``max_iter``, too close to call) raises
:class:`QuestionUnavailableError` with the reason, for the page to show instead.

The work of one question is bounded: at most :data:`QUESTION_WORK_BUDGET` sample-iterations,
a fifth of one click's ``ui.settings.WORK_BUDGET`` (5e7, "about 3 s"; 1e7 measured 1 to 2 s on
the shared 2-core development machine under load), and at most :data:`MAX_LOOKAHEAD_STEPS` or
:data:`MAX_RACE_STEPS` steps. Class names come from the data (an uploaded file's labels, say):
they go into the options as plain text, cut to ``ui.rooms.MAX_OPTION_LENGTH``, and the page
must show every text here as plain text.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from softmax_core import SoftmaxRegression, TrainingData
from softmax_core.data import MAX_SAMPLES

from .report import RISE_TOLERANCE, format_number, format_rate
from .rooms import MAX_OPTION_LENGTH
from .settings import LR_RANGE, quote

QUESTION_WORK_BUDGET = 10_000_000  # sample-iterations of one question, all copies together
MAX_LOOKAHEAD_STEPS = 1_000  # "after N more steps"
MAX_RACE_STEPS = 2_000  # steps of each learning rate in a race
RACE_CHUNK = 50  # the race steps this many at a time, then looks at the losses
TARGET_GAP = 1e-3  # "J − J* < 1e-3": the race's finish line
# A change of the loss within this share of it is rounding, not a rise or a fall: the rule
# of ui.report's trend of the last steps, so that the question and the page agree.
NO_CHANGE_TOLERANCE = RISE_TOLERANCE
# Two probabilities closer than this are a tie; a question about the argmax then has no
# answer worth asking.
TIE_MARGIN = 1e-9
DIRECTIONS = ("down", "up", "no change")


class QuestionUnavailableError(ValueError):
    """This run cannot ask this question now; the message says why, for a person."""


@dataclass(frozen=True)
class Question:
    """A question, its options and its true answer, and what the reveal says.

    ``text`` and ``reveal`` are plain text (never markup); ``numbers`` holds the figures
    behind the answer (losses, steps, probabilities), for the page or a test.
    """

    id: str
    text: str
    options: tuple[str, ...]
    answer: str
    reveal: str
    numbers: dict[str, object] = field(default_factory=dict)


# ----------------------------------------------------------------------------- helpers


def _check_run(model: SoftmaxRegression, data: TrainingData) -> None:
    if not isinstance(data, TrainingData):
        raise TypeError(f"data must be a TrainingData, got {type(data).__name__}")
    if not hasattr(model, "coef_"):
        raise QuestionUnavailableError("the run has not started: take a step first")
    if data.n_samples > MAX_SAMPLES:
        raise QuestionUnavailableError(f"questions are asked on at most {MAX_SAMPLES:,} points")
    if model.diverged_:
        raise QuestionUnavailableError("the run has diverged: it takes no more steps")


# What SoftmaxRegression rebuilds on its next step (see its __getstate__).
_MODEL_CACHES = ("_data_cache", "_evaluate", "_kernel", "_data", "_epoch_order")


def copy_run(model: SoftmaxRegression) -> SoftmaxRegression:
    """A deep copy of the run that shares no array with it and computes exactly as it would.

    Not ``copy.deepcopy(model)``: that goes through ``SoftmaxRegression.__getstate__``, which
    (as of this writing) pops the caches from the model's own ``__dict__`` (Python 3.11's
    ``object.__getstate__`` returns the dict itself), so the asked run would lose them and
    re-evaluate its loss, in another summation order, on its next step. The caches are left
    out here and rebuilt by the copy's first step; what tells the copy which data and
    summation order its gradient was taken in (``_evaluated_on``) is kept, so that it steps
    on bit for bit as the run will.
    """
    trial = object.__new__(type(model))
    kept = {name: value for name, value in vars(model).items() if name not in _MODEL_CACHES}
    trial.__dict__.update(copy.deepcopy(kept))
    return trial


def _stepped_copy(model: SoftmaxRegression, data: TrainingData, n_steps: int) -> SoftmaxRegression:
    """A copy of the run, stepped ``n_steps`` times."""
    trial = copy_run(model)
    with warnings.catch_warnings():
        # A copy diverging is an answer, not a warning for the page.
        warnings.simplefilter("ignore")
        trial.step(data, n_steps)
    return trial


def _steps_left(model: SoftmaxRegression) -> int:
    return max(0, model.max_iter - model.n_iter_)


def _work_cap(data: TrainingData, copies: int, limit: int) -> int:
    """The most steps each of ``copies`` copies may take on ``data``."""
    return max(0, min(limit, QUESTION_WORK_BUDGET // (copies * data.n_samples)))


def option_labels(names: Sequence[str]) -> tuple[str, ...]:
    """Class names as options: plain text, at most ``MAX_OPTION_LENGTH`` characters, distinct.

    Names that are the same once cut (or blank) are numbered: ``"2: label"``.
    """
    labels = [quote(str(name), MAX_OPTION_LENGTH).strip() for name in names]
    if len(set(labels)) == len(labels) and all(labels):
        return tuple(labels)
    return tuple(quote(f"{i}: {name}", MAX_OPTION_LENGTH) for i, name in enumerate(map(str, names)))


# ---------------------------------------------------------------- the loss at the next step


def loss_direction_question(model: SoftmaxRegression, data: TrainingData) -> Question:
    """ "Will the loss go up or down at the next step?", answered by one step of a copy.

    Options are ``down``, ``up`` and ``no change``: a change within ``NO_CHANGE_TOLERANCE``
    times ``max(|J|, 1)`` is rounding (the rule of the page's trend), and near the optimum it
    is the true answer. A next step whose objective is not finite counts as ``up``. Work: one
    step.

    Raises
    ------
    QuestionUnavailableError
        If the run has not started, has diverged, or is at ``max_iter``.
    """
    _check_run(model, data)
    if not _steps_left(model):
        raise QuestionUnavailableError(f"the run is at max_iter = {model.max_iter:,}")
    before, iteration = float(model.loss_), model.n_iter_
    trial = _stepped_copy(model, data, 1)
    after = float(trial.loss_) if trial.n_iter_ > iteration else math.inf
    change = after - before
    tolerance = NO_CHANGE_TOLERANCE * max(abs(before), 1.0)
    if change > tolerance:
        answer = "up"
    elif change < -tolerance:
        answer = "down"
    else:
        answer = "no change"
    rate = float(model.learning_rate_)
    limit = float(model.learning_rate_limit_)
    text = (
        f"At iteration {iteration:,} the loss is {format_number(before)}. Will it go down or up "
        f"at the next step? (No change: it moves by less than {NO_CHANGE_TOLERANCE:g} of itself.)"
    )
    if math.isfinite(after):
        reveal = (
            f"It went {answer}: from {before:.10g} to {after:.10g} at iteration "
            f"{iteration + 1:,}, a change of {change:+.3e}."
        )
    else:
        reveal = "It went up: the next step's loss is not finite, and the run diverges there."
    reveal += " " + _why_the_loss_moves(model.solver, rate, limit)
    return Question(
        id=f"loss-direction.{iteration}",
        text=text,
        options=DIRECTIONS,
        answer=answer,
        reveal=reveal,
        numbers={
            "iteration": iteration,
            "loss_before": before,
            "loss_after": after,
            "change": change,
            "tolerance": tolerance,
            "learning_rate": rate,
            "limit": limit,
        },
    )


def _why_the_loss_moves(solver: str, rate: float, limit: float) -> str:
    """The one-sentence reason each solver's loss rises or falls, with this run's numbers."""
    shown = f"the learning rate {format_rate(rate)}"
    stable = f"the stable limit 2/L = {format_rate(limit)}"
    if solver == "newton":
        return "Newton's line search takes only a step that lowers the loss (or none)."
    if solver == "nesterov":
        return f"Nesterov's momentum can raise the loss even below {stable} ({shown})."
    if solver == "sgd" and rate > limit:
        return (
            f"With {shown} above {stable} of full-batch gradient descent, and each SGD step "
            "following one mini-batch's gradient, a step can raise the loss."
        )
    if solver == "sgd":
        return (
            f"Each SGD step follows one mini-batch's gradient, which can raise the loss even "
            f"below {stable} of full-batch gradient descent ({shown})."
        )
    if rate > limit:
        return f"With {shown} above {stable}, a step can overshoot the minimum."
    # The descent lemma: below 2/L every gradient step lowers an L-smooth objective.
    return f"With {shown} below {stable}, every gradient step lowers the loss (down to rounding)."


# ------------------------------------------------------------ a point's class, N steps on


def point_class_question(
    model: SoftmaxRegression,
    data: TrainingData,
    x: Sequence[float] | np.ndarray,
    n_steps: int,
    class_names: Sequence[str],
    *,
    point_number: int,
) -> Question:
    """ "Which class will the model give point #i after N more steps?", answered by stepping
    a copy ``n_steps`` times and taking the argmax of ``predict_proba``.

    Parameters
    ----------
    x : array-like of shape (n_features,)
        The point as the model sees it (scaled, when the data set is standardised).
    n_steps : int
        1 to ``MAX_LOOKAHEAD_STEPS``, at most ``QUESTION_WORK_BUDGET / n_samples``, and no
        further than ``max_iter`` (where the run stops).
    class_names : sequence of str
        One name per class, in the order of ``model.classes_``; the options.
    point_number : int
        The point's number as the page shows it (for the text only).

    Raises
    ------
    QuestionUnavailableError
        If the run cannot take the steps, diverges on the way, or the two most probable
        classes are within ``TIE_MARGIN`` of each other after them.
    ValueError
        If ``x``, ``n_steps`` or ``class_names`` do not fit the run.
    """
    _check_run(model, data)
    x = np.asarray(x, dtype=np.float64)
    if x.shape != (data.n_features,) or not np.all(np.isfinite(x)):
        raise ValueError(f"x must be {data.n_features} finite numbers, one point")
    if len(class_names) != model.classes_.size:
        raise ValueError(f"class_names must name the {model.classes_.size} classes")
    cap = _work_cap(data, 1, MAX_LOOKAHEAD_STEPS)
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)):
        raise ValueError("n_steps must be a whole number")
    if not 1 <= n_steps <= cap:
        raise ValueError(f"n_steps must be from 1 to {cap:,} on {data.n_samples:,} points")
    if n_steps > _steps_left(model):
        raise QuestionUnavailableError(
            f"the run stops at max_iter = {model.max_iter:,}, {_steps_left(model):,} steps on"
        )
    labels = option_labels(class_names)
    now = model.predict_proba(x[None, :])[0]
    trial = _stepped_copy(model, data, int(n_steps))
    if trial.diverged_:
        raise QuestionUnavailableError(f"the run diverges within {n_steps:,} steps")
    later = trial.predict_proba(x[None, :])[0]
    order = np.argsort(-later, kind="stable")
    first, second = int(order[0]), int(order[1])
    if later[first] - later[second] < TIE_MARGIN:
        raise QuestionUnavailableError(
            f"after {n_steps:,} steps classes {labels[first]} and {labels[second]} are tied"
        )
    iteration = model.n_iter_
    current = int(np.argmax(now))
    if np.ptp(now) < TIE_MARGIN:
        standing = f"the model now gives every class the same probability, {now[0]:.3f}"
    else:
        standing = f"the model now gives it {labels[current]}, probability {now[current]:.3f}"
    text = (
        f"Point #{point_number:,}: {standing}. Which class will the model give it after "
        f"{n_steps:,} more steps?"
    )
    reveal = (
        f"After {n_steps:,} more steps (iteration {iteration + n_steps:,}) the model gives "
        f"point #{point_number:,} class {labels[first]}, probability {later[first]:.3f} "
        f"(next: {labels[second]}, {later[second]:.3f}); {standing}."
    )
    return Question(
        id=f"point-class.{point_number}.{iteration}.{n_steps}",
        text=text,
        options=labels,
        answer=labels[first],
        reveal=reveal,
        numbers={
            "iteration": iteration,
            "n_steps": int(n_steps),
            "probabilities_now": now.tolist(),
            "probabilities_after": later.tolist(),
            "class_index": first,
        },
    )


# ------------------------------------------------------------------- a learning-rate race


@dataclass(frozen=True)
class RaceLane:
    """How one learning rate did: the steps it took to the finish, or None."""

    learning_rate: float
    steps: int | None  # steps to J − J* < gap, None if not within the race's steps
    loss: float  # the loss there (or after the last step taken)
    diverged: bool


def _run_lane(
    model: SoftmaxRegression,
    data: TrainingData,
    rate: float,
    finish: float,
    max_steps: int,
) -> RaceLane:
    trial = copy_run(model)
    trial.set_params(learning_rate=rate)
    start = trial.n_iter_
    taken = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while taken < max_steps and not trial.diverged_:
            trial.step(data, min(RACE_CHUNK, max_steps - taken))
            if trial.n_iter_ - start == taken:  # no step taken: diverged at once
                break
            # loss_history()[start + k] is the loss after k steps of this lane.
            history = trial.loss_history()[start + taken + 1 :]
            below = np.flatnonzero(history < finish)
            if below.size:
                step = taken + 1 + int(below[0])
                return RaceLane(rate, step, float(history[below[0]]), False)
            taken = trial.n_iter_ - start
    return RaceLane(rate, None, float(trial.loss_), bool(trial.diverged_))


def learning_rate_race_question(
    model: SoftmaxRegression,
    data: TrainingData,
    learning_rates: Sequence[float],
    reference_loss: float,
    *,
    gap: float = TARGET_GAP,
    max_steps: int = MAX_RACE_STEPS,
) -> Question:
    """ "Which of these learning rates reaches J − J* < 1e-3 first?", answered by stepping a
    copy of the run at each rate, from where the run is now.

    ``J*`` is ``reference_loss``, scikit-learn's optimum of the same objective
    (``RunReport.reference_loss`` when the reference is ``"same"``). Each rate takes at most
    ``max_steps`` steps, capped at ``MAX_RACE_STEPS`` and at ``QUESTION_WORK_BUDGET`` over all
    rates; a rate that diverges or is not there by then never finishes. The fewest steps win;
    at the same step the lower loss wins. If none finishes, the answer is the option
    ``"none within N steps"``.

    Raises
    ------
    QuestionUnavailableError
        If the run has not started or has diverged, its solver (Newton) ignores the learning
        rate, or it is already within ``gap`` of ``J*``.
    ValueError
        For fewer than 2 or more than 4 rates, rates out of ``ui.settings.LR_RANGE``, rates
        that look the same as options, or a non-finite ``reference_loss``.
    """
    _check_run(model, data)
    rates = [float(rate) for rate in learning_rates]
    if not 2 <= len(rates) <= 4:
        raise ValueError("a race has 2 to 4 learning rates")
    if not all(math.isfinite(r) and LR_RANGE[0] <= r <= LR_RANGE[1] for r in rates):
        raise ValueError(f"learning rates must be from {LR_RANGE[0]:g} to {LR_RANGE[1]:g}")
    labels = [format_rate(rate) for rate in rates]
    if len(set(labels)) != len(labels):
        raise ValueError(f"the learning rates must differ as shown: {', '.join(labels)}")
    reference_loss = float(reference_loss)
    if not math.isfinite(reference_loss) or not math.isfinite(gap) or gap <= 0:
        raise ValueError("reference_loss must be finite and gap positive")
    if model.solver == "newton":
        raise QuestionUnavailableError("Newton's method ignores the learning rate")
    start_gap = float(model.loss_) - reference_loss
    if start_gap < gap:
        raise QuestionUnavailableError(
            f"the run is already within {gap:g} of J* (J − J* = {start_gap:.3g})"
        )
    limit = _work_cap(data, len(rates), min(max_steps, MAX_RACE_STEPS))
    if limit < 1:
        raise ValueError("max_steps must be at least 1")
    lanes = [_run_lane(model, data, rate, reference_loss + gap, limit) for rate in rates]
    none = f"none within {limit:,} steps"
    finished = [(lane.steps, lane.loss, i) for i, lane in enumerate(lanes) if lane.steps]
    if not finished:
        answer = none
    else:
        best = min(finished)
        if sum(1 for steps, loss, _ in finished if (steps, loss) == best[:2]) > 1:
            raise QuestionUnavailableError("two learning rates finish at the same step and loss")
        answer = labels[best[2]]
    iteration = model.n_iter_
    text = (
        f"From iteration {iteration:,} (J − J* = {start_gap:.3g}), which learning rate first "
        f"brings the loss within {gap:g} of scikit-learn's optimum J* = "
        f"{format_number(reference_loss)}? At most {limit:,} steps each; at the same step the "
        "lower loss wins."
    )

    def lane_result(label: str, lane: RaceLane) -> str:
        if lane.steps is not None:
            return f"{label}: {lane.steps:,} steps"
        if lane.diverged:
            return f"{label}: diverged"
        return f"{label}: not within {limit:,} steps (J − J* = {lane.loss - reference_loss:.3g})"

    results = "; ".join(lane_result(label, lane) for label, lane in zip(labels, lanes, strict=True))
    verdict = "None finished." if answer == none else f"{answer} got there first."
    reveal = (
        f"{verdict} {results}. The stable limit 2/L is {format_rate(model.learning_rate_limit_)}."
    )
    return Question(
        id=f"rate-race.{iteration}",
        text=text,
        options=(*labels, none),
        answer=answer,
        reveal=reveal,
        numbers={
            "iteration": iteration,
            "reference_loss": reference_loss,
            "gap": gap,
            "max_steps": limit,
            "lanes": lanes,
        },
    )
