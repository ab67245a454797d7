"""The data sets the settings describe, as the model learns from them.

A :class:`Dataset` holds every point as drawn (``X`` of shape ``(n_samples, n_features)``,
labels ``y`` in ``0 .. n_classes - 1``, every class present), the split into training and
held-out points, and the scaling of the features that the model sees, fitted on the training
points only, as a scikit-learn ``Pipeline(StandardScaler(), ...)`` would. Charts draw the
points on their original axes; the model and scikit-learn's reference learn from
``X_train`` (scaled). Plain Python: the app caches data sets through
:mod:`ui.services`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from softmax_core import make_noisy_blobs, make_noisy_classes
from softmax_core.datasets import (
    MAX_CSV_BYTES,
    CsvTable,
    csv_dataset,
    default_features,
    holdout_split,
    real_feature_names,
)
from softmax_core.datasets import load_real as load_real_data

from .settings import GENERATED, Settings

__all__ = ["MAX_CSV_BYTES", "REAL_TITLES", "Dataset", "make_dataset", "real_feature_names"]

# Names of the real data sets' classes and of their default features, as the app shows them.
REAL_TITLES = {"iris": "Iris (scikit-learn)", "wine": "Wine (scikit-learn)"}


@dataclass(frozen=True, eq=False)
class Dataset:
    """Points, labels, names, the held-out split and the features' scaling."""

    key: tuple  # Settings.data_key(): what the caches of fits on this data set are keyed by
    X: np.ndarray
    y: np.ndarray
    class_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    train: np.ndarray  # indices of the training points, sorted
    test: np.ndarray  # indices of the held-out points (may be empty)
    mean: np.ndarray  # (n_features,): subtracted before the model sees a point
    scale: np.ndarray  # (n_features,): then divided by

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def standardised(self) -> bool:
        return bool(np.any(self.mean != 0) or np.any(self.scale != 1))

    def features(self, X: np.ndarray) -> np.ndarray:
        """Points as the model sees them (scaled when the data set is standardised)."""
        return (X - self.mean) / self.scale

    @cached_property
    def X_train(self) -> np.ndarray:
        return np.ascontiguousarray(self.features(self.X[self.train]))

    @property
    def y_train(self) -> np.ndarray:
        return self.y[self.train]

    @cached_property
    def X_test(self) -> np.ndarray:
        return np.ascontiguousarray(self.features(self.X[self.test]))

    @property
    def y_test(self) -> np.ndarray:
        return self.y[self.test]


def _generated(kind: str, n_samples: int, n_classes: int, noise: float, seed: int):
    if kind == "blobs":
        X, y = make_noisy_blobs(n_samples, n_classes, noise, random_state=seed)
        return X, y, tuple(str(i) for i in range(n_classes)), ("x₁", "x₂")
    X, y = make_noisy_classes(n_samples, n_classes, noise, random_state=seed)
    return X, y, tuple(str(i) for i in range(n_classes)), ("x",)


def _real(kind: str, features: tuple[int, ...]):
    loaded = load_real_data(kind, features or default_features(kind, 1))
    return loaded.X, loaded.y, loaded.class_names, loaded.feature_names


def make_dataset(settings: Settings, upload: CsvTable | None = None) -> Dataset:
    """The data set of ``settings`` (an uploaded file's table comes from the session).

    Raises
    ------
    ValueError
        From the core, if the settings cannot make a data set (the message says why).
    """
    if settings.kind in GENERATED:
        X, y, names, feature_names = _generated(
            settings.kind,
            settings.n_samples,
            settings.n_classes,
            settings.noise,
            settings.seed,
        )
    elif settings.kind == "upload":
        if upload is None or settings.upload is None:
            raise ValueError("no uploaded file in this session: upload one on the Data page")
        loaded = csv_dataset(upload, settings.upload_columns, settings.upload_label)
        X, y, names, feature_names = loaded.X, loaded.y, loaded.class_names, loaded.feature_names
    else:
        X, y, names, feature_names = _real(settings.kind, settings.features)
    return _prepared(settings, X, y, names, feature_names)


def _prepared(settings: Settings, X, y, names, feature_names) -> Dataset:
    train, test = holdout_split(y, settings.holdout, settings.holdout_seed)
    mean, scale = np.zeros(X.shape[1]), np.ones(X.shape[1])
    if settings.standardise:
        mean = X[train].mean(axis=0)
        spread = X[train].std(axis=0)
        scale = np.where(spread > 0, spread, 1.0)  # a constant feature stays as it is
    return Dataset(settings.data_key(), X, y, names, feature_names, train, test, mean, scale)
