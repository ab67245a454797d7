"""The floor: the least a Streamlit page can do for one Step of the Train page.

A Step button, one metric and two ``st.plotly_chart`` line charts of the Train page's sizes
(three probability curves of 300 points beside scikit-learn's three, 100 data points; the loss
of every iteration beside a flat target), drawn by Streamlit's own chart element. The numbers
are cheap closed forms, not a model: what this app costs is Streamlit's and plotly's share of
a click, which the Train page cannot go below by computing less. ``bench_app.py`` serves it
beside the app and reports the app's figures as ratios to it. Not part of the product.

Its widgets carry the Train page's keys (``w.train.step``, ``w.train.model_chart``,
``w.train.loss_chart``) so that the benchmark reads both pages with the same selectors.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

GRID = np.linspace(-1.0, 11.0, 300)  # ui.views.GRID_1D points
POINTS = np.linspace(0.0, 10.0, 100)  # the seed note's 100 points
CLASSES = 3
HEIGHT = 340  # ui.views.CHART_HEIGHT on a screen


def curves(iteration: int) -> np.ndarray:
    """Three softmax curves over ``GRID`` that sharpen as ``iteration`` grows."""
    scale = 1.0 - np.exp(-iteration / 50.0)
    scores = scale * np.stack([-GRID + 3, np.zeros_like(GRID), GRID - 7])
    scores -= scores.max(axis=0)
    exp = np.exp(scores)
    return exp / exp.sum(axis=0)


def model_chart(iteration: int) -> dict:
    probabilities, target = curves(iteration), curves(10_000)
    traces = [
        {"type": "scatter", "mode": "lines", "x": GRID, "y": probabilities[k],
         "name": f"class {k}", "line": {"dash": "solid"}}
        for k in range(CLASSES)
    ] + [
        {"type": "scatter", "mode": "lines", "x": GRID, "y": target[k],
         "name": f"scikit-learn {k}", "line": {"dash": "dash"}}
        for k in range(CLASSES)
    ]  # fmt: skip
    labels = np.minimum((POINTS // 3.4).astype(int), CLASSES - 1)
    traces.append(
        {"type": "scatter", "mode": "markers", "x": POINTS, "y": labels / 2, "name": "data"}
    )
    title = f"From scratch, iteration {iteration:,}"
    return {"data": traces, "layout": {"title": {"text": title}, "height": HEIGHT}}


def loss_chart(iteration: int) -> dict:
    steps = np.arange(iteration + 1)
    loss = 0.56 + 0.54 * np.exp(-steps / 40.0)
    traces = [
        {"type": "scatter", "mode": "lines", "x": steps, "y": loss, "name": "from scratch"},
        {"type": "scatter", "mode": "lines", "x": steps[[0, -1]], "y": [0.56, 0.56],
         "name": "J* (target)", "line": {"dash": "dot"}},
    ]  # fmt: skip
    title = f"Loss, iteration {iteration:,}"
    return {"data": traces, "layout": {"title": {"text": title}, "height": HEIGHT}}


def step() -> None:
    st.session_state.iteration += 1


st.session_state.setdefault("iteration", 0)
st.title("Train")
st.button("Step", key="w.train.step", type="primary", on_click=step)
iteration = st.session_state.iteration
st.metric("Iteration", f"{iteration:,}")
left, right = st.columns(2)
with left:
    st.plotly_chart(model_chart(iteration), key="w.train.model_chart")
with right:
    st.plotly_chart(loss_chart(iteration), key="w.train.loss_chart")
