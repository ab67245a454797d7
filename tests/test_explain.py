"""Every sentence the app says about a run, checked against the numbers, across the cases.

The grid of the issue: data kind {line, blobs} x classes {2, 3, 5} x C {inf, 1, 0.1} x solver
{gd, nesterov} x learning rate {0.5x, 0.99x, 1.01x, 2x of 2/L, divergent} x iteration
{0, 3, converged}. For each state the claims of ``ui.explain`` (the stability banner and
Compare's reasons, with either reference) are computed as the app computes them, and each
claim's key is checked against numbers recomputed here independently: the loss history's
rises, the objective written out with plain exp/log, scikit-learn's parameters scored by it,
the parameter norms and the model's own flags.
"""

from __future__ import annotations

import itertools
import re
import warnings
from functools import cache

import numpy as np
import pytest

from softmax_core import (
    RegularizationPath,
    SoftmaxRegression,
    TrainingData,
    fit_sklearn,
    make_noisy_blobs,
    make_noisy_classes,
    stable_learning_rate_limit,
    symmetric_parameters,
)
from ui import explain
from ui.report import RECENT_STEPS, Reference, build_report, format_ratio
from ui.settings import SEED_NOTE, Settings

N_SAMPLES = 60
CONVERGED_MAX_ITER = 3_000
# Where a trained run stands against its objective's optimum: Compare says exactly one.
STANDINGS = {
    "at-optimum",
    "below-reference",
    "oscillating",
    "momentum",
    "stopped-by-tol",
    "max-iter",
    "converging",
}
RATES = {"0.5x": 0.5, "0.99x": 0.99, "1.01x": 1.01, "2x": 2.0, "divergent": None}
DIVERGENT_RATE = 1e6
GRID = list(
    itertools.product(
        ["line", "blobs"],
        [2, 3, 5],
        [np.inf, 1.0, 0.1],
        ["gd", "nesterov"],
        list(RATES),
        ["0", "3", "converged"],
    )
)


@cache
def data(kind: str, n_classes: int):
    if kind == "line":
        return make_noisy_classes(N_SAMPLES, n_classes, 0.1, random_state=1)
    return make_noisy_blobs(N_SAMPLES, n_classes, 0.1, random_state=1)


@cache
def references(kind: str, n_classes: int, C: float) -> dict[str, Reference]:
    X, y = data(kind, n_classes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "same": Reference.scored(fit_sklearn(X, y, same_objective_as=C), "same", X, y, C),
            "default": Reference.scored(fit_sklearn(X, y), "default", X, y, C),
        }


def trained(kind, n_classes, C, solver, rate, iteration):
    X, y = data(kind, n_classes)
    limit = stable_learning_rate_limit(X, C)
    learning_rate = DIVERGENT_RATE if RATES[rate] is None else RATES[rate] * limit
    model = SoftmaxRegression(
        learning_rate=learning_rate, C=C, solver=solver, max_iter=CONVERGED_MAX_ITER
    )
    training = TrainingData(X, y, classes=np.arange(n_classes))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if iteration == "converged":
            model.step(training, CONVERGED_MAX_ITER, until_converged=True)
        else:
            model.step(training, int(iteration))
    return model, training


def naive_objective(coef, intercept, X, y, C):
    scores = X @ coef.T + intercept
    scores -= scores.max(axis=1, keepdims=True)
    log_proba = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    penalty = 0.0 if np.isinf(C) else np.sum(coef**2) / (2 * C * len(y))
    return -np.mean(log_proba[np.arange(len(y)), y]) + penalty


def rises_among_last_steps(model) -> tuple[int, int]:
    """Recomputed here: the last steps (all at one rate) and how many raised the loss."""
    history = np.array([*model.loss_curve_, model.loss_])
    window = min(RECENT_STEPS, len(history) - 1)
    recent = history[len(history) - 1 - window :]
    changes = np.diff(recent)
    rises = [c > 1e-12 * max(abs(before), 1.0) for c, before in zip(changes, recent, strict=False)]
    return window, sum(rises)


def ratio_in_text(text: str) -> float:
    return float(re.search(r"is ([0-9.e+-]+)×", text).group(1))


