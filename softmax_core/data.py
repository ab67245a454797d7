"""Synthetic data sets with label noise.

Both generators return ``X`` of shape ``(n_samples, n_features)`` and integer labels ``y``
of shape ``(n_samples,)`` in ``0 .. n_classes - 1``. Label noise shifts a label to the next
class, ``(y + 1) mod n_classes``, with probability ``noise``, exactly as the seed note does.
Randomness comes from the legacy ``np.random.RandomState`` so that the defaults reproduce
the seed note's data set bit for bit.

Every data set has a point of every class, so that any settings give a trainable problem:
when label noise empties a class (rare: e.g. 10 points, 2 classes, noise 0.5, seed 91), the
first point of each class keeps its noise-free label. Sizes are bounded by ``MAX_SAMPLES``
and ``MAX_CLASSES``, the app's limits too.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_int, check_random_state, check_real

MAX_CLASSES = 10
MAX_SAMPLES = 100_000
MIN_CLASSES = 2
# Seeds are what numpy's generators take: 0 to 2**32 - 1.
MAX_SEED = 2**32 - 1
LINE_START, LINE_END = 0.0, 10.0


def line_thresholds(n_classes: int) -> np.ndarray:
    """Class boundaries on ``[0, 10]``: ``10 j / k`` truncated to one decimal.

    For three classes these are the seed note's 3.3 and 6.6; for two, 5.0.
    """
    n_classes = check_int("n_classes", n_classes, MIN_CLASSES, MAX_CLASSES)
    exact = LINE_END * np.arange(1, n_classes) / n_classes
    return np.floor(exact * 10 + 1e-9) / 10


def _add_label_noise(
    y: np.ndarray, n_classes: int, noise: float, rng: np.random.RandomState
) -> np.ndarray:
    # The seed draws rand() > 0.9 for noise 0.1; 1 - noise keeps that exact comparison.
    shifted = rng.rand(y.shape[0]) > 1.0 - noise
    noisy = (y + shifted) % n_classes
    if np.unique(noisy).size < n_classes:
        first_of_each_class = np.unique(y, return_index=True)[1]
        noisy[first_of_each_class] = y[first_of_each_class]
    return noisy


def _check_common(n_samples: object, n_classes: object, noise: object) -> tuple[int, int, float]:
    n_classes = check_int("n_classes", n_classes, MIN_CLASSES, MAX_CLASSES)
    n_samples = check_int("n_samples", n_samples, n_classes, MAX_SAMPLES)
    noise = check_real("noise", noise, 0.0, 1.0)
    return n_samples, n_classes, noise


def make_noisy_classes(
    n_samples: int = 100,
    n_classes: int = 3,
    noise: float = 0.1,
    random_state: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Points evenly spaced on ``[0, 10]``, labelled by thresholds, with label noise.

    With the defaults this is the seed note's data set exactly.

    Parameters
    ----------
    n_samples : int, default=100
        Number of points, from ``n_classes`` to ``MAX_SAMPLES``, enough for a point in
        every class's interval (7 points for 6 classes, and 9 for 8, are not).
    n_classes : int, default=3
        Number of classes, 2 to ``MAX_CLASSES``.
    noise : float, default=0.1
        Probability, in [0, 1], that a label is shifted to the next class.
    random_state : int, default=0
        Seed of the legacy ``RandomState`` that draws the noise.

    Returns
    -------
    X : ndarray of shape (n_samples, 1)
    y : ndarray of shape (n_samples,), int

    Raises
    ------
    ValueError
        If a parameter is out of range; the message names it and its value.
    """
    n_samples, n_classes, noise = _check_common(n_samples, n_classes, noise)
    rng = check_random_state(random_state)
    X = np.linspace(LINE_START, LINE_END, n_samples).reshape(-1, 1)
    # A point strictly above the j-th threshold belongs to class j or higher (the seed's ">").
    y = np.sum(line_thresholds(n_classes) < X, axis=1)
    if np.unique(y).size < n_classes:
        raise ValueError(
            f"n_samples={n_samples} points leave a class of the line without points; "
            f"use more than {n_samples} points for {n_classes} classes"
        )
    return X, _add_label_noise(y, n_classes, noise, rng)


def make_noisy_blobs(
    n_samples: int = 200,
    n_classes: int = 3,
    noise: float = 0.1,
    cluster_std: float = 1.0,
    random_state: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Two-dimensional Gaussian clusters, one per class, with label noise.

    The cluster centres sit evenly on a circle of radius 3 around the origin; classes are
    as balanced as ``n_samples`` allows.

    Parameters
    ----------
    n_samples : int, default=200
        Number of points, from ``n_classes`` to ``MAX_SAMPLES``.
    n_classes : int, default=3
        Number of classes, 2 to ``MAX_CLASSES``.
    noise : float, default=0.1
        Probability, in [0, 1], that a label is shifted to the next class.
    cluster_std : float, default=1.0
        Standard deviation of each cluster, in (0, 10].
    random_state : int, default=0
        Seed of the legacy ``RandomState``.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,), int

    Raises
    ------
    ValueError
        If a parameter is out of range; the message names it and its value.
    """
    n_samples, n_classes, noise = _check_common(n_samples, n_classes, noise)
    cluster_std = check_real("cluster_std", cluster_std, 0.0, 10.0, low_open=True)
    rng = check_random_state(random_state)
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = 3.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    y = np.arange(n_samples) % n_classes
    X = centres[y] + cluster_std * rng.randn(n_samples, 2)
    return X, _add_label_noise(y, n_classes, noise, rng)
