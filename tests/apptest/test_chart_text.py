"""Every chart's text alternative (``ui.figures.describe``, the chart's ``aria-label``): one
sentence whose numbers are the run's, as the page shows them.

The numbers are checked against the run replayed here (:func:`expected`): the iteration,
the loss (as the "Loss J" metric shows it, and as a number against the replayed model's)
and the target J* (scikit-learn's optimum of the same objective, fitted here).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from .conftest import (
    COMPARE,
    DATA,
    HOME,
    LESSONS_PAGE,
    MATH,
    STEP10,
    TRAIN,
    charts,
    click,
    expected,
    iteration,
    metric,
    open_app,
    summary,
)

NUMBER = r"(-?[\d.]+(?:e[+-]\d+)?)"


def description(figure: dict) -> str:
    found = figure["layout"].get("meta", {}).get("description")
    assert found, f"a chart without a text alternative: {figure['layout'].get('title')}"
    return found


def shown_loss(at) -> str:
    """The loss as the sidebar's run summary shows it (on every page)."""
    found = re.search(r"· loss (\S+) ·", summary(at))
    assert found, summary(at)
    return found.group(1)


def training_accuracy(at) -> float:
    state = expected(at)
    X, y = state.data.scaled(state.data.X[state.data.train]), state.data.y[state.data.train]
    return float(np.mean(state.model.predict(X) == y))


def check_loss_sentence(at, text: str, *, target: bool = True) -> None:
    """``Loss at iteration N is X; the target J* is Y.``: N, X as on screen, and both
    numbers those of the run replayed here."""
    state = expected(at)
    pattern = rf"Loss at iteration ([\d,]+) is {NUMBER}(?:; the target J\* is {NUMBER})?\.$"
    found = re.search(pattern, text)
    assert found, text
    assert int(found.group(1).replace(",", "")) == state.n_iter
    assert found.group(2) == shown_loss(at)
    assert float(found.group(2)) == pytest.approx(state.model.loss_, rel=1e-5)
    if target:
        assert found.group(3) is not None, text
        assert float(found.group(3)) == pytest.approx(state.j_star, rel=1e-5, abs=1e-9)
    else:
        assert found.group(3) is None, text


def check_model_sentence(at, text: str) -> None:
    state = expected(at)
    found = re.search(
        rf"iteration ([\d,]+): accuracy ([\d.]+)% on the training points, loss {NUMBER}\.$",
        text,
    )
    assert found, text
    assert int(found.group(1).replace(",", "")) == state.n_iter
    assert float(found.group(2)) == pytest.approx(100 * training_accuracy(at), abs=0.051)
    assert found.group(3) == shown_loss(at)
    if any(m.label == "Loss J" for m in at.metric):  # Train's metrics
        assert f"{found.group(2)}%" == metric(at, "Accuracy")
        assert found.group(3) == metric(at, "Loss J")


@pytest.mark.parametrize("page", [TRAIN, LESSONS_PAGE])
def test_train_charts_say_the_runs_numbers(page):
    query = {"lesson": "1", "step": "1"} if page == LESSONS_PAGE else {}
    at = open_app(query, page)
    if page == TRAIN:
        click(at, STEP10)
        assert iteration(at) == 10
    found = charts(at)
    check_model_sentence(at, description(found["w.train.model_chart"]))
    check_loss_sentence(at, description(found["w.train.loss_chart"]))


def test_without_the_target_the_loss_sentence_names_no_target():
    at = open_app({"iter": "30", "target": "0"}, TRAIN)
    check_loss_sentence(at, description(charts(at)["w.train.loss_chart"]), target=False)


def test_landscape_and_simplex_say_the_iteration_and_loss():
    at = open_app({"iter": "30", "panel": "landscape"}, TRAIN)
    text = description(charts(at)["w.train.landscape"])
    assert text.endswith(f"iteration 30: the loss J is {metric(at, 'Loss J')}."), text
    at = open_app({"kind": "iris", "iter": "20", "lr": "auto", "panel": "simplex"}, TRAIN)
    text = description(charts(at)["w.train.simplex"])
    assert text.endswith(f"iteration 20: accuracy {metric(at, 'Accuracy')} on the training points.")


def test_compare_charts_say_the_runs_numbers():
    at = open_app({"iter": "30", "lr": "auto"}, COMPARE)
    found = charts(at)
    check_model_sentence(at, description(found["w.compare.chart"]))
    check_loss_sentence(at, description(found["w.compare.loss_chart"]))
    path = description(found["w.compare.path_chart"])
    shown = [m.value for m in at.markdown if "accuracy is highest" in m.value]
    assert len(shown) == 1 and path == "Regularization path: " + shown[0].replace("**", "")


def test_data_home_and_math_charts_say_what_they_draw():
    at = open_app({"kind": "blobs", "k": "3", "n": "60", "holdout": "0.25"}, DATA)
    text = description(charts(at)["w.data.chart"])
    data = expected(at).data
    counts = np.bincount(data.y, minlength=len(data.class_names))
    assert text.startswith(f"{counts.sum():,} points over ")
    for name, count in zip(data.class_names, counts, strict=True):
        assert f"{count:,} of class {name}" in text
    held = re.search(r"; ([\d,]+) of them held out\.$", text)
    assert held and int(held.group(1).replace(",", "")) == len(data.test), text

    at = open_app({}, HOME)
    text = description(charts(at)["w.home.thumbnail"])
    caption = [c.value for c in at.caption if "Newton's method" in c.value]
    steps = re.search(r"in (\d+) iterations", text)
    assert steps and f"Newton's method, {steps.group(1)} iterations" in caption[0], text

    at = open_app({"point": "3", "temp": "2"}, MATH)
    text = description(charts(at)["w.math.temperature"])
    state = expected(at)
    proba = state.model.predict_proba(state.data.scaled(state.data.X[3:4]))[0]
    shown = re.search(r"^Point 3's probabilities: (.*); at temperature T = 2: (.*)\.$", text)
    assert shown, text
    numbers = [float(v) for v in re.findall(r" (\d\.\d{4})", shown.group(1))]
    np.testing.assert_allclose(numbers, proba, atol=6e-5)
