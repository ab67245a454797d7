"""The Compare page: the measured gap to scikit-learn and the claims that explain it.

Each claim is checked against numbers computed here, from the model and scikit-learn's fit
(issue "Truth on screen", reproductions 4 and 6).
"""

import re
import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss

from softmax_core import symmetric_parameters

from .conftest import (
    COMPARE,
    FIX,
    OPTIMUM_GAP,
    RUN,
    STEP10,
    TRAIN,
    chart_data,
    chart_subtitle,
    chart_title,
    charts,
    check_compare_claims,
    check_consistency,
    choose,
    click,
    compare_claims,
    dashed,
    data_of,
    expected,
    go,
    j_star,
    loss_line,
    metric,
    open_app,
    page_alerts,
    set_widget,
    toasts,
    trace,
    url,
)


def claim_keys(at) -> set[str]:
    """The keys of the claims on the page (the page shows exactly the claims the run's
    numbers, computed here, call for: checked here)."""
    return check_compare_claims(at)


def reference_parameters(at):
    return symmetric_parameters(expected(at).reference)


def test_gap_metrics_are_measured_against_the_reference():
    at = open_app(page=TRAIN)
    click(at, STEP10)
    go(at, COMPARE)
    model = expected(at).model
    X, _ = data_of(expected(at).settings)
    theirs = expected(at).reference.predict_proba(X)
    ours = model.predict_proba(X)
    assert metric(at, "max |Δp|") == f"{np.max(np.abs(ours - theirs)):.2e}"
    agreement = np.mean(ours.argmax(axis=1) == theirs.argmax(axis=1))
    assert metric(at, "prediction agreement") == f"{agreement:.1%}"
    assert metric(at, "J − J*") == f"{model.loss_ - j_star(at):.2e}"
    check_consistency(at)


@pytest.mark.parametrize(
    ("query", "label"),
    [
        ({}, "scikit-learn, same objective (C = ∞)"),
        ({"C": "0.1"}, "scikit-learn, same objective (C = 0.1)"),
        ({"ref": "default"}, "scikit-learn default (C = 1)"),
    ],
)
def test_8_the_reference_is_named_with_its_objective(query, label):
    at = open_app(query, COMPARE)
    figure = chart_data(at, "w.compare.chart")
    assert chart_title(figure).startswith("From scratch, iteration 0")
    assert f"dashed: {label}" in chart_subtitle(figure)
    assert {t["name"] for t in dashed(figure)} == {f"{label}: P(class {k})" for k in range(3)}
    check_consistency(at)


def test_reference_choice_is_a_view_and_keeps_the_run():
    at = open_app(page=TRAIN)
    click(at, STEP10)
    go(at, COMPARE)
    coef = expected(at).model.coef_.copy()
    choose(at, "w.view.reference", "default")
    assert "J (scratch objective)" in [m.label for m in at.metric]
    assert metric(at, "J (scratch objective)") == f"{expected(at).model.loss_:.6f}"
    assert expected(at).model.n_iter_ == 10
    np.testing.assert_array_equal(expected(at).model.coef_, coef)
    assert not toasts(at)
    check_consistency(at)
    go(at, TRAIN)  # the Train page's target follows the choice
    assert "scikit-learn default (C = 1)" in chart_subtitle(chart_data(at, "w.train.model_chart"))
    check_consistency(at)


# Runs after which the page's Converged flag, the toast and Compare's claims must agree.
RUNS = {
    "4-blobs-nesterov-0.5": {
        "kind": "blobs",
        "n": "100",
        "k": "5",
        "noise": "0.5",
        "seed": "0",
        "lr": "0.5",
        "solver": "nesterov",
        "iter": "0",
    },
    "seed-gd-0.5": {},
    "gd-auto": {"lr": "auto", "max_iter": "100000"},
    "newton": {"solver": "newton"},
}


