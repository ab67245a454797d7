"""Helpers for driving Softmax Lab with Streamlit's ``AppTest``, shared by every test file.

A session is opened by link, as a browser does: the query goes into the address bar and the
first run is the page asked for (``open_app(query, TRAIN)`` is ``/Train?query``). Charts are
read back from the element protos: ``json.loads(proto.spec)`` is the plotly figure, with
numpy arrays base64-encoded as ``{"dtype": ..., "bdata": ..., "shape": ...}``;
:func:`decode` turns those back into arrays.

The tests read the app through its public surface only: the elements on the page (by key
and text) and the address bar. What the app wrote into the address bar is
``at.query_params`` (:func:`url`): the app writes it through ``st.query_params``, and
AppTest reads it back after every run. The link is the run (the app's contract): the state a
session must show is that link read by ``ui.settings.from_query`` and replayed here with the
core alone, on data made here (:func:`expected`); an uploaded file, which no link carries, is
known from the test's own record of what it uploaded (:func:`record_upload`).

:func:`check_consistency` is the one checker of the issue "Truth on screen": after every
action, every display of the run's state agrees with the run the link describes (and with
each other).

Reference numbers are computed here, independently of ``ui/``: the data set from the core's
generators, scikit-learn's loaders or the uploaded bytes (:func:`expected_data`), the run by
the core's ``SoftmaxRegression`` (:func:`replay`), scikit-learn's reference fit, and J, its
gradient, its Hessian, Böhning's bound, gradient descent and Newton's optimum from their
formulas with numpy and scipy (:func:`objective_at` and the functions after it).
"""

from __future__ import annotations

import base64
import csv
import functools
import hashlib
import io
import itertools
import json
import math
import re
import warnings
import weakref
from collections import OrderedDict
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
    SoftmaxRegression,
    TrainingData,
    make_noisy_blobs,
    make_noisy_classes,
    objective_gradient,
    symmetric_parameters,
)
from softmax_core.datasets import holdout_split
from ui import training
from ui.lessons import LESSONS
from ui.services import fit_reference
from ui.settings import PinSpec, Settings, View, from_query

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

# --------------------------------------------------------------------- driving


def assert_ok(at: AppTest) -> None:
    """No exception on the page (details are redacted there, so show them here)."""
    assert not at.exception, [(e.value, e.stack_trace) for e in at.exception]


def open_app(
    query: dict[str, str] | None = None, page: str = HOME, *, more_open: bool = True
) -> AppTest:
    """A new session opened by a link to ``page`` with ``query`` (``/Train?lr=auto``).

    The training area's More popover is drawn only while open: it starts open here (its own
    key, as a reader's click sets it), so that a test can set its settings and
    :func:`check_consistency` read them on every run; ``more_open=False`` starts closed."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if more_open:
        at.session_state[training.MORE_KEY] = True
    for name, value in (query or {}).items():
        at.query_params[name] = value
    if page != HOME:
        at.switch_page(page)
    at.run()
    assert_ok(at)
    return at


def more_is_open(at: AppTest) -> bool:
    try:
        return bool(at.session_state[training.MORE_KEY])
    except KeyError:  # not drawn yet
        return False


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


# ------------------------------------------------------------ what the link says
#
# A session's state is read from its public surface only: the address bar (``url``, the
# app's contract: ``from_query`` of it reopens the run) and what the test itself uploaded.
# The model is the link replayed here with the core alone, on data made here; a session that
# shows anything else disagrees with its own link.

# The default features of the real data sets (issue 11: iris petal length; wine flavanoids,
# softmax_core.datasets' documented choice), as column indices of scikit-learn's tables.
REAL_DEFAULT_FEATURES = {"iris": (2,), "wine": (6,)}
REAL_LOADERS = {"iris": load_iris, "wine": load_wine}
# What a link with kind=upload says (it cannot carry the file) before showing the seed data.
UPLOAD_NOTICE = (
    "this link was made with an uploaded file, which never leaves the session that "
    "uploaded it: upload it again on the Data page (showing the seed's data meanwhile)"
)
# The last steps whose trend the banner and the lessons quote (at the rate in use), and the
# share of the loss below which a change is rounding, not a rise.
RECENT_STEPS = 20
RISE_TOLERANCE = 1e-12
SOLVER_NAMES = {
    "gd": "gradient descent",
    "nesterov": "Nesterov",
    "newton": "Newton",
    "sgd": "mini-batch SGD",
}


@dataclass(frozen=True)
class Uploaded:
    """A CSV file a test handed to the Data page, and the columns it learns from there (what
    the test chose, or the page proposed and the test checked): a link says kind=upload but
    cannot carry the file, so the test keeps this record of it."""

    name: str
    raw: bytes
    columns: tuple[str, ...]
    label: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def rows(self) -> int:
        lines = [row for row in csv.reader(io.StringIO(self.raw.decode("utf-8-sig"))) if row]
        return len(lines) - 1


# The file each session learns from, by its AppTest (filled by the tests' upload helpers).
UPLOADS: weakref.WeakKeyDictionary[AppTest, Uploaded] = weakref.WeakKeyDictionary()


def record_upload(at: AppTest, uploaded: Uploaded) -> None:
    """Say which file (and which of its columns) the session ``at`` learns from when its
    link says kind=upload."""
    UPLOADS[at] = uploaded


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

    @functools.cached_property
    def X_train(self) -> np.ndarray:
        return self.scaled(self.X[self.train])

    @property
    def y_train(self) -> np.ndarray:
        return self.y[self.train]

    @functools.cached_property
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


def _data_only(settings: Settings) -> Settings:
    """``settings`` with the trainer's fields at their defaults: one key per data set."""
    return replace(settings, learning_rate=None, C=math.inf, solver="gd", tol=1e-6, max_iter=1000)


def expected_data(settings: Settings, upload: Uploaded | None = None) -> ExpectedData:
    """The data set of ``settings``, made here (an upload's data from its bytes)."""
    return _expected_data(_data_only(settings), upload if settings.kind == "upload" else None)


@functools.lru_cache(maxsize=16)
def _expected_data(settings: Settings, upload: Uploaded | None) -> ExpectedData:
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
        assert settings.kind == "upload" and upload is not None, "no upload recorded"
        X, y, names, features = csv_columns(upload.raw, upload.columns, upload.label)
    train, test = holdout_split(y, settings.holdout, settings.holdout_seed)
    mean, scale = np.zeros(X.shape[1]), np.ones(X.shape[1])
    if settings.standardise:
        mean, spread = X[train].mean(axis=0), X[train].std(axis=0)
        scale = np.where(spread > 0, spread, 1.0)
    return ExpectedData(X, y, names, features, train, test, mean, scale)


