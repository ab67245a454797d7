"""ui.live without Streamlit: publishing a teacher's link, the followers' shared labs, the
question templates, on the embedded store and on Redis (fakeredis)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import fakeredis
import numpy as np
import pytest

from ui import live
from ui.lab import Lab
from ui.rooms import NoSuchRoomError, RedisRoomStore, SqliteRoomStore
from ui.services import MemoryServices

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    if request.param == "sqlite":
        yield SqliteRoomStore(tmp_path / "rooms.sqlite3")
    else:
        yield RedisRoomStore(fakeredis.FakeRedis())


@pytest.fixture(scope="module")
def services():
    return MemoryServices()


def teaching(store) -> live.Teaching:
    room = store.create_room()
    return live.Teaching(room.code, room.teacher_secret)


def test_a_link_is_published_once_per_change(store):
    mine = teaching(store)
    assert live.publish(store, mine, {"iter": "1"})
    assert not live.publish(store, mine, {"iter": "1"})  # unchanged: no new version
    assert live.publish(store, mine, {"iter": "2"})
    state = store.read_published(mine.code)
    assert (state.query, state.version, mine.version) == ({"iter": "2"}, 2, 2)


def test_the_cookie_gives_the_room_back_only_with_its_secret(store):
    mine = teaching(store)
    again = live.teaching_from_cookie(store, mine.cookie())
    assert (again.code, again.secret) == (mine.code, mine.secret)
    assert live.teaching_from_cookie(store, f"{mine.code}:not-the-secret") is None
    for junk in (None, "", "no-colon", "bad code!:x", f"{mine.code.lower()}"):
        assert live.teaching_from_cookie(store, junk) is None
    assert repr(mine.secret) not in repr(mine)


def test_followers_share_one_lab_per_version_and_forget_old_rooms(store, services):
    following = live.Following(services, rooms=2)
    rooms = [teaching(store) for _ in range(3)]
    for n, room in enumerate(rooms):
        live.publish(store, room, {"lr": "auto", "iter": str(n)})
    labs = [following.lab(r.code, store.read_published(r.code)) for r in rooms]
    assert [lab.model.n_iter_ for lab in labs] == [0, 1, 2]
    assert following.lab(rooms[2].code, store.read_published(rooms[2].code)) is labs[2]
    assert rooms[0].code not in following._labs  # the least recently followed, beyond 2
    live.publish(store, rooms[2], {"lr": "auto", "iter": "5"})
    newer = following.lab(rooms[2].code, store.read_published(rooms[2].code))
    assert newer is not labs[2] and newer.model.n_iter_ == 5


def test_a_tampered_state_is_shown_with_what_could_not_be_used(store, services):
    mine = teaching(store)
    live.publish(store, mine, {"lr": "-3", "iter": "2"})
    lab = live.Following(services).lab(mine.code, store.read_published(mine.code))
    assert lab.model.n_iter_ == 2
    assert any("lr" in notice for notice in lab.notices)


def test_readers_of_one_lab_take_turns(store, services):
    mine = teaching(store)
    live.publish(store, mine, {"iter": "3"})
    following = live.Following(services)
    state = store.read_published(mine.code)
    losses, errors = [], []

    def read() -> None:
        try:
            with following.reading(mine.code, state) as lab:
                losses.append(lab.report().loss)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(set(losses)) == 1 and np.isfinite(losses[0])


def test_each_template_is_answered_by_the_run_itself(services):
    lab = Lab.from_link({"lr": "auto", "iter": "5"}, services)
    question, steps = live.ask(lab, "direction")
    assert steps == 1 and question.answer == "down"  # a stable rate lowers the loss
    assert question.answer in question.options
    lab.choose_point(3)
    question, steps = live.ask(lab, "class")
    assert steps == live.LOOKAHEAD_STEPS and question.answer in question.options
    question, steps = live.ask(lab, "race")
    assert steps == 0 and question.answer in question.options
    with pytest.raises(ValueError, match="no question template"):
        live.ask(lab, "nonsense")


def test_the_class_question_needs_a_followed_point(services):
    lab = Lab.from_link({}, services)
    with pytest.raises(ValueError, match="follow a data point first"):
        live.ask(lab, "class")


def test_a_histogram_becomes_bars_in_the_options_order():
    labels, counts = live.histogram_bars({"down": 2, "up": 5, "no change": 0})
    assert labels == ["down", "up", "no change"]
    assert counts.tolist() == [2, 5, 0] and counts.dtype == np.int64


def test_followers_of_a_version_share_what_they_are_shown_until_it_changes(store, services):
    mine = teaching(store)
    live.publish(store, mine, {"lr": "auto", "iter": "4"})
    following = live.Following(services)
    state = store.read_published(mine.code)
    first = following.shown(mine.code, state, large=False)
    assert following.shown(mine.code, store.read_published(mine.code), large=False) is first
    projector = following.shown(mine.code, state, large=True)
    assert projector is not first and projector.large and not first.large
    assert following.shown(mine.code, state, large=True) is projector
    assert first.report.n_iter == 4 and first.version == state.version
    assert first.model_key == "w.train.model_chart"
    figure = json.loads(first.model_chart.json)
    assert figure["layout"]["height"] == first.model_chart.height
    assert "iteration 4" in figure["layout"]["title"]["text"]
    assert projector.model_chart.height < first.model_chart.height  # the projector's row
    assert first.own_link.startswith("Train?") and "iter=4" in first.own_link
    assert "classroom" not in first.own_link
    # A new version replaces the lab and both layouts.
    live.publish(store, mine, {"lr": "auto", "iter": "5"})
    newer = following.shown(mine.code, store.read_published(mine.code), large=False)
    assert newer is not first and newer.report.n_iter == 5
    assert "iteration 5" in json.loads(newer.model_chart.json)["layout"]["title"]["text"]
    assert set(following._labs[mine.code].shown) == {False}


def test_what_followers_are_shown_is_bounded_by_the_rooms_kept(store, services):
    following = live.Following(services, rooms=2)
    rooms = [teaching(store) for _ in range(3)]
    for room in rooms:
        live.publish(store, room, {"iter": "1"})
        for large in (False, True, False):
            following.shown(room.code, store.read_published(room.code), large=large)
    assert list(following._labs) == [rooms[1].code, rooms[2].code]
    assert all(len(kept.shown) == 2 for kept in following._labs.values())  # two layouts


def test_concurrent_followers_build_what_they_are_shown_once(store, services, monkeypatch):
    mine = teaching(store)
    live.publish(store, mine, {"iter": "6", "panel": "landscape"})
    following = live.Following(services)
    state = store.read_published(mine.code)
    built = []
    show = live.show

    def counted(*args, **kwargs):
        built.append(args)
        return show(*args, **kwargs)

    monkeypatch.setattr(live, "show", counted)
    got, errors = [], []

    def follow() -> None:
        try:
            got.append(following.shown(mine.code, state, large=False))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=follow) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(built) == 1
    assert len({id(shown) for shown in got}) == 1
    assert got[0].model_key == "w.train.landscape" and got[0].caption  # the plane's caption


def test_the_live_logic_imports_no_streamlit():
    code = "import sys, ui.live; print('streamlit' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def lose_everything(store) -> None:
    """What a Redis restarted without persistence holds: no room at all."""
    if isinstance(store, SqliteRoomStore):
        with sqlite3.connect(store.path) as db:
            for table in ("answers", "students", "rooms"):
                db.execute(f"DELETE FROM {table}")
    else:
        store._client.flushall()


def test_a_room_the_store_lost_is_restored_by_the_teachers_next_publish(store):
    mine = teaching(store)
    mine.driven_at = time.time()
    live.publish(store, mine, {"iter": "1"})
    live.publish(store, mine, {"iter": "2"})
    mine.asked_steps = 1
    lose_everything(store)
    assert live.publish(store, mine, {"iter": "3"})
    state = store.read_published(mine.code)
    assert state.query == {"iter": "3"} and state.version == mine.version == 3
    assert store.is_teacher(mine.code, mine.secret)
    assert mine.asked_steps == 0  # the open question was lost with the store's data


def test_a_room_that_expired_is_not_restored(services):
    now = [1_700_000_000.0]
    store = RedisRoomStore(fakeredis.FakeRedis(), idle_timeout=3600, clock=lambda: now[0])
    mine = teaching(store)
    live.publish(store, mine, {"iter": "1"}, clock=lambda: now[0])
    now[0] += 3601  # the teacher left it for longer than the idle timeout
    with pytest.raises(NoSuchRoomError):
        live.publish(store, mine, {"iter": "2"}, clock=lambda: now[0])
    assert store.room_count() == 0
