"""Every data set a link can name, the held-out split and standardisation (issues 10, 11).

The data are made here, from scikit-learn's loaders and the core's generators (see
``conftest.expected_data``), never read back from the app's data layer; the metrics are
scikit-learn's.
"""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, log_loss

from .conftest import (
    COMPARE,
    DATA,
    HOME,
    LESSONS_PAGE,
    MATH,
    STEP10,
    TRAIN,
    assert_ratio,
    chart_data,
    check_consistency,
    check_generalisation,
    choose,
    click,
    curvature_bound,
    expected,
    go,
    loss_line,
    metric,
    open_app,
    page_alerts,
    set_widget,
    summary,
    toasts,
    url,
)

# One link per kind of data set, with the real ones' features, a split and scaling.
LINKS = {
    "line": {},
    "blobs-4": {"kind": "blobs", "k": "4", "n": "80"},
    "iris": {"kind": "iris"},
    "iris-petals-2d": {"kind": "iris", "features": "2,3"},
    "iris-sepal-length": {"kind": "iris", "features": "0"},
    "wine": {"kind": "wine"},
    "wine-alcohol-flavanoids": {"kind": "wine", "features": "0,6"},
    "wine-proline-standardised": {"kind": "wine", "features": "12", "std": "1", "lr": "auto"},
    "line-held-out-standardised": {"holdout": "0.3", "hseed": "5", "std": "1"},
    "blobs-half-held-out": {"kind": "blobs", "holdout": "0.5", "C": "1.0"},
    "iris-2d-held-out-standardised": {
        "kind": "iris",
        "features": "3,1",
        "holdout": "0.2",
        "std": "1",
        "solver": "newton",
    },
}


def drawn_points(figure) -> dict[int, tuple[float, float, str]]:
    """Every point on a data chart by its row (its ``customdata``, what a click reports):
    where it is drawn and the trace (class, held out or not) it is drawn in."""
    found = {}
    for trace in figure["data"]:
        if trace.get("customdata") is None:
            continue
        for row, x, y in zip(trace["customdata"], trace["x"], trace["y"], strict=True):
            assert int(row) not in found
            found[int(row)] = (float(x), float(y), trace["name"])
    return found


def check_data_chart(at) -> None:
    """The Data page draws every point where the data made here put it, in its class's
    trace, held-out points in their own; the table counts the classes."""
    data = expected(at).data
    points = drawn_points(chart_data(at, "w.data.chart"))
    assert sorted(points) == list(range(data.X.shape[0]))
    held = set(data.test.tolist())
    for row, (x, y, name) in points.items():
        assert x == data.X[row, 0]
        assert y == (data.X[row, 1] if data.X.shape[1] == 2 else data.y[row])
        label = data.class_names[data.y[row]]
        assert name == label + (" (held out)" if row in held else "")
    table = at.dataframe[0].value
    counts = np.bincount(data.y, minlength=len(data.class_names))
    assert dict(zip(table["class"], table["points"], strict=True)) == dict(
        zip(data.class_names, counts.tolist(), strict=True)
    )
    figure = chart_data(at, "w.data.chart")
    assert figure["layout"]["xaxis"]["title"]["text"] == data.feature_names[0]
    if data.X.shape[1] == 2:
        assert figure["layout"]["yaxis"]["title"]["text"] == data.feature_names[1]


@pytest.mark.parametrize("query", LINKS.values(), ids=LINKS.keys())
def test_each_data_set_by_link_renders_every_page_consistently(query):
    at = open_app(query, DATA)
    assert expected(at).settings.kind == query.get("kind", "line")
    assert not [w for w in at.warning if w.value.startswith("Some of the link")]
    check_data_chart(at)
    check_consistency(at)
    for page in (TRAIN, COMPARE, MATH, HOME, LESSONS_PAGE):
        go(at, page)
        check_consistency(at)
    go(at, TRAIN)
    click(at, STEP10)
    check_consistency(at)
    for page in (COMPARE, DATA):
        go(at, page)
        check_consistency(at)
    assert query.items() <= url(at).items()


