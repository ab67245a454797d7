"""The regularization path: the optimum of the objective for each ``C`` of a grid.

For each ``C`` of a grid, from the smallest (the strongest penalty) up, Newton's method
(:class:`~softmax_core.SoftmaxRegression` with ``solver="newton"``) minimises the model's
objective, ``sum_i s_i CE_i / S + ||W||^2 / (2 C S)``, scikit-learn's (for two classes
``SoftmaxRegression(C=c)`` matches ``LogisticRegression(C=2 c)``, see the model), each fit
starting from the optimum of the ``C`` before it (a warm start: the optima of neighbouring
``C`` are close, so Newton needs few steps). At each optimum the path records ``||W||``, and
the accuracy and log-loss on the training points and, if given, on held-out points.

Two properties hold exactly for this L2 objective (and are what a learner should see):
``||W||`` does not decrease as ``C`` grows, and neither does the training fit get worse
(the training log-loss does not increase). Held-out figures have no such rule: they usually
peak in between.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ._checks import check_array, check_int, check_real
from .functions import cross_entropy
from .model import DivergenceWarning, SoftmaxRegression
from .training_data import TrainingData, encode_labels

# The grid's bounds: the app's range of C. Two points a decade by default.
C_GRID_RANGE = (1e-4, 1e4)
DEFAULT_CS = np.logspace(-4, 4, 17)
MAX_PATH_POINTS = 41
# Newton's stopping rule at each point: a step that changes the objective by less than this
# (four orders of magnitude above rounding for objectives of about 0.1 to 2).
PATH_TOL = 1e-12
# Newton's steps at one point, and on the whole path (warm-started, about 2 to 6 a point).
PATH_MAX_ITER = 100
PATH_MAX_TOTAL_ITER = 1_000


@dataclass(frozen=True, eq=False)
class RegularizationPath:
    """The optimum for each ``C`` of a grid, and how well it fits.

    Attributes
    ----------
    Cs : ndarray of shape (n_points,)
        The grid, ascending (the penalty weakens along it).
    coef : ndarray of shape (n_points, n_classes, n_features)
    intercept : ndarray of shape (n_points, n_classes)
        The fitted parameters at each ``C`` (one row per class, the model's symmetric
        parametrisation).
    coef_norm : ndarray of shape (n_points,)
        ``||W||``, the Frobenius norm of ``coef`` (the intercept is not penalised and not
        counted). For two classes the rows are ``-v/2, v/2`` for scikit-learn's single
        vector ``v``, so ``||W|| = ||v|| / sqrt(2)``.
    train_accuracy, train_log_loss : ndarray of shape (n_points,)
        On the training points: the share predicted right, and the mean cross-entropy
        (the objective without its penalty); weighted by the sample weights, if the
        training data have any.
    holdout_accuracy, holdout_log_loss : ndarray of shape (n_points,) or None
        The same on the held-out points (unweighted), or None without them.
    n_iter : ndarray of shape (n_points,), int
        Newton's iterations at each point.
    converged : ndarray of shape (n_points,), bool
        Whether the point met the stopping rule (a step that changed the objective by less
        than ``tol``) within ``max_iter`` iterations.
    complete : bool
        Whether every ``C`` asked for is here: False when the work budget
        (``max_total_iter``) ran out first, and the path ends at the last point finished.
    warm_start : bool
        Whether each point started from the one before (else from zero).
    """

    Cs: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    coef_norm: np.ndarray
    train_accuracy: np.ndarray
    train_log_loss: np.ndarray
    holdout_accuracy: np.ndarray | None
    holdout_log_loss: np.ndarray | None
    n_iter: np.ndarray
    converged: np.ndarray
    complete: bool
    warm_start: bool

    @property
    def n_points(self) -> int:
        return int(self.Cs.shape[0])

    @property
    def has_holdout(self) -> bool:
        return self.holdout_accuracy is not None


def check_cs(Cs: object) -> np.ndarray:
    """The grid ``Cs`` as an ascending float array, or a ValueError that says what is wrong.

    At least one and at most ``MAX_PATH_POINTS`` distinct, finite, positive values; their
    order does not matter (they are sorted).
    """
    try:
        values = np.asarray(Cs, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"Cs must be a 1-D array of positive numbers, got {Cs!r}") from None
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"Cs must be a non-empty 1-D array, got shape {values.shape}")
    if values.size > MAX_PATH_POINTS:
        raise ValueError(f"Cs has {values.size} values; a path has at most {MAX_PATH_POINTS}")
    if not np.all(np.isfinite(values)):
        raise ValueError(
            "Cs must be finite (no penalty, C = inf, is no point of a path: it is beyond "
            f"its right end), got {values.tolist()}"
        )
    if np.any(values <= 0):
        raise ValueError(f"Cs must be positive, got {values[values <= 0].tolist()}")
    values = np.sort(values)
    if np.any(np.diff(values) == 0):
        raise ValueError(f"Cs must be distinct, got {values.tolist()}")
    return values


def _training_data(data: object) -> TrainingData:
    if isinstance(data, TrainingData):
        return data
    if isinstance(data, tuple) and len(data) == 2:
        return TrainingData(*data)
    raise ValueError(f"data must be a TrainingData or a tuple (X, y), got {type(data).__name__}")


def _holdout(holdout: object, training: TrainingData) -> tuple[np.ndarray, np.ndarray] | None:
    if holdout is None:
        return None
    if not (isinstance(holdout, tuple) and len(holdout) == 2):
        raise ValueError(f"holdout must be None or a tuple (X, y), got {type(holdout).__name__}")
    X = check_array("holdout X", holdout[0], ndim=2)
    y = np.asarray(holdout[1])
    if X.shape[1] != training.n_features:
        raise ValueError(
            f"holdout X has {X.shape[1]} features; the training data have {training.n_features}"
        )
    if y.shape != (X.shape[0],):
        raise ValueError(f"holdout y must have shape ({X.shape[0]},), got {y.shape}")
    return X, encode_labels(y, training.classes)


def _scores(coef: np.ndarray, intercept: np.ndarray, X: np.ndarray) -> np.ndarray:
    return X @ coef.T + intercept


def regularization_path(
    data: TrainingData | tuple,
    Cs: object = None,
    *,
    holdout: tuple | None = None,
    tol: float = PATH_TOL,
    max_iter: int = PATH_MAX_ITER,
    max_total_iter: int = PATH_MAX_TOTAL_ITER,
    warm_start: bool = True,
) -> RegularizationPath:
    """Fit the model at every ``C`` of a grid, from the strongest penalty up.

    Parameters
    ----------
    data : TrainingData or tuple (X, y)
        The training points (their sample weights, if any, weigh the objective).
    Cs : array-like of shape (n_points,), default=None
        The grid: 1 to ``MAX_PATH_POINTS`` distinct positive finite values, in any order
        (sorted here). None is ``DEFAULT_CS``, 17 points from 1e-4 to 1e4, two a decade.
    holdout : tuple (X, y) or None, default=None
        Held-out points, scored at each optimum (their labels among the training classes).
    tol : float, default=1e-12
        Newton stops at a point once a step changes the objective by less than ``tol``.
    max_iter : int, default=100
        Newton's iteration limit at one point (a point that reaches it is kept, with
        ``converged`` False, and the next starts from it).
    max_total_iter : int, default=1000
        The work budget: Newton's iterations on the whole path. When it runs out, the path
        ends at the last point finished (``complete`` False).
    warm_start : bool, default=True
        Start each point from the optimum of the one before; False starts each from zero
        (to count what the warm start saves).

    Returns
    -------
    RegularizationPath

    Raises
    ------
    ValueError
        For a bad grid (see :func:`check_cs`), data or held-out points, a bad ``tol``,
        ``max_iter`` or ``max_total_iter``, a budget too small for the first point, or
        scores that overflow (features of extreme scale: standardise them).
    """
    Cs = DEFAULT_CS if Cs is None else Cs
    grid = check_cs(Cs)
    training = _training_data(data)
    held = _holdout(holdout, training)
    tol = check_real("tol", tol, 0.0)
    max_iter = check_int("max_iter", max_iter, 1)
    max_total_iter = check_int("max_total_iter", max_total_iter, 1)
    if not isinstance(warm_start, bool):
        raise ValueError(f"warm_start must be True or False, got {warm_start!r}")
    weights = training.sample_weight
    coefs, intercepts, iterations, converged = [], [], [], []
    model: SoftmaxRegression | None = None
    total = 0
    for C in grid:
        budget = min(max_iter, max_total_iter - total)
        if budget <= 0:
            break
        if model is None or not warm_start:
            model = SoftmaxRegression(solver="newton", C=float(C), tol=tol, max_iter=max_iter)
        else:
            model.set_params(C=float(C))
        before = getattr(model, "n_iter_", 0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DivergenceWarning)
            model.step(training, budget, until_converged=True)
        if model.diverged_:
            raise ValueError(
                f"Newton's method stopped at C = {C:g}: the scores overflow at these "
                "parameters; standardise the features"
            )
        taken = model.n_iter_ - before
        total += taken
        if not model.converged_ and budget < max_iter:
            break  # cut by the budget, not by max_iter: not a finished point
        coefs.append(model.coef_.copy())
        intercepts.append(model.intercept_.copy())
        iterations.append(taken)
        converged.append(bool(model.converged_))
    if not coefs:
        raise ValueError(
            f"max_total_iter={max_total_iter} Newton iterations did not finish the first "
            f"point (C = {grid[0]:g}); allow more"
        )
    coef, intercept = np.array(coefs), np.array(intercepts)
    n_points = coef.shape[0]

    def scored(X: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> tuple[list, list]:
        accuracy, log_loss = [], []
        for i in range(n_points):
            scores = _scores(coef[i], intercept[i], X)
            right = np.argmax(scores, axis=1) == y
            accuracy.append(float(np.average(right, weights=w)))
            log_loss.append(float(np.average(cross_entropy(scores, y), weights=w)))
        return accuracy, log_loss

    train_accuracy, train_log_loss = scored(training.X, training.y_encoded, weights)
    holdout_accuracy = holdout_log_loss = None
    if held is not None:
        holdout_accuracy, holdout_log_loss = (np.array(v) for v in scored(*held, None))
    return RegularizationPath(
        Cs=grid[:n_points].copy(),
        coef=coef,
        intercept=intercept,
        coef_norm=np.linalg.norm(coef.reshape(n_points, -1), axis=1),
        train_accuracy=np.array(train_accuracy),
        train_log_loss=np.array(train_log_loss),
        holdout_accuracy=holdout_accuracy,
        holdout_log_loss=holdout_log_loss,
        n_iter=np.array(iterations, dtype=int),
        converged=np.array(converged, dtype=bool),
        complete=n_points == grid.size,
        warm_start=warm_start,
    )
