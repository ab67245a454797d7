"""Helpers for driving Softmax Lab with Streamlit's ``AppTest``, shared by every test file.

A session is opened by link, as a browser does: the query goes into the address bar and the
first run is the page asked for (``open_app(query, TRAIN)`` is ``/Train?query``). Charts are
read back from the element protos: ``json.loads(proto.spec)`` is the plotly figure, with
numpy arrays base64-encoded as ``{"dtype": ..., "bdata": ..., "shape": ...}``;
:func:`decode` turns those back into arrays.

What the app wrote into the address bar: the page hands the query to the browser in an
``st.html`` element (:func:`written_queries`), which a script copies into the address bar
with ``history.replaceState``, and keeps the last query it wrote in
``st.session_state["lab.url"]``; :func:`url` reads that (AppTest's ``at.query_params`` is only
what the session was opened with).

:func:`check_consistency` is the one checker of the issue "Truth on screen": after every
action, every display of the run's state agrees with the model (and with each other).
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import numpy as np
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from softmax_core import (
    make_noisy_blobs,
    make_noisy_classes,
    objective_gradient,
    symmetric_parameters,
)
from ui import explain
from ui.report import format_number, format_rate, format_ratio
from ui.settings import from_query

APP = Path(__file__).resolve().parents[2] / "app.py"
TIMEOUT = 120
HOME, DATA, TRAIN, COMPARE, MATH = (
    "app.py",
    "pages/1_Data.py",
    "pages/2_Train.py",
    "pages/3_Compare.py",
    "pages/4_Math.py",
)
PAGES = (HOME, DATA, TRAIN, COMPARE, MATH)
TITLES = {
    HOME: "Softmax Lab",
    DATA: "Data",
    TRAIN: "Train",
    COMPARE: "Compare with scikit-learn",
    MATH: "The math behind each step",
}
LOG3 = math.log(3)
# The seed note's data: 2/L and 1/L (the automatic rate), as the app prints them.
SEED_LIMIT, SEED_AUTO = "0.1168", "0.05839"

STEP, STEP10, RUN, PLAY, PAUSE, BACK, RESET, FIX, RESTART, OPTIMUM = (
    "w.train.step",
    "w.train.step10",
    "w.train.run",
    "w.train.play",
    "w.train.pause",
    "w.train.back",
    "w.train.reset",
    "w.train.fix_lr",
    "w.train.restart_stable",
    "w.train.optimum",
)
NOTICE = "Some of the link's settings were not valid:"
GUARD = "Something here could not be computed"
# Which banner (explain.stability's claim key) offers which way out.
FIX_KEYS = ("unstable-rising", "unstable-falling", "nesterov-unproven")


# --------------------------------------------------------------------- driving


def assert_ok(at: AppTest) -> None:
    """No exception on the page (details are redacted there, so show them here)."""
    assert not at.exception, [(e.value, e.stack_trace) for e in at.exception]


def open_app(query: dict[str, str] | None = None, page: str = HOME) -> AppTest:
    """A new session opened by a link to ``page`` with ``query`` (``/Train?lr=auto``)."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    if page != HOME:
        at.switch_page(page)
    at.run()
    assert_ok(at)
    return at


def go(at: AppTest, page: str) -> AppTest:
    """Follow the sidebar's link to ``page``."""
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


def choose(at: AppTest, key: str, value) -> AppTest:
    """Click the option ``value`` of a ``st.segmented_control`` (AppTest 1.67 exposes it as a
    ``ButtonGroup``: ``at.segmented_control(key=...)``; the value is the option itself, not
    its label)."""
    return set_widget(at, "segmented_control", key, value)


def has_button(at: AppTest, key: str) -> bool:
    return any(button.key == key for button in at.button)


# ---------------------------------------------------------------------- state


def run_of(at: AppTest):
    """The session's ``ui.state.Run`` (model, history, schedule, event)."""
    return at.session_state["lab.run"]


def model_of(at: AppTest):
    return run_of(at).model


def settings_of(at: AppTest):
    return at.session_state["lab.settings"]


