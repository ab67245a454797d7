"""What every page does first: page config, state, sidebar, classroom styling, notices."""

from __future__ import annotations

import streamlit as st

from . import state
from .settings import SEED_NOTE

_CLASSROOM_CSS = """
<style>
html { font-size: 125%; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li,
[data-testid="stWidgetLabel"] p { font-size: 1.3rem !important; }
.stApp h1 { font-size: 3.2rem !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 3rem !important; }
</style>
"""


PAGES = (
    ("app.py", "Home", ":material/home:"),
    ("pages/1_Data.py", "Data", ":material/scatter_plot:"),
    ("pages/2_Train.py", "Train", ":material/model_training:"),
    ("pages/3_Compare.py", "Compare", ":material/compare:"),
    ("pages/4_Math.py", "Math", ":material/function:"),
)


def setup(title: str) -> None:
    """Configure the page named ``title`` (one of ``PAGES``) and the session; call first."""
    state.init()
    icon = next(icon for _, label, icon in PAGES if label == title)
    st.set_page_config(
        page_title=f"{title} · Softmax Lab",
        page_icon=icon,
        layout="wide",
        initial_sidebar_state="collapsed" if state.classroom() else "auto",
    )
    if state.classroom():
        st.html(_CLASSROOM_CSS)
    _sidebar()
    if state.notices():
        with st.container(border=True):
            st.warning(
                " ".join(state.notices()[:1])
                + "\n\n"
                + "\n".join(f"- {problem}" for problem in state.notices()[1:])
            )
            st.button("Dismiss", key="w.notice.dismiss", on_click=state.dismiss_notices)


def _sidebar() -> None:
    with st.sidebar:
        # Our own links: the built-in ones would call the home page "app".
        for path, label, icon in PAGES:
            st.page_link(path, label=label, icon=icon)
        st.divider()
        st.toggle(
            "Classroom mode",
            **state.widget("w.classroom"),
            help="Hide the settings and enlarge text and charts, for a projector.",
        )
        current, current_run = state.settings(), state.run()
        data = "1-D line" if current.kind == "line" else "2-D blobs"
        st.caption(
            f"**Run:** {data}, {current.n_samples:,} points, {current.n_classes} classes · "
            f"iteration {current_run.n_iter:,}"
        )
        st.button(
            "Seed note preset",
            key="w.sidebar.seed_preset",
            on_click=state.apply_settings,
            args=(SEED_NOTE,),
            help="The seed note's data and run: learning rate 0.5, 1000 iterations, tol 1e-6.",
        )
        st.caption("The address bar holds this run: copy it to share exactly what you see.")


def large() -> bool:
    """Whether figures should be drawn large (classroom mode)."""
    return state.classroom()


def finish() -> None:
    """Call last on every page: the URL follows the state."""
    state.sync_url()
