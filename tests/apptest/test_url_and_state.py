"""The address bar holds the run: links reproduce it, bad links fall back with a notice, and
the session's state survives page switches."""

import math

import numpy as np
import pytest

from softmax_core import SoftmaxRegression, make_noisy_classes
from ui.settings import Settings, from_query

from .conftest import (
    COMPARE,
    DATA,
    MATH,
    TRAIN,
    charts,
    check_consistency,
    click,
    go,
    iteration,
    metric,
    model_of,
    open_app,
    run_of,
    set_widget,
    settings_of,
    texts,
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


def notice(at) -> str:
    """The text of the notice about the link (the first warning on the page), or ''."""
    found = [w for w in texts(at, "warning") if "Unstable learning rate" not in w]
    return found[0] if found else ""


def test_link_reproduces_settings_and_run():
    at = open_app(LINK, TRAIN)
    assert settings_of(at) == Settings(
        kind="line",
        n_samples=50,
        n_classes=4,
        noise=0.2,
        seed=7,
        learning_rate=0.05,
        C=1.0,
        solver="nesterov",
    )
    assert iteration(at) == model_of(at).n_iter_ == 12
    reference = SoftmaxRegression(learning_rate=0.05, C=1.0, solver="nesterov")
    reference.advance(*make_noisy_classes(50, 4, 0.2, random_state=7), n_steps=12)
    np.testing.assert_array_equal(model_of(at).coef_, reference.coef_)
    np.testing.assert_array_equal(model_of(at).intercept_, reference.intercept_)
    # The widgets show the link's settings, and the URL keeps them.
    assert at.number_input(key="w.train.lr").value == 0.05
    assert at.selectbox(key="w.train.C").value == 1.0
    assert at.radio(key="w.train.solver").value == "nesterov"
    assert {name: url(at)[name] for name in LINK} == LINK
    assert not notice(at)
    check_consistency(at)


def test_link_run_goes_on_like_the_original():
    at = open_app(LINK, TRAIN)
    click(at, "w.train.step10")
    reference = SoftmaxRegression(learning_rate=0.05, C=1.0, solver="nesterov")
    reference.advance(*make_noisy_classes(50, 4, 0.2, random_state=7), n_steps=22)
    np.testing.assert_array_equal(model_of(at).coef_, reference.coef_)
    assert url(at)["iter"] == "22"
    assert "sched" not in url(at)


def test_schedule_link_reproduces_a_learning_rate_change():
    at = open_app({"lr": "0.1", "iter": "30", "sched": "0.5x10,0.1x20"}, TRAIN)
    by_hand = open_app(page=TRAIN)
    click(by_hand, "w.train.step10")
    set_widget(by_hand, "number_input", "w.train.lr", 0.1)
    click(by_hand, "w.train.step10")
    click(by_hand, "w.train.step10")
    assert iteration(at) == iteration(by_hand) == 30
    np.testing.assert_array_equal(model_of(at).coef_, model_of(by_hand).coef_)
    np.testing.assert_array_equal(model_of(at).intercept_, model_of(by_hand).intercept_)
    assert metric(at, "Loss J") == metric(by_hand, "Loss J")
    assert url(at) == url(by_hand)
    assert url(at)["sched"] == "0.5x10,0.1x20"
    check_consistency(at)


def test_url_of_a_session_reopens_the_same_run():
    at = open_app(page=TRAIN)
    click(at, "w.train.step10")
    set_widget(at, "number_input", "w.train.lr", 0.1)
    click(at, "w.train.step10")
    set_widget(at, "toggle", "w.train.lr_auto", True)
    click(at, "w.train.step")
    assert url(at)["sched"] == "0.5x10,0.1x10,autox1"
    reopened = open_app(url(at), TRAIN)
    assert settings_of(reopened) == settings_of(at)
    np.testing.assert_array_equal(model_of(reopened).coef_, model_of(at).coef_)
    assert url(reopened) == url(at)
    assert not notice(reopened)


def new_rate(at):
    set_widget(at, "number_input", "w.train.lr", 0.1)


def fix(at):
    click(at, "w.train.fix_lr")


def new_rate_step_back(at):
    new_rate(at)
    click(at, "w.train.step")
    click(at, "w.train.back")


@pytest.mark.parametrize("action", [new_rate, fix, new_rate_step_back])
def test_url_reopens_the_same_run_after_a_rate_change_without_steps(action):
    """The rate changed after the last step: the link must replay the old rate."""
    at = open_app(page=TRAIN)
    click(at, "w.train.step10")
    action(at)
    assert url(at)["sched"] == "0.5x10"
    reopened = open_app(url(at), TRAIN)
    assert settings_of(reopened) == settings_of(at)
    np.testing.assert_array_equal(model_of(reopened).coef_, model_of(at).coef_)
    assert not notice(reopened)
    # Both go on with the new rate.
    click(at, "w.train.step")
    click(reopened, "w.train.step")
    np.testing.assert_array_equal(model_of(reopened).coef_, model_of(at).coef_)
    assert url(reopened) == url(at)


def test_lowering_max_iter_keeps_a_url_that_parses():
    at = open_app(page=TRAIN)
    click(at, "w.train.step10")
    set_widget(at, "number_input", "w.train.max_iter", 5)
    assert from_query(url(at)).problems == []


def test_link_with_a_penalty_outside_the_choices_keeps_its_run():
    at = open_app({"C": "0.5", "iter": "5"}, TRAIN)
    assert settings_of(at).C == 0.5
    assert at.selectbox(key="w.train.C").value == 0.5
    assert iteration(at) == 5
    assert not texts(at, "info")
    check_consistency(at)


@pytest.mark.parametrize("tol", ["1e-07", "0.05"])
def test_link_with_a_tolerance_outside_the_choices_keeps_it(tol):
    at = open_app({"tol": tol, "iter": "5"}, TRAIN)
    assert settings_of(at).tol == float(tol)
    assert at.select_slider(key="w.train.tol").value == float(tol)
    assert url(at)["tol"] == tol
    assert iteration(at) == 5


def test_a_link_that_diverges_says_so():
    at = open_app({"lr": "1000000", "iter": "5"}, TRAIN)
    assert model_of(at).diverged_
    assert texts(at, "error") or notice(at)


def test_a_link_that_diverges_stays_consistent():
    at = open_app({"lr": "1000000", "iter": "5"}, TRAIN)
    check_consistency(at)
    click(at, "w.train.step")
    assert texts(at, "error") == ["This run diverged. Press Back or Reset before training on."]
    check_consistency(at)


def test_state_survives_page_switches():
    at = open_app(LINK, TRAIN)
    click(at, "w.train.step10")
    coef = model_of(at).coef_.copy()
    shown = metric(at, "Loss J")
    for page in (DATA, COMPARE, MATH, "app.py", TRAIN):
        go(at, page)
        assert run_of(at).n_iter == 22
        np.testing.assert_array_equal(model_of(at).coef_, coef)
        assert url(at)["iter"] == "22"
    assert iteration(at) == 22
    assert metric(at, "Loss J") == shown
    assert at.number_input(key="w.train.lr").value == 0.05
    assert at.selectbox(key="w.train.C").value == 1.0
    assert not texts(at, "info")
    click(at, "w.train.back")
    assert iteration(at) == 12  # the history survived too
    check_consistency(at)


WIDGET_CHANGES = [
    # page, widget type, key, new value, settings field
    (TRAIN, "number_input", "w.train.lr", 0.2, "learning_rate"),
    (TRAIN, "selectbox", "w.train.C", 10.0, "C"),
    (TRAIN, "radio", "w.train.solver", "nesterov", "solver"),
    (TRAIN, "select_slider", "w.train.tol", 1e-4, "tol"),
    (DATA, "number_input", "w.data.n_samples", 80, "n_samples"),
    (DATA, "radio", "w.data.kind", "blobs", "kind"),
]


@pytest.mark.parametrize(
    ("page", "kind", "key", "value", "field"), WIDGET_CHANGES, ids=[c[2] for c in WIDGET_CHANGES]
)
def test_widget_settings_survive_a_page_switch(page, kind, key, value, field):
    at = open_app(page=page)
    set_widget(at, kind, key, value)
    go(at, TRAIN)
    click(at, "w.train.step")
    go(at, MATH)
    go(at, page)
    assert getattr(settings_of(at), field) == value
    assert run_of(at).n_iter == 1


BAD = {
    "n": "abc",
    "k": "99",
    "lr": "nan",
    "C": "0",
    "solver": "sgd",
    "noise": "2",
    "seed": "-1",
    "kind": "cube",
    "tol": "1",
    "max_iter": "0",
}


def test_tampered_link_falls_back_to_defaults_with_a_notice():
    at = open_app(BAD | {"iter": "-5"}, TRAIN)
    assert settings_of(at) == Settings()
    assert iteration(at) == 0
    text = notice(at)
    for name, value in (BAD | {"iter": "-5"}).items():
        assert f"{name}={value!r}" in text
    assert "n='abc' (not a valid value)" in text
    assert "k='99' (must be a whole number from 2 to 6)" in text
    # The URL now holds the defaults, and parses cleanly.
    assert from_query(url(at)).problems == []
    check_consistency(at)
    click(at, "w.notice.dismiss")
    assert not notice(at)
    assert not any(b.key == "w.notice.dismiss" for b in at.button)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("n", "abc"),
        ("n", "10000000"),
        ("n", "5"),
        ("k", "99"),
        ("k", "1"),
        ("lr", "nan"),
        ("lr", "-1"),
        ("lr", "inf"),
        ("lr", "1e7"),
        ("C", "0"),
        ("C", "-3"),
        ("C", "inf"),
        ("solver", "sgd"),
        ("noise", "2"),
        ("noise", "-0.1"),
        ("seed", "1.5"),
        ("seed", str(2**32)),
        ("tol", "nan"),
        ("max_iter", "1000000"),
        ("iter", "-5"),
        ("iter", "99999999999999999999"),
        ("iter", "100001"),
        ("kind", "LINE"),
    ],
)
def test_each_bad_parameter_is_named_in_the_notice(name, value):
    at = open_app({name: value})
    assert settings_of(at) == Settings()
    assert run_of(at).n_iter == 0
    text = notice(at)
    assert f"{name}={value!r}" in text
    assert url(at)["iter"] == "0"


