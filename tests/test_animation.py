"""Smooth Play: the frames the browser animates (ui.figures) and where they end.

A smooth Play tick sends a second's iterates at once; each chart carries them as plotly
frames that end on the chart's own data (what the server's run is at), so that a browser
that never animates still shows the truth.
"""

import base64
import io

import numpy as np
import PIL.Image
import plotly.graph_objects as go
import pytest

from ui import figures, views
from ui.lab import Lab
from ui.services import MemoryServices

NAMES = ["a", "b", "c"]


def proba_tables(n_tables: int, shape: tuple[int, ...], seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    tables = []
    for _ in range(n_tables):
        exp = np.exp(rng.normal(size=(*shape, len(NAMES))))
        tables.append(exp / exp.sum(axis=-1, keepdims=True))
    return tables


def decode(uri: str) -> np.ndarray:
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    return np.asarray(PIL.Image.open(io.BytesIO(base64.b64decode(uri[len(prefix) :]))))


def test_curve_frames_move_the_solid_curves_and_end_on_the_figure():
    grid = np.linspace(0.0, 10.0, 50)
    *earlier, current = proba_tables(5, (50,))
    X, y = grid[::5].reshape(-1, 1), np.arange(10) % 3
    spec = figures.probability_curves(
        grid, current, X, y, NAMES, reference=proba_tables(1, (50,), seed=1)[0], frames=earlier
    )
    go.Figure(spec)  # valid for plotly, frames included
    solid = [i for i, t in enumerate(spec["data"]) if t.get("line", {}).get("dash") == "solid"]
    assert len(spec["frames"]) == 5
    for frame, table in zip(spec["frames"], [*earlier, current], strict=True):
        assert frame["traces"] == solid
        for i, update in enumerate(frame["data"]):
            assert update["y"].dtype == np.float32
            np.testing.assert_allclose(update["y"], table[:, i], rtol=1e-6)
    for i, index in enumerate(solid):  # the figure itself is the last frame
        np.testing.assert_array_equal(spec["data"][index]["y"], current[:, i])


def test_region_frames_are_pngs_of_the_shading_the_right_way_up():
    gx, gy = np.linspace(-3, 3, 12), np.linspace(-2, 2, 8)
    *earlier, current = proba_tables(3, (8, 12))
    X, y = np.zeros((3, 2)), np.arange(3)
    spec = figures.decision_regions(gx, gy, current, X, y, NAMES, frames=earlier)
    go.Figure(spec)
    plain = figures.decision_regions(gx, gy, current, X, y, NAMES)
    image = spec["data"][0]
    assert "z" not in image  # plotly ignores the source of an image that has z
    # Plotly draws z's row 0 at the bottom (y0) and a picture's first row at the top.
    np.testing.assert_array_equal(decode(image["source"])[::-1], plain["data"][0]["z"])
    assert [f["traces"] for f in spec["frames"]] == [[0]] * 3
    for frame, table in zip(spec["frames"], [*earlier, current], strict=True):
        expected = figures.decision_regions(gx, gy, table, X, y, NAMES)["data"][0]["z"]
        np.testing.assert_array_equal(decode(frame["data"][0]["source"])[::-1], expected)


@pytest.mark.parametrize("window", ["all", "last", "logx"])
@pytest.mark.parametrize("start", [0, 7, 70])
def test_loss_frames_draw_the_line_on_from_where_the_tick_began(window, start):
    losses = 1.0 + np.exp(-np.arange(101) / 20.0)
    spec = figures.loss_history(losses, window=window, animate_from=start)
    go.Figure(spec)
    head, tail = [t for t in spec["data"] if t["name"] == "from scratch"]
    window_start = {"all": 0, "last": 100 - 50, "logx": 1}[window]  # "last": 50 iterations
    first = max(start, window_start)
    assert tail["x"][0] == first and tail["x"][-1] == 100 and head["x"][-1] == first
    assert np.all(np.diff(tail["x"]) == 1)  # every iteration, none thinned
    # Together the two traces are the line the plain figure draws.
    plain = next(t for t in figures.loss_history(losses, window=window)["data"])
    joined = dict(
        zip(np.append(head["x"], tail["x"]), np.append(head["y"], tail["y"]), strict=True)
    )
    assert set(plain["x"]) <= set(joined)
    np.testing.assert_array_equal([joined[x] for x in plain["x"]], plain["y"])
    # Frame j draws the tail's first j points; the last frame is the figure.
    index = spec["data"].index(tail)
    assert len(spec["frames"]) == tail["x"].size
    for j, frame in enumerate(spec["frames"], start=1):
        assert frame["traces"] == [index]
        np.testing.assert_array_equal(frame["data"][0]["x"], tail["x"][:j])
        np.testing.assert_array_equal(frame["data"][0]["y"], losses[tail["x"][:j]])


def test_autoplay_names_the_animation_and_its_pace():
    grid = np.linspace(0.0, 1.0, 10)
    *earlier, current = proba_tables(4, (10,))
    spec = figures.probability_curves(
        grid, current, grid.reshape(-1, 1), np.arange(10) % 3, NAMES, frames=earlier
    )
    spec = figures.autoplay(spec, "model:3:7", 30.0, redraw=False, from_first=True)
    go.Figure(spec)
    assert spec["layout"]["meta"] == {
        "autoplay": {"token": "model:3:7", "frame_ms": 30.0, "redraw": False, "from_first": True}
    }


def test_only_the_model_chart_is_drawn_from_its_first_frame():
    # The loss line grows frame by frame: its axes must be those of the tick's end.
    lab = Lab.from_link({"lr": "auto", "speed": "fast"}, MemoryServices())
    lab.play("Train")
    lab.tick()
    report = lab.report()
    seconds = lab.play_timing()[0]
    model = views.model_chart(
        lab.model, lab.dataset, report, lab.view, lab.frames(), seconds, large=False, height=300
    )
    loss = views.loss_chart(
        lab.model, report, lab.run.schedule, lab.view, lab.frames(), seconds, large=False,
        height=300,
    )  # fmt: skip
    assert model["layout"]["meta"]["autoplay"]["from_first"] is True
    assert loss["layout"]["meta"]["autoplay"]["from_first"] is False


def test_a_figure_without_frames_has_none():
    grid = np.linspace(0.0, 1.0, 10)
    spec = figures.probability_curves(
        grid, proba_tables(1, (10,))[0], grid.reshape(-1, 1), np.arange(10) % 3, NAMES
    )
    assert "frames" not in spec and "meta" not in spec["layout"]
    assert "frames" not in figures.loss_history(np.ones(5))
