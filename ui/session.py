"""The one module that stores a lab in ``st.session_state`` and binds widgets to it.

A session holds one :class:`~ui.lab.Lab`, made from the page's query on its first run
(:func:`lab`). Widgets show the lab's values and send changes back through callbacks
(:func:`widget`); buttons call the lab's transitions (:func:`action`). Both run before
anything is drawn, so the rerun that follows draws the new state everywhere it runs.

Who redraws what (no stale display, by design): on the Train and Lessons pages the training
area is made of fragments (so that Play can rerun it alone); they draw everything a training
action can change, the sidebar's run summary and the URL included. What they do not draw
(page links, classroom mode, link notices) no training action changes; the actions that do
change it run outside them and rerun the whole app. On the Train page the area is three
fragments, and an action reruns those it changed (see :func:`ui.training.area`).
"""

from __future__ import annotations

import contextlib
import json
from urllib.parse import urlencode

import numpy as np
import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData

from . import live
from .caches import StreamlitServices, room_store
from .lab import RATE_PRESETS, Lab, SessionGoneError
from .rooms import NoSuchRoomError, is_student_token, new_student_token, store_errors
from .settings import SEED_NOTE

_LAB = "lab"
_QUERY_WRITTEN = "lab.query_written"
_UPLOADER = "lab.uploader"  # the uploader's key changes after each file (see uploader_key)
_RUN_OPENER = "lab.run_opener"  # the same for the uploader of run files (run_file_key)
_TEACHING = "live.teaching"  # the room this session drives (ui.live.Teaching), or None
_ROOM_ENDED = "live.ended"  # the code of a room this session drove that has expired
_STUDENT = "live.student"  # this browser's answer token
_SERVICES = StreamlitServices()

# Widgets bound to a setting: key -> the Settings field it shows.
SETTING_WIDGETS = {
    "w.data.kind": "kind",
    "w.data.features": "features",
    "w.data.standardise": "standardise",
    "w.data.holdout": "holdout",
    "w.data.holdout_seed": "holdout_seed",
    "w.data.n_samples": "n_samples",
    "w.data.n_classes": "n_classes",
    "w.data.noise": "noise",
    "w.data.seed": "seed",
    "w.train.C": "C",
    "w.train.solver": "solver",
    "w.train.tol": "tol",
    "w.train.max_iter": "max_iter",
    "w.train.batch_size": "batch_size",
    "w.train.batch_seed": "batch_seed",
}
# Widgets bound to a view option: key -> the View field it shows.
VIEW_WIDGETS = {
    "w.view.reference": "reference",
    "w.view.target": "show_target",
    "w.view.log_y": "log_y",
    "w.view.window": "loss_window",
    "w.view.speed": "speed",
    "w.view.panel": "panel",
    "w.view.plane": "plane",
    "w.view.temperature": "temperature",
    "w.math.point": "point",
}
_INT_FIELDS = (
    "n_samples",
    "n_classes",
    "seed",
    "max_iter",
    "holdout_seed",
    "batch_size",
    "batch_seed",
)
LR_AUTO, LR, RATE_PRESET, CLASSROOM = (
    "w.train.lr_auto",
    "w.train.lr",
    "w.train.rate_preset",
    "w.classroom",
)
UPLOAD_COLUMNS, UPLOAD_LABEL = "w.data.upload_columns", "w.data.upload_label"


def _active_in_runtime() -> object:
    """What Streamlit's runtime says of this script's session: active or not (AppTest's
    runtime is a mock, whose answers are not booleans); None outside a session."""
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    if context is None or not runtime.exists():
        return None
    return runtime.get_instance().is_active_session(context.session_id)


def _browser_connected() -> bool:
    """Whether this script runs for a browser's session of Streamlit's server."""
    return _active_in_runtime() is True


def _session_is_gone() -> bool:
    """Whether the browser this script runs for has disconnected (long work then stops)."""
    active = _active_in_runtime()
    return active is not None and not active


def lab() -> Lab:
    """The session's lab, made from the page's link on the session's first run."""
    current = st.session_state.get(_LAB)
    if current is None:
        current = Lab.from_link(st.query_params.to_dict(), _SERVICES, cancelled=_session_is_gone)
        st.session_state[_LAB] = current
    return current


def act(name: str, *arguments) -> None:
    """Run the lab's transition ``name`` (a widget's callback)."""
    with contextlib.suppress(SessionGoneError):  # the person has gone: nobody to show to
        getattr(lab(), name)(*arguments)


def rerun_after(scope: str | list[str] | None) -> None:
    """End a callback with a rerun of ``scope`` (fragment keys, or "app"); None: the
    interaction's default (the fragment the widget is in, or the app).

    Where no browser's session is connected (AppTest) every interaction reruns the whole
    script: no browser keeps what a fragment's rerun leaves out, and a test's element tree
    would hold only the rerun fragments."""
    if scope is not None and _browser_connected():
        st.rerun(scope)


