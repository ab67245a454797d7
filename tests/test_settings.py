"""ui.settings: URL query parameters to Settings and back, with bounds and problems."""

import math
from dataclasses import fields, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ui.settings import (
    C_RANGE,
    KINDS,
    LR_RANGE,
    MAX_CLASSES,
    MAX_ITER,
    MAX_SAMPLES,
    MAX_SCHEDULE_SEGMENTS,
    MAX_SEED,
    MIN_SAMPLES,
    NOISE_RANGE,
    SEED_NOTE,
    SOLVERS,
    TOL_RANGE,
    WORK_BUDGET,
    Settings,
    from_query,
    to_query,
    truncate_schedule,
)

SEED_QUERY = {
    "kind": "line",
    "n": "100",
    "k": "3",
    "noise": "0.1",
    "seed": "0",
    "lr": "0.5",
    "C": "none",
    "solver": "gd",
    "tol": "1e-06",
    "max_iter": "1000",
    "iter": "0",
}


def test_defaults_are_the_seed_note():
    assert Settings() == SEED_NOTE
    assert (SEED_NOTE.kind, SEED_NOTE.n_samples, SEED_NOTE.n_classes, SEED_NOTE.noise) == (
        "line",
        100,
        3,
        0.1,
    )
    assert (SEED_NOTE.learning_rate, SEED_NOTE.max_iter, SEED_NOTE.tol) == (0.5, 1000, 1e-6)
    assert math.isinf(SEED_NOTE.C) and SEED_NOTE.solver == "gd"


def test_empty_query_gives_the_seed_note():
    restored = from_query({})
    assert restored.settings == SEED_NOTE
    assert (restored.n_iter, restored.schedule, restored.classroom) == (0, [], False)
    assert restored.problems == []


def test_to_query_of_the_seed_note():
    assert to_query(SEED_NOTE, 0, []) == SEED_QUERY
    assert to_query(SEED_NOTE, 12, [(0.5, 12)]) == SEED_QUERY | {"iter": "12"}


def test_to_query_writes_a_schedule_only_when_the_rate_changed():
    query = to_query(replace(SEED_NOTE, learning_rate=None), 30, [(0.5, 10), (None, 20)])
    assert query["lr"] == "auto"
    assert query["sched"] == "0.5x10,autox20"
    assert "sched" not in to_query(SEED_NOTE, 30, [(0.5, 30)])


def test_keys_and_runs():
    assert SEED_NOTE.data_key() == ("line", 100, 3, 0.1, 0)
    assert SEED_NOTE.run_key() == ("line", 100, 3, 0.1, 0, math.inf, "gd")
    # The learning rate, tolerance and iteration limit do not define the run.
    other = replace(SEED_NOTE, learning_rate=0.1, tol=1e-3, max_iter=5)
    assert other.run_key() == SEED_NOTE.run_key()
    assert replace(SEED_NOTE, C=1.0).run_key() != SEED_NOTE.run_key()


@pytest.mark.parametrize(
    ("n_samples", "budget"),
    [(10, MAX_ITER), (100, MAX_ITER), (500, MAX_ITER), (1_000, 50_000), (100_000, 500)],
)
def test_step_budget(n_samples, budget):
    assert Settings(n_samples=n_samples).step_budget() == budget
    assert budget * n_samples <= WORK_BUDGET


valid_lr = st.one_of(st.none(), st.floats(*LR_RANGE))


