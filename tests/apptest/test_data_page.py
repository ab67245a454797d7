"""The Data page: every control regenerates the data and starts a new run (Back returns to the
old one); data that cannot be made keep the previous data set; the CSV download."""

import io

import numpy as np
import pytest

import ui.data
from softmax_core import make_noisy_blobs, make_noisy_classes

from .conftest import (
    DATA,
    STEP10,
    TRAIN,
    chart_data,
    check_consistency,
    choose,
    click,
    expected,
    go,
    open_app,
    set_widget,
    summary,
    toast,
    toasts,
    url,
)


@pytest.fixture
def data_app():
    """A session 10 iterations into the seed run, now on the Data page."""
    at = open_app(page=TRAIN)
    click(at, STEP10)
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
    assert [t["name"] for t in figure["data"]] == ["0", "1", "2"]
    for k, data in enumerate(figure["data"]):
        np.testing.assert_array_equal(data["x"], X[y == k, 0])
        np.testing.assert_array_equal(data["y"], np.full((y == k).sum(), k))
    assert class_counts(data_app) == {"0": 32, "1": 35, "2": 33}
    assert expected(data_app).n_iter == 10  # visiting the page changes nothing
    check_consistency(data_app)


CONTROLS = [
    ("number_input", "w.data.n_samples", 50, "n_samples", "n"),
    ("slider", "w.data.n_classes", 5, "n_classes", "k"),
    ("slider", "w.data.noise", 0.3, "noise", "noise"),
    ("number_input", "w.data.seed", 7, "seed", "seed"),
    ("segmented_control", "w.data.kind", "blobs", "kind", "kind"),
]


@pytest.mark.parametrize(("kind", "key", "value", "field", "name"), CONTROLS)
def test_each_control_regenerates_the_data_and_restarts(data_app, kind, key, value, field, name):
    before = scatter_points(data_app)
    set_widget(data_app, kind, key, value)
    current = expected(data_app).settings
    assert getattr(current, field) == value
    after = scatter_points(data_app)
    assert before.shape != after.shape or not np.array_equal(before, after)
    counts = class_counts(data_app)
    assert sum(counts.values()) == current.n_samples
    assert len(counts) == current.n_classes
    assert expected(data_app).n_iter == 0
    assert toasts(data_app) == ["Training restarted from iteration 0 because the data changed."]
    assert url(data_app)[name] == str(value)
    check_consistency(data_app)


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
    assert [url(data_app)[name] for name in ("n", "k", "noise", "seed", "iter")] == [
        "60",
        "4",
        "0.25",
        "3",
        "0",
    ]
    check_consistency(data_app)


def test_blobs_plot_the_plane(data_app):
    choose(data_app, "w.data.kind", "blobs")
    X, y = make_noisy_blobs(100, 3, 0.1, random_state=0)
    figure = chart_data(data_app, "w.data.chart")
    for k, data in enumerate(figure["data"]):
        np.testing.assert_array_equal(data["x"], X[y == k, 0])
        np.testing.assert_array_equal(data["y"], X[y == k, 1])
    assert figure["layout"]["xaxis"]["title"]["text"] == "x₁"
    assert figure["layout"]["yaxis"]["title"]["text"] == "x₂"
    check_consistency(data_app)


def test_new_random_data_changes_the_seed(data_app):
    before = scatter_points(data_app)
    click(data_app, "w.data.new_seed")
    seed = expected(data_app).settings.seed
    assert seed != 0
    assert data_app.number_input(key="w.data.seed").value == seed
    assert url(data_app)["seed"] == str(seed)
    assert expected(data_app).n_iter == 0
    assert not np.array_equal(before, scatter_points(data_app))
    check_consistency(data_app)