@pytest.mark.parametrize("query", RUNS.values(), ids=RUNS.keys())
def test_4_run_to_convergence_toast_metric_and_compare_agree_with_the_model(query):
    at = open_app(query, TRAIN)
    click(at, RUN)
    converged = expected(at).model.converged_
    assert toasts(at)[0].startswith("Converged after " if converged else "Stopped at max_iter")
    assert metric(at, "Converged") == ("yes" if converged else "no")
    check_consistency(at)
    go(at, COMPARE)
    keys = claim_keys(at)
    if converged:
        # Where a converged run stands; not "overshoots instead of settling", not "still".
        assert keys & {"stopped-by-tol", "at-optimum", "below-reference"}, keys
        assert not keys & {"oscillating", "converging", "max-iter"}, keys
    else:
        assert "stopped-by-tol" not in keys
    check_consistency(at)


@pytest.mark.parametrize("kind", ["line", "blobs"])
@pytest.mark.parametrize("trained", [False, True], ids=["iteration-0", "trained"])
def test_6_default_reference_names_the_flatter_model_by_its_norm(kind, trained):
    at = open_app({"kind": kind, "C": "0.1", "lr": "auto", "max_iter": "100000"}, TRAIN)
    if trained:
        click(at, RUN)
    go(at, COMPARE)
    choose(at, "w.view.reference", "default")
    scratch = np.linalg.norm(expected(at).model.coef_)
    theirs = np.linalg.norm(reference_parameters(at)[0])
    flatter = "reference" if theirs < scratch else "scratch"
    assert f"objectives-differ flatter-{flatter}" == compare_claims(expected(at))[0][0]
    assert {"objectives-differ", f"flatter-{flatter}"} <= check_compare_claims(at)
    text = page_alerts(at)[0][1]
    assert text.startswith("**Different objectives.**")
    assert f"‖W‖ = {theirs:.3g} for scikit-learn and {scratch:.3g} from scratch" in text
    name = "scikit-learn" if flatter == "reference" else "from-scratch"
    shape = "decision regions" if kind == "blobs" else "probability curves"
    assert f"so the {name} {shape} change more gradually" in text
    if kind == "blobs":
        assert "curves" not in text
    check_consistency(at)


def test_6_stopped_by_the_tolerance_shows_the_gap_to_the_optimum(train_app):
    """Seed data, Fix, max_iter 100000, tol 1e-6, Run to convergence; reference: same."""
    click(train_app, FIX)
    set_widget(train_app, "number_input", "w.train.max_iter", 100_000)
    click(train_app, RUN)
    assert expected(train_app).model.converged_
    go(train_app, COMPARE)
    gap = expected(train_app).model.loss_ - j_star(train_app)
    assert gap > OPTIMUM_GAP
    assert claim_keys(train_app) == {"stopped-by-tol"}
    text = page_alerts(train_app)[0][1]
    assert text.startswith("**Stopped by the tolerance.**")
    assert f"J − J* = {gap:.2e} above the optimum" in text
    assert "tolerances" not in text
    check_consistency(train_app)


def test_run_to_the_optimum_closes_the_gap_with_the_same_objective():
    at = open_app({"lr": "auto", "C": "1.0"}, COMPARE)
    click(at, "w.compare.optimum")
    assert float(metric(at, "max |Δp|")) < 1e-5
    assert metric(at, "prediction agreement") == "100.0%"
    assert claim_keys(at) == {"at-optimum"}
    # An action, not a setting: tol and max_iter stay as the link had them.
    assert (url(at)["tol"], url(at)["max_iter"]) == ("1e-06", "1000")
    assert int(url(at)["iter"]) > 1000
    assert metric(at, "J − J*") == f"{expected(at).model.loss_ - j_star(at):.2e}"
    figure = chart_data(at, "w.compare.loss_chart")
    losses, line = loss_line(figure)[1], trace(figure, "J* (target)")["y"]
    assert losses[-1] == pytest.approx(line[0], abs=1e-8)
    check_consistency(at)


