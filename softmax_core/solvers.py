"""One iteration of each solver, as a pure function of where training stands.

Parameters are stacked, ``theta = [W | b]`` of shape ``(n_classes, n_features + 1)`` (see
:mod:`softmax_core.functions`). Every iteration starts from parameters whose objective and
gradient are known and ends at new parameters with their objective and gradient evaluated,
so that the model always knows ``J`` and ``grad J`` where it stands. A :class:`Step` records
what the iteration did, in the terms the Math page teaches.

- ``gd``: ``theta <- theta - lr * grad J(theta)``. One evaluation per iteration.
- ``nesterov``: FISTA's momentum (Beck & Teboulle, 2009). With ``m_1 = 1`` and
  ``m_{t+1} = (1 + sqrt(1 + 4 m_t^2)) / 2``, step from the look-ahead point
  ``y = theta_t + beta_t (theta_t - theta_{t-1})``, ``beta_t = (m_t - 1) / m_{t+1}``:
  ``theta_{t+1} = y - lr * grad J(y)``. The momentum restarts (``m = 1``) when the step
  points uphill, ``<grad J(y), theta_{t+1} - theta_t> > 0`` (O'Donoghue & Candes, 2015).
  Two evaluations: at ``y`` for the step, at ``theta_{t+1}`` for the record.
- ``newton``: the direction ``d = H^+ grad J`` with ``H`` the exact Hessian, then a
  backtracking line search: the largest ``s`` in 1, 1/2, 1/4, ... with the Armijo decrease
  ``J(theta - s d) <= J(theta) - c s <grad J, d>``. ``H`` is singular along the
  class-constant directions (adding one vector to every class row changes nothing); the
  pseudo-inverse solves in the subspace orthogonal to them, where the gradient lies, and
  gives the minimum-norm step. The intercept is left out when it is not fitted.
- ``sgd``: mini-batch stochastic gradient descent, ``theta <- theta - lr_t * grad J_B(theta)``
  with ``J_B`` the objective on the mini-batch ``B`` of the iteration: the unbiased
  estimate ``(n / |B|) sum_{i in B} s_i CE_i / S`` of the data term (for equal weights the
  batch's mean cross-entropy) plus the full penalty. An epoch is ``ceil(n / batch_size)``
  iterations that visit every sample once, without replacement; the batches are a pure
  function of the seed, the iteration and ``n`` (:func:`minibatch`), so a run replays from
  its iteration count without any random state. One evaluation on the batch, then one on
  all the data for the record (the model reports the full objective). A batch of all the
  data is plain gradient descent, computed identically.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Integral
from typing import NamedTuple

import numpy as np
from sklearn.utils._param_validation import StrOptions, validate_params

from ._checks import StrictInterval
from .functions import KernelData, hessian_kn, objective_gradient_kn

# The full-batch solvers: the choices the app offers.
SOLVERS = ("gd", "nesterov", "newton")
# Those that step on a sample of the data.
STOCHASTIC_SOLVERS = ("sgd",)
ALL_SOLVERS = SOLVERS + STOCHASTIC_SOLVERS
LEARNING_RATE_SCHEDULES = ("constant", "inverse", "step")
ARMIJO_FRACTION = 1e-4  # c: the share of the predicted decrease a Newton step must achieve
MAX_HALVINGS = 50
# Eigenvalues below this fraction of the largest count as zero in the Newton system.
PINV_RCOND = 1e-12

Evaluation = Callable[[np.ndarray], tuple[float, np.ndarray]]


class Step(NamedTuple):
    """What one iteration did (or, when ``ok`` is False, tried to do).

    Attributes
    ----------
    theta, loss, grad
        The new parameters, the objective and the gradient there.
    point, point_grad
        Where the step's gradient was taken (the look-ahead point for Nesterov, the start
        otherwise) and that gradient.
    direction
        The step taken is ``point - step_size * direction``: the gradient for ``gd`` and
        ``nesterov``, the Newton direction ``H^+ grad J`` for ``newton``.
    step_size
        The learning rate, or the Newton line search's ``s``.
    beta
        Nesterov's momentum coefficient of this step (0 for the others).
    momentum
        FISTA's ``m_{t+1}`` after the step (1 after a restart, and for the others).
    restarted
        Whether Nesterov's momentum restarted at this step.
    ok
        False when an objective on the way was not finite: the step is not taken.
    batch
        For ``sgd``, the indices of the mini-batch the gradient was taken on (None when it
        is all the data, in their order, and for the full-batch solvers).
    batch_loss
        For ``sgd``, the objective of the mini-batch at ``point`` (None for the full-batch
        solvers, whose gradient is that of the full objective, known before the step).
    """

    theta: np.ndarray
    loss: float
    grad: np.ndarray
    point: np.ndarray
    point_grad: np.ndarray
    direction: np.ndarray
    step_size: float
    beta: float = 0.0
    momentum: float = 1.0
    restarted: bool = False
    ok: bool = True
    batch: np.ndarray | None = None
    batch_loss: float | None = None


def evaluator(
    data: KernelData, alpha: float, *, seed_order: bool, fit_intercept: bool
) -> Evaluation:
    """``theta -> (J(theta), grad J(theta))`` on ``data``; the intercept's gradient is zero
    when it is not fitted, so that it never moves."""

    def evaluate(theta: np.ndarray) -> tuple[float, np.ndarray]:
        loss, grad = objective_gradient_kn(theta, data, alpha, seed_order=seed_order)
        if not fit_intercept:
            grad[:, -1] = 0.0
        return loss, grad

    return evaluate


def gradient_step(
    evaluate: Evaluation, theta: np.ndarray, grad: np.ndarray, learning_rate: float
) -> Step:
    """Plain gradient descent: one step against the gradient at ``theta``."""
    new_theta = theta - learning_rate * grad
    loss, new_grad = evaluate(new_theta)
    return Step(new_theta, loss, new_grad, theta, grad, grad, learning_rate)


def nesterov_momentum(momentum: float) -> tuple[float, float]:
    """FISTA's schedule: ``(m_{t+1}, beta_t)`` from ``m_t``."""
    momentum_next = (1.0 + math.sqrt(1.0 + 4.0 * momentum * momentum)) / 2.0
    return momentum_next, (momentum - 1.0) / momentum_next


