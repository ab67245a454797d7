"""Softmax Lab's core: data, softmax regression from scratch, and the comparison with
scikit-learn. Pure NumPy (scikit-learn for the estimator API and the comparison); no UI."""

from .compare import ProbabilityGap, fit_sklearn, probability_gap, symmetric_parameters
from .data import line_thresholds, make_noisy_blobs, make_noisy_classes
from .diagnostics import (
    Pace,
    accuracy,
    confusion_matrix,
    curvatures,
    gradient_descent_pace,
    lipschitz_constant,
    local_curvature,
    stable_learning_rate_limit,
)
from .functions import (
    cross_entropy,
    hessian,
    log_softmax,
    logsumexp,
    objective_gradient,
    one_hot,
    softmax,
)
from .landscape import (
    Directions,
    PathProjection,
    Surface,
    extent_for,
    grid_size_for,
    loss_surface,
    project_path,
    steepest_and_start,
    steepest_directions,
)
from .minibatch import GradientSpread, minibatch_gradient_spread
from .model import DivergenceWarning, SoftmaxRegression, TrainingSnapshot
from .regularization import RegularizationPath, regularization_path
from .solvers import ALL_SOLVERS, SOLVERS, STOCHASTIC_SOLVERS, Step, iteration_cost
from .training_data import TrainingData

__all__ = [
    "ALL_SOLVERS",
    "SOLVERS",
    "STOCHASTIC_SOLVERS",
    "Directions",
    "DivergenceWarning",
    "GradientSpread",
    "Pace",
    "PathProjection",
    "ProbabilityGap",
    "RegularizationPath",
    "SoftmaxRegression",
    "Step",
    "Surface",
    "TrainingData",
    "TrainingSnapshot",
    "accuracy",
    "confusion_matrix",
    "cross_entropy",
    "curvatures",
    "extent_for",
    "fit_sklearn",
    "gradient_descent_pace",
    "grid_size_for",
    "hessian",
    "iteration_cost",
    "line_thresholds",
    "lipschitz_constant",
    "local_curvature",
    "log_softmax",
    "logsumexp",
    "loss_surface",
    "make_noisy_blobs",
    "make_noisy_classes",
    "minibatch_gradient_spread",
    "objective_gradient",
    "one_hot",
    "probability_gap",
    "project_path",
    "regularization_path",
    "softmax",
    "stable_learning_rate_limit",
    "steepest_and_start",
    "steepest_directions",
    "symmetric_parameters",
]
