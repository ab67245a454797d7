"""Math: the seed note's derivation, with the live numbers of one data point."""

import numpy as np
import streamlit as st

from ui import page, state, views

page.setup("Math")
st.title("The math behind each step")


def vector(values: np.ndarray) -> str:
    """A row of numbers in LaTeX."""
    return r"\begin{pmatrix}" + " & ".join(f"{v:.4f}" for v in values) + r"\end{pmatrix}"


def matrix(values: np.ndarray) -> str:
    """A matrix of numbers in LaTeX."""
    rows = (" & ".join(f"{v:.4f}" for v in row) for row in values)
    return r"\begin{pmatrix}" + r" \\ ".join(rows) + r"\end{pmatrix}"


model = state.run().model
X, y = state.dataset()
names = views.class_names(model)
k = len(names)

st.markdown("**1. Scores.** Each class *j* has its own linear model of the input **x**:")
st.latex(r"z_j = \mathbf{w}_j^\top \mathbf{x} + b_j, \qquad j = 1, \dots, k")
st.markdown("**2. Softmax.** The scores become probabilities that are positive and sum to 1:")
st.latex(
    r"p_j = \frac{e^{z_j}}{\sum_{l=1}^{k} e^{z_l}} = \frac{e^{z_j - m}}{\sum_{l} e^{z_l - m}},"
    r"\quad m = \max_l z_l"
)
st.caption("Subtracting the largest score m changes nothing but keeps every exponential ≤ 1.")
st.markdown("**3. Loss.** Cross-entropy: minus the log-probability of the true class *y*:")
st.latex(
    r"\ell(\mathbf{x}, y) = -\log p_y, \qquad J(W, \mathbf{b}) = \frac{1}{n}\sum_{i=1}^{n}"
    r"\ell(\mathbf{x}_i, y_i) + \frac{1}{2Cn}\lVert W \rVert^2"
)
st.caption(f"At the start, W = 0, every p_j = 1/k and J = log k = {np.log(k):.4f}.")
st.markdown("**4. Gradient.** The chain rule through softmax gives a remarkably simple result:")
st.latex(
    r"\frac{\partial \ell}{\partial z_j} = p_j - \mathbb{1}[j = y], \qquad "
    r"\frac{\partial \ell}{\partial \mathbf{w}_j} = (p_j - \mathbb{1}[j = y])\,\mathbf{x},"
    r"\qquad \frac{\partial \ell}{\partial b_j} = p_j - \mathbb{1}[j = y]"
)
st.latex(
    r"\nabla_W J = \frac{1}{n}(P - Y)^\top X + \frac{1}{Cn} W, \qquad"
    r"\nabla_{\mathbf{b}} J = \frac{1}{n}\sum_i (\mathbf{p}_i - \mathbf{y}_i)"
)
st.caption("Raise the score of the true class, lower the others, in proportion to the error.")
st.markdown("**5. Update.** Step against the gradient with learning rate η:")
st.latex(
    r"W \leftarrow W - \eta \nabla_W J, \qquad \mathbf{b} \leftarrow \mathbf{b} - \eta \nabla_b J"
)
st.markdown("**6. Stop** when the loss hardly changes, or after max_iter steps:")
st.latex(r"\left|J^{(t)} - J^{(t-1)}\right| < \mathrm{tol}")

st.divider()
st.subheader(f"Live: one data point through the model at iteration {model.n_iter_:,}")
index = st.number_input(
    "Data point (row index)",
    min_value=0,
    max_value=X.shape[0] - 1,
    step=1,
    **state.widget("w.math.point", X.shape[0] // 2, upper=X.shape[0] - 1),
    help="Pick any training point; the numbers below follow the current model.",
)
point = views.trace_point(model, X, y, index)
true_index = names.index(point.label)
st.latex(r"\mathbf{x} = " + vector(point.x) + rf",\qquad y = \text{{{point.label}}}")
st.latex(r"\mathbf{z} = W\mathbf{x} + \mathbf{b} = " + vector(point.scores))
st.latex(r"\mathbf{p} = \operatorname{softmax}(\mathbf{z}) = " + vector(point.proba))
st.latex(
    rf"\ell = -\log p_{{{point.label}}} = -\log {point.proba[true_index]:.4f} = {point.loss:.4f}"
)
st.latex(
    r"\frac{\partial \ell}{\partial \mathbf{b}} = \mathbf{p} - \mathbf{e}_y = "
    + vector(point.grad_intercept)
)
st.latex(
    r"\frac{\partial \ell}{\partial W} = (\mathbf{p} - \mathbf{e}_y)\,\mathbf{x}^\top = "
    + matrix(point.grad_coef)
)

ahead = views.next_step(model, X, y)
st.markdown(f"**The next step** (all {X.shape[0]:,} points, η = {ahead.learning_rate:.4g}):")
table = {"class": names}
for j in range(model.coef_.shape[1]):
    table[f"w{j + 1} now"] = model.coef_[:, j]
    table[f"∂J/∂w{j + 1}"] = ahead.grad_coef[:, j]
    table[f"w{j + 1} next"] = ahead.coef[:, j]
table["b now"] = model.intercept_
table["∂J/∂b"] = ahead.grad_intercept
table["b next"] = ahead.intercept
st.dataframe(table, hide_index=True, width="stretch")
page.finish()
