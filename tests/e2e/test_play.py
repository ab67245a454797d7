"""Play in the browser: the smooth speed animates a second's steps and lands on the run."""

from __future__ import annotations

import math

import pytest

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


@pytest.mark.parametrize("data", ["", "kind=blobs&"])
def test_smooth_play_animates_and_lands_on_the_run(app_server, browser, data):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = open_page(context, f"{app_server.url}/Train?{data}lr=auto&speed=smooth")
        page.evaluate(COUNT_FRAMES, "w-train-model_chart")
        button(page, "w.train.play").click()
        button(page, "w.train.pause").wait_for(timeout=10_000)
        # A whole tick animated (60 steps over 1.8 s, about 30 frames a second), and more.
        page.wait_for_function("() => window.labFrames >= 30", timeout=20_000)
        wait_for_iteration_at_least(page, 60)
        act(page, lambda: button(page, "w.train.pause").click())
        button(page, "w.train.play").wait_for(timeout=10_000)
        frames = page.evaluate("window.labFrames")
        stopped_at = iteration(page)
        assert stopped_at >= 60 and frames >= 30, (stopped_at, frames)
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