def test_bad_schedule_is_named_and_the_run_uses_the_rate():
    at = open_app({"lr": "0.1", "iter": "10", "sched": "garbage"}, TRAIN)
    assert "sched='garbage' (segments look like 0.5x120)" in notice(at)
    reference = SoftmaxRegression(learning_rate=0.1).advance(*make_noisy_classes(), n_steps=10)
    np.testing.assert_array_equal(model_of(at).coef_, reference.coef_)
    check_consistency(at)


def test_schedule_that_does_not_add_up_is_named():
    at = open_app({"lr": "0.1", "iter": "10", "sched": "0.5x5,0.1x6"}, TRAIN)
    assert "does not add up to iter" in notice(at)
    assert iteration(at) == 10
    assert "sched" not in url(at)


def test_auto_rate_in_a_link():
    at = open_app({"lr": "auto", "iter": "20"}, TRAIN)
    assert settings_of(at).learning_rate is None
    assert at.toggle(key="w.train.lr_auto").value is True
    reference = SoftmaxRegression().advance(*make_noisy_classes(), n_steps=20)
    np.testing.assert_array_equal(model_of(at).coef_, reference.coef_)
    assert url(at)["lr"] == "auto"


def test_unknown_parameters_are_ignored():
    at = open_app({"utm_source": "mail", "iter": "3"})
    assert run_of(at).n_iter == 3
    assert not notice(at)