@pytest.mark.parametrize(("kind", "n_classes", "C", "solver", "rate", "iteration"), GRID)
def test_every_claim_matches_the_numbers(kind, n_classes, C, solver, rate, iteration):
    X, y = data(kind, n_classes)
    model, training = trained(kind, n_classes, C, solver, rate, iteration)
    limit = stable_learning_rate_limit(X, C)
    steps, rises = rises_among_last_steps(model)
    loss = naive_objective(model.coef_, model.intercept_, X, y, C)
    assert model.loss_ == pytest.approx(loss, rel=1e-9, abs=1e-12)

    for objective, reference in references(kind, n_classes, C).items():
        report = build_report(model, training, auto_rate=False, reference=reference)
        assert (report.recent_steps, report.recent_rises) == (steps, rises)
        banner = explain.stability(report)
        claims = explain.differences(report, two_dimensional=kind == "blobs")
        keys = {key for claim in claims for key in claim.key.split()}

        # The banner.
        if model.diverged_:
            assert banner.key == "diverged" and banner.level == "error"
            assert [claim.key for claim in claims] == ["diverged"]
            continue
        assert banner.key != "diverged"
        ratio = model.learning_rate_ / limit
        if solver == "gd":
            expected = (
                "stable" if ratio <= 1 else ("unstable-rising" if rises else "unstable-falling")
            )
            assert banner.key == expected
            if banner.key == "stable":  # "every step lowers the loss", seen in the history
                assert rises == 0
            assert (ratio_in_text(banner.text) > 1) == (ratio > 1)
            assert (ratio_in_text(banner.text) < 1) == (ratio < 1)
        else:
            proven = model.learning_rate_ <= limit / 2
            assert banner.key == ("nesterov-proven" if proven else "nesterov-unproven")
            restarts = model.n_restarts_
            said = {0: "has not restarted", 1: "restarted once", 2: "restarted twice"}
            assert said.get(restarts, f"restarted {restarts:,} times") in banner.text
            assert "every gradient-descent step lowers" not in banner.text
        assert f"rose in {rises} of the last {steps} steps" in banner.text or steps <= 1

        # Compare's reasons.
        coef, intercept = symmetric_parameters(reference.model)
        reference_loss = naive_objective(coef, intercept, X, y, C)
        gap = loss - reference_loss
        if objective == "default":
            flatter = (
                "reference" if np.linalg.norm(coef) < np.linalg.norm(model.coef_) else "scratch"
            )
            assert f"flatter-{flatter}" in keys and "objectives-differ" in keys
            shape = "decision regions" if kind == "blobs" else "probability curves"
            assert shape in claims[0].text
        else:
            assert "objectives-differ" not in keys
        assert ("not-trained" in keys) == (model.n_iter_ == 0)
        if "at-optimum" in keys:
            assert objective == "same" and abs(gap) <= explain.OPTIMUM_GAP * 1.01
        if "below-reference" in keys:
            assert objective == "same" and gap < 0
        if "oscillating" in keys:
            assert rises > 0 and solver == "gd" and not model.converged_
        if "momentum" in keys:
            assert rises > 0 and solver == "nesterov" and not model.converged_
        if "stopped-by-tol" in keys:
            assert model.converged_ and abs(model.loss_ - model.loss_curve_[-1]) < model.tol
            if objective == "same":
                assert gap > explain.OPTIMUM_GAP
                assert f"{gap:.2e}" in next(c.text for c in claims if c.key == "stopped-by-tol")
        if "max-iter" in keys:
            assert model.n_iter_ >= model.max_iter and not model.converged_
        if "converging" in keys:
            assert not model.converged_ and rises == 0 and model.n_iter_ < model.max_iter
        assert ("reference-stopped-early" in keys) == (
            np.max(reference.model.n_iter_) >= reference.model.max_iter
        )
        if model.n_iter_ and objective == "same":
            # Exactly one statement of where the run stands.
            standing = keys & STANDINGS
            assert len(standing) == 1, keys


def test_the_grid_reaches_every_claim():
    """The grid is only a check if every claim occurs in it."""
    seen = set()
    for kind, n_classes, C, solver, rate, iteration in GRID:
        model, training = trained(kind, n_classes, C, solver, rate, iteration)
        for reference in references(kind, n_classes, C).values():
            report = build_report(model, training, auto_rate=False, reference=reference)
            seen.add(explain.stability(report).key)
            for claim in explain.differences(report, two_dimensional=kind == "blobs"):
                seen.update(claim.key.split())
    assert {
        "stable",
        "unstable-rising",
        "unstable-falling",
        "nesterov-proven",
        "nesterov-unproven",
        "diverged",
        "objectives-differ",
        "flatter-reference",
        "flatter-scratch",
        "not-trained",
        "at-optimum",
        "oscillating",
        "momentum",
        "stopped-by-tol",
        "max-iter",
        "converging",
    } <= seen, seen


