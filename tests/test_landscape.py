"""Tests of ``softmax_core.landscape``: the steepest directions, the loss surface on their
plane, the projection of a path onto it, and the choice of extents and grid size.

The references are independent of the module: a Hessian by central differences of
``objective_gradient``, restricted to the zero-sum subspace by a projector written here and
decomposed with ``numpy.linalg.eigh``; the objective by the naive formula (scores, exp, log,
mean, penalty) at each grid point's own parameters; projections by construction (a point
built as ``center + alpha u1 + beta u2 + w``). Hypothesis covers random small problems.
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from properties import examples

from softmax_core import landscape
from softmax_core.compare import fit_sklearn, symmetric_parameters
from softmax_core.data import make_noisy_classes
from softmax_core.functions import objective_gradient
from softmax_core.landscape import (
    Directions,
    extent_for,
    grid_size_for,
    loss_surface,
    project_path,
    steepest_and_start,
    steepest_directions,
)

PROPERTY_SETTINGS = settings(max_examples=examples(40), deadline=None)
SHAPES = [(n_features, n_classes) for n_features in (1, 2) for n_classes in (2, 3, 5)]
PENALTIES = [np.inf, 1.0, 0.1]


def exact(message):
    return f"^{re.escape(message)}$"


def random_problem(seed, n_samples=30, n_features=2, n_classes=3, scale=1.0):
    """Random data, labels (every class present) and parameters of moderate size."""
    rng = np.random.default_rng(seed)
    X = 2.0 * rng.normal(size=(n_samples, n_features))
    y = np.arange(n_samples) % n_classes
    rng.shuffle(y)
    coef = scale * rng.normal(size=(n_classes, n_features))
    intercept = scale * rng.normal(size=n_classes)
    return X, y, coef, intercept


def naive_objective(theta, X, y, C):
    """``mean_i -log p_{y_i}(x_i) + ||W||^2 / (2 C n)`` with plain exp and log."""
    scores = X @ theta[:, :-1].T + theta[:, -1]
    proba = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    data_term = -np.mean(np.log(proba[np.arange(len(y)), y]))
    penalty = 0.0 if np.isinf(C) else np.sum(theta[:, :-1] ** 2) / (2 * C * X.shape[0])
    return data_term + penalty


def stacked_gradient(theta, X, y, C):
    _, grad_coef, grad_intercept = objective_gradient(theta[:, :-1], theta[:, -1], X, y, C)
    return np.column_stack([grad_coef, grad_intercept]).ravel()


def finite_difference_hessian(theta, X, y, C, step=1e-5):
    """Central differences of the gradient, symmetrised, in the stacked row-major order."""
    size = theta.size
    hess = np.empty((size, size))
    for index in range(size):
        shift = np.zeros(size)
        shift[index] = step
        shift = shift.reshape(theta.shape)
        forward = stacked_gradient(theta + shift, X, y, C)
        backward = stacked_gradient(theta - shift, X, y, C)
        hess[:, index] = (forward - backward) / (2 * step)
    return 0.5 * (hess + hess.T)


def zero_sum_projector(n_classes, width):
    """``I - (1 1^T / k) (x) I``: removes the class mean of every column of ``[W | b]``."""
    size = n_classes * width
    class_mean = np.kron(np.full((n_classes, n_classes), 1.0 / n_classes), np.eye(width))
    return np.eye(size) - class_mean


def reference_top_two(theta, X, y, C):
    """Eigenvalues (descending) and eigenvectors (columns) of the projected FD Hessian."""
    projector = zero_sum_projector(*theta.shape)
    hess = finite_difference_hessian(theta, X, y, C)
    values, vectors = np.linalg.eigh(projector @ hess @ projector)
    return values[::-1], vectors[:, ::-1], hess


def check_directions_against_reference(directions, theta, X, y, C):
    n_classes, width = theta.shape
    vectors = directions.vectors.reshape(2, -1)
    assert directions.vectors.shape == (2, n_classes, width)
    # Unit and orthogonal.
    np.testing.assert_allclose(vectors @ vectors.T, np.eye(2), atol=1e-12)
    # Orthogonal to every class-constant direction (the same column vector in every row).
    class_constant = np.kron(np.ones((1, n_classes)), np.eye(width)).T  # one per coordinate
    np.testing.assert_allclose(vectors @ class_constant, 0.0, atol=1e-12)
    values, _, hess = reference_top_two(theta, X, y, C)
    scale = max(1.0, values[0])
    np.testing.assert_allclose(directions.eigenvalues, values[:2], rtol=1e-6, atol=1e-6 * scale)
    # Eigenvectors of the finite-difference Hessian itself, with their eigenvalues.
    for vector, value in zip(vectors, directions.eigenvalues, strict=True):
        np.testing.assert_allclose(hess @ vector, value * vector, atol=1e-6 * scale)
    return values


def plane_point(center, directions, a, b):
    return center + a * directions.vectors[0] + b * directions.vectors[1]


# ---------------------------------------------------------------------------- directions


@pytest.mark.parametrize("C", PENALTIES)
@pytest.mark.parametrize(("n_features", "n_classes"), SHAPES)
def test_directions_are_the_top_eigenvectors_of_a_finite_difference_hessian(
    n_features, n_classes, C
):
    X, y, coef, intercept = random_problem(n_classes * 10 + n_features, 40, n_features, n_classes)
    theta = np.column_stack([coef, intercept])
    directions = steepest_directions(coef, intercept, X, C)
    values = check_directions_against_reference(directions, theta, X, y, C)
    # The spanned plane, compared as orthogonal projectors (blind to sign and to rotations
    # within a tied pair); it is well defined because the third eigenvalue is well apart.
    assert values[1] - values[2] > 1e-3 * values[0]
    _, reference, _ = reference_top_two(theta, X, y, C)
    flat = directions.vectors.reshape(2, -1)
    np.testing.assert_allclose(flat.T @ flat, reference[:, :2] @ reference[:, :2].T, atol=1e-5)
    # And each vector up to sign, when the top two eigenvalues are apart.
    if values[0] - values[1] > 1e-3 * values[0]:
        overlaps = np.abs(np.sum(flat * reference[:, :2].T, axis=1))
        np.testing.assert_allclose(overlaps, 1.0, atol=1e-6)


def test_directions_at_the_seed_optimum():
    X, y = make_noisy_classes()
    coef, intercept = symmetric_parameters(fit_sklearn(X, y, same_objective_as=np.inf))
    _, grad_coef, grad_intercept = objective_gradient(coef, intercept, X, y)
    assert max(np.abs(grad_coef).max(), np.abs(grad_intercept).max()) < 1e-8  # the optimum
    directions = steepest_directions(coef, intercept, X)
    theta = np.column_stack([coef, intercept])
    values = check_directions_against_reference(directions, theta, X, y, np.inf)
    assert values[0] - values[1] > 1.0 and values[1] - values[2] > 1.0
    # The numbers the app's axis labels show ("steepest direction, λ = 7.02").
    np.testing.assert_allclose(directions.eigenvalues, [7.0197, 2.1911], rtol=1e-3)


def test_sign_convention_makes_the_largest_entry_positive_and_is_deterministic():
    X, _, coef, intercept = random_problem(3, n_classes=4)
    first = steepest_directions(coef, intercept, X)
    second = steepest_directions(coef, intercept, X)
    np.testing.assert_array_equal(first.vectors, second.vectors)
    for vector in first.vectors.reshape(2, -1):
        largest = np.abs(vector).max()
        ties = vector[np.abs(vector) > (1 - 1e-6) * largest]
        assert ties[0] > 0


def test_two_classes_take_the_first_of_the_tied_entries_positive():
    # With two classes the rows are u and -u: the largest magnitude appears twice.
    X, _, coef, intercept = random_problem(5, n_features=1, n_classes=2)
    directions = steepest_directions(coef, intercept, X)
    for vector in directions.vectors:
        np.testing.assert_allclose(vector[1], -vector[0], atol=1e-15)
        row = vector[0]
        assert row[np.argmax(np.abs(row))] > 0


@pytest.mark.parametrize("C", [np.inf, 1.0])
def test_degenerate_data_still_give_two_orthonormal_zero_sum_directions(C):
    # One sample, two classes, one feature: the data term has curvature along one
    # direction only, so the second eigenvalue is (about) 0 without a penalty.
    X = np.array([[1.5]])
    coef, intercept = np.array([[0.3], [-0.3]]), np.array([0.1, -0.1])
    directions = steepest_directions(coef, intercept, X, C)
    theta = np.column_stack([coef, intercept])
    check_directions_against_reference(directions, theta, X, np.array([0]), C)
    assert directions.eigenvalues[0] > 0
    if np.isinf(C):
        assert directions.eigenvalues[1] == pytest.approx(0.0, abs=1e-12)
    assert np.all(directions.eigenvalues >= 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"coef": np.zeros((3, 2))}, "shapes do not fit"),
        ({"intercept": np.zeros((3, 1))}, "intercept must be 1-D"),
        ({"X": np.array([[np.nan], [1.0]])}, "X must hold finite numbers"),
        ({"C": 0.0}, "C must be in"),
        ({"C": np.nan}, "C must be a number"),
        ({"C": "big"}, "C must be a real number"),
    ],
)
def test_steepest_directions_rejects_bad_input(kwargs, message):
    arguments = {"coef": np.zeros((3, 1)), "intercept": np.zeros(3), "X": np.ones((4, 1))}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        steepest_directions(**arguments)


def sign_fixed(vector):
    """``vector`` flipped so that its first entry of largest magnitude (to 1e-6) is positive."""
    magnitude = np.abs(vector)
    first = np.argmax(magnitude >= (1 - 1e-6) * magnitude.max())
    return -vector if vector[first] < 0 else vector


@pytest.mark.parametrize("C", [np.inf, 0.5])
@pytest.mark.parametrize(("n_features", "n_classes"), [(1, 2), (2, 3), (1, 4)])
@pytest.mark.parametrize("given_start", [False, True])
def test_steepest_and_start_spans_the_steepest_direction_and_the_start(
    n_features, n_classes, C, given_start
):
    X, y, coef, intercept = random_problem(3 * n_classes + n_features, 30, n_features, n_classes)
    theta = np.column_stack([coef, intercept])
    rng = np.random.default_rng(n_classes)
    start = rng.normal(size=theta.shape) if given_start else None
    directions = steepest_and_start(coef, intercept, X, C, start)
    assert directions.vectors.shape == (2, *theta.shape)
    u1, u2 = directions.vectors.reshape(2, -1)
    steepest = steepest_directions(coef, intercept, X, C)
    np.testing.assert_array_equal(u1, steepest.vectors[0].ravel())
    assert directions.eigenvalues[0] == steepest.eigenvalues[0]
    # u2: the zero-sum part of start - theta, its u1 component removed, unit, sign fixed.
    origin = np.zeros_like(theta) if start is None else start
    offset = zero_sum_projector(*theta.shape) @ (origin - theta).ravel()
    toward = offset - (u1 @ offset) * u1
    np.testing.assert_allclose(u2, sign_fixed(toward / np.linalg.norm(toward)), atol=1e-12)
    np.testing.assert_allclose(directions.vectors.reshape(2, -1) @ u1, [1.0, 0.0], atol=1e-12)
    # The start is in the plane, up to a class-constant shift that changes nothing.
    in_plane = (u1 @ offset) * u1 + (u2 @ offset) * u2
    np.testing.assert_allclose(in_plane, offset, atol=1e-12)
    # The curvature along u2, from a finite-difference Hessian.
    hess = finite_difference_hessian(theta, X, y, C)
    assert directions.eigenvalues[1] == pytest.approx(u2 @ hess @ u2, rel=1e-6, abs=1e-9)
    assert directions.eigenvalues[1] >= 0.0


def test_steepest_and_start_at_the_seed_optimum_contains_zero():
    X, y = make_noisy_classes()
    coef, intercept = symmetric_parameters(fit_sklearn(X, y, same_objective_as=np.inf))
    directions = steepest_and_start(coef, intercept, X)
    center = np.column_stack([coef, intercept])
    projection = project_path(np.zeros((1, *center.shape)), center, directions)
    assert projection.off_plane[0] < 1e-12  # zero parameters sum to zero over the classes
    assert np.linalg.norm(projection.coords) == pytest.approx(np.linalg.norm(center), rel=1e-12)


@pytest.mark.parametrize("where", ["on the steepest line", "at the centre", "class-constant"])
def test_steepest_and_start_falls_back_to_the_two_steepest_directions(where):
    """A start with no zero-sum offset orthogonal to u1 spans no plane with it."""
    X, _, coef, intercept = random_problem(12, n_classes=3)
    theta = np.column_stack([coef, intercept])
    steepest = steepest_directions(coef, intercept, X)
    shift = {
        "on the steepest line": -2.5 * steepest.vectors[0],
        "at the centre": np.zeros_like(theta),
        "class-constant": np.tile([4.0, -1.0, 2.0], (3, 1)),  # the same row for every class
    }[where]
    directions = steepest_and_start(coef, intercept, X, start=theta + shift)
    np.testing.assert_array_equal(directions.vectors, steepest.vectors)
    np.testing.assert_array_equal(directions.eigenvalues, steepest.eigenvalues)


@pytest.mark.parametrize(
    ("along", "off", "plane"),
    [(1000.0, 1e-8, False), (1000.0, 2e-6, True), (0.5, 1.5e-9, True), (0.5, 0.5e-9, False)],
)
def test_steepest_and_start_tolerates_1e_9_of_the_offset_off_the_line(along, off, plane):
    """The start counts as on the steepest line when it is off it by at most 1e-9 times
    the length of its offset (at least 1e-9)."""
    X, _, coef, intercept = random_problem(12, n_classes=3)
    theta = np.column_stack([coef, intercept])
    steepest = steepest_directions(coef, intercept, X)
    u1, w = steepest.vectors[0], steepest.vectors[1]  # unit, zero-sum, orthogonal
    directions = steepest_and_start(coef, intercept, X, start=theta + along * u1 + off * w)
    if plane:
        np.testing.assert_allclose(np.abs(np.vdot(directions.vectors[1], w)), 1.0, rtol=1e-6)
        assert not np.array_equal(directions.eigenvalues, steepest.eigenvalues)
    else:
        np.testing.assert_array_equal(directions.vectors, steepest.vectors)


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (np.zeros((3, 2)), "start must have shape (3, 3), got (3, 2)"),
        (np.zeros(9), "start must be 2-D, got shape (9,)"),
        (np.full((3, 3), np.nan), "start must hold finite numbers (no NaN or infinity)"),
    ],
)
def test_steepest_and_start_rejects_a_bad_start(start, message):
    X, _, coef, intercept = random_problem(1)
    with pytest.raises(ValueError, match=exact(message)):
        steepest_and_start(coef, intercept, X, start=start)


# ---------------------------------------------------------------------------- surface


@pytest.mark.parametrize("C", PENALTIES)
@pytest.mark.parametrize(("n_features", "n_classes"), SHAPES)
def test_surface_is_the_objective_at_every_grid_point(n_features, n_classes, C):
    X, y, coef, intercept = random_problem(n_classes + 7 * n_features, 25, n_features, n_classes)
    directions = steepest_directions(coef, intercept, X, C)
    center = np.column_stack([coef, intercept])
    # Different extents per axis, so that swapping rows and columns would show.
    surface = loss_surface(coef, intercept, X, y, C, directions, (1.5, 0.5), grid_size=21)
    assert surface.loss.shape == (21, 21)
    np.testing.assert_allclose(surface.a, np.linspace(-1.5, 1.5, 21))
    np.testing.assert_allclose(surface.b, np.linspace(-0.5, 0.5, 21))
    expected_center = objective_gradient(coef, intercept, X, y, C)[0]
    assert surface.center_loss == pytest.approx(expected_center, rel=1e-12, abs=1e-12)
    assert surface.loss[10, 10] == pytest.approx(expected_center, rel=1e-12, abs=1e-12)
    rng = np.random.default_rng(0)
    for j, i in rng.integers(0, 21, size=(8, 2)):
        theta = plane_point(center, directions, surface.a[i], surface.b[j])
        assert surface.loss[j, i] == pytest.approx(naive_objective(theta, X, y, C), rel=1e-10)


@pytest.mark.parametrize("chunk", [1, 7, 100, 2**18])
def test_surface_does_not_depend_on_the_chunking(monkeypatch, chunk):
    # Tiny chunks force blocks of samples and of grid points, down to one sample at a time.
    monkeypatch.setattr(landscape, "_CHUNK_FLOATS", chunk)
    X, y, coef, intercept = random_problem(11, 23, 2, 3)
    directions = steepest_directions(coef, intercept, X, 1.0)
    center = np.column_stack([coef, intercept])
    extent = (-0.3, 1.1, -2.0, 0.4)
    surface = loss_surface(coef, intercept, X, y, 1.0, directions, extent, grid_size=5)
    expected = [
        [naive_objective(plane_point(center, directions, a, b), X, y, 1.0) for a in surface.a]
        for b in surface.b
    ]
    np.testing.assert_allclose(surface.loss, expected, rtol=1e-12)
    expected_center = objective_gradient(coef, intercept, X, y, 1.0)[0]
    assert surface.center_loss == pytest.approx(expected_center, rel=1e-12)


def test_surface_is_stable_at_extreme_scores():
    # Scores in the thousands: the naive formula overflows, the surface must not.
    X, y, coef, intercept = random_problem(2, 20, 2, 4, scale=50.0)
    X *= 20.0
    directions = steepest_directions(np.zeros_like(coef), np.zeros_like(intercept), X)
    center = np.column_stack([coef, intercept])
    surface = loss_surface(coef, intercept, X, y, np.inf, directions, 30.0, grid_size=7)
    assert np.all(np.isfinite(surface.loss))
    for j, i in [(0, 0), (3, 5), (6, 2)]:
        theta = plane_point(center, directions, surface.a[i], surface.b[j])
        scores = X @ theta[:, :-1].T + theta[:, -1]
        top = scores.max(axis=1, keepdims=True)
        log_proba = scores - top - np.log(np.exp(scores - top).sum(axis=1, keepdims=True))
        expected = -np.mean(log_proba[np.arange(len(y)), y])
        assert surface.loss[j, i] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("extent", "a_range", "b_range"),
    [
        (2.0, (-2.0, 2.0), (-2.0, 2.0)),
        ((2.0, 0.5), (-2.0, 2.0), (-0.5, 0.5)),
        ((-1.0, 3.0, 0.25, 0.75), (-1.0, 3.0), (0.25, 0.75)),
    ],
)
def test_extent_forms(extent, a_range, b_range):
    X, y, coef, intercept = random_problem(4)
    directions = steepest_directions(coef, intercept, X)
    surface = loss_surface(coef, intercept, X, y, np.inf, directions, extent, grid_size=5)
    assert (surface.a[0], surface.a[-1]) == a_range
    assert (surface.b[0], surface.b[-1]) == b_range


def test_default_grid_size_fits_the_work_budget():
    X, y, coef, intercept = random_problem(6, n_samples=1000)
    directions = steepest_directions(coef, intercept, X)
    surface = loss_surface(coef, intercept, X, y, np.inf, directions, 1.0)
    assert surface.loss.shape == (61, 61)
    budget = 9 * 9 * 1000 * 3
    surface = loss_surface(coef, intercept, X, y, np.inf, directions, 1.0, max_work=budget)
    assert surface.loss.shape == (9, 9)
    with pytest.raises(ValueError, match="max_work"):
        loss_surface(coef, intercept, X, y, np.inf, directions, 1.0, 11, max_work=budget)


def surface_arguments():
    X, y, coef, intercept = random_problem(8, n_samples=10, n_features=1, n_classes=3)
    directions = steepest_directions(coef, intercept, X)
    return {
        "coef": coef,
        "intercept": intercept,
        "X": X,
        "y_encoded": y,
        "C": np.inf,
        "directions": directions,
        "extent": 1.0,
        "grid_size": 5,
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"X": np.ones((10, 2))}, "shapes do not fit"),
        ({"coef": np.full((3, 1), np.inf)}, "coef must hold finite numbers"),
        ({"y_encoded": np.full(10, 3)}, "y_encoded must hold integers from 0 to 2"),
        ({"y_encoded": np.zeros(9, dtype=int)}, r"y_encoded must have shape \(10,\)"),
        ({"C": -1.0}, "C must be in"),
        ({"grid_size": 2}, "grid_size must be between 3 and 201"),
        ({"grid_size": 202}, "grid_size must be between 3 and 201"),
        ({"grid_size": 5.0}, "grid_size must be an integer"),
        ({"grid_size": True}, "grid_size must be an integer"),
        ({"extent": 0.0}, "extent half-widths must be > 0"),
        ({"extent": (1.0, -2.0)}, "extent half-widths must be > 0"),
        ({"extent": (1.0, 0.0, -1.0, 1.0)}, "a_min < a_max"),
        ({"extent": (1.0, 2.0, 3.0)}, "extent must be a half-width"),
        ({"extent": np.nan}, "extent must hold finite numbers"),
        ({"directions": np.eye(2)}, "directions must be a Directions"),
        (
            {"directions": Directions(np.zeros((2, 3, 3)), np.ones(2))},
            r"directions.vectors must have shape \(2, 3, 2\)",
        ),
        (
            {"directions": Directions(np.ones((2, 3, 2)), np.ones(2))},
            "directions.vectors must be orthonormal",
        ),
        ({"max_work": 0}, "max_work must be >= 1"),
    ],
)
def test_loss_surface_rejects_bad_input(kwargs, message):
    arguments = surface_arguments()
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        loss_surface(**arguments)


def scaled_directions(factor):
    directions = surface_arguments()["directions"]
    return Directions(directions.vectors * factor, directions.eigenvalues)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"C": 0.0}, "C must be in (0.0, inf], got 0.0"),
        (
            {"directions": np.eye(2)},
            "directions must be a Directions (from steepest_directions), got ndarray",
        ),
        (
            {"directions": Directions(np.zeros((2, 6)), np.ones(2))},
            "directions.vectors must be 3-D, got shape (2, 6)",
        ),
        (
            {"directions": Directions(np.full((2, 3, 2), np.nan), np.ones(2))},
            "directions.vectors must hold finite numbers (no NaN or infinity)",
        ),
        # Unit to 1e-8: a norm off by 1e-6 (or by 20 %) is not.
        (
            {"directions": scaled_directions(1 + 1e-6)},
            "directions.vectors must be orthonormal (unit and orthogonal)",
        ),
        (
            {"directions": scaled_directions(1.2)},
            "directions.vectors must be orthonormal (unit and orthogonal)",
        ),
        (
            {"extent": (1.0, 2.0, 3.0)},
            "extent must be a half-width, (half_a, half_b) or (a_min, a_max, b_min, b_max), "
            "got 3 numbers",
        ),
    ],
)
def test_loss_surface_rejects_bad_input_with_these_words(kwargs, message):
    arguments = surface_arguments()
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=exact(message)):
        loss_surface(**arguments)


@pytest.mark.parametrize("extent", [(1.0, 1.0, -1.0, 1.0), (-1.0, 1.0, 0.5, 0.5)])
def test_loss_surface_refuses_an_extent_of_zero_width(extent):
    arguments = surface_arguments()
    arguments["extent"] = extent
    with pytest.raises(ValueError, match=re.escape("a_min < a_max and b_min < b_max")):
        loss_surface(**arguments)


# ---------------------------------------------------------------------------- grid size


@pytest.mark.parametrize(
    ("n_samples", "n_classes", "expected"),
    [(100, 3, 61), (10_000, 3, 61), (100_000, 3, 35), (100_000, 10, 19)],
)
def test_grid_size_for_default_budget(n_samples, n_classes, expected):
    assert grid_size_for(n_samples, n_classes) == expected


@given(
    n_samples=st.integers(1, 200_000),
    n_classes=st.integers(2, 10),
    max_work=st.integers(10**5, 10**10),
    largest=st.integers(3, 201),
)
@PROPERTY_SETTINGS
def test_grid_size_for_is_the_largest_odd_size_in_budget(n_samples, n_classes, max_work, largest):
    per_point = n_samples * n_classes
    if 9 * per_point > max_work:
        with pytest.raises(ValueError, match="max_work"):
            grid_size_for(n_samples, n_classes, max_work, largest)
        return
    size = grid_size_for(n_samples, n_classes, max_work, largest)
    assert size % 2 == 1 and 3 <= size <= largest
    assert size**2 * per_point <= max_work
    assert size + 2 > largest or (size + 2) ** 2 * per_point > max_work


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 3), "n_samples must be >= 1"),
        ((10, 1), "n_classes must be >= 2"),
        ((10, 3, 0), "max_work must be >= 1"),
        ((10, 3, 10**6, 2), "largest must be between 3 and 201"),
    ],
)
def test_grid_size_for_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        grid_size_for(*args)


# ---------------------------------------------------------------------------- projection


def test_project_path_known_points():
    X, _, coef, intercept = random_problem(9, n_classes=5)
    directions = steepest_directions(coef, intercept, X)
    center = np.column_stack([coef, intercept])
    thetas = np.stack([center, plane_point(center, directions, 2.0, -3.0)])
    projection = project_path(thetas, center, directions)
    np.testing.assert_allclose(projection.coords, [[0.0, 0.0], [2.0, -3.0]], atol=1e-12)
    np.testing.assert_allclose(projection.off_plane, 0.0, atol=1e-12)


def test_project_path_gives_each_point_its_own_distance_from_the_plane():
    X, _, coef, intercept = random_problem(9, n_classes=3)
    directions = steepest_directions(coef, intercept, X)
    center = np.column_stack([coef, intercept])
    flat = directions.vectors.reshape(2, -1)
    normal = np.random.default_rng(2).normal(size=center.size)
    normal -= flat.T @ (flat @ normal)
    normal = (normal / np.linalg.norm(normal)).reshape(center.shape)
    thetas = np.stack(
        [
            plane_point(center, directions, 1.0, 2.0) + 3.0 * normal,
            plane_point(center, directions, -0.5, 0.0),
            plane_point(center, directions, 0.0, 4.0) - 0.25 * normal,
        ]
    )
    projection = project_path(thetas, center, directions)
    np.testing.assert_allclose(projection.coords, [[1.0, 2.0], [-0.5, 0.0], [0.0, 4.0]], atol=1e-12)
    assert projection.off_plane.shape == (3,)
    np.testing.assert_allclose(projection.off_plane, [3.0, 0.0, 0.25], atol=1e-12)


@given(
    alpha=st.floats(-10, 10),
    beta=st.floats(-10, 10),
    seed=st.integers(0, 2**32 - 1),
    distance=st.floats(0, 10),
)
@PROPERTY_SETTINGS
def test_project_path_recovers_coordinates_and_distance_from_the_plane(alpha, beta, seed, distance):
    X, _, coef, intercept = random_problem(seed % 1000, n_samples=15, n_classes=3)
    directions = steepest_directions(coef, intercept, X)
    center = np.column_stack([coef, intercept])
    # A random offset orthogonal to the plane, of the given length.
    flat = directions.vectors.reshape(2, -1)
    offset = np.random.default_rng(seed).normal(size=center.size)
    offset -= flat.T @ (flat @ offset)
    offset *= distance / np.linalg.norm(offset)
    theta = plane_point(center, directions, alpha, beta) + offset.reshape(center.shape)
    projection = project_path(theta[None], center, directions)
    np.testing.assert_allclose(projection.coords, [[alpha, beta]], atol=1e-10)
    np.testing.assert_allclose(projection.off_plane, [distance], atol=1e-10)


@pytest.mark.parametrize(
    ("thetas", "center", "message"),
    [
        (np.zeros((3, 2)), np.zeros((3, 2)), "thetas must be 3-D"),
        (np.zeros((4, 3, 3)), np.zeros((3, 2)), r"thetas must have shape \(n_points, \*\(3, 2\)"),
        (np.zeros((4, 3, 2)), np.zeros(6), "center must be 2-D"),
        (np.full((4, 3, 2), np.nan), np.zeros((3, 2)), "thetas must hold finite numbers"),
        (np.zeros((4, 2, 2)), np.zeros((2, 2)), r"directions.vectors must have shape"),
    ],
)
def test_project_path_rejects_bad_input(thetas, center, message):
    X, _, coef, intercept = random_problem(1, n_features=1, n_classes=3)
    directions = steepest_directions(coef, intercept, X)
    with pytest.raises(ValueError, match=message):
        project_path(thetas, center, directions)


# ---------------------------------------------------------------------------- extents


def test_extent_for_adds_the_margin_around_path_optimum_and_centre():
    points = np.array([[1.0, 1.0], [3.0, 2.0]])
    a_min, a_max, b_min, b_max = extent_for(points, np.array([-1.0, 1.5]), margin=0.25)
    # a spans [-1, 3] (width 4), b spans [0, 2] (the centre's 0 included, width 2).
    assert (a_min, a_max) == pytest.approx((-2.0, 4.0))
    assert (b_min, b_max) == pytest.approx((-0.5, 2.5))


def test_extent_for_default_margin_is_15_percent_of_each_span():
    # a spans [0, 3] and b [0, 2] (the centre included): 0.15 of each added on both sides.
    bounds = extent_for(np.array([[1.0, 1.0], [3.0, 2.0]]))
    assert bounds == pytest.approx((-0.45, 3.45, -0.3, 2.3), abs=1e-12)


def test_extent_for_widens_a_narrow_axis_to_the_minimum():
    assert extent_for(np.zeros((1, 2))) == pytest.approx((-1.0, 1.0, -1.0, 1.0))
    bounds = extent_for(np.array([[4.0, 0.1]]), margin=0.0, minimum=(0.5, 2.0))
    assert bounds == pytest.approx((0.0, 4.0, 0.05 - 2.0, 0.05 + 2.0))


@given(
    points=arrays(
        np.float64, st.tuples(st.integers(1, 20), st.just(2)), elements=st.floats(-1e3, 1e3)
    ),
    optimum=arrays(np.float64, 2, elements=st.floats(-1e3, 1e3)),
    margin=st.floats(0, 1),
    minimum=st.floats(1e-3, 10),
)
@PROPERTY_SETTINGS
def test_extent_for_contains_everything_with_margin(points, optimum, margin, minimum):
    a_min, a_max, b_min, b_max = extent_for(points, optimum, margin=margin, minimum=minimum)
    everything = np.vstack([points, optimum, np.zeros(2)])
    low, high = everything.min(axis=0), everything.max(axis=0)
    pad = margin * (high - low) - 1e-9 * (1 + np.abs(everything).max())
    assert a_min <= low[0] - pad[0] and a_max >= high[0] + pad[0]
    assert b_min <= low[1] - pad[1] and b_max >= high[1] + pad[1]
    assert a_max - a_min >= 2 * minimum * (1 - 1e-12)
    assert b_max - b_min >= 2 * minimum * (1 - 1e-12)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((np.zeros((3, 3)),), {}, r"points must have shape \(n_points, 2\)"),
        ((np.zeros(2),), {}, "points must be 2-D"),
        ((np.zeros((3, 2)), np.zeros(3)), {}, r"optimum must have shape \(2,\)"),
        ((np.zeros((3, 2)),), {"margin": -0.1}, "margin must be in"),
        ((np.zeros((3, 2)),), {"minimum": 0.0}, "minimum must be one or two numbers > 0"),
        ((np.zeros((3, 2)),), {"minimum": (1, 2, 3)}, "minimum must be one or two numbers"),
    ],
)
def test_extent_for_rejects_bad_input(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        extent_for(*args, **kwargs)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((np.zeros((3, 2)), np.zeros((1, 2))), {}, "optimum must be 1-D, got shape (1, 2)"),
        (
            (np.zeros((3, 2)), np.array([0.0, np.inf])),
            {},
            "optimum must hold finite numbers (no NaN or infinity)",
        ),
        (
            (np.zeros((3, 2)),),
            {"minimum": np.nan},
            "minimum must hold finite numbers (no NaN or infinity)",
        ),
    ],
)
def test_extent_for_names_the_bad_argument(args, kwargs, message):
    with pytest.raises(ValueError, match=exact(message)):
        extent_for(*args, **kwargs)


# ---------------------------------------------------------------------------- properties


@st.composite
def problems(draw):
    """A random small problem ``(X, y, coef, intercept, C)`` with moderate values."""
    n_samples = draw(st.integers(1, 30))
    n_features = draw(st.integers(1, 2))
    n_classes = draw(st.integers(2, 6))
    values = st.floats(-3, 3, allow_nan=False, allow_infinity=False)
    X = draw(arrays(np.float64, (n_samples, n_features), elements=values))
    y = draw(arrays(np.int64, n_samples, elements=st.integers(0, n_classes - 1)))
    coef = draw(arrays(np.float64, (n_classes, n_features), elements=values))
    intercept = draw(arrays(np.float64, n_classes, elements=values))
    C = draw(st.sampled_from(PENALTIES))
    return X, y, coef, intercept, C


@given(problem=problems())
@PROPERTY_SETTINGS
def test_properties_on_random_problems(problem):
    X, y, coef, intercept, C = problem
    theta = np.column_stack([coef, intercept])
    directions = steepest_directions(coef, intercept, X, C)
    check_directions_against_reference(directions, theta, X, y, C)
    surface = loss_surface(coef, intercept, X, y, C, directions, (0.7, 1.3), grid_size=5)
    assert surface.center_loss == pytest.approx(naive_objective(theta, X, y, C), rel=1e-12)
    assert surface.loss[2, 2] == pytest.approx(surface.center_loss, rel=1e-12)
    corner = plane_point(theta, directions, surface.a[-1], surface.b[0])
    assert surface.loss[0, -1] == pytest.approx(naive_objective(corner, X, y, C), rel=1e-10)
