"""What a click and Play cost in the app, measured through public tools only.

Run from the repository root: ``python benchmarks/bench_app.py`` (about 5 minutes on 2
cores; ``--only rerun,figures`` picks sections). Each figure is printed next to its target
and to a named baseline: the first release, as measured in issue 12 on this machine type.

rerun    Server side, in this process: ``streamlit.testing.v1.AppTest`` clicks Step on the
         Train page and reruns it (the whole page, not only the fragment a browser reruns;
         AppTest's own bookkeeping included). n = 100 and n = 100,000.
figures  The two Train figures as the page builds them (``ui.views.model_figure`` and
         ``ui.views.loss_figure``) at n = 100; then, apart, their JSON for the browser
         (``ui.live_chart.figure_json``), which drawing them adds.
click    A real ``streamlit run app.py --server.headless=true`` and headless Chromium
         (Playwright, Debian's /usr/bin/chromium): from the pointerdown on Step to the first
         animation frame that shows both the new Iteration metric and the new point of the
         loss chart. n = 100 and n = 100,000.
cpu      The server process's CPU time (psutil) over 30 of those clicks at n = 100, minus
         what it uses idle, per click. With ``floor``, n = 100's click and cpu are measured
         in turns with the floor's (see floor).
play     Play on that server, over 8 s of Play at "fast" and at "smooth": the distinct
         drawings of the probability chart per second (sampled on every animation frame; at
         both speeds the browser animates a tick's steps, one drawing each), and, at "fast",
         the distinct Iteration values shown per second (one a tick).
profile  Where the server's time per Step click goes: AppTest clicks Step on the Train page
         (n = 100) with the parts of the click timed inclusively by wrapping them (the
         Step itself; the live fragment's rows, which a Step reruns in a browser, and in
         them the figures, their JSON, the chart element, the metrics, the parameters; the
         controls and the expanders below, which AppTest reruns too and a browser's Step
         does not); the rest is Streamlit's own work for the elements those rows make.
floor    The same click and cpu measurements on ``benchmarks/floor_app.py`` (a Step button,
         a metric and two ``st.plotly_chart`` charts of the Train page's sizes), served the
         same way in the same run and measured in turns with the app's n = 100 figures:
         both servers up, one browser with both pages open, blocks of 10 clicks on each
         page in turn (4 rounds; the CPU of each block minus its server's idle use just
         before), so that the machine's drift during the run reaches both alike (measured
         one after the other, minutes apart, the floor's CPU per click moved between 8 and
         14 ms from run to run). Then the first load of each, in turns: a fresh browser
         context opens the page (the app's /Train, the floor's /) and waits for both charts
         to be drawn, counting the bytes the server sent (compressed, as sent, headers
         included: Chromium's encodedDataLength) until the network is idle. The app's figures
         are then printed as ratios to the floor's, beside the goals of issue 21.
The load through a balancer is ``benchmarks/bench_load.py``; the core is
``benchmarks/bench_core.py``. Times on a shared machine vary: the load average is printed
first, and a run beside other work (load above ~0.5) is flagged.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ui.lab import PLAY_SPEEDS  # noqa: E402  (the app's own speeds, from the root above)

CHROMIUM = "/usr/bin/chromium"
SECTIONS = ("rerun", "figures", "profile", "click", "cpu", "play", "floor")
FAST_SECONDS, FAST_STEPS = PLAY_SPEEDS["fast"]
FAST_STEPS_PER_SECOND = FAST_STEPS / FAST_SECONDS  # what Play "fast" asks for
LOADS = 5  # first loads of each page, in turns
ROUNDS, BLOCK = 4, 10  # the app and the floor clicked in turns: rounds of a block each
PLAY_SECONDS = 8.0
BUSY_LOAD = 0.5

# The first release, measured in issue 12 (same machine type, 2 cores): baselines.
BASELINE = {
    "rerun 100": 68.0,
    "rerun 100000": 191.0,
    "figures": 38.0,
    "click 100": 263.0,  # 253-273
    "click 100000": 711.0,
    "cpu": 53.0,
    "fast": 4.5,  # 4.0-4.9 rendered steps/s
}
TARGET = {
    "rerun 100": ("<", 20.0),
    "rerun 100000": ("<", 50.0),
    "figures": ("<", 5.0),
    "click 100": ("<", 150.0),
    "click 100000": None,
    "cpu": ("<=", 15.0),
    "fast": (">=", 10.0),
    "smooth": (">=", 24.0),
}

# -- in-page JavaScript -----------------------------------------------------------------------

READ = """
const iteration = () => {
  const card = [...document.querySelectorAll('[data-testid="stMetric"]')]
    .find(c => c.innerText.startsWith('Iteration'));
  const value = card && card.querySelector('[data-testid="stMetricValue"]');
  return value ? parseInt(value.innerText.replace(/,/g, ''), 10) : null;
};
const lossPoints = () => {
  const gd = document.querySelector('.st-key-w-train-loss_chart .js-plotly-plot');
  const line = gd && gd._fullData && gd._fullData.find(t => t.name === 'from scratch');
  return line ? line.x.length : null;
};
const drawing = () => {
  const gd = document.querySelector('.st-key-w-train-model_chart .js-plotly-plot');
  return gd ? [...gd.querySelectorAll('.scatterlayer .js-line, .imagelayer image')]
    .map(e => e.getAttribute('d') || e.getAttribute('href') || '').join('|') : null;
};
"""
STAMP_CLICKS = """() => { window.labClick = null;
  document.addEventListener('pointerdown', () => { window.labClick = performance.now(); },
                            true); }"""
STATE = "() => {" + READ + "return [iteration(), lossPoints()]; }"
READY = "() => {" + READ + "return iteration() !== null && lossPoints() !== null; }"
DRAWN = "([i, points]) => {" + READ + "return iteration() === i && lossPoints() === points; }"
# Records, on every animation frame, each new Iteration value and each new drawing.
RECORD = (
    "() => {"
    + READ
    + """
  window.labSeen = {iterations: [], drawings: []};
  let lastIteration = null, lastDrawing = null;
  const sample = () => {
    const now = performance.now(), i = iteration(), d = drawing();
    if (i !== null && i !== lastIteration) { window.labSeen.iterations.push([now, i]); }
    if (d !== null && d !== lastDrawing) { window.labSeen.drawings.push(now); }
    lastIteration = i; lastDrawing = d;
    window.labRecording = requestAnimationFrame(sample);
  };
  sample();
}"""
)
STOP = "() => { cancelAnimationFrame(window.labRecording); return window.labSeen; }"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# Both charts drawn (the app's component and st.plotly_chart both draw into a plotly div).
CHARTS_DRAWN = """() => [...document.querySelectorAll('.js-plotly-plot')]
  .filter(gd => gd._fullLayout && gd._fullData && gd._fullData.length).length >= 2"""


# -- results ----------------------------------------------------------------------------------


@dataclass
class Result:
    name: str  # a key of BASELINE / TARGET
    label: str
    value: float
    unit: str
    detail: str = ""

    def target_met(self) -> str:
        target = TARGET.get(self.name)
        if target is None:
            return ""
        sign, bound = target
        met = {"<": self.value < bound, "<=": self.value <= bound, ">=": self.value >= bound}
        return f"{sign} {bound:g} {self.unit}: {'met' if met[sign] else 'NOT MET'}"

    def against_baseline(self) -> str:
        old = BASELINE.get(self.name)
        if old is None:
            return "new"
        higher_is_better = self.unit.endswith("/s")
        ratio = self.value / old if higher_is_better else old / self.value
        return f"{old:g} {self.unit}: {ratio:.1f}x {'more' if higher_is_better else 'faster'}"


def median_p95(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), float(np.percentile(values, 95))


def print_table(results: list[Result]) -> None:
    rows = [("measurement", "value", "target", "first release")]
    for r in results:
        value = f"{r.value:.1f} {r.unit}" + (f" ({r.detail})" if r.detail else "")
        rows.append((r.label, value, r.target_met(), r.against_baseline()))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


# -- server side: AppTest reruns and the figures ---------------------------------------------


def train_app(n: int):
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.query_params.update({"n": str(n), "lr": "auto"})
    app.run()
    app.switch_page("pages/2_Train.py")
    app.run()
    if app.exception:
        raise RuntimeError(f"the Train page raised: {app.exception[0].message}")
    return app


def timed_ms(action: Callable[[], object], repeats: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        action()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def bench_rerun(quick: bool) -> list[Result]:
    results = []
    for n in (100, 100_000):
        app = train_app(n)
        step = app.button(key="w.train.step")
        times = timed_ms(lambda step=step: step.click().run(), 10 if quick else 30)
        median, p95 = median_p95(times)
        results.append(
            Result(f"rerun {n}", f"AppTest Step + rerun, n={n:,}", median, "ms", f"p95 {p95:.1f}")
        )
    return results


def bench_figures(quick: bool) -> list[Result]:
    from streamlit.logger import set_log_level

    set_log_level("error")  # outside a server, Streamlit's caches warn of no runtime
    from ui import live_chart, views
    from ui.lab import Lab
    from ui.services import MemoryServices

    lab = Lab(MemoryServices())  # the seed's data, as the Train page opens
    lab.update_settings(learning_rate=None)
    lab.step(30)
    model, dataset, report, reference = lab.model, lab.dataset, lab.report(), lab.reference()
    schedule, view = list(lab.run.schedule), lab.view

    def build() -> tuple:
        model_chart = views.model_figure(
            model, dataset, reference=reference, title="t", large=False, height=315
        )
        loss_chart = views.loss_figure(
            model, report, schedule, view, title="t", large=False, height=315
        )
        return model_chart, loss_chart

    figures = build()
    repeats = 50 if quick else 200
    built = statistics.median(timed_ms(build, repeats))
    serialised = statistics.median(
        timed_ms(lambda: [live_chart.figure_json(spec) for spec in figures], repeats)
    )
    return [
        Result("figures", "both Train figures built, n=100", built, "ms"),
        Result("to_json", "  and their JSON (live_chart.figure_json)", serialised, "ms"),
    ]


# The parts of a Step click (module, attribute): each timed inclusively (a part inside
# another counts in both), in the order printed.
PROFILED = (
    ("ui.lab", "Lab.step", "the step (the button's callback)"),
    ("ui.training", "live_rows", "the live fragment's rows (what a Step reruns)"),
    ("ui.training", "metrics", "  the metrics"),
    ("ui.training", "charts", "  both charts"),
    ("ui.views", "model_panel_figure", "    the model figure built"),
    ("ui.views", "loss_figure", "    the loss figure built"),
    ("ui.live_chart", "serialise", "    their JSON"),
    ("ui.live_chart", "_component", "    the chart element (component)"),
    ("ui.training", "point_panel", "  the point panel"),
    ("ui.training", "parameters", "  the parameters"),
    ("ui.lab", "Lab.report", "the report (cached per state; live and controls)"),
    ("ui.training", "action_row", "controls: the row of buttons (a Step: not rerun)"),
    ("ui.training", "settings_row", "controls: the rate controls and More"),
    ("ui.training", "view_row", "controls: the chart controls"),
    ("ui.training", "share_links", "below: Share this run (not rerun)"),
    ("ui.training", "take_home", "below: Take this run home"),
)


def bench_profile(quick: bool) -> list[Result]:
    import importlib

    spent: dict[str, float] = {}
    calls: dict[str, int] = {}
    originals = []

    def timed(label: str, function: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - start
                calls[label] = calls.get(label, 0) + 1

        return wrapper

    for module_name, attribute, label in PROFILED:
        owner = importlib.import_module(module_name)
        *classes, name = attribute.split(".")
        for class_name in classes:
            owner = getattr(owner, class_name)
        originals.append((owner, name, getattr(owner, name)))
        setattr(owner, name, timed(label, getattr(owner, name)))
    try:
        app = train_app(100)
        step = app.button(key="w.train.step")
        clicks = 10 if quick else 30
        for _ in range(3):
            step.click().run()
        spent.clear()
        calls.clear()
        for _ in range(clicks):
            step.click().run()
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
    results = []
    fragment = spent.get("the live fragment's rows (what a Step reruns)", 0.0)
    for _, _, label in PROFILED:
        ms = 1000 * spent.get(label, 0.0) / clicks
        share = f"{100 * spent.get(label, 0.0) / fragment:.0f}% of the rows" if fragment else ""
        per_click = f"{calls.get(label, 0) / clicks:g} calls/click"
        results.append(Result("profile", f"profile: {label}", ms, "ms", f"{share}, {per_click}"))
    return results


# -- the browser -------------------------------------------------------------------------------


@contextlib.contextmanager
def app_server(script: str = "app.py") -> Iterator[tuple[str, psutil.Process]]:
    """``streamlit run script`` (from the repository root) on a free loopback port, until
    the block ends."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    streamlit = shutil.which("streamlit") or str(Path(sys.executable).with_name("streamlit"))
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [streamlit, "run", script, "--server.headless=true", f"--server.port={port}",
             "--server.address=127.0.0.1", "--browser.gatherUsageStats=false"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                with contextlib.suppress(OSError):
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                        break
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"the app exited: {log.read().decode()[-2000:]}")
                time.sleep(0.1)
            yield url, psutil.Process(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=20)


