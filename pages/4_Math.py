"""Math: the seed note's derivation, with the live numbers of one data point and step."""

import numpy as np
import streamlit as st

from ui import page, state, views


def vector(values: np.ndarray) -> str:
    """A row of numbers in LaTeX."""
    return r"\begin{pmatrix}" + " & ".join(f"{v:.4f}" for v in values) + r"\end{pmatrix}"


def matrix(values: np.ndarray) -> str:
    """A matrix of numbers in LaTeX."""
    rows = (" & ".join(f"{v:.4f}" for v in row) for row in values)
    return r"\begin{pmatrix}" + r" \\ ".join(rows) + r"\end{pmatrix}"


def derivation(k: int) -> None:
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
        r"W \leftarrow W - \eta \nabla_W J, \qquad \mathbf{b} \leftarrow \mathbf{b} - \eta "
        r"\nabla_{\mathbf{b}} J"
    )
    st.markdown("**6. Stop** when the loss hardly changes, or after max_iter steps:")
    st.latex(r"\left|J^{(t)} - J^{(t-1)}\right| < \mathrm{tol}")


def live_point(report) -> None:
    dataset = state.dataset()
    names = dataset.class_names
    st.subheader(f"Live: one data point at iteration {report.n_iter:,}", anchor=False)
    index = st.number_input(
        "Data point (row index)",
        min_value=0,
        max_value=dataset.X.shape[0] - 1,
        step=1,
        **state.widget("w.math.point", dataset.X.shape[0] // 2, upper=dataset.X.shape[0] - 1),
        help="Pick any training point; the numbers below follow the current model.",
    )
    point = views.trace_point(state.run().model, dataset, index)
    label = names[point.label]
    st.latex(r"\mathbf{x} = " + vector(point.x) + rf",\qquad y = \text{{{label}}}")
    st.latex(r"\mathbf{z} = W\mathbf{x} + \mathbf{b} = " + vector(point.scores))
    st.latex(r"\mathbf{p} = \operatorname{softmax}(\mathbf{z}) = " + vector(point.proba))
    st.latex(
        rf"\ell = -\log p_{{{label}}} = -\log {point.proba[point.label]:.4f} = {point.loss:.4f}"
    )
    st.latex(
        r"\frac{\partial \ell}{\partial \mathbf{b}} = \mathbf{p} - \mathbf{e}_y = "
        + vector(point.grad_intercept)
    )
    st.latex(
        r"\frac{\partial \ell}{\partial W} = (\mathbf{p} - \mathbf{e}_y)\,\mathbf{x}^\top = "
        + matrix(point.grad_coef)
    )


def next_step(report) -> None:
    """The next iteration as the core will take it, for the solver in use."""
    current = state.run()
    if report.diverged:
        st.error("This run diverged: there is no next step. Press Back or restart on Train.")
        return
    step, table = views.next_step_table(current.model, current.data, state.dataset().class_names)
    if report.solver == "gd":
        st.markdown(
            f"**The next step** (all {current.data.n_samples:,} points, "
            f"η = {step.step_size:.4g}): θ ← θ − η ∇J(θ), from the gradient at the "
            "current point."
        )
        st.latex(r"\theta_{t+1} = \theta_t - \eta\,\nabla J(\theta_t)")
    elif report.solver == "nesterov":
        st.markdown(
            f"**The next step, Nesterov** (η = {step.step_size:.4g}, momentum β = "
            f"{step.beta:.4f}): the gradient is taken at the look-ahead point y."
        )
        st.latex(
            r"y = \theta_t + \beta_t(\theta_t - \theta_{t-1}), \qquad "
            r"\theta_{t+1} = y - \eta\,\nabla J(y)"
        )
    else:
        st.markdown(
            f"**The next step, Newton**: the direction d solves H d = ∇J (H the Hessian); the "
            f"line search chose the step length s = {step.step_size:g}."
        )
        st.latex(r"\theta_{t+1} = \theta_t - s\,H^{+}\nabla J(\theta_t)")
    st.dataframe(table, hide_index=True)


def body() -> None:
    st.title("The math behind each step", anchor=False)
    report = state.report()
    derivation(len(state.dataset().class_names))
    st.divider()
    live_point(report)
    next_step(report)


page.run("Math", body)
