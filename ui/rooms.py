"""Live classroom rooms: a teacher's run, followed by students, with predict-then-reveal questions.

Plain Python, no Streamlit. A teacher creates a :class:`Room` and gets its code (6 characters
to type or scan) and a teacher secret (the right to drive, never shown to students). The
teacher publishes the run's state, a URL query (``ui.settings.to_query``), with a version that
grows by one per publish; students poll it (Streamlit cannot push) and validate it as they
would a link (:func:`read_state`). The teacher opens a question, students answer it, the
teacher sees how many answered, then reveals: everyone then reads the histogram and the true
answer.

Two backends implement one contract (:class:`RoomStore`): :class:`SqliteRoomStore`, a file
shared by the processes of one machine (the default, nothing to install), and
:class:`RedisRoomStore`, shared by replicas on several machines. :func:`store_from_environment`
picks one. A store is an object the caller creates and keeps (e.g. in
``st.cache_resource``); nothing here is global.

Contract, both backends:

- Codes are drawn with :mod:`secrets` from :data:`CODE_ALPHABET` (no look-alikes); a typed code
  is read case-insensitively, ignoring spaces and dashes (:func:`normalise_code`).
- Publishing, opening, revealing, resetting a question, counting answers and closing the room
  need the teacher secret, compared in constant time. Students need only the code, and what
  they read never holds the secret, another student's answer, or the true answer before the
  reveal.
- A room expires when its teacher has not driven it (published, opened, revealed or reset)
  for ``idle_timeout`` seconds. Students' polls and answers do not keep a room alive: a room
  its teacher left dies even while phones still poll it.
- One answer per student per question, counted once: a second answer before the reveal
  *replaces* the first (a mis-tap on a phone can be corrected); after the reveal answers are
  refused. Answers must be one of the question's options. At most ``max_students`` students
  (distinct tokens) answer in one room; the next is refused with :class:`RoomFullError`.
- Everything stored is bounded (see the constants below), and everything read back is
  validated again: a Redis shared by replicas may be written by anything.
- Stored text (question, options, reveal) is plain text. The page must show it as plain text
  (``st.text``, or markdown escaped with ``ui.settings.escape_markdown``), never as markup.
  Students send no text at all: only their token and one of the offered options.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import re
import secrets
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .settings import Restored, from_query, quote

# Upper-case letters and digits without 0/O, 1/I/L, and without the pairs that a projector or
# a phone font blurs: 2/Z, 5/S, 8/B, U/V (the digit, or V, is the one dropped). 27 symbols,
# 27**6 ≈ 3.9e8 codes: a guess finds one of 1,000 live rooms with odds of about 1 in 390,000,
# and even then it can only watch and answer, never drive.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUWXYZ34679"
CODE_LENGTH = 6
# What a student may type between the characters of a code: spaces and the dashes a phone's
# keyboard substitutes for "-" (en dash, em dash, minus sign).
_CODE_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_.]+")

DEFAULT_IDLE_TIMEOUT = 3 * 3600.0  # a lecture and its break; a room left longer is gone
DEFAULT_MAX_ROOMS = 1_000
MAX_STUDENTS = 500  # a large lecture hall
MAX_STATE_BYTES = 16_384  # the JSON of a query; the longest app link is about 6 KB
MAX_STATE_ITEMS = 64  # the app writes at most about 25 parameters
MAX_STATE_KEY_LENGTH = 32
MAX_QUESTION_ID_LENGTH = 64
MAX_QUESTION_TEXT = 500
MAX_REVEAL_TEXT = 1_000
MIN_OPTIONS, MAX_OPTIONS = 2, 12  # a class per option: up to 10 classes, and "none"
MAX_OPTION_LENGTH = 40
MAX_SECRET_LENGTH = 128
MAX_PROBLEMS = 5  # problems listed about a tampered state; the rest are counted
_STATE_KEY = re.compile(rf"[A-Za-z0-9_]{{1,{MAX_STATE_KEY_LENGTH}}}")
_QUESTION_ID = re.compile(rf"[A-Za-z0-9_.:-]{{1,{MAX_QUESTION_ID_LENGTH}}}")
_STUDENT_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


# ----------------------------------------------------------------------------- errors


class RoomError(Exception):
    """Something a room cannot do; the message says why, as plain text for a person."""


class NoSuchRoomError(RoomError, LookupError):
    """No live room has this code: it was mistyped, closed, or expired."""


class NotTeacherError(RoomError, PermissionError):
    """The teacher secret is missing or wrong: only the room's teacher may drive it."""


class StoreFullError(RoomError):
    """The store holds its maximum of live rooms; no expired room could be evicted."""


class RoomFullError(RoomError):
    """The room has its maximum of students; a new student's answer is refused."""


class InvalidInputError(RoomError, ValueError):
    """A value is too large, not plain text, or not one of the options offered."""


class QuestionClosedError(RoomError):
    """The question answered is not the open one: none is open, it was revealed, or the
    teacher has opened or reset another since the student's page showed it."""


class CorruptRoomError(RoomError):
    """The store holds something for this room that is not what a store writes."""


# ------------------------------------------------------------------------------ values


@dataclass(frozen=True)
class Room:
    """A new room: its code for students, and the teacher's secret (kept out of ``repr``)."""

    code: str
    teacher_secret: str = field(repr=False)
    created_at: float
    expires_at: float  # if the teacher drives it no more


@dataclass(frozen=True)
class PublishedState:
    """The teacher's state as the store holds it: a URL query, not yet validated.

    ``version`` is 0 before the first publish (``query`` is then empty) and grows by one per
    publish. ``problems`` says what the store held that could not be used (dropped).
    """

    query: dict[str, str]
    version: int
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class LiveState:
    """The teacher's state validated as a link is (:func:`ui.settings.from_query`)."""

    restored: Restored
    version: int
    problems: tuple[str, ...]


@dataclass(frozen=True)
class QuestionView:
    """A room's current question, as one reader may see it.

    Students see ``answer``, ``reveal``, ``histogram`` and ``answer_count`` only once
    ``revealed``; ``your_answer`` is the reading student's own answer, if any. The teacher's
    view (:meth:`RoomStore.teacher_question`) has ``answer``, ``reveal`` and ``answer_count``
    at once, and the histogram after the reveal. ``number`` grows by one each time a question
    is opened or reset: an answer names the number it answers.
    """

    number: int
    question_id: str
    text: str
    options: tuple[str, ...]
    revealed: bool
    your_answer: str | None = None
    answer: str | None = None
    reveal: str | None = None
    histogram: dict[str, int] | None = None  # option -> count, in the options' order
    answer_count: int | None = None


@dataclass(frozen=True)
class RoomSignature:
    """What a follower's page shows changes exactly when this does: the teacher's version,
    the question's number and whether it was revealed, and the reading student's answer.

    Read alone by :meth:`RoomStore.read_signature` (one cheap read per poll), and with the
    room by :meth:`RoomStore.read_room`, from the same stored fields."""

    version: int
    question_number: int
    revealed: bool
    your_answer: str | None


@dataclass(frozen=True)
class RoomRead:
    """A room as a follower reads it, from one moment: the teacher's state, the question as
    the reading student sees it, and their signature."""

    state: PublishedState
    question: QuestionView | None
    signature: RoomSignature


