"""A minimal Streamlit protocol client: one browser session over the websocket, no browser.

It speaks the protocol the Streamlit frontend speaks, on ``ws://HOST:PORT/_stcore/stream``
(binary protobuf frames, subprotocol ``streamlit``):

- to open a page it sends a ``BackMsg.rerun_script`` whose ``ClientState`` names the page
  (``page_name`` as in the URL path, e.g. ``"Train"``) and carries the URL's query string;
- the server answers with ``ForwardMsg``s: ``new_session`` (with the page's script hash),
  ``delta``s (one per element; a widget's ``id`` and the ``fragment_id`` of the fragment it
  lives in), ``page_info_changed`` (the query string the app wrote) and finally
  ``script_finished``;
- to click a button it sends another ``rerun_script`` with the page's script hash, the
  current query string, the current value of every widget it has seen (as the frontend's
  widget manager does) plus ``trigger_value=True`` for the button, and, when the button is
  inside an ``st.fragment``, that fragment's id (so only the fragment reruns, as in the
  browser).

The client keeps the last value of every ``st.metric`` by label, so a caller can check that
a click did what it should. Behind a load balancer with sticky sessions, pass the balancer's
cookie (``cookie="SERVERID=r1"``) so that the websocket reaches the replica that served the
page; ``replica`` is then the ``X-Replica`` header of the handshake's answer, if any.
``download_url`` asks for the ``/media`` URL of an ``st.download_button`` whose data is built
on demand (a callable), as the frontend does when the button is clicked.

It handles the widget types the Softmax Lab pages use (button, checkbox/toggle, number_input,
selectbox, radio, slider/select_slider); other widgets are left out of the widget states, which
makes the server keep their previous values.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import websocket
from streamlit.proto.BackMsg_pb2 import BackendOperationRequest, BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED_OK = (
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
)
# Frames read for one run before giving up (the time is bounded by ``timeout``).
MAX_FRAMES_PER_RUN = 5_000


class ProtocolError(RuntimeError):
    """The server did not answer as a Streamlit server should (or not in time)."""


@dataclass
class Widget:
    """A widget as the last run rendered it."""

    id: str
    kind: str
    label: str
    fragment_id: str
    state: WidgetState | None  # its current value, as the frontend would send it


@dataclass
class RunResult:
    """What one rerun produced, and how long it took from request to ``script_finished``."""

    seconds: float
    status: int
    frames: int
    payload_bytes: int


@dataclass
class StreamlitSession:
    """One Streamlit session over a websocket (like one browser tab)."""

    base_url: str  # e.g. "http://127.0.0.1:8501"
    timeout: float = 60.0
    cookie: str = ""  # a Cookie header for the websocket handshake, e.g. "SERVERID=r1"
    replica: str = ""  # the handshake answer's X-Replica header (set by the balancer)
    session_id: str = ""
    page_script_hash: str = ""
    page_name: str = ""
    query_string: str = ""
    widgets: dict[str, Widget] = field(default_factory=dict)
    metrics: dict[str, str] = field(default_factory=dict)
    downloads: dict[str, str] = field(default_factory=dict)  # widget id -> deferred file id
    _ws: websocket.WebSocket | None = None
    _request_ids: itertools.count = field(default_factory=itertools.count)

    # -- connection ---------------------------------------------------------------------

    def connect(self) -> None:
        url = self.base_url.replace("http://", "ws://", 1) + "/_stcore/stream"
        try:
            self._ws = websocket.create_connection(
                url,
                subprotocols=["streamlit"],
                timeout=self.timeout,
                enable_multithread=False,
                cookie=self.cookie or None,
            )
        except (websocket.WebSocketException, OSError) as error:
            raise ProtocolError(f"cannot connect to {url}: {error}") from error
        # websocket-client lower-cases the names of the response headers.
        self.replica = (self._ws.getheaders() or {}).get("x-replica", "")

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
            self._ws = None

    def __enter__(self) -> StreamlitSession:
        self.connect()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- actions --------------------------------------------------------------------------

    def open_page(self, page_name: str, query_string: str = "") -> RunResult:
        """Run the page at URL path ``page_name`` ("" for the main page), as on page load."""
        self.page_name, self.query_string = page_name, query_string
        state = ClientState(query_string=query_string, page_name=page_name)
        return self._rerun(state)

    def click(self, key: str) -> RunResult:
        """Click the button whose widget key is ``key`` (e.g. ``"w.train.step"``)."""
        button = self.widget(key)
        if button.kind != "button":
            raise ProtocolError(f"{key} is a {button.kind}, not a button")
        state = ClientState(
            query_string=self.query_string,
            page_script_hash=self.page_script_hash,
            fragment_id=button.fragment_id,
        )
        for other in self.widgets.values():
            if other.state is not None and other.id != button.id:
                state.widget_states.widgets.append(other.state)
        state.widget_states.widgets.append(WidgetState(id=button.id, trigger_value=True))
        return self._rerun(state)

    def download_url(self, key: str) -> str:
        """The ``/media/...`` URL of the download button ``key`` (its data built on demand)."""
        button = self.widget(key)
        if button.id not in self.downloads:
            raise ProtocolError(f"{key} is not a download button with on-demand data")
        request = BackendOperationRequest(
            request_id=f"r{next(self._request_ids)}", session_id=self.session_id
        )
        request.deferred_file.file_id = self.downloads[button.id]
        message = BackMsg()
        message.backend_operation_request.CopyFrom(request)
        self._ws.send_binary(message.SerializeToString())
        deadline = time.perf_counter() + self.timeout
        while time.perf_counter() < deadline:
            forward = ForwardMsg()
            forward.ParseFromString(self._ws.recv())
            response = forward.backend_operation_response
            if forward.WhichOneof("type") == "backend_operation_response":
                if response.request_id != request.request_id or response.error_msg:
                    raise ProtocolError(f"download {key}: {response.error_msg or response}")
                return response.deferred_file.url
        raise ProtocolError(f"download {key}: no answer")

    def widget(self, key: str) -> Widget:
        """The widget created with ``key=key`` (Streamlit ends its id with ``-<key>``)."""
        for found in self.widgets.values():
            if found.id.endswith(f"-{key}"):
                return found
        raise ProtocolError(f"no widget with key {key!r} on page {self.page_name!r}")

    # -- protocol -------------------------------------------------------------------------

    def _rerun(self, state: ClientState) -> RunResult:
        if self._ws is None:
            raise ProtocolError("not connected")
        message = BackMsg()
        message.rerun_script.CopyFrom(state)
        try:
            return self._send_and_wait(message)
        except websocket.WebSocketException as error:
            raise ProtocolError(f"websocket: {type(error).__name__}: {error}") from error

    def _send_and_wait(self, message: BackMsg) -> RunResult:
        start = time.perf_counter()
        self._ws.send_binary(message.SerializeToString())
        frames = payload = 0
        deadline = start + self.timeout
        while frames < MAX_FRAMES_PER_RUN and time.perf_counter() < deadline:
            data = self._ws.recv()
            frames += 1
            payload += len(data)
            forward = ForwardMsg()
            forward.ParseFromString(data)
            status = self._handle(forward)
            if status is not None:
                seconds = time.perf_counter() - start
                if status not in FINISHED_OK:
                    raise ProtocolError(f"script finished with status {status}")
                return RunResult(seconds, status, frames, payload)
        raise ProtocolError(f"no script_finished after {frames} frames")

    def _handle(self, forward: ForwardMsg) -> int | None:
        """Take in one ForwardMsg; return the status if it ends the run."""
        kind = forward.WhichOneof("type")
        if kind == "new_session":
            self.page_script_hash = forward.new_session.page_script_hash
            self.session_id = forward.new_session.initialize.session_id or self.session_id
            if not forward.metadata.run.fragment_ids:  # a full run renders every widget anew
                self.widgets.clear()
        elif kind == "navigation" and forward.navigation.page_script_hash:
            # The page that ran: with a pages/ directory, new_session may name the main
            # script, and a full rerun with that hash would run the main page.
            self.page_script_hash = forward.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = forward.page_info_changed.query_string
        elif kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
            self._take_element(forward.delta.new_element, forward.delta.fragment_id)
        elif kind == "session_event" and forward.session_event.HasField(
            "script_compilation_exception"
        ):
            raise ProtocolError("the script does not compile")
        elif kind == "script_finished":
            return forward.script_finished
        return None

    def _take_element(self, element: Element, fragment_id: str) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            raise ProtocolError(f"the app raised: {element.exception.message}")
        if kind == "metric":
            self.metrics[element.metric.label] = element.metric.body
            return
        if kind == "download_button" and element.download_button.deferred_file_id:
            self.downloads[element.download_button.id] = element.download_button.deferred_file_id
        proto = getattr(element, kind)
        widget_id = getattr(proto, "id", "")
        if widget_id:
            self.widgets[widget_id] = Widget(
                widget_id, kind, getattr(proto, "label", ""), fragment_id, widget_state(element)
            )


def widget_state(element: Element) -> WidgetState | None:
    """The value the frontend reports for a freshly rendered widget (None: reports none)."""
    kind = element.WhichOneof("type")
    proto = getattr(element, kind)
    state = WidgetState(id=proto.id)
    if kind == "checkbox":
        state.bool_value = proto.value if proto.set_value else proto.default
    elif kind == "number_input":
        if not (proto.set_value or proto.HasField("default")):
            return None
        state.double_value = proto.value if proto.set_value else proto.default
    elif kind in ("selectbox", "radio"):
        if proto.set_value:
            state.string_value = proto.raw_value
        elif proto.HasField("default") and 0 <= proto.default < len(proto.options):
            state.string_value = proto.options[proto.default]
        else:
            return None
    elif kind == "slider" and proto.options:  # st.select_slider: formatted options
        values = (
            list(proto.raw_value)
            if proto.set_value
            else [proto.options[int(index)] for index in proto.default]
        )
        state.string_array_value.data.extend(values)
    elif kind == "slider":
        state.double_array_value.data.extend(proto.value if proto.set_value else proto.default)
    else:  # buttons (a trigger, sent only when clicked), charts, data frames, ...
        return None
    return state
