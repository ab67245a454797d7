"""``SoftmaxRegression``: multinomial logistic regression by gradient descent.

A scikit-learn classifier whose training can be watched: ``partial_fit`` performs exactly
one full-batch iteration, and every iteration records the objective, the gradient and
whether the run has converged or diverged. Parameters are ``coef_`` of shape
``(n_classes, n_features)`` and ``intercept_`` of shape ``(n_classes,)``, one row per class
(the symmetric parametrisation); they start at zero, where the loss is ``log(n_classes)``.

One iteration, as in the seed note: compute the objective and gradient at the current
parameters; stop if the objective changed by less than ``tol`` since the last iteration;
otherwise step ``theta <- theta - learning_rate * gradient``. ``loss_curve_[i]`` is the
objective before the ``i``-th step, so ``len(loss_curve_) == n_iter_`` always.
"""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._checks import check_int, check_real
from .diagnostics import lipschitz_constant
from .functions import (
    KernelData,
    kernel_data,
    l2_strength,
    objective_gradient,
    objective_gradient_kn,
    softmax,
)

SOLVERS = ("gd", "nesterov")
# The objective starts at log(k) <= log(10); a run whose objective grows a thousandfold
# beyond that is stepping far past the minimum, not oscillating around it.
EXPLOSION_FACTOR = 1e3


class DivergenceWarning(ConvergenceWarning):
    """Training stopped because the objective became non-finite or exploded."""


class TrainingSnapshot(NamedTuple):
    """Everything that changes during training except the loss history (see ``restore``)."""

    coef: np.ndarray
    intercept: np.ndarray
    n_iter: int
    converged: bool
    diverged: bool
    grad_coef: np.ndarray
    grad_intercept: np.ndarray
    prev_coef: np.ndarray
    prev_intercept: np.ndarray
    momentum: float


