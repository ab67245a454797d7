"""Interaction and load benchmarks of the Softmax Lab app (the Train page).

Run from the repository root: ``python benchmarks/bench_app.py`` (about 8 minutes on 2 cores;
``--quick`` about 3; ``--only latency,play,rerun,profile,load`` picks sections, ``--sessions``
and ``--think`` shape the load test). Every server is a real ``streamlit run app.py
--server.headless=true`` on a free loopback port, started and stopped by this script (logs in
test-output/bench-*.log); only 127.0.0.1 is contacted. The browser sections run on a default
server, then (n = 100, 'fast' only) on one with ``--runner.postScriptGC=false``.

latency  Click-to-update in headless Chromium (Playwright, Debian's /usr/bin/chromium). On
         ``/Train?lr=auto`` (n = 100) and ``/Train?n=100000&lr=auto``: after warm-up clicks,
         Playwright clicks the visible Step button; a capturing ``pointerdown`` listener
         stamps ``performance.now()`` in the page, and a ``wait_for_function`` polled on every
         animation frame stamps the first frame in which BOTH the "Iteration" metric shows the
         new iteration AND the loss chart (``gd._fullData[0].y``) has the new point. Latency =
         the difference, per click; the page is left idle between clicks. Median and p95.
         Also the time from the click to the last websocket message of that rerun (a wrapped
         ``WebSocket`` stamps each arrival): the server's share, the rest is the browser's.
play     Play at a speed ('fast': a fragment rerun every 0.1 s, one step each; 'turbo': every
         0.1 s, five steps each) for 10 s, then Pause. An in-page poller (10 ms) records each
         distinct value of the "Iteration" metric with its time. Over the time from the Play
         click to the Pause click: iterations per second (counter delta) and renders per second
         (distinct values shown); then how many steps still came after the Pause click. A
         second check plays for 2 s and pauses, 5 times per speed, and counts the Play or
         Pause clicks that had no effect (the button label unchanged 4 s later; it is then
         clicked again, at most 4 times).
rerun    Server-side time of one Train-page rerun after a Step click, with
         ``streamlit.testing.v1.AppTest`` (``at.button(key="w.train.step").click().run()``),
         in this process. AppTest reruns the whole page, not just the fragment, adds its own
         overhead (element tree, 1 ms polling) and skips ``postScriptGC``. Median and p95 at
         n = 100 and n = 100,000.
profile  Where that rerun's time goes: the same AppTest reruns with timers wrapped around the
         page's parts (the training step, the metrics, each figure builder, plotly's layout,
         st.plotly_chart, st.dataframe, ...), inclusive wall time per rerun, no profiler
         overhead; and the time of one ``gc.collect(2)`` in this process, which
         ``runner.postScriptGC`` adds after every script run on a server.
load     N concurrent sessions (N = 1, 20, 50) on one fresh server per N, with a
         protocol-level client (``benchmarks/streamlit_client.py``: the websocket protocol the
         frontend speaks, protobuf BackMsg/ForwardMsg, no browser). Each session opens
         ``/Train?lr=auto`` and then clicks Step (a rerun of the training fragment, carrying
         every widget's value and the button's trigger) 20 times (10 at N = 50: at most ~500
         clicks per run), waiting a think time (uniform 0.5x-1.5x of ``--think`` seconds,
         default 1 s: a user clicking about once a second) between clicks. Latency = from
         sending the click to the ``script_finished`` message of that rerun; each session
         checks that its Iteration metric counted every click and that its settings (the
         query string) did not change. Server memory = RSS of the server process and its
         children (psutil) after a warm-up session (imports, caches), then with all N
         sessions connected after their clicks; per session = the difference / N. Also the
         server's CPU use, completed clicks per second and server CPU time per click.
         Streamlit runs ``gc.collect(2)`` after every script run (``runner.postScriptGC``);
         the load test runs with it on (the default) and off.

Each figure is printed next to its target, with whether it is met, in one table, after the
machine's description; a section that fails is reported as FAILED and the others still run.
The machine is shared: a load average above ~0.5 before the run means other work competes for
the 2 cores, and every time can grow.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import logging
import os
import platform
import random
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.streamlit_client import ProtocolError, StreamlitSession
from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS, Server, running_server

ROOT = Path(__file__).resolve().parents[1]
PAGE_TIMEOUT_MS = 60_000
MAX_TOGGLE_CLICKS = 4
TOGGLE_WAIT_S = 4  # a Play or Pause click that has not taken effect by then was ignored
SECTIONS = ("latency", "play", "rerun", "profile", "load")
QUERIES = {100: "lr=auto", 100_000: "n=100000&lr=auto"}

# Targets.
LATENCY_TARGET_MS = {100: 300.0, 100_000: 1000.0}
PLAY_TARGET_STEPS = 10.0
RERUN_TARGET_MS = 50.0
LOAD_TARGET_SESSIONS = 50
LOAD_TARGET_MEDIAN_S = 1.0
LOAD_TARGET_MB_PER_SESSION = 5.0

# In-page JavaScript.
JS_STAMP_CLICKS = """() => {
  window.__clickT0 = null;
  document.addEventListener('pointerdown', () => { window.__clickT0 = performance.now(); },
                            true);
}"""
# Stamps the arrival of every websocket message (before the app handles it).
JS_STAMP_MESSAGES = """(() => {
  const Native = window.WebSocket;
  window.__messageTimes = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => window.__messageTimes.push(performance.now()));
    }
  };
})();"""
JS_READ = """
function readIteration() {
  const card = [...document.querySelectorAll('[data-testid="stMetric"]')]
    .find(c => c.innerText.includes('Iteration'));
  const value = card && card.querySelector('[data-testid="stMetricValue"]');
  return value ? parseInt(value.innerText.replace(/,/g, ''), 10) : null;
}
function readLossPoints() {
  const plot = document.querySelector('.st-key-w-train-loss_chart .js-plotly-plot');
  const trace = plot && plot._fullData && plot._fullData[0];
  return trace && trace.y ? trace.y.length : null;
}
"""
JS_STATE = "() => {" + JS_READ + "return [readIteration(), readLossPoints()]; }"
JS_UPDATED = (
    "([iteration, points]) => {"
    + JS_READ
    + """
  const done = readIteration() === iteration && readLossPoints() === points;
  if (done && window.__doneT === null) window.__doneT = performance.now();
  return done;
}"""
)
JS_START_POLLER = (
    "() => {"
    + JS_READ
    + """
  window.__seen = [];
  let last = null;
  window.__poller = setInterval(() => {
    const value = readIteration();
    if (value !== null && value !== last) {
      last = value;
      window.__seen.push([performance.now(), value]);
    }
  }, 10);
}"""
)
JS_STOP_POLLER = "() => { clearInterval(window.__poller); return window.__seen; }"
JS_PLAY_LABEL = """(label) => [...document.querySelectorAll(
    '.st-key-w-train-play button, .st-key-w-train-pause button')]
  .some(b => b.offsetParent && b.innerText.trim() === label)"""
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


# -- results and the table ----------------------------------------------------------------


@dataclass
class Row:
    """One line of the report."""

    section: str
    measurement: str
    value: str
    target: str = ""
    met: bool | None = None


def percentiles(values: Sequence[float]) -> tuple[float, float]:
    """Median and 95th percentile (linear interpolation)."""
    return float(np.median(values)), float(np.percentile(values, 95))


def verdict(met: bool | None) -> str:
    return "" if met is None else ("yes" if met else "NO")


def print_table(rows: Sequence[Row]) -> None:
    header = Row("section", "measurement", "value", "target", None)
    cells = [(r.section, r.measurement, r.value, r.target, verdict(r.met)) for r in rows]
    cells.insert(0, (header.section, header.measurement, header.value, header.target, "met"))
    widths = [max(len(c[i]) for c in cells) for i in range(5)]
    for index, line in enumerate(cells):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def machine_lines() -> list[str]:
    """CPUs, memory, load, versions."""
    from importlib.metadata import version

    import plotly
    import sklearn
    import streamlit

    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    chromium = subprocess.run(
        [CHROMIUM, "--version"], capture_output=True, text=True, check=False, timeout=30
    ).stdout.strip()
    return [
        f"machine: {model}; {os.cpu_count()} logical CPUs "
        f"({psutil.cpu_count(logical=False)} physical); "
        f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"software: Python {platform.python_version()} on {platform.platform()}; "
        f"streamlit {streamlit.__version__}, numpy {np.__version__}, "
        f"plotly {plotly.__version__}, scikit-learn {sklearn.__version__}, "
        f"playwright {version('playwright')}, psutil {psutil.__version__}; {chromium}",
        f"app: {git_state()}",
    ]


def git_state() -> str:
    """The commit measured, and which tracked files differ from it (read-only git calls)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=30
        ).stdout

    commit = git("log", "-1", "--format=%h %s").strip() or "not a git checkout"
    changed = [line[3:] for line in git("status", "--porcelain").splitlines() if line[:2] != "??"]
    return f"commit {commit}" + (f"; modified: {', '.join(changed)}" if changed else "; clean")


