"""The guided lessons (issue 11): every step by link, the state each sets up, and what each
says, with its numbers computed here (scikit-learn's reference, the loss history, Böhning's
bound from the data) and its claims checked against the run on screen.
"""

import itertools
import math
import re
from dataclasses import replace

import numpy as np
import pytest
from sklearn.metrics import accuracy_score
from streamlit.testing.v1 import AppTest

from ui.lessons import LESSONS, PLACEHOLDERS

from .conftest import (
    APP,
    LESSONS_PAGE,
    NOTICE,
    STEP,
    STEP10,
    TIMEOUT,
    assert_ratio,
    assert_same_run_state,
    chart_data,
    chart_subtitle,
    charts,
    check_consistency,
    choose,
    click,
    curvature_bound,
    expected,
    iteration,
    j_star,
    loss_axis_type,
    loss_line,
    metric,
    notice,
    open_app,
    page_alerts,
    reversals,
    run_state,
    summary,
    url,
)

STEPS = [(i, j) for i, lesson in enumerate(LESSONS) for j in range(len(lesson.steps))]
RECENT = 20  # the last steps a trend counts (ui.report.RECENT_STEPS)


def facts_here(at) -> dict[str, str]:
    """What a step's text may quote, computed here from the model and scikit-learn's fit."""
    model, data = expected(at).model, expected(at).data
    history = model.loss_history()
    L = curvature_bound(data.X_train, expected(at).settings.C)
    # The trend counts the last steps taken at the rate in use (every step, in the lessons
    # that quote it).
    steps = min(RECENT, model.n_iter_)
    recent = history[-(steps + 1) :]
    rises = int(np.sum(np.diff(recent) > 1e-12 * np.maximum(np.abs(recent[:-1]), 1)))
    proba = model.predict_proba(data.X_train)
    theirs = expected(at).reference.predict_proba(data.X_train)
    # A multiple of 2/L reads with two decimals, more only where two would round onto 1.
    ratio = model.learning_rate_ * L / 2
    assert abs(ratio - 1) > 0.01
    return {
        "n_iter": f"{model.n_iter_:,}",
        "ratio": f"{ratio:.2f}×",
        "rises": str(rises),
        "steps": str(steps),
        "gap": f"{np.max(np.abs(proba - theirs)):.1e}",
        "norm": f"{np.linalg.norm(model.coef_):.2f}",
        "confidence": f"{np.mean(proba.max(axis=1)):.0%}",
        "accuracy": f"{accuracy_score(data.y_train, model.predict(data.X_train)):.0%}",
        "optimum_tol": "1e-15",
        **shrinks_here(history, expected(at).j_star),
    }


def shrinks_here(history: np.ndarray, j_star: float) -> dict[str, str]:
    """How many times J − J* shrank over the first, second-last and last 100 steps."""
    if history.size < 301:
        return dict.fromkeys(("shrink_first", "shrink_before", "shrink_last"), "–")
    gap = history - j_star
    assert np.all(gap > 0)  # the run is above the optimum all along
    n = history.size - 1
    return {
        "shrink_first": f"{gap[0] / gap[100]:.2f}",
        "shrink_before": f"{gap[n - 200] / gap[n - 100]:.2f}",
        "shrink_last": f"{gap[n - 100] / gap[n]:.2f}",
    }


def expected_settings(step):
    """The settings a step starts from, after its actions' changes to them: Fix sets the
    automatic rate; Run to the optimum is an action, not a setting (tol and max_iter stay)."""
    settings = step.settings
    for action, *_ in step.actions:
        if action == "stable":
            settings = replace(settings, learning_rate=None)
    return settings


@pytest.mark.parametrize(("lesson", "index"), STEPS, ids=[f"{i + 1}-{j + 1}" for i, j in STEPS])
def test_every_lesson_step_opens_by_link_as_its_script_says(lesson, index):
    at = open_app({"lesson": str(lesson + 1), "step": str(index + 1)}, LESSONS_PAGE)
    step = LESSONS[lesson].steps[index]
    assert not notice(at)
    assert expected(at).settings == expected_settings(step)
    steps = sum(arguments[0] for action, *arguments in step.actions if action == "step")
    model = expected(at).model
    if any(action == "optimum" for action, *_ in step.actions):
        assert model.converged_ and model.n_iter_ >= steps
    else:
        assert model.n_iter_ == steps
    view = expected(at).view
    assert (view.lesson, view.lesson_step) == (lesson, index)
    for name, value in step.view.items():
        assert getattr(view, name) == value
    assert (url(at)["lesson"], url(at)["step"]) == (str(lesson + 1), str(index + 1))
    # What it says, with the run's numbers computed here, and where to go on.
    text = step.text.format(**facts_here(at))
    shown = [m.value for m in at.markdown]
    assert text in shown
    assert f":material/arrow_forward: **Now:** {step.task}" in shown
    assert at.button(key="w.lesson.back").disabled == (index == 0)
    assert at.button(key="w.lesson.next").disabled == (index == len(LESSONS[lesson].steps) - 1)
    check_consistency(at)  # also: no "{placeholder}" left on the page
    CLAIMS.get((lesson, index), lambda at: None)(at)