@st.composite
def valid_runs(draw):
    settings = Settings(
        kind=draw(st.sampled_from(KINDS)),
        n_samples=draw(st.integers(MIN_SAMPLES, MAX_SAMPLES)),
        n_classes=draw(st.integers(2, MAX_CLASSES)),
        noise=draw(st.floats(*NOISE_RANGE)),
        seed=draw(st.integers(0, MAX_SEED)),
        learning_rate=draw(valid_lr),
        C=draw(st.one_of(st.just(math.inf), st.floats(*C_RANGE))),
        solver=draw(st.sampled_from(SOLVERS)),
        tol=draw(st.floats(*TOL_RANGE)),
        max_iter=draw(st.integers(1, MAX_ITER)),
    )
    n_iter = draw(st.integers(0, min(settings.max_iter, settings.step_budget())))
    schedule = []
    if n_iter:
        # Segments adding up to n_iter; the rate may have changed since, or never.
        cuts = sorted(draw(st.sets(st.integers(1, n_iter - 1), max_size=5)) if n_iter > 1 else [])
        counts = [b - a for a, b in zip([0, *cuts], [*cuts, n_iter], strict=True)]
        same = st.just(settings.learning_rate)
        rates = [draw(st.one_of(same, valid_lr)) for _ in counts]
        schedule = list(zip(rates, counts, strict=True))
    return settings, n_iter, schedule


def per_iteration(schedule) -> list[float | None]:
    """The learning rate of each iteration."""
    return [lr for lr, count in schedule for _ in range(count)]


@given(valid_runs())
def test_round_trip(run):
    settings, n_iter, schedule = run
    query = to_query(settings, n_iter, schedule)
    assert all(isinstance(v, str) for v in query.values())
    restored = from_query(query)
    assert restored.problems == []
    assert restored.settings == settings
    assert restored.n_iter == n_iter
    assert sum(count for _, count in restored.schedule) == n_iter
    assert per_iteration(restored.schedule) == per_iteration(schedule)
    assert to_query(restored.settings, restored.n_iter, restored.schedule) == query


def test_round_trip_of_a_rate_changed_after_the_last_step():
    """The rate changed after the last step: the link still replays the old one."""
    query = to_query(replace(SEED_NOTE, learning_rate=0.1), 10, [(0.5, 10)])
    assert query["sched"] == "0.5x10"
    assert from_query(query).schedule == [(0.5, 10)]
    assert from_query(query).problems == []


BAD_VALUES = [
    ("kind", "cube", "must be one of line, blobs"),
    ("kind", "Line", "must be one of line, blobs"),
    ("n", "abc", "not a valid value"),
    ("n", "", "not a valid value"),
    ("n", "9", "must be a whole number from 10 to 100,000"),
    ("n", "10000000", "must be a whole number from 10 to 100,000"),
    ("n", "50.0", "not a valid value"),
    ("k", "1", "must be a whole number from 2 to 6"),
    ("k", "99", "must be a whole number from 2 to 6"),
    ("noise", "2", "must be a number from 0 to 1"),
    ("noise", "nan", "must be a number from 0 to 1"),
    ("noise", "-0.0001", "must be a number from 0 to 1"),
    ("seed", "-1", "must be a whole number from 0 to 4,294,967,295"),
    ("seed", str(2**32), "must be a whole number from 0 to 4,294,967,295"),
    ("seed", "1e3", "not a valid value"),
    ("lr", "nan", "must be a number from 1e-06 to 1e+06"),
    ("lr", "-1", "must be a number from 1e-06 to 1e+06"),
    ("lr", "0", "must be a number from 1e-06 to 1e+06"),
    ("lr", "inf", "must be a number from 1e-06 to 1e+06"),
    ("lr", "1e7", "must be a number from 1e-06 to 1e+06"),
    ("lr", "fast", "not a valid value"),
    ("C", "0", "must be a number from 0.0001 to 10000"),
    ("C", "inf", "must be a number from 0.0001 to 10000"),
    ("C", "None", "not a valid value"),
    ("C", "1e5", "must be a number from 0.0001 to 10000"),
    ("solver", "sgd", "must be one of gd, nesterov"),
    ("solver", "GD", "must be one of gd, nesterov"),
    ("tol", "1", "must be a number from 0 to 0.1"),
    ("tol", "-1e-9", "must be a number from 0 to 0.1"),
    ("max_iter", "0", "must be a whole number from 1 to 100,000"),
    ("max_iter", "100001", "must be a whole number from 1 to 100,000"),
    ("iter", "-5", "must be a whole number from 0 to 100,000; starting from iteration 0"),
    ("iter", "100001", "must be a whole number from 0 to 100,000; starting from iteration 0"),
    ("iter", "huge", "not a valid value"),
    ("iter", "9" * 5000, "not a valid value"),
]


