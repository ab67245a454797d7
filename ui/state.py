"""The app's session state: the only module that reads or writes ``st.session_state``.

A session holds its ``Settings``, the data set they define (cached per data settings), and a
``Run``: the model being trained, a bounded history of snapshots for Back, and the
learning-rate schedule so far, from which a URL reproduces the run. Widgets are bound to
settings through :func:`bind`, under explicit ``w.``-prefixed keys; everything else lives
under ``lab.``-prefixed keys, which survive page switches.
"""

from __future__ import annotations

import warnings
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np
import streamlit as st
from sklearn.exceptions import ConvergenceWarning

from softmax_core import (
    DivergenceWarning,
    SoftmaxRegression,
    TrainingSnapshot,
    make_noisy_blobs,
    make_noisy_classes,
)

from .settings import Settings, from_query, to_query, truncate_schedule

HISTORY_LENGTH = 200
_SETTINGS = "lab.settings"
_RUN = "lab.run"
_NOTICES = "lab.notices"
_CLASSROOM = "lab.classroom"
_PLAYING = "lab.playing"
_RUN_COUNTER = "lab.run_counter"
_VIEW = "lab.view"


@dataclass
class Event:
    """Something the user should read about the last action: level is an ``st`` call name."""

    level: str
    text: str


@dataclass
class Run:
    """One training run on the session's data set."""

    model: SoftmaxRegression
    run_id: int
    history: deque[TrainingSnapshot] = field(default_factory=lambda: deque(maxlen=HISTORY_LENGTH))
    schedule: list[tuple[float | None, int]] = field(default_factory=list)
    event: Event | None = None

    @property
    def n_iter(self) -> int:
        return self.model.n_iter_