def training_points(data: ExpectedData) -> TrainingData:
    return TrainingData(data.X_train, data.y_train, classes=np.arange(len(data.class_names)))


def _rate(learning_rate: float | None) -> float | str:
    return "auto" if learning_rate is None else learning_rate


@functools.lru_cache(maxsize=16)
def replay(settings: Settings, schedule: tuple, upload: Uploaded | None) -> SoftmaxRegression:
    """The run a link describes, replayed with the core alone: a model with the link's
    solver, penalty, tol and max_iter, each segment of its schedule stepped at its rate, and
    the link's rate in use at the end (as the app replays a link: bit for bit the same)."""
    training = training_points(expected_data(settings, upload))
    model = SoftmaxRegression(
        learning_rate=_rate(settings.learning_rate),
        max_iter=settings.max_iter,
        tol=settings.tol,
        C=settings.C,
        solver=settings.solver,
        batch_size=settings.batch_size,
        random_state=settings.batch_seed,
    ).step(training, n_steps=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a divergence shows in the model's own flag
        for learning_rate, count in schedule:
            model.set_params(learning_rate=_rate(learning_rate))
            model.step(training, count)
    model.set_params(learning_rate=_rate(settings.learning_rate))
    return model.step(training, n_steps=0)


@functools.lru_cache(maxsize=16)
def pin_losses(settings: Settings, pin: PinSpec, upload: Uploaded | None) -> np.ndarray:
    """A pinned run's loss at every iterate: its schedule replayed from zero, with the core,
    on the data of ``settings``."""
    training = training_points(expected_data(settings, upload))
    model = SoftmaxRegression(
        solver=pin.solver, C=pin.C, batch_size=pin.batch_size, random_state=pin.batch_seed
    ).step(training, n_steps=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for learning_rate, count in pin.schedule:
            model.set_params(learning_rate=_rate(learning_rate))
            model.step(training, count)
    return model.loss_history()


@functools.lru_cache(maxsize=16)
def _reference(settings: Settings, upload: Uploaded | None, C: float, objective: str):
    return fit_reference(expected_data(settings, upload), C, objective).model


def link_schedule(query: dict[str, str], learning_rate: float | None) -> list:
    """The learning-rate schedule a link holds (read here, uncut by the replay budget): its
    ``sched`` (segments like ``0.5x10,autox20``), or ``iter`` steps at its ``lr``."""
    n_iter = int(query.get("iter", "0"))
    if "sched" not in query:
        return [(learning_rate, n_iter)] if n_iter else []
    schedule = []
    for segment in query["sched"].split(","):
        rate, _, count = segment.partition("x")
        schedule.append((None if rate == "auto" else float(rate), int(count)))
    assert sum(count for _, count in schedule) == n_iter, query
    return schedule


class Expected:
    """What a session must show, from its link (and the file it uploaded): the settings,
    view, classroom mode and pins by ``ui.settings.from_query`` (the URL's contract), the
    data made here, and the run replayed here with the core."""

    def __init__(self, query: dict[str, str], upload: Uploaded | None) -> None:
        self.query = dict(query)
        restored = from_query(self.query)
        self.problems = restored.problems
        settings = restored.settings
        self.upload = upload if self.query.get("kind") == "upload" else None
        if self.query.get("kind") == "upload":
            assert upload is not None, "the link says kind=upload: record_upload the file"
            settings = replace(
                settings,
                kind="upload",
                upload=upload.digest,
                upload_columns=upload.columns,
                upload_label=upload.label,
                upload_rows=upload.rows,
                features=(),
            )
        self.settings: Settings = settings
        self.view: View = restored.view
        self.classroom: bool = restored.classroom
        self.pins: tuple[PinSpec, ...] = restored.pins
        self.schedule: list = link_schedule(self.query, settings.learning_rate)
        self.n_iter: int = sum(count for _, count in self.schedule)

    @functools.cached_property
    def data(self) -> ExpectedData:
        return expected_data(self.settings, self.upload)

    @functools.cached_property
    def model(self) -> SoftmaxRegression:
        """The run replayed here (shared between equal links: never step it)."""
        return replay(self.settings, tuple(self.schedule), self.upload)

    @property
    def history(self) -> np.ndarray:
        return self.model.loss_history()

    @property
    def loss_change(self) -> float | None:
        history = self.history
        return None if history.size < 2 else float(history[-1] - history[-2])

    @property
    def state_word(self) -> str:
        """What the run is: "diverged", "converged" (the last step changed J by less than
        the link's tol) or "training"."""
        if self.model.diverged_:
            return "diverged"
        change = self.loss_change
        return "converged" if change is not None and abs(change) < self.settings.tol else "training"

    @property
    def reference(self):
        """scikit-learn's fit the view compares with (``ui.services.fit_reference``, on the
        data made here): the scratch objective, or LogisticRegression()'s own."""
        return _reference(
            _data_only(self.settings), self.upload, self.settings.C, self.view.reference
        )

    @property
    def j_star(self) -> float:
        """The reference's parameters scored by the scratch objective (the core's)."""
        coef, intercept = symmetric_parameters(self.reference)
        data = self.data
        return objective_gradient(coef, intercept, data.X_train, data.y_train, self.settings.C)[0]

    @property
    def gap(self) -> float:
        """max |Δp| between the model and the reference on the training points."""
        X = self.data.X_train
        return float(np.max(np.abs(self.model.predict_proba(X) - self.reference.predict_proba(X))))

    @property
    def trend(self) -> tuple[int, int]:
        """The last steps at the rate in use (at most RECENT_STEPS), and how many raised J."""
        schedule, rate = self.schedule, self.settings.learning_rate
        at_rate = schedule[-1][1] if schedule and schedule[-1][0] == rate else 0
        history = self.history
        window = min(RECENT_STEPS, at_rate, history.size - 1)
        if window <= 0:
            return 0, 0
        recent = history[-(window + 1) :]
        rises = np.diff(recent) > RISE_TOLERANCE * np.maximum(np.abs(recent[:-1]), 1.0)
        return window, int(np.count_nonzero(rises))

    def pin_losses(self, pin: PinSpec) -> np.ndarray:
        return pin_losses(_data_only(self.settings), pin, self.upload)

    @property
    def run_query(self) -> dict[str, str]:
        """The link's run: its settings and schedule, not how it is shown."""
        return {name: value for name, value in self.query.items() if name in RUN_PARAMETERS}


# The query parameters of a run (the rest are the view, lessons, pins, classroom mode).
RUN_PARAMETERS = (
    *("kind", "n", "k", "noise", "seed", "lr", "C", "solver", "tol", "max_iter", "iter"),
    *("sched", "features", "std", "holdout", "hseed"),
)
_EXPECTED: OrderedDict[tuple, Expected] = OrderedDict()


def expected(at: AppTest) -> Expected:
    """What the session ``at`` must show: its link (the address bar) read and replayed here,
    with the file the test uploaded to it."""
    query, upload = url(at), UPLOADS.get(at)
    key = (tuple(sorted(query.items())), upload if query.get("kind") == "upload" else None)
    if key not in _EXPECTED:
        _EXPECTED[key] = Expected(query, key[1])
        while len(_EXPECTED) > 32:
            _EXPECTED.popitem(last=False)
    _EXPECTED.move_to_end(key)
    return _EXPECTED[key]


def data_of(settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """The training points of ``settings`` as the model sees them, and their labels, made
    here (not through the app); the whole data set unless some are held out."""
    data = expected_data(settings)
    return data.X_train, data.y_train


def j_star(at: AppTest) -> float:
    return expected(at).j_star


def gradient_now(at: AppTest) -> tuple[np.ndarray, np.ndarray]:
    """The gradient of the objective at the run's current parameters, computed here."""
    state = expected(at)
    model, data = state.model, state.data
    _, grad_coef, grad_intercept = objective_gradient(
        model.coef_, model.intercept_, data.X_train, data.y_train, state.settings.C
    )
    return grad_coef, grad_intercept


def parameters_shown(at: AppTest) -> dict[str, np.ndarray]:
    """The Train page's parameter table: W, b and the gradient, column by column."""
    table = dataframe(at)
    return {name: np.asarray(table[name]) for name in table.columns if name != "class"}


def run_state(at: AppTest) -> dict:
    """Where the run stands, as the Train page shows it (to compare after Back, or with
    another session): the link's run, the summary, the metrics, the loss chart's line and
    the parameter table (none in classroom mode)."""
    x, y = loss_line(chart_data(at, "w.train.loss_chart"))
    parameter_tables = class_tables(at)
    return {
        "run": expected(at).run_query,
        "summary": summary(at),
        "metrics": {m.label: m.value for m in at.metric},
        "losses": (x.copy(), y.copy()),
        "parameters": parameters_shown(at) if parameter_tables else {},
    }


def assert_same_run_state(at: AppTest, before: dict) -> None:
    now = run_state(at)
    assert now["run"] == before["run"]
    assert now["summary"] == before["summary"]
    assert now["metrics"] == before["metrics"]
    np.testing.assert_array_equal(now["losses"][0], before["losses"][0])
    np.testing.assert_array_equal(now["losses"][1], before["losses"][1])
    assert now["parameters"].keys() == before["parameters"].keys()
    for name, values in before["parameters"].items():
        np.testing.assert_array_equal(now["parameters"][name], values, err_msg=name)


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
    """Texts of the ``st.<kind>`` elements (``"error"``, ``"warning"``...)."""
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


MARKUP = "\\`*_{}[]()#+-.!|<>~$:=^\"'&%@/"  # what markdown may read as markup
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~$:=^\"'&%@/])")


def plain(text: str) -> str:
    """Markdown with its markup characters backslash-escaped, as the reader sees it."""
    return _ESCAPED.sub(r"\1", text)


def plain_text_of(markdown: str) -> str:
    """What a reader sees of ``markdown`` that the page meant as plain text: every markup
    character in it is backslash-escaped (checked here), so none is read as markup."""
    unescaped = _ESCAPED.sub("", markdown)
    assert not set(unescaped) & set(MARKUP), markdown
    return plain(markdown)


_EVENT = re.compile(r":material/\w+: :(\w+)\[(.*)\]\Z", re.DOTALL)


def toasts(at: AppTest) -> list[str]:
    """The message about the last action, as the reader sees it, in a list (empty when
    there is none): the markdown in the ``lab-event`` container, an icon and a coloured
    plain text (the page escapes it: a message may quote a file's name or content)."""
    try:
        block = at.get_by_key("lab-event")
    except KeyError:
        return []
    found = []
    for element in block.markdown:
        match = _EVENT.match(element.value)
        assert match, element.value
        found.append(plain(match.group(2)))
    return found


def raw_event(at: AppTest) -> str:
    """The one event's text as the page wrote it (escaped markdown)."""
    block = at.get_by_key("lab-event")
    [element] = block.markdown
    match = _EVENT.match(element.value)
    assert match, element.value
    return match.group(2)


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


def tables(at: AppTest, first_column: str) -> list:
    """The values of the tables whose first column is ``first_column``: interactive ones
    (``st.dataframe``) and static ones (``st.table``, the Train page's parameters)."""
    return [t.value for t in [*at.dataframe, *at.table] if t.value.columns[0] == first_column]


def class_tables(at: AppTest) -> list:
    return tables(at, "class")


def dataframe(at: AppTest, first_column: str = "class"):
    found = tables(at, first_column)
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


def loss_axis_type(figure: dict) -> str:
    """The loss chart's y axis: "log" or "linear"."""
    return figure["layout"].get("yaxis", {}).get("type", "linear")


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


def loss_line(figure: dict) -> tuple[np.ndarray, np.ndarray]:
    """The loss chart's "from scratch" line, whole: two traces of that name, the line and
    its tail that a smooth Play tick lengthens (empty but for such a tick's figure, whose
    first trace then ends where the tail begins)."""
    found = [t for t in figure["data"] if t.get("name") in ("from scratch", "full-batch J")]
    assert len(found) == 2, [t.get("name") for t in figure["data"]]
    head, tail = found
    head_x, head_y = np.asarray(head["x"]), np.asarray(head["y"])
    tail_x, tail_y = np.asarray(tail["x"]), np.asarray(tail["y"])
    assert tail.get("showlegend") is False
    if not tail_x.size:
        return head_x, head_y
    assert (head_x[-1], head_y[-1]) == (tail_x[0], tail_y[0])
    return np.append(head_x[:-1], tail_x), np.append(head_y[:-1], tail_y)


_NUMBER = re.compile(r"[-+]?[0-9][0-9,]*(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?")


def rounds_to(shown: str, value: float) -> bool:
    """Whether the number written ``shown`` (fixed or scientific, with thousands commas) is
    ``value`` rounded to the digits shown."""
    text = shown.strip().replace(",", "")
    assert _NUMBER.fullmatch(text), shown
    mantissa, _, exponent = text.partition("e")
    decimals = len(mantissa.partition(".")[2])
    unit = 10.0 ** (int(exponent or 0) - decimals)
    return abs(float(text) - value) <= 0.5 * unit * (1 + 1e-9) + 1e-300


def latex_lines(at: AppTest) -> list[str]:
    """The page's LaTeX, without the ``$$`` delimiters Streamlit adds."""
    return [element.value.removeprefix("$$\n").removesuffix("\n$$") for element in at.latex]


_PMATRIX = re.compile(r"\\begin\{pmatrix\}(.*?)\\end\{pmatrix\}")


def latex_numbers(line: str) -> np.ndarray:
    """The numbers of the first vector or matrix (``pmatrix``) in a line of LaTeX, as the
    reader sees them (a matrix row by row)."""
    found = _PMATRIX.search(line)
    assert found, line
    rows = [[float(cell) for cell in row.split("&")] for row in found.group(1).split(r"\\")]
    return np.array(rows[0] if len(rows) == 1 else rows)


def assert_shows(line: str, values, decimals: int = 4) -> None:
    """The line's vector (or matrix) is ``values`` rounded to ``decimals`` decimals."""
    shown, values = latex_numbers(line), np.asarray(values, dtype=float)
    assert shown.shape == values.shape, (line, values)
    assert np.all(np.abs(shown - values) <= 0.5 * 10.0**-decimals * (1 + 1e-9)), (line, values)


def line_starting(lines: list[str], prefix: str) -> str:
    found = [line for line in lines if line.startswith(prefix)]
    assert len(found) == 1, (prefix, lines)
    return found[0]


# --------------------------------------------------------------- consistency

# The one-click rates: what each preset's button means, as a multiple of 2/L (None: the
# automatic rate 1/L, "seed": the note's 0.5).
PRESET_FACTORS = {"0.5×": None, "0.99×": 0.99, "1.01×": 1.01, "2×": 2.0, "0.5 (seed)": "seed"}
# J - J* within this counts as "at the same optimum" on Compare.
OPTIMUM_GAP = 1e-8


def _check_url(at: AppTest, state: Expected) -> None:
    """The link the app wrote is a valid one (only an uploaded file cannot travel in it),
    its schedule adds up, and the page keeps query changes out of the history."""
    written = url(at)
    assert state.problems == ([UPLOAD_NOTICE] if state.settings.kind == "upload" else [])
    assert written["iter"] == str(state.n_iter)
    schedule = state.schedule
    assert all(count > 0 for _, count in schedule)
    assert all(a[0] != b[0] for a, b in itertools.pairwise(schedule))  # merged segments
    rate = state.settings.learning_rate
    assert ("sched" in written) == any(r != rate for r, _ in schedule)
    assert history_shim_installed(at)


_SUMMARY = re.compile(
    r"\*\*Run:\*\* (?P<source>.+), (?P<points>[0-9,]+) points"
    r"(?: \((?P<held>[0-9,]+) held out\))?, (?P<k>[0-9]+) classes(?P<std>, standardised)? · "
    r"iteration (?P<n_iter>[0-9,]+) · loss (?P<loss>\S+) · (?P<state>training|converged|diverged)"
)
GENERATED_SOURCES = {"line": "1-D line", "blobs": "2-D blobs"}


def _check_summary(at: AppTest, state: Expected) -> None:
    """The sidebar's run summary: the data made here and the replayed run, fact by fact."""
    found = _SUMMARY.fullmatch(summary(at))
    assert found, summary(at)
    data, kind = state.data, state.settings.kind
    if kind in GENERATED_SOURCES:
        assert found["source"] == GENERATED_SOURCES[kind]
    else:
        name = state.upload.name if kind == "upload" else kind
        assert plain(found["source"]) == f"{name} ({', '.join(data.feature_names)})"
    assert int(found["points"].replace(",", "")) == data.X.shape[0]
    assert found["held"] == (f"{data.test.size:,}" if data.test.size else None)
    assert int(found["k"]) == len(data.class_names)
    assert bool(found["std"]) == data.standardised
    assert found["n_iter"] == f"{state.n_iter:,}"
    assert rounds_to(found["loss"], state.model.loss_), (found["loss"], state.model.loss_)
    assert found["state"] == state.state_word


def stability_key(state: Expected) -> str:
    """Which banner the run's numbers call for (the facts of ``ui.explain``'s keys): the
    divergence; Newton's line search; Nesterov within or above its proven rate 1/L; gradient
    descent within 2/L (stable), or above it with or without a rise among its last steps."""
    model = state.model
    if model.diverged_:
        return "diverged"
    if model.solver == "newton":
        return "newton"
    if model.solver == "nesterov":
        proven = model.learning_rate_ <= model.learning_rate_limit_ / 2
        return "nesterov-proven" if proven else "nesterov-unproven"
    if model.solver == "sgd":
        if model.learning_rate_ > model.learning_rate_limit_:
            return "sgd-above-limit"
        epoch = sgd_last_epoch(state)
        if epoch is None:
            return "sgd-first-epoch"
        _, _, rises, rise_total, net_fall = epoch
        return "sgd-noise-floor" if rises and rise_total >= net_fall else "sgd-descending"
    if model.learning_rate_ / model.learning_rate_limit_ <= 1:
        return "stable"
    return "unstable-rising" if state.trend[1] else "unstable-falling"


def sgd_last_epoch(state: Expected) -> tuple[int, int, int, float, float] | None:
    """An sgd run's last complete epoch, from its loss history: its first and last steps,
    how many of its steps raised J (beyond rounding) and by how much in all, and J's net
    fall over it; None inside the first epoch."""
    model = state.model
    n_train = len(state.data.y_train)
    per_epoch = -(-n_train // model.batch_size)
    end = model.n_iter_ // per_epoch * per_epoch
    if end == 0:
        return None
    history = model.loss_history()
    start = end - per_epoch
    changes = np.diff(history[start : end + 1])
    rises = int(np.sum(changes > 1e-12 * np.maximum(np.abs(history[start:end]), 1.0)))
    return start, end, rises, float(changes[changes > 0].sum()), history[start] - history[end]


BANNERS = {
    "diverged": ("error", "**Diverged at iteration "),
    "sgd-above-limit": ("warning", "**Mini-batch SGD above the stable limit.**"),
    "sgd-first-epoch": ("info", "**Mini-batch SGD.**"),
    "sgd-noise-floor": ("warning", "**Bouncing at a noise floor.**"),
    "sgd-descending": ("success", "**Mini-batch SGD, still descending.**"),
    "newton": ("info", "**Newton's method**"),
    "nesterov-proven": ("info", "**Nesterov**"),
    "nesterov-unproven": ("warning", "**Nesterov**"),
    "stable": ("success", "**Stable learning rate.**"),
    "unstable-rising": ("warning", "**Unstable learning rate.**"),
    "unstable-falling": ("warning", "**Above the stable limit.**"),
}
# Which banners offer "Fix: 1/L" (the run goes on at the automatic rate).
FIX_KEYS = ("unstable-rising", "unstable-falling", "nesterov-unproven")


def assert_ratio(text: str, ratio: float) -> None:
    """The text's multiple of 2/L ("4.28× the stable limit") is ``ratio`` rounded, and on
    the same side of 1 (never "1.00×" for a rate above the limit)."""
    found = re.search(r"([0-9]+\.[0-9]+(?:e[+-][0-9]+)?)× the stable limit", text)
    assert found, text
    shown = float(found.group(1))
    assert rounds_to(found.group(1), ratio), (found.group(1), ratio)
    assert (shown > 1) == (ratio > 1) and (shown < 1) == (ratio < 1), (shown, ratio)


def trend_sentence(state: Expected) -> str:
    steps, rises = state.trend
    if steps == 0:
        return "No step taken at this rate yet."
    if steps == 1:
        return f"Measured: the last step {'raised' if rises else 'lowered'} it."
    return f"Measured: the loss rose in {rises} of the last {steps} steps."


def _check_banner(at: AppTest, state: Expected) -> None:
    """The stability banner is the one the run's numbers call for, with the run's numbers;
    nothing else on the page is a banner; its way out is offered."""
    model, key = state.model, stability_key(state)
    found = page_alerts(at)
    assert len(found) == 1, found
    level, text = found[0]
    assert (level, text[: len(BANNERS[key][1])]) == BANNERS[key], (key, level, text)
    if key == "diverged":
        assert text.startswith(f"**Diverged at iteration {model.n_iter_:,}:** the loss reached ")
        assert f"the loss reached {metric(at, 'Loss J')}." in text
    elif key == "newton":
        last = "no step taken yet" if model.n_iter_ == 0 else "the last step's s = "
        last += "" if model.n_iter_ == 0 else f"{model.step_size_:g}"
        assert f"picks the step length s ({last})." in text
    elif key in ("sgd-noise-floor", "sgd-descending"):
        start, end, rises, rise_total, net_fall = sgd_last_epoch(state)
        assert f"Over the last epoch (steps {start:,} to {end:,})" in text
        if key == "sgd-noise-floor":
            assert f"the loss rose in {rises} of its {end - start} steps" in text
            assert f"by {rise_total:.2e} in all" in text
        else:
            assert f"the loss fell by {net_fall:.2e} net" in text
    else:
        assert text.endswith(trend_sentence(state)), (text, state.trend)
    if key.startswith("sgd"):
        assert "of full-batch GD" in text
        assert f"(batches of {min(model.batch_size, len(state.data.y_train)):,}, " in text
    if key.startswith("nesterov"):
        restarts = model.n_restarts_
        said = {0: "has not restarted", 1: "restarted once", 2: "restarted twice"}
        assert said.get(restarts, f"restarted {restarts:,} times") in text
    if key != "newton":
        assert f"{model.learning_rate_:.4g} is " in text or f"{model.learning_rate_:.4g} = " in text
        assert f"the stable limit 2/L = {model.learning_rate_limit_:.4g}" in text
        assert_ratio(text, model.learning_rate_ / model.learning_rate_limit_)
    assert has_button(at, RESTART) == (key == "diverged")
    assert has_button(at, FIX) == (key in FIX_KEYS)
    if has_button(at, FIX):
        assert at.button(key=FIX).label == f"Fix: 1/L = {model.learning_rate_limit_ / 2:.4g}"


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
    state = expected(at)
    model, data = state.model, state.data
    x = data.X[index]
    x_model = data.scaled(x[None])[0]
    label = int(data.y[index])
    scores = model.coef_ @ x_model + model.intercept_
    proba = scipy_softmax(scores)
    error = proba - np.eye(proba.size)[label]
    return PointNumbers(x, x_model, label, scores, proba, float(-np.log(proba[label])), error)


def _check_point_panel(at: AppTest, state: Expected) -> None:
    """The followed point's panel on Train: its numbers are the model's for that point."""
    chosen, data = state.view.point, state.data
    if chosen is None or chosen >= data.X.shape[0]:
        assert "w.train.point_bars" not in charts(at)
        hint = any(c.value.startswith("Click a data point") for c in at.caption)
        assert hint == (state.view.panel != "landscape")  # the landscape has no points
        return
    point = point_numbers(at, chosen)
    bars = chart_data(at, "w.train.point_bars")
    np.testing.assert_allclose(trace(bars, "softmax(z)")["y"], point.proba, rtol=1e-12, atol=1e-15)
    assert trace(bars, "softmax(z)")["y"].sum() == pytest.approx(1.0, abs=1e-12)
    share = "held out" if chosen in data.test else "training"
    name = data.class_names[point.label]
    # As the reader sees it: the page escapes a class's name (wine's class_0) for markdown.
    heading = f"**Point {chosen}** ({share}), class **{name}**, at iteration "
    [gist] = [plain(m.value) for m in at.markdown if plain(m.value).startswith(heading)]
    # The gist, the line a projector keeps above the fold: the class's probability, the
    # point's loss and the model's prediction (the highest probability).
    predicted = int(np.argmax(point.proba))
    verdict = (
        "predicts it right"
        if predicted == point.label
        else f"predicts class **{data.class_names[predicted]}**"
    )
    assert gist == (
        heading + f"{state.n_iter:,}: the model gives its class p = "
        f"{point.proba[point.label]:.4f} (loss ℓ = {point.loss:.4f}) and {verdict}."
    )
    lines = latex_lines(at)
    assert_shows(line_starting(lines, r"\mathbf{x} = "), point.x)
    assert_shows(line_starting(lines, r"\mathbf{z} = W\mathbf{x} + \mathbf{b} = "), point.scores)
    loss = line_starting(lines, r"\ell = -\log p_{y} = -\log ")
    shown_p, shown_loss = loss.removeprefix(r"\ell = -\log p_{y} = -\log ").split(" = ")
    assert rounds_to(shown_p, point.proba[point.label]) and rounds_to(shown_loss, point.loss)
    if data.standardised:
        assert_shows(line_starting(lines, r"\tilde{\mathbf{x}} = "), point.x_model)
    gradient = [line for line in lines if r"\tfrac{1}{n}" in line]
    if share == "training":
        [line] = gradient
        assert_shows(line, point.error / data.train.size)
    else:  # never learnt from: no share of the gradient
        assert gradient == []


def _check_rate_widgets(at: AppTest, state: Expected) -> None:
    """The learning-rate box shows the rate in use (1/L while auto), the toggle says whether
    it is automatic, and the preset shown, if any, is the rate in use."""
    model, rate = state.model, state.settings.learning_rate
    assert at.number_input(key="w.train.lr").value == model.learning_rate_
    assert at.toggle(key="w.train.lr_auto").value == (rate is None)
    meaning = {
        name: None
        if factor is None
        else 0.5
        if factor == "seed"
        else factor * model.learning_rate_limit_
        for name, factor in PRESET_FACTORS.items()
    }
    shown = at.segmented_control(key="w.train.rate_preset").value
    if shown is None:
        assert rate not in meaning.values(), (rate, meaning)
    else:
        assert meaning[shown] == rate, (shown, meaning[shown], rate)


EVERY_CONTROL = frozenset({"rate", "view", "more"})


def controls_shown(at: AppTest, state: Expected) -> frozenset[str]:
    """The controls the training area shows: every one on Train and on Lessons with no
    lesson open; under a lesson's step, those it names (``LessonStep.controls``), and none
    of what follows the charts ("more": the followed point, the table, the share links)."""
    if title(at) != TITLES[LESSONS_PAGE] or state.view.lesson is None:
        return EVERY_CONTROL
    return frozenset(LESSONS[state.view.lesson].steps[state.view.lesson_step].controls)


def _check_train(at: AppTest, state: Expected, controls: frozenset[str] = EVERY_CONTROL) -> None:
    model, current, view, data = state.model, state.settings, state.view, state.data
    n_iter, history = model.n_iter_, state.history
    shown = {m.label: m.value for m in at.metric}
    helps = {m.label: m.proto.help for m in at.metric}
    assert shown["Iteration"] == f"{n_iter:,}"
    assert rounds_to(shown["Loss J"], model.loss_), (shown["Loss J"], model.loss_)
    assert f"· loss {shown['Loss J']} ·" in summary(at)  # the same number, the same way
    change = state.loss_change
    if change is None:
        assert shown["Last step ΔJ"] == "–"
    elif abs(change) <= 1e-12 * max(abs(model.loss_), 1.0):  # rounding: neither rise nor fall
        assert shown["Last step ΔJ"] == "≈ 0 (rounding)"
    else:
        assert shown["Last step ΔJ"] == f"{change:+.2e}"
    assert shown["max |Δp| to target"] == f"{state.gap:.1e}"
    assert shown["Accuracy"] == f"{accuracy_score(data.y_train, model.predict(data.X_train)):.1%}"
    assert shown["Converged"] == {"diverged": "diverged", "converged": "yes"}.get(
        state.state_word, "no"
    )
    if data.test.size:
        held = accuracy_score(data.y_test, model.predict(data.X_test))
        assert shown["Held out"] == f"{held:.1%}"
        heldout_loss = cross_entropy_here(model, data.X_test, data.y_test)
        found = re.search(r"\(their cross-entropy: ([0-9.]+)\)", helps["Held out"])
        assert found and rounds_to(found.group(1), heldout_loss), helps["Held out"]
    else:
        assert "Held out" not in shown
    assert f"tol = {current.tol:g}" in helps["Converged"]
    named = re.search(r"those of (.+), on the training points", helps["max |Δp| to target"])
    assert named, helps["max |Δp| to target"]
    label = named.group(1)
    assert ("same objective" in label) == (view.reference == "same")
    _check_banner(at, state)
    # The charts' titles, and the loss chart's line: every point drawn is the run's.
    figures = charts(at)
    panel = view.panel if view.panel != "simplex" or len(data.class_names) == 3 else "model"
    panel_key, panel_title = {
        "model": ("w.train.model_chart", f"From scratch, iteration {n_iter:,}"),
        "landscape": ("w.train.landscape", f"Loss landscape, iteration {n_iter:,}"),
        "simplex": ("w.train.simplex", f"Every point's probabilities, iteration {n_iter:,}"),
    }[panel]
    assert chart_title(figures[panel_key]).startswith(panel_title)
    assert not {"w.train.model_chart", "w.train.landscape", "w.train.simplex"} - {panel_key} & set(
        figures
    )  # the one drawn, and no other
    if "view" in controls:
        assert at.segmented_control(key="w.view.panel").value == panel
    else:
        assert not [w for w in at.segmented_control if w.key == "w.view.panel"]
    assert (loss_axis_type(figures["w.train.loss_chart"]) == "log") == view.log_y
    if panel == "model":
        subtitle = chart_subtitle(figures[panel_key])
        assert (label in subtitle) == view.show_target, (label, subtitle)
    loss_figure = figures["w.train.loss_chart"]
    assert chart_title(loss_figure) == f"Loss, iteration {n_iter:,}"
    x, y = loss_line(loss_figure)
    gap_mode = view.log_y and view.show_target
    values = np.maximum(history - state.j_star, 1e-16) if gap_mode else history
    first = {"all": 0, "last": max(0, n_iter - 50), "logx": 1}[view.loss_window]
    if n_iter >= first:
        assert (x[0], x[-1]) == (first, n_iter)
    else:  # a log x axis starts at iteration 1
        assert x.size == 0
    assert np.all(np.diff(x) > 0)
    if gap_mode:
        np.testing.assert_allclose(y, values[x.astype(int)], rtol=1e-12)
    else:
        np.testing.assert_array_equal(y, values[x.astype(int)])
    targets = [t for t in loss_figure["data"] if t.get("name") == "J* (target)"]
    if view.show_target and not gap_mode and x.size:
        assert targets[0]["y"] == [state.j_star, state.j_star]
    else:  # none without the target, on the gap scale, or with no point drawn
        assert targets == []
    held_traces = [t for t in loss_figure["data"] if t.get("name") == "held out (CE)"]
    if data.test.size and not gap_mode and x.size:
        assert held_traces[0]["x"][-1] == n_iter
        assert held_traces[0]["y"][-1] == pytest.approx(heldout_loss, rel=1e-9, abs=1e-12)
    elif not data.test.size:
        assert held_traces == []
    # The pins' ghosts: one per pin of the link, each the pinned run replayed here.
    ghosts = [t for t in loss_figure["data"] if t.get("line", {}).get("dash") == "dot"]
    assert len(ghosts) == len(state.pins)
    for pin, ghost in zip(state.pins, ghosts, strict=True):
        losses = state.pin_losses(pin)
        ghost_values = np.maximum(losses - state.j_star, 1e-16) if gap_mode else losses
        drawn = np.asarray(ghost["x"]).astype(int)
        assert drawn.size == 0 or drawn[-1] == losses.size - 1
        np.testing.assert_allclose(ghost["y"], ghost_values[drawn], rtol=1e-12)
    # sgd: the mini-batch losses under the full-batch J (a full batch's are J itself).
    model = state.model
    names = [t.get("name") for t in loss_figure["data"]]
    n_train = len(state.data.y_train)
    noisy = current.solver == "sgd" and current.batch_size < n_train
    assert ("full-batch J" in names) == noisy and ("from scratch" in names) == (not noisy)
    assert ("mini-batch J_B" in names) == (noisy and not gap_mode and n_iter > first)
    if "mini-batch J_B" in names:
        batch = trace(loss_figure, "mini-batch J_B")
        drawn = np.asarray(batch["x"]).astype(int)
        np.testing.assert_array_equal(batch["y"], np.asarray(model.batch_loss_curve_)[drawn])
        per_epoch = -(-n_train // current.batch_size)
        np.testing.assert_array_equal(batch["customdata"], drawn // per_epoch + 1)
        assert loss_figure["layout"]["xaxis"]["title"]["text"].startswith(
            f"iteration (mini-batch step; an epoch is {per_epoch:,})"
        )
    # The widgets shown show the link's settings, and the learning rate in use.
    if "rate" in controls:
        _check_rate_widgets(at, state)
        assert at.segmented_control(key="w.train.solver").value == current.solver
        batch_widgets = [w.key for w in at.number_input if w.key.startswith("w.train.batch")]
        if not more_is_open(at):  # closed: More's settings are not drawn
            assert batch_widgets == [] and not [w for w in at.selectbox if w.key == "w.train.C"]
        else:
            if current.solver == "sgd":
                assert batch_widgets == ["w.train.batch_size", "w.train.batch_seed"]
                assert at.number_input(key="w.train.batch_size").value == current.batch_size
                assert at.number_input(key="w.train.batch_seed").value == current.batch_seed
            else:
                assert batch_widgets == []
            assert at.selectbox(key="w.train.C").value == current.C
            assert at.select_slider(key="w.train.tol").value == current.tol
            assert at.number_input(key="w.train.max_iter").value == current.max_iter
            assert at.select_slider(key="w.view.speed").value == view.speed
    else:
        assert not [w for w in at.number_input if w.key == "w.train.lr"]
    if "view" in controls:
        assert at.toggle(key="w.view.target").value == view.show_target
        assert at.toggle(key="w.view.log_y").value == view.log_y
        assert at.segmented_control(key="w.view.window").value == view.loss_window
    else:
        assert not [w for w in at.toggle if w.key == "w.view.log_y"]
    # Play or Pause, never both; Play is offered while the run can go on.
    assert has_button(at, PAUSE) != has_button(at, PLAY)
    if has_button(at, PLAY):
        assert at.button(key=PLAY).disabled == (model.diverged_ or n_iter >= current.max_iter)
    if "more" not in controls:
        assert not class_tables(at)
        return
    _check_point_panel(at, state)
    # The parameter table (hidden in classroom mode): W, b and the gradient where W is.
    if not state.classroom:
        table = parameters_shown(at)
        assert list(dataframe(at)["class"]) == list(data.class_names)
        for j in range(model.coef_.shape[1]):
            np.testing.assert_array_equal(table[f"w{j + 1}"], model.coef_[:, j])
            np.testing.assert_array_equal(table[f"∂J/∂w{j + 1}"], model.grad_coef_[:, j])
        np.testing.assert_array_equal(table["b"], model.intercept_)
        np.testing.assert_array_equal(table["∂J/∂b"], model.grad_intercept_)
    else:
        assert not class_tables(at)


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
    state = expected(at)
    model, data, reference = state.model, state.data, state.reference
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
            # Shown as a percentage, to one decimal in every row.
            assert table[f"accuracy, {name}"][row] == pytest.approx(
                100 * accuracy_score(y, fitted.predict(X)), abs=1e-12
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
    expected_counts = np.array(
        [[np.sum((y == i) & (predicted == j)) for j in labels] for i in labels]
    )
    np.testing.assert_array_equal(counts, expected_counts)


def compare_claims(state: Expected) -> list[tuple[str, str, list[str]]]:
    """The claims the Compare page must make about where the run stands against the
    reference, from the numbers computed here: ``(key, level, what the text says)``, the
    first of which its text starts with (the facts of ``ui.explain.differences``' keys)."""
    model, data, current = state.model, state.data, state.settings
    if model.diverged_:
        return [("diverged", "error", [f"**Diverged at iteration {model.n_iter_:,}:**"])]
    claims = []
    two_dimensional = data.X.shape[1] == 2
    same = state.view.reference == "same"
    if not same:
        ours = np.linalg.norm(model.coef_)
        theirs = np.linalg.norm(symmetric_parameters(state.reference)[0])
        flatter = "reference" if theirs < ours else "scratch"
        name = "scikit-learn" if flatter == "reference" else "from-scratch"
        shape = "decision regions" if two_dimensional else "probability curves"
        claims.append(
            (
                f"objectives-differ flatter-{flatter}",
                "info",
                [
                    "**Different objectives.**",
                    f"‖W‖ = {theirs:.3g} for scikit-learn and {ours:.3g} from scratch",
                    f"so the {name} {shape} change more gradually",
                ],
            )
        )
    gap = model.loss_ - state.j_star if same else None
    behind = "" if gap is None else f" It is J − J* = {gap:.2e} above the optimum."
    change, (steps, rises) = state.loss_change, state.trend
    if model.n_iter_ == 0:
        claims.append(("not-trained", "info", ["**Not trained yet.**"]))
    elif gap is not None and abs(gap) <= OPTIMUM_GAP:
        said = [f"|J − J*| = {abs(gap):.1e}, the scratch loss", f"max |Δp| = {state.gap:.1e}"]
        claims.append(("at-optimum", "success", ["**Same optimum.**", *said]))
    elif gap is not None and gap < 0:
        said = [f"The scratch loss is {-gap:.2e} below scikit-learn's"]
        claims.append(("below-reference", "info", ["**Lower than scikit-learn.**", *said]))
    elif state.state_word == "converged":
        if model.solver == "sgd":  # converged on an epoch's change, not a step's
            *_, net_fall = sgd_last_epoch(state)
            change = -net_fall
        said = [f"changed the loss by {abs(change):.1e} < tol = {current.tol:g}.{behind}"]
        if gap is None:  # another objective: no claim that this is not the optimum
            said = [
                f"changed the loss by {abs(change):.1e} < tol = {current.tol:g}.",
                "choose *same objective* to measure that",
            ]
        claims.append(("stopped-by-tol", "info", ["**Stopped by the tolerance.**", *said]))
    elif rises and model.solver == "gd":
        said = [f"The loss rose in {rises} of the last {steps} steps", f"{behind}"]
        claims.append(("oscillating", "warning", ["**Oscillating.**", *said]))
    elif rises and model.solver == "sgd":
        said = [f"The loss rose in {rises} of the last {steps} steps", f"{behind}"]
        claims.append(("sgd-noisy", "info", ["**Noisy steps.**", *said]))
    elif rises:
        said = [f"The loss rose in {rises} of the last {steps} steps", f"{behind}"]
        claims.append(("momentum", "info", ["**Still converging, with momentum.**", *said]))
    elif model.n_iter_ >= current.max_iter:
        claims.append(("max-iter", "info", [f"**Stopped at max_iter = {current.max_iter:,}.**"]))
    else:
        said = [f"changed the loss by {abs(change):.1e} (tol = {current.tol:g}).{behind}"]
        claims.append(("converging", "info", ["**Still converging.**", *said]))
    reference = state.reference
    if np.max(reference.n_iter_) >= reference.max_iter:
        said = [f"max_iter = {reference.max_iter:,}"]
        claims.append(
            ("reference-stopped-early", "warning", ["**scikit-learn stopped early.**", *said])
        )
    return claims


def check_compare_claims(at: AppTest) -> set[str]:
    """The Compare page makes exactly the claims its run calls for, each with its numbers;
    returns their keys."""
    claims = compare_claims(expected(at))
    found = page_alerts(at)
    assert [level for level, _ in found] == [level for _, level, _ in claims], (found, claims)
    for (_, text), (key, _, said) in zip(found, claims, strict=True):
        assert text.startswith(said[0]), (key, text)
        for part in said[1:]:
            assert part in text, (key, part, text)
    return {key for key, _, _ in claims for key in key.split()}


PLACEHOLDER = re.compile(r"\{[A-Za-z_]\w*\}")


def _check_lesson(at: AppTest, state: Expected) -> None:
    """The open lesson's step: its heading, and every number of its text filled in."""
    view = state.view
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
    """What every action must keep: every display agrees with the run the link describes.

    The link (the address bar) is read with ``from_query`` and its run replayed here with the
    core on data made here (:class:`Expected`). On every page: the URL itself, the sidebar
    summary. On Train (and Lessons, which shows the same training area): the metrics, the
    banner and its buttons, the chart titles and the loss chart's points, the pins' ghosts,
    the widgets (the learning-rate box shows the rate in use, 1/L while auto), Play/Pause,
    the followed point and the parameter table. On Compare: the claims and the
    generalisation table against scikit-learn's metrics. On Math and Home: the iteration
    they name.
    """
    assert_ok(at)
    assert_charts_finite(at)
    # Every chart has its text alternative (ui.figures.describe; test_chart_text checks
    # its numbers).
    described = {
        key: f["layout"].get("meta", {}).get("description") for key, f in charts(at).items()
    }
    assert all(described.values()), described
    state = expected(at)
    model = state.model
    assert model.n_iter_ == state.n_iter  # the link replays to its own iteration
    assert model.converged_ == (state.state_word == "converged")
    _check_url(at, state)
    _check_summary(at, state)
    page = title(at)
    n_iter = f"iteration {state.n_iter:,}"
    if page in (TITLES[TRAIN], TITLES[LESSONS_PAGE]):
        _check_train(at, state, controls_shown(at, state))
    if page == TITLES[LESSONS_PAGE]:
        _check_lesson(at, state)
    elif page == TITLES[COMPARE]:
        figure = chart_data(at, "w.compare.chart")
        assert chart_title(figure).startswith(f"From scratch, {n_iter}")
        named = chart_title(figure) + chart_subtitle(figure)
        assert ("same objective" in named) == (state.view.reference == "same"), named
        solver = SOLVER_NAMES[model.solver]
        speeds = [m.value for m in at.markdown if m.value.startswith("**Why the iteration")]
        assert len(speeds) == 1 and speeds[0].endswith(f"This run is at {n_iter} with {solver}.")
        check_compare_claims(at)
        check_generalisation(at)
    elif page == TITLES[MATH]:
        sgd = model.solver == "sgd" and not model.diverged_
        assert [s.value for s in at.subheader] == [
            f"Live: one data point at {n_iter}",
            "How big a step can be",
            *(["Mini-batch gradient against the full gradient"] if sgd else []),
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
    deferred download), so the callables are recorded as the page registers them;
    ``downloads.file_name(element)`` is the name the browser saves the file under.
    """
    deferred: dict[str, Callable] = {}
    names: dict[str, str | None] = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        file_id = original(self, data_callable, mimetype, coordinates, file_name, **kwargs)
        deferred[file_id] = data_callable
        names[file_id] = file_name
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)

    def content(element) -> str:
        file_id = element.proto.deferred_file_id
        assert file_id in deferred, "the download button holds no deferred file"
        data = deferred[file_id]()
        return data.decode() if isinstance(data, bytes) else data

    content.file_name = lambda element: names[element.proto.deferred_file_id]
    return content
