"""The cost model of one iteration (``softmax_core.iteration_cost``) against measured times.

Run from the repository root (Linux): ``python benchmarks/bench_cost.py`` (about 2 minutes),
or ``python benchmarks/bench_cost.py --fit`` to fit the constants again.

For every solver (``gd``, ``nesterov``, ``newton``, ``sgd`` with batches of 10 and 100) and
every size with n in 100, 300, ..., 100,000, k in 2, 3, 5, 10 and d in 1, 2 (blobs around
k random centres, ``C = 1``), the time of one iteration is measured through the app's call,
``model.step(TrainingData, n_steps)``: after one warm-up step, the time per step of
``n_steps`` steps (a run takes about ``RUN_SECONDS``), the minimum over ``REPEATS`` rounds
that run every case of one n in turn. The BLAS is limited to one thread
(``threadpoolctl``): on two shared cores its threads made eigendecompositions of 30 x 30
matrices 300 times slower (24 ms instead of 84 us), which no cost model of the operations
can follow.

It prints, per solver, the seconds per flop-equivalent (measured time / estimate) at each
size, their spread (the largest over the smallest ratio, all solvers and sizes together:
the estimate tracks time within that factor), and the median, ``SECONDS_PER_FLOP``.

``--fit`` fits the constants of ``COST_CONSTANTS`` by non-negative least squares on the
relative error: time = tau * (flops + sum_j c_j * count_j), linear in tau and tau * c_j,
each measurement weighted by 1 / time. It prints the constants to paste into
``softmax_core/solvers.py`` and the spread they give.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scipy.optimize import nnls
from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

from softmax_core import SoftmaxRegression, TrainingData, iteration_cost
from softmax_core.solvers import COST_CONSTANTS, SECONDS_PER_FLOP, cost_terms

SIZES_N = (100, 300, 1000, 3000, 10_000, 30_000, 100_000)
SIZES_K = (2, 3, 5, 10)
SIZES_D = (1, 2)
CASES = (("gd", None), ("nesterov", None), ("newton", None), ("sgd", 10), ("sgd", 100))
REPEATS = 5
RUN_SECONDS = 0.02


def blobs(n: int, k: int, d: int, seed: int = 0) -> TrainingData:
    """``n`` points around ``k`` random centres in ``d`` dimensions, every class present."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(k, d))
    y = np.arange(n) % k
    X = centres[y] + rng.normal(size=(n, d))
    return TrainingData(X, y)


def seconds_per_iteration(
    solver: str, batch_size: int | None, data: TrainingData, n_classes: int
) -> float:
    """One run's time per step (after one warm-up step)."""
    params = {"solver": solver, "C": 1.0, "tol": 0.0, "max_iter": 10**9}
    if batch_size is not None:
        params.update(batch_size=batch_size, random_state=0)
    estimate = iteration_cost(solver, data.n_samples, data.n_features, n_classes, batch_size)
    n_steps = max(2, min(200, int(RUN_SECONDS / (estimate * SECONDS_PER_FLOP))))
    model = SoftmaxRegression(**params).step(data, 1)
    start = time.perf_counter()
    model.step(data, n_steps)
    return (time.perf_counter() - start) / n_steps


def measure() -> list[tuple[str, int | None, int, int, int, float]]:
    """Per size n: the runs of all its cases in turn, REPEATS rounds, the minimum of each
    (so that a slow spell of the machine hits every case of a round alike)."""
    rows = []
    for n in SIZES_N:
        cases = [
            (solver, batch_size, k, d, blobs(n, k, d))
            for k in SIZES_K
            for d in SIZES_D
            for solver, batch_size in CASES
        ]
        best = [math.inf] * len(cases)
        for _ in range(REPEATS):
            for i, (solver, batch_size, k, _d, data) in enumerate(cases):
                best[i] = min(best[i], seconds_per_iteration(solver, batch_size, data, k))
        for (solver, batch_size, k, d, _), seconds in zip(cases, best, strict=True):
            rows.append((solver, batch_size, n, k, d, seconds))
        print(f"  measured n = {n:,} (load {os.getloadavg()[0]:.1f})", flush=True)
    return rows


def spread(ratios: list[float]) -> float:
    return max(ratios) / min(ratios)


def report(rows, estimate) -> None:
    ratios = [seconds / estimate(row) for row in rows for seconds in [row[-1]]]
    for solver, batch_size in CASES:
        name = solver if batch_size is None else f"{solver} b={batch_size}"
        mine = [r for r, row in zip(ratios, rows, strict=True) if row[:2] == (solver, batch_size)]
        print(
            f"  {name:>10}: s/flop median {statistics.median(mine):.3g}, "
            f"min {min(mine):.3g}, max {max(mine):.3g}"
        )
    worst = [(ratio, row) for ratio, row in zip(ratios, rows, strict=True)]
    low, high = min(worst), max(worst)
    print(f"  seconds per flop-equivalent: median {statistics.median(ratios):.3g}")
    print(f"  spread (max / min over all solvers and sizes): {spread(ratios):.2f}")
    print(f"    fastest per flop: {low[1][:5]}, slowest: {high[1][:5]}")
    print("  largest ratios to the median, by solver and n (k, d at their worst):")
    median = statistics.median(ratios)
    for solver, batch_size in CASES:
        cells = []
        for n in SIZES_N:
            mine = [
                r / median
                for r, row in zip(ratios, rows, strict=True)
                if row[:3] == (solver, batch_size, n)
            ]
            cells.append(f"{max(mine, key=lambda x: abs(math.log(x))):5.2f}")
        name = solver if batch_size is None else f"{solver} b={batch_size}"
        print(f"  {name:>10}: " + " ".join(cells))


def model_estimate(row) -> float:
    solver, batch_size, n, k, d, _ = row
    return iteration_cost(solver, n, d, k, batch_size)


def fit(rows) -> dict[str, float]:
    names = list(COST_CONSTANTS)
    design, target = [], []
    for solver, batch_size, n, k, d, seconds in rows:
        terms = cost_terms(solver, n, d, k, batch_size or 1)
        design.append([terms["flops"]] + [terms[name] for name in names])
        target.append(seconds)
    design, target = np.array(design), np.array(target)
    coefficients, _ = nnls(design / target[:, None], np.ones(len(target)))
    tau = coefficients[0]
    return {"tau": tau, **{name: c / tau for name, c in zip(names, coefficients[1:], strict=True)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="fit COST_CONSTANTS again")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()}, {os.cpu_count()} CPUs; BLAS on 1 thread")
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning-free: step() does not warn
        rows = measure()
    print("\nThe constants in softmax_core/solvers.py:")
    report(rows, model_estimate)
    if args.fit:
        fitted = fit(rows)
        tau = fitted.pop("tau")
        print(f"\nFitted: seconds per flop {tau:.3g}")
        for name, value in fitted.items():
            print(f'    "{name}": {value:.3g},')

        def fitted_estimate(row) -> float:
            solver, batch_size, n, k, d, _ = row
            terms = cost_terms(solver, n, d, k, batch_size or 1)
            return terms["flops"] + sum(v * terms[name] for name, v in fitted.items())

        report(rows, fitted_estimate)


if __name__ == "__main__":
    main()