@pytest.mark.parametrize(
    ("ratio", "text"),
    [
        (4.2808, "4.28×"),
        (1.0011, "1.001×"),
        (0.9994, "0.999×"),
        (1.0, "1.00×"),
        (0.5, "0.50×"),
        (8563371.1, "8.56e+06×"),
        (1000.0, "1e+03×"),
    ],
)
def test_one_rounding_rule_keeps_each_ratio_on_its_side_of_one(ratio, text):
    assert format_ratio(ratio) == text


def test_newton_banner_has_no_learning_rate_claim():
    X, y = make_noisy_classes()
    model = SoftmaxRegression(solver="newton").step(TrainingData(X, y), 2)
    claim = explain.stability(build_report(model, TrainingData(X, y), auto_rate=True))
    assert claim.key == "newton" and f"s = {model.step_size_:g}" in claim.text


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"n_samples": 200}, "the data changed"),
        ({"C": 1.0}, "the penalty changed the objective (C = 1)"),
        ({"solver": "nesterov"}, "the solver changed from gradient descent to Nesterov"),
        ({"solver": "newton"}, "the solver changed from gradient descent to Newton"),
    ],
)
def test_restart_reasons_name_what_changed(change, reason):
    new = Settings(**{**SEED_NOTE.__dict__, **change})
    assert explain.restart_reason(SEED_NOTE, new) == reason


def test_a_divergence_names_the_rate_that_diverged_not_the_one_set_after():
    # Reproduced: /Train?iter=10&sched=1e6x10 blamed "the learning rate 0.5" (the link's
    # setting after the schedule) for what its 1e6 segment did.
    from ui.lab import Lab
    from ui.services import MemoryServices

    lab = Lab.from_link({"iter": "10", "sched": "1e6x10"}, MemoryServices())
    assert lab.model.diverged_ and lab.model.learning_rate_ == 0.5
    text = explain.stability(lab.report()).text
    assert "The learning rate 1e+06 is 8.56e+06× the stable limit" in text
    assert "0.5 is" not in text
    same = Lab.from_link({"lr": "1e6", "iter": "3"}, MemoryServices())
    assert "The learning rate 1e+06 is" in explain.stability(same.report()).text


# ---------------------------------------------------------------- Newton's sentences

NEWTON_GRID = list(
    itertools.product(["line", "blobs"], [2, 3, 5], [np.inf, 1.0, 0.1], ["0", "3", "converged"])
)


@pytest.mark.parametrize(("kind", "n_classes", "C", "iteration"), NEWTON_GRID)
def test_newton_sentences_are_its_own_and_say_no_learning_rate(kind, n_classes, C, iteration):
    """Reproduced: Math showed "η (in use) 0.5" for Newton, and Compare told a converged
    Newton run that "at this rate a small step is not yet the optimum". Every sentence about
    a Newton run names the step it takes (the line search's s, recomputed as the length of
    the last step over the Newton direction's) and no rate; at the optimum Compare says so."""
    X, y = data(kind, n_classes)
    model, training = trained(kind, n_classes, C, "newton", "0.5x", iteration)
    assert not model.diverged_
    loss = naive_objective(model.coef_, model.intercept_, X, y, C)
    for objective, reference in references(kind, n_classes, C).items():
        report = build_report(model, training, auto_rate=False, reference=reference)
        banner = explain.stability(report)
        assert banner.key == "newton" and banner.level == "info"
        if model.n_iter_ == 0:
            assert "no step taken yet" in banner.text
        else:
            assert f"the last step's s = {model.step_size_:g}" in banner.text
            assert 0 < model.step_size_ <= 1  # a line search from the full Newton step
        assert not re.search(r"lr =|η|stable limit|×", banner.text)
        local = explain.local_step(report, 1.0, model.learning_rate_, 1.0)
        assert local.key == "local-newton" and not re.search(r"η|[0-9]", local.text)

        claims = explain.differences(report, two_dimensional=kind == "blobs")
        keys = {key for claim in claims for key in claim.key.split()}
        text = " ".join(claim.text for claim in claims)
        assert "at this rate" not in text and "learning rate" not in text
        assert not keys & {"oscillating", "momentum"}
        assert ("not-trained" in keys) == (model.n_iter_ == 0)
        if objective != "same":
            continue
        coef, intercept = symmetric_parameters(reference.model)
        gap = loss - naive_objective(coef, intercept, X, y, C)
        if model.n_iter_:
            [standing] = keys & STANDINGS
            if abs(gap) <= explain.OPTIMUM_GAP * 0.99:
                assert standing in ("at-optimum", "below-reference"), (standing, gap)
            if standing == "at-optimum":
                assert abs(gap) <= explain.OPTIMUM_GAP * 1.01
        if iteration == "converged" and np.isfinite(C):
            # A penalised objective has one optimum, which Newton reaches in a handful.
            assert model.converged_ and model.n_iter_ <= 30
            assert keys & {"at-optimum", "below-reference"}, (keys, gap)


