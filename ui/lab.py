"""A lab: one person's whole state of Softmax Lab, and every transition of it.

Plain Python, no Streamlit (:mod:`ui.session` stores a lab in ``st.session_state`` and binds
widgets to it). A :class:`Lab` owns the settings (the run), the view (how the pages show it),
the run and the runs it replaced, the checkpoints that Back returns to, the pinned runs, the
uploaded table, the position in a lesson and the play state. Every action a person takes is
one method (a transition); each leaves at most one :class:`Event` to tell them about it, and
:meth:`Lab.report` is the one report every display of the run is drawn from. What is costly
and shared (data sets, scikit-learn's fit, the optimum, the landscape's plane) comes from the
:class:`~ui.services.Services` the lab is given.

The rules the transitions keep (tests/test_lab.py checks them after random sequences):

- A link is the run: :meth:`Lab.query` opened with :meth:`Lab.from_link` gives the same state
  (within the replay budget, or a notice says what was cut).
- Back returns to the state before the last action a person took: a Step, a Play from start
  to pause, a new setting, a new run.
- An action changes no setting it does not name ("Run to the optimum" runs past the
  tolerance and the limit without changing them).
- Nothing runs on after a divergence but Back and a restart.
- Work is bounded per request by the work budgets of :mod:`ui.settings`, counted with the
  core's cost of one iteration of the solver in use, and stops as soon as ``cancelled()``
  says the person has gone.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

import numpy as np

from softmax_core import (
    DivergenceWarning,
    Pace,
    RegularizationPath,
    SoftmaxRegression,
    TrainingData,
    TrainingSnapshot,
    gradient_descent_pace,
)
from softmax_core.datasets import CsvTable
from softmax_core.text import plain

from . import escape, explain, views
from .data import Dataset
from .export import ModelState, RunSpec, TakeHome, spec_from_json
from .lessons import LESSONS
from .report import (
    RunReport,
    build_report,
    format_number,
    format_rate,
    format_ratio,
    sgd_last_epoch,
)
from .services import Services, digest, path_on_demand
from .settings import (
    DEFAULT_VIEW,
    MAX_PINS,
    SEED_NOTE,
    PinSpec,
    Schedule,
    Settings,
    View,
    from_query,
    to_query,
)

HISTORY_LENGTH = 200
PAST_RUNS = 10
# Seconds between Play ticks, and iterations per tick, per speed. "fast" and "smooth" send
# half a second's and two seconds' steps at once, drawn by the browser as animation frames
# (see ``Frames``): a rerun per step, twelve a second, was more than a 2-core machine's
# server and headless browser could draw (7 a second), and twelve a second for each of a
# class's sessions more than a shared server has.
PLAY_SPEEDS = {
    "slow": (0.5, 1),
    "normal": (0.2, 1),
    "fast": (0.5, 6),
    "turbo": (0.1, 5),
    "smooth": (2.0, 60),
}
ANIMATED_SPEEDS = frozenset({"fast", "smooth"})
# "Run to the optimum" goes on until a step changes J by less than this: rounding level for
# objectives of about 0.1 to 2, so the iteration it stops at may differ by a few between
# CPUs (never pinned in a test or text). It is the action's own rule, not a setting.
OPTIMUM_TOL = 1e-15
# Long work is done in slices of about this many seconds (by the core's cost estimate), and
# stops between two slices once the person's session has gone.
SLICE_SECONDS = 0.1
# One-click learning rates, as multiples of the stable limit 2/L, and the seed's own.
RATE_PRESETS = {"0.5×": 0.5, "0.99×": 0.99, "1.01×": 1.01, "2×": 2.0, "0.5 (seed)": None}
SEED_RATE = 0.5


class SessionGoneError(Exception):
    """The person's session went away during long work; what was done is kept."""


@dataclass
class Event:
    """Something the person should read about the last action: level is an ``st`` call."""

    level: str
    text: str


@dataclass(frozen=True)
class Checkpoint:
    """What Back returns to: the model's state and the settings in force before an action."""

    snapshot: TrainingSnapshot
    settings: Settings
    schedule: tuple[tuple[float | None, int], ...]


@dataclass(frozen=True)
class Pin:
    """A run kept for comparison: drawn faded on the loss chart and the landscape."""

    spec: PinSpec
    label: str
    losses: np.ndarray  # J at every iterate
    path: np.ndarray  # (n_points, n_classes, n_features + 1): the iterates, thinned

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])


@dataclass(frozen=True)
class Frames:
    """The iterates of the last animated Play tick ("fast", "smooth"), for the browser to
    animate: the parameters at each iteration from where the tick started to where the run
    is now."""

    run_id: int
    tick: int  # counts the lab's animated ticks: a replay after Back is a new animation
    iterations: tuple[int, ...]
    coefs: tuple[np.ndarray, ...]
    intercepts: tuple[np.ndarray, ...]

    @property
    def token(self) -> str:
        """Names this animation, so that the browser plays it once."""
        return f"{self.run_id}:{self.tick}"


@dataclass
class Run:
    """One training run on the lab's data set."""

    model: SoftmaxRegression
    run_id: int
    data: TrainingData | None  # dropped while the run waits among the past runs
    history: deque[Checkpoint] = field(default_factory=lambda: deque(maxlen=HISTORY_LENGTH))
    heldout: dict[int, float] = field(default_factory=dict)  # iteration -> held-out loss
    schedule: Schedule = field(default_factory=list)

    @property
    def n_iter(self) -> int:
        return self.model.n_iter_


@dataclass(frozen=True)
class Upload:
    """The file uploaded in this lab (one at a time; never in a link): its bytes (at most
    ``MAX_CSV_BYTES``: the downloads of the run embed the file itself), its parsed table, and
    the columns first proposed to learn from."""

    digest: str  # SHA-256 of its bytes: what settings and caches know it by
    name: str  # as the person's browser sent it, made printable and short
    table: CsvTable
    columns: tuple[str, ...]  # proposed features (default_columns)
    label: str  # proposed label column
    raw: bytes = field(repr=False, compare=False)


