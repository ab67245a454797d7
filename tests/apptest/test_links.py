"""The address bar holds the run and the view: links reproduce them, the app writes them back
(with ``history.replaceState``), and a bad link falls back with a short, plain-text notice."""

import math
from urllib.parse import parse_qsl

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import ui.settings
from softmax_core import SoftmaxRegression, make_noisy_classes
from softmax_core.solvers import SECONDS_PER_FLOP
from ui import training
from ui.settings import QUOTE_LENGTH, Settings, from_query

from .conftest import (
    APP,
    COMPARE,
    DATA,
    FIX,
    HOME,
    MATH,
    NOTICE,
    RUN,
    STEP,
    STEP10,
    TIMEOUT,
    TRAIN,
    assert_same_run_state,
    check_consistency,
    choose,
    click,
    expected,
    go,
    history_shim_installed,
    iteration,
    metric,
    open_app,
    parameters_shown,
    plain_text_of,
    run_state,
    set_widget,
    summary,
    url,
)

LINK = {
    "n": "50",
    "k": "4",
    "noise": "0.2",
    "seed": "7",
    "lr": "0.05",
    "C": "1.0",
    "solver": "nesterov",
    "iter": "12",
}


@pytest.mark.parametrize("page", [TRAIN, COMPARE, MATH, DATA, HOME])
def test_the_page_writes_its_run_into_streamlits_query_params(page):
    # Through st.query_params, so that the frontend holds the run's query and sends it when
    # a new session starts (a reconnect after a restart): a script that wrote the address bar
    # itself left the frontend with the page's first query, and a reconnect lost the run.
    at = open_app(page=TRAIN)
    click(at, STEP10)
    go(at, page)
    assert url(at) == {  # the seed note, 10 steps on
        "kind": "line",
        "n": "100",
        "k": "3",
        "noise": "0.1",
        "seed": "0",
        "lr": "0.5",
        "C": "none",
        "solver": "gd",
        "tol": "1e-06",
        "max_iter": "1000",
        "iter": "10",
    }
    assert history_shim_installed(at)
    if page == TRAIN:
        click(at, STEP)
        assert url(at)["iter"] == "11"
    reopened = open_app(url(at), page)  # what a reconnect does: a new session from the query
    assert url(reopened) == url(at)


def test_link_reproduces_settings_and_run():
    at = open_app(LINK, TRAIN)
    assert expected(at).settings == Settings(
        n_samples=50, n_classes=4, noise=0.2, seed=7, learning_rate=0.05, C=1.0, solver="nesterov"
    )
    reference = SoftmaxRegression(learning_rate=0.05, C=1.0, solver="nesterov")
    reference.advance(*make_noisy_classes(50, 4, 0.2, random_state=7), n_steps=12)
    shown = parameters_shown(at)
    np.testing.assert_array_equal(shown["w1"], reference.coef_[:, 0])
    np.testing.assert_array_equal(shown["b"], reference.intercept_)
    assert at.number_input(key="w.train.lr").value == 0.05
    assert at.selectbox(key="w.train.C").value == 1.0
    assert at.segmented_control(key="w.train.solver").value == "nesterov"
    assert {name: url(at)[name] for name in LINK} == LINK
    check_consistency(at)
    click(at, STEP10)  # and goes on like the original
    reference.advance(*make_noisy_classes(50, 4, 0.2, random_state=7), n_steps=10)
    np.testing.assert_array_equal(parameters_shown(at)["w1"], reference.coef_[:, 0])
    np.testing.assert_array_equal(parameters_shown(at)["b"], reference.intercept_)
    check_consistency(at)


def test_schedule_link_reproduces_a_learning_rate_change():
    at = open_app({"lr": "0.1", "iter": "30", "sched": "0.5x10,0.1x20"}, TRAIN)
    by_hand = open_app(page=TRAIN)
    click(by_hand, STEP10)
    set_widget(by_hand, "number_input", "w.train.lr", 0.1)
    click(by_hand, STEP10)
    click(by_hand, STEP10)
    assert url(at) == url(by_hand)
    assert_same_run_state(at, run_state(by_hand))
    check_consistency(at)


