"""ui.rooms: one contract, three stores (SQLite, fakeredis, a real redis-server on a free port).

Expiry is tested with an injected clock, never by sleeping. The real Redis is started by a
fixture and stopped at the end; without ``redis-server`` those tests are skipped with an
install hint, except on CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass

import fakeredis
import pytest
import redis
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ui import rooms
from ui.rooms import (
    CODE_ALPHABET,
    CODE_LENGTH,
    DEFAULT_IDLE_TIMEOUT,
    MAX_OPTION_LENGTH,
    MAX_OPTIONS,
    MAX_QUESTION_TEXT,
    MAX_REVEAL_TEXT,
    MAX_STATE_BYTES,
    MAX_STATE_ITEMS,
    MAX_STUDENTS,
    CorruptRoomError,
    InvalidInputError,
    NoSuchRoomError,
    NotTeacherError,
    QuestionClosedError,
    RedisRoomStore,
    RoomError,
    RoomFullError,
    RoomStore,
    SqliteRoomStore,
    StoreFullError,
    new_student_token,
    normalise_code,
    read_state,
    store_from_environment,
)
from ui.settings import MAX_ITER, MAX_SAMPLES, MIN_SAMPLES, SEED_NOTE, Settings, to_query

BACKENDS = ("sqlite", "fakeredis", "redis")
IDLE = 3600.0


class FakeClock:
    """Seconds since the epoch that move only when a test says so."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class Question:
    id: str = "loss-direction"
    text: str = "Will the loss go up or down at the next step?"
    options: tuple[str, ...] = ("down", "up", "no change")
    answer: str | None = "down"
    reveal: str = "It went down: 0.693147 to 0.650000."


# ---------------------------------------------------------------------------- fixtures


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def redis_port():
    """A redis-server of our own on a free port, no persistence; stopped at the end."""
    server = shutil.which("redis-server")
    if server is None:
        hint = "redis-server is not installed: apt-get install redis-server (or brew install redis)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):  # as tests/e2e does
            pytest.fail(f"{hint}; CI must run the real-Redis tests")
        pytest.skip(hint)
    port = _free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_timeout=5)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.05)
    yield port
    client.close()
    process.terminate()
    process.wait(timeout=10)


def _store_maker(backend, request, tmp_path):
    made = []

    def make(**options):
        options.setdefault("clock", FakeClock())
        options.setdefault("idle_timeout", IDLE)
        if backend == "sqlite":
            store = SqliteRoomStore(tmp_path / f"rooms-{len(made)}.sqlite3", **options)
        elif backend == "fakeredis":
            client = fakeredis.FakeRedis(server=fakeredis.FakeServer())
            store = RedisRoomStore(client, **options)
        else:
            port = request.getfixturevalue("redis_port")
            client = redis.Redis(port=port)
            store = RedisRoomStore(client, prefix=f"test-{uuid.uuid4().hex}:", **options)
        made.append(store)
        return store

    return make, made


@pytest.fixture(params=BACKENDS)
def make_store(request, tmp_path):
    """A function making fresh stores of one backend (a fake clock unless given one)."""
    make, made = _store_maker(request.param, request, tmp_path)
    yield make
    for store in made:
        if isinstance(store, SqliteRoomStore):
            store.close()


@pytest.fixture(params=("fakeredis", "redis"))
def redis_store(request, tmp_path):
    return _store_maker(request.param, request, tmp_path)[0]()


@pytest.fixture
def store(make_store):
    return make_store()


def tamper(store, code: str, **values) -> None:
    """Write ``values`` into a room behind the store's back, as another program could."""
    if isinstance(store, SqliteRoomStore):
        with sqlite3.connect(store.path) as db:
            for column, value in values.items():
                db.execute(f"UPDATE rooms SET {column} = ? WHERE code = ?", (value, code))
    else:
        names = {"state": "state", "version": "version", "question": "question"}
        mapping = {names[column]: value for column, value in values.items()}
        store._client.hset(f"{store.prefix}room:{code}", mapping=mapping)


# --------------------------------------------------------------------------- the codes


def test_the_code_alphabet_has_no_look_alikes():
    assert len(set(CODE_ALPHABET)) == len(CODE_ALPHABET) == 27
    assert CODE_ALPHABET.upper() == CODE_ALPHABET
    assert not set(CODE_ALPHABET) & set("0O1IL")
    # Of the pairs 2/Z, 5/S, 8/B, U/V one member goes: the digit, or V.
    assert not set(CODE_ALPHABET) & set("258V") and set("ZSBU") <= set(CODE_ALPHABET)


def test_codes_are_drawn_from_the_whole_alphabet_with_secrets(monkeypatch):
    codes = [rooms.new_code() for _ in range(2_000)]
    assert all(len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET) for code in codes)
    assert set("".join(codes)) == set(CODE_ALPHABET)  # 12,000 draws of 27 symbols
    drawn = []
    monkeypatch.setattr(rooms.secrets, "choice", lambda seq: drawn.append(seq) or seq[0])
    assert rooms.new_code() == CODE_ALPHABET[0] * CODE_LENGTH
    assert drawn == [CODE_ALPHABET] * CODE_LENGTH


@pytest.mark.parametrize(
    "typed",
    ["k7mq3d", "K7MQ3D", " k7m-q3d ", "K7M Q3D", "k7m\u2013q3d", "K-7-M-Q-3-D", "k7m\tq3d"],
)
def test_a_typed_code_is_read_case_insensitively_ignoring_spaces_and_dashes(typed):
    assert normalise_code(typed) == "K7MQ3D"


