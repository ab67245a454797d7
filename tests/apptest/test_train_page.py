"""The Train page: every button, the settings that keep or restart a run, and the numbers."""

import re

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from softmax_core import SoftmaxRegression, make_noisy_classes

from .conftest import (
    DATA,
    LOG3,
    TRAIN,
    assert_charts_finite,
    chart_data,
    check_consistency,
    click,
    go,
    iteration,
    loss,
    metric,
    model_of,
    open_app,
    run_of,
    set_widget,
    settings_of,
    texts,
    url,
)

STEP, STEP10, RUN, PLAY, PAUSE, BACK, RESET, FIX = (
    "w.train.step",
    "w.train.step10",
    "w.train.run",
    "w.train.play",
    "w.train.pause",
    "w.train.back",
    "w.train.reset",
    "w.train.fix_lr",
)


def has_button(at, key: str) -> bool:
    return any(button.key == key for button in at.button)


def set_lr(at, value: float):
    return set_widget(at, "number_input", "w.train.lr", value)


def test_starts_at_iteration_zero_with_loss_log3(train_app):
    assert iteration(train_app) == 0
    assert metric(train_app, "Loss J") == f"{LOG3:.6f}" == "1.098612"
    assert metric(train_app, "Converged") == "no"
    assert metric(train_app, "Training accuracy").endswith("%")
    losses = chart_data(train_app, "w.train.loss_chart")["data"][0]["y"]
    np.testing.assert_allclose(losses, [LOG3], rtol=1e-15)
    check_consistency(train_app)


def test_step_moves_one_iteration_and_changes_the_loss(train_app):
    click(train_app, STEP)
    assert iteration(train_app) == 1
    assert loss(train_app) != pytest.approx(LOG3)
    # The loss chart holds J before the step and J now.
    losses = chart_data(train_app, "w.train.loss_chart")["data"][0]["y"]
    assert losses.shape == (2,)
    assert losses[0] == pytest.approx(LOG3, rel=1e-15)
    assert f"{losses[-1]:.6f}" == metric(train_app, "Loss J")
    check_consistency(train_app)
    click(train_app, STEP)
    assert iteration(train_app) == 2
    check_consistency(train_app)


def test_step10_moves_ten_iterations(train_app):
    click(train_app, STEP10)
    assert iteration(train_app) == 10
    click(train_app, STEP10)
    assert iteration(train_app) == 20
    assert chart_data(train_app, "w.train.loss_chart")["data"][0]["y"].shape == (21,)
    check_consistency(train_app)


@pytest.mark.parametrize("action", [STEP, STEP10, RUN])
def test_back_undoes_the_last_action_exactly(train_app, action):
    click(train_app, STEP10)
    shown = metric(train_app, "Iteration"), metric(train_app, "Loss J")
    before = model_of(train_app).snapshot()
    click(train_app, action)
    assert iteration(train_app) > 10
    click(train_app, BACK)
    assert (metric(train_app, "Iteration"), metric(train_app, "Loss J")) == shown
    model = model_of(train_app)
    np.testing.assert_array_equal(model.coef_, before.coef)
    np.testing.assert_array_equal(model.intercept_, before.intercept)
    check_consistency(train_app)
    # And once more, back to the start.
    click(train_app, BACK)
    assert iteration(train_app) == 0
    assert metric(train_app, "Loss J") == "1.098612"
    check_consistency(train_app)


def test_back_with_nothing_to_undo_says_so(train_app):
    click(train_app, BACK)
    assert iteration(train_app) == 0
    assert any("Nothing to undo" in text for text in texts(train_app, "info"))
    check_consistency(train_app)


def test_reset_returns_to_iteration_zero_and_log3(train_app):
    click(train_app, STEP10)
    click(train_app, STEP)
    click(train_app, RESET)
    assert iteration(train_app) == 0
    assert metric(train_app, "Loss J") == "1.098612"
    assert not run_of(train_app).history
    assert run_of(train_app).schedule == []
    np.testing.assert_array_equal(model_of(train_app).coef_, 0.0)
    check_consistency(train_app)


