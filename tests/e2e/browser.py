"""Reading and driving the real app in Chromium: what a person sees, element by element.

Plain functions over Playwright pages, shared by the end-to-end tests. Streamlit renders a
widget or chart with ``key`` inside an element of class ``st-key-<key>`` (non-alphanumerics
as ``-``); charts are read through plotly's own state (``gd.layout``, ``gd._fullData``).
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def key_selector(key: str) -> str:
    """CSS selector of the element Streamlit renders for a widget or chart ``key``."""
    return ".st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key)


# Counts the script runs that start in a page (the app's attribute flips to "running"),
# installed before the page's own scripts: what "the click's rerun has finished" waits on.
_COUNT_RUNS = """
window.labRuns = 0;
new MutationObserver((records) => {
  for (const record of records) {
    const target = record.target;
    if (target.getAttribute && target.getAttribute('data-testid') === 'stApp'
        && target.getAttribute('data-test-script-state') === 'running') window.labRuns += 1;
  }
}).observe(document, {subtree: true, attributes: true,
                      attributeFilter: ['data-test-script-state']});
"""
_IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelector('h1') !== null;
}"""
# Every chart has drawn the last figure it was given (ui.live_chart's data-lab-pending).
_CHARTS_DRAWN = """() => [...document.querySelectorAll('.lab-chart')]
  .every((gd) => gd.dataset.labPending === '0' && gd._fullLayout)"""


def wait_until_idle(page, timeout: float = 30_000) -> None:
    """Wait until the app has rendered, its script is not running and every chart has
    drawn its last figure."""
    page.wait_for_selector(IDLE, timeout=timeout)
    page.wait_for_selector("h1", timeout=timeout)
    wait_for_charts(page, timeout)


def wait_for_charts(page, timeout: float = 30_000) -> None:
    """Wait until every chart on the page has drawn the last figure it was sent."""
    page.wait_for_function(_CHARTS_DRAWN, timeout=timeout)


def runs(page) -> int:
    """How many script runs have started in the page since it was opened."""
    return page.evaluate("() => window.labRuns || 0")


def open_page(context, url: str):
    page = context.new_page()
    page.add_init_script(_COUNT_RUNS)
    page.goto(url)
    wait_until_idle(page)
    return page


def no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.content()[:2000]


def button(page, key: str):
    """The visible button of widget ``key`` (Streamlit may render a hidden copy)."""
    return page.locator(f"{key_selector(key)} button:visible").first


def settle(page, since: int, timeout: float = 30_000) -> None:
    """Wait until a script run that started after ``since`` runs (see :func:`runs`) has
    finished and its charts are drawn: the rerun an interaction started."""
    page.wait_for_function(
        f"() => (window.labRuns || 0) > {since} && ({_IDLE_JS})()", timeout=timeout
    )
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
  };
}"""


def snapshot(page) -> dict:
    """Every display of the Train page read in one go (no rerun can land in between)."""
    return page.evaluate(_SNAPSHOT)


def history_length(page) -> int:
    return page.evaluate("() => window.history.length")


def toasts(page) -> list[str]:
    """The texts of the toasts on screen (the app's messages about the last action)."""
    return [text.strip() for text in page.locator('[data-testid="stToast"]').all_inner_texts()]


def wait_for_toast(page, needle: str, timeout: float = 10.0) -> str:
    """The first toast on screen that contains ``needle``; fails listing the toasts seen."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = toasts(page)
        seen += [text for text in now if text not in seen]
        found = [text for text in now if needle in text]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no toast with {needle!r} in {timeout:g} s; toasts seen: {seen}")


def wait_for_new_toast(
    page, before: list[str], timeout: float = 10.0, ignore: str | None = None
) -> str:
    """The first toast on screen that was not among ``before`` (toasts seen earlier), nor
    contains ``ignore``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = [
            text
            for text in toasts(page)
            if text not in before and (ignore is None or ignore not in text)
        ]
        if new:
            return new[0]
        time.sleep(0.1)
    raise AssertionError(f"no new toast in {timeout:g} s; on screen: {toasts(page)}")


def upload(page, name: str, data: bytes) -> None:
    """Give the file uploader on the page a file, as a person picking it does."""
    chooser = page.locator('[data-testid="stFileUploader"] input[type=file]').first
    act(
        page,
        lambda: chooser.set_input_files(
            files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
        ),
    )
