"""Softmax Lab: home page."""

import streamlit as st

from ui import page, state, views

page.setup("Home")
st.title("Softmax Lab")
st.markdown(
    "**Softmax regression** predicts one of several classes: it gives each class a linear "
    "score, and the softmax function turns the scores into probabilities that sum to 1. "
    "It learns by gradient descent on the cross-entropy loss, which is smallest when the "
    "true class gets a high probability. Here you can watch it learn, one step at a time, "
    "and see it land on the same answer as scikit-learn."
)

current = state.settings()
X, y = state.dataset()
final = views.converged_model(current.data_key(), current.C, current.step_budget())
reference = views.sklearn_model(current.data_key(), current.C, True)
thumbnail = views.model_figure(
    final,
    X,
    y,
    reference=reference if X.shape[1] == 1 else None,
    title="Where training ends: from scratch (solid) on scikit-learn (dashed)"
    if X.shape[1] == 1
    else "Where training ends: decision regions from scratch",
    large=page.large(),
)
thumbnail.update_layout(height=380 if not page.large() else 520)
st.plotly_chart(thumbnail, key="w.home.thumbnail", width="stretch")
st.caption(
    f"The current data set, trained to convergence. Your own run is at iteration "
    f"{state.run().n_iter:,}."
)

st.subheader("Where to go next")
cols = st.columns(4)
cols[0].page_link(
    "pages/1_Data.py", label="**Data**: make noisy classes", icon=":material/scatter_plot:"
)
cols[1].page_link(
    "pages/2_Train.py", label="**Train**: step gradient descent", icon=":material/model_training:"
)
cols[2].page_link(
    "pages/3_Compare.py", label="**Compare** with scikit-learn", icon=":material/compare:"
)
cols[3].page_link("pages/4_Math.py", label="**Math**: follow one point", icon=":material/function:")
page.finish()
