"""Accessibility (WCAG 2.1 AA): axe-core's audit of every page, and what axe cannot check.

The audit (axe-core, bundled by ``axe-playwright-python``) runs on every page of the app in
normal and classroom mode (``?classroom=1``), on a 1400x900 laptop and a 390x844 phone, with
Train a few steps in; a serious or critical violation fails, the minor and moderate ones are
printed per page (rule, impact, count). One server and one browser; a context per viewport
and mode.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from axe_playwright_python.sync_playwright import Axe

from ui.lessons import LESSONS

from .browser import (
    COUNT_FRAMES,
    act,
    button,
    chart_title,
    click,
    iteration,
    key_selector,
    no_exception,
    open_page,
    query,
    runs,
    wait_for_charts,
    wait_for_iteration_at_least,
    wait_for_no_run,
)

pytestmark = pytest.mark.e2e

VIEWPORTS = {"laptop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}
MODES = {"normal": "", "classroom": "classroom=1"}
# Every page under pages/ and the home page; each lesson's first step; the Live page as a
# visitor finds it (start or join), as the teacher's room once started, and as a student
# following that room (with the run's charts).
PAGES = [
    "",
    "Data",
    "Train",
    "Compare",
    "Math",
    *(f"Lessons?lesson={index + 1}&step=1" for index in range(len(LESSONS))),
    "Live",
]
# Every rule axe-core runs by default: WCAG 2.0/2.1 A and AA, and its best practices (which
# only ever show up as moderate here: the printed report).
BLOCKING = {"serious", "critical"}

_axe = Axe()


# Every chart is an image to a screen reader, named by its one sentence (ui.figures.describe),
# not by its file name (the fallback when a figure has no description).
_CHART_LABELS = """() => [...document.querySelectorAll('.lab-chart')].map(gd => ({
  role: gd.getAttribute('role'), label: gd.getAttribute('aria-label'), name: gd.labName}))"""


def check_chart_labels(page) -> None:
    for chart in page.evaluate(_CHART_LABELS):
        assert chart["role"] == "img", chart
        assert chart["label"] and chart["label"] != chart["name"], chart


def audit(page) -> list[dict]:
    """axe-core's violations on the page as it is now."""
    return _axe.run(page, options={"resultTypes": ["violations"]}).response["violations"]


def summary(where: str, violations: list[dict]) -> str:
    counts = Counter((v["id"], v["impact"]) for v in violations for _ in v["nodes"])
    if not counts:
        return f"{where}: no violations"
    rows = ", ".join(f"{rule} ({impact}) x{count}" for (rule, impact), count in counts.items())
    return f"{where}: {rows}"


