"""The expensive computations a lab asks for, behind one small interface.

Plain Python, no Streamlit. :class:`Services` names what a :class:`ui.lab.Lab` needs that is
costly and the same for every session on the same data: the data set of some settings, an
upload's parsed table, scikit-learn's reference fit, the model trained to its optimum, the
loss landscape's plane. :class:`MemoryServices` computes them with a small cache of its own
(tests, scripts); the app passes :class:`ui.caches.StreamlitServices`, which shares them
across sessions with ``st.cache_data``. Either way the lab never fetches them itself.
"""

from __future__ import annotations

import hashlib
import warnings
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Protocol, TypeVar

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from softmax_core import (
    Directions,
    RegularizationPath,
    SoftmaxRegression,
    TrainingData,
    curvatures,
    fit_sklearn,
    iteration_cost,
    regularization_path,
    steepest_and_start,
    steepest_directions,
)
from softmax_core.compare import SAME_OBJECTIVE_MAX_ITER
from softmax_core.datasets import CsvTable, parse_csv
from softmax_core.regularization import DEFAULT_CS, PATH_TOL
from softmax_core.solvers import SECONDS_PER_FLOP

from .data import Dataset, make_dataset
from .report import Reference
from .settings import WORK_BUDGET, Settings

# The converged model (the home page's picture, the landscape's optimum): Newton needs about
# ten iterations; this bounds it.
CONVERGED_MAX_ITER = 50
CONVERGED_TOL = 1e-12
# The regularization path on Compare: the core's grid (C from 1e-4 to 1e4, two a decade),
# warm-started Newton. It takes 2 to 6 iterations a point (40 to 57 on the whole grid,
# measured on the seed note's data, blobs and lines up to 10^5 points and 10 classes); the
# budget is 10 a point, and a point stops at CONVERGED_MAX_ITER.
PATH_CS = DEFAULT_CS
PATH_ITERATIONS_PER_POINT = 4
PATH_MAX_TOTAL_ITER = 10 * PATH_CS.size
# Computed with the page when the core's cost model puts the path under this many seconds
# (on the calibration machine), else when asked for (a button). Estimated 0.009 s for the
# seed note's data (measured 0.03 s on this busy machine), 0.19 s for 10^4 blobs in 10
# classes (measured 0.4 s with one BLAS thread, 2.4 s with two), 1.3 s for 10^5 points in
# 10 classes (measured 4.2 s and 11.5 s).
PATH_AUTO_SECONDS = 0.1


class Services(Protocol):
    """What a lab is given: each call may be answered from a cache shared by many labs."""

    def dataset(self, settings: Settings, upload: CsvTable | None) -> Dataset:
        """The data set of ``settings`` (an uploaded file's table, if it is one).

        Raises ValueError, from the core, if the settings cannot make one."""
        ...

    def parse_upload(self, raw: bytes) -> CsvTable:
        """An uploaded file's table. Raises ValueError, for a person, if it is not one."""
        ...

    def reference(self, dataset: Dataset, C: float, objective: str) -> Reference:
        """scikit-learn's fit on the training points (see :func:`fit_reference`)."""
        ...

    def converged(self, dataset: Dataset, C: float) -> SoftmaxRegression:
        """The scratch model trained to its optimum by Newton's method."""
        ...

    def plane(self, dataset: Dataset, C: float, kind: str) -> tuple[Directions, np.ndarray]:
        """The landscape's directions at the optimum, and the optimum ``[W | b]``."""
        ...

    def optimum_spectrum(self, dataset: Dataset, C: float) -> np.ndarray:
        """The Hessian's curvatures (zero-sum directions, ascending) at the optimum."""
        ...

    def regularization_path(self, dataset: Dataset) -> RegularizationPath:
        """The optimum at each C of the grid (see :func:`compute_regularization_path`)."""
        ...


def digest(raw: bytes) -> str:
    """What an uploaded file is known by: the SHA-256 of its bytes."""
    return hashlib.sha256(raw).hexdigest()


