"""The Math page: the derivation, one point's live numbers, and the next step of the solver
in use, each checked against numbers computed here and against what Step then does."""

import math

import numpy as np
import pytest

from softmax_core import objective_gradient

from .conftest import (
    COMPARE,
    MATH,
    STEP,
    STEP10,
    TRAIN,
    alerts,
    assert_shows,
    check_consistency,
    choose,
    click,
    curvature_bound,
    data_of,
    dataframe,
    expected,
    go,
    gradient_here,
    latex_lines,
    newton_optimum,
    objective_hessian,
    open_app,
    parameters_shown,
    rounds_to,
    set_widget,
    zero_sum_spectrum,
)


def live(at) -> list[str]:
    """The LaTeX lines of the live section (after the derivation)."""
    lines = latex_lines(at)
    start = next(i for i, line in enumerate(lines) if line.startswith(r"\mathbf{x} ="))
    return lines[start:]


def check_live(lines: list[str], model, X, y, names, index) -> None:
    """The live numbers are the model's for point ``index``, computed here independently of
    ui/ (each vector read back from the LaTeX, to its four decimals)."""
    x = X[index]
    scores = model.coef_ @ x + model.intercept_
    shifted = np.exp(scores - scores.max())
    proba = shifted / shifted.sum()
    label = int(y[index])
    error = proba - np.eye(len(proba))[label]
    assert lines[0].startswith(r"\mathbf{x} = ")
    assert lines[0].endswith(rf",\qquad y = \text{{{names[label]}}}")
    assert_shows(lines[0], x)
    assert lines[1].startswith(r"\mathbf{z} = W\mathbf{x} + \mathbf{b} = ")
    assert_shows(lines[1], scores)
    assert lines[2].startswith(r"\mathbf{p} = \operatorname{softmax}(\mathbf{z}) = ")
    assert_shows(lines[2], proba)
    loss = rf"\ell = -\log p_{{\text{{{names[label]}}}}} = -\log "
    assert lines[3].startswith(loss)
    shown_p, shown_loss = lines[3].removeprefix(loss).split(" = ")
    assert rounds_to(shown_p, proba[label]) and rounds_to(shown_loss, -np.log(proba[label]))
    assert lines[4].startswith(
        r"\frac{\partial \ell}{\partial \mathbf{b}} = \mathbf{p} - \mathbf{e}_y = "
    )
    assert_shows(lines[4], error)
    assert lines[5].startswith(r"\frac{\partial \ell}{\partial W} = (\mathbf{p} - \mathbf{e}_y)\,")
    assert_shows(lines[5], np.outer(error, x))


def stacked(table, caption: str, n_features: int) -> np.ndarray:
    """The ``[W | b]`` block of the next-step table under ``caption`` (e.g. ``"next"``)."""
    names = [f"w{j + 1}" for j in range(n_features)] + ["b"]
    return np.column_stack([table[f"{name} {caption}"].to_numpy() for name in names])


def gradient_at(at, theta: np.ndarray) -> np.ndarray:
    current = expected(at).settings
    X, y = data_of(current)
    _, grad_coef, grad_intercept = objective_gradient(theta[:, :-1], theta[:, -1], X, y, current.C)
    return np.column_stack([grad_coef, grad_intercept])


def test_renders_the_derivation_at_iteration_zero():
    at = open_app(page=MATH)
    assert any(r"\frac{e^{z_j}}" in line for line in latex_lines(at))
    assert any("J = log k = 1.0986" in c.value for c in at.caption)
    lines = live(at)
    # The default point is the middle one, x = 50 * 10 / 99.
    assert lines[0].startswith(r"\mathbf{x} = \begin{pmatrix}5.0505\end{pmatrix}")
    assert lines[2].endswith(r"\begin{pmatrix}0.3333 & 0.3333 & 0.3333\end{pmatrix}")
    X, y = data_of(expected(at).settings)
    check_live(lines, expected(at).model, X, y, expected(at).data.class_names, 50)
    check_consistency(at)