def nesterov_step(
    evaluate: Evaluation,
    theta: np.ndarray,
    prev_theta: np.ndarray,
    momentum: float,
    learning_rate: float,
) -> Step:
    """Nesterov's accelerated gradient with restart, from ``theta`` and its predecessor."""
    momentum_next, beta = nesterov_momentum(momentum)
    point = theta + beta * (theta - prev_theta)
    point_loss, point_grad = evaluate(point)
    if not math.isfinite(point_loss):
        return Step(theta, point_loss, point_grad, point, point_grad, point_grad, 0.0, ok=False)
    new_theta = point - learning_rate * point_grad
    restarted = bool(np.vdot(point_grad, new_theta - theta) > 0.0)
    loss, grad = evaluate(new_theta)
    return Step(
        new_theta,
        loss,
        grad,
        point,
        point_grad,
        point_grad,
        learning_rate,
        beta=beta,
        momentum=1.0 if restarted else momentum_next,
        restarted=restarted,
    )


def newton_direction(hess: np.ndarray, grad: np.ndarray, fit_intercept: bool) -> np.ndarray:
    """``d = H^+ grad`` over the fitted coordinates (the minimum-norm Newton direction)."""
    n_classes, width = grad.shape
    fitted = np.ones((n_classes, width), dtype=bool)
    if not fit_intercept:
        fitted[:, -1] = False
    index = np.flatnonzero(fitted)
    values, vectors = np.linalg.eigh(hess[np.ix_(index, index)])
    keep = values > PINV_RCOND * max(float(values[-1]), 0.0)
    coordinates = vectors[:, keep].T @ grad.ravel()[index]
    direction = np.zeros(n_classes * width)
    direction[index] = vectors[:, keep] @ (coordinates / values[keep])
    return direction.reshape(n_classes, width)