# -- the browser: click-to-update latency and Play ------------------------------------------


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def train_page(browser, url: str) -> Iterator[object]:
    """A Train page in its own browser context (its own Streamlit session), idle."""
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    try:
        page = context.new_page()
        page.add_init_script(JS_STAMP_MESSAGES)
        page.goto(url, timeout=PAGE_TIMEOUT_MS)
        wait_idle(page)
        wait_for(
            page,
            "() => {" + JS_READ + "return readIteration() !== null && readLossPoints() !== null;}",
        )
        page.evaluate(JS_STAMP_CLICKS)
        yield page
    finally:
        context.close()


def wait_for(page, predicate: str, arg: object = None, polling: str | int = 100) -> None:
    """Wait until ``predicate(arg)`` holds in the page; say why if the app shows an error."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(predicate, arg=arg, polling=polling, timeout=PAGE_TIMEOUT_MS)
    except PlaywrightTimeout as error:
        shown = page.locator('[data-testid="stException"]')
        problem = shown.first.inner_text()[:300] if shown.count() else "no exception shown"
        iteration, points = page.evaluate(JS_STATE)
        raise RuntimeError(
            f"waited for {arg!r} in vain: iteration {iteration}, {points} loss points, {problem}"
        ) from error


def wait_idle(page) -> None:
    page.wait_for_selector(IDLE, timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector("h1", timeout=PAGE_TIMEOUT_MS)


def button(page, key: str):
    """The visible button of widget ``key`` (Streamlit also renders a hidden copy)."""
    return page.locator(f".st-key-{re.sub(r'[^a-zA-Z0-9_-]', '-', key)} button:visible").first


def click_at(page, key: str) -> float:
    """Click the button of ``key``; the page's ``performance.now()`` at the press."""
    page.evaluate("() => { window.__clickT0 = null; }")
    button(page, key).click()
    return float(page.evaluate("() => window.__clickT0"))