def test_classroom_link_turns_classroom_mode_on():
    at = open_app({"classroom": "1"})
    assert at.toggle(key="w.classroom").value is True
    assert url(at)["classroom"] == "1"


def chart_heights(at) -> set[int]:
    return {figure["layout"]["height"] for figure in charts(at).values()}


def test_classroom_toggle_hides_the_settings_and_is_kept_in_the_url(train_app):
    assert any(n.key == "w.train.lr" for n in train_app.number_input)
    set_widget(train_app, "toggle", "w.classroom", True)
    assert not any(n.key == "w.train.lr" for n in train_app.number_input)
    assert not any(r.key == "w.train.solver" for r in train_app.radio)
    assert url(train_app)["classroom"] == "1"
    click(train_app, "w.train.step")  # training still works
    assert iteration(train_app) == 1
    assert url(train_app)["classroom"] == "1"
    assert chart_heights(train_app) == {620}
    set_widget(train_app, "toggle", "w.classroom", False)
    assert any(n.key == "w.train.lr" for n in train_app.number_input)
    assert "classroom" not in url(train_app)


@pytest.mark.parametrize("start", [{"classroom": "1"}, {}])
def test_classroom_mode_survives_page_switches(start):
    at = open_app(start)
    if not start:
        set_widget(at, "toggle", "w.classroom", True)
    go(at, TRAIN)
    assert not any(n.key == "w.train.lr" for n in at.number_input)
    assert url(at).get("classroom") == "1"


def test_url_is_written_on_every_page():
    at = open_app(page=TRAIN)
    click(at, "w.train.step10")
    expected = url(at)
    for page in (DATA, COMPARE, MATH, "app.py"):
        go(at, page)
        assert url(at) == expected


def test_written_url_is_canonical():
    at = open_app({"n": " 50 ", "lr": "5e-2", "C": "1", "noise": ".2", "iter": "3"})
    written = url(at)
    assert written["n"] == "50"
    assert written["lr"] == "0.05"
    assert written["C"] == "1.0"
    assert written["noise"] == "0.2"
    assert from_query(written).settings == settings_of(at)
    assert written["tol"] == "1e-06"


def test_seed_note_preset_from_any_page_resets_settings_and_run():
    at = open_app(LINK, MATH)
    click(at, "w.sidebar.seed_preset")
    assert settings_of(at) == Settings()
    assert run_of(at).n_iter == 0
    go(at, TRAIN)
    assert at.number_input(key="w.train.lr").value == 0.5
    assert at.radio(key="w.train.solver").value == "gd"
    assert at.selectbox(key="w.train.C").value == math.inf
    check_consistency(at)
