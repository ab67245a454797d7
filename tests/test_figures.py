"""ui.figures: plain arrays in, plain-dict plotly specs out (no Streamlit).

The app sends the specs to the browser without plotly's validation (``ui.live_chart``), so
every builder's spec is validated here, in both sizes.
"""

import itertools
import re

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ui import figures, live_chart, path_figure
from ui.figures import MARKERS, MAX_LOSS_POINTS, MAX_POINTS_DRAWN, PALETTE

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


def regions(reference: bool, large: bool, n_classes: int = 3) -> dict:
    X, y = blob_data(40, n_classes)
    gx, gy = np.linspace(-3, 3, 20), np.linspace(-2, 2, 15)
    proba = proba_table(15 * 20, n_classes).reshape(15, 20, n_classes)
    other = proba_table(15 * 20, n_classes, seed=1).reshape(15, 20, n_classes)
    names = [str(k) for k in range(n_classes)]
    return figures.decision_regions(
        gx, gy, proba, X, y, names, reference=other if reference else None, large=large
    )


def curves(reference: bool, large: bool) -> dict:
    X, y = line_data()
    grid = np.linspace(-1, 11, 50)
    ref = proba_table(50, seed=1) if reference else None
    return figures.probability_curves(
        grid, proba_table(50), X, y, NAMES, reference=ref, large=large
    )


PATH_CS = np.logspace(-4, 4, 17)
PATH = {
    "coef_norm": np.linspace(0.01, 1.5, 17),
    "train_accuracy": np.linspace(0.4, 0.9, 17),
    "train_log_loss": np.linspace(1.1, 0.57, 17),
    "holdout_accuracy": np.linspace(0.35, 0.94, 17),
    "holdout_log_loss": np.linspace(1.09, 0.53, 17),
}


def path_spec(current_C, *, holdout=True, large=False):
    arrays = dict(PATH)
    if not holdout:
        del arrays["holdout_accuracy"], arrays["holdout_log_loss"]
    return path_figure.regularization_path(PATH_CS, **arrays, current_C=current_C, large=large)


LOSSES = np.concatenate([np.linspace(1.1, 0.6, 80), 0.6 - np.logspace(-3, -17, 40)])
BUILDERS = {
    "scatter-1d": lambda large: figures.data_scatter(*line_data(), NAMES, large=large),
    "scatter-2d": lambda large: figures.data_scatter(
        *blob_data(), NAMES, ("x₁", "x₂"), large=large
    ),
    "curves": lambda large: curves(False, large),
    "curves-reference": lambda large: curves(True, large),
    "regions": lambda large: regions(False, large),
    "regions-reference": lambda large: regions(True, large),
    "regions-reference-2-classes": lambda large: regions(True, large, 2),
    "loss": lambda large: figures.loss_history(LOSSES, large=large),
    "loss-everything": lambda large: figures.loss_history(
        LOSSES, reference=0.59, rate_changes=[10, 100], large=large
    ),
    "loss-log-gap": lambda large: figures.loss_history(
        LOSSES, reference=0.6, log_y=True, rate_changes=[100], large=large
    ),
    "loss-last": lambda large: figures.loss_history(
        LOSSES, reference=0.59, window="last", rate_changes=[10, 100], large=large
    ),
    "loss-logx": lambda large: figures.loss_history(
        LOSSES, reference=0.59, window="logx", log_y=True, large=large
    ),
    "loss-one-point-logx": lambda large: figures.loss_history(
        LOSSES[:1], reference=0.59, window="logx", large=large
    ),
    "loss-sgd": lambda large: figures.loss_history(
        LOSSES, batch_losses=LOSSES[:-1] * 1.1, epoch_steps=4, reference=0.3, large=large
    ),
    "loss-long": lambda large: figures.loss_history(
        1 + 0.1 * (-1.0) ** np.arange(5000), reference=0.5, rate_changes=[2500], large=large
    ),
    "path": lambda large: path_spec(0.01, large=large),
    "path-no-penalty-no-holdout": lambda large: path_spec(np.inf, holdout=False, large=large),
    "path-one-point": lambda large: path_figure.regularization_path(
        [1.0], [0.5], [0.9], [0.4], current_C=1.0, large=large
    ),
}


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
@pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())
def test_every_spec_is_valid_for_plotly(build, large):
    spec = build(large)
    assert set(spec) == {"data", "layout"}
    figure = go.Figure(spec)  # validating: raises on any unknown or invalid property
    assert len(figure.data) == len(spec["data"])
    # The browser has plotly's partial bundle: a trace type outside it would not draw.
    assert {trace["type"] for trace in spec["data"]} <= live_chart.BUNDLED_TRACES
    assert figure.layout.title.text


