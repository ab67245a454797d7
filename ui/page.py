"""What every page does: page config, state, sidebar, styling, notices, the guard, the URL.

A page is a function run by :func:`run`, which sets the page up first, turns an unexpected
``ValueError`` from the core into a message on the page (never a traceback), and writes the
run into the address bar last.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import streamlit as st

from . import caches, escape, figures, live, live_chart, qr, session
from .escape import plain
from .rooms import store_errors

PAGES = (
    ("app.py", "Home", ":material/home:"),
    ("pages/1_Data.py", "Data", ":material/scatter_plot:"),
    ("pages/2_Train.py", "Train", ":material/model_training:"),
    ("pages/3_Compare.py", "Compare", ":material/compare:"),
    ("pages/4_Math.py", "Math", ":material/function:"),
    ("pages/5_Lessons.py", "Lessons", ":material/school:"),
    ("pages/6_Live.py", "Live", ":material/cast_for_education:"),
)
_SIDEBAR_QR_SCALE = 3  # pixels per module: about 100 px wide in the sidebar
# Room for the lecture on one 720-pixel-high screen: less padding above and between blocks.
_COMPACT_CSS = """
<style>
.block-container { padding: 3.6rem 1.5rem 1rem 1.5rem !important; }
.stApp h1 { padding: 0 0.6rem 0 0 !important; font-size: 1.9rem !important; }
[data-testid="stVerticalBlock"] { gap: 0.6rem; }
[data-testid="stMetric"] { padding: 0 !important; }
[data-testid="stMetricValue"] { font-size: 1.55rem !important; }
[data-testid="stButton"] button p, [data-testid="stPageLink"] p { white-space: nowrap !important; }
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
.st-key-home-start a { background: #0072B2; border-radius: 0.5rem; padding: 0.45rem 1rem; }
.st-key-home-start a p, .st-key-home-start a span { color: white !important; }
[data-testid="stAlert"] > div { padding-top: 0.4rem; padding-bottom: 0.4rem; }
/* Captions: Streamlit's faded grey measured 4.37:1 on white (WCAG AA asks 4.5); the text's
   own colour at 70% keeps them quieter than body text, at 6.4:1 (light) and 9:1 (dark). */
[data-testid="stCaptionContainer"] { color: inherit !important; opacity: 0.7; }
/* A focused text or number box shows it by a ring of its own (Streamlit only recolours the
   box's border): inside the box, which clips what lies outside it. */
.stApp input:focus-visible, .stApp textarea:focus-visible { outline: 2px solid #0072B2;
  outline-offset: -2px; }
/* The Train page's training area is three fragments (ui.training.area): the buttons, the
   settings and the chart controls; what a Step changes; the expanders below. Their rows are
   laid out as one column, so that the chart controls sit right above the charts. */
[data-testid="stLayoutWrapper"]:has(> [data-testid="stVerticalBlock"]
  > [data-testid="stLayoutWrapper"]
  > :is(.st-key-train-controls-rows, .st-key-train-live-rows, .st-key-train-below)),
[data-testid="stVerticalBlock"]:has(> [data-testid="stLayoutWrapper"]
  > :is(.st-key-train-controls-rows, .st-key-train-live-rows, .st-key-train-below)),
[data-testid="stLayoutWrapper"]:has(> :is(.st-key-train-controls-rows, .st-key-train-live-rows)),
:is(.st-key-train-controls-rows, .st-key-train-live-rows) { display: contents; }
[data-testid="stLayoutWrapper"]:has(> :is(.st-key-train-view, .st-key-train-charts)) { order: 1; }
[data-testid="stLayoutWrapper"]:has(> :is(.st-key-train-more, .st-key-train-below)) { order: 2; }
/* The pin button shows its icon; its label (its accessible name) is for screen readers. */
.st-key-w-train-pin button [data-testid="stMarkdownContainer"] { position: absolute;
  width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
@media (max-width: 640px) {
  .block-container { padding: 3.6rem 0.75rem 1rem 0.75rem !important; }
  /* On a phone the charts come first: their controls and the settings follow them. */
  [data-testid="stLayoutWrapper"]:has(> .st-key-train-view) { order: 2; }
  [data-testid="stLayoutWrapper"]:has(> .st-key-train-settings) { order: 3; }
  [data-testid="stLayoutWrapper"]:has(> :is(.st-key-train-more, .st-key-train-below)),
  .st-key-train-more { order: 4; }
  .katex-display { overflow-x: auto; overflow-y: hidden; }
}
</style>
"""
# Installed once per page load. The run's URL is written through ``st.query_params`` (so
# that the frontend holds it and sends it when a new session starts: a reconnect after a
# restart or a replica's death rebuilds the same run); Streamlit records each change with
# ``history.pushState``, which would make a hundred Steps a hundred Back presses. A change of
# the query on the same page replaces the entry instead; a new page still pushes one. The
# script also maps the arrow keys (see below).
_HISTORY_SHIM = """
<script>
if (!window.labHistoryShim) {
  window.labHistoryShim = true;
  const push = window.history.pushState.bind(window.history);
  const replace = window.history.replaceState.bind(window.history);
  window.history.pushState = (state, title, url) => {
    const target = url == null ? null : new URL(url, window.location.href);
    const samePage = target !== null && target.pathname === window.location.pathname;
    return (samePage ? replace : push)(state, title, url);
  };
  // A presenter's remote sends PageDown and PageUp; the arrow keys do the same, P plays and
  // pauses, N opens a lesson's next step (ui.training's help texts say so). One listener
  // owns them all (Streamlit's button shortcuts did not fire for PageDown with nothing
  // focused), except where a control uses the key (a slider, a box, a radio group).
  const STEP = '.st-key-w-train-step', BACK = '.st-key-w-train-back';
  const KEYS = {ArrowRight: STEP, PageDown: STEP, ArrowLeft: BACK, PageUp: BACK,
    p: '.st-key-w-train-play, .st-key-w-train-pause', n: '.st-key-w-lesson-next'};
  document.addEventListener('keydown', (event) => {
    const target = event.target;
    const editing = target.closest && target.closest(
      'input, textarea, select, [role="slider"], [role="radiogroup"], [contenteditable]');
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (!(key in KEYS) || editing || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    // The visible one: Streamlit may keep a hidden copy of a widget in the page.
    const button = [...document.querySelectorAll(KEYS[key])].flatMap(
      (block) => [...block.querySelectorAll('button:not([disabled])')]).find(
      (candidate) => candidate.checkVisibility());
    if (button) { event.preventDefault(); button.click(); }
  });
  // Pause is pressed while Play redraws the area several times a second: a click whose
  // button is redrawn between the press and the release is lost (measured: 1 in 5). Pause
  // acts on the press itself (its effect is fixed, so a second trigger changes nothing).
  // A formula wider than its column scrolls sideways (.katex-display): a keyboard reaches it
  // (Tab) to scroll it with the arrow keys, as a mouse does with the scroll bar.
  const focusFormulas = () => document.querySelectorAll('.katex-display:not([tabindex])')
    .forEach((formula) => formula.setAttribute('tabindex', '0'));
  new MutationObserver(focusFormulas).observe(document.body, {subtree: true, childList: true});
  focusFormulas();
  document.addEventListener('pointerdown', (event) => {
    const pause = event.target.closest && event.target.closest('.st-key-w-train-pause button');
    if (pause && event.button === 0 && !pause.disabled) { pause.click(); }
  }, true);
}
</script>
"""
# Projector: larger text, and metric values clearly larger than their labels.
_CLASSROOM_CSS = """
<style>
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li,
[data-testid="stWidgetLabel"] p, [data-testid="stButton"] button p,
[data-testid="stPageLink"] p { font-size: 1.2rem !important; }
[data-testid="stMetric"] [data-testid="stMetricLabel"] p { font-size: 1.15rem !important; }
[data-testid="stMetric"] [data-testid="stMetricValue"],
[data-testid="stMetric"] [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {
  font-size: 2.1rem !important; line-height: 1.15 !important; }
[data-testid="stAlert"] [data-testid="stMarkdownContainer"] p { font-size: 1.05rem !important; }
[data-testid="stVerticalBlock"] { gap: 0.45rem; }
.stApp h1 { font-size: 2.2rem !important; }
/* One 720-pixel screen: less room above, and the action row's buttons on one line. */
.block-container { padding-top: 2.6rem !important; }
[data-testid="stButton"] button { padding: 0.2rem 0.6rem !important; min-height: 2.2rem; }
.st-key-train-actions [data-testid="stButton"] button p { font-size: 1.08rem !important; }
/* A lesson's step and the training area under it on one screen: the metrics' labels beside
   their values, the banner and the gaps smaller. */
.st-key-lesson-step [data-testid="stMarkdownContainer"] p { font-size: 1.12rem !important; }
.st-key-lesson-step { padding: 0.5rem 0.9rem !important; }
.st-key-train-lesson [data-testid="stMetric"] > div { display: flex; align-items: baseline;
  gap: 0.45rem; }
.st-key-train-lesson [data-testid="stMetric"] [data-testid="stMetricValue"],
.st-key-train-lesson [data-testid="stMetric"] [data-testid="stMetricValue"] p {
  font-size: 1.6rem !important; }
.st-key-train-lesson [data-testid="stAlert"] [data-testid="stMarkdownContainer"] p {
  font-size: 0.98rem !important; }
.st-key-train-lesson [data-testid="stVerticalBlock"] { gap: 0.35rem; }
/* The sidebar open (classroom mode is switched on there): narrower, so that the lecture's
   rows stay one line each beside it at 1280 pixels. */
[data-testid="stSidebar"][data-collapsed="false"] { width: 224px !important;
  min-width: 224px !important; max-width: 224px !important; }
.st-key-train-settings [data-testid="stButtonGroup"] button { padding-left: 0.6rem !important;
  padding-right: 0.6rem !important; }
/* The learning-rate box as large as the other controls (it was 14 px). */
[data-testid="stNumberInput"] input { font-size: 1.2rem !important; }
</style>
"""


# Streamlit's frontend reruns the script after a reconnect only if the last run was a
# fragment's or some fragment reruns on a timer. After a full run, a reconnect to a new
# session (a restarted server, another replica, a session dropped while a laptop slept)
# left the old page on screen, and the new session dropped the next click in the training
# area (its fragment does not exist there). A fragment on a long timer makes every
# reconnect rerun the page, which rebuilds the run from the query the frontend holds.
RECONNECT_TIMER_SECONDS = 600


@st.fragment(run_every=RECONNECT_TIMER_SECONDS)
def _rerun_after_reconnect() -> None:
    """Nothing to draw: the fragment's timer is what matters (see above)."""


def setup(title: str) -> st.delta_generator.DeltaGenerator:
    """Configure the page named ``title`` (one of ``PAGES``) and the session.

    Returns the sidebar's slot for the run summary: a page whose training area is a
    fragment fills it from the fragment (see :mod:`ui.session`); :func:`run` fills it for the
    others.
    """
    lab = session.lab()
    session.enter_page(title)
    st.set_page_config(
        page_title=f"{title} · Softmax Lab",
        # An emoji: a Material icon as favicon is fetched from Google's servers.
        page_icon="📉",
        layout="wide",
        initial_sidebar_state="collapsed" if lab.classroom else "auto",
    )
    st.html(_COMPACT_CSS + (_CLASSROOM_CSS if lab.classroom else ""))
    st.html(_HISTORY_SHIM, unsafe_allow_javascript=True)
    _rerun_after_reconnect()
    slot = _sidebar()
    if lab.notices:
        with st.container(border=True):
            shown = "\n".join(f"- {escape.markdown(problem)}" for problem in lab.notices)
            st.warning("Some of the link's settings were not valid:\n\n" + shown)
            st.button("Dismiss", key="w.notice.dismiss", **session.action("dismiss_notices"))
    return slot


def _sidebar() -> st.delta_generator.DeltaGenerator:
    with st.sidebar:
        # Our own links: the built-in ones would call the home page "app".
        for path, label, icon in PAGES:
            st.page_link(path, label=label, icon=icon)
        st.divider()
        st.toggle(
            "Classroom mode",
            **session.widget("w.classroom"),
            help="Larger text and charts for a projector; the sidebar starts closed.",
        )
        slot = st.container()
        sidebar_badge()
        st.button(
            "Seed note preset",
            key="w.sidebar.seed_preset",
            on_click=session.apply_seed_preset,
            help="The seed note's data and run: learning rate 0.5, 1000 iterations, tol 1e-6.",
        )
        st.caption("The address bar holds this run: copy it to share exactly what you see.")
    return slot


def base_url() -> str | None:
    """The app's own address (``http://host[:port][/path]``), from the page's URL; None where
    there is none (AppTest)."""
    url = str(st.context.url or "").split("#")[0].split("?")[0]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    if parts.path in ("", "/"):
        return f"{parts.scheme}://{parts.netloc}"
    return url.rsplit("/", 1)[0]  # drop the page's own name (or a trailing slash)


def answer_count(teaching: live.Teaching) -> int | None:
    """How many answered the open question (None: the store cannot be reached, or does not
    hold the room: the badge then publishes the run again, which restores a lost room)."""
    try:
        return caches.room_store().count_answers(teaching.code, teaching.secret)
    except store_errors() as error:
        teaching.unreachable = str(error)
        teaching.published = None
        return None


def room_unreachable(teaching: live.Teaching) -> None:
    """The teacher's word that the room cannot be reached (their own lab works on)."""
    st.warning(
        escape.markdown(
            f"Room {teaching.code} cannot be reached just now ({plain(teaching.unreachable, 200)})"
            ". Your run goes on here and loses nothing; the class gets it as soon as the room "
            "is back (this retries every two seconds)."
        ),
        icon=":material/sync_problem:",
    )


def sidebar_badge() -> None:
    """On every page while a session teaches: the room's code, QR code and answer count,
    beside the lecture (the sidebar), updated every two seconds."""
    teaching = session.teaching()
    if teaching is None:
        return
    st.markdown(f"**Live: Room {teaching.code}**")
    base = base_url()
    if base is not None:
        st.image(
            qr.join_qr_svg(base, teaching.code, scale=_SIDEBAR_QR_SCALE),
            width=110,
            alt=qr.alt_text(base, teaching.code),
        )

    @st.fragment(run_every=2 * live.POLL_SECONDS)
    def count() -> None:
        if teaching.unreachable is not None or teaching.published is None:
            session.publish_live()  # the room's last publish failed: again, now
        if session.teaching() is not teaching:  # it has ended meanwhile
            st.rerun(scope="app")
        answers = None if teaching.unreachable is not None else answer_count(teaching)
        if answers is None:
            room_unreachable(teaching)
        else:
            st.caption(f"{answers} answer{'s' if answers != 1 else ''} to the open question")

    count()


def summary(slot: st.delta_generator.DeltaGenerator) -> None:
    """The run summary in the sidebar, from the session's one report."""
    slot.caption(session.lab().summary())


def large() -> bool:
    """Whether figures should be drawn large (classroom mode)."""
    return session.lab().classroom


def write_url() -> None:
    """Put the run into the address bar (call where the last change of the run is drawn)."""
    script = session.write_query()
    if script is not None:
        st.html(script, unsafe_allow_javascript=True)
    session.publish_live()  # a teacher's every action reaches the room


# Material icons from Streamlit's own font: emoji need a font the machine may lack.
_TOAST_ICONS = {
    "success": ":material/check_circle:",
    "info": ":material/info:",
    "warning": ":material/warning:",
    "error": ":material/error:",
}


# The colour of a message about the last action, per level.
_EVENT_COLOURS = {"success": "green", "info": "blue", "warning": "orange", "error": "red"}


def show_event() -> bool:
    """The message about the last action, once, in the page where it is drawn (a toast
    covered the metrics and the rate presets for ten seconds after every action, and cut
    text mid-number); what stays true is shown by the page itself. Returns whether there
    was one."""
    event = session.lab().take_event()
    with st.container(key="lab-event"):
        if event is not None:
            # Plain text: a message may quote a file's name or content.
            icon, colour = _TOAST_ICONS[event.level], _EVENT_COLOURS[event.level]
            st.markdown(f"{icon} :{colour}[{escape.markdown(event.text)}]")
    return event is not None


def chart(
    spec: dict | figures.Serialised,
    *,
    key: str,
    container: st.delta_generator.DeltaGenerator | None = None,
    clickable: bool = False,
) -> None:
    """Draw a figure spec (:mod:`ui.figures`; or serialised already) under ``key``, updated
    in place from one rerun to the next (:mod:`ui.live_chart`). On a ``clickable`` chart a
    click on a data point chooses that point (the one followed through the model)."""
    on_click = functools.partial(session.choose_point, key) if clickable else None
    live_chart.draw(spec, key=key, container=container, on_click=on_click)


@contextlib.contextmanager
def guard() -> Iterator[None]:
    """A ``ValueError`` raised by the core inside becomes a message with its text (never a
    traceback); the session's state is untouched. A fragment's body needs its own guard:
    when the fragment reruns alone, nothing around it runs."""
    try:
        yield
    except ValueError as error:
        st.error(escape.markdown(f"Something here could not be computed: {error}"))


def run(title: str, body: Callable[..., None], *, summary_in_fragment: bool = False) -> None:
    """Set up the page, run ``body`` under :func:`guard`, and write the URL.

    With ``summary_in_fragment``, ``body`` receives the sidebar's summary slot and writes the
    summary and the URL itself (from its fragment)."""
    slot = setup(title)
    with guard():
        if summary_in_fragment:
            body(slot)
        else:
            summary(slot)
            body()
    if not summary_in_fragment:
        write_url()
