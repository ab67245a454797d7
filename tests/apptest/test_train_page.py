"""The Train page: every action moves the run as it should, and every display says so.

After each action :func:`check_consistency` compares every display of the run (metrics,
banner, chart titles, widgets, sidebar summary, URL) with the model. The numbered tests
reproduce the issue "Truth on screen"; the rest cover the issue "The lecture on one screen".
"""

import numpy as np
import pytest

from ui import training
from ui.lab import PLAY_SPEEDS

from .conftest import (
    BACK,
    COMPARE,
    FIX,
    LOG3,
    MATH,
    NOTICE,
    OPTIMUM,
    PAUSE,
    PLAY,
    RESET,
    RESTART,
    RUN,
    SEED_AUTO,
    SEED_LIMIT,
    STEP,
    STEP10,
    TRAIN,
    assert_same_run_state,
    chart_data,
    chart_subtitle,
    check_consistency,
    choose,
    click,
    dashed,
    dataframe,
    expected,
    go,
    gradient_now,
    has_button,
    iteration,
    j_star,
    loss_line,
    metric,
    open_app,
    page_alerts,
    parameters_shown,
    run_state,
    set_widget,
    stability_key,
    summary,
    toast,
    toasts,
    trace,
    url,
)


def set_lr(at, value: float):
    return set_widget(at, "number_input", "w.train.lr", value)


def banner(at) -> tuple[str, str]:
    """The stability banner: the only alert on the Train page (check_consistency says so)."""
    found = page_alerts(at)
    assert len(found) == 1, found
    return found[0]


# ------------------------------------------------------------ actions and iteration

TICK = PLAY_SPEEDS["fast"][1]  # the default speed's steps per Play tick
# Scripts of (action, iteration after it) from the seed run at iteration 0. "tick" is the
# Play timer firing (AppTest reruns the script; the fragment takes the speed's steps).
SCRIPTS = {
    "step": [(STEP, 1), (STEP, 2)],
    "step10": [(STEP10, 10), (STEP10, 20)],
    "back-undoes-each-action": [(STEP, 1), (STEP10, 11), (BACK, 1), (BACK, 0), (BACK, 0)],
    "reset-then-back": [(STEP10, 10), (STEP, 11), (RESET, 0), (BACK, 11), (BACK, 10)],
    "run-to-max-iter": [(STEP10, 10), (RUN, 1000), (BACK, 10)],
    "play-ticks": [(PLAY, TICK), ("tick", 2 * TICK), ("tick", 3 * TICK), (PAUSE, 3 * TICK),
                   ("tick", 3 * TICK), (BACK, 0)],
}  # fmt: skip


@pytest.mark.parametrize("script", SCRIPTS.values(), ids=SCRIPTS.keys())
def test_each_action_moves_the_iteration_and_every_display_follows(train_app, script):
    check_consistency(train_app)
    for action, n_iter in script:
        if action == "tick":
            train_app.run()
        else:
            click(train_app, action)
        assert iteration(train_app) == n_iter, action
        assert url(train_app)["iter"] == str(n_iter), action
        check_consistency(train_app)


def test_starts_at_iteration_zero_with_loss_log3(train_app):
    assert metric(train_app, "Iteration") == "0"
    assert metric(train_app, "Loss J") == f"{LOG3:.6g}" == "1.09861"
    assert metric(train_app, "Last step ΔJ") == "–"
    assert metric(train_app, "Converged") == "no"
    _, losses = loss_line(chart_data(train_app, "w.train.loss_chart"))
    np.testing.assert_allclose(losses, [LOG3], rtol=1e-15)


def test_back_with_nothing_to_undo_says_so(train_app):
    click(train_app, BACK)
    assert "Nothing to undo" in toast(train_app)
    assert iteration(train_app) == 0
    check_consistency(train_app)


def test_reset_at_iteration_zero_does_nothing_and_leaves_nothing_to_undo(train_app):
    click(train_app, STEP)
    click(train_app, BACK)
    before = run_state(train_app)
    click(train_app, RESET)
    assert toast(train_app) == "Nothing to reset: the run is at iteration 0."
    assert_same_run_state(train_app, before)
    click(train_app, BACK)  # nothing new to undo: Back undoes the step before, as it did
    assert "Nothing to undo" in toast(train_app)
    check_consistency(train_app)