@pytest.mark.parametrize(
    "widgets",
    [
        {"w.train.lr_auto": True, "w.train.solver": "nesterov"},
        {"w.train.lr_auto": True, "w.train.max_iter": 100_000},
        {"w.train.solver": "nesterov", "w.train.lr": 0.05},
    ],
    ids=["auto-nesterov", "auto-gd", "nesterov-0.05"],
)
def test_run_to_convergence_on_stable_settings(train_app, widgets):
    kinds = {
        "w.train.lr_auto": "toggle",
        "w.train.lr": "number_input",
        "w.train.solver": "radio",
        "w.train.max_iter": "number_input",
    }
    for key, value in widgets.items():
        set_widget(train_app, kinds[key], key, value)
    click(train_app, RUN)
    messages = [
        re.fullmatch(
            r"Converged after ([\d,]+) more iterations: the loss changed by less than "
            r"tol = 1e-06\.",
            text,
        )
        for text in texts(train_app, "success")
    ]
    found = [m for m in messages if m]
    assert len(found) == 1, texts(train_app, "success")
    assert iteration(train_app) == int(found[0].group(1).replace(",", "")) < 100_000
    assert metric(train_app, "Converged") == "yes"
    assert model_of(train_app).converged_
    assert not texts(train_app, "warning")
    check_consistency(train_app)


def test_seed_settings_run_to_max_iter_unconverged_and_unstable(train_app):
    click(train_app, RUN)
    warnings = texts(train_app, "warning")
    assert any(
        w.startswith("Not converged after 1,000 more iterations (max_iter = 1,000)")
        for w in warnings
    )
    assert metric(train_app, "Converged") == "no"
    assert iteration(train_app) == 1000
    stability = [w for w in warnings if w.startswith("**Unstable learning rate.**")]
    assert len(stability) == 1
    assert "lr = 0.5 is 4.3× the stable limit 2/L = 0.1168" in stability[0]
    assert has_button(train_app, FIX)
    assert train_app.button(key=FIX).label == "Fix: use the stable rate 1/L = 0.05839"
    check_consistency(train_app)


def test_stability_warning_is_shown_before_any_step(train_app):
    stability = [w for w in texts(train_app, "warning") if "Unstable learning rate" in w]
    assert stability and "4.3×" in stability[0] and "2/L = 0.1168" in stability[0]
    assert has_button(train_app, FIX)


def test_fix_switches_to_auto_and_keeps_the_run(train_app):
    click(train_app, STEP10)
    coef = model_of(train_app).coef_.copy()
    click(train_app, FIX)
    assert train_app.toggle(key="w.train.lr_auto").value is True
    assert train_app.number_input(key="w.train.lr").disabled
    assert settings_of(train_app).learning_rate is None
    assert url(train_app)["lr"] == "auto"
    assert iteration(train_app) == 10
    np.testing.assert_array_equal(model_of(train_app).coef_, coef)
    check_consistency(train_app)
    # The next step uses 1/L and the page says the rate is stable.
    click(train_app, STEP)
    assert iteration(train_app) == 11
    assert model_of(train_app).learning_rate_ == pytest.approx(0.05839, rel=1e-3)
    assert any("Stable learning rate" in s for s in texts(train_app, "success"))
    assert not has_button(train_app, FIX)
    assert url(train_app)["sched"] == "0.5x10,autox1"
    check_consistency(train_app)


def test_stability_panel_follows_the_chosen_learning_rate(train_app):
    click(train_app, STEP10)
    click(train_app, FIX)
    assert not has_button(train_app, FIX)
    assert not any("Unstable learning rate" in w for w in texts(train_app, "warning"))


def test_stable_learning_rate_shows_success_and_no_fix_button(train_app):
    set_lr(train_app, 0.1)
    click(train_app, STEP)
    assert any(
        s.startswith("**Stable learning rate.** lr = 0.1 is 0.86× the limit 2/L = 0.1168")
        for s in texts(train_app, "success")
    )
    assert not has_button(train_app, FIX)


def test_huge_learning_rate_diverges_without_exception_or_nan(train_app):
    set_lr(train_app, 1e6)
    click(train_app, STEP10)
    errors = texts(train_app, "error")
    assert len(errors) == 1
    assert errors[0].startswith("training diverged at iteration 1")
    assert errors[0].endswith("then press Back or Reset.")
    assert model_of(train_app).diverged_
    assert iteration(train_app) == 1
    assert_charts_finite(train_app)
    losses = chart_data(train_app, "w.train.loss_chart")["data"][0]["y"]
    assert np.all(np.isfinite(losses)) and losses[0] == pytest.approx(LOG3)
    check_consistency(train_app)
    for action in (STEP, STEP10, RUN):
        click(train_app, action)
        assert texts(train_app, "error") == [
            "This run diverged. Press Back or Reset before training on."
        ]
        assert iteration(train_app) == 1
        check_consistency(train_app)
    click(train_app, RESET)
    assert iteration(train_app) == 0
    assert not texts(train_app, "error")
    check_consistency(train_app)


