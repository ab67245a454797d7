"""The Data page: every control regenerates the data and restarts the run; the CSV download."""

import io

import numpy as np
import pytest

from softmax_core import make_noisy_blobs, make_noisy_classes

from .conftest import (
    COMPARE,
    DATA,
    TRAIN,
    assert_charts_finite,
    chart_data,
    charts,
    check_consistency,
    click,
    go,
    open_app,
    run_of,
    set_widget,
    settings_of,
    url,
)


@pytest.fixture
def data_app():
    """A session 10 iterations into the seed run, now on the Data page."""
    at = open_app(page=TRAIN)
    click(at, "w.train.step10")
    return go(at, DATA)


def class_counts(at) -> dict[str, int]:
    table = at.dataframe[0].value
    return dict(zip(table["class"], table["points"], strict=True))


def scatter_points(at) -> np.ndarray:
    """All points drawn on the data chart, as rows (x, y_plot), sorted."""
    figure = chart_data(at, "w.data.chart")
    points = np.vstack([np.column_stack([t["x"], t["y"]]) for t in figure["data"]])
    return points[np.lexsort(points.T[::-1])]


def test_default_data_is_the_seed_note(data_app):
    X, y = make_noisy_classes()
    figure = chart_data(data_app, "w.data.chart")
    assert [t["name"] for t in figure["data"]] == ["class 0", "class 1", "class 2"]
    for k, data in enumerate(figure["data"]):
        np.testing.assert_array_equal(data["x"], X[y == k, 0])
        np.testing.assert_array_equal(data["y"], np.full((y == k).sum(), k))
    assert class_counts(data_app) == {"0": 32, "1": 35, "2": 33}
    assert figure["layout"]["title"]["text"] == "Generated multi-class data"
    assert run_of(data_app).n_iter == 10  # visiting the page changes nothing


@pytest.mark.parametrize(
    ("kind", "key", "value", "field"),
    [
        ("number_input", "w.data.n_samples", 50, "n_samples"),
        ("slider", "w.data.n_classes", 5, "n_classes"),
        ("slider", "w.data.noise", 0.3, "noise"),
        ("number_input", "w.data.seed", 7, "seed"),
        ("radio", "w.data.kind", "blobs", "kind"),
    ],
)
def test_each_control_regenerates_the_data_and_restarts(data_app, kind, key, value, field):
    before = scatter_points(data_app)
    set_widget(data_app, kind, key, value)
    current = settings_of(data_app)
    assert getattr(current, field) == value
    after = scatter_points(data_app)
    assert before.shape != after.shape or not np.array_equal(before, after)
    counts = class_counts(data_app)
    assert sum(counts.values()) == current.n_samples
    assert len(counts) == current.n_classes
    assert run_of(data_app).n_iter == 0
    assert run_of(data_app).event.text == (
        "Training restarted from iteration 0 because the data changed."
    )
    expected_url = {"n_samples": "n", "n_classes": "k"}.get(field, field)
    assert url(data_app)[expected_url] == str(value)
    assert_charts_finite(data_app)
    check_consistency(data_app, on_train=False)


def test_chart_matches_the_generator_after_changes(data_app):
    set_widget(data_app, "number_input", "w.data.n_samples", 60)
    set_widget(data_app, "slider", "w.data.n_classes", 4)
    set_widget(data_app, "slider", "w.data.noise", 0.25)
    set_widget(data_app, "number_input", "w.data.seed", 3)
    X, y = make_noisy_classes(60, 4, 0.25, random_state=3)
    figure = chart_data(data_app, "w.data.chart")
    for k, data in enumerate(figure["data"]):
        np.testing.assert_array_equal(data["x"], X[y == k, 0])
    assert class_counts(data_app) == {str(k): int((y == k).sum()) for k in range(4)}
    written = url(data_app)
    assert [written[name] for name in ("n", "k", "noise", "seed", "iter")] == [
        "60",
        "4",
        "0.25",
        "3",
        "0",
    ]


