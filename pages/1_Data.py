"""Data: the points the model learns from: generated, real (iris, wine) or your own CSV."""

import streamlit as st

from ui import escape, export, figures, page, session, views
from ui.data import MAX_CSV_BYTES, REAL_TITLES, real_feature_names
from ui.escape import plain
from ui.settings import (
    GENERATED,
    HOLDOUT_RANGE,
    KINDS,
    MAX_CLASSES,
    MAX_SAMPLES,
    MAX_SEED,
    MIN_SAMPLES,
    REAL_FEATURE_COUNTS,
)

KIND_LABELS = {
    "line": "1-D line (the seed's)",
    "blobs": "2-D blobs",
    "iris": "Iris",
    "wine": "Wine",
    "upload": "Your CSV",
}


def data_title(kind: str) -> str:
    if kind in GENERATED:
        return "Generated multi-class data"
    if kind in REAL_TITLES:
        return REAL_TITLES[kind]
    current = session.lab().upload
    # Plotly titles read tags and entities: a file's name is plain text.
    return f"Your file {escape.plotly(current.name)}" if current else "Your file"


def generated_controls() -> None:
    left, middle, right = st.columns(3)
    left.number_input(
        "Number of points",
        min_value=MIN_SAMPLES,
        max_value=MAX_SAMPLES,
        step=10,
        **session.widget("w.data.n_samples"),
        help=f"{MIN_SAMPLES} to {MAX_SAMPLES:,}. Charts draw at most "
        f"{figures.MAX_POINTS_DRAWN:,} of them; training uses all.",
    )
    middle.slider(
        "Number of classes",
        min_value=2,
        max_value=MAX_CLASSES,
        **session.widget("w.data.n_classes"),
        help="The seed note uses 3.",
    )
    middle.slider(
        "Label noise",
        min_value=0.0,
        max_value=1.0,
        step=0.01,
        **session.widget("w.data.noise"),
        help="Probability that a label is shifted to the next class (the seed's is 0.1).",
    )
    right.number_input(
        "Random seed",
        min_value=0,
        max_value=MAX_SEED,
        step=1,
        **session.widget("w.data.seed"),
        help="The same seed and settings always give the same data (0 is the seed note's).",
    )
    right.button(
        "New random data",
        key="w.data.new_seed",
        on_click=session.new_seed,
        help="Draw a new seed; the URL keeps it, so the data stay reproducible.",
    )


def real_controls(kind: str) -> None:
    names = real_feature_names(kind)
    st.multiselect(
        "Features (one or two)",
        list(range(REAL_FEATURE_COUNTS[kind])),
        format_func=lambda i: names[i],
        max_selections=2,
        **session.widget("w.data.features"),
        help="One feature: probability curves; two: decision regions. None chosen: the "
        "default single feature.",
    )
    st.caption(
        f"{REAL_TITLES[kind]}, shipped with scikit-learn (nothing is downloaded): "
        f"{session.lab().dataset.X.shape[0]} points."
    )


def upload_controls() -> None:
    st.file_uploader(
        f"A CSV file with a header row (at most {MAX_CSV_BYTES // 1_000_000} MB)",
        type=["csv", "txt"],
        max_upload_size=MAX_CSV_BYTES // 1_000_000,
        key=session.uploader_key(),
        on_change=session.receive_upload,
        help="One or two numeric feature columns and a label column with 2 to "
        f"{MAX_CLASSES} classes, at most {MAX_SAMPLES:,} rows. The file stays in your "
        "session: a link cannot carry it.",
    )
    lab = session.lab()
    upload = lab.upload_shown
    if upload is None:
        return
    table = upload.table
    in_use = lab.settings.kind == "upload" and upload is lab.upload
    st.caption(
        f"{escape.markdown(upload.name)}: {len(table.rows):,} rows, {len(table.columns):,} columns"
        + (" (in use)." if in_use else " (not in use: choose its columns).")
    )
    left, right = st.columns(2)
    left.multiselect(
        "Feature columns (one or two numeric)",
        list(table.number_columns()),
        format_func=lambda name: plain(name, 40),
        max_selections=2,
        **session.widget(session.UPLOAD_COLUMNS),
        help="Changing them starts a new run on the file.",
    )
    right.selectbox(
        "Label column",
        list(table.columns),
        format_func=lambda name: plain(name, 40),
        **session.widget(session.UPLOAD_LABEL),
        help="Its values are the classes (2 to 10 of them).",
    )


