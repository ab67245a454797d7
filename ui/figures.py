"""Figure builders: plain arrays in, ``plotly.graph_objects.Figure`` out.

No Streamlit and no math here: every number drawn is passed in, computed by the core.
Classes get a colour from the Okabe-Ito palette (safe for colour-blind readers) and a marker
shape of their own, so that no chart relies on colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

# Okabe & Ito (2008), "Color Universal Design"; black last.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
MARKERS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross", "hexagon")
SCRATCH_DASH, SKLEARN_DASH = "solid", "dash"
MAX_POINTS_DRAWN = 2_000
# plotly_white's layout only: naming the full template makes plotly validate and copy all
# of it for every figure (measured: 10 ms of a 41 ms page rerun, and 4 kB per chart).
TEMPLATE = go.layout.Template(layout=pio.templates["plotly_white"].layout)


def class_colour(index: int) -> str:
    """Colour of the class at ``index`` (cycling past the palette's end)."""
    return PALETTE[index % len(PALETTE)]


def class_marker(index: int) -> str:
    """Marker symbol of the class at ``index``."""
    return MARKERS[index % len(MARKERS)]


def _class_marker_style(index: int) -> dict:
    """Colour, shape and outline of the data points of class ``index``."""
    return {
        "color": class_colour(index),
        "symbol": class_marker(index),
        "size": 9,
        "line": {"color": "#1B1F24", "width": 1},
    }


def thin(n_points: int, max_points: int = MAX_POINTS_DRAWN) -> np.ndarray:
    """Indices of at most ``max_points`` evenly spread points out of ``n_points``.

    Large data sets are drawn thinned so that a chart stays light in the browser; every
    point still counts in training.
    """
    if n_points <= max_points:
        return np.arange(n_points)
    return np.unique(np.linspace(0, n_points - 1, max_points).round().astype(int))


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, *, large: bool) -> go.Figure:
    size = 20 if large else 13
    fig.update_layout(
        title={"text": title, "font": {"size": size + 4}},
        xaxis_title=x_title,
        yaxis_title=y_title,
        font={"size": size},
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        height=620 if large else 480,
        template=TEMPLATE,
    )
    return fig


def _class_points_1d(fig: go.Figure, x: np.ndarray, y_index: np.ndarray, names, *, level: float):
    keep = thin(x.shape[0])
    x, y_index = x[keep], y_index[keep]
    for i, name in enumerate(names):
        members = y_index == i
        fig.add_trace(
            go.Scatter(
                x=x[members],
                y=np.full(members.sum(), level),
                mode="markers",
                name=f"data: {name}",
                legendgroup=f"class {name}",
                marker=_class_marker_style(i),
                hovertemplate=f"x=%{{x:.3f}}<br>label {name}<extra></extra>",
            )
        )