@dataclass
class ClickTiming:
    """Milliseconds from a click to the update on screen, and to the last server message."""

    rendered: float
    last_message: float


def timed_step(page) -> ClickTiming:
    """Click Step; time until a frame shows the new iteration and the new loss point."""
    iteration, points = page.evaluate(JS_STATE)
    page.evaluate("() => { window.__doneT = null; window.__messageTimes.length = 0; }")
    clicked = click_at(page, "w.train.step")
    wait_for(page, JS_UPDATED, [iteration + 1, points + 1], polling="raf")
    wait_idle(page)
    time.sleep(0.1)
    done, last = page.evaluate("() => [window.__doneT, Math.max(...window.__messageTimes)]")
    return ClickTiming(done - clicked, last - clicked)


def measure_click_latency(browser, url: str, clicks: int, warmup: int) -> list[ClickTiming]:
    with train_page(browser, url) as page:
        for _ in range(warmup):
            timed_step(page)
        return [timed_step(page) for _ in range(clicks)]


@dataclass
class PlayResult:
    """What an in-page poller saw between the Play click and the Pause click, and after."""

    speed: str
    seconds: float  # from the Play click to the (first) Pause click
    iterations: int  # counter delta over that time
    renders: int  # distinct counter values shown over that time
    overrun: int  # iterations still shown after the first Pause click
    overrun_seconds: float  # from the first Pause click to the last change
    ignored_clicks: int  # clicks on Play or Pause that did not take effect
    stopped: bool  # whether Pause took effect at all

    @property
    def steps_per_second(self) -> float:
        return self.iterations / self.seconds

    @property
    def renders_per_second(self) -> float:
        return self.renders / self.seconds


