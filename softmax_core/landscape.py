"""The loss landscape: the objective on a plane through the current parameters.

The app draws ``J`` as a contour plot over the plane ``theta(a, b) = center + a u1 + b u2``,
with the run's path projected onto it. The directions are computed once, at the optimum, so
that the picture's axes stay put while the user steps: either the two steepest directions
(the eigenvectors of the Hessian with the largest eigenvalues, :func:`steepest_directions`),
or the steepest one and the direction from the optimum back to where training started
(:func:`steepest_and_start`). Gradient descent removes the steep components of its error in
a few steps and then travels along flat directions, which the first plane does not contain;
the second contains the start and the optimum, so it shows the whole journey.

Shape conventions: parameters are stacked as ``theta = [W | b]``, shape
``(n_classes, n_features + 1)``, ``coef`` with ``intercept`` as a last column (the order of
:func:`~softmax_core.functions.hessian`); a direction has that shape too, and a path is
``(n_points, n_classes, n_features + 1)``. Plane coordinates are ``(a, b)`` pairs.

The parametrisation is symmetric: adding the same vector to every class row changes no
probability, so the Hessian is singular along these class-constant directions, and a
gradient-descent path started at zero never leaves the orthogonal subspace of parameters
that sum to zero over the classes. The directions are taken from that subspace.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._checks import check_array, check_int, check_labels, check_real
from .functions import _check_parameters, hessian, l2_strength, zero_sum_basis

MIN_GRID_SIZE = 3
MAX_GRID_SIZE = 201
DEFAULT_GRID_SIZE = 61  # odd, so that a symmetric grid has the centre as a grid point
# grid_size^2 * n_samples * n_classes: 60 x 60 at 100,000 points and 3 classes is 1.1e9
# (about 2 s on one core); this default bounds a surface to about 0.8 s.
MAX_WORK = 400_000_000
# Scores are evaluated in blocks of at most this many floats (2 MB): memory stays bounded,
# and blocks that fit in cache run about twice as fast as blocks of millions.
_CHUNK_FLOATS = 2**18
# Orthonormality tolerance for directions handed back in by a caller.
_ORTHONORMAL_TOL = 1e-8


class Directions(NamedTuple):
    """Two orthonormal directions in parameter space and the curvature along each."""

    vectors: np.ndarray  # (2, n_classes, n_features + 1): u1 = vectors[0], u2 = vectors[1]
    eigenvalues: np.ndarray  # (2,): the curvature u^T H u along each (an eigenvalue for an
    # eigenvector of the Hessian)


class Surface(NamedTuple):
    """The objective on a grid of the plane ``center + a u1 + b u2``."""

    a: np.ndarray  # (grid_size,): coordinates along u1, the x axis
    b: np.ndarray  # (grid_size,): coordinates along u2, the y axis
    loss: np.ndarray  # (grid_size, grid_size): loss[j, i] = J(center + a[i] u1 + b[j] u2)
    center_loss: float  # J at the centre itself, (a, b) = (0, 0), a grid point or not


class PathProjection(NamedTuple):
    """A path in plane coordinates, with what the projection loses."""

    coords: np.ndarray  # (n_points, 2): (<theta_t - center, u1>, <theta_t - center, u2>)
    off_plane: np.ndarray  # (n_points,): Euclidean distance of theta_t from the plane


def _fix_sign(vector: np.ndarray) -> np.ndarray:
    """Flip ``vector`` so that its largest-magnitude entry is positive.

    Of entries tied in magnitude (two classes give exact ties, rows ``u`` and ``-u``) the
    first in row-major order decides, so the picture does not flip on a rounding error.
    """
    magnitude = np.abs(vector)
    first_largest = np.flatnonzero(magnitude >= (1.0 - 1e-6) * magnitude.max())[0]
    return -vector if vector[first_largest] < 0 else vector


def steepest_directions(
    coef: np.ndarray, intercept: np.ndarray, X: np.ndarray, C: float = np.inf
) -> Directions:
    """The two steepest directions of ``J``: the Hessian's top two eigenvectors.

    Meant to be called once, at the optimum, so that the plane's axes stay fixed.

    Parameters
    ----------
    coef : ndarray of shape (n_classes, n_features)
    intercept : ndarray of shape (n_classes,)
    X : ndarray of shape (n_samples, n_features)
        The Hessian does not depend on the labels.
    C : float, default=inf
        Inverse L2 strength; ``inf`` is no penalty.

    Returns
    -------
    Directions
        ``vectors`` of shape (2, n_classes, n_features + 1): unit, mutually orthogonal,
        summing to zero over the classes; ``eigenvalues`` of shape (2,), largest first.

    Notes
    -----
    The eigenproblem is solved in an orthonormal basis of the zero-sum subspace: that is
    projecting out the class-constant directions and re-orthonormalising, done once and
    exactly, so the vectors lie in the subspace by construction. A decomposition of the full
    Hessian could mix them in where an eigenvalue of 0 ties with its class-constant null
    space, and under a penalty the class-constant ``W`` directions have curvature
    ``1 / (C n)``, which can outrank zero-sum ones far from the optimum.

    The subspace has dimension ``(n_classes - 1) * (n_features + 1) >= 2``, so a second
    direction always exists; on degenerate data (one sample, a constant feature) its
    eigenvalue may be 0 (rounding below 0 is clipped to 0). Each vector's largest-magnitude
    entry is positive (see :func:`_fix_sign`), which makes the picture deterministic.
    """
    coef, intercept, X = _check_parameters(coef, intercept, X)
    C = check_real("C", C, 0.0, low_open=True, allow_inf=True)
    n_classes, width = coef.shape[0], coef.shape[1] + 1
    basis = zero_sum_basis(n_classes, width)
    reduced = basis.T @ hessian(coef, intercept, X, C) @ basis
    eigenvalues, eigenvectors = np.linalg.eigh(0.5 * (reduced + reduced.T))
    top = basis @ eigenvectors[:, [-1, -2]]  # eigh sorts ascending
    vectors = np.stack([_fix_sign(top[:, 0]), _fix_sign(top[:, 1])])
    return Directions(vectors.reshape(2, n_classes, width), np.maximum(eigenvalues[[-1, -2]], 0.0))


def steepest_and_start(
    coef: np.ndarray,
    intercept: np.ndarray,
    X: np.ndarray,
    C: float = np.inf,
    start: np.ndarray | None = None,
) -> Directions:
    """The steepest direction of ``J`` and, orthogonal to it, the direction to the start.

    Meant to be called once, at the optimum: the plane through the optimum that these span
    contains the start (zero parameters, unless ``start`` is given) as well as the steepest
    direction, across which a too-large step zigzags.

    Parameters
    ----------
    coef, intercept, X, C
        As for :func:`steepest_directions`.
    start : ndarray of shape (n_classes, n_features + 1), optional
        Stacked parameters ``[W | b]`` where training started; zeros by default.

    Returns
    -------
    Directions
        ``u1`` the Hessian's top eigenvector and ``u2`` the part of ``start - optimum``
        orthogonal to it (in the zero-sum subspace), both unit; ``eigenvalues`` holds the
        curvature along each. If the start lies on the steepest line through the optimum
        (or at the optimum), ``u2`` is the second steepest direction instead.
    """
    steepest = steepest_directions(coef, intercept, X, C)
    n_classes, width = steepest.vectors.shape[1:]
    if start is None:
        start = np.zeros((n_classes, width))
    start = check_array("start", start, ndim=2)
    if start.shape != (n_classes, width):
        raise ValueError(f"start must have shape {(n_classes, width)}, got {start.shape}")
    basis = zero_sum_basis(n_classes, width)
    offset = start.ravel() - np.column_stack([coef, intercept]).ravel()
    offset = basis @ (basis.T @ offset)  # the zero-sum part: what training can move along
    u1 = steepest.vectors[0].ravel()
    toward = offset - (u1 @ offset) * u1
    if np.linalg.norm(toward) <= 1e-9 * max(1.0, np.linalg.norm(offset)):
        return steepest
    u2 = _fix_sign(toward / np.linalg.norm(toward))
    curvature = float(u2 @ hessian(coef, intercept, X, C) @ u2)
    vectors = np.stack([u1, u2]).reshape(2, n_classes, width)
    return Directions(vectors, np.array([steepest.eigenvalues[0], max(curvature, 0.0)]))


def _check_directions(directions: object, shape: tuple[int, int]) -> np.ndarray:
    """Return the ``(2, *shape)`` vectors of ``directions`` if they are orthonormal."""
    if not isinstance(directions, Directions):
        raise ValueError(
            f"directions must be a Directions (from steepest_directions), got "
            f"{type(directions).__name__}"
        )
    vectors = check_array("directions.vectors", directions.vectors, ndim=3)
    if vectors.shape != (2, *shape):
        raise ValueError(
            f"directions.vectors must have shape {(2, *shape)} to fit the parameters, got "
            f"{vectors.shape}"
        )
    flat = vectors.reshape(2, -1)
    if not np.allclose(flat @ flat.T, np.eye(2), rtol=0.0, atol=_ORTHONORMAL_TOL):
        raise ValueError("directions.vectors must be orthonormal (unit and orthogonal)")
    return vectors


def _check_extent(extent: object) -> tuple[float, float, float, float]:
    """Normalise ``extent`` to ``(a_min, a_max, b_min, b_max)``."""
    values = check_array("extent", extent).ravel()
    if values.size == 1:
        values = np.repeat(values, 2)
    if values.size == 2:
        if np.any(values <= 0):
            raise ValueError(f"extent half-widths must be > 0, got {values.tolist()}")
        values = np.array([-values[0], values[0], -values[1], values[1]])
    if values.size != 4:
        raise ValueError(
            "extent must be a half-width, (half_a, half_b) or (a_min, a_max, b_min, b_max), "
            f"got {values.size} numbers"
        )
    if values[0] >= values[1] or values[2] >= values[3]:
        raise ValueError(f"extent must have a_min < a_max and b_min < b_max, got {values}")
    a_min, a_max, b_min, b_max = (float(value) for value in values)
    return a_min, a_max, b_min, b_max


def grid_size_for(
    n_samples: int,
    n_classes: int,
    max_work: int = MAX_WORK,
    largest: int = DEFAULT_GRID_SIZE,
) -> int:
    """The largest odd grid size, at most ``largest``, whose surface fits ``max_work``.

    The work of :func:`loss_surface` is ``grid_size^2 * n_samples * n_classes`` score
    evaluations. Raises ``ValueError`` if even a 3 x 3 grid does not fit.
    """
    n_samples = check_int("n_samples", n_samples, 1)
    n_classes = check_int("n_classes", n_classes, 2)
    max_work = check_int("max_work", max_work, 1)
    largest = check_int("largest", largest, MIN_GRID_SIZE, MAX_GRID_SIZE)
    size = min(math.isqrt(max_work // (n_samples * n_classes)), largest)
    size -= 1 - size % 2  # odd: a symmetric grid then has its centre as a grid point
    if size < MIN_GRID_SIZE:
        raise ValueError(
            f"max_work={max_work:,} is too small for a {MIN_GRID_SIZE} x {MIN_GRID_SIZE} grid "
            f"over {n_samples:,} samples and {n_classes} classes"
        )
    return size


def _log_normaliser_sums(
    center_scores: np.ndarray,
    scores_1: np.ndarray,
    scores_2: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
) -> np.ndarray:
    """``sum_i logsumexp_c(z_ci + a s1_ci + b s2_ci)`` for each offset pair, shape (m,).

    The scores are class-major ``(n_classes, n_samples)``, so that the reductions over the
    few classes run along long contiguous rows. Blocks of samples and of offsets keep every
    temporary within ``_CHUNK_FLOATS``.
    """
    n_classes, n_samples = center_scores.shape
    sample_block = max(1, min(n_samples, _CHUNK_FLOATS // n_classes))
    totals = np.zeros(a.shape[0])
    for start in range(0, n_samples, sample_block):
        cols = slice(start, start + sample_block)
        z0, s1, s2 = center_scores[:, cols], scores_1[:, cols], scores_2[:, cols]
        offset_block = max(1, _CHUNK_FLOATS // z0.size)
        for first in range(0, a.shape[0], offset_block):
            rows = slice(first, first + offset_block)
            # 0 * s1 + z0 + 0 * s2 is z0 exactly: the centre's value is not perturbed.
            scores = a[rows, None, None] * s1  # (m, n_classes, block)
            scores += z0
            scores += b[rows, None, None] * s2
            top = scores.max(axis=1)
            scores -= top[:, None, :]  # the log-sum-exp shift: every exponent <= 0
            normaliser = np.exp(scores, out=scores).sum(axis=1)
            normaliser = np.log(normaliser, out=normaliser)
            normaliser += top
            totals[rows] += normaliser.sum(axis=1)
    return totals


def loss_surface(
    coef: np.ndarray,
    intercept: np.ndarray,
    X: np.ndarray,
    y_encoded: np.ndarray,
    C: float,
    directions: Directions,
    extent: float | tuple[float, ...],
    grid_size: int | None = None,
    *,
    max_work: int = MAX_WORK,
) -> Surface:
    """``J`` on a grid of the plane through ``(coef, intercept)`` spanned by ``directions``.

    The value at ``(a, b)`` is ``J(center + a u1 + b u2)``, evaluated exactly (no quadratic
    model): the scores are linear along the plane, ``z_i(a, b) = z_i + a u1 x~_i + b u2 x~_i``
    with ``x~ = [x, 1]``, so three score tables give every grid point, each then through a
    stable log-sum-exp.

    Parameters
    ----------
    coef : ndarray of shape (n_classes, n_features)
        The centre (the current parameters), with ``intercept``.
    intercept : ndarray of shape (n_classes,)
    X : ndarray of shape (n_samples, n_features)
    y_encoded : ndarray of shape (n_samples,)
        Labels in ``0 .. n_classes - 1``.
    C : float
        Inverse L2 strength; ``inf`` is no penalty.
    directions : Directions
        From :func:`steepest_directions`, orthonormal, of shape (2, n_classes, n_features + 1).
    extent : float, (half_a, half_b) or (a_min, a_max, b_min, b_max)
        The grid's range: ``[-extent, extent]`` on both axes, a half-width per axis, or
        bounds (see :func:`extent_for`).
    grid_size : int or None, default=None
        Points per axis, 3 to 201; ``None`` is :func:`grid_size_for` the data within
        ``max_work``. Odd with a symmetric extent puts the centre on the grid.
    max_work : int, default=MAX_WORK
        Bound on ``grid_size^2 * n_samples * n_classes``; exceeding it raises ``ValueError``.

    Returns
    -------
    Surface
        ``a`` and ``b`` of shape (grid_size,); ``loss`` of shape (grid_size, grid_size) with
        rows following ``b`` and columns following ``a`` (``loss[j, i]`` is at
        ``(a[i], b[j])``), as Plotly's ``go.Contour(x=a, y=b, z=loss)`` wants ``z[y][x]``;
        ``center_loss``, ``J`` at the centre.
    """
    coef, intercept, X = _check_parameters(coef, intercept, X)
    n_samples, n_classes = X.shape[0], coef.shape[0]
    y_encoded = check_labels("y_encoded", y_encoded, n_classes, n_samples)
    C = check_real("C", C, 0.0, low_open=True, allow_inf=True)
    vectors = _check_directions(directions, (n_classes, coef.shape[1] + 1))
    a_min, a_max, b_min, b_max = _check_extent(extent)
    max_work = check_int("max_work", max_work, 1)
    if grid_size is None:
        grid_size = grid_size_for(n_samples, n_classes, max_work)
    grid_size = check_int("grid_size", grid_size, MIN_GRID_SIZE, MAX_GRID_SIZE)
    work = grid_size**2 * n_samples * n_classes
    if work > max_work:
        raise ValueError(
            f"grid_size={grid_size} needs {work:,} score evaluations over {n_samples:,} "
            f"samples, more than max_work={max_work:,}; see grid_size_for"
        )

    a = np.linspace(a_min, a_max, grid_size)
    b = np.linspace(b_min, b_max, grid_size)
    # Offsets of every grid point plus the centre itself, row by row (b outer, a inner).
    a_all = np.append(np.tile(a, grid_size), 0.0)
    b_all = np.append(np.repeat(b, grid_size), 0.0)

    X_aug = np.column_stack([X, np.ones(n_samples)])
    center = np.column_stack([coef, intercept])
    center_scores = center @ X_aug.T  # (n_classes, n_samples)
    scores_1, scores_2 = vectors @ X_aug.T
    # The true-class score is linear along the plane: three means give all of it.
    samples = np.arange(n_samples)
    true_0, true_1, true_2 = (
        np.mean(table[y_encoded, samples]) for table in (center_scores, scores_1, scores_2)
    )
    data_term = _log_normaliser_sums(center_scores, scores_1, scores_2, a_all, b_all) / n_samples
    data_term -= true_0 + a_all * true_1 + b_all * true_2
    # Cross-entropy >= 0; on separable data the difference above rounds to -1e-13.
    np.maximum(data_term, 0.0, out=data_term)

    alpha = l2_strength(C, n_samples)
    if alpha:
        grid_coef = (
            center[None, :, :-1]
            + a_all[:, None, None] * vectors[0, :, :-1]
            + b_all[:, None, None] * vectors[1, :, :-1]
        )
        data_term += 0.5 * alpha * np.sum(grid_coef**2, axis=(1, 2))
    loss = data_term[:-1].reshape(grid_size, grid_size)
    return Surface(a, b, loss, float(data_term[-1]))


def project_path(thetas: np.ndarray, center: np.ndarray, directions: Directions) -> PathProjection:
    """Coordinates of stacked parameters in the plane through ``center``.

    Parameters
    ----------
    thetas : ndarray of shape (n_points, n_classes, n_features + 1)
        The path, stacked ``[W | b]`` per point.
    center : ndarray of shape (n_classes, n_features + 1)
        The plane's origin (the current parameters, which project to ``(0, 0)``).
    directions : Directions
        Orthonormal, from :func:`steepest_directions`.

    Returns
    -------
    PathProjection
        ``coords`` of shape (n_points, 2), ``<theta_t - center, u_i>``; ``off_plane`` of
        shape (n_points,), the distance from the plane that the projection drops. The path
        lies in the plane only approximately: the picture is faithful where ``off_plane`` is
        small next to the path's extent in the plane.
    """
    center = check_array("center", center, ndim=2)
    thetas = check_array("thetas", thetas, ndim=3)
    if thetas.shape[1:] != center.shape:
        raise ValueError(
            f"thetas must have shape (n_points, *{center.shape}) to fit center, got {thetas.shape}"
        )
    vectors = _check_directions(directions, center.shape)
    offsets = (thetas - center).reshape(thetas.shape[0], -1)
    coords = offsets @ vectors.reshape(2, -1).T
    residual = offsets - coords @ vectors.reshape(2, -1)
    return PathProjection(coords, np.linalg.norm(residual, axis=1))


def extent_for(
    points: np.ndarray,
    optimum: np.ndarray | None = None,
    *,
    margin: float = 0.15,
    minimum: float | tuple[float, float] = 1.0,
) -> tuple[float, float, float, float]:
    """Bounds ``(a_min, a_max, b_min, b_max)`` that show the path, the optimum and the centre.

    The box around the points, the optimum and the origin (the centre) grows by ``margin``
    times its width on each side; an axis narrower than ``2 * minimum`` is widened to that
    about its middle (a path of one point at the optimum still gets a picture).

    Parameters
    ----------
    points : ndarray of shape (n_points, 2)
        Plane coordinates, e.g. :func:`project_path`'s ``coords``.
    optimum : ndarray of shape (2,), optional
        The optimum's plane coordinates.
    margin : float, default=0.15
        Fraction of each axis's span added on both sides, >= 0.
    minimum : float or (float, float), default=1.0
        Smallest half-width per axis, > 0. ``1 / sqrt(eigenvalue)`` is a natural scale: there
        the quadratic model of ``J`` rises by 1/2.

    Returns
    -------
    tuple of 4 floats
        For :func:`loss_surface`'s ``extent``.
    """
    points = check_array("points", points, ndim=2)
    if points.shape[1] != 2:
        raise ValueError(f"points must have shape (n_points, 2), got {points.shape}")
    if optimum is not None:
        optimum = check_array("optimum", optimum, ndim=1)
        if optimum.shape != (2,):
            raise ValueError(f"optimum must have shape (2,), got {optimum.shape}")
        points = np.vstack([points, optimum])
    margin = check_real("margin", margin, 0.0)
    smallest = check_array("minimum", minimum).ravel()
    if smallest.size not in (1, 2) or np.any(smallest <= 0):
        raise ValueError(f"minimum must be one or two numbers > 0, got {smallest.tolist()}")
    low = np.minimum(points.min(axis=0), 0.0)
    high = np.maximum(points.max(axis=0), 0.0)
    middle = 0.5 * (low + high)
    half = np.maximum((0.5 + margin) * (high - low), smallest)
    a_min, b_min = (float(value) for value in middle - half)
    a_max, b_max = (float(value) for value in middle + half)
    return a_min, a_max, b_min, b_max
