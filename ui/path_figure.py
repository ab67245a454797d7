"""The regularization path's figure: plain arrays in, a plotly figure spec (plain dicts) out.

Three panels over one logarithmic C axis (:mod:`ui.figures`' style and helpers): ``||W||``,
the accuracy and the log-loss, on the training points and, if any, the held-out ones, with a
vertical line at the run's own C. No Streamlit and no math: the numbers come from the core's
:func:`softmax_core.regularization_path`.
"""

from __future__ import annotations

import math

import numpy as np

from .figures import FONT_SIZE, LINE_WIDTH, PALETTE, TEXT_SHADE, _axis, _layout

# The panels from the top (their y axes' titles), and the gap between two, a share of the
# plot's height.
PANELS = ("‖W‖", "accuracy", "log-loss")
PANEL_GAP = 0.08
TRAIN_COLOUR, HELD_COLOUR, NORM_COLOUR, MARK_COLOUR = PALETTE[0], PALETTE[2], PALETTE[8], PALETTE[5]
NO_PENALTY = "no penalty (C = ∞) is beyond the grid"


def _domains(n_panels: int) -> list[tuple[float, float]]:
    """The panels' vertical extents in the plot, the first at the top."""
    height = (1.0 - PANEL_GAP * (n_panels - 1)) / n_panels
    return [
        (1.0 - i * (height + PANEL_GAP) - height, 1.0 - i * (height + PANEL_GAP))
        for i in range(n_panels)
    ]


def _finite(name: str, values: np.ndarray, n_points: int) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if values.shape != (n_points,) or not np.all(np.isfinite(values)):
        raise ValueError(f"{name} must be {n_points} finite numbers, one per C")
    return values


def current_c_label(C: float) -> str:
    """What the marker of the run's C says."""
    return NO_PENALTY if math.isinf(C) else f"this run: C = {C:g}"