def font_sizes(spec) -> list[float]:
    """Every font size in the spec."""
    found = []

    def walk(value, under_font=False):
        if isinstance(value, dict):
            for name, item in value.items():
                if name == "size" and under_font:
                    found.append(item)
                walk(item, under_font=name == "font")
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(spec)
    return found


def line_widths(spec) -> list[float]:
    """The widths of the traces' lines (not marker outlines)."""
    return [t["line"]["width"] for t in spec["data"] if "width" in t.get("line", {})]


@pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())
def test_large_mode_has_large_fonts_and_thick_lines(build):
    spec = build(True)
    assert font_sizes(spec) and min(font_sizes(spec)) >= 18
    assert all(width >= 3 for width in line_widths(spec)), line_widths(spec)
    normal = build(False)
    assert max(font_sizes(normal)) < max(font_sizes(spec))


def test_large_mode_draws_the_rate_change_marks_thick():
    spec = figures.loss_history(LOSSES, rate_changes=[10, 100], large=True)
    widths = [s["line"]["width"] for s in spec["layout"]["shapes"]]
    assert len(widths) == 2 and min(widths) >= 3, widths


def test_palette_and_markers_are_distinct_and_cycle():
    assert len(set(PALETTE)) == len(PALETTE) >= 10
    assert len(set(MARKERS)) == len(MARKERS) >= 10
    assert [figures.class_colour(i) for i in range(len(PALETTE) + 2)] == [
        *PALETTE,
        PALETTE[0],
        PALETTE[1],
    ]
    assert figures.class_marker(len(MARKERS)) == MARKERS[0]


@given(st.integers(1, 300_000), st.integers(2, 5_000))
def test_thin_bounds_the_points_and_keeps_both_ends(n_points, max_points):
    keep = figures.thin(n_points, max_points)
    assert keep.size == min(n_points, max_points)
    assert keep[0] == 0 and keep[-1] == n_points - 1
    assert np.all(np.diff(keep) > 0)


