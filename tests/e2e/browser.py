"""Reading and driving the real app in Chromium: what a person sees, element by element.

Plain functions over Playwright pages, shared by the end-to-end tests. Streamlit renders a
widget or chart with ``key`` inside an element of class ``st-key-<key>`` (non-alphanumerics
as ``-``); charts are read through plotly's own state (``gd.layout``, ``gd._fullData``).
"""

from __future__ import annotations

import re
import time
import weakref
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def key_selector(key: str) -> str:
    """CSS selector of the element Streamlit renders for a widget or chart ``key``."""
    return ".st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key)


_IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelector('h1') !== null;
}"""
# Every chart has drawn the last figure it was given (ui.live_chart's data-lab-pending). The
# charts are the app's only components: a component's host that has not mounted its chart yet
# (a loaded machine, just after the script ended) is a chart not drawn.
_CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-testid^="stBidiComponent"]')]
  .every((host) => { const gd = host.querySelector('.lab-chart');
                     return gd && gd.dataset.labPending === '0' && gd._fullLayout; })"""


def wait_until_idle(page, timeout: float = 30_000) -> None:
    """Wait until the app has rendered, its script is not running and every chart has
    drawn its last figure."""
    page.wait_for_selector(IDLE, timeout=timeout)
    page.wait_for_selector("h1", timeout=timeout)
    wait_for_charts(page, timeout)


def wait_for_charts(page, timeout: float = 30_000) -> None:
    """Wait until every chart on the page has drawn the last figure it was sent."""
    page.wait_for_function(_CHARTS_DRAWN, timeout=timeout)


# Every chart as wide as its column: after a column changes width (the sidebar opens) the
# chart follows on its own (ResizeObserver), once the sidebar's animation has ended.
_CHARTS_FIT = """() => [...document.querySelectorAll('.js-plotly-plot')].every(gd =>
  gd._fullLayout && Math.abs(gd._fullLayout.width - gd.parentElement.clientWidth) <= 1)"""


def wait_for_charts_to_fit(page, timeout: float = 10_000) -> None:
    """Wait until every chart has the width of its column (see ``_CHARTS_FIT``)."""
    page.wait_for_function(_CHARTS_FIT, timeout=timeout)


@dataclass
class RunLog:
    """What the page's websockets carried about script runs, in order: ``("sent", auto)``
    for a rerun the page asked for (a click or a key; ``auto``: a fragment's timer),
    ``("start", id)`` and ``("end", id)`` for a run the server started and finished (a full
    run or a fragment's). Read from the frames themselves: the page's "running" attribute
    misses a quick run, whose two states React may draw as one."""

    events: list[tuple] = field(default_factory=list)

    def watch(self, websocket) -> None:
        websocket.on("framesent", self._sent)
        websocket.on("framereceived", self._received)

    def _sent(self, payload) -> None:
        if isinstance(payload, bytes):
            message = BackMsg.FromString(payload)
            if message.WhichOneof("type") == "rerun_script":
                self.events.append(("sent", message.rerun_script.is_auto_rerun))

    def _received(self, payload) -> None:
        if not isinstance(payload, bytes):
            return
        message = ForwardMsg.FromString(payload)
        kind, run = message.WhichOneof("type"), message.metadata.run.script_run_id
        if kind == "new_session":
            self.events.append(("start", run))
        elif kind == "script_finished" and message.script_finished != _STOPPED_FOR_RERUN:
            self.events.append(("end", run))

    def finished_since(self, since: int) -> bool:
        """Whether a run asked for after event ``since`` has finished: the first the page
        asked for itself (a click), else the first any timer asked for, else any that
        started after ``since``.

        A timer's request sent just before the click may start its run only after the
        click was sent (a teacher's badge polls every two seconds): that first run is the
        timer's, not the click's. Should the server have served both with one run, the
        timer's next tick stands in for it."""
        sends = [i for i in range(since, len(self.events)) if self.events[i][0] == "sent"]
        asked = next((i for i in sends if not self.events[i][1]), sends[0] if sends else since - 1)
        timers_run_first = bool(sends) and self._timer_pending_at(asked)
        started: set[str] = set()
        for event in self.events[asked + 1 :]:
            if event[0] == "start":
                if timers_run_first:
                    timers_run_first = False
                else:
                    started.add(event[1])
            elif event[0] == "end" and event[1] in started:
                return True
        return False

    def _timer_pending_at(self, index: int) -> bool:
        """Whether a timer had asked for a run, not started yet, when request ``index`` was
        sent."""
        for event in reversed(self.events[:index]):
            if event[0] == "start":
                return False
            if event == ("sent", True):
                return True
        return False

    def started_since(self, since: int) -> bool:
        return any(event[0] == "start" for event in self.events[since:])