def test_every_placeholder_a_lesson_uses_is_documented_and_filled():
    used = {
        name
        for lesson in LESSONS
        for step in lesson.steps
        for name in re.findall(r"\{(\w+)\}", step.text)
    }
    assert used <= set(PLACEHOLDERS)
    assert used == {
        "n_iter",
        "ratio",
        "rises",
        "steps",
        "gap",
        "norm",
        "confidence",
        "accuracy",
        "optimum_tol",
        "shrink_first",
        "shrink_before",
        "shrink_last",
    }


# ------------------------------------------------- what each step claims, checked


def seed_run_at_iteration_zero(at) -> None:
    """ "100 points, 3 noisy classes ... at iteration 0 every class gets 1/3 and the loss is
    log 3 ~ 1.0986"."""
    assert "100 points, 3 classes" in summary(at)
    solid = [
        t
        for t in chart_data(at, "w.train.model_chart")["data"]
        if t.get("line", {}).get("dash") == "solid"
    ]
    assert len(solid) == 3
    for curve in solid:
        np.testing.assert_allclose(curve["y"], 1 / 3)
    loss = metric(at, "Loss J")
    assert loss[:6] == f"{math.log(3):.4f}" == "1.0986"


def the_loss_rises_above_the_limit(at) -> None:
    """lr is above 2/L, and the loss did rise in the last steps."""
    facts = facts_here(at)
    level, text = page_alerts(at)[0]
    assert level == "warning"
    ratio = 0.5 * curvature_bound(expected(at).data.X, math.inf) / 2  # lr / (2/L)
    assert ratio > 1
    assert_ratio(text, ratio)  # what the banner says, on the same side of 1
    assert int(facts["rises"]) > 0


def the_path_zigzags(at) -> None:
    assert "w.train.landscape" in charts(at)
    assert reversals(at) >= 2 / 3


def the_fix_only_goes_down(at) -> None:
    """ "Now the learning rate is 1/L, half the stable limit ... the loss only goes down"."""
    L = curvature_bound(expected(at).data.X, math.inf)
    assert expected(at).model.learning_rate_ == pytest.approx(1 / L, rel=1e-12)
    assert expected(at).settings.learning_rate is None  # automatic: 1/L
    before = iteration(at)
    for _ in range(3):
        click(at, STEP10)
    x, losses = loss_line(chart_data(at, "w.train.loss_chart"))
    np.testing.assert_array_equal(x, np.arange(before + 31))
    assert np.all(np.diff(losses[before:]) < 0)
    assert reversals(at, last=30) <= 0.1  # no zigzag on the way down
    check_consistency(at)


def the_target_and_a_flat_start(at) -> None:
    """The dashed curves are scikit-learn's with the same objective; the solid ones 1/3."""
    figure = chart_data(at, "w.train.model_chart")
    label = "scikit-learn, same objective (C = ∞)"
    solid = [t for t in figure["data"] if t.get("line", {}).get("dash") == "solid"]
    assert len(solid) == 3
    for curve in solid:
        np.testing.assert_allclose(curve["y"], 1 / 3)
    assert f"dashed: {label}" in chart_subtitle(figure)


def close_but_not_there(at) -> None:
    """After 1,000 stable steps the gap is still large, and J - J* shrinks by a steady
    factor (what the log-y chart shows as a straight line)."""
    gap = float(facts_here(at)["gap"])
    assert gap > 1e-2
    excess = expected(at).history - j_star(at)  # the page's line, checked by check_consistency
    factors = excess[-100:] / excess[-101:-1]
    assert np.all(factors < 1) and np.ptp(factors) < 1e-3
    assert loss_axis_type(chart_data(at, "w.train.loss_chart")) == "log"
    assert at.toggle(key="w.view.log_y").value  # the step's controls: the view's


def lands_on_scikit_learn(at) -> None:
    """Gradient descent at 1/L needs tens of thousands of steps; the gap then is tiny."""
    assert iteration(at) >= 10_000
    assert float(facts_here(at)["gap"]) < 1e-5
    assert float(metric(at, "max |Δp| to target")) < 1e-5


def newton_in_a_handful(at) -> None:
    for _ in range(10):
        click(at, STEP)
        if metric(at, "Converged") == "yes":
            break
    assert metric(at, "Converged") == "yes" and iteration(at) <= 10
    assert float(facts_here(at)["gap"]) < 1e-6
    assert float(metric(at, "max |Δp| to target")) < 1e-6
    check_consistency(at)


CLAIMS = {
    (0, 0): seed_run_at_iteration_zero,
    (0, 1): the_loss_rises_above_the_limit,
    (0, 2): the_path_zigzags,
    (0, 3): the_fix_only_goes_down,
    (1, 0): the_target_and_a_flat_start,
    (1, 1): close_but_not_there,
    (1, 2): lands_on_scikit_learn,
    (1, 3): newton_in_a_handful,
}