def view_of(at: AppTest):
    return at.session_state["lab.view"]


def classroom_of(at: AppTest) -> bool:
    return at.session_state["lab.classroom"]


def report_of(at: AppTest):
    """The report the page was drawn from (``ui.state.report``'s cache)."""
    return at.session_state["lab.report"][1]


def data_of(settings) -> tuple[np.ndarray, np.ndarray]:
    """The data set of ``settings``, made by the core directly (not through the app)."""
    make = make_noisy_blobs if settings.kind == "blobs" else make_noisy_classes
    return make(settings.n_samples, settings.n_classes, settings.noise, random_state=settings.seed)


def run_state(at: AppTest) -> dict:
    """Everything that defines where a run stands, copied (to compare after Back)."""
    model = model_of(at)
    return {
        "settings": settings_of(at),
        "n_iter": model.n_iter_,
        "coef": model.coef_.copy(),
        "intercept": model.intercept_.copy(),
        "history": model.loss_history().copy(),
        "schedule": list(run_of(at).schedule),
    }


def assert_same_run_state(at: AppTest, expected: dict) -> None:
    now = run_state(at)
    assert now["settings"] == expected["settings"]
    assert now["n_iter"] == expected["n_iter"]
    assert now["schedule"] == expected["schedule"]
    np.testing.assert_array_equal(now["coef"], expected["coef"])
    np.testing.assert_array_equal(now["intercept"], expected["intercept"])
    np.testing.assert_array_equal(now["history"], expected["history"])


def j_star(at: AppTest) -> float:
    """The objective of scikit-learn's fit (the page's reference), by the scratch model's
    objective, computed here."""
    current = settings_of(at)
    X, y = data_of(current)
    coef, intercept = symmetric_parameters(report_of(at).reference.model)
    return objective_gradient(coef, intercept, X, y, current.C)[0]


def gradient_now(at: AppTest) -> tuple[np.ndarray, np.ndarray]:
    """The gradient of the objective at the model's current parameters, computed here."""
    model, current = model_of(at), settings_of(at)
    X, y = data_of(current)
    _, grad_coef, grad_intercept = objective_gradient(
        model.coef_, model.intercept_, X, y, current.C
    )
    return grad_coef, grad_intercept


# -------------------------------------------------------------------- reading


def metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert len(found) == 1, f"metric {label!r}: {[m.label for m in at.metric]}"
    return found[0]


def iteration(at: AppTest) -> int:
    return int(metric(at, "Iteration").replace(",", ""))


def texts(at: AppTest, kind: str) -> list[str]:
    """Texts of the ``st.<kind>`` elements (``"error"``, ``"warning"``, ``"toast"``...)."""
    return [element.value for element in getattr(at, kind)]


def alerts(at: AppTest) -> list[tuple[str, str]]:
    """``(level, text)`` of every ``st.success/info/warning/error`` on the page."""
    return [
        (level, element.value)
        for level in ("success", "info", "warning", "error")
        for element in getattr(at, level)
    ]


def page_alerts(at: AppTest) -> list[tuple[str, str]]:
    """The alerts other than the notice about the link."""
    return [(level, text) for level, text in alerts(at) if not text.startswith(NOTICE)]


def toasts(at: AppTest) -> list[str]:
    return texts(at, "toast")


def toast(at: AppTest) -> str:
    """The one message about the last action."""
    found = toasts(at)
    assert len(found) == 1, found
    return found[0]


def notice(at: AppTest) -> str:
    """The notice about the link's invalid settings, or ''."""
    found = [text for text in texts(at, "warning") if text.startswith(NOTICE)]
    assert len(found) <= 1
    return found[0] if found else ""


def summary(at: AppTest) -> str:
    """The sidebar's one-line run summary."""
    found = [c.value for c in at.sidebar.caption if c.value.startswith("**Run:**")]
    assert len(found) == 1, [c.value for c in at.sidebar.caption]
    return found[0]


def title(at: AppTest) -> str:
    titles = [t.value for t in at.title]
    assert len(titles) == 1, titles
    return titles[0]


