"""The live classroom in Chromium: a teacher's run followed on a student's phone, a question
predicted and revealed; the same across two replicas behind HAProxy sharing Redis; and a
Redis that goes away mid-class and comes back empty."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time

import pytest

from .browser import click, iteration, metric, no_exception, open_page, wait_until_idle
from .conftest import ROOT
from .server import free_port, stop_server
from .server import start_server as start_app

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
CLASSROOM = {"width": 1280, "height": 720}
# A student sees each teacher action within about two seconds (a one-second poll and a
# rerun); the bound leaves room for a CI machine running two browsers and a server.
FOLLOW_SECONDS = 6.0
# A store outage is noticed by the next poll (a second) or badge refresh (two), and a room
# is back within a few polls of the store's return.
OUTAGE_SECONDS = 15.0


def start_room(page) -> str:
    """On the teacher's Live page: start a room; return its code."""
    page.locator(".st-key-w-live-start button").click()
    heading = page.get_by_role("heading", name=re.compile(r"^Room [A-Z0-9]{6}$"))
    heading.wait_for(timeout=20_000)
    wait_until_idle(page)
    return heading.inner_text().split()[-1]


def wait_for_student_iteration(page, expected: int) -> float:
    """Seconds until the student's page shows iteration ``expected``."""
    started = time.monotonic()
    while True:
        try:
            if iteration(page) == expected:
                return time.monotonic() - started
        except (ValueError, Exception):  # the page is redrawing
            pass
        assert time.monotonic() - started < FOLLOW_SECONDS, (expected, page.url)
        page.wait_for_timeout(100)


def teach_a_step_and_follow(teacher, student, expected: int) -> float:
    click(teacher, "w.train.step")
    return wait_for_student_iteration(student, expected)


def test_a_student_follows_the_teachers_run_and_predicts_a_step(app_server, browser):
    teacher_context = browser.new_context(viewport=CLASSROOM)
    student_context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        teacher = open_page(teacher_context, f"{app_server.url}/Live")
        code = start_room(teacher)
        assert re.fullmatch(r"[ABCDEFGHJKMNPQRSTUWXYZ34679]{6}", code)
        link = teacher.locator('[data-testid="stCode"]').filter(has_text="/Live?room=").first
        assert link.inner_text().strip() == f"{app_server.url}/Live?room={code}"
        assert teacher.locator('[data-testid="stImage"] img').count() >= 1  # the QR code

        # The teacher teaches on Train (the same session, by the page's link).
        teacher.get_by_role("link", name="Teach on Train").click()
        teacher.get_by_role("heading", name="Train").wait_for()
        wait_until_idle(teacher)
        assert teacher.get_by_text(f"Live: Room {code}").count() == 1  # beside the lecture
        click(teacher, "w.train.step10")

        student = open_page(student_context, f"{app_server.url}/Live?room={code}")
        wait_for_student_iteration(student, 10)
        assert metric(student, "Loss J") == metric(teacher, "Loss J")
        assert student.locator(".st-key-w-train-model_chart .js-plotly-plot").count() == 1
        assert student.locator(".st-key-w-train-loss_chart .js-plotly-plot").count() == 1
        assert student.locator(".st-key-w-train-step").count() == 0  # read-only
        delays = [teach_a_step_and_follow(teacher, student, 10 + n) for n in (1, 2, 3)]
        print(f"student saw each step after {', '.join(f'{d:.2f}' for d in delays)} s")

        # "Try it yourself": the same run as the student's own lab.
        own = student.get_by_role("link", name="Try it yourself").first
        href = own.get_attribute("href")
        assert href.startswith("Train?") and "iter=13" in href

        # Predict, then reveal.
        teacher.get_by_role("link", name="Live").first.click()
        teacher.get_by_role("heading", name=f"Room {code}").wait_for()
        wait_until_idle(teacher)
        click(teacher, "w.live.ask")  # the first template: up or down at the next step
        question = student.get_by_role("radiogroup")
        question.wait_for(timeout=FOLLOW_SECONDS * 1000)
        expected = metric(teacher, "Answers")
        assert expected == "0"
        student.get_by_role("radio", name="down").check(force=True)
        click(student, "w.live.submit")
        student.get_by_text(re.compile("^Your answer: down")).wait_for()
        teacher.get_by_text("1", exact=True).wait_for(timeout=FOLLOW_SECONDS * 1000)
        assert metric(teacher, "Answers") == "1"
        click(teacher, "w.live.reveal")
        teacher.get_by_text(re.compile("^The answer: ")).wait_for()
        wait_for_student_iteration(student, 14)  # the run took the step it asked about
        student.get_by_text(re.compile("^The answer: (down|up|no change)")).wait_for()
        no_exception(teacher)
        no_exception(student)
    finally:
        teacher_context.close()
        student_context.close()


