"""The Live page in AppTest: a teacher starts a room and teaches on Train, a student follows
it read-only, predicts a step, and sees the reveal; a wrong code says so.

Sessions of one test process share the process-wide store (``st.cache_resource``), as
sessions of one server do: the teacher's and the student's AppTests talk through it.
"""

from __future__ import annotations

import re
import sqlite3

import numpy as np

from ui.rooms import CODE_ALPHABET, SqliteRoomStore

from .conftest import TRAIN, assert_ok, click, go, metric, open_app

LIVE = "pages/6_Live.py"
ROOM = re.compile(rf"^Room ([{CODE_ALPHABET}]{{6}})$")


def start_room() -> tuple[object, str]:
    teacher = open_app(page=LIVE)
    click(teacher, "w.live.start")
    (code,) = [ROOM.match(h.value).group(1) for h in teacher.header if ROOM.match(h.value)]
    return teacher, code


def follow(code: str):
    return open_app({"room": code}, page=LIVE)


def markdown_texts(at) -> list[str]:
    return [m.value for m in at.markdown]


def test_a_room_has_a_code_a_join_link_and_a_badge_on_every_page():
    teacher, code = start_room()
    assert [c.value for c in teacher.code] == [f"/Live?room={code}"]  # AppTest has no host
    go(teacher, TRAIN)
    assert f"**Live: Room {code}**" in markdown_texts(teacher.sidebar)
    assert any("answers to the open question" in c.value for c in teacher.sidebar.caption)


def test_a_student_sees_the_teachers_run_as_it_is_taught():
    teacher, code = start_room()
    go(teacher, TRAIN)
    click(teacher, "w.train.step10")
    click(teacher, "w.train.step")
    student = follow(code)
    for label in ("Iteration", "Loss J", "Last step ΔJ", "Accuracy", "Converged"):
        assert metric(student, label) == metric(teacher, label), label
    assert metric(student, "Iteration") == "11"
    # The same banner, read-only: no training button, no control of the charts.
    assert [a.value for a in student.warning][-1:] == [a.value for a in teacher.warning][-1:]
    keys = {getattr(b, "key", None) for b in student.button}
    assert not keys & {"w.train.step", "w.train.back", "w.train.pin", "w.view.panel"}
    (own,) = [b for b in student.get("link_button") if b.proto.label == "Try it yourself"]
    assert own.proto.url.startswith("Train?") and "iter=11" in own.proto.url
    assert "classroom" not in own.proto.url
    # The next action reaches the student's next rerun (the page's poll does it live).
    click(teacher, "w.train.back")
    student.run()
    assert metric(student, "Iteration") == "10"


def test_predict_then_reveal_takes_the_step_and_shows_the_class_answers():
    teacher, code = start_room()
    teacher.selectbox(key="w.live.template").set_value("direction").run()
    click(teacher, "w.live.ask")
    asked = r"**Asked:** At iteration 0 the loss is 1\.09861\. Will it go down or up at the next"
    assert any(text.startswith(asked) for text in markdown_texts(teacher))
    assert metric(teacher, "Answers") == "0"
    students = [follow(code) for _ in range(3)]
    for student, answer in zip(students, ("up", "up", "down"), strict=True):
        (radio,) = student.radio
        assert list(radio.options) == ["down", "up", "no change"]
        radio.set_value(answer).run()
        click(student, "w.live.submit")
        assert any(i.value.startswith("Your answer") for i in student.info)
    # One answer per student: answering again replaces it.
    students[2].radio[0].set_value("up").run()
    click(students[2], "w.live.submit")
    teacher.run()
    assert metric(teacher, "Answers") == "3"
    before = follow(code)
    assert metric(before, "Iteration") == "0"
    click(teacher, "w.live.reveal")
    (truth,) = teacher.success
    assert truth.value.startswith("The answer\\: up")  # the seed note's rate overshoots
    for student in students:
        student.run()
        assert_ok(student)
        assert metric(student, "Iteration") == "1"  # the teacher's run took the step
        assert [s.value for s in student.success] == [truth.value]
        bars = {p.proto.text: p.value for p in student.get("progress")}
        assert bars == {"down: 0": 0, "up ✓: 3": 100, "no change: 0": 0}
    assert r"Your answer\: up \(right\)\." in markdown_texts(students[0])
    assert r"Your answer\: up \(right\)\." in markdown_texts(students[2])  # replaced


def test_a_question_the_run_cannot_answer_says_why():
    teacher, _ = start_room()
    teacher.selectbox(key="w.live.template").set_value("class").run()
    click(teacher, "w.live.ask")  # no point is followed yet
    assert any("follow a data point first" in e.value for e in teacher.error)


def test_a_wrong_or_malformed_code_gets_a_message_and_a_field():
    for typed in ("ZZZZZZ", "hello!", ""):
        student = follow(typed)
        assert any(e.value.startswith("There is no live class") for e in student.error), typed
        assert [t.label for t in student.text_input] == ["Room code"]
    student.text_input(key="w.live.code").set_value("ZZZZZZ").run()
    click(student, "w.live.join")
    assert any("ZZZZZZ" in e.value for e in student.error)


