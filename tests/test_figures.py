"""ui.figures: plain arrays in, plotly figures out (no Streamlit)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ui import figures
from ui.figures import MARKERS, MAX_POINTS_DRAWN, PALETTE

NAMES = ["a", "b", "c"]


def line_data(n_samples=30, n_classes=3):
    X = np.linspace(0.0, 10.0, n_samples).reshape(-1, 1)
    y = np.arange(n_samples) % n_classes
    return X, y


def blob_data(n_samples=30, n_classes=3):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n_samples, 2)), np.arange(n_samples) % n_classes


def proba_table(n_rows, n_classes=3, seed=0):
    scores = np.random.default_rng(seed).normal(size=(n_rows, n_classes))
    exp = np.exp(scores)
    return exp / exp.sum(axis=-1, keepdims=True)


def check_layout(fig, title, x_title, y_title):
    assert fig.layout.title.text == title
    assert fig.layout.xaxis.title.text == x_title
    assert fig.layout.yaxis.title.text == y_title


def test_palette_and_markers_are_distinct():
    assert len(set(PALETTE)) == len(PALETTE) >= 6
    assert len(set(MARKERS)) == len(MARKERS) >= 6
    assert all(c.startswith("#") and len(c) == 7 for c in PALETTE)
    assert [figures.class_colour(i) for i in range(len(PALETTE) + 2)] == [
        *PALETTE,
        PALETTE[0],
        PALETTE[1],
    ]
    assert figures.class_marker(len(MARKERS)) == MARKERS[0]


def test_thin_keeps_small_data_whole():
    np.testing.assert_array_equal(figures.thin(5), np.arange(5))
    np.testing.assert_array_equal(figures.thin(MAX_POINTS_DRAWN), np.arange(MAX_POINTS_DRAWN))
    assert figures.thin(0).size == 0


@given(st.integers(1, 300_000), st.integers(2, 5_000))
def test_thin_bounds_the_points(n_points, max_points):
    keep = figures.thin(n_points, max_points)
    assert 1 <= keep.size <= max_points
    assert keep[0] == 0 and keep[-1] == n_points - 1
    assert np.all(np.diff(keep) > 0)
    assert keep.size == min(n_points, max_points)


def test_thin_default_limit():
    keep = figures.thin(100_000)
    assert keep.size == MAX_POINTS_DRAWN
    assert (keep[0], keep[-1]) == (0, 99_999)


def test_data_scatter_1d():
    X, y = line_data()
    fig = figures.data_scatter(X, y, NAMES)
    assert len(fig.data) == 3
    assert [t.name for t in fig.data] == ["class a", "class b", "class c"]
    assert [t.marker.color for t in fig.data] == list(PALETTE[:3])
    assert len({t.marker.symbol for t in fig.data}) == 3
    for k, data in enumerate(fig.data):
        np.testing.assert_array_equal(data.x, X[y == k, 0])
        np.testing.assert_array_equal(data.y, np.full((y == k).sum(), k))
        assert data.mode == "markers"
    check_layout(fig, "Generated multi-class data", "x", "y (label)")
    assert list(fig.layout.yaxis.ticktext) == NAMES
    assert list(fig.layout.yaxis.tickvals) == [0, 1, 2]


def test_data_scatter_2d():
    X, y = blob_data()
    fig = figures.data_scatter(X, y, NAMES)
    for k, data in enumerate(fig.data):
        np.testing.assert_array_equal(data.x, X[y == k, 0])
        np.testing.assert_array_equal(data.y, X[y == k, 1])
    check_layout(fig, "Generated multi-class data", "x₁", "x₂")
    assert fig.layout.yaxis.scaleanchor == "x"


def test_data_scatter_thins_large_data():
    X, y = line_data(10_000, 4)
    fig = figures.data_scatter(X, y, list("abcd"))
    drawn = np.concatenate([t.x for t in fig.data])
    assert drawn.size == MAX_POINTS_DRAWN
    assert {X[0, 0], X[-1, 0]} <= set(drawn)
    assert set(drawn) <= set(X[:, 0])


def test_data_scatter_class_with_no_points():
    X, y = line_data(10, 2)
    fig = figures.data_scatter(X, y, ["a", "b", "c"])
    assert len(fig.data) == 3
    assert len(fig.data[2].x) == 0


@pytest.mark.parametrize("large", [False, True])
def test_large_figures(large):
    X, y = line_data()
    fig = figures.data_scatter(X, y, NAMES, large=large)
    assert fig.layout.height == (620 if large else 480)
    assert fig.layout.font.size == (20 if large else 13)
    assert fig.layout.title.font.size == fig.layout.font.size + 4


def test_probability_curves_without_reference():
    X, y = line_data()
    grid = np.linspace(-1, 11, 50)
    proba = proba_table(50)
    fig = figures.probability_curves(grid, proba, X, y, NAMES, title="T")
    assert len(fig.data) == 3 + 3
    curves, points = fig.data[:3], fig.data[3:]
    assert [t.name for t in curves] == [f"from scratch: P(class {n})" for n in NAMES]
    for k, curve in enumerate(curves):
        np.testing.assert_array_equal(curve.x, grid)
        np.testing.assert_array_equal(curve.y, proba[:, k])
        assert curve.line.dash == "solid"
        assert curve.line.color == PALETTE[k]
    assert [t.name for t in points] == [f"data: {n}" for n in NAMES]
    assert len({t.marker.symbol for t in points}) == 3
    for k, data in enumerate(points):
        np.testing.assert_array_equal(data.x, X[y == k, 0])
        np.testing.assert_array_equal(data.y, -0.05)
        assert data.marker.color == PALETTE[k]
    check_layout(fig, "T", "x", "predicted probability")
    assert tuple(fig.layout.yaxis.range) == (-0.1, 1.1)


def test_probability_curves_with_reference():
    X, y = line_data()
    grid = np.linspace(-1, 11, 40)
    proba, reference = proba_table(40), proba_table(40, seed=1)
    fig = figures.probability_curves(grid, proba, X, y, NAMES, reference=reference)
    assert len(fig.data) == 2 * 3 + 3
    for k in range(3):
        ours, theirs = fig.data[2 * k], fig.data[2 * k + 1]
        assert ours.name == f"from scratch: P(class {NAMES[k]})"
        assert theirs.name == f"scikit-learn: P(class {NAMES[k]})"
        assert (ours.line.dash, theirs.line.dash) == ("solid", "dash")
        assert ours.line.color == theirs.line.color == PALETTE[k]
        assert ours.legendgroup == theirs.legendgroup == fig.data[6 + k].legendgroup
        np.testing.assert_array_equal(theirs.x, grid)
        np.testing.assert_array_equal(theirs.y, reference[:, k])
    assert fig.layout.title.text == "Predicted probability of each class"


def test_probability_curves_reference_label():
    X, y = line_data()
    grid = np.linspace(0, 10, 5)
    fig = figures.probability_curves(
        grid, proba_table(5), X, y, NAMES, reference=proba_table(5), reference_label="ref"
    )
    assert fig.data[1].name == "ref: P(class a)"


def test_decision_regions():
    X, y = blob_data()
    gx, gy = np.linspace(-3, 3, 20), np.linspace(-2, 2, 15)
    proba = proba_table(15 * 20).reshape(15, 20, 3)
    fig = figures.decision_regions(gx, gy, proba, X, y, NAMES)
    types = [t.type for t in fig.data]
    assert types == ["image", "contour", "heatmap", "scatter", "scatter", "scatter"]
    image, contour, heatmap = fig.data[:3]
    assert np.asarray(image.z).shape == (15, 20, 3)
    assert np.asarray(image.z).dtype == np.uint8
    assert (image.x0, image.y0) == (-3.0, -2.0)
    assert image.dx == pytest.approx(gx[1] - gx[0])
    assert image.dy == pytest.approx(gy[1] - gy[0])
    np.testing.assert_array_equal(contour.z, proba.max(axis=2))
    np.testing.assert_array_equal(heatmap.z, proba.argmax(axis=2))
    np.testing.assert_array_equal(heatmap.x, gx)
    np.testing.assert_array_equal(heatmap.y, gy)
    points = fig.data[3:]
    assert [t.name for t in points] == [f"data: {n}" for n in NAMES]
    assert [t.marker.color for t in points] == list(PALETTE[:3])
    assert len({t.marker.symbol for t in points}) == 3
    for k, data in enumerate(points):
        np.testing.assert_array_equal(data.x, X[y == k, 0])
        np.testing.assert_array_equal(data.y, X[y == k, 1])
    check_layout(fig, "Decision regions (shading: class probabilities)", "x₁", "x₂")
    assert tuple(fig.layout.xaxis.range) == (-3.0, 3.0)
    assert tuple(fig.layout.yaxis.range) == (-2.0, 2.0)


def test_decision_regions_shading_mixes_class_colours():
    gx, gy = np.linspace(0, 1, 3), np.linspace(0, 1, 2)
    proba = np.zeros((2, 3, 3))
    proba[..., 1] = 1.0  # certain of class 1 everywhere
    proba[0, 0] = [0.5, 0.5, 0.0]
    X, y = blob_data(6)
    image = np.asarray(figures.decision_regions(gx, gy, proba, X, y, NAMES).data[0].z)
    rgb = [np.array([int(c[j : j + 2], 16) for j in (1, 3, 5)]) for c in PALETTE[:2]]
    np.testing.assert_array_equal(image[1, 1], np.round(0.55 * rgb[1] + 0.45 * 255))
    np.testing.assert_array_equal(image[0, 0], np.round(0.55 * (rgb[0] + rgb[1]) / 2 + 0.45 * 255))


def test_loss_history():
    losses = np.array([1.1, 0.9, 0.7, 0.65])
    fig = figures.loss_history(losses)
    assert len(fig.data) == 1
    curve = fig.data[0]
    assert curve.name == "from scratch"
    np.testing.assert_array_equal(curve.x, np.arange(4))
    np.testing.assert_array_equal(curve.y, losses)
    assert curve.mode == "lines+markers"
    assert curve.line.color == PALETTE[0]
    check_layout(fig, "Loss history", "iteration", "objective J (cross-entropy + penalty)")
    assert fig.layout.yaxis.type is None


def test_loss_history_long_runs_are_lines():
    fig = figures.loss_history(np.linspace(1, 0.5, 61))
    assert fig.data[0].mode == "lines"
    assert figures.loss_history(np.linspace(1, 0.5, 60)).data[0].mode == "lines+markers"


def test_loss_history_log_scale():
    fig = figures.loss_history(np.array([1.0, 0.1, 0.01]), log_scale=True)
    assert fig.layout.yaxis.type == "log"


def test_loss_history_reference_line():
    fig = figures.loss_history(np.array([1.1, 0.9, 0.7]), reference=0.5, reference_label="opt")
    assert len(fig.data) == 2
    line = fig.data[1]
    assert line.name == "opt"
    assert tuple(line.x) == (0, 2)
    assert tuple(line.y) == (0.5, 0.5)
    assert line.line.dash == "dash"
    assert line.line.color != fig.data[0].line.color


def test_loss_history_single_point_reference_still_spans():
    fig = figures.loss_history(np.array([1.1]), reference=0.5)
    assert tuple(fig.data[1].x) == (0, 1)
