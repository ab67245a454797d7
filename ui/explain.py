"""What the app says about a run, each sentence chosen by measured numbers.

Plain Python, no Streamlit. Every function returns :class:`Claim` objects: a ``key`` naming
the fact the sentence asserts (tests check each key against the numbers of the report), a
``level`` (the ``st`` call that shows it) and the text, in markdown.

The facts behind the keys:

- ``stable``: gradient descent with ``lr <= 2/L`` lowers the loss at every step (a theorem
  for a gradient that is L-Lipschitz); the report's recent steps show no rise.
- ``unstable-rising``: ``lr > 2/L`` and the loss rose in some of the last steps.
- ``unstable-falling``: ``lr > 2/L`` but no rise yet among the last steps.
- ``nesterov-proven`` / ``nesterov-unproven``: Nesterov's method converges for
  ``lr <= 1/L`` (FISTA's guarantee); momentum can still make the loss rise now and then.
- ``newton``: no learning rate; a line search picks each step's length.
- ``diverged``: the model stopped on an exploding objective; nothing else is said then.
- ``objectives-differ``, with ``flatter-reference`` or ``flatter-scratch``: the reference
  minimises another objective; the model with the smaller ``||W||`` has the flatter
  probabilities.
- ``not-trained``, ``stopped-by-tol``, ``oscillating`` (gradient descent whose loss rose
  in the last steps), ``momentum`` (Nesterov's), ``max-iter``, ``converging``,
  ``at-optimum``, ``below-reference``, ``reference-stopped-early``: where the scratch run
  stands relative to its own objective's optimum, measured by ``J - J*``; a run that met
  its tolerance is said to have stopped there, whatever its last steps did.
"""

from __future__ import annotations

from dataclasses import dataclass

from .report import RunReport, format_number, format_penalty, format_rate, format_ratio
from .settings import Settings

# J - J* below this counts as "at the same optimum" (the objectives are about 0.1 to 2).
OPTIMUM_GAP = 1e-8
# A curvature below this share of L is rounding: the objective is flat that way, as on
# separable data without a penalty, where the weights grow without end (no unique optimum).
FLAT_CURVATURE = 1e-10


def is_flat(curvature: float, lipschitz: float) -> bool:
    """Whether a curvature is zero up to rounding, next to the bound L of all curvatures."""
    return curvature <= FLAT_CURVATURE * lipschitz


SOLVER_NAMES = {"gd": "gradient descent", "nesterov": "Nesterov", "newton": "Newton"}


@dataclass(frozen=True)
class Claim:
    key: str
    level: str
    text: str


def _trend(report: RunReport) -> str:
    if report.recent_steps == 0:
        return "No step taken at this rate yet."
    if report.recent_steps == 1:
        return f"Measured: the last step {'raised' if report.recent_rises else 'lowered'} it."
    return (
        f"Measured: the loss rose in {report.recent_rises} of the last {report.recent_steps} steps."
    )


def divergence(report: RunReport) -> Claim:
    return Claim(
        "diverged",
        "error",
        f"**Diverged at iteration {report.n_iter:,}:** the loss reached "
        f"{format_number(report.loss)}. The learning rate {format_rate(report.learning_rate)} "
        f"is {format_ratio(report.ratio)} the stable limit 2/L = {format_rate(report.limit)}. "
        "Press **Back** to undo, or restart with the stable rate.",
    )


