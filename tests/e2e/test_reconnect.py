"""A run survives a reconnect: a server restart, and the death of the replica serving it.

Tried as a student would: a run at iteration 21 with a pin and the landscape shown, then the
server goes away. Streamlit's frontend reconnects and starts a new session with the query it
holds; the app writes the run into that query (``st.query_params``), so the new session is the
same run. Before, the app wrote the address bar itself, the frontend kept the page's first
query, and the reconnect showed a fresh run at iteration 0 and rewrote the link to it.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from .browser import (
    button,
    chart_title,
    click,
    legend_names,
    metric,
    no_exception,
    open_page,
    query,
    runs,
    wait_for_a_run,
    wait_until_idle,
)
from .conftest import ROOT
from .server import Server, start_server, stop_server

pytestmark = pytest.mark.e2e
START = "/Train?lr=auto&kind=blobs&n=300&seed=5"
RECONNECT_SECONDS = 60


def build_a_run(page) -> dict:
    """Step x10 twice and Step once, pin it, show the landscape: what must survive."""
    click(page, "w.train.step10")
    click(page, "w.train.step10")
    click(page, "w.train.step")
    click(page, "w.train.pin")
    page.locator(".st-key-w-view-panel [role=radio]").filter(has_text="Landscape").click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('panel')")
    page.wait_for_function("() => new URLSearchParams(location.search).get('pins')")
    return seen(page)


def seen(page) -> dict:
    """What a person reads of the run: the metrics, the chart titles and the link."""
    page.locator(".st-key-w-train-landscape .js-plotly-plot").wait_for()
    return {
        "iteration": metric(page, "Iteration"),
        "loss": metric(page, "Loss J"),
        "landscape": chart_title(page, "w.train.landscape"),
        "pins": legend_names(page, "w.train.loss_chart"),
        "query": query(page),
    }


def wait_for_the_same_run(page, before: dict, since: int) -> None:
    """Wait until the reconnected page has run its script again after mark ``since`` (not
    the old page still on screen) and shows ``before``."""
    wait_for_a_run(page, since, RECONNECT_SECONDS)
    deadline = time.monotonic() + RECONNECT_SECONDS
    last = None
    while time.monotonic() < deadline:
        try:
            last = seen(page)
            if last == before:
                return
        except Exception as error:  # the page is reconnecting: elements come and go
            last = repr(error)
        page.wait_for_timeout(250)
    raise AssertionError(f"not the same run after {RECONNECT_SECONDS} s: {last} != {before}")


def test_a_server_restart_on_the_same_port_keeps_the_run(browser):
    first = start_server("streamlit-restart")
    port = int(first.url.rsplit(":", 1)[1])
    second: Server | None = None
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = open_page(context, first.url + START)
        before = build_a_run(page)
        assert before["iteration"] == "21" and before["query"]["iter"] == "21"
        # A full run last (a reload is a new session, from the link): after one, the
        # frontend reruns on a reconnect only because of the page's timer fragment.
        page.reload()
        wait_until_idle(page)
        assert seen(page) == before
        mark = runs(page)
        stop_server(first)
        page.locator('[data-testid="stApp"]').wait_for()  # the page stays, disconnected
        second = start_server("streamlit-restart-again", port=port)
        wait_for_the_same_run(page, before, mark)
        no_exception(page)
        button(page, "w.train.step").click()  # and it goes on from there
        page.wait_for_function("() => new URLSearchParams(location.search).get('iter') === '22'")
    finally:
        context.close()
        stop_server(first)
        if second is not None:
            stop_server(second)


def test_the_death_of_the_sessions_replica_keeps_the_run_and_the_replica_comes_back(browser):
    sys.path.insert(0, str(ROOT))
    from deploy.serve import COOKIE, StartupError, find_haproxy, running_cluster

    try:
        find_haproxy()
    except StartupError as error:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(str(error), pytrace=False)
        pytest.skip(str(error))
    messages: list[str] = []
    with running_cluster(replicas=2, log=messages.append) as cluster:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = open_page(context, cluster.url + START)
            before = build_a_run(page)
            cookie = next(c["value"] for c in context.cookies() if c["name"] == COOKIE)
            serving = next(child for child in cluster.replicas if child.name == cookie)
            mark = runs(page)
            os.kill(serving.process.pid, signal.SIGKILL)
            wait_for_the_same_run(page, before, mark)
            no_exception(page)
            survivor = next(c["value"] for c in context.cookies() if c["name"] == COOKIE)
            assert survivor != cookie  # another replica rebuilt the run from the query
            deadline = time.monotonic() + RECONNECT_SECONDS
            while cluster.server_states().get(cookie) != "UP":
                assert time.monotonic() < deadline, (cluster.server_states(), messages)
                time.sleep(0.5)
            assert cluster.supervisor.restarts[cookie] == 1, messages
            assert any(f"replica {cookie} restarted" in message for message in messages)
        finally:
            context.close()