@pytest.mark.parametrize(("name", "raw", "why"), BAD_VALUES)
def test_each_bad_parameter_gives_a_problem_and_the_default(name, raw, why):
    restored = from_query({name: raw})
    assert restored.settings == SEED_NOTE
    assert restored.n_iter == 0
    assert len(restored.problems) == 1
    problem = restored.problems[0]
    assert problem.startswith(f"{name}=")
    assert why in problem or (why == "not a valid value" and "(" in problem)


def test_bad_parameters_leave_good_ones_alone():
    restored = from_query({"n": "abc", "k": "4", "lr": "nan", "solver": "nesterov"})
    assert restored.settings == replace(SEED_NOTE, n_classes=4, solver="nesterov")
    assert [p.split("=")[0] for p in restored.problems] == ["n", "lr"]


def test_long_values_are_shortened_in_problems():
    restored = from_query({"n": "x" * 1000})
    assert restored.problems == [f"n={'x' * 37 + '...'!r} (not a valid value)"]


def test_whitespace_and_auto_are_accepted():
    restored = from_query({"n": " 50 ", "lr": " AUTO ", "noise": "0", "tol": "0"})
    assert restored.settings == replace(
        SEED_NOTE, n_samples=50, learning_rate=None, noise=0.0, tol=0.0
    )
    assert restored.problems == []


def test_bounds_are_inclusive():
    query = {
        "n": str(MAX_SAMPLES),
        "k": str(MAX_CLASSES),
        "noise": "1",
        "seed": str(MAX_SEED),
        "lr": "1e6",
        "C": "1e-4",
        "tol": "0.1",
        "max_iter": str(MAX_ITER),
    }
    restored = from_query(query)
    assert restored.problems == []
    assert (restored.settings.n_samples, restored.settings.C) == (MAX_SAMPLES, 1e-4)


@pytest.mark.parametrize(
    ("raw", "on"), [("1", True), ("true", True), ("on", True), ("0", False), ("yes", False)]
)
def test_classroom(raw, on):
    assert from_query({"classroom": raw}).classroom is on


def test_schedule_is_restored():
    restored = from_query({"lr": "0.1", "iter": "30", "sched": "0.5x10,0.1x20"})
    assert restored.schedule == [(0.5, 10), (0.1, 20)]
    assert restored.n_iter == 30 and restored.problems == []
    restored = from_query({"lr": "auto", "iter": "3", "sched": "autox1,1e-06x2"})
    assert restored.schedule == [(None, 1), (1e-6, 2)]


@pytest.mark.parametrize(
    ("sched", "why"),
    [
        ("garbage", "segments look like 0.5x120"),
        ("0.5x10,0.1", "segments look like 0.5x120"),
        ("0.5x10,0.1x21", "does not add up to iter"),
        ("nanx10,0.1x20", "must be a number from 1e-06 to 1e+06"),
        ("0.5x0,0.1x30", "must be a whole number from 1 to 100,000"),
        ("0.5x-10,0.1x40", "must be a whole number from 1 to 100,000"),
        (",".join(["0.5x1"] * (MAX_SCHEDULE_SEGMENTS + 1)), "at most 50 segments"),
    ],
)
def test_bad_schedule_gives_a_problem_and_the_plain_rate(sched, why):
    restored = from_query({"lr": "0.1", "iter": "30", "sched": sched})
    assert restored.n_iter == 30
    assert restored.schedule == [(0.1, 30)]
    assert len(restored.problems) == 1
    assert restored.problems[0].startswith("sched=") and why in restored.problems[0]


@pytest.mark.parametrize("query", [{"sched": "garbage"}, {"sched": "0.5x10", "iter": "-1"}])
def test_schedule_without_iter_is_reported(query):
    restored = from_query(query)
    assert restored.schedule == []
    assert any(p.startswith("sched=") and "needs a valid iter" in p for p in restored.problems)