@pytest.mark.parametrize("typed", ["", "K7MQ3", "K7MQ3DD", "K7MQ30", "KIMQ3D", "<b>K7M</b>", None])
def test_a_malformed_code_is_no_such_room_with_a_plain_message(typed):
    with pytest.raises(NoSuchRoomError, match="is not a room code") as caught:
        normalise_code(typed)
    assert caught.value.args[0].isprintable()


def test_new_rooms_have_distinct_codes(make_store):
    store = make_store(max_rooms=300)
    codes = [store.create_room().code for _ in range(150)]
    assert len(set(codes)) == len(codes)
    assert store.room_count() == 150


def test_a_drawn_code_that_is_taken_is_drawn_again(make_store, monkeypatch):
    store = make_store()
    draws = iter(["AAAAAA", "AAAAAA", "BBBBBB"])
    monkeypatch.setattr(rooms, "new_code", lambda: next(draws))
    first, second = store.create_room(), store.create_room()
    assert (first.code, second.code) == ("AAAAAA", "BBBBBB")
    assert store.is_teacher("AAAAAA", first.teacher_secret)
    assert not store.is_teacher("AAAAAA", second.teacher_secret)


def test_lookup_is_case_insensitive_and_ignores_separators(store):
    room = store.create_room()
    store.publish(room.code, room.teacher_secret, {"iter": "3"})
    typed = f" {room.code[:3].lower()}-{room.code[3:].lower()} "
    assert store.read_published(typed).query == {"iter": "3"}
    assert store.publish(typed, room.teacher_secret, {"iter": "4"}) == 2


def test_an_unknown_code_is_no_such_room(store):
    with pytest.raises(NoSuchRoomError, match="no room"):
        store.read_published("K7MQ3D")
    with pytest.raises(NoSuchRoomError):
        store.read_question("K7MQ3D")


# ------------------------------------------------------------------ the teacher secret


def test_the_teacher_secret_is_random_long_and_not_in_repr(store):
    first, second = store.create_room(), store.create_room()
    assert len(first.teacher_secret) >= 32 and first.teacher_secret != second.teacher_secret
    assert first.teacher_secret not in repr(first)
    assert first.teacher_secret != first.code


def test_driving_needs_the_teacher_secret(store):
    room, other = store.create_room(), store.create_room()
    number = store.open_question(room.code, room.teacher_secret, Question())
    wrong_keys = ["", "x", other.teacher_secret, room.code, new_student_token(), "a" * 10_000, None]
    assert not store.is_teacher("not a code", room.teacher_secret)
    for wrong in wrong_keys:
        assert not store.is_teacher(room.code, wrong)
        for act in (
            lambda key: store.publish(room.code, key, {"iter": "1"}),
            lambda key: store.open_question(room.code, key, Question(id="other")),
            lambda key: store.reveal(room.code, key),
            lambda key: store.reset_question(room.code, key),
            lambda key: store.count_answers(room.code, key),
            lambda key: store.teacher_question(room.code, key),
            lambda key: store.close_room(room.code, key),
        ):
            with pytest.raises(NotTeacherError):
                act(wrong)
    # Nothing changed: no publish, the same question, still open, the room still there.
    assert store.read_published(room.code).version == 0
    view = store.read_question(room.code)
    assert (view.number, view.question_id, view.revealed) == (number, "loss-direction", False)
    assert store.is_teacher(room.code, room.teacher_secret)


def test_a_student_who_knows_the_code_cannot_drive_or_reveal(store):
    room = store.create_room()
    number = store.open_question(room.code, room.teacher_secret, Question())
    student = new_student_token()
    store.submit_answer(room.code, student, number, "up")
    for key in (student, room.code, room.code.lower()):
        with pytest.raises(NotTeacherError):
            store.reveal(room.code, key)
        with pytest.raises(NotTeacherError):
            store.publish(room.code, key, {"iter": "999"})
    view = store.read_question(room.code, student)
    assert not view.revealed and view.answer is None and view.histogram is None
    assert view.reveal is None and view.answer_count is None
    assert view.your_answer == "up"


def test_what_students_read_holds_no_secret_and_no_one_elses_answer(store):
    room = store.create_room()
    store.publish(room.code, room.teacher_secret, {"iter": "1"})
    number = store.open_question(room.code, room.teacher_secret, Question())
    me, other = new_student_token(), new_student_token()
    store.submit_answer(room.code, other, number, "no change")
    for view in (store.read_question(room.code, me), store.read_question(room.code)):
        assert view.your_answer is None and view.answer_count is None
        assert view.answer is None and view.reveal is None and view.histogram is None
        shown = repr(view) + repr(store.read_published(room.code))
        assert room.teacher_secret not in shown
        assert rooms._secret_digest(room.teacher_secret) not in shown
        assert other not in shown


# ------------------------------------------------------------------------------ expiry


def test_a_room_expires_when_its_teacher_has_not_driven_it(make_store):
    clock = FakeClock()
    store = make_store(clock=clock, idle_timeout=IDLE)
    room = store.create_room()
    assert room.expires_at == clock.now + IDLE
    clock.advance(IDLE - 1)
    store.publish(room.code, room.teacher_secret, {"iter": "1"})  # the teacher drives: renewed
    clock.advance(IDLE - 1)
    number = store.open_question(room.code, room.teacher_secret, Question())
    clock.advance(IDLE - 1)
    student = new_student_token()
    store.submit_answer(room.code, student, number, "up")  # students do not renew it
    store.read_question(room.code, student)
    store.read_published(room.code)
    clock.advance(1)
    for act in (
        lambda: store.read_published(room.code),
        lambda: store.read_question(room.code),
        lambda: store.submit_answer(room.code, student, number, "down"),
        lambda: store.publish(room.code, room.teacher_secret, {"iter": "2"}),
        lambda: store.reveal(room.code, room.teacher_secret),
    ):
        with pytest.raises(NoSuchRoomError):
            act()
    assert not store.is_teacher(room.code, room.teacher_secret)
    assert store.room_count() == 0
    assert store.purge_expired() == 1
    assert store.purge_expired() == 0