# ----------------------------------------------------------- the landscape's caption

LANDSCAPE_GRID = [
    case
    for case in itertools.product(
        ["line", "blobs"],
        [2, 3],
        [np.inf, 1.0],
        ["gd", "nesterov", "newton"],
        ["0.5x", "2x"],
        ["3", "converged"],
        ["start", "steepest"],
    )
    if case[3] != "newton" or case[4] == "0.5x"  # Newton takes no rate: one covers it
]


@pytest.mark.parametrize(
    ("kind", "n_classes", "C", "solver", "rate", "iteration", "plane"), LANDSCAPE_GRID
)
def test_the_landscape_says_how_far_off_its_plane_what_it_draws_lies(
    kind, n_classes, C, solver, rate, iteration, plane
):
    """Reproduced: the star sat on "now" although the optimum was 8.32 off the plane, and
    the caption spoke of the path's distance only. The caption and the projector's subtitle
    give the path's mean distance from the plane and the optimum's, recomputed here from
    the recorded iterates and scikit-learn's optimum; the curvature along the second axis
    is J's second difference along it; the star is open exactly when it is a shadow."""
    from softmax_core.landscape import steepest_and_start, steepest_directions
    from ui import views

    X, y = data(kind, n_classes)
    model, training = trained(kind, n_classes, C, solver, rate, iteration)
    assert not model.diverged_  # twice the limit oscillates; it does not blow up here
    coef, intercept = symmetric_parameters(references(kind, n_classes, C)["same"].model)
    optimum = np.column_stack([coef, intercept])
    directions = (steepest_and_start if plane == "start" else steepest_directions)(
        coef, intercept, X, C
    )
    spec, offsets = views.landscape_figure(
        model,
        training,
        directions,
        optimum,
        kind=plane,
        ghosts=(),
        title="Loss landscape",
        subtitle=explain.landscape_subtitle,
        large=True,
        height=300,
    )
    # Independently: distances from the plane through the current point.
    _, thetas = model.path()
    u = directions.vectors.reshape(2, -1)
    center = thetas[-1].ravel()

    def off_plane(theta: np.ndarray) -> float:
        v = theta.ravel() - center
        return float(np.linalg.norm(v - u.T @ (u @ v)))

    path_off = float(np.mean([off_plane(theta) for theta in thetas]))
    optimum_off = off_plane(optimum)
    caption = explain.landscape_caption(directions.eigenvalues[1], offsets)
    subtitle = spec["layout"]["title"]["subtitle"]["text"]
    # The shown figure is the recomputed one, to its digits, or both are rounding (the
    # path lies in the plane: its distances are 1e-17, whose digits the processor decides).
    [shown] = re.findall(r"the path lies on average (\S+) off this plane", caption)
    assert shown == f"{path_off:.2g}" or max(float(shown), path_off) < 1e-12, (shown, path_off)
    assert subtitle.startswith(f"path {shown} off the plane")
    star = next(t for t in spec["data"] if str(t.get("name", "")).startswith("optimum"))
    if offsets.optimum is None:  # drawn where it is: on the plane, up to rounding
        assert star["marker"]["symbol"] == "star"
        extent = max(
            np.ptp(spec["layout"]["xaxis"]["range"]), np.ptp(spec["layout"]["yaxis"]["range"])
        )
        assert optimum_off <= views.OFF_PLANE * extent
        assert "optimum" not in subtitle and "shadow" not in caption
    else:
        assert star["marker"]["symbol"] == "star-open"
        assert f"the optimum {optimum_off:.3g} off it: the open star is its shadow" in caption
        assert f"optimum {optimum_off:.3g} off (☆: its shadow)" in subtitle
    # The curvature the caption names: u2ᵀ H u2, by a second difference of J.
    step = 1e-4
    second = u[1].reshape(directions.vectors.shape[1:])

    def j_at(delta: np.ndarray) -> float:
        theta = optimum + delta
        return naive_objective(theta[:, :-1], theta[:, -1], X, y, C)

    curvature = (j_at(step * second) - 2 * j_at(0 * second) + j_at(-step * second)) / step**2
    assert curvature == pytest.approx(directions.eigenvalues[1], rel=1e-3, abs=1e-6)
    assert f"curvature along the second axis: {directions.eigenvalues[1]:.3g}" in caption


