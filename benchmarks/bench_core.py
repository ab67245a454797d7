"""Benchmarks of ``softmax_core`` against the seed note's code and scikit-learn.

Run from the repository root: ``python benchmarks/bench_core.py`` (20-40 s on 2 cores).

(a) One gradient step (objective + gradient + parameter update), d=2 features, k=3 classes,
    float64, ``make_noisy_blobs(n, random_state=0)``, n = 10^5 and 10^6.
    Baseline: the seed note's ``MySoftmaxRegression.fit`` loop (verbatim in
    ``tests/seed_reference.py``; two ``np.eye`` one-hots per iteration, nothing
    precomputed), timed as ``fit(max_iter=m, tol=0) / m``. Against it:
    ``objective_gradient_kn(..., seed_order=False)`` (the default path) and
    ``seed_order=True`` (used above the stable learning-rate limit), each plus the update
    of the stacked parameters ``[coef | intercept]``, on the data laid out once by
    ``kernel_data`` (with its work buffers), as ``SoftmaxRegression.fit`` does.
    Ratio = seed time / core time; target >= 4x for the default path. A last row times a
    user's whole ``SoftmaxRegression(max_iter=50, tol=0).fit`` (setup included) per
    iteration against 50 iterations of the seed's fit, at n = 10^5.
(b) Time to scikit-learn's optimum, on the seed data (C=inf) and standardised iris (C=1).
    Baseline: ``fit_sklearn(X, y, same_objective_as=C)`` (lbfgs, tight tol). Against it:
    ``SoftmaxRegression(solver=..., tol=tol)`` with the loosest tol of ``TOLS`` whose fit
    reaches ``max |p - p_sklearn| < 1e-6`` on the training X (chosen before timing).
    Ratio = scratch time / sklearn time; target <= 3x for the nesterov solver.
(c) Where a nesterov fit's time goes at n = 100 / 150: setup, one iteration, and the
    objective-gradient call alone.

Every time is per call: the median and the min of ``repeats`` timed runs after warm-up
runs, ``time.perf_counter``, garbage collection off while timing. Competing calls are
timed interleaved (round-robin), so that a slow spell of the machine hits all of them.
A verdict says when median and min disagree. The machine's 2 cores may be shared: after
each table the share of the CPUs that other processes used (``/proc/stat`` minus this
process) is printed, and a table measured beside them is flagged as unreliable. Threads and
``OPENBLAS_*`` variables are reported as they are, never changed.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sklearn
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from softmax_core import (
    SoftmaxRegression,
    fit_sklearn,
    make_noisy_blobs,
    make_noisy_classes,
)
from softmax_core.compare import SAME_OBJECTIVE_TOL
from softmax_core.functions import KernelData, kernel_data, objective_gradient_kn
from tests.seed_reference import MySoftmaxRegression  # the seed note's code, verbatim

STEP_SIZES = (10**5, 10**6)
N_CLASSES = 3
DATA_SEED = 0
SEED_LEARNING_RATE = 0.1  # the seed note's default; both sides of (a) step with it
FULL_FIT_N = 10**5
FULL_FIT_ITER = 50
STEP_TARGET = 4.0
OPTIMUM_TARGET = 3.0
PROBA_TARGET = 1e-6
TOLS = (1e-8, 1e-10, 1e-12, 1e-14, 1e-15, 1e-16)
OPTIMUM_MAX_ITER = 100_000
BUSY_SHARE = 0.05  # share of the CPUs used by other processes that spoils the timings
OPENBLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS")


# --- timing ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Timing:
    """Seconds per call over the timed runs."""

    median: float
    best: float


def _time_once(call: Callable[[], object], number: int) -> float:
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            call()
        return (time.perf_counter() - start) / number
    finally:
        gc.enable()


def time_interleaved(
    calls: dict[str, Callable[[], object]], *, repeats: int, number: int = 1, warmup: int = 1
) -> dict[str, Timing]:
    """Time each call ``repeats`` times (``number`` calls a run), round-robin after warm-up."""
    for call in calls.values():
        for _ in range(warmup):
            call()
    runs: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            runs[name].append(_time_once(call, number))
    return {name: Timing(statistics.median(t), min(t)) for name, t in runs.items()}


# --- reporting -------------------------------------------------------------------------------
def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    print(f"\n{title}")
    for row in (header, ["-" * w for w in widths], *rows):
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f}"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f}"


def ratio_text(top: Timing, bottom: Timing) -> str:
    """``median ratio (min ratio)`` of two timings."""
    return f"{top.median / bottom.median:.2f}x ({top.best / bottom.best:.2f}x)"


@dataclass(frozen=True)
class Verdict:
    """Whether a target is met by the median times and by the min times."""

    median: bool
    best: bool

    def __and__(self, other: Verdict) -> Verdict:
        return Verdict(self.median and other.median, self.best and other.best)

    def __str__(self) -> str:
        if self.median == self.best:
            return "MEETS" if self.median else "MISSES"
        return f"MEETS by {'median' if self.median else 'min'} only (noisy)"


def faster_by(baseline: Timing, candidate: Timing, factor: float) -> Verdict:
    """Whether ``candidate`` is at least ``factor`` times faster than ``baseline``."""
    return Verdict(
        baseline.median >= factor * candidate.median, baseline.best >= factor * candidate.best
    )


MET = Verdict(median=True, best=True)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return f"{line.split(':', 1)[1].strip()} ({platform.machine()})"
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_lines() -> list[str]:
    lines = [
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}",
        f"cpu: {cpu_model()}, os.cpu_count()={os.cpu_count()}, "
        f"usable={len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'}",
    ]
    for name in OPENBLAS_VARIABLES:
        value = os.environ.get(name)
        lines.append(f"{name}={value}" if value is not None else f"{name} not set")
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [*lines, "threadpoolctl not installed: BLAS unknown"]
    for pool in threadpool_info():
        lines.append(
            f"threadpool {pool['internal_api']} {pool.get('version')} "
            f"arch={pool.get('architecture', '-')} threads={pool['num_threads']} "
            f"({Path(pool['filepath']).name})"
        )
    return lines


# --- (a) one gradient step -------------------------------------------------------------------
def prepare(X: np.ndarray, y: np.ndarray) -> KernelData:
    """The training data in the layouts ``SoftmaxRegression.fit`` prepares once per fit."""
    return kernel_data(np.ascontiguousarray(X), y, N_CLASSES)


def core_steps(
    data: KernelData, n_steps: int, *, seed_order: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``n_steps`` core gradient steps from zero; return ``(coef, intercept)``."""
    theta = np.zeros((N_CLASSES, data.X.shape[1] + 1))  # [coef | intercept]
    for _ in range(n_steps):
        _, grad = objective_gradient_kn(theta, data, 0.0, seed_order=seed_order)
        theta = theta - SEED_LEARNING_RATE * grad
    return theta[:, :-1], theta[:, -1]