def set_speed(page, speed: str) -> None:
    """Move the Play speed select_slider to ``speed`` with the keyboard."""
    thumb = page.locator(
        '.st-key-w-train-speed input[type="range"], .st-key-w-train-speed [role="slider"]'
    ).first
    thumb.focus()
    for _ in range(8):  # bounded: four speeds
        if thumb.get_attribute("aria-valuetext") == speed:
            break
        thumb.press("ArrowRight")
        time.sleep(0.3)
    wait_idle(page)
    if thumb.get_attribute("aria-valuetext") != speed:
        raise RuntimeError(f"could not set the Play speed to {speed}")


@dataclass
class Toggle:
    """Clicks on the Play/Pause button until it changed (or ``MAX_TOGGLE_CLICKS`` in vain)."""

    first_click: float  # page time of the first click
    clicks: int
    changed: bool

    @property
    def ignored(self) -> int:
        return self.clicks - 1 if self.changed else self.clicks


def press_play_button(page, until: str) -> Toggle:
    """Click the Play/Pause button until it reads ``until`` (at most ``MAX_TOGGLE_CLICKS``);
    a click after which it did not within ``TOGGLE_WAIT_S`` was ignored."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    first = None
    for clicks in range(1, MAX_TOGGLE_CLICKS + 1):
        # Play and Pause are two buttons: the one shown is the other of ``until``.
        clicked = click_at(page, "w.train.play" if until == "Pause" else "w.train.pause")
        first = clicked if first is None else first
        try:
            page.wait_for_function(JS_PLAY_LABEL, arg=until, timeout=TOGGLE_WAIT_S * 1000)
        except PlaywrightTimeout:
            continue
        wait_idle(page)
        return Toggle(first, clicks, changed=True)
    return Toggle(first, MAX_TOGGLE_CLICKS, changed=False)


def measure_play(browser, url: str, speed: str, seconds: float) -> PlayResult:
    with train_page(browser, url) as page:
        if speed != "fast":
            set_speed(page, speed)
        page.evaluate(JS_START_POLLER)
        play = press_play_button(page, until="Pause")
        if not play.changed:
            raise RuntimeError(f"Play did not start after {play.clicks} clicks")
        time.sleep(seconds)
        pause = press_play_button(page, until="Play")
        time.sleep(1.0)
        seen = page.evaluate(JS_STOP_POLLER)
    played, paused = play.first_click, pause.first_click
    start = max((v for t, v in seen if t <= played), default=0)
    during = [v for t, v in seen if played < t <= paused]
    at_pause = during[-1] if during else start
    after = [(t, v) for t, v in seen if t > paused]
    return PlayResult(
        speed=speed,
        seconds=(paused - played) / 1000,
        iterations=at_pause - start,
        renders=len(during),
        overrun=after[-1][1] - at_pause if after else 0,
        overrun_seconds=(after[-1][0] - paused) / 1000 if after else 0.0,
        ignored_clicks=play.ignored + pause.ignored,
        stopped=pause.changed,
    )


def count_ignored_clicks(
    browser, url: str, speed: str, rounds: int, seconds: float
) -> tuple[int, int]:
    """Play for ``seconds`` and Pause, ``rounds`` times (stopping early if the page cannot be
    stopped): how many clicks were ignored, of how many."""
    ignored = total = 0
    with train_page(browser, url) as page:
        if speed != "fast":
            set_speed(page, speed)
        for _ in range(rounds):
            for until in ("Pause", "Play"):
                toggle = press_play_button(page, until)
                ignored, total = ignored + toggle.ignored, total + toggle.clicks
                if not toggle.changed:
                    return ignored, total
                time.sleep(seconds if until == "Pause" else 0.5)
    return ignored, total


# -- AppTest: server-side rerun time and a profile ------------------------------------------


def train_app_test(n: int):
    """An AppTest on the Train page at ``n`` samples (auto learning rate), run once."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.query_params["n"] = str(n)
    app.query_params["lr"] = "auto"
    app.run()
    app.switch_page("pages/2_Train.py")
    app.run()
    if app.exception:
        raise RuntimeError(f"the Train page raised: {app.exception[0].message}")
    return app


def click_step(app) -> float:
    start = time.perf_counter()
    app.button(key="w.train.step").click().run()
    return (time.perf_counter() - start) * 1000


def measure_reruns(n: int, repeats: int, warmup: int = 3) -> list[float]:
    app = train_app_test(n)
    for _ in range(warmup):
        click_step(app)
    times = [click_step(app) for _ in range(repeats)]
    iteration = next(m.value for m in app.metric if m.label == "Iteration")
    if int(iteration.replace(",", "")) != warmup + repeats:
        raise RuntimeError(f"AppTest: Iteration is {iteration}, expected {warmup + repeats}")
    return times