def test_a_follower_lab_is_shared_and_rebuilt_only_for_a_new_version():
    from ui.caches import following, room_store

    teacher, code = start_room()
    go(teacher, TRAIN)
    click(teacher, "w.train.step")
    state = room_store().read_published(code)
    first = following().lab(code, state)
    assert following().lab(code, state) is first
    click(teacher, "w.train.step")
    newer = room_store().read_published(code)
    assert newer.version == state.version + 1
    rebuilt = following().lab(code, newer)
    assert rebuilt is not first and rebuilt.model.n_iter_ == 2
    assert np.isfinite(rebuilt.report().loss)


def test_ending_the_class_closes_the_room_for_its_students():
    teacher, code = start_room()
    click(teacher, "w.live.end")
    assert [b.key for b in teacher.button if b.key == "w.live.start"] == ["w.live.start"]
    student = follow(code)
    assert any(e.value.startswith("There is no live class") for e in student.error)


def test_a_new_student_is_given_a_cookie_that_keeps_their_token():
    # Reproduced: the page asked for the token twice in one run, the second call said it
    # was not new, and the cookie was never set: a refresh made a second student.
    _, code = start_room()
    student = follow(code)
    scripts = [h.proto.body for h in student.get("html")]
    cookies = [s for s in scripts if "softmax_lab_student=" in s]
    assert len(cookies) == 1, scripts
    assert re.search(r"softmax_lab_student=[A-Za-z0-9_-]{16,64}; path=/; max-age=86400", cookies[0])
    student.run()
    assert not [h for h in student.get("html") if "softmax_lab_student=" in h.proto.body]


def test_followers_of_a_version_share_one_view_built_once(monkeypatch):
    from ui import live
    from ui.caches import following, room_store

    built = []
    show = live.show

    def counted(lab, version, *, large):
        built.append((version, large))
        return show(lab, version, large=large)

    monkeypatch.setattr(live, "show", counted)
    teacher, code = start_room()
    go(teacher, TRAIN)
    click(teacher, "w.train.step10")
    students = [follow(code) for _ in range(3)]
    version = room_store().read_published(code).version
    assert built == [(version, False)]  # three followers, one view
    shown = following().shown(code, room_store().read_published(code), large=False)
    assert shown.report.n_iter == 10 and built == [(version, False)]
    for student in students:
        assert metric(student, "Iteration") == "10"
    click(teacher, "w.train.step")
    for student in students:
        student.run()
        assert metric(student, "Iteration") == "11"
    assert built == [(version, False), (version + 1, False)]


def failing(*args, **kwargs):
    raise sqlite3.OperationalError("unable to open database file")


def test_a_follower_is_told_when_the_room_cannot_be_reached_and_sees_it_again(monkeypatch):
    teacher, code = start_room()
    go(teacher, TRAIN)
    click(teacher, "w.train.step")
    student = follow(code)
    monkeypatch.setattr(SqliteRoomStore, "read_room", failing)
    student.run()
    assert_ok(student)
    (error,) = student.error
    assert error.value.startswith("The room cannot be reached just now")
    assert "retries every second" in error.value
    monkeypatch.undo()
    student.run()
    assert not student.error and metric(student, "Iteration") == "1"


def test_the_teachers_run_goes_on_while_the_room_cannot_be_reached(monkeypatch):
    teacher, code = start_room()
    go(teacher, TRAIN)
    student = follow(code)
    for name in ("publish", "count_answers"):
        monkeypatch.setattr(SqliteRoomStore, name, failing)
    click(teacher, "w.train.step10")
    assert metric(teacher, "Iteration") == "10"  # the teacher's lab works on
    warned = [w.value for w in teacher.sidebar.warning]
    assert any(w.startswith(f"Room {code} cannot be reached just now") for w in warned), warned
    student.run()
    assert metric(student, "Iteration") == "0"  # the room has not had it yet
    monkeypatch.undo()
    teacher.run()  # the badge's timer publishes it again
    assert not teacher.sidebar.warning
    student.run()
    assert metric(student, "Iteration") == "10"


def test_a_room_the_store_lost_comes_back_with_the_teachers_run():
    from ui.caches import room_store

    teacher, code = start_room()
    go(teacher, TRAIN)
    click(teacher, "w.train.step")
    student = follow(code)
    with sqlite3.connect(room_store().path) as db:  # as a restarted Redis loses it
        for table in ("answers", "students", "rooms"):
            db.execute(f"DELETE FROM {table} WHERE code = ?", (code,))
    student.run()
    gone = f"Room {code} is not live just now"
    assert any(w.value.startswith(gone) for w in student.warning)
    teacher.run()
    assert_ok(teacher)
    assert metric(teacher, "Iteration") == "1"
    student.run()
    assert metric(student, "Iteration") == "1"
    assert not any(w.value.startswith(gone) for w in student.warning)