def synthetic_path(holdout_accuracy, *, train_accuracy=None, complete=True, converged=None):
    n = len(holdout_accuracy)
    Cs = np.logspace(-4, 4, n)
    accuracy = np.asarray(holdout_accuracy, dtype=float)
    return RegularizationPath(
        Cs=Cs,
        coef=np.zeros((n, 3, 1)),
        intercept=np.zeros((n, 3)),
        coef_norm=np.linspace(0.1, 1.0, n),
        train_accuracy=accuracy if train_accuracy is None else np.asarray(train_accuracy),
        train_log_loss=np.linspace(1.0, 0.5, n),
        holdout_accuracy=None if train_accuracy is None else accuracy,
        holdout_log_loss=None if train_accuracy is None else np.linspace(1.0, 0.6, n)[::-1],
        n_iter=np.full(n, 3),
        converged=np.ones(n, bool) if converged is None else np.asarray(converged),
        complete=complete,
        warm_start=True,
    )


TRAIN_5 = [0.5, 0.6, 0.7, 0.8, 0.9]
PATH_SENTENCES = [
    # (held-out accuracy at C = 1e-4, 1e-2, 1, 1e2, 1e4; training accuracy or None; C; text)
    (
        [0.5, 0.9, 0.7, 0.6, 0.6],
        TRAIN_5,
        1.0,
        "**Held-out accuracy is highest, 90.0%, at C = 0.01**; the held-out log-loss is "
        "lowest, 0.6000, at C = 0.0001. This run's C = 1 is above that: a weaker penalty.",
    ),
    (
        [0.5, 0.9, 0.9, 0.6, 0.9],
        TRAIN_5,
        1e-4,
        "**Held-out accuracy is highest, 90.0%, at C = 0.01, C = 1, C = 10,000**; the held-out "
        "log-loss is lowest, 0.6000, at C = 0.0001. This run's C = 0.0001 is below those: a "
        "stronger penalty.",
    ),
    (
        [0.9, 0.5, 0.9, 0.9, 0.9],
        None,
        0.05,
        "**Training accuracy is highest, 90.0%, at 4 of the 5 values, between C = 0.0001 and "
        "C = 10,000**. This run's C = 0.05 lies between them, off the grid's values.",
    ),
    (
        [0.5, 0.9, 0.9, 0.9, 0.9],
        None,
        1.0,
        "**Training accuracy is highest, 90.0%, from C = 0.01 to C = 10,000 (4 of the 5 "
        "values)**. This run's C = 1 is one of them.",
    ),
    (
        [0.5, 0.6, 0.7, 0.8, 0.9],
        None,
        np.inf,
        "**Training accuracy is highest, 90.0%, at C = 10,000**. This run has no penalty "
        "(C = ∞), beyond the grid's right end, where the penalty is weakest.",
    ),
    (
        [0.5, 0.6, 0.9, 0.8, 0.7],
        None,
        1.0,
        "**Training accuracy is highest, 90.0%, at C = 1**. This run's C = 1 is that value.",
    ),
]


@pytest.mark.parametrize(("held", "train", "C", "text"), PATH_SENTENCES)
def test_the_path_sentence_names_the_best_values_and_where_the_run_lies(held, train, C, text):
    claim = explain.regularization_path(synthetic_path(held, train_accuracy=train), C)
    assert (claim.key, claim.level, claim.text) == ("path", "markdown", text)