def newton_step(
    evaluate: Evaluation,
    theta: np.ndarray,
    loss: float,
    grad: np.ndarray,
    data: KernelData,
    alpha: float,
    fit_intercept: bool,
) -> Step:
    """A Newton step with backtracking: the exact Hessian at ``theta``, then Armijo.

    When no step length gives the decrease (at the optimum, where changes of ``J`` are
    rounding), the parameters stay: a step of length 0.
    """
    hess = hessian_kn(theta, data, alpha)
    if not (math.isfinite(loss) and np.all(np.isfinite(hess)) and np.all(np.isfinite(grad))):
        # Scores that overflow leave no curvature to divide by: the step is refused.
        unusable = loss if not math.isfinite(loss) else math.nan
        return Step(
            theta.copy(), unusable, grad.copy(), theta, grad, np.zeros_like(grad), 0.0, ok=False
        )
    direction = newton_direction(hess, grad, fit_intercept)
    slope = float(np.vdot(grad, direction))  # >= 0: H^+ is positive semi-definite
    # Changes of J below a few ulps are rounding, not ascent.
    rounding = 8 * np.finfo(float).eps * abs(loss)
    step_size = 1.0
    for _ in range(MAX_HALVINGS):
        trial = theta - step_size * direction
        trial_loss, trial_grad = evaluate(trial)
        if (
            math.isfinite(trial_loss)
            and trial_loss <= loss - ARMIJO_FRACTION * step_size * slope + rounding
        ):
            return Step(trial, trial_loss, trial_grad, theta, grad, direction, step_size)
        step_size /= 2.0
    return Step(theta.copy(), loss, grad.copy(), theta, grad, direction, 0.0)


# ----------------------------------------------------------------------------- SGD