def test_a_message_about_an_action_is_a_toast_shown_once(train_app):
    click(train_app, STEP10)
    click(train_app, FIX)
    assert len(toasts(train_app)) == 1
    train_app.run()  # the next rerun (a timer, another widget) does not repeat it
    assert toasts(train_app) == []
    assert banner(train_app)[0] == "success"  # what stays true stays on the page
    check_consistency(train_app)


def test_back_returns_to_the_exact_parameters(train_app):
    click(train_app, STEP10)
    before = parameters_shown(train_app)
    loss = metric(train_app, "Loss J")
    click(train_app, RUN)
    assert parameters_shown(train_app)["b"].tolist() != before["b"].tolist()
    click(train_app, BACK)
    now = parameters_shown(train_app)
    for name, values in before.items():
        np.testing.assert_array_equal(now[name], values, err_msg=name)
    assert metric(train_app, "Loss J") == loss
    assert toasts(train_app) == ["Back to iteration 10."]
    check_consistency(train_app)


@pytest.mark.parametrize("speed", ["slow", "fast", "turbo", "smooth"])
def test_play_takes_the_speeds_steps_per_tick_until_paused(train_app, speed):
    per_tick = PLAY_SPEEDS[speed][1]
    if speed != "fast":
        set_widget(train_app, "select_slider", "w.view.speed", speed)
    click(train_app, PLAY)  # the click's own rerun is the first tick
    assert iteration(train_app) == per_tick
    assert has_button(train_app, PAUSE) and not has_button(train_app, PLAY)
    train_app.run()
    assert iteration(train_app) == 2 * per_tick
    check_consistency(train_app)
    click(train_app, PAUSE)
    train_app.run()
    assert iteration(train_app) == 2 * per_tick
    check_consistency(train_app)


def test_play_stops_by_itself_at_max_iter():
    at = open_app({"max_iter": "12", "iter": "10", "speed": "slow"}, TRAIN)  # a step a tick
    click(at, PLAY)
    assert iteration(at) == 11
    at.run()
    assert iteration(at) == 12
    assert has_button(at, PLAY) and at.button(key=PLAY).disabled
    at.run()
    assert iteration(at) == 12
    check_consistency(at)


def test_max_iter_blocks_training_with_a_message(train_app):
    set_widget(train_app, "number_input", "w.train.max_iter", 15)
    click(train_app, STEP10)
    click(train_app, STEP10)
    assert iteration(train_app) == 15  # Step ×10 stops at max_iter
    check_consistency(train_app)
    for action in (STEP, STEP10, RUN):
        click(train_app, action)
        assert iteration(train_app) == 15
        assert "max_iter = 15" in toast(train_app)
        check_consistency(train_app)
    set_widget(train_app, "number_input", "w.train.max_iter", 100)
    click(train_app, STEP)
    assert iteration(train_app) == 16
    check_consistency(train_app)


@pytest.mark.parametrize(
    "query",
    [
        {"lr": "auto", "max_iter": "100000"},
        {"solver": "nesterov", "lr": "auto"},
        {"solver": "newton"},
    ],
    ids=["gd-auto", "nesterov-auto", "newton"],
)
def test_run_to_convergence_says_how_many_iterations_it_took(query):
    at = open_app(query, TRAIN)
    click(at, RUN)
    model = expected(at).model
    assert model.converged_
    history = model.loss_history()
    assert toasts(at) == [
        f"Converged after {model.n_iter_:,} more iterations: the last step changed the loss "
        f"by {abs(history[-1] - history[-2]):.1e} < 1e-06."
    ]
    assert metric(at, "Converged") == "yes"
    check_consistency(at)


def test_seed_run_stops_at_max_iter_unconverged(train_app):
    click(train_app, RUN)
    assert iteration(train_app) == 1000
    assert toasts(train_app)[0].startswith(
        "Stopped at max_iter = 1,000, after 1,000 more iterations: the last step changed the "
        "loss by "
    )
    gap = expected(train_app).model.loss_ - j_star(train_app)
    assert toasts(train_app)[0].endswith(
        f"(tol = 1e-06). It is J − J* = {gap:.2e} from the target."
    )
    assert metric(train_app, "Converged") == "no"
    assert banner(train_app)[0] == "warning"
    check_consistency(train_app)