def test_a_sessions_url_reopens_the_same_run_and_view():
    at = open_app(page=TRAIN)
    click(at, STEP10)
    click(at, "w.train.fix_lr")
    click(at, STEP)
    choose(at, "w.train.rate_preset", "2×")
    set_widget(at, "toggle", "w.view.log_y", True)
    set_widget(at, "toggle", "w.classroom", True)
    reopened = open_app(url(at), TRAIN)
    assert url(reopened) == url(at)
    assert expected(reopened).view == expected(at).view and expected(reopened).classroom
    assert reopened.toggle(key="w.view.log_y").value and reopened.toggle(key="w.classroom").value
    assert_same_run_state(reopened, run_state(at))  # in classroom mode: no parameter table
    check_consistency(reopened)
    click(at, STEP)
    click(reopened, STEP)
    assert_same_run_state(reopened, run_state(at))


@pytest.mark.parametrize(
    "actions",
    [[RUN, FIX], [STEP10, FIX, STEP10], [STEP10, "0.1", STEP10]],
    ids=["seed-run-then-fix", "fix-between-steps", "0.1-between-steps"],
)
def test_a_sessions_url_reopens_exactly_its_run(actions):
    """The lecture's link: the seed's unstable run amplifies any difference in the replay
    (a different summation order at iteration 0 gives another run after 1000 steps)."""
    at = open_app(page=TRAIN)
    for action in actions:
        if action == "0.1":
            set_widget(at, "number_input", "w.train.lr", 0.1)
        else:
            click(at, action)
    reopened = open_app(url(at), TRAIN)
    assert summary(reopened) == summary(at)
    assert metric(reopened, "Loss J") == metric(at, "Loss J")
    assert_same_run_state(reopened, run_state(at))  # every parameter and drawn loss, exactly
    check_consistency(reopened)


# Each view setting away from its default: the link, the page and widget that show it, its
# value there, and the widget's default (None: the page's own default, a row of the data).
VIEWS = [
    ({"ref": "default"}, COMPARE, "segmented_control", "w.view.reference", "default", "same"),
    ({"target": "0"}, TRAIN, "toggle", "w.view.target", False, True),
    ({"logy": "1"}, TRAIN, "toggle", "w.view.log_y", True, False),
    ({"window": "last"}, TRAIN, "segmented_control", "w.view.window", "last", "all"),
    ({"window": "logx"}, TRAIN, "segmented_control", "w.view.window", "logx", "all"),
    ({"point": "7"}, MATH, "number_input", "w.math.point", 7, None),
    ({"speed": "turbo"}, TRAIN, "select_slider", "w.view.speed", "turbo", "fast"),
    ({"classroom": "1"}, DATA, "toggle", "w.classroom", True, False),
    ({"panel": "landscape"}, TRAIN, "segmented_control", "w.view.panel", "landscape", "model"),
    ({"panel": "simplex"}, TRAIN, "segmented_control", "w.view.panel", "simplex", "model"),
    ({"temp": "0.05"}, MATH, "slider", "w.view.temperature", 0.05, 1.0),
    ({"temp": "20.0"}, MATH, "slider", "w.view.temperature", 20.0, 1.0),
]


@pytest.mark.parametrize(
    ("query", "page", "kind", "key", "value", "default"), VIEWS, ids=[str(v[0]) for v in VIEWS]
)
def test_every_view_setting_round_trips_through_a_link(query, page, kind, key, value, default):
    at = open_app(query, page)
    assert getattr(at, kind)(key=key).value == value
    check_consistency(at)
    for other in (TRAIN, COMPARE, MATH, HOME, DATA, page):
        go(at, other)
        assert query.items() <= url(at).items(), other
        check_consistency(at)
    assert getattr(at, kind)(key=key).value == value
    reopened = open_app(url(at), page)
    assert (
        expected(reopened).view == expected(at).view
        and expected(reopened).classroom == expected(at).classroom
    )
    assert getattr(reopened, kind)(key=key).value == value
    if default is not None:  # back to the default: the link drops it
        set_widget(at, kind, key, default)
        assert not query.keys() & url(at).keys()
        check_consistency(at)