_STOPPED_FOR_RERUN = ForwardMsg.FINISHED_EARLY_FOR_RERUN
_LOGS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def runs(page) -> int:
    """A mark in the page's run log (see :class:`RunLog`), to wait for what comes after."""
    return len(_LOGS[page].events)


def wait_for_no_run(page, since: int, seconds: float = 1.0) -> None:
    """Fail if a script run starts in the next ``seconds`` (after mark ``since``): what a
    paused or stopped page must keep (Play's "fast" would rerun twelve times a second)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page.wait_for_timeout(50)  # lets Playwright deliver the frames meanwhile
        assert not _LOGS[page].started_since(since), _LOGS[page].events[since:]


def wait_for_a_run(page, since: int, timeout: float = 30.0) -> None:
    """Wait until a script run has finished after mark ``since``."""
    log = _LOGS[page]
    deadline = time.monotonic() + timeout
    while not log.finished_since(since):
        if time.monotonic() > deadline:
            raise AssertionError(f"no run finished in {timeout:g} s: {log.events[since:]}")
        page.wait_for_timeout(20)


_WATCH_MUTATIONS = """() => {
  window.labLastMutation = performance.now();
  new MutationObserver(() => { window.labLastMutation = performance.now(); })
    .observe(document.body, {subtree: true, childList: true, attributes: true});
}"""
_QUIET_JS = """() => window.labHistoryShim === true
  && performance.now() - window.labLastMutation > 400"""


def track_runs(page) -> None:
    """Log the page's script runs from its websocket frames (before it connects)."""
    log = _LOGS[page] = RunLog()
    page.on("websocket", log.watch)


def open_page(context, url: str):
    page = context.new_page()
    track_runs(page)
    page.goto(url)
    wait_until_idle(page)
    # The script has finished, but React draws its elements a moment later (and the page's
    # own script, ui.page's keys, runs then): wait until nothing has changed for a while.
    page.evaluate(_WATCH_MUTATIONS)
    page.wait_for_function(_QUIET_JS, timeout=30_000)
    wait_for_charts(page)
    return page


def no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.content()[:2000]


def button(page, key: str):
    """The visible button of widget ``key`` (Streamlit may render a hidden copy)."""
    return page.locator(f"{key_selector(key)} button:visible").first


def settle(page, since: int, timeout: float = 30_000) -> None:
    """Wait until a script run asked for after mark ``since`` (see :func:`runs`) has
    finished and its charts are drawn: the rerun an interaction started."""
    wait_for_a_run(page, since, timeout / 1000)
    page.wait_for_function(_IDLE_JS, timeout=timeout)
    wait_for_charts(page, timeout)


def act(page, action) -> None:
    """Do ``action`` (a click, a key press: anything that reruns the app) and wait until
    its rerun has finished and the charts are drawn."""
    before = runs(page)
    action()
    settle(page, before)


def click(page, key: str) -> None:
    act(page, lambda: button(page, key).click())


def metric(page, label: str) -> str:
    card = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator(
            '[data-testid="stMetricLabel"]', has_text=re.compile(f"^{re.escape(label)}")
        )
    )
    return card.locator('[data-testid="stMetricValue"]').first.inner_text().strip()


def iteration(page) -> int:
    return int(metric(page, "Iteration").replace(",", ""))


