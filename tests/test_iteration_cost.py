"""Tests of ``iteration_cost``, the estimated work of one iteration: its structure, not its
calibration. Times are not asserted here (two shared cores make them swing by 2x); the
measured times against the estimate are printed by ``benchmarks/bench_cost.py``.

- Nesterov evaluates twice per step, gd once: exactly twice the cost.
- Every solver's cost grows with n, k and d; for large n it is linear in n.
- Newton's cost per sample grows with ``m^2``, ``m = k (d + 1)`` (the Hessian's ``A A^T``),
  and its fixed cost with ``m^3`` (the eigendecomposition); gd's per sample only with ``k``.
- SGD costs a full evaluation plus one on the batch: more than gd, growing with the batch;
  a batch of ``n`` or more is gd.
- The terms of ``cost_terms`` add up to the estimate, and the counted flops are those of
  the products the code performs.
- Bad arguments raise scikit-learn's ``InvalidParameterError`` (a ValueError).
"""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softmax_core import ALL_SOLVERS, iteration_cost
from softmax_core.solvers import COST_CONSTANTS, DEFAULT_BATCH_SIZE, cost_terms

SIZES = st.tuples(st.integers(1, 10**6), st.integers(1, 50), st.integers(2, 30))
PROPERTY = settings(max_examples=100, deadline=None)


def cost(solver, n, d, k, batch_size=None):
    return iteration_cost(solver, n, d, k, batch_size)


def per_sample(solver, d, k, n=10**6, batch_size=None):
    """The cost's growth per sample, measured between n and 2n."""
    return (cost(solver, 2 * n, d, k, batch_size) - cost(solver, n, d, k, batch_size)) / n


@PROPERTY
@given(SIZES)
def test_property_nesterov_is_two_gradient_evaluations(size):
    n, d, k = size
    assert cost("nesterov", n, d, k) == pytest.approx(2 * cost("gd", n, d, k), rel=1e-12)


@PROPERTY
@given(SIZES, st.sampled_from(ALL_SOLVERS), st.integers(1, 1000))
def test_property_more_samples_features_or_classes_cost_more(size, solver, batch_size):
    n, d, k = size
    here = cost(solver, n, d, k, batch_size)
    assert here > 0
    assert cost(solver, n + 1, d, k, batch_size) >= here
    assert cost(solver, n, d + 1, k, batch_size) > here
    assert cost(solver, n, d, k + 1, batch_size) > here


@pytest.mark.parametrize("solver", ["gd", "nesterov", "newton"])
def test_for_large_n_the_cost_is_linear_in_n(solver):
    small, large = cost(solver, 10**6, 2, 5), cost(solver, 10**7, 2, 5)
    assert large / small == pytest.approx(10, rel=1e-2)
    # ... and at small n the fixed costs dominate: 10 times the data cost less than 10x.
    assert cost(solver, 1000, 2, 5) / cost(solver, 100, 2, 5) < 5


def test_newton_per_sample_grows_with_the_square_of_the_parameters():
    """Per sample, Newton forms ``A A^T``: at least ``2 m^2`` flops, and the rest (its
    scores, the blocks, one evaluation) grows only with m; gd's grows with k (d + 1)."""
    for k, d in [(2, 1), (3, 2), (10, 1), (10, 2), (30, 5)]:
        m = k * (d + 1)
        newton, gd = per_sample("newton", d, k), per_sample("gd", d, k)
        assert (
            2 * m * m
            <= newton - gd
            <= 2 * m * m
            + m * (2 * (d + 1) + 2)
            + k * (COST_CONSTANTS["SOFTMAX_FLOPS"] + 2 * (d + 1))
        )
        assert gd == pytest.approx(k * (4 * (d + 1) + COST_CONSTANTS["SOFTMAX_FLOPS"]))
    # Doubling a large m (k 50 -> 100, d = 2): Newton's extra per sample nearly quadruples.
    ratio = (per_sample("newton", 2, 100) - per_sample("gd", 2, 100)) / (
        per_sample("newton", 2, 50) - per_sample("gd", 2, 50)
    )
    assert 3.7 < ratio < 4.0


