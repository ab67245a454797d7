"""The app's session state: the only module that reads or writes ``st.session_state``.

A session holds its ``Settings`` (the run) and ``View`` (how pages show it), and a ``Run``:
the model being trained on its prepared data (validated once per data set), the snapshots
that Back returns to, and the learning-rate schedule from which a URL replays the run. Runs
that a new one replaced (Reset, a new penalty, solver or data set, a preset) are kept, a
bounded number of them, so that Back can return to them too.

Who redraws what (no stale display, by design):

- Every action (a button, a setting) runs in a widget callback, before any display is drawn,
  so the rerun that follows draws the new state everywhere it runs.
- On the Train page the training area is a fragment (so that Play can rerun it alone). It
  draws everything a training action can change: the settings widgets, the buttons, the
  metrics, banners, charts, the sidebar's run summary (written into the sidebar from the
  fragment) and the URL. What it does not draw (page links, classroom mode, link notices)
  no training action changes; the actions that do change it run outside the fragment and
  rerun the whole app.
- Every number about the run comes from one :class:`~ui.report.RunReport` per state of the
  run (:func:`report`), built from the model's own facts.

Widgets are bound to the session through :func:`widget`, under explicit ``w.``-prefixed
keys; everything else lives under ``lab.``-prefixed keys, which survive page switches.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections import deque
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

import numpy as np
import streamlit as st

from softmax_core import DivergenceWarning, SoftmaxRegression, TrainingData, TrainingSnapshot
from softmax_core.datasets import CsvTable

from . import data as datasets
from . import explain, views
from .lessons import LESSONS
from .report import RunReport, build_report, format_number, format_rate, format_ratio
from .settings import (
    DEFAULT_VIEW,
    MAX_ITER,
    MAX_PINS,
    SEED_NOTE,
    PinSpec,
    Schedule,
    Settings,
    View,
    escape_markdown,
    from_query,
    quote,
    to_query,
    truncate_schedule,
)

HISTORY_LENGTH = 200
PAST_RUNS = 10
# Seconds between Play ticks, and iterations per tick, per speed. "smooth" sends two seconds'
# steps at once, drawn by the browser as animation frames (see ``Frames``).
PLAY_SPEEDS = {
    "slow": (0.5, 1),
    "normal": (0.2, 1),
    "fast": (1 / 12, 1),
    "turbo": (0.1, 5),
    "smooth": (2.0, 60),
}
_SETTINGS = "lab.settings"
_VIEW = "lab.view"
_RUN = "lab.run"
_PAST = "lab.past_runs"
_NOTICES = "lab.notices"
_CLASSROOM = "lab.classroom"
_PLAYING = "lab.playing"
_RUN_COUNTER = "lab.run_counter"
_URL = "lab.url"
_QUERY_WRITTEN = "lab.query_written"
_REPORT = "lab.report"
_PINS = "lab.pins"
_UPLOAD = "lab.upload"
_FRAMES = "lab.frames"
_DATASET = "lab.dataset"


@dataclass
class Event:
    """Something the user should read about the last action: level is an ``st`` call name."""

    level: str
    text: str


@dataclass(frozen=True)
class Checkpoint:
    """What Back returns to: the model's state and the settings in force before an action."""

    snapshot: TrainingSnapshot
    settings: Settings


@dataclass(frozen=True)
class Pin:
    """A run kept for comparison: drawn faded on the loss chart and the landscape."""

    spec: PinSpec
    label: str
    losses: np.ndarray  # J at every iterate
    path: np.ndarray  # (n_points, n_classes, n_features + 1): the iterates, thinned


@dataclass(frozen=True)
class Frames:
    """The iterates of the last smooth Play tick, for the browser to animate: the parameters
    at each iteration from where the tick started to where the run is now."""

    run_id: int
    tick: int  # counts the session's smooth ticks: a replay after Back is a new animation
    iterations: tuple[int, ...]
    coefs: tuple[np.ndarray, ...]
    intercepts: tuple[np.ndarray, ...]

    @property
    def token(self) -> str:
        """Names this animation, so that the browser plays it once."""
        return f"{self.run_id}:{self.tick}"