def test_converged_follows_a_new_tolerance():
    """Converged at tol 1e-6, then tol 1e-8: the last step (about 1e-6) no longer meets it."""
    at = open_app({"lr": "auto", "max_iter": "100000"}, TRAIN)
    click(at, RUN)
    assert metric(at, "Converged") == "yes"
    converged_at = iteration(at)
    set_widget(at, "select_slider", "w.train.tol", 1e-8)
    assert metric(at, "Converged") == "no"
    assert summary(at).endswith("· training")
    check_consistency(at)
    click(at, RUN)  # and training goes on to the new tolerance
    assert iteration(at) > converged_at
    check_consistency(at)


# ------------------------------------------------------------- "Truth on screen"


def test_1_sidebar_summary_follows_three_steps_of_ten(train_app):
    for n in (10, 20, 30):
        click(train_app, STEP10)
        assert f"· iteration {n} · " in summary(train_app)
        check_consistency(train_app)


def test_2_fix_after_thirty_steps_turns_auto_on_and_shows_one_over_l(train_app):
    for _ in range(3):
        click(train_app, STEP10)
    coef = parameters_shown(train_app)["w1"]
    click(train_app, FIX)
    assert train_app.toggle(key="w.train.lr_auto").value is True
    box = train_app.number_input(key="w.train.lr")
    assert f"{box.value:.4g}" == SEED_AUTO and box.disabled
    assert url(train_app)["lr"] == "auto"
    assert url(train_app)["sched"] == "0.5x30"
    assert train_app.segmented_control(key="w.train.rate_preset").value == "0.5×"
    assert toasts(train_app) == [
        f"From the next step on, the learning rate is 1/L = {SEED_AUTO} (auto)."
    ]
    # The run goes on from where it was.
    assert iteration(train_app) == 30
    np.testing.assert_array_equal(parameters_shown(train_app)["w1"], coef)
    assert not has_button(train_app, FIX)
    assert banner(train_app)[0] == "success"
    check_consistency(train_app)


def test_3_auto_link_shows_one_over_l_in_the_box():
    at = open_app({"lr": "auto"}, TRAIN)
    box = at.number_input(key="w.train.lr")
    assert f"{box.value:.4g}" == SEED_AUTO
    model = expected(at).model
    assert box.value == model.learning_rate_ == model.learning_rate_limit_ / 2
    assert at.toggle(key="w.train.lr_auto").value is True
    check_consistency(at)


@pytest.mark.parametrize(
    ("to", "name", "banner_key"),
    [("nesterov", "Nesterov", "nesterov-unproven"), ("newton", "Newton", "newton")],
)
def test_5_switching_the_solver_says_so_and_the_banner_is_the_solvers(
    train_app, to, name, banner_key
):
    click(train_app, STEP10)
    choose(train_app, "w.train.solver", to)
    assert toasts(train_app) == [
        "Training restarted from iteration 0 because the solver changed from gradient "
        f"descent to {name}."
    ]
    assert iteration(train_app) == 0
    assert stability_key(expected(train_app)) == banner_key
    click(train_app, STEP10)
    _, text = banner(train_app)
    assert stability_key(expected(train_app)) == banner_key
    assert text.startswith(f"**{name}")
    # Plain gradient descent's guarantee is not claimed for another solver.
    assert "gradient-descent step" not in text and "Stable learning rate" not in text
    check_consistency(train_app)


def test_7_one_step_at_the_seed_rate_is_not_called_safe(train_app):
    click(train_app, STEP)
    level, text = banner(train_app)
    assert level == "warning"
    assert stability_key(expected(train_app)) in ("unstable-rising", "unstable-falling")
    assert f"lr = 0.5 is 4.28× the stable limit 2/L = {SEED_LIMIT}" in text
    assert "every gradient-descent step lowers the loss" not in text
    assert has_button(train_app, FIX)
    check_consistency(train_app)


@pytest.mark.parametrize(
    ("lr", "ratio", "level", "key"),
    [
        (0.1169, "1.001×", "warning", "unstable-falling"),
        (0.1167, "0.999×", "success", "stable"),
        (0.05, "0.43×", "success", "stable"),
        (1.0, "8.56×", "warning", "unstable-falling"),
    ],
)
def test_7_the_ratio_stays_on_its_side_of_the_limit(train_app, lr, ratio, level, key):
    set_lr(train_app, lr)
    assert toasts(train_app) == [f"From the next step on, the learning rate is {lr:.4g}."]
    got_level, text = banner(train_app)
    assert (got_level, stability_key(expected(train_app))) == (level, key)
    assert f"lr = {lr:.4g} is {ratio} the stable limit 2/L = {SEED_LIMIT}" in text
    assert has_button(train_app, FIX) == (level == "warning")
    check_consistency(train_app)


