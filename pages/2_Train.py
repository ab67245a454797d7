"""Train: step gradient descent one iteration at a time and watch the model learn."""

import math

import streamlit as st

from ui import figures, page, state, views
from ui.settings import LR_RANGE, MAX_ITER

C_CHOICES = [math.inf, 100.0, 10.0, 1.0, 0.1, 0.01]
TOL_CHOICES = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-8, 1e-10, 1e-12, 1e-15]
# Play speed: seconds between reruns of the training area, and steps per rerun.
SPEEDS = {"slow": (0.5, 1), "normal": (0.2, 1), "fast": (0.1, 1), "turbo": (0.1, 5)}

page.setup("Train")
st.title("Train")


def controls() -> None:
    """The trainer's settings; a new learning rate applies from the next step on.

    Each widget writes its setting back through its callback (see ``state.widget``).
    """
    lr_col, c_col, solver_col, tol_col, iter_col = st.columns([1.4, 1, 1, 1, 1])
    current = state.settings()  # a linked value outside the usual choices is offered too
    c_choices = sorted({*C_CHOICES, current.C}, reverse=True)
    tol_choices = sorted({*TOL_CHOICES, current.tol}, reverse=True)
    auto = lr_col.toggle(
        "Learning rate: auto (1/L)",
        **state.widget("w.train.lr_auto"),
        help="1/L never overshoots: L bounds the curvature of the loss on this data.",
    )
    lr_col.number_input(
        "Learning rate",
        min_value=LR_RANGE[0],
        max_value=LR_RANGE[1],
        format="%g",
        disabled=auto,
        **state.widget("w.train.lr"),
        help="Step size of gradient descent. The seed note uses 0.5; try 1e6 to see divergence. "
        "Changing it mid-run keeps the run.",
    )
    c_col.selectbox(
        "L2 penalty C",
        c_choices,
        format_func=lambda c: "none (C = ∞)" if math.isinf(c) else f"C = {c:g}",
        **state.widget("w.train.C"),
        help="Inverse strength of the penalty ||W||²/(2Cn), scikit-learn's meaning. "
        "The seed has none; scikit-learn's default is C = 1. Changing it restarts the run.",
    )
    solver_col.radio(
        "Solver",
        ["gd", "nesterov"],
        format_func={"gd": "gradient descent", "nesterov": "Nesterov"}.get,
        **state.widget("w.train.solver"),
        help="Plain gradient descent (the seed's) or Nesterov's accelerated method with restart.",
    )
    tol_col.select_slider(
        "Tolerance",
        tol_choices,
        format_func=lambda t: f"{t:g}",
        **state.widget("w.train.tol"),
        help="Run to convergence stops when the loss changes by less than this (seed: 1e-6).",
    )
    iter_col.number_input(
        "max_iter",
        min_value=1,
        max_value=MAX_ITER,
        step=100,
        **state.widget("w.train.max_iter"),
        help="Most iterations of this run (the seed's: 1000).",
    )


def stability(report: views.Progress) -> None:
    """Compare the learning rate with the stable limit 2/L, with the numbers."""
    ratio = report.learning_rate / report.limit
    L = 2.0 / report.limit
    if ratio > 1:
        overshoot = ""
        if report.curvature is not None:
            steepness = report.learning_rate * report.curvature
            overshoot = (
                f" Here the loss curves with λ = {report.curvature:.3g} (largest Hessian "
                f"eigenvalue): lr·λ = {steepness:.3g} > 2, so along that direction each step "
                f"overshoots the minimum by a factor |1 − lr·λ| = {steepness - 1:.3g}, and the "
                "loss oscillates."
                if steepness > 2
                else f" Right here the curvature is λ = {report.curvature:.3g}, low enough for "
                f"this step (lr·λ = {steepness:.3g} < 2); where it is higher, up to L, the "
                "steps overshoot."
            )
        st.warning(
            f"**Unstable learning rate.** lr = {report.learning_rate:.4g} is "
            f"{ratio:.1f}× the stable limit 2/L = {report.limit:.4g} "
            f"(L = {L:.4g} bounds the curvature of this loss).{overshoot}",
            icon=":material/warning:",
        )
        st.button(
            f"Fix: use the stable rate 1/L = {1 / L:.4g}",
            key="w.train.fix_lr",
            on_click=state.use_stable_learning_rate,
            help="Keeps the run and continues from here with the automatic learning rate.",
        )
    else:
        st.success(
            f"**Stable learning rate.** lr = {report.learning_rate:.4g} is {ratio:.2f}× the "
            f"limit 2/L = {report.limit:.4g}: gradient descent cannot overshoot.",
            icon=":material/check_circle:",
        )