def wait_for_iteration(page, expected: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if iteration(page) == expected:
                return
        except ValueError:
            pass
        time.sleep(0.05)
    assert iteration(page) == expected


def wait_for_iteration_at_least(page, least: int, timeout: float = 30.0) -> None:
    """Wait until the Iteration metric shows ``least`` or more (while Play runs)."""
    page.wait_for_function(
        """least => [...document.querySelectorAll('[data-testid="stMetric"]')].some(card => {
             const label = card.querySelector('[data-testid="stMetricLabel"]');
             const value = card.querySelector('[data-testid="stMetricValue"]');
             return label && value && label.innerText.trim().startsWith('Iteration')
               && Number(value.innerText.replace(/,/g, '')) >= least; })""",
        arg=least,
        timeout=timeout * 1000,
    )


def query(page) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlparse(page.url).query).items()}


def sidebar_summary(page) -> dict[str, str]:
    """The sidebar's run summary: ``iteration``, ``loss`` and ``state``."""
    text = (
        page.locator('[data-testid="stSidebar"] [data-testid="stCaptionContainer"]')
        .filter(has_text="Run:")
        .first.inner_text()
    )
    found = re.search(r"iteration ([\d,]+) · loss (\S+) · (\w+)", text)
    assert found, text
    return {
        "iteration": found.group(1).replace(",", ""),
        "loss": found.group(2),
        "state": found.group(3),
    }


def read_chart(page, key: str, function: str):
    """``function(gd)`` evaluated on the chart with ``key`` once it has drawn its last figure.

    A page that has just loaded may not have mounted the chart's component yet (on a loaded
    machine, after the script has finished): wait for the chart itself, not for the page."""
    selector = f"{key_selector(key)} .lab-chart.js-plotly-plot"
    page.wait_for_function(
        f"""() => {{ const gd = document.querySelector({selector!r});
          return gd !== null && gd.dataset.labPending === '0' && !!gd._fullData; }}""",
        timeout=30_000,
    )
    return page.locator(selector).evaluate(function)


def chart_title(page, key: str) -> str:
    plot = page.locator(f"{key_selector(key)} .js-plotly-plot")
    plot.wait_for()
    return re.sub(r"<[^>]+>", "", plot.evaluate("gd => gd.layout.title.text"))


def chart_traces(page, key: str) -> list[dict]:
    """The plotly traces of the chart with ``key``: name, type and numeric x, y values."""
    plot = page.locator(f"{key_selector(key)} .js-plotly-plot")
    plot.wait_for()
    return plot.evaluate(
        """gd => gd._fullData.map(t => ({name: t.name, type: t.type,
             dash: t.line ? t.line.dash : null,
             y: t.y ? Array.from(t.y, Number) : [], x: t.x ? Array.from(t.x, Number) : []}))"""
    )


def legend_names(page, key: str) -> list[str]:
    """The entries of the legend of the chart with ``key``, as drawn."""
    plot = page.locator(f"{key_selector(key)} .js-plotly-plot")
    plot.wait_for()
    return plot.evaluate(
        "gd => [...gd.querySelectorAll('.legend .legendtext')].map(t => t.textContent)"
    )


def banner(page) -> str:
    """The text of the alert that talks about the learning rate (the stability banner)."""
    alerts = page.locator('[data-testid="stAlert"]')
    texts = [alerts.nth(i).inner_text() for i in range(alerts.count())]
    found = [t for t in texts if re.search(r"stable limit|Nesterov|Newton|Diverged", t)]
    assert found, texts
    return found[0]


def input_value(page, key: str) -> str:
    return page.locator(f"{key_selector(key)} input").first.input_value()


def toggle_on(page, key: str) -> bool:
    return page.locator(f"{key_selector(key)} input[role=switch]").first.is_checked()


def segmented_choice(page, key: str) -> str | None:
    chosen = page.locator(f'{key_selector(key)} [role=radio][aria-checked="true"]')
    return chosen.first.inner_text().strip() if chosen.count() else None


def choose(page, key: str, option: str) -> None:
    """Click the option of a segmented control."""
    option_button = page.locator(f"{key_selector(key)} [role=radio]").filter(has_text=option)
    act(page, lambda: option_button.first.click())


def go_to(page, label: str, heading: str) -> None:
    """Switch pages through the sidebar's link, as a person does."""
    page.locator('[data-testid="stSidebar"]').get_by_text(label, exact=True).click()
    page.get_by_role("heading", name=heading).wait_for()
    wait_until_idle(page)