def test_the_idle_timeout_is_configurable_and_validated(make_store):
    clock = FakeClock()
    store = make_store(clock=clock, idle_timeout=60)
    room = store.create_room()
    clock.advance(59.5)
    store.read_published(room.code)
    clock.advance(0.5)
    with pytest.raises(NoSuchRoomError):
        store.read_published(room.code)
    assert DEFAULT_IDLE_TIMEOUT == 3 * 3600
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="idle_timeout"):
            make_store(idle_timeout=bad)


# ------------------------------------------------------------------------------ bounds


def test_the_store_holds_at_most_max_rooms_and_evicts_expired_ones_first(make_store):
    clock = FakeClock()
    store = make_store(clock=clock, max_rooms=3)
    old = [store.create_room() for _ in range(3)]
    with pytest.raises(StoreFullError, match="3 live rooms"):
        store.create_room()
    clock.advance(IDLE / 2)
    store.publish(old[0].code, old[0].teacher_secret, {"iter": "1"})  # kept alive
    clock.advance(IDLE / 2)  # old[1] and old[2] have expired
    new = [store.create_room(), store.create_room()]
    assert store.room_count() == 3
    with pytest.raises(StoreFullError):
        store.create_room()
    assert store.read_published(old[0].code).version == 1
    for room in old[1:]:
        with pytest.raises(NoSuchRoomError):
            store.read_published(room.code)
    assert all(store.is_teacher(room.code, room.teacher_secret) for room in new)
    store.close_room(new[0].code, new[0].teacher_secret)
    store.create_room()  # a closed room frees its place at once
    with pytest.raises(NoSuchRoomError):
        store.read_published(new[0].code)


def test_at_most_max_students_answer_in_a_room(make_store):
    store = make_store()
    assert store.max_students == MAX_STUDENTS == 500
    room = store.create_room()
    number = store.open_question(room.code, room.teacher_secret, Question())
    students = [new_student_token() for _ in range(MAX_STUDENTS)]
    for student in students:
        store.submit_answer(room.code, student, number, "down")
    latecomer = new_student_token()
    for _ in range(2):  # asking again does not help
        with pytest.raises(RoomFullError, match="500 students"):
            store.submit_answer(room.code, latecomer, number, "down")
    store.submit_answer(room.code, students[0], number, "up")  # a seated student still may
    assert store.count_answers(room.code, room.teacher_secret) == MAX_STUDENTS
    number = store.reset_question(room.code, room.teacher_secret)
    with pytest.raises(RoomFullError):  # seats are the room's, not the question's
        store.submit_answer(room.code, new_student_token(), number, "down")
    store.submit_answer(room.code, students[-1], number, "up")
    assert store.reveal(room.code, room.teacher_secret).histogram == {
        "down": 0,
        "up": 1,
        "no change": 0,
    }


def test_one_answer_per_student_per_question_a_second_replaces_the_first(store):
    room = store.create_room()
    number = store.open_question(room.code, room.teacher_secret, Question())
    student, other = new_student_token(), new_student_token()
    store.submit_answer(room.code, student, number, "up")
    store.submit_answer(room.code, student, number, "down")
    store.submit_answer(room.code, student, number, "down")
    store.submit_answer(room.code, other, number, "up")
    assert store.count_answers(room.code, room.teacher_secret) == 2
    assert store.read_question(room.code, student).your_answer == "down"
    revealed = store.reveal(room.code, room.teacher_secret)
    assert revealed.histogram == {"down": 1, "up": 1, "no change": 0}
    assert revealed.answer_count == 2
    with pytest.raises(QuestionClosedError, match="revealed"):
        store.submit_answer(room.code, student, number, "up")
    assert store.read_question(room.code, student).your_answer == "down"


def test_answers_are_chosen_from_the_options_only(store):
    room = store.create_room()
    number = store.open_question(room.code, room.teacher_secret, Question())
    student = new_student_token()
    for bad in ("Down", "sideways", "", "down ", "<b>up</b>", None, 1):
        with pytest.raises(InvalidInputError, match="not one of this question's options"):
            store.submit_answer(room.code, student, number, bad)
    assert store.count_answers(room.code, room.teacher_secret) == 0
    assert store.read_question(room.code, student).your_answer is None


def test_a_refused_answer_takes_no_seat(make_store):
    store = make_store(max_students=1)
    room = store.create_room()
    number = store.open_question(room.code, room.teacher_secret, Question())
    with pytest.raises(InvalidInputError):
        store.submit_answer(room.code, new_student_token(), number, "sideways")
    with pytest.raises(QuestionClosedError):
        store.submit_answer(room.code, new_student_token(), number + 1, "up")
    store.submit_answer(room.code, new_student_token(), number, "up")  # the one seat was free
    with pytest.raises(RoomFullError):
        store.submit_answer(room.code, new_student_token(), number, "up")


@pytest.mark.parametrize(
    "token", ["", "short", "x" * 65, "has space in it!!", "ünïcödé-tökén-1234", None, 12]
)
def test_a_malformed_student_token_is_refused(store, token):
    room = store.create_room()
    number = store.open_question(room.code, room.teacher_secret, Question())
    with pytest.raises(InvalidInputError, match="student token"):
        store.submit_answer(room.code, token, number, "up")
    if token is not None:
        with pytest.raises(InvalidInputError):
            store.read_question(room.code, token)