@dataclass
class Run:
    """One training run on the session's data set."""

    model: SoftmaxRegression
    run_id: int
    data: TrainingData | None  # dropped while the run waits in the past runs
    history: deque[Checkpoint] = field(default_factory=lambda: deque(maxlen=HISTORY_LENGTH))
    heldout: dict[int, float] = field(default_factory=dict)  # iteration -> held-out loss
    schedule: Schedule = field(default_factory=list)
    event: Event | None = None

    @property
    def n_iter(self) -> int:
        return self.model.n_iter_


# ------------------------------------------------------------------------ reading


def init() -> None:
    """Set up a new session from the URL; later calls (reruns, page switches) do nothing."""
    if _SETTINGS in st.session_state:
        return
    query = st.query_params.to_dict()
    restored = from_query(query)
    st.session_state[_URL] = query
    st.session_state[_CLASSROOM] = restored.classroom
    st.session_state[_VIEW] = restored.view
    st.session_state[_PLAYING] = False
    st.session_state[_PAST] = deque(maxlen=PAST_RUNS)
    st.session_state[_NOTICES] = list(restored.problems)
    refused = _try_start_run(restored.settings)
    if refused is not None:
        _try_start_run(SEED_NOTE)
        st.session_state[_NOTICES].append(
            f"the link's data set could not be made ({refused}); using the seed note's"
        )
        st.session_state[_PINS] = []
        return
    st.session_state[_PINS] = [_replay_pin(spec) for spec in restored.pins]
    for learning_rate, count in restored.schedule:
        caught = _advance(learning_rate, count, keep_snapshot=False)
        if run().model.diverged_:
            run().event = _divergence_event(caught)
            break
    _configure_model(settings().learning_rate)
    lesson = restored.view.lesson
    if lesson is not None and "iter" not in query:  # a slide's link: ?lesson=1&step=3
        if lesson < len(LESSONS) and restored.view.lesson_step < len(LESSONS[lesson].steps):
            open_lesson(lesson, restored.view.lesson_step)
        else:
            st.session_state[_NOTICES].append("no such lesson step; showing the first")
            open_lesson(0, 0)


def settings() -> Settings:
    """The session's current settings."""
    return st.session_state[_SETTINGS]


def view() -> View:
    """How the pages show the run."""
    return st.session_state.get(_VIEW, DEFAULT_VIEW)


def dataset() -> datasets.Dataset:
    """The data set of the current settings (built once per settings in a session: a rerun
    asks for it several times, and its split and scaling cost a pass over the points)."""
    key = settings().data_key()
    kept = st.session_state.get(_DATASET)
    if kept is None or kept[0] != key:
        kept = (key, datasets.load(settings(), upload_table()))
        st.session_state[_DATASET] = kept
    return kept[1]


@dataclass(frozen=True)
class Upload:
    """The file uploaded in this session (one at a time; never in a link)."""

    digest: str  # SHA-256 of its bytes: what caches and settings know it by
    name: str
    raw: bytes  # at most server.maxUploadSize (1 MB)

    @property
    def table(self) -> CsvTable:
        return datasets.parsed_upload(self.digest, self.raw)


def upload() -> Upload | None:
    return st.session_state.get(_UPLOAD)


def upload_table() -> CsvTable | None:
    """The table of the file uploaded in this session, if any."""
    current = upload()
    return None if current is None else current.table


def receive_upload() -> None:
    """The file uploader's callback: keep the file if it is a readable table, else say why
    (the data set in use stays either way)."""
    file = st.session_state.get("w.data.upload")
    if file is None:
        return
    raw = file.getvalue()
    name = quote(file.name, 40)
    try:
        digest = hashlib.sha256(raw).hexdigest()
        table = datasets.parsed_upload(digest, raw)
        columns, label = _default_columns(table)
        # The whole data set is made before the file replaces the session's one: a file
        # that cannot make one leaves the upload, the settings and the run as they were.
        datasets.load(_upload_settings(digest, table, columns, label), table)
    except ValueError as error:
        run().event = Event("error", f"Could not use {name}: {error}. The data set stays.")
        return
    st.session_state[_UPLOAD] = Upload(digest, name, raw)
    use_upload(columns, label)


def _default_columns(table: CsvTable) -> tuple[tuple[str, ...], str]:
    """A first guess at a table's label column (the last that looks like classes) and
    features (its first two other columns with numbers); the Data page lets a person change
    it."""
    label = (table.label_columns() or table.columns)[-1]
    columns = tuple(c for c in table.number_columns() if c != label)[:2]
    if not columns:
        raise ValueError(
            f"no column but the label {quote(label, 40)} holds numbers, and features must be "
            "numbers"
        )
    return columns, label