class AskedQuestion(Protocol):
    """What a store needs of a question (``ui.questions.Question`` is one)."""

    @property
    def id(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def options(self) -> Sequence[str]: ...

    @property
    def answer(self) -> str | None: ...

    @property
    def reveal(self) -> str: ...


@runtime_checkable
class RoomStore(Protocol):
    """The operations of a live classroom store; both backends implement all of them.

    Every ``code`` argument may be typed by a person (see :func:`normalise_code`). Every
    operation raises :class:`NoSuchRoomError` for a code with no live room, and the teacher's
    operations :class:`NotTeacherError` for a wrong secret.
    """

    idle_timeout: float
    max_rooms: int
    max_students: int

    def create_room(self) -> Room:
        """A new room; expired rooms are evicted first. Raises :class:`StoreFullError`."""
        ...

    def is_teacher(self, code: str, teacher_secret: str) -> bool:
        """Whether ``teacher_secret`` drives this live room (False if there is none)."""
        ...

    def publish(self, code: str, teacher_secret: str, query: Mapping[str, str]) -> int:
        """Store the teacher's state; return its version (one more than the last)."""
        ...

    def read_published(self, code: str) -> PublishedState:
        """The teacher's last state, as stored (validate it with :func:`read_state`)."""
        ...

    def read_room(self, code: str, student_token: str | None = None) -> RoomRead:
        """The teacher's state and the question as ``student_token`` sees it, in one read."""
        ...

    def read_signature(self, code: str, student_token: str | None = None) -> RoomSignature:
        """Only what tells whether :meth:`read_room` would read something new (a poll)."""
        ...

    def restore_room(self, code: str, teacher_secret: str, version: int = 0) -> bool:
        """Make room ``code`` live again for ``teacher_secret`` if the store holds no live
        room of that code (it lost it: a restarted Redis); return whether it did. Its state
        is empty at ``version`` (the teacher's last, so that the next publish is newer than
        anything a follower saw). A live room of another teacher raises
        :class:`NotTeacherError`; one of this teacher is kept as it is. Raises
        :class:`StoreFullError` as :meth:`create_room` does."""
        ...

    def open_question(self, code: str, teacher_secret: str, question: AskedQuestion) -> int:
        """Ask ``question`` (replacing any other, and its answers); return its number."""
        ...

    def read_question(self, code: str, student_token: str | None = None) -> QuestionView | None:
        """The current question as students see it (None if none was opened)."""
        ...

    def teacher_question(self, code: str, teacher_secret: str) -> QuestionView | None:
        """The current question with its answer and how many answered."""
        ...

    def submit_answer(
        self, code: str, student_token: str, question_number: int, option: str
    ) -> None:
        """Record (or replace) a student's answer to the open question ``question_number``.

        Raises :class:`InvalidInputError` for an option not offered or a malformed token,
        :class:`QuestionClosedError` if that question is not open, :class:`RoomFullError` for a new
        student beyond ``max_students``.
        """
        ...

    def count_answers(self, code: str, teacher_secret: str) -> int:
        """How many students answered the current question (0 if none is open)."""
        ...

    def reveal(self, code: str, teacher_secret: str) -> QuestionView:
        """Stop the answers and show everyone the histogram and the true answer."""
        ...

    def reset_question(self, code: str, teacher_secret: str) -> int:
        """Ask the current question again, with no answers; return its new number."""
        ...

    def close_room(self, code: str, teacher_secret: str) -> None:
        """Delete the room and everything in it."""
        ...

    def purge_expired(self) -> int:
        """Delete the expired rooms; return how many."""
        ...

    def room_count(self) -> int:
        """How many live rooms the store holds."""
        ...


# ---------------------------------------------------------------- shared validation


def normalise_code(typed: str) -> str:
    """A room code as a person may type it, in its canonical form.

    Case is ignored, and so are spaces and dashes: ``" k7m-q3d "`` is ``"K7MQ3D"``.

    Raises
    ------
    NoSuchRoomError
        If ``typed`` cannot be a room code (the message quotes it as plain text).
    """
    text = _CODE_SEPARATORS.sub("", typed if isinstance(typed, str) else "").upper()
    if len(text) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in text):
        raise NoSuchRoomError(
            f"{quote(str(typed))!r} is not a room code: a code is {CODE_LENGTH} letters and "
            f"digits, like {'K7MQ3D'}"
        )
    return text


def new_code() -> str:
    """A random room code (not checked against the store: the backends do that)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_student_token() -> str:
    """A student's token: random, kept in the student's session, sent with each answer."""
    return secrets.token_urlsafe(16)


def is_student_token(value: object) -> bool:
    """Whether ``value`` has the form of a token from :func:`new_student_token` (a cookie
    may hold anything)."""
    return isinstance(value, str) and _STUDENT_TOKEN.fullmatch(value) is not None


def _new_teacher_secret() -> str:
    return secrets.token_urlsafe(24)


def _fresh_room_fields(teacher_secret: str, now: float, version: int) -> dict[str, str]:
    """A Redis room's hash when it is made (or made again, after the store lost it): no
    state, no question, the teacher's secret kept as a digest."""
    return {
        "secret": _secret_digest(teacher_secret),
        "created": repr(now),
        "version": str(version),
        "state": "{}",
        "qnum": "0",
        "question": "",
        "revealed": "0",
        "histogram": "",
    }


def _secret_digest(secret: str) -> str:
    # The store keeps a digest, not the secret: whoever reads the store cannot drive with it.
    # A plain SHA-256 suffices for 192 random bits (nothing to brute-force).
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _secret_matches(given: object, stored_digest: object) -> bool:
    if not isinstance(given, str) or not 0 < len(given) <= MAX_SECRET_LENGTH:
        return False
    stored = stored_digest if isinstance(stored_digest, str) else ""
    # Constant time, so that the time of a refusal says nothing about the stored digest.
    return hmac.compare_digest(_secret_digest(given).encode(), stored.encode())


def _check_token(token: object) -> str:
    if not isinstance(token, str) or not _STUDENT_TOKEN.fullmatch(token):
        raise InvalidInputError(
            "a student token is 16 to 64 URL-safe characters (new_student_token)"
        )
    return token


def _plain_text(value: object, what: str, limit: int, *, newlines: bool = False) -> str:
    """``value`` if it is plain printable text of at most ``limit`` characters."""
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be text")
    if len(value) > limit:
        raise InvalidInputError(f"{what} has {len(value):,} characters; at most {limit:,}")
    if not all(ch.isprintable() or (newlines and ch == "\n") for ch in value):
        raise InvalidInputError(f"{what} must be plain printable text")
    return value


def _check_query(query: object) -> dict[str, str]:
    """The teacher's query as stored, or InvalidInputError (publish refuses what it cannot keep)."""
    if not isinstance(query, Mapping):
        raise InvalidInputError("a room's state is a URL query: a mapping of text to text")
    if len(query) > MAX_STATE_ITEMS:
        raise InvalidInputError(f"a room's state has at most {MAX_STATE_ITEMS} parameters")
    checked = {}
    for key, value in query.items():
        if not isinstance(key, str) or not _STATE_KEY.fullmatch(key):
            raise InvalidInputError(f"parameter name {quote(str(key))!r} is not a query name")
        checked[key] = _plain_text(value, f"parameter {key}", MAX_STATE_BYTES)
    if len(_encode_state(checked)) > MAX_STATE_BYTES:
        raise InvalidInputError(f"a room's state is at most {MAX_STATE_BYTES:,} bytes as JSON")
    return checked