def test_an_answer_must_name_the_open_question(store):
    room = store.create_room()
    student = new_student_token()
    with pytest.raises(QuestionClosedError, match="no question"):
        store.submit_answer(room.code, student, 1, "up")
    first = store.open_question(room.code, room.teacher_secret, Question())
    second = store.open_question(room.code, room.teacher_secret, Question(id="next"))
    assert second == first + 1
    with pytest.raises(QuestionClosedError, match="another question"):
        store.submit_answer(room.code, student, first, "up")
    for bad in (0, -1, True, "2", 2.0):
        with pytest.raises(InvalidInputError):
            store.submit_answer(room.code, student, bad, "up")
    store.submit_answer(room.code, student, second, "up")
    assert store.count_answers(room.code, room.teacher_secret) == 1


def test_the_state_is_bounded(store):
    room = store.create_room()
    too_many = {f"p{i}": "1" for i in range(MAX_STATE_ITEMS + 1)}
    just_enough = {f"p{i}": "1" for i in range(MAX_STATE_ITEMS)}
    for bad in (
        too_many,
        {"sched": "x" * MAX_STATE_BYTES},
        {"bad key": "1"},
        {"k" * 33: "1"},
        {"n": 100},
        {"n": "1\x00"},
        {1: "1"},
        ["n", "1"],
    ):
        with pytest.raises(InvalidInputError):
            store.publish(room.code, room.teacher_secret, bad)
    assert store.read_published(room.code).version == 0
    assert store.publish(room.code, room.teacher_secret, just_enough) == 1
    assert store.read_published(room.code).query == just_enough


def test_the_longest_state_the_app_writes_fits(store):
    from ui.settings import MAX_PINS, MAX_SCHEDULE_SEGMENTS, PinSpec, View

    schedule = [(0.123456789012345 + i, 99_999) for i in range(MAX_SCHEDULE_SEGMENTS)]
    pins = tuple(PinSpec("nesterov", 1234.5678, tuple(schedule)) for _ in range(MAX_PINS))
    query = to_query(
        Settings(kind="iris", features=(0, 1), standardise=True, holdout=0.3, holdout_seed=7),
        sum(count for _, count in schedule),
        schedule,
        View(reference="default", point=99_999, lesson=3, lesson_step=5),
        classroom=True,
        pins=pins,
    )
    room = store.create_room()
    store.publish(room.code, room.teacher_secret, query)
    assert store.read_published(room.code).query == query


def test_questions_are_bounded_plain_text(store):
    room = store.create_room()
    for bad in (
        Question(text="x" * (MAX_QUESTION_TEXT + 1)),
        Question(reveal="x" * (MAX_REVEAL_TEXT + 1)),
        Question(options=("only",), answer="only"),
        Question(options=tuple(str(i) for i in range(MAX_OPTIONS + 1)), answer="0"),
        Question(options=("down", "x" * (MAX_OPTION_LENGTH + 1)), answer="down"),
        Question(options=("down", "down"), answer="down"),
        Question(options=("down", "  "), answer="down"),
        Question(options=("down", "up\n"), answer="down"),
        Question(answer="sideways"),
        Question(text="bell\x07"),
        Question(id="has space"),
        Question(id=""),
        Question(options="down,up", answer="down"),
    ):
        with pytest.raises(InvalidInputError):
            store.open_question(room.code, room.teacher_secret, bad)
    assert store.read_question(room.code) is None
    # Markup is text like any other: kept as typed, for the page to show as plain text.
    markup = Question(text="Is <b>J</b> *down*? [x](javascript:1)\nSay.", answer=None)
    number = store.open_question(room.code, room.teacher_secret, markup)
    view = store.read_question(room.code)
    assert (view.number, view.text, view.answer) == (number, markup.text, None)
    assert store.reveal(room.code, room.teacher_secret).answer is None


# ------------------------------------------------------------------- reveal and reset


def test_reveal_shows_everyone_the_histogram_and_the_answer(store):
    room = store.create_room()
    number = store.open_question(room.code, room.teacher_secret, Question())
    chosen = {new_student_token(): option for option in ["down"] * 3 + ["up"] * 2}
    for student, option in chosen.items():
        store.submit_answer(room.code, student, number, option)
    teacher_view = store.teacher_question(room.code, room.teacher_secret)
    assert teacher_view.answer == "down" and teacher_view.answer_count == 5
    assert teacher_view.histogram is None  # the teacher sees a count until the reveal
    revealed = store.reveal(room.code, room.teacher_secret)
    expected = {"down": 3, "up": 2, "no change": 0}
    assert revealed.histogram == expected and list(revealed.histogram) == list(Question().options)
    for student, option in chosen.items():
        view = store.read_question(room.code, student)
        assert view.revealed and view.histogram == expected and view.answer == "down"
        assert view.reveal == Question().reveal and view.your_answer == option
        assert view.answer_count == 5
    assert store.reveal(room.code, room.teacher_secret).histogram == expected  # idempotent


def test_reset_asks_the_same_question_again_without_answers(store):
    room = store.create_room()
    with pytest.raises(QuestionClosedError):
        store.reset_question(room.code, room.teacher_secret)
    with pytest.raises(QuestionClosedError):
        store.reveal(room.code, room.teacher_secret)
    number = store.open_question(room.code, room.teacher_secret, Question())
    student = new_student_token()
    store.submit_answer(room.code, student, number, "up")
    store.reveal(room.code, room.teacher_secret)
    again = store.reset_question(room.code, room.teacher_secret)
    assert again == number + 1
    view = store.read_question(room.code, student)
    assert (view.number, view.question_id, view.revealed) == (again, "loss-direction", False)
    assert view.your_answer is None and view.histogram is None
    assert store.count_answers(room.code, room.teacher_secret) == 0
    with pytest.raises(QuestionClosedError):
        store.submit_answer(room.code, student, number, "up")
    store.submit_answer(room.code, student, again, "down")
    assert store.reveal(room.code, room.teacher_secret).histogram["down"] == 1