def _upload_settings(digest: str, table: CsvTable, columns: tuple[str, ...], label: str):
    return replace(
        settings(),
        kind="upload",
        upload=digest,
        upload_columns=tuple(columns),
        upload_label=label,
        upload_rows=len(table.rows),
    )


def use_upload(columns: tuple[str, ...], label: str) -> None:
    """Learn from the uploaded file's ``columns`` (one or two) and ``label`` column; settings
    the file cannot make a data set from change nothing, and say why."""
    current = upload()
    if current is None:
        return
    if not columns:
        try:
            columns, label = _default_columns(current.table)
        except ValueError as error:
            run().event = Event("error", f"Could not use {current.name}: {error}.")
            return
    new = _upload_settings(current.digest, current.table, columns, label)
    _replace_run(new, f"you chose {current.name}")


def run() -> Run:
    """The current training run."""
    current = st.session_state[_RUN]
    if current.data is None:
        current.data = _training_data(dataset())
    return current


def report() -> RunReport:
    """The report of the run as it stands, built once per state of the run and settings."""
    current, model = run(), run().model
    key = (current.run_id, model.n_iter_, model.loss_, model.diverged_, settings(), view())
    cached = st.session_state.get(_REPORT)
    if cached is None or cached[0] != key:
        reference = views.reference(dataset(), settings().C, view().reference)
        rate = settings().learning_rate
        schedule = current.schedule
        at_rate = schedule[-1][1] if schedule and schedule[-1][0] == rate else 0
        data = dataset()
        built = build_report(
            model,
            current.data,
            auto_rate=rate is None,
            reference=reference,
            steps_at_rate=at_rate,
            heldout=(data.X_test, data.y_test) if data.test.size else None,
        )
        st.session_state[_REPORT] = cached = (key, built)
    return cached[1]


def notices() -> list[str]:
    """What was wrong with the link this session was opened with (empty if nothing)."""
    return st.session_state.get(_NOTICES, [])


def dismiss_notices() -> None:
    st.session_state[_NOTICES] = []


def classroom() -> bool:
    """Whether classroom (projector) mode is on."""
    return st.session_state.get(_CLASSROOM, False)


def set_classroom(on: bool) -> None:
    st.session_state[_CLASSROOM] = bool(on)


def playing() -> bool:
    """Whether the Train page is animating."""
    return st.session_state.get(_PLAYING, False)


def set_playing(on: bool) -> None:
    st.session_state[_PLAYING] = bool(on)


def play_timing() -> tuple[float, int]:
    """Seconds between Play ticks and iterations per tick, for the chosen speed."""
    return PLAY_SPEEDS[view().speed]


# --------------------------------------------------------------------- the run


def _training_data(data: datasets.Dataset) -> TrainingData:
    """The training points as the model sees them (scaled when standardised)."""
    return TrainingData(data.X_train, data.y_train, classes=np.arange(data.n_classes))


def _new_model(current: Settings) -> SoftmaxRegression:
    return SoftmaxRegression(
        learning_rate="auto" if current.learning_rate is None else current.learning_rate,
        max_iter=current.max_iter,
        tol=current.tol,
        C=current.C,
        solver=current.solver,
    )


def _try_start_run(new: Settings) -> str | None:
    """Start a fresh run at iteration 0 with ``new`` settings; if they cannot make a data set,
    change nothing and return why (the core's message)."""
    try:
        data = datasets.load(new, upload_table())
        training = _training_data(data)
    except ValueError as error:
        return str(error)
    counter = st.session_state.get(_RUN_COUNTER, 0) + 1
    st.session_state[_RUN_COUNTER] = counter
    if _SETTINGS in st.session_state and new.data_key() != settings().data_key():
        st.session_state[_PINS] = []  # pins compare runs on one data set
    st.session_state[_SETTINGS] = new
    model = _new_model(new).step(training, n_steps=0)
    st.session_state[_RUN] = Run(model=model, run_id=counter, data=training)
    point = view().point
    if point is not None and point >= data.X.shape[0]:  # the data set shrank
        update_view(point=None)
    st.session_state[_PLAYING] = False
    return None