_SNAPSHOT = """() => {
  const text = e => (e ? e.innerText.trim() : null);
  const metrics = {};
  for (const card of document.querySelectorAll('[data-testid="stMetric"]')) {
    const label = text(card.querySelector('[data-testid="stMetricLabel"]'));
    metrics[label] = text(card.querySelector('[data-testid="stMetricValue"]'));
  }
  const title = key => {
    const gd = document.querySelector('.st-key-' + key + ' .js-plotly-plot');
    return gd && gd.layout ? gd.layout.title.text.replace(/<[^>]+>/g, '') : null;
  };
  const captions = [...document.querySelectorAll(
    '[data-testid="stSidebar"] [data-testid="stCaptionContainer"]')].map(text);
  const chosen = document.querySelector(
    '.st-key-w-train-rate_preset [role=radio][aria-checked="true"]');
  const auto = document.querySelector('.st-key-w-train-lr_auto input[role=switch]');
  const rate = document.querySelector('.st-key-w-train-lr input');
  return {
    metrics,
    summary: captions.find(c => c && c.includes('Run:')) || null,
    model_title: title('w-train-model_chart'),
    loss_title: title('w-train-loss_chart'),
    alerts: [...document.querySelectorAll('[data-testid="stAlert"]')].map(text),
    preset: chosen ? text(chosen) : null,
    auto: auto ? auto.checked : null,
    rate: rate ? rate.value : null,
    search: location.search,
    // A chart still drawing the figure it was sent shows the one before (plotly draws a
    // moment after the metrics): not a display that disagrees, one that has not caught up.
    drawing: [...document.querySelectorAll('.lab-chart')].some(
      gd => gd.dataset.labPending !== '0'),
  };
}"""


def snapshot(page) -> dict:
    """Every display of the Train page read in one go (no rerun can land in between)."""
    return page.evaluate(_SNAPSHOT)


def history_length(page) -> int:
    return page.evaluate("() => window.history.length")


_EVENTS = """() => [...document.querySelectorAll('.st-key-lab-event [data-testid=stMarkdown]')]
    .map(element => {
        const copy = element.cloneNode(true);
        copy.querySelectorAll('[data-testid=stIconMaterial]').forEach(icon => icon.remove());
        return copy.innerText.trim();
    })"""


def events(page) -> list[str]:
    """The message about the last action, in a list (the app shows it inline, once, in the
    ``lab-event`` container), without its icon."""
    return page.evaluate(_EVENTS)


def wait_for_event(page, needle: str, timeout: float = 10.0) -> str:
    """The message on screen once it contains ``needle``; fails listing the messages seen."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = events(page)
        seen += [text for text in now if text not in seen]
        found = [text for text in now if needle in text]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no message with {needle!r} in {timeout:g} s; seen: {seen}")


def wait_for_new_event(
    page, before: list[str], timeout: float = 10.0, ignore: str | None = None
) -> str:
    """The message on screen once it is not among ``before`` (messages seen earlier), nor
    contains ``ignore``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = [
            text
            for text in events(page)
            if text not in before and (ignore is None or ignore not in text)
        ]
        if new:
            return new[0]
        time.sleep(0.1)
    raise AssertionError(f"no new message in {timeout:g} s; on screen: {events(page)}")


def upload(page, name: str, data: bytes) -> None:
    """Give the file uploader on the page a file, as a person picking it does."""
    chooser = page.locator('[data-testid="stFileUploader"] input[type=file]').first
    act(
        page,
        lambda: chooser.set_input_files(
            files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
        ),
    )


# Counts the animation frames plotly draws on the chart of a key (its CSS form, as in
# ``w-train-model_chart``) in ``window.labFrames``, across the chart's remounts.
COUNT_FRAMES = """key => {
  window.labFrames = 0;
  const hook = () => {
    for (const gd of document.querySelectorAll('.st-key-' + key + ' .js-plotly-plot')) {
      if (gd.labCounted || !gd.on) continue;
      gd.labCounted = true;
      gd.on('plotly_animatingframe', () => { window.labFrames += 1; });
    }
  };
  new MutationObserver(hook).observe(document.body, {subtree: true, childList: true});
  hook();
}"""