def seed_fit(X: np.ndarray, y: np.ndarray, n_steps: int) -> MySoftmaxRegression:
    model = MySoftmaxRegression(learning_rate=SEED_LEARNING_RATE, max_iter=n_steps, tol=0.0)
    model.fit(X, y)
    return model


def same_step_check(X: np.ndarray, y: np.ndarray, data: KernelData) -> float:
    """``max |W_seed^T - coef|`` after 3 steps: both sides compute the same update."""
    seed = seed_fit(X, y, 3)
    coef, intercept = core_steps(data, 3, seed_order=False)
    return float(max(np.abs(seed.W.T - coef).max(), np.abs(seed.b[0] - intercept).max()))


def step_rows(n_samples: int) -> tuple[list[list[str]], Verdict]:
    """Rows of (a) at one n, and whether the default path meets the target."""
    X, y = make_noisy_blobs(n_samples, N_CLASSES, random_state=DATA_SEED)
    data = prepare(X, y)
    number = 5 if n_samples <= 10**5 else 2
    steps = {
        "seed loop body": lambda: seed_fit(X, y, number),
        "core, seed_order=False (default)": lambda: core_steps(data, number, seed_order=False),
        "core, seed_order=True (> 2/L)": lambda: core_steps(data, number, seed_order=True),
    }
    timed = time_interleaved(steps, repeats=7)
    timed = {name: Timing(t.median / number, t.best / number) for name, t in timed.items()}
    seed = timed.pop("seed loop body")
    size = f"{n_samples:,}"
    rows = [[size, "seed loop body (baseline)", ms(seed.median), ms(seed.best), "1.00x", "-", "-"]]
    for name, core in timed.items():
        ratio = ratio_text(seed, core)
        rows.append([size, name, ms(core.median), ms(core.best), ratio, "seed loop, same n"])
        rows[-1].append(str(faster_by(seed, core, STEP_TARGET)))
    return rows, faster_by(seed, timed["core, seed_order=False (default)"], STEP_TARGET)