def test_thinning_a_two_step_oscillation_keeps_its_envelope():
    i = np.arange(100_000)
    values = 1.0 + np.exp(-i / 30_000) * (-1.0) ** i  # two-step cycle, shrinking
    keep = figures.thin_keeping_extremes(values)
    assert keep[0] == 0 and keep[-1] == values.size - 1
    assert np.all(np.diff(keep) > 0)
    # In every one of the (MAX_LOSS_POINTS - 2) / 2 equal stretches of the history the
    # drawn points reach the stretch's highest and lowest values: the envelope, where an
    # even thinning would draw one side of it.
    edges = np.linspace(0, values.size, (MAX_LOSS_POINTS - 2) // 2 + 1).astype(int)
    drawn = np.full(values.size, np.nan)
    drawn[keep] = values[keep]
    for start, stop in itertools.pairwise(edges):
        assert np.nanmax(drawn[start:stop]) == values[start:stop].max()
        assert np.nanmin(drawn[start:stop]) == values[start:stop].min()
    assert keep.size <= MAX_LOSS_POINTS


@given(hnp.arrays(float, st.integers(1, 20_000), elements=st.floats(-1e6, 1e6)))
def test_thinning_keeps_the_extremes_of_any_history(values):
    keep = figures.thin_keeping_extremes(values, max_points=200)
    if values.size <= 200:
        np.testing.assert_array_equal(keep, np.arange(values.size))
    assert keep.size <= 200
    assert values[keep].max() == values.max() and values[keep].min() == values.min()
    assert keep[0] == 0 and keep[-1] == values.size - 1


def test_data_scatter_1d():
    X, y = line_data()
    spec = figures.data_scatter(X, y, NAMES)
    assert [t["name"] for t in spec["data"]] == NAMES
    assert [t["marker"]["color"] for t in spec["data"]] == list(PALETTE[:3])
    assert len({t["marker"]["symbol"] for t in spec["data"]}) == 3
    for k, data in enumerate(spec["data"]):
        np.testing.assert_array_equal(data["x"], X[y == k, 0])
        np.testing.assert_array_equal(data["y"], np.full((y == k).sum(), k))
    assert spec["layout"]["yaxis"]["ticktext"] == NAMES


@pytest.mark.parametrize("feature_names", [("x₁", "x₂"), None], ids=["named", "default"])
def test_data_scatter_2d(feature_names):
    X, y = blob_data()
    extra = {} if feature_names is None else {"feature_names": feature_names}
    spec = figures.data_scatter(X, y, NAMES, **extra)
    for k, data in enumerate(spec["data"]):
        np.testing.assert_array_equal(data["x"], X[y == k, 0])
        np.testing.assert_array_equal(data["y"], X[y == k, 1])
    assert spec["layout"]["xaxis"]["title"]["text"] and spec["layout"]["yaxis"]["title"]["text"]
    assert spec["layout"]["yaxis"]["scaleanchor"] == "x"


def test_data_scatter_thins_large_data():
    X, y = line_data(10_000, 4)
    spec = figures.data_scatter(X, y, list("abcd"))
    drawn = np.concatenate([t["x"] for t in spec["data"]])
    assert drawn.size == MAX_POINTS_DRAWN
    assert {X[0, 0], X[-1, 0]} <= set(drawn)


def test_probability_curves_solid_and_dashed_per_class():
    spec = curves(True, False)
    lines = [t for t in spec["data"] if t["mode"] == "lines"]
    solid = [t for t in lines if t["line"]["dash"] == "solid"]
    dashed = [t for t in lines if t["line"]["dash"] == "dash"]
    assert [t["name"] for t in solid] == NAMES
    assert [t["name"] for t in dashed] == [f"scikit-learn: P(class {n})" for n in NAMES]
    for ours, theirs in zip(solid, dashed, strict=True):
        assert ours["line"]["color"] == theirs["line"]["color"]
        assert ours["legendgroup"] == theirs["legendgroup"]
    assert "dashed: scikit-learn" in spec["layout"]["title"]["subtitle"]["text"]
    assert "subtitle" not in curves(False, False)["layout"]["title"]


def test_boundary_margins_are_zero_exactly_on_a_two_class_boundary():
    # One row of a grid across the boundary of two classes.
    p0 = np.array([0.9, 0.7, 0.5, 0.3, 0.1])
    proba = np.stack([p0, 1 - p0], axis=-1)[np.newaxis]  # shape (1, 5, 2)
    margins = figures._boundary_margins(proba)
    np.testing.assert_allclose(margins[0, :, 0], [0.8, 0.4, 0.0, -0.4, -0.8], atol=1e-15)
    np.testing.assert_array_equal(margins[..., 1], -margins[..., 0])
    assert margins[0, 2, 0] == margins[0, 2, 1] == 0.0


def test_boundary_margins_of_three_classes_with_ties():
    proba = np.array([[[0.4, 0.4, 0.2], [0.5, 0.3, 0.2], [1 / 3, 1 / 3, 1 / 3]]])
    margins = figures._boundary_margins(proba)
    np.testing.assert_allclose(
        margins[0], [[0.0, 0.0, -0.2], [0.2, -0.2, -0.3], [0.0, 0.0, 0.0]], atol=1e-15
    )


@given(
    hnp.arrays(
        float, st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(2, 5)),
        elements=st.floats(0, 1),
    )
)  # fmt: skip
def test_boundary_margins_are_each_class_against_its_best_rival(proba):
    margins = figures._boundary_margins(proba)
    for c in range(proba.shape[2]):
        rival = np.delete(proba, c, axis=2).max(axis=2)
        np.testing.assert_array_equal(margins[:, :, c], proba[:, :, c] - rival)


def test_decision_regions_draw_the_reference_boundaries_as_zero_contours():
    spec = regions(True, False)
    contours = [t for t in spec["data"] if t["type"] == "contour"]
    assert len(contours) == 3
    for contour in contours:
        assert contour["contours"]["start"] == contour["contours"]["end"] == 0.0
        assert contour["contours"]["coloring"] == "none"
        assert contour["line"]["dash"] == "dash"
    assert [t["type"] for t in regions(False, False)["data"]][:2] == ["image", "heatmap"]
    assert not [t for t in regions(False, False)["data"] if t["type"] == "contour"]


