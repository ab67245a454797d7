"""Back: every action that replaces or moves the run can be undone exactly, and Back again
goes further back (issue "The lecture on one screen")."""

import pytest

from .conftest import (
    BACK,
    DATA,
    OPTIMUM,
    RESET,
    STEP,
    STEP10,
    TRAIN,
    assert_same_run_state,
    check_consistency,
    choose,
    click,
    expected,
    go,
    iteration,
    open_app,
    run_state,
    set_widget,
    toasts,
)

# Not the seed note's settings, so that the seed preset changes them.
START = {"n": "60", "k": "3", "lr": "0.1"}


def reset(at):
    click(at, RESET)


def new_penalty(at):
    set_widget(at, "selectbox", "w.train.C", 1.0)


def new_solver(at):
    choose(at, "w.train.solver", "nesterov")


def new_data(at):
    go(at, DATA)
    set_widget(at, "slider", "w.data.n_classes", 4)
    go(at, TRAIN)


def seed_preset(at):
    click(at, "w.sidebar.seed_preset")


def run_to_optimum(at):
    click(at, OPTIMUM)


ACTIONS = [reset, new_penalty, new_solver, new_data, seed_preset, run_to_optimum]


@pytest.mark.parametrize("action", ACTIONS, ids=[a.__name__ for a in ACTIONS])
def test_back_restores_the_previous_run_exactly_and_again_goes_further(action):
    at = open_app(START, TRAIN)
    click(at, STEP10)
    at_ten = run_state(at)
    click(at, STEP)
    before = run_state(at)
    action(at)
    after = run_state(at)
    assert after["run"] != before["run"]
    check_consistency(at)
    click(at, BACK)
    assert_same_run_state(at, before)
    check_consistency(at)
    click(at, BACK)
    assert_same_run_state(at, at_ten)
    check_consistency(at)


@pytest.mark.parametrize("action", [reset, new_solver], ids=["reset", "solver"])
def test_back_to_the_previous_run_says_where_it_is(action):
    at = open_app(START, TRAIN)
    click(at, STEP10)
    action(at)
    assert toasts(at)[0].startswith("Training restarted from iteration 0 because ")
    click(at, BACK)
    assert toasts(at) == ["Back to the previous run, at iteration 10."]
    # The run trains on after coming back, at its own settings.
    click(at, STEP)
    assert iteration(at) == 11
    assert at.segmented_control(key="w.train.solver").value == "gd"
    assert expected(at).settings.solver == "gd"
    check_consistency(at)


def test_back_walks_through_several_replaced_runs():
    at = open_app(START, TRAIN)
    click(at, STEP)
    states = [run_state(at)]
    for value in (10.0, 1.0, 0.1):
        set_widget(at, "selectbox", "w.train.C", value)
        click(at, STEP10)
        states.append(run_state(at))
    for state in reversed(states[:-1]):
        click(at, BACK)  # the run's own step
        click(at, BACK)  # the run it replaced
        assert_same_run_state(at, state)
        check_consistency(at)
