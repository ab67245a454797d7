"""Math: the seed note's derivation, with the live numbers of one data point and step."""

import numpy as np
import streamlit as st

from softmax_core import minibatch_gradient_spread
from ui import escape, explain, figures, page, session, views
from ui.escape import plain
from ui.settings import TEMPERATURE_RANGE


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
    lab = session.lab()
    dataset = lab.dataset
    names = dataset.class_names
    st.subheader(f"Live: one data point at iteration {report.n_iter:,}", anchor=False)
    index = st.number_input(
        "Data point (row index)",
        min_value=0,
        max_value=dataset.X.shape[0] - 1,
        step=1,
        **session.widget("w.math.point", dataset.X.shape[0] // 2, upper=dataset.X.shape[0] - 1),
        help="Pick any training point; the numbers below follow the current model.",
    )
    point = views.trace_point(lab.model, dataset, index)
    label = escape.latex_text(plain(names[point.label], 40))
    st.latex(r"\mathbf{x} = " + views.latex_vector(point.x) + rf",\qquad y = \text{{{label}}}")
    st.latex(r"\mathbf{z} = W\mathbf{x} + \mathbf{b} = " + views.latex_vector(point.scores))
    st.latex(
        r"\mathbf{p} = \operatorname{softmax}(\mathbf{z}) = " + views.latex_vector(point.proba)
    )
    st.latex(
        rf"\ell = -\log p_{{\text{{{label}}}}} = -\log {point.proba[point.label]:.4f} = "
        rf"{point.loss:.4f}"
    )
    st.latex(
        r"\frac{\partial \ell}{\partial \mathbf{b}} = \mathbf{p} - \mathbf{e}_y = "
        + views.latex_vector(point.grad_intercept)
    )
    st.latex(
        r"\frac{\partial \ell}{\partial W} = (\mathbf{p} - \mathbf{e}_y)\,\mathbf{x}^\top = "
        + views.latex_matrix(point.grad_coef)
    )


def next_step(report) -> None:
    """The next iteration as the core will take it, for the solver in use."""
    lab = session.lab()
    if report.diverged:
        st.error("This run diverged: there is no next step. Press Back or restart on Train.")
        return
    step, table = views.next_step_table(lab.model, lab.training, lab.dataset.class_names)
    if report.solver == "gd":
        st.markdown(
            f"**The next step** (all {lab.training.n_samples:,} points, "
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
    elif report.solver == "sgd":
        batch = lab.training.n_samples if step.batch is None else len(step.batch)
        loss = "–" if step.batch_loss is None else f"{step.batch_loss:.6g}"
        st.markdown(
            f"**The next step, mini-batch SGD** (a batch of {batch:,} of the "
            f"{lab.training.n_samples:,} points, step {report.n_iter % report.epoch_steps + 1:,} "
            f"of {report.epoch_steps:,} in epoch {report.n_iter // report.epoch_steps + 1:,}, "
            f"η = {step.step_size:.4g}, the batch's J_B = {loss}): θ ← θ − η ∇J_B(θ), from "
            "the batch's gradient."
        )
        st.latex(r"\theta_{t+1} = \theta_t - \eta\,\nabla J_{B_t}(\theta_t)")
    else:
        st.markdown(
            f"**The next step, Newton**: the direction d solves H d = ∇J (H the Hessian); the "
            f"line search chose the step length s = {step.step_size:g}."
        )
        st.latex(r"\theta_{t+1} = \theta_t - s\,H^{+}\nabla J(\theta_t)")
    st.dataframe(table, hide_index=True)


def minibatch_gradients(report) -> None:
    """SGD: the batch gradients of the epoch against the full gradient, where the run is."""
    lab = session.lab()
    if report.solver != "sgd" or report.diverged:
        return
    spread = minibatch_gradient_spread(lab.model, lab.training)
    st.subheader("Mini-batch gradient against the full gradient", anchor=False)
    st.markdown(
        "An SGD step follows ∇J_B, the gradient of one batch B's objective (its mean "
        "cross-entropy plus the penalty), an estimate of ∇J that is right on average over "
        "an epoch but not at any one step."
    )
    st.latex(
        r"\nabla J_B = \frac{1}{|B|}\sum_{i \in B}(\mathbf{p}_i - \mathbf{y}_i)\,"
        r"\tilde{\mathbf{x}}_i^\top + \ldots, \qquad "
        r"\sum_{B}\frac{|B|}{n}\,\nabla J_B = \nabla J"
    )
    cols = st.columns(4)
    cols[0].metric("‖∇J‖ (all points)", f"{spread.full_norm:.4g}")
    cols[1].metric(
        "‖∇J_B‖ (next batch)",
        f"{spread.next_norm:.4g}",
        help="The gradient the next step follows.",
    )
    cosine = spread.next_cosine
    cols[2].metric(
        "cos(∇J_B, ∇J)",
        "–" if not np.isfinite(cosine) else f"{cosine:.3f}",
        help="1: the same direction; below 0 the batch's step goes uphill for J.",
    )
    cols[3].metric(
        "spread over the epoch",
        f"{spread.rms_deviation:.4g}",
        help="Root mean square of ‖∇J_B − ∇J‖ over the epoch's batches (weighted by size).",
    )
    claim = explain.gradient_spread(spread)
    getattr(st, claim.level)(claim.text)


def temperature(report) -> None:
    """softmax(z / T) for the chosen point: sharper below 1, flatter above, same winner."""
    lab = session.lab()
    dataset = lab.dataset
    chosen = lab.view.point  # row 0 is a point like any other
    index = dataset.X.shape[0] // 2 if chosen is None else min(chosen, dataset.X.shape[0] - 1)
    point = views.trace_point(lab.model, dataset, index)
    st.subheader("Temperature", anchor=False)
    st.markdown(
        "Dividing the scores by a temperature T before the softmax changes how sure the "
        "probabilities are, never which class wins: below 1 they sharpen towards one-hot, "
        "above 1 they flatten towards 1/k."
    )
    st.latex(r"p_j(T) = \frac{e^{z_j / T}}{\sum_l e^{z_l / T}}")
    value = st.slider(
        "Temperature T",
        min_value=TEMPERATURE_RANGE[0],
        max_value=TEMPERATURE_RANGE[1],
        step=0.05,
        **session.widget("w.view.temperature"),
    )
    tempered = views.tempered(point.scores, value)
    page.chart(
        figures.describe(
            figures.probability_bars(
                point.proba,
                tempered,
                dataset.class_names,
                temperature=value,
                true_class=point.label,
                large=page.large(),
            ),
            views.bars_sentence(
                f"Point {index}", dataset.class_names, point.proba, tempered, value
            ),
        ),
        key="w.math.temperature",
    )
    winner = escape.markdown(plain(dataset.class_names[int(np.argmax(tempered))], 40))
    if value == 1:
        caption = f"Point {index}: at T = 1 these are the model's own probabilities; the most "
        caption += f"probable class is {winner}."
    else:
        # Dividing by T > 0 keeps the order of the scores: the same class wins (but for a tie).
        same = int(np.argmax(tempered)) == int(np.argmax(point.proba))
        caption = f"Point {index}: at T = {value:g} the most probable class is {winner}, "
        caption += "the same as at T = 1." if same else "unlike at T = 1 (a tie of scores)."
    st.caption(caption)


def step_size(report) -> None:
    """Where the stable step size comes from, with this run's numbers."""
    lab = session.lab()
    facts = views.step_size_facts(lab.model, lab.training)
    st.subheader("How big a step can be", anchor=False)
    st.markdown(
        "Along a direction where the loss curves with λ (an eigenvalue of the Hessian), a "
        "gradient step of size η multiplies the error by 1 − ηλ. It shrinks if |1 − ηλ| < 1, "
        "and grows, flipping sign each step (the zigzag), if ηλ > 2. No direction curves more "
        "than L, a bound that comes from the data alone (Böhning): the Hessian of the loss in "
        "the scores never exceeds 1/2."
    )
    st.latex(
        r"L = \tfrac{1}{2}\,\lambda_{\max}\!\left(\tfrac{1}{n}\tilde X^\top \tilde X\right) "
        r"+ \tfrac{1}{Cn}"
        + rf" = \tfrac{{1}}{{2}} \cdot {facts.gram_top:.4g} + \ldots = {facts.lipschitz:.4g},"
        + rf"\qquad \tfrac{{2}}{{L}} = {facts.limit:.4g}"
    )
    cols = st.columns(4)
    if report.solver == "newton":
        # Newton takes no learning rate: its step is s H^+ ∇J, s from the line search.
        cols[0].metric(
            "s (line search)",
            "–" if report.n_iter == 0 else f"{report.step_size:g}",
            help="The length of Newton's last step along its direction (1: the full step).",
        )
        cols[1].metric(
            "λ max here", f"{facts.steepest:.4g}", help="Largest curvature at the current point."
        )
        cols[2].metric(
            "λ min here", f"{facts.flattest:.4g}", help="Smallest curvature at the current point."
        )
        cols[3].metric(
            "λ max / λ min",
            "∞" if facts.flattest <= 0 else f"{facts.steepest / facts.flattest:,.0f}",
            help="How much the curvature differs by direction: Newton divides it out.",
        )
    else:
        cols[0].metric("η (in use)", f"{facts.learning_rate:.4g}")
        cols[1].metric(
            "λ max here", f"{facts.steepest:.4g}", help="Largest curvature at the current point."
        )
        cols[2].metric(
            "|1 − ηλ max|",
            f"{facts.steep_factor:.3f}",
            help="Above 1, the error along the steepest direction grows at each step: it zigzags.",
        )
        cols[3].metric(
            "|1 − ηλ min|",
            f"{facts.flat_factor:.5f}",
            help="How the error along the flattest direction shrinks per step.",
        )
    claim = explain.local_step(report, facts.steepest, facts.learning_rate, facts.limit)
    getattr(st, claim.level)(claim.text)
    st.markdown(explain.pace(lab.pace()).text)
    if report.solver == "nesterov":
        preview = lab.model.preview_step(lab.training)
        st.latex(
            r"y = \theta_t + \beta_t(\theta_t - \theta_{t-1}),\quad "
            r"\theta_{t+1} = y - \eta \nabla J(y),\quad "
            rf"\beta_t = \frac{{m_t - 1}}{{m_{{t+1}}}} = {preview.beta:.4f}"
        )
    if report.solver == "newton" and report.n_iter:
        st.latex(
            r"\theta_{t+1} = \theta_t - s\,H^{+} \nabla J(\theta_t),\quad "
            rf"s = {report.step_size:g} \text{{ (the last step's line search)}}"
        )


def body() -> None:
    st.title("The math behind each step", anchor=False)
    lab = session.lab()
    report = lab.report()
    derivation(len(lab.dataset.class_names))
    st.divider()
    live_point(report)
    next_step(report)
    st.divider()
    step_size(report)
    if report.solver == "sgd" and not report.diverged:
        st.divider()
        minibatch_gradients(report)
    st.divider()
    temperature(report)


page.run("Math", body)