def _replace_run(new: Settings, reason: str) -> bool:
    """Keep the current run (for Back) and start a new one; say why. Settings that cannot
    make a data set change nothing, and the message says why."""
    previous = (settings(), st.session_state[_RUN])
    refused = _try_start_run(new)
    if refused is not None:
        run().event = Event(
            "error", f"Those settings cannot make a data set: {refused}. The previous one stays."
        )
        return False
    archived = previous[1]
    archived.data = None  # rebuilt on return: the layout of a large data set is big
    archived.event = None
    st.session_state[_PAST].append(previous)
    run().event = Event("info", f"Training restarted from iteration 0 because {reason}.")
    return True


def update_settings(**changes) -> None:
    """Apply changed settings. New data, a new penalty or a new solver start a new run (the
    old one is kept for Back); a new learning rate, tolerance or iteration limit applies
    from the next step on, and the model resolves it at once."""
    old = settings()
    new = replace(old, **changes)
    if new == old:
        return
    if new.run_key() != old.run_key():
        _replace_run(new, explain.restart_reason(old, new))
        return
    checkpoint()
    st.session_state[_SETTINGS] = new
    _configure_model(new.learning_rate)
    run().event = _setting_event(old, new)


def _setting_event(old: Settings, new: Settings) -> Event | None:
    """What a setting that keeps the run changed, from the model's resolved values."""
    if new.learning_rate != old.learning_rate:
        rate = format_rate(run().model.learning_rate_)
        shown = f"1/L = {rate} (auto)" if new.learning_rate is None else rate
        return Event("info", f"From the next step on, the learning rate is {shown}.")
    return None


def update_view(**changes) -> None:
    st.session_state[_VIEW] = replace(view(), **changes)


def _configure_model(learning_rate: float | None) -> None:
    """Give the model a learning rate and the settings' tol and max_iter; the core resolves
    "auto" (1/L) at once, so that every display shows the rate in use."""
    current = settings()
    current_run = run()
    current_run.model.set_params(
        learning_rate="auto" if learning_rate is None else learning_rate,
        tol=current.tol,
        max_iter=current.max_iter,
    )
    current_run.model.step(current_run.data, n_steps=0)


def _record(learning_rate: float | None, count: int) -> None:
    schedule = run().schedule
    if schedule and schedule[-1][0] == learning_rate:
        schedule[-1] = (learning_rate, schedule[-1][1] + count)
    elif count:
        schedule.append((learning_rate, count))


def _advance(
    learning_rate: float | None, n_steps: int, *, keep_snapshot: bool, until_converged=False
) -> list:
    """Train up to ``n_steps`` iterations with ``learning_rate``; return the warnings."""
    current, model = run(), run().model
    if keep_snapshot:
        checkpoint()
    _configure_model(learning_rate)
    before = model.n_iter_
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.step(current.data, n_steps, until_converged=until_converged)
    _record(learning_rate, model.n_iter_ - before)
    return caught


def checkpoint() -> None:
    """Remember the run's state and the settings, for Back to return to."""
    current = run()
    current.history.append(Checkpoint(current.model.snapshot(), settings()))


def _divergence_event(caught: list) -> Event:
    messages = [str(w.message) for w in caught if issubclass(w.category, DivergenceWarning)]
    return Event("error", messages[0] if messages else "Training diverged.")


def _blocked() -> Event | None:
    model, current = run().model, settings()
    if model.diverged_:
        return Event("error", "This run diverged. Press Back or restart with the stable rate.")
    if model.n_iter_ >= current.max_iter:
        return Event("warning", f"Reached max_iter = {current.max_iter:,}. Raise it to go on.")
    return None


def step(n_steps: int = 1) -> None:
    """Advance the run by ``n_steps`` iterations (bounded by max_iter and the work budget)."""
    current = settings()
    blocked = _blocked()
    if blocked:
        run().event = blocked
        set_playing(False)
        return
    remaining = current.max_iter - run().n_iter
    n_steps = max(0, min(n_steps, remaining, current.step_budget()))
    caught = _advance(current.learning_rate, n_steps, keep_snapshot=True)
    run().event = _divergence_event(caught) if run().model.diverged_ else None
    if run().model.diverged_ or run().n_iter >= current.max_iter:
        set_playing(False)