# ------------------------------------------------------------------ versions and state


def test_versions_increase_by_one_per_publish(store):
    room = store.create_room()
    assert store.read_published(room.code) == rooms.PublishedState({}, 0, ())
    for expected in range(1, 6):
        assert store.publish(room.code, room.teacher_secret, {"iter": str(expected)}) == expected
        published = store.read_published(room.code)
        assert (published.version, published.query) == (expected, {"iter": str(expected)})


def test_concurrent_publishes_get_distinct_versions(store):
    room = store.create_room()
    versions, barrier = [], threading.Barrier(10)

    def teacher_tab(tab: int) -> None:
        barrier.wait()
        for i in range(5):
            versions.append(store.publish(room.code, room.teacher_secret, {"iter": f"{tab}{i}"}))

    threads = [threading.Thread(target=teacher_tab, args=(tab,)) for tab in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(versions) == list(range(1, 51))
    assert store.read_published(room.code).version == 50


def test_read_state_validates_the_state_like_a_link(store):
    room = store.create_room()
    query = to_query(SEED_NOTE, 40, [(0.5, 40)])
    store.publish(room.code, room.teacher_secret, query)
    live = read_state(store, room.code)
    assert live.problems == () and live.version == 1
    assert (live.restored.settings, live.restored.n_iter) == (SEED_NOTE, 40)


@pytest.mark.parametrize(
    "stored",
    [
        json.dumps({"n": "99999999", "lr": "nan", "iter": "1e9", "kind": "<script>x</script>"}),
        json.dumps({"n": 5, "bad key": "1", "k": ["3"], "iter": "100000", "seed": "12"}),
        "not json {",
        json.dumps(["n", "10"]),
        json.dumps({"sched": "x" * (2 * MAX_STATE_BYTES)}),
        json.dumps({f"p{i}": "1" for i in range(5 * MAX_STATE_ITEMS)}),
        b"\xff\xfe not utf-8",
        "[" * 8_000 + "]" * 8_000,  # nesting deeper than Python's recursion limit
    ],
)
def test_a_tampered_state_yields_problems_and_bounded_settings(store, stored):
    room = store.create_room()
    store.publish(room.code, room.teacher_secret, {"iter": "5"})
    tamper(store, room.code, state=stored)
    live = read_state(store, room.code)
    assert live.problems, stored
    assert all(isinstance(p, str) and p.isprintable() and len(p) < 300 for p in live.problems)
    assert len(live.problems) <= rooms.MAX_PROBLEMS + 1 + 20  # the store's, then the link's
    settings_ = live.restored.settings
    assert MIN_SAMPLES <= settings_.n_samples <= MAX_SAMPLES
    assert 0 <= live.restored.n_iter <= min(MAX_ITER, settings_.replay_budget())
    assert settings_.kind in ("line", "blobs", "iris", "wine")
    assert live.version == 1


def test_a_tampered_version_or_question_is_a_clear_error(store):
    room = store.create_room()
    store.open_question(room.code, room.teacher_secret, Question())
    tamper(store, room.code, question=json.dumps({"id": "q", "text": "t", "options": ["a"]}))
    with pytest.raises(CorruptRoomError, match="question"):
        store.read_question(room.code)
    tamper(store, room.code, question="{")
    with pytest.raises(CorruptRoomError):
        store.teacher_question(room.code, room.teacher_secret)
    tamper(store, room.code, question="[" * 4_000 + "]" * 4_000)  # within the size bound
    with pytest.raises(CorruptRoomError):
        store.read_question(room.code)
    tamper(store, room.code, version="-3" if isinstance(store, RedisRoomStore) else -3)
    with pytest.raises(CorruptRoomError, match="version"):
        store.read_published(room.code)
    with pytest.raises(CorruptRoomError):
        store.publish(room.code, room.teacher_secret, {"iter": "1"})


# ------------------------------------------------------------------------- concurrency


def test_fifty_students_answering_at_once_are_each_counted_once(store):
    room = store.create_room()
    number = store.open_question(room.code, room.teacher_secret, Question())
    options = Question().options
    students = [new_student_token() for _ in range(50)]
    barrier, errors = threading.Barrier(len(students)), []

    def student(index: int) -> None:
        try:
            barrier.wait()
            # Each first taps the wrong option, then corrects it: counted once, as corrected.
            store.submit_answer(room.code, students[index], number, options[(index + 1) % 3])
            store.submit_answer(room.code, students[index], number, options[index % 3])
            store.read_question(room.code, students[index])
        except Exception as error:  # reported below, with the thread's index
            errors.append((index, error))

    threads = [threading.Thread(target=student, args=(i,)) for i in range(len(students))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.count_answers(room.code, room.teacher_secret) == 50
    expected = Counter(options[i % 3] for i in range(50))
    assert store.reveal(room.code, room.teacher_secret).histogram == dict(expected)
    for index, token in enumerate(students):
        assert store.read_question(room.code, token).your_answer == options[index % 3]


def test_an_answer_racing_the_reveal_is_either_counted_or_refused(store):
    room = store.create_room()
    number = store.open_question(room.code, room.teacher_secret, Question())
    accepted, refused, barrier = [], [], threading.Barrier(41)

    def student() -> None:
        token = new_student_token()
        barrier.wait()
        try:
            store.submit_answer(room.code, token, number, "up")
            accepted.append(token)
        except QuestionClosedError:
            refused.append(token)

    threads = [threading.Thread(target=student) for _ in range(40)]
    for thread in threads:
        thread.start()
    barrier.wait()
    revealed = store.reveal(room.code, room.teacher_secret)
    for thread in threads:
        thread.join()
    assert len(accepted) + len(refused) == 40
    assert revealed.histogram["up"] == len(accepted)  # no accepted answer lost
    assert store.count_answers(room.code, room.teacher_secret) == len(accepted)


def _interleave(monkeypatch, store, command: str, interloper) -> list:
    """Run ``interloper()`` once, right after the first ``command`` a watching pipeline of
    ``store`` sends: another client acting between a transaction's read and its EXEC."""
    fired, original = [], store._client.pipeline

    def pipeline(*args, **kwargs):
        pipe = original(*args, **kwargs)
        sent = getattr(pipe, command)

        def send_then_interlope(*command_args, **command_kwargs):
            result = sent(*command_args, **command_kwargs)
            if pipe.watching and not fired:
                fired.append(command)
                interloper()
            return result

        setattr(pipe, command, send_then_interlope)
        return pipe

    monkeypatch.setattr(store._client, "pipeline", pipeline)
    return fired


def test_redis_an_answer_between_the_reveals_read_and_write_is_counted(redis_store, monkeypatch):
    store = redis_store
    room = store.create_room()
    number = store.open_question(room.code, room.teacher_secret, Question())
    store.submit_answer(room.code, new_student_token(), number, "down")
    late = new_student_token()
    fired = _interleave(
        monkeypatch, store, "hvals", lambda: store.submit_answer(room.code, late, number, "up")
    )
    revealed = store.reveal(room.code, room.teacher_secret)
    assert fired == ["hvals"]
    assert revealed.histogram == {"down": 1, "up": 1, "no change": 0}
    assert store.read_question(room.code, late).your_answer == "up"


def test_redis_an_answer_racing_a_reset_does_not_land_in_the_new_round(redis_store, monkeypatch):
    store = redis_store
    room = store.create_room()
    number = store.open_question(room.code, room.teacher_secret, Question())
    fired = _interleave(
        monkeypatch, store, "hmget", lambda: store.reset_question(room.code, room.teacher_secret)
    )
    with pytest.raises(QuestionClosedError, match="another question"):
        store.submit_answer(room.code, new_student_token(), number, "up")
    assert fired == ["hmget"]
    assert store.count_answers(room.code, room.teacher_secret) == 0
    assert store.read_question(room.code).number == number + 1


def test_sqlite_an_answer_waits_for_the_teachers_write_and_sees_it(tmp_path):
    store = SqliteRoomStore(tmp_path / "locks.sqlite3", busy_timeout=10)
    room = store.create_room()
    number = store.open_question(room.code, room.teacher_secret, Question())
    outcome = []

    def student() -> None:
        try:
            store.submit_answer(room.code, new_student_token(), number, "up")
            outcome.append("accepted")
        except QuestionClosedError as error:
            outcome.append(str(error))

    with sqlite3.connect(store.path, isolation_level=None) as other:
        other.execute("BEGIN IMMEDIATE")  # another process resets the question, slowly
        other.execute(
            "UPDATE rooms SET question_number = ? WHERE code = ?", (number + 1, room.code)
        )
        thread = threading.Thread(target=student)
        thread.start()
        thread.join(timeout=0.3)
        assert thread.is_alive() and outcome == []  # waiting for the write lock
        other.execute("COMMIT")
    thread.join(timeout=10)
    assert outcome and "another question" in outcome[0]
    assert store.count_answers(room.code, room.teacher_secret) == 0


def test_students_beyond_the_limit_are_refused_exactly_under_contention(make_store):
    store = make_store(max_students=10)
    room = store.create_room()
    number = store.open_question(room.code, room.teacher_secret, Question())
    outcomes, barrier = [], threading.Barrier(30)

    def student() -> None:
        barrier.wait()
        try:
            store.submit_answer(room.code, new_student_token(), number, "down")
            outcomes.append("seated")
        except RoomFullError:
            outcomes.append("full")

    threads = [threading.Thread(target=student) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(outcomes) == {"seated": 10, "full": 20}
    assert store.count_answers(room.code, room.teacher_secret) == 10


def _answer_from_a_process(path, code, number, tokens, options, barrier, results) -> None:
    store = SqliteRoomStore(path)
    barrier.wait()
    for token, option in zip(tokens, options, strict=True):
        store.submit_answer(code, token, number, option)
    results.put(len(tokens))


def test_fifty_students_in_five_processes_are_each_counted_once(tmp_path):
    path = tmp_path / "shared.sqlite3"
    store = SqliteRoomStore(path)  # the real clock: the processes share it
    room = store.create_room()
    number = store.open_question(room.code, room.teacher_secret, Question())
    options = Question().options
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    barrier, results = context.Barrier(5), context.Queue()
    students = [new_student_token() for _ in range(50)]
    chosen = [options[i % 3] for i in range(50)]
    processes = [
        context.Process(
            target=_answer_from_a_process,
            args=(path, room.code, number, students[p::5], chosen[p::5], barrier, results),
        )
        for p in range(5)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert [process.exitcode for process in processes] == [0] * 5
    assert sum(results.get(timeout=5) for _ in processes) == 50
    assert store.count_answers(room.code, room.teacher_secret) == 50
    assert store.reveal(room.code, room.teacher_secret).histogram == dict(Counter(chosen))


# ------------------------------------------------------------------- the two backends


def test_each_store_implements_the_protocol(store):
    assert isinstance(store, RoomStore)
    assert "secret" not in repr(store).lower()


def test_the_sqlite_file_is_private_and_in_the_temporary_directory(tmp_path):
    import tempfile

    default = rooms.default_sqlite_path()
    assert default.parent == type(default)(tempfile.gettempdir())
    assert default.name.startswith("softmax-lab-rooms-") and default.suffix == ".sqlite3"
    if hasattr(os, "getuid"):
        assert str(os.getuid()) in default.name
    store = SqliteRoomStore(tmp_path / "private.sqlite3")
    assert stat.S_IMODE(os.stat(store.path).st_mode) & 0o077 == 0
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # A second store on the same file (another process, say) sees the same rooms.
    room = store.create_room()
    assert SqliteRoomStore(store.path).is_teacher(room.code, room.teacher_secret)


def test_the_environment_chooses_the_store(tmp_path, redis_port):
    sqlite_store = store_from_environment({}, path=tmp_path / "env.sqlite3")
    assert isinstance(sqlite_store, SqliteRoomStore)
    assert isinstance(
        store_from_environment({"SOFTMAX_LAB_REDIS_URL": "  "}, path=tmp_path / "x"),
        SqliteRoomStore,
    )
    url = f"redis://127.0.0.1:{redis_port}/0"
    redis_store = store_from_environment(
        {"SOFTMAX_LAB_REDIS_URL": url}, prefix=f"env-{uuid.uuid4().hex}:", max_rooms=5
    )
    assert isinstance(redis_store, RedisRoomStore) and redis_store.max_rooms == 5
    room = redis_store.create_room()
    assert redis_store.is_teacher(room.code, room.teacher_secret)
    # Redis keeps the room's keys no longer than its idle timeout and a grace period.
    ttl = redis_store._client.ttl(f"{redis_store.prefix}room:{room.code}")
    assert 0 < ttl <= DEFAULT_IDLE_TIMEOUT + 600


def test_a_redis_client_that_decodes_replies_is_refused():
    # Such a client raises on bytes that are not UTF-8, which anything may write to Redis.
    with pytest.raises(ValueError, match="decode_responses=False"):
        RedisRoomStore(fakeredis.FakeRedis(decode_responses=True))


def test_the_live_classroom_modules_load_no_streamlit():
    code = (
        "import json, sys; import ui.rooms, ui.questions, ui.qr; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(result.stdout))
    assert {"ui", "segno", "numpy"} <= loaded
    assert "streamlit" not in loaded and "redis" not in loaded  # redis: only when used


def test_every_room_error_is_a_room_error():
    for name in dir(rooms):
        value = getattr(rooms, name)
        if isinstance(value, type) and issubclass(value, Exception) and name.endswith("Error"):
            assert issubclass(value, RoomError)


# ------------------------------------------------------------------------ a state machine


TOKENS = [f"student-token-{i:04d}" for i in range(4)]


class RoomMachine(RuleBasedStateMachine):
    """One room driven at random; a plain model says what every read must show."""

    def __init__(self, store, clock: FakeClock) -> None:
        super().__init__()
        self.store, self.clock = store, clock

    @initialize()
    def create(self) -> None:
        self.room = self.store.create_room()
        self.version, self.number, self.question = 0, 0, None
        self.revealed, self.answers, self.last_drive = False, {}, self.clock.now

    @property
    def alive(self) -> bool:
        return self.clock.now < self.last_drive + IDLE

    def expect(self, act, error=None):
        """``act()``'s result, or the error the model expects of it."""
        if not self.alive:
            error = NoSuchRoomError
        if error is None:
            return act()
        with pytest.raises(error):
            act()
        return None

    def driven(self) -> None:
        if self.alive:
            self.last_drive = self.clock.now

    @rule(iteration=st.integers(0, 10**5))
    def publish(self, iteration):
        got = self.expect(
            lambda: self.store.publish(
                self.room.code, self.room.teacher_secret, {"iter": str(iteration)}
            )
        )
        if self.alive:
            self.version += 1
            assert got == self.version
        self.driven()

    @rule(n_options=st.integers(2, 4))
    def open_question(self, n_options):
        question = Question(options=tuple(f"option {i}" for i in range(n_options)), answer=None)
        got = self.expect(
            lambda: self.store.open_question(self.room.code, self.room.teacher_secret, question)
        )
        if self.alive:
            self.number += 1
            assert got == self.number
            self.question, self.revealed, self.answers = question, False, {}
        self.driven()

    @rule(student=st.sampled_from(TOKENS), choice=st.integers(0, 4), stale=st.booleans())
    def answer(self, student, choice, stale):
        number = max(1, self.number - 1) if stale else max(1, self.number)
        option = f"option {choice}"
        if self.question is None or number != self.number or self.revealed:
            error = QuestionClosedError
        elif option not in self.question.options:
            error = InvalidInputError
        else:
            error = None
        self.expect(
            lambda: self.store.submit_answer(self.room.code, student, number, option), error
        )
        if error is None and self.alive:
            self.answers[student] = option

    @rule()
    def reveal(self):
        error = QuestionClosedError if self.question is None else None
        view = self.expect(
            lambda: self.store.reveal(self.room.code, self.room.teacher_secret), error
        )
        if view is not None:
            self.revealed = True
            expected = Counter(self.answers.values())
            assert view.histogram == {o: expected[o] for o in self.question.options}
        if error is None:
            self.driven()

    @rule()
    def reset(self):
        error = QuestionClosedError if self.question is None else None
        got = self.expect(
            lambda: self.store.reset_question(self.room.code, self.room.teacher_secret), error
        )
        if got is not None:
            self.number += 1
            assert got == self.number
            self.revealed, self.answers = False, {}
        if error is None:
            self.driven()

    @rule(key=st.sampled_from([*TOKENS, "", "wrong-secret"]))
    def student_tries_to_drive(self, key):
        self.expect(lambda: self.store.publish(self.room.code, key, {"iter": "1"}), NotTeacherError)
        self.expect(lambda: self.store.reveal(self.room.code, key), NotTeacherError)

    @precondition(lambda self: self.alive)
    @rule(seconds=st.sampled_from([1.0, IDLE / 3, IDLE / 2]))
    def wait(self, seconds):
        self.clock.advance(seconds)

    @invariant()
    def reads_agree_with_the_model(self):
        if not self.alive:
            self.expect(lambda: self.store.read_published(self.room.code))
            return
        published = self.store.read_published(self.room.code)
        assert published.version == self.version
        count = self.store.count_answers(self.room.code, self.room.teacher_secret)
        assert count == len(self.answers)
        for student in TOKENS:
            view = self.store.read_question(self.room.code, student)
            if self.question is None:
                assert view is None
                continue
            assert view.number == self.number and view.options == self.question.options
            assert view.your_answer == self.answers.get(student)
            assert view.revealed == self.revealed
            assert (view.histogram is not None) == self.revealed
            assert view.answer_count == (len(self.answers) if self.revealed else None)


def test_a_room_behaves_like_its_model(make_store):
    clock = FakeClock()
    store = make_store(clock=clock, max_rooms=10_000)
    run_state_machine_as_test(
        lambda: RoomMachine(store, clock),
        settings=settings(max_examples=12, stateful_step_count=12, derandomize=True, deadline=None),
    )


# ---------------------------------------------------------------- reading a room, restoring it


def lose_room(store, code: str) -> None:
    """Delete a room behind the store's back, as a Redis restarted without its data does."""
    if isinstance(store, SqliteRoomStore):
        with sqlite3.connect(store.path) as db:
            for table in ("answers", "students", "rooms"):
                db.execute(f"DELETE FROM {table} WHERE code = ?", (code,))
    else:
        store._client.delete(*store._keys(code))
        store._client.zrem(store._index, code)


def test_one_read_gives_the_state_the_question_and_the_signature_a_poll_reads(store):
    room = store.create_room()
    token = new_student_token()
    seen = []

    def check():
        read = store.read_room(room.code, token)
        assert read.state == store.read_published(room.code)
        assert read.question == store.read_question(room.code, token)
        assert read.signature == store.read_signature(room.code, token)
        seen.append(read.signature)

    check()
    assert seen[-1] == rooms.RoomSignature(0, 0, False, None) and seen[-1].version == 0
    store.publish(room.code, room.teacher_secret, {"iter": "3"})
    check()
    number = store.open_question(room.code, room.teacher_secret, Question())
    check()
    store.submit_answer(room.code, token, number, "up")
    check()
    assert seen[-1].your_answer == "up"
    # Another student's answer is not this student's change.
    other = store.read_signature(room.code, new_student_token())
    assert other.your_answer is None and other.version == seen[-1].version
    store.reveal(room.code, room.teacher_secret)
    check()
    assert len(set(seen)) == len(seen)  # every step above is a change a poll sees
    assert store.read_room(room.code).question.your_answer is None  # no token: nobody's
    store.close_room(room.code, room.teacher_secret)
    for read in (store.read_room, store.read_signature):
        with pytest.raises(NoSuchRoomError):
            read(room.code, token)


def test_a_lost_room_is_restored_for_its_teacher_only(store):
    room = store.create_room()
    store.publish(room.code, room.teacher_secret, {"iter": "7"})
    assert not store.restore_room(room.code, room.teacher_secret, 1)  # live: kept as it is
    assert store.read_published(room.code).query == {"iter": "7"}
    with pytest.raises(NotTeacherError):
        store.restore_room(room.code, "not-the-secret", 1)
    lose_room(store, room.code)
    with pytest.raises(NoSuchRoomError):
        store.read_published(room.code)
    assert store.restore_room(room.code, room.teacher_secret, 1)
    state = store.read_published(room.code)
    assert (state.query, state.version) == ({}, 1)  # empty, at the teacher's version
    assert store.publish(room.code, room.teacher_secret, {"iter": "8"}) == 2
    assert store.is_teacher(room.code, room.teacher_secret)
    assert store.read_question(room.code) is None  # the question went with the data
    with pytest.raises(InvalidInputError):
        store.restore_room(room.code, room.teacher_secret, -1)


def test_restoring_counts_against_the_store_bound(make_store):
    store = make_store(max_rooms=1)
    room = store.create_room()
    lose_room(store, room.code)
    other = store.create_room()
    with pytest.raises(StoreFullError):
        store.restore_room(room.code, room.teacher_secret)
    store.close_room(other.code, other.teacher_secret)
    assert store.restore_room(room.code, room.teacher_secret)


def test_the_embedded_store_lends_its_connections_again(tmp_path):
    store = SqliteRoomStore(tmp_path / "rooms.sqlite3", clock=FakeClock())
    room = store.create_room()
    threads = [threading.Thread(target=store.read_signature, args=(room.code,)) for _ in range(20)]
    for thread in threads:  # one after another, as Streamlit's script threads come
        thread.start()
        thread.join()
    assert len(store._idle) == 1  # one connection served them all
    with pytest.raises(NoSuchRoomError):
        store.read_signature("ZZZZZZ")
    assert len(store._idle) == 1  # a refusal gives it back too
    store.close()
    assert store._idle == []