def blocking(violations: list[dict]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -- {node['target']} {node['failureSummary']}"
        for v in violations
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


def url_of(server, path: str, query: str) -> str:
    if not query:
        return f"{server.url}/{path}"
    return f"{server.url}/{path}{'&' if '?' in path else '?'}{query}"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_no_serious_violations(app_server, browser, viewport, mode):
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    contexts = []
    found: dict[str, list[str]] = {}
    try:
        for path in PAGES:
            page = open_page(context, url_of(app_server, path, MODES[mode]))
            if path == "Train":
                for _ in range(3):
                    click(page, "w.train.step")
                assert iteration(page) == 3
            where = f"{viewport} {mode} /{path}"
            check_chart_labels(page)
            violations = audit(page)
            print(summary(where, violations))
            found[where] = blocking(violations)
            if path == "Live":
                click(page, "w.live.start")
                page.get_by_text("Room ").first.wait_for()
                where = f"{viewport} {mode} /Live (teacher's room)"
                violations = audit(page)
                print(summary(where, violations))
                found[where] = blocking(violations)
                # A student's page (another browser: no teacher's cookie) with the run's charts.
                heading = page.get_by_role("heading", name=re.compile(r"^Room [A-Z0-9]+$"))
                code = heading.first.inner_text().removeprefix("Room ").strip()
                student = browser.new_context(viewport=VIEWPORTS[viewport])
                contexts.append(student)
                follower = open_page(student, url_of(app_server, f"Live?room={code}", MODES[mode]))
                follower.locator(".lab-chart").first.wait_for(timeout=30_000)
                wait_for_charts(follower)
                where = f"{viewport} {mode} /Live?room= (a student's page)"
                check_chart_labels(follower)
                violations = audit(follower)
                print(summary(where, violations))
                found[where] = blocking(violations)
            page.close()
    finally:
        for other in contexts:
            other.close()
        context.close()
    problems = {where: rows for where, rows in found.items() if rows}
    assert not problems, "\n".join(f"{w}:\n  " + "\n  ".join(r) for w, r in problems.items())


# The element that has the keyboard's focus: the key of the widget it belongs to (from its
# st-key-* class), and whether its focus shows (an outline or a box shadow).
_FOCUSED = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const block = element.closest('[class*="st-key-"]');
  const key = block ? [...block.classList].find(c => c.startsWith('st-key-')) : null;
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  return {key, tag: element.tagName, outline: outline ? style.outlineStyle : 'none',
          shadow: style.boxShadow};
}"""


def focused(page) -> dict | None:
    return page.evaluate(_FOCUSED)


def tab_to(
    page, key: str, *, tag: str = "BUTTON", backwards: bool = False, presses: int = 120
) -> dict:
    """Press Tab (Shift+Tab ``backwards``) until the focus is on widget ``key``'s element
    ``tag`` (not its help icon); its focus must show."""
    wanted = key_selector(key).removeprefix(".")
    for _ in range(presses):
        now = focused(page)
        if now is not None and now["key"] == wanted and now["tag"] == tag:
            assert now["outline"] != "none" or now["shadow"] != "none", now
            return now
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"{presses} presses of Tab never reached {key}")


def press(page, key: str) -> None:
    act(page, lambda: page.keyboard.press(key))


def test_the_lecture_runs_by_keyboard_alone(app_server, browser):
    context = browser.new_context(viewport=VIEWPORTS["laptop"])
    try:
        page = open_page(context, f"{app_server.url}/Train")
        assert iteration(page) == 0
        tab_to(page, "w.train.step")
        press(page, "Enter")
        assert iteration(page) == 1 and query(page)["iter"] == "1"
        press(page, "Space")  # the focus stays on Step
        assert iteration(page) == 2 and query(page)["iter"] == "2"
        tab_to(page, "w.train.back")
        press(page, "Enter")
        assert iteration(page) == 1 and query(page)["iter"] == "1"
        tab_to(page, "w.train.play", backwards=True)
        page.keyboard.press("Enter")
        wait_for_iteration_at_least(page, 3)
        tab_to(page, "w.train.pause")
        press(page, "Enter")
        button(page, "w.train.play").wait_for(timeout=10_000)
        stopped = iteration(page)
        assert stopped >= 3 and query(page)["iter"] == str(stopped)
        wait_for_no_run(page, runs(page))  # paused: no more steps
        # The learning rate: its box, then the up arrow (Streamlit's number box steps and
        # commits the value at once); the run keeps its iteration.
        rate = float(query(page)["lr"])
        tab_to(page, "w.train.lr", tag="INPUT")
        press(page, "ArrowUp")
        assert float(query(page)["lr"]) > rate, query(page)
        assert iteration(page) == stopped
        # The arrow keys outside a box step and go back (ui.page's shortcuts).
        tab_to(page, "w.train.step")
        press(page, "ArrowRight")
        assert iteration(page) == stopped + 1 and query(page)["iter"] == str(stopped + 1)
        press(page, "ArrowLeft")
        assert iteration(page) == stopped
        no_exception(page)
    finally:
        context.close()


def test_smooth_play_does_not_animate_with_reduced_motion(app_server, browser):
    context = browser.new_context(viewport=VIEWPORTS["laptop"], reduced_motion="reduce")
    try:
        page = open_page(context, f"{app_server.url}/Train?lr=auto&speed=smooth")
        # The speed's caption, in the More popover beside it.
        page.locator('[data-testid="stPopover"] button', has_text="More").first.click()
        caption = page.locator('[data-testid="stCaptionContainer"]', has_text="reduced motion")
        assert "the charts do not animate" in caption.first.inner_text()
        page.keyboard.press("Escape")
        page.locator('[data-testid="stPopoverBody"]').wait_for(state="hidden")
        page.evaluate(COUNT_FRAMES, "w-train-model_chart")
        button(page, "w.train.play").click()
        button(page, "w.train.pause").wait_for(timeout=10_000)
        wait_for_iteration_at_least(page, 120)  # two ticks of 60 steps drawn
        act(page, lambda: button(page, "w.train.pause").click())
        stopped = iteration(page)
        assert page.evaluate("window.labFrames") == 0
        assert chart_title(page, "w.train.model_chart") == f"From scratch, iteration {stopped:,}"
    finally:
        context.close()


def test_the_audited_theme_is_the_only_one(app_server, browser):
    """The contrast audited above holds in every theme the app can show: there is one.

    Streamlit 1.67 offers Light and Dark in its settings menu only when the configuration
    defines both (``[theme.light]`` and ``[theme.dark]``); .streamlit/config.toml sets one
    custom light theme, and ``toolbarMode = "minimal"`` shows no settings menu. Neither a
    device that prefers dark nor ``?embed_options=dark_theme`` changes it (measured here:
    the page stays white, in the theme's own text colour)."""
    context = browser.new_context(viewport=VIEWPORTS["laptop"], color_scheme="dark")
    try:
        page = open_page(context, f"{app_server.url}/Train?embed_options=dark_theme")
        colours = page.evaluate(
            """() => { const app = document.querySelector('[data-testid="stApp"]');
                       const text = document.querySelector('[data-testid="stMarkdownContainer"] p');
                       return [getComputedStyle(app).backgroundColor,
                               getComputedStyle(text).color]; }"""
        )
        assert colours == ["rgb(255, 255, 255)", "rgb(27, 31, 36)"]  # config.toml's theme
        assert page.locator('[data-testid="stMainMenu"]').count() == 0
    finally:
        context.close()