def _never() -> bool:
    return False


def _one_action(transition):
    """A transition a person takes: if it leaves the run as it was (a Reset at iteration 0,
    Run to convergence when converged, a lesson step opened twice), it leaves Back's memory as
    it was too, so that Back always undoes the last action that changed something."""

    @functools.wraps(transition)
    def action(self: Lab, *arguments, **changes):
        before, run, past = self.visible_state(), self.run, len(self.past_runs)
        last = run.history[-1] if run.history else None
        try:
            return transition(self, *arguments, **changes)
        finally:
            if self.visible_state() == before:
                if self.run is not run and len(self.past_runs) > past:
                    self.settings, self.run = self.past_runs.pop()
                elif self.run is run:
                    while run.history and run.history[-1] is not last:
                        run.history.pop()

    return action


def training_data(dataset: Dataset) -> TrainingData:
    """The training points as the model sees them (scaled when standardised)."""
    return TrainingData(dataset.X_train, dataset.y_train, classes=np.arange(dataset.n_classes))


def new_model(settings: Settings) -> SoftmaxRegression:
    """A model at iteration 0 with ``settings``' solver, rate, penalty, tol and max_iter,
    and for ``sgd`` its batch size and shuffling seed (so that a link replays it exactly)."""
    return SoftmaxRegression(
        learning_rate="auto" if settings.learning_rate is None else settings.learning_rate,
        max_iter=settings.max_iter,
        tol=settings.tol,
        C=settings.C,
        solver=settings.solver,
        batch_size=settings.batch_size,
        shuffle=True,
        random_state=settings.batch_seed,
    )


def pin_spec(settings: Settings, schedule) -> PinSpec:
    """The pin of a run with ``settings`` and ``schedule`` (sgd's with its batches)."""
    spec = PinSpec(settings.solver, settings.C, tuple(schedule))
    if settings.solver == "sgd":
        spec = replace(spec, batch_size=settings.batch_size, batch_seed=settings.batch_seed)
    return spec


def seed_note_ratio(services: Services) -> float:
    """The seed note's learning rate as a multiple of its data's stable limit 2/L."""
    training = training_data(services.dataset(SEED_NOTE, None))
    return SEED_RATE / new_model(SEED_NOTE).step(training, n_steps=0).learning_rate_limit_


def pin_label(spec: PinSpec) -> str:
    """A pin's name, short: solver, rate(s), penalty unless none, iterations."""
    rates = "→".join(
        "1/L" if lr is None else format_rate(lr)
        for lr in dict.fromkeys(r for r, _ in spec.schedule)
    )
    parts = [explain.SOLVER_SHORT[spec.solver]]
    if spec.solver == "sgd":
        parts.append(f"batch {spec.batch_size:,} seed {spec.batch_seed}")
    if spec.solver != "newton" and rates:
        parts.append(rates)
    if not math.isinf(spec.C):
        parts.append(f"C={spec.C:g}")
    return f"{' '.join(parts)}, {spec.n_iter:,} it."


