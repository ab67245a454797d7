"""The features a person uses in a lesson, one real interaction each, read off the screen.

The loss landscape at the seed's lr 0.5, pinned runs (and their link), every lesson step by
link with Next and Back, your own CSV (a good file trains; bad files are refused with a
message and the data stay), following a clicked point, and the temperature at its limits.
Charts are read through plotly's state (``gd._fullData``, ``gd._fullLayout``).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from ui.lessons import LESSONS

from .browser import (
    act,
    chart_title,
    chart_traces,
    choose,
    click,
    events,
    go_to,
    iteration,
    key_selector,
    legend_names,
    no_exception,
    open_page,
    query,
    sidebar_summary,
    toggle_on,
    upload,
    wait_for_charts,
    wait_for_event,
    wait_for_iteration,
    wait_for_new_event,
    wait_until_idle,
)
from .conftest import OUTPUT
from .server import update_docs_picture

pytestmark = pytest.mark.e2e
SCREENSHOTS = OUTPUT / "screenshots"
SCREEN = {"width": 1400, "height": 900}
# Words a number that is not finite would show as, in any of the page's formats.
NOT_FINITE = re.compile(r"\b(nan|inf|infinity)\b|∞", re.IGNORECASE)


def plot(page, key: str):
    locator = page.locator(f"{key_selector(key)} .js-plotly-plot")
    locator.wait_for()
    return locator


def wait_for_query(page, name: str, value: str) -> None:
    """The address bar is written by a script after the rerun: wait for it."""
    page.wait_for_function(
        "([n, v]) => new URLSearchParams(location.search).get(n) === v", arg=[name, value]
    )


# ------------------------------------------------------------------ the loss landscape


_LANDSCAPE = """gd => ({
  traces: gd._fullData.map(t => ({
    name: t.name, type: t.type,
    x: Array.from(t.x || [], Number), y: Array.from(t.y || [], Number),
    z: t.z ? Array.from(t.z, row => Array.from(row, Number)) : [],
    loss: t.customdata && t.type === 'contour'
      ? Array.from(t.customdata, row => Array.from(row, Number)) : []})),
  x_title: gd._fullLayout.xaxis.title.text, y_title: gd._fullLayout.yaxis.title.text})"""


def test_loss_landscape_zigzags_at_the_seed_rate(app_server, browser):
    """Step x10 three times at lr 0.5 with the landscape shown: the contour of J is drawn and
    finite, the path has every iterate and ends at the plane's origin (the current point),
    the title names the iteration, and the path flips across the steepest direction."""
    context = browser.new_context(viewport=SCREEN)
    try:
        page = open_page(context, f"{app_server.url}/Train?panel=landscape")
        wait_for_query(page, "lr", "0.5")  # the seed's rate, by default
        for n_iter in (10, 20, 30):
            click(page, "w.train.step10")
            wait_for_iteration(page, n_iter)
        wait_for_query(page, "iter", "30")
        shown = iteration(page)
        page.wait_for_function(
            "t => { const gd = document.querySelector('.st-key-w-train-landscape "
            ".js-plotly-plot'); return gd && gd.layout.title.text.includes(t); }",
            arg=f"iteration {shown:,}",
        )
        assert chart_title(page, "w.train.landscape") == f"Loss landscape, iteration {shown:,}"
        chart = plot(page, "w.train.landscape").evaluate(_LANDSCAPE)
        traces = {t["name"]: t for t in chart["traces"]}
        assert "steepest direction" in chart["x_title"]
        contour = traces["J"]
        assert contour["type"] == "contour"
        z = np.array(contour["z"])
        assert z.ndim == 2 and min(z.shape) >= 10
        assert np.isfinite(z).all() and np.isfinite(contour["loss"]).all()
        for trace in chart["traces"]:
            assert np.isfinite(trace["x"]).all() and np.isfinite(trace["y"]).all(), trace["name"]
        path = traces["this run"]
        assert len(path["x"]) == shown + 1  # iteration 0 to the current one
        assert (path["x"][-1], path["y"][-1]) == (0.0, 0.0)
        assert (traces["now"]["x"], traces["now"]["y"]) == ([0.0], [0.0])
        # The zigzag: step after step the path turns back along the steepest direction.
        steps = np.diff(path["x"])
        turns = int(np.sum(steps[1:] * steps[:-1] < 0))
        assert turns >= len(steps) // 2, steps
        no_exception(page)

        # The README's picture: the same run in classroom mode (large type) at 1400x900.
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator('[data-testid="stSidebar"]').get_by_text("Classroom mode").click()
        wait_for_query(page, "classroom", "1")
        wait_until_idle(page)
        plot(page, "w.train.landscape")
        page.get_by_role("heading", name="Train").wait_for()
        wait_for_charts(page)
        assert iteration(page) == shown
        page.screenshot(path=str(SCREENSHOTS / "landscape.png"))
        update_docs_picture(SCREENSHOTS / "landscape.png", "landscape.png")
        no_exception(page)
    finally:
        context.close()


# ------------------------------------------------------------------ pinned runs


def ghosts(page) -> list[dict]:
    return [t for t in chart_traces(page, "w.train.loss_chart") if t["dash"] == "dot"]


def test_a_pinned_run_stays_as_a_ghost_and_travels_in_the_link(app_server, browser, context):
    page = open_page(context, f"{app_server.url}/Train")
    click(page, "w.train.step10")
    wait_for_iteration(page, 10)
    pinned = next(
        t for t in chart_traces(page, "w.train.loss_chart") if t["name"] == "from scratch"
    )
    click(page, "w.train.pin")
    wait_for_query(page, "pins", "gd~none~0.5x10")
    click(page, "w.train.reset")
    wait_for_iteration(page, 0)
    choose(page, "w.train.rate_preset", "0.5×")  # the stable rate 1/L
    wait_for_query(page, "lr", "auto")
    click(page, "w.train.step10")
    wait_for_iteration(page, 10)
    wait_for_query(page, "iter", "10")
    [ghost] = ghosts(page)
    assert ghost["name"] == "GD 0.5, 10 it."
    assert ghost["x"] == pinned["x"]
    assert ghost["y"] == pytest.approx(pinned["y"], rel=1e-12)
    mine = next(t for t in chart_traces(page, "w.train.loss_chart") if t["name"] == "from scratch")
    assert mine["y"][1:] != pytest.approx(ghost["y"][1:], rel=1e-3)  # a different run
    assert "GD 0.5, 10 it." in legend_names(page, "w.train.loss_chart")  # the key
    assert query(page)["pins"] == "gd~none~0.5x10"
    link = page.url
    no_exception(page)

    fresh = browser.new_context(viewport={"width": 1400, "height": 1600})
    try:
        other = open_page(fresh, link)
        wait_for_iteration(other, 10)
        [replayed] = ghosts(other)
        assert replayed["name"] == "GD 0.5, 10 it."
        assert replayed["y"] == pytest.approx(pinned["y"], rel=1e-9)
        assert toggle_on(other, "w.train.lr_auto")
        no_exception(other)
    finally:
        fresh.close()


# ------------------------------------------------------------------ lessons


def plain(markdown: str) -> str:
    """A lesson's markdown as the page shows it: no emphasis marks, no code ticks."""
    text = markdown.replace("**", "").replace("`", "")
    return re.sub(r"\*(\S[^*]*?\S)\*", r"\1", text)


