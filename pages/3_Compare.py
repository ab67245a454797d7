"""Compare: the from-scratch model against scikit-learn's LogisticRegression."""

import math

import streamlit as st

from ui import figures, page, state, views

page.setup("Compare")
st.title("Compare with scikit-learn")

current, model = state.settings(), state.run().model
X, y = state.dataset()
losses = views.loss_values(model, X, y)
same = st.toggle(
    "Same objective as the scratch model",
    **state.widget("w.compare.same", False),
    help="Off: scikit-learn as a user gets it, LogisticRegression() with its default C = 1. "
    "On: scikit-learn with the scratch model's C and a tight tolerance.",
)
reference = views.sklearn_model(current.data_key(), current.C, same)
gap = views.gap(model, reference, X)

penalty = "no penalty" if math.isinf(current.C) else f"C = {current.C:g}"
cols = st.columns(3)
cols[0].metric(
    "max |Δp|",
    f"{gap.max_abs_diff:.2e}",
    help="Largest difference between the two models' probabilities over the training points.",
)
cols[1].metric(
    "mean KL(scratch ‖ sklearn)",
    f"{gap.mean_kl:.2e}",
    help="Kullback-Leibler divergence per point, in nats.",
)
cols[2].metric(
    "prediction agreement",
    f"{gap.agreement:.1%}",
    help="Share of training points where both predict the same class.",
)

large = page.large()
if X.shape[1] == 1:
    st.plotly_chart(
        views.model_figure(
            model,
            X,
            y,
            reference=reference,
            title=f"From scratch (solid, iteration {model.n_iter_:,}) vs scikit-learn (dashed)",
            large=large,
        ),
        key="w.compare.chart",
        width="stretch",
    )
else:
    scratch_col, sklearn_col = st.columns(2)
    scratch_col.plotly_chart(
        views.model_figure(
            model, X, y, title=f"From scratch, iteration {model.n_iter_:,}", large=large
        ),
        key="w.compare.chart",
        width="stretch",
    )
    sklearn_col.plotly_chart(
        views.model_figure(reference, X, y, title="scikit-learn", large=large),
        key="w.compare.sklearn_chart",
        width="stretch",
    )

st.plotly_chart(
    figures.loss_history(
        losses,
        reference=views.sklearn_objective(reference, model, X, y),
        reference_label="scikit-learn's parameters, scored by the scratch objective",
        large=large,
    ),
    key="w.compare.loss_chart",
    width="stretch",
)

st.subheader("Why the curves differ")
reasons = []
if not same:
    reasons.append(
        f"**Different objectives.** `LogisticRegression()` adds an L2 penalty with C = 1 by "
        f"default: it pulls the weights towards zero, so its curves are flatter. The scratch "
        f"model has {penalty}. Switch on *Same objective* to give scikit-learn the same one."
    )
if views.sklearn_stopped_early(reference):
    reasons.append(
        f"**scikit-learn stopped early too.** Its L-BFGS hit max_iter = {reference.max_iter} "
        "before converging (it warns, in the server log), so its curves are not quite its own "
        "optimum either."
    )
report = views.progress(model, X, y, current.tol, losses)
if report.previous_loss is None:
    reasons.append("**Not trained yet.** The scratch model is at iteration 0: all p = 1/k.")
elif not report.converged:
    reasons.append(
        f"**Not converged.** After {model.n_iter_:,} steps the loss still moves by "
        f"{abs(report.loss - report.previous_loss):.2e} per step (tol = {current.tol:g}): "
        "gradient descent approaches the optimum step by step, where scikit-learn's L-BFGS "
        "uses curvature to get there in a few dozen iterations."
    )
if report.learning_rate > report.limit:
    reasons.append(
        f"**Unstable learning rate.** lr = {report.learning_rate:g} is above the stable limit "
        f"2/L = {report.limit:.3g}: the run oscillates around the optimum "
        "instead of settling on it (see the Train page)."
    )
if not reasons:
    reasons.append(
        f"Both minimise the same objective ({penalty}) and the scratch run has converged; "
        "what remains of the gap is the two solvers' tolerances."
    )
for reason in reasons:
    st.markdown(f"- {reason}")


st.button(
    "Converge precisely (Nesterov, auto rate, tol 1e-15)",
    key="w.compare.converge",
    on_click=state.converge_precisely,
    help="A new run that goes all the way to the optimum; with Same objective on, the gap "
    "drops below 1e-6.",
)
page.finish()