def test_iter_above_max_iter_is_kept():
    # max_iter may be lowered mid-run; the iterations already done stay in the link.
    restored = from_query({"max_iter": "10", "iter": "12"})
    assert restored.settings.max_iter == 10
    assert restored.n_iter == 12
    assert restored.problems == []


def test_work_budget_clamps_iter_with_a_problem():
    restored = from_query({"n": "100000", "iter": "1000"})
    assert restored.n_iter == 500
    assert restored.schedule == [(0.5, 500)]
    assert restored.problems == [
        "iter=1000 is more work than one page load may do on 100,000 points; restored the "
        "first 500 iterations"
    ]


def test_work_budget_truncates_the_schedule():
    restored = from_query({"n": "100000", "iter": "800", "sched": "0.5x300,0.1x500"})
    assert restored.n_iter == 500
    assert restored.schedule == [(0.5, 300), (0.1, 200)]
    assert len(restored.problems) == 1


@given(st.dictionaries(st.sampled_from([*SEED_QUERY, "sched", "classroom", "x"]), st.text()))
def test_any_query_gives_bounded_settings(query):
    restored = from_query(query)
    current = restored.settings
    assert current.kind in KINDS and current.solver in SOLVERS
    assert MIN_SAMPLES <= current.n_samples <= MAX_SAMPLES
    assert 2 <= current.n_classes <= min(MAX_CLASSES, current.n_samples)
    assert NOISE_RANGE[0] <= current.noise <= NOISE_RANGE[1]
    assert 0 <= current.seed <= MAX_SEED
    assert current.learning_rate is None or LR_RANGE[0] <= current.learning_rate <= LR_RANGE[1]
    assert math.isinf(current.C) or C_RANGE[0] <= current.C <= C_RANGE[1]
    assert TOL_RANGE[0] <= current.tol <= TOL_RANGE[1]
    assert 1 <= current.max_iter <= MAX_ITER
    assert 0 <= restored.n_iter <= min(current.max_iter, current.step_budget())
    assert sum(count for _, count in restored.schedule) == restored.n_iter
    # Every parameter that was given and is not what the settings now say is a problem.
    written = to_query(current, restored.n_iter, restored.schedule)
    for name in query.keys() & written.keys() - {"iter"}:
        if from_query({name: query[name]}).problems:
            assert any(p.startswith(f"{name}=") for p in restored.problems)
    assert len(restored.problems) <= len(query)


@pytest.mark.parametrize(
    ("schedule", "n_iter", "expected"),
    [
        ([], 5, []),
        ([(0.5, 10)], 0, []),
        ([(0.5, 10)], 4, [(0.5, 4)]),
        ([(0.5, 10)], 10, [(0.5, 10)]),
        ([(0.5, 10)], 15, [(0.5, 10)]),
        ([(0.5, 10), (None, 20)], 10, [(0.5, 10)]),
        ([(0.5, 10), (None, 20)], 11, [(0.5, 10), (None, 1)]),
        ([(0.5, 10), (None, 20), (0.1, 5)], 35, [(0.5, 10), (None, 20), (0.1, 5)]),
    ],
)
def test_truncate_schedule(schedule, n_iter, expected):
    assert truncate_schedule(schedule, n_iter) == expected


@given(
    st.lists(st.tuples(valid_lr, st.integers(1, 1000)), max_size=8),
    st.integers(0, 10_000),
)
def test_truncate_schedule_keeps_a_prefix(schedule, n_iter):
    kept = truncate_schedule(schedule, n_iter)
    total = sum(count for _, count in schedule)
    assert sum(count for _, count in kept) == min(n_iter, total)
    assert all(count > 0 for _, count in kept)
    if kept:
        assert kept[:-1] == schedule[: len(kept) - 1]
        assert kept[-1][0] == schedule[len(kept) - 1][0]


def test_settings_fields_all_have_a_url_parameter():
    query = to_query(SEED_NOTE, 0, [])
    assert len(query) == len(fields(Settings)) + 1  # and iter