def test_back_after_divergence_trains_on(train_app):
    set_lr(train_app, 1e6)
    click(train_app, STEP10)
    click(train_app, BACK)
    assert iteration(train_app) == 0
    assert not model_of(train_app).diverged_
    set_lr(train_app, 0.1)
    click(train_app, STEP10)
    assert iteration(train_app) == 10
    assert not texts(train_app, "error")
    check_consistency(train_app)


def test_one_step_with_a_huge_learning_rate_reports_divergence(train_app):
    set_lr(train_app, 1e6)
    click(train_app, STEP)
    assert texts(train_app, "error")


def test_changing_the_learning_rate_keeps_the_run(train_app):
    click(train_app, STEP10)
    coef = model_of(train_app).coef_.copy()
    set_lr(train_app, 0.1)
    assert iteration(train_app) == 10
    np.testing.assert_array_equal(model_of(train_app).coef_, coef)
    assert not texts(train_app, "info")
    click(train_app, STEP10)
    assert iteration(train_app) == 20
    assert run_of(train_app).schedule == [(0.5, 10), (0.1, 10)]
    assert url(train_app)["sched"] == "0.5x10,0.1x10"
    check_consistency(train_app)


@pytest.mark.parametrize(
    ("kind", "key", "value"),
    [
        ("number_input", "w.train.max_iter", 500),
        ("select_slider", "w.train.tol", 1e-4),
        ("toggle", "w.train.lr_auto", True),
    ],
)
def test_trainer_settings_that_keep_the_run(train_app, kind, key, value):
    click(train_app, STEP10)
    set_widget(train_app, kind, key, value)
    assert iteration(train_app) == 10
    assert not texts(train_app, "info")
    check_consistency(train_app)


@pytest.mark.parametrize(
    ("kind", "key", "value"),
    [("selectbox", "w.train.C", 1.0), ("radio", "w.train.solver", "nesterov")],
)
def test_changing_the_objective_restarts_the_run(train_app, kind, key, value):
    click(train_app, STEP10)
    set_widget(train_app, kind, key, value)
    assert iteration(train_app) == 0
    assert metric(train_app, "Loss J") == "1.098612"
    assert texts(train_app, "info") == [
        "Training restarted from iteration 0 because the objective changed."
    ]
    assert not run_of(train_app).history
    check_consistency(train_app)
    click(train_app, STEP)
    assert iteration(train_app) == 1
    assert not texts(train_app, "info")


def test_penalty_changes_the_objective_value(train_app):
    set_widget(train_app, "selectbox", "w.train.C", 0.01)
    click(train_app, STEP10)
    model = model_of(train_app)
    unpenalised = SoftmaxRegression(learning_rate=0.5).advance(*make_noisy_classes(), n_steps=10)
    assert model.C == 0.01
    assert loss(train_app) != pytest.approx(unpenalised.objective(*make_noisy_classes()))
    assert url(train_app)["C"] == "0.01"


def test_play_pause(train_app):
    click(train_app, PLAY)
    assert train_app.button(key=PAUSE).label == "Pause" and not has_button(train_app, PLAY)
    first = iteration(train_app)
    assert first <= 1
    for tick in (1, 2, 3):
        train_app.run()
        assert iteration(train_app) == first + tick  # "fast": one step per tick
        check_consistency(train_app)
    click(train_app, PAUSE)
    assert train_app.button(key=PLAY).label == "Play" and not has_button(train_app, PAUSE)
    stopped = iteration(train_app)
    train_app.run()
    train_app.run()
    assert iteration(train_app) == stopped
    check_consistency(train_app)


def test_play_turbo_takes_five_steps_per_tick(train_app):
    set_widget(train_app, "select_slider", "w.train.speed", "turbo")
    click(train_app, PLAY)
    first = iteration(train_app)
    train_app.run()
    assert iteration(train_app) == first + 5
    train_app.run()
    assert iteration(train_app) == first + 10
    click(train_app, PAUSE)
    assert train_app.button(key=PLAY).label == "Play"
    check_consistency(train_app)


def test_back_undoes_one_play_tick(train_app):
    click(train_app, PLAY)
    train_app.run()
    click(train_app, PAUSE)
    n_iter = iteration(train_app)
    click(train_app, BACK)
    assert iteration(train_app) == n_iter - 1
    check_consistency(train_app)


def test_play_stops_at_max_iter():
    at = open_app({"max_iter": "12", "iter": "10"}, TRAIN)
    click(at, PLAY)
    at.run()
    assert iteration(at) == 12
    assert at.button(key=PLAY).label == "Play"
    at.run()
    assert iteration(at) == 12
    check_consistency(at)