def test_decision_regions_shading_mixes_class_colours():
    gx, gy = np.linspace(0, 1, 3), np.linspace(0, 1, 2)
    proba = np.zeros((2, 3, 3))
    proba[..., 1] = 1.0  # certain of class 1 everywhere
    proba[0, 0] = [0.5, 0.5, 0.0]
    X, y = blob_data(6)
    image = figures.decision_regions(gx, gy, proba, X, y, NAMES)["data"][0]["z"]
    rgb = [np.array([int(c[j : j + 2], 16) for j in (1, 3, 5)]) for c in PALETTE[:2]]
    np.testing.assert_array_equal(image[1, 1], np.round(0.55 * rgb[1] + 0.45 * 255))
    np.testing.assert_array_equal(image[0, 0], np.round(0.55 * (rgb[0] + rgb[1]) / 2 + 0.45 * 255))


def test_loss_history_draws_every_iterate_and_j_star():
    losses = np.array([1.1, 0.9, 0.7, 0.65])
    spec = figures.loss_history(losses, reference=0.5, reference_label="J*")
    curve, tail, line = spec["data"]
    # The part a smooth Play tick animates: empty but in a tick's figure (test_animation).
    assert len(tail["x"]) == len(tail["y"]) == 0 and tail["name"] == curve["name"]
    np.testing.assert_array_equal(curve["x"], np.arange(4))
    np.testing.assert_array_equal(curve["y"], losses)
    assert curve["mode"] == "lines+markers"
    assert (line["name"], line["x"], line["y"]) == ("J*", [0.0, 3.0], [0.5, 0.5])
    assert line["line"]["dash"] == "dash"
    assert "type" not in spec["layout"]["yaxis"]


@pytest.mark.parametrize("window", ["all", "last", "logx"])
def test_log_y_of_a_gap_at_or_below_zero_is_never_nan(window):
    """Rounding can put J at or below J*: the gap is floored, never NaN or -inf on a log axis."""
    losses = np.array([1.1, 0.8, 0.6, 0.6, 0.5999999999999999, 0.59])
    spec = figures.loss_history(losses, reference=0.6, log_y=True, window=window)
    values = np.asarray(spec["data"][0]["y"], dtype=float)
    assert np.all(np.isfinite(values)) and np.all(values > 0)
    assert values[-1] == 1e-16
    assert spec["layout"]["yaxis"]["type"] == "log"
    assert spec["layout"]["yaxis"]["title"]["text"] == "J − J* (log)"
    assert len(spec["data"]) == 2  # the line and its (empty) animated part: J* is the floor


def test_last_window_shows_the_last_51_iterates_and_the_marks_in_it():
    losses = np.linspace(2, 1, 121)
    spec = figures.loss_history(losses, window="last", rate_changes=[10, 100])
    np.testing.assert_array_equal(spec["data"][0]["x"], np.arange(70, 121))
    assert [s["x0"] for s in spec["layout"]["shapes"]] == [100]


def test_log_x_window_starts_at_iteration_one():
    spec = figures.loss_history(np.linspace(2, 1, 11), window="logx", rate_changes=[0, 5])
    np.testing.assert_array_equal(spec["data"][0]["x"], np.arange(1, 11))
    assert spec["layout"]["xaxis"]["type"] == "log"
    assert [s["x0"] for s in spec["layout"]["shapes"]] == [5]


def test_long_histories_are_thinned_to_lines():
    spec = figures.loss_history(np.linspace(1, 0.5, 100_001))
    assert spec["data"][0]["mode"] == "lines"
    assert len(spec["data"][0]["x"]) <= MAX_LOSS_POINTS
    assert figures.loss_history(np.linspace(1, 0.5, 60))["data"][0]["mode"] == "lines+markers"


# Class and column names from a file (issue: a label like this fetched an image, made a
# link or bold text in legends, or broke a hover template).
HOSTILE = ("<a href='https://h'>a</a>", "![i](https://h/p.png)", "R&D <b>", "%{y}", "$x$")