def heading(lesson: int, step: int) -> str:
    steps = LESSONS[lesson - 1].steps
    return f"Lesson {lesson}, step {step} of {len(steps)}: {steps[step - 1].title}"


def test_every_lesson_step_opens_by_link(app_server, browser):
    """All steps at once, each in its own tab (its own session), as a class would."""
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    try:
        opened = []
        for lesson_number, lesson in enumerate(LESSONS, start=1):
            for step_number in range(1, len(lesson.steps) + 1):
                page = context.new_page()
                page.goto(f"{app_server.url}/Lessons?lesson={lesson_number}&step={step_number}")
                opened.append((lesson_number, step_number, page))
        assert len(opened) == sum(len(lesson.steps) for lesson in LESSONS) >= 12
        for lesson_number, step_number, page in opened:
            box = page.locator(".st-key-lesson-step")
            box.get_by_text(heading(lesson_number, step_number), exact=True).wait_for(
                timeout=60_000
            )
            wait_until_idle(page, timeout=60_000)
            assert page.locator("h1").first.inner_text().strip() == "Lessons"
            task = LESSONS[lesson_number - 1].steps[step_number - 1].task
            assert plain(task) in box.inner_text()
            assert "{" not in box.inner_text()  # every number of the text filled in
            wait_for_query(page, "step", str(step_number))
            assert query(page)["lesson"] == str(lesson_number)
            no_exception(page)
            page.close()
    finally:
        context.close()