def data_scatter(
    X: np.ndarray, y_index: np.ndarray, names: Sequence[str], *, large: bool = False
) -> go.Figure:
    """The data set: labels against x (1-D, as the seed's figure) or the plane (2-D).

    Parameters
    ----------
    X : ndarray of shape (n_samples, 1) or (n_samples, 2)
    y_index : ndarray of shape (n_samples,)
        Class index of each point, into ``names``.
    names : sequence of str
        Class names, one per class.
    """
    fig = go.Figure()
    keep = thin(X.shape[0])
    X, y_index = X[keep], y_index[keep]
    for i, name in enumerate(names):
        members = y_index == i
        if X.shape[1] == 1:
            x, y_plot = X[members, 0], np.full(members.sum(), i)
        else:
            x, y_plot = X[members, 0], X[members, 1]
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y_plot,
                mode="markers",
                name=f"class {name}",
                marker=_class_marker_style(i),
            )
        )
    if X.shape[1] == 1:
        _layout(fig, "Generated multi-class data", "x", "y (label)", large=large)
        fig.update_yaxes(tickvals=list(range(len(names))), ticktext=list(names))
    else:
        _layout(fig, "Generated multi-class data", "x₁", "x₂", large=large)
        fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


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
    large: bool = False,
) -> go.Figure:
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
        scikit-learn's probabilities, drawn dashed in the same colour per class.
    """
    fig = go.Figure()
    for i, name in enumerate(names):
        fig.add_trace(
            go.Scatter(
                x=x_grid,
                y=proba[:, i],
                mode="lines",
                name=f"from scratch: P(class {name})",
                legendgroup=f"class {name}",
                line={"color": class_colour(i), "width": 3, "dash": SCRATCH_DASH},
                hovertemplate=f"x=%{{x:.3f}}<br>P({name})=%{{y:.4f}}<extra>scratch</extra>",
            )
        )
        if reference is not None:
            fig.add_trace(
                go.Scatter(
                    x=x_grid,
                    y=reference[:, i],
                    mode="lines",
                    name=f"{reference_label}: P(class {name})",
                    legendgroup=f"class {name}",
                    line={"color": class_colour(i), "width": 3, "dash": SKLEARN_DASH},
                    hovertemplate=(
                        f"x=%{{x:.3f}}<br>P({name})=%{{y:.4f}}<extra>{reference_label}</extra>"
                    ),
                )
            )
    _class_points_1d(fig, X[:, 0], y_index, names, level=-0.05)
    _layout(fig, title, "x", "predicted probability", large=large)
    fig.update_yaxes(range=[-0.1, 1.1])
    return fig


def _blend(proba: np.ndarray, n_classes: int) -> np.ndarray:
    """RGB image mixing the class colours by probability, lightened towards white."""
    colours = np.array(
        [[int(class_colour(i)[j : j + 2], 16) for j in (1, 3, 5)] for i in range(n_classes)]
    )
    mixed = proba @ colours  # [H x W x 3]
    return (0.55 * mixed + 0.45 * 255).round().clip(0, 255).astype(np.uint8)


def decision_regions(
    grid_x: np.ndarray,
    grid_y: np.ndarray,
    proba: np.ndarray,
    X: np.ndarray,
    y_index: np.ndarray,
    names: Sequence[str],
    *,
    title: str = "Decision regions (shading: class probabilities)",
    large: bool = False,
) -> go.Figure:
    """2-D decision regions: the background mixes class colours by probability.

    Parameters
    ----------
    grid_x : ndarray of shape (n_x,)
    grid_y : ndarray of shape (n_y,)
        Evenly spaced grid coordinates.
    proba : ndarray of shape (n_y, n_x, n_classes)
        Probabilities at each grid point.
    X : ndarray of shape (n_samples, 2)
    y_index : ndarray of shape (n_samples,)
    names : sequence of str
    """
    fig = go.Figure()
    fig.add_trace(
        go.Image(
            z=_blend(proba, len(names)),
            x0=float(grid_x[0]),
            dx=float(grid_x[1] - grid_x[0]),
            y0=float(grid_y[0]),
            dy=float(grid_y[1] - grid_y[0]),
            name="probability shading",
            hoverinfo="skip",
        )
    )
    winner = np.argmax(proba, axis=2)
    fig.add_trace(
        go.Contour(
            x=grid_x,
            y=grid_y,
            z=np.max(proba, axis=2),
            contours={"start": 0.5, "end": 0.9, "size": 0.2, "coloring": "none"},
            line={"color": "#1B1F24", "width": 1, "dash": "dot"},
            showscale=False,
            name="confidence 0.5 / 0.7 / 0.9",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Heatmap(
            x=grid_x,
            y=grid_y,
            z=winner,
            showscale=False,
            opacity=0.0,
            name="predicted class",
            customdata=np.max(proba, axis=2),
            hovertemplate="x₁=%{x:.2f}, x₂=%{y:.2f}<br>class index %{z}"
            "<br>p=%{customdata:.3f}<extra></extra>",
        )
    )
    keep = thin(X.shape[0])
    for i, name in enumerate(names):
        members = y_index[keep] == i
        fig.add_trace(
            go.Scatter(
                x=X[keep][members, 0],
                y=X[keep][members, 1],
                mode="markers",
                name=f"data: {name}",
                marker=_class_marker_style(i),
            )
        )
    _layout(fig, title, "x₁", "x₂", large=large)
    fig.update_layout(height=820 if large else 560)  # square axes: height sets the size
    fig.update_xaxes(range=[float(grid_x[0]), float(grid_x[-1])])
    fig.update_yaxes(range=[float(grid_y[0]), float(grid_y[-1])], scaleanchor="x", scaleratio=1)
    return fig


def loss_history(
    losses: np.ndarray,
    *,
    log_scale: bool = False,
    reference: float | None = None,
    reference_label: str = "scikit-learn's optimum",
    large: bool = False,
) -> go.Figure:
    """Objective per iteration (index 0 is the start, the last point the current model).

    Parameters
    ----------
    losses : ndarray of shape (n_iterations + 1,)
        Finite objective values.
    log_scale : bool
        Logarithmic y axis (useful once the loss flattens).
    reference : float, optional
        A horizontal line, e.g. scikit-learn's objective value.
    """
    losses = np.asarray(losses, dtype=float)
    fig = go.Figure(
        go.Scatter(
            x=np.arange(losses.shape[0]),
            y=losses,
            mode="lines+markers" if losses.shape[0] <= 60 else "lines",
            name="from scratch",
            line={"color": PALETTE[0], "width": 3},
            hovertemplate="iteration %{x}<br>J=%{y:.6f}<extra></extra>",
        )
    )
    if reference is not None:
        fig.add_trace(
            go.Scatter(
                x=[0, max(losses.shape[0] - 1, 1)],
                y=[reference, reference],
                mode="lines",
                name=reference_label,
                line={"color": PALETTE[5], "width": 2, "dash": SKLEARN_DASH},
                hovertemplate=f"J={reference:.6f}<extra>{reference_label}</extra>",
            )
        )
    _layout(fig, "Loss history", "iteration", "objective J (cross-entropy + penalty)", large=large)
    if log_scale:
        fig.update_yaxes(type="log")
    return fig
