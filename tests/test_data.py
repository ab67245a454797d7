"""Tests of ``softmax_core.data``: the seed note's data set, its generalisation to 2-10
classes (``make_noisy_classes`` with ``line_thresholds``), the 2-D ``make_noisy_blobs``, and
every ``ValueError`` path (each message names the parameter and its value).
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from properties import examples
from seed_reference import seed_data

from softmax_core import line_thresholds, make_noisy_blobs, make_noisy_classes
from softmax_core.data import MAX_SAMPLES

ALL_CLASS_COUNTS = range(2, 11)


def clean_threshold_labels(x, thresholds):
    """The seed's rule, written out: a point's label is how many thresholds lie below it."""
    return np.array([sum(value > t for t in thresholds) for value in x])


def reference_thresholds(n_classes):
    """``10 j / k`` truncated to one decimal, in exact integer arithmetic."""
    return np.array([(100 * j // n_classes) / 10 for j in range(1, n_classes)])


def noisy_reference(clean, n_classes, noise, rng):
    """The documented label noise: each label moves to the next class when ``rand() > 1 -
    noise`` (the seed's ``rand() > 0.9``); if that empties a class, the first point of each
    class keeps its clean label."""
    noisy = (clean + (rng.rand(clean.size) > 1.0 - noise)) % n_classes
    if len(set(noisy.tolist())) < n_classes:
        for label in range(n_classes):
            first = np.flatnonzero(clean == label)[0]
            noisy[first] = label
    return noisy


def reference_noisy_classes(n_samples, n_classes, noise, random_state):
    """``make_noisy_classes`` from its docstring, or None when a class gets no point."""
    x = np.linspace(0.0, 10.0, n_samples)
    clean = np.searchsorted(reference_thresholds(n_classes), x, side="left")
    if len(set(clean.tolist())) < n_classes:
        return None
    return x.reshape(-1, 1), noisy_reference(
        clean, n_classes, noise, np.random.RandomState(random_state)
    )


def reference_noisy_blobs(n_samples, n_classes, noise, cluster_std, random_state):
    """``make_noisy_blobs`` from its docstring: centres on the circle of radius 3, classes in
    turn, Gaussian offsets drawn first and the label noise after, from one RandomState."""
    rng = np.random.RandomState(random_state)
    clean = np.arange(n_samples) % n_classes
    angle = 2 * np.pi * clean / n_classes
    centres = np.column_stack([3 * np.cos(angle), 3 * np.sin(angle)])
    X = centres + cluster_std * rng.randn(n_samples, 2)
    return X, noisy_reference(clean, n_classes, noise, rng)


GENERATOR_SETTINGS = settings(max_examples=examples(60), deadline=None)
class_counts = st.integers(2, 10)
noises = st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0.0, 1.0))
seeds = st.integers(0, 2**32 - 1)


# ---------------------------------------------------------------- make_noisy_classes


def test_defaults_reproduce_the_seed_data_exactly():
    X, y = make_noisy_classes()
    X_seed, y_seed = seed_data()
    np.testing.assert_array_equal(X, X_seed)
    np.testing.assert_array_equal(y, y_seed.ravel())
    assert y.shape == (100,)
    assert y.dtype.kind == "i"
    # The seed note's data set, pinned: its noisy points and its class sizes.
    clean = clean_threshold_labels(X[:, 0], [3.3, 6.6])
    assert np.flatnonzero(y != clean).tolist() == [8, 13, 20, 27, 38, 52, 70, 72, 89]
    assert np.bincount(y).tolist() == [32, 35, 33]


@GENERATOR_SETTINGS
@given(
    n_samples=st.one_of(st.integers(2, 60), st.integers(2, MAX_SAMPLES)),
    n_classes=class_counts,
    noise=noises,
    random_state=seeds,
)
def test_property_make_noisy_classes_follows_its_docstring(
    n_samples, n_classes, noise, random_state
):
    """Over the whole parameter range: exactly the documented data set, with every class, or
    a ValueError naming ``n_samples`` when the points leave a class of the line empty."""
    expected = reference_noisy_classes(n_samples, n_classes, noise, random_state)
    if n_samples < n_classes:
        with pytest.raises(ValueError, match=f"^n_samples must be between {n_classes} and "):
            make_noisy_classes(n_samples, n_classes, noise, random_state)
    elif expected is None:
        message = (
            f"n_samples={n_samples} points leave a class of the line without points; "
            f"use more than {n_samples} points for {n_classes} classes"
        )
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            make_noisy_classes(n_samples, n_classes, noise, random_state)
    else:
        X, y = make_noisy_classes(n_samples, n_classes, noise, random_state)
        np.testing.assert_array_equal(X, expected[0])
        np.testing.assert_array_equal(y, expected[1])
        assert y.dtype.kind == "i"
        np.testing.assert_array_equal(np.unique(y), np.arange(n_classes))


@GENERATOR_SETTINGS
@given(
    n_samples=st.one_of(st.integers(2, 60), st.integers(2, MAX_SAMPLES)),
    n_classes=class_counts,
    noise=noises,
    cluster_std=st.floats(0.0, 10.0, exclude_min=True),
    random_state=seeds,
)
def test_property_make_noisy_blobs_follows_its_docstring(
    n_samples, n_classes, noise, cluster_std, random_state
):
    if n_samples < n_classes:
        with pytest.raises(ValueError, match=f"^n_samples must be between {n_classes} and "):
            make_noisy_blobs(n_samples, n_classes, noise, cluster_std, random_state)
        return
    X, y = make_noisy_blobs(n_samples, n_classes, noise, cluster_std, random_state)
    X_expected, y_expected = reference_noisy_blobs(
        n_samples, n_classes, noise, cluster_std, random_state
    )
    np.testing.assert_allclose(X, X_expected, rtol=1e-14, atol=1e-14)
    np.testing.assert_array_equal(y, y_expected)
    assert X.shape == (n_samples, 2) and y.dtype.kind == "i"
    np.testing.assert_array_equal(np.unique(y), np.arange(n_classes))


def test_noise_that_would_empty_a_class_keeps_the_first_point_of_each():
    """10 points, 2 classes, noise 0.5, seed 91: the noise moves the whole second half to
    class 0 and no point to class 1, which used to leave a one-class data set."""
    shifted = np.random.RandomState(91).rand(10) > 0.5
    assert shifted.tolist() == [False] * 5 + [True] * 5
    _, y = make_noisy_classes(10, 2, 0.5, random_state=91)
    assert y.tolist() == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0]  # point 5 is class 1's first


def test_a_draw_equal_to_one_minus_noise_leaves_the_label():
    """The comparison is the seed's strict ``rand() > 1 - noise``: with the first draw of
    seed 0 exactly ``1 - noise``, the first label stays; a hair more noise shifts it."""
    first_draw = np.random.RandomState(0).rand()
    noise = 1.0 - first_draw
    assert 1.0 - noise == first_draw  # exact: no rounding in the way
    assert make_noisy_classes(noise=noise)[1][0] == 0
    assert make_noisy_classes(noise=noise + 1e-15)[1][0] == 1


def test_blobs_defaults():
    X, y = make_noisy_blobs()
    X_expected, y_expected = reference_noisy_blobs(200, 3, 0.1, 1.0, 0)
    np.testing.assert_allclose(X, X_expected, rtol=1e-14, atol=1e-14)
    np.testing.assert_array_equal(y, y_expected)


@pytest.mark.parametrize(
    ("n_classes", "expected"),
    [
        (2, [5.0]),
        (3, [3.3, 6.6]),  # the seed note's thresholds
        (4, [2.5, 5.0, 7.5]),
        (6, [1.6, 3.3, 5.0, 6.6, 8.3]),
        (10, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]),
    ],
)
def test_line_thresholds_known_values(n_classes, expected):
    np.testing.assert_array_equal(line_thresholds(n_classes), expected)


@pytest.mark.parametrize("n_classes", ALL_CLASS_COUNTS)
def test_line_thresholds_split_the_line_in_increasing_order(n_classes):
    thresholds = line_thresholds(n_classes)
    assert thresholds.shape == (n_classes - 1,)
    assert np.all(np.diff(thresholds) > 0)
    assert thresholds[0] > 0 and thresholds[-1] < 10
    # Each is 10 j / k truncated to one decimal.
    exact = 10 * np.arange(1, n_classes) / n_classes
    assert np.all((exact - 0.1 < thresholds) & (thresholds <= exact + 1e-12))


@pytest.mark.parametrize("n_classes", ALL_CLASS_COUNTS)
def test_every_class_count_gives_every_label_in_range(n_classes):
    X, y = make_noisy_classes(n_classes=n_classes)
    assert X.shape == (100, 1)
    assert y.shape == (100,)
    assert y.dtype.kind == "i"
    np.testing.assert_array_equal(np.unique(y), np.arange(n_classes))


@pytest.mark.parametrize("n_classes", ALL_CLASS_COUNTS)
@pytest.mark.parametrize("n_samples", [10, 37, 100, 101])
def test_zero_noise_gives_clean_threshold_labels(n_classes, n_samples):
    X, y = make_noisy_classes(n_samples=n_samples, n_classes=n_classes, noise=0.0)
    expected = clean_threshold_labels(X[:, 0], line_thresholds(n_classes))
    np.testing.assert_array_equal(y, expected)


def test_a_point_on_a_threshold_belongs_to_the_lower_class():
    # 101 points on [0, 10] include 5.0 exactly; the seed's ">" puts it in class 0.
    X, y = make_noisy_classes(n_samples=101, n_classes=2, noise=0.0)
    assert X[50, 0] == 5.0
    assert y[50] == 0
    assert y[51] == 1


@pytest.mark.parametrize("n_classes", [2, 3, 7, 10])
def test_full_noise_shifts_every_label_to_the_next_class(n_classes):
    _, clean = make_noisy_classes(n_classes=n_classes, noise=0.0)
    _, shifted = make_noisy_classes(n_classes=n_classes, noise=1.0)
    np.testing.assert_array_equal(shifted, (clean + 1) % n_classes)


def test_noise_shifts_labels_to_the_next_class_at_the_given_rate():
    _, clean = make_noisy_classes(n_samples=20_000, n_classes=4, noise=0.0)
    _, noisy = make_noisy_classes(n_samples=20_000, n_classes=4, noise=0.3)
    changed = noisy != clean
    np.testing.assert_array_equal(noisy[changed], (clean[changed] + 1) % 4)
    assert 0.28 < changed.mean() < 0.32


@pytest.mark.parametrize("n_samples", [3, 7, 100, 1000])
def test_sizes_give_evenly_spaced_points_on_0_10(n_samples):
    X, y = make_noisy_classes(n_samples=n_samples)
    assert X.shape == (n_samples, 1)
    assert y.shape == (n_samples,)
    np.testing.assert_array_equal(X[:, 0], np.linspace(0, 10, n_samples))


def test_same_seed_gives_same_data():
    first = make_noisy_classes(n_classes=5, noise=0.2, random_state=42)
    second = make_noisy_classes(n_classes=5, noise=0.2, random_state=42)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_different_seed_gives_different_noise_on_the_same_points():
    X_a, y_a = make_noisy_classes(random_state=0)
    X_b, y_b = make_noisy_classes(random_state=1)
    np.testing.assert_array_equal(X_a, X_b)
    assert np.any(y_a != y_b)


def test_generators_do_not_touch_numpy_global_random_state():
    np.random.seed(123)  # noqa: NPY002  (checking the legacy global state is left alone)
    expected = np.random.rand(3)  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    make_noisy_classes()
    make_noisy_blobs()
    np.testing.assert_array_equal(np.random.rand(3), expected)  # noqa: NPY002


# ------------------------------------------------------------------ make_noisy_blobs


@pytest.mark.parametrize("n_classes", ALL_CLASS_COUNTS)
def test_blobs_shapes_and_label_range(n_classes):
    X, y = make_noisy_blobs(n_samples=60, n_classes=n_classes)
    assert X.shape == (60, 2)
    assert y.shape == (60,)
    assert y.dtype.kind == "i"
    assert y.min() >= 0 and y.max() < n_classes


def test_blobs_without_noise_are_balanced_clusters_around_a_circle():
    X, y = make_noisy_blobs(n_samples=4000, n_classes=4, noise=0.0, cluster_std=0.05)
    np.testing.assert_array_equal(np.bincount(y), [1000] * 4)
    centres = np.array([X[y == j].mean(axis=0) for j in range(4)])
    np.testing.assert_allclose(centres, [[3, 0], [0, 3], [-3, 0], [0, -3]], atol=0.01)


def test_blobs_are_deterministic_per_seed():
    first = make_noisy_blobs(random_state=7)
    second = make_noisy_blobs(random_state=7)
    other = make_noisy_blobs(random_state=8)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], other[0])


def test_cluster_std_scales_the_spread_around_the_centres():
    X_narrow, y = make_noisy_blobs(n_samples=3000, noise=0.0, cluster_std=0.5)
    X_wide, y_wide = make_noisy_blobs(n_samples=3000, noise=0.0, cluster_std=2.0)
    np.testing.assert_array_equal(y, y_wide)
    angles = 2 * np.pi * y / 3
    centres = 3.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    # Same seed, same draws: the offsets from the centres scale exactly with cluster_std.
    np.testing.assert_allclose((X_wide - centres) / 2.0, (X_narrow - centres) / 0.5, atol=1e-12)
    assert np.std(X_wide - centres) == pytest.approx(2.0, rel=0.05)


def test_blobs_full_noise_shifts_every_label():
    _, clean = make_noisy_blobs(n_classes=5, noise=0.0)
    _, shifted = make_noisy_blobs(n_classes=5, noise=1.0)
    np.testing.assert_array_equal(shifted, (clean + 1) % 5)


# ----------------------------------------------------------------------------- errors


COMMON_ERRORS = [
    ({"n_classes": 3, "n_samples": 2}, "n_samples must be between 3 and 100000, got 2"),
    ({"n_classes": 5, "n_samples": 4}, "n_samples must be between 5 and 100000, got 4"),
    ({"n_classes": 1}, "n_classes must be between 2 and 10, got 1"),
    ({"n_classes": 11}, "n_classes must be between 2 and 10, got 11"),
    ({"n_classes": 3.0}, "n_classes must be an integer, got 3.0"),
    ({"n_classes": True}, "n_classes must be an integer, got True"),
    ({"n_samples": True}, "n_samples must be an integer, got True"),
    ({"n_samples": 50.0}, "n_samples must be an integer, got 50.0"),
    ({"n_samples": 12.5}, "n_samples must be an integer, got 12.5"),
    ({"n_samples": "100"}, "n_samples must be an integer, got '100'"),
    ({"noise": -0.1}, "noise must be in [0.0, 1.0], got -0.1"),
    ({"noise": 1.5}, "noise must be in [0.0, 1.0], got 1.5"),
    ({"noise": float("nan")}, "noise must be a number, got nan"),
    ({"noise": float("inf")}, "noise must be finite, got inf"),
    ({"noise": "0.1"}, "noise must be a real number, got '0.1'"),
    ({"noise": None}, "noise must be a real number, got None"),
    ({"noise": True}, "noise must be a real number, got True"),
    ({"random_state": -1}, "random_state must be between 0 and 4294967295, got -1"),
    ({"random_state": 2**32}, "random_state must be between 0 and 4294967295, got 4294967296"),
    ({"random_state": 1.5}, "random_state must be an integer, got 1.5"),
    ({"random_state": None}, "random_state must be an integer, got None"),
    ({"random_state": False}, "random_state must be an integer, got False"),
]

LINE_ERRORS = [
    (
        {"n_samples": 7, "n_classes": 6},
        "n_samples=7 points leave a class of the line without points; "
        "use more than 7 points for 6 classes",
    ),
    ({"n_samples": MAX_SAMPLES + 1}, "n_samples must be between 3 and 100000, got 100001"),
    ({"n_samples": 2**40}, "n_samples must be between 3 and 100000, got 1099511627776"),
]

BLOB_ERRORS = [
    ({"cluster_std": 0.0}, "cluster_std must be in (0.0, 10.0], got 0.0"),
    ({"cluster_std": -1.0}, "cluster_std must be in (0.0, 10.0], got -1.0"),
    ({"cluster_std": 10.5}, "cluster_std must be in (0.0, 10.0], got 10.5"),
    ({"cluster_std": float("nan")}, "cluster_std must be a number, got nan"),
    ({"cluster_std": "1"}, "cluster_std must be a real number, got '1'"),
]


@pytest.mark.parametrize(("kwargs", "message"), COMMON_ERRORS + LINE_ERRORS)
def test_make_noisy_classes_rejects_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        make_noisy_classes(**kwargs)


@pytest.mark.parametrize(("kwargs", "message"), COMMON_ERRORS + BLOB_ERRORS)
def test_make_noisy_blobs_rejects_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        make_noisy_blobs(**kwargs)


@pytest.mark.parametrize(
    ("n_classes", "message"),
    [
        (1, "n_classes must be between 2 and 10, got 1"),
        (11, "n_classes must be between 2 and 10, got 11"),
        (2.0, "n_classes must be an integer, got 2.0"),
    ],
)
def test_line_thresholds_rejects_bad_class_counts(n_classes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        line_thresholds(n_classes)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_samples": 2, "n_classes": 2},
        {"n_classes": 10},
        {"noise": 0},
        {"noise": 1},
        {"noise": np.float64(0.5)},
        {"n_samples": np.int64(40), "n_classes": np.int32(4)},
        {"random_state": 0},
        {"random_state": 2**32 - 1},
    ],
)
def test_boundary_values_are_accepted(kwargs):
    _, y = make_noisy_classes(**kwargs)
    assert y.shape == (kwargs.get("n_samples", 100),)
    _, y_blobs = make_noisy_blobs(**kwargs, cluster_std=10.0)
    assert y_blobs.shape == (kwargs.get("n_samples", 200),)
