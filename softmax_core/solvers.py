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
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .functions import KernelData, hessian_kn, objective_gradient_kn

SOLVERS = ("gd", "nesterov", "newton")
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
