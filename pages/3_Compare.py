"""Compare: the from-scratch model against scikit-learn's LogisticRegression."""

import streamlit as st

from ui import explain, figures, page, path_figure, session, views
from ui.lab import OPTIMUM_TOL
from ui.services import CONVERGED_TOL, PATH_CS

REFERENCE_LABELS = {
    "same": "same objective as the scratch model",
    "default": "LogisticRegression() as a user gets it (C = 1)",
}


def speeds(report) -> None:
    """Why the solvers take so many different numbers of iterations, with live numbers."""
    lab = session.lab()
    claim = explain.iteration_counts(report, lab.pace(), lab.optimum().n_iter_, CONVERGED_TOL)
    st.markdown(claim.text)


def regularization_path(height: int) -> None:
    """The optimum at each C of the grid, the run's C marked, and one sentence from it."""
    lab = session.lab()
    st.subheader("Regularization path", anchor=False)
    with page.guard():  # a path the core refuses is said here; the page above stays
        _path_section(lab, height)


def _path_section(lab, height: int) -> None:
    path = lab.regularization_path()
    if path is None:
        dataset = lab.dataset
        st.caption(
            f"On this data set ({dataset.train.size:,} training points, "
            f"{dataset.n_classes} classes) the path's {PATH_CS.size} Newton fits would hold "
            "the page up: they are computed when asked for, once for everyone on this data "
            "set."
        )
        st.button(
            "Compute the regularization path",
            key="w.compare.path",
            **session.action("request_path"),
        )
        return
    C = lab.settings.C
    sentence = explain.regularization_path(path, C).text
    st.markdown(sentence)
    held = path.has_holdout
    # Its text alternative: the sentence above it, without the markdown's bold.
    page.chart(
        figures.describe(
            path_figure.regularization_path(
                path.Cs,
                path.coef_norm,
                path.train_accuracy,
                path.train_log_loss,
                path.holdout_accuracy if held else None,
                path.holdout_log_loss if held else None,
                current_C=C,
                title="‖W‖, accuracy and log-loss against C",
                large=page.large(),
                height=height,
            ),
            "Regularization path: " + sentence.replace("**", ""),
        ),
        key="w.compare.path_chart",
    )
    st.caption(
        f"The optimum at each of {path.n_points} values of C by Newton's method, each fit "
        f"started from the optimum of the C before (the first from zero): "
        f"{int(path.n_iter.sum())} iterations in all. "
        "The objective is the scratch model's (mean cross-entropy + ‖W‖²/(2Cn)), the one "
        "scikit-learn's LogisticRegression minimises: a small C is a strong penalty, so the "
        "weights shrink and the probabilities flatten. ‖W‖ is the Frobenius norm of the "
        "weights (the intercepts are not penalised); log-loss is the mean cross-entropy."
        + (
            ""
            if held
            else " Hold out a share of the points on the Data page to see how "
            "the fit does on points it never saw."
        )
    )


def body() -> None:
    st.title("Compare with scikit-learn", anchor=False)
    st.segmented_control(
        "Reference",
        list(REFERENCE_LABELS),
        format_func=REFERENCE_LABELS.get,
        required=True,
        **session.widget("w.view.reference"),
        help="Same objective: scikit-learn with the scratch model's C and a tight tolerance. "
        "Default: LogisticRegression() with its own C = 1.",
    )
    lab = session.lab()
    report, dataset = lab.report(), lab.dataset
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
    page.chart(
        figures.describe(
            views.model_figure(
                lab.model,
                dataset,
                reference=reference,
                title=title,
                large=large,
                height=height + (80 if two_dimensional else 0),
            ),
            views.model_sentence(report),
        ),
        key="w.compare.chart",
    )
    st.subheader("Why they differ", anchor=False)
    for claim in explain.differences(report, two_dimensional=two_dimensional):
        getattr(st, claim.level)(claim.text)
    speeds(report)
    page.chart(
        figures.describe(
            views.loss_figure(
                lab.model,
                report,
                lab.run.schedule,
                lab.view,
                title="Loss history against J*",
                large=large,
                height=height,
            ),
            views.loss_sentence(report, target=lab.view.show_target),
        ),
        key="w.compare.loss_chart",
    )
    st.subheader("On points it learnt from, and on points it never saw", anchor=False)
    table = views.generalisation_table(lab.model, reference, dataset)
    # Percentages to one decimal in every row (the table showed 98.1% beside 91.11%).
    table = {
        name: [100 * value for value in values] if "accuracy" in name else values
        for name, values in table.items()
    }
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            name: st.column_config.NumberColumn(format="%.1f%%" if "accuracy" in name else "%.4f")
            for name in table
            if name != "model"
        },
    )
    which, confusion = views.confusion_table(lab.model, dataset)
    st.caption(f"From scratch, confusion matrix on the {which} points:")
    st.dataframe(confusion, hide_index=True)
    if not dataset.test.size:
        st.caption("Hold out a share of the points on the Data page to see the difference.")
    st.button(
        f"Run to the optimum (ΔJ < {OPTIMUM_TOL:g})",
        key="w.compare.optimum",
        **session.action("run_to_optimum"),
        help="Go on with this run's solver and rate until a step changes the loss by less "
        f"than {OPTIMUM_TOL:g} (tol and max_iter stay as they are); with the same objective "
        "the gap then closes.",
    )
    page.show_event()  # under the button whose action it tells of
    regularization_path(height + 260)


page.run("Compare", body)
