"""The app's :class:`~ui.services.Services`: computed once per process, shared by sessions.

``st.cache_data`` keys each answer by what defines it (a data set's key, the penalty, the
objective; an upload's digest) and returns every session its own copy, so that no session can
change another's. The computations themselves are :mod:`ui.services`' plain functions.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from softmax_core import Directions, RegularizationPath, SoftmaxRegression
from softmax_core.datasets import CsvTable, parse_csv

from . import services
from .data import Dataset, make_dataset
from .live import Following
from .report import Reference
from .rooms import RoomStore, store_from_environment
from .settings import Settings


@st.cache_data(max_entries=32, show_spinner=False)
def _dataset(data_key: tuple, _settings: Settings, _upload: CsvTable | None) -> Dataset:
    return make_dataset(_settings, _upload)


@st.cache_data(max_entries=4, show_spinner=False)
def _parsed(digest: str, _raw: bytes) -> CsvTable:
    return parse_csv(_raw)


@st.cache_data(max_entries=32, show_spinner=False)
def _reference(data_key: tuple, C: float, objective: str, _dataset: Dataset) -> Reference:
    return services.fit_reference(_dataset, C, objective)


@st.cache_data(max_entries=16, show_spinner=False)
def _converged(data_key: tuple, C: float, _dataset: Dataset) -> SoftmaxRegression:
    return services.fit_converged(_dataset, C)


@st.cache_data(max_entries=16, show_spinner=False)
def _plane(
    data_key: tuple, C: float, kind: str, _dataset: Dataset
) -> tuple[Directions, np.ndarray]:
    return services.compute_plane(_converged(data_key, C, _dataset), _dataset, C, kind)


@st.cache_data(max_entries=16, show_spinner=False)
def _spectrum(data_key: tuple, C: float, _dataset: Dataset) -> np.ndarray:
    return services.compute_optimum_spectrum(_converged(data_key, C, _dataset), _dataset, C)


@st.cache_data(max_entries=16, show_spinner=False)
def _path(data_key: tuple, _dataset: Dataset) -> RegularizationPath:
    return services.compute_regularization_path(_dataset)


class StreamlitServices:
    """:class:`~ui.services.Services` through ``st.cache_data``."""

    def dataset(self, settings: Settings, upload: CsvTable | None) -> Dataset:
        return _dataset(settings.data_key(), settings, upload)

    def parse_upload(self, raw: bytes) -> CsvTable:
        return _parsed(services.digest(raw), raw)

    def reference(self, dataset: Dataset, C: float, objective: str) -> Reference:
        return _reference(dataset.key, C, objective, dataset)

    def converged(self, dataset: Dataset, C: float) -> SoftmaxRegression:
        return _converged(dataset.key, C, dataset)

    def plane(self, dataset: Dataset, C: float, kind: str) -> tuple[Directions, np.ndarray]:
        return _plane(dataset.key, C, kind, dataset)

    def optimum_spectrum(self, dataset: Dataset, C: float) -> np.ndarray:
        return _spectrum(dataset.key, C, dataset)

    def regularization_path(self, dataset: Dataset) -> RegularizationPath:
        return _path(dataset.key, dataset)


@st.cache_resource(show_spinner=False)
def room_store() -> RoomStore:
    """The live classroom's store, one per process: Redis if ``SOFTMAX_LAB_REDIS_URL`` is
    set (replicas share rooms), else this machine's SQLite file (ui.rooms)."""
    return store_from_environment()


@st.cache_resource(show_spinner=False)
def following() -> Following:
    """The labs of followed rooms, one per room and version, shared by every follower this
    process serves (ui.live)."""
    return Following(StreamlitServices())