@dataclass
class Timer:
    """Inclusive wall time and calls of one instrumented function."""

    seconds: float = 0.0
    calls: int = 0


def timed(function: Callable, timer: Timer) -> Callable:
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            timer.seconds += time.perf_counter() - start
            timer.calls += 1

    return wrapper


@contextlib.contextmanager
def timed_calls(targets: Sequence[tuple[str, object, str]]) -> Iterator[dict[str, Timer]]:
    """Time every call of ``owner.name`` (per label; a label may name several targets)."""
    timers: dict[str, Timer] = {}
    originals: list[tuple[object, str, object]] = []
    try:
        for label, owner, name in targets:
            if not hasattr(owner, name):  # the app changed: time what is still there
                continue
            original = getattr(owner, name)
            originals.append((owner, name, original))
            setattr(owner, name, timed(original, timers.setdefault(label, Timer())))
        yield timers
    finally:
        for owner, name, original in reversed(originals):
            setattr(owner, name, original)


def rerun_parts() -> list[tuple[str, object, str]]:
    """What a Train-page rerun does, as (label, owner, attribute) to instrument.

    Nested parts are marked: ``views.progress`` calls ``views.loss_values``; both figure
    builders call ``figures._layout``; ``state.step`` calls ``state.dataset``.
    """
    import streamlit
    from streamlit.elements.arrow import ArrowMixin
    from streamlit.elements.plotly_chart import PlotlyMixin
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    from ui import figures, page, state, views

    return [
        ("whole script run (AppTest skips postScriptGC)", ScriptRunner, "_run_script"),
        ("page.setup (session, sidebar)", page, "setup"),
        ("state.step (one training step, the callback)", state, "step"),
        ("state.dataset (cached data, a copy per call)", state, "dataset"),
        ("views.progress (the metrics)", views, "progress"),
        ("  in it and for the chart: views.loss_values", views, "loss_values"),
        ("views.model_figure (build the model chart)", views, "model_figure"),
        ("figures.loss_history (build the loss chart)", figures, "loss_history"),
        ("  in both builders: figures._layout", figures, "_layout"),
        ("st.plotly_chart (serialise the charts)", PlotlyMixin, "plotly_chart"),
        ("st.plotly_chart (serialise the charts)", streamlit, "plotly_chart"),
        ("st.dataframe (the parameter table)", ArrowMixin, "dataframe"),
        ("st.dataframe (the parameter table)", streamlit, "dataframe"),
    ]


def profile_rerun(n: int, repeats: int) -> tuple[dict[str, Timer], float]:
    """Instrumented AppTest reruns after a Step click: time per part; gc.collect(2) time."""
    app = train_app_test(n)
    with timed_calls(rerun_parts()) as timers:
        for _ in range(3):  # warm up; the Step callback is registered (timed) on a rerun
            click_step(app)
        for timer in timers.values():
            timer.seconds, timer.calls = 0.0, 0
        for _ in range(repeats):
            click_step(app)
    collections = []
    for _ in range(5):
        start = time.perf_counter()
        gc.collect(2)
        collections.append(time.perf_counter() - start)
    return timers, float(np.median(collections))


# -- load: concurrent protocol-level sessions ----------------------------------------------


@dataclass
class LoadResult:
    sessions: int
    post_script_gc: bool
    latencies: list[float] = field(default_factory=list)  # seconds per click
    errors: list[str] = field(default_factory=list)
    rss_base: int = 0
    rss_loaded: int = 0
    seconds: float = 0.0  # wall time of the clicking phase
    cpu_seconds: float = 0.0  # server CPU time over it

    @property
    def mb_per_session(self) -> float:
        return (self.rss_loaded - self.rss_base) / self.sessions / 2**20

    @property
    def clicks_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


@dataclass
class LoadPlan:
    steps: int
    think: float  # mean seconds between a session's clicks
    query: str = QUERIES[100]
    timeout: float = 120.0  # any one wait: a rerun, opening the page, a barrier

    @property
    def phase_timeout(self) -> float:
        """The longest wait for all sessions to finish clicking."""
        return self.timeout * max(1, self.steps)