def dataframe(at: AppTest, first_column: str = "class"):
    found = [d.value for d in at.dataframe if d.value.columns[0] == first_column]
    assert len(found) == 1
    return found[0]


def url(at: AppTest) -> dict[str, str]:
    """The last query the app wrote into the address bar."""
    return dict(at.session_state["lab.url"])


# How the page hands the query to the browser: a ``history.replaceState`` script with the
# query as a JSON string, or a hidden carrier element that the page's observer script copies
# into the address bar with ``history.replaceState``.
_URL_SCRIPT = re.compile(
    r"window\.history\.replaceState\(window\.history\.state, '', "
    r"window\.location\.pathname \+ (\"[^\"]*\")\);"
)
_URL_CARRIER = re.compile(r'<div hidden data-lab-query="([^"]*)"></div>')


def _parse_search(search: str) -> dict[str, str]:
    assert search.startswith("?"), search
    pairs = parse_qsl(search[1:], keep_blank_values=True, strict_parsing=True)
    assert len({name for name, _ in pairs}) == len(pairs), search
    return dict(pairs)


def written_queries(at: AppTest) -> list[dict[str, str]]:
    """The queries this run of the page handed to the address bar, in page order."""
    found = []
    for element in at.get("html"):
        body = element.proto.body
        found += [_parse_search(json.loads(m.group(1))) for m in _URL_SCRIPT.finditer(body)]
        found += [_parse_search(html.unescape(m.group(1))) for m in _URL_CARRIER.finditer(body)]
    return found


def url_writer_installed(at: AppTest) -> bool:
    """Whether the page holds a script that copies a query into the address bar."""
    return any(
        "history.replaceState" in element.proto.body and "<script" in element.proto.body
        for element in at.get("html")
    )


# --------------------------------------------------------------------- charts


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


def chart_title(figure: dict) -> str:
    return figure["layout"]["title"]["text"]


def chart_subtitle(figure: dict) -> str:
    return figure["layout"]["title"].get("subtitle", {}).get("text", "")


def trace(figure: dict, name: str) -> dict:
    found = [t for t in figure["data"] if t.get("name") == name]
    assert len(found) == 1, f"trace {name!r}: {[t.get('name') for t in figure['data']]}"
    return found[0]


def dashed(figure: dict) -> list[dict]:
    """The reference's traces: dashed lines (1-D) or dashed contours (2-D)."""
    return [t for t in figure["data"] if t.get("line", {}).get("dash") == "dash"]


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


# --------------------------------------------------------------- consistency


def expected_preset(settings, model) -> str | None:
    """The one-click rate the settings' learning rate is, computed from the model."""
    rate = settings.learning_rate
    if rate is None:
        return "0.5×"
    if rate == 0.5:
        return "0.5 (seed)"
    limit = model.learning_rate_limit_
    return next((f"{f:g}×" for f in (0.99, 1.01, 2.0) if rate == f * limit), None)


def per_iteration(schedule) -> list:
    """The learning rate of each iteration of a schedule."""
    return [rate for rate, count in schedule for _ in range(count)]


def _state_word(model) -> str:
    return "diverged" if model.diverged_ else ("converged" if model.converged_ else "training")


def _check_url(at: AppTest) -> None:
    model, current, written = model_of(at), settings_of(at), url(at)
    restored = from_query(written)
    assert restored.problems == [], restored.problems
    assert restored.settings == current
    assert restored.view == view_of(at)
    assert restored.classroom == classroom_of(at)
    assert written["iter"] == str(model.n_iter_)
    assert restored.n_iter == model.n_iter_
    assert written["lr"] == (
        "auto" if current.learning_rate is None else repr(float(current.learning_rate))
    )
    schedule = run_of(at).schedule
    assert per_iteration(restored.schedule) == per_iteration(schedule)
    assert ("sched" in written) == any(rate != current.learning_rate for rate, _ in schedule)
    handed = written_queries(at)
    if handed:
        assert handed[-1] == written
        assert url_writer_installed(at)