def hostile_specs() -> dict[str, dict]:
    X, y = line_data(30, 3)
    X2, y2 = blob_data(30, 3)
    gx, gy = np.linspace(-3, 3, 20), np.linspace(-2, 2, 15)
    proba = proba_table(15 * 20).reshape(15, 20, 3)
    names, columns = HOSTILE[:3], HOSTILE[3:]
    return {
        "scatter-1d": figures.data_scatter(X, y, names, columns[:1]),
        "scatter-2d": figures.data_scatter(X2, y2, names, columns),
        "curves": figures.probability_curves(
            np.linspace(0, 10, 50), proba_table(50), X, y, names, x_title=columns[0]
        ),
        "regions": figures.decision_regions(gx, gy, proba, X2, y2, names, feature_names=columns),
        "simplex": figures.probability_simplex(proba_table(30), y, names),
        "bars": figures.probability_bars(
            proba_table(1)[0], proba_table(1)[0], names, temperature=1.0, true_class=0
        ),
    }


def strings(value) -> list[str]:
    if isinstance(value, dict):
        return [text for key, item in value.items() if key != "source" for text in strings(item)]
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in strings(item)]
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize("name", hostile_specs().keys())
def test_names_from_a_file_are_plain_text_on_every_chart(name):
    spec = hostile_specs()[name]
    texts = strings(spec)
    shown = " ".join(texts)
    for raw in ("<a ", "<b>", "R&D", "$x$"):  # markdown is no markup to plotly
        assert raw not in shown, (raw, [t for t in texts if raw in t])
    # Templates keep plotly's own fields, and no name adds one.
    assert not any("%{y}" in t and "P(" not in t and "=%{y" not in t for t in texts)
    assert "R&amp;D" in shown and "&lt;a href=" in shown


def landscape(shadow: float | None, large: bool = False) -> dict:
    a, b = np.linspace(-2, 2, 30), np.linspace(-1, 1, 20)
    loss = 0.5 + np.add.outer(b**2, a**2)
    path = np.array([[-1.5, 0.8], [-0.5, -0.3], [0.0, 0.0]])
    return figures.loss_landscape(
        a,
        b,
        loss,
        path,
        np.array([0.0, 0.0]),
        x_title="steepest",
        y_title="second",
        title="Loss landscape",
        optimum_off_plane=shadow,
        large=large,
    )


def test_the_optimum_off_the_plane_is_drawn_as_its_shadow_with_its_distance():
    # Reproduced: the star sat on "now" while the optimum was 8.32 off the plane.
    on, off = landscape(None), landscape(8.32)
    go.Figure(on), go.Figure(off)  # valid for plotly
    star = next(t for t in on["data"] if t["name"] == "optimum")
    shadow = next(t for t in off["data"] if t["name"].startswith("optimum's shadow"))
    assert star["marker"]["symbol"] == "star"
    assert shadow["marker"]["symbol"] == "star-open"
    assert "8.32 off this plane" in shadow["hovertemplate"]
    assert not any(t["name"] == "optimum" for t in off["data"])


def test_landscape_markers_too_close_for_labels_get_a_key_instead():
    # Reproduced: on a projector "start", "now" and "optimum's shadow" printed over each
    # other where the three points lie close together.
    crowded = landscape(8.32)  # the optimum's shadow on "now"
    markers = {t["name"]: t for t in crowded["data"] if t["name"] in ("start", "now")}
    shadow = next(t for t in crowded["data"] if t["name"].startswith("optimum"))
    assert shadow["name"] == "optimum's shadow"
    for marker in [*markers.values(), shadow]:
        assert marker["mode"] == "markers" and marker["showlegend"] and "text" not in marker
    assert crowded["layout"].get("showlegend", True)
    assert crowded["layout"]["legend"]["orientation"] == "h"  # under the plot
    # Apart: each marker carries its label, and no key takes the plot's room.
    a = b = np.linspace(-2, 2, 21)
    apart = figures.loss_landscape(
        a,
        b,
        0.5 + np.add.outer(b**2, a**2),
        np.array([[-1.5, 0.8], [-0.5, -0.3], [0.0, 0.0]]),
        np.array([1.5, -1.5]),
        x_title="steepest",
        y_title="second",
        title="Loss landscape",
        optimum_off_plane=8.32,
    )
    shadow = next(t for t in apart["data"] if t["name"].startswith("optimum"))
    assert shadow["name"] == "optimum's shadow (8.32 off the plane)"
    assert shadow["text"] == ["optimum's shadow"] and shadow["mode"] == "markers+text"
    assert apart["layout"]["showlegend"] is False


