"""``SoftmaxRegression``: multinomial logistic regression whose training can be watched.

A scikit-learn classifier. Parameters are ``coef_`` of shape ``(n_classes, n_features)`` and
``intercept_`` of shape ``(n_classes,)``, one row per class (the symmetric parametrisation);
they start at zero, where the objective is ``log(n_classes)``.

Each iteration steps from ``theta_t`` to ``theta_{t+1}`` (see :mod:`softmax_core.solvers`)
and evaluates the objective and its gradient there, so after any call the model knows, at
its current parameters, the objective ``loss_`` and the gradient ``grad_coef_``,
``grad_intercept_``. ``loss_curve_[t]`` is the objective at ``theta_t`` for every step taken,
so ``len(loss_curve_) == n_iter_`` and the whole history is ``[*loss_curve_, loss_]``.
Training has converged when the last step changed the objective by less than ``tol``, the
seed note's rule: ``fit`` stops there, ``partial_fit`` steps on and reports it. For ``sgd``
the change of one mini-batch step is noise, not progress: there the rule compares the
objective at the ends of the last two epochs (see :class:`SoftmaxRegression`).
"""

from __future__ import annotations

import math
import os
import secrets
import sys
import uuid
import warnings
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._checks import StrictInterval, check_int
from .functions import l2_strength, log_softmax, objective_gradient, softmax, subset_kernel
from .solvers import (
    ALL_SOLVERS,
    DEFAULT_BATCH_SIZE,
    LEARNING_RATE_SCHEDULES,
    Step,
    batches_per_epoch,
    epoch_order,
    evaluator,
    gradient_step,
    minibatch,
    nesterov_step,
    newton_step,
    scheduled_learning_rate,
    sgd_step,
)
from .training_data import TrainingData, class_weighted, encode_labels

# The objective starts at log(k) <= log(10); a run whose objective grows a thousandfold
# beyond where it started is stepping far past the minimum, not oscillating around it.
EXPLOSION_FACTOR = 1e3
# Where warnings are not attributed (see _caller_stacklevel).
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_FIT_CONTEXT_FILE = _fit_context.__code__.co_filename
# What scikit-learn's validate_data sets on the estimator.
_VALIDATED = ("n_features_in_", "feature_names_in_")
# The path of iterates is kept whole for its first PATH_HEAD points; after that, each time
# the rest grows past PATH_TAIL points, every third of it is kept and the stride triples.
# An odd stride keeps both sides of a two-step zigzag; memory stays bounded.
PATH_HEAD = 1_000
PATH_TAIL = 1_000


class DivergenceWarning(ConvergenceWarning):
    """Training stopped because the objective became non-finite or exploded."""


class TrainingSnapshot(NamedTuple):
    """Everything that changes during training except the loss history (see ``restore``)."""

    run_token: str
    n_iter: int
    coef: np.ndarray
    intercept: np.ndarray
    loss: float
    grad_coef: np.ndarray
    grad_intercept: np.ndarray
    prev_coef: np.ndarray
    prev_intercept: np.ndarray
    momentum: float
    n_restarts: int
    step_size: float
    converged: bool
    diverged: bool
    reference_loss: float
    comparable: bool = True  # whether the last loss change is within one objective
    seed_order: bool | None = None  # the summation order loss and gradient were taken in
    compare_from: int = 0  # sgd: the first iteration of the objective in force


def _caller_stacklevel() -> int:
    """The ``stacklevel`` at which a warning raised by the function calling this names the
    first caller outside this package and scikit-learn's ``_fit_context`` wrapper: the line
    of the user's code, however deep the call."""
    frame, level = sys._getframe(1), 1
    while frame is not None and (
        frame.f_code.co_filename.startswith(_PACKAGE_DIR)
        or frame.f_code.co_filename == _FIT_CONTEXT_FILE
    ):
        frame, level = frame.f_back, level + 1
    return level