def run_opener() -> None:
    """Open a run saved with "Take home" on the Train page (its JSON file): the settings,
    the learning-rate schedule, the view and an uploaded file come back, replayed."""
    st.file_uploader(
        f"A run saved as JSON ({export.JSON_NAME}, at most {export.MAX_JSON_BYTES // 1_000_000} "
        "MB)",
        type=["json"],
        max_upload_size=export.MAX_JSON_BYTES // 1_000_000,
        key=session.run_file_key(),
        on_change=session.receive_run_file,
        help="Made by Take home → Download run (JSON) on the Train page or a lesson step. The "
        "run is replayed from its settings and schedule; the link then holds it (an uploaded "
        "file stays in your session).",
    )


def split_and_scale() -> None:
    left, middle, right = st.columns(3)
    left.toggle(
        "Standardise features",
        **session.widget("w.data.standardise"),
        help="Scale each feature to mean 0 and variance 1 on the training points, as "
        "StandardScaler in a Pipeline does: the curvature bound L shrinks, so larger steps "
        "are stable (the seed's lr 0.5 becomes one). Charts keep the original axes.",
    )
    middle.slider(
        "Held out",
        min_value=HOLDOUT_RANGE[0],
        max_value=HOLDOUT_RANGE[1],
        step=0.05,
        format="%.2f",
        **session.widget("w.data.holdout"),
        help="The share of points kept out of training (stratified), to see how the model "
        "does on points it never saw. Drawn open.",
    )
    if session.lab().settings.holdout:
        right.number_input(
            "Split seed",
            min_value=0,
            max_value=MAX_SEED,
            step=1,
            **session.widget("w.data.holdout_seed"),
        )


def body() -> None:
    st.title("Data", anchor=False)
    st.segmented_control(
        "Source",
        list(KINDS),
        format_func=KIND_LABELS.get,
        required=True,
        **session.widget("w.data.kind"),
        help="Points along a line (the seed note's data set), 2-D clusters, two real data "
        "sets, or your own file.",
    )
    lab = session.lab()
    kind = lab.settings.kind
    if kind in GENERATED:
        generated_controls()
    elif kind != "upload":
        real_controls(kind)
    with st.expander("Your own CSV", expanded=kind == "upload"):
        upload_controls()
    with st.expander("Open a saved run (JSON)"):
        run_opener()
    split_and_scale()
    page.show_event()
    dataset = lab.dataset
    chart_col, summary_col = st.columns([3, 1])
    counts = views.class_counts(dataset)
    page.chart(
        figures.describe(
            figures.data_scatter(
                dataset.X,
                dataset.y,
                dataset.class_names,
                dataset.feature_names,
                held_out=dataset.test,
                chosen=lab.view.point,
                title=data_title(kind),
                large=page.large(),
            ),
            views.data_sentence(dataset, counts),
        ),
        key="w.data.chart",
        clickable=True,
        container=chart_col,
    )
    with summary_col:
        st.subheader("Class counts", anchor=False)
        st.dataframe({"class": list(counts), "points": list(counts.values())}, hide_index=True)
        if dataset.test.size:
            st.caption(f"{dataset.train.size:,} training points, {dataset.test.size:,} held out.")
        st.download_button(
            "Download CSV",
            # Built only when someone downloads it; a file keeps its label column's name.
            data=lambda: views.csv_text(
                dataset, lab.settings.upload_label if kind == "upload" else "label"
            ),
            file_name="softmax-lab-data.csv",
            mime="text/csv",
            key="w.data.download",
            help="The data set as drawn (original features).",
        )
        st.page_link("pages/2_Train.py", label="Next: train on it →")


page.run("Data", body)