def test_lesson_next_and_back(app_server, context):
    page = open_page(context, f"{app_server.url}/Lessons?lesson=1&step=1")
    box = page.locator(".st-key-lesson-step")
    box.get_by_text(heading(1, 1), exact=True).wait_for()
    assert page.locator(f"{key_selector('w.lesson.back')} button").first.is_disabled()
    for step in (2, 3):
        click(page, "w.lesson.next")
        box.get_by_text(heading(1, step), exact=True).wait_for()
        wait_for_query(page, "step", str(step))
        assert query(page)["lesson"] == "1"
    assert query(page)["panel"] == "landscape"  # step 3 shows the landscape
    assert page.locator(".st-key-w-train-landscape .js-plotly-plot").count() == 1
    click(page, "w.lesson.back")
    box.get_by_text(heading(1, 2), exact=True).wait_for()
    wait_for_query(page, "step", "2")
    assert iteration(page) == 30  # step 2 starts after 30 steps of the seed run
    no_exception(page)


# ------------------------------------------------------------------ your own CSV


def csv_file(rows: int = 60, *, label=None, bad: tuple[int, str] | None = None) -> bytes:
    """Two numeric features and a label with 3 classes; ``bad`` = (row, value) puts a
    value into the first feature column."""
    rng = np.random.default_rng(7)
    lines = ["height,width,species"]
    for i in range(rows):
        c = i % 3
        height = f"{2.0 * c + rng.normal():.3f}"
        if bad is not None and i == bad[0]:
            height = bad[1]
        name = ("setosa", "versicolor", "virginica")[c] if label is None else label(i)
        lines.append(f"{height},{c + 0.5 * rng.normal():.3f},{name}")
    return ("\n".join(lines) + "\n").encode()


GOOD = csv_file()


def open_uploaded(context, url: str):
    """The Data page with GOOD uploaded through "Your CSV" and the file uploader."""
    page = open_page(context, f"{url}/Data")
    choose(page, "w.data.kind", "Your CSV")
    wait_for_event(page, "Upload a CSV file first")
    uploader = page.locator('[data-testid="stFileUploader"]').first
    if not uploader.is_visible():  # the expander "Your own CSV" is closed: open it
        page.get_by_text("Your own CSV").first.click()
        uploader.wait_for()
    upload(page, "flowers.csv", GOOD)
    wait_for_event(page, "because you chose flowers.csv")
    wait_for_query(page, "kind", "upload")
    wait_until_idle(page)
    return page


def data_shown(page) -> dict:
    """What the Data page shows of the data set: the chart's points by class, and the run
    summary's description of the data (before its "·")."""
    traces = chart_traces(page, "w.data.chart")
    summary = (
        page.locator('[data-testid="stSidebar"] [data-testid="stCaptionContainer"]')
        .filter(has_text="Run:")
        .first.inner_text()
    )
    return {
        "points": {t["name"]: sorted(zip(t["x"], t["y"], strict=True)) for t in traces},
        "summary": summary.split("·")[0].strip(),
    }