@st.cache_data(max_entries=32, show_spinner=False)
def load_dataset(
    kind: str, n_samples: int, n_classes: int, noise: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The data set of the given settings (cached: the same settings give the same data)."""
    if kind == "blobs":
        return make_noisy_blobs(n_samples, n_classes, noise, random_state=seed)
    return make_noisy_classes(n_samples, n_classes, noise, random_state=seed)


def init() -> None:
    """Set up a new session from the URL; later calls (reruns, page switches) do nothing."""
    if _SETTINGS in st.session_state:
        return
    restored = from_query(st.query_params.to_dict())
    st.session_state[_SETTINGS] = restored.settings
    st.session_state[_CLASSROOM] = restored.classroom
    st.session_state[_PLAYING] = False
    st.session_state[_NOTICES] = list(restored.problems)
    _start_run()
    for learning_rate, count in restored.schedule:
        caught = _advance(learning_rate, count, keep_snapshot=False)
        if run().model.diverged_:
            run().event = _divergence_event(caught)
            break
    _configure_model(restored.settings.learning_rate)


def settings() -> Settings:
    """The session's current settings."""
    return st.session_state[_SETTINGS]


def dataset() -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` for the current settings."""
    return load_dataset(*settings().data_key())


def run() -> Run:
    """The current training run."""
    return st.session_state[_RUN]


def notices() -> list[str]:
    """What was wrong with the link this session was opened with (empty if nothing)."""
    return st.session_state.get(_NOTICES, [])


def dismiss_notices() -> None:
    st.session_state[_NOTICES] = []


def classroom() -> bool:
    """Whether classroom (projector) mode is on."""
    return st.session_state.get(_CLASSROOM, False)


def set_classroom(on: bool) -> None:
    st.session_state[_CLASSROOM] = bool(on)


def playing() -> bool:
    """Whether the Train page is animating."""
    return st.session_state.get(_PLAYING, False)


def set_playing(on: bool) -> None:
    st.session_state[_PLAYING] = bool(on)


def _new_model(current: Settings) -> SoftmaxRegression:
    return SoftmaxRegression(
        learning_rate="auto" if current.learning_rate is None else current.learning_rate,
        max_iter=current.max_iter,
        tol=current.tol,
        C=current.C,
        solver=current.solver,
    )


def _start_run() -> None:
    """A fresh run at iteration 0 on the current data."""
    counter = st.session_state.get(_RUN_COUNTER, 0) + 1
    st.session_state[_RUN_COUNTER] = counter
    X, y = dataset()
    model = _new_model(settings()).advance(X, y, n_steps=0)
    st.session_state[_RUN] = Run(model=model, run_id=counter)
    st.session_state[_PLAYING] = False


def update_settings(**changes) -> None:
    """Apply changed settings. New data, a new penalty or a new solver start a new run;
    a new learning rate, tolerance or iteration limit applies from the next step on."""
    old = settings()
    new = replace(old, **changes)
    if new == old:
        return
    st.session_state[_SETTINGS] = new
    if new.run_key() != old.run_key():
        _start_run()
        reason = "the data changed" if new.data_key() != old.data_key() else "the objective changed"
        run().event = Event("info", f"Training restarted from iteration 0 because {reason}.")
    else:
        _configure_model(new.learning_rate)


def _set_model_params(learning_rate: float | None) -> None:
    run().model.set_params(
        learning_rate="auto" if learning_rate is None else learning_rate, tol=settings().tol
    )


def _configure_model(learning_rate: float | None) -> None:
    """Give the model a learning rate and the current tol; the core resolves "auto" (1/L)."""
    _set_model_params(learning_rate)
    run().model.advance(*dataset(), n_steps=0)


def _record(learning_rate: float | None, count: int) -> None:
    schedule = run().schedule
    if schedule and schedule[-1][0] == learning_rate:
        schedule[-1] = (learning_rate, schedule[-1][1] + count)
    elif count:
        schedule.append((learning_rate, count))


def _advance(learning_rate: float | None, n_steps: int, *, keep_snapshot: bool) -> list:
    """Train ``n_steps`` iterations with ``learning_rate``; return the warnings raised."""
    current, model = run(), run().model
    if keep_snapshot:
        current.history.append(model.snapshot())
    _set_model_params(learning_rate)
    before = model.n_iter_
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.advance(*dataset(), n_steps=n_steps)
    _record(learning_rate, model.n_iter_ - before)
    return caught


def _divergence_event(caught: list) -> Event:
    messages = [str(w.message) for w in caught if issubclass(w.category, DivergenceWarning)]
    text = messages[0] if messages else "Training diverged."
    return Event(
        "error",
        f"{text} Lower the learning rate (below the stable limit 2/L), then press Back or Reset.",
    )


def _blocked() -> Event | None:
    model, current = run().model, settings()
    if model.diverged_:
        return Event("error", "This run diverged. Press Back or Reset before training on.")
    if model.n_iter_ >= current.max_iter:
        return Event("warning", f"Reached max_iter = {current.max_iter:,}. Raise it to go on.")
    return None


def step(n_steps: int = 1) -> None:
    """Advance the run by ``n_steps`` iterations (bounded by max_iter and the work budget)."""
    current = settings()
    blocked = _blocked()
    if blocked:
        run().event = blocked
        set_playing(False)
        return
    remaining = current.max_iter - run().n_iter
    n_steps = max(0, min(n_steps, remaining, current.step_budget()))
    caught = _advance(current.learning_rate, n_steps, keep_snapshot=True)
    run().event = _divergence_event(caught) if run().model.diverged_ else None
    if run().model.diverged_ or run().n_iter >= current.max_iter:
        set_playing(False)


def run_to_convergence() -> None:
    """Train until the loss changes by less than tol, max_iter, or the work budget."""
    current, model = settings(), run().model
    blocked = _blocked()
    if blocked:
        run().event = blocked
        return
    budget = min(current.max_iter - model.n_iter_, current.step_budget())
    run().history.append(model.snapshot())
    X, y = dataset()
    before = model.n_iter_
    model.set_params(
        learning_rate="auto" if current.learning_rate is None else current.learning_rate,
        tol=current.tol,
        max_iter=budget,
        warm_start=True,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    model.set_params(warm_start=False, max_iter=current.max_iter)
    done = model.n_iter_ - before
    _record(current.learning_rate, done)
    if model.diverged_:
        run().event = _divergence_event(caught)
    elif model.converged_:
        run().event = Event(
            "success",
            f"Converged after {done:,} more iterations: the loss changed by less than "
            f"tol = {current.tol:g}.",
        )
    elif any(issubclass(w.category, ConvergenceWarning) for w in caught):
        limit = (
            f"max_iter = {current.max_iter:,}"
            if model.n_iter_ >= current.max_iter
            else f"the limit of {current.step_budget():,} iterations per click on this data"
        )
        unstable = model.learning_rate_ > model.learning_rate_limit_
        run().event = Event(
            "warning",
            f"Not converged after {done:,} more iterations ({limit})."
            + (
                " With a learning rate above the stable limit the loss may never settle."
                if unstable
                else " Click again to go on, or try Nesterov."
            ),
        )


def back() -> None:
    """Undo the last training action (Step, Step ×10, Run or one Play tick)."""
    current = run()
    if not current.history:
        current.event = Event("info", "Nothing to undo: this is the start of the history.")
        return
    snapshot = current.history.pop()
    current.model.restore(snapshot)
    current.schedule[:] = truncate_schedule(current.schedule, snapshot.n_iter)
    current.event = None


def reset() -> None:
    """Back to iteration 0 with the current settings."""
    _start_run()


def apply_settings(new: Settings) -> None:
    """Replace the settings (a preset) and start a new run; widgets follow."""
    st.session_state[_SETTINGS] = new
    _start_run()


def converge_precisely() -> None:
    """A new run that goes all the way: Nesterov, the automatic rate, tol 1e-15."""
    apply_settings(
        replace(settings(), solver="nesterov", learning_rate=None, tol=1e-15, max_iter=100_000)
    )
    run_to_convergence()


def use_stable_learning_rate() -> None:
    """Switch to the automatic rate 1/L, which never overshoots; the run goes on."""
    update_settings(learning_rate=None)


def new_seed() -> None:
    """Draw a new random seed for the data (written to the URL, so still reproducible)."""
    seed = int(np.random.default_rng().integers(0, 2**31))
    update_settings(seed=seed)


# Widgets bound to a setting: key -> (settings field, how to read it off the settings).
_SETTING_WIDGETS = {
    "w.data.kind": ("kind", lambda s: s.kind),
    "w.data.n_samples": ("n_samples", lambda s: s.n_samples),
    "w.data.n_classes": ("n_classes", lambda s: s.n_classes),
    "w.data.noise": ("noise", lambda s: s.noise),
    "w.data.seed": ("seed", lambda s: s.seed),
    "w.train.C": ("C", lambda s: s.C),
    "w.train.solver": ("solver", lambda s: s.solver),
    "w.train.tol": ("tol", lambda s: s.tol),
    "w.train.max_iter": ("max_iter", lambda s: s.max_iter),
}
_LR_AUTO, _LR, _CLASSROOM_WIDGET = "w.train.lr_auto", "w.train.lr", "w.classroom"
DEFAULT_LEARNING_RATE = 0.1  # shown in the number box while the rate is "auto"


def _view_options() -> dict:
    return st.session_state.setdefault(_VIEW, {})


def _session_value(key: str, default: object) -> object:
    """What a widget should show: the session's value behind it."""
    if key in _SETTING_WIDGETS:
        return _SETTING_WIDGETS[key][1](settings())
    if key == _LR_AUTO:
        return settings().learning_rate is None
    if key == _LR:
        chosen = settings().learning_rate
        return _view_options().get(_LR, DEFAULT_LEARNING_RATE) if chosen is None else chosen
    if key == _CLASSROOM_WIDGET:
        return classroom()
    return _view_options().get(key, default)


def _on_widget_change(key: str) -> None:
    value = st.session_state[key]
    if key in _SETTING_WIDGETS:
        field_name = _SETTING_WIDGETS[key][0]
        update_settings(**{field_name: int(value) if field_name in _INT_FIELDS else value})
    elif key == _LR_AUTO:
        update_settings(learning_rate=None if value else _session_value(_LR, None))
    elif key == _LR:
        _view_options()[_LR] = float(value)
        if settings().learning_rate is not None:
            update_settings(learning_rate=float(value))
    elif key == _CLASSROOM_WIDGET:
        set_classroom(value)
    else:
        _view_options()[key] = value


_INT_FIELDS = ("n_samples", "seed", "max_iter")


def widget(key: str, default: object = None, *, upper: int | None = None) -> dict:
    """Keyword arguments that bind a widget to the session: its ``key`` and a callback.

    The widget shows the session's value on every visit of every page (a setting, or a
    view option such as the play speed, which starts at ``default``), and a change goes back
    to the session through the callback, before the page reruns. Pass no ``value=``.
    ``upper`` caps a stored number (a row index, when the data set has shrunk).
    """
    value = _session_value(key, default)
    st.session_state[key] = value if upper is None else min(value, upper)
    return {"key": key, "on_change": _on_widget_change, "args": (key,)}


def sync_url() -> None:
    """Write the run's settings and progress into the address bar (for sharing, refresh)."""
    query = to_query(settings(), run().n_iter, run().schedule)
    if classroom():
        query["classroom"] = "1"
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