def test_two_dimensional_compare_draws_regions_and_dashed_boundaries():
    at = open_app({"kind": "blobs", "k": "4"}, COMPARE)
    figure = chart_data(at, "w.compare.chart")
    assert figure["data"][0]["type"] == "image"
    assert [t["type"] for t in dashed(figure)] == ["contour"] * 4
    check_consistency(at)


def test_train_and_compare_count_the_same_accuracy_when_two_classes_tie():
    """After one step on noiseless data, a point's two scores differ by 5e-18: equal
    probabilities. Train's accuracy and Compare's table must count it the same way."""
    at = open_app({"noise": "0", "k": "2", "lr": "auto", "iter": "1"}, TRAIN)
    shown_on_train = metric(at, "Accuracy")
    go(at, COMPARE)
    table = next(d.value for d in at.dataframe if d.value.columns[0] == "model")
    assert shown_on_train == f"{table['accuracy, training'][0] / 100:.1%}"
    check_consistency(at)


# ----------------------------------------------------------- the regularization path

PATH_GRID = np.logspace(-4, 4, 17)
PATH_CHART = "w.compare.path_chart"


def path_sentence(at) -> str:
    found = [m.value for m in at.markdown if "accuracy is highest" in m.value]
    assert len(found) == 1, found
    return found[0]


def path_series(figure) -> dict[tuple[str, str], np.ndarray]:
    """The chart's arrays by (panel, series): ("y", "‖W‖"), ("y2", "held out"), ..."""
    series = {}
    for t in figure["data"]:
        np.testing.assert_allclose(t["x"], PATH_GRID, rtol=1e-15)
        series[(t["yaxis"], t["name"])] = np.asarray(t["y"], dtype=float)
    return series


def grid_value(text: str) -> float:
    return float(text.replace(",", ""))


def check_path_sentence(at, C: float) -> None:
    """The sentence says what the chart's own numbers show: the highest accuracy (held out
    if any, else training) and the C values it is reached at, the lowest held-out log-loss,
    and where the run's C lies against them."""
    text, series = path_sentence(at), path_series(chart_data(at, PATH_CHART))
    held = ("y2", "held out") in series
    accuracy = series[("y2", "held out" if held else "training")]
    assert text.startswith("**Held-out accuracy" if held else "**Training accuracy")
    best = accuracy.max()
    found = re.search(r"highest, ([\d.]+)%, (?:from|at|between)? ?(.*?)\*\*", text)
    assert found and float(found.group(1)) == pytest.approx(100 * best, abs=0.05), text
    named = [grid_value(v) for v in re.findall(r"C = ([\d.,e+-]+)", found.group(2))]
    at_best = PATH_GRID[accuracy == best]
    tied = (accuracy == best).sum()
    if tied <= 3:
        np.testing.assert_allclose(named, at_best, rtol=5e-3)  # three significant digits
    else:
        np.testing.assert_allclose(named, [at_best[0], at_best[-1]], rtol=5e-3)
        assert f"{tied} of the 17 values" in text
    if held:
        losses = series[("y3", "held out")]
        lowest = re.search(r"log-loss is lowest, ([\d.]+), at C = ([\d.,e+-]+)\.", text)
        assert lowest, text
        assert float(lowest.group(1)) == pytest.approx(losses.min(), abs=5e-5)
        assert grid_value(lowest.group(2)) == pytest.approx(PATH_GRID[losses.argmin()], rel=5e-3)
    if np.isinf(C):
        assert "This run has no penalty (C = ∞), beyond the grid's right end" in text
    elif at_best[0] > C:
        assert "is below th" in text and "a stronger penalty" in text
    elif at_best[-1] < C:
        assert "is above th" in text and "a weaker penalty" in text
    else:
        assert "is that value" in text or "one of them" in text or "between them" in text