def test_what_c_does_shrinks_the_weights_and_softens_the_probabilities():
    """Lesson 3: the smaller C, the smaller ||W|| and the softer the probabilities; at
    C = 0.01 the boundaries hardly move; at C = 0.001 every probability is near 1/3."""
    runs = []
    for index in range(len(LESSONS[2].steps)):
        at = open_app({"lesson": "3", "step": str(index + 1)}, LESSONS_PAGE)
        check_consistency(at)  # the page shows the run replayed here, exactly
        data, model = expected(at).data, expected(at).model
        runs.append((expected(at).settings.C, model, data))
    Cs = [C for C, _, _ in runs]
    assert Cs == sorted(Cs, reverse=True) and math.isinf(Cs[0])
    norms = [np.linalg.norm(model.coef_) for _, model, _ in runs]
    assert all(a > b for a, b in itertools.pairwise(norms))
    X = runs[0][2].X_train
    proba = [model.predict_proba(X) for _, model, _ in runs]
    confidence = [p.max(axis=1).mean() for p in proba]
    assert all(a > b for a, b in itertools.pairwise(confidence))
    predictions = [p.argmax(axis=1) for p in proba]
    assert np.mean(predictions[2] == predictions[0]) >= 0.95  # C = 0.01: hardly moved
    assert np.max(np.abs(proba[3] - 1 / 3)) < np.max(np.abs(proba[2] - 1 / 3))
    assert np.max(np.abs(proba[3] - 1 / 3)) < 0.15  # C = 0.001: towards 1/3


# -------------------------------------------------------------- getting around


def test_next_and_back_rebuild_each_step():
    at = open_app({"lesson": "1", "step": "1"}, LESSONS_PAGE)
    click(at, "w.lesson.next")
    assert (expected(at).view.lesson_step, iteration(at)) == (1, 30)
    assert url(at)["step"] == "2"
    check_consistency(at)
    click(at, STEP)  # the learner acts; Back rebuilds the step before from scratch
    click(at, "w.lesson.back")
    assert (expected(at).view.lesson_step, iteration(at)) == (0, 0)
    check_consistency(at)


def test_a_step_reached_by_back_shows_its_own_view_whole():
    """Lesson 2, step 2 shows the loss on a log axis; Back to step 1, whose view does not
    name log y, shows it as step 1 does by its own link (linear), not as step 2 left it."""
    at = open_app({"lesson": "2", "step": "2"}, LESSONS_PAGE)
    assert loss_axis_type(chart_data(at, "w.train.loss_chart")) == "log"
    assert url(at)["logy"] == "1"
    click(at, "w.lesson.back")
    by_link = open_app({"lesson": "2", "step": "1"}, LESSONS_PAGE)
    assert loss_axis_type(chart_data(at, "w.train.loss_chart")) == "linear"
    assert "logy" not in url(at)
    assert url(at) == url(by_link)
    check_consistency(at)


def test_choosing_a_lesson_opens_its_first_step():
    at = open_app(page=LESSONS_PAGE)
    assert expected(at).view.lesson is None
    assert [m.value.split(":")[0] for m in at.markdown if m.value.startswith("**")][:3] == [
        f"**{i + 1}. {lesson.title}**" for i, lesson in enumerate(LESSONS)
    ]
    check_consistency(at)
    choose(at, "w.lesson.choice", 1)
    assert (expected(at).view.lesson, expected(at).view.lesson_step) == (1, 0)
    assert expected(at).settings == expected_settings(LESSONS[1].steps[0])
    check_consistency(at)


def test_a_link_to_no_such_step_says_so_and_opens_the_first():
    at = open_app({"lesson": "3", "step": "9"}, LESSONS_PAGE)
    assert notice(at).startswith(NOTICE) and "no such lesson step; showing the first" in notice(at)
    assert (expected(at).view.lesson, expected(at).view.lesson_step) == (0, 0)
    check_consistency(at)


def test_the_url_of_a_lesson_in_progress_reopens_where_the_learner_is():
    at = open_app({"lesson": "1", "step": "2"}, LESSONS_PAGE)
    click(at, STEP10)
    reopened = open_app(url(at), LESSONS_PAGE)  # with iter: the run, not the step's start
    assert iteration(reopened) == 40
    assert_same_run_state(reopened, run_state(at))
    assert (expected(reopened).view.lesson, expected(reopened).view.lesson_step) == (0, 1)
    check_consistency(reopened)


def test_each_step_offers_its_own_link_for_a_slide():
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.context = {"url": "http://lab.example/Lessons?lesson=2&step=1&iter=0"}
    at.query_params.update({"lesson": "2", "step": "1"})
    at.switch_page(LESSONS_PAGE).run()
    captions = [c.value for c in at.caption if c.value.startswith("Link to this step")]
    assert captions == ["Link to this step, for a slide:"]
    assert [c.value for c in at.code] == ["http://lab.example/Lessons?lesson=2&step=1"]
    assert loss_line(chart_data(at, "w.train.loss_chart"))[0][-1] == 0