def stability(report: RunReport) -> Claim:
    """The banner about the step size, for the solver in use."""
    if report.diverged:
        return divergence(report)
    limit = f"the stable limit 2/L = {format_rate(report.limit)}"
    rate = f"lr = {format_rate(report.learning_rate)}"
    if report.solver == "newton":
        return Claim(
            "newton",
            "info",
            "**Newton's method** needs no learning rate: each step solves H d = ∇J with the "
            "Hessian H, and a line search picks the step length "
            f"(last step: s = {report.step_size:g}).",
        )
    if report.solver == "nesterov":
        proven = report.learning_rate <= report.limit / 2
        return Claim(
            "nesterov-proven" if proven else "nesterov-unproven",
            "info" if proven else "warning",
            f"**Nesterov**, {rate} = {format_ratio(report.ratio)} {limit}. Its convergence "
            f"is proven up to 1/L = 0.5× the limit; this rate is "
            f"{'within' if proven else 'above'} it. Momentum can make the loss rise now and "
            f"then; the momentum restarted {report.n_restarts:,} times so far. " + _trend(report),
        )
    if report.ratio <= 1:
        return Claim(
            "stable",
            "success",
            f"**Stable learning rate.** {rate} is {format_ratio(report.ratio)} {limit} "
            "(L bounds the curvature of this loss): every gradient-descent step lowers the "
            "loss. " + _trend(report),
        )
    if report.recent_rises:
        return Claim(
            "unstable-rising",
            "warning",
            f"**Unstable learning rate.** {rate} is {format_ratio(report.ratio)} {limit}: "
            "steps overshoot the minimum along the steepest direction, so the loss goes up "
            "and down instead of settling. " + _trend(report),
        )
    return Claim(
        "unstable-falling",
        "warning",
        f"**Above the stable limit.** {rate} is {format_ratio(report.ratio)} {limit}: "
        "nothing guarantees that a step lowers the loss. " + _trend(report),
    )


def differences(report: RunReport, *, two_dimensional: bool) -> list[Claim]:
    """Why the scratch model and the reference differ, from the measured gap."""
    reference = report.reference
    if reference is None or report.gap is None:
        return []
    if report.diverged:
        return [divergence(report)]
    claims = []
    shape = "decision regions" if two_dimensional else "probability curves"
    if reference.objective == "default":
        flatter = "reference" if report.reference_norm < report.norm else "scratch"
        claims.append(
            Claim(
                f"objectives-differ flatter-{flatter}",
                "info",
                f"**Different objectives.** `LogisticRegression()` penalises ‖W‖ with C = 1; "
                f"the scratch model has {format_penalty(report.C)}. Measured: ‖W‖ = "
                f"{report.reference_norm:.3g} for scikit-learn and {report.norm:.3g} from "
                f"scratch, so the "
                f"{'scikit-learn' if flatter == 'reference' else 'from-scratch'} {shape} "
                "change more gradually. Choose *same objective* to compare like with like.",
            )
        )
    if report.n_iter == 0:
        claims.append(
            Claim(
                "not-trained",
                "info",
                "**Not trained yet.** At iteration 0 every probability is 1/k.",
            )
        )
        return claims + _reference_claims(report)
    gap = report.suboptimality
    if gap is not None and abs(gap) <= OPTIMUM_GAP:
        claims.append(
            Claim(
                "at-optimum",
                "success",
                f"**Same optimum.** The scratch loss is {gap:.1e} from scikit-learn's: "
                f"what remains (max |Δp| = {report.gap.max_abs_diff:.1e}) is within the two "
                "solvers' tolerances.",
            )
        )
        return claims + _reference_claims(report)
    if gap is not None and gap < 0:
        claims.append(
            Claim(
                "below-reference",
                "info",
                f"**Lower than scikit-learn.** The scratch loss is {-gap:.2e} below "
                "scikit-learn's: scikit-learn stopped short of the optimum.",
            )
        )
        return claims + _reference_claims(report)
    behind = "" if gap is None else f" It is J − J* = {gap:.2e} above the optimum."
    if report.converged:
        claims.append(
            Claim(
                "stopped-by-tol",
                "info",
                f"**Stopped by the tolerance.** The last step changed the loss by "
                f"{abs(report.loss_change):.1e} < tol = {report.tol:g}.{behind} For "
                f"{SOLVER_NAMES[report.solver]} at this rate a small step is not yet the "
                "optimum: lower tol, or *Run to the optimum*.",
            )
        )
    elif report.recent_rises and report.solver == "gd":
        claims.append(
            Claim(
                "oscillating",
                "warning",
                f"**Oscillating.** The loss rose in {report.recent_rises} of the last "
                f"{report.recent_steps} steps: the learning rate "
                f"{format_rate(report.learning_rate)} ({format_ratio(report.ratio)} 2/L) "
                f"makes the run overshoot instead of settling.{behind}",
            )
        )
    elif report.recent_rises:
        claims.append(
            Claim(
                "momentum",
                "info",
                f"**Still converging, with momentum.** The loss rose in {report.recent_rises} "
                f"of the last {report.recent_steps} steps: Nesterov's momentum carries it past "
                f"the minimum now and then (restarted {report.n_restarts:,} times).{behind}",
            )
        )
    elif report.at_max_iter:
        claims.append(
            Claim(
                "max-iter",
                "info",
                f"**Stopped at max_iter = {report.max_iter:,}.**{behind}",
            )
        )
    else:
        claims.append(
            Claim(
                "converging",
                "info",
                f"**Still converging.** The last step changed the loss by "
                f"{abs(report.loss_change):.1e} (tol = {report.tol:g}).{behind}",
            )
        )
    return claims + _reference_claims(report)