@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize("n_classes", [2, 3, 5, 10])
def test_a_class_key_never_scrolls(large, n_classes):
    """Reproduced: on a projector the class column scrolled (class 2 of 3 out of view).
    A column while its entries fit the figure below the title band (plotly may run it down
    beside the x axis, ``maxheight`` in pixels), else rows: beside a square 2-D plot, under a
    wide one."""
    rng = np.random.default_rng(0)
    names = [str(i) for i in range(n_classes)]
    y = np.arange(60) % n_classes
    height = 255 if large else 295
    curves = figures.probability_curves(
        np.linspace(0, 1, 5),
        np.full((5, n_classes), 1 / n_classes),
        rng.normal(size=(60, 1)),
        y,
        names,
        reference=np.full((5, n_classes), 1 / n_classes),
        large=large,
        height=height,
    )
    grid = np.linspace(-1, 1, 4)
    regions = figures.decision_regions(
        grid,
        grid,
        np.full((4, 4, n_classes), 1 / n_classes),
        rng.normal(size=(60, 2)),
        y,
        names,
        reference=np.full((4, 4, n_classes), 1 / n_classes),
        large=large,
        height=height,
    )
    size = figures.FONT_SIZE[large]
    for spec, rows in ((curves, "h"), (regions, "h")):
        legend = spec["layout"]["legend"]
        top = spec["layout"]["margin"]["t"]
        fits = size * (1.5 + 1.95 * n_classes) <= height - top
        assert legend["orientation"] == ("v" if fits else rows)
        assert legend["maxheight"] == height - top if legend["x"] > 1 else True
        assert legend["title"]["text"] == "class"
    if not size * (1.5 + 1.95 * n_classes) <= height - regions["layout"]["margin"]["t"]:
        assert regions["layout"]["legend"]["x"] > 1  # beside the square plot
        assert curves["layout"]["legend"]["x"] == 0.0  # under the wide one


def test_the_landscape_has_a_colour_scale_of_j_in_its_own_values():
    contour = landscape(None)["data"][0]
    assert contour["showscale"] and contour["colorbar"]["title"]["text"] == "J"
    values = [float(text) for text in contour["colorbar"]["ticktext"]]
    np.testing.assert_allclose(np.log10(values), contour["colorbar"]["tickvals"], rtol=1e-12)
    z = np.asarray(contour["z"], dtype=float)
    assert all(z.min() <= tick <= z.max() for tick in contour["colorbar"]["tickvals"])


def test_a_log_axis_is_labelled_at_powers_of_ten_only():
    # Reproduced: the labels read "6 5 4 3 2 0.1 9 8 7", and J − J* = 0.054 was read as 6.
    spec = figures.loss_history(LOSSES, reference=0.59, log_y=True)
    assert spec["layout"]["yaxis"]["dtick"] == 1
    assert spec["layout"]["yaxis"]["exponentformat"] == "power"


def test_at_temperature_one_the_probabilities_are_drawn_once():
    # Reproduced: the point panel drew two identical bar sets at T = 1.
    p = proba_table(1)[0]
    once = figures.probability_bars(p, p, NAMES, temperature=1.0, true_class=0, title="Point 3")
    assert [t["name"] for t in once["data"]] == ["softmax(z)"]
    assert once["layout"]["title"]["text"].startswith("Point 3")
    twice = figures.probability_bars(p, p**2 / sum(p**2), NAMES, temperature=0.5, true_class=0)
    assert [t["name"] for t in twice["data"]] == ["softmax(z)", "softmax(z / 0.5)"]


