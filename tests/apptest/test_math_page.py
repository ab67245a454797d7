"""The Math page: the derivation, one point's live numbers, and the next step of the solver
in use, each checked against numbers computed here and against what Step then does."""

import numpy as np
import pytest

from softmax_core import objective_gradient

from .conftest import (
    MATH,
    STEP,
    STEP10,
    TRAIN,
    check_consistency,
    choose,
    click,
    data_of,
    dataframe,
    go,
    model_of,
    open_app,
    set_widget,
    settings_of,
)


def latex(at) -> list[str]:
    """The page's LaTeX, without the ``$$`` delimiters Streamlit adds."""
    return [element.value.removeprefix("$$\n").removesuffix("\n$$") for element in at.latex]


def live(at) -> list[str]:
    """The LaTeX lines of the live section (after the derivation)."""
    lines = latex(at)
    start = next(i for i, line in enumerate(lines) if line.startswith(r"\mathbf{x} ="))
    return lines[start:]


def row(values) -> str:
    return r"\begin{pmatrix}" + " & ".join(f"{v:.4f}" for v in values) + r"\end{pmatrix}"


def expected_lines(model, X, y, index) -> list[str]:
    """The live numbers computed here from the model's parameters, independently of ui/."""
    x = X[index]
    scores = model.coef_ @ x + model.intercept_
    shifted = np.exp(scores - scores.max())
    proba = shifted / shifted.sum()
    label = int(y[index])
    error = proba - np.eye(len(proba))[label]
    return [
        r"\mathbf{x} = " + row(x) + rf",\qquad y = \text{{{label}}}",
        r"\mathbf{z} = W\mathbf{x} + \mathbf{b} = " + row(scores),
        r"\mathbf{p} = \operatorname{softmax}(\mathbf{z}) = " + row(proba),
        rf"\ell = -\log p_{{{label}}} = -\log {proba[label]:.4f} = {-np.log(proba[label]):.4f}",
        r"\frac{\partial \ell}{\partial \mathbf{b}} = \mathbf{p} - \mathbf{e}_y = " + row(error),
    ]


def stacked(table, caption: str, n_features: int) -> np.ndarray:
    """The ``[W | b]`` block of the next-step table under ``caption`` (e.g. ``"next"``)."""
    names = [f"w{j + 1}" for j in range(n_features)] + ["b"]
    return np.column_stack([table[f"{name} {caption}"].to_numpy() for name in names])


def gradient_at(at, theta: np.ndarray) -> np.ndarray:
    current = settings_of(at)
    X, y = data_of(current)
    _, grad_coef, grad_intercept = objective_gradient(theta[:, :-1], theta[:, -1], X, y, current.C)
    return np.column_stack([grad_coef, grad_intercept])


def test_renders_the_derivation_at_iteration_zero():
    at = open_app(page=MATH)
    assert any(r"\frac{e^{z_j}}" in line for line in latex(at))
    assert any("J = log k = 1.0986" in c.value for c in at.caption)
    lines = live(at)
    # The default point is the middle one, x = 50 * 10 / 99.
    assert lines[0].startswith(r"\mathbf{x} = \begin{pmatrix}5.0505\end{pmatrix}")
    assert lines[2].endswith(r"\begin{pmatrix}0.3333 & 0.3333 & 0.3333\end{pmatrix}")
    X, y = data_of(settings_of(at))
    assert lines[:5] == expected_lines(model_of(at), X, y, 50)
    check_consistency(at)


@pytest.mark.parametrize(
    ("query", "point"), [({}, 10), ({"kind": "blobs", "k": "4", "n": "40"}, 7)], ids=["1d", "2d"]
)
def test_live_numbers_follow_the_model_and_the_chosen_point(query, point):
    at = open_app(query, TRAIN)
    click(at, STEP10)
    go(at, MATH)
    set_widget(at, "number_input", "w.math.point", point)
    X, y = data_of(settings_of(at))
    assert live(at)[:5] == expected_lines(model_of(at), X, y, point)
    check_consistency(at)


def test_gradient_descent_next_step_is_now_minus_eta_times_the_gradient():
    at = open_app(page=TRAIN)
    click(at, STEP10)
    go(at, MATH)
    model = model_of(at)
    table = dataframe(at)
    now = stacked(table, "now", 1)
    np.testing.assert_array_equal(now, np.column_stack([model.coef_, model.intercept_]))
    grad = stacked(table, "∂J/∂· now", 1)
    np.testing.assert_allclose(grad, gradient_at(at, now), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(stacked(table, "next", 1), now - 0.5 * grad, rtol=1e-12)
    predicted = stacked(table, "next", 1)
    go(at, TRAIN)
    click(at, STEP)
    model = model_of(at)
    np.testing.assert_array_equal(np.column_stack([model.coef_, model.intercept_]), predicted)
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
    model = model_of(at)
    np.testing.assert_array_equal(np.column_stack([model.coef_, model.intercept_]), after)
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
    model = model_of(at)
    np.testing.assert_array_equal(np.column_stack([model.coef_, model.intercept_]), after)
    check_consistency(at)