def test_a_step_reruns_the_followed_view_not_the_page(app_server):
    """With a hundred followers on a process, each Step's reruns are what delays them: the
    poll that sees a new version reruns the followed view alone (the metrics, charts and
    question), not the page around it (the title, the sidebar's links). A question and an
    ended class still reach the student. Over the websocket, as a browser's session."""
    from streamlit.proto.ClientState_pb2 import ClientState
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from benchmarks.bench_live import LiveSession

    class Recorded(LiveSession):
        """bench_live's follower session (headings, the poll's timer, a poll stopped early
        for the view's rerun), which also keeps what each run drew and how it ended."""

        def _handle(self, forward):
            kind = forward.WhichOneof("type")
            if kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                self.drawn.append(forward.delta.new_element.WhichOneof("type"))
            elif kind == "script_finished":
                self.endings.append(forward.script_finished)
            return super()._handle(forward)

        def poll_once(self):
            self.drawn, self.endings = [], []
            _, fragment = self.poll
            state = ClientState(
                query_string=self.query_string,
                page_script_hash=self.page_script_hash,
                fragment_id=fragment,
            )
            return self._rerun(state)

    with Recorded(app_server.url) as teacher, Recorded(app_server.url) as student:
        for session in (teacher, student):
            session.drawn, session.endings, session.headings, session.poll = [], [], [], None
        teacher.open_page("Live")
        teacher.click("w.live.start")
        code = next(h.split()[-1] for h in teacher.headings if h.startswith("Room "))
        teacher.open_page("Train")
        student.open_page("Live", f"room={code}")
        assert "page_link" in student.drawn and student.metrics["Iteration"] == "0"

        student.poll_once()  # nothing new: the poll draws nothing
        assert student.drawn == [] and student.endings == [
            ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
        ]

        teacher.click("w.train.step")
        student.poll_once()
        assert student.metrics["Iteration"] == "1"
        assert "bidi_component" in student.drawn  # the charts, redrawn
        assert "page_link" not in student.drawn and "heading" not in student.drawn
        assert student.endings[-1] == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY

        teacher.open_page("Live")
        teacher.click("w.live.ask")
        student.poll_once()
        assert "radio" in student.drawn and "page_link" not in student.drawn

        teacher.click("w.live.end")
        student.poll_once()  # the room is gone: the page says so, with its field
        assert "page_link" in student.drawn and "text_input" in student.drawn
        assert student.endings[-1] == ForwardMsg.FINISHED_SUCCESSFULLY


def test_a_wrong_code_says_so_and_offers_a_field(app_server, context):
    page = open_page(context, f"{app_server.url}/Live?room=ZZZZZ9")
    page.get_by_text(re.compile("^There is no live class with the code ZZZZZ9")).wait_for()
    field = page.get_by_label("Room code")
    assert field.count() == 1
    no_exception(page)


def test_rooms_are_shared_by_replicas_through_redis(browser):
    """Two replicas behind HAProxy and a real redis-server: the teacher on one, the student
    on the other, and the student follows."""
    sys.path.insert(0, str(ROOT))
    from deploy.serve import COOKIE, StartupError, find_haproxy, running_cluster

    try:
        find_haproxy()
        if not os.path.exists("/usr/bin/redis-server"):
            raise StartupError("redis-server is not installed: apt-get install redis-server")
    except StartupError as error:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(str(error), pytrace=False)
        pytest.skip(str(error))
    with running_cluster(replicas=2, redis=True, log=print) as cluster:
        assert cluster.store_url.startswith("redis://")
        host = cluster.url.split("//")[1].split(":")[0]
        contexts = []
        for replica in ("r1", "r2"):
            context = browser.new_context(viewport=CLASSROOM)
            context.add_cookies([{"name": COOKIE, "value": replica, "domain": host, "path": "/"}])
            contexts.append(context)
        try:
            teacher = open_page(contexts[0], f"{cluster.url}/Live")
            code = start_room(teacher)
            teacher.get_by_role("link", name="Teach on Train").click()
            teacher.get_by_role("heading", name="Train").wait_for()
            wait_until_idle(teacher)
            student = open_page(contexts[1], f"{cluster.url}/Live?room={code}")
            wait_for_student_iteration(student, 0)
            teach_a_step_and_follow(teacher, student, 1)
            served = [
                next(c["value"] for c in context.cookies() if c["name"] == COOKIE)
                for context in contexts
            ]
            assert served == ["r1", "r2"]  # one room, two processes
            no_exception(student)
        finally:
            for context in contexts:
                context.close()


