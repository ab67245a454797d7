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
- ``path``: where the regularization path's held-out accuracy (the training accuracy
  without held-out points) is highest on its grid, and where the run's C lies against it.
- ``sgd-first-epoch``, ``sgd-above-limit``, ``sgd-noise-floor``, ``sgd-descending``: mini-batch
  SGD. 2/L is full-batch gradient descent's limit, and an SGD step follows one batch's
  gradient, so no rate guarantees a fall; what is said is measured on the last complete
  epoch (:class:`ui.report.Epoch`): ``sgd-noise-floor`` when ``lr <= 2/L`` and its steps'
  rises add up to at least its net fall (``Epoch.bouncing``), ``sgd-descending`` when
  ``lr <= 2/L`` and they do not, ``sgd-above-limit`` when ``lr > 2/L``, ``sgd-first-epoch``
  before an epoch is complete.
- ``objectives-differ``, with ``flatter-reference`` or ``flatter-scratch``: the reference
  minimises another objective; the model with the smaller ``||W||`` has the flatter
  probabilities.
- ``not-trained``, ``stopped-by-tol``, ``oscillating`` (gradient descent whose loss rose
  in the last steps), ``momentum`` (Nesterov's), ``sgd-noisy`` (SGD's), ``max-iter``,
  ``converging``, ``at-optimum``, ``below-reference``, ``reference-stopped-early``: where the
  scratch run stands relative to its own objective's optimum, measured by ``J - J*``; a run that met
  its tolerance is said to have stopped there, whatever its last steps did.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from softmax_core import Pace, RegularizationPath

from .report import RunReport, format_number, format_penalty, format_rate, format_ratio
from .settings import Settings

# J - J* below this counts as "at the same optimum" (the objectives are about 0.1 to 2).
OPTIMUM_GAP = 1e-8
# The solvers' names in sentences, and on buttons, pins and labels.
SOLVER_NAMES = {
    "gd": "gradient descent",
    "nesterov": "Nesterov",
    "newton": "Newton",
    "sgd": "mini-batch SGD",
}
SOLVER_SHORT = {"gd": "GD", "nesterov": "Nesterov", "newton": "Newton", "sgd": "SGD"}
# How many digits of the error "to the optimum" counts.
DIGITS = 6


@dataclass(frozen=True)
class Claim:
    key: str
    level: str
    text: str


def times(count: int) -> str:
    """``once``, ``twice``, ``3 times``: how a sentence counts."""
    return {0: "0 times", 1: "once", 2: "twice"}.get(count, f"{count:,} times")