def test_data_that_cannot_be_made_keep_the_previous_data_set(data_app, monkeypatch):
    """No data setting reachable by the widgets is refused by the core (the page's minimum
    is 10 points and the core refuses only fewer points than a line's classes need, e.g.
    7 for 6), so the core is made to refuse one here."""
    make = ui.data.make_noisy_classes

    def refusing(n_samples, n_classes, noise, random_state):
        if n_samples == 130:
            raise ValueError("n_samples=130 points leave a class of the line without points")
        return make(n_samples, n_classes, noise, random_state=random_state)

    monkeypatch.setattr(ui.data, "make_noisy_classes", refusing)
    before = scatter_points(data_app)
    set_widget(data_app, "number_input", "w.data.n_samples", 130)
    assert toast(data_app) == (
        "Those settings cannot make a data set: n_samples=130 points leave a class of the "
        "line without points. The previous one stays."
    )
    assert expected(data_app).settings.n_samples == 100
    assert data_app.number_input(key="w.data.n_samples").value == 100
    np.testing.assert_array_equal(scatter_points(data_app), before)
    assert expected(data_app).n_iter == 10  # and the run goes on
    check_consistency(data_app)


def test_a_link_whose_data_cannot_be_made_opens_the_seed(monkeypatch):
    make = ui.data.make_noisy_classes

    def refusing(n_samples, n_classes, noise, random_state):
        if n_samples == 131:
            raise ValueError("no data")
        return make(n_samples, n_classes, noise, random_state=random_state)

    monkeypatch.setattr(ui.data, "make_noisy_classes", refusing)
    at = open_app({"n": "131", "iter": "5"}, TRAIN)
    assert expected(at).settings.n_samples == 100
    notices = [w.value for w in at.warning if "could not be made" in w.value]
    assert len(notices) == 1
    check_consistency(at)


def test_ten_points_two_classes_half_noise_keeps_both_classes():
    at = open_app({"n": "10", "k": "2", "noise": "0.5", "seed": "91"}, TRAIN)
    click(at, STEP10)
    assert expected(at).n_iter == 10
    assert "10 points, 2 classes" in summary(at)
    check_consistency(at)
    go(at, DATA)
    counts = class_counts(at)
    assert set(counts) == {"0", "1"} and all(n > 0 for n in counts.values())
    check_consistency(at)


def test_csv_download_holds_the_data(downloads):
    at = open_app({"n": "40", "k": "4", "seed": "5"}, DATA)
    button = at.get("download_button")[0]
    assert button.label == "Download CSV"
    text = downloads(button)
    lines = text.splitlines()
    assert lines[0] == '"x","label"'  # the data set's own names, quoted
    assert len(lines) == 1 + 40
    table = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1)
    X, y = make_noisy_classes(40, 4, 0.1, random_state=5)
    np.testing.assert_array_equal(table[:, 0], X[:, 0])  # %.17g: exact round trip
    np.testing.assert_array_equal(table[:, 1], y)


def test_csv_download_of_blobs_has_two_features(downloads):
    at = open_app({"kind": "blobs", "n": "30"}, DATA)
    text = downloads(at.get("download_button")[0])
    assert text.splitlines()[0] == '"x₁","x₂","label"'
    table = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1)
    X, y = make_noisy_blobs(30, 3, 0.1, random_state=0)
    np.testing.assert_array_equal(table, np.column_stack([X, y]))


def test_large_data_sets_are_drawn_thinned():
    at = open_app({"n": "5000"}, DATA)
    figure = chart_data(at, "w.data.chart")
    assert sum(t["x"].size for t in figure["data"]) == 2000
    assert sum(class_counts(at).values()) == 5000
    check_consistency(at)


def test_data_widgets_start_from_the_link():
    at = open_app({"kind": "blobs", "n": "70", "k": "5", "noise": "0.23", "seed": "9"}, DATA)
    assert at.segmented_control(key="w.data.kind").value == "blobs"
    assert at.number_input(key="w.data.n_samples").value == 70
    assert at.slider(key="w.data.n_classes").value == 5
    assert at.slider(key="w.data.noise").value == 0.23
    assert at.number_input(key="w.data.seed").value == 9
    assert sum(class_counts(at).values()) == 70
    check_consistency(at)
