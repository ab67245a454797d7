"""The real app in a real browser: every page, the buttons, links, sessions, the lecture.

Each scenario runs in a fresh browser context (its own cookies, so its own Streamlit
session). Charts are read through plotly's state (``gd._fullData``), not only as pixels.
"""

from __future__ import annotations

import math
import re

import pytest

from .browser import (
    act,
    button,
    chart_traces,
    click,
    go_to,
    iteration,
    key_selector,
    metric,
    no_exception,
    open_page,
    query,
    runs,
    segmented_choice,
    toggle_on,
    wait_for_charts,
    wait_for_iteration,
    wait_for_iteration_at_least,
    wait_for_no_run,
    wait_until_idle,
)
from .conftest import OUTPUT
from .server import update_docs_picture

pytestmark = pytest.mark.e2e
SCREENSHOTS = OUTPUT / "screenshots"
PAGES = {
    "": "Softmax Lab",
    "Data": "Data",
    "Train": "Train",
    "Compare": "Compare with scikit-learn",
    "Math": "The math behind each step",
    "Lessons": "Lessons",
}


def test_every_page_by_deep_link_on_a_fresh_server(fresh_server, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for path, title in PAGES.items():
        context = browser.new_context(viewport={"width": 1400, "height": 1800})
        try:
            page = open_page(context, f"{fresh_server.url}/{path}")
            assert page.locator("h1").first.inner_text().strip() == title
            page.wait_for_selector(".js-plotly-plot, .katex", timeout=20_000)
            wait_for_charts(page)  # drawn before the screenshot
            no_exception(page)
            page.screenshot(path=str(SCREENSHOTS / f"{path or 'Home'}.png"))
        finally:
            context.close()


def test_generate_data_with_other_settings(app_server, context):
    page = open_page(context, f"{app_server.url}/Data")
    box = page.locator(f"{key_selector('w.data.n_samples')} input")
    box.fill("240")
    act(page, lambda: box.press("Enter"))
    page.wait_for_function("() => location.search.includes('n=240')")
    assert sum(len(t["x"]) for t in chart_traces(page, "w.data.chart")) == 240
    page.get_by_text("2-D blobs").click()
    page.wait_for_function("() => location.search.includes('kind=blobs')")
    wait_until_idle(page)
    traces = chart_traces(page, "w.data.chart")
    assert len(traces) == 3 and all(len(t["y"]) > 0 for t in traces)
    with page.expect_download() as download:  # the CSV is built when someone asks for it
        button(page, "w.data.download").click()
    lines = download.value.path().read_text().splitlines()
    assert lines[0] == '"x₁","x₂","label"' and len(lines) == 241  # the data set's own names
    no_exception(page)


def test_step_back_reset_and_run(app_server, context):
    page = open_page(context, f"{app_server.url}/Train")
    assert iteration(page) == 0
    start_loss = metric(page, "Loss J")
    click(page, "w.train.step")
    wait_for_iteration(page, 1)
    assert metric(page, "Loss J") != start_loss
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
    assert metric(page, "Loss J") == start_loss
    click(page, "w.train.back")  # Back also returns to the run that Reset replaced
    wait_for_iteration(page, 1)
    no_exception(page)


def test_run_to_convergence_with_a_stable_rate(app_server, context):
    page = open_page(context, f"{app_server.url}/Train?solver=nesterov")
    page.locator(f"{key_selector('w.train.lr_auto')} label").first.click()
    page.wait_for_function("() => location.search.includes('lr=auto')")
    wait_until_idle(page)
    click(page, "w.train.run")
    page.get_by_text(re.compile("^Converged after")).wait_for(timeout=30_000)  # the event
    assert metric(page, "Converged") == "yes"
    assert iteration(page) > 10
    curves = chart_traces(page, "w.train.model_chart")
    assert all(all(math.isfinite(v) for v in t["y"]) for t in curves)
    no_exception(page)


def test_play_then_pause(app_server, context):
    page = open_page(context, f"{app_server.url}/Train?lr=auto")
    button(page, "w.train.play").click()
    button(page, "w.train.pause").wait_for(timeout=10_000)
    wait_for_iteration_at_least(page, 5)
    act(page, lambda: button(page, "w.train.pause").click())
    button(page, "w.train.play").wait_for(timeout=10_000)
    stopped_at = iteration(page)
    # Paused: a second more brings no rerun and no step ("fast" asks for 12 a second).
    before = runs(page)
    wait_for_no_run(page, before, seconds=1.0)
    assert iteration(page) == stopped_at
    no_exception(page)


def test_play_on_a_long_run_stays_responsive(app_server, context):
    """A 40,000-iteration history used to be resent whole at every render, until the
    session was dropped and Pause was ignored: charts now send at most 2,000 points."""
    link = f"{app_server.url}/Train?n=10&max_iter=100000&lr=auto&tol=0&iter=40000"
    page = open_page(context, link)
    losses = next(
        t for t in chart_traces(page, "w.train.loss_chart") if t["name"] == "from scratch"
    )
    assert len(losses["x"]) <= 2_000 and losses["x"][-1] == 40_000
    button(page, "w.train.play").click()
    button(page, "w.train.pause").wait_for(timeout=10_000)
    wait_for_iteration_at_least(page, 40_003)
    act(page, lambda: button(page, "w.train.pause").click())
    button(page, "w.train.play").wait_for(timeout=10_000)
    assert iteration(page) > 40_000
    no_exception(page)


def test_the_lecture_story_in_three_actions(app_server, browser):
    """The seed's lr 0.5 oscillates (Step x10), the stable rate fixes it (Fix), and gradient
    descent at that rate lands on scikit-learn's curves (Land on scikit-learn); on one
    1280x720 screen, with no page switch. The README's screenshot comes from here."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = open_page(context, f"{app_server.url}/Train")
        click(page, "w.train.step10")  # 1
        assert "rose in" in page.locator('[data-testid="stAlert"]').first.inner_text()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "lecture-1-oscillating.png"))
        click(page, "w.train.fix_lr")  # 2
        assert toggle_on(page, "w.train.lr_auto")
        assert segmented_choice(page, "w.train.rate_preset") == "0.5×"
        act(page, lambda: button(page, "w.train.optimum").click())  # 3, in the main row
        assert float(metric(page, "max |Δp| to target")) < 1e-5
        traces = chart_traces(page, "w.train.model_chart")
        solid = [t for t in traces if t["dash"] == "solid" and len(t["y"]) > 100]
        dashed = [t for t in traces if t["dash"] == "dash"]
        assert len(solid) == len(dashed) == 3
        for mine, theirs in zip(solid, dashed, strict=True):
            assert max(abs(a - b) for a, b in zip(mine["y"], theirs["y"], strict=True)) < 1e-5
        page.screenshot(path=str(SCREENSHOTS / "lecture-2-landed.png"))
        update_docs_picture(SCREENSHOTS / "lecture-1-oscillating.png", "train.png")
        no_exception(page)
    finally:
        context.close()


def test_shared_link_reproduces_the_run(app_server, browser):
    first = browser.new_context()
    second = browser.new_context()
    try:
        page = open_page(first, f"{app_server.url}/Train?n=150&k=4&noise=0.2&seed=3&logy=1")
        for _ in range(3):
            click(page, "w.train.step")
        wait_for_iteration(page, 3)
        box = page.locator(f"{key_selector('w.train.lr')} input")
        box.fill("0.05")
        act(page, lambda: box.press("Enter"))
        click(page, "w.train.step10")
        wait_for_iteration(page, 13)
        page.wait_for_function("() => location.search.includes('iter=13')")
        link, loss = page.url, metric(page, "Loss J")
        assert query(page)["sched"] == "0.5x3,0.05x10" and query(page)["logy"] == "1"
        other = open_page(second, link)
        assert iteration(other) == 13
        assert metric(other, "Loss J") == loss
        assert toggle_on(other, "w.view.log_y")
        no_exception(other)
    finally:
        first.close()
        second.close()


def test_refresh_restores_the_run(app_server, context):
    page = open_page(context, f"{app_server.url}/Train")
    click(page, "w.train.step10")
    wait_for_iteration(page, 10)
    page.wait_for_function("() => location.search.includes('iter=10')")
    loss = metric(page, "Loss J")
    page.reload()
    wait_until_idle(page)
    assert iteration(page) == 10 and metric(page, "Loss J") == loss


def test_classroom_mode_keeps_the_lecture_controls(app_server, context):
    page = open_page(context, f"{app_server.url}/Train?classroom=1")
    for key in ("w.train.step", "w.train.rate_preset", "w.train.solver", "w.train.lr"):
        assert page.locator(key_selector(key)).count() == 1, key
    value_font = page.locator('[data-testid="stMetricValue"]').first.evaluate(
        "e => parseFloat(getComputedStyle(e.querySelector('div') || e).fontSize)"
    )
    assert value_font >= 32  # 2.1rem; 1.55rem (24.8 px) in normal mode
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
        for page, n_iter in ((small, 10), (large, 1)):
            page.wait_for_function(
                "n => new URLSearchParams(location.search).get('iter') === String(n)", arg=n_iter
            )
            page.reload()
            wait_until_idle(page)
        assert iteration(small) == 10 and query(small)["n"] == "50"
        assert iteration(large) == 1 and query(large)["n"] == "400" and query(large)["k"] == "5"
    finally:
        for context in contexts:
            context.close()


def test_page_switch_keeps_the_run_and_the_link(app_server, context):
    page = open_page(context, f"{app_server.url}/Train")
    click(page, "w.train.step10")
    wait_for_iteration(page, 10)
    go_to(page, "Compare", "Compare with scikit-learn")
    page.wait_for_function("() => location.search.includes('iter=10')")
    assert query(page)["iter"] == "10"
    go_to(page, "Train", "Train")
    assert iteration(page) == 10
    no_exception(page)