def _restarts(count: int) -> str:
    if count == 0:
        return "the momentum has not restarted so far"
    return f"the momentum restarted {times(count)} so far"


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
        last = (
            "no step taken yet"
            if report.n_iter == 0
            else f"the last step's s = {report.step_size:g}"
        )
        return Claim(
            "newton",
            "info",
            "**Newton's method** needs no learning rate: each step solves H d = ∇J with the "
            f"Hessian H, and a line search picks the step length s ({last}).",
        )
    if report.solver == "sgd":
        return _sgd_stability(report)
    if report.solver == "nesterov":
        proven = report.learning_rate <= report.limit / 2
        return Claim(
            "nesterov-proven" if proven else "nesterov-unproven",
            "info" if proven else "warning",
            f"**Nesterov**, {rate} = {format_ratio(report.ratio)} {limit}. Its convergence "
            f"is proven up to 1/L = 0.5× the limit; this rate is "
            f"{'within' if proven else 'above'} it. Momentum can make the loss rise now and "
            f"then; {_restarts(report.n_restarts)}. " + _trend(report),
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


def _batches(report: RunReport) -> str:
    return (
        f"batches of {report.batch_size:,}, {report.epoch_steps:,} "
        f"step{'s' if report.epoch_steps != 1 else ''} an epoch"
    )


def _sgd_stability(report: RunReport) -> Claim:
    """The banner for mini-batch SGD: 2/L is full-batch gradient descent's limit; what the
    run does below it is measured on its last complete epoch, never assumed."""
    rate = f"lr = {format_rate(report.learning_rate)}"
    limit = f"the stable limit 2/L = {format_rate(report.limit)} of full-batch GD"
    head = f"{rate} is {format_ratio(report.ratio)} {limit} ({_batches(report)})"
    if report.ratio > 1:
        return Claim(
            "sgd-above-limit",
            "warning",
            f"**Mini-batch SGD above the stable limit.** {head}: not even a full-gradient "
            "step is sure to lower the loss. " + _trend(report),
        )
    epoch = report.last_epoch
    if epoch is None:
        return Claim(
            "sgd-first-epoch",
            "info",
            f"**Mini-batch SGD.** {head}: full-gradient steps would lower the loss, but an "
            "SGD step follows one batch's gradient. No epoch complete yet to measure it. "
            + _trend(report),
        )
    steps = f"steps {epoch.start:,} to {epoch.end:,}"
    if epoch.bouncing:
        net = (
            f"a net fall of only {epoch.net_fall:.2e}"
            if epoch.net_fall > 0
            else f"a net rise of {-epoch.net_fall:.2e}"
        )
        return Claim(
            "sgd-noise-floor",
            "warning",
            f"**Bouncing at a noise floor.** {head}. Over the last epoch ({steps}) the loss "
            f"rose in {epoch.rises} of its {epoch.steps} steps, by {epoch.rise_total:.2e} in "
            f"all, against {net}: each step follows one batch's gradient. A smaller rate or "
            "larger batches make the steps less noisy.",
        )
    rose = (
        "it never rose"
        if epoch.rises == 0
        else f"its rises in {epoch.rises} of {epoch.steps} steps add up to only "
        f"{epoch.rise_total:.2e}"
    )
    return Claim(
        "sgd-descending",
        "success",
        f"**Mini-batch SGD, still descending.** {head}. Over the last epoch ({steps}) the "
        f"loss fell by {epoch.net_fall:.2e} net, and {rose}.",
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
                f"**Same optimum.** |J − J*| = {abs(gap):.1e}, the scratch loss against "
                f"scikit-learn's: "
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
        if gap is None:  # another objective: how far this run is from its own is not measured
            after = (
                " scikit-learn's default minimises another objective, so its optimum says "
                "nothing about how far this run is from its own: choose *same objective* to "
                "measure that."
            )
        else:
            rate = "" if report.solver == "newton" else " at this rate"
            small = "a small epoch" if report.solver == "sgd" else "a small step"
            after = (
                f"{behind} For {SOLVER_NAMES[report.solver]}{rate} {small} is not yet "
                "the optimum: lower tol, or *Run to the optimum*."
            )
        what = f"The last step changed the loss by {abs(report.loss_change):.1e}"
        if report.solver == "sgd" and report.last_epoch is not None:
            epoch = report.last_epoch
            what = (
                f"The last complete epoch (steps {epoch.start:,} to {epoch.end:,}) changed "
                f"the loss by {abs(epoch.change):.1e}"
            )
        claims.append(
            Claim(
                "stopped-by-tol",
                "info",
                f"**Stopped by the tolerance.** {what} < tol = {report.tol:g}.{after}",
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
    elif report.recent_rises and report.solver == "sgd":
        claims.append(
            Claim(
                "sgd-noisy",
                "info",
                f"**Noisy steps.** The loss rose in {report.recent_rises} of the last "
                f"{report.recent_steps} steps: each SGD step follows one mini-batch's "
                f"gradient, not that of the whole objective.{behind}",
            )
        )
    elif report.recent_rises:
        claims.append(
            Claim(
                "momentum",
                "info",
                f"**Still converging, with momentum.** The loss rose in {report.recent_rises} "
                f"of the last {report.recent_steps} steps: Nesterov's momentum carries it past "
                f"the minimum now and then (restarted {times(report.n_restarts)}).{behind}",
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
    if old.solver != new.solver:
        return f"the solver changed from {SOLVER_NAMES[old.solver]} to {SOLVER_NAMES[new.solver]}"
    if old.batch_size != new.batch_size:
        return f"the batch size changed to {new.batch_size:,} (new batches, a new run)"
    return f"the shuffle seed changed to {new.batch_seed} (new batches, a new run)"


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
    if report.solver == "sgd":
        return _local_sgd_step(report, product, factor, learning_rate, limit)
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


def _local_sgd_step(
    report: RunReport, product: float, factor: float, learning_rate: float, limit: float
) -> Claim:
    """:func:`local_step` for mini-batch SGD: the curvature speaks of a step along the full
    gradient; SGD's step has the same length along a batch's gradient."""
    batch = "an SGD step goes as far along one mini-batch's gradient instead (below: how far "
    batch += "that is from ∇J), so the loss can rise even so."
    if learning_rate <= limit:
        return Claim(
            "local-sgd-stable",
            "info",
            f"η = {format_rate(learning_rate)} is at most 2/L = {format_rate(limit)}: a step "
            f"along the full gradient ∇J would shrink the error along every direction "
            f"(here |1 − ηλ| = {factor:.3f}); {batch}",
        )
    if product > 2:
        return Claim(
            "local-sgd-overshoot",
            "warning",
            f"Here ηλ = {product:.3g} > 2: a step along the full gradient would overshoot "
            f"along the steepest direction, multiplying the error by {factor:.3g} and "
            f"flipping its sign; {batch}",
        )
    return Claim(
        "local-sgd-long-step",
        "warning",
        f"Here ηλ = {product:.3g} < 2, but η = {format_rate(learning_rate)} is above 2/L = "
        f"{format_rate(limit)}: a step that long along the full gradient can reach ground "
        f"curved up to L = {format_rate(2 / limit)} and overshoot there; {batch}",
    )


def gradient_spread(spread) -> Claim:
    """Math's sentence on the mini-batch gradients of the epoch against the full gradient
    (``spread``: :class:`softmax_core.GradientSpread`), each figure measured."""
    if spread.n_batches == 1:
        return Claim(
            "spread-full-batch",
            "info",
            "The batch is all the training points: the SGD step is a full gradient step, "
            "and its gradient is ∇J itself.",
        )
    cosines = spread.cosines[np.isfinite(spread.cosines)]
    if spread.full_norm == 0 or cosines.size == 0:
        return Claim(
            "spread-stationary",
            "info",
            f"Here ∇J = 0, yet the {spread.n_batches} batch gradients of epoch "
            f"{spread.epoch + 1:,} lie on average (root mean square) "
            f"{spread.rms_deviation:.3g} from it: SGD keeps moving where J is flat.",
        )
    relative = spread.rms_deviation / spread.full_norm
    against = int(np.count_nonzero(cosines < 0))
    size = f"{relative:.2g} times ‖∇J‖ = {spread.full_norm:.3g}"
    turned = (
        f" {against} of the {spread.n_batches} batch gradients point uphill for J (cosine "
        "below 0): a short enough step along one of them raises J."
        if against
        else " No batch gradient points uphill for J (no cosine below 0)."
    )
    return Claim(
        "spread",
        "info",
        f"Over the {spread.n_batches} batches of epoch {spread.epoch + 1:,} the batch gradients "
        f"lie on average (root mean square) {spread.rms_deviation:.3g} from ∇J, {size}; their "
        f"cosines with ∇J range from {np.min(cosines):.2f} to {np.max(cosines):.2f}."
        + turned
        + " Weighted by their sizes they average to ∇J (off by "
        f"{spread.mean_error:.1e}, rounding).",
    )


def pace(pace: Pace) -> Claim:
    """Math's sentence on how slowly gradient descent at 1/L closes in, from this data's
    own flattest curvature at the optimum (never a figure that holds on other data only)."""
    if pace.flat:
        return Claim(
            "pace-flat",
            "info",
            "Here the objective is flat in some direction (λ ≈ 0 where training heads): it has "
            "no unique optimum, so no number of steps reaches one; on separable data the "
            "weights grow without end. A penalty (a finite C) makes the optimum unique.",
        )
    steps = pace.steps_for(10.0**DIGITS)
    return Claim(
        "pace",
        "info",
        f"Near the optimum the flattest direction curves with λ = {pace.flattest:.3g}. At the "
        f"stable rate η = 1/L, a step shrinks the error along it by 1 − λ/L = "
        f"{pace.contraction:.6f}: a factor e every L/λ ≈ {pace.steps_per_efold:,.0f} steps, "
        f"so plain gradient descent needs about {steps:,.0f} steps to gain {DIGITS} digits "
        "here, where Newton's method, which divides by the curvature, needs a handful.",
    )


def iteration_counts(
    report: RunReport, pace: Pace, newton_iterations: int, newton_tol: float
) -> Claim:
    """Compare's paragraph on why the solvers take such different numbers of iterations:
    scikit-learn's L-BFGS, gradient descent at 1/L (from ``pace``) and Newton from zero
    (``newton_iterations`` until a step changed J by less than ``newton_tol``)."""
    reference = report.reference
    if pace.flat:
        slow = "Here the objective is flat in some direction: it has no unique optimum."
    else:
        slow = (
            f"Plain gradient descent at the stable rate 1/L shrinks the error along the "
            f"flattest direction by only 1 − λ/L = {pace.contraction:.6f} per step "
            f"(λ = {pace.flattest:.3g}, L = {pace.lipschitz:.4g}): a factor e every "
            f"{pace.steps_per_efold:,.0f} steps, about {pace.steps_for(10.0**DIGITS):,.0f} to "
            f"gain {DIGITS} digits."
        )
    return Claim(
        "iteration-counts",
        "markdown",
        f"**Why the iteration counts differ.** scikit-learn's L-BFGS took "
        f"{reference.n_iter:,} iterations ({format_penalty(reference.C)}): it estimates the "
        f"curvature from the gradients it has seen, so its steps adapt to each direction. "
        f"{slow} Newton's method divides by the exact curvature in every direction: from "
        f"zero it took {newton_iterations} iterations here to a step that changed J by less "
        f"than {newton_tol:g}. This run is at iteration {report.n_iter:,} with "
        f"{SOLVER_NAMES[report.solver]}.",
    )


def landscape_subtitle(offsets) -> str:
    """The landscape caption's facts in a line, for a projector."""
    text = f"path {offsets.path:.2g} off the plane"
    if offsets.optimum is not None:
        text += f"; optimum {offsets.optimum:.3g} off (☆: its shadow)"
    return text


def landscape_caption(curvature: float, offsets) -> str:
    """The caption under the loss landscape: what the plane is, and how far what it draws
    lies off it (``offsets``: :class:`ui.views.Offsets`)."""
    text = (
        f"J on the plane through the current parameters (curvature along the second axis: "
        f"{curvature:.3g}); the path lies on average {offsets.path:.2g} off this plane"
    )
    if offsets.optimum is not None:
        text += (
            f", the optimum {offsets.optimum:.3g} off it: the open star is its shadow, not "
            "where it is"
        )
    return text + "."


def format_c(C: float) -> str:
    """A value of C in a sentence: three significant digits, thousands written out
    (``0.000316``, ``3.16``, ``3,162``), ``∞`` for no penalty."""
    if math.isinf(C):
        return "∞"
    return f"{C:,.0f}" if C >= 1000 else f"{C:.3g}"


def _values(Cs: np.ndarray) -> str:
    return ", ".join(f"C = {format_c(C)}" for C in Cs)


def regularization_path(path: RegularizationPath, C: float) -> Claim:
    """Compare's sentence on the regularization path: where the accuracy that matters (on
    held-out points if any, else on the training points) is highest on the grid, and where
    this run's C lies against those values."""
    held = path.has_holdout
    accuracy = path.holdout_accuracy if held else path.train_accuracy
    which = "Held-out" if held else "Training"
    best = float(np.max(accuracy))
    at = np.flatnonzero(accuracy == best)
    low, high = path.Cs[at[0]], path.Cs[at[-1]]
    if at.size == 1:
        where = f"at C = {format_c(low)}"
    elif at.size <= 3:
        where = f"at {_values(path.Cs[at])}"
    elif at[-1] - at[0] + 1 == at.size:
        where = (
            f"from C = {format_c(low)} to C = {format_c(high)} "
            f"({at.size} of the {path.n_points} values)"
        )
    else:
        where = (
            f"at {at.size} of the {path.n_points} values, between C = {format_c(low)} "
            f"and C = {format_c(high)}"
        )
    parts = [f"**{which} accuracy is highest, {best:.1%}, {where}**"]
    if held:
        lowest = int(np.argmin(path.holdout_log_loss))
        parts.append(
            f"; the held-out log-loss is lowest, {path.holdout_log_loss[lowest]:.4f}, at "
            f"C = {format_c(path.Cs[lowest])}"
        )
    one = at.size == 1
    if math.isinf(C):
        run = (
            "This run has no penalty (C = ∞), beyond the grid's right end, where the penalty "
            "is weakest."
        )
    elif low > C:
        that = "that" if one else "those"
        run = f"This run's C = {format_c(C)} is below {that}: a stronger penalty."
    elif high < C:
        that = "that" if one else "those"
        run = f"This run's C = {format_c(C)} is above {that}: a weaker penalty."
    elif np.any(np.isclose(path.Cs[at], C, rtol=1e-9, atol=0)):
        run = f"This run's C = {format_c(C)} is {'that value' if one else 'one of them'}."
    else:
        run = f"This run's C = {format_c(C)} lies between them, off the grid's values."
    text = "".join(parts) + ". " + run
    if not path.complete:
        text += f" The work budget ran out: the path stops at C = {format_c(path.Cs[-1])}."
    stopped = int(np.sum(~path.converged))
    if stopped:
        text += f" {stopped} of its fits stopped at the iteration limit before converging."
    return Claim("path", "markdown", text)