def test_7_9_divergence_shows_only_the_divergence_and_a_short_loss(train_app):
    set_lr(train_app, 1e6)
    click(train_app, STEP10)
    model = expected(train_app).model
    assert model.diverged_ and iteration(train_app) == 1
    level, text = banner(train_app)
    assert level == "error" and text.startswith("**Diverged at iteration 1:**")
    assert "Stable" not in text and "Unstable" not in text
    assert toasts(train_app)[0].startswith("training diverged")
    shown = metric(train_app, "Loss J")
    assert len(shown) < 12 and float(shown) == pytest.approx(model.loss_, rel=1e-3)
    assert metric(train_app, "Converged") == "diverged"
    assert has_button(train_app, RESTART) and not has_button(train_app, FIX)
    assert train_app.button(key=PLAY).disabled
    check_consistency(train_app)
    for action in (STEP, STEP10, RUN):
        click(train_app, action)
        assert iteration(train_app) == 1
        assert "diverged" in toast(train_app)
        check_consistency(train_app)


def test_restart_at_one_over_l_after_divergence_and_back(train_app):
    set_lr(train_app, 1e6)
    click(train_app, STEP)
    click(train_app, RESTART)
    assert iteration(train_app) == 0
    assert expected(train_app).settings.learning_rate is None
    assert not expected(train_app).model.diverged_
    click(train_app, STEP10)
    assert iteration(train_app) == 10
    check_consistency(train_app)
    click(train_app, BACK)
    click(train_app, BACK)  # the diverged run
    assert expected(train_app).model.diverged_ and expected(train_app).settings.learning_rate == 1e6
    check_consistency(train_app)


