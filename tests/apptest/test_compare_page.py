"""The Compare page: the gap to scikit-learn, its explanation, and the overlay chart."""

import numpy as np
import pytest

from softmax_core import make_noisy_classes

from .conftest import (
    COMPARE,
    TRAIN,
    assert_charts_finite,
    chart_data,
    charts,
    check_consistency,
    click,
    go,
    iteration,
    metric,
    model_of,
    open_app,
    set_widget,
    settings_of,
)


def max_gap(at) -> float:
    return float(metric(at, "max |Δp|"))


def reasons(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("- ")]


def converge_precisely(at):
    set_widget(at, "toggle", "w.compare.same", True)
    return click(at, "w.compare.converge")


@pytest.fixture
def compare_app():
    return open_app(page=COMPARE)


def test_default_compares_with_sklearn_defaults(compare_app):
    assert compare_app.toggle(key="w.compare.same").value is False
    assert max_gap(compare_app) > 1e-3
    assert float(metric(compare_app, "mean KL(scratch ‖ sklearn)")) > 0
    found = reasons(compare_app)
    assert any(r.startswith("- **Different objectives.**") and "C = 1" in r for r in found)
    assert any("The scratch model has no penalty" in r for r in found)
    assert any(r.startswith("- **Not trained yet.**") for r in found)
    assert_charts_finite(compare_app)


def test_reasons_name_non_convergence_and_the_unstable_rate():
    at = open_app(page=TRAIN)
    click(at, "w.train.step10")
    go(at, COMPARE)
    found = reasons(at)
    assert any(r.startswith("- **Not converged.** After 10 steps") for r in found)
    assert any(r.startswith("- **Unstable learning rate.** lr = 0.5") for r in found)
    assert max_gap(at) > 1e-3


def test_default_gap_stays_after_converging(compare_app):
    """Converged, the scratch model still differs from LogisticRegression() (C = 1)."""
    click(compare_app, "w.compare.converge")
    assert compare_app.toggle(key="w.compare.same").value is False
    assert max_gap(compare_app) > 1e-3
    found = reasons(compare_app)
    assert len(found) == 1 and "C = 1" in found[0]


def test_same_objective_and_converge_precisely_closes_the_gap(compare_app):
    converge_precisely(compare_app)
    assert max_gap(compare_app) < 1e-6
    assert float(metric(compare_app, "mean KL(scratch ‖ sklearn)")) < 1e-10
    assert metric(compare_app, "prediction agreement") == "100.0%"
    found = reasons(compare_app)
    assert len(found) == 1
    assert found[0].startswith("- Both minimise the same objective (no penalty)")
    current = settings_of(compare_app)
    assert (current.solver, current.learning_rate, current.tol, current.max_iter) == (
        "nesterov",
        None,
        1e-15,
        100_000,
    )
    assert model_of(compare_app).converged_
    check_consistency(compare_app, on_train=False)


@pytest.mark.parametrize(
    "query",
    [{"C": "1.0"}, {"C": "0.1", "k": "4"}, {"k": "2"}, {"k": "2", "C": "1.0"}],
    ids=lambda q: ",".join(f"{k}={v}" for k, v in q.items()),
)
def test_same_objective_closes_the_gap_for_other_penalties(query):
    at = open_app(query, COMPARE)
    converge_precisely(at)
    assert max_gap(at) < 1e-6
    assert metric(at, "prediction agreement") == "100.0%"
    if "C" in query:
        assert f"C = {float(query['C']):g}" in reasons(at)[0]


def test_converge_precisely_moves_the_train_widgets(compare_app):
    converge_precisely(compare_app)
    n_iter = model_of(compare_app).n_iter_
    go(compare_app, TRAIN)
    assert compare_app.toggle(key="w.train.lr_auto").value is True
    assert compare_app.radio(key="w.train.solver").value == "nesterov"
    assert compare_app.select_slider(key="w.train.tol").value == 1e-15
    assert compare_app.number_input(key="w.train.max_iter").value == 100_000
    assert metric(compare_app, "Converged") == "yes"
    assert iteration(compare_app) == n_iter
    check_consistency(compare_app)


def test_overlay_chart_solid_scratch_dashed_sklearn_same_colour(compare_app):
    figure = chart_data(compare_app, "w.compare.chart")
    curves = [t for t in figure["data"] if t["mode"] == "lines"]
    scratch = [t for t in curves if t["name"].startswith("from scratch")]
    sklearn = [t for t in curves if t["name"].startswith("scikit-learn")]
    assert len(scratch) == len(sklearn) == 3
    for k, (ours, theirs) in enumerate(zip(scratch, sklearn, strict=True)):
        assert ours["name"] == f"from scratch: P(class {k})"
        assert theirs["name"] == f"scikit-learn: P(class {k})"
        assert ours["line"]["dash"] == "solid"
        assert theirs["line"]["dash"] == "dash"
        assert ours["line"]["color"] == theirs["line"]["color"]
        np.testing.assert_array_equal(ours["x"], theirs["x"])
    assert len({t["line"]["color"] for t in scratch}) == 3
    assert "vs scikit-learn (dashed)" in figure["layout"]["title"]["text"]
    # At iteration 0 the scratch curves are flat at 1/3; scikit-learn's are not.
    np.testing.assert_allclose(np.column_stack([t["y"] for t in scratch]), 1 / 3)
    assert np.ptp(sklearn[0]["y"]) > 0.1


def test_loss_chart_has_sklearn_reference_line(compare_app):
    figure = chart_data(compare_app, "w.compare.loss_chart")
    assert [t["name"] for t in figure["data"]] == [
        "from scratch",
        "scikit-learn's parameters, scored by the scratch objective",
    ]
    line = figure["data"][1]
    assert line["line"]["dash"] == "dash"
    assert line["y"][0] == line["y"][1] < np.log(3)


def test_same_objective_reference_line_is_the_optimum(compare_app):
    converge_precisely(compare_app)
    figure = chart_data(compare_app, "w.compare.loss_chart")
    losses, reference = figure["data"][0]["y"], figure["data"][1]["y"]
    X, y = make_noisy_classes()
    assert losses[-1] == pytest.approx(model_of(compare_app).objective(X, y))
    assert losses[-1] == pytest.approx(reference[0], abs=1e-10)


def test_blobs_compare_shows_two_charts():
    at = open_app({"kind": "blobs"}, COMPARE)
    assert set(charts(at)) == {"w.compare.chart", "w.compare.sklearn_chart", "w.compare.loss_chart"}
    converge_precisely(at)
    assert max_gap(at) < 1e-6
    assert_charts_finite(at)