def _reference_claims(report: RunReport) -> list[Claim]:
    reference = report.reference
    if reference is None or not reference.stopped_early:
        return []
    return [
        Claim(
            "reference-stopped-early",
            "warning",
            f"**scikit-learn stopped early.** Its L-BFGS hit max_iter = "
            f"{reference.model.max_iter:,} (the work limit on this data) before its tolerance.",
        )
    ]


def restart_reason(old: Settings, new: Settings) -> str:
    """Why changing ``old`` settings to ``new`` ones started a new run."""
    if old.data_key() != new.data_key():
        return "the data changed"
    if old.C != new.C:
        return f"the penalty changed the objective ({format_penalty(new.C)})"
    return f"the solver changed from {SOLVER_NAMES[old.solver]} to {SOLVER_NAMES[new.solver]}"


def local_step(
    report: RunReport, steepest_here: float, learning_rate: float, limit: float
) -> Claim:
    """What the curvature where the run stands says about the next step, with the measured
    trend where the two could seem to disagree.

    ``steepest_here`` is the Hessian's largest eigenvalue at the current parameters; the
    bound ``L = 2 / limit`` holds everywhere. Below the limit a step cannot overshoot
    anywhere; above it, a step overshoots along the steepest direction here when
    ``lr * lambda > 2``, and otherwise may still, since it is long enough to reach ground
    curved up to L, as the recent rises show.
    """
    product = learning_rate * steepest_here
    factor = abs(1.0 - product)
    if report.solver == "newton":
        return Claim(
            "local-newton",
            "info",
            "Newton's method divides by the curvature: it takes no learning rate, so there is "
            "nothing to overshoot with.",
        )
    if learning_rate <= limit:
        return Claim(
            "local-stable",
            "success",
            f"η = {format_rate(learning_rate)} is at most 2/L = {format_rate(limit)}: the "
            f"error shrinks along every direction, here (|1 − ηλ| = {factor:.3f}) and "
            "anywhere the step can reach.",
        )
    if product > 2:
        return Claim(
            "local-overshoot",
            "warning",
            f"Here ηλ = {product:.3g} > 2: along the steepest direction each step overshoots, "
            f"multiplying the error by {factor:.3g} and flipping its sign: the zigzag.",
        )
    trend = (
        f" Measured: the loss rose in {report.recent_rises} of the last "
        f"{report.recent_steps} steps."
        if report.recent_steps
        else ""
    )
    return Claim(
        "local-long-step",
        "warning",
        f"Here ηλ = {product:.3g} < 2, so the curvature at this point alone would allow the "
        f"step; but η = {format_rate(learning_rate)} is above 2/L = {format_rate(limit)}, "
        f"and a step that long reaches ground curved up to L = {format_rate(2 / limit)}, "
        f"where it overshoots.{trend}",
    )