def session_worker(
    url: str, plan: LoadPlan, seed: int, gates: tuple[threading.Barrier, ...], out: LoadResult
) -> None:
    """One user: open the page, wait, click Step ``plan.steps`` times with think times."""
    connected, clicked, done = gates
    rng = random.Random(seed)
    try:
        with StreamlitSession(url, timeout=plan.timeout) as session:
            session.open_page("Train", plan.query)
            opened = without_iter(session.query_string)
            connected.wait(plan.timeout)
            time.sleep(rng.uniform(0, plan.think))  # users do not click in step
            for step in range(plan.steps):
                out.latencies.append(session.click("w.train.step").seconds)
                if step + 1 < plan.steps:
                    time.sleep(rng.uniform(0.5, 1.5) * plan.think)
            if session.metrics.get("Iteration") != f"{plan.steps:,}":
                out.errors.append(f"Iteration {session.metrics.get('Iteration')} != {plan.steps}")
            if without_iter(session.query_string) != opened:  # a widget value was misread
                out.errors.append(f"settings changed: {opened} -> {session.query_string}")
            clicked.wait(plan.phase_timeout)
            done.wait(plan.timeout)  # stay connected until the memory is measured
    except (ProtocolError, OSError, threading.BrokenBarrierError) as error:
        out.errors.append(f"{type(error).__name__}: {error}")
        for gate in gates:
            gate.abort()


def without_iter(query_string: str) -> str:
    """The run's settings from a Train-page query string, without its iteration."""
    return "&".join(part for part in query_string.split("&") if not part.startswith("iter="))


def warm_up(server: Server, plan: LoadPlan) -> None:
    """One session through the page (imports, caches, the data set), then disconnected."""
    with StreamlitSession(server.url, timeout=plan.timeout) as session:
        session.open_page("Train", plan.query)
        for _ in range(3):
            session.click("w.train.step")
    time.sleep(1.0)


def run_load(sessions: int, post_script_gc: bool, plan: LoadPlan) -> LoadResult:
    result = LoadResult(sessions, post_script_gc)
    log = f"bench-load-{sessions}-gc{int(post_script_gc)}"
    with running_server(log, [gc_flag(post_script_gc)]) as server:
        warm_up(server, plan)
        result.rss_base = server.rss_bytes()
        gates = tuple(threading.Barrier(sessions + 1) for _ in range(3))
        threads = [
            threading.Thread(
                target=session_worker, args=(server.url, plan, seed, gates, result), daemon=True
            )
            for seed in range(sessions)
        ]
        for thread in threads:
            thread.start()
        completed = False
        try:
            gates[0].wait(plan.timeout)
            start, cpu = time.perf_counter(), server.cpu_seconds()
            gates[1].wait(plan.phase_timeout)
            result.seconds = time.perf_counter() - start
            result.cpu_seconds = server.cpu_seconds() - cpu
            result.rss_loaded = server.rss_bytes()
            gates[2].wait(plan.timeout)
            completed = True
        except threading.BrokenBarrierError:
            result.errors.append("a session failed; the run was aborted")
        finally:
            if not completed:  # release every session still waiting
                for gate in gates:
                    gate.abort()
            for thread in threads:
                thread.join(plan.timeout)
    return result


# -- the sections -------------------------------------------------------------------------


@dataclass
class Config:
    clicks: int
    warmup: int
    play_seconds: float
    speeds: tuple[str, ...]
    toggle_rounds: int
    toggle_play_seconds: float
    reruns: int
    profile_reruns: int
    sessions: tuple[int, ...]
    steps: int
    think: float


def gc_flag(post_script_gc: bool) -> str:
    return f"--runner.postScriptGC={str(post_script_gc).lower()}"


def gc_note(post_script_gc: bool) -> str:
    return "" if post_script_gc else ", postScriptGC=false"


def latency_rows(
    browser, server: Server, config: Config, sizes: Sequence[int], post_script_gc: bool
) -> list[Row]:
    rows = []
    for n in sizes:
        url = f"{server.url}/Train?{QUERIES[n]}"
        timings = measure_click_latency(browser, url, config.clicks, config.warmup)
        rendered = [t.rendered for t in timings]
        median, p95 = percentiles(rendered)
        last_median, last_p95 = percentiles([t.last_message for t in timings])
        target = LATENCY_TARGET_MS[n]
        rows.append(
            Row(
                "latency",
                f"click Step -> metric + loss chart drawn, n={n:,}{gc_note(post_script_gc)} "
                f"({len(timings)} clicks)",
                f"median {median:.0f} ms, p95 {p95:.0f} ms (min {min(rendered):.0f})",
                f"median < {target:.0f} ms",
                median < target,
            )
        )
        rows.append(
            Row(
                "latency",
                f"  of which: click -> last websocket message, n={n:,}",
                f"median {last_median:.0f} ms, p95 {last_p95:.0f} ms",
            )
        )
    return rows