def test_the_real_data_sets_are_sklearns_with_the_issues_default_features():
    iris = open_app({"kind": "iris"}, DATA)
    # Column names are shown as plain text: markdown's parentheses escaped.
    assert summary(iris).startswith(r"**Run:** iris (petal length \(cm\)), 150 points, 3 classes ·")
    assert iris.multiselect(key="w.data.features").value == []  # none chosen: the default
    check_data_chart(iris)
    wine = open_app({"kind": "wine", "features": "0,6"}, DATA)
    assert summary(wine).startswith("**Run:** wine (alcohol, flavanoids), 178 points, 3 classes")
    assert wine.multiselect(key="w.data.features").value == [0, 6]
    assert [t["name"] for t in chart_data(wine, "w.data.chart")["data"]] == [
        "class_0",
        "class_1",
        "class_2",
    ]


def test_choosing_features_on_the_data_page_redraws_and_restarts():
    at = open_app({"kind": "iris", "iter": "5"}, DATA)
    set_widget(at, "multiselect", "w.data.features", [3, 2])
    assert expected(at).settings.features == (2, 3)  # sorted, as the link writes them
    assert url(at)["features"] == "2,3"
    assert expected(at).n_iter == 0
    assert toasts(at) == ["Training restarted from iteration 0 because the data changed."]
    check_data_chart(at)
    check_consistency(at)


@pytest.mark.parametrize("kind", ["line", "blobs", "iris", "wine"])
def test_the_source_control_reaches_every_data_set(kind):
    at = open_app({"kind": "blobs" if kind == "line" else "line"}, DATA)
    choose(at, "w.data.kind", kind)
    assert expected(at).settings.kind == kind and url(at)["kind"] == kind
    check_data_chart(at)
    check_consistency(at)


def test_the_source_control_goes_from_any_real_data_set_to_any_other():
    """Wine's proline is column 12; iris has four columns. Choosing iris after it must not be
    refused for a wine column, and a line must not keep the wine's columns it has no use for
    (the link could not carry them)."""
    at = open_app({"kind": "wine", "features": "10,12"}, DATA)
    choose(at, "w.data.kind", "iris")
    assert expected(at).settings.kind == "iris", toasts(at)
    check_consistency(at)
    choose(at, "w.data.kind", "line")
    assert expected(at).settings.features == ()
    check_consistency(at)


def test_upload_without_a_file_asks_for_one_and_keeps_the_data():
    at = open_app({"iter": "3"}, DATA)
    choose(at, "w.data.kind", "upload")
    assert toasts(at) == ["Upload a CSV file first (below)."]
    assert expected(at).settings.kind == "line" and expected(at).n_iter == 3
    assert at.segmented_control(key="w.data.kind").value == "line"
    check_consistency(at)


# ------------------------------------------------------------------ held out


@pytest.mark.parametrize(
    "query",
    [
        {"holdout": "0.3", "hseed": "2", "lr": "auto", "iter": "200"},
        {"kind": "iris", "features": "2,3", "holdout": "0.5", "std": "1", "iter": "40"},
        {"kind": "wine", "features": "0,6", "holdout": "0.25", "solver": "newton", "iter": "4"},
    ],
    ids=["line", "iris-standardised", "wine-newton"],
)
def test_held_out_numbers_are_sklearns_metrics_on_the_held_out_points(query):
    at = open_app(query, COMPARE)
    model, data = expected(at).model, expected(at).data
    assert url(at)["iter"] == query["iter"]  # the whole link replayed
    # The split is stratified: each class gives its share, rounded half up.
    fraction = float(query["holdout"])
    counts = np.bincount(data.y)
    shares = np.minimum(np.floor(fraction * counts + 0.5), counts - 1)
    np.testing.assert_array_equal(np.bincount(data.y_test, minlength=counts.size), shares)
    assert f"({int(shares.sum()):,} held out)" in summary(at)
    table = next(d.value for d in at.dataframe if d.value.columns[0] == "model")
    assert table["accuracy, held out"][0] == pytest.approx(
        100 * accuracy_score(data.y_test, model.predict(data.X_test)), abs=1e-12
    )
    assert table["cross-entropy, held out"][0] == pytest.approx(
        log_loss(data.y_test, model.predict_proba(data.X_test), labels=[0, 1, 2]), rel=1e-9
    )
    check_generalisation(at)  # both models, both sets, and the confusion matrix
    go(at, TRAIN)
    held = accuracy_score(data.y_test, model.predict(data.X_test))
    assert metric(at, "Held out") == f"{held:.1%}"
    assert metric(at, "Accuracy") == (
        f"{accuracy_score(data.y_train, model.predict(data.X_train)):.1%}"
    )
    check_consistency(at)


