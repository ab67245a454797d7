"""The live classroom's logic: a teacher's lab published to a room, and what followers see.

Plain Python, no Streamlit (:mod:`ui.session` holds a teacher's :class:`Teaching` and
:mod:`pages.6_Live` draws the room). The teacher's lab, on every page they use, is the room's
state: after each of their actions its link (:meth:`ui.lab.Lab.query`) is published to the
room (:func:`publish`, only when it changed). A follower polls the room's version and, when it
changed, reads the state and draws the lab that link makes (:class:`Following`, one lab per
room and version for all the followers a process serves, and what they are shown of it,
:class:`Shown`, made once per version and layout). Questions come from
:mod:`ui.questions`, answered by the run itself on copies of it; revealing one lets the
teacher's run take the step it asked about.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

import numpy as np

from . import explain, figures, questions, views
from .lab import Lab
from .report import RunReport
from .rooms import NoSuchRoomError, PublishedState, RoomError, RoomStore, normalise_code
from .services import Services

# How often a follower's page asks whether the teacher's run changed (a second, so that it
# shows each action within about two seconds).
POLL_SECONDS = 1.0
# How many steps "after N more steps" looks ahead.
LOOKAHEAD_STEPS = 10
# Rooms whose followers' labs a process keeps (each the lab of one version).
FOLLOWED_ROOMS = 32
# The browser cookies that keep a student's answers theirs and a teacher's room theirs
# across a refresh or another replica (no names: random tokens).
STUDENT_COOKIE = "softmax_lab_student"
TEACHER_COOKIE = "softmax_lab_teacher"
COOKIE_DAYS = 1


@dataclass
class Teaching:
    """What a teacher's session holds: the room it drives and the secret that lets it; what
    it published last, and the question it opened (to take its step on reveal)."""

    code: str
    secret: str = field(repr=False)
    published: dict[str, str] | None = None
    version: int = 0
    asked: questions.Question | None = None
    asked_steps: int = 0  # the steps the asked question is about, taken on reveal
    # When this session last drove the room (seconds since the epoch; None: not yet here):
    # the store cannot have expired it sooner than its idle timeout after that.
    driven_at: float | None = None
    # Why the store could not be reached at the last try (None: it could).
    unreachable: str | None = None

    def cookie(self) -> str:
        """The cookie value that gives this room back to the teacher's browser."""
        return f"{self.code}:{self.secret}"


def teaching_from_cookie(store: RoomStore, value: str | None) -> Teaching | None:
    """The teaching a browser's cookie names, if its room is live and the secret is its."""
    if not value or ":" not in value:
        return None
    code, secret = value.split(":", 1)
    try:  # a cookie may hold anything: it names no room rather than failing every page
        code = normalise_code(code)
        return Teaching(code, secret) if store.is_teacher(code, secret) else None
    except (RoomError, ValueError):
        return None


def publish(
    store: RoomStore,
    teaching: Teaching,
    query: dict[str, str],
    *,
    clock: Callable[[], float] = time.time,
) -> bool:
    """Publish the teacher's link to the room if it changed since the last publish; return
    whether it was published.

    A room the store no longer holds although this session drove it less than the store's
    idle timeout ago was not expired but lost (a Redis restarted without its data): it is
    made live again under the same code and secret (:meth:`RoomStore.restore_room`), then
    published, so that its followers get it back without reloading. Its open question went
    with the store's data: it is forgotten.

    Raises
    ------
    NoSuchRoomError
        If the room expired (or was closed): the class has ended.
    """
    if teaching.published == query:
        return False
    try:
        teaching.version = store.publish(teaching.code, teaching.secret, query)
    except NoSuchRoomError:
        if not lost_by_store(store, teaching, clock()):
            raise
        store.restore_room(teaching.code, teaching.secret, teaching.version)
        teaching.asked, teaching.asked_steps = None, 0
        teaching.version = store.publish(teaching.code, teaching.secret, query)
    teaching.published = dict(query)
    teaching.driven_at = clock()
    return True


def lost_by_store(store: RoomStore, teaching: Teaching, now: float) -> bool:
    """Whether a room the store says it lacks must have been lost rather than expired: this
    session drove it well within the store's idle timeout (a tenth's margin for clocks)."""
    return teaching.driven_at is not None and now - teaching.driven_at < 0.9 * store.idle_timeout


@dataclass(frozen=True)
class Shown:
    """What every follower of one version of a room sees in one layout (``large``: the
    classroom mode's), made once per process for all of them (:meth:`Following.shown`):
    the run's report and banner, both charts already serialised, the pins' key and the
    link that opens the run as one's own. Nothing in it is a follower's own."""

    version: int
    large: bool
    notices: tuple[str, ...]
    report: RunReport
    banner: explain.Claim
    model_key: str
    model_chart: figures.Serialised
    caption: str | None
    loss_chart: figures.Serialised
    pins: views.Pinned | None
    own_link: str


