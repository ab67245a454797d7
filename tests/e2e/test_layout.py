"""The lecture on one screen: what a projector at 1280x720, a laptop and a phone show.

Screenshots of every page in classroom mode at 1280x720 and on a 390x844 phone go to
test-output/screenshots/ (to look at); the assertions measure the rendered page: fonts of
the charts, text cut off, what lies above the fold, and what the phone shows first.
"""

from __future__ import annotations

import pytest

from ui import live_chart
from ui.lessons import LESSONS

from .browser import (
    button,
    chart_traces,
    click,
    legend_names,
    open_page,
    track_runs,
    wait_for_charts,
    wait_for_charts_to_fit,
    wait_until_idle,
)
from .conftest import OUTPUT

pytestmark = pytest.mark.e2e
SCREENSHOTS = OUTPUT / "screenshots"
PAGES = {
    "": "Home",
    "Data": "Data",
    "Train": "Train",
    "Compare": "Compare",
    "Math": "Math",
    "Lessons": "Lessons",
}
PROJECTOR = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}

# Texts a person must read whole: buttons, page links, metric labels and values, and every
# element inside them (Streamlit clips a metric's label on a container, not on the text).
# A 1-pixel box is text for screen readers only (an icon button's label), hidden by design.
_CUT_TEXT = """() => [...document.querySelectorAll(
    '[data-testid="stButton"] button, [data-testid="stButton"] button *, '
    + '[data-testid="stPageLink"], [data-testid="stPageLink"] *, '
    + '[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *, '
    + '[data-testid="stMetricValue"], [data-testid="stMetricValue"] *')]
  .filter(e => e.getBoundingClientRect().width > 1 && e.getBoundingClientRect().right > 0)
  .filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible'
               || getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth)
  .map(e => e.innerText.slice(0, 40) + ' ' + e.scrollWidth + '>' + e.clientWidth)"""
# Chart titles and subtitles that run past the chart's right edge.
_CUT_TITLES = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(gd => {
  const right = gd.getBoundingClientRect().right;
  return [...gd.querySelectorAll('.gtitle, .gtitle-subtitle, .g-gtitle text')]
    .filter(t => t.getBoundingClientRect().right > right + 1)
    .map(t => t.textContent.slice(0, 50)); })"""
# Font sizes of every text plotly drew (ticks, legends, titles), and line widths of traces.
_CHART_FONTS = """() => [...document.querySelectorAll('.js-plotly-plot .main-svg text')]
  .filter(t => t.textContent.trim() && t.getBBox().width > 0)
  .map(t => ({text: t.textContent.slice(0, 20),
              size: parseFloat(t.style.fontSize || getComputedStyle(t).fontSize)}))"""
_LINE_WIDTHS = """() => [...document.querySelectorAll('.js-plotly-plot .scatterlayer .js-line')]
  .map(p => parseFloat(p.style.strokeWidth || getComputedStyle(p).strokeWidth))"""


def settled(page) -> None:
    page.wait_for_selector(".js-plotly-plot, .katex", timeout=20_000)
    wait_until_idle(page)  # the script has run and every chart is drawn


def open_sidebar(page) -> None:
    expand = page.locator(
        '[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button'
    )
    if expand.count():
        expand.first.click()
        page.locator('[data-testid="stSidebar"][data-collapsed="false"]').wait_for()
        wait_for_charts(page)
        wait_for_charts_to_fit(page)  # the charts follow their columns' new width


def overlapping(a: dict, b: dict, margin: float = 2.0) -> bool:
    return (
        a["x"] < b["x"] + b["width"] - margin
        and b["x"] < a["x"] + a["width"] - margin
        and a["y"] < b["y"] + b["height"] - margin
        and b["y"] < a["y"] + a["height"] - margin
    )


def bottom(page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box["y"] + box["height"]


@pytest.mark.parametrize("path", list(PAGES))
def test_classroom_projector_pages(app_server, browser, path):
    """1280x720 in classroom mode, sidebar closed then open: nothing cut off, chart text
    of 18 px or more, thick lines, metric values larger than their labels."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=PROJECTOR)
    try:
        page = open_page(context, f"{app_server.url}/{path}?classroom=1&iter=30")
        settled(page)
        page.screenshot(path=str(SCREENSHOTS / f"{PAGES[path]}-classroom-1280x720.png"))
        assert page.evaluate(_CUT_TEXT) == []
        assert page.evaluate(_CUT_TITLES) == []
        fonts = page.evaluate(_CHART_FONTS)
        assert fonts or page.locator(".js-plotly-plot").count() == 0
        small = [f for f in fonts if f["size"] < 18]
        assert small == [], small
        widths = page.evaluate(_LINE_WIDTHS)
        assert all(width >= 3 for width in widths), widths
        values = page.evaluate(
            """() => [...document.querySelectorAll('[data-testid="stMetric"]')].map(m => [
                 m.querySelector('[data-testid="stMetricLabel"] p'),
                 m.querySelector('[data-testid="stMetricValue"] div')].map(
                   e => parseFloat(getComputedStyle(e).fontSize)))"""
        )
        assert all(value > 1.5 * label for label, value in values), values
        open_sidebar(page)
        page.screenshot(path=str(SCREENSHOTS / f"{PAGES[path]}-classroom-1280x720-sidebar.png"))
        assert page.evaluate(_CUT_TEXT) == []
    finally:
        context.close()


