"""The settings that define a run and a view, their bounds, and their form in a shareable URL.

Plain Python, no Streamlit: a URL's query parameters go in as strings and come out as
``Settings`` and ``View`` plus a list of what was wrong with them. Every value is bounded so
that no link can make the server work without end, and every message quotes a link's value
cut short and as plain text (see :func:`quote`), never as markup.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

from softmax_core import SOLVERS, STOCHASTIC_SOLVERS, iteration_cost
from softmax_core.data import MAX_CLASSES, MAX_SAMPLES, MAX_SEED, MIN_CLASSES
from softmax_core.datasets import MAX_HOLDOUT, REAL_DATASETS, real_shape
from softmax_core.solvers import DEFAULT_BATCH_SIZE, SECONDS_PER_FLOP
from softmax_core.text import PLAIN_LENGTH, plain

from . import escape

KINDS = ("line", "blobs", "iris", "wine", "upload")
GENERATED = ("line", "blobs")
# The real data sets shipped with scikit-learn: points, feature columns and classes, as the
# core reads them from their files.
REAL_SHAPES = {name: real_shape(name) for name in REAL_DATASETS}
REAL_SIZES = {name: shape[0] for name, shape in REAL_SHAPES.items()}
REAL_FEATURE_COUNTS = {name: shape[1] for name, shape in REAL_SHAPES.items()}
HOLDOUT_RANGE = (0.0, MAX_HOLDOUT)
MIN_SAMPLES = 10
MAX_ITER = 100_000
LR_RANGE = (1e-6, 1e6)
C_RANGE = (1e-4, 1e4)
TOL_RANGE = (0.0, 0.1)
NOISE_RANGE = (0.0, 1.0)
# scikit-learn's reference fit per request, in sample-iterations of its solver.
WORK_BUDGET = 50_000_000
# The training work of one request, in the core's flop-equivalents of the solver in use
# (softmax_core.iteration_cost, about SECONDS_PER_FLOP seconds each where it was calibrated):
# a click steps at most STEP_SECONDS' worth (on the seed's data that is MAX_ITER steps, what
# "Run to the optimum" takes there); opening a link replays at most REPLAY_FACTOR times that,
# and its pins together at most PINS_FACTOR times that, so that any one request stays within
# a few seconds whatever the solver, k, d and n.
STEP_SECONDS = 3.0
REPLAY_FACTOR = 1
PINS_FACTOR = 1
MAX_SCHEDULE_SEGMENTS = 50
MAX_PINS = 4
REFERENCES = ("same", "default")
LOSS_WINDOWS = ("all", "last", "logx")
LAST_ITERATIONS = 50
SPEEDS = ("slow", "normal", "fast", "smooth", "turbo")
PANELS = ("model", "landscape", "simplex")
TEMPERATURE_RANGE = (0.05, 20.0)
MAX_LESSONS, MAX_LESSON_STEPS = 9, 20  # bounds of the URL's numbers (ui.lessons has fewer)
PLANES = ("start", "steepest")
MAX_POINT = MAX_SAMPLES - 1
# The solvers a link and the app offer: the full-batch ones and mini-batch SGD.
APP_SOLVERS = (*SOLVERS, *STOCHASTIC_SOLVERS)
# sgd's batch size: 1 (one point per step) to every point (then it is gd, bit for bit).
BATCH_RANGE = (1, MAX_SAMPLES)
QUOTE_LENGTH = PLAIN_LENGTH  # 30


@dataclass(frozen=True)
class Settings:
    """A run: the data set and the trainer.

    ``learning_rate`` is ``None`` for "auto" (1/L); ``C`` is ``math.inf`` for no penalty.
    The defaults are the seed note's data set and run. ``n_samples`` to ``seed`` describe a
    generated data set (``kind`` line or blobs); ``features`` picks the columns of a real one
    (iris, wine; empty: the default single feature); ``upload`` is the digest of an uploaded
    CSV (it lives in the session only: no link carries it) with the columns chosen from it.
    ``holdout`` is the share of points held out of training, ``standardise`` scales the
    features to mean 0 and variance 1 on the training points, as a Pipeline would.
    ``batch_size`` and ``batch_seed`` are ``sgd``'s: the points per mini-batch step and the
    seed of the epochs' shuffled orders (the core's ``random_state``); the other solvers
    ignore them.
    """

    kind: str = "line"
    n_samples: int = 100
    n_classes: int = 3
    noise: float = 0.1
    seed: int = 0
    learning_rate: float | None = 0.5
    C: float = math.inf
    solver: str = "gd"
    tol: float = 1e-6
    max_iter: int = 1000
    features: tuple[int, ...] = ()
    standardise: bool = False
    holdout: float = 0.0
    holdout_seed: int = 0
    upload: str | None = None
    upload_columns: tuple[str, ...] = ()
    upload_label: str = ""
    upload_rows: int = 0
    batch_size: int = DEFAULT_BATCH_SIZE
    batch_seed: int = 0

    def data_key(self) -> tuple:
        """What defines the data set the model learns from (a change means a new run):
        the points, the held-out split and the scaling of the features."""
        return (
            self.kind,
            self.n_samples,
            self.n_classes,
            self.noise,
            self.seed,
            self.features,
            self.standardise,
            self.holdout,
            self.holdout_seed,
            self.upload,
            self.upload_columns,
            self.upload_label,
        )

    def run_key(self) -> tuple:
        """What defines the objective and the optimiser (a change means a new run): for
        ``sgd`` its batches too (a run replays from its batch size and seed)."""
        batches = (self.batch_size, self.batch_seed) if self.solver == "sgd" else ()
        return (*self.data_key(), self.C, self.solver, *batches)

    @property
    def n_points(self) -> int:
        """How many points the data set has (for the work budgets)."""
        if self.kind in REAL_SIZES:
            return REAL_SIZES[self.kind]
        if self.kind == "upload":
            return max(self.upload_rows, 1)
        return self.n_samples

    @property
    def n_features(self) -> int:
        """How many features the model sees (for the work budgets)."""
        if self.kind == "line":
            return 1
        if self.kind == "blobs":
            return 2
        if self.kind == "upload":
            return max(1, len(self.upload_columns))
        return max(1, len(self.features))

    @property
    def n_classes_at_most(self) -> int:
        """How many classes the data set has, or at most (an upload's, unknown here)."""
        if self.kind in REAL_SIZES:
            return REAL_SHAPES[self.kind][2]
        if self.kind == "upload":
            return MAX_CLASSES
        return self.n_classes

    def iteration_cost(self, solver: str | None = None) -> float:
        """The core's estimate of one iteration's work on this data, in flop-equivalents,
        for ``solver`` (this run's by default)."""
        return iteration_cost(
            solver or self.solver,
            self.n_points,
            self.n_features,
            self.n_classes_at_most,
            self.batch_size,
        )

    def iterations_within(self, seconds: float, solver: str | None = None) -> int:
        """How many iterations take about ``seconds`` (at least one)."""
        work = seconds / SECONDS_PER_FLOP
        return max(1, min(MAX_ITER, int(work // self.iteration_cost(solver))))

    def step_budget(self, solver: str | None = None) -> int:
        """How many iterations one request may run on this data."""
        return self.iterations_within(STEP_SECONDS, solver)

    def replay_budget(self) -> int:
        """How many iterations opening a link may replay on this data."""
        return self.iterations_within(REPLAY_FACTOR * STEP_SECONDS)


@dataclass(frozen=True)
class View:
    """How the pages show a run (no effect on the run itself).

    ``reference`` is the scikit-learn model drawn as the target: ``"same"`` minimises the
    scratch model's objective, ``"default"`` is ``LogisticRegression()`` with C = 1.
    ``loss_window`` shows the whole loss history, its last iterations, or a log x axis.
    ``panel`` is what Train shows beside the loss: the model's probabilities or the loss
    landscape, on the plane of the steepest direction and the ``plane`` one.
    """

    reference: str = "same"
    show_target: bool = True
    log_y: bool = False
    loss_window: str = "all"
    point: int | None = None
    speed: str = "fast"
    panel: str = "model"
    plane: str = "start"
    temperature: float = 1.0
    lesson: int | None = None  # 0-based; the URL counts from 1
    lesson_step: int = 0


SEED_NOTE = Settings()
DEFAULT_VIEW = View()
Schedule = list[tuple[float | None, int]]


@dataclass(frozen=True)
class PinSpec:
    """A pinned run, as a link carries it: replayed from zero on the session's data."""

    solver: str
    C: float
    schedule: tuple[tuple[float | None, int], ...]
    batch_size: int = DEFAULT_BATCH_SIZE  # sgd's batches (ignored by the other solvers)
    batch_seed: int = 0

    @property
    def n_iter(self) -> int:
        return sum(count for _, count in self.schedule)


def _format_float(value: float) -> str:
    return repr(float(value))


def _format_schedule(schedule) -> str:
    return ",".join(
        f"{'auto' if lr is None else _format_float(lr)}x{count}" for lr, count in schedule
    )


def _format_pin(pin: PinSpec) -> str:
    penalty = "none" if math.isinf(pin.C) else _format_float(pin.C)
    text = f"{pin.solver}~{penalty}~{_format_schedule(pin.schedule)}"
    if pin.solver == "sgd":
        text += f"~{pin.batch_size}~{pin.batch_seed}"
    return text


def to_query(
    settings: Settings,
    n_iter: int,
    schedule: Schedule,
    view: View = DEFAULT_VIEW,
    *,
    classroom: bool = False,
    pins: tuple[PinSpec, ...] = (),
) -> dict[str, str]:
    """Query parameters for a run after ``n_iter`` iterations, seen with ``view``.

    ``schedule`` lists ``(learning_rate, iterations)`` segments; it is written unless the
    whole run used the current learning rate. View options are written only when they
    differ from the defaults, to keep links short.
    """
    query = {
        "kind": settings.kind,
        "n": str(settings.n_samples),
        "k": str(settings.n_classes),
        "noise": _format_float(settings.noise),
        "seed": str(settings.seed),
        "lr": "auto" if settings.learning_rate is None else _format_float(settings.learning_rate),
        "C": "none" if math.isinf(settings.C) else _format_float(settings.C),
        "solver": settings.solver,
        "tol": _format_float(settings.tol),
        "max_iter": str(settings.max_iter),
        "iter": str(n_iter),
    }
    if len(schedule) > 1 or (schedule and schedule[0][0] != settings.learning_rate):
        query["sched"] = _format_schedule(schedule)
    if settings.kind in REAL_SIZES and settings.features:
        query["features"] = ",".join(str(i) for i in settings.features)
    if settings.standardise:
        query["std"] = "1"
    if settings.holdout:
        query["holdout"] = _format_float(settings.holdout)
    if settings.holdout or settings.holdout_seed:  # a seed kept while nothing is held out
        query["hseed"] = str(settings.holdout_seed)
    if settings.batch_size != DEFAULT_BATCH_SIZE:
        query["batch"] = str(settings.batch_size)
    if settings.batch_seed:
        query["bseed"] = str(settings.batch_seed)
    if pins:
        query["pins"] = ";".join(_format_pin(pin) for pin in pins)
    if view.lesson is not None:
        query["lesson"] = str(view.lesson + 1)
        query["step"] = str(view.lesson_step + 1)
    for name, (attribute, _) in _VIEW_PARSERS.items():
        if attribute in ("lesson", "lesson_step"):
            continue  # written above, counted from 1
        value = getattr(view, attribute)
        if value != getattr(DEFAULT_VIEW, attribute):
            query[name] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    if classroom:
        query["classroom"] = "1"
    return query


def quote(raw: str, limit: int = QUOTE_LENGTH) -> str:
    """A link's value as plain text: :func:`softmax_core.text.plain` (whitespace runs as one
    space, other unprintable characters as ``?``), cut to ``limit``; kept for its callers."""
    return plain(raw, limit)


def escape_markdown(text: str) -> str:
    """``text`` as plain text in Streamlit's markdown: :func:`ui.escape.markdown`, kept for
    its callers."""
    return escape.markdown(text)


class _Problems(list):
    def bad(self, name: str, raw: str, why: str) -> None:
        self.append(f"{name}={quote(raw)!r}: {why}")


_INT = re.compile(r"[0-9]{1,12}")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,3})?")


def _parse_int(raw: str, low: int, high: int) -> int:
    # ASCII digits only: Python's int() also takes full-width digits and underscores.
    text = raw.strip()
    if not _INT.fullmatch(text) or not low <= int(text) <= high:
        raise ValueError(f"must be a whole number from {low:,} to {high:,}")
    return int(text)


def _parse_float(raw: str, low: float, high: float) -> float:
    text = raw.strip()
    if len(text) > QUOTE_LENGTH or not _FLOAT.fullmatch(text):
        raise ValueError(f"must be a number from {low:g} to {high:g}")
    value = float(text)
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"must be a number from {low:g} to {high:g}")
    return value


def _parse_lr(raw: str) -> float | None:
    if raw.strip().lower() == "auto":
        return None
    try:
        return _parse_float(raw, *LR_RANGE)
    except ValueError:
        message = f"must be auto or a number from {LR_RANGE[0]:g} to {LR_RANGE[1]:g}"
        raise ValueError(message) from None


def _parse_choice(raw: str, choices: tuple[str, ...]) -> str:
    if raw not in choices:
        raise ValueError(f"must be one of {', '.join(choices)}")
    return raw


_TRUE, _FALSE = ("1", "true", "on"), ("0", "false", "off")


def _parse_flag(raw: str) -> bool:
    text = raw.strip().lower()
    if text not in _TRUE + _FALSE:
        raise ValueError("must be 1 or 0")
    return text in _TRUE


def _parse_features(raw: str, n_columns: int) -> tuple[int, ...]:
    parts = raw.split(",")
    if len(parts) > 2:
        raise ValueError("must be one or two column numbers")
    features = tuple(_parse_int(part, 0, n_columns - 1) for part in parts)
    if len(set(features)) != len(features):
        raise ValueError("must be two different columns")
    return features


def _parse_c(raw: str) -> float:
    return math.inf if raw.strip() == "none" else _parse_float(raw, *C_RANGE)


_PARSERS = {
    "kind": ("kind", lambda raw: _parse_choice(raw, KINDS)),
    "n": ("n_samples", lambda raw: _parse_int(raw, MIN_SAMPLES, MAX_SAMPLES)),
    "k": ("n_classes", lambda raw: _parse_int(raw, MIN_CLASSES, MAX_CLASSES)),
    "noise": ("noise", lambda raw: _parse_float(raw, *NOISE_RANGE)),
    "seed": ("seed", lambda raw: _parse_int(raw, 0, MAX_SEED)),
    "lr": ("learning_rate", _parse_lr),
    "C": ("C", _parse_c),
    "solver": ("solver", lambda raw: _parse_choice(raw, APP_SOLVERS)),
    "tol": ("tol", lambda raw: _parse_float(raw, *TOL_RANGE)),
    "max_iter": ("max_iter", lambda raw: _parse_int(raw, 1, MAX_ITER)),
    "std": ("standardise", _parse_flag),
    "holdout": ("holdout", lambda raw: _parse_float(raw, *HOLDOUT_RANGE)),
    "hseed": ("holdout_seed", lambda raw: _parse_int(raw, 0, MAX_SEED)),
    "batch": ("batch_size", lambda raw: _parse_int(raw, *BATCH_RANGE)),
    "bseed": ("batch_seed", lambda raw: _parse_int(raw, 0, MAX_SEED)),
}
_VIEW_PARSERS = {
    "ref": ("reference", lambda raw: _parse_choice(raw, REFERENCES)),
    "target": ("show_target", _parse_flag),
    "logy": ("log_y", _parse_flag),
    "window": ("loss_window", lambda raw: _parse_choice(raw, LOSS_WINDOWS)),
    "point": ("point", lambda raw: _parse_int(raw, 0, MAX_POINT)),
    "speed": ("speed", lambda raw: _parse_choice(raw, SPEEDS)),
    "panel": ("panel", lambda raw: _parse_choice(raw, PANELS)),
    "plane": ("plane", lambda raw: _parse_choice(raw, PLANES)),
    "temp": ("temperature", lambda raw: _parse_float(raw, *TEMPERATURE_RANGE)),
    "lesson": ("lesson", lambda raw: _parse_int(raw, 1, MAX_LESSONS) - 1),
    "step": ("lesson_step", lambda raw: _parse_int(raw, 1, MAX_LESSON_STEPS) - 1),
}


def _parse_schedule(raw: str) -> Schedule:
    segments = raw.split(",")
    if len(segments) > MAX_SCHEDULE_SEGMENTS:
        raise ValueError(f"has more than {MAX_SCHEDULE_SEGMENTS} segments")
    schedule = []
    for segment in segments:
        lr, sep, count = segment.partition("x")
        try:
            if not sep:
                raise ValueError
            schedule.append((_parse_lr(lr), _parse_int(count, 1, MAX_ITER)))
        except ValueError:
            raise ValueError("must be segments like 0.5x120,autox30") from None
    return schedule


def _parse_pins(raw: str) -> tuple[PinSpec, ...]:
    """Pins like ``gd~none~0.5x30;nesterov~1.0~autox200``: solver, C and schedule each, at
    most ``MAX_PINS``; an ``sgd`` pin adds its batch size and seed, ``sgd~none~0.5x30~10~3``."""
    parts = raw.split(";")
    if len(parts) > MAX_PINS:
        raise ValueError(f"has more than {MAX_PINS} pins")
    pins = []
    for part in parts:
        fields = part.split("~")
        if fields[0] == "sgd" and len(fields) != 5:
            raise ValueError("must give an sgd pin its batch size and seed: sgd~none~0.5x30~32~0")
        if fields[0] != "sgd" and len(fields) != 3:
            raise ValueError("must be pins like gd~none~0.5x30 separated by ;")
        solver = _parse_choice(fields[0], APP_SOLVERS)
        C = _parse_c(fields[1])
        # An empty schedule is a run pinned at iteration 0 (the app lets one be pinned).
        schedule = tuple(_parse_schedule(fields[2])) if fields[2] else ()
        batches = {}
        if solver == "sgd":
            batches = {
                "batch_size": _parse_int(fields[3], *BATCH_RANGE),
                "batch_seed": _parse_int(fields[4], 0, MAX_SEED),
            }
        pins.append(PinSpec(solver, C, schedule, **batches))
    return tuple(pins)


def pins_within_budget(
    pins: tuple[PinSpec, ...], settings: Settings
) -> tuple[tuple[PinSpec, ...], int]:
    """The first pins whose replays together fit ``PINS_FACTOR`` clicks' work on the data
    (each counted at its own solver's cost), and how many did not fit."""
    budget = PINS_FACTOR * STEP_SECONDS / SECONDS_PER_FLOP
    kept, work = [], 0.0
    for pin in pins:
        pinned = replace(settings, batch_size=pin.batch_size)
        work += pin.n_iter * pinned.iteration_cost(pin.solver)
        if work > budget:
            break
        kept.append(pin)
    return tuple(kept), len(pins) - len(kept)


def truncate_schedule(schedule: Schedule, n_iter: int) -> Schedule:
    """The first ``n_iter`` iterations of a learning-rate schedule."""
    kept = []
    for lr, count in schedule:
        if n_iter <= 0:
            break
        kept.append((lr, min(count, n_iter)))
        n_iter -= count
    return kept


def within_replay_budget(
    settings: Settings, n_iter: int, schedule: Schedule
) -> tuple[int, Schedule, str | None]:
    """``n_iter`` and ``schedule`` cut to what a link may replay on ``settings``' data, and
    the notice that says so (None if nothing was cut)."""
    budget = settings.replay_budget()
    if n_iter <= budget:
        return n_iter, schedule, None
    notice = (
        f"iter={n_iter:,} is more than a link may replay on {settings.n_points:,} points "
        f"with {settings.solver}; restored the first {budget:,} iterations"
    )
    return budget, truncate_schedule(schedule, budget), notice


@dataclass(frozen=True)
class Restored:
    """What a URL asks for, after validation."""

    settings: Settings
    n_iter: int
    schedule: Schedule
    classroom: bool
    problems: list[str]
    view: View = field(default=DEFAULT_VIEW)
    pins: tuple[PinSpec, ...] = ()


def _parse_all(query: dict[str, str], parsers: dict, problems: _Problems) -> dict:
    values = {}
    for name, (attribute, parse) in parsers.items():
        if name in query:
            try:
                values[attribute] = parse(str(query[name]))
            except ValueError as error:
                problems.bad(name, str(query[name]), f"{error}; using the default")
    return values


def from_query(query: dict[str, str]) -> Restored:
    """Settings and view from URL query parameters; bad values fall back to the defaults.

    Unknown parameters are ignored. Each value that was rejected is described in
    ``problems``, for a notice on the page (quoted with :func:`quote`).
    """
    problems = _Problems()
    settings = replace(SEED_NOTE, **_parse_all(query, _PARSERS, problems))
    view = replace(DEFAULT_VIEW, **_parse_all(query, _VIEW_PARSERS, problems))
    if view.lesson is None and view.lesson_step:
        # A step belongs to a lesson: without one the link could not write it back.
        problems.bad("step", str(query["step"]), "needs a lesson; ignored")
        view = replace(view, lesson_step=0)
    if settings.kind == "upload":
        problems.append(
            "this link was made with an uploaded file, which never leaves the session that "
            "uploaded it: upload it again on the Data page (showing the seed's data meanwhile)"
        )
        # The seed's data set (its points, classes, noise and seed), split and scaled as the
        # link asks, trained as the link asks.
        seed_data = ("kind", "n_samples", "n_classes", "noise", "seed", "features", "upload")
        seed_data += ("upload_columns", "upload_label", "upload_rows")
        settings = replace(settings, **{name: getattr(SEED_NOTE, name) for name in seed_data})
    if "features" in query and settings.kind in REAL_SIZES:
        try:
            settings = replace(
                settings,
                features=_parse_features(
                    str(query["features"]), REAL_FEATURE_COUNTS[settings.kind]
                ),
            )
        except ValueError as error:
            problems.bad("features", str(query["features"]), f"{error}; using the default")
    if settings.n_samples < settings.n_classes:
        problems.append("n is smaller than k; using the default data set")
        settings = replace(
            settings, **{f: getattr(SEED_NOTE, f) for f in ("n_samples", "n_classes")}
        )
    n_iter = 0
    if "iter" in query:
        try:
            # Not capped by max_iter: lowering max_iter mid-run keeps the iterations done.
            n_iter = _parse_int(str(query["iter"]), 0, MAX_ITER)
        except ValueError as error:
            problems.bad("iter", str(query["iter"]), f"{error}; starting from iteration 0")
    schedule = [(settings.learning_rate, n_iter)] if n_iter else []
    if "sched" in query and not n_iter:
        problems.bad("sched", str(query["sched"]), "needs a valid iter")
    elif "sched" in query:
        try:
            parsed = _parse_schedule(str(query["sched"]))
            if sum(count for _, count in parsed) != n_iter:
                raise ValueError("does not add up to iter")
            schedule = parsed
        except ValueError as error:
            problems.bad("sched", str(query["sched"]), f"{error}; using the plain rate")
    n_iter, schedule, cut = within_replay_budget(settings, n_iter, schedule)
    if cut:
        problems.append(cut)
    classroom = False
    if "classroom" in query:
        try:
            classroom = _parse_flag(str(query["classroom"]))
        except ValueError as error:
            problems.bad("classroom", str(query["classroom"]), f"{error}; classroom mode off")
    pins: tuple[PinSpec, ...] = ()
    if "pins" in query:
        try:
            pins = _parse_pins(str(query["pins"]))
        except ValueError as error:
            problems.bad("pins", str(query["pins"]), f"{error}; no pins")
        pins, dropped = pins_within_budget(pins, settings)
        if dropped:
            problems.bad(
                "pins",
                str(query["pins"]),
                f"{dropped} of {len(pins) + dropped} left out: replaying them would take more "
                f"than {PINS_FACTOR * STEP_SECONDS:g} s of work on this data"
                + ("; no pins" if not pins else ""),
            )
    return Restored(settings, n_iter, schedule, classroom, list(problems), view, pins)
