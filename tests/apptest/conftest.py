"""Helpers for driving Softmax Lab with Streamlit's ``AppTest``.

Every test starts from the entry point ``app.py`` and switches pages, as a user does (page
links break when a page file is opened on its own). Charts are read back from the element
protos: ``json.loads(proto.spec)`` is the plotly figure, with numpy arrays base64-encoded as
``{"dtype": ..., "bdata": ..., "shape": ...}``; :func:`decode` turns those back into arrays.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from ui.settings import from_query

APP = Path(__file__).resolve().parents[2] / "app.py"
TIMEOUT = 60
DATA, TRAIN, COMPARE, MATH = (
    "pages/1_Data.py",
    "pages/2_Train.py",
    "pages/3_Compare.py",
    "pages/4_Math.py",
)
LOG3 = math.log(3)


def assert_ok(at: AppTest) -> None:
    """No exception on the page (details are redacted there, so show them here)."""
    assert not at.exception, [(e.value, e.stack_trace) for e in at.exception]


def open_app(query: dict[str, str] | None = None, page: str | None = None) -> AppTest:
    """A new session opened with ``query`` in the address bar, then on ``page``."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.run()
    assert_ok(at)
    if page is not None:
        go(at, page)
    return at


def go(at: AppTest, page: str) -> AppTest:
    at.switch_page(page)
    at.run()
    assert_ok(at)
    return at


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert_ok(at)
    return at


def set_widget(at: AppTest, kind: str, key: str, value) -> AppTest:
    """Set the widget of type ``kind`` (e.g. ``"number_input"``) with ``key`` and rerun."""
    getattr(at, kind)(key=key).set_value(value).run()
    assert_ok(at)
    return at


@pytest.fixture
def home() -> AppTest:
    return open_app()


@pytest.fixture
def train_app() -> AppTest:
    """A new session with the seed note's settings, on the Train page at iteration 0."""
    return open_app(page=TRAIN)


def run_of(at: AppTest):
    """The session's ``ui.state.Run`` (model, history, schedule, event)."""
    return at.session_state["lab.run"]


def model_of(at: AppTest):
    return run_of(at).model


def settings_of(at: AppTest):
    return at.session_state["lab.settings"]


def metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert len(found) == 1, f"metric {label!r}: {[m.label for m in at.metric]}"
    return found[0]


def iteration(at: AppTest) -> int:
    return int(metric(at, "Iteration").replace(",", ""))


def loss(at: AppTest) -> float:
    return float(metric(at, "Loss J"))


def texts(at: AppTest, kind: str) -> list[str]:
    """Texts of the ``st.<kind>`` messages on the page (``"error"``, ``"warning"``, ...)."""
    return [element.value for element in getattr(at, kind)]


def url(at: AppTest) -> dict[str, str]:
    """The query parameters the app wrote."""
    return {name: at.query_params[name] for name in at.query_params}


def check_consistency(at: AppTest, *, on_train: bool = True) -> None:
    """What every action must keep: the model, its history, the page and the URL agree."""
    assert_ok(at)
    model = model_of(at)
    assert len(model.loss_curve_) == model.n_iter_
    assert np.all(np.isfinite(model.loss_curve_))
    assert np.all(np.isfinite(model.coef_)) and np.all(np.isfinite(model.intercept_))
    assert int(url(at)["iter"]) == model.n_iter_
    assert sum(count for _, count in run_of(at).schedule) == model.n_iter_
    if on_train:
        assert iteration(at) == model.n_iter_
    restored = from_query(url(at))
    assert restored.settings == settings_of(at)


def decode(value):
    """A figure dict (or part of it) with plotly's base64 arrays decoded into numpy arrays."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
            if "shape" in value:
                array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
            return array
        return {name: decode(item) for name, item in value.items()}
    if isinstance(value, list):
        return [decode(item) for item in value]
    return value


def charts(at: AppTest) -> dict[str, dict]:
    """Every plotly chart on the page, decoded, by widget key."""
    found = {}
    for element in at.get("plotly_chart"):
        key = element.proto.id.rsplit("-", 1)[-1]
        found[key] = decode(json.loads(element.proto.spec))
    return found


def chart_data(at: AppTest, key: str) -> dict:
    """The decoded figure of the chart with ``key`` (e.g. ``"w.train.loss_chart"``)."""
    found = charts(at)
    assert key in found, f"no chart {key!r}: {sorted(found)}"
    return found[key]


def trace(figure: dict, name: str) -> dict:
    found = [t for t in figure["data"] if t.get("name") == name]
    assert len(found) == 1, f"trace {name!r}: {[t.get('name') for t in figure['data']]}"
    return found[0]


def numeric_arrays(figure: dict) -> Iterator[np.ndarray]:
    """Every numeric array (or list of numbers) in the figure's traces."""
    for data in figure["data"]:
        for name, value in data.items():
            if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
                yield value
            elif (
                isinstance(value, list)
                and value
                and all(isinstance(v, (int, float)) for v in value)
                and name not in ("tickvals",)
            ):
                yield np.asarray(value, dtype=float)


def assert_charts_finite(at: AppTest) -> None:
    """No NaN or infinity reaches any chart on the page."""
    for key, figure in charts(at).items():
        for array in numeric_arrays(figure):
            assert np.all(np.isfinite(array.astype(float))), f"non-finite values in {key}"


@pytest.fixture
def downloads(monkeypatch) -> dict[str, bytes]:
    """Files the app hands to download buttons, by media file id (the URL's file name)."""
    stored: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):
        file_id = original(self, path_or_data, mimetype, kind, filename)
        stored[file_id] = self._files_by_id[file_id].content
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", load_and_get_id)
    return stored