@pytest.mark.parametrize("classroom", [False, True])
def test_sgd_train_fits_the_projector_with_its_batch_controls(app_server, browser, classroom):
    """SGD's batch size and shuffle seed are under More (four solvers fill the row): the
    banner and both charts stay above the fold at 1280x720, and the loss chart draws the
    mini-batch losses and the full-batch J."""
    context = browser.new_context(viewport=PROJECTOR)
    try:
        mode = "&classroom=1" if classroom else ""
        page = open_page(context, f"{app_server.url}/Train?solver=sgd&batch=10&iter=50{mode}")
        settled(page)
        name = "Train-sgd-classroom" if classroom else "Train-sgd"
        page.screenshot(path=str(SCREENSHOTS / f"{name}-1280x720-fold.png"))
        for key in ("w.train.step", "w.train.play"):
            box = button(page, key).bounding_box()
            assert box["y"] + box["height"] <= 720, key
        assert bottom(page, ".st-key-w-train-rate_preset") <= 720
        for chart in ("w-train-model_chart", "w-train-loss_chart"):
            assert bottom(page, f".st-key-{chart} .js-plotly-plot") <= 720, chart
        names = [trace.get("name") for trace in chart_traces(page, "w.train.loss_chart")]
        assert "mini-batch J_B" in names and "full-batch J" in names
        assert not page.evaluate(_CUT_TEXT)
        page.get_by_role("button", name="More").click()
        batch = page.locator(".st-key-w-train-batch_size input")
        batch.wait_for()
        assert batch.input_value() == "10"
    finally:
        context.close()


@pytest.mark.parametrize("classroom", [False, True])
def test_train_fits_the_projector(app_server, browser, classroom):
    """The lecture's controls and both charts are above the fold at 1280x720."""
    context = browser.new_context(viewport=PROJECTOR)
    try:
        mode = "&classroom=1" if classroom else ""
        page = open_page(context, f"{app_server.url}/Train?iter=10{mode}")
        settled(page)
        for key in ("w.train.step", "w.train.step10", "w.train.play", "w.train.fix_lr"):
            box = button(page, key).bounding_box()
            assert box["y"] + box["height"] <= 720, key
        assert bottom(page, ".st-key-w-train-rate_preset") <= 720
        for chart in ("w-train-model_chart", "w-train-loss_chart"):
            assert bottom(page, f".st-key-{chart} .js-plotly-plot") <= 720, chart
        charts = [
            page.locator(f".st-key-{c} .js-plotly-plot").bounding_box()
            for c in ("w-train-model_chart", "w-train-loss_chart")
        ]
        assert abs(charts[0]["y"] - charts[1]["y"]) < 60  # side by side
        name = "Train-classroom" if classroom else "Train"
        page.screenshot(path=str(SCREENSHOTS / f"{name}-1280x720-fold.png"))
    finally:
        context.close()