def regularization_path(
    Cs: np.ndarray,
    coef_norm: np.ndarray,
    train_accuracy: np.ndarray,
    train_log_loss: np.ndarray,
    holdout_accuracy: np.ndarray | None = None,
    holdout_log_loss: np.ndarray | None = None,
    *,
    current_C: float,
    title: str = "Regularization path",
    subtitle: str = "",
    large: bool = False,
    height: int = 640,
) -> dict:
    """``||W||``, accuracy and log-loss against C (log scale), the run's C marked.

    Parameters
    ----------
    Cs : ndarray of shape (n_points,)
        The grid, positive and ascending.
    coef_norm, train_accuracy, train_log_loss : ndarray of shape (n_points,)
        At the optimum of each C; accuracies are shares in [0, 1].
    holdout_accuracy, holdout_log_loss : ndarray of shape (n_points,), optional
        The same on the held-out points (both or neither), drawn dashed.
    current_C : float
        The run's C: a dotted vertical line through the three panels; ``inf`` (no
        penalty) is beyond any grid, marked at the right edge and said so.

    Raises
    ------
    ValueError
        If the arrays are not finite and of one length, or the grid is not positive and
        ascending.
    """
    Cs = np.asarray(Cs, dtype=float)
    if Cs.ndim != 1 or Cs.size == 0 or not np.all(np.isfinite(Cs)) or np.any(Cs <= 0):
        raise ValueError("Cs must be a non-empty 1-D array of positive finite numbers")
    if np.any(np.diff(Cs) <= 0):
        raise ValueError("Cs must be ascending")
    n = Cs.size
    norms = _finite("coef_norm", coef_norm, n)
    accuracy = {"training": _finite("train_accuracy", train_accuracy, n)}
    log_loss = {"training": _finite("train_log_loss", train_log_loss, n)}
    if (holdout_accuracy is None) != (holdout_log_loss is None):
        raise ValueError("holdout_accuracy and holdout_log_loss come together, or neither")
    if holdout_accuracy is not None:
        accuracy["held out"] = _finite("holdout_accuracy", holdout_accuracy, n)
        log_loss["held out"] = _finite("holdout_log_loss", holdout_log_loss, n)
    if math.isnan(current_C) or current_C <= 0:
        raise ValueError(f"current_C must be positive or inf, got {current_C!r}")
    width = LINE_WIDTH[large]
    size = FONT_SIZE[large]
    mode = "lines+markers"
    traces: list[dict] = [
        {
            "type": "scatter",
            "x": Cs,
            "y": norms,
            "xaxis": "x",
            "yaxis": "y",
            "mode": mode,
            "name": "‖W‖",
            "showlegend": False,
            "line": {"color": NORM_COLOUR, "width": width},
            "marker": {"color": NORM_COLOUR, "size": 8 if large else 6},
            "hovertemplate": "C = %{x:.3g}<br>‖W‖ = %{y:.4g}<extra></extra>",
        }
    ]
    styles = {"training": (TRAIN_COLOUR, "solid"), "held out": (HELD_COLOUR, "dash")}
    for axis, values, value_format in (
        ("2", accuracy, ".1%"),
        ("3", log_loss, ".4f"),
    ):
        for name, series in values.items():
            colour, dash = styles[name]
            traces.append(
                {
                    "type": "scatter",
                    "x": Cs,
                    "y": series,
                    "xaxis": f"x{axis}",
                    "yaxis": f"y{axis}",
                    "mode": mode,
                    "name": name,
                    "legendgroup": name,
                    "showlegend": axis == "2",
                    "line": {"color": colour, "width": width, "dash": dash},
                    "marker": {"color": colour, "size": 8 if large else 6},
                    "hovertemplate": f"C = %{{x:.3g}}<br>{name}: %{{y:{value_format}}}"
                    "<extra></extra>",
                }
            )
    layout = _layout(title, "", "", large=large, height=height, subtitle=subtitle, legend="below")
    if subtitle and large:
        layout["margin"]["t"] += 16  # the larger subtitle clear of the top panel
    # Half a grid step of room on each side (a decade for a single point), in log10 units:
    # plotly's range of a log axis is in powers of ten.
    logs = np.log10(Cs)
    pad = 0.5 * float(np.min(np.diff(logs))) if n > 1 else 1.0
    x_range = [float(logs[0] - pad), float(logs[-1] + pad)]
    domains = _domains(len(PANELS))
    for i, (panel, domain) in enumerate(zip(PANELS, domains, strict=True)):
        suffix = "" if i == 0 else str(i + 1)
        bottom = i == len(PANELS) - 1
        layout[f"xaxis{suffix}"] = _axis(
            "C (log scale; larger C, weaker penalty)" if bottom else "",
            large,
            type="log",
            range=x_range,
            dtick=1,
            exponentformat="power",
            anchor=f"y{suffix}",
            showticklabels=bottom,
            **({} if bottom else {"matches": "x3"}),
        )
        extra = {"tickformat": ".0%"} if i == 1 else {}
        layout[f"yaxis{suffix}"] = _axis(
            panel, large, domain=list(domain), anchor=f"x{suffix}", **extra
        )
    if math.isinf(current_C):
        mark = {"xref": "paper", "x0": 1.0, "x1": 1.0}
        label = {"x": 1.0, "xref": "paper", "xanchor": "right"}
    else:
        mark = {"xref": "x3", "x0": current_C, "x1": current_C}
        # An annotation on a log axis is placed in powers of ten (plotly's rule; a shape
        # takes the value itself). The text runs towards the middle, not off the edge.
        where = math.log10(current_C)
        inward = "left" if where <= sum(x_range) / 2 else "right"
        label = {"x": where, "xref": "x3", "xanchor": inward}
    layout["shapes"] = [
        {
            "type": "line",
            **mark,
            "yref": "paper",
            "y0": 0,
            "y1": 1,
            "line": {"color": MARK_COLOUR, "width": width - 0.5, "dash": "dot"},
        }
    ]
    layout["annotations"] = [
        {
            "text": current_c_label(current_C),
            **label,
            # In the gap under the top panel: clear of the titles above and of the data.
            "y": domains[0][0],
            "yref": "paper",
            "yanchor": "top",
            "yshift": -4,
            "showarrow": False,
            "font": {"size": size - 1, "color": TEXT_SHADE[MARK_COLOUR]},
            "bgcolor": "white",
        }
    ]
    return {"data": traces, "layout": layout}
