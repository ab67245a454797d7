"""Softmax Lab: home page."""

import streamlit as st

from ui import figures, page, session, views
from ui.lab import SEED_RATE, seed_note_ratio
from ui.report import format_ratio


def body() -> None:
    st.title("Softmax Lab", anchor=False)
    ratio = format_ratio(seed_note_ratio(session.lab().services))
    st.markdown(
        f"The seed note trains softmax regression with a learning rate of {SEED_RATE:g}, "
        f"which is **{ratio} the stable limit**: its loss never settles. Step through that "
        "run, see why, fix it, and watch the from-scratch curves land on scikit-learn's."
    )
    with st.container(key="home-start"):
        st.page_link(
            "pages/2_Train.py",
            label="**Start here:** step through the seed note's run",
            icon=":material/play_circle:",
        )
    st.markdown(
        "**Softmax regression** gives each class a linear score and turns the scores into "
        "probabilities that sum to 1 (the softmax). It learns by gradient descent on the "
        "cross-entropy loss, which is smallest when the true class gets a high probability."
    )
    lab = session.lab()
    dataset = lab.dataset
    large = page.large()
    final = lab.optimum()
    reference = lab.services.reference(dataset, lab.settings.C, "same")
    title = "Where training ends"
    page.chart(
        figures.describe(
            views.model_figure(
                final,
                dataset,
                reference=reference,
                title=title,
                large=large,
                height=470 if large else 380,
            ),
            f"{title}: the current data set's probabilities at the optimum, reached by "
            f"Newton's method in {final.n_iter_} iterations, over scikit-learn's.",
        ),
        key="w.home.thumbnail",
    )
    st.caption(
        f"The current data set, trained to its optimum (Newton's method, "
        f"{final.n_iter_} iterations). Your own run is at iteration {lab.model.n_iter_:,}."
    )
    st.subheader("Where to go next", anchor=False)
    links = st.container(horizontal=True, gap="large")
    links.page_link(
        "pages/1_Data.py", label="**Data**: noisy, real or yours", icon=":material/scatter_plot:"
    )
    links.page_link(
        "pages/2_Train.py", label="**Train**: step by step", icon=":material/model_training:"
    )
    links.page_link(
        "pages/3_Compare.py", label="**Compare** with scikit-learn", icon=":material/compare:"
    )
    links.page_link("pages/4_Math.py", label="**Math**: one point", icon=":material/function:")
    links.page_link("pages/5_Lessons.py", label="**Lessons**: guided", icon=":material/school:")


page.run("Home", body)