def _encode_state(query: dict[str, str]) -> bytes:
    return json.dumps(query, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _decode_state(raw: object) -> tuple[dict[str, str], list[str]]:
    """The stored query, keeping only what a publish could have written; the problems."""
    if raw is None or raw in ("", b""):
        return {}, []
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "replace")
    if not isinstance(raw, bytes) or len(raw) > MAX_STATE_BYTES:
        return {}, [f"the room's state is larger than {MAX_STATE_BYTES:,} bytes; ignored"]
    try:
        loaded = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # deep nesting: RecursionError
        return {}, ["the room's state is not readable; ignored"]
    if not isinstance(loaded, dict):
        return {}, ["the room's state is not a query; ignored"]
    query, dropped = {}, []
    for key, value in list(loaded.items())[: MAX_STATE_ITEMS * 4]:
        try:
            if not _STATE_KEY.fullmatch(key):
                raise InvalidInputError("not a query name")
            query[key] = _plain_text(value, "value", MAX_STATE_BYTES)
        except InvalidInputError:
            dropped.append(key)
    if len(query) > MAX_STATE_ITEMS:
        return {}, [f"the room's state has more than {MAX_STATE_ITEMS} parameters; ignored"]
    problems = [f"{quote(key)!r}: not a valid parameter; ignored" for key in dropped]
    if len(problems) > MAX_PROBLEMS:
        problems = [*problems[:MAX_PROBLEMS], f"and {len(problems) - MAX_PROBLEMS} more"]
    return query, problems


@dataclass(frozen=True)
class _StoredQuestion:
    id: str
    text: str
    options: tuple[str, ...]
    answer: str | None
    reveal: str


def _check_question(question: AskedQuestion) -> _StoredQuestion:
    """A question as a store keeps it, or InvalidInputError."""
    try:
        question_id, text, options = question.id, question.text, question.options
        answer, reveal = question.answer, question.reveal
    except AttributeError as error:
        raise InvalidInputError(
            f"a question needs id, text, options, answer, reveal: {error}"
        ) from None
    if not isinstance(question_id, str) or not _QUESTION_ID.fullmatch(question_id):
        raise InvalidInputError(
            f"a question id is 1 to {MAX_QUESTION_ID_LENGTH} letters, digits, _.:-"
        )
    text = _plain_text(text, "the question", MAX_QUESTION_TEXT, newlines=True)
    reveal = _plain_text(reveal, "the reveal", MAX_REVEAL_TEXT, newlines=True)
    if isinstance(options, str) or not isinstance(options, Sequence):
        raise InvalidInputError("a question's options are a sequence of text")
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise InvalidInputError(f"a question has {MIN_OPTIONS} to {MAX_OPTIONS} options")
    checked = tuple(_plain_text(o, "an option", MAX_OPTION_LENGTH) for o in options)
    if any(not option.strip() for option in checked) or len(set(checked)) != len(checked):
        raise InvalidInputError("a question's options must be distinct and not blank")
    if answer is not None and answer not in checked:
        raise InvalidInputError("a question's answer must be one of its options (or None)")
    return _StoredQuestion(question_id, text, checked, answer, reveal)


def _encode_question(question: _StoredQuestion) -> str:
    record = {
        "id": question.id,
        "text": question.text,
        "options": list(question.options),
        "answer": question.answer,
        "reveal": question.reveal,
    }
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def _corrupt(what: str) -> CorruptRoomError:
    return CorruptRoomError(f"this room's {what} is not readable (the store holds something else)")


def _decode_question(raw: object) -> _StoredQuestion | None:
    """The stored question, validated as if it were opened now (CorruptRoomError if it fails)."""
    if raw is None or raw in ("", b""):
        return None
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        if not isinstance(text, str) or len(text) > 4 * (
            MAX_QUESTION_TEXT + MAX_REVEAL_TEXT + MAX_OPTIONS * MAX_OPTION_LENGTH + 200
        ):
            raise ValueError
        record = json.loads(text)
        if not isinstance(record, dict):
            raise ValueError
        options = record.get("options")
        if not isinstance(options, list):
            raise ValueError
        loaded = _SimpleQuestion(
            record.get("id"),
            record.get("text"),
            tuple(options),
            record.get("answer"),
            record.get("reveal"),
        )
        return _check_question(loaded)
    except (ValueError, TypeError, UnicodeDecodeError, RecursionError):
        raise _corrupt("question") from None


@dataclass(frozen=True)
class _SimpleQuestion:
    id: Any
    text: Any
    options: Any
    answer: Any
    reveal: Any


def _histogram(options: Sequence[str], answers: Iterable[str]) -> dict[str, int]:
    counts = dict.fromkeys(options, 0)
    for option in answers:
        if option in counts:  # an answer not offered cannot have been accepted
            counts[option] += 1
    return counts


def _decode_histogram(raw: object, options: Sequence[str]) -> dict[str, int]:
    try:
        loaded = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
        if not isinstance(loaded, dict) or not set(loaded) <= set(options):
            raise ValueError
        counts = {}
        for option in options:
            count = loaded.get(option, 0)
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError
            counts[option] = count
        return counts
    except (ValueError, TypeError, UnicodeDecodeError, RecursionError):
        raise _corrupt("histogram") from None


def _view(
    number: int,
    question: _StoredQuestion,
    *,
    revealed: bool,
    histogram: dict[str, int] | None,
    teacher: bool,
    your_answer: str | None = None,
    answer_count: int | None = None,
) -> QuestionView:
    """What one reader sees of a question: students nothing of the answer before the reveal."""
    shown = revealed or teacher
    if your_answer not in question.options:
        your_answer = None
    if revealed and histogram is not None:
        answer_count = sum(histogram.values())
    return QuestionView(
        number=number,
        question_id=question.id,
        text=question.text,
        options=question.options,
        revealed=revealed,
        your_answer=your_answer,
        answer=question.answer if shown else None,
        reveal=question.reveal if shown else None,
        histogram=histogram if revealed else None,
        answer_count=answer_count if shown else None,
    )


def _signature(version: object, number: object, revealed: object, mine: object) -> RoomSignature:
    """A room's signature from its stored fields (as read; corrupt fields read as changes)."""
    mine = _text(mine)
    return RoomSignature(
        version=version if isinstance(version, int) else _loose_int(version),
        question_number=number if isinstance(number, int) else _loose_int(number),
        revealed=_text(revealed) in (1, "1"),
        your_answer=mine if isinstance(mine, str) else None,
    )


def _loose_int(value: object) -> int:
    text = _text(value)
    return int(text) if isinstance(text, str) and re.fullmatch(r"[0-9]{1,15}", text) else -1