def good_shown() -> dict:
    """What the Data page should show of GOOD."""
    rows = [line.split(",") for line in GOOD.decode().splitlines()[1:]]
    return {
        "points": {
            name: sorted((float(h), float(w)) for h, w, s in rows if s == name)
            for name in ("setosa", "versicolor", "virginica")
        },
        "summary": "Run: flowers.csv (height, width), 60 points, 3 classes",
    }


def test_a_good_csv_is_drawn_and_trains(app_server, context):
    page = open_uploaded(context, app_server.url)
    assert data_shown(page) == good_shown()
    title = chart_title(page, "w.data.chart")
    no_exception(page)
    go_to(page, "Train", "Train")
    assert query(page)["kind"] == "upload" and iteration(page) == 0
    click(page, "w.train.step")
    wait_for_iteration(page, 1)
    assert sidebar_summary(page)["iteration"] == "1"
    losses = next(
        t for t in chart_traces(page, "w.train.loss_chart") if t["name"] == "from scratch"
    )
    assert len(losses["y"]) == 2 and all(math.isfinite(v) for v in losses["y"])
    assert losses["y"][0] == pytest.approx(math.log(3), abs=1e-9)
    no_exception(page)
    assert "Generated" not in title, title  # the file's data, not generated ones


BAD_FILES = {
    "one class": (
        "one-class.csv",
        csv_file(label=lambda i: "setosa"),
        ("only one class", "setosa"),
    ),
    "a non-numeric feature value": (
        "typo.csv",
        csv_file(bad=(7, "1.2.3")),  # line 9 of the file, in the column "height"
        ("1.2.3", "height"),
    ),
    "no numeric feature column": (
        "words.csv",
        b"size,label\n"
        + b"".join(f"{'big' if i == 4 else i},{'ab'[i % 2]}\n".encode() for i in range(40)),
        ("big", "size"),
    ),
    "not UTF-8": (
        "latin1.csv",
        csv_file(label=lambda i: ("café", "thé", "eau")[i % 3]).decode().encode("latin-1"),
        ("not UTF-8",),
    ),
}


@pytest.fixture(scope="module")
def csv_page(app_server, browser):
    """One Data page for the bad files (each case uploads the good file again first)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    try:
        yield open_uploaded(context, app_server.url)
    finally:
        context.close()


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_csv_is_refused_and_the_data_stay(csv_page, case):
    """After the good file, a bad one: a message that says what is wrong (quoting the bad
    value or column), and the data set on screen, and its name, are still the good file's."""
    page = csv_page
    if data_shown(page) != good_shown():  # an earlier case let a bad file in
        upload(page, "flowers.csv", GOOD)
        page.wait_for_function(
            "() => document.querySelector('[data-testid=stSidebar]').innerText"
            ".includes('Run: flowers.csv')"
        )
        wait_until_idle(page)
    assert data_shown(page) == good_shown()
    name, data, words = BAD_FILES[case]
    seen = events(page)
    upload(page, name, data)
    message = wait_for_new_event(page, seen, ignore="flowers.csv")
    wait_until_idle(page)
    for word in words:
        assert word in message, message
    assert "stays" in message, message
    assert data_shown(page) == good_shown()
    assert query(page)["kind"] == "upload"
    no_exception(page)


# ------------------------------------------------------------------ follow one point


# The data point a person can click at its centre: markers overlap on the 1-D line, and plotly
# gives a click to the marker drawn last (on top) under the pointer. So: the middle one of the
# points of ``name`` that no later-drawn marker comes near, with its pixel position from the
# axes' l2p, the plot's margins and the element's box.
_POINT = """(gd, name) => {
  const layout = gd._fullLayout, box = gd.getBoundingClientRect();
  const markers = gd._fullData.filter(t => t.mode === 'markers' && t.customdata);
  const drawn = markers.flatMap((t, k) => Array.from(t.x, (x, i) => ({
    name: t.name, k, i, row: Number(t.customdata[i]), x: Number(x), y: Number(t.y[i]),
    size: Number(t.marker.size),
    left: box.left + layout._size.l + layout.xaxis.l2p(Number(x)),
    top: box.top + layout._size.t + layout.yaxis.l2p(Number(t.y[i]))})));
  const onTop = drawn.filter(p => p.name === name && !drawn.some(q =>
    (q.k > p.k || (q.k === p.k && q.i > p.i))
    && Math.hypot(q.left - p.left, q.top - p.top) < p.size));
  return onTop[Math.floor(onTop.length / 2)];
}"""