class Lab:
    """One person's lab: settings, view, run, past runs, pins, upload, lesson and play.

    Build one with :meth:`from_link` (a URL's query) and change it only through its
    transition methods. ``services`` computes what is costly and shared; ``cancelled`` says
    whether the person has gone (long work then stops).
    """

    def __init__(
        self,
        services: Services,
        *,
        cancelled: Callable[[], bool] = _never,
    ) -> None:
        self.services = services
        self.cancelled = cancelled
        self.settings: Settings = SEED_NOTE
        self.view: View = DEFAULT_VIEW
        self.classroom = False
        self.notices: list[str] = []
        self.pins: list[Pin] = []
        self.upload: Upload | None = None  # the file in use (or last used)
        self.offer: Upload | None = None  # a file whose columns are still to be chosen
        # Every uploaded file a run Back can return to learns from, by digest: Back past a
        # second file's run goes back to the first file's data set.
        self._files: dict[str, Upload] = {}
        self.playing = False
        self.play_page: str | None = None  # the page Play was started on
        self.past_runs: deque[tuple[Settings, Run]] = deque(maxlen=PAST_RUNS)
        self.event: Event | None = None
        self._frames: Frames | None = None
        self._play_start: Checkpoint | None = None  # what Back returns to after a Play
        self._animated_ticks = 0
        self._run_counter = 0
        self._dataset: tuple[tuple, Dataset] | None = None
        self._report: tuple[tuple, RunReport] | None = None
        self.paths_requested: set[tuple] = set()  # data keys whose path was asked for
        self.run: Run = self._fresh_run(SEED_NOTE, self.dataset_for(SEED_NOTE))

    # ------------------------------------------------------------------ opening a link

    @classmethod
    def from_link(
        cls,
        query: dict[str, str],
        services: Services,
        *,
        cancelled: Callable[[], bool] = _never,
    ) -> Lab:
        """The lab a link describes, replayed within the replay budget; what was wrong with
        the link (or cut from it) is in ``notices``."""
        lab = cls(services, cancelled=cancelled)
        restored = from_query(query)
        lab.classroom = restored.classroom
        lab.view = restored.view
        lab.notices = list(restored.problems)
        try:
            dataset = lab.dataset_for(restored.settings)
        except ValueError as error:
            lab.notices.append(
                f"the link's data set could not be made ({error}); using the seed note's"
            )
            lab.view = DEFAULT_VIEW
            return lab
        lab.settings = restored.settings
        lab.run = lab._fresh_run(restored.settings, dataset)
        lab.pins = [lab._replay_pin(spec) for spec in restored.pins]
        lab._replay(restored.schedule)
        lesson = restored.view.lesson
        if lesson is not None and "iter" not in query:  # a slide's link: ?lesson=1&step=3
            if lesson < len(LESSONS) and restored.view.lesson_step < len(LESSONS[lesson].steps):
                lab.open_lesson(lesson, restored.view.lesson_step, record=False)
            else:
                lab.notices.append("no such lesson step; showing the first")
                lab.open_lesson(0, 0, record=False)
        lab._fix_view()
        return lab

    def _replay(self, schedule: Schedule) -> None:
        """Replay a link's schedule. A run that diverges keeps the state before its last
        segment for Back (the step the person took last, as near as the link can say)."""
        for position, (learning_rate, count) in enumerate(schedule):
            if position == len(schedule) - 1 or count:
                before = self._checkpoint_state()
            caught = self._advance(learning_rate, count)
            if self.model.diverged_:
                self.run.history.append(before)
                self.event = self._divergence_event(caught)
                break
        self._configure(self.settings.learning_rate)

    # ------------------------------------------------------------------ reading

    @property
    def model(self) -> SoftmaxRegression:
        return self.run.model

    @property
    def training(self) -> TrainingData:
        """The current run's training points (rebuilt for a run back from the past)."""
        if self.run.data is None:
            self.run.data = training_data(self.dataset)
        return self.run.data

    @property
    def dataset(self) -> Dataset:
        """The data set of the current settings (kept per data set: a report asks for it
        many times, and its split and scaling cost a pass over the points)."""
        key = self.settings.data_key()
        if self._dataset is None or self._dataset[0] != key:
            self._dataset = (key, self.dataset_for(self.settings))
        return self._dataset[1]

    def dataset_for(self, settings: Settings) -> Dataset:
        """The data set ``settings`` make (raises ValueError, for a person, if none)."""
        table = None
        if settings.kind == "upload":
            table = self._file_of(settings).table
        return self.services.dataset(settings, table)

    def _file_of(self, settings: Settings) -> Upload:
        """The uploaded file ``settings`` learn from (raises ValueError, for a person, if this
        lab has none: a file is never in a link)."""
        file = self._files.get(settings.upload)
        if file is None:
            raise ValueError("no uploaded file in this session: upload one on the Data page")
        return file

    def _keep_file(self, file: Upload) -> None:
        """Remember ``file`` for the runs that will learn from it."""
        self._files = {**self._files, file.digest: file}

    def _forget_unreachable_files(self) -> None:
        """Forget the files that neither the run nor one Back can reach learns from (each is
        up to ``MAX_CSV_BYTES``)."""
        runs = [self.settings, *(settings for settings, _ in self.past_runs)]
        wanted = {settings.upload for settings in runs if settings.kind == "upload"}
        self._files = {key: file for key, file in self._files.items() if key in wanted}

    def reference(self):
        """scikit-learn's fit drawn as the target (the view chooses which)."""
        return self.services.reference(self.dataset, self.settings.C, self.view.reference)

    def optimum(self) -> SoftmaxRegression:
        """The scratch model at its optimum (Newton's): the landscape's centre, Compare's
        and Math's curvatures, the home page's picture."""
        return self.services.converged(self.dataset, self.settings.C)

    def plane(self):
        """The landscape's directions and the optimum, for the view's plane."""
        return self.services.plane(self.dataset, self.settings.C, self.view.plane)

    def optimum_spectrum(self) -> np.ndarray:
        """The Hessian's curvatures at the optimum (zero-sum directions, ascending)."""
        return self.services.optimum_spectrum(self.dataset, self.settings.C)

    def regularization_path(self) -> RegularizationPath | None:
        """The optimum at each C of Compare's grid on this data set, computed with the page
        on small data and once asked for (:meth:`request_path`) on large data; else None."""
        dataset = self.dataset
        if path_on_demand(dataset) and dataset.key not in self.paths_requested:
            return None
        return self.services.regularization_path(dataset)

    def path_on_demand(self) -> bool:
        """Whether this data set's path waits to be asked for (it takes seconds)."""
        return path_on_demand(self.dataset)

    def pace(self) -> Pace:
        """How fast gradient descent at 1/L closes in on the optimum here (the core's)."""
        return gradient_descent_pace(self.optimum_spectrum(), self.model.lipschitz_)

    def report(self) -> RunReport:
        """The report of the run as it stands: built once per state of the run and view."""
        model = self.model
        key = (
            self.run.run_id,
            model.n_iter_,
            model.loss_,
            model.diverged_,
            model.learning_rate_,
            self.settings,
            self.view.reference,
        )
        if self._report is None or self._report[0] != key:
            schedule = self.run.schedule
            rate = self.settings.learning_rate
            at_rate = schedule[-1][1] if schedule and schedule[-1][0] == rate else 0
            # A diverged run took its last steps at the schedule's last rate, which a link
            # may follow with another setting: the banner names the rate that diverged.
            diverged_at = schedule[-1][0] if model.diverged_ and schedule else None
            dataset = self.dataset
            built = build_report(
                model,
                self.training,
                auto_rate=rate is None,
                reference=self.reference(),
                steps_at_rate=at_rate,
                heldout=(dataset.X_test, dataset.y_test) if dataset.test.size else None,
                diverged_at_rate=(diverged_at if diverged_at != model.learning_rate_ else None),
            )
            self._report = (key, built)
        return self._report[1]

    def query(self) -> dict[str, str]:
        """The query string that reproduces what the lab shows."""
        return to_query(
            self.settings,
            self.model.n_iter_,
            self.run.schedule,
            self.view,
            classroom=self.classroom,
            pins=tuple(pin.spec for pin in self.pins),
        )

    def take_home(self) -> TakeHome:
        """The run on screen, to download as a notebook, a script or a JSON file
        (:mod:`ui.export`): its settings, its schedule (a Fix is a segment of it), its view
        and, for an uploaded file, the file itself. Cheap: the files are built when asked for,
        from this copy (a later step does not change it)."""
        settings = self.settings
        upload = self._file_of(settings) if settings.kind == "upload" else None
        spec = RunSpec(
            settings,
            list(self.run.schedule),
            csv_bytes=None if upload is None else upload.raw,
            csv_name=None if upload is None else upload.name,
        )
        return TakeHome(spec, ModelState.of(self.model), self.view)

    def share_links(self, base_url: str) -> tuple[str, str]:
        """The presenter's link (classroom mode kept) and the students' link (without it)."""
        current = self.query()
        students = {name: value for name, value in current.items() if name != "classroom"}
        return f"{base_url}?{urlencode(current)}", f"{base_url}?{urlencode(students)}"

    def play_timing(self) -> tuple[float, int]:
        """Seconds between Play ticks and iterations per tick, for the chosen speed."""
        return PLAY_SPEEDS[self.view.speed]

    def frames(self) -> Frames | None:
        """The last animated tick's iterates, while they end where the run is and Play is on."""
        kept = self._frames
        if (
            kept is None
            or not self.playing
            or self.view.speed not in ANIMATED_SPEEDS
            or kept.run_id != self.run.run_id
            or kept.iterations[-1] != self.model.n_iter_
            or len(kept.iterations) < 2
        ):
            return None
        return kept

    def can_go_back(self) -> bool:
        """Whether Back has something to return to."""
        return bool(self.run.history or self.past_runs)

    def visible_state(self) -> tuple:
        """What a person sees of the run, and Back restores: the settings, where the run
        stands and how it got there."""
        model = self.model
        return (
            self.settings,
            model.n_iter_,
            model.loss_,
            model.diverged_,
            model.converged_,
            model.learning_rate_,
            tuple(self.run.schedule),
        )

    def take_event(self) -> Event | None:
        """The message about the last action, handed out once."""
        event, self.event = self.event, None
        return event

    def heldout_history(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The held-out cross-entropy along the run's path (None without held-out points);
        each iterate's value is computed once and kept with the run."""
        dataset = self.dataset
        if not dataset.test.size:
            return None
        iterations, thetas = self.model.path()
        kept = self.run.heldout
        for i, theta in zip(iterations.tolist(), thetas, strict=True):
            if i not in kept:
                kept[i] = views.heldout_loss(theta, dataset)
        return iterations, np.array([kept[i] for i in iterations.tolist()])

    def preset_rate(self, name: str) -> float | None:
        """The learning rate of a one-click preset: None (auto, 1/L) for 0.5× of 2/L."""
        factor = RATE_PRESETS[name]
        if factor is None:
            return SEED_RATE
        if factor == 0.5:
            return None
        return factor * self.model.learning_rate_limit_

    def current_preset(self) -> str | None:
        chosen = self.settings.learning_rate
        return next((name for name in RATE_PRESETS if self.preset_rate(name) == chosen), None)

    def lesson_facts(self) -> dict[str, str]:
        """The run's numbers a lesson's text may quote (see ``ui.lessons.PLACEHOLDERS``)."""
        facts, model = self.report(), self.model
        proba = model.predict_proba(self.training.X)
        return {
            "n_iter": f"{facts.n_iter:,}",
            "ratio": format_ratio(facts.ratio),
            "rises": str(facts.recent_rises),
            "steps": str(facts.recent_steps),
            "gap": "–" if facts.gap is None else f"{facts.gap.max_abs_diff:.1e}",
            "norm": f"{facts.norm:.2f}",
            "confidence": f"{float(np.mean(proba.max(axis=1))):.0%}",
            "accuracy": f"{facts.accuracy:.0%}",
            "optimum_tol": f"{OPTIMUM_TOL:g}",
            **self._shrink_facts(facts),
        }

    def _shrink_facts(self, facts: RunReport) -> dict[str, str]:
        """How many times J − J* shrank over the first, the second-last and the last 100
        steps (against the target of the same objective), where there are that many."""
        history = self.model.loss_history()
        if facts.reference_loss is None or not facts.same_objective or history.size < 301:
            return {"shrink_first": "–", "shrink_before": "–", "shrink_last": "–"}
        gap = np.maximum(history - facts.reference_loss, np.finfo(float).tiny)
        n = history.size - 1
        return {
            "shrink_first": f"{gap[0] / gap[100]:.2f}",
            "shrink_before": f"{gap[n - 200] / gap[n - 100]:.2f}",
            "shrink_last": f"{gap[n - 100] / gap[n]:.2f}",
        }

    def data_description(self) -> str:
        """The data set in a few words (markdown): source, points, classes, split, scaling."""
        current, dataset = self.settings, self.dataset
        source = {
            "line": "1-D line",
            "blobs": "2-D blobs",
            "iris": "iris",
            "wine": "wine",
            "upload": escape.markdown(self.upload.name) if self.upload else "uploaded file",
        }[current.kind]
        if current.kind in ("iris", "wine", "upload"):
            # A file's column names are the file's text: shown as plain text.
            source += (
                f" ({escape.markdown(', '.join(plain(n, 40) for n in dataset.feature_names))})"
            )
        points = f"{dataset.X.shape[0]:,} points"
        if dataset.test.size:
            points += f" ({dataset.test.size:,} held out)"
        scaled = ", standardised" if dataset.standardised else ""
        return f"{source}, {points}, {dataset.n_classes} classes{scaled}"

    def summary(self) -> str:
        """The sidebar's one-line summary of the run (from the same report as the page)."""
        facts = self.report()
        state = "diverged" if facts.diverged else ("converged" if facts.converged else "training")
        return (
            f"**Run:** {self.data_description()} · "
            f"iteration {facts.n_iter:,} · loss {format_number(facts.loss)} · {state}"
        )

    # ------------------------------------------------------------------ runs

    def _fresh_run(self, settings: Settings, dataset: Dataset) -> Run:
        self._run_counter += 1
        data = training_data(dataset)
        model = new_model(settings).step(data, n_steps=0)
        return Run(model=model, run_id=self._run_counter, data=data)

    def _start_run(self, new: Settings) -> str | None:
        """Start a fresh run at iteration 0 with ``new`` settings; if they cannot make a data
        set, change nothing and return why (the core's message)."""
        try:
            dataset = self.dataset_for(new)
            run = self._fresh_run(new, dataset)
        except ValueError as error:
            return str(error)
        if new.data_key() != self.settings.data_key():
            self.pins = []  # pins compare runs on one data set
        self.settings = new
        self.run = run
        self._stop_playing()
        self._fix_view()
        return None

    def _replace_run(self, new: Settings, reason: str) -> bool:
        """Keep the current run (for Back) and start a new one; say why. Settings that cannot
        make a data set change nothing, and the message says why."""
        previous = (self.settings, self.run)
        refused = self._start_run(new)
        if refused is not None:
            self.event = Event(
                "error",
                f"Those settings cannot make a data set: {refused}. The previous one stays.",
            )
            return False
        # Rebuilt on return: the layout of a large data set is big (the model lets go too).
        previous[1].data = None
        previous[1].model.release_data()
        self.past_runs.append(previous)
        self._forget_unreachable_files()
        self.event = Event("info", f"Training restarted from iteration 0 because {reason}.")
        return True

    def _fix_view(self) -> None:
        """Keep the view to what the data set can show: a chosen point within the data, the
        simplex for three classes only."""
        dataset = self.dataset
        if self.view.point is not None and self.view.point >= dataset.X.shape[0]:
            self.view = replace(self.view, point=None)
        if self.view.panel == "simplex" and dataset.n_classes != 3:
            self.view = replace(self.view, panel="model")

    def _configure(self, learning_rate: float | None) -> None:
        """Give the model a learning rate and the settings' tol and max_iter; the core
        resolves "auto" (1/L) at once, so that every display shows the rate in use."""
        self.model.set_params(
            learning_rate="auto" if learning_rate is None else learning_rate,
            tol=self.settings.tol,
            max_iter=self.settings.max_iter,
        )
        self.model.step(self.training, n_steps=0)

    def _record(self, learning_rate: float | None, count: int) -> None:
        schedule = self.run.schedule
        if schedule and schedule[-1][0] == learning_rate:
            schedule[-1] = (learning_rate, schedule[-1][1] + count)
        elif count:
            schedule.append((learning_rate, count))

    def _slice_steps(self) -> int:
        """Iterations in one slice of long work (about SLICE_SECONDS)."""
        return self.settings.iterations_within(SLICE_SECONDS)

    def _advance(
        self,
        learning_rate: float | None,
        n_steps: int,
        *,
        until_converged: bool = False,
        tol: float | None = None,
    ) -> list:
        """Train up to ``n_steps`` iterations with ``learning_rate``, in slices between which
        the work stops if the person has gone; return the warnings. ``tol`` overrides the
        settings' tolerance for this call only."""
        model = self.model
        self._configure(learning_rate)
        if tol is not None:
            model.set_params(tol=tol, max_iter=max(model.max_iter, model.n_iter_ + n_steps))
        before = model.n_iter_
        left = n_steps
        slice_steps = self._slice_steps()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                while left > 0 and not model.diverged_:
                    if until_converged and model.converged_ and model.n_iter_ > before:
                        break
                    start = model.n_iter_
                    model.step(
                        self.training, min(left, slice_steps), until_converged=until_converged
                    )
                    taken = model.n_iter_ - start
                    left -= taken
                    if taken == 0 or left <= 0:
                        break
                    if self.cancelled():
                        raise SessionGoneError
            finally:
                self._record(learning_rate, model.n_iter_ - before)
                if tol is not None:  # the action's rule ends with it: judged by the settings'
                    self._configure(learning_rate)
        return caught

    def _checkpoint_state(self) -> Checkpoint:
        return Checkpoint(self.model.snapshot(), self.settings, tuple(self.run.schedule))

    def _checkpoint(self) -> None:
        """Remember the run's state and the settings, for Back to return to."""
        self.run.history.append(self._checkpoint_state())

    @staticmethod
    def _divergence_event(caught: list) -> Event:
        messages = [str(w.message) for w in caught if issubclass(w.category, DivergenceWarning)]
        return Event("error", messages[0] if messages else "Training diverged.")

    def _blocked(self) -> Event | None:
        if self.model.diverged_:
            how = "Press Back or restart" if self.can_go_back() else "Restart"
            return Event("error", f"This run diverged. {how} with the stable rate.")
        if self.model.n_iter_ >= self.settings.max_iter:
            return Event(
                "warning", f"Reached max_iter = {self.settings.max_iter:,}. Raise it to go on."
            )
        return None

    # ------------------------------------------------------------------ transitions

    @_one_action
    def step(self, n_steps: int = 1) -> None:
        """Step ``n_steps`` iterations (bounded by max_iter and the work budget)."""
        self._stop_playing()
        self._step(n_steps, checkpoint=True)

    def _step(self, n_steps: int, *, checkpoint: bool) -> int:
        blocked = self._blocked()
        if blocked:
            self.event = blocked
            self._stop_playing()
            return 0
        remaining = self.settings.max_iter - self.model.n_iter_
        n_steps = max(0, min(n_steps, remaining, self.settings.step_budget()))
        if checkpoint:
            self._checkpoint()
        before = self.model.n_iter_
        caught = self._advance(self.settings.learning_rate, n_steps)
        self.event = self._divergence_event(caught) if self.model.diverged_ else None
        if self.model.diverged_ or self.model.n_iter_ >= self.settings.max_iter:
            self._stop_playing()
        return self.model.n_iter_ - before

    def play(self, page: str | None = None) -> None:
        """Start playing (from the Train page or a lesson); Back after Pause undoes the
        whole play, as one action."""
        if self.playing:
            return
        blocked = self._blocked()
        if blocked:
            self.event = blocked
            return
        self._checkpoint()
        self._play_start = self.run.history[-1]
        self.playing = True
        self.play_page = page

    def pause(self) -> None:
        self._stop_playing()

    def _stop_playing(self) -> None:
        start = self._play_start
        history = self.run.history
        if (
            self.playing
            and history
            and history[-1] is start
            and start.snapshot.n_iter == (self.model.n_iter_)
        ):
            history.pop()  # Play took no step: nothing for Back to undo
        self.playing = False
        self.play_page = None
        self._frames = None
        self._play_start = None

    def leave_page(self, page: str) -> None:
        """A page other than the one Play runs on was opened: Play stops (it never resumes
        silently when the person comes back)."""
        if self.playing and page != self.play_page:
            self.pause()

    def tick(self) -> None:
        """One Play tick: the chosen speed's iterations, no checkpoint (see :meth:`play`). At
        an animated speed ("fast", "smooth") each iterate is kept for the animation."""
        if not self.playing:
            return
        n_steps = self.play_timing()[1]
        if self.view.speed not in ANIMATED_SPEEDS:
            self._step(n_steps, checkpoint=False)
            return
        model = self.model
        kept = [(model.n_iter_, model.coef_.copy(), model.intercept_.copy())]
        for _ in range(n_steps):
            if not self._step(1, checkpoint=False):
                break
            kept.append((model.n_iter_, model.coef_.copy(), model.intercept_.copy()))
            if not self.playing:
                break
        iterations, coefs, intercepts = zip(*kept, strict=True)
        self._animated_ticks += 1
        self._frames = Frames(self.run.run_id, self._animated_ticks, iterations, coefs, intercepts)

    @_one_action
    def run_to_convergence(self) -> None:
        """Train until a step changes the loss by less than tol, max_iter, or the budget."""
        self._stop_playing()
        blocked = self._blocked()
        if blocked:
            self.event = blocked
            return
        current, model = self.settings, self.model
        budget = min(current.max_iter - model.n_iter_, current.step_budget())
        self._checkpoint()
        before = model.n_iter_
        caught = self._advance(current.learning_rate, budget, until_converged=True)
        self.event = self._convergence_event(caught, model.n_iter_ - before)

    def _convergence_event(self, caught: list, done: int, *, tol: float | None = None) -> Event:
        model, current = self.model, self.settings
        history = model.loss_history()
        change = abs(history[-1] - history[-2]) if history.size > 1 else 0.0
        tol = current.tol if tol is None else tol
        if model.diverged_:
            return self._divergence_event(caught)
        if model.solver == "sgd":
            epoch = sgd_last_epoch(model, self.training.n_samples, history)
            if epoch is not None and abs(epoch.change) < tol:
                return Event(
                    "success",
                    f"Converged after {done:,} more iterations: the last complete epoch "
                    f"(steps {epoch.start:,} to {epoch.end:,}) changed the loss by "
                    f"{abs(epoch.change):.1e} < {tol:g}.",
                )
        elif history.size > 1 and change < tol:
            return Event(
                "success",
                f"Converged after {done:,} more iterations: the last step changed the loss by "
                f"{change:.1e} < {tol:g}.",
            )
        if model.n_iter_ >= current.max_iter and tol == current.tol:
            limit = f"max_iter = {current.max_iter:,}"
        else:
            limit = f"the limit of {current.step_budget():,} iterations per click on this data"
        facts = self.report()
        distance = (
            ""
            if facts.suboptimality is None
            else f" It is J − J* = {facts.suboptimality:.2e} from the target."
        )
        return Event(
            "warning",
            f"Stopped at {limit}, after {done:,} more iterations: the last step changed the "
            f"loss by {change:.1e} (tol = {tol:g}).{distance}",
        )

    @_one_action
    def run_to_optimum(self) -> None:
        """Go on with this run's solver and rate until a step changes the loss by less than
        OPTIMUM_TOL (past tol and max_iter, which stay as they are: an action is not a
        setting); one action for Back."""
        self._stop_playing()
        if self.model.diverged_:
            self.event = self._blocked()
            return
        self._checkpoint()
        before = self.model.n_iter_
        caught = self._advance(
            self.settings.learning_rate,
            self.settings.step_budget(),
            until_converged=True,
            tol=OPTIMUM_TOL,
        )
        self.event = self._convergence_event(caught, self.model.n_iter_ - before, tol=OPTIMUM_TOL)

    def back(self) -> None:
        """Undo the last action: a step, a play, a setting, or the start of a new run."""
        self._stop_playing()
        run = self.run
        if run.history:
            last = run.history.pop()
            run.model.restore(last.snapshot)
            run.heldout.clear()  # iterations past the snapshot will be others
            run.schedule[:] = list(last.schedule)
            self.settings = last.settings
            self._configure(self.settings.learning_rate)
            self.event = Event("info", f"Back to iteration {last.snapshot.n_iter:,}.")
            return
        if not self.past_runs:
            self.event = Event("info", "Nothing to undo: this is the start of the history.")
            return
        previous_settings, previous_run = self.past_runs.pop()
        if previous_settings.data_key() != self.settings.data_key():
            self.pins = []
        self.settings, self.run = previous_settings, previous_run
        if previous_settings.kind == "upload":  # the file in use is that run's
            self.upload = self._file_of(previous_settings)
        self._configure(self.settings.learning_rate)
        self._fix_view()
        self.event = Event(
            "info", f"Back to the previous run, at iteration {previous_run.n_iter:,}."
        )

    @_one_action
    def reset(self) -> None:
        """Back to iteration 0 with the current settings (the old run is kept for Back)."""
        self._stop_playing()
        if self.model.n_iter_ == 0:
            self.event = Event("info", "Nothing to reset: the run is at iteration 0.")
            return
        self._replace_run(self.settings, "you pressed Reset")

    @_one_action
    def apply_settings(self, new: Settings) -> None:
        """Replace the settings (a preset) and start a new run."""
        self._replace_run(new, "a preset was chosen")

    @_one_action
    def update_settings(self, **changes) -> None:
        """Apply changed settings. New data, a new penalty or a new solver start a new run
        (the old one is kept for Back); a new learning rate, tolerance or iteration limit
        applies from the next step on (one action for Back), and the model resolves it."""
        old = self.settings
        new = replace(old, **changes)
        if new == old:
            return
        self._stop_playing()
        if new.run_key() != old.run_key():
            self._replace_run(new, explain.restart_reason(old, new))
            return
        self._checkpoint()
        self.settings = new
        self._configure(new.learning_rate)
        self.event = None
        if new.learning_rate != old.learning_rate:
            rate = format_rate(self.model.learning_rate_)
            shown = f"1/L = {rate} (auto)" if new.learning_rate is None else rate
            self.event = Event("info", f"From the next step on, the learning rate is {shown}.")

    def use_learning_rate(self, value: float | None) -> None:
        """A one-click rate (None is the automatic 1/L); the run goes on."""
        self.update_settings(learning_rate=value)

    def use_stable_learning_rate(self) -> None:
        """Fix: the automatic rate 1/L, which never overshoots; the run goes on."""
        self.update_settings(learning_rate=None)

    @_one_action
    def restart_with_stable_rate(self) -> None:
        """After a divergence: the automatic rate 1/L, and a new run."""
        self._stop_playing()
        new = replace(self.settings, learning_rate=None)
        self._replace_run(new, "the run diverged; it restarted with the stable rate 1/L")

    def new_seed(self, seed: int) -> None:
        """New random data with ``seed`` (written to the URL, so still reproducible)."""
        self.update_settings(seed=int(seed))

    def update_view(self, **changes) -> None:
        """How the pages show the run; the run itself does not change."""
        self.view = replace(self.view, **changes)
        self._fix_view()

    def choose_point(self, row: int | None) -> None:
        """Follow the data point at ``row`` through the model (None: none)."""
        if row is None or 0 <= row < self.dataset.X.shape[0]:
            self.update_view(point=None if row is None else int(row))

    def set_classroom(self, on: bool) -> None:
        self.classroom = bool(on)

    def dismiss_notices(self) -> None:
        self.notices = []

    def request_path(self) -> None:
        """Compute the regularization path of this data set, however long it takes (a
        view: the run does not change)."""
        self.paths_requested.add(self.dataset.key)

    # ------------------------------------------------------------------ pins

    def _make_pin(self, spec: PinSpec, model: SoftmaxRegression) -> Pin:
        return Pin(spec, pin_label(spec), model.loss_history(), model.path()[1])

    def _replay_pin(self, spec: PinSpec) -> Pin:
        """A pin from a link: its run replayed from zero on the lab's data."""
        pinned = replace(
            self.settings,
            solver=spec.solver,
            C=spec.C,
            batch_size=spec.batch_size,
            batch_seed=spec.batch_seed,
        )
        model = SoftmaxRegression(
            solver=spec.solver,
            C=spec.C,
            batch_size=spec.batch_size,
            shuffle=True,
            random_state=spec.batch_seed,
        ).step(self.training, n_steps=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a pinned divergence shows in its ghost
            for learning_rate, count in spec.schedule:
                model.set_params(learning_rate="auto" if learning_rate is None else learning_rate)
                done = 0
                while done < count and not model.diverged_:
                    before = model.n_iter_
                    slice_steps = pinned.iterations_within(SLICE_SECONDS)
                    model.step(self.training, min(count - done, slice_steps))
                    if model.n_iter_ == before:
                        break
                    done += model.n_iter_ - before
                    if self.cancelled():
                        raise SessionGoneError
        return self._make_pin(spec, model)

    def pin(self) -> None:
        """Keep the current run for comparison (the oldest pin goes beyond MAX_PINS)."""
        spec = pin_spec(self.settings, self.run.schedule)
        kept = [pin for pin in self.pins if pin.spec != spec][-(MAX_PINS - 1) :]
        self.pins = [*kept, self._make_pin(spec, self.model)]
        self.event = Event("info", f"Pinned: {pin_label(spec).rstrip('.')}.")

    def clear_pins(self) -> None:
        self.pins = []

    # ------------------------------------------------------------------ lessons

    @_one_action
    def open_lesson(self, lesson: int, step: int, *, record: bool = True) -> None:
        """Set up a lesson's step from scratch: its settings (a new run; Back returns to the
        one before), the actions the controls would take, and its view, whole: a step looks
        the same however it is reached (Next, Back, a link)."""
        chosen = LESSONS[lesson].steps[step]
        self._stop_playing()
        if record:
            self._replace_run(chosen.settings, f"you opened lesson {lesson + 1}, step {step + 1}")
        else:
            refused = self._start_run(chosen.settings)
            if refused is not None:  # lessons use built-in data: cannot happen
                raise ValueError(refused)
        for action, *arguments in chosen.actions:
            if action == "step":
                self._advance(self.settings.learning_rate, arguments[0])
            elif action == "stable":
                self.settings = replace(self.settings, learning_rate=None)
                self._configure(None)
            elif action == "optimum":
                self._advance(
                    self.settings.learning_rate,
                    self.settings.step_budget(),
                    until_converged=True,
                    tol=OPTIMUM_TOL,
                )
        self.view = replace(DEFAULT_VIEW, **chosen.view, lesson=lesson, lesson_step=step)
        self._fix_view()
        self.event = None

    def open_chosen_lesson(self, lesson: int | None) -> None:
        """The lesson control: the chosen lesson (the first if none) from its start."""
        self.open_lesson(lesson or 0, 0)

    # ------------------------------------------------------------------ uploads

    def receive_upload(self, name: str, raw: bytes) -> None:
        """Take an uploaded file if it is a readable table, and learn from its proposed
        columns if they make a data set; else say why: the file stays on offer (the Data
        page shows its columns to choose from) and the file and data set in use stay."""
        shown = plain(name, 40)
        try:
            table = self.services.parse_upload(raw)
            columns, label = default_columns(table)
        except ValueError as error:
            self.event = Event("error", f"Could not use {shown}: {error}. The data set stays.")
            return
        self.offer = Upload(digest(raw), shown, table, columns, label, bytes(raw))
        self.use_upload(columns, label)

    @_one_action
    def use_upload(self, columns: tuple[str, ...], label: str) -> None:
        """Learn from the uploaded file's ``columns`` (one or two) and ``label`` column, as
        chosen (the file on offer, else the one in use); columns the file cannot make a data
        set from change nothing, and say why."""
        file = self.offer or self.upload
        if file is None:
            self.event = Event("info", "Upload a CSV file first (below).")
            return
        new = self._upload_settings(file, tuple(columns), label)
        if new == self.settings and file is self.upload:
            self.event = Event("info", f"Already learning from these columns of {file.name}.")
            return
        try:
            # The whole data set is made before the run changes: columns that cannot make
            # one leave the settings, the run and the file in use as they were.
            self.services.dataset(new, file.table)
        except ValueError as error:
            chosen = ", ".join(f"'{plain(column, 40)}'" for column in columns) or "none"
            self.event = Event(
                "error",
                f"Could not learn from {file.name} with feature columns {chosen} and label "
                f"column '{plain(label, 40)}': {error}. Choose its columns on the Data page; "
                "the data set in use stays.",
            )
            return
        previous = self.upload, self._files
        self.upload, self.offer = file, None
        self._keep_file(file)
        if not self._replace_run(new, f"you chose {file.name}"):
            (self.upload, self._files), self.offer = previous, file

    @_one_action
    def open_run_file(self, name: str, raw: bytes) -> None:
        """Open a run saved as JSON (:func:`ui.export.run_json`): its settings, schedule,
        view and embedded file, replayed as a link's run is (within the replay budget; the
        run before stays for Back). A file that cannot be opened changes nothing and says
        why; values out of bounds fall back as a link's do, and the message names them."""
        shown = plain(name, 40)
        opened, problems = spec_from_json(raw)
        if opened is None:
            self.event = Event(
                "error", f"Could not open {shown}: {'; '.join(problems)}. The run on screen stays."
            )
            return
        spec, recorded = opened.spec, opened.recorded
        self._stop_playing()
        previous = self.upload, self.offer, self._files
        try:
            if spec.csv_bytes is not None:
                file = spec.csv_bytes
                self.upload = Upload(
                    digest(file),
                    plain(spec.csv_name or name, 40),
                    self.services.parse_upload(file),
                    spec.settings.upload_columns,
                    spec.settings.upload_label,
                    file,
                )
                self.offer = None
                self._keep_file(self.upload)
            self.dataset_for(spec.settings)  # made before the run changes, or refused
        except ValueError as error:
            self.upload, self.offer, self._files = previous
            self.event = Event(
                "error",
                f"Could not open {shown}: its data set cannot be made ({error}). The run on "
                "screen stays.",
            )
            return
        self._replace_run(spec.settings, f"you opened {shown}")
        self.event = None
        self._replay(spec.schedule)
        diverged = self.event
        self.view = opened.view
        self._fix_view()
        model = self.model
        parts = [
            f"Opened {shown}: iteration {model.n_iter_:,}, loss J = {format_number(model.loss_)}."
        ]
        if problems:
            parts.append(f"Some of its values were not valid: {'; '.join(problems)}.")
        if recorded.n_iter != model.n_iter_:
            parts.append(
                f"The file records iteration {recorded.n_iter:,}; its settings replay to "
                f"iteration {model.n_iter_:,} here, which the page shows."
            )
        elif not recorded.agrees_with(model):
            # A chaotic run (above the stable rate) replayed on another kind of processor
            # may part from the file's; so does a file whose parameters were edited.
            gap = max(
                float(np.max(np.abs(model.coef_ - recorded.coef))),
                float(np.max(np.abs(model.intercept_ - recorded.intercept))),
            )
            parts.append(
                f"The parameters it records differ from those its settings replay to here by "
                f"up to {gap:.1e}; the page shows the replay."
            )
        level = "success" if len(parts) == 1 else "warning"
        if diverged is not None:
            parts.append(diverged.text)
            level = "error"
        self.event = Event(level, " ".join(parts))

    def use_upload_kind(self) -> None:
        """The data source control chose the uploaded file: the columns chosen last, or the
        proposed ones."""
        if self.upload is None and self.offer is None:
            self.event = Event("info", "Upload a CSV file first (below).")
            return
        self.use_upload(*self.upload_choice())

    def upload_choice(self) -> tuple[tuple[str, ...], str]:
        """The uploaded file's columns the Data page shows: for the file on offer, those it
        proposed; for the file in use, the columns chosen last (they stay in the settings
        when another source is chosen)."""
        file = self.offer or self.upload
        if file is None:
            return (), ""
        chosen = self.settings.upload_columns
        if file is self.upload and self.settings.upload == file.digest and chosen:
            return chosen, self.settings.upload_label
        return file.columns, file.label

    @property
    def upload_shown(self) -> Upload | None:
        """The file the Data page shows: the one on offer, else the one in use."""
        return self.offer or self.upload

    def _upload_settings(self, upload: Upload, columns: tuple[str, ...], label: str) -> Settings:
        return replace(
            self.settings,
            kind="upload",
            upload=upload.digest,
            upload_columns=tuple(columns),
            upload_label=label,
            upload_rows=len(upload.table.rows),
            features=(),
        )


LABEL_NAMES = ("label", "labels", "class", "classes", "target", "y", "species", "category")


def default_columns(table: CsvTable) -> tuple[tuple[str, ...], str]:
    """A first guess at a table's label column and features, which the Data page shows and
    lets a person change: the label is the column named like one (label, class, target,
    ...), else the last column; the features, its first two other columns with numbers.
    Whether they make a data set is :func:`ui.data.make_dataset`'s to say (a label column
    with one class is refused, not swapped for another)."""
    named = [c for c in table.columns if c.strip().lower() in LABEL_NAMES]
    label = named[-1] if named else table.columns[-1]
    columns = tuple(c for c in table.number_columns() if c != label)[:2]
    if not columns:
        raise ValueError(
            f"no column but the label '{plain(label, 40)}' holds numbers, and features must be "
            "numbers"
        )
    return columns, label