def _stack(coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    return np.column_stack([coef, intercept])


class SoftmaxRegression(ClassifierMixin, BaseEstimator):
    """Softmax (multinomial logistic) regression trained by full-batch or mini-batch steps.

    Minimises scikit-learn's multinomial ``LogisticRegression`` objective,
    ``sum_i s_i CE_i / S + ||W||^2 / (2 C S)`` with sample weights ``s_i`` (times class
    weights) summing to ``S`` (without weights: the mean cross-entropy and ``S = n``), the
    intercept not penalised, so that a converged model and scikit-learn's agree, with the
    same ``sample_weight`` and ``class_weight``. For two classes scikit-learn fits a single
    vector ``v`` with ``p(1) = sigmoid(v x + c)``; this model keeps two rows ``w_0, w_1``
    whose difference is ``v``, and the penalty on two rows of half the size is half that on
    ``v``: ``SoftmaxRegression(C=C)`` matches ``LogisticRegression(C=2 * C)``.

    Parameters
    ----------
    learning_rate : float or "auto", default="auto"
        Step size of ``gd``, ``nesterov`` and ``sgd``; ``"auto"`` is ``1 / L`` with ``L``
        the curvature bound of :func:`softmax_core.lipschitz_constant` (of the full,
        weighted objective). ``newton`` chooses its own step length by line search and
        ignores it.
    max_iter : int, default=1000
        Maximum number of iterations of one ``fit`` call (for ``sgd``, of mini-batch steps).
    tol : float, default=1e-6
        Converged when an iteration changes the objective by less than ``tol`` (for
        ``sgd``: an epoch, see ``converged_``).
    C : float, default=inf
        Inverse L2 strength, scikit-learn's meaning; ``inf`` is no penalty (the seed).
    solver : {"gd", "nesterov", "newton", "sgd"}, default="gd"
        Plain gradient descent (the seed's), Nesterov's accelerated gradient with restart,
        Newton's method with a backtracking line search, or mini-batch stochastic gradient
        descent (see :mod:`softmax_core.solvers`).
    fit_intercept : bool, default=True
        Whether to learn ``intercept_``.
    warm_start : bool, default=False
        If True, ``fit`` continues from the current parameters and history.
    class_weight : dict, "balanced" or None, default=None
        scikit-learn's: each sample's weight is multiplied by its class's, ``"balanced"``
        being ``S / (n_classes S_c)`` (``S_c`` the weight of class ``c``) and a dict
        mapping labels to weights (1 for labels it leaves out).
    batch_size : int, default=32
        ``sgd``: samples per mini-batch; a batch of ``n`` or more is the full batch (and
        ``sgd`` is then ``gd``, bit for bit).
    shuffle : bool, default=True
        ``sgd``: visit the samples in a new random order each epoch; False keeps their order.
    random_state : int or None, default=None
        ``sgd``: the seed of the epochs' orders (``batch_seed_``); None draws one per run.
        The batch of iteration ``t`` depends on the seed, ``t`` and ``n`` only
        (:func:`softmax_core.solvers.minibatch`), so a run repeats exactly from any point.
    learning_rate_schedule : {"constant", "inverse", "step"}, default="constant"
        ``sgd``: the rate at iteration ``t``, with ``e = t / batches_per_epoch`` the epochs
        done: ``lr``, ``lr / (1 + e / decay_epochs)``, or ``lr / 2 ** floor(e / decay_epochs)``
        (:func:`softmax_core.solvers.scheduled_learning_rate`). The full-batch solvers keep
        the rate constant.
    decay_epochs : float, default=10.0
        The epochs after which the decaying schedules have halved the rate.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    coef_ : ndarray of shape (n_classes, n_features)
    intercept_ : ndarray of shape (n_classes,)
    n_iter_ : int
        Number of steps taken so far.
    loss_ : float
        The objective at the current parameters (for ``sgd`` too: on all the data).
    loss_curve_ : list of float
        The objective before each step; ``len(loss_curve_) == n_iter_``.
    batch_loss_curve_ : list of float
        The objective of each step's mini-batch before the step, the noisy figure ``sgd``
        descends; for the full-batch solvers the batch is all the data and it equals
        ``loss_curve_``.
    grad_coef_, grad_intercept_ : ndarray
        The gradient of the objective at the current parameters.
    learning_rate_ : float
        The learning rate in use (``learning_rate`` with ``"auto"`` resolved); ``sgd``'s
        schedule starts from it.
    lipschitz_ : float
        ``L``, the bound on the objective's curvature on the training data
        (:func:`softmax_core.lipschitz_constant`): 1/L is the "auto" learning rate.
    learning_rate_limit_ : float
        ``2 / L`` for the training data: plain gradient descent with a larger step may
        overshoot the minimum, and then the objective need not decrease. For ``sgd`` it is
        the full objective's limit; a mini-batch's own curvature may be larger.
    step_size_ : float
        The length of the last step: the (scheduled) learning rate, or Newton's
        line-search ``s`` (0 before the first step).
    converged_ : bool
        Whether the last step changed the objective by less than ``tol``. For ``sgd``,
        whether the objective at the end of the last completed epoch differs by less than
        ``tol`` from that at the end of the epoch before (so never within the first epoch;
        with a full batch an epoch is one step, the rule of ``gd``).
    diverged_ : bool
        Whether training stopped on a non-finite or exploding objective; further
        iterations do nothing until a new fit (or a warm-started one).
    n_restarts_ : int
        How often Nesterov's momentum restarted (0 for the other solvers).
    batch_seed_ : int or None
        The seed of ``sgd``'s epoch orders: ``random_state``, or the one drawn for this run;
        None with ``shuffle=False``.
    """

    _parameter_constraints: dict = {  # noqa: RUF012 (scikit-learn's own convention)
        "learning_rate": [StrictInterval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "max_iter": [StrictInterval(Integral, 1, None, closed="left")],
        "tol": [StrictInterval(Real, 0, None, closed="left")],
        "C": [StrictInterval(Real, 0, None, closed="right")],
        "solver": [StrOptions(set(ALL_SOLVERS))],
        "fit_intercept": ["boolean"],
        "warm_start": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "batch_size": [StrictInterval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": [StrictInterval(Integral, 0, 2**32 - 1, closed="both"), None],
        "learning_rate_schedule": [StrOptions(set(LEARNING_RATE_SCHEDULES))],
        "decay_epochs": [StrictInterval(Real, 0, None, closed="neither")],
    }

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
        class_weight: dict | str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        shuffle: bool = True,
        random_state: int | None = None,
        learning_rate_schedule: str = "constant",
        decay_epochs: float = 10.0,
    ) -> None:
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.C = C
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.warm_start = warm_start
        self.class_weight = class_weight
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.learning_rate_schedule = learning_rate_schedule
        self.decay_epochs = decay_epochs

    # --------------------------------------------------------------- set-up

    def _check_params(self) -> None:
        """scikit-learn's validation of the parameters (``_parameter_constraints``), skipped
        when every parameter is the very value validated last: the app steps one model
        many times, and the validation costs more than a step on small data."""
        params = [(name, getattr(self, name)) for name in self._parameter_constraints]
        last = getattr(self, "_validated_params", None)
        if last is not None and all(
            value is old for (_, value), (_, old) in zip(params, last, strict=True)
        ):
            return
        self._validate_params()
        self._validated_params = params

    def _validated_data(
        self, X, y, *, reset: bool, classes=None, sample_weight=None
    ) -> TrainingData:
        """The scikit-learn checks of ``(X, y, sample_weight)``, then the data laid out for
        training.

        A later call with the same arrays (compared value by value) reuses the layout of
        the last one: ``partial_fit`` in a loop then costs a check and a step.
        """
        self._check_params()
        # validate_data records the new data's shape at once; a refusal must not leave it.
        validated = {n: getattr(self, n) for n in _VALIDATED if hasattr(self, n)}
        try:
            X, y = validate_data(self, X, y, reset=reset, dtype=np.float64)
            if sample_weight is not None:
                sample_weight = _check_sample_weight(
                    sample_weight, X, dtype=np.float64, ensure_non_negative=True, copy=True
                )
            cached = None if reset else getattr(self, "_data_cache", None)
            if (
                classes is not None
                and not reset
                and not np.array_equal(np.unique(classes), self.classes_)
            ):
                raise ValueError(f"classes={classes!r} differs from classes_ {self.classes_!r}")
            if cached is not None and cached.same_arrays(X, y, sample_weight):
                return cached
            if reset:
                check_classification_targets(y)
                known = np.unique(y if classes is None else classes)
            else:
                known = self.classes_
            data = TrainingData.from_validated(X, y, known, encode_labels(y, known), sample_weight)
        except ValueError:
            for name in _VALIDATED:
                if name in validated:
                    setattr(self, name, validated[name])
                elif hasattr(self, name):
                    delattr(self, name)
            raise
        if reset:
            self._forget_fit()
        self._data_cache = data
        return data

    def _forget_fit(self) -> None:
        for name in ("coef_", "classes_"):
            if hasattr(self, name):
                delattr(self, name)

    def _configure(self, data: TrainingData) -> None:
        """Resolve the learning rate for ``data``; start the run, or re-evaluate the
        objective where it stands if the data or the objective changed since."""
        data = data.with_class_weight(self.class_weight)
        lipschitz = data.lipschitz(self.C, self.fit_intercept)
        self.lipschitz_ = lipschitz
        self.learning_rate_limit_ = 2.0 / lipschitz
        self.learning_rate_ = (
            1.0 / lipschitz if isinstance(self.learning_rate, str) else float(self.learning_rate)
        )
        # Above the limit the run is chaotic: sum as the seed does to reproduce it exactly
        # (sgd too, whose full batch is gd).
        seed_order = (
            self.solver in ("gd", "sgd") and self.learning_rate_ > self.learning_rate_limit_
        )
        self._alpha = l2_strength(self.C, data.weight_sum)
        self._kernel = data.kernel
        self._data = data
        self._batches_per_epoch = (
            batches_per_epoch(data.n_samples, self.batch_size) if self.solver == "sgd" else 1
        )
        self._evaluate = evaluator(
            data.kernel, self._alpha, seed_order=seed_order, fit_intercept=self.fit_intercept
        )
        objective = (id(data), self.C, self.fit_intercept)
        if not hasattr(self, "coef_"):
            self._initialise(data)
        elif (objective, seed_order) != self._evaluated_on_or_none() or not np.array_equal(
            _stack(self.coef_, self.intercept_), self._evaluated_theta
        ):
            # New data, a new objective, parameters set by hand, or another summation order
            # (a run replayed from a link must compute as the one it reproduces did).
            with np.errstate(over="ignore", invalid="ignore"):
                loss, grad = self._evaluate(_stack(self.coef_, self.intercept_))
            if objective != self._evaluated_on_or_none()[0] and loss != self.loss_:
                self._comparable = False  # a change measured across two objectives
                self._compare_from = self.n_iter_
            self.loss_ = loss
            self.grad_coef_, self.grad_intercept_ = grad[:, :-1].copy(), grad[:, -1].copy()
            self._evaluated_theta = _stack(self.coef_, self.intercept_)
        self._evaluated_on = (objective, seed_order)
        seed = self._run_seed if self.random_state is None else int(self.random_state)
        self.batch_seed_ = seed if self.shuffle else None
        self._judge_convergence()

    def _evaluated_on_or_none(self) -> tuple:
        # Not kept when pickled: the data it names are gone then.
        return getattr(self, "_evaluated_on", (None, None))

    def _judge_convergence(self) -> None:
        """Converged: the last step changed the objective by less than the tol in force; for
        ``sgd``, the last completed epoch did (between the objectives at its two ends)."""
        if self.solver != "sgd":
            self.converged_ = bool(
                self._comparable
                and not self.diverged_
                and self.loss_curve_
                and abs(self.loss_ - self.loss_curve_[-1]) < self.tol
            )
            return
        per_epoch = self._batches_per_epoch
        end = self.n_iter_ // per_epoch * per_epoch
        start = end - per_epoch
        if self.diverged_ or start < self._compare_from:
            self.converged_ = False
            return
        at_end = self.loss_ if end == self.n_iter_ else self.loss_curve_[end]
        self.converged_ = bool(abs(at_end - self.loss_curve_[start]) < self.tol)

    def _initialise(self, data: TrainingData) -> None:
        self.classes_ = data.classes
        self.n_features_in_ = data.n_features
        shape = (data.classes.size, data.n_features)
        self.coef_ = np.zeros(shape)
        self.intercept_ = np.zeros(data.classes.size)
        self._prev_coef = self.coef_.copy()
        self._prev_intercept = self.intercept_.copy()
        loss, grad = self._evaluate(_stack(self.coef_, self.intercept_))
        self.loss_ = loss
        self.grad_coef_, self.grad_intercept_ = grad[:, :-1].copy(), grad[:, -1].copy()
        self._evaluated_theta = _stack(self.coef_, self.intercept_)
        self._comparable = True
        self._compare_from = 0
        self._reference_loss = loss
        self._momentum = 1.0
        self._run_token = uuid.uuid4().hex
        # sgd's seed when random_state is None: one per run, so that restore and replays
        # of this run need no random state.
        self._run_seed = secrets.randbits(32)
        self.n_iter_ = 0
        self.n_restarts_ = 0
        self.step_size_ = 0.0
        self.loss_curve_: list[float] = []
        self.batch_loss_curve_: list[float] = []
        self.converged_ = False
        self.diverged_ = False
        self._path: list[tuple[int, np.ndarray]] = []
        self._path_stride = 1
        self._record_path(0, _stack(self.coef_, self.intercept_))

    def _record_path(self, iteration: int, theta: np.ndarray) -> None:
        """Keep an iterate of the path (see PATH_HEAD); ``theta`` is not modified later."""
        if iteration >= PATH_HEAD and iteration % self._path_stride:
            return
        self._path.append((iteration, theta))
        if len(self._path) > PATH_HEAD + PATH_TAIL:
            head, tail = self._path[:PATH_HEAD], self._path[PATH_HEAD:]
            self._path_stride *= 3
            self._path = head + [p for p in tail if p[0] % self._path_stride == 0]

    # ------------------------------------------------------------- training

    def _solver_step(self, theta: np.ndarray, prev_theta: np.ndarray, grad: np.ndarray) -> Step:
        if self.solver == "nesterov":
            return nesterov_step(
                self._evaluate, theta, prev_theta, self._momentum, self.learning_rate_
            )
        if self.solver == "newton":
            return newton_step(
                self._evaluate,
                theta,
                self.loss_,
                grad,
                self._kernel,
                self._alpha,
                self.fit_intercept,
            )
        if self.solver == "sgd":
            return self._sgd_step(theta, grad)
        return gradient_step(self._evaluate, theta, grad, self.learning_rate_)

    def _sgd_step(self, theta: np.ndarray, grad: np.ndarray) -> Step:
        """The mini-batch step of iteration ``n_iter_`` (its batch and rate depend on the
        iteration, the seed and the data only)."""
        iteration, per_epoch = self.n_iter_, self._batches_per_epoch
        n_samples, seed = self._data.n_samples, self.batch_seed_
        order = None
        if per_epoch > 1 and seed is not None:
            key = (seed, iteration // per_epoch, n_samples)
            cached = getattr(self, "_epoch_order", None)
            if cached is None or cached[0] != key:
                cached = (key, epoch_order(*key))
                self._epoch_order = cached  # one permutation per epoch, not per step
            order = cached[1]
        batch = minibatch(iteration, n_samples, self.batch_size, seed, order)
        rate = scheduled_learning_rate(
            self.learning_rate_schedule,
            self.learning_rate_,
            iteration,
            per_epoch,
            self.decay_epochs,
        )
        batch_evaluate = None
        if batch is not None:
            batch_evaluate = evaluator(
                subset_kernel(self._kernel, batch),
                self._alpha,
                seed_order=False,
                fit_intercept=self.fit_intercept,
            )
        return sgd_step(self._evaluate, theta, self.loss_, grad, rate, batch, batch_evaluate)

    def _run(self, data: TrainingData, n_steps: int, *, until_converged: bool) -> int:
        """Take up to ``n_steps`` iterations; return how many were taken.

        Stops early when the objective explodes (see :meth:`_exploded`), or with
        ``until_converged`` once the tolerance is met. The bookkeeping of each step is here;
        the step itself is the solver's.
        """
        if self.diverged_:
            if n_steps:
                warnings.warn(
                    "training diverged earlier; start a new fit",
                    DivergenceWarning,
                    stacklevel=_caller_stacklevel(),
                )
            return 0
        theta = _stack(self.coef_, self.intercept_)
        prev_theta = _stack(self._prev_coef, self._prev_intercept)
        grad = _stack(self.grad_coef_, self.grad_intercept_)
        taken = 0
        # Overflow and inf - inf are expected near divergence, which is handled below.
        with np.errstate(over="ignore", invalid="ignore"):
            while taken < n_steps and not (until_converged and self.converged_):
                step = self._solver_step(theta, prev_theta, grad)
                if not (step.ok and math.isfinite(step.loss)):
                    self._stop_diverged(step.loss, taken_step=False)
                    break
                self.loss_curve_.append(self.loss_)
                self.batch_loss_curve_.append(
                    self.loss_ if step.batch_loss is None else step.batch_loss
                )
                self.loss_, self.step_size_ = step.loss, step.step_size
                self.n_iter_ += 1
                self._comparable = True
                self._judge_convergence()
                self._momentum = step.momentum
                self.n_restarts_ += step.restarted
                prev_theta, theta, grad = theta, step.theta, step.grad
                self._record_path(self.n_iter_, theta)
                taken += 1
                if self._exploded(step.loss):
                    self._stop_diverged(step.loss, taken_step=True)
                    break
        self.coef_, self.intercept_ = theta[:, :-1].copy(), theta[:, -1].copy()
        self._prev_coef, self._prev_intercept = prev_theta[:, :-1].copy(), prev_theta[:, -1].copy()
        self.grad_coef_, self.grad_intercept_ = grad[:, :-1].copy(), grad[:, -1].copy()
        self._evaluated_theta = theta
        return taken

    def _exploded(self, loss: float) -> bool:
        """Whether ``loss`` is a thousandfold beyond where the run (or its restart) began."""
        return loss > EXPLOSION_FACTOR * max(self._reference_loss, 1.0)

    def _stop_diverged(self, loss: float, *, taken_step: bool) -> None:
        self.diverged_ = True
        self.converged_ = False
        if taken_step:
            what = f"the objective reached {loss:.4g} at iteration {self.n_iter_}"
            where = "stops here"
        else:
            what = f"the objective of iteration {self.n_iter_ + 1} is not finite ({loss})"
            where = f"stays at iteration {self.n_iter_}, the last finite objective"
        if self.solver == "newton":
            # Newton has no rate to blame: its own steps do not diverge (Armijo), so the
            # parameters it started from were already beyond floating point.
            cause = "the scores overflow at these parameters"
        else:
            cause = (
                f"learning_rate={self.learning_rate_:.4g} is too large "
                f"(the stable limit 2/L is {self.learning_rate_limit_:.4g})"
            )
        warnings.warn(
            f"training diverged: {what} (it started at {self._reference_loss:.4g}); {cause}. "
            f"The run {where}.",
            DivergenceWarning,
            stacklevel=_caller_stacklevel(),
        )

    # ------------------------------------------------------------ public API

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None) -> SoftmaxRegression:
        """Train until converged or for ``max_iter`` iterations, from zero unless
        ``warm_start`` (a warm start after a divergence trains on from where it stopped).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Any labels: ints, strings, non-contiguous values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, scikit-learn's meaning (a weight of 2 is a repeated
            sample); None is all 1.

        Returns
        -------
        self
        """
        warm = self.warm_start and hasattr(self, "coef_")
        data = self._validated_data(X, y, reset=not warm, sample_weight=sample_weight)
        self._configure(data)
        if warm and self.diverged_:
            # Judge explosions from here on, not from the start the run blew up from.
            self.diverged_ = False
            self._reference_loss = self.loss_
        self._run(data, self.max_iter, until_converged=True)
        if not (self.converged_ or self.diverged_):
            warnings.warn(
                f"SoftmaxRegression did not converge in max_iter={self.max_iter} iterations "
                f"(tol={self.tol}); increase max_iter, or choose a stable learning rate.",
                ConvergenceWarning,
                stacklevel=_caller_stacklevel(),
            )
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None) -> SoftmaxRegression:
        """Perform exactly one iteration on ``(X, y)`` (for ``sgd``, one mini-batch step).

        The first call starts from zero parameters; ``classes`` (all labels that will ever
        occur) defaults to the labels in ``y``. Later calls continue from the current
        parameters, whatever ``tol`` says, unless training has diverged. ``sample_weight``
        is as in :meth:`fit`.

        Returns
        -------
        self
        """
        return self.advance(X, y, n_steps=1, classes=classes, sample_weight=sample_weight)

    def advance(
        self, X, y, n_steps: int = 1, classes=None, sample_weight=None
    ) -> SoftmaxRegression:
        """Perform ``n_steps`` iterations, as ``n_steps`` calls of :meth:`partial_fit` do.

        The data are validated once. ``n_steps=0`` only sets up a model at iteration 0
        (zero parameters), ready to be stepped or inspected. Stops early on divergence.

        Returns
        -------
        self
        """
        n_steps = check_int("n_steps", n_steps, 0)
        data = self._validated_data(
            X,
            y,
            reset=not hasattr(self, "coef_"),
            classes=classes,
            sample_weight=sample_weight,
        )
        self._configure(data)
        self._run(data, n_steps, until_converged=False)
        return self

    def step(
        self, data: TrainingData, n_steps: int = 1, *, until_converged: bool = False
    ) -> SoftmaxRegression:
        """Perform up to ``n_steps`` iterations on data prepared once (:class:`TrainingData`).

        What :meth:`advance` does, without validating and laying out the data again: for a
        caller that steps one data set many times. With ``until_converged``, stop as
        :meth:`fit` does, as soon as an iteration changes the objective by less than
        ``tol`` (taking no step if the last one did). The first call starts the run.

        Returns
        -------
        self
        """
        n_steps = check_int("n_steps", n_steps, 0)
        if not isinstance(data, TrainingData):
            raise ValueError(f"data must be a TrainingData, got {type(data).__name__}")
        self._check_params()
        if hasattr(self, "coef_") and (
            data.n_features != self.n_features_in_
            or not np.array_equal(data.classes, self.classes_)
        ):
            raise ValueError(
                f"data has {data.n_features} features and classes {data.classes.tolist()}; "
                f"this model has {self.n_features_in_} and {self.classes_.tolist()}"
            )
        self._configure(data)
        self._run(data, n_steps, until_converged=until_converged)
        return self

    def preview_step(self, data: TrainingData) -> Step:
        """The next iteration, computed without taking it (the model does not change).

        Returns
        -------
        Step
            Stacked parameters ``[W | b]``: where the gradient is taken, the gradient,
            the step length, Nesterov's momentum coefficient, and the parameters after;
            for ``sgd`` also the next mini-batch (``batch``) and its objective.
        """
        check_is_fitted(self)
        self.step(data, n_steps=0)
        with np.errstate(over="ignore", invalid="ignore"):
            return self._solver_step(
                _stack(self.coef_, self.intercept_),
                _stack(self._prev_coef, self._prev_intercept),
                _stack(self.grad_coef_, self.grad_intercept_),
            )

    def loss_history(self) -> np.ndarray:
        """The objective at every iterate so far: ``[*loss_curve_, loss_]``."""
        check_is_fitted(self)
        return np.array([*self.loss_curve_, self.loss_])

    def path(self) -> tuple[np.ndarray, np.ndarray]:
        """The iterates so far, ending at the current parameters (thinned past the first
        ``PATH_HEAD``: every iterate at a stride of 3, 9, 27, ..., an odd stride).

        Returns
        -------
        iterations : ndarray of shape (n_points,), int
        thetas : ndarray of shape (n_points, n_classes, n_features + 1)
            The stacked parameters ``[W | b]`` at those iterations.
        """
        check_is_fitted(self)
        points = [(i, theta) for i, theta in self._path if i < self.n_iter_]
        points.append((self.n_iter_, _stack(self.coef_, self.intercept_)))
        return np.array([i for i, _ in points]), np.array([theta for _, theta in points])

    def class_scores(self, X) -> np.ndarray:
        """Class scores (logits) ``z = X W^T + b``, shape (n_samples, n_classes).

        The scores of the symmetric model, one column per class, for two classes too (see
        :meth:`decision_function` for scikit-learn's single column).
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.coef_.T + self.intercept_

    def decision_function(self, X) -> np.ndarray:
        """scikit-learn's confidence scores: the class scores, one column per class; for
        two classes a single column, the log-odds ``z_1 - z_0`` of ``classes_[1]``.

        With two classes scikit-learn's ``LogisticRegression`` returns ``v x + c`` for its
        single vector ``v``; here ``v = w_1 - w_0``, so a converged model and
        ``LogisticRegression(C=2 C)`` give the same values. Positive means ``classes_[1]``
        (0 is ``classes_[0]``, as :meth:`predict` decides a tie).

        Returns
        -------
        ndarray of shape (n_samples,) for two classes, else (n_samples, n_classes)
        """
        scores = self.class_scores(X)
        if self.classes_.size == 2:
            return scores[:, 1] - scores[:, 0]
        return scores

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``."""
        return softmax(self.class_scores(X), axis=1)

    def predict_log_proba(self, X) -> np.ndarray:
        """Log-probabilities, ``log_softmax`` of the scores (not the log of
        :meth:`predict_proba`): finite where the probabilities underflow to 0."""
        return log_softmax(self.class_scores(X), axis=1)

    def predict(self, X) -> np.ndarray:
        """Most probable class for each sample."""
        scores = self.class_scores(X)
        return self.classes_[np.argmax(scores, axis=1)]

    def objective(self, X, y, sample_weight=None) -> float:
        """The training objective ``J`` at the current parameters on ``(X, y)``, with
        ``sample_weight`` and the model's ``class_weight`` as :meth:`fit` weighs them."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        y = np.asarray(y)
        y_encoded = np.searchsorted(self.classes_, y)
        if y_encoded.shape != (X.shape[0],) or not np.array_equal(
            self.classes_[np.minimum(y_encoded, self.classes_.size - 1)], y
        ):
            raise ValueError("y must be a 1-D array of labels from classes_, one per row of X")
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        weights = class_weighted(sample_weight, y, y_encoded, self.classes_, self.class_weight)
        return objective_gradient(
            self.coef_, self.intercept_, X, y_encoded, self.C, sample_weight=weights
        )[0]

    # ---------------------------------------------------- snapshot / restore

    def release_data(self) -> SoftmaxRegression:
        """Let go of the prepared data of the last call (its layout and buffers, often much
        larger than the model): for a model kept aside, as the app keeps runs that Back may
        return to. The next :meth:`step` is given the data again and evaluates there anew.

        Returns
        -------
        self
        """
        for name in ("_data_cache", "_evaluate", "_kernel", "_evaluated_on", "_data"):
            self.__dict__.pop(name, None)
        return self

    def snapshot(self) -> TrainingSnapshot:
        """Copy of the training state, to go back to with :meth:`restore`."""
        check_is_fitted(self)
        return TrainingSnapshot(
            run_token=self._run_token,
            n_iter=self.n_iter_,
            coef=self.coef_.copy(),
            intercept=self.intercept_.copy(),
            loss=self.loss_,
            grad_coef=self.grad_coef_.copy(),
            grad_intercept=self.grad_intercept_.copy(),
            prev_coef=self._prev_coef.copy(),
            prev_intercept=self._prev_intercept.copy(),
            momentum=self._momentum,
            n_restarts=self.n_restarts_,
            step_size=self.step_size_,
            converged=self.converged_,
            diverged=self.diverged_,
            reference_loss=self._reference_loss,
            comparable=self._comparable,
            seed_order=self._evaluated_on_or_none()[1],
            compare_from=self._compare_from,
        )

    def restore(self, snapshot: TrainingSnapshot) -> SoftmaxRegression:
        """Go back to a snapshot of this run; the loss history is cut to its length.

        Raises
        ------
        ValueError
            If ``snapshot`` is not a valid snapshot of an earlier point of this run.
        """
        check_is_fitted(self)
        _check_snapshot(snapshot, self)
        self.n_iter_ = snapshot.n_iter
        self.coef_ = snapshot.coef.copy()
        self.intercept_ = snapshot.intercept.copy()
        self.loss_ = float(snapshot.loss)
        self.grad_coef_ = snapshot.grad_coef.copy()
        self.grad_intercept_ = snapshot.grad_intercept.copy()
        self._prev_coef = snapshot.prev_coef.copy()
        self._prev_intercept = snapshot.prev_intercept.copy()
        self._momentum = float(snapshot.momentum)
        self.n_restarts_ = snapshot.n_restarts
        self.step_size_ = float(snapshot.step_size)
        self.converged_ = snapshot.converged
        self.diverged_ = snapshot.diverged
        self._reference_loss = float(snapshot.reference_loss)
        self._comparable = bool(snapshot.comparable)
        self._compare_from = int(snapshot.compare_from)
        # The next call evaluates again only if its learning rate needs another summation
        # order than the snapshot's gradient was taken in.
        self._evaluated_on = (self._evaluated_on_or_none()[0], snapshot.seed_order)
        self._evaluated_theta = _stack(self.coef_, self.intercept_)
        del self.loss_curve_[snapshot.n_iter :]
        del self.batch_loss_curve_[snapshot.n_iter :]
        self._path = [(i, theta) for i, theta in self._path if i <= snapshot.n_iter]
        return self

    def __getstate__(self) -> dict:
        # The prepared data (with its buffers) is a cache: rebuilt on the next call. A copy:
        # from Python 3.11 object.__getstate__ hands out the instance's own __dict__, and
        # popping from it made pickling (and deepcopy) change the model pickled.
        state = dict(super().__getstate__())
        for name in (
            "_data_cache",
            "_evaluate",
            "_kernel",
            "_evaluated_on",
            "_data",
            "_epoch_order",
            "_validated_params",
        ):
            state.pop(name, None)
        return state


def _check_snapshot(snapshot: object, model: SoftmaxRegression) -> None:
    """Raise ValueError unless ``snapshot`` is a well-formed snapshot of ``model``'s run."""
    foreign = ValueError("the snapshot does not come from this run")
    if not isinstance(snapshot, TrainingSnapshot) or snapshot.run_token != model._run_token:
        raise foreign
    n_iter = snapshot.n_iter
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)):
        raise ValueError(f"snapshot n_iter must be an integer, got {n_iter!r}")
    if not 0 <= n_iter <= model.n_iter_:
        raise foreign
    shapes = {
        "coef": model.coef_.shape,
        "intercept": model.intercept_.shape,
        "grad_coef": model.coef_.shape,
        "grad_intercept": model.intercept_.shape,
        "prev_coef": model.coef_.shape,
        "prev_intercept": model.intercept_.shape,
    }
    for name, shape in shapes.items():
        value = getattr(snapshot, name)
        if not isinstance(value, np.ndarray) or value.dtype.kind != "f" or value.shape != shape:
            raise ValueError(f"snapshot {name} must be a float array of shape {shape}")
        if not np.all(np.isfinite(value)):
            raise ValueError(f"snapshot {name} must be finite")
    for name in ("loss", "momentum", "step_size", "reference_loss"):
        value = getattr(snapshot, name)
        if isinstance(value, bool) or not isinstance(value, (float, np.floating, int)):
            raise ValueError(f"snapshot {name} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"snapshot {name} must be finite, got {value!r}")
    if snapshot.momentum < 1.0 or snapshot.step_size < 0.0:
        raise ValueError("snapshot momentum must be >= 1 and step_size >= 0")
    if not isinstance(snapshot.n_restarts, (int, np.integer)) or snapshot.n_restarts < 0:
        raise ValueError(f"snapshot n_restarts must be >= 0, got {snapshot.n_restarts!r}")
    for name in ("converged", "diverged", "comparable"):
        if not isinstance(getattr(snapshot, name), (bool, np.bool_)):
            raise ValueError(f"snapshot {name} must be a bool")
    compare_from = snapshot.compare_from
    if (
        isinstance(compare_from, bool)
        or not isinstance(compare_from, (int, np.integer))
        or not 0 <= compare_from <= n_iter
    ):
        raise ValueError(f"snapshot compare_from must be in [0, n_iter], got {compare_from!r}")
    # The run passed through this point: its objective is the history's entry there. At the
    # current iteration it may have been re-evaluated since, in another summation order,
    # which changes only its last bits.
    if n_iter < model.n_iter_:
        if snapshot.loss != model.loss_curve_[n_iter]:
            raise foreign
    elif abs(snapshot.loss - model.loss_) > 1e-12 * max(1.0, abs(model.loss_)):
        raise foreign
