"""Data: generate the noisy classes the model will learn from."""

import streamlit as st

from ui import figures, page, state, views
from ui.settings import MAX_CLASSES, MAX_SAMPLES, MAX_SEED, MIN_SAMPLES


def controls() -> None:
    left, middle, right = st.columns(3)
    left.radio(
        "Shape",
        ["line", "blobs"],
        format_func={"line": "1-D line (the seed's)", "blobs": "2-D blobs"}.get,
        **state.widget("w.data.kind"),
        help="1-D: x evenly spaced on [0, 10], labels by thresholds. 2-D: Gaussian clusters.",
    )
    left.number_input(
        "Number of points",
        min_value=MIN_SAMPLES,
        max_value=MAX_SAMPLES,
        step=10,
        **state.widget("w.data.n_samples"),
        help=f"{MIN_SAMPLES} to {MAX_SAMPLES:,}. Charts draw at most "
        f"{figures.MAX_POINTS_DRAWN:,} of them; training uses all.",
    )
    middle.slider(
        "Number of classes",
        min_value=2,
        max_value=MAX_CLASSES,
        **state.widget("w.data.n_classes"),
        help="The seed note uses 3.",
    )
    middle.slider(
        "Label noise",
        min_value=0.0,
        max_value=1.0,
        step=0.01,
        **state.widget("w.data.noise"),
        help="Probability that a label is shifted to the next class (the seed's is 0.1).",
    )
    right.number_input(
        "Random seed",
        min_value=0,
        max_value=MAX_SEED,
        step=1,
        **state.widget("w.data.seed"),
        help="The same seed and settings always give the same data (0 is the seed note's).",
    )
    right.button(
        "New random data",
        key="w.data.new_seed",
        on_click=state.new_seed,
        help="Draw a new seed; the URL keeps it, so the data stay reproducible.",
    )


def body() -> None:
    st.title("Data", anchor=False)
    st.caption(
        "Points along a line (the seed note's data set, by default) or 2-D clusters; each "
        "label jumps to the next class with probability *noise*."
    )
    controls()
    page.show_event()
    dataset = state.dataset()
    chart_col, summary_col = st.columns([3, 1])
    chart_col.plotly_chart(
        views.chart(
            figures.data_scatter(
                dataset.X,
                dataset.y,
                dataset.class_names,
                dataset.feature_names,
                large=page.large(),
            )
        ),
        key="w.data.chart",
        config={"displayModeBar": False},
    )
    with summary_col:
        st.subheader("Class counts", anchor=False)
        counts = views.class_counts(dataset)
        st.dataframe({"class": list(counts), "points": list(counts.values())}, hide_index=True)
        st.download_button(
            "Download CSV",
            data=lambda: views.csv_text(dataset),  # built only when someone downloads it
            file_name="softmax-lab-data.csv",
            mime="text/csv",
            key="w.data.download",
            help="The data set exactly as the model sees it.",
        )
        st.page_link("pages/2_Train.py", label="Next: train on it →")


page.run("Data", body)