def play_rows(
    browser, server: Server, config: Config, speeds: Sequence[str], post_script_gc: bool
) -> list[Row]:
    rows = []
    url = f"{server.url}/Train?lr=auto&max_iter=100000"
    for speed in speeds:
        result = measure_play(browser, url, speed, config.play_seconds)
        target = PLAY_TARGET_STEPS if speed == "fast" else None
        ignored = f" (ignored clicks: {result.ignored_clicks})" if result.ignored_clicks else ""
        if not result.stopped:
            ignored += f"; still playing after {MAX_TOGGLE_CLICKS} Pause clicks"
        rows.append(
            Row(
                "play",
                f"Play at '{speed}' for {config.play_seconds:g} s, n=100{gc_note(post_script_gc)}",
                f"{result.steps_per_second:.1f} steps/s, {result.renders_per_second:.1f} "
                f"renders/s ({result.iterations} steps in {result.seconds:.1f} s); "
                f"{result.overrun} more steps in {result.overrun_seconds:.1f} s after Pause"
                + ignored,
                f">= {PLAY_TARGET_STEPS:g} steps/s" if target else "(none)",
                None if target is None else result.steps_per_second >= target,
            )
        )
    for speed in speeds:
        ignored, clicks = count_ignored_clicks(
            browser, url, speed, config.toggle_rounds, config.toggle_play_seconds
        )
        rows.append(
            Row(
                "play",
                f"Play, {config.toggle_play_seconds:g} s of '{speed}', Pause: "
                f"{config.toggle_rounds} rounds{gc_note(post_script_gc)}",
                f"{ignored} of {clicks} clicks on Play/Pause ignored "
                f"(no effect {TOGGLE_WAIT_S} s later)",
                "none ignored",
                ignored == 0,
            )
        )
    return rows


def rerun_rows(config: Config) -> list[Row]:
    rows = []
    for n in QUERIES:
        times = measure_reruns(n, config.reruns)
        median, p95 = percentiles(times)
        rows.append(
            Row(
                "rerun",
                f"AppTest Step click + whole-page rerun, n={n:,} ({len(times)} runs)",
                f"median {median:.0f} ms, p95 {p95:.0f} ms (min {min(times):.0f})",
                f"median < {RERUN_TARGET_MS:.0f} ms",
                median < RERUN_TARGET_MS,
            )
        )
    return rows


def profile_rows(config: Config) -> list[Row]:
    rows = []
    for n in QUERIES:
        timers, collect = profile_rerun(n, config.profile_reruns)
        runs = config.profile_reruns
        total = next(iter(timers.values())).seconds / runs
        for label, timer in timers.items():
            per_run = timer.seconds / runs
            rows.append(
                Row(
                    "profile",
                    f"n={n:,}: {label}",
                    f"{per_run * 1000:.1f} ms ({per_run / total:.0%}), "
                    f"calls per rerun: {timer.calls / runs:g}",
                )
            )
        rows.append(
            Row(
                "profile",
                f"n={n:,}: one gc.collect(2) in this process (what postScriptGC adds)",
                f"{collect * 1000:.1f} ms",
            )
        )
    return rows