def test_max_iter_blocks_step_with_a_warning(train_app):
    set_widget(train_app, "number_input", "w.train.max_iter", 15)
    click(train_app, STEP10)
    click(train_app, STEP10)
    assert iteration(train_app) == 15  # Step ×10 stops at max_iter
    check_consistency(train_app)
    for action in (STEP, STEP10, RUN):
        click(train_app, action)
        assert iteration(train_app) == 15
        assert "Reached max_iter = 15. Raise it to go on." in texts(train_app, "warning")
        check_consistency(train_app)
    set_widget(train_app, "number_input", "w.train.max_iter", 100)
    click(train_app, STEP)
    assert iteration(train_app) == 16


def test_log_scale_toggle(train_app):
    click(train_app, STEP10)
    layout = chart_data(train_app, "w.train.loss_chart")["layout"]
    assert layout["yaxis"].get("type") != "log"
    set_widget(train_app, "toggle", "w.train.log", True)
    assert chart_data(train_app, "w.train.loss_chart")["layout"]["yaxis"]["type"] == "log"
    assert iteration(train_app) == 10


def test_charts_show_the_model(train_app):
    click(train_app, STEP10)
    model = model_of(train_app)
    X, y = make_noisy_classes()
    losses = chart_data(train_app, "w.train.loss_chart")["data"][0]
    np.testing.assert_array_equal(losses["x"], np.arange(11))
    np.testing.assert_allclose(losses["y"], [*model.loss_curve_, model.objective(X, y)])
    figure = chart_data(train_app, "w.train.model_chart")
    assert figure["layout"]["title"]["text"] == "From scratch, iteration 10"
    curves = [t for t in figure["data"] if t["name"].startswith("from scratch")]
    assert len(curves) == 3
    proba = np.column_stack([t["y"] for t in curves])
    np.testing.assert_allclose(proba, model.predict_proba(curves[0]["x"].reshape(-1, 1)))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_parameter_table_shows_weights_and_gradient(train_app):
    click(train_app, STEP10)
    model = model_of(train_app)
    table = train_app.dataframe[0].value
    assert list(table.columns) == ["class", "w1", "b", "∂J/∂w1", "∂J/∂b"]
    np.testing.assert_array_equal(table["w1"], model.coef_[:, 0])
    np.testing.assert_array_equal(table["b"], model.intercept_)
    np.testing.assert_array_equal(table["∂J/∂w1"], model.grad_coef_[:, 0])
    np.testing.assert_array_equal(table["∂J/∂b"], model.grad_intercept_)


def test_blobs_show_decision_regions():
    at = open_app({"kind": "blobs", "k": "4"}, TRAIN)
    click(at, STEP10)
    figure = chart_data(at, "w.train.model_chart")
    image = figure["data"][0]
    assert image["type"] == "image"
    assert image["z"].shape == (80, 80, 3)
    assert [t["name"] for t in figure["data"][3:]] == [f"data: {k}" for k in range(4)]
    assert_charts_finite(at)
    table = at.dataframe[0].value
    assert list(table.columns) == ["class", "w1", "w2", "b", "∂J/∂w1", "∂J/∂w2", "∂J/∂b"]
    check_consistency(at)


def test_seed_note_preset_reproduces_the_seed_run():
    at = open_app({"n": "50", "k": "4", "lr": "0.05", "solver": "nesterov"}, TRAIN)
    click(at, STEP10)
    click(at, "w.sidebar.seed_preset")
    assert iteration(at) == 0
    assert at.number_input(key="w.train.lr").value == 0.5
    assert at.radio(key="w.train.solver").value == "gd"
    click(at, RUN)
    reference = SoftmaxRegression(learning_rate=0.5, max_iter=1000, tol=1e-6)
    with pytest.warns(ConvergenceWarning):  # the seed run does not converge
        reference.fit(*make_noisy_classes())
    model = model_of(at)
    assert model.n_iter_ == reference.n_iter_ == 1000
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=0, atol=1e-10)
    check_consistency(at)


def test_consistency_after_every_action(train_app):
    actions = [STEP, STEP10, BACK, RUN, BACK, BACK, STEP, RESET, STEP10, FIX, STEP, BACK]
    for action in actions:
        click(train_app, action)
        check_consistency(train_app)


def test_data_change_restarts_with_a_message(train_app):
    click(train_app, STEP10)
    go(train_app, DATA)
    set_widget(train_app, "slider", "w.data.n_classes", 4)
    go(train_app, TRAIN)
    assert iteration(train_app) == 0
    assert texts(train_app, "info") == [
        "Training restarted from iteration 0 because the data changed."
    ]
    assert len(chart_data(train_app, "w.train.model_chart")["data"]) == 8
    check_consistency(train_app)
