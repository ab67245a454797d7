"""The data sets the settings describe, loaded once per distinct settings (cached).

A :class:`Dataset` has ``X`` of shape ``(n_samples, n_features)``, labels ``y`` encoded as
``0 .. n_classes - 1`` (every class present), and names for the classes and the features.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from softmax_core import make_noisy_blobs, make_noisy_classes


@dataclass(frozen=True)
class Dataset:
    X: np.ndarray
    y: np.ndarray
    class_names: tuple[str, ...]
    feature_names: tuple[str, ...]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def n_features(self) -> int:
        return self.X.shape[1]


@st.cache_data(max_entries=32, show_spinner=False)
def load(kind: str, n_samples: int, n_classes: int, noise: float, seed: int) -> Dataset:
    """The data set of the given settings (``Settings.data_key()``).

    Raises
    ------
    ValueError
        From the core, if the settings cannot make a data set (the message says why).
    """
    names = tuple(str(label) for label in range(n_classes))
    if kind == "blobs":
        X, y = make_noisy_blobs(n_samples, n_classes, noise, random_state=seed)
        return Dataset(X, y, names, ("x₁", "x₂"))
    X, y = make_noisy_classes(n_samples, n_classes, noise, random_state=seed)
    return Dataset(X, y, names, ("x",))
