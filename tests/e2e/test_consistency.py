"""One story on screen: after every kind of action, every display of a fact agrees.

AppTest reruns the whole script, so it cannot see a display that a fragment rerun left
stale; the browser can. After each of Step, Step x10, Run to convergence, Play -> Pause,
Back, Reset, Fix, a setting change and a page switch, this reads every display of the
iteration, learning rate, converged flag and loss -- metrics, the sidebar summary, the
banner, the widgets, the chart titles and the address bar -- and checks that they agree.
"""

from __future__ import annotations

import re
import time

import pytest

from ui.lab import PLAY_SPEEDS

from .browser import (
    act,
    button,
    choose,
    click,
    go_to,
    input_value,
    metric,
    open_page,
    runs,
    segmented_choice,
    settle,
    snapshot,
    toggle_on,
    wait_until_idle,
)

pytestmark = pytest.mark.e2e
STATES = {"yes": "converged", "no": "training", "diverged": "diverged"}


def wait_for_url(page, n_iter: int) -> None:
    """The address bar is written by a script after the rerun: wait for it."""
    page.wait_for_function(
        "n => new URLSearchParams(location.search).get('iter') === String(n)", arg=n_iter
    )


def check(shown: dict, *, url: bool = True, lag: int = 0) -> None:
    """The displays of one snapshot (see ``browser.snapshot``) tell one story. ``lag``: how
    many iterations the charts may trail the metrics while Play ticks (a tick's figure is
    sent after its metrics and drawn a moment later; the next tick's metrics may come first
    on a busy machine), never leading them."""
    assert not shown.get("drawing"), "a chart is still drawing"
    metrics = shown["metrics"]
    n_iter = int(metrics["Iteration"].replace(",", ""))
    summary = re.search(r"iteration ([\d,]+) · loss (\S+) · (\w+)", shown["summary"])
    assert summary, shown["summary"]
    assert int(summary.group(1).replace(",", "")) == n_iter
    assert summary.group(2) == metrics["Loss J"]
    assert summary.group(3) == STATES[metrics["Converged"]]
    for title, name in ((shown["model_title"], "From scratch"), (shown["loss_title"], "Loss")):
        # An animated Play tick's model chart names where its animation began.
        drawn = re.fullmatch(
            rf"{name}, iteration ([\d,]+)(?: \(played from ([\d,]+)\))?", title or ""
        )
        assert drawn, title
        at = int(drawn.group(1).replace(",", ""))
        assert 0 <= n_iter - at <= lag, (title, n_iter)
        if drawn.group(2) is not None:
            assert lag and at - lag <= int(drawn.group(2).replace(",", "")) < at, title
    stability = [
        a for a in shown["alerts"] if re.search(r"stable limit|Nesterov|Newton|Diverged", a)
    ]
    assert len(stability) == 1, shown["alerts"]
    if metrics["Converged"] == "diverged":
        assert "Diverged" in stability[0]
    elif "Newton" not in stability[0]:
        stated = re.search(r"lr = ([0-9.e+-]+)", stability[0]).group(1)
        assert float(stated) == pytest.approx(float(shown["rate"]), rel=5e-4)
    if shown["auto"]:
        assert shown["preset"] == "0.5×"
    elif float(shown["rate"]) == 0.5:
        assert shown["preset"] == "0.5 (seed)"
    if url:
        params = dict(p.split("=", 1) for p in shown["search"].lstrip("?").split("&"))
        assert int(params["iter"]) == n_iter
        assert (params["lr"] == "auto") == shown["auto"]
        if not shown["auto"]:
            assert float(params["lr"]) == pytest.approx(float(shown["rate"]), rel=5e-4)


def assert_consistent(page, timeout: float = 8.0, *, url: bool = True, lag: int = 0) -> None:
    """Every display agrees once the page has settled: a rerun redraws the metrics, the
    charts (plotly redraws a moment later) and the address bar (a script) in turn, so the
    snapshot is retaken until it agrees or the time is up. A display that no rerun redraws
    (a stale one) never agrees."""
    if url:
        wait_until_idle(page)
    deadline = time.monotonic() + timeout
    while True:
        shown = snapshot(page)
        try:
            check(shown, url=url, lag=lag)
            return
        except (AssertionError, KeyError, TypeError, AttributeError, ValueError):
            if time.monotonic() > deadline:
                print(shown)
                raise
            time.sleep(0.1)


def test_every_display_agrees_after_every_action(app_server, context):
    page = open_page(context, f"{app_server.url}/Train")
    assert_consistent(page)

    for key in ("w.train.step", "w.train.step10", "w.train.step10", "w.train.step10"):
        click(page, key)
        assert_consistent(page)
    assert metric(page, "Iteration") == "31"

    click(page, "w.train.fix_lr")  # the stable rate: lr=auto, the box shows 1/L
    assert_consistent(page)
    assert toggle_on(page, "w.train.lr_auto") and input_value(page, "w.train.lr") == "0.05839"

    click(page, "w.train.run")  # stops at max_iter or tol: the flags must agree anyway
    assert_consistent(page)

    click(page, "w.train.back")
    assert_consistent(page)
    assert metric(page, "Iteration") == "31"

    button(page, "w.train.play").click()
    button(page, "w.train.pause").wait_for(timeout=10_000)
    for _ in range(5):  # while playing, each tick is a fragment rerun only
        settle(page, runs(page))
        assert_consistent(page, timeout=3.0, url=False, lag=PLAY_SPEEDS["fast"][1])
    act(page, lambda: button(page, "w.train.pause").click())
    button(page, "w.train.play").wait_for(timeout=10_000)
    assert_consistent(page)
    assert int(metric(page, "Iteration")) > 31

    choose(page, "w.train.rate_preset", "1.01×")  # a setting that keeps the run
    assert_consistent(page)
    assert segmented_choice(page, "w.train.rate_preset") == "1.01×"

    choose(page, "w.train.solver", "Nesterov")  # a setting that starts a new run
    assert_consistent(page)
    assert metric(page, "Iteration") == "0"

    click(page, "w.train.reset")
    assert_consistent(page)

    click(page, "w.train.back")  # back to the run before Reset, then before the solver
    click(page, "w.train.back")
    assert_consistent(page)
    assert int(metric(page, "Iteration")) > 31

    go_to(page, "Compare", "Compare with scikit-learn")
    go_to(page, "Train", "Train")
    assert_consistent(page)


def test_divergence_shows_one_story(app_server, context):
    page = open_page(context, f"{app_server.url}/Train?lr=1000000")
    click(page, "w.train.step")
    assert_consistent(page)
    assert metric(page, "Converged") == "diverged"
    assert len(metric(page, "Loss J")) <= 12  # a large loss is formatted to fit
    alerts = page.locator('[data-testid="stAlert"]')
    assert alerts.count() == 1  # nothing but the divergence and its fix
    assert button(page, "w.train.restart_stable").is_visible()
    click(page, "w.train.restart_stable")
    assert_consistent(page)
    assert metric(page, "Iteration") == "0" and toggle_on(page, "w.train.lr_auto")