def _check_banner(at: AppTest, report) -> None:
    """The stability banner is the one ``explain.stability`` chooses, and its numbers are
    the model's; nothing else on the page is a banner."""
    model = model_of(at)
    claim = explain.stability(report)
    assert page_alerts(at) == [(claim.level, claim.text)]
    if model.diverged_:
        assert claim.key == "diverged"
        assert f"Diverged at iteration {model.n_iter_:,}" in claim.text
    if model.solver != "newton":
        assert format_rate(model.learning_rate_) in claim.text
        assert format_ratio(model.learning_rate_ / model.learning_rate_limit_) in claim.text
        assert format_rate(model.learning_rate_limit_) in claim.text
    assert has_button(at, RESTART) == (claim.key == "diverged")
    assert has_button(at, FIX) == (claim.key in FIX_KEYS)
    if has_button(at, FIX):
        assert (
            at.button(key=FIX).label == f"Fix: 1/L = {format_rate(model.learning_rate_limit_ / 2)}"
        )


def _check_report(at: AppTest) -> None:
    """The report every display was drawn from is the model's state now."""
    model, report = model_of(at), report_of(at)
    assert (report.n_iter, report.loss, report.converged, report.diverged) == (
        model.n_iter_,
        model.loss_,
        model.converged_,
        model.diverged_,
    )
    assert (report.learning_rate, report.limit, report.solver, report.C, report.tol) == (
        model.learning_rate_,
        model.learning_rate_limit_,
        model.solver,
        settings_of(at).C,
        settings_of(at).tol,
    )


def _check_converged_flag(at: AppTest) -> None:
    """Converged means what the page says it means: the last step changed the loss by less
    than the tol in force (not the tol of when the step was taken)."""
    model, tol = model_of(at), settings_of(at).tol
    history = model.loss_history()
    if model.n_iter_ and not model.diverged_:
        change = abs(history[-1] - history[-2])
        assert model.converged_ == (change < tol), (
            f"converged_={model.converged_} but the last step changed J by {change:.3g}, "
            f"tol = {tol:g}"
        )
    else:
        assert not model.converged_


def _check_train(at: AppTest) -> None:
    model, current, view = model_of(at), settings_of(at), view_of(at)
    report = report_of(at)
    n_iter, history = model.n_iter_, model.loss_history()
    X, y = data_of(current)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Iteration"] == f"{n_iter:,}"
    assert shown["Loss J"] == format_number(model.loss_)
    assert shown["Last step ΔJ"] == ("–" if n_iter == 0 else f"{history[-1] - history[-2]:+.2e}")
    assert shown["Accuracy"] == f"{np.mean(model.predict(X) == y):.1%}"
    assert shown["Converged"] == {"diverged": "diverged", "converged": "yes"}.get(
        _state_word(model), "no"
    )
    helps = {m.label: m.proto.help for m in at.metric}
    assert f"tol = {current.tol:g}" in helps["Converged"]
    if report.reference is not None:
        assert report.reference.label in helps["max |Δp| to target"]
    _check_banner(at, report)
    # The charts' titles and the loss chart's last point.
    figures = charts(at)
    assert chart_title(figures["w.train.model_chart"]) == f"From scratch, iteration {n_iter:,}"
    loss_figure = figures["w.train.loss_chart"]
    assert chart_title(loss_figure) == f"Loss, iteration {n_iter:,}"
    curve = trace(loss_figure, "from scratch")
    if view.loss_window != "logx" or n_iter:
        assert curve["x"][-1] == n_iter
        last = history[-1]
        if view.log_y and view.show_target:
            last = max(last - report.reference_loss, 1e-16)
        assert curve["y"][-1] == pytest.approx(last, rel=1e-12)
    # The widgets show the settings, and the learning rate in use.
    assert at.number_input(key="w.train.lr").value == model.learning_rate_
    assert at.toggle(key="w.train.lr_auto").value == (current.learning_rate is None)
    assert at.segmented_control(key="w.train.rate_preset").value == expected_preset(current, model)
    assert at.segmented_control(key="w.train.solver").value == current.solver
    assert at.selectbox(key="w.train.C").value == current.C
    assert at.select_slider(key="w.train.tol").value == current.tol
    assert at.number_input(key="w.train.max_iter").value == current.max_iter
    assert at.select_slider(key="w.view.speed").value == view.speed
    assert at.toggle(key="w.view.target").value == view.show_target
    assert at.toggle(key="w.view.log_y").value == view.log_y
    assert at.segmented_control(key="w.view.window").value == view.loss_window
    # Play or Pause, as the session plays.
    playing = at.session_state["lab.playing"]
    assert has_button(at, PAUSE) == playing
    assert has_button(at, PLAY) == (not playing)
    if not playing:
        assert at.button(key=PLAY).disabled == (model.diverged_ or n_iter >= current.max_iter)
    # The parameter table (hidden in classroom mode): W, b and the gradient where W is.
    if not classroom_of(at):
        table = dataframe(at)
        np.testing.assert_array_equal(table["b"], model.intercept_)
        np.testing.assert_array_equal(table["∂J/∂b"], model.grad_intercept_)


