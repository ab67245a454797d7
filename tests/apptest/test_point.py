"""Follow one point (issue 11): the Train panel's numbers, the ring on every chart, the Math
page's row box; and the temperature on the Math page, at its limits.

Every number is computed here from the model's parameters with scipy (softmax, log-softmax)
and scikit-learn's log_loss, never read back from the app's own tables.
"""

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.metrics import log_loss

from ui.settings import TEMPERATURE_RANGE

from .conftest import (
    DATA,
    MATH,
    STEP10,
    TRAIN,
    assert_shows,
    chart_data,
    charts,
    check_consistency,
    choose,
    click,
    expected,
    go,
    latex_lines,
    line_starting,
    open_app,
    parameters_shown,
    point_numbers,
    rounds_to,
    set_widget,
    trace,
    url,
)

POINTS = {
    "seed-point-7": ({"iter": "10", "point": "7"}, 7),
    "seed-point-0": ({"iter": "10", "point": "0"}, 0),
    "blobs-4": ({"kind": "blobs", "k": "4", "n": "40", "lr": "auto", "iter": "30"}, 39),
    "iris-held-out-standardised": (
        {"kind": "iris", "features": "2,3", "holdout": "0.2", "std": "1", "iter": "15"},
        3,
    ),
}


@pytest.mark.parametrize(("query", "index"), POINTS.values(), ids=POINTS.keys())
def test_the_followed_points_panel_is_the_model_on_that_point(query, index):
    at = open_app({**query, "point": str(index)}, TRAIN)
    data = expected(at).data
    point = point_numbers(at, index)
    # p = softmax(z) sums to 1, and -log p_y is the point's own cross-entropy.
    bars = trace(chart_data(at, "w.train.point_bars"), "softmax(z)")
    np.testing.assert_allclose(bars["y"], softmax(point.scores), rtol=1e-12, atol=1e-15)
    assert bars["y"].sum() == pytest.approx(1.0, abs=1e-12)
    labels = list(range(len(data.class_names)))
    per_sample = log_loss([point.label], [bars["y"]], labels=labels)
    lines = latex_lines(at)
    loss = line_starting(lines, r"\ell = -\log p_{y} = -\log ")
    shown_p, shown_loss = loss.removeprefix(r"\ell = -\log p_{y} = -\log ").split(" = ")
    assert rounds_to(shown_p, point.proba[point.label]) and rounds_to(shown_loss, per_sample)
    assert_shows(line_starting(lines, r"\mathbf{z} = W\mathbf{x} + \mathbf{b} = "), point.scores)
    assert_shows(line_starting(lines, r"\mathbf{x} = "), data.X[index])  # as drawn
    if data.standardised:
        assert_shows(line_starting(lines, r"\tilde{\mathbf{x}} = "), point.x_model)
    # Its share of the gradient: (p - e_y) / n; the shares of all training points add up to
    # the gradient the model steps against (the parameter table's ∂J/∂b).
    held = "held out" if index in set(data.test.tolist()) else "training"
    gradient = [line for line in lines if r"\tfrac{1}{n}" in line]
    if held == "training":
        [line] = gradient
        assert_shows(line, point.error / data.train.size)
    else:  # a held-out point has no share: the model never learns from it
        assert gradient == []
        assert any(c.value.startswith("A held-out point: the model never") for c in at.caption)
    shares = sum(point_numbers(at, i).error for i in data.train) / data.train.size
    np.testing.assert_allclose(shares, parameters_shown(at)["∂J/∂b"], atol=1e-12)
    assert any(m.value.startswith(f"**Point {index}** ({held})") for m in at.markdown)
    check_consistency(at)
    click(at, STEP10)  # the panel follows the model
    check_consistency(at)


def test_the_chosen_point_is_ringed_on_every_chart():
    at = open_app({"kind": "blobs", "n": "30", "iter": "5", "point": "12"}, TRAIN)
    data = expected(at).data
    ring = trace(chart_data(at, "w.train.model_chart"), "chosen point")
    assert (ring["x"], ring["y"]) == ([data.X[12, 0]], [data.X[12, 1]])
    choose(at, "w.view.panel", "simplex")
    ring = trace(chart_data(at, "w.train.simplex"), "chosen point")
    p = point_numbers(at, 12).proba
    np.testing.assert_allclose([ring["a"][0], ring["b"][0], ring["c"][0]], p, rtol=1e-12)
    check_consistency(at)
    go(at, DATA)
    ring = trace(chart_data(at, "w.data.chart"), "chosen point")
    assert (ring["x"], ring["y"]) == ([data.X[12, 0]], [data.X[12, 1]])
    check_consistency(at)