def test_the_landscapes_plane_round_trips_through_a_link():
    """The plane's control shows only with the landscape, so its link names the panel too."""
    query = {"panel": "landscape", "plane": "steepest", "iter": "5"}
    at = open_app(query, TRAIN)
    assert at.segmented_control(key="w.view.plane").value == "steepest"
    assert query.items() <= url(at).items()
    check_consistency(at)
    reopened = open_app(url(at), TRAIN)
    assert expected(reopened).view == expected(at).view
    assert reopened.segmented_control(key="w.view.plane").value == "steepest"
    choose(at, "w.view.plane", "start")
    assert "plane" not in url(at) and url(at)["panel"] == "landscape"
    check_consistency(at)
    choose(at, "w.view.panel", "model")
    assert not {"plane", "panel"} & url(at).keys()
    assert not [c for c in at.segmented_control if c.key == "w.view.plane"]
    check_consistency(at)


@pytest.mark.parametrize("classroom", [False, True], ids=["normal", "classroom"])
def test_share_links_hold_the_run_for_students_and_the_presenter(classroom):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.context = {"url": "http://lab.example/Train?kind=line&iter=0"}
    if classroom:
        at.query_params["classroom"] = "1"
    at.switch_page(TRAIN).run()
    assert not at.code  # "Share this run" draws its links only while open
    at.session_state[training.SHARE_KEY] = True
    click(at, STEP10)
    links = [code.value for code in at.code]
    assert len(links) == (2 if classroom else 1)
    base, query = links[0].split("?")
    assert base == "http://lab.example/Train"
    students = {name: value for name, value in url(at).items() if name != "classroom"}
    assert dict(parse_qsl(query)) == students
    if classroom:
        assert dict(parse_qsl(links[1].split("?")[1])) == url(at)
        assert url(at)["classroom"] == "1"
    check_consistency(at)


def test_state_survives_page_switches():
    at = open_app(LINK, TRAIN)
    click(at, STEP10)
    before = run_state(at)
    for page in (DATA, COMPARE, MATH, HOME, TRAIN):
        go(at, page)
        assert url(at)["iter"] == "22"
        check_consistency(at)
    assert_same_run_state(at, before)
    click(at, "w.train.back")
    assert iteration(at) == 12  # the history survived too
    check_consistency(at)


def notice_items(at) -> list[str]:
    text = next(w.value for w in at.warning if w.value.startswith(NOTICE))
    return [line.removeprefix("- ") for line in text.split("\n\n", 1)[1].split("\n")]


# A link's value, and what its line of the notice must show of it: every character that
# markdown could read as markup comes backslash-escaped, so the text shows as typed.
BAD_LINKS = [
    ({"n": "![](http://host/x.gif)"}, r"n\=\'\!\[\]\(http\:\/\/host\/x\.gif\)\'\:"),
    ({"sched": "**bold**x1", "iter": "1"}, r"sched\=\'\*\*bold\*\*x1\'\:"),
    ({"n": "１２"}, r"n\=\'１２\'\: must be a whole number from 10 to 100,000"),
    ({"classroom": "yes"}, r"classroom\=\'yes\'\: must be 1 or 0; classroom mode off"),
    ({"n": "<img src=x onerror=alert(1)>"}, r"\<img src\=x onerror\=alert\(1\)\>"),
    ({"seed": "1_000"}, r"seed\=\'1\_000\'\: must be a whole number"),
    ({"lr": "1e400"}, r"lr\=\'1e400\'\: must be auto or a number from 1e\-06 to 1e\+06"),
    (  # whitespace runs as one space (softmax_core.text.plain)
        {"kind": "line\nblobs"},
        r"kind\=\'line blobs\'\: must be one of line, blobs, iris, wine, upload; using the default",
    ),
    (
        {"kind": "line\x00blobs"},
        r"kind\=\'line?blobs\'\: must be one of line, blobs, iris, wine, upload; using the default",
    ),
]