class SoftmaxRegression(ClassifierMixin, BaseEstimator):
    """Softmax (multinomial logistic) regression trained by full-batch gradient descent.

    Minimises scikit-learn's multinomial ``LogisticRegression`` objective,
    ``mean cross-entropy + ||W||^2 / (2 C n)`` (intercept not penalised), so that a
    converged model and scikit-learn's agree. For two classes scikit-learn fits a single
    vector ``v`` with ``p(1) = sigmoid(v x + c)``; this model keeps two rows ``w_0, w_1``
    whose difference is ``v``, and the penalty on two rows of half the size is half that on
    ``v``: ``SoftmaxRegression(C=C)`` matches ``LogisticRegression(C=2 * C)``.

    Parameters
    ----------
    learning_rate : float or "auto", default="auto"
        Step size; ``"auto"`` is ``1 / L`` with ``L`` the curvature bound of
        :func:`softmax_core.lipschitz_constant`, which never overshoots.
    max_iter : int, default=1000
        Maximum number of iterations of one ``fit`` call.
    tol : float, default=1e-6
        Stop when the objective changes by less than ``tol`` between iterations.
    C : float, default=inf
        Inverse L2 strength, scikit-learn's meaning; ``inf`` is no penalty (the seed).
    solver : {"gd", "nesterov"}, default="gd"
        Plain gradient descent (the seed's), or Nesterov's accelerated gradient (FISTA's
        momentum schedule) with gradient-based restart. For Nesterov, the objective and
        gradient of an iteration are taken at the look-ahead point.
    fit_intercept : bool, default=True
        Whether to learn ``intercept_``.
    warm_start : bool, default=False
        If True, ``fit`` continues from the current parameters and history.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    coef_ : ndarray of shape (n_classes, n_features)
    intercept_ : ndarray of shape (n_classes,)
    n_iter_ : int
        Number of steps taken so far.
    loss_curve_ : list of float
        Objective before each step; ``len(loss_curve_) == n_iter_``.
    grad_coef_, grad_intercept_ : ndarray
        Gradient of the last iteration (zeros before the first).
    learning_rate_ : float
        The step size in use (``learning_rate`` with ``"auto"`` resolved) at the last call.
    learning_rate_limit_ : float
        ``2 / L`` for the training data: plain gradient descent with a larger step
        overshoots and may oscillate or diverge.
    converged_ : bool
        Whether the last objective change was below ``tol``.
    diverged_ : bool
        Whether training stopped on a non-finite or exploding objective. The parameters
        are then the last finite ones, and further iterations do nothing until a new fit.
    """

    def __init__(
        self,
        *,
        learning_rate: float | str = "auto",
        max_iter: int = 1000,
        tol: float = 1e-6,
        C: float = np.inf,
        solver: str = "gd",
        fit_intercept: bool = True,
        warm_start: bool = False,
    ) -> None:
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.C = C
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.warm_start = warm_start

    def _check_params(self) -> None:
        if not (isinstance(self.learning_rate, str) and self.learning_rate == "auto"):
            check_real("learning_rate", self.learning_rate, 0.0, low_open=True)
        check_int("max_iter", self.max_iter, 1)
        check_real("tol", self.tol, 0.0)
        check_real("C", self.C, 0.0, low_open=True, allow_inf=True)
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {self.solver!r}")
        if not isinstance(self.fit_intercept, (bool, np.bool_)):
            raise ValueError(f"fit_intercept must be a bool, got {self.fit_intercept!r}")

    def _initialise(self, classes: np.ndarray) -> None:
        self.classes_ = classes
        shape = (classes.size, self.n_features_in_)
        self.coef_ = np.zeros(shape)
        self.intercept_ = np.zeros(classes.size)
        self.grad_coef_ = np.zeros(shape)
        self.grad_intercept_ = np.zeros(classes.size)
        self._prev_coef = self.coef_.copy()
        self._prev_intercept = self.intercept_.copy()
        self._momentum = 1.0
        self.n_iter_ = 0
        self.loss_curve_: list[float] = []
        self.converged_ = False
        self.diverged_ = False

    def _prepare(self, X, y, *, reset: bool, classes=None) -> tuple[KernelData, float, float, bool]:
        """Validate the data; return it in the layouts of the training loop, with the step size."""
        self._check_params()
        try:
            X, y = validate_data(self, X, y, reset=reset, dtype=np.float64)
            check_classification_targets(y)
            known = self.classes_ if not reset else np.unique(y if classes is None else classes)
            if known.size < 2:
                raise ValueError(
                    f"SoftmaxRegression needs at least 2 classes, got {known.size} class: "
                    f"{known.tolist()}"
                )
            y_encoded = np.minimum(np.searchsorted(known, y), known.size - 1)
            if not np.array_equal(known[y_encoded], y):
                unknown = np.setdiff1d(y, known)
                raise ValueError(f"y has labels not in classes_ {known.tolist()}: {unknown}")
        except ValueError:
            if reset and not hasattr(self, "coef_") and hasattr(self, "n_features_in_"):
                del self.n_features_in_  # a failed first call leaves the model unfitted
            raise
        if reset:
            self._initialise(known)
        lipschitz = lipschitz_constant(X, self.C, self.fit_intercept)
        self.learning_rate_limit_ = 2.0 / lipschitz
        learning_rate = (
            1.0 / lipschitz if isinstance(self.learning_rate, str) else float(self.learning_rate)
        )
        self.learning_rate_ = learning_rate
        # Above the limit the run is chaotic: sum as the seed does to reproduce it exactly.
        seed_order = learning_rate > self.learning_rate_limit_
        data = kernel_data(X, y_encoded, self.classes_.size)
        return data, l2_strength(self.C, X.shape[0]), learning_rate, seed_order

    def _explodes(self, loss: float) -> bool:
        """Whether ``loss`` is non-finite or far above the run's first objective."""
        start = self.loss_curve_[0] if self.loss_curve_ else loss
        return not (math.isfinite(loss) and loss <= EXPLOSION_FACTOR * max(start, 1.0))

    def _diverged(self, loss: float, learning_rate: float) -> bool:
        """Stop the run if the objective is non-finite or has exploded; say so."""
        if not self._explodes(loss):
            return False
        self.diverged_ = True
        start = self.loss_curve_[0] if self.loss_curve_ else loss
        if not math.isfinite(loss) and self.n_iter_:
            # Scores overflow at these parameters: go back to the last finite objective.
            self.coef_, self.intercept_ = self._prev_coef.copy(), self._prev_intercept.copy()
            self.loss_curve_.pop()
            self.n_iter_ -= 1
        warnings.warn(
            f"training diverged at iteration {self.n_iter_}: the objective reached "
            f"{loss:.4g} (it started at {start:.4g}); learning_rate={learning_rate:.4g} "
            "is too large. The run stops at the last parameters with a finite objective.",
            DivergenceWarning,
            stacklevel=4,
        )
        return True

    def _train(
        self,
        data: KernelData,
        alpha: float,
        learning_rate: float,
        seed_order: bool,
        n_steps: int,
        *,
        stop_at_tol: bool,
    ) -> bool:
        """Run up to ``n_steps`` iterations; return whether all of them ran.

        The loop works on local stacked copies ``theta = [W | b]`` (see
        :mod:`softmax_core.functions`), read from the public attributes at the start and
        written back to them, as new arrays, at the end.
        """
        if n_steps and self.diverged_:
            warnings.warn(
                "training diverged earlier; start a new fit", DivergenceWarning, stacklevel=3
            )
            return False
        theta = np.column_stack([self.coef_, self.intercept_])
        prev_theta = np.column_stack([self._prev_coef, self._prev_intercept])
        grad = None
        momentum = self._momentum
        nesterov = self.solver == "nesterov"
        curve = self.loss_curve_
        try:
            # Overflow and inf - inf are expected near divergence, which is handled below.
            with np.errstate(over="ignore", invalid="ignore"):
                for _ in range(n_steps):
                    if nesterov:
                        momentum_next = (1.0 + math.sqrt(1.0 + 4.0 * momentum * momentum)) / 2.0
                        point = theta - prev_theta  # look-ahead: theta + beta (theta - prev)
                        point *= (momentum - 1.0) / momentum_next
                        point += theta
                    else:
                        point = theta
                    loss, point_grad = objective_gradient_kn(
                        point, data, alpha, seed_order=seed_order
                    )
                    if self._explodes(loss):
                        break
                    self.converged_ = bool(curve) and abs(curve[-1] - loss) < self.tol
                    if self.converged_ and stop_at_tol:
                        return False
                    if not self.fit_intercept:
                        point_grad[:, -1] = 0.0
                    new_theta = point - learning_rate * point_grad
                    if nesterov:
                        # Restart the momentum when the step points uphill
                        # (O'Donoghue & Candes, 2015).
                        uphill = np.vdot(point_grad, new_theta - theta) > 0.0
                        momentum = 1.0 if uphill else momentum_next
                    prev_theta, theta, grad = theta, new_theta, point_grad
                    curve.append(loss)
                    self.n_iter_ += 1
                else:
                    return True  # every step ran
        finally:
            self._store(theta, prev_theta, grad, momentum)
        self._diverged(loss, learning_rate)  # the loop broke on an exploding objective
        return False

    def _store(
        self, theta: np.ndarray, prev_theta: np.ndarray, grad: np.ndarray | None, momentum: float
    ) -> None:
        """Write the training loop's state back to the attributes, as independent arrays."""
        self.coef_, self.intercept_ = theta[:, :-1].copy(), theta[:, -1].copy()
        self._prev_coef, self._prev_intercept = prev_theta[:, :-1].copy(), prev_theta[:, -1].copy()
        if grad is not None:
            self.grad_coef_, self.grad_intercept_ = grad[:, :-1].copy(), grad[:, -1].copy()
        self._momentum = momentum

    def fit(self, X, y) -> SoftmaxRegression:
        """Train for up to ``max_iter`` iterations, from zero unless ``warm_start``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Any labels: ints, strings, non-contiguous values.

        Returns
        -------
        self
        """
        warm = self.warm_start and hasattr(self, "coef_")
        if warm:
            self.diverged_ = False
        step_args = self._prepare(X, y, reset=not warm)
        if self._train(*step_args, self.max_iter, stop_at_tol=True):
            warnings.warn(
                f"SoftmaxRegression did not converge in max_iter={self.max_iter} iterations "
                f"(tol={self.tol}); increase max_iter, or choose a stable learning rate.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def partial_fit(self, X, y, classes=None) -> SoftmaxRegression:
        """Perform exactly one full-batch gradient-descent iteration.

        The first call starts from zero parameters; ``classes`` (all labels that will ever
        occur) defaults to the labels in ``y``. Later calls continue from the current
        parameters, whatever ``tol`` says, unless training has diverged.

        Returns
        -------
        self
        """
        return self.advance(X, y, n_steps=1, classes=classes)

    def advance(self, X, y, n_steps: int = 1, classes=None) -> SoftmaxRegression:
        """Perform ``n_steps`` iterations, as ``n_steps`` calls of :meth:`partial_fit` do.

        The data are validated once. ``n_steps=0`` only sets up a model at iteration 0
        (zero parameters), ready to be stepped or inspected. Stops early on divergence, and
        after the last step checks the objective at the new parameters, so that a step that
        made it explode is reported at once rather than by the next call.

        Returns
        -------
        self
        """
        n_steps = check_int("n_steps", n_steps, 0)
        first = not hasattr(self, "coef_")
        step_args = self._prepare(X, y, reset=first, classes=classes)
        if (
            not first
            and classes is not None
            and not np.array_equal(np.unique(classes), self.classes_)
        ):
            raise ValueError(f"classes={classes!r} differs from classes_ {self.classes_!r}")
        if self._train(*step_args, n_steps, stop_at_tol=False) and n_steps:
            data, alpha, learning_rate, _ = step_args
            theta = np.column_stack([self.coef_, self.intercept_])
            with np.errstate(over="ignore", invalid="ignore"):
                loss = objective_gradient_kn(theta, data, alpha)[0]
            self._diverged(loss, learning_rate)
        return self

    def class_scores(self, X) -> np.ndarray:
        """Class scores (logits) ``z = X W^T + b``, shape (n_samples, n_classes).

        Not named ``decision_function``: for two classes scikit-learn expects a single
        column there, while these are the scores of the symmetric model, one per class.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.coef_.T + self.intercept_

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``."""
        return softmax(self.class_scores(X), axis=1)

    def predict(self, X) -> np.ndarray:
        """Most probable class for each sample."""
        scores = self.class_scores(X)
        return self.classes_[np.argmax(scores, axis=1)]

    def objective(self, X, y) -> float:
        """The training objective ``J`` at the current parameters on ``(X, y)``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        y_encoded = np.searchsorted(self.classes_, np.asarray(y))
        if y_encoded.shape != (X.shape[0],) or not np.array_equal(
            self.classes_[np.minimum(y_encoded, self.classes_.size - 1)], y
        ):
            raise ValueError("y must be a 1-D array of labels from classes_, one per row of X")
        return objective_gradient(self.coef_, self.intercept_, X, y_encoded, self.C)[0]

    def snapshot(self) -> TrainingSnapshot:
        """Copy of the training state, to go back to with :meth:`restore`."""
        check_is_fitted(self)
        return TrainingSnapshot(
            self.coef_.copy(),
            self.intercept_.copy(),
            self.n_iter_,
            self.converged_,
            self.diverged_,
            self.grad_coef_.copy(),
            self.grad_intercept_.copy(),
            self._prev_coef.copy(),
            self._prev_intercept.copy(),
            self._momentum,
        )

    def restore(self, snapshot: TrainingSnapshot) -> SoftmaxRegression:
        """Go back to a snapshot of this run; the loss history is cut to its length."""
        check_is_fitted(self)
        if snapshot.coef.shape != self.coef_.shape or snapshot.n_iter > self.n_iter_:
            raise ValueError("the snapshot does not come from this run")
        self.coef_ = snapshot.coef.copy()
        self.intercept_ = snapshot.intercept.copy()
        self.n_iter_ = snapshot.n_iter
        self.converged_ = snapshot.converged
        self.diverged_ = snapshot.diverged
        self.grad_coef_ = snapshot.grad_coef.copy()
        self.grad_intercept_ = snapshot.grad_intercept.copy()
        self._prev_coef = snapshot.prev_coef.copy()
        self._prev_intercept = snapshot.prev_intercept.copy()
        self._momentum = snapshot.momentum
        del self.loss_curve_[snapshot.n_iter :]
        return self
