"""The real app in a real browser: every page, every button, links, modes and isolation.

Each scenario runs in a fresh browser context (its own cookies, so its own Streamlit
session). Charts are read through their data (plotly's ``gd.data``), not only as pixels.
"""

from __future__ import annotations

import math
import re
import time
from urllib.parse import parse_qs, urlparse

import pytest

from .conftest import OUTPUT, wait_until_idle

pytestmark = pytest.mark.e2e

PAGES = {
    "": "Softmax Lab",
    "Data": "Data",
    "Train": "Train",
    "Compare": "Compare with scikit-learn",
    "Math": "The math behind each step",
}
SCREENSHOTS = OUTPUT / "screenshots"


def key_selector(key: str) -> str:
    """CSS selector of the element Streamlit renders for a widget or chart ``key``."""
    return ".st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key)


def no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.content()[:2000]


def open_page(context, url: str):
    page = context.new_page()
    page.goto(url)
    wait_until_idle(page)
    return page


def metric(page, label: str) -> str:
    """The text of the metric with ``label`` (waiting for it to render)."""
    card = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return card.locator('[data-testid="stMetricValue"]').inner_text()


def iteration(page) -> int:
    return int(metric(page, "Iteration").replace(",", ""))


def loss_text(page) -> str:
    return metric(page, "Loss J")


def chart_traces(page, key: str) -> list[dict]:
    """The plotly traces of the chart with ``key``: name, type and numeric x, y values.

    ``gd._fullData`` holds the arrays decoded (``gd.data`` keeps plotly's base64 form).
    """
    plot = page.locator(f"{key_selector(key)} .js-plotly-plot")
    plot.wait_for()
    return plot.evaluate(
        """gd => gd._fullData.map(t => ({name: t.name, type: t.type,
             y: t.y ? Array.from(t.y, Number) : [], x: t.x ? Array.from(t.x, Number) : []}))"""
    )


def button(page, key: str):
    """The visible button of widget ``key`` (Streamlit also renders a hidden copy)."""
    return page.locator(f"{key_selector(key)} button:visible").first


def click(page, key: str) -> None:
    button(page, key).click()
    # The click starts a rerun; wait for it to start (briefly) and then to finish.
    time.sleep(0.15)
    wait_until_idle(page)


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


def query(page) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlparse(page.url).query).items()}