@pytest.mark.parametrize(
    ("query", "point"), [({}, 10), ({"kind": "blobs", "k": "4", "n": "40"}, 7)], ids=["1d", "2d"]
)
def test_live_numbers_follow_the_model_and_the_chosen_point(query, point):
    at = open_app(query, TRAIN)
    click(at, STEP10)
    go(at, MATH)
    set_widget(at, "number_input", "w.math.point", point)
    X, y = data_of(expected(at).settings)
    check_live(live(at), expected(at).model, X, y, expected(at).data.class_names, point)
    check_consistency(at)


def test_gradient_descent_next_step_is_now_minus_eta_times_the_gradient():
    at = open_app(page=TRAIN)
    click(at, STEP10)
    go(at, MATH)
    model = expected(at).model
    table = dataframe(at)
    now = stacked(table, "now", 1)
    np.testing.assert_array_equal(now, np.column_stack([model.coef_, model.intercept_]))
    grad = stacked(table, "∂J/∂· now", 1)
    np.testing.assert_allclose(grad, gradient_at(at, now), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(stacked(table, "next", 1), now - 0.5 * grad, rtol=1e-12)
    predicted = stacked(table, "next", 1)
    go(at, TRAIN)
    click(at, STEP)
    shown = parameters_shown(at)  # the Train page's table after the step
    np.testing.assert_array_equal(np.column_stack([shown["w1"], shown["b"]]), predicted)
    check_consistency(at)


def test_5_nesterov_next_step_takes_the_gradient_at_the_look_ahead_point():
    at = open_app(page=TRAIN)
    choose(at, "w.train.solver", "nesterov")
    click(at, STEP10)
    go(at, MATH)
    table = dataframe(at)
    assert list(table.columns) == [
        "class",
        *[f"{n} {c}" for c in ("now", "look-ahead y", "∂J/∂· at y", "next") for n in ("w1", "b")],
    ]
    now, point = stacked(table, "now", 1), stacked(table, "look-ahead y", 1)
    grad, after = stacked(table, "∂J/∂· at y", 1), stacked(table, "next", 1)
    assert not np.allclose(point, now)  # after ten steps the momentum is not zero
    np.testing.assert_allclose(grad, gradient_at(at, point), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(after, point - 0.5 * grad, rtol=1e-12, atol=1e-15)
    shown = [m.value for m in at.markdown if m.value.startswith("**The next step, Nesterov**")]
    assert len(shown) == 1 and "η = 0.5" in shown[0]
    go(at, TRAIN)
    click(at, STEP)
    shown = parameters_shown(at)  # the Train page's table after the step
    np.testing.assert_array_equal(np.column_stack([shown["w1"], shown["b"]]), after)
    check_consistency(at)


def test_newton_next_step_follows_its_direction():
    at = open_app({"solver": "newton"}, TRAIN)
    click(at, STEP)
    go(at, MATH)
    table = dataframe(at)
    now, grad = stacked(table, "now", 1), stacked(table, "∂J/∂· now", 1)
    direction, after = stacked(table, "direction d", 1), stacked(table, "next", 1)
    np.testing.assert_allclose(grad, gradient_at(at, now), rtol=1e-10, atol=1e-14)
    step = [m.value for m in at.markdown if m.value.startswith("**The next step, Newton**")]
    size = float(step[0].split("s = ")[1].rstrip("."))
    np.testing.assert_allclose(after, now - size * direction, rtol=1e-9, atol=1e-12)
    go(at, TRAIN)
    click(at, STEP)
    shown = parameters_shown(at)  # the Train page's table after the step
    np.testing.assert_array_equal(np.column_stack([shown["w1"], shown["b"]]), after)
    check_consistency(at)


# ------------------------------------------------------------- the step size

FLAT = (
    "Here the objective is flat in some direction (λ ≈ 0 where training heads): it has no "
    "unique optimum, so no number of steps reaches one; on separable data the weights grow "
    "without end. A penalty (a finite C) makes the optimum unique."
)


def separable(data, C: float) -> bool:
    """Whether, without a penalty, some class lies apart from the others along a feature of
    the training points: then the loss falls forever as the weights grow (no optimum)."""
    X, y = data.X_train, data.y_train
    apart = any(
        X[y == k, j].max() < X[y != k, j].min() or X[y == k, j].min() > X[y != k, j].max()
        for k in np.unique(y)
        for j in range(X.shape[1])
    )
    return math.isinf(C) and apart


def spectrum_here(at) -> np.ndarray:
    """The Hessian's eigenvalues (zero-sum directions) at the model's current point,
    computed here from the Hessian's formula."""
    model, data = expected(at).model, expected(at).data
    theta = np.column_stack([model.coef_, model.intercept_])
    H = objective_hessian(theta, data.X_train, expected(at).settings.C)
    return zero_sum_spectrum(H, theta.shape[0])[0]


STEP_SIZES = {
    "seed-0.5": ({"iter": "30"}, "local-long-step"),
    "seed-0.5-start": ({}, "local-overshoot"),
    "auto": ({"lr": "auto", "iter": "30"}, "local-stable"),
    "blobs-overshoot": ({"kind": "blobs", "lr": "3", "iter": "3"}, "local-overshoot"),
    "nesterov-C": ({"solver": "nesterov", "C": "0.1", "lr": "0.1", "iter": "10"}, "local-stable"),
    "newton": ({"solver": "newton", "iter": "2"}, "local-newton"),
    "iris-standardised-held-out": (
        {"kind": "iris", "features": "2,3", "std": "1", "holdout": "0.3", "iter": "20"},
        "local-stable",
    ),
}


@pytest.mark.parametrize(("query", "key"), STEP_SIZES.values(), ids=STEP_SIZES.keys())
def test_the_step_size_section_is_the_curvature_computed_here(query, key):
    at = open_app(query, MATH)
    model, data, C = expected(at).model, expected(at).data, expected(at).settings.C
    spectrum = spectrum_here(at)
    steepest, flattest = spectrum[-1], spectrum[0]
    L = curvature_bound(data.X_train, C)
    rate = model.learning_rate_
    shown = {m.label: m.value for m in at.metric}
    assert shown["λ max here"] == f"{steepest:.4g}"
    if model.solver == "newton":  # no learning rate: its step and the curvatures it divides
        assert "η (in use)" not in shown and "|1 − ηλ max|" not in shown
        assert shown["s (line search)"] == ("–" if model.n_iter_ == 0 else f"{model.step_size_:g}")
        assert shown["λ min here"] == f"{flattest:.4g}"
        assert shown["λ max / λ min"] == f"{steepest / flattest:,.0f}"
    else:
        assert shown["η (in use)"] == f"{rate:.4g}"
        assert shown["|1 − ηλ max|"] == f"{abs(1 - rate * steepest):.3f}"
        assert shown["|1 − ηλ min|"] == f"{abs(1 - rate * flattest):.5f}"
    X_aug = np.column_stack([data.X_train, np.ones(data.train.size)])
    gram_top = np.linalg.eigvalsh(X_aug.T @ X_aug / data.train.size)[-1]
    bound = [line for line in latex_lines(at) if line.startswith("L = ")]
    assert len(bound) == 1
    assert bound[0].endswith(
        rf"\tfrac{{1}}{{2}} \cdot {gram_top:.4g} + \ldots = {L:.4g},"
        rf"\qquad \tfrac{{2}}{{L}} = {2 / L:.4g}"
    )
    # The claim is chosen by these numbers: below 2/L stable; above it, an overshoot here
    # when eta lambda > 2, else a step long enough to reach curvature up to L.
    product, factor = rate * steepest, abs(1 - rate * steepest)
    if model.solver == "newton":
        chosen, level, said = "local-newton", "info", ["Newton's method divides by the curvature"]
    elif rate <= 2 / L:
        chosen, level = "local-stable", "success"
        said = [
            f"η = {rate:.4g} is at most 2/L = {2 / L:.4g}: the error shrinks along every "
            f"direction, here (|1 − ηλ| = {factor:.3f})"
        ]
    elif product > 2:
        chosen, level = "local-overshoot", "warning"
        said = [f"Here ηλ = {product:.3g} > 2:", f"multiplying the error by {factor:.3g}"]
    else:
        chosen, level = "local-long-step", "warning"
        steps, rises = expected(at).trend
        said = [
            f"Here ηλ = {product:.3g} < 2,",
            f"η = {rate:.4g} is above 2/L = {2 / L:.4g}",
            f"reaches ground curved up to L = {L:.4g}",
            f" Measured: the loss rose in {rises} of the last {steps} steps." if steps else "",
        ]
    assert chosen == key
    found = [(lv, text) for lv, text in alerts(at) if text.startswith(said[0])]
    assert [lv for lv, _ in found] == [level], alerts(at)
    assert all(part in found[0][1] for part in said), (said, found)
    # Near the optimum: the flattest curvature there, and what it costs gradient descent.
    near = [m.value for m in at.markdown if m.value.startswith(("Near the optimum", "Here the"))]
    if separable(data, C):
        assert near == [FLAT]
    else:
        optimum = newton_optimum(data.X_train, data.y_train, len(data.class_names), C)
        H = objective_hessian(optimum, data.X_train, C)
        flat = zero_sum_spectrum(H, optimum.shape[0])[0][0]
        assert near == [
            f"Near the optimum the flattest direction curves with λ = {flat:.3g}. At the "
            f"stable rate η = 1/L, a step shrinks the error along it by 1 − λ/L = "
            f"{1 - flat / L:.6f}: a factor e every L/λ ≈ {L / flat:,.0f} steps, so plain "
            f"gradient descent needs about {L / flat * np.log(1e6):,.0f} steps to gain 6 digits "
            "here, where Newton's method, which divides by the curvature, needs a handful."
        ]
    check_consistency(at)


def test_compare_explains_the_iteration_counts_with_the_curvature_computed_here():
    at = open_app({"lr": "auto", "iter": "40"}, COMPARE)
    data = expected(at).data
    optimum = newton_optimum(data.X_train, data.y_train, 3, float("inf"))
    flat = zero_sum_spectrum(objective_hessian(optimum, data.X_train, float("inf")), 3)[0][0]
    L = curvature_bound(data.X_train, float("inf"))
    lbfgs = int(np.max(expected(at).reference.n_iter_))  # scikit-learn's own count
    [text] = [m.value for m in at.markdown if m.value.startswith("**Why the iteration")]
    assert f"scikit-learn's L-BFGS took {lbfgs:,} iterations (C = ∞)" in text
    assert (
        f"by only 1 − λ/L = {1 - flat / L:.6f} per step (λ = {flat:.3g}, L = {L:.4g}): a factor "
        f"e every {L / flat:,.0f} steps, about {L / flat * np.log(1e6):,.0f} to gain 6 digits."
    ) in text
    assert text.endswith("This run is at iteration 40 with gradient descent.")
    check_consistency(at)


def test_the_next_step_on_standardised_held_out_data_uses_the_training_points():
    at = open_app({"kind": "iris", "std": "1", "holdout": "0.3", "lr": "auto", "iter": "5"}, MATH)
    model, data = expected(at).model, expected(at).data
    table = dataframe(at)
    now = stacked(table, "now", 1)
    np.testing.assert_array_equal(now, np.column_stack([model.coef_, model.intercept_]))
    grad = stacked(table, "∂J/∂· now", 1)
    np.testing.assert_allclose(
        grad, gradient_here(now, data.X_train, data.y_train, float("inf")), rtol=1e-10, atol=1e-14
    )
    rate = 1 / curvature_bound(data.X_train, float("inf"))
    np.testing.assert_allclose(stacked(table, "next", 1), now - rate * grad, rtol=1e-12)
    check_consistency(at)


def test_separable_data_are_said_to_have_no_unique_optimum():
    """Iris by petal length: setosa lies apart, so without a penalty the loss falls for
    ever; no page may quote a rate of convergence to an optimum that does not exist."""
    at = open_app({"kind": "iris", "lr": "auto", "iter": "50"}, MATH)
    data = expected(at).data
    assert separable(data, float("inf"))
    assert FLAT in [m.value for m in at.markdown]
    assert not any("a factor e every" in m.value for m in at.markdown)
    check_consistency(at)
    go(at, COMPARE)
    [text] = [m.value for m in at.markdown if m.value.startswith("**Why the iteration")]
    assert "Here the objective is flat in some direction: it has no unique optimum." in text
    assert "a factor e every" not in text
    check_consistency(at)
    # With a penalty the optimum is unique again, and its curvature is quoted.
    at = open_app({"kind": "iris", "C": "1.0", "iter": "50"}, MATH)
    assert FLAT not in [m.value for m in at.markdown]
    assert any(m.value.startswith("Near the optimum") for m in at.markdown)


# ------------------------------------------------------------------- mini-batch SGD


def batch_gradients_by_hand(at, theta: np.ndarray, batch_size: int, seed: int, epoch: int):
    """The gradients of every batch of ``epoch`` at ``theta`` (each epoch visits the points
    in numpy's permutation of the seed and the epoch), and the full gradient."""
    current = expected(at).settings
    X, y = data_of(current)
    order = np.random.default_rng([seed, epoch]).permutation(len(y))
    batches = [order[i : i + batch_size] for i in range(0, len(y), batch_size)]
    grads = []
    for batch in batches:
        _, g_coef, g_intercept = objective_gradient(
            theta[:, :-1], theta[:, -1], X[batch], y[batch], current.C
        )
        grads.append(np.column_stack([g_coef, g_intercept]))
    return batches, grads, gradient_at(at, theta)


def test_sgd_next_step_and_its_batch_gradient_against_the_full_one():
    at = open_app({"solver": "sgd", "batch": "30", "bseed": "5", "lr": "auto", "iter": "6"}, MATH)
    model = expected(at).model
    theta = np.column_stack([model.coef_, model.intercept_])
    # 100 points in batches of 30: 4 steps an epoch; step 6 is the third of epoch 2.
    batches, grads, full = batch_gradients_by_hand(at, theta, 30, 5, 1)
    assert [len(b) for b in batches] == [30, 30, 30, 10]
    text = next(m.value for m in at.markdown if m.value.startswith("**The next step, mini"))
    assert "a batch of 30 of the 100 points, step 3 of 4 in epoch 2" in text
    table = dataframe(at)
    now = stacked(table, "now", 1)
    np.testing.assert_array_equal(now, theta)
    grad = stacked(table, "∂J_B/∂· now", 1)
    np.testing.assert_allclose(grad, grads[2], rtol=1e-10, atol=1e-14)
    eta = model.learning_rate_
    np.testing.assert_allclose(stacked(table, "next", 1), now - eta * grad, rtol=1e-12)
    # The section on the batch gradients: each number from the gradients computed here.
    shown = {m.label: m.value for m in at.metric}
    norms = [np.linalg.norm(g) for g in grads]
    assert shown["‖∇J‖ (all points)"] == f"{np.linalg.norm(full):.4g}"
    assert shown["‖∇J_B‖ (next batch)"] == f"{norms[2]:.4g}"
    cosines = [np.sum(g * full) / (np.linalg.norm(g) * np.linalg.norm(full)) for g in grads]
    assert shown["cos(∇J_B, ∇J)"] == f"{cosines[2]:.3f}"
    weights = np.array([len(b) for b in batches]) / 100
    rms = np.sqrt(np.sum(weights * [np.linalg.norm(g - full) ** 2 for g in grads]))
    assert shown["spread over the epoch"] == f"{rms:.4g}"
    np.testing.assert_allclose(sum(w * g for w, g in zip(weights, grads, strict=True)), full)
    spread = next(text for _, text in alerts(at) if text.startswith("Over the 4 batches"))
    assert f"from {min(cosines):.2f} to {max(cosines):.2f}" in spread
    # The step-size claim speaks of a full-gradient step, and says SGD's is another.
    local = next(text for _, text in alerts(at) if text.startswith(f"η = {eta:.4g} is at most"))
    assert "along the full gradient" in local and "mini-batch's gradient" in local
    assert "anywhere the step can reach" not in local
    predicted = stacked(table, "next", 1)
    go(at, TRAIN)
    click(at, STEP)
    shown = parameters_shown(at)
    np.testing.assert_allclose(np.column_stack([shown["w1"], shown["b"]]), predicted, rtol=1e-12)
    check_consistency(at)


def test_a_full_batch_sgd_run_says_its_gradient_is_the_full_one():
    at = open_app({"solver": "sgd", "batch": "100", "iter": "3"}, MATH)
    assert any(text.startswith("The batch is all the training points") for _, text in alerts(at))
    check_consistency(at)