def test_every_point_carries_its_row_for_a_click():
    """A click reports the clicked point's customdata: each point's row in the data set."""
    at = open_app({"holdout": "0.3", "point": "4"}, TRAIN)
    data = expected(at).data
    rows = []
    for t in chart_data(at, "w.train.model_chart")["data"]:
        if t.get("customdata") is not None:
            np.testing.assert_array_equal(t["x"], data.X[t["customdata"], 0])
            rows += list(t["customdata"])
    assert sorted(rows) == list(range(data.X.shape[0]))


def test_the_math_pages_row_box_chooses_the_point_train_follows():
    at = open_app({"iter": "10"}, MATH)
    set_widget(at, "number_input", "w.math.point", 0)
    assert expected(at).view.point == 0 and url(at)["point"] == "0"
    check_consistency(at)
    go(at, TRAIN)
    assert "w.train.point_bars" in charts(at)
    check_consistency(at)
    click(at, "w.train.clear_point")
    assert expected(at).view.point is None and "point" not in url(at)
    check_consistency(at)


def test_a_point_beyond_a_smaller_data_set_is_forgotten():
    at = open_app({"point": "99"}, DATA)
    set_widget(at, "number_input", "w.data.n_samples", 50)
    assert expected(at).view.point is None
    check_consistency(at)
    go(at, TRAIN)
    check_consistency(at)


# --------------------------------------------------------------- temperature


def tempered_bars(at, temperature: float) -> np.ndarray:
    """The tempered bars (at T = 1 the one set, softmax(z), drawn once)."""
    figure = chart_data(at, "w.math.temperature")
    name = "softmax(z)" if temperature == 1 else f"softmax(z / {temperature:g})"
    return trace(figure, name)["y"]


@pytest.mark.parametrize("temperature", [TEMPERATURE_RANGE[0], 0.5, 1.0, 3.0, TEMPERATURE_RANGE[1]])
def test_temperature_gives_scipys_softmax_of_z_over_t(temperature):
    at = open_app({"iter": "30", "point": "20"}, MATH)
    set_widget(at, "slider", "w.view.temperature", temperature)
    point = point_numbers(at, 20)
    shown = tempered_bars(at, temperature)
    np.testing.assert_allclose(shown, softmax(point.scores / temperature), rtol=1e-12, atol=1e-300)
    assert shown.sum() == pytest.approx(1.0, abs=1e-12)
    assert int(np.argmax(shown)) == int(np.argmax(point.scores))  # never another winner
    name = expected(at).data.class_names[int(np.argmax(point.scores))]
    said = (
        f"Point 20: at T = 1 these are the model's own probabilities; the most probable class "
        f"is {name}."
        if temperature == 1
        else f"Point 20: at T = {temperature:g} the most probable class is {name}, the same as "
        "at T = 1."
    )
    assert any(c.value == said for c in at.caption), [c.value for c in at.caption]
    assert url(at).get("temp") == (None if temperature == 1.0 else str(temperature))
    check_consistency(at)


def test_temperature_at_its_limits_is_finite_one_hot_and_uniform():
    """Issue 11: T -> 0 gives one-hot, T large gives uniform; on a model with large scores
    (separable blobs after five long steps), where exp(z / 0.05) overflows."""
    at = open_app({"kind": "blobs", "noise": "0", "lr": "50", "iter": "5", "point": "5"}, MATH)
    point = point_numbers(at, 5)
    spread = point.scores.max() - np.sort(point.scores)[-2]
    assert np.ptp(point.scores) / TEMPERATURE_RANGE[0] > 710  # exp would overflow
    set_widget(at, "slider", "w.view.temperature", TEMPERATURE_RANGE[0])
    cold = tempered_bars(at, TEMPERATURE_RANGE[0])
    assert np.all(np.isfinite(cold))
    np.testing.assert_allclose(cold, softmax(point.scores / TEMPERATURE_RANGE[0]), atol=1e-300)
    hot_index = int(np.argmax(point.scores))
    assert cold[hot_index] >= 1 - 2 * np.exp(-spread / TEMPERATURE_RANGE[0])  # one-hot
    set_widget(at, "slider", "w.view.temperature", TEMPERATURE_RANGE[1])
    warm = tempered_bars(at, TEMPERATURE_RANGE[1])
    np.testing.assert_allclose(warm, softmax(point.scores / TEMPERATURE_RANGE[1]), rtol=1e-12)
    uniform = 1 / warm.size
    assert np.ptp(warm) < np.ptp(point.proba)  # flatter than at T = 1, towards 1/k
    assert np.max(np.abs(warm - uniform)) <= np.tanh(np.ptp(point.scores) / 40)
    check_consistency(at)


def test_temperature_uses_the_chosen_point_even_the_first_one():
    at = open_app({"iter": "30", "point": "0", "temp": "2.0"}, MATH)
    point = point_numbers(at, 0)
    np.testing.assert_allclose(tempered_bars(at, 2.0), softmax(point.scores / 2.0), rtol=1e-12)
    assert any(c.value.startswith("Point 0: at T = 2 the most probable class") for c in at.caption)