# Chart keys that leave a part of themselves out of view: legend entries a scrolled legend
# clips, subtitles that run into the plot, marker labels printed over each other.
_CHART_DEFECTS = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(gd => {
  const found = [];
  const right = gd.getBoundingClientRect().right;
  for (const entry of gd.querySelectorAll('.legend .traces')) {
    if (entry.getBoundingClientRect().right > right + 1) {
      found.push('legend entry past the chart: ' + entry.textContent); }
  }
  const plot = gd.querySelector('.draglayer .nsewdrag');
  const top = plot ? plot.getBoundingClientRect().top : null;
  for (const legend of gd.querySelectorAll('.legend')) {
    const box = legend.querySelector('.bg').getBoundingClientRect();
    for (const entry of legend.querySelectorAll('.traces')) {
      const r = entry.getBoundingClientRect();
      if (r.bottom > box.bottom + 1 || r.top < box.top - 1) {
        found.push('clipped legend entry ' + entry.textContent); }
    }
  }
  for (const sub of gd.querySelectorAll('.gtitle-subtitle')) {
    if (top !== null && sub.getBoundingClientRect().bottom > top + 1) {
      found.push('subtitle on the plot: ' + sub.textContent); }
  }
  const labels = [...gd.querySelectorAll('.textpoint text')].filter(t => t.textContent.trim());
  labels.forEach((a, i) => labels.slice(i + 1).forEach(b => {
    const r = a.getBoundingClientRect(), q = b.getBoundingClientRect();
    if (r.left < q.right - 1 && q.left < r.right - 1 && r.top < q.bottom - 1
        && q.top < r.bottom - 1) {
      found.push('labels over each other: ' + a.textContent + ' / ' + b.textContent); }
  }));
  return found; })"""


def row_tops(page, container: str) -> list[float]:
    """The top edge of each button and control directly in the row ``container``."""
    return page.evaluate(
        """(selector) => [...document.querySelector(selector).children]
             .map(child => child.getBoundingClientRect())
             .filter(r => r.width > 1 && r.height > 1).map(r => r.top)""",
        f".st-key-{container}",
    )


@pytest.mark.parametrize(
    ("case", "query", "sidebar"),
    [
        ("seed", "iter=30", False),
        ("seed, sidebar open", "iter=30", True),
        ("5 blobs", "kind=blobs&k=5&n=200&seed=1&iter=30", False),
        ("10 blobs, sidebar open", "kind=blobs&k=10&n=300&seed=1&iter=30", True),
        ("landscape", "panel=landscape&plane=steepest&lr=auto&iter=30", False),
        ("landscape from the start", "panel=landscape&plane=start&iter=200&lr=auto", False),
        ("pins", "iter=30&pins=gd~none~0.5x30;nesterov~none~autox200", False),
        ("a point", "iter=30&point=5", False),
    ],
)
def test_the_lecture_in_classroom_mode_is_one_whole_screen(
    app_server, browser, case, query, sidebar
):
    """1280x720, classroom mode: every control row is one line (with the sidebar open too,
    as it is right after classroom mode is switched on), both charts are above the fold
    with every legend entry in view (k up to 10), no subtitle on a plot, no marker label
    over another; a pinned run's key is in the loss chart, a followed point's gist above
    the fold."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=PROJECTOR)
    try:
        page = open_page(context, f"{app_server.url}/Train?classroom=1&{query}")
        settled(page)
        if sidebar:
            open_sidebar(page)
        name = case.replace(" ", "-").replace(",", "")
        page.screenshot(path=str(SCREENSHOTS / f"Train-classroom-{name}-1280x720.png"))
        for row in ("train-actions", "train-settings"):
            tops = row_tops(page, row)
            assert max(tops) - min(tops) < 20, (row, tops)
        charts = page.locator(
            ", ".join(
                f".st-key-w-train-{key} .js-plotly-plot"
                for key in ("model_chart", "landscape", "simplex", "loss_chart")
            )
        )
        assert charts.count() == 2
        for index in range(charts.count()):
            box = charts.nth(index).bounding_box()
            assert box["y"] + box["height"] <= 720, (case, index, box)
        assert page.evaluate(_CHART_DEFECTS) == [], case
        assert page.evaluate(_CUT_TEXT) == []
        if "pins" in query:
            key = legend_names(page, "w.train.loss_chart")
            assert {"GD 0.5, 30 it.", "Nesterov 1/L, 200 it."} <= set(key), key
        if "point" in query:
            gist = page.get_by_text("Point 5 (training)", exact=False).first
            box = gist.bounding_box()
            assert box["y"] + box["height"] <= 720
            assert "and predicts" in gist.inner_text()
    finally:
        context.close()