def test_the_held_out_loss_is_drawn_along_the_whole_path():
    at = open_app({"holdout": "0.3", "lr": "auto", "iter": "25"}, TRAIN)
    data = expected(at).data
    figure = chart_data(at, "w.train.loss_chart")
    held = next(t for t in figure["data"] if t["name"] == "held out (CE)")
    np.testing.assert_array_equal(held["x"], np.arange(26))
    model = expected(at).model
    # The last point is the model now; the first, all probabilities 1/3.
    assert held["y"][-1] == pytest.approx(
        log_loss(data.y_test, model.predict_proba(data.X_test), labels=[0, 1, 2]), rel=1e-9
    )
    assert held["y"][0] == pytest.approx(np.log(3), rel=1e-12)
    check_consistency(at)


def test_without_a_split_compare_says_how_to_get_one():
    at = open_app(page=COMPARE)
    assert any(c.value.startswith("Hold out a share of the points") for c in at.caption)
    check_generalisation(at)


def test_holding_out_on_the_data_page_splits_and_restarts():
    at = open_app({"iter": "10"}, DATA)
    set_widget(at, "slider", "w.data.holdout", 0.2)
    data = expected(at).data
    assert data.test.size == 20 and expected(at).n_iter == 0
    assert any(c.value == "80 training points, 20 held out." for c in at.caption)
    set_widget(at, "number_input", "w.data.holdout_seed", 9)
    assert url(at)["hseed"] == "9"
    check_data_chart(at)
    check_consistency(at)
    set_widget(at, "slider", "w.data.holdout", 0.0)  # the split seed stays in the link
    check_consistency(at)


# ------------------------------------------------------------- standardise


def test_standardising_makes_the_seeds_rate_stable_and_keeps_the_axes():
    """Issue 10: L shrinks and lr 0.5 becomes a stable rate; charts keep the original x."""
    at = open_app({"iter": "0"}, DATA)
    set_widget(at, "toggle", "w.data.standardise", True)
    data = expected(at).data
    limit_raw = 2 / curvature_bound(data.X, float("inf"))
    limit = 2 / curvature_bound(data.X_train, float("inf"))
    assert limit > 0.5 > limit_raw
    go(at, TRAIN)
    assert f"the stable limit 2/L = {limit:.4g}" in page_alerts(at)[0][1]
    click(at, STEP10)
    level, text = page_alerts(at)[0]
    assert (level, text.split("**")[1]) == ("success", "Stable learning rate.")
    assert "lr = 0.5 is " in text and f"the stable limit 2/L = {limit:.4g}" in text
    assert_ratio(text, 0.5 / limit)
    assert np.all(np.diff(loss_line(chart_data(at, "w.train.loss_chart"))[1]) < 0)
    curves = chart_data(at, "w.train.model_chart")
    points = [t for t in curves["data"] if t.get("customdata") is not None]
    assert min(float(np.min(t["x"])) for t in points) == data.X[:, 0].min()
    assert max(float(np.max(t["x"])) for t in points) == data.X[:, 0].max()
    check_consistency(at)
