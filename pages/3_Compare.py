"""Compare: the from-scratch model against scikit-learn's LogisticRegression."""

import streamlit as st

from ui import explain, page, state, views
from ui.report import format_penalty

REFERENCE_LABELS = {
    "same": "same objective as the scratch model",
    "default": "LogisticRegression() as a user gets it (C = 1)",
}


def body() -> None:
    st.title("Compare with scikit-learn", anchor=False)
    st.segmented_control(
        "Reference",
        list(REFERENCE_LABELS),
        format_func=REFERENCE_LABELS.get,
        required=True,
        **state.widget("w.view.reference"),
        help="Same objective: scikit-learn with the scratch model's C and a tight tolerance. "
        "Default: LogisticRegression() with its own C = 1.",
    )
    report, current, dataset = state.report(), state.run(), state.dataset()
    reference = report.reference
    cols = st.columns(4)
    cols[0].metric(
        "max |Δp|",
        f"{report.gap.max_abs_diff:.2e}",
        help="Largest difference between the two models' probabilities on the training points.",
    )
    cols[1].metric(
        "mean KL divergence",
        f"{report.gap.mean_kl:.2e}",
        help="KL(scratch ‖ scikit-learn) per training point, in nats.",
    )
    cols[2].metric("prediction agreement", f"{report.gap.agreement:.1%}")
    cols[3].metric(
        "J − J*" if report.same_objective else "J (scratch objective)",
        f"{report.suboptimality:.2e}" if report.same_objective else f"{report.loss:.6f}",
        help="The scratch loss minus scikit-learn's, both by the scratch objective.",
    )
    large = page.large()
    height = 430 if large else 380
    two_dimensional = dataset.n_features == 2
    title = f"From scratch, iteration {report.n_iter:,}"
    st.plotly_chart(
        views.chart(
            views.model_figure(
                current.model,
                dataset,
                reference=reference,
                title=title,
                large=large,
                height=height + (80 if two_dimensional else 0),
            )
        ),
        key="w.compare.chart",
        config={"displayModeBar": False},
    )
    st.subheader("Why they differ", anchor=False)
    for claim in explain.differences(report, two_dimensional=two_dimensional):
        getattr(st, claim.level)(claim.text)
    st.caption(
        f"scikit-learn's L-BFGS took {reference.n_iter:,} iterations "
        f"({format_penalty(reference.C)}); the scratch run is at iteration {report.n_iter:,} "
        f"with {explain.SOLVER_NAMES[report.solver]}."
    )
    st.plotly_chart(
        views.chart(
            views.loss_figure(
                current.model,
                report,
                current.schedule,
                state.view(),
                title="Loss history against J*",
                large=large,
                height=height,
            )
        ),
        key="w.compare.loss_chart",
        config={"displayModeBar": False},
    )
    st.button(
        "Run to the optimum (tol 1e-15)",
        key="w.compare.optimum",
        on_click=state.run_to_optimum,
        help="Go on with this run's solver and rate until a step changes the loss by less "
        "than 1e-15; with the same objective the gap then closes.",
    )
    page.show_event()


page.run("Compare", body)