def rerun_fragment(key: str) -> None:
    """Stop this run (a fragment's body) and rerun the fragment ``key`` alone.

    ``st.rerun`` takes a fragment's key only in a widget's callback; this is what it does
    there, from a body, as its body-level path does for ``scope="fragment"``. Where the
    fragment is not registered, the whole page reruns instead."""
    ctx = get_script_run_ctx()
    if ctx is None or ctx.script_requests is None:
        st.rerun(scope="app")
    try:
        fragment_ids = ctx.fragment_storage.resolve_target(key)
    except StreamlitAPIException:
        st.rerun(scope="app")
    ctx.script_requests.request_rerun(
        RerunData(
            query_string=ctx.query_string,
            page_script_hash=ctx.page_script_hash,
            fragment_id_queue=fragment_ids,
            is_fragment_scoped_rerun=True,
            cached_message_hashes=ctx.cached_message_hashes,
            context_info=ctx.context_info,
        )
    )
    st.empty()  # a yield point: the script runner stops this run here and runs the fragment


def action(name: str, *arguments) -> dict:
    """Keyword arguments that make a button run the lab's transition ``name``."""
    return {"on_click": act, "args": (name, *arguments)}


def new_seed() -> None:
    """New random data: a seed drawn here (the URL keeps it, so the data stay
    reproducible)."""
    act("new_seed", int(np.random.default_rng().integers(0, 2**31)))


def apply_seed_preset() -> None:
    act("apply_settings", SEED_NOTE)


def _session_value(key: str, default: object) -> object:
    """What a widget should show: the lab's value behind it."""
    current = lab()
    if key in SETTING_WIDGETS:
        value = getattr(current.settings, SETTING_WIDGETS[key])
        return list(value) if isinstance(value, tuple) else value
    if key in VIEW_WIDGETS:
        value = getattr(current.view, VIEW_WIDGETS[key])
        return default if value is None else value
    if key == LR_AUTO:
        return current.settings.learning_rate is None
    if key == LR:
        # While "auto", the box shows the rate the model resolved and uses: 1/L.
        return current.model.learning_rate_
    if key == RATE_PRESET:
        return current.current_preset()
    if key == CLASSROOM:
        return current.classroom
    if key == UPLOAD_COLUMNS:
        return list(current.upload_choice()[0])
    if key == UPLOAD_LABEL:
        return current.upload_choice()[1]
    raise KeyError(key)


def _on_widget_change(key: str, rerun: str | list[str] | None = None) -> None:
    _change_lab(key)
    rerun_after(rerun)


def _change_lab(key: str) -> None:
    value = st.session_state[key]
    current = lab()
    try:
        if key in SETTING_WIDGETS:
            name = SETTING_WIDGETS[key]
            if name == "features":
                current.update_settings(features=tuple(sorted(int(i) for i in value)))
            elif name == "kind" and value == "upload":
                current.use_upload_kind()
            elif name == "kind":  # another source: its own default features
                current.update_settings(kind=value, features=())
            else:
                current.update_settings(**{name: int(value) if name in _INT_FIELDS else value})
        elif key in VIEW_WIDGETS:
            current.update_view(**{VIEW_WIDGETS[key]: value})
        elif key == LR_AUTO:
            # Off: keep stepping at the rate in use, now as a number the box can change.
            rate = None if value else float(current.model.learning_rate_)
            current.update_settings(learning_rate=rate)
        elif key == LR:
            current.update_settings(learning_rate=float(value))
        elif key == RATE_PRESET:
            if value is not None:  # clicking the selected preset again changes nothing
                current.use_learning_rate(current.preset_rate(value))
        elif key == CLASSROOM:
            current.set_classroom(value)
        elif key == UPLOAD_COLUMNS:
            current.use_upload(tuple(value), current.upload_choice()[1])
        elif key == UPLOAD_LABEL:
            current.use_upload(current.upload_choice()[0], value)
    except SessionGoneError:  # the person has gone: nobody to show anything to
        return


def widget(
    key: str,
    default: object = None,
    *,
    upper: int | None = None,
    rerun: str | list[str] | None = None,
) -> dict:
    """Keyword arguments that bind a widget to the lab: its ``key`` and a callback.

    The widget shows the lab's value on every visit of every page (a setting, or a view
    option, which starts at ``default`` when the view has none), and a change goes back to
    the lab through the callback, before anything is drawn. Pass no ``value=``. ``upper``
    caps a stored number (a row index, when the data set has shrunk). ``rerun``: what
    reruns after a change (fragment keys, or "app"), where the fragment the widget is in
    does not draw everything the change affects.
    """
    value = _session_value(key, default)
    if upper is not None and value is not None:
        value = min(value, upper)
    st.session_state[key] = value
    return {"key": key, "on_change": _on_widget_change, "args": (key, rerun)}


def rate_presets() -> list[str]:
    return list(RATE_PRESETS)


# ----------------------------------------------------------------------- pages


def enter_page(title: str) -> None:
    """A page's run begins: Play stops when another page than its own is shown."""
    lab().leave_page(title)


def choose_point(chart_key: str) -> None:
    """A chart's click callback: the clicked data point becomes the followed one (the chart
    sends its row as ``point``, see :func:`ui.live_chart.draw`)."""
    row = st.session_state[chart_key].get("point")
    if row is not None:
        act("choose_point", int(row))