@pytest.mark.parametrize("query", [{}, {"kind": "blobs", "k": "4", "C": "1.0"}], ids=["1d", "2d"])
def test_8_parameter_table_gradient_is_the_gradient_here_and_the_math_pages(query):
    at = open_app(query, TRAIN)
    click(at, STEP10)
    model = expected(at).model
    grad_coef, grad_intercept = gradient_now(at)
    table = dataframe(at)
    n_features = model.coef_.shape[1]
    names = [f"w{j + 1}" for j in range(n_features)]
    assert list(table.columns) == ["class", *names, "b", *[f"∂J/∂{n}" for n in names], "∂J/∂b"]
    for j, name in enumerate(names):
        np.testing.assert_array_equal(table[name], model.coef_[:, j])
        np.testing.assert_allclose(table[f"∂J/∂{name}"], grad_coef[:, j], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(table["∂J/∂b"], grad_intercept, rtol=1e-10, atol=1e-14)
    on_train = table.copy()
    go(at, MATH)
    math_table = dataframe(at)
    for name in [*names, "b"]:
        np.testing.assert_array_equal(math_table[f"{name} ∂J/∂· now"], on_train[f"∂J/∂{name}"])
        np.testing.assert_array_equal(math_table[f"{name} now"], on_train[name])


# ----------------------------------------------------- "The lecture on one screen"


@pytest.mark.parametrize(
    ("query", "label"),
    [
        ({}, "scikit-learn, same objective (C = ∞)"),
        ({"C": "1.0"}, "scikit-learn, same objective (C = 1)"),
        ({"ref": "default"}, "scikit-learn default (C = 1)"),
    ],
)
def test_model_chart_draws_the_reference_dashed_per_class_with_its_objective(query, label):
    at = open_app(query, TRAIN)
    figure = chart_data(at, "w.train.model_chart")
    lines = dashed(figure)
    assert [t["name"] for t in lines] == [f"{label}: P(class {k})" for k in range(3)]
    assert f"dashed: {label}" in chart_subtitle(figure)
    reference = expected(at).reference
    for k, line in enumerate(lines):
        np.testing.assert_allclose(
            line["y"], reference.predict_proba(line["x"].reshape(-1, 1))[:, k], rtol=1e-12
        )
        solid = trace(figure, str(k))
        assert solid["line"]["dash"] == "solid" and solid["line"]["color"] == line["line"]["color"]
    check_consistency(at)


def test_model_chart_draws_the_reference_boundaries_dashed_in_2d():
    at = open_app({"kind": "blobs", "k": "4"}, TRAIN)
    figure = chart_data(at, "w.train.model_chart")
    contours = dashed(figure)
    assert [t["type"] for t in contours] == ["contour"] * 4
    assert "scikit-learn, same objective (C = ∞)" in chart_subtitle(figure)
    check_consistency(at)


@pytest.mark.parametrize("query", [{}, {"kind": "blobs"}], ids=["1d", "2d"])
def test_target_toggle_removes_the_reference_and_j_star(query):
    at = open_app(query, TRAIN)
    click(at, STEP10)
    assert dashed(chart_data(at, "w.train.loss_chart"))
    set_widget(at, "toggle", "w.view.target", False)
    assert dashed(chart_data(at, "w.train.model_chart")) == []
    assert chart_subtitle(chart_data(at, "w.train.model_chart")) == ""
    names = [t["name"] for t in chart_data(at, "w.train.loss_chart")["data"]]
    assert names == ["from scratch", "from scratch"]  # the line, and a smooth Play's tail
    assert url(at)["target"] == "0"
    check_consistency(at)
    set_widget(at, "toggle", "w.view.target", True)
    assert dashed(chart_data(at, "w.train.model_chart"))
    assert "target" not in url(at)
    check_consistency(at)


def test_loss_chart_has_j_star_and_marks_the_rate_change(train_app):
    click(train_app, STEP10)
    click(train_app, FIX)
    assert chart_data(train_app, "w.train.loss_chart")["layout"]["shapes"] == []
    click(train_app, STEP10)
    figure = chart_data(train_app, "w.train.loss_chart")
    line = trace(figure, "J* (target)")
    assert line["line"]["dash"] == "dash"
    assert line["y"][0] == line["y"][1] == pytest.approx(j_star(train_app), rel=1e-12)
    assert [(s["x0"], s["x1"]) for s in figure["layout"]["shapes"]] == [(10, 10)]
    assert [a["text"] for a in figure["layout"]["annotations"]] == ["lr changed"]
    assert url(train_app)["sched"] == "0.5x10,autox10"
    check_consistency(train_app)


def test_log_y_plots_the_gap_to_j_star_on_a_log_axis(train_app):
    click(train_app, STEP10)
    set_widget(train_app, "toggle", "w.view.log_y", True)
    figure = chart_data(train_app, "w.train.loss_chart")
    assert figure["layout"]["yaxis"]["type"] == "log"
    assert figure["layout"]["yaxis"]["title"]["text"] == "J − J* (log)"
    _, curve = loss_line(figure)
    gaps = np.maximum(expected(train_app).model.loss_history() - j_star(train_app), 1e-16)
    np.testing.assert_allclose(curve, gaps, rtol=1e-9)
    assert np.all(curve > 0)
    assert url(train_app)["logy"] == "1"
    check_consistency(train_app)


def test_last_50_shows_the_last_51_points(train_app):
    for _ in range(6):
        click(train_app, STEP10)
    choose(train_app, "w.view.window", "last")
    x, y = loss_line(chart_data(train_app, "w.train.loss_chart"))
    np.testing.assert_array_equal(x, np.arange(10, 61))
    np.testing.assert_array_equal(y, expected(train_app).model.loss_history()[10:])
    assert url(train_app)["window"] == "last"
    check_consistency(train_app)


def test_log_x_uses_a_log_axis_from_iteration_1(train_app):
    click(train_app, STEP10)
    choose(train_app, "w.view.window", "logx")
    figure = chart_data(train_app, "w.train.loss_chart")
    assert figure["layout"]["xaxis"]["type"] == "log"
    np.testing.assert_array_equal(loss_line(figure)[0], np.arange(1, 11))
    assert url(train_app)["window"] == "logx"
    check_consistency(train_app)


@pytest.mark.parametrize(
    ("preset", "factor"),
    [("0.5×", None), ("0.99×", 0.99), ("1.01×", 1.01), ("2×", 2.0), ("0.5 (seed)", "seed")],
)
def test_each_one_click_rate_sets_its_rate_and_keeps_the_run(preset, factor):
    at = open_app({"lr": "0.05"}, TRAIN)
    click(at, STEP10)
    coef = parameters_shown(at)["w1"]
    choose(at, "w.train.rate_preset", preset)
    # 2/L of the data made here, by the core (the box shows the rate in use).
    limit = expected(at).model.learning_rate_limit_
    if factor is None:
        rate = None  # 0.5× the limit is 1/L: the automatic rate
    elif factor == "seed":
        rate = 0.5
    else:
        rate = factor * limit
    assert expected(at).settings.learning_rate == rate
    assert url(at)["lr"] == ("auto" if rate is None else repr(rate))
    assert at.number_input(key="w.train.lr").value == (limit / 2 if rate is None else rate)
    assert at.segmented_control(key="w.train.rate_preset").value == preset
    assert iteration(at) == 10
    np.testing.assert_array_equal(parameters_shown(at)["w1"], coef)
    check_consistency(at)
    click(at, STEP)
    assert expected(at).schedule == [(0.05, 10), (rate, 1)]
    check_consistency(at)


def test_classroom_mode_keeps_the_rate_presets_and_settings():
    at = open_app({"classroom": "1"}, TRAIN)
    keys = {w.key for w in [*at.segmented_control, *at.number_input, *at.toggle]}
    assert {
        "w.train.solver",
        "w.train.rate_preset",
        "w.train.lr",
        "w.train.lr_auto",
        "w.train.max_iter",
        "w.view.target",
        "w.view.log_y",
        "w.view.window",
    } <= keys
    assert at.selectbox(key="w.train.C") and at.select_slider(key="w.train.tol")
    assert has_button(at, FIX) and has_button(at, OPTIMUM)
    for figure in (chart_data(at, key) for key in ("w.train.model_chart", "w.train.loss_chart")):
        assert figure["layout"]["font"]["size"] >= 18
    choose(at, "w.train.rate_preset", "0.5×")
    assert expected(at).settings.learning_rate is None
    assert url(at)["classroom"] == "1"
    check_consistency(at)


def test_the_lecture_in_four_actions_lands_on_scikit_learn(train_app):
    """/Train (the seed), Step ×10, Fix, Run to the optimum."""
    click(train_app, STEP10)
    click(train_app, FIX)
    click(train_app, OPTIMUM)
    assert float(metric(train_app, "max |Δp| to target")) < 1e-5
    figure = chart_data(train_app, "w.train.model_chart")
    lines = dashed(figure)
    assert len(lines) == 3
    for k, line in enumerate(lines):
        solid = trace(figure, str(k))
        np.testing.assert_array_equal(solid["x"], line["x"])
        np.testing.assert_allclose(solid["y"], line["y"], rtol=0, atol=1e-5)
    check_consistency(train_app)


# ------------------------------------------------------------------- mini-batch SGD

SGD_LINK = {"solver": "sgd", "batch": "10", "seed": "3", "iter": "50"}
SHOWN = ("Iteration", "Loss J", "Last step ΔJ", "max |Δp| to target", "Accuracy", "Converged")


def test_an_sgd_link_draws_the_batch_losses_and_j_and_repeats_exactly_on_reload():
    at = open_app(SGD_LINK, TRAIN)
    check_consistency(at)  # the run is the link's, replayed with its batches by the core
    assert iteration(at) == 50
    figure = chart_data(at, "w.train.loss_chart")
    noisy = trace(figure, "mini-batch J_B")
    full = next(t for t in figure["data"] if t.get("name") == "full-batch J")
    np.testing.assert_array_equal(loss_line(figure)[1], expected(at).model.loss_history())
    model = expected(at).model
    assert (model.batch_size, model.batch_seed_) == (10, 0)
    np.testing.assert_array_equal(noisy["y"], model.batch_loss_curve_)  # 50 steps, all drawn
    assert noisy["opacity"] < 1 and noisy["line"]["width"] < full["line"]["width"]
    assert figure["layout"]["xaxis"]["title"]["text"] == (
        "iteration (mini-batch step; an epoch is 10)"
    )
    # A reload is a new session from the link the app wrote: the very same run.
    written = url(at)
    assert (written["solver"], written["batch"], written["iter"]) == ("sgd", "10", "50")
    again = open_app(written, TRAIN)
    assert {label: metric(again, label) for label in SHOWN} == {
        label: metric(at, label) for label in SHOWN
    }
    np.testing.assert_array_equal(
        trace(chart_data(again, "w.train.loss_chart"), "mini-batch J_B")["y"], noisy["y"]
    )
    assert url(again) == written
    check_consistency(again)


def test_sgd_banner_names_the_full_batch_limit_and_measures_the_epoch():
    at = open_app({**SGD_LINK, "lr": "auto"}, TRAIN)
    level, text = banner(at)
    key = stability_key(expected(at))
    assert key in ("sgd-noise-floor", "sgd-descending")
    assert level == ("warning" if key == "sgd-noise-floor" else "success")
    assert "of full-batch GD" in text and "every gradient-descent step" not in text
    assert not has_button(at, FIX)  # 1/L does not remove mini-batch noise
    check_consistency(at)


@pytest.mark.parametrize("raw", ["0", "-4", "ten", "100001"])
def test_a_bad_batch_size_in_a_link_says_so_and_uses_the_default(raw):
    at = open_app({**SGD_LINK, "batch": raw}, TRAIN)
    warning = next(w.value for w in at.warning if w.value.startswith(NOTICE))
    assert "batch" in warning and "must be a whole number from 1 to 100,000" in warning
    assert "using the default" in warning
    assert at.number_input(key="w.train.batch_size").value == 32
    assert "batch" not in url(at)
    check_consistency(at)


def test_choosing_sgd_shows_its_batch_widgets_and_a_new_batch_size_restarts():
    at = open_app({"lr": "auto"}, TRAIN)
    assert not [w for w in at.number_input if w.key == "w.train.batch_size"]
    click(at, STEP10)
    choose(at, "w.train.solver", "sgd")
    assert toasts(at) == [
        "Training restarted from iteration 0 because the solver changed from gradient "
        "descent to mini-batch SGD."
    ]
    click(at, STEP10)
    check_consistency(at)
    set_widget(at, "number_input", "w.train.batch_size", 25)
    assert iteration(at) == 0 and url(at)["batch"] == "25"
    click(at, STEP10)
    set_widget(at, "number_input", "w.train.batch_seed", 4)
    assert iteration(at) == 0 and url(at)["bseed"] == "4"
    click(at, STEP10)
    check_consistency(at)
    click(at, BACK)  # the ten steps at seed 4
    click(at, BACK)  # the new run: back to seed 0's, at its ten steps
    assert iteration(at) == 10 and "bseed" not in url(at) and url(at)["batch"] == "25"
    check_consistency(at)


def test_more_draws_its_settings_only_while_open_and_they_are_the_links():
    """A Step does not send More's settings again while More is closed (most of the time);
    opened (its own key, as a click sets it), they show the link's values."""
    at = open_app({**SGD_LINK, "tol": "1e-4", "C": "10", "speed": "fast"}, TRAIN, more_open=False)
    click(at, STEP10)
    more = ("w.train.C", "w.train.tol", "w.train.max_iter", "w.train.batch_size", "w.view.speed")
    assert not [w.key for kind in WIDGET_KINDS for w in getattr(at, kind) if w.key in more]
    check_consistency(at)
    at.session_state[training.MORE_KEY] = True
    at.run()
    assert at.selectbox(key="w.train.C").value == 10.0
    assert at.select_slider(key="w.train.tol").value == 1e-4
    assert at.select_slider(key="w.view.speed").value == "fast"
    assert at.number_input(key="w.train.batch_size").value == int(SGD_LINK["batch"])
    check_consistency(at)
    set_widget(at, "selectbox", "w.train.C", 1.0)  # a new run, More still open
    assert iteration(at) == 0 and float(url(at)["C"]) == 1.0
    check_consistency(at)


WIDGET_KINDS = ("selectbox", "select_slider", "number_input")


@pytest.mark.parametrize("page", [COMPARE, MATH])
def test_an_sgd_run_is_told_truly_on_compare_and_math(page):
    at = open_app({**SGD_LINK, "lr": "auto"}, page)
    check_consistency(at)  # Compare's claims and Math's sections, for the run's numbers
    assert not any("momentum" in text or "Oscillating" in text for _, text in page_alerts(at))


def test_a_diverged_sgd_run_shows_only_the_divergence():
    at = open_app({**SGD_LINK, "lr": "1e6", "iter": "5"}, TRAIN)
    assert stability_key(expected(at)) == "diverged"
    level, text = banner(at)
    assert level == "error" and text.startswith("**Diverged at iteration ")
    assert has_button(at, RESTART)
    check_consistency(at)
    go(at, MATH)
    assert "Mini-batch gradient against the full gradient" not in [s.value for s in at.subheader]
    check_consistency(at)