def test_the_regularization_path_marks_the_links_c_and_is_scikit_learns_there():
    at = open_app({"C": "0.01", "holdout": "0.3"}, COMPARE)
    assert "Regularization path" in [s.value for s in at.subheader]
    figure = chart_data(at, PATH_CHART)
    (shape,) = figure["layout"]["shapes"]
    assert (shape["xref"], shape["x0"], shape["x1"]) == ("x3", 0.01, 0.01)
    assert figure["layout"]["annotations"][0]["text"] == "this run: C = 0.01"
    series = path_series(figure)
    assert set(series) == {
        ("y", "‖W‖"),
        ("y2", "training"),
        ("y2", "held out"),
        ("y3", "training"),
        ("y3", "held out"),
    }
    # Point by point against scikit-learn's fit of the same objective, on the data made here.
    data = expected(at).data
    for i in (0, 4, 12):  # C = 1e-4, the link's 0.01, 100
        C = PATH_GRID[i]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sk = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=10_000)
            sk.fit(data.X_train, data.y_train)
        coef = symmetric_parameters(sk)[0]
        assert series[("y", "‖W‖")][i] == pytest.approx(np.linalg.norm(coef), rel=1e-6)
        for name, X, y in (
            ("training", data.X_train, data.y_train),
            ("held out", data.X_test, data.y_test),
        ):
            assert series[("y2", name)][i] == accuracy_score(y, sk.predict(X))
            assert series[("y3", name)][i] == pytest.approx(
                log_loss(y, sk.predict_proba(X), labels=[0, 1, 2]), rel=1e-6
            )
    # ||W|| grows with C (the penalty weakens), and so does the fit to the training points.
    assert np.all(np.diff(series[("y", "‖W‖")]) >= -1e-9)
    assert np.all(np.diff(series[("y3", "training")]) <= 1e-12)
    check_path_sentence(at, 0.01)
    check_consistency(at)


@pytest.mark.parametrize(
    ("query", "C"),
    [
        ({}, np.inf),
        ({"kind": "blobs", "k": "4", "holdout": "0.25", "C": "5000"}, 5000.0),
        ({"kind": "blobs", "k": "2", "holdout": "0.4", "C": "0.3"}, 0.3),
    ],
    ids=["seed-no-penalty", "blobs-weak-penalty", "blobs-two-classes"],
)
def test_the_path_sentence_is_true_for_the_numbers_on_the_chart(query, C):
    at = open_app(query, COMPARE)
    check_path_sentence(at, C)
    figure = chart_data(at, PATH_CHART)
    (shape,) = figure["layout"]["shapes"]
    label = figure["layout"]["annotations"][0]["text"]
    if np.isinf(C):
        assert (shape["xref"], shape["x0"]) == ("paper", 1.0)
        assert label == "no penalty (C = ∞) is beyond the grid"
    else:
        assert (shape["xref"], shape["x0"]) == ("x3", C)
        assert label == f"this run: C = {C:g}"
    check_consistency(at)


def test_a_new_c_moves_the_mark_on_the_same_path():
    at = open_app({"C": "0.01"}, COMPARE)
    before = path_series(chart_data(at, PATH_CHART))
    go(at, TRAIN)
    set_widget(at, "selectbox", "w.train.C", 1.0)
    go(at, COMPARE)
    assert url(at)["C"] == "1.0"
    figure = chart_data(at, PATH_CHART)
    assert figure["layout"]["shapes"][0]["x0"] == 1.0
    assert figure["layout"]["annotations"][0]["text"] == "this run: C = 1"
    after = path_series(figure)
    for key, values in before.items():
        np.testing.assert_array_equal(after[key], values)  # the path of the data set
    check_path_sentence(at, 1.0)
    check_consistency(at)


def test_large_data_computes_the_path_when_asked():
    at = open_app({"kind": "blobs", "n": "20000", "k": "10"}, COMPARE)
    assert "Regularization path" in [s.value for s in at.subheader]
    assert PATH_CHART not in charts(at)
    assert any("computed when asked for" in c.value for c in at.caption)
    click(at, "w.compare.path")
    check_path_sentence(at, np.inf)
    assert "w.compare.path" not in [b.key for b in at.button]
    choose(at, "w.view.reference", "default")  # later reruns keep it
    assert PATH_CHART in charts(at)
    check_consistency(at)
