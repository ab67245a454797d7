"""Take the run home in Chromium (issue 20): the script a person downloads is the run on
screen and prints its loss; the JSON file opens again on the Data page and the address bar
holds the run; each chart downloads itself as a 1920x1080 PNG and as an SVG."""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys

import pytest

from ui import export
from ui.report import format_number
from ui.settings import from_query

from .browser import (
    act,
    button,
    click,
    iteration,
    metric,
    no_exception,
    open_page,
    query,
    wait_for_event,
    wait_for_iteration,
    wait_until_idle,
)
from .conftest import ROOT

pytestmark = pytest.mark.e2e
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FORM2 = re.compile(r"Form 2 \(softmax_core\): final loss J = (\S+)")


def take_home(page, key: str, tmp_path):
    """Open "Take this run home" below the charts, click the download ``key`` and return
    the saved file."""
    if not button(page, key).is_visible():
        page.get_by_text("Take this run home").click()
    with page.expect_download() as download:
        button(page, key).click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    return saved


def fixed_run(page) -> None:
    """The seed's 30 chaotic steps, Fix, and 10 steps at 1/L."""
    click(page, "w.train.fix_lr")
    click(page, "w.train.step10")
    wait_for_iteration(page, 40)


def test_download_script_is_the_run_on_screen_and_prints_its_loss(app_server, context, tmp_path):
    page = open_page(context, f"{app_server.url}/Train?iter=30")
    fixed_run(page)
    saved = take_home(page, "w.export.script", tmp_path)
    assert saved.name == export.SCRIPT_NAME
    link = from_query(query(page))
    assert list(link.schedule) == [(0.5, 30), (None, 10)]
    spec = export.RunSpec(link.settings, list(link.schedule))
    assert saved.read_text(encoding="ascii") == export.script(spec)
    # Run as a person runs it (figures saved into a folder instead of shown).
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(saved), str(tmp_path / "figures")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    printed = float(FORM2.search(result.stdout).group(1))
    assert format_number(printed) == metric(page, "Loss J")  # to the digits the page shows
    no_exception(page)


def test_a_run_saved_as_json_opens_on_the_data_page(app_server, context, tmp_path):
    page = open_page(context, f"{app_server.url}/Train?iter=30")
    fixed_run(page)
    saved = take_home(page, "w.export.json", tmp_path)
    link, loss = query(page), metric(page, "Loss J")
    assert json.loads(saved.read_text())["model"]["n_iter"] == 40
    # Another browser, another run: the file brings this one back, and the link holds it.
    other = open_page(context, f"{app_server.url}/Data?kind=blobs&iter=5")
    other.get_by_text("Open a saved run (JSON)").click()
    chooser = other.locator('[class*="st-key-w-data-open_run-"] input[type=file]').first
    act(
        other,
        lambda: chooser.set_input_files(
            files=[
                {"name": saved.name, "mimeType": "application/json", "buffer": saved.read_bytes()}
            ]
        ),
    )
    message = wait_for_event(other, "Opened")  # after the icon's name
    assert message.endswith(f" Opened {saved.name}: iteration 40, loss J = {loss}."), message
    other.wait_for_function("() => location.search.includes('sched=')")
    assert query(other) == link
    other.goto(f"{app_server.url}/Train?{other.evaluate('location.search.slice(1)')}")
    wait_until_idle(other)
    assert iteration(other) == 40 and metric(other, "Loss J") == loss
    no_exception(other)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header (its IHDR chunk comes first)."""
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("chart", ["w.train.loss_chart", "w.train.model_chart"])
def test_each_chart_downloads_as_png_and_svg_for_slides(app_server, context, tmp_path, chart):
    fetched = []
    context.on("request", lambda r: fetched.append(r.url) if "plotly-cartesian" in r.url else None)
    page = open_page(context, f"{app_server.url}/Train?iter=30")
    assert len(fetched) == 1, fetched  # both charts share one load of plotly.js
    # Redrawn by a step: Plotly.react is given no config then, and the mode bar stays.
    click(page, "w.train.step")
    wait_for_iteration(page, 31)
    plot = page.locator(f".st-key-{chart.replace('.', '-')} .js-plotly-plot")
    name = "softmax-lab-" + chart.removeprefix("w.").replace(".", "-")
    plot.hover()  # the mode bar shows on hover, with the two image buttons only
    buttons = plot.locator(".modebar-btn")
    assert buttons.count() == 2
    with page.expect_download() as download:
        plot.locator('.modebar-btn[data-title^="Download PNG"]').click()
    assert download.value.suggested_filename == f"{name}.png"
    png = tmp_path / "chart.png"
    download.value.save_as(png)
    assert png_size(png.read_bytes()) == (1920, 1080)
    plot.hover()
    with page.expect_download() as download:
        plot.locator('.modebar-btn[data-title^="Download SVG"]').click()
    assert download.value.suggested_filename == f"{name}.svg"
    svg = tmp_path / "chart.svg"
    download.value.save_as(svg)
    text = svg.read_text()
    assert text.startswith("<svg") and 'width="1920"' in text and 'height="1080"' in text
    title = page.evaluate(
        f"""() => document.querySelector('.st-key-{chart.replace(".", "-")} .js-plotly-plot')
              .layout.title.text"""
    )
    assert title.split("<")[0].strip() in text  # the chart itself, its title included
    no_exception(page)


def test_share_this_run_stays_open_and_its_link_follows_each_step(app_server, context):
    # Drawn only while open (ui.training): opened, it stays open through a Step, and its
    # link is the run after that step.
    page = open_page(context, f"{app_server.url}/Train?iter=30")
    links = page.locator('[data-testid="stCode"]')
    assert links.count() == 0
    page.get_by_text("Share this run").click()
    links.filter(has_text="iter=30").wait_for()
    click(page, "w.train.step")
    wait_for_iteration(page, 31)
    links.filter(has_text="iter=31").wait_for()
    wait_until_idle(page)
    assert links.filter(has_text="iter=30").count() == 0
    # Play reruns the charts alone: the open box is drawn again when it falls behind.
    button(page, "w.train.play").click()
    links.filter(has_text=re.compile(r"iter=(3[3-9]|[4-9]\d)\b")).first.wait_for(timeout=20_000)
    act(page, lambda: button(page, "w.train.pause").click())
    links.filter(has_text=re.compile(rf"iter={iteration(page)}\b")).first.wait_for()
    no_exception(page)