def full_fit_row() -> list[str]:
    X, y = make_noisy_blobs(FULL_FIT_N, N_CLASSES, random_state=DATA_SEED)
    model = SoftmaxRegression(learning_rate="auto", max_iter=FULL_FIT_ITER, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0 never converges: a ConvergenceWarning each fit
        timed = time_interleaved(
            {"seed": lambda: seed_fit(X, y, FULL_FIT_ITER), "core": lambda: model.fit(X, y)},
            repeats=5,
        )
    seed, core = (Timing(t.median / FULL_FIT_ITER, t.best / FULL_FIT_ITER) for t in timed.values())
    return [
        f"{FULL_FIT_N:,}",
        f"SoftmaxRegression.fit, {FULL_FIT_ITER} it (user check)",
        ms(core.median),
        ms(core.best),
        ratio_text(seed, core),
        f"seed fit, {FULL_FIT_ITER} it: {ms(seed.median)} ms/it",
        str(faster_by(seed, core, STEP_TARGET)),
    ]


def bench_steps() -> Verdict:
    """Print table (a); return whether the default path meets the target at every n."""
    rows: list[list[str]] = []
    all_ok = MET
    for n_samples in STEP_SIZES:
        n_rows, ok = step_rows(n_samples)
        rows += n_rows
        all_ok &= ok
    rows.append(full_fit_row())
    header = ["n", "per step", "median ms", "min ms", "seed/core median (min)"]
    header += ["baseline of ratio", f">= {STEP_TARGET:g}x?"]
    print_table("(a) one gradient step: objective + gradient + update", header, rows)
    for n_samples in STEP_SIZES:
        X, y = make_noisy_blobs(n_samples, N_CLASSES, random_state=DATA_SEED)
        diff = same_step_check(X, y, prepare(X, y))
        print(
            f"check, n={n_samples:,}: max |seed - core| of the parameters after 3 steps {diff:.1e}"
        )
    return all_ok


# --- (b) time to scikit-learn's optimum ------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    name: str
    X: np.ndarray
    y: np.ndarray
    C: float


def problems() -> list[Problem]:
    X_seed, y_seed = make_noisy_classes()
    iris = load_iris()
    X_iris = StandardScaler().fit_transform(iris.data)
    return [Problem("seed", X_seed, y_seed, np.inf), Problem("iris", X_iris, iris.target, 1.0)]


def fit_scratch(problem: Problem, solver: str, tol: float, max_iter: int) -> SoftmaxRegression:
    model = SoftmaxRegression(solver=solver, C=problem.C, tol=tol, max_iter=max_iter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a run that hits max_iter is reported, not warned
        return model.fit(problem.X, problem.y)


def proba_gap(model: SoftmaxRegression, reference: np.ndarray, X: np.ndarray) -> float:
    return float(np.abs(model.predict_proba(X) - reference).max())


@dataclass(frozen=True)
class Choice:
    """The tol chosen for a solver, whether it reaches the target, and that fit."""

    tol: float
    reached: bool
    model: SoftmaxRegression
    gap: float


def choose_tol(problem: Problem, solver: str, reference: np.ndarray) -> Choice:
    """Loosest tol of ``TOLS`` whose fit reaches ``PROBA_TARGET``; else the tightest."""
    for tol in TOLS:
        model = fit_scratch(problem, solver, tol, OPTIMUM_MAX_ITER)
        gap = proba_gap(model, reference, problem.X)
        if gap < PROBA_TARGET:
            return Choice(tol, True, model, gap)
    return Choice(TOLS[-1], False, model, gap)


def optimum_rows(problem: Problem) -> tuple[list[list[str]], Choice, Verdict]:
    """Rows of (b) for one problem, the nesterov choice, and whether it meets the target."""
    sklearn_fit = partial(fit_sklearn, problem.X, problem.y, same_objective_as=problem.C)
    reference_model = sklearn_fit()
    reference = reference_model.predict_proba(problem.X)
    choices = {solver: choose_tol(problem, solver, reference) for solver in ("nesterov", "gd")}
    calls: dict[str, Callable[[], object]] = {"sklearn": sklearn_fit}
    for solver, choice in choices.items():
        calls[solver] = partial(fit_scratch, problem, solver, choice.tol, OPTIMUM_MAX_ITER)
    slow = choices["gd"].model.n_iter_ > 10_000
    timed = time_interleaved(calls, repeats=3 if slow else 15)
    base = timed["sklearn"]
    label = f"{problem.name} (C={problem.C:g})"
    rows = [[label, "sklearn lbfgs (baseline)", f"{SAME_OBJECTIVE_TOL:g}"]]
    rows[0] += [str(int(np.max(reference_model.n_iter_))), ms(base.median), ms(base.best)]
    rows[0] += ["0", "1.00x", "-", "-"]
    meets: dict[str, Verdict] = {}
    for solver, choice in choices.items():
        ok = meets[solver] = faster_by(base, timed[solver], 1 / OPTIMUM_TARGET) & Verdict(
            choice.reached, choice.reached
        )
        tol = f"{choice.tol:g}" + ("" if choice.reached else " (not reached)")
        rows.append([label, f"{solver}, lr=auto", tol, str(choice.model.n_iter_)])
        rows[-1] += [ms(timed[solver].median), ms(timed[solver].best), f"{choice.gap:.1e}"]
        rows[-1] += [ratio_text(timed[solver], base), "sklearn lbfgs, same data"]
        rows[-1].append(str(ok) if solver == "nesterov" else "(no target)")
    return rows, choices["nesterov"], meets["nesterov"]


def bench_optimum() -> tuple[dict[str, Choice], Verdict]:
    """Print table (b); return the nesterov choices and whether every one meets the target."""
    rows: list[list[str]] = []
    choices: dict[str, Choice] = {}
    all_ok = MET
    for problem in problems():
        problem_rows, choices[problem.name], ok = optimum_rows(problem)
        rows += problem_rows
        all_ok &= ok
    header = ["data", "solver", "tol", "iters", "median ms", "min ms", "max|p-p_skl|"]
    header += ["scratch/sklearn median (min)", "baseline of ratio", f"<= {OPTIMUM_TARGET:g}x?"]
    title = f"(b) time to sklearn's optimum: whole fit until max|p - p_sklearn| < {PROBA_TARGET:g}"
    print_table(title, header, rows)
    return choices, all_ok


# --- (c) where a nesterov fit's time goes ----------------------------------------------------
def breakdown_rows(problem: Problem, tol: float) -> list[list[str]]:
    data = prepare(problem.X, problem.y)
    theta = np.zeros((N_CLASSES, problem.X.shape[1] + 1))  # [coef | intercept]
    calls: dict[str, Callable[[], object]] = {
        "setup": partial(fit_scratch, problem, "nesterov", 0.0, 1),
        "whole": partial(fit_scratch, problem, "nesterov", tol, OPTIMUM_MAX_ITER),
        "gradient": partial(objective_gradient_kn, theta, data, 0.0),
    }
    timed = time_interleaved(calls, repeats=7, number=10)
    n_iter = fit_scratch(problem, "nesterov", tol, OPTIMUM_MAX_ITER).n_iter_
    setup = timed["setup"].median
    per_iter = (timed["whole"].median - setup) / max(n_iter - 1, 1)
    grad = timed["gradient"].median
    rest = per_iter - grad
    label = f"{problem.name} n={problem.X.shape[0]}"
    return [
        [label, "fit(max_iter=1): setup + 1 iteration", us(setup), "-"],
        [label, f"one iteration of the whole fit ({n_iter} it)", us(per_iter), "100%"],
        [label, "  of which objective_gradient_kn", us(grad), f"{grad / per_iter:.0%}"],
        [label, "  of which the rest of the loop", us(rest), f"{rest / per_iter:.0%}"],
    ]


def bench_breakdown(choices: dict[str, Choice]) -> None:
    rows: list[list[str]] = []
    for problem in problems():
        rows += breakdown_rows(problem, choices[problem.name].tol)
    header = ["data", "part of a nesterov fit (tol as in (b))", "median us", "share"]
    print_table("(c) where a nesterov fit's time goes (no ratio)", header, rows)


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds since boot: all cores busy, all cores in total, and this process alone."""

    busy: float
    total: float
    own: float


def cpu_snapshot() -> CpuSnapshot | None:
    """Read ``/proc/stat`` and this process's CPU time; None where there is no ``/proc``."""
    try:
        with open("/proc/stat", encoding="utf-8") as stat:
            ticks = [int(field) for field in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    hertz = os.sysconf("SC_CLK_TCK")
    idle = ticks[3] + ticks[4]  # idle + iowait
    own = os.times()
    return CpuSnapshot((sum(ticks) - idle) / hertz, sum(ticks) / hertz, own.user + own.system)


def others_share(since: CpuSnapshot | None) -> float | None:
    """Share of all cores that other processes kept busy since ``since``."""
    now = cpu_snapshot()
    if since is None or now is None or now.total <= since.total:
        return None
    others = (now.busy - since.busy) - (now.own - since.own)
    return max(others, 0.0) / (now.total - since.total)


def report_others(when: str, since: CpuSnapshot | None) -> bool:
    """Print how busy other processes kept the machine; return whether that spoils timings."""
    share = others_share(since)
    if share is None:
        print(f"{when}: CPU use of other processes unknown (no /proc/stat)")
        return False
    busy = share > BUSY_SHARE
    warning = " -> UNRELIABLE, rerun on a quiet machine" if busy else ""
    print(f"{when}: other processes kept {share:.0%} of the CPUs busy{warning}")
    return busy


def main() -> None:
    start = time.perf_counter()
    print("softmax_core benchmarks; times per call, median (min) of repeated runs")
    for line in machine_lines():
        print(f"  {line}")
    print("  (other processes on the 2 cores make BLAS/OpenMP threads wait: times grow a lot)")
    idle = cpu_snapshot()
    time.sleep(1.0)
    report_others("\nbefore the run (1 s idle)", idle)

    since = cpu_snapshot()
    steps_ok = bench_steps()
    busy = {"(a)": report_others("during (a)", since)}
    since = cpu_snapshot()
    choices, optimum_ok = bench_optimum()
    busy["(b)"] = report_others("during (b)", since)
    since = cpu_snapshot()
    bench_breakdown(choices)
    busy["(c)"] = report_others("during (c)", since)

    unreliable = ", ".join(name for name, flag in busy.items() if flag)
    print(f"\nsummary: default step >= {STEP_TARGET:g}x the seed at every n: {steps_ok};")
    print(f"         nesterov <= {OPTIMUM_TARGET:g}x sklearn on every data set: {optimum_ok}")
    if unreliable:
        print(f"         measured on a busy machine in {unreliable}: not to be trusted")
    print(f"total wall time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