@pytest.mark.parametrize(("query", "shown"), BAD_LINKS, ids=[str(q) for q, _ in BAD_LINKS])
def test_a_bad_value_gives_a_short_plain_text_notice_and_the_default(query, shown):
    at = open_app(query, TRAIN)
    items = notice_items(at)
    assert len(items) == 1
    assert items[0].startswith(shown) or shown in items[0]
    assert "invalid literal" not in items[0] and "Exceeds the limit" not in items[0]
    assert at.get("image") == []
    assert from_query(url(at)).problems == []  # the URL now holds what is used
    check_consistency(at)
    click(at, "w.notice.dismiss")
    assert not [w for w in at.warning if w.value.startswith(NOTICE)]
    check_consistency(at)


@pytest.mark.parametrize("name", ["n", "seed", "lr", "sched", "kind", "iter", "classroom"])
def test_a_five_thousand_character_value_is_cut(name):
    raw = "9" * 5000 if name in ("n", "seed", "iter") else "x" * 5000
    at = open_app({name: raw, "iter": "3"} if name == "sched" else {name: raw}, TRAIN)
    items = notice_items(at)
    assert len(items) == 1
    assert len(items[0]) < 300
    quoted = ("9" if raw[0] == "9" else "x") * (QUOTE_LENGTH - 1) + "…"
    assert quoted in plain_text_of(items[0])
    check_consistency(at)


def test_every_problem_of_a_tampered_link_is_named_and_the_url_is_clean():
    bad = {"n": "abc", "k": "99", "lr": "nan", "C": "0", "solver": "lbfgs", "noise": "2"}
    at = open_app(bad | {"seed": "-1", "iter": "-5", "window": "none", "ref": "x"}, TRAIN)
    assert expected(at).settings == Settings()
    items = notice_items(at)
    assert [item.split("\\=")[0] for item in items] == [
        "n", "k", "noise", "seed", "lr", "C", "solver", "ref", "window", "iter"
    ]  # fmt: skip
    assert from_query(url(at)).problems == []
    check_consistency(at)


def test_iterations_beyond_the_replay_budget_are_cut_with_a_notice(monkeypatch):
    """The budget is lowered here: a link replays at most STEP_SECONDS' worth of the core's
    estimated work (seconds, in the app), set here to 400.5 iterations of gd on these
    100 points."""
    cost = Settings(learning_rate=0.1).iteration_cost()
    monkeypatch.setattr(ui.settings, "STEP_SECONDS", 400.5 * cost * SECONDS_PER_FLOP)
    assert Settings(learning_rate=0.1).replay_budget() == 400
    at = open_app({"iter": "500", "lr": "0.1", "sched": "0.5x300,0.1x200"}, TRAIN)
    assert [plain_text_of(item) for item in notice_items(at)] == [
        "iter=500 is more than a link may replay on 100 points with gd; restored the "
        "first 400 iterations"
    ]
    assert iteration(at) == 400
    assert url(at)["sched"] == "0.5x300,0.1x100"
    check_consistency(at)


def test_unknown_parameters_are_ignored():
    at = open_app({"utm_source": "mail", "iter": "3"}, TRAIN)
    assert expected(at).n_iter == 3
    assert not [w for w in at.warning if w.value.startswith(NOTICE)]
    assert "utm_source" not in url(at)
    check_consistency(at)


def test_a_link_that_diverges_opens_diverged_and_says_so():
    at = open_app({"lr": "1000000", "iter": "5"}, TRAIN)
    assert metric(at, "Converged") == "diverged" and iteration(at) == 1
    assert expected(at).model.diverged_
    assert url(at)["iter"] == "1"
    check_consistency(at)


def test_a_link_with_values_outside_the_choices_keeps_them():
    at = open_app({"C": "0.5", "tol": "1e-07", "iter": "5"}, TRAIN)
    assert at.selectbox(key="w.train.C").value == 0.5
    assert at.select_slider(key="w.train.tol").value == 1e-07
    assert (url(at)["C"], url(at)["tol"]) == ("0.5", "1e-07")
    assert math.isclose(expected(at).settings.C, 0.5)
    check_consistency(at)