def reference_max_iter(n_samples: int, objective: str) -> int:
    """scikit-learn's iteration limit within one request's work budget."""
    wanted = SAME_OBJECTIVE_MAX_ITER if objective == "same" else 100
    return max(1, min(wanted, WORK_BUDGET // n_samples))


def fit_reference(dataset: Dataset, C: float, objective: str) -> Reference:
    """scikit-learn's fit on the training points as the model sees them: the scratch
    objective (``"same"``, for the scratch model's ``C``) or its own default (``"default"``,
    ``LogisticRegression()``, C = 1), with what every report of it needs."""
    max_iter = reference_max_iter(dataset.train.size, objective)
    X, y = dataset.X_train, dataset.y_train
    with warnings.catch_warnings():
        # The pages say so when scikit-learn stops at max_iter (Reference.stopped_early).
        warnings.simplefilter("ignore", ConvergenceWarning)
        if objective == "same":
            model = fit_sklearn(X, y, same_objective_as=C, max_iter=max_iter)
        else:
            model = fit_sklearn(X, y, max_iter=max_iter)
    return Reference.scored(model, objective, X, np.searchsorted(model.classes_, y), C)


def fit_converged(dataset: Dataset, C: float) -> SoftmaxRegression:
    """The scratch model trained to its optimum by Newton's method."""
    model = SoftmaxRegression(solver="newton", C=C, tol=CONVERGED_TOL, max_iter=CONVERGED_MAX_ITER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(dataset.X_train, dataset.y_train)


def compute_plane(
    optimum: SoftmaxRegression, dataset: Dataset, C: float, kind: str
) -> tuple[Directions, np.ndarray]:
    """The landscape's directions at ``optimum``: the steepest one, and the way back to the
    start (``"start"``) or the second steepest (``"steepest"``)."""
    X = dataset.X_train
    if kind == "start":
        directions = steepest_and_start(optimum.coef_, optimum.intercept_, X, C)
    else:
        directions = steepest_directions(optimum.coef_, optimum.intercept_, X, C)
    return directions, np.column_stack([optimum.coef_, optimum.intercept_])


def compute_optimum_spectrum(optimum: SoftmaxRegression, dataset: Dataset, C: float):
    """The Hessian's spectrum (zero-sum directions, ascending) at ``optimum``."""
    return curvatures(optimum.coef_, optimum.intercept_, dataset.X_train, C)


def path_seconds(dataset: Dataset) -> float:
    """The core's estimate of the regularization path's time on the calibration machine."""
    cost = iteration_cost(
        "newton", max(dataset.train.size, 1), dataset.n_features, dataset.n_classes
    )
    return PATH_ITERATIONS_PER_POINT * PATH_CS.size * cost * SECONDS_PER_FLOP


def path_on_demand(dataset: Dataset) -> bool:
    """Whether the path is too costly to compute with the page (see PATH_AUTO_SECONDS)."""
    return path_seconds(dataset) > PATH_AUTO_SECONDS


def compute_regularization_path(dataset: Dataset) -> RegularizationPath:
    """The regularization path on the training points as the model sees them, scored on the
    held-out points too if there are any: warm-started Newton on ``PATH_CS``, within
    ``PATH_MAX_TOTAL_ITER`` iterations."""
    training = TrainingData(dataset.X_train, dataset.y_train, classes=np.arange(dataset.n_classes))
    holdout = (dataset.X_test, dataset.y_test) if dataset.test.size else None
    return regularization_path(
        training,
        PATH_CS,
        holdout=holdout,
        tol=PATH_TOL,
        max_iter=CONVERGED_MAX_ITER,
        max_total_iter=PATH_MAX_TOTAL_ITER,
    )


Value = TypeVar("Value")


class MemoryServices:
    """:class:`Services` computed in this process, the last ``size`` answers of each kind
    kept (a lab asks again at every report)."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._kept: dict[str, OrderedDict[Hashable, object]] = {}

    def _cached(self, kind: str, key: Hashable, compute: Callable[[], Value]) -> Value:
        kept = self._kept.setdefault(kind, OrderedDict())
        if key in kept:
            kept.move_to_end(key)
            return kept[key]  # type: ignore[return-value]
        value = compute()
        kept[key] = value
        while len(kept) > self.size:
            kept.popitem(last=False)
        return value

    def dataset(self, settings: Settings, upload: CsvTable | None) -> Dataset:
        return self._cached("dataset", settings.data_key(), lambda: make_dataset(settings, upload))

    def parse_upload(self, raw: bytes) -> CsvTable:
        return self._cached("upload", digest(raw), lambda: parse_csv(raw))

    def reference(self, dataset: Dataset, C: float, objective: str) -> Reference:
        key = (dataset.key, C, objective)
        return self._cached("reference", key, lambda: fit_reference(dataset, C, objective))

    def converged(self, dataset: Dataset, C: float) -> SoftmaxRegression:
        return self._cached("converged", (dataset.key, C), lambda: fit_converged(dataset, C))

    def optimum_spectrum(self, dataset: Dataset, C: float) -> np.ndarray:
        return self._cached(
            "spectrum",
            (dataset.key, C),
            lambda: compute_optimum_spectrum(self.converged(dataset, C), dataset, C),
        )

    def regularization_path(self, dataset: Dataset) -> RegularizationPath:
        return self._cached("path", dataset.key, lambda: compute_regularization_path(dataset))

    def plane(self, dataset: Dataset, C: float, kind: str) -> tuple[Directions, np.ndarray]:
        return self._cached(
            "plane",
            (dataset.key, C, kind),
            lambda: compute_plane(self.converged(dataset, C), dataset, C, kind),
        )