def parameters(model, names: list[str]) -> None:
    table = {"class": names}
    for j in range(model.coef_.shape[1]):
        table[f"w{j + 1}"] = model.coef_[:, j]
    table["b"] = model.intercept_
    for j in range(model.coef_.shape[1]):
        table[f"∂J/∂w{j + 1}"] = model.grad_coef_[:, j]
    table["∂J/∂b"] = model.grad_intercept_
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption("W and b now; the gradient is the one of the last step (zero before the first).")


if not state.classroom():
    controls()

speed = st.select_slider(
    "Play speed",
    list(SPEEDS),
    **state.widget("w.train.speed", "fast"),
    help="How fast Play steps: from 2 to 50 iterations per second.",
)
interval, steps_per_tick = SPEEDS[speed]


ticking = state.playing()  # the fragment's timer is set when the whole page runs


@st.fragment(run_every=interval if ticking else None)
def training_area() -> None:
    """Buttons, numbers and charts: the only part that reruns while playing."""
    buttons = st.columns(6)
    buttons[0].button(
        "Step", key="w.train.step", on_click=state.step, args=(1,), help="One iteration."
    )
    buttons[1].button(
        "Step ×10", key="w.train.step10", on_click=state.step, args=(10,), help="Ten iterations."
    )
    buttons[2].button(
        "Run to convergence",
        key="w.train.run",
        on_click=state.run_to_convergence,
        help="Until the loss changes by less than tol, or max_iter.",
    )
    # Two buttons with fixed effects: the browser may deliver a click's trigger twice (in a
    # timer rerun and in its own), and a toggle, or a button whose argument follows the
    # state, would then undo itself.
    if state.playing():
        buttons[3].button(
            "Pause",
            key="w.train.pause",
            type="primary",
            on_click=state.set_playing,
            args=(False,),
            help="Stop playing.",
        )
    else:
        buttons[3].button(
            "Play",
            key="w.train.play",
            type="primary",
            on_click=state.set_playing,
            args=(True,),
            help="Keep stepping at the chosen speed.",
        )
    buttons[4].button(
        "Back", key="w.train.back", on_click=state.back, help="Undo the last training action."
    )
    buttons[5].button(
        "Reset", key="w.train.reset", on_click=state.reset, help="Back to iteration 0."
    )
    if state.playing() and ticking:
        state.step(steps_per_tick)
    if state.playing() != ticking:  # started, paused or stopped by itself: reset the timer
        st.rerun()

    current = state.run()
    if current.event is not None:
        getattr(st, current.event.level)(current.event.text)
    X, y = state.dataset()
    model = current.model
    losses = views.loss_values(model, X, y)
    report = views.progress(model, X, y, state.settings().tol, losses)
    metrics = st.columns(4)
    metrics[0].metric("Iteration", f"{report.n_iter:,}")
    metrics[1].metric(
        "Loss J",
        f"{report.loss:.6f}",
        delta=None
        if report.previous_loss is None
        else f"{report.loss - report.previous_loss:+.2e}",
        delta_color="inverse",
        help="Cross-entropy plus penalty at the current parameters.",
    )
    metrics[2].metric("Training accuracy", f"{report.accuracy:.1%}")
    metrics[3].metric(
        "Converged",
        "yes" if report.converged else "no",
        help="Whether the last step changed the loss by less than tol.",
    )
    stability(report)

    large = page.large()
    chart, loss_chart = st.columns([3, 2]) if not large else (st.container(), st.container())
    chart.plotly_chart(
        views.model_figure(
            model, X, y, title=f"From scratch, iteration {report.n_iter:,}", large=large
        ),
        key="w.train.model_chart",
        width="stretch",
    )
    with loss_chart:
        log_scale = st.toggle(
            "Log scale", **state.widget("w.train.log", False), help="Log y axis for the loss."
        )
        st.plotly_chart(
            figures.loss_history(losses, log_scale=log_scale, large=large),
            key="w.train.loss_chart",
            width="stretch",
        )
    if not large:
        parameters(model, views.class_names(model))
    state.sync_url()


training_area()
page.finish()