def test_the_path_sentence_says_when_the_budget_or_the_limit_cut_it_short():
    path = synthetic_path([0.5, 0.9], complete=False, converged=[True, False])
    text = explain.regularization_path(path, 1.0).text
    assert text.endswith(
        "The work budget ran out: the path stops at C = 10,000. 1 of its fits stopped at the "
        "iteration limit before converging."
    )


@pytest.mark.parametrize(
    ("C", "text"),
    [
        (1e-4, "0.0001"),
        (0.000316, "0.000316"),
        (3.16227, "3.16"),
        (3162.27, "3,162"),
        (np.inf, "∞"),
    ],
)
def test_values_of_c_are_written_with_three_digits(C, text):
    assert explain.format_c(C) == text


# ----------------------------------------------------------------------- mini-batch SGD

# The SGD grid: data kind x classes x C x batch size (10 of the 60 points, and all of them,
# where SGD is GD) x learning rate x iteration (inside the first epoch of batches of 10,
# after five epochs, converged or max_iter).
SGD_RATES = {"0.5x": 0.5, "2x": 2.0, "divergent": None}
SGD_GRID = list(
    itertools.product(
        ["line", "blobs"],
        [2, 3],
        [np.inf, 0.1],
        [10, N_SAMPLES],
        list(SGD_RATES),
        ["3", "30", "converged"],
    )
)


@cache
def trained_sgd(kind, n_classes, C, batch_size, rate, iteration):
    X, y = data(kind, n_classes)
    limit = stable_learning_rate_limit(X, C)
    learning_rate = DIVERGENT_RATE if SGD_RATES[rate] is None else SGD_RATES[rate] * limit
    model = SoftmaxRegression(
        learning_rate=learning_rate,
        C=C,
        solver="sgd",
        batch_size=batch_size,
        random_state=7,
        max_iter=CONVERGED_MAX_ITER,
    )
    training = TrainingData(X, y, classes=np.arange(n_classes))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if iteration == "converged":
            model.step(training, CONVERGED_MAX_ITER, until_converged=True)
        else:
            model.step(training, int(iteration))
    return model, training


