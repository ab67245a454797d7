"""Random links and random sequences of actions: after each, :func:`check_consistency` (no
exception, no NaN in a chart, every display agrees with the model and the URL).

Bounded to keep the file quick: small data sets, few examples (each is a fresh session);
tests/test_settings.py covers the parsing of any query without the app.
"""

import math
import os
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ui.settings import from_query

from .conftest import (
    BACK,
    COMPARE,
    DATA,
    FIX,
    HOME,
    MATH,
    PAUSE,
    PLAY,
    RESET,
    RESTART,
    RUN,
    STEP,
    STEP10,
    TRAIN,
    assert_ok,
    check_consistency,
    choose,
    click,
    expected,
    go,
    has_button,
    iteration,
    notice,
    open_app,
    set_widget,
    toast,
    toasts,
    url,
)

# A fixed, small sample by default; APPTEST_FUZZ_EXAMPLES=500 explores (randomly) further.
EXAMPLES = int(os.environ.get("APPTEST_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=EXAMPLES or 12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=not EXAMPLES,
)

GARBAGE = st.one_of(
    st.sampled_from(["", " ", "abc", "nan", "inf", "-1", "0", "1e400", "１２", "x" * 80]),
    st.text(max_size=12),
)


def values(valid: list[str]) -> st.SearchStrategy[str]:
    """Mostly valid values (including the bounds), sometimes garbage."""
    return st.one_of(st.sampled_from(valid), st.sampled_from(valid), GARBAGE)


QUERY = st.fixed_dictionaries(
    {},
    optional={
        "kind": values(["line", "blobs", "iris", "wine", "upload"]),
        "features": values(["0", "3", "2,3", "12,0", "1,1", "0,1,2"]),
        "std": values(["0", "1"]),
        "holdout": values(["0", "0.2", "0.5", "0.6"]),
        "hseed": values(["0", "3"]),
        "n": values(["10", "11", "37", "100", "9", "100001"]),
        "k": values(["2", "3", "6", "10", "1", "11"]),
        "noise": values(["0", "0.1", "0.37", "1", "2"]),
        "seed": values(["0", "7", "91", "4294967295", "-1"]),
        "lr": values(["auto", "1e-06", "0.05", "0.5", "3", "1000000", "1e7"]),
        "C": values(["none", "1.0", "1e-4", "10000", "0"]),
        "solver": values(["gd", "nesterov", "newton", "sgd"]),
        "batch": values(["1", "10", "32", "100", "0", "abc"]),
        "bseed": values(["0", "3", "-1"]),
        "tol": values(["0", "1e-06", "0.01", "0.1", "0.2"]),
        "max_iter": values(["1", "5", "30", "1000", "0"]),
        "iter": values(["0", "1", "5", "12", "30", "200", "-5"]),
        "sched": values(["0.5x10,0.1x20", "autox3,0.5x2", "0.5x5", "garbage"]),
        "ref": values(["same", "default"]),
        "target": values(["0", "1"]),
        "logy": values(["0", "1"]),
        "window": values(["all", "last", "logx"]),
        "point": values(["0", "5", "99999"]),
        "speed": values(["slow", "turbo"]),
        "classroom": values(["1", "0", "yes"]),
        "panel": values(["model", "landscape", "simplex"]),
        "plane": values(["start", "steepest"]),
        "temp": values(["0.05", "1", "20.0", "0"]),
        "pins": values(
            [
                "gd~none~0.5x10",
                "newton~1.0~autox3;gd~none~autox5",
                "gd~none",
                "sgd~none~0.5x10~10~3",
                "sgd~none~0.5x10",
            ]
        ),
    },
)


@FUZZ
@given(QUERY)
def test_any_link_opens_every_page_consistently(query):
    asked = from_query(query)
    at = open_app(query, TRAIN)
    assert expected(at).settings == asked.settings or "could not be made" in notice(at)
    assert iteration(at) <= asked.n_iter
    check_consistency(at)
    for page in (COMPARE, MATH, DATA, HOME):
        go(at, page)
        check_consistency(at)
        assert from_query(url(at)).problems == []


BUTTONS = [STEP, STEP10, BACK, RESET, RUN, FIX, RESTART, PLAY, "tick", PAUSE]
ACTIONS = st.one_of(
    st.sampled_from(BUTTONS),
    st.tuples(st.just("lr"), st.sampled_from([1e-6, 0.01, 0.1, 0.5, 2.0, 1e6])),
    st.tuples(st.just("auto"), st.booleans()),
    st.tuples(st.just("preset"), st.sampled_from(["0.5×", "0.99×", "1.01×", "2×", "0.5 (seed)"])),
    st.tuples(st.just("solver"), st.sampled_from(["gd", "nesterov", "newton"])),
    st.tuples(st.just("C"), st.sampled_from([math.inf, 100.0, 1.0, 0.01])),
    st.tuples(st.just("tol"), st.sampled_from([1e-2, 1e-4, 1e-6, 1e-8])),
    st.tuples(st.just("max_iter"), st.sampled_from([5, 30, 1000])),
    st.tuples(st.just("window"), st.sampled_from(["all", "last", "logx"])),
    st.tuples(st.just("log_y"), st.booleans()),
    st.tuples(st.just("target"), st.booleans()),
    st.tuples(st.just("n_classes"), st.sampled_from([2, 4])),
    st.tuples(st.just("kind"), st.sampled_from(["line", "blobs", "iris", "wine"])),
    st.tuples(st.just("standardise"), st.booleans()),
    st.tuples(st.just("holdout"), st.sampled_from([0.0, 0.25, 0.5])),
    st.tuples(st.just("panel"), st.sampled_from(["model", "landscape", "simplex"])),
    st.just("pin"),
)
# Data settings, changed on the Data page: the widget and its key.
DATA_WIDGETS = {
    "n_classes": ("slider", "w.data.n_classes"),
    "kind": ("segmented_control", "w.data.kind"),
    "standardise": ("toggle", "w.data.standardise"),
    "holdout": ("slider", "w.data.holdout"),
}
WIDGETS = {
    "lr": ("number_input", "w.train.lr"),
    "auto": ("toggle", "w.train.lr_auto"),
    "C": ("selectbox", "w.train.C"),
    "tol": ("select_slider", "w.train.tol"),
    "max_iter": ("number_input", "w.train.max_iter"),
    "log_y": ("toggle", "w.view.log_y"),
    "target": ("toggle", "w.view.target"),
}
SEGMENTED = {
    "preset": "w.train.rate_preset",
    "solver": "w.train.solver",
    "window": "w.view.window",
    "panel": "w.view.panel",
}
KEEP_THE_RUN = ("lr", "auto", "preset", "tol", "max_iter", "window", "log_y", "target", "panel")


RESTARTED = "Training restarted from iteration 0 because "
BACK_TO = re.compile(r"Back to (?:iteration|the previous run, at iteration) ([0-9,]+)\.")


def act(at, action, seen: list[dict]) -> None:
    """Do ``action`` on the Train page, checking what it promises on the way; ``seen`` holds
    every run the session has shown (its link's run), which Back must return to."""
    before = iteration(at)
    playing = has_button(at, PAUSE)
    if action == "tick":
        at.run()
        assert_ok(at)
    elif action == "pin":
        click(at, "w.train.pin")
        assert toast(at).startswith("Pinned: ")
        if not playing:  # a rerun while playing is also a tick
            assert iteration(at) == before
    elif isinstance(action, str):
        if not has_button(at, action) or at.button(key=action).disabled:
            return
        click(at, action)
        after, said = iteration(at), toasts(at)
        if action == RESTART or (action == RESET and before):
            assert after == 0 and said[0].startswith(RESTARTED), said
        elif action == RESET:
            assert after == 0 and said == ["Nothing to reset: the run is at iteration 0."]
        elif action == BACK:
            back_to = BACK_TO.fullmatch(said[0])
            if back_to:  # to where the run stood before the last action: a run shown before
                assert int(back_to.group(1).replace(",", "")) == after
                assert expected(at).run_query in seen, said
            else:
                assert said[0].startswith("Nothing to undo") and after == before, said
        elif action in (STEP, STEP10):
            assert before <= after <= before + (1 if action == STEP else 10)
        elif action == FIX:
            assert after == before and url(at)["lr"] == "auto"
    else:
        name, value = action
        if name in DATA_WIDGETS:
            go(at, DATA)
            kind, key = DATA_WIDGETS[name]
            if any(widget.key == key for widget in getattr(at, kind)):  # shown for this data
                set_widget(at, kind, key, value)
                check_consistency(at)
                seen.append(expected(at).run_query)
            go(at, TRAIN)
            return
        if name == "panel" and value not in at.segmented_control(key=SEGMENTED[name]).options:
            return  # the simplex is offered for three classes only
        if name in SEGMENTED:
            if at.segmented_control(key=SEGMENTED[name]).disabled:
                return
            choose(at, SEGMENTED[name], value)
        else:
            kind, key = WIDGETS[name]
            if getattr(at, kind)(key=key).disabled:
                return
            set_widget(at, kind, key, value)
        if name in KEEP_THE_RUN and not (playing or has_button(at, PAUSE)):
            assert iteration(at) == before
            assert not [text for text in toasts(at) if text.startswith(RESTARTED)]


@FUZZ
@given(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["line", "blobs"]),
            "n": st.sampled_from(["10", "60", "100"]),
            "k": st.sampled_from(["2", "3", "5"]),
        }
    ),
    st.lists(ACTIONS, min_size=1, max_size=10),
)
def test_any_sequence_of_actions_keeps_every_display_consistent(query, actions):
    at = open_app(query, TRAIN)
    seen = [expected(at).run_query]
    for action in actions:
        act(at, action, seen)
        check_consistency(at)
        seen.append(expected(at).run_query)
