"""The live classroom's logic: a teacher's lab published to a room, and what followers see.

Plain Python, no Streamlit (:mod:`ui.session` holds a teacher's :class:`Teaching` and
:mod:`pages.6_Live` draws the room). The teacher's lab, on every page they use, is the room's
state: after each of their actions its link (:meth:`ui.lab.Lab.query`) is published to the
room (:func:`publish`, only when it changed). A follower polls the room's version and, when it
changed, reads the state and draws the lab that link makes (:class:`Following`, one lab per
room and version for all the followers a process serves). Questions come from
:mod:`ui.questions`, answered by the run itself on copies of it; revealing one lets the
teacher's run take the step it asked about.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from . import questions
from .lab import Lab
from .rooms import PublishedState, RoomError, RoomStore, normalise_code
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


def publish(store: RoomStore, teaching: Teaching, query: dict[str, str]) -> bool:
    """Publish the teacher's link to the room if it changed since the last publish; return
    whether it was published."""
    if teaching.published == query:
        return False
    teaching.version = store.publish(teaching.code, teaching.secret, query)
    teaching.published = dict(query)
    return True


class Following:
    """The labs followers see: per room, the one its latest published link makes (built once
    per version, shared by every follower a process serves)."""

    def __init__(self, services: Services, rooms: int = FOLLOWED_ROOMS) -> None:
        self.services = services
        self.rooms = rooms
        self._labs: OrderedDict[str, tuple[int, Lab]] = OrderedDict()
        # Followers' scripts run in threads of one process and share these labs, whose
        # report and figures are computed lazily: one reader at a time.
        self._lock = threading.RLock()

    def lab(self, code: str, state: PublishedState) -> Lab:
        """The lab of room ``code`` at ``state`` (validated as a link is: its notices say
        what could not be used)."""
        with self._lock:
            kept = self._labs.get(code)
            if kept is None or kept[0] != state.version:
                lab = Lab.from_link(state.query, self.services)
                lab.notices = [*state.problems, *lab.notices]
                kept = (state.version, lab)
                self._labs[code] = kept
                while len(self._labs) > self.rooms:
                    self._labs.popitem(last=False)
            self._labs.move_to_end(code)
            return kept[1]

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
