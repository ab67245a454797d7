"""Random links and random button sequences: no exception, no NaN in a chart, and the model,
the page and the URL always agree.

Bounded to keep the file under a minute: the data sets stay small (the work budget lets a
link with 100,000 points train for seconds, which tests/test_settings.py covers without the
app), and each example is a fresh session.
"""

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ui.settings import from_query

from .conftest import (
    COMPARE,
    MATH,
    TRAIN,
    assert_charts_finite,
    check_consistency,
    click,
    go,
    iteration,
    model_of,
    open_app,
    run_of,
    set_widget,
    settings_of,
    url,
)

FUZZ = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])

GARBAGE = st.one_of(
    st.sampled_from(["", " ", "abc", "nan", "inf", "-inf", "-1", "0", "1e400", "None", "x" * 80]),
    st.text(max_size=12),
)


def values(valid: list[str]) -> st.SearchStrategy[str]:
    """Mostly valid values (including the bounds), sometimes garbage."""
    return st.one_of(st.sampled_from(valid), st.sampled_from(valid), GARBAGE)


QUERY = st.fixed_dictionaries(
    {},
    optional={
        "kind": values(["line", "blobs", "LINE"]),
        "n": values(["10", "11", "37", "100", "400", "9", "100001", "10000000", " 50 "]),
        "k": values(["2", "3", "4", "6", "1", "7", "99"]),
        "noise": values(["0", "0.0", "0.1", "0.37", "1", "1.0", "2", "-0.1"]),
        "seed": values(["0", "7", "4294967295", "4294967296", "-1", "1.5"]),
        "lr": values(["auto", "1e-06", "0.05", "0.5", "3", "1000000", "1e7", "-1", "0"]),
        "C": values(["none", "1.0", "0.5", "1e-4", "10000", "0", "inf", "100.0"]),
        "solver": values(["gd", "nesterov", "sgd"]),
        "tol": values(["0", "1e-06", "1e-7", "0.01", "0.1", "0.2", "1e-15"]),
        "max_iter": values(["1", "5", "30", "1000", "100000", "0", "100001"]),
        "iter": values(["0", "1", "5", "12", "30", "200", "-5", "1001", "9" * 30]),
        "sched": values(["0.5x10,0.1x20", "autox3,0.5x2", "0.5x5", "garbage", "0.5x-1"]),
        "classroom": values(["1", "0", "true", "on"]),
    },
)


@FUZZ
@given(QUERY)
def test_any_link_opens_every_page_cleanly(query):
    at = open_app(query)
    expected = from_query(query)
    assert settings_of(at) == expected.settings
    for page in (TRAIN, COMPARE, MATH):
        go(at, page)
        assert_charts_finite(at)
        check_consistency(at, on_train=page == TRAIN)
        written = from_query(url(at))
        assert written.problems == []
        assert written.n_iter == model_of(at).n_iter_
    assert model_of(at).n_iter_ <= expected.n_iter


ACTIONS = st.one_of(
    st.sampled_from(["step", "step10", "back", "reset", "run", "play", "fix"]),
    st.tuples(st.just("lr"), st.sampled_from([1e-6, 0.01, 0.1, 0.5, 2.0, 1e3, 1e6])),
    st.tuples(st.just("auto"), st.booleans()),
    st.tuples(st.just("C"), st.sampled_from([math.inf, 100.0, 1.0, 0.01])),
    st.tuples(st.just("solver"), st.sampled_from(["gd", "nesterov"])),
)
BUTTONS = {
    "step": "w.train.step",
    "step10": "w.train.step10",
    "back": "w.train.back",
    "reset": "w.train.reset",
    "run": "w.train.run",
}
WIDGETS = {
    "lr": ("number_input", "w.train.lr"),
    "auto": ("toggle", "w.train.lr_auto"),
    "C": ("selectbox", "w.train.C"),
    "solver": ("radio", "w.train.solver"),
}


def act(at, action) -> None:
    """Do ``action`` on the Train page, checking what it promises on the way."""
    before = model_of(at).n_iter_
    if isinstance(action, tuple):
        name, value = action
        kind, key = WIDGETS[name]
        if not getattr(at, kind)(key=key).disabled:
            set_widget(at, kind, key, value)
            if name in ("lr", "auto"):
                assert model_of(at).n_iter_ == before  # the run goes on
    elif action == "back":
        history = run_of(at).history
        expected = history[-1] if history else model_of(at).snapshot()
        click(at, BUTTONS[action])
        assert model_of(at).n_iter_ == expected.n_iter
        np.testing.assert_array_equal(model_of(at).coef_, expected.coef)
    elif action == "play":
        click(at, "w.train.play")
        at.run()
        if any(button.key == "w.train.pause" for button in at.button):
            click(at, "w.train.pause")
        assert at.button(key="w.train.play").label == "Play"
    elif action == "fix":
        if any(button.key == "w.train.fix_lr" for button in at.button):
            click(at, "w.train.fix_lr")
            assert model_of(at).n_iter_ == before
            assert settings_of(at).learning_rate is None
    else:
        click(at, BUTTONS[action])
        if action == "reset":
            assert model_of(at).n_iter_ == 0
        elif action in ("step", "step10"):
            assert before <= model_of(at).n_iter_ <= before + (1 if action == "step" else 10)


@FUZZ
@given(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["line", "blobs"]),
            "n": st.sampled_from(["10", "60", "100"]),
            "k": st.sampled_from(["2", "3", "5"]),
        }
    ),
    st.lists(ACTIONS, min_size=1, max_size=8),
)
def test_any_sequence_of_actions_keeps_the_run_consistent(query, actions):
    at = open_app(query, TRAIN)
    for action in actions:
        act(at, action)
        check_consistency(at)
        assert_charts_finite(at)
        assert iteration(at) == model_of(at).n_iter_
        assert from_query(url(at)).problems == []