def test_every_lesson_step_fits_the_projector_with_its_charts(app_server, browser):
    """1280x720 in classroom mode: a lesson step's text, the controls it names and both
    charts on one screen, so that "watch the loss chart" points at a chart in view."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=PROJECTOR)
    try:
        for number, lesson in enumerate(LESSONS, start=1):
            for step in range(1, len(lesson.steps) + 1):
                page = open_page(
                    context, f"{app_server.url}/Lessons?lesson={number}&step={step}&classroom=1"
                )
                settled(page)
                where = f"lesson {number} step {step}"
                assert bottom(page, ".st-key-lesson-step") <= 720, where
                charts = page.locator(".st-key-train-lesson .js-plotly-plot")
                assert charts.count() == 2, where
                for index in range(2):
                    box = charts.nth(index).bounding_box()
                    assert box["y"] + box["height"] <= 720, (where, index, box)
                assert page.evaluate(_CUT_TEXT) == [], where
                page.screenshot(path=str(SCREENSHOTS / f"Lesson-{number}-{step}-1280x720.png"))
                page.close()
    finally:
        context.close()


@pytest.mark.parametrize("path", list(PAGES))
def test_phone_pages(app_server, browser, path):
    """390x844: no toolbar over titles, legends off the axes, nothing cut, equations that
    scroll; on Train the step buttons sit right above the charts."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = open_page(context, f"{app_server.url}/{path}?iter=12")
        settled(page)
        page.screenshot(path=str(SCREENSHOTS / f"{PAGES[path]}-phone-390x844.png"), full_page=True)
        assert page.locator(".modebar-container .modebar").count() == 0
        assert page.evaluate(_CUT_TEXT) == []
        assert page.evaluate(_CUT_TITLES) == []
        overflow = page.evaluate("() => document.documentElement.scrollWidth")
        assert overflow <= PHONE["width"] + 1
        for plot in page.locator(".js-plotly-plot").all():
            legend = plot.locator(".legend").first
            axis = plot.locator(".bglayer .bg").first  # the plotting area
            if legend.count() and axis.count():
                lbox, abox = legend.bounding_box(), axis.bounding_box()
                overlaps = (
                    lbox["x"] < abox["x"] + abox["width"] - 2
                    and lbox["y"] < abox["y"] + abox["height"] - 2
                    and lbox["x"] + lbox["width"] > abox["x"] + 2
                    and lbox["y"] + lbox["height"] > abox["y"] + 2
                )
                assert not overlaps, (lbox, abox)
        if path == "Math":
            wide = page.evaluate(
                """() => [...document.querySelectorAll('.katex-display')].filter(e =>
                     e.scrollWidth > e.clientWidth && getComputedStyle(e).overflowX !== 'auto')"""
            )
            assert wide == []
        if path == "Train":
            step = button(page, "w.train.step").bounding_box()
            chart = page.locator(".st-key-w-train-model_chart").bounding_box()
            settings = page.locator(".st-key-train-settings").bounding_box()
            assert settings["y"] > chart["y"] + chart["height"]  # the settings below the charts
            view = page.locator(".st-key-train-view").bounding_box()
            assert view["y"] > chart["y"] + chart["height"]  # and the chart controls
            # Between: the metrics and the banner.
            assert chart["y"] - step["y"] < 600
    finally:
        context.close()


def test_steps_push_no_history_entries_and_no_request_leaves_the_machine(app_server, context):
    requests = []
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    track_runs(page)
    page.goto(f"{app_server.url}/Train")
    wait_until_idle(page)
    before = page.evaluate("() => window.history.length")
    for _ in range(5):
        click(page, "w.train.step")
    page.wait_for_function("() => new URLSearchParams(location.search).get('iter') === '5'")
    assert page.evaluate("() => window.history.length") == before
    # blob: URLs of the app's own origin are the chart component's script, made in the page.
    local = (app_server.url, f"blob:{app_server.url}")
    foreign = [url for url in requests if not url.startswith(local)]
    assert foreign == []
    assert any(url.endswith(live_chart.PLOTLY_JS.name) for url in requests)
    # The partial bundle registers every trace type the app's figures may use.
    registered = page.evaluate("() => Object.keys(window.Plotly.PlotSchema.get().traces)")
    assert set(registered) >= live_chart.BUNDLED_TRACES
