"""The Math page: the derivation, and live numbers that follow the current model."""

import copy

import numpy as np
import pytest

from softmax_core import make_noisy_blobs, make_noisy_classes

from .conftest import MATH, TRAIN, click, go, model_of, open_app, set_widget


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


@pytest.fixture
def math_app():
    return open_app(page=MATH)


def test_renders_the_derivation(math_app):
    lines = latex(math_app)
    assert len(lines) == 7 + 6  # the derivation, then the live numbers
    assert any(r"\frac{e^{z_j}}" in line for line in lines)
    assert any("J = log k = 1.0986" in c.value for c in math_app.caption)
    assert [s.value for s in math_app.subheader] == [
        "Live: one data point through the model at iteration 0"
    ]


def test_iteration_zero_gives_a_third_each_and_log3(math_app):
    lines = live(math_app)
    # The default point is the middle one, x = 50 * 10 / 99.
    assert lines[0].startswith(r"\mathbf{x} = \begin{pmatrix}5.0505\end{pmatrix}")
    assert lines[1].endswith(r"\begin{pmatrix}0.0000 & 0.0000 & 0.0000\end{pmatrix}")
    assert lines[2].endswith(r"\begin{pmatrix}0.3333 & 0.3333 & 0.3333\end{pmatrix}")
    assert lines[3].endswith(r"-\log 0.3333 = 1.0986")
    X, y = make_noisy_classes()
    assert lines[:5] == expected_lines(model_of(math_app), X, y, 50)


def test_live_numbers_follow_the_model():
    at = open_app(page=TRAIN)
    click(at, "w.train.step10")
    go(at, MATH)
    assert [s.value for s in at.subheader] == [
        "Live: one data point through the model at iteration 10"
    ]
    X, y = make_noisy_classes()
    model = model_of(at)
    assert live(at)[:5] == expected_lines(model, X, y, 50)
    assert not live(at)[2].endswith(r"\begin{pmatrix}0.3333 & 0.3333 & 0.3333\end{pmatrix}")


def test_changing_the_point_changes_the_numbers():
    at = open_app(page=TRAIN)
    click(at, "w.train.step10")
    go(at, MATH)
    before = live(at)
    set_widget(at, "number_input", "w.math.point", 10)
    after = live(at)
    assert after != before
    X, y = make_noisy_classes()
    assert after[:5] == expected_lines(model_of(at), X, y, 10)
    assert after[0].startswith(r"\mathbf{x} = \begin{pmatrix}1.0101\end{pmatrix}")


def test_two_dimensional_points():
    at = open_app({"kind": "blobs", "k": "4", "n": "40"}, MATH)
    set_widget(at, "number_input", "w.math.point", 7)
    X, y = make_noisy_blobs(40, 4, 0.1, random_state=0)
    assert live(at)[:5] == expected_lines(model_of(at), X, y, 7)
    assert live(at)[2].endswith(r"\begin{pmatrix}0.2500 & 0.2500 & 0.2500 & 0.2500\end{pmatrix}")


def test_next_step_table_is_one_gradient_step_ahead():
    at = open_app(page=TRAIN)
    click(at, "w.train.step10")
    go(at, MATH)
    model = model_of(at)
    X, y = make_noisy_classes()
    ahead = copy.deepcopy(model).partial_fit(X, y)
    table = at.dataframe[0].value
    np.testing.assert_array_equal(table["w1 now"], model.coef_[:, 0])
    np.testing.assert_array_equal(table["w1 next"], ahead.coef_[:, 0])
    np.testing.assert_array_equal(table["∂J/∂w1"], ahead.grad_coef_[:, 0])
    np.testing.assert_allclose(
        table["w1 next"], table["w1 now"] - 0.5 * table["∂J/∂w1"], rtol=1e-12
    )
    np.testing.assert_array_equal(table["b next"], ahead.intercept_)
    assert any(m.value == "**The next step** (all 100 points, η = 0.5):" for m in at.markdown)
    assert model.n_iter_ == 10  # looking ahead does not train the run


def test_next_step_matches_what_step_then_does():
    at = open_app(page=TRAIN)
    click(at, "w.train.step10")
    go(at, MATH)
    predicted = at.dataframe[0].value["w1 next"].to_numpy()
    go(at, TRAIN)
    click(at, "w.train.step")
    np.testing.assert_array_equal(model_of(at).coef_[:, 0], predicted)


def test_next_step_uses_the_chosen_learning_rate():
    at = open_app(page=TRAIN)
    click(at, "w.train.step10")
    set_widget(at, "number_input", "w.train.lr", 0.1)
    go(at, MATH)
    predicted = at.dataframe[0].value["w1 next"].to_numpy()
    shown = [m.value for m in at.markdown if m.value.startswith("**The next step**")]
    go(at, TRAIN)
    click(at, "w.train.step")
    assert shown == ["**The next step** (all 100 points, η = 0.1):"]
    np.testing.assert_array_equal(model_of(at).coef_[:, 0], predicted)