def uploader_key() -> str:
    """The file uploader's key. It changes once a file has been read, so that the uploader
    lets go of it: the lab keeps the parsed table only, and Streamlit would otherwise hold the
    raw bytes for the whole session."""
    return f"w.data.upload.{st.session_state.get(_UPLOADER, 0)}"


def receive_upload() -> None:
    """The file uploader's callback: hand the file to the lab, then let the uploader go."""
    _hand_over(uploader_key(), _UPLOADER, "receive_upload")


def _hand_over(key: str, counter: str, action: str) -> None:
    """Give the file in the uploader ``key`` to the lab's ``action``, then let the uploader
    go of it (a new ``counter`` is a new, empty uploader)."""
    file = st.session_state.get(key)
    if file is None:
        return
    act(action, file.name, file.getvalue())
    st.session_state[counter] = st.session_state.get(counter, 0) + 1


def run_file_key() -> str:
    """The key of the uploader of saved runs (JSON): it changes once a file has been read,
    as :func:`uploader_key`'s does."""
    return f"w.data.open_run.{st.session_state.get(_RUN_OPENER, 0)}"


def receive_run_file() -> None:
    """The run-file uploader's callback: the lab opens the file (or says why not), then the
    uploader lets go of it."""
    _hand_over(run_file_key(), _RUN_OPENER, "open_run_file")


def open_chosen_lesson(control_key: str) -> None:
    act("open_chosen_lesson", st.session_state[control_key])


# ----------------------------------------------------------------------- URL


def write_query() -> str | None:
    """Write the query that reproduces the lab into the address bar.

    Through ``st.query_params``: the frontend then holds it and sends it when it starts a new
    session (a reconnect to a restarted server or another replica), which rebuilds this very
    run from it. Streamlit records each change with ``history.pushState``; the page's history
    shim (:mod:`ui.page`) turns that into a replacement, once it is installed. On a session's
    first run it may not be yet (the frontend applies the query before it has drawn the
    page), so that run returns a script for the page to draw instead, which replaces the
    address itself; the frontend meanwhile holds the link it was opened with, which rebuilds
    the same run. Returns that script, or None.
    """
    wanted = lab().query()
    first = not st.session_state.get(_QUERY_WRITTEN)
    st.session_state[_QUERY_WRITTEN] = True
    if st.query_params.to_dict() == wanted:
        return None
    if first:
        search = json.dumps("?" + urlencode(wanted))
        return (
            "<script>window.history.replaceState(window.history.state, '', "
            f"window.location.pathname + {search});</script>"
        )
    st.query_params.from_dict(wanted)
    return None


# ----------------------------------------------------------------------- live classroom


def teaching() -> live.Teaching | None:
    """The live room this session drives: started here, or given back by the browser's
    cookie (a refresh, a reconnect to another replica) while the room lives."""
    current = st.session_state.get(_TEACHING)
    if current is None and _TEACHING not in st.session_state:
        cookie = st.context.cookies.get(live.TEACHER_COOKIE)
        try:
            current = live.teaching_from_cookie(room_store(), cookie) if cookie else None
        except store_errors():  # the store is down: the lab works on, without the room
            return None
        st.session_state[_TEACHING] = current
    return current


def start_teaching() -> None:
    """The button's callback: a new room, driven by this session's lab from now on."""
    room = room_store().create_room()
    st.session_state[_TEACHING] = live.Teaching(
        room.code, room.teacher_secret, driven_at=room.created_at
    )
    st.session_state.pop(_ROOM_ENDED, None)
    publish_live()


def stop_teaching() -> None:
    """End the class: the room closes for every follower."""
    current = teaching()
    if current is not None:
        with contextlib.suppress(*store_errors()):  # gone already, or unreachable: it expires
            room_store().close_room(current.code, current.secret)
    st.session_state[_TEACHING] = None


def room_ended() -> str | None:
    """The code of the room this session drove, if it expired while it did."""
    return st.session_state.get(_ROOM_ENDED)


def publish_live() -> None:
    """Publish the lab's link to the room this session drives, if it changed (every page
    calls this where it writes its URL: every teacher action reaches the room; and the
    sidebar's badge every two seconds while the store cannot be reached)."""
    current = teaching()
    if current is None:
        return
    try:
        live.publish(room_store(), current, lab().query())
    except NoSuchRoomError:  # expired (hours without an action): say so on the Live page
        st.session_state[_TEACHING] = None
        st.session_state[_ROOM_ENDED] = current.code
    except store_errors() as error:  # unreachable for now: published again when it is back
        current.published = None
        current.unreachable = str(error)
    else:
        current.unreachable = None


def student_token() -> tuple[str, bool]:
    """This browser's answer token (one answer per student and question, no names), and
    whether it is new (the page then keeps it in a cookie)."""
    token = st.session_state.get(_STUDENT)
    if token is not None:
        return token, False
    token = st.context.cookies.get(live.STUDENT_COOKIE)
    new = not is_student_token(token)
    if new:
        token = new_student_token()
    st.session_state[_STUDENT] = token
    return token, new