def check_consistency(at: AppTest) -> None:
    """What every action must keep: the model, its history, every display and the URL agree.

    On every page: the model's own invariants, the sidebar summary, and the URL (the query
    the app wrote, and the script that wrote it). On Train: the metrics, the banner and its
    buttons, the chart titles, the widgets (the learning-rate box shows the rate in use,
    1/L while auto), Play/Pause and the parameter table. On Compare, Math and Home: the
    iteration they name.
    """
    assert_ok(at)
    assert_charts_finite(at)
    model, current_run = model_of(at), run_of(at)
    assert len(model.loss_curve_) == model.n_iter_
    assert np.all(np.isfinite(model.loss_history()))
    assert np.all(np.isfinite(model.coef_)) and np.all(np.isfinite(model.intercept_))
    assert sum(count for _, count in current_run.schedule) == model.n_iter_
    assert all(count > 0 for _, count in current_run.schedule)
    current = settings_of(at)
    data = "1-D line" if current.kind == "line" else "2-D blobs"
    assert summary(at) == (
        f"**Run:** {data}, {current.n_samples:,} points, {current.n_classes} classes · "
        f"iteration {model.n_iter_:,} · loss {format_number(model.loss_)} · {_state_word(model)}"
    )
    _check_url(at)
    _check_report(at)
    _check_converged_flag(at)
    page = title(at)
    n_iter = f"iteration {model.n_iter_:,}"
    if page == TITLES[TRAIN]:
        _check_train(at)
    elif page == TITLES[COMPARE]:
        report = report_of(at)
        figure = chart_data(at, "w.compare.chart")
        assert chart_title(figure).startswith(f"From scratch, {n_iter}")
        assert report.reference.label in chart_title(figure) + chart_subtitle(figure)
        assert any(f"the scratch run is at {n_iter} " in c.value for c in at.caption)
        claims = explain.differences(report, two_dimensional=current.kind == "blobs")
        assert page_alerts(at) == [(claim.level, claim.text) for claim in claims]
    elif page == TITLES[MATH]:
        assert [s.value for s in at.subheader] == [f"Live: one data point at {n_iter}"]
    elif page == TITLES[HOME]:
        assert any(f"Your own run is at {n_iter}." in c.value for c in at.caption)


# ------------------------------------------------------------------- fixtures


@pytest.fixture
def train_app() -> AppTest:
    """A new session by the link /Train (the seed note's settings, iteration 0)."""
    return open_app(page=TRAIN)


@pytest.fixture
def downloads(monkeypatch):
    """What a download button would hand over: ``downloads(element)`` is the file's text.

    The app builds its CSV only when someone clicks (a callable ``data``: Streamlit's
    deferred download), so the callables are recorded as the page registers them.
    """
    deferred: dict[str, Callable] = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, *args, **kwargs):
        file_id = original(self, data_callable, *args, **kwargs)
        deferred[file_id] = data_callable
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)

    def content(element) -> str:
        file_id = element.proto.deferred_file_id
        assert file_id in deferred, "the download button holds no deferred file"
        data = deferred[file_id]()
        return data.decode() if isinstance(data, bytes) else data

    return content
