"""Figure builders: plain arrays in, plotly figure specs (plain dicts) out.

No Streamlit and no math here: every number drawn is passed in, computed by the core. Specs
are plain dicts, not plotly ``graph_objects``, which validate and copy at every call (what
that costs per click is in ``benchmarks/``); the tests check every spec against plotly's
validator once instead. Classes get a colour (Okabe-Ito first, safe for
colour-blind readers) and a marker shape of their own, so that no chart relies on colour
alone. ``large`` is classroom mode: fonts of 20 px, thicker lines.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import PIL.Image

from softmax_core.text import plain

from . import escape
from .settings import LAST_ITERATIONS

# Okabe & Ito (2008), "Color Universal Design", then two of Paul Tol's muted colours.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
    "#882255",
    "#44AA99",
)
# Text drawn in a palette colour (a mark's label beside its line) in a darker shade of the
# same hue: PALETTE[3] and PALETTE[5] are 3.1:1 and 3.9:1 on white, WCAG AA asks 4.5:1 for
# text (these are 5.6:1 and 5.2:1; tests/test_figures.py measures every chart's text).
TEXT_SHADE = {PALETTE[3]: "#A8437F", PALETTE[5]: "#B34F00"}
MARKERS = (
    "circle",
    "square",
    "diamond",
    "triangle-up",
    "x",
    "star",
    "cross",
    "hexagon",
    "triangle-down",
    "pentagon",
)
# Names from a data set are cut to this many characters on charts.
NAME_LENGTH = 40
INK = "#1B1F24"
GRID = "#E3E7ED"
SCRATCH_DASH, REFERENCE_DASH = "solid", "dash"
MAX_POINTS_DRAWN = 2_000
MAX_LOSS_POINTS = 2_000
FONT_SIZE = {False: 13, True: 20}
FONT_FAMILY = '"Source Sans", "Source Sans Pro", sans-serif'  # Streamlit's
LINE_WIDTH = {False: 2.5, True: 4}
# sgd's mini-batch losses: thinner than the full-batch J (but seen on a projector too).
BATCH_LINE_WIDTH = {False: 1.0, True: 3.0}


def _shown(texts: Sequence[str]) -> tuple[str, ...]:
    """Names from a data set (a file's columns and classes) as plain text in plotly: cut to
    one short line, with nothing plotly.js would read as markup (see :mod:`ui.escape`)."""
    return tuple(escape.plotly(plain(str(text), NAME_LENGTH)) for text in texts)


def ghost_colour(index: int) -> str:
    """Colour of the pinned run at ``index`` (the first palette colour is this run's)."""
    return PALETTE[(index + 1) % len(PALETTE)]


def class_colour(index: int) -> str:
    """Colour of the class at ``index`` (cycling past the palette's end)."""
    return PALETTE[index % len(PALETTE)]


def class_marker(index: int) -> str:
    """Marker symbol of the class at ``index``."""
    return MARKERS[index % len(MARKERS)]


def _marker(index: int, large: bool, *, held_out: bool = False) -> dict:
    """Class ``index``'s marker; held-out points are drawn open (outline only)."""
    return {
        "color": class_colour(index),
        "symbol": class_marker(index) + ("-open" if held_out else ""),
        "size": 11 if large else 9,
        "line": {"color": INK, "width": 1},
    }


def thin(n_points: int, max_points: int = MAX_POINTS_DRAWN) -> np.ndarray:
    """Indices of at most ``max_points`` evenly spread points out of ``n_points``.

    Large data sets are drawn thinned so that a chart stays light in the browser; every
    point still counts in training.
    """
    if n_points <= max_points:
        return np.arange(n_points)
    return np.unique(np.linspace(0, n_points - 1, max_points).round().astype(int))


def thin_keeping_extremes(values: np.ndarray, max_points: int = MAX_LOSS_POINTS) -> np.ndarray:
    """Indices of at most ``max_points`` values that keep each stretch's lowest and highest.

    A long loss history drawn whole would resend megabytes per rerun; an even thinning
    would hide an oscillation (every other point of a two-step cycle looks flat). Keeping
    the minimum and maximum of each of ``max_points / 2`` stretches keeps its envelope.
    """
    n_values = values.shape[0]
    if n_values <= max_points:
        return np.arange(n_values)
    # Two points per stretch, plus the first and the last: at most max_points in all.
    edges = np.linspace(0, n_values, (max_points - 2) // 2 + 1).astype(int)
    keep = {0, n_values - 1}
    for start, stop in itertools.pairwise(edges):
        stretch = values[start:stop]
        keep.update((start + int(np.argmin(stretch)), start + int(np.argmax(stretch))))
    return np.array(sorted(keep))


def _axis(title: str, large: bool, **extra) -> dict:
    size = FONT_SIZE[large]
    return {
        "title": {"text": title, "font": {"size": size, "color": INK}},
        "tickfont": {"size": size, "color": INK},
        "gridcolor": GRID,
        "zerolinecolor": GRID,
        "linecolor": INK,
        "showline": True,
        "ticks": "outside",
        "tickcolor": INK,
        "automargin": True,  # room for the tick labels and the title
        **extra,
    }


_LEGENDS = {
    # Classes: a column right of the plot, under a "class" title.
    "right": {"orientation": "v", "yanchor": "top", "y": 1.0, "x": 1.01, "xanchor": "left"},
    # A couple of series: in rows under the plot, at the bottom of the figure (plotly makes
    # room for it there). In the title band it ran over long titles.
    # Classes beside a square plot (2-D), in rows: where a column would not fit the height.
    # Plotly wraps such a key at half the figure's width.
    "right-rows": {
        "orientation": "h",
        "yanchor": "top",
        "y": 1.0,
        "x": 1.02,
        "xanchor": "left",
    },
    "below": {
        "orientation": "h",
        "yref": "container",
        "yanchor": "bottom",
        "y": 0.0,
        "x": 0.0,
        "xanchor": "left",
    },
}


def class_legend(
    n_entries: int, *, large: bool, height: int, subtitle: bool, square: bool = False
) -> str:
    """Where a chart's class key goes: a column right of the plot while its entries fit the
    figure's height below the title band, else rows (never a scrolled key, which hid
    classes on a projector): beside a ``square`` plot, which leaves width to spare, or
    under a wide one."""
    size = FONT_SIZE[large]
    # Measured in Chromium: an entry takes about 1.95 font sizes, the key's title 1.5.
    needed = size * (1.5 + 1.95 * n_entries)
    if needed <= height - _top_margin(large, subtitle):
        return "right"
    return "right-rows" if square else "below"


def _top_margin(large: bool, subtitle: bool) -> int:
    """The title band: a title and, below it, a subtitle clear of the plot (at a projector's
    font sizes 70 pixels left the subtitle touching the plot)."""
    if subtitle:
        return 84 if large else 70
    return 56 if large else 50


def _layout(
    title: str,
    x_title: str,
    y_title: str,
    *,
    large: bool,
    height: int,
    subtitle: str = "",
    legend: str = "right",
    legend_title: str | None = None,
) -> dict:
    size = FONT_SIZE[large]
    title_spec = {
        "text": title,
        "font": {"size": size + 3, "color": INK, "weight": 600},
        "x": 0.0,
        "xref": "paper",
        # At the figure's top edge: plotly centres a title in the top margin, which put a
        # subtitle's descenders on the plot.
        "y": 1.0,
        "yref": "container",
        "yanchor": "top",
        "pad": {"t": 6},
    }
    if subtitle:
        title_spec["subtitle"] = {"text": subtitle, "font": {"size": size - 1, "color": INK}}
    top = _top_margin(large, bool(subtitle))
    if legend_title is None:
        legend_title = "" if legend == "below" else "class"
    legend_spec = {
        **_LEGENDS[legend],
        "font": {"size": size},
        "title": {"text": legend_title, "font": {"size": size}},
    }
    if legend.startswith("right"):
        # In pixels: the key may run down beside the x axis's labels. Plotly's default
        # (the plot area's height) scrolled the third class out of view on a projector.
        legend_spec["maxheight"] = height - top
    if legend == "right-rows":
        legend_spec["title"]["side"] = "top"
    return {
        "title": title_spec,
        "xaxis": _axis(x_title, large),
        "yaxis": _axis(y_title, large),
        # The app's own font; and no template: the app draws charts without Streamlit's
        # theme, whose template plotly would merge into every chart at every redraw.
        "font": {"family": FONT_FAMILY, "size": size, "color": INK},
        "template": "none",
        "legend": legend_spec,
        "margin": {"l": 10, "r": 10, "t": top, "b": 10},
        "height": height,
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "hovermode": "closest",
    }


def _held_out_mask(n_points: int, held_out: np.ndarray | None) -> np.ndarray:
    mask = np.zeros(n_points, dtype=bool)
    if held_out is not None:
        mask[held_out] = True
    return mask


def _class_points(
    x: np.ndarray,
    y_plot: np.ndarray,
    y_index: np.ndarray,
    names: Sequence[str],
    *,
    held_out: np.ndarray | None,
    large: bool,
    in_legend: bool,
    hover: str,
    prefix: str = "",
) -> list[dict]:
    """The data points, one trace per class (and one more per class for held-out points,
    drawn open), thinned to at most ``MAX_POINTS_DRAWN``."""
    mask = _held_out_mask(x.shape[0], held_out)
    keep = thin(x.shape[0])
    x, y_plot, y_index, mask = x[keep], y_plot[keep], y_index[keep], mask[keep]
    traces = []
    for i, name in enumerate(names):
        for is_held_out in (False, True) if mask.any() else (False,):
            members = (y_index == i) & (mask == is_held_out)
            traces.append(
                {
                    "type": "scatter",
                    "x": x[members],
                    "y": y_plot[members],
                    "mode": "markers",
                    "name": f"{prefix}{name}" + (" (held out)" if is_held_out else ""),
                    "legendgroup": f"class {name}",
                    "showlegend": in_legend and not is_held_out,
                    "marker": _marker(i, large, held_out=is_held_out),
                    # Each point's row in the data set: a click on it reports it.
                    "customdata": keep[members],
                    "hovertemplate": hover.format(name=name)
                    + (" (held out)" if is_held_out else "")
                    + "<extra></extra>",
                }
            )
    return traces


def _data_points_1d(
    X: np.ndarray,
    y_index: np.ndarray,
    names: Sequence[str],
    *,
    level: float,
    large: bool,
    held_out: np.ndarray | None = None,
) -> list[dict]:
    return _class_points(
        X[:, 0],
        np.full(X.shape[0], level),
        y_index,
        names,
        held_out=held_out,
        large=large,
        in_legend=False,
        hover="x=%{{x:.3f}}<br>label {name}",
        prefix="data: ",
    )


def data_scatter(
    X: np.ndarray,
    y_index: np.ndarray,
    names: Sequence[str],
    feature_names: Sequence[str] | None = None,
    *,
    held_out: np.ndarray | None = None,
    chosen: int | None = None,
    title: str = "The data",
    large: bool = False,
    height: int = 440,
) -> dict:
    """The data set: labels against x (1-D, as the seed's figure) or the plane (2-D).

    Parameters
    ----------
    X : ndarray of shape (n_samples, 1) or (n_samples, 2)
    y_index : ndarray of shape (n_samples,)
        Class index of each point, into ``names``.
    names : sequence of str
        Class names, one per class.
    held_out : ndarray of int, optional
        Indices of held-out points: drawn open.
    """
    names = _shown(names)
    if feature_names is not None:
        feature_names = _shown(feature_names)
    if feature_names is None:
        feature_names = ("x",) if X.shape[1] == 1 else ("x₁", "x₂")
    y_plot = y_index.astype(float) if X.shape[1] == 1 else X[:, 1]
    traces = _class_points(
        X[:, 0],
        y_plot,
        y_index,
        names,
        held_out=held_out,
        large=large,
        in_legend=True,
        hover="%{{x:.3g}}, %{{y:.3g}}<br>class {name}",
    )
    if chosen is not None:
        traces.append(highlight(float(X[chosen, 0]), float(y_plot[chosen]), large=large))
    legend = class_legend(
        len(names), large=large, height=height, subtitle=False, square=X.shape[1] == 2
    )
    axes = (feature_names[0], "label") if X.shape[1] == 1 else tuple(feature_names[:2])
    layout = _layout(title, *axes, large=large, height=height, legend=legend, legend_title="class")
    if X.shape[1] == 1:
        layout["yaxis"].update(tickvals=list(range(len(names))), ticktext=list(names))
    else:
        layout["yaxis"].update(scaleanchor="x", scaleratio=1)
    return {"data": traces, "layout": layout}


def probability_curves(
    x_grid: np.ndarray,
    proba: np.ndarray,
    X: np.ndarray,
    y_index: np.ndarray,
    names: Sequence[str],
    *,
    reference: np.ndarray | None = None,
    reference_label: str = "scikit-learn",
    title: str = "Predicted probability of each class",
    x_title: str = "x",
    held_out: np.ndarray | None = None,
    chosen: int | None = None,
    large: bool = False,
    height: int = 440,
    frames: Sequence[np.ndarray] = (),
) -> dict:
    """Per-class probability curves over ``x_grid``, with the data underneath.

    Parameters
    ----------
    x_grid : ndarray of shape (n_grid,)
    proba : ndarray of shape (n_grid, n_classes)
        The from-scratch model's probabilities (solid lines).
    X : ndarray of shape (n_samples, 1)
    y_index : ndarray of shape (n_samples,)
    names : sequence of str
    reference : ndarray of shape (n_grid, n_classes), optional
        The reference's probabilities (scikit-learn), dashed in the same colour per class.
    frames : sequence of ndarray of shape (n_grid, n_classes)
        Earlier probabilities, oldest first, to animate towards ``proba`` (see
        :func:`autoplay`).
    """
    names, x_title = _shown(names), _shown([x_title])[0]
    width = LINE_WIDTH[large]
    traces = []
    scratch = []  # indices of the solid curves, which the frames move
    for i, name in enumerate(names):
        scratch.append(len(traces))
        traces.append(
            {
                "type": "scatter",
                "x": x_grid,
                "y": proba[:, i],
                "mode": "lines",
                "name": name,
                "legendgroup": f"class {name}",
                "line": {"color": class_colour(i), "width": width, "dash": SCRATCH_DASH},
                "hovertemplate": f"x=%{{x:.3f}}<br>P({name})=%{{y:.4f}}<extra>scratch</extra>",
            }
        )
        if reference is not None:
            traces.append(
                {
                    "type": "scatter",
                    "x": x_grid,
                    "y": reference[:, i],
                    "mode": "lines",
                    "name": f"{reference_label}: P(class {name})",
                    "legendgroup": f"class {name}",
                    "showlegend": False,
                    "line": {"color": class_colour(i), "width": width, "dash": REFERENCE_DASH},
                    "hovertemplate": (
                        f"x=%{{x:.3f}}<br>P({name})=%{{y:.4f}}<extra>{reference_label}</extra>"
                    ),
                }
            )
    traces += _data_points_1d(X, y_index, names, level=-0.05, large=large, held_out=held_out)
    if chosen is not None:
        traces.append(highlight(float(X[chosen, 0]), -0.05, large=large))
    subtitle = f"dashed: {reference_label}" if reference is not None else ""
    legend = class_legend(len(names), large=large, height=height, subtitle=bool(subtitle))
    layout = _layout(
        title,
        x_title,
        "probability",
        large=large,
        height=height,
        subtitle=subtitle,
        legend=legend,
        legend_title="class",
    )
    layout["yaxis"]["range"] = [-0.1, 1.1]
    spec = {"data": traces, "layout": layout}
    if len(frames):
        spec["frames"] = [
            {
                "name": str(j),
                "traces": scratch,
                # Single precision: half the bytes, and far finer than a pixel.
                "data": [
                    {"type": "scatter", "y": f[:, i].astype(np.float32)} for i in range(len(names))
                ],
            }
            for j, f in enumerate([*frames, proba])
        ]
    return spec


def autoplay(
    spec: dict, token: str, frame_ms: float, *, redraw: bool, from_first: bool = False
) -> dict:
    """Have the browser play ``spec``'s frames once, ``frame_ms`` apart, when it draws it.

    The chart (``ui.live_chart``) animates a figure whose ``layout.meta.autoplay`` carries a
    token it has not played yet. The figure's own data is the last frame: where the animation
    ends, and what stays drawn if it never runs. ``redraw`` is needed for traces other than
    scatter lines (images, heatmaps). ``from_first``: the chart is drawn at the first frame
    before it plays (not at the last, shown for a moment): for a figure whose axes the frames
    leave as they are (the model's; a loss line that grows needs its axes drawn to the end).
    """
    spec["layout"].setdefault("meta", {})["autoplay"] = {
        "token": token,
        "frame_ms": frame_ms,
        "redraw": redraw,
        "from_first": from_first,
    }
    return spec


def describe(spec: dict, sentence: str) -> dict:
    """``spec`` with its text alternative: the ``sentence`` a screen reader reads for the
    chart (``ui.live_chart`` makes it the chart's ``aria-label``, with ``role="img"``). It
    travels in ``layout.meta.description``, so a live room's serialised figure carries it."""
    if not sentence.strip():
        raise ValueError("a chart's description must not be empty")
    spec["layout"].setdefault("meta", {})["description"] = sentence
    return spec


def _blend(proba: np.ndarray, n_classes: int) -> np.ndarray:
    """RGB image mixing the class colours by probability, lightened towards white."""
    colours = np.array(
        [[int(class_colour(i)[j : j + 2], 16) for j in (1, 3, 5)] for i in range(n_classes)]
    )
    mixed = proba @ colours  # [H x W x 3]
    return (0.55 * mixed + 0.45 * 255).round().clip(0, 255).astype(np.uint8)


def _boundary_margins(proba: np.ndarray) -> np.ndarray:
    """Per class ``p_c - max_{j != c} p_j`` on the grid: zero on that class's boundary."""
    top_two = np.sort(proba, axis=2)[:, :, -2:]
    best_other = np.where(proba == top_two[:, :, -1:], top_two[:, :, :1], top_two[:, :, -1:])
    return proba - best_other


def decision_regions(
    grid_x: np.ndarray,
    grid_y: np.ndarray,
    proba: np.ndarray,
    X: np.ndarray,
    y_index: np.ndarray,
    names: Sequence[str],
    *,
    reference: np.ndarray | None = None,
    reference_label: str = "scikit-learn",
    title: str = "Decision regions (shading: class probabilities)",
    feature_names: Sequence[str] = ("x₁", "x₂"),
    held_out: np.ndarray | None = None,
    chosen: int | None = None,
    large: bool = False,
    height: int = 520,
    frames: Sequence[np.ndarray] = (),
) -> dict:
    """2-D decision regions: the background mixes class colours by probability.

    Parameters
    ----------
    grid_x : ndarray of shape (n_x,)
    grid_y : ndarray of shape (n_y,)
        Evenly spaced grid coordinates.
    proba : ndarray of shape (n_y, n_x, n_classes)
        The from-scratch model's probabilities at each grid point.
    X : ndarray of shape (n_samples, 2)
    y_index : ndarray of shape (n_samples,)
    names : sequence of str
    reference : ndarray of shape (n_y, n_x, n_classes), optional
        The reference's probabilities: its decision boundaries are drawn dashed.
    frames : sequence of ndarray of shape (n_y, n_x, n_classes)
        Earlier probabilities, oldest first, to animate towards ``proba`` (see
        :func:`autoplay`); each frame's shading is sent as a PNG, a tenth of its numbers'
        size.
    """
    names, feature_names = _shown(names), _shown(feature_names)
    n_classes = len(names)
    traces: list[dict] = [
        {
            "type": "image",
            "z": _blend(proba, n_classes),
            "x0": float(grid_x[0]),
            "dx": float(grid_x[1] - grid_x[0]),
            "y0": float(grid_y[0]),
            "dy": float(grid_y[1] - grid_y[0]),
            "name": "probability shading",
            "hoverinfo": "skip",
        },
        {
            "type": "heatmap",
            "x": grid_x,
            "y": grid_y,
            "z": np.argmax(proba, axis=2),
            "showscale": False,
            "opacity": 0.0,
            "name": "predicted class",
            "customdata": np.max(proba, axis=2),
            "hovertemplate": "x₁=%{x:.2f}, x₂=%{y:.2f}<br>class index %{z}"
            "<br>p=%{customdata:.3f}<extra>scratch</extra>",
        },
    ]
    if reference is not None:
        margins = _boundary_margins(reference)
        for i in range(n_classes):
            traces.append(
                {
                    "type": "contour",
                    "x": grid_x,
                    "y": grid_y,
                    "z": margins[:, :, i],
                    "contours": {"start": 0.0, "end": 0.0, "size": 1.0, "coloring": "none"},
                    "line": {"color": INK, "width": LINE_WIDTH[large], "dash": REFERENCE_DASH},
                    "showscale": False,
                    "name": "target boundary",
                    "showlegend": False,  # the subtitle says what the dashes are
                    "hoverinfo": "skip",
                }
            )
    traces += _class_points(
        X[:, 0],
        X[:, 1],
        y_index,
        names,
        held_out=held_out,
        large=large,
        in_legend=True,
        hover="%{{x:.3g}}, %{{y:.3g}}<br>class {name}",
    )
    if chosen is not None:
        traces.append(highlight(float(X[chosen, 0]), float(X[chosen, 1]), large=large))
    subtitle = f"dashed: boundaries of {reference_label}" if reference is not None else ""
    legend = class_legend(
        n_classes, large=large, height=height, subtitle=bool(subtitle), square=True
    )
    layout = _layout(
        title,
        *feature_names[:2],
        large=large,
        height=height,
        subtitle=subtitle,
        legend=legend,
        legend_title="class",
    )
    layout["xaxis"]["range"] = [float(grid_x[0]), float(grid_x[-1])]
    layout["yaxis"].update(
        range=[float(grid_y[0]), float(grid_y[-1])], scaleanchor="x", scaleratio=1
    )
    spec = {"data": traces, "layout": layout}
    if len(frames):
        # An image with z ignores its source: the animated one has a source only.
        del traces[0]["z"]
        traces[0]["source"] = _png(_blend(proba, n_classes))
        spec["frames"] = [
            {
                "name": str(j),
                "traces": [0],
                "data": [{"type": "image", "source": _png(_blend(f, n_classes))}],
            }
            for j, f in enumerate([*frames, proba])
        ]
    return spec


def _png(rgb: np.ndarray) -> str:
    """An RGB image as a PNG data URI; plotly draws row 0 at the bottom, a PNG at the top."""
    buffer = io.BytesIO()
    PIL.Image.fromarray(np.ascontiguousarray(rgb[::-1]), "RGB").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def loss_history(
    losses: np.ndarray,
    *,
    reference: float | None = None,
    reference_label: str = "J* (target)",
    rate_changes: Sequence[int] = (),
    ghosts: Sequence[tuple[str, np.ndarray]] = (),
    heldout: tuple[np.ndarray, np.ndarray] | None = None,
    log_y: bool = False,
    window: str = "all",
    last: int = LAST_ITERATIONS,
    title: str = "Loss history",
    large: bool = False,
    height: int = 440,
    animate_from: int | None = None,
    batch_losses: np.ndarray | None = None,
    epoch_steps: int = 1,
) -> dict:
    """The objective at every iterate (index 0 is the start, the last the current model).

    Parameters
    ----------
    losses : ndarray of shape (n_iterations + 1,)
        Finite objective values.
    reference : float, optional
        The reference's objective ``J*``: a horizontal line, or with ``log_y`` the floor
        that ``J - J*`` is measured from.
    rate_changes : sequence of int
        Iterations at which the learning rate changed: vertical marks.
    ghosts : sequence of (label, ndarray)
        Pinned runs' loss histories, drawn faded and dotted.
    heldout : (iterations, losses), optional
        The cross-entropy on held-out points along the path (no penalty); not with the
        ``J - J*`` scale.
    log_y : bool
        Logarithmic y axis: of ``J - J*`` when a reference is given (floored at 1e-16,
        since rounding can put it at or below zero), else of ``J``.
    window : {"all", "last", "logx"}
        The whole history, its last ``last`` iterations, or a logarithmic x axis (from
        iteration 1).
    animate_from : int, optional
        Frames that draw the line from this iteration on, one iteration each (see
        :func:`autoplay`); the figure's own data is the whole line.
    batch_losses : ndarray of shape (n_iterations,), optional
        Mini-batch SGD: the objective of each step's mini-batch before the step (the
        model's ``batch_loss_curve_``), drawn thin and translucent under the full-batch
        ``losses``, which are then labelled "full-batch J". Not with the ``J - J*`` scale
        (a batch's objective may lie below J*, where a log scale has nothing to show).
    epoch_steps : int
        The mini-batch steps of an epoch: with ``batch_losses`` the x axis says that an
        iteration is a mini-batch step, and the hover names each step's epoch.
    """
    losses = np.asarray(losses, dtype=float)
    iterations = np.arange(losses.shape[0])
    gap_mode = log_y and reference is not None
    values = np.maximum(losses - reference, 1e-16) if gap_mode else losses
    if window == "last":
        start = max(0, losses.shape[0] - 1 - last)
        iterations, values = iterations[start:], values[start:]
    elif window == "logx":
        iterations, values = iterations[1:], values[1:]
    keep = thin_keeping_extremes(values)
    x, y = iterations[keep], values[keep]
    width = LINE_WIDTH[large]
    traces: list[dict] = []
    for i, (label, ghost) in enumerate(ghosts):
        ghost = np.asarray(ghost, dtype=float)
        ghost_values = np.maximum(ghost - reference, 1e-16) if gap_mode else ghost
        ghost_x = np.arange(ghost.shape[0])
        if window == "last":  # the same iterations as this run's window
            shown = ghost_x >= (iterations[0] if iterations.size else 0)
        else:
            shown = ghost_x >= (1 if window == "logx" else 0)
        ghost_x, ghost_values = ghost_x[shown], ghost_values[shown]
        ghost_keep = thin_keeping_extremes(ghost_values)
        traces.append(
            {
                "type": "scatter",
                "x": ghost_x[ghost_keep],
                "y": ghost_values[ghost_keep],
                "mode": "lines",
                "name": label,
                # The key to the ghosts, in the chart (on a projector, a key under it fell
                # below the screen), after this run's own line and the target.
                "legendrank": 1001 + i,
                "opacity": 0.6,
                "line": {
                    "color": ghost_colour(i),
                    "width": width - 1,
                    "dash": "dot",
                },
                "hovertemplate": "iteration %{x}<br>%{y:.6g}<extra>pinned</extra>",
            }
        )
    stochastic = batch_losses is not None
    hover = "iteration %{x}<br>%{y:.6g}<extra></extra>"
    if stochastic:
        hover = "iteration %{x} (epoch %{customdata})<br>J = %{y:.6g}<extra>full batch</extra>"
        batch = np.asarray(batch_losses, dtype=float)
        batch_x = np.arange(batch.shape[0])
        shown = batch_x >= iterations[0] if iterations.size else np.zeros(batch.shape, bool)
        batch_x, batch = batch_x[shown], batch[shown]
        if not gap_mode and batch.size:
            batch_keep = thin_keeping_extremes(batch)
            traces.append(
                {
                    "type": "scatter",
                    "x": batch_x[batch_keep],
                    "y": batch[batch_keep],
                    "customdata": batch_x[batch_keep] // epoch_steps + 1,
                    "mode": "lines",
                    "name": "mini-batch J_B",
                    "opacity": 0.45,
                    "line": {"color": PALETTE[4], "width": BATCH_LINE_WIDTH[large]},
                    "hovertemplate": "step %{x} (epoch %{customdata})<br>J_B = %{y:.6g}"
                    "<extra>mini-batch</extra>",
                }
            )
    line = {
        "type": "scatter",
        "x": x,
        "y": y,
        "mode": "lines+markers" if x.shape[0] <= 60 else "lines",
        "name": "full-batch J" if stochastic else "from scratch",
        "line": {"color": PALETTE[0], "width": width},
        "hovertemplate": hover,
    }
    if stochastic:
        line["customdata"] = x // epoch_steps + 1
    # The line is two traces, whatever the figure, so that a figure with frames has the very
    # traces of one without and nothing of an animation stays behind when Play pauses: the
    # line, and its part that an animated Play tick lengthens, one iteration a frame (empty but
    # for a tick's figure, whose first trace then ends where the tick began).
    frames = []
    tail_x, tail_y = iterations[:0], values[:0]
    if animate_from is not None and iterations.size:
        tail = iterations >= max(animate_from, int(iterations[0]))
        before = x < iterations[tail][0]
        tail_x, tail_y = iterations[tail], values[tail]
        line["x"] = np.append(x[before], tail_x[:1])
        line["y"] = np.append(y[before], tail_y[:1])
        if stochastic:
            line["customdata"] = line["x"] // epoch_steps + 1
    traces.append(line)
    line = {**line, "x": tail_x, "y": tail_y, "showlegend": False}
    if stochastic:
        line["customdata"] = tail_x // epoch_steps + 1
    if animate_from is not None:
        frames = [
            {
                "name": str(j),
                "traces": [len(traces)],
                "data": [{"type": "scatter", "x": tail_x[:j], "y": tail_y[:j]}],
            }
            for j in range(1, tail_x.size + 1)
        ]
    traces.append(line)
    if heldout is not None and not gap_mode and x.shape[0]:
        held_x, held_y = heldout
        shown = (held_x >= x[0]) & (held_x <= x[-1])
        traces.append(
            {
                "type": "scatter",
                "x": held_x[shown],
                "y": held_y[shown],
                "mode": "lines",
                "name": "held out (CE)",
                "line": {"color": PALETTE[2], "width": width, "dash": "dashdot"},
                "hovertemplate": "iteration %{x}<br>%{y:.6g}<extra>held out</extra>",
            }
        )
    if reference is not None and not gap_mode and x.shape[0]:
        traces.append(
            {
                "type": "scatter",
                "x": [float(x[0]), float(max(x[-1], x[0] + 1))],
                "y": [reference, reference],
                "mode": "lines",
                "name": reference_label,
                "line": {"color": PALETTE[5], "width": width, "dash": REFERENCE_DASH},
                "hovertemplate": f"J*={reference:.6f}<extra></extra>",
            }
        )
    y_title = "J − J* (log)" if gap_mode else "objective J"
    x_title = "iteration"
    if stochastic and epoch_steps > 1:
        x_title = f"iteration (mini-batch step; an epoch is {epoch_steps:,})"
    layout = _layout(title, x_title, y_title, large=large, height=height, legend="below")
    if log_y:
        # Ticks at the powers of ten only, written as powers: plotly's default labels the
        # digits in between ("6 5 4 3 2 0.1 9 8"), and a student read J − J* = 6.
        layout["yaxis"].update(type="log", dtick=1, exponentformat="power")
    if window == "logx":
        layout["xaxis"]["type"] = "log"
        layout["xaxis"]["title"]["text"] = x_title + " (log scale)"
    shown = [int(i) for i in rate_changes if x.shape[0] and x[0] <= i <= x[-1]]
    layout["shapes"] = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": i,
            "x1": i,
            "y0": 0,
            "y1": 1,
            "line": {"color": PALETTE[3], "width": LINE_WIDTH[large] - 0.5, "dash": "dot"},
        }
        for i in shown
    ]
    if shown:
        layout["annotations"] = [
            {
                "x": i,
                "y": 1,
                "xref": "x",
                "yref": "paper",
                "text": "lr changed",
                "showarrow": False,
                "yanchor": "bottom",
                "font": {"size": FONT_SIZE[large] - 2, "color": TEXT_SHADE[PALETTE[3]]},
            }
            for i in shown
        ]
    spec = {"data": traces, "layout": layout}
    if frames:
        spec["frames"] = frames
    return spec


def loss_landscape(
    a: np.ndarray,
    b: np.ndarray,
    loss: np.ndarray,
    path: np.ndarray,
    optimum: np.ndarray,
    *,
    x_title: str,
    y_title: str,
    title: str,
    subtitle: str = "",
    ghosts: Sequence[tuple[str, np.ndarray]] = (),
    optimum_off_plane: float | None = None,
    large: bool = False,
    height: int = 440,
) -> dict:
    """The objective on a plane through the current parameters, with the path so far.

    Parameters
    ----------
    a, b : ndarray of shape (n_a,), (n_b,)
        Plane coordinates of the grid (x and y axes).
    loss : ndarray of shape (n_b, n_a)
        J on the grid (rows follow ``b``).
    path : ndarray of shape (n_points, 2)
        The run's iterates projected onto the plane; the last is the current point (0, 0).
    optimum : ndarray of shape (2,)
        The optimum's projection.
    optimum_off_plane : float or None
        How far the optimum is from the plane, when it is off it: then it is drawn as its
        shadow (an open star, named with that distance), never as if it lay where it does
        not. None: it lies on the plane.
    ghosts : sequence of (label, ndarray of shape (m, 2))
        Pinned runs' paths, drawn faded.
    """
    width = LINE_WIDTH[large]
    traces: list[dict] = [
        {
            "type": "contour",
            "x": a,
            "y": b,
            # J >= 0, but a separable data set's J can round to -1e-13: floored for the log.
            "z": np.log10(np.maximum(loss, 1e-300)),
            "colorscale": "Blues",
            "reversescale": True,
            "ncontours": 24,
            "line": {"width": 0.5, "color": "rgba(27,31,36,0.35)"},
            "showscale": True,
            "colorbar": _landscape_colorbar(loss, large),
            "name": "J",
            "customdata": loss,
            "hovertemplate": "J = %{customdata:.5g}<extra></extra>",
        }
    ]
    for i, (label, ghost) in enumerate(ghosts):
        traces.append(
            {
                "type": "scatter",
                "x": ghost[:, 0],
                "y": ghost[:, 1],
                "mode": "lines",
                "name": label,
                "showlegend": False,
                "opacity": 0.55,
                "line": {
                    "color": ghost_colour(i),
                    "width": width - 1,
                    "dash": "dot",
                },
                "hoverinfo": "skip",
            }
        )
    traces += [
        {
            "type": "scatter",
            "x": path[:, 0],
            "y": path[:, 1],
            "mode": "lines+markers" if path.shape[0] <= 200 else "lines",
            "name": "this run",
            "line": {"color": PALETTE[5], "width": width},
            "marker": {"size": 5 if not large else 7, "color": PALETTE[5]},
            "hovertemplate": "%{x:.3g}, %{y:.3g}<extra>path</extra>",
        },
        {
            "type": "scatter",
            "x": [float(path[0, 0])],
            "y": [float(path[0, 1])],
            "mode": "markers+text",
            "name": "start",
            "showlegend": False,
            "text": ["start"],
            "textposition": "top center",
            "marker": {"size": 11, "color": "white", "line": {"color": INK, "width": 2}},
        },
        {
            "type": "scatter",
            "x": [0.0],
            "y": [0.0],
            "mode": "markers+text",
            "name": "now",
            "text": ["now"],
            "textposition": "bottom center",
            "marker": {
                "size": 14 if large else 12,
                "color": PALETTE[5],
                "line": {"color": INK, "width": 2},
            },
        },
        _optimum_marker(optimum, optimum_off_plane, large),
    ]
    markers = traces[-3:]
    crowded = _crowded(
        [(m["x"][0], m["y"][0]) for m in markers], (float(a[0]), float(a[-1])), (b[0], b[-1])
    )
    layout = _layout(
        title,
        x_title,
        y_title,
        large=large,
        height=height,
        subtitle=subtitle,
        legend="below" if crowded else "right",
        legend_title="",
    )
    if crowded:
        # Labels side by side would print over each other: a key under the plot instead.
        for marker in markers:
            # The short label: a long entry took a row of its own (the optimum's distance is
            # in its hover text and in the subtitle or the caption).
            label = marker.pop("text")[0]
            del marker["textposition"]
            marker.update(mode="markers", showlegend=True, name=label)
        traces[-4]["showlegend"] = False  # the path: the line between them
    else:
        # Each marker says what it is (start, now, optimum): no key to take the plot's room.
        layout["showlegend"] = False
    layout["xaxis"]["range"] = [float(a[0]), float(a[-1])]
    layout["yaxis"]["range"] = [float(b[0]), float(b[-1])]
    return {"data": traces, "layout": layout}


def _crowded(
    points: Sequence[tuple[float, float]],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    *,
    apart: float = 0.15,
) -> bool:
    """Whether any two ``points`` lie within ``apart`` of each other, in fractions of the
    axes (too close for their text labels)."""
    span = np.array([x_range[1] - x_range[0], y_range[1] - y_range[0]], dtype=float)
    where = np.array(points, dtype=float) / np.where(span > 0, span, 1.0)
    gaps = np.linalg.norm(where[:, None, :] - where[None, :, :], axis=-1)
    return bool(np.any(gaps[np.triu_indices(len(points), k=1)] < apart))


def _landscape_colorbar(loss: np.ndarray, large: bool) -> dict:
    """The colour scale of J, whose colours follow log10 J: ticks at round values of J."""
    low, high = float(np.min(np.maximum(loss, 1e-300))), float(np.max(loss))
    values = [v for v in _round_values(low, high) if low <= v <= high] or [low, high]
    size = FONT_SIZE[large]
    return {
        "title": {"text": "J", "font": {"size": size, "color": INK}},
        "tickvals": [float(np.log10(v)) for v in values],
        "ticktext": [f"{v:.3g}" for v in values],
        "tickfont": {"size": size - 2, "color": INK},
        "thickness": 12 if not large else 16,
        "len": 0.9,
        "outlinewidth": 0,
    }


def _round_values(low: float, high: float) -> list[float]:
    """1, 2 and 5 times the powers of ten from ``low`` to ``high``, at most about six."""
    found = []
    for exponent in range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1):
        found += [m * 10.0**exponent for m in (1, 2, 5)]
    kept = [v for v in found if low <= v <= high]
    step = max(1, len(kept) // 6)
    return kept[::step]


def _optimum_marker(optimum: np.ndarray, off_plane: float | None, large: bool) -> dict:
    """The optimum's star: filled where it lies on the plane, open (its shadow) and named
    with its distance where it lies off it."""
    on_plane = off_plane is None
    name = "optimum" if on_plane else f"optimum's shadow ({off_plane:.3g} off the plane)"
    return {
        "type": "scatter",
        "x": [float(optimum[0])],
        "y": [float(optimum[1])],
        "mode": "markers+text",
        "name": name,
        "text": ["optimum" if on_plane else "optimum's shadow"],
        "textposition": "top center",
        "marker": {
            "size": 16 if large else 14,
            "symbol": "star" if on_plane else "star-open",
            "color": PALETTE[6] if on_plane else INK,
            "line": {"color": INK, "width": 1.5},
        },
        "hovertemplate": (
            "optimum<extra></extra>"
            if on_plane
            else f"the optimum, {off_plane:.3g} off this plane: its shadow<extra></extra>"
        ),
    }


def highlight(x: float, y: float, *, large: bool) -> dict:
    """A ring around the chosen point (``x``, ``y`` in the chart's coordinates)."""
    return {
        "type": "scatter",
        "x": [x],
        "y": [y],
        "mode": "markers",
        "name": "chosen point",
        "showlegend": False,
        "marker": {
            "size": 26 if large else 22,
            "symbol": "circle-open",
            "color": INK,
            "line": {"width": 3, "color": INK},
        },
        "hoverinfo": "skip",
    }


def probability_simplex(
    proba: np.ndarray,
    y_index: np.ndarray,
    names: Sequence[str],
    *,
    chosen: int | None = None,
    title: str = "Every point's probabilities",
    large: bool = False,
    height: int = 440,
) -> dict:
    """Three classes' probabilities as points of a triangle (a ternary plot): each corner
    is certainty for one class, the centre 1/3 each. Coloured by the true class.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, 3)
    y_index : ndarray of shape (n_samples,)
    names : sequence of 3 str
    chosen : int, optional
        A point to emphasise.
    """
    names = _shown(names)
    size = FONT_SIZE[large]
    keep = thin(proba.shape[0])
    proba, y_index = proba[keep], y_index[keep]
    traces = []
    for i, name in enumerate(names):
        members = y_index == i
        traces.append(
            {
                "type": "scatterternary",
                "a": proba[members, 0],
                "b": proba[members, 1],
                "c": proba[members, 2],
                "mode": "markers",
                "name": name,
                "marker": {**_marker(i, large), "opacity": 0.85},
                "customdata": keep[members],
                "hovertemplate": f"class {name}<br>p = (%{{a:.3f}}, %{{b:.3f}}, %{{c:.3f}})"
                "<extra></extra>",
            }
        )
    if chosen is not None and chosen in set(keep.tolist()):
        row = int(np.flatnonzero(keep == chosen)[0])
        traces.append(
            {
                "type": "scatterternary",
                "a": [proba[row, 0]],
                "b": [proba[row, 1]],
                "c": [proba[row, 2]],
                "mode": "markers",
                "name": "chosen point",
                "showlegend": False,
                "marker": {"size": 24, "symbol": "circle-open", "color": INK, "line": {"width": 3}},
                "hoverinfo": "skip",
            }
        )
    axis = {"tickfont": {"size": size - 2, "color": INK}, "gridcolor": GRID, "linecolor": INK}
    layout = _layout(title, "", "", large=large, height=height)
    layout.pop("xaxis")
    layout.pop("yaxis")
    layout["ternary"] = {
        "sum": 1,
        "aaxis": {**axis, "title": {"text": f"P({names[0]})", "font": {"size": size}}},
        "baxis": {**axis, "title": {"text": f"P({names[1]})", "font": {"size": size}}},
        "caxis": {**axis, "title": {"text": f"P({names[2]})", "font": {"size": size}}},
        "bgcolor": "white",
        # Room above the top corner for its axis title, under the chart's title.
        "domain": {"x": [0.0, 1.0], "y": [0.0, 0.9]},
    }
    return {"data": traces, "layout": layout}


def probability_bars(
    proba: np.ndarray,
    tempered: np.ndarray,
    names: Sequence[str],
    *,
    temperature: float,
    true_class: int,
    title: str | None = None,
    large: bool = False,
    height: int = 320,
) -> dict:
    """One point's probabilities, softmax(z) and softmax(z / T), side by side per class; at
    T = 1 the two are one and the same, drawn once."""
    names = _shown(names)
    labels = [f"{name}{' (true)' if i == true_class else ''}" for i, name in enumerate(names)]
    colours = [class_colour(i) for i in range(len(names))]
    if temperature == 1:
        traces = [
            {
                "type": "bar",
                "x": labels,
                "y": proba,
                "name": "softmax(z)",
                "marker": {"color": colours, "line": {"color": INK, "width": 1}},
                "hovertemplate": "%{y:.4f}<extra></extra>",
            }
        ]
    else:
        traces = [
            {
                "type": "bar",
                "x": labels,
                "y": proba,
                "name": "softmax(z)",
                "marker": {"color": GRID, "line": {"color": INK, "width": 1}},
                "hovertemplate": "%{y:.4f}<extra>T = 1</extra>",
            },
            {
                "type": "bar",
                "x": labels,
                "y": tempered,
                "name": f"softmax(z / {temperature:g})",
                "marker": {"color": colours},
                "hovertemplate": f"%{{y:.4f}}<extra>T = {temperature:g}</extra>",
            },
        ]
    layout = _layout(
        f"Temperature T = {temperature:g}" if title is None else title,
        "class",
        "probability",
        large=large,
        height=height,
        legend="below",
    )
    layout["yaxis"]["range"] = [0, 1.05]
    layout["xaxis"]["type"] = "category"  # class names like "1" are names, not numbers
    layout["barmode"] = "group"
    return {"data": traces, "layout": layout}


# plotly.js's typed arrays (base64 ``bdata``), as plotly's own JSON encoder writes them.
_TYPED_ARRAYS = {
    "int8": "i1",
    "uint8": "u1",
    "int16": "i2",
    "uint16": "u2",
    "int32": "i4",
    "uint32": "u4",
    "float32": "f4",
    "float64": "f8",
}
_NARROWER_INTEGERS = {"int64": ("int8", "int16", "int32"), "uint64": ("uint8", "uint16", "uint32")}
# Read by plotly.js as plain lists (plotly's encoder leaves them alone too).
_PLAIN_LIST_KEYS = frozenset({"range", "geojson", "layer", "layers"})


def figure_json(spec: dict) -> str:
    """``spec`` as plotly.js reads it: numpy arrays as typed arrays (base64), non-finite
    numbers elsewhere as null (JSON has no NaN).

    The same JSON as ``plotly.io.to_json(go.Figure(spec))`` (tests/test_live_chart.py), without
    building and copying a graph-objects figure first: that was most of a Step's server time.
    """
    return json.dumps(_plain(spec), allow_nan=False, separators=(",", ":"))


@dataclass(frozen=True)
class Serialised:
    """A figure as the browser's chart receives it (:mod:`ui.live_chart`): its JSON, and the
    height it asks for. Made once, it can be sent to any number of sessions."""

    json: str
    height: int


def serialise(spec: dict) -> Serialised:
    """``spec`` as :class:`Serialised` (:func:`figure_json`)."""
    return Serialised(figure_json(spec), int(spec.get("layout", {}).get("height", 450)))


def _plain(value, key: str | None = None):
    if isinstance(value, dict):
        return {name: _plain(item, name) for name, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, np.ndarray):
        typed = None if key in _PLAIN_LIST_KEYS else _typed_array(value)
        return typed if typed is not None else _plain(value.tolist())
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _typed_array(array: np.ndarray) -> dict | None:
    """plotly.js's typed-array form of ``array``, or None if it has none (strings, objects,
    booleans, empty, or integers beyond 32 bits)."""
    if array.size == 0:
        return None
    if array.dtype.name in _NARROWER_INTEGERS:
        low, high = array.min(), array.max()
        fitting = [
            t
            for t in _NARROWER_INTEGERS[array.dtype.name]
            if np.iinfo(t).min <= low and high <= np.iinfo(t).max
        ]
        if not fitting:
            return None
        array = array.astype(fitting[0])
    code = _TYPED_ARRAYS.get(array.dtype.name)
    if code is None:
        return None
    typed = {"dtype": code, "bdata": base64.b64encode(np.ascontiguousarray(array)).decode("ascii")}
    if array.ndim > 1:
        typed["shape"] = ", ".join(str(size) for size in array.shape)
    return typed
