"""Play in the browser: the animated speeds ("fast", "smooth") animate a tick's steps and land
on the run."""

from __future__ import annotations

import math

import pytest

from ui.lab import PLAY_SPEEDS

from .browser import (
    COUNT_FRAMES,
    act,
    button,
    chart_title,
    chart_traces,
    iteration,
    open_page,
    query,
    wait_for_iteration_at_least,
)

pytestmark = pytest.mark.e2e


def solid_curves(page) -> list[list[float]]:
    traces = chart_traces(page, "w.train.model_chart")
    return [t["y"] for t in traces if t["dash"] == "solid" and len(t["y"]) > 100]


@pytest.mark.parametrize(
    ("speed", "data"), [("smooth", ""), ("smooth", "kind=blobs&"), ("fast", "")]
)
def test_animated_play_animates_and_lands_on_the_run(app_server, browser, speed, data):
    steps = PLAY_SPEEDS[speed][1]
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = open_page(context, f"{app_server.url}/Train?{data}lr=auto&speed={speed}")
        page.evaluate(COUNT_FRAMES, "w-train-model_chart")
        button(page, "w.train.play").click()
        button(page, "w.train.pause").wait_for(timeout=10_000)
        # A tick animated (smooth: 60 steps over 1.8 s, about 30 frames a second; fast: 6
        # over 0.45 s), and more.
        frames_wanted = min(steps, 30)
        page.wait_for_function(f"() => window.labFrames >= {frames_wanted}", timeout=20_000)
        wait_for_iteration_at_least(page, 2 * steps if speed == "fast" else steps)
        act(page, lambda: button(page, "w.train.pause").click())
        button(page, "w.train.play").wait_for(timeout=10_000)
        frames = page.evaluate("window.labFrames")
        stopped_at = iteration(page)
        assert stopped_at >= steps and frames >= frames_wanted, (stopped_at, frames)
        assert chart_title(page, "w.train.model_chart") == f"From scratch, iteration {stopped_at:,}"
        assert query(page)["iter"] == str(stopped_at)
        # The same run replayed from its link, in a new session, draws the same model.
        replay = open_page(browser.new_context(viewport={"width": 1400, "height": 900}), page.url)
        assert iteration(replay) == stopped_at
        if data:  # 2-D: the shading, an image
            shading = "gd => JSON.stringify(gd.data[0].z)"
            chart = ".st-key-w-train-model_chart .js-plotly-plot"
            assert page.locator(chart).evaluate(shading) == replay.locator(chart).evaluate(shading)
        else:
            for mine, replayed in zip(solid_curves(page), solid_curves(replay), strict=True):
                assert all(math.isfinite(v) for v in mine)
                assert max(abs(a - b) for a, b in zip(mine, replayed, strict=True)) < 1e-6
        replay.context.close()
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        context.close()
