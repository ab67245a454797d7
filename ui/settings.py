"""The settings that define a run, their bounds, and their form in a shareable URL.

Plain Python, no Streamlit: a URL's query parameters go in as strings and come out as
``Settings`` plus a list of what was wrong with them. Every value is bounded so that no link
can make the server work without end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

KINDS = ("line", "blobs")
SOLVERS = ("gd", "nesterov")
MAX_SAMPLES = 100_000
MIN_SAMPLES = 10
MAX_CLASSES = 6
MAX_ITER = 100_000
MAX_SEED = 2**32 - 1
LR_RANGE = (1e-6, 1e6)
C_RANGE = (1e-4, 1e4)
TOL_RANGE = (0.0, 0.1)
NOISE_RANGE = (0.0, 1.0)
# Work of one request, in sample-iterations: about 3 s of training on this machine.
WORK_BUDGET = 50_000_000
MAX_SCHEDULE_SEGMENTS = 50


@dataclass(frozen=True)
class Settings:
    """A run: the data set, the trainer, and the learning-rate schedule so far.

    ``learning_rate`` is ``None`` for "auto" (1/L); ``C`` is ``math.inf`` for no penalty.
    The defaults are the seed note's data set and run.
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

    def data_key(self) -> tuple:
        """What defines the data set (a change means new data and a new run)."""
        return (self.kind, self.n_samples, self.n_classes, self.noise, self.seed)

    def run_key(self) -> tuple:
        """What defines the objective and the optimiser (a change means a new run)."""
        return (*self.data_key(), self.C, self.solver)

    def step_budget(self) -> int:
        """How many iterations one request may run on this data set."""
        return max(1, min(MAX_ITER, WORK_BUDGET // self.n_samples))


SEED_NOTE = Settings()


def _format_float(value: float) -> str:
    return repr(float(value))


def to_query(settings: Settings, n_iter: int, schedule: list[tuple[float | None, int]]) -> dict:
    """Query parameters for a run after ``n_iter`` iterations.

    ``schedule`` lists ``(learning_rate, iterations)`` segments; it is written unless the
    whole run used the current learning rate.
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
        query["sched"] = ",".join(
            f"{'auto' if lr is None else _format_float(lr)}x{count}" for lr, count in schedule
        )
    return query


class _Problems(list):
    def bad(self, name: str, raw: str, why: str) -> None:
        shown = raw if len(raw) <= 40 else raw[:37] + "..."
        self.append(f"{name}={shown!r} ({why})")


def _parse_int(raw: str, low: int, high: int) -> int:
    value = int(raw.strip())
    if not low <= value <= high:
        raise ValueError(f"must be a whole number from {low:,} to {high:,}")
    return value


def _parse_float(raw: str, low: float, high: float) -> float:
    value = float(raw.strip())
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"must be a number from {low:g} to {high:g}")
    return value


def _parse_lr(raw: str) -> float | None:
    return None if raw.strip().lower() == "auto" else _parse_float(raw, *LR_RANGE)


def _parse_choice(raw: str, choices: tuple[str, ...]) -> str:
    if raw not in choices:
        raise ValueError(f"must be one of {', '.join(choices)}")
    return raw


_PARSERS = {
    "kind": ("kind", lambda raw: _parse_choice(raw, KINDS)),
    "n": ("n_samples", lambda raw: _parse_int(raw, MIN_SAMPLES, MAX_SAMPLES)),
    "k": ("n_classes", lambda raw: _parse_int(raw, 2, MAX_CLASSES)),
    "noise": ("noise", lambda raw: _parse_float(raw, *NOISE_RANGE)),
    "seed": ("seed", lambda raw: _parse_int(raw, 0, MAX_SEED)),
    "lr": ("learning_rate", _parse_lr),
    "C": ("C", lambda raw: math.inf if raw == "none" else _parse_float(raw, *C_RANGE)),
    "solver": ("solver", lambda raw: _parse_choice(raw, SOLVERS)),
    "tol": ("tol", lambda raw: _parse_float(raw, *TOL_RANGE)),
    "max_iter": ("max_iter", lambda raw: _parse_int(raw, 1, MAX_ITER)),
}


def _parse_schedule(raw: str) -> list[tuple[float | None, int]]:
    segments = raw.split(",")
    if len(segments) > MAX_SCHEDULE_SEGMENTS:
        raise ValueError(f"at most {MAX_SCHEDULE_SEGMENTS} segments")
    schedule = []
    for segment in segments:
        lr, sep, count = segment.partition("x")
        if not sep:
            raise ValueError("segments look like 0.5x120")
        schedule.append((_parse_lr(lr), _parse_int(count, 1, MAX_ITER)))
    return schedule


def truncate_schedule(
    schedule: list[tuple[float | None, int]], n_iter: int
) -> list[tuple[float | None, int]]:
    """The first ``n_iter`` iterations of a learning-rate schedule."""
    kept = []
    for lr, count in schedule:
        if n_iter <= 0:
            break
        kept.append((lr, min(count, n_iter)))
        n_iter -= count
    return kept


@dataclass(frozen=True)
class Restored:
    """What a URL asks for, after validation."""

    settings: Settings
    n_iter: int
    schedule: list[tuple[float | None, int]]
    classroom: bool
    problems: list[str]


def from_query(query: dict[str, str]) -> Restored:
    """Settings from URL query parameters; bad values fall back to the defaults.

    Unknown parameters are ignored. Each value that was rejected is described in
    ``problems``, for a notice on the page.
    """
    problems = _Problems()
    values = {}
    for name, (field, parse) in _PARSERS.items():
        if name in query:
            try:
                values[field] = parse(str(query[name]))
            except ValueError as error:
                why = str(error) if "must" in str(error) else "not a valid value"
                problems.bad(name, str(query[name]), why)
    settings = replace(SEED_NOTE, **values)
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
        except ValueError as error:
            problems.bad("sched", str(query["sched"]), str(error))
        else:
            if sum(count for _, count in parsed) == n_iter:
                schedule = parsed
            else:
                problems.bad("sched", str(query["sched"]), "does not add up to iter")
    if n_iter > settings.step_budget():
        problems.append(
            f"iter={n_iter} is more work than one page load may do on {settings.n_samples:,} "
            f"points; restored the first {settings.step_budget():,} iterations"
        )
        n_iter = settings.step_budget()
        schedule = truncate_schedule(schedule, n_iter)
    classroom = str(query.get("classroom", "0")) in ("1", "true", "on")
    return Restored(settings, n_iter, schedule, classroom, list(problems))