def _check_number(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError("a question number is a whole number from 1")
    return value


def _no_such_room(code: str) -> NoSuchRoomError:
    return NoSuchRoomError(
        f"no room {code}: it has been closed, it expired, or the code is mistyped"
    )


def _store_full(limit: int) -> StoreFullError:
    return StoreFullError(
        f"this server already holds {limit:,} live rooms; try again when one has been closed "
        "or has expired"
    )


def _not_teacher() -> NotTeacherError:
    return NotTeacherError("only the room's teacher may do this: this session has no teacher key")


def _check_limits(idle_timeout: float, max_rooms: int, max_students: int) -> None:
    if not (isinstance(idle_timeout, (int, float)) and math.isfinite(idle_timeout)):
        raise ValueError("idle_timeout must be a finite number of seconds")
    if idle_timeout <= 0:
        raise ValueError("idle_timeout must be positive")
    for name, value in (("max_rooms", max_rooms), ("max_students", max_students)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number from 1")


def read_state(store: RoomStore, code: str) -> LiveState:
    """The teacher's state of room ``code``, validated as a link is.

    The store's query goes through :func:`ui.settings.from_query`: whatever the store holds,
    the settings are within the app's bounds, and ``problems`` lists, as plain text, what
    the store held that could not be used (its own problems first).

    Raises
    ------
    NoSuchRoomError
        If there is no live room ``code``.
    """
    published = store.read_published(code)
    restored = from_query(published.query)
    problems = (*published.problems, *restored.problems)
    return LiveState(restored, published.version, problems)


# ------------------------------------------------------------------------------ SQLite

_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS rooms (
    code TEXT PRIMARY KEY,
    secret_digest TEXT NOT NULL,
    created_at REAL NOT NULL,
    active_at REAL NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT '{}',
    question_number INTEGER NOT NULL DEFAULT 0,
    question TEXT,
    revealed INTEGER NOT NULL DEFAULT 0,
    histogram TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rooms_by_activity ON rooms (active_at);
CREATE TABLE IF NOT EXISTS students (
    code TEXT NOT NULL,
    token TEXT NOT NULL,
    PRIMARY KEY (code, token)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS answers (
    code TEXT NOT NULL,
    token TEXT NOT NULL,
    option TEXT NOT NULL,
    PRIMARY KEY (code, token)
) WITHOUT ROWID;
"""


def default_sqlite_path() -> Path:
    """``<tempdir>/softmax-lab-rooms-<uid>.sqlite3``: one file per user of the machine."""
    owner = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return Path(tempfile.gettempdir()) / f"softmax-lab-rooms-{owner}.sqlite3"


class SqliteRoomStore:
    """Rooms in a SQLite file, shared by the threads and processes of one machine.

    WAL mode (readers never wait for the writer), a busy timeout, and every read-modify-write
    in one ``BEGIN IMMEDIATE`` transaction, so that concurrent answers from threads or
    processes are each counted once. Connections are lent to one thread at a time and kept for
    the next (a process after a fork opens its own).

    Parameters
    ----------
    path : str or Path, optional
        The database file; by default :func:`default_sqlite_path`. Created with mode 0600.
    idle_timeout : float, default=DEFAULT_IDLE_TIMEOUT
        Seconds after the teacher's last action that a room expires.
    max_rooms : int, default=DEFAULT_MAX_ROOMS
    max_students : int, default=MAX_STUDENTS
    clock : callable, default=time.time
        Seconds since the epoch (tests pass a fake clock instead of sleeping).
    busy_timeout : float, default=10.0
        Seconds a write waits for another process's transaction.
    """

    def __init__(
        self,
        path: str | os.PathLike | None = None,
        *,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        max_rooms: int = DEFAULT_MAX_ROOMS,
        max_students: int = MAX_STUDENTS,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = 10.0,
    ) -> None:
        _check_limits(idle_timeout, max_rooms, max_students)
        self.path = Path(path) if path is not None else default_sqlite_path()
        self.idle_timeout = float(idle_timeout)
        self.max_rooms = max_rooms
        self.max_students = max_students
        self._clock = clock
        self._busy_timeout = float(busy_timeout)
        # Idle connections, lent to one thread at a time: Streamlit runs each script run (a
        # follower's poll too) in a new thread, which would otherwise open a connection each.
        self._idle: list[sqlite3.Connection] = []
        self._idle_lock = threading.Lock()
        self._pid = os.getpid()
        self._create_file()
        # WAL persists in the file: readers then never wait for the one writer.
        with self._connected() as db:
            db.execute("PRAGMA journal_mode = WAL")
        with self._transaction(immediate=True) as db:
            if db.execute("PRAGMA user_version").fetchone()[0] not in (0, _SCHEMA_VERSION):
                # Rooms live for hours: a file of another layout is dropped, not migrated.
                for table in ("rooms", "students", "answers"):
                    db.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    def __repr__(self) -> str:
        return f"SqliteRoomStore({str(self.path)!r})"

    # ---------------------------------------------------------------- plumbing

    def _create_file(self) -> None:
        # Created by us, readable by us only (it holds answers and teacher-secret digests);
        # not through a symbolic link someone else planted in a shared temporary directory.
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            descriptor = os.open(self.path, flags, 0o600)
        except OSError as error:
            raise RoomError(f"cannot open the rooms file {self.path}: {error}") from None
        try:
            if hasattr(os, "getuid") and os.fstat(descriptor).st_uid != os.getuid():
                raise RoomError(f"the rooms file {self.path} belongs to another user")
        finally:
            os.close(descriptor)

    _MAX_IDLE = 8  # connections kept open between uses

    @contextmanager
    def _connected(self):
        """A connection for this thread alone until the block ends (then kept for reuse)."""
        with self._idle_lock:
            if self._pid != os.getpid():  # a connection must not cross a fork
                self._idle, self._pid = [], os.getpid()
            connection = self._idle.pop() if self._idle else None
        if connection is None:
            connection = sqlite3.connect(
                self.path,
                timeout=self._busy_timeout,
                isolation_level=None,  # transactions are begun explicitly
                check_same_thread=False,  # lent to one thread at a time, see _idle
            )
            connection.execute("PRAGMA synchronous = NORMAL")  # safe in WAL mode
        try:
            yield connection
        finally:
            self._give_back(connection)

    def _give_back(self, connection: sqlite3.Connection) -> None:
        with self._idle_lock:
            reusable = not connection.in_transaction and self._pid == os.getpid()
            if reusable and len(self._idle) < self._MAX_IDLE:
                self._idle.append(connection)
                return
        connection.close()

    @contextmanager
    def _transaction(self, *, immediate: bool):
        with self._connected() as db:
            # IMMEDIATE takes the write lock at once: a read-modify-write cannot interleave
            # with another's; a plain BEGIN gives a read a consistent snapshot.
            db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def close(self) -> None:
        """Close the connections not in use now."""
        with self._idle_lock:
            idle, self._idle = self._idle, []
        if self._pid == os.getpid():
            for connection in idle:
                connection.close()

    def _live_room(self, db: sqlite3.Connection, code: str, columns: str) -> tuple:
        row = db.execute(
            f"SELECT active_at, {columns} FROM rooms WHERE code = ?", (code,)
        ).fetchone()
        if row is None or not self._alive(row[0]):
            raise _no_such_room(code)
        return row[1:]

    def _alive(self, active_at: object) -> bool:
        return isinstance(active_at, (int, float)) and self._clock() < (
            active_at + self.idle_timeout
        )

    def _teacher_room(self, db, code: str, secret: str, columns: str) -> tuple:
        row = self._live_room(db, code, f"secret_digest, {columns}")
        if not _secret_matches(secret, row[0]):
            raise _not_teacher()
        return row[1:]

    def _delete(self, db: sqlite3.Connection, where: str, args: tuple) -> int:
        codes = [row[0] for row in db.execute(f"SELECT code FROM rooms WHERE {where}", args)]
        for code in codes:
            for table in ("answers", "students", "rooms"):
                db.execute(f"DELETE FROM {table} WHERE code = ?", (code,))
        return len(codes)

    # --------------------------------------------------------------- the contract

    def create_room(self) -> Room:
        now = self._clock()
        secret = _new_teacher_secret()
        with self._transaction(immediate=True) as db:
            self._delete(db, "active_at <= ?", (now - self.idle_timeout,))
            (count,) = db.execute("SELECT COUNT(*) FROM rooms").fetchone()
            if count >= self.max_rooms:
                raise StoreFullError(
                    f"this server already holds {self.max_rooms:,} live rooms; try again when "
                    "one has been closed or has expired"
                )
            for _ in range(100):  # with 1,000 of 3.9e8 codes taken, the first draw is free
                code = new_code()
                if db.execute("SELECT 1 FROM rooms WHERE code = ?", (code,)).fetchone() is None:
                    break
            else:  # pragma: no cover - only a broken random source gets here
                raise RoomError("could not draw a free room code")
            db.execute(
                "INSERT INTO rooms (code, secret_digest, created_at, active_at) "
                "VALUES (?, ?, ?, ?)",
                (code, _secret_digest(secret), now, now),
            )
        return Room(code, secret, now, now + self.idle_timeout)

    def is_teacher(self, code: str, teacher_secret: str) -> bool:
        try:
            code = normalise_code(code)
        except NoSuchRoomError:
            return False
        with self._transaction(immediate=False) as db:
            try:
                self._teacher_room(db, code, teacher_secret, "1")
            except (NoSuchRoomError, NotTeacherError):
                return False
        return True

    def publish(self, code: str, teacher_secret: str, query: Mapping[str, str]) -> int:
        code = normalise_code(code)
        state = _encode_state(_check_query(query)).decode("utf-8")
        with self._transaction(immediate=True) as db:
            (version,) = self._teacher_room(db, code, teacher_secret, "version")
            if not isinstance(version, int) or version < 0:
                raise _corrupt("version")
            db.execute(
                "UPDATE rooms SET state = ?, version = ?, active_at = ? WHERE code = ?",
                (state, version + 1, self._clock(), code),
            )
        return version + 1

    def read_published(self, code: str) -> PublishedState:
        code = normalise_code(code)
        with self._transaction(immediate=False) as db:
            version, state = self._live_room(db, code, "version, state")
        if not isinstance(version, int) or version < 0:
            raise _corrupt("version")
        query, problems = _decode_state(state)
        return PublishedState(query, version, tuple(problems))

    def _answer_of(self, db: sqlite3.Connection, code: str, token: str | None) -> str | None:
        if token is None:
            return None
        row = db.execute(
            "SELECT option FROM answers WHERE code = ? AND token = ?", (code, token)
        ).fetchone()
        return row[0] if row else None

    def read_room(self, code: str, student_token: str | None = None) -> RoomRead:
        code = normalise_code(code)
        if student_token is not None:
            _check_token(student_token)
        with self._transaction(immediate=False) as db:
            version, state, number, raw, revealed, raw_histogram = self._live_room(
                db, code, "version, state, question_number, question, revealed, histogram"
            )
            mine = self._answer_of(db, code, student_token)
        if not isinstance(version, int) or version < 0:
            raise _corrupt("version")
        query, problems = _decode_state(state)
        published = PublishedState(query, version, tuple(problems))
        question = _decode_question(raw)
        view = None
        if question is not None:
            histogram = _decode_histogram(raw_histogram, question.options) if revealed else None
            view = _view(
                number,
                question,
                revealed=bool(revealed),
                histogram=histogram,
                teacher=False,
                your_answer=mine,
            )
        return RoomRead(published, view, _signature(version, number, revealed, mine))

    def read_signature(self, code: str, student_token: str | None = None) -> RoomSignature:
        code = normalise_code(code)
        if student_token is not None:
            _check_token(student_token)
        with self._transaction(immediate=False) as db:
            version, number, revealed = self._live_room(
                db, code, "version, question_number, revealed"
            )
            mine = self._answer_of(db, code, student_token)
        return _signature(version, number, revealed, mine)

    def restore_room(self, code: str, teacher_secret: str, version: int = 0) -> bool:
        code = normalise_code(code)
        if isinstance(version, bool) or not isinstance(version, int) or version < 0:
            raise InvalidInputError("a version is a whole number from 0")
        if not isinstance(teacher_secret, str) or not 0 < len(teacher_secret) <= MAX_SECRET_LENGTH:
            raise _not_teacher()
        now = self._clock()
        with self._transaction(immediate=True) as db:
            row = db.execute(
                "SELECT active_at, secret_digest FROM rooms WHERE code = ?", (code,)
            ).fetchone()
            if row is not None and self._alive(row[0]):
                if not _secret_matches(teacher_secret, row[1]):
                    raise _not_teacher()
                return False
            self._delete(db, "active_at <= ? OR code = ?", (now - self.idle_timeout, code))
            (count,) = db.execute("SELECT COUNT(*) FROM rooms").fetchone()
            if count >= self.max_rooms:
                raise _store_full(self.max_rooms)
            db.execute(
                "INSERT INTO rooms (code, secret_digest, created_at, active_at, version) "
                "VALUES (?, ?, ?, ?, ?)",
                (code, _secret_digest(teacher_secret), now, now, version),
            )
        return True

    def open_question(self, code: str, teacher_secret: str, question: AskedQuestion) -> int:
        code = normalise_code(code)
        record = _encode_question(_check_question(question))
        with self._transaction(immediate=True) as db:
            (number,) = self._teacher_room(db, code, teacher_secret, "question_number")
            return self._ask(db, code, record, number)

    def _ask(self, db: sqlite3.Connection, code: str, record: str, number: object) -> int:
        if not isinstance(number, int) or number < 0:
            raise _corrupt("question number")
        db.execute("DELETE FROM answers WHERE code = ?", (code,))
        db.execute(
            "UPDATE rooms SET question = ?, question_number = ?, revealed = 0, "
            "histogram = NULL, active_at = ? WHERE code = ?",
            (record, number + 1, self._clock(), code),
        )
        return number + 1

    def read_question(self, code: str, student_token: str | None = None) -> QuestionView | None:
        code = normalise_code(code)
        if student_token is not None:
            _check_token(student_token)
        with self._transaction(immediate=False) as db:
            number, raw, revealed, raw_histogram = self._live_room(
                db, code, "question_number, question, revealed, histogram"
            )
            mine = None
            if student_token is not None:
                row = db.execute(
                    "SELECT option FROM answers WHERE code = ? AND token = ?",
                    (code, student_token),
                ).fetchone()
                mine = row[0] if row else None
        question = _decode_question(raw)
        if question is None:
            return None
        histogram = _decode_histogram(raw_histogram, question.options) if revealed else None
        return _view(
            number,
            question,
            revealed=bool(revealed),
            histogram=histogram,
            teacher=False,
            your_answer=mine,
        )

    def teacher_question(self, code: str, teacher_secret: str) -> QuestionView | None:
        code = normalise_code(code)
        with self._transaction(immediate=False) as db:
            number, raw, revealed, raw_histogram = self._teacher_room(
                db, code, teacher_secret, "question_number, question, revealed, histogram"
            )
            (count,) = db.execute("SELECT COUNT(*) FROM answers WHERE code = ?", (code,)).fetchone()
        question = _decode_question(raw)
        if question is None:
            return None
        histogram = _decode_histogram(raw_histogram, question.options) if revealed else None
        return _view(
            number,
            question,
            revealed=bool(revealed),
            histogram=histogram,
            teacher=True,
            answer_count=count,
        )

    def submit_answer(
        self, code: str, student_token: str, question_number: int, option: str
    ) -> None:
        code = normalise_code(code)
        _check_token(student_token)
        _check_number(question_number)
        with self._transaction(immediate=True) as db:
            number, raw, revealed = self._live_room(db, code, "question_number, question, revealed")
            question = _decode_question(raw)
            _check_answerable(question, number, revealed, question_number, option)
            known = db.execute(
                "SELECT 1 FROM students WHERE code = ? AND token = ?", (code, student_token)
            ).fetchone()
            if known is None:
                (students,) = db.execute(
                    "SELECT COUNT(*) FROM students WHERE code = ?", (code,)
                ).fetchone()
                if students >= self.max_students:
                    raise _room_full(self.max_students)
                db.execute(
                    "INSERT INTO students (code, token) VALUES (?, ?)", (code, student_token)
                )
            db.execute(
                "INSERT INTO answers (code, token, option) VALUES (?, ?, ?) "
                "ON CONFLICT (code, token) DO UPDATE SET option = excluded.option",
                (code, student_token, option),
            )

    def count_answers(self, code: str, teacher_secret: str) -> int:
        code = normalise_code(code)
        with self._transaction(immediate=False) as db:
            self._teacher_room(db, code, teacher_secret, "1")
            (count,) = db.execute("SELECT COUNT(*) FROM answers WHERE code = ?", (code,)).fetchone()
        return count

    def reveal(self, code: str, teacher_secret: str) -> QuestionView:
        code = normalise_code(code)
        with self._transaction(immediate=True) as db:
            number, raw, revealed, raw_histogram = self._teacher_room(
                db, code, teacher_secret, "question_number, question, revealed, histogram"
            )
            question = _decode_question(raw)
            if question is None:
                raise QuestionClosedError("there is no question to reveal: open one first")
            if revealed:  # revealing twice shows the same histogram
                histogram = _decode_histogram(raw_histogram, question.options)
            else:
                answers = db.execute("SELECT option FROM answers WHERE code = ?", (code,))
                histogram = _histogram(question.options, (row[0] for row in answers))
                db.execute(
                    "UPDATE rooms SET revealed = 1, histogram = ?, active_at = ? WHERE code = ?",
                    (json.dumps(histogram, ensure_ascii=False), self._clock(), code),
                )
        return _view(number, question, revealed=True, histogram=histogram, teacher=True)

    def reset_question(self, code: str, teacher_secret: str) -> int:
        code = normalise_code(code)
        with self._transaction(immediate=True) as db:
            number, raw = self._teacher_room(db, code, teacher_secret, "question_number, question")
            question = _decode_question(raw)
            if question is None:
                raise QuestionClosedError("there is no question to reset: open one first")
            return self._ask(db, code, _encode_question(question), number)

    def close_room(self, code: str, teacher_secret: str) -> None:
        code = normalise_code(code)
        with self._transaction(immediate=True) as db:
            self._teacher_room(db, code, teacher_secret, "1")
            self._delete(db, "code = ?", (code,))

    def purge_expired(self) -> int:
        with self._transaction(immediate=True) as db:
            return self._delete(db, "active_at <= ?", (self._clock() - self.idle_timeout,))

    def room_count(self) -> int:
        with self._transaction(immediate=False) as db:
            (count,) = db.execute(
                "SELECT COUNT(*) FROM rooms WHERE active_at > ?",
                (self._clock() - self.idle_timeout,),
            ).fetchone()
        return count


def _check_answerable(
    question: _StoredQuestion | None,
    current_number: object,
    revealed: object,
    answered_number: int,
    option: object,
) -> None:
    """Raise unless ``option`` answers the open question ``answered_number``."""
    if question is None:
        raise QuestionClosedError("no question is open in this room")
    if answered_number != current_number:
        raise QuestionClosedError("the teacher has asked another question since: answer that one")
    if revealed:
        raise QuestionClosedError("the answer has been revealed: answers are closed")
    if not isinstance(option, str) or option not in question.options:
        raise InvalidInputError(f"{quote(str(option))!r} is not one of this question's options")


def _room_full(limit: int) -> RoomFullError:
    return RoomFullError(f"this room already has {limit:,} students: no more can answer")


# ------------------------------------------------------------------------------- Redis


class RedisRoomStore:
    """Rooms in Redis, shared by every replica that reaches it.

    A room is a hash ``<prefix>room:<CODE>`` (state, version, question, ...), a set of its
    students' tokens and a hash of the current question's answers (token -> option); a sorted
    set ``<prefix>rooms`` scores each code by its teacher's last action, to count live rooms
    and evict expired ones. Every read-modify-write is a ``WATCH``/``MULTI``/``EXEC``
    transaction retried on conflict (no Lua: the scripts would not run on fakeredis). Students'
    answers write only their own keys, so they conflict with the teacher's actions only, not
    with each other. Expiry is judged by ``clock``; Redis's own TTLs (``idle_timeout`` plus
    ``expiry_grace``, renewed by the teacher) only reclaim the memory of abandoned rooms.

    Parameters
    ----------
    client : redis.Redis
        A client that does not decode responses (the default, and :meth:`from_url`'s): the
        store decodes them itself, so that bytes that are not UTF-8, written by anything,
        cannot break a read.
    prefix : str, default="softmax-lab:"
        Prepended to every key, so that one Redis may serve several apps (or tests).
    idle_timeout, max_rooms, max_students, clock
        As for :class:`SqliteRoomStore`.
    expiry_grace : float, default=600.0
        Seconds the keys outlive the room's logical expiry.
    """

    _MAX_RETRIES = 200

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = "softmax-lab:",
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        max_rooms: int = DEFAULT_MAX_ROOMS,
        max_students: int = MAX_STUDENTS,
        clock: Callable[[], float] = time.time,
        expiry_grace: float = 600.0,
    ) -> None:
        import redis  # only a deployment that uses Redis needs the client installed

        _check_limits(idle_timeout, max_rooms, max_students)
        pool = getattr(client, "connection_pool", None)
        if pool is not None and pool.connection_kwargs.get("decode_responses"):
            raise ValueError("RedisRoomStore needs a client with decode_responses=False")
        self._redis = redis
        self._client = client
        self.prefix = prefix
        self.idle_timeout = float(idle_timeout)
        self.max_rooms = max_rooms
        self.max_students = max_students
        self._clock = clock
        self._ttl = max(1, math.ceil(self.idle_timeout + expiry_grace))
        self._index = f"{prefix}rooms"

    @classmethod
    def from_url(cls, url: str, **options: Any) -> RedisRoomStore:
        """A store on the Redis at ``url`` (``redis://host:port/db``); ``options`` as for
        the constructor."""
        import redis

        client = redis.Redis.from_url(url, decode_responses=False, socket_timeout=5.0)
        return cls(client, **options)

    def __repr__(self) -> str:
        return f"RedisRoomStore(prefix={self.prefix!r})"

    # ---------------------------------------------------------------- plumbing

    def _keys(self, code: str) -> tuple[str, str, str]:
        room = f"{self.prefix}room:{code}"
        return room, f"{room}:students", f"{room}:answers"

    def _alive(self, active_at: object) -> bool:
        try:
            value = float(_text(active_at))
        except (TypeError, ValueError):
            return False
        return math.isfinite(value) and self._clock() < value + self.idle_timeout

    def _live_fields(self, pipe: Any, code: str, *names: str) -> list[Any]:
        """``names`` of the live room ``code`` (read now, on a watching pipeline or not)."""
        room, _, _ = self._keys(code)
        values = pipe.hmget(room, ["active", *names])
        if not self._alive(values[0]):
            raise _no_such_room(code)
        return values[1:]

    def _watched(self, keys: Sequence[str], work: Callable[[Any], Any]) -> Any:
        """Run ``work(pipe)`` with ``keys`` watched, again whenever another client changed
        them before ``EXEC``. ``work`` reads, then calls ``pipe.multi()`` and queues writes;
        it returns a callable for the result."""
        with self._client.pipeline(transaction=True) as pipe:
            for _ in range(self._MAX_RETRIES):
                try:
                    pipe.watch(*keys)
                    finish = work(pipe)
                    results = pipe.execute() if pipe.explicit_transaction else []
                    return finish(results)
                except self._redis.WatchError:
                    continue
                finally:
                    pipe.reset()
        raise RoomError("the room is too busy right now; try again")

    def _teacher_fields(self, pipe: Any, code: str, secret: str, *names: str) -> list[Any]:
        secret_digest, *values = self._live_fields(pipe, code, "secret", *names)
        if not _secret_matches(secret, _text(secret_digest)):
            raise _not_teacher()
        return values

    def _touch(self, pipe: Any, code: str, now: float) -> None:
        """Queue the teacher's activity: the room lives on, and so do its keys."""
        room, students, answers = self._keys(code)
        pipe.hset(room, "active", repr(now))
        pipe.zadd(self._index, {code: now})
        for key in (room, students, answers):
            pipe.expire(key, self._ttl)

    def _queue_delete(self, pipe: Any, codes: Iterable[str]) -> None:
        for code in codes:
            pipe.delete(*self._keys(code))
            pipe.zrem(self._index, code)

    def _expired_codes(self, pipe: Any, now: float, limit: int | None = None) -> list[str]:
        cutoff = now - self.idle_timeout
        if limit is None:
            found = pipe.zrangebyscore(self._index, "-inf", cutoff)
        else:
            found = pipe.zrangebyscore(self._index, "-inf", cutoff, start=0, num=limit)
        return [_text(code) for code in found]

    # --------------------------------------------------------------- the contract

    def create_room(self) -> Room:
        secret = _new_teacher_secret()

        def work(pipe):
            now = self._clock()
            code = new_code()
            room, _, _ = self._keys(code)
            pipe.watch(room)
            # Rooms whose last action is older than the timeout are gone; a batch of them is
            # deleted at each creation, which bounds the index.
            expired = self._expired_codes(pipe, now, limit=100)
            live = pipe.zcount(self._index, f"({now - self.idle_timeout}", "+inf")
            if live >= self.max_rooms:
                raise StoreFullError(
                    f"this server already holds {self.max_rooms:,} live rooms; try again when "
                    "one has been closed or has expired"
                )
            if self._alive(pipe.hget(room, "active")):
                raise self._redis.WatchError("code taken")  # draw another code
            pipe.multi()
            self._queue_delete(pipe, [*expired, code])
            pipe.hset(room, mapping=_fresh_room_fields(secret, now, 0))
            self._touch(pipe, code, now)
            return lambda _: Room(code, secret, now, now + self.idle_timeout)

        return self._watched([self._index], work)

    def is_teacher(self, code: str, teacher_secret: str) -> bool:
        try:
            self._teacher_fields(self._client, normalise_code(code), teacher_secret)
        except (NoSuchRoomError, NotTeacherError):
            return False
        return True

    def publish(self, code: str, teacher_secret: str, query: Mapping[str, str]) -> int:
        code = normalise_code(code)
        state = _encode_state(_check_query(query)).decode("utf-8")
        room, _, _ = self._keys(code)

        def work(pipe):
            (version,) = self._teacher_fields(pipe, code, teacher_secret, "version")
            new_version = _stored_int(version, "version") + 1
            pipe.multi()
            pipe.hset(room, mapping={"state": state, "version": str(new_version)})
            self._touch(pipe, code, self._clock())
            return lambda _: new_version

        return self._watched([room], work)

    def read_published(self, code: str) -> PublishedState:
        code = normalise_code(code)
        version, state = self._live_fields(self._client, code, "version", "state")
        query, problems = _decode_state(state)
        return PublishedState(query, _stored_int(version, "version"), tuple(problems))

    def read_room(self, code: str, student_token: str | None = None) -> RoomRead:
        code = normalise_code(code)
        if student_token is not None:
            _check_token(student_token)
        room, _, answers = self._keys(code)
        # One MULTI: the state, the question and the student's answer from one moment.
        with self._client.pipeline(transaction=True) as pipe:
            pipe.hmget(
                room,
                ["active", "version", "state", "qnum", "question", "revealed", "histogram"],
            )
            pipe.hget(answers, student_token or "")
            (active, version, state, number, raw, revealed, raw_histogram), mine = pipe.execute()
        if not self._alive(active):
            raise _no_such_room(code)
        mine = mine if student_token else None
        query, problems = _decode_state(state)
        published = PublishedState(query, _stored_int(version, "version"), tuple(problems))
        question = _decode_question(raw)
        view = None
        if question is not None:
            is_revealed = _stored_flag(revealed)
            histogram = _decode_histogram(raw_histogram, question.options) if is_revealed else None
            view = _view(
                _stored_int(number, "question number"),
                question,
                revealed=is_revealed,
                histogram=histogram,
                teacher=False,
                your_answer=_text(mine) if mine is not None else None,
            )
        return RoomRead(published, view, _signature(version, number, revealed, mine))

    def read_signature(self, code: str, student_token: str | None = None) -> RoomSignature:
        code = normalise_code(code)
        if student_token is not None:
            _check_token(student_token)
        room, _, answers = self._keys(code)
        with self._client.pipeline(transaction=True) as pipe:
            pipe.hmget(room, ["active", "version", "qnum", "revealed"])
            pipe.hget(answers, student_token or "")
            (active, version, number, revealed), mine = pipe.execute()
        if not self._alive(active):
            raise _no_such_room(code)
        return _signature(version, number, revealed, mine if student_token else None)

    def restore_room(self, code: str, teacher_secret: str, version: int = 0) -> bool:
        code = normalise_code(code)
        if isinstance(version, bool) or not isinstance(version, int) or version < 0:
            raise InvalidInputError("a version is a whole number from 0")
        if not isinstance(teacher_secret, str) or not 0 < len(teacher_secret) <= MAX_SECRET_LENGTH:
            raise _not_teacher()
        room, _, _ = self._keys(code)

        def work(pipe):
            now = self._clock()
            active, digest = pipe.hmget(room, ["active", "secret"])
            if self._alive(active):
                if not _secret_matches(teacher_secret, _text(digest)):
                    raise _not_teacher()
                return lambda _: False
            expired = self._expired_codes(pipe, now, limit=100)
            live = pipe.zcount(self._index, f"({now - self.idle_timeout}", "+inf")
            if live >= self.max_rooms:
                raise _store_full(self.max_rooms)
            pipe.multi()
            self._queue_delete(pipe, [*expired, code])
            pipe.hset(room, mapping=_fresh_room_fields(teacher_secret, now, version))
            self._touch(pipe, code, now)
            return lambda _: True

        return self._watched([self._index, room], work)

    def open_question(self, code: str, teacher_secret: str, question: AskedQuestion) -> int:
        code = normalise_code(code)
        record = _encode_question(_check_question(question))
        return self._ask(code, teacher_secret, lambda _: record)

    def _ask(self, code: str, secret: str, record_from: Callable[[Any], str]) -> int:
        """Ask the question ``record_from(stored record)``, as a new number, no answers."""
        room, _, answers = self._keys(code)

        def work(pipe):
            number, stored = self._teacher_fields(pipe, code, secret, "qnum", "question")
            new_number = _stored_int(number, "question number") + 1
            record = record_from(stored)
            pipe.multi()
            pipe.delete(answers)
            pipe.hset(
                room,
                mapping={
                    "qnum": str(new_number),
                    "question": record,
                    "revealed": "0",
                    "histogram": "",
                },
            )
            self._touch(pipe, code, self._clock())
            return lambda _: new_number

        return self._watched([room], work)

    def read_question(self, code: str, student_token: str | None = None) -> QuestionView | None:
        code = normalise_code(code)
        if student_token is not None:
            _check_token(student_token)
        room, _, answers = self._keys(code)
        # One MULTI: the question and the student's answer from one moment.
        with self._client.pipeline(transaction=True) as pipe:
            pipe.hmget(room, ["active", "qnum", "question", "revealed", "histogram"])
            pipe.hget(answers, student_token or "")
            (active, number, raw, revealed, raw_histogram), mine = pipe.execute()
        if not self._alive(active):
            raise _no_such_room(code)
        question = _decode_question(raw)
        if question is None:
            return None
        is_revealed = _stored_flag(revealed)
        histogram = _decode_histogram(raw_histogram, question.options) if is_revealed else None
        return _view(
            _stored_int(number, "question number"),
            question,
            revealed=is_revealed,
            histogram=histogram,
            teacher=False,
            your_answer=_text(mine) if student_token and mine is not None else None,
        )

    def _teacher_read(self, code: str, secret: str, *names: str) -> tuple[list[Any], int]:
        """``names`` of the room and its answer count, from one moment (one MULTI)."""
        room, _, answers = self._keys(code)
        with self._client.pipeline(transaction=True) as pipe:
            pipe.hmget(room, ["active", "secret", *names])
            pipe.hlen(answers)
            (active, secret_digest, *values), count = pipe.execute()
        if not self._alive(active):
            raise _no_such_room(code)
        if not _secret_matches(secret, _text(secret_digest)):
            raise _not_teacher()
        return values, int(count)

    def teacher_question(self, code: str, teacher_secret: str) -> QuestionView | None:
        code = normalise_code(code)
        (number, raw, revealed, raw_histogram), count = self._teacher_read(
            code, teacher_secret, "qnum", "question", "revealed", "histogram"
        )
        question = _decode_question(raw)
        if question is None:
            return None
        is_revealed = _stored_flag(revealed)
        histogram = _decode_histogram(raw_histogram, question.options) if is_revealed else None
        return _view(
            _stored_int(number, "question number"),
            question,
            revealed=is_revealed,
            histogram=histogram,
            teacher=True,
            answer_count=count,
        )

    def submit_answer(
        self, code: str, student_token: str, question_number: int, option: str
    ) -> None:
        code = normalise_code(code)
        _check_token(student_token)
        _check_number(question_number)
        room, students, answers = self._keys(code)

        def check(pipe) -> None:
            number, raw, revealed = self._live_fields(pipe, code, "qnum", "question", "revealed")
            _check_answerable(
                _decode_question(raw),
                _stored_int(number, "question number"),
                _stored_flag(revealed),
                question_number,
                option,
            )

        check(self._client)  # refuse a bad answer before the student takes a seat
        self._take_seat(students, student_token)

        def work(pipe):
            check(pipe)  # again, watched: the teacher may have moved on meanwhile
            pipe.multi()
            pipe.hset(answers, student_token, option)  # a second answer replaces the first
            pipe.expire(answers, self._ttl)
            return lambda _: None

        self._watched([room], work)

    def _take_seat(self, students: str, token: str) -> None:
        """Count ``token`` among the room's students, or raise RoomFullError.

        ``SADD`` and ``SCARD`` in one ``MULTI``: each new student sees the count including
        itself and every student added before it, so exactly ``max_students`` are admitted;
        one beyond is refused and removed again (it never counts in anyone's histogram).
        """
        with self._client.pipeline(transaction=True) as pipe:
            pipe.sadd(students, token)
            pipe.scard(students)
            pipe.expire(students, self._ttl)
            added, seated, _ = pipe.execute()
        if added and seated > self.max_students:
            self._client.srem(students, token)
            raise _room_full(self.max_students)

    def count_answers(self, code: str, teacher_secret: str) -> int:
        return self._teacher_read(normalise_code(code), teacher_secret)[1]

    def reveal(self, code: str, teacher_secret: str) -> QuestionView:
        code = normalise_code(code)
        room, _, answers = self._keys(code)

        def work(pipe):
            number, raw, revealed, raw_histogram = self._teacher_fields(
                pipe, code, teacher_secret, "qnum", "question", "revealed", "histogram"
            )
            question = _decode_question(raw)
            if question is None:
                raise QuestionClosedError("there is no question to reveal: open one first")
            number = _stored_int(number, "question number")
            if _stored_flag(revealed):
                histogram = _decode_histogram(raw_histogram, question.options)
                return lambda _: (number, question, histogram)
            # The answers key is watched too: an answer landing after this read aborts the
            # reveal, which runs again and counts it.
            histogram = _histogram(question.options, map(_text, pipe.hvals(answers)))
            pipe.multi()
            pipe.hset(
                room,
                mapping={"revealed": "1", "histogram": json.dumps(histogram, ensure_ascii=False)},
            )
            self._touch(pipe, code, self._clock())
            return lambda _: (number, question, histogram)

        number, question, histogram = self._watched([room, answers], work)
        return _view(number, question, revealed=True, histogram=histogram, teacher=True)

    def reset_question(self, code: str, teacher_secret: str) -> int:
        code = normalise_code(code)

        def same_question(stored: Any) -> str:
            question = _decode_question(stored)
            if question is None:
                raise QuestionClosedError("there is no question to reset: open one first")
            return _encode_question(question)

        return self._ask(code, teacher_secret, same_question)

    def close_room(self, code: str, teacher_secret: str) -> None:
        code = normalise_code(code)
        room, _, _ = self._keys(code)

        def work(pipe):
            self._teacher_fields(pipe, code, teacher_secret)
            pipe.multi()
            self._queue_delete(pipe, [code])
            return lambda _: None

        self._watched([room], work)

    def purge_expired(self) -> int:
        removed = 0
        while True:

            def work(pipe):
                expired = self._expired_codes(pipe, self._clock(), limit=100)
                pipe.multi()
                self._queue_delete(pipe, expired)
                return lambda _: len(expired)

            batch = self._watched([self._index], work)
            removed += batch
            if batch < 100:
                return removed

    def room_count(self) -> int:
        cutoff = self._clock() - self.idle_timeout
        return int(self._client.zcount(self._index, f"({cutoff}", "+inf"))


def _text(value: object) -> Any:
    """A Redis reply as text (bytes that are not UTF-8 become U+FFFD, then fail validation)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _stored_int(value: object, what: str) -> int:
    text = _text(value)
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{1,15}", text):
        raise _corrupt(what)
    return int(text)


def _stored_flag(value: object) -> bool:
    text = _text(value)
    if text not in ("0", "1"):
        raise _corrupt("question status")
    return text == "1"


# ------------------------------------------------------------------------- choosing one

REDIS_URL_VARIABLE = "SOFTMAX_LAB_REDIS_URL"


def store_errors() -> tuple[type[BaseException], ...]:
    """What a store call may raise that a page should say rather than fail on: a room's own
    errors, and a database that cannot be reached (SQLite, or Redis if its client is
    installed)."""
    errors: tuple[type[BaseException], ...] = (RoomError, sqlite3.Error, OSError)
    try:
        import redis
    except ImportError:
        return errors
    return (*errors, redis.RedisError)


def store_from_environment(
    environ: Mapping[str, str] | None = None, **options: Any
) -> SqliteRoomStore | RedisRoomStore:
    """The store this deployment uses: Redis if ``SOFTMAX_LAB_REDIS_URL`` is set (replicas on
    several machines share it), else the SQLite file of this machine.

    ``options`` go to the store's constructor (``idle_timeout``, ``max_rooms``, ...).
    """
    environ = os.environ if environ is None else environ
    url = environ.get(REDIS_URL_VARIABLE, "").strip()
    if url:
        return RedisRoomStore.from_url(url, **options)
    return SqliteRoomStore(**options)