def test_the_path_draws_its_arrays_in_three_panels_over_one_log_c_axis():
    spec = path_spec(0.01)
    names = [(t["name"], t["yaxis"]) for t in spec["data"]]
    assert names == [
        ("‖W‖", "y"),
        ("training", "y2"),
        ("held out", "y2"),
        ("training", "y3"),
        ("held out", "y3"),
    ]
    expected = [
        PATH["coef_norm"],
        PATH["train_accuracy"],
        PATH["holdout_accuracy"],
        PATH["train_log_loss"],
        PATH["holdout_log_loss"],
    ]
    for trace, values in zip(spec["data"], expected, strict=True):
        np.testing.assert_array_equal(trace["x"], PATH_CS)
        np.testing.assert_array_equal(trace["y"], values)
    layout = spec["layout"]
    for axis in ("xaxis", "xaxis2", "xaxis3"):
        assert layout[axis]["type"] == "log"
        assert layout[axis]["range"] == pytest.approx([-4.25, 4.25])
    assert layout["xaxis"]["matches"] == layout["xaxis2"]["matches"] == "x3"
    assert [layout[a]["showticklabels"] for a in ("xaxis", "xaxis2", "xaxis3")] == [
        False,
        False,
        True,
    ]
    assert [layout[a]["title"]["text"] for a in ("yaxis", "yaxis2", "yaxis3")] == [
        "‖W‖",
        "accuracy",
        "log-loss",
    ]
    # The panels do not overlap, top to bottom.
    domains = [layout[a]["domain"] for a in ("yaxis", "yaxis2", "yaxis3")]
    assert all(low > high for (low, _), (_, high) in itertools.pairwise(domains))
    # One legend entry per series, under the plot: it covers no title.
    assert [t["name"] for t in spec["data"] if t.get("showlegend", True)] == [
        "training",
        "held out",
    ]
    assert layout["legend"]["yref"] == "container" and layout["legend"]["y"] == 0.0


def test_the_path_marks_the_runs_c_through_every_panel():
    spec = path_spec(0.01)
    (shape,) = spec["layout"]["shapes"]
    assert (shape["xref"], shape["x0"], shape["x1"]) == ("x3", 0.01, 0.01)
    assert (shape["yref"], shape["y0"], shape["y1"]) == ("paper", 0, 1)
    (label,) = spec["layout"]["annotations"]
    assert label["text"] == "this run: C = 0.01"
    assert label["x"] == pytest.approx(-2.0)  # an annotation on a log axis: log10(C)
    # At the right end, the label runs left, into the plot.
    assert path_spec(1e4)["layout"]["annotations"][0]["xanchor"] == "right"


def test_no_penalty_is_marked_at_the_right_edge_and_said_to_be_beyond_the_grid():
    spec = path_spec(np.inf, holdout=False)
    (shape,) = spec["layout"]["shapes"]
    assert (shape["xref"], shape["x0"], shape["x1"]) == ("paper", 1.0, 1.0)
    (label,) = spec["layout"]["annotations"]
    assert label["text"] == "no penalty (C = ∞) is beyond the grid"
    assert (label["xref"], label["x"], label["xanchor"]) == ("paper", 1.0, "right")
    assert [t["name"] for t in spec["data"]] == ["‖W‖", "training", "training"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"coef_norm": np.full(17, np.nan)}, "finite"),
        ({"train_accuracy": np.ones(3)}, "17 finite numbers"),
        ({"holdout_accuracy": None}, "together"),
        ({"Cs": PATH_CS[::-1]}, "ascending"),
        ({"Cs": np.zeros(17)}, "positive"),
        ({"current_C": 0.0}, "current_C"),
        ({"current_C": np.nan}, "current_C"),
    ],
)
def test_the_path_figure_refuses_what_it_could_not_draw(change, message):
    arguments = {"Cs": PATH_CS, **PATH, "current_C": 1.0, **change}
    with pytest.raises(ValueError, match=message):
        path_figure.regularization_path(**arguments)