def tick() -> None:
    """One Play tick: the chosen speed's iterations (at "smooth", one at a time, keeping each
    iterate for the animation; Back then returns step by step, as after "fast")."""
    n_steps = play_timing()[1]
    if view().speed != "smooth":
        step(n_steps)
        return
    current = run()
    kept = [(current.n_iter, current.model.coef_.copy(), current.model.intercept_.copy())]
    for _ in range(n_steps):
        step(1)
        if current.n_iter == kept[-1][0]:
            break
        kept.append((current.n_iter, current.model.coef_.copy(), current.model.intercept_.copy()))
        if not playing():
            break
    iterations, coefs, intercepts = zip(*kept, strict=True)
    previous = st.session_state.get(_FRAMES)
    count = 1 if previous is None else previous.tick + 1
    st.session_state[_FRAMES] = Frames(current.run_id, count, iterations, coefs, intercepts)


def frames() -> Frames | None:
    """The last smooth tick's iterates, while they end where the run is and Play is on."""
    kept = st.session_state.get(_FRAMES)
    if (
        kept is None
        or not playing()
        or view().speed != "smooth"
        or kept.run_id != run().run_id
        or kept.iterations[-1] != run().n_iter
        or len(kept.iterations) < 2
    ):
        return None
    return kept


def run_to_convergence(*, keep_checkpoint: bool = True) -> None:
    """Train until the loss changes by less than tol, max_iter, or the work budget."""
    current, model = settings(), run().model
    blocked = _blocked()
    if blocked:
        run().event = blocked
        return
    set_playing(False)
    budget = min(current.max_iter - model.n_iter_, current.step_budget())
    before = model.n_iter_
    caught = _advance(
        current.learning_rate, budget, keep_snapshot=keep_checkpoint, until_converged=True
    )
    done = model.n_iter_ - before
    history = model.loss_history()
    if model.diverged_:
        run().event = _divergence_event(caught)
    elif model.converged_:
        change = abs(history[-1] - history[-2])
        run().event = Event(
            "success",
            f"Converged after {done:,} more iterations: the last step changed the loss by "
            f"{change:.1e} < tol = {current.tol:g}.",
        )
    else:
        limit = (
            f"max_iter = {current.max_iter:,}"
            if model.n_iter_ >= current.max_iter
            else f"the limit of {current.step_budget():,} iterations per click on this data"
        )
        run().event = Event(
            "warning",
            f"Not converged after {done:,} more iterations ({limit}): the last step changed "
            f"the loss by {abs(history[-1] - history[-2]):.1e}, tol = {current.tol:g}.",
        )


def back() -> None:
    """Undo the last action: a training step within the run, or the start of a new run."""
    set_playing(False)
    current = run()
    if current.history:
        last = current.history.pop()
        current.model.restore(last.snapshot)
        current.heldout.clear()  # iterations past the snapshot will be others
        st.session_state[_SETTINGS] = last.settings
        _configure_model(last.settings.learning_rate)
        current.schedule[:] = truncate_schedule(current.schedule, last.snapshot.n_iter)
        current.event = Event("info", f"Back to iteration {last.snapshot.n_iter:,}.")
        return
    past = st.session_state[_PAST]
    if not past:
        current.event = Event("info", "Nothing to undo: this is the start of the history.")
        return
    previous_settings, previous_run = past.pop()
    st.session_state[_SETTINGS] = previous_settings
    st.session_state[_RUN] = previous_run
    _configure_model(settings().learning_rate)
    previous_run.event = Event(
        "info", f"Back to the previous run, at iteration {previous_run.n_iter:,}."
    )


def reset() -> None:
    """Back to iteration 0 with the current settings (the old run is kept for Back)."""
    _replace_run(settings(), "you pressed Reset")


def apply_settings(new: Settings) -> None:
    """Replace the settings (a preset) and start a new run; widgets follow."""
    _replace_run(new, "a preset was chosen")


OPTIMUM_TOL = 1e-15


def run_to_optimum() -> None:
    """Go on with this run's solver and rate until a step changes the loss by less than
    1e-15 (tol and max_iter are raised for that; the run is kept)."""
    blocked = _blocked()
    if blocked and run().model.diverged_:
        run().event = blocked
        return
    checkpoint()  # one action for Back: the new tol and max_iter, and the steps
    st.session_state[_SETTINGS] = replace(settings(), tol=OPTIMUM_TOL, max_iter=MAX_ITER)
    _configure_model(settings().learning_rate)
    run_to_convergence(keep_checkpoint=False)