def test_newton_fixed_cost_grows_with_the_cube_of_the_parameters():
    """At one sample the eigendecomposition dominates large m."""
    one = [cost("newton", 1, 9, k) for k in (10, 20)]  # m = 100, 200
    assert 7.0 < (one[1] - cost("gd", 1, 9, 20)) / (one[0] - cost("gd", 1, 9, 10)) < 8.0


@PROPERTY
@given(SIZES, st.integers(1, 2000))
def test_property_sgd_is_a_batch_evaluation_on_top_of_gd(size, batch_size):
    n, d, k = size
    sgd, gd = cost("sgd", n, d, k, batch_size), cost("gd", n, d, k)
    if batch_size >= n:
        assert sgd == gd  # a full batch is gd
    else:
        assert sgd > gd
        assert sgd - gd >= cost("gd", batch_size, d, k)  # a batch evaluation and more
        if batch_size + 1 < n:
            assert cost("sgd", n, d, k, batch_size + 1) > sgd


def test_sgd_defaults_to_the_estimators_batch_size():
    assert DEFAULT_BATCH_SIZE == 32
    assert cost("sgd", 1000, 2, 3) == cost("sgd", 1000, 2, 3, 32)
    assert cost("gd", 1000, 2, 3, 7) == cost("gd", 1000, 2, 3)  # ignored by the others


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_the_terms_add_up_to_the_estimate(solver):
    terms = cost_terms(solver, 5000, 2, 4, 50)
    total = terms["flops"] + sum(COST_CONSTANTS[name] * terms[name] for name in COST_CONSTANTS)
    assert total == iteration_cost(solver, 5000, 2, 4, 50)
    assert set(terms) == {"flops", *COST_CONSTANTS}


def test_the_counted_flops_are_the_products_of_the_code():
    n, d, k = 1000, 2, 4
    m = k * (d + 1)
    # gd: theta [X | 1]^T and (P - Y) [X | 1], n k (d + 1) multiply-adds each.
    assert cost_terms("gd", n, d, k, 1)["flops"] == 2 * 2 * n * k * (d + 1)
    assert cost_terms("nesterov", n, d, k, 1)["flops"] == 2 * 4 * n * k * (d + 1)
    # newton: the line search's evaluation, the Hessian's scores (n k (d + 1)
    # multiply-adds), A = p_a x~ (n m products), A A^T (n m^2 multiply-adds), the
    # diagonal blocks (n k (d + 1)^2 multiply-adds).
    newton = cost_terms("newton", n, d, k, 1)
    assert (
        newton["flops"] == 4 * n * m + 2 * n * m + n * m + 2 * n * m * m + 2 * n * k * (d + 1) ** 2
    )
    assert newton["EIGH_FLOPS"] == m**3
    # sgd: the two evaluations, on 10 and on n samples.
    assert cost_terms("sgd", n, d, k, 10)["flops"] == 4 * (10 + n) * k * (d + 1)
    assert cost_terms("sgd", n, d, k, 10)["EVALUATION_OVERHEAD_FLOPS"] == 2


def message(name, allowed, value):
    return f"The {name!r} parameter of iteration_cost must be {allowed}. Got {value!r} instead."


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("gd", 0, 1, 2), message("n_samples", "an int in the range [1, inf)", 0)),
        (("gd", 10.0, 1, 2), message("n_samples", "an int in the range [1, inf)", 10.0)),
        (("gd", 10, True, 2), message("n_features", "an int in the range [1, inf)", True)),
        (("gd", 10, 1, 1), message("n_classes", "an int in the range [2, inf)", 1)),
        (("sgd", 10, 1, 2, 0), message("batch_size", "an int in the range [1, inf) or None", 0)),
        (("lbfgs", 10, 1, 2), "The 'solver' parameter of iteration_cost must be a str among"),
    ],
)
def test_bad_arguments_raise_a_clear_value_error(args, expected):
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}"):
        iteration_cost(*args)