@contextlib.contextmanager
def train_page(url: str, query: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            yield open_train_page(browser, f"{url}/Train?{query}")
        finally:
            browser.close()


def click_step(page) -> float:
    """Click Step; milliseconds until a frame shows the new iteration and loss point."""
    iteration, points = page.evaluate(STATE)
    page.locator(".st-key-w-train-step button:visible").first.click()
    page.wait_for_function(DRAWN, arg=[iteration + 1, points + 1], polling="raf", timeout=60_000)
    drawn = page.evaluate("() => performance.now()")
    page.wait_for_selector(IDLE, timeout=60_000)
    time.sleep(0.1)  # a person does not click within the same frame
    return drawn - page.evaluate("() => window.labClick")


def click_times(url: str, query: str, quick: bool) -> list[float]:
    with train_page(url, query) as page:
        return [click_step(page) for _ in range(3 + (10 if quick else 30))][3:]


def bench_click(url: str, quick: bool, sizes: tuple[int, ...] = (100, 100_000)) -> list[Result]:
    results = []
    for n in sizes:
        median, p95 = median_p95(click_times(url, f"n={n}&lr=auto", quick))
        results.append(
            Result(f"click {n}", f"Step click -> drawn, n={n:,}", median, "ms", f"p95 {p95:.0f}")
        )
    return results


def cpu_seconds(server: psutil.Process) -> float:
    times = server.cpu_times()
    return times.user + times.system


def clicks_and_cpu(page, server: psutil.Process, clicks: int, idle_seconds: float):
    """``clicks`` Step clicks on ``page``: their click -> drawn times, and the CPU seconds
    ``server`` spent meanwhile minus its idle use (measured over ``idle_seconds`` before)."""
    idle_start, idle_cpu = time.perf_counter(), cpu_seconds(server)
    time.sleep(idle_seconds)
    idle_rate = (cpu_seconds(server) - idle_cpu) / (time.perf_counter() - idle_start)
    start, cpu = time.perf_counter(), cpu_seconds(server)
    times = [click_step(page) for _ in range(clicks)]
    return times, cpu_seconds(server) - cpu - idle_rate * (time.perf_counter() - start)


def bench_cpu(url: str, server: psutil.Process, quick: bool) -> list[Result]:
    clicks = 10 if quick else 30
    with train_page(url, "lr=auto") as page:
        for _ in range(3):
            click_step(page)
        _, spent = clicks_and_cpu(page, server, clicks, idle_seconds=3.0)
    return [Result("cpu", "server CPU per Step click, n=100", 1000 * spent / clicks, "ms")]


def open_train_page(browser, url: str):
    """A page of ``browser`` on ``url``, ready to be clicked (see :func:`train_page`)."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(url, timeout=120_000)
    page.wait_for_function(READY, timeout=120_000)
    page.wait_for_selector(IDLE, timeout=120_000)
    page.evaluate(STAMP_CLICKS)
    return page


def bench_in_turns(
    app: tuple[str, psutil.Process], floor: tuple[str, psutil.Process], quick: bool
) -> list[Result]:
    """Step click -> drawn and server CPU per click of the app (n = 100) and of the floor,
    in turns: ``ROUNDS`` blocks of ``BLOCK`` clicks on each page (see the module's doc)."""
    from playwright.sync_api import sync_playwright

    clicks = {"app": [], "floor": []}
    spent = {"app": 0.0, "floor": 0.0}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            pages = {
                "app": (open_train_page(browser, f"{app[0]}/Train?lr=auto"), app[1]),
                "floor": (open_train_page(browser, f"{floor[0]}/"), floor[1]),
            }
            for page, _ in pages.values():
                for _ in range(3):
                    click_step(page)
            for _ in range(2 if quick else ROUNDS):
                for who, (page, server) in pages.items():
                    times, cpu = clicks_and_cpu(page, server, BLOCK, idle_seconds=1.0)
                    clicks[who] += times
                    spent[who] += cpu
        finally:
            browser.close()
    # who: (click's name, its label, CPU's name, its label)
    named = {
        "app": ("click 100", "Step click -> drawn, n=100",
                "cpu", "server CPU per Step click, n=100"),
        "floor": ("floor click", "Step click -> drawn (floor)",
                  "floor cpu", "server CPU per Step click, n=100 (floor)"),
    }  # fmt: skip
    results = []
    for who, (click_name, click_label, cpu_name, cpu_label) in named.items():
        median, p95 = median_p95(clicks[who])
        results += [
            Result(click_name, click_label, median, "ms", f"p95 {p95:.0f}, in turns"),
            Result(cpu_name, cpu_label, 1000 * spent[who] / len(clicks[who]), "ms", "in turns"),
        ]
    return results


def play(url: str, speed: str) -> tuple[float, float]:
    """Play ``PLAY_SECONDS`` at ``speed``: iterations drawn per second and drawings per second
    of the probability chart, from the Play click to the Pause click."""
    with train_page(url, f"lr=auto&speed={speed}") as page:
        page.evaluate(RECORD)
        played = page.evaluate("() => performance.now()")
        page.locator(".st-key-w-train-play button:visible").first.click()
        time.sleep(PLAY_SECONDS)
        paused = page.evaluate("() => performance.now()")
        page.locator(".st-key-w-train-pause button:visible").first.click()
        seen = page.evaluate(STOP)
    shown = [t for t, _ in seen["iterations"] if played < t <= paused]
    drawings = [t for t in seen["drawings"] if played < t <= paused]
    seconds = (paused - played) / 1000
    return len(shown) / seconds, len(drawings) / seconds


def bench_play(url: str) -> list[Result]:
    fast_values, fast_drawings = play(url, "fast")
    _, smooth_drawings = play(url, "smooth")
    return [
        Result("fast", "Play 'fast': steps drawn (chart drawings)", fast_drawings, "/s"),
        Result("fast values", "Play 'fast': Iteration values shown", fast_values, "/s",
               f"{1 / FAST_SECONDS:g} ticks a second asked"),
        Result("smooth", "Play 'smooth': chart drawings", smooth_drawings, "/s"),
    ]  # fmt: skip


def first_load(browser, url: str) -> tuple[float, int]:
    """A fresh context opens ``url``: milliseconds from navigation to both charts drawn, and
    the bytes the server sent (as sent: compressed, with headers) until the network is idle."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        sent = []
        cdp.on("Network.loadingFinished", lambda event: sent.append(event["encodedDataLength"]))
        cdp.send("Network.enable")
        page.goto(url, timeout=120_000)
        page.wait_for_function(CHARTS_DRAWN, polling="raf", timeout=120_000)
        drawn = page.evaluate("() => performance.now()")  # since the navigation began
        page.wait_for_load_state("networkidle", timeout=120_000)
        return drawn, int(sum(sent))
    finally:
        context.close()


def bench_first_loads(app_url: str, floor_url: str) -> dict[str, list]:
    """``LOADS`` first loads of each page, in turns (app, floor, app, ...)."""
    from playwright.sync_api import sync_playwright

    loads: dict[str, list] = {"app": [], "floor": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            first_load(browser, f"{app_url}/Train")  # each server's first page, unmeasured
            first_load(browser, f"{floor_url}/")
            for _ in range(LOADS):
                loads["app"].append(first_load(browser, f"{app_url}/Train"))
                loads["floor"].append(first_load(browser, f"{floor_url}/"))
        finally:
            browser.close()
    return loads


Ratio = tuple[str, float, str, bool]  # label, value, goal, met


def bench_floor(
    app_url: str, floor_url: str, app_results: list[Result]
) -> tuple[list[Result], list[Ratio]]:
    """The first loads of the app and the floor app, and the app's figures (measured in
    turns with the floor's, see :func:`bench_in_turns`) as ratios to the floor's."""
    loads = bench_first_loads(app_url, floor_url)
    results = []
    for who in ("app", "floor"):
        times = [ms for ms, _ in loads[who]]
        sent = statistics.median(b for _, b in loads[who])
        results.append(
            Result(f"{who} load", f"first load -> both charts ({who})",
                   statistics.median(times), "ms", f"{sent / 1e6:.2f} MB sent")
        )  # fmt: skip
    by_name = {r.name: r for r in app_results + results}
    app_bytes = statistics.median(b for _, b in loads["app"])
    floor_bytes = statistics.median(b for _, b in loads["floor"])
    ratios: list[Ratio] = []

    def ratio(label: str, value: float, goal: str, met: bool) -> None:
        ratios.append((label, value, goal, met))

    if "click 100" in by_name and "floor click" in by_name:
        value = by_name["click 100"].value / by_name["floor click"].value
        ratio("Step click -> drawn, n=100 / floor", value, "<= 0.9x", value <= 0.9)
    if "cpu" in by_name and "floor cpu" in by_name:
        value = by_name["cpu"].value / by_name["floor cpu"].value
        ratio("server CPU per click / floor", value, "<= 1.5x", value <= 1.5)
    if "fast" in by_name:
        value = by_name["fast"].value / FAST_STEPS_PER_SECOND
        ratio("Play 'fast': steps drawn / asked", value, ">= 0.9", value >= 0.9)
    value = by_name["app load"].value / by_name["floor load"].value
    ratio("first load -> both charts / floor", value, "<= 1.2x", value <= 1.2)
    extra = (app_bytes - floor_bytes) / 1e6
    ratio("first load: MB sent beyond the floor", extra, "<= 1.5 MB", extra <= 1.5)
    return results, ratios


def print_ratios(ratios: list[Ratio]) -> None:
    rows = [("against the floor (same run)", "value", "goal (issue 21)", "")]
    for label, value, goal, met in ratios:
        rows.append((label, f"{value:.2f}", goal, "met" if met else "NOT MET"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    print()
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


# -- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections, comma-separated")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    sections = [s for s in args.only.split(",") if s]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {load:.2f}" + (
        " (busy: other work competes, times grow)" if load > BUSY_LOAD else ""))  # fmt: skip
    results: list[Result] = []
    ratios: list[Ratio] = []
    if "rerun" in sections:
        results += bench_rerun(args.quick)
    if "figures" in sections:
        results += bench_figures(args.quick)
    if "profile" in sections:
        results += bench_profile(args.quick)
    if {"click", "cpu", "play", "floor"} & set(sections):
        with contextlib.ExitStack() as servers:
            url, server = servers.enter_context(app_server())
            floor = None
            if "floor" in sections:
                floor = servers.enter_context(app_server("benchmarks/floor_app.py"))
            in_turns = floor is not None and {"click", "cpu"} & set(sections)
            if in_turns:  # n = 100's click and the CPU, in turns with the floor's
                results += bench_in_turns((url, server), floor, args.quick)
            if "click" in sections:
                results += bench_click(url, args.quick, (100_000,) if in_turns else (100, 100_000))
            if "cpu" in sections and not in_turns:
                results += bench_cpu(url, server, args.quick)
            if "play" in sections:
                results += bench_play(url)
            if floor is not None:
                floor_results, ratios = bench_floor(url, floor[0], results)
                results += floor_results
    print_table(results)
    if ratios:
        print_ratios(ratios)
    return 0


if __name__ == "__main__":
    sys.exit(main())