@pytest.mark.parametrize("window", ["all", "last", "logx"])
def test_sgd_draws_the_mini_batch_losses_under_the_full_batch_j(window):
    rng = np.random.default_rng(0)
    losses = np.linspace(1.0, 0.5, 121)
    batch = losses[:-1] + rng.normal(0, 0.05, 120)
    spec = figures.loss_history(losses, batch_losses=batch, epoch_steps=6, window=window)
    names = [trace.get("name") for trace in spec["data"]]
    assert names[:2] == ["mini-batch J_B", "full-batch J"]
    noisy, full = spec["data"][0], spec["data"][1]
    assert noisy["opacity"] < 1 and noisy["line"]["width"] < full["line"]["width"]
    np.testing.assert_array_equal(noisy["y"], batch[noisy["x"]])
    np.testing.assert_array_equal(noisy["customdata"], noisy["x"] // 6 + 1)  # the epoch
    assert "epoch %{customdata}" in full["hovertemplate"]
    assert spec["layout"]["xaxis"]["title"]["text"].startswith(
        "iteration (mini-batch step; an epoch is 6)"
    )
    assert noisy["x"].min() >= full["x"].min()


def test_sgd_on_the_gap_scale_draws_no_batch_losses_below_j_star():
    losses = np.linspace(1.0, 0.5, 21)
    spec = figures.loss_history(
        losses, batch_losses=losses[:-1] - 0.6, epoch_steps=4, reference=0.45, log_y=True
    )
    names = [trace.get("name") for trace in spec["data"]]
    assert "mini-batch J_B" not in names and "full-batch J" in names
    for trace in spec["data"]:
        assert np.all(np.isfinite(np.asarray(trace["y"], dtype=float)))


# ------------------------------------------------------------ contrast (WCAG 2.1 AA)
# Chart text is SVG, which axe-core's color-contrast rule does not check (the e2e audit): every
# text colour a spec sets (or the layout's font colour it inherits) against the chart's
# background, by WCAG 2.1's relative luminance and contrast ratio.
NAMED = {"white": (255, 255, 255), "black": (0, 0, 0)}


def rgba(colour: str) -> tuple[tuple[float, float, float], float]:
    colour = colour.strip().lower()
    if colour in NAMED:
        return NAMED[colour], 1.0
    if colour.startswith("#"):
        digits = colour[1:]
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        return tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4)), 1.0
    found = re.fullmatch(r"rgba?\(([^)]*)\)", colour)
    assert found, f"a colour this test cannot read: {colour!r}"
    parts = [float(p) for p in found.group(1).split(",")]
    return tuple(parts[:3]), parts[3] if len(parts) == 4 else 1.0


def luminance(rgb) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(text: str, background: str) -> float:
    """WCAG 2.1's contrast ratio of ``text`` (blended over the background if translucent)."""
    back, _ = rgba(background)
    fore, alpha = rgba(text)
    fore = tuple(alpha * f + (1 - alpha) * b for f, b in zip(fore, back, strict=True))
    lighter, darker = sorted((luminance(fore), luminance(back)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colours(spec) -> list[str]:
    """Every colour of text in the spec: the layout's font, and each font, tick font, text
    font or title font that sets a colour (one that does not inherits the layout's)."""
    found = [spec["layout"]["font"]["color"]]

    def walk(value, name=None):
        if isinstance(value, dict):
            if name in ("font", "tickfont", "textfont") and "color" in value:
                colour = value["color"]
                found.extend(colour if isinstance(colour, list) else [colour])
            for key, item in value.items():
                walk(item, key)
        elif isinstance(value, list):
            for item in value:
                walk(item, name)

    walk(spec)
    return found


def test_contrast_ratio_is_wcags():
    assert contrast("#000000", "white") == pytest.approx(21)
    assert contrast("#FFFFFF", "#FFFFFF") == pytest.approx(1)
    assert contrast("#767676", "white") == pytest.approx(4.54, abs=0.01)  # the AA grey


CONTRAST_BUILDERS = {
    **BUILDERS,
    "landscape": lambda large: landscape(0.3, large),
    "bars": lambda large: figures.probability_bars(
        np.array([0.2, 0.5, 0.3]),
        np.array([0.1, 0.7, 0.2]),
        NAMES,
        temperature=0.5,
        true_class=1,
        large=large,
    ),
    "simplex": lambda large: figures.probability_simplex(
        proba_table(30), np.arange(30) % 3, NAMES, title="Simplex", large=large
    ),
}


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
@pytest.mark.parametrize("build", CONTRAST_BUILDERS.values(), ids=CONTRAST_BUILDERS.keys())
def test_chart_text_meets_wcag_aa_contrast(build, large):
    spec = build(large)
    layout = spec["layout"]
    # The app draws every chart on white, in either Streamlit theme (no template).
    backgrounds = {layout["paper_bgcolor"], layout.get("plot_bgcolor", layout["paper_bgcolor"])}
    for background in backgrounds:
        for colour in text_colours(spec):
            assert contrast(colour, background) >= 4.5, (colour, background)


def test_a_description_survives_autoplay_and_an_empty_one_is_refused():
    spec = figures.describe(figures.loss_history(LOSSES), "Loss at iteration 119 is 0.6.")
    figures.autoplay(spec, "loss:1", 30.0, redraw=False)
    assert spec["layout"]["meta"]["description"] == "Loss at iteration 119 is 0.6."
    assert spec["layout"]["meta"]["autoplay"]["token"] == "loss:1"
    go.Figure(spec)  # still valid for plotly
    with pytest.raises(ValueError, match="must not be empty"):
        figures.describe(figures.loss_history(LOSSES), " ")