def test_click_a_point_to_follow_it(app_server, context):
    page = open_page(context, f"{app_server.url}/Train?iter=10")
    chart = plot(page, "w.train.model_chart")
    chart.scroll_into_view_if_needed()
    wait_for_charts(page)
    data_traces = [t["name"] for t in chart_traces(page, "w.train.model_chart")]
    assert "data: 1" in data_traces, data_traces
    target = chart.evaluate(_POINT, "data: 1")
    page.mouse.move(target["left"], target["top"])
    act(page, lambda: page.mouse.click(target["left"], target["top"]))
    row = target["row"]
    wait_for_query(page, "point", str(row))
    panel = page.locator(".st-key-train-more")
    panel.get_by_text(
        re.compile(rf"^Point {row} \(training\), class 1, at iteration 10")
    ).wait_for()
    assert page.locator(f"{key_selector('w.train.point_bars')} .js-plotly-plot").count() == 1
    bars = chart_traces(page, "w.train.point_bars")
    assert all(sum(t["y"]) == pytest.approx(1.0, abs=1e-9) for t in bars if t["type"] == "bar")
    ring = next(t for t in chart_traces(page, "w.train.model_chart") if t["name"] == "chosen point")
    assert ring["x"] == [pytest.approx(target["x"])]
    no_exception(page)


# ------------------------------------------------------------------ temperature


def test_temperature_at_its_limits_keeps_every_number_finite(app_server, context):
    """On Math after 30 steps at lr 0.5 (large scores): T = 0.05 gives one-hot, T = 20
    nearly uniform, the winner never changes, and nothing on the page is NaN or infinite."""
    page = open_page(context, f"{app_server.url}/Math?iter=30")
    slider = page.locator(f"{key_selector('w.view.temperature')} input[type=range]").first
    for key, value, shown in (("End", "20.0", "20.00"), ("Home", "0.05", "0.05")):
        slider.focus()
        act(page, lambda key=key: page.keyboard.press(key))
        wait_for_query(page, "temp", value)
        thumb = page.locator(
            f"{key_selector('w.view.temperature')} [data-testid=stSliderThumbValue]"
        )
        assert thumb.inner_text().strip() == shown
        page.wait_for_function(
            "t => { const gd = document.querySelector('.st-key-w-math-temperature "
            ".js-plotly-plot'); return gd && JSON.stringify(gd.layout).includes(t); }",
            arg=f"T = {float(value):g}",
        )
        bars = [t for t in chart_traces(page, "w.math.temperature") if t["type"] == "bar"]
        assert len(bars) == 2, bars
        for bar in bars:
            assert all(math.isfinite(v) for v in bar["y"]), bar
            assert sum(bar["y"]) == pytest.approx(1.0, abs=1e-9)
        tempered = bars[1]["y"]
        if value == "0.05":
            assert max(tempered) > 0.999
        else:
            assert max(tempered) - min(tempered) < 0.2
        assert int(np.argmax(tempered)) == int(np.argmax(bars[0]["y"]))
        winner = re.compile(r"^Point \d+: at T = \S+ the most probable class")
        caption = page.get_by_text(winner).first
        assert "the same as at T = 1" in caption.inner_text()
        text = page.locator('[data-testid="stMain"]').inner_text()
        assert not NOT_FINITE.search(text), NOT_FINITE.findall(text)
        values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
        assert values and all(math.isfinite(float(v.replace(",", ""))) for v in values), values
        for gd in page.locator(".js-plotly-plot").all():
            numbers = gd.evaluate("gd => gd._fullData.flatMap(t => Array.from(t.y || [], Number))")
            assert all(math.isfinite(v) for v in numbers)
    no_exception(page)