def use_stable_learning_rate() -> None:
    """Switch to the automatic rate 1/L, which never overshoots; the run goes on."""
    update_settings(learning_rate=None)


def restart_with_stable_rate() -> None:
    """After a divergence: the automatic rate 1/L, and a new run."""
    new = replace(settings(), learning_rate=None)
    _replace_run(new, "the run diverged; it restarted with the stable rate 1/L")


def use_learning_rate(value: float | None) -> None:
    """A one-click rate (None is the automatic 1/L); the run goes on."""
    update_settings(learning_rate=value)


def new_seed() -> None:
    """Draw a new random seed for the data (written to the URL, so still reproducible)."""
    update_settings(seed=int(np.random.default_rng().integers(0, 2**31)))


def heldout_history() -> tuple[np.ndarray, np.ndarray] | None:
    """The held-out cross-entropy along the run's path (None without held-out points).

    Each iterate's value is computed once and kept with the run: a step costs one more."""
    data, current = dataset(), run()
    if not data.test.size:
        return None
    iterations, thetas = current.model.path()
    for i, theta in zip(iterations.tolist(), thetas, strict=True):
        if i not in current.heldout:
            current.heldout[i] = views.heldout_loss(theta, data)
    return iterations, np.array([current.heldout[i] for i in iterations.tolist()])


def pins() -> list[Pin]:
    """The runs kept for comparison (at most ``MAX_PINS``), oldest first."""
    return st.session_state.get(_PINS, [])


_SHORT_SOLVERS = {"gd": "GD", "nesterov": "Nesterov", "newton": "Newton"}


def _pin_label(spec: PinSpec) -> str:
    """A pin's name, short: solver, rate(s), penalty unless none, iterations."""
    rates = "→".join(
        "1/L" if lr is None else format_rate(lr)
        for lr in dict.fromkeys(r for r, _ in spec.schedule)
    )
    parts = [_SHORT_SOLVERS[spec.solver]]
    if spec.solver != "newton" and rates:
        parts.append(rates)
    if not np.isinf(spec.C):
        parts.append(f"C={spec.C:g}")
    return f"{' '.join(parts)}, {spec.n_iter:,} it."


def _make_pin(spec: PinSpec, model: SoftmaxRegression) -> Pin:
    return Pin(spec, _pin_label(spec), model.loss_history(), model.path()[1])