def show(lab: Lab, version: int, *, large: bool) -> Shown:
    """What followers see of ``lab`` (the room's ``version``), laid out ``large`` or not."""
    report = lab.report()
    height = views.CHART_HEIGHT[large] - views.CHART_TITLE_ROOM
    model = views.model_panel_figure(lab, report, large=large, height=height)
    loss = views.loss_panel_figure(lab, report, large=large, height=height)
    own = {key: value for key, value in lab.query().items() if key != "classroom"}
    return Shown(
        version=version,
        large=large,
        notices=tuple(lab.notices),
        report=report,
        banner=explain.stability(report),
        model_key=model.key,
        model_chart=figures.serialise(model.spec),
        caption=model.caption,
        loss_chart=figures.serialise(loss),
        pins=views.pinned(lab, report),
        own_link=f"Train?{urlencode(own)}",
    )


@dataclass
class _Followed:
    version: int
    lab: Lab
    shown: dict[bool, Shown] = field(default_factory=dict)  # by layout: at most two


class Following:
    """The labs followers see: per room, the one its latest published link makes, and what
    followers are shown of it (built once per version, and per layout, shared by every
    follower a process serves; a new version replaces both). At most ``rooms`` rooms are
    kept, the least recently read dropped first."""

    def __init__(self, services: Services, rooms: int = FOLLOWED_ROOMS) -> None:
        self.services = services
        self.rooms = rooms
        self._labs: OrderedDict[str, _Followed] = OrderedDict()
        # Followers' scripts run in threads of one process and share these labs, whose
        # report and figures are computed lazily: one reader at a time.
        self._lock = threading.RLock()

    def _followed(self, code: str, state: PublishedState) -> _Followed:
        kept = self._labs.get(code)
        if kept is None or kept.version != state.version:
            lab = Lab.from_link(state.query, self.services)
            lab.notices = [*state.problems, *lab.notices]
            kept = _Followed(state.version, lab)
            self._labs[code] = kept
            while len(self._labs) > self.rooms:
                self._labs.popitem(last=False)
        self._labs.move_to_end(code)
        return kept

    def lab(self, code: str, state: PublishedState) -> Lab:
        """The lab of room ``code`` at ``state`` (validated as a link is: its notices say
        what could not be used)."""
        with self._lock:
            return self._followed(code, state).lab

    def shown(self, code: str, state: PublishedState, *, large: bool) -> Shown:
        """What followers of room ``code`` at ``state`` see, laid out ``large`` or not: the
        same object for all of them until the room's version changes."""
        with self._lock:
            followed = self._followed(code, state)
            kept = followed.shown.get(large)
            if kept is None:
                kept = show(followed.lab, state.version, large=large)
                followed.shown[large] = kept
            return kept

    @contextlib.contextmanager
    def reading(self, code: str, state: PublishedState) -> Iterator[Lab]:
        """:meth:`lab`, held for this reader alone until the block ends."""
        with self._lock:
            yield self.lab(code, state)


# The questions a teacher can open, by template: what they ask.
TEMPLATES = {
    "direction": "Will the loss go up or down at the next step?",
    "class": f"Which class will the model give the followed point after {LOOKAHEAD_STEPS} "
    "more steps?",
    "race": "Which of these learning rates reaches J − J* < 1e-3 first?",
}


def ask(lab: Lab, template: str) -> tuple[questions.Question, int]:
    """The question of ``template`` about ``lab``'s run as it stands, answered by stepping
    copies of it, and how many steps of the run it is about (taken when it is revealed).

    Raises
    ------
    ValueError
        If the run cannot be asked this now (it diverged, a point must be followed first,
        there is no target of the same objective); the message says why.
    """
    model, data = lab.model, lab.training
    if template == "direction":
        return questions.loss_direction_question(model, data), 1
    if template == "class":
        point = lab.view.point
        if point is None:
            raise ValueError("follow a data point first: click one on the Train page's chart")
        x = lab.dataset.features(lab.dataset.X[point : point + 1])[0]
        question = questions.point_class_question(
            model,
            data,
            x,
            LOOKAHEAD_STEPS,
            lab.dataset.class_names,
            point_number=point,
        )
        return question, LOOKAHEAD_STEPS
    if template == "race":
        report = lab.report()
        if not report.same_objective or report.reference_loss is None:
            raise ValueError("the race needs the target of the same objective (Compare's choice)")
        limit = model.learning_rate_limit_
        rates = sorted({float(model.learning_rate_), 0.5 * limit, 0.99 * limit})
        question = questions.learning_rate_race_question(model, data, rates, report.reference_loss)
        return question, 0
    raise ValueError(f"no question template {template!r}")


def histogram_bars(histogram: dict[str, int]) -> tuple[list[str], np.ndarray]:
    """A reveal's histogram as bar labels and counts, in the options' order."""
    return list(histogram), np.array(list(histogram.values()), dtype=np.int64)