def _require_redis_server() -> str:
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(server):
        message = "redis-server is not installed: apt-get install redis-server"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return server


def start_redis_on(server: str, port: int) -> subprocess.Popen:
    """Debian's redis-server on ``port``, nothing saved (as deploy/serve.py starts it: a
    restart loses every room); returns once it answers PING."""
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, f"redis-server exited on port {port}"
        try:
            with socket.create_connection(("127.0.0.1", port), 1) as probe:
                probe.sendall(b"PING\r\n")
                if probe.recv(16).startswith(b"+PONG"):
                    return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"redis-server did not answer on port {port}")


def test_a_store_outage_mid_class_loses_no_run_and_the_room_resumes(browser):
    """Redis is killed while the teacher steps and a student follows, then restarted empty:
    the teacher's lab goes on, both are told that the room cannot be reached (no traceback),
    and once Redis is back the room resumes with the teacher's current run, nobody
    reloading."""
    redis_server = _require_redis_server()
    port = free_port()
    redis_process = start_redis_on(redis_server, port)
    env = {**os.environ, "SOFTMAX_LAB_REDIS_URL": f"redis://127.0.0.1:{port}/0"}
    app = start_app("streamlit-outage", env=env)
    teacher_context = browser.new_context(viewport=CLASSROOM)
    student_context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        teacher = open_page(teacher_context, f"{app.url}/Live")
        code = start_room(teacher)
        teacher.get_by_role("link", name="Teach on Train").click()
        teacher.get_by_role("heading", name="Train").wait_for()
        wait_until_idle(teacher)
        click(teacher, "w.train.step10")
        student = open_page(student_context, f"{app.url}/Live?room={code}")
        wait_for_student_iteration(student, 10)

        redis_process.kill()
        redis_process.wait(timeout=10)
        click(teacher, "w.train.step")
        assert iteration(teacher) == 11  # the teacher's own lab works on
        teacher.get_by_text(re.compile(f"^Room {code} cannot be reached just now")).wait_for(
            timeout=OUTAGE_SECONDS * 1000
        )
        student.get_by_text(re.compile("^The room cannot be reached just now")).wait_for(
            timeout=OUTAGE_SECONDS * 1000
        )
        assert iteration(student) == 10  # what it showed stays, said to be the last read
        click(teacher, "w.train.step")
        assert iteration(teacher) == 12
        no_exception(teacher)
        no_exception(student)

        redis_process = start_redis_on(redis_server, port)  # back, and empty
        started = time.monotonic()
        while iteration(student) != 12:  # the teacher's current run, nobody reloading
            assert time.monotonic() - started < OUTAGE_SECONDS, "the room did not resume"
            student.wait_for_timeout(200)
        unreachable = teacher.get_by_text(re.compile(f"^Room {code} cannot be reached"))
        unreachable.wait_for(state="detached", timeout=OUTAGE_SECONDS * 1000)
        student.get_by_text(re.compile("cannot be reached")).wait_for(
            state="detached", timeout=OUTAGE_SECONDS * 1000
        )
        assert iteration(teacher) == 12  # nothing was lost on the teacher's side
        teach_a_step_and_follow(teacher, student, 13)  # and the class goes on
        no_exception(teacher)
        no_exception(student)
    finally:
        teacher_context.close()
        student_context.close()
        stop_server(app)
        if redis_process.poll() is None:
            redis_process.kill()
            redis_process.wait(timeout=10)