def batches_per_epoch(n_samples: int, batch_size: int) -> int:
    """``ceil(n_samples / batch_size)``: the iterations of one epoch (1 for a full batch)."""
    return -(-n_samples // batch_size)


def epoch_order(seed: int | None, epoch: int, n_samples: int) -> np.ndarray | None:
    """The order in which epoch ``epoch`` visits the samples.

    ``np.random.default_rng([seed, epoch]).permutation(n_samples)``, a function of its
    arguments only; None (the samples in their order) when ``seed`` is None: no shuffling.
    """
    if seed is None:
        return None
    return np.random.default_rng([seed, epoch]).permutation(n_samples)


def minibatch(
    iteration: int,
    n_samples: int,
    batch_size: int,
    seed: int | None,
    order: np.ndarray | None = None,
) -> np.ndarray | None:
    """The sample indices of the mini-batch of ``iteration`` (counted from 0).

    Epoch ``e = iteration // b`` with ``b = ceil(n / batch_size)`` batches visits the samples
    in :func:`epoch_order` ``(seed, e, n)``; batch ``j = iteration % b`` of it is that order's
    ``[j * batch_size, (j + 1) * batch_size)``, and the last batch of an epoch is smaller when
    ``batch_size`` does not divide ``n``. A batch of all the samples (``batch_size >= n``) is
    None: the data in their own order, as full-batch gradient descent sums them.

    Parameters
    ----------
    iteration, n_samples, batch_size : int
    seed : int or None
        None: no shuffling, every epoch visits the samples in their order.
    order : ndarray, optional
        :func:`epoch_order` of this iteration's epoch, if the caller keeps it (it must be
        that order; it is not checked).

    Returns
    -------
    ndarray of int or None
    """
    per_epoch = batches_per_epoch(n_samples, batch_size)
    if per_epoch == 1:
        return None
    epoch, j = divmod(iteration, per_epoch)
    window = slice(j * batch_size, min((j + 1) * batch_size, n_samples))
    if seed is None:
        return np.arange(window.start, window.stop)
    if order is None:
        order = epoch_order(seed, epoch, n_samples)
    return order[window]


def scheduled_learning_rate(
    schedule: str, learning_rate: float, iteration: int, per_epoch: int, decay_epochs: float
) -> float:
    """The learning rate of ``iteration`` under a schedule; ``e = iteration / per_epoch`` is
    the number of epochs done (a fraction within an epoch).

    - ``"constant"``: ``lr``.
    - ``"inverse"``: ``lr / (1 + e / decay_epochs)``, the ``1 / t`` decay of Robbins and Monro
      (the rates sum to infinity, their squares do not): halved after ``decay_epochs``.
    - ``"step"``: ``lr / 2 ** floor(e / decay_epochs)``: halved every ``decay_epochs`` epochs.
    """
    if schedule == "constant":
        return learning_rate
    epochs = iteration / per_epoch
    if schedule == "inverse":
        return learning_rate / (1.0 + epochs / decay_epochs)
    if schedule == "step":
        return learning_rate * 0.5 ** math.floor(epochs / decay_epochs)
    raise ValueError(f"learning_rate_schedule must be one of {LEARNING_RATE_SCHEDULES}")


def sgd_step(
    evaluate: Evaluation,
    theta: np.ndarray,
    loss: float,
    grad: np.ndarray,
    learning_rate: float,
    batch: np.ndarray | None,
    batch_evaluate: Evaluation | None,
) -> Step:
    """A mini-batch step: against the gradient of the batch's objective at ``theta``.

    ``batch_evaluate`` evaluates the objective of ``batch``; with ``batch=None`` (all the
    data) the step uses ``loss`` and ``grad``, the full objective's at ``theta``, and is
    :func:`gradient_step` exactly. The new parameters are evaluated on all the data.
    """
    if batch is None:
        batch_loss, batch_grad = loss, grad
    else:
        batch_loss, batch_grad = batch_evaluate(theta)
        if not math.isfinite(batch_loss):
            return Step(
                theta,
                batch_loss,
                batch_grad,
                theta,
                batch_grad,
                batch_grad,
                0.0,
                ok=False,
                batch=batch,
                batch_loss=batch_loss,
            )
    new_theta = theta - learning_rate * batch_grad
    new_loss, new_grad = evaluate(new_theta)
    return Step(
        new_theta,
        new_loss,
        new_grad,
        theta,
        batch_grad,
        batch_grad,
        learning_rate,
        batch=batch,
        batch_loss=batch_loss,
    )


# ----------------------------------------------------------------------- cost model

# The cost of one iteration in flop-equivalents: the floating-point operations counted from
# the code (a multiply-add is 2 flops), plus, as the number of those flops that take as
# long, the work that is not matrix products (exp and the other elementwise passes over
# the scores) and the fixed costs (the NumPy calls of an evaluation; the model's own
# bookkeeping of an iteration was too small to fit and is left out). The constants are
# fitted to measured times per iteration by ``python benchmarks/bench_cost.py --fit`` (its
# docstring says how; benchmarks/README.md has the numbers).
COST_CONSTANTS = {
    "SOFTMAX_FLOPS": 70.0,  # per score entry: max, shift, exp, normalise, log, P - Y
    "EVALUATION_OVERHEAD_FLOPS": 3.0e5,  # the NumPy calls of one evaluation
    "NEWTON_OVERHEAD_FLOPS": 1.5e6,  # the Hessian's and eigensolver's calls, index sets
    "EIGH_FLOPS": 80.0,  # times m^3: the eigendecomposition of the m x m Hessian
    "BATCH_OVERHEAD_FLOPS": 1.7e5,  # laying out one mini-batch
    # per value of a mini-batch's layout, b (d + 1 + k): the copies, and the share of the
    # epoch's permutation (n values drawn once per ceil(n / b) iterations)
    "BATCH_VALUE_FLOPS": 160.0,
}
# What one flop-equivalent took on the calibration machine (2 shared cores, BLAS on one
# thread), quiet (load average 0.9): the time of an iteration is about
# iteration_cost(...) * SECONDS_PER_FLOP there. With other work running (load 5 to 7) it
# was 0.9e-10 to 1.3e-10.
SECONDS_PER_FLOP = 7e-11
# Newton's line search usually takes the full step: one evaluation. Each halving costs one
# more (not modelled), a step refused at the optimum MAX_HALVINGS.
NEWTON_EVALUATIONS = 1
DEFAULT_BATCH_SIZE = 32


def cost_terms(
    solver: str, n_samples: int, n_features: int, n_classes: int, batch_size: int
) -> dict[str, float]:
    """The parts of :func:`iteration_cost`: ``"flops"``, the flops counted from the code,
    and for each constant of ``COST_CONSTANTS`` the count it multiplies.

    With ``m = k (d + 1)``: an evaluation is two products of ``n k (d + 1)`` multiply-adds
    and ``n k`` score entries; Newton's Hessian is its own ``n k`` scores, ``n m`` products
    for ``A = [p_a x~_i]``, ``2 n m^2`` flops for ``A A^T`` and ``2 n k (d + 1)^2`` for the
    diagonal blocks, then an eigendecomposition of ``m^3``.
    """
    n, d, k = n_samples, n_features, n_classes
    terms = dict.fromkeys(COST_CONSTANTS, 0.0)
    terms["flops"] = 0.0

    def evaluation(size: float, times: float = 1.0) -> None:
        terms["flops"] += times * 4.0 * size * k * (d + 1)
        terms["SOFTMAX_FLOPS"] += times * size * k
        terms["EVALUATION_OVERHEAD_FLOPS"] += times

    if solver == "gd" or (solver == "sgd" and batch_size >= n):
        evaluation(n)
    elif solver == "nesterov":
        evaluation(n, 2.0)  # at the look-ahead point and at the landing point
    elif solver == "newton":
        m = k * (d + 1)
        evaluation(n, NEWTON_EVALUATIONS)  # the line search
        terms["flops"] += 2.0 * n * k * (d + 1) + n * m + 2.0 * n * m * m
        terms["flops"] += 2.0 * n * k * (d + 1) ** 2
        terms["SOFTMAX_FLOPS"] += n * k
        terms["NEWTON_OVERHEAD_FLOPS"] = 1.0
        terms["EIGH_FLOPS"] = float(m) ** 3
    else:  # sgd on mini-batches
        evaluation(batch_size)  # the step's gradient
        evaluation(n)  # the full objective the model reports
        terms["BATCH_OVERHEAD_FLOPS"] = 1.0
        terms["BATCH_VALUE_FLOPS"] = float(batch_size * (d + 1 + k))
    return terms


@validate_params(
    {
        "solver": [StrOptions(set(ALL_SOLVERS))],
        "n_samples": [StrictInterval(Integral, 1, None, closed="left")],
        "n_features": [StrictInterval(Integral, 1, None, closed="left")],
        "n_classes": [StrictInterval(Integral, 2, None, closed="left")],
        "batch_size": [StrictInterval(Integral, 1, None, closed="left"), None],
    },
    prefer_skip_nested_validation=True,
)
def iteration_cost(
    solver: str,
    n_samples: int,
    n_features: int,
    n_classes: int,
    batch_size: int | None = None,
) -> float:
    """Estimated work of one iteration of ``solver``, in flop-equivalents.

    Counted from the operations the iteration performs (:func:`cost_terms`), with ``n``
    samples, ``d`` features, ``k`` classes and ``m = k (d + 1)`` parameters:

    - ``gd``: one evaluation of J and its gradient, about ``n k (4 (d + 1) + 70)``;
    - ``nesterov``: two evaluations (at the look-ahead point and at the landing point);
    - ``newton``: the Hessian (``2 n m^2`` and less), its eigendecomposition (``m^3``)
      and the line search's evaluation;
    - ``sgd``: an evaluation on a mini-batch of ``batch_size`` samples and its layout, plus
      the evaluation on all the data that the model reports; with a full batch, ``gd``.

    plus the fixed costs of each evaluation and mini-batch. The constants (``COST_CONSTANTS``)
    are calibrated so that the time of an iteration is about proportional to the estimate
    (``benchmarks/bench_cost.py`` prints both): one flop-equivalent took about
    ``SECONDS_PER_FLOP`` seconds on the calibration machine, with the BLAS on one thread.
    Not modelled: halvings of Newton's line search beyond the first trial (one more
    evaluation each), and the BLAS's threads (on a busy machine an eigendecomposition on
    two threads was measured 300 times slower than on one).

    Parameters
    ----------
    solver : {"gd", "nesterov", "newton", "sgd"}
    n_samples, n_features, n_classes : int
    batch_size : int or None, default=None
        ``sgd``'s batch size; None is ``SoftmaxRegression``'s default, 32. Ignored by the
        other solvers.

    Returns
    -------
    float
    """
    batch_size = DEFAULT_BATCH_SIZE if batch_size is None else batch_size
    terms = cost_terms(solver, n_samples, n_features, n_classes, batch_size)
    return terms["flops"] + sum(value * terms[name] for name, value in COST_CONSTANTS.items())