def test_every_page_by_deep_link_on_a_fresh_server(fresh_server, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for path, title in PAGES.items():
        context = browser.new_context(viewport={"width": 1400, "height": 1800})
        try:
            page = open_page(context, f"{fresh_server.url}/{path}")
            assert page.locator("h1").first.inner_text().strip() == title
            page.wait_for_selector(".js-plotly-plot, .katex", timeout=20_000)
            time.sleep(0.5)  # let plotly finish drawing before the screenshot
            no_exception(page)
            page.screenshot(path=str(SCREENSHOTS / f"{path or 'Home'}.png"))
        finally:
            context.close()


def test_generate_data_with_other_settings(app_server, context):
    page = open_page(context, f"{app_server.url}/Data")
    box = page.locator(f"{key_selector('w.data.n_samples')} input")
    box.fill("240")
    box.press("Enter")
    time.sleep(0.2)
    wait_until_idle(page)
    page.wait_for_function("() => location.search.includes('n=240')")
    traces = chart_traces(page, "w.data.chart")
    assert sum(len(t["x"]) for t in traces) == 240
    page.get_by_text("2-D blobs").click()
    page.wait_for_function("() => location.search.includes('kind=blobs')")
    wait_until_idle(page)
    traces = chart_traces(page, "w.data.chart")
    assert len(traces) == 3 and all(len(t["y"]) > 0 for t in traces)
    no_exception(page)


def test_step_back_reset_and_run(app_server, context):
    page = open_page(context, f"{app_server.url}/Train")
    assert iteration(page) == 0
    start_loss = loss_text(page)
    click(page, "w.train.step")
    wait_for_iteration(page, 1)
    assert loss_text(page) != start_loss
    losses = next(
        t for t in chart_traces(page, "w.train.loss_chart") if t["name"] == "from scratch"
    )
    assert len(losses["y"]) == 2 and losses["y"][0] == pytest.approx(math.log(3), abs=1e-9)
    click(page, "w.train.step10")
    wait_for_iteration(page, 11)
    click(page, "w.train.back")
    wait_for_iteration(page, 1)
    click(page, "w.train.reset")
    wait_for_iteration(page, 0)
    assert loss_text(page) == start_loss
    no_exception(page)


def test_run_to_convergence_with_a_stable_rate(app_server, context):
    page = open_page(context, f"{app_server.url}/Train?solver=nesterov")
    page.locator(f"{key_selector('w.train.lr_auto')} label").first.click()
    page.wait_for_function("() => location.search.includes('lr=auto')")
    wait_until_idle(page)
    click(page, "w.train.run")
    page.get_by_text(re.compile("^Converged after")).wait_for(timeout=30_000)
    wait_until_idle(page)
    assert metric(page, "Converged") == "yes"
    assert iteration(page) > 10
    curves = chart_traces(page, "w.train.model_chart")
    assert all(all(math.isfinite(v) for v in t["y"]) for t in curves)
    no_exception(page)


def test_play_then_pause(app_server, context):
    page = open_page(context, f"{app_server.url}/Train?lr=auto")
    button(page, "w.train.play").click()
    button(page, "w.train.pause").wait_for(timeout=10_000)
    time.sleep(2.0)
    button(page, "w.train.pause").click()
    button(page, "w.train.play").wait_for(timeout=10_000)
    wait_until_idle(page)
    stopped_at = iteration(page)
    assert stopped_at >= 5  # "fast" is ten steps a second
    time.sleep(1.0)
    assert iteration(page) == stopped_at
    no_exception(page)


def test_diverging_learning_rate_shows_message(app_server, context):
    page = open_page(context, f"{app_server.url}/Train?lr=1000000")
    click(page, "w.train.step")
    click(page, "w.train.step")
    page.get_by_text("diverged", exact=False).first.wait_for(timeout=10_000)
    for key in ("w.train.loss_chart", "w.train.model_chart"):
        for trace in chart_traces(page, key):
            assert all(math.isfinite(v) for v in trace["y"]), trace["name"]
    no_exception(page)


def test_shared_link_reproduces_the_run(app_server, browser):
    first = browser.new_context()
    second = browser.new_context()
    try:
        page = open_page(first, f"{app_server.url}/Train?n=150&k=4&noise=0.2&seed=3")
        for _ in range(3):
            click(page, "w.train.step")
        wait_for_iteration(page, 3)
        box = page.locator(f"{key_selector('w.train.lr')} input")
        box.fill("0.05")
        box.press("Enter")
        time.sleep(0.2)
        wait_until_idle(page)
        click(page, "w.train.step10")
        wait_for_iteration(page, 13)
        page.wait_for_function("() => location.search.includes('iter=13')")
        link, loss = page.url, loss_text(page)
        assert query(page)["sched"] == "0.5x3,0.05x10"
        other = open_page(second, link)
        assert iteration(other) == 13
        assert loss_text(other) == loss
        no_exception(other)
    finally:
        first.close()
        second.close()


def test_refresh_restores_the_run(app_server, context):
    page = open_page(context, f"{app_server.url}/Train")
    click(page, "w.train.step10")
    wait_for_iteration(page, 10)
    loss = loss_text(page)
    page.reload()
    wait_until_idle(page)
    assert iteration(page) == 10 and loss_text(page) == loss


def test_classroom_mode(app_server, context):
    page = open_page(context, f"{app_server.url}/Train?classroom=1")
    assert page.locator(key_selector("w.train.lr")).count() == 0
    assert page.locator(key_selector("w.train.step")).count() == 1
    metric_font = page.locator('[data-testid="stMetricValue"]').first.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert metric_font >= 50  # 2.25rem (36 px) normally
    assert query(page).get("classroom") == "1"
    no_exception(page)


def test_sessions_are_isolated(app_server, browser):
    contexts = [browser.new_context(), browser.new_context()]
    try:
        small = open_page(contexts[0], f"{app_server.url}/Train?n=50")
        large = open_page(contexts[1], f"{app_server.url}/Train?n=400&k=5")
        click(small, "w.train.step10")
        wait_for_iteration(small, 10)
        click(large, "w.train.step")
        wait_for_iteration(large, 1)
        small.reload()
        large.reload()
        wait_until_idle(small)
        wait_until_idle(large)
        assert iteration(small) == 10 and query(small)["n"] == "50"
        assert iteration(large) == 1 and query(large)["n"] == "400" and query(large)["k"] == "5"
    finally:
        for context in contexts:
            context.close()


def test_page_switch_keeps_the_run(app_server, context):
    page = open_page(context, f"{app_server.url}/Train")
    click(page, "w.train.step10")
    wait_for_iteration(page, 10)
    page.locator('[data-testid="stSidebar"]').get_by_text("Compare", exact=True).click()
    page.get_by_role("heading", name="Compare with scikit-learn").wait_for()
    wait_until_idle(page)
    page.locator('[data-testid="stSidebar"]').get_by_text("Train", exact=True).click()
    page.get_by_role("heading", name="Train").wait_for()
    wait_until_idle(page)
    assert iteration(page) == 10
    no_exception(page)


def test_seed_run_screenshot(app_server, browser):
    """The seed note's run after 30 steps: the picture in the README (docs/train.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1500})
    try:
        page = open_page(context, f"{app_server.url}/Train?iter=30")
        page.get_by_text("Unstable learning rate").wait_for()
        page.wait_for_selector(f"{key_selector('w.train.loss_chart')} .js-plotly-plot")
        time.sleep(0.5)
        assert iteration(page) == 30
        page.screenshot(path=str(SCREENSHOTS / "Train-seed-run.png"))
        no_exception(page)
    finally:
        context.close()