def load_rows(config: Config) -> list[Row]:
    plan = LoadPlan(steps=config.steps, think=config.think)
    rows = []
    for post_script_gc in (True, False):
        for sessions in config.sessions:
            steps = max(5, min(plan.steps, 500 // sessions))  # at most ~500 clicks per run
            run_plan = LoadPlan(steps, plan.think)
            rows.extend(load_result_rows(run_load(sessions, post_script_gc, run_plan), run_plan))
    return rows


def load_result_rows(result: LoadResult, plan: LoadPlan) -> list[Row]:
    name = f"N={result.sessions}, postScriptGC={str(result.post_script_gc).lower()}"
    if result.errors or not result.latencies:
        errors = "; ".join(sorted(set(result.errors)))[:200] or "no clicks completed"
        return [Row("load", f"{name}: FAILED", errors, "", False)]
    median, p95 = percentiles(result.latencies)
    judged = result.sessions == LOAD_TARGET_SESSIONS
    return [
        Row(
            "load",
            f"{name}: Step latency ({plan.steps} clicks each, think {plan.think:g} s, "
            f"{len(result.latencies)} in all)",
            f"median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms",
            f"median < {LOAD_TARGET_MEDIAN_S:g} s at N={LOAD_TARGET_SESSIONS}" if judged else "",
            median < LOAD_TARGET_MEDIAN_S if judged else None,
        ),
        Row(
            "load",
            f"{name}: server RSS, warm / all connected",
            f"{result.rss_base / 2**20:.0f} MB / {result.rss_loaded / 2**20:.0f} MB "
            f"= {result.mb_per_session:.2f} MB per session",
            f"< {LOAD_TARGET_MB_PER_SESSION:g} MB per session" if judged else "",
            result.mb_per_session < LOAD_TARGET_MB_PER_SESSION if judged else None,
        ),
        Row(
            "load",
            f"{name}: throughput, server CPU",
            f"{result.clicks_per_second:.1f} clicks/s; CPU "
            f"{result.cpu_seconds / result.seconds:.0%} of one core, "
            f"{result.cpu_seconds / len(result.latencies) * 1000:.0f} ms per click",
        ),
    ]


def configure(args: argparse.Namespace) -> Config:
    if args.quick:
        return Config(
            clicks=10,
            warmup=2,
            play_seconds=5.0,
            speeds=("fast",),
            toggle_rounds=3,
            toggle_play_seconds=2.0,
            reruns=10,
            profile_reruns=5,
            sessions=tuple(args.sessions or (1, 10)),
            steps=5,
            think=args.think,
        )
    return Config(
        clicks=30,
        warmup=3,
        play_seconds=10.0,
        speeds=("fast", "turbo"),
        toggle_rounds=5,
        toggle_play_seconds=2.0,
        reruns=30,
        profile_reruns=10,
        sessions=tuple(args.sessions or (1, 20, LOAD_TARGET_SESSIONS)),
        steps=20,
        think=args.think,
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (~2 min)")
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run, of {','.join(SECTIONS)} (default: all)",
    )
    parser.add_argument(
        "--sessions",
        type=int,
        nargs="+",
        help="concurrent sessions of the load test (default: 1 20 50; --quick: 1 10)",
    )
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean seconds between one session's clicks"
    )
    args = parser.parse_args(argv)
    args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    return args


def run_browser_sections(sections: Sequence[str], config: Config) -> list[Row]:
    """On the default server, then (fewer cases) on one with ``runner.postScriptGC=false``."""
    rows: list[Row] = []
    passes = ((True, tuple(QUERIES), config.speeds), (False, (100,), ("fast",)))
    with chromium() as browser:
        for post_script_gc, sizes, speeds in passes:
            log = f"bench-browser-gc{int(post_script_gc)}"
            with running_server(log, [gc_flag(post_script_gc)]) as server:
                if "latency" in sections:
                    rows += latency_rows(browser, server, config, sizes, post_script_gc)
                if "play" in sections:
                    rows += play_rows(browser, server, config, speeds, post_script_gc)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    config = configure(args)
    # AppTest's bare mode warns that the main thread has no ScriptRunContext; it need not.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").disabled = True
    os.chdir(ROOT)
    for line in machine_lines():
        print(line)
    print(f"sections: {', '.join(args.sections)}{' (quick)' if args.quick else ''}\n")
    start = time.perf_counter()
    steps: list[tuple[Sequence[str], Callable[[], list[Row]]]] = [
        (("latency", "play"), lambda: run_browser_sections(args.sections, config)),
        (("rerun",), lambda: rerun_rows(config)),
        (("profile",), lambda: profile_rows(config)),
        (("load",), lambda: load_rows(config)),
    ]
    rows: list[Row] = []
    for names, run in steps:
        if set(names) & set(args.sections):
            try:
                rows += run()
            except Exception as error:  # report it and go on with the other sections
                message = f"{type(error).__name__}: {error}".replace("\n", " ")[:300]
                rows.append(Row("/".join(names), "FAILED", message, "", False))
    print_table(rows)
    print(f"\ntotal time {time.perf_counter() - start:.0f} s")
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