def _replay_pin(spec: PinSpec) -> Pin:
    """A pin from a link: its run replayed from zero on the session's data."""
    training = run().data
    model = SoftmaxRegression(solver=spec.solver, C=spec.C).step(training, n_steps=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a pinned divergence shows in its ghost
        for learning_rate, count in spec.schedule:
            model.set_params(learning_rate="auto" if learning_rate is None else learning_rate)
            model.step(training, count)
    return _make_pin(spec, model)


def pin_run() -> None:
    """Keep the current run for comparison (the oldest pin goes beyond ``MAX_PINS``)."""
    current, now = run(), settings()
    spec = PinSpec(now.solver, now.C, tuple(current.schedule))
    kept = [pin for pin in pins() if pin.spec != spec][-(MAX_PINS - 1) :]
    st.session_state[_PINS] = [*kept, _make_pin(spec, current.model)]
    current.event = Event("info", f"Pinned: {_pin_label(spec).rstrip('.')}.")


def clear_pins() -> None:
    st.session_state[_PINS] = []


def choose_point(chart_key: str) -> None:
    """A chart's click callback: the clicked data point becomes the chosen one (the chart
    sends its row as ``point``, see :func:`ui.live_chart.draw`)."""
    row = st.session_state[chart_key].get("point")
    if row is not None:
        update_view(point=int(row))


def clear_point() -> None:
    update_view(point=None)


def open_lesson(lesson: int, step: int) -> None:
    """Set up a lesson's step from scratch: its settings (a new run; Back returns to the one
    before), then the actions the controls would take, then how the charts show it."""
    chosen = LESSONS[lesson].steps[step]
    _replace_run(chosen.settings, f"you opened lesson {lesson + 1}, step {step + 1}")
    for action, *arguments in chosen.actions:
        if action == "step":
            _advance(settings().learning_rate, arguments[0], keep_snapshot=False)
        elif action == "stable":
            update_settings(learning_rate=None)
        elif action == "optimum":
            run_to_optimum()
    update_view(**chosen.view, lesson=lesson, lesson_step=step)
    run().event = None


def open_chosen_lesson(control_key: str) -> None:
    """The lesson control's callback: the chosen lesson (the first if none) from its start."""
    open_lesson(st.session_state[control_key] or 0, 0)


def lesson_facts() -> dict[str, str]:
    """The run's numbers a lesson's text may quote (see ``ui.lessons.PLACEHOLDERS``)."""
    facts, model, data = report(), run().model, run().data
    proba = model.predict_proba(data.X)
    return {
        "n_iter": f"{facts.n_iter:,}",
        "ratio": format_ratio(facts.ratio),
        "rises": str(facts.recent_rises),
        "steps": str(facts.recent_steps),
        "gap": "–" if facts.gap is None else f"{facts.gap.max_abs_diff:.1e}",
        "norm": f"{facts.norm:.2f}",
        "confidence": f"{float(np.mean(proba.max(axis=1))):.0%}",
        "accuracy": f"{facts.accuracy:.0%}",
    }


def take_event() -> Event | None:
    """The message about the last action, handed out once."""
    current = run()
    event, current.event = current.event, None
    return event


# ------------------------------------------------------------------- widgets

# Widgets bound to a setting: key -> the Settings field it shows.
_SETTING_WIDGETS = {
    "w.data.kind": "kind",
    "w.data.features": "features",
    "w.data.standardise": "standardise",
    "w.data.holdout": "holdout",
    "w.data.holdout_seed": "holdout_seed",
    "w.data.n_samples": "n_samples",
    "w.data.n_classes": "n_classes",
    "w.data.noise": "noise",
    "w.data.seed": "seed",
    "w.train.C": "C",
    "w.train.solver": "solver",
    "w.train.tol": "tol",
    "w.train.max_iter": "max_iter",
}
# Widgets bound to a view option: key -> the View field it shows.
_VIEW_WIDGETS = {
    "w.view.reference": "reference",
    "w.view.target": "show_target",
    "w.view.log_y": "log_y",
    "w.view.window": "loss_window",
    "w.view.speed": "speed",
    "w.view.panel": "panel",
    "w.view.plane": "plane",
    "w.view.temperature": "temperature",
    "w.math.point": "point",
}
_INT_FIELDS = ("n_samples", "n_classes", "seed", "max_iter", "holdout_seed")
_LR_AUTO, _LR, _RATE_PRESET, _CLASSROOM_WIDGET = (
    "w.train.lr_auto",
    "w.train.lr",
    "w.train.rate_preset",
    "w.classroom",
)
# One-click learning rates, as multiples of the stable limit 2/L, and the seed's own.
RATE_PRESETS = {"0.5×": 0.5, "0.99×": 0.99, "1.01×": 1.01, "2×": 2.0, "0.5 (seed)": None}
SEED_RATE = 0.5


def preset_rate(name: str) -> float | None:
    """The learning rate of a one-click preset: None (auto, 1/L) for 0.5× of 2/L."""
    factor = RATE_PRESETS[name]
    if factor is None:
        return SEED_RATE
    if factor == 0.5:
        return None
    return factor * run().model.learning_rate_limit_


def _current_preset() -> str | None:
    chosen = settings().learning_rate
    return next((name for name in RATE_PRESETS if preset_rate(name) == chosen), None)


def _session_value(key: str, default: object) -> object:
    """What a widget should show: the session's value behind it."""
    if key in _SETTING_WIDGETS:
        value = getattr(settings(), _SETTING_WIDGETS[key])
        return list(value) if isinstance(value, tuple) else value
    if key in _VIEW_WIDGETS:
        value = getattr(view(), _VIEW_WIDGETS[key])
        return default if value is None else value
    if key == _LR_AUTO:
        return settings().learning_rate is None
    if key == _LR:
        # While "auto", the box shows the rate the model resolved and uses: 1/L.
        return run().model.learning_rate_
    if key == _RATE_PRESET:
        return _current_preset()
    if key == _CLASSROOM_WIDGET:
        return classroom()
    raise KeyError(key)


def _on_widget_change(key: str) -> None:
    value = st.session_state[key]
    if key in _SETTING_WIDGETS:
        name = _SETTING_WIDGETS[key]
        if name == "features":
            value = tuple(sorted(int(i) for i in value))
        elif name == "kind" and value == "upload" and upload() is None:
            run().event = Event("info", "Upload a CSV file first (below).")
            return
        elif name == "kind" and value == "upload":
            use_upload(settings().upload_columns, settings().upload_label)
            return
        elif name == "kind":  # another source: its own default features
            update_settings(kind=value, features=())
            return
        update_settings(**{name: int(value) if name in _INT_FIELDS else value})
    elif key in _VIEW_WIDGETS:
        update_view(**{_VIEW_WIDGETS[key]: value})
    elif key == _LR_AUTO:
        # Off: keep stepping at the rate in use, now as a number the box can change.
        update_settings(learning_rate=None if value else float(run().model.learning_rate_))
    elif key == _LR:
        update_settings(learning_rate=float(value))
    elif key == _RATE_PRESET:
        if value is not None:  # clicking the selected preset again changes nothing
            use_learning_rate(preset_rate(value))
    elif key == _CLASSROOM_WIDGET:
        set_classroom(value)


def widget(key: str, default: object = None, *, upper: int | None = None) -> dict:
    """Keyword arguments that bind a widget to the session: its ``key`` and a callback.

    The widget shows the session's value on every visit of every page (a setting, or a
    view option, which starts at ``default`` when the view has none), and a change goes back
    to the session through the callback, before anything is drawn. Pass no ``value=``.
    ``upper`` caps a stored number (a row index, when the data set has shrunk).
    """
    value = _session_value(key, default)
    if upper is not None and value is not None:
        value = min(value, upper)
    st.session_state[key] = value
    return {"key": key, "on_change": _on_widget_change, "args": (key,)}


# ----------------------------------------------------------------------- URL


def query() -> dict[str, str]:
    """The query string that reproduces what the session shows."""
    return to_query(
        settings(),
        run().n_iter,
        run().schedule,
        view(),
        classroom=classroom(),
        pins=tuple(pin.spec for pin in pins()),
    )


def share_links(base_url: str) -> tuple[str, str]:
    """The presenter's link (classroom mode kept) and the students' link (without it)."""
    current = query()
    students = {name: value for name, value in current.items() if name != "classroom"}
    return f"{base_url}?{urlencode(current)}", f"{base_url}?{urlencode(students)}"


def write_query() -> str | None:
    """Write the query that reproduces the session into the address bar.

    Through ``st.query_params``: the frontend then holds it and sends it when it starts a new
    session (a reconnect to a restarted server or another replica), which rebuilds this very
    run from it. Streamlit records each change with ``history.pushState``; the page's history
    shim (:mod:`ui.page`) turns that into a replacement, once it is installed. On a session's
    first run it may not be yet (the frontend applies the query before it has drawn the
    page), so that run returns a script for the page to draw instead, which replaces the
    address itself; the frontend meanwhile holds the link it was opened with, which rebuilds
    the same run. Returns that script, or None.
    """
    wanted = query()
    st.session_state[_URL] = wanted
    first = not st.session_state.get(_QUERY_WRITTEN)
    st.session_state[_QUERY_WRITTEN] = True
    if st.query_params.to_dict() == wanted:
        return None
    if first:
        search = json.dumps("?" + urlencode(wanted))
        return (
            "<script>window.history.replaceState(window.history.state, '', "
            f"window.location.pathname + {search});</script>"
        )
    st.query_params.from_dict(wanted)
    return None


def data_description() -> str:
    """The data set in a few words: its source, points, classes, split and scaling."""
    current, data = settings(), dataset()
    source = {
        "line": "1-D line",
        "blobs": "2-D blobs",
        "iris": "iris",
        "wine": "wine",
        "upload": escape_markdown(upload().name) if upload() else "uploaded file",
    }[current.kind]
    if current.kind in ("iris", "wine", "upload"):
        # A file's column names are the file's text: shown as plain text.
        source += f" ({escape_markdown(', '.join(data.feature_names))})"
    points = f"{data.X.shape[0]:,} points"
    if data.test.size:
        points += f" ({data.test.size:,} held out)"
    scaled = ", standardised" if data.standardised else ""
    return f"{source}, {points}, {data.n_classes} classes{scaled}"


def summary() -> str:
    """The sidebar's one-line summary of the run (from the same report as the page)."""
    facts = report()
    state = "diverged" if facts.diverged else ("converged" if facts.converged else "training")
    return (
        f"**Run:** {data_description()} · "
        f"iteration {facts.n_iter:,} · loss {format_number(facts.loss)} · {state}"
    )