def last_epoch_by_hand(model, batch_size):
    """Recomputed here: the last complete epoch's ends, its rises (count and sum) and its
    net fall, from the loss history; None inside the first epoch."""
    history = np.array([*model.loss_curve_, model.loss_])
    per_epoch = -(-N_SAMPLES // batch_size)
    end = model.n_iter_ // per_epoch * per_epoch
    if end == 0:
        return None
    start = end - per_epoch
    changes = np.diff(history[start : end + 1])
    rises = [c > 1e-12 * max(abs(h), 1.0) for c, h in zip(changes, history[start:end], strict=True)]
    rise_total = float(changes[changes > 0].sum())
    return start, end, sum(rises), rise_total, history[start] - history[end]


@pytest.mark.parametrize(("kind", "n_classes", "C", "batch_size", "rate", "iteration"), SGD_GRID)
def test_every_sgd_claim_matches_the_numbers(kind, n_classes, C, batch_size, rate, iteration):
    X, _ = data(kind, n_classes)
    model, training = trained_sgd(kind, n_classes, C, batch_size, rate, iteration)
    limit = stable_learning_rate_limit(X, C)
    steps, rises = rises_among_last_steps(model)
    epoch = last_epoch_by_hand(model, batch_size)
    for objective, reference in references(kind, n_classes, C).items():
        report = build_report(model, training, auto_rate=False, reference=reference)
        banner = explain.stability(report)
        claims = explain.differences(report, two_dimensional=kind == "blobs")
        keys = {key for claim in claims for key in claim.key.split()}
        if model.diverged_:
            assert banner.key == "diverged" and [c.key for c in claims] == ["diverged"]
            continue
        ratio = model.learning_rate_ / limit
        # Never GD's promise: 2/L is named as full-batch gradient descent's limit.
        assert "every gradient-descent step lowers" not in banner.text
        assert "of full-batch GD" in banner.text
        assert (ratio_in_text(banner.text) > 1) == (ratio > 1)
        if ratio > 1:
            assert banner.key == "sgd-above-limit"
        elif epoch is None:
            assert banner.key == "sgd-first-epoch" and model.n_iter_ < -(-N_SAMPLES // batch_size)
        else:
            start, end, epoch_rises, rise_total, net_fall = epoch
            assert f"steps {start:,} to {end:,}" in banner.text
            if epoch_rises and rise_total >= net_fall:
                assert banner.key == "sgd-noise-floor"
                assert f"rose in {epoch_rises} of its {end - start} steps" in banner.text
                assert f"by {rise_total:.2e} in all" in banner.text
            else:
                assert banner.key == "sgd-descending"
                assert net_fall > 0 and (epoch_rises == 0 or net_fall > rise_total)
                assert f"fell by {net_fall:.2e} net" in banner.text
        if batch_size == N_SAMPLES and ratio <= 1:  # a full batch is GD: no noise floor
            assert banner.key != "sgd-noise-floor"
        assert "oscillating" not in keys and "momentum" not in keys
        if "sgd-noisy" in keys:
            assert rises > 0 and not model.converged_
            assert f"rose in {rises} of the last {steps} steps" in claims[-1].text or any(
                f"rose in {rises} of the last {steps} steps" in c.text for c in claims
            )
        if "stopped-by-tol" in keys:
            assert model.converged_ and epoch is not None
            start, end = epoch[:2]
            text = next(c.text for c in claims if c.key == "stopped-by-tol")
            assert f"epoch (steps {start:,} to {end:,}) changed the loss by" in text
            assert abs(epoch[4]) < model.tol
        if model.n_iter_ and objective == "same":
            standing = keys & {
                "at-optimum",
                "below-reference",
                "sgd-noisy",
                "stopped-by-tol",
                "max-iter",
                "converging",
            }
            assert len(standing) == 1, keys


def test_the_sgd_grid_reaches_every_sgd_claim():
    seen = set()
    for kind, n_classes, C, batch_size, rate, iteration in SGD_GRID:
        model, training = trained_sgd(kind, n_classes, C, batch_size, rate, iteration)
        report = build_report(model, training, auto_rate=False)
        seen.add(explain.stability(report).key)
        for reference in references(kind, n_classes, C).values():
            report = build_report(model, training, auto_rate=False, reference=reference)
            for claim in explain.differences(report, two_dimensional=kind == "blobs"):
                seen.update(claim.key.split())
    assert {
        "sgd-first-epoch",
        "sgd-above-limit",
        "sgd-noise-floor",
        "sgd-descending",
        "sgd-noisy",
        "diverged",
    } <= seen, seen


@pytest.mark.parametrize(
    ("kind", "n_classes", "C", "batch_size", "rate", "iteration"),
    [case for case in SGD_GRID if case[4] != "divergent" and case[5] != "converged"],
)
def test_maths_sgd_sentences_match_the_numbers(kind, n_classes, C, batch_size, rate, iteration):
    from softmax_core import local_curvature, minibatch_gradient_spread

    X, _ = data(kind, n_classes)
    model, training = trained_sgd(kind, n_classes, C, batch_size, rate, iteration)
    limit = stable_learning_rate_limit(X, C)
    report = build_report(model, training, auto_rate=False)
    steepest = local_curvature(model.coef_, model.intercept_, X, C)
    local = explain.local_step(report, steepest, model.learning_rate_, limit)
    if model.learning_rate_ <= limit:
        assert local.key == "local-sgd-stable"
    else:
        assert local.key == (
            "local-sgd-overshoot" if model.learning_rate_ * steepest > 2 else "local-sgd-long-step"
        )
    assert "mini-batch's gradient" in local.text and "anywhere the step can reach" not in local.text

    spread = minibatch_gradient_spread(model, training)
    claim = explain.gradient_spread(spread)
    if batch_size >= N_SAMPLES:
        assert claim.key == "spread-full-batch"
        return
    assert claim.key == "spread"
    cosines = spread.cosines
    assert f"from {cosines.min():.2f} to {cosines.max():.2f}" in claim.text
    assert f"{spread.rms_deviation:.3g} from ∇J" in claim.text
    uphill = int(np.sum(cosines < 0))
    if uphill:
        assert f"{uphill} of the {spread.n_batches} batch gradients point uphill" in claim.text
    else:
        assert "No batch gradient points uphill" in claim.text
