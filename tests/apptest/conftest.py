"""Helpers for driving Softmax Lab with Streamlit's ``AppTest``, shared by every test file.

A session is opened by link, as a browser does: the query goes into the address bar and the
first run is the page asked for (``open_app(query, TRAIN)`` is ``/Train?query``). Charts are
read back from the element protos: ``json.loads(proto.spec)`` is the plotly figure, with
numpy arrays base64-encoded as ``{"dtype": ..., "bdata": ..., "shape": ...}``;
:func:`decode` turns those back into arrays.

What the app wrote into the address bar is ``at.query_params`` (:func:`url`): the app writes
it through ``st.query_params``, and AppTest reads it back after every run.

:func:`check_consistency` is the one checker of the issue "Truth on screen": after every
action, every display of the run's state agrees with the model (and with each other).

Reference numbers are computed here, independently of ``ui/``: the data set from the core's
generators, scikit-learn's loaders or the uploaded bytes (:func:`expected_data`), and J, its
gradient, its Hessian, Böhning's bound, gradient descent and Newton's optimum from their
formulas with numpy and scipy (:func:`objective_at` and the functions after it).
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qsl

import numpy as np
import pytest
from scipy.special import log_softmax
from scipy.special import softmax as scipy_softmax
from sklearn.datasets import load_iris, load_wine
from sklearn.metrics import accuracy_score, log_loss
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from softmax_core import (
    make_noisy_blobs,
    make_noisy_classes,
    objective_gradient,
    symmetric_parameters,
)
from softmax_core.datasets import holdout_split
from ui import explain
from ui.lessons import LESSONS
from ui.report import format_number, format_rate, format_ratio
from ui.settings import escape_markdown, from_query

APP = Path(__file__).resolve().parents[2] / "app.py"
TIMEOUT = 120
HOME, DATA, TRAIN, COMPARE, MATH, LESSONS_PAGE = (
    "app.py",
    "pages/1_Data.py",
    "pages/2_Train.py",
    "pages/3_Compare.py",
    "pages/4_Math.py",
    "pages/5_Lessons.py",
)
PAGES = (HOME, DATA, TRAIN, COMPARE, MATH, LESSONS_PAGE)
PAGE_NAMES = ("Home", "Data", "Train", "Compare", "Math", "Lessons")
TITLES = {
    HOME: "Softmax Lab",
    DATA: "Data",
    TRAIN: "Train",
    COMPARE: "Compare with scikit-learn",
    MATH: "The math behind each step",
    LESSONS_PAGE: "Lessons",
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


# The default features of the real data sets (issue 11: iris petal length; wine flavanoids,
# softmax_core.datasets' documented choice), as column indices of scikit-learn's tables.
REAL_DEFAULT_FEATURES = {"iris": (2,), "wine": (6,)}
REAL_LOADERS = {"iris": load_iris, "wine": load_wine}
# What a link with kind=upload says (it cannot carry the file) before showing the seed data.
UPLOAD_NOTICE = (
    "this link was made with an uploaded file, which never leaves the session that "
    "uploaded it: upload it again on the Data page (showing the seed's data meanwhile)"
)
UPLOAD_FIELDS = {"upload": None, "upload_columns": (), "upload_label": "", "upload_rows": 0}


@dataclass(frozen=True)
class ExpectedData:
    """A data set computed here, from the core's generators, scikit-learn's loaders or the
    uploaded bytes, independently of ``ui.data``: the points as drawn, the held-out split
    (the core's ``holdout_split``) and the features as the model sees them."""

    X: np.ndarray
    y: np.ndarray
    class_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    train: np.ndarray
    test: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    def scaled(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean) / self.scale

    @property
    def X_train(self) -> np.ndarray:
        return self.scaled(self.X[self.train])

    @property
    def y_train(self) -> np.ndarray:
        return self.y[self.train]

    @property
    def X_test(self) -> np.ndarray:
        return self.scaled(self.X[self.test])

    @property
    def y_test(self) -> np.ndarray:
        return self.y[self.test]

    @property
    def standardised(self) -> bool:
        return bool(np.any(self.mean != 0) or np.any(self.scale != 1))


def csv_columns(raw: bytes, columns: tuple[str, ...], label: str):
    """Features and labels of chosen columns of a (well-formed, comma-separated) CSV file,
    read with the standard library; classes ordered by value if all numeric, else as text."""
    rows = [row for row in csv.reader(io.StringIO(raw.decode("utf-8-sig"))) if row]
    header, body = [c.strip() for c in rows[0]], rows[1:]
    X = np.array([[float(row[header.index(c)]) for c in columns] for row in body])
    labels = [row[header.index(label)].strip() for row in body]
    try:
        classes = sorted(set(labels), key=float)
    except ValueError:
        classes = sorted(set(labels))
    y = np.array([classes.index(value) for value in labels])
    return X, y, tuple(classes), tuple(columns)


def expected_data(settings, raw_upload: bytes | None = None) -> ExpectedData:
    """The data set of ``settings``, made here (an upload's data from its ``raw_upload``)."""
    if settings.kind in ("line", "blobs"):
        make = make_noisy_blobs if settings.kind == "blobs" else make_noisy_classes
        X, y = make(
            settings.n_samples, settings.n_classes, settings.noise, random_state=settings.seed
        )
        names = tuple(str(k) for k in range(settings.n_classes))
        features = ("x₁", "x₂") if settings.kind == "blobs" else ("x",)
    elif settings.kind in REAL_LOADERS:
        bunch = REAL_LOADERS[settings.kind]()
        columns = list(settings.features or REAL_DEFAULT_FEATURES[settings.kind])
        X, y = bunch.data[:, columns], bunch.target
        names = tuple(str(name) for name in bunch.target_names)
        features = tuple(bunch.feature_names[j].replace("_", " ") for j in columns)
    else:
        assert settings.kind == "upload" and raw_upload is not None
        X, y, names, features = csv_columns(
            raw_upload, settings.upload_columns, settings.upload_label
        )
    train, test = holdout_split(y, settings.holdout, settings.holdout_seed)
    mean, scale = np.zeros(X.shape[1]), np.ones(X.shape[1])
    if settings.standardise:
        mean, spread = X[train].mean(axis=0), X[train].std(axis=0)
        scale = np.where(spread > 0, spread, 1.0)
    return ExpectedData(X, y, names, features, train, test, mean, scale)


def data_set(at: AppTest) -> ExpectedData:
    """The session's data set, made here from its settings (and its uploaded file)."""
    upload = at.session_state.get("lab.upload")
    return expected_data(settings_of(at), None if upload is None else upload.raw)


def data_of(settings) -> tuple[np.ndarray, np.ndarray]:
    """The training points of ``settings`` as the model sees them, and their labels, made
    here (not through the app); the whole data set unless some are held out."""
    data = expected_data(settings)
    return data.X_train, data.y_train


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
    data = data_set(at)
    coef, intercept = symmetric_parameters(report_of(at).reference.model)
    return objective_gradient(coef, intercept, data.X_train, data.y_train, settings_of(at).C)[0]


def gradient_now(at: AppTest) -> tuple[np.ndarray, np.ndarray]:
    """The gradient of the objective at the model's current parameters, computed here."""
    model, data = model_of(at), data_set(at)
    _, grad_coef, grad_intercept = objective_gradient(
        model.coef_, model.intercept_, data.X_train, data.y_train, settings_of(at).C
    )
    return grad_coef, grad_intercept


def objective_at(theta: np.ndarray, X: np.ndarray, y: np.ndarray, C: float) -> float:
    """J at stacked parameters ``[W | b]``: mean cross-entropy by scipy's log-softmax, plus
    ||W||^2 / (2 C n), written here from the definition (not the core's)."""
    scores = X @ theta[:, :-1].T + theta[:, -1]
    cross_entropy = -np.mean(log_softmax(scores, axis=1)[np.arange(y.size), y])
    penalty = 0.0 if math.isinf(C) else np.sum(theta[:, :-1] ** 2) / (2 * C * y.size)
    return float(cross_entropy + penalty)


def objective_hessian(theta: np.ndarray, X: np.ndarray, C: float) -> np.ndarray:
    """The Hessian of J at stacked parameters ``[W | b]`` (flattened row by row), from its
    formula: the mean over the points of (diag(p) - p p^T) kron x~ x~^T with x~ = [x, 1],
    plus 1/(C n) on the weights (not the intercepts)."""
    n, k = X.shape[0], theta.shape[0]
    X_aug = np.column_stack([X, np.ones(n)])
    proba = scipy_softmax(X_aug @ theta.T, axis=1)
    spread = np.einsum("ij,jl->ijl", proba, np.eye(k)) - np.einsum("ij,il->ijl", proba, proba)
    H = np.einsum("ijl,if,ig->jflg", spread, X_aug, X_aug) / n
    H = H.reshape(theta.size, theta.size)
    if not math.isinf(C):
        H += np.diag(np.tile(np.r_[np.ones(X.shape[1]), 0.0], k)) / (C * n)
    return H


def zero_sum_spectrum(H: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending) and unit eigenvectors (rows, in the full parameter space) of
    ``H`` on the directions that sum to zero over the classes (training never moves along
    the others: every class's gradient sums to zero)."""
    width = H.shape[0] // k
    centred = np.eye(k) - 1.0 / k
    classes = np.linalg.svd(centred)[0][:, : k - 1]  # orthonormal, orthogonal to ones
    basis = np.kron(classes, np.eye(width))
    values, vectors = np.linalg.eigh(basis.T @ H @ basis)
    return values, (basis @ vectors).T


def sign_fixed(vector: np.ndarray) -> np.ndarray:
    """``vector`` with its largest-magnitude entry positive (the first of near ties)."""
    magnitude = np.abs(vector)
    first = np.flatnonzero(magnitude >= (1 - 1e-6) * magnitude.max())[0]
    return -vector if vector[first] < 0 else vector


def curvature_bound(X: np.ndarray, C: float) -> float:
    """Böhning's bound L on the curvature of J: half the largest eigenvalue of
    [X | 1]^T [X | 1] / n, plus 1/(C n)."""
    X_aug = np.column_stack([X, np.ones(X.shape[0])])
    top = np.linalg.eigvalsh(X_aug.T @ X_aug / X.shape[0])[-1]
    return float(top / 2 + (0.0 if math.isinf(C) else 1.0 / (C * X.shape[0])))


def gradient_here(theta: np.ndarray, X: np.ndarray, y: np.ndarray, C: float) -> np.ndarray:
    """The gradient of J at ``[W | b]`` from its formula: (P - Y)^T [X | 1] / n, plus
    W / (C n) on the weights."""
    X_aug = np.column_stack([X, np.ones(X.shape[0])])
    onehot = np.eye(theta.shape[0])[y]
    gradient = (scipy_softmax(X_aug @ theta.T, axis=1) - onehot).T @ X_aug / y.size
    if not math.isinf(C):
        gradient[:, :-1] += theta[:, :-1] / (C * y.size)
    return gradient


def gradient_descent_path(
    X: np.ndarray, y: np.ndarray, k: int, C: float, schedule
) -> list[np.ndarray]:
    """Stacked parameters ``[W | b]`` from zero through plain gradient descent with the
    schedule's rates (None: 1/L), each step by :func:`gradient_here`."""
    theta = np.zeros((k, X.shape[1] + 1))
    path = [theta]
    for rate, count in schedule:
        step = 1.0 / curvature_bound(X, C) if rate is None else rate
        for _ in range(count):
            theta = theta - step * gradient_here(theta, X, y, C)
            path.append(theta)
    return path


def newton_optimum(X: np.ndarray, y: np.ndarray, k: int, C: float) -> np.ndarray:
    """The minimiser of J as ``[W | b]`` summing to zero over the classes: full Newton steps
    from zero, solved on the zero-sum directions, until the gradient vanishes."""
    theta = np.zeros((k, X.shape[1] + 1))
    for _ in range(100):
        gradient = gradient_here(theta, X, y, C).ravel()
        if np.linalg.norm(gradient) < 1e-13:
            break
        values, vectors = zero_sum_spectrum(objective_hessian(theta, X, C), k)
        theta = theta - (vectors.T @ ((vectors @ gradient) / values)).reshape(theta.shape)
    return theta


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


_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~$:=^\"'&%@/])")


def plain(text: str) -> str:
    """Markdown escaped as ``ui.settings.escape_markdown`` does it, as the reader sees it."""
    return _ESCAPED.sub(r"\1", text)


def toasts(at: AppTest) -> list[str]:
    """The toasts' texts as the reader sees them (the page escapes them as plain text: a
    message may quote a file's name or content)."""
    return [plain(text) for text in texts(at, "toast")]


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


_FIRST_RUN_URL = re.compile(
    r"window\.history\.replaceState\(window\.history\.state, '', "
    r"window\.location\.pathname \+ (\"[^\"]*\")\);"
)


def url(at: AppTest) -> dict[str, str]:
    """The query in the address bar: what the app wrote through ``st.query_params``, or on a
    session's first run, what its script put there (see ``ui.state.write_query``)."""
    for element in at.get("html"):
        found = _FIRST_RUN_URL.search(element.proto.body)
        if found:
            search = json.loads(found.group(1))
            return dict(parse_qsl(search[1:], keep_blank_values=True, strict_parsing=True))
    return {name: str(value) for name, value in at.query_params.items()}


def history_shim_installed(at: AppTest) -> bool:
    """Whether the page holds the script that keeps query changes out of the history."""
    return any(
        "labHistoryShim" in element.proto.body and "<script" in element.proto.body
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
    """Every chart on the page (``ui.live_chart``), its figure decoded, by key."""
    found = {}
    for element in at.get("bidi_component"):
        key = element.proto.id.rsplit("-", 1)[-1]
        found[key] = decode(json.loads(json.loads(element.proto.json)["figure"]))
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


def reversals(at: AppTest, last: int | None = None) -> float:
    """On the loss landscape, the share of the path's (``last``) steps that go back along
    the steepest direction (the x axis): the zigzag."""
    steps = np.diff(trace(chart_data(at, "w.train.landscape"), "this run")["x"])
    steps = steps if last is None else steps[-last:]
    return float(np.mean(steps[1:] * steps[:-1] < 0))


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


def link_settings(current):
    """The settings a link to ``current`` reopens: an uploaded file never travels in a link,
    so a link made on one shows the seed's data (with a notice) instead."""
    linked = replace(current, **UPLOAD_FIELDS)
    return replace(linked, kind="line") if current.kind == "upload" else linked


def _check_url(at: AppTest) -> None:
    model, current, written = model_of(at), settings_of(at), url(at)
    restored = from_query(written)
    assert restored.problems == ([UPLOAD_NOTICE] if current.kind == "upload" else [])
    assert restored.settings == link_settings(current)
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
    assert [pin.spec for pin in at.session_state["lab.pins"]] == list(restored.pins)
    assert history_shim_installed(at)


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


def latex_row(values) -> str:
    """A row of numbers as the pages write it in LaTeX (four decimals)."""
    return r"\begin{pmatrix}" + " & ".join(f"{v:.4f}" for v in values) + r"\end{pmatrix}"


def latex_lines(at: AppTest) -> list[str]:
    """The page's LaTeX, without the ``$$`` delimiters Streamlit adds."""
    return [element.value.removeprefix("$$\n").removesuffix("\n$$") for element in at.latex]


@dataclass(frozen=True)
class PointNumbers:
    """One point through the model, computed here: x as drawn and as the model sees it,
    the scores z, p = softmax(z) (scipy's), the loss -log p_y and the point's gradient."""

    x: np.ndarray
    x_model: np.ndarray
    label: int
    scores: np.ndarray
    proba: np.ndarray
    loss: float
    error: np.ndarray  # p - e_y: the gradient of the point's loss in the intercepts


def point_numbers(at: AppTest, index: int) -> PointNumbers:
    model, data = model_of(at), data_set(at)
    x = data.X[index]
    x_model = data.scaled(x[None])[0]
    label = int(data.y[index])
    scores = model.coef_ @ x_model + model.intercept_
    proba = scipy_softmax(scores)
    error = proba - np.eye(proba.size)[label]
    return PointNumbers(x, x_model, label, scores, proba, float(-np.log(proba[label])), error)


def _check_point_panel(at: AppTest) -> None:
    """The followed point's panel on Train: its numbers are the model's for that point."""
    chosen, data = view_of(at).point, data_set(at)
    if chosen is None or chosen >= data.X.shape[0]:
        assert "w.train.point_bars" not in charts(at)
        hint = any(c.value.startswith("Click a data point") for c in at.caption)
        assert hint == (view_of(at).panel != "landscape")  # the landscape has no points
        return
    point = point_numbers(at, chosen)
    bars = chart_data(at, "w.train.point_bars")
    np.testing.assert_allclose(trace(bars, "softmax(z)")["y"], point.proba, rtol=1e-12, atol=1e-15)
    assert trace(bars, "softmax(z)")["y"].sum() == pytest.approx(1.0, abs=1e-12)
    share = "held out" if chosen in data.test else "training"
    name = data.class_names[point.label]
    heading = f"**Point {chosen}** ({share}), class **{html.escape(name)}**, at iteration "
    assert any(m.value.startswith(heading) for m in at.markdown)
    lines = latex_lines(at)
    assert r"\mathbf{x} = " + latex_row(point.x) in lines
    assert r"\mathbf{z} = W\mathbf{x} + \mathbf{b} = " + latex_row(point.scores) in lines
    p_y = point.proba[point.label]
    assert rf"\ell = -\log p_{{y}} = -\log {p_y:.4f} = {point.loss:.4f}" in lines
    if share == "training":
        share_of_gradient = latex_row(point.error / data.train.size)
        assert any(line.endswith(share_of_gradient) and r"\tfrac{1}{n}" in line for line in lines)
    else:  # never learnt from: no share of the gradient
        assert not [line for line in lines if r"\tfrac{1}{n}" in line]


def _check_train(at: AppTest) -> None:
    model, current, view = model_of(at), settings_of(at), view_of(at)
    report, data = report_of(at), data_set(at)
    n_iter, history = model.n_iter_, model.loss_history()
    shown = {m.label: m.value for m in at.metric}
    assert shown["Iteration"] == f"{n_iter:,}"
    assert shown["Loss J"] == format_number(model.loss_)
    assert shown["Last step ΔJ"] == ("–" if n_iter == 0 else f"{history[-1] - history[-2]:+.2e}")
    assert shown["Accuracy"] == f"{accuracy_score(data.y_train, model.predict(data.X_train)):.1%}"
    assert shown["Converged"] == {"diverged": "diverged", "converged": "yes"}.get(
        _state_word(model), "no"
    )
    helps = {m.label: m.proto.help for m in at.metric}
    if data.test.size:
        held = accuracy_score(data.y_test, model.predict(data.X_test))
        assert shown["Held out"] == f"{held:.1%}"
        heldout_loss = cross_entropy_here(model, data.X_test, data.y_test)
        assert f"(their cross-entropy: {heldout_loss:.4f})" in helps["Held out"]
    else:
        assert "Held out" not in shown
    assert f"tol = {current.tol:g}" in helps["Converged"]
    if report.reference is not None:
        assert report.reference.label in helps["max |Δp| to target"]
    _check_banner(at, report)
    # The charts' titles and the loss chart's last point.
    figures = charts(at)
    panel = view.panel if view.panel != "simplex" or len(data.class_names) == 3 else "model"
    panel_key, panel_title = {
        "model": ("w.train.model_chart", f"From scratch, iteration {n_iter:,}"),
        "landscape": ("w.train.landscape", f"Loss landscape, iteration {n_iter:,}"),
        "simplex": ("w.train.simplex", f"Every point's probabilities, iteration {n_iter:,}"),
    }[panel]
    assert chart_title(figures[panel_key]) == panel_title
    assert at.segmented_control(key="w.view.panel").value == panel  # the one drawn
    loss_figure = figures["w.train.loss_chart"]
    assert chart_title(loss_figure) == f"Loss, iteration {n_iter:,}"
    curve = trace(loss_figure, "from scratch")
    if view.loss_window != "logx" or n_iter:
        assert curve["x"][-1] == n_iter
        last = history[-1]
        if view.log_y and view.show_target:
            last = max(last - report.reference_loss, 1e-16)
        assert curve["y"][-1] == pytest.approx(last, rel=1e-12)
    held_traces = [t for t in loss_figure["data"] if t.get("name") == "held out (CE)"]
    drawn = np.asarray(curve["x"]).size  # none at iteration 0 on a log x axis
    if data.test.size and not (view.log_y and view.show_target) and drawn:
        assert held_traces[0]["x"][-1] == n_iter
        assert held_traces[0]["y"][-1] == pytest.approx(heldout_loss, rel=1e-9, abs=1e-12)
    elif not data.test.size:
        assert held_traces == []
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
    _check_point_panel(at)
    # The parameter table (hidden in classroom mode): W, b and the gradient where W is.
    if not classroom_of(at):
        table = dataframe(at)
        np.testing.assert_array_equal(table["b"], model.intercept_)
        np.testing.assert_array_equal(table["∂J/∂b"], model.grad_intercept_)


def cross_entropy_here(fitted, X: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy of a fitted model (ours or scikit-learn's) from its scores, by
    scipy's log-softmax: exact where probabilities underflow (scikit-learn's log_loss clips
    them at machine epsilon)."""
    if hasattr(fitted, "decision_function"):
        scores = fitted.decision_function(X)
        if scores.ndim == 1:  # scikit-learn's two classes: one score, the second class's
            scores = np.column_stack([np.zeros_like(scores), scores])
    else:
        scores = X @ fitted.coef_.T + fitted.intercept_
    return float(np.mean(-log_softmax(scores, axis=1)[np.arange(y.size), y]))


def check_generalisation(at: AppTest) -> None:
    """Compare's table and confusion matrix: both models' accuracy and mean cross-entropy on
    the training and held-out points, by scikit-learn's metrics on the data made here."""
    model, data = model_of(at), data_set(at)
    reference = report_of(at).reference.model
    labels = list(range(len(data.class_names)))
    table = next(d.value for d in at.dataframe if d.value.columns[0] == "model")
    sets = [("training", data.X_train, data.y_train)]
    if data.test.size:
        sets.append(("held out", data.X_test, data.y_test))
    assert list(table.columns) == ["model"] + [
        f"{measure}, {name}" for name, _, _ in sets for measure in ("accuracy", "cross-entropy")
    ]
    for name, X, y in sets:
        for row, fitted in enumerate((model, reference)):
            assert table[f"accuracy, {name}"][row] == pytest.approx(
                accuracy_score(y, fitted.predict(X)), abs=1e-15
            )
            shown = table[f"cross-entropy, {name}"][row]
            assert shown == pytest.approx(cross_entropy_here(fitted, X, y), rel=1e-9)
            proba = fitted.predict_proba(X)
            if proba[np.arange(y.size), y].min() > 1e-12:  # log_loss clips at 2.2e-16
                assert shown == pytest.approx(log_loss(y, proba, labels=labels), rel=1e-9)
    # The confusion matrix: on the held-out points if any, else on the training points.
    X, y = (data.X_test, data.y_test) if data.test.size else (data.X_train, data.y_train)
    which = "held-out" if data.test.size else "training"
    caption = f"From scratch, confusion matrix on the {which} points:"
    assert caption in [c.value for c in at.caption]
    confusion = next(d.value for d in at.dataframe if d.value.columns[0] == "true class")
    assert list(confusion["true class"]) == list(data.class_names)
    counts = np.column_stack([confusion[f"predicted {name}"] for name in data.class_names])
    predicted = model.predict(X)
    expected = np.array([[np.sum((y == i) & (predicted == j)) for j in labels] for i in labels])
    np.testing.assert_array_equal(counts, expected)


def expected_summary(at: AppTest) -> str:
    """The sidebar's run summary, from the data made here and the model."""
    model, current, data = model_of(at), settings_of(at), data_set(at)
    if current.kind == "upload":
        source = escape_markdown(at.session_state["lab.upload"].name)
    else:
        source = {"line": "1-D line", "blobs": "2-D blobs"}.get(current.kind, current.kind)
    if current.kind not in ("line", "blobs"):
        source += f" ({escape_markdown(', '.join(data.feature_names))})"
    points = f"{data.X.shape[0]:,} points"
    if data.test.size:
        points += f" ({data.test.size:,} held out)"
    scaled = ", standardised" if data.standardised else ""
    return (
        f"**Run:** {source}, {points}, {len(data.class_names)} classes{scaled} · "
        f"iteration {model.n_iter_:,} · loss {format_number(model.loss_)} · {_state_word(model)}"
    )


PLACEHOLDER = re.compile(r"\{[A-Za-z_]\w*\}")


def _check_lesson(at: AppTest) -> None:
    """The open lesson's step: its heading, and every number of its text filled in."""
    view = view_of(at)
    for element in at.markdown:
        assert not PLACEHOLDER.search(element.value), element.value
    if view.lesson is None:
        return
    lesson = LESSONS[view.lesson]
    step = lesson.steps[view.lesson_step]
    heading = (
        f"**Lesson {view.lesson + 1}, step {view.lesson_step + 1} of {len(lesson.steps)}: "
        f"{step.title}**"
    )
    assert heading in [m.value for m in at.markdown]


def check_consistency(at: AppTest) -> None:
    """What every action must keep: the model, its history, every display and the URL agree.

    On every page: the model's own invariants, the sidebar summary, and the URL (the query
    the app wrote, and the script that wrote it). On Train (and Lessons, which shows the
    same training area): the metrics, the banner and its buttons, the chart titles, the
    widgets (the learning-rate box shows the rate in use, 1/L while auto), Play/Pause, the
    followed point and the parameter table. On Compare: the gap's claims and the
    generalisation table against scikit-learn's metrics. On Math and Home: the iteration
    they name. The data set is made here, independently of the app's data layer.
    """
    assert_ok(at)
    assert_charts_finite(at)
    model, current_run = model_of(at), run_of(at)
    assert len(model.loss_curve_) == model.n_iter_
    assert np.all(np.isfinite(model.loss_history()))
    assert np.all(np.isfinite(model.coef_)) and np.all(np.isfinite(model.intercept_))
    assert sum(count for _, count in current_run.schedule) == model.n_iter_
    assert all(count > 0 for _, count in current_run.schedule)
    data = data_set(at)
    assert current_run.data.n_samples == data.train.size
    np.testing.assert_allclose(current_run.data.X, data.X_train, rtol=1e-12, atol=1e-12)
    assert summary(at) == expected_summary(at)
    _check_url(at)
    _check_report(at)
    _check_converged_flag(at)
    page = title(at)
    n_iter = f"iteration {model.n_iter_:,}"
    if page in (TITLES[TRAIN], TITLES[LESSONS_PAGE]):
        _check_train(at)
    if page == TITLES[LESSONS_PAGE]:
        _check_lesson(at)
    elif page == TITLES[COMPARE]:
        report = report_of(at)
        figure = chart_data(at, "w.compare.chart")
        assert chart_title(figure).startswith(f"From scratch, {n_iter}")
        assert report.reference.label in chart_title(figure) + chart_subtitle(figure)
        solver = explain.SOLVER_NAMES[model.solver]
        speeds = [m.value for m in at.markdown if m.value.startswith("**Why the iteration")]
        assert len(speeds) == 1 and speeds[0].endswith(f"This run is at {n_iter} with {solver}.")
        claims = explain.differences(report, two_dimensional=data.X.shape[1] == 2)
        assert page_alerts(at) == [(claim.level, claim.text) for claim in claims]
        check_generalisation(at)
    elif page == TITLES[MATH]:
        assert [s.value for s in at.subheader] == [
            f"Live: one data point at {n_iter}",
            "How big a step can be",
            "Temperature",
        ]
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