def test_blobs_plot_the_plane_and_show_regions_on_train_and_compare(data_app):
    set_widget(data_app, "radio", "w.data.kind", "blobs")
    X, y = make_noisy_blobs(100, 3, 0.1, random_state=0)
    figure = chart_data(data_app, "w.data.chart")
    for k, data in enumerate(figure["data"]):
        np.testing.assert_array_equal(data["x"], X[y == k, 0])
        np.testing.assert_array_equal(data["y"], X[y == k, 1])
    assert figure["layout"]["xaxis"]["title"]["text"] == "x₁"
    assert figure["layout"]["yaxis"]["title"]["text"] == "x₂"
    go(data_app, TRAIN)
    assert chart_data(data_app, "w.train.model_chart")["data"][0]["type"] == "image"
    go(data_app, COMPARE)
    found = charts(data_app)
    assert {"w.compare.chart", "w.compare.sklearn_chart", "w.compare.loss_chart"} == set(found)
    assert found["w.compare.chart"]["data"][0]["type"] == "image"
    assert found["w.compare.sklearn_chart"]["data"][0]["type"] == "image"
    assert found["w.compare.sklearn_chart"]["layout"]["title"]["text"] == "scikit-learn"
    assert_charts_finite(data_app)


def test_new_random_data_changes_the_seed(data_app):
    before = scatter_points(data_app)
    click(data_app, "w.data.new_seed")
    seed = settings_of(data_app).seed
    assert seed != 0
    assert data_app.number_input(key="w.data.seed").value == seed
    assert url(data_app)["seed"] == str(seed)
    assert run_of(data_app).n_iter == 0
    assert not np.array_equal(before, scatter_points(data_app))
    click(data_app, "w.data.new_seed")
    assert settings_of(data_app).seed != seed
    check_consistency(data_app, on_train=False)


def test_csv_download_holds_the_data(downloads):
    at = open_app({"n": "40", "k": "4", "seed": "5"}, DATA)
    button = at.get("download_button")[0]
    assert button.label == "Download CSV"
    file_id = button.proto.url.rsplit("/", 1)[-1].removesuffix(".csv")
    text = downloads[file_id].decode()
    lines = text.splitlines()
    assert lines[0] == "x1,label"
    assert len(lines) == 1 + 40
    table = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1)
    X, y = make_noisy_classes(40, 4, 0.1, random_state=5)
    np.testing.assert_array_equal(table[:, 0], X[:, 0])  # %.17g: exact round trip
    np.testing.assert_array_equal(table[:, 1], y)


def test_csv_download_of_blobs_has_two_features(downloads):
    at = open_app({"kind": "blobs", "n": "30"}, DATA)
    file_id = at.get("download_button")[0].proto.url.rsplit("/", 1)[-1].removesuffix(".csv")
    table = np.loadtxt(io.StringIO(downloads[file_id].decode()), delimiter=",", skiprows=1)
    X, y = make_noisy_blobs(30, 3, 0.1, random_state=0)
    np.testing.assert_array_equal(table, np.column_stack([X, y]))


def test_large_data_sets_are_drawn_thinned():
    at = open_app({"n": "5000"}, DATA)
    figure = chart_data(at, "w.data.chart")
    drawn = sum(t["x"].size for t in figure["data"])
    assert drawn == 2000
    assert sum(class_counts(at).values()) == 5000


def test_data_widgets_start_from_the_url():
    at = open_app({"kind": "blobs", "n": "70", "k": "5", "noise": "0.2", "seed": "9"}, DATA)
    assert at.radio(key="w.data.kind").value == "blobs"
    assert at.number_input(key="w.data.n_samples").value == 70
    assert at.slider(key="w.data.n_classes").value == 5
    assert at.slider(key="w.data.noise").value == 0.2
    assert at.number_input(key="w.data.seed").value == 9
    assert sum(class_counts(at).values()) == 70
