"""ui.settings: URL query parameters to Settings and View and back, with bounds, work budgets
and plain-text problem messages (no Streamlit)."""

import math
from dataclasses import fields, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ui.settings import (
    C_RANGE,
    DEFAULT_VIEW,
    KINDS,
    LOSS_WINDOWS,
    LR_RANGE,
    MAX_CLASSES,
    MAX_ITER,
    MAX_POINT,
    MAX_SAMPLES,
    MAX_SCHEDULE_SEGMENTS,
    MAX_SEED,
    MIN_SAMPLES,
    NOISE_RANGE,
    QUOTE_LENGTH,
    REFERENCES,
    REPLAY_FACTOR,
    SEED_NOTE,
    SOLVERS,
    SPEEDS,
    TOL_RANGE,
    WORK_BUDGET,
    Settings,
    View,
    escape_markdown,
    from_query,
    quote,
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
VIEW_NAMES = ("ref", "target", "logy", "window", "point", "speed")
MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:=^\"'&%@/")


def test_defaults_are_the_seed_note_and_the_plain_view():
    assert Settings() == SEED_NOTE
    assert (SEED_NOTE.kind, SEED_NOTE.n_samples, SEED_NOTE.n_classes, SEED_NOTE.noise) == (
        "line",
        100,
        3,
        0.1,
    )
    assert (SEED_NOTE.learning_rate, SEED_NOTE.max_iter, SEED_NOTE.tol) == (0.5, 1000, 1e-6)
    assert math.isinf(SEED_NOTE.C) and SEED_NOTE.solver == "gd"
    assert View() == DEFAULT_VIEW == View("same", True, False, "all", None, "fast")


def test_empty_query_gives_the_seed_note():
    restored = from_query({})
    assert (restored.settings, restored.view) == (SEED_NOTE, DEFAULT_VIEW)
    assert (restored.n_iter, restored.schedule, restored.classroom) == (0, [], False)
    assert restored.problems == []


def test_to_query_of_the_seed_note_writes_no_view_options():
    assert to_query(SEED_NOTE, 0, []) == SEED_QUERY
    assert to_query(SEED_NOTE, 12, [(0.5, 12)]) == SEED_QUERY | {"iter": "12"}
    assert to_query(SEED_NOTE, 0, [], DEFAULT_VIEW, classroom=True) == SEED_QUERY | {
        "classroom": "1"
    }


def test_to_query_writes_only_the_view_options_that_differ():
    view = View(reference="default", show_target=False, log_y=True, loss_window="logx")
    query = to_query(SEED_NOTE, 0, [], replace(view, point=7, speed="slow"))
    assert {name: query[name] for name in VIEW_NAMES} == {
        "ref": "default",
        "target": "0",
        "logy": "1",
        "window": "logx",
        "point": "7",
        "speed": "slow",
    }
    assert "point" not in to_query(SEED_NOTE, 0, [], View(point=None))


def test_to_query_writes_a_schedule_only_when_the_rate_changed():
    query = to_query(replace(SEED_NOTE, learning_rate=None), 30, [(0.5, 10), (None, 20)])
    assert query["lr"] == "auto"
    assert query["sched"] == "0.5x10,autox20"
    assert "sched" not in to_query(SEED_NOTE, 30, [(0.5, 30)])
    # The rate changed after the last step: the link still replays the old one.
    query = to_query(replace(SEED_NOTE, learning_rate=0.1), 10, [(0.5, 10)])
    assert query["sched"] == "0.5x10"
    assert from_query(query).schedule == [(0.5, 10)]


def test_keys_and_runs():
    assert SEED_NOTE.data_key() == ("line", 100, 3, 0.1, 0)
    assert SEED_NOTE.run_key() == ("line", 100, 3, 0.1, 0, math.inf, "gd")
    other = replace(SEED_NOTE, learning_rate=0.1, tol=1e-3, max_iter=5)
    assert other.run_key() == SEED_NOTE.run_key()
    assert replace(SEED_NOTE, C=1.0).run_key() != SEED_NOTE.run_key()
    assert replace(SEED_NOTE, solver="newton").run_key() != SEED_NOTE.run_key()


@pytest.mark.parametrize(
    ("n_samples", "step", "replay"),
    [
        (10, MAX_ITER, MAX_ITER),
        (500, MAX_ITER, MAX_ITER),
        (1_000, 50_000, MAX_ITER),
        (5_000, 10_000, 40_000),
        (100_000, 500, 2_000),
    ],
)
def test_work_budgets_of_a_click_and_of_opening_a_link(n_samples, step, replay):
    current = Settings(n_samples=n_samples)
    assert (current.step_budget(), current.replay_budget()) == (step, replay)
    assert step * n_samples <= WORK_BUDGET
    assert replay * n_samples <= REPLAY_FACTOR * WORK_BUDGET


def test_replay_budget_cuts_iter_and_says_what_was_restored():
    restored = from_query(
        {"n": "100000", "iter": "3000", "lr": "0.1", "sched": "0.5x1500,0.1x1500"}
    )
    assert restored.n_iter == 2_000
    assert restored.schedule == [(0.5, 1500), (0.1, 500)]
    assert restored.problems == [
        "iter=3,000 is more than a link may replay on 100,000 points; restored the first "
        "2,000 iterations"
    ]


BAD_VALUES = [
    ("kind", "cube", "must be one of line, blobs; using the default"),
    ("kind", "Line", "must be one of line, blobs"),
    ("n", "abc", "must be a whole number from 10 to 100,000; using the default"),
    ("n", "", "must be a whole number from 10 to 100,000"),
    ("n", "9", "must be a whole number from 10 to 100,000"),
    ("n", "50.0", "must be a whole number from 10 to 100,000"),
    ("n", "１２", "must be a whole number from 10 to 100,000"),  # full-width digits
    ("n", "1_000", "must be a whole number from 10 to 100,000"),
    ("n", "9" * 5000, "must be a whole number from 10 to 100,000"),
    ("k", "1", "must be a whole number from 2 to 10"),
    ("k", "11", "must be a whole number from 2 to 10"),
    ("noise", "2", "must be a number from 0 to 1"),
    ("noise", "nan", "must be a number from 0 to 1"),
    ("noise", "0x1", "must be a number from 0 to 1"),
    ("seed", "-1", "must be a whole number from 0 to 4,294,967,295"),
    ("seed", str(2**32), "must be a whole number from 0 to 4,294,967,295"),
    ("lr", "nan", "must be auto or a number from 1e-06 to 1e+06; using the default"),
    ("lr", "0", "must be auto or a number from 1e-06 to 1e+06"),
    ("lr", "1e400", "must be auto or a number from 1e-06 to 1e+06"),
    ("lr", "fast", "must be auto or a number from 1e-06 to 1e+06"),
    ("C", "0", "must be a number from 0.0001 to 10000"),
    ("C", "inf", "must be a number from 0.0001 to 10000"),
    ("C", "None", "must be a number from 0.0001 to 10000"),
    ("solver", "sgd", "must be one of gd, nesterov, newton"),
    ("tol", "1", "must be a number from 0 to 0.1"),
    ("tol", "1e-1000", "must be a number from 0 to 0.1"),
    ("max_iter", "0", "must be a whole number from 1 to 100,000"),
    ("iter", "-5", "must be a whole number from 0 to 100,000; starting from iteration 0"),
    ("iter", "9" * 5000, "must be a whole number from 0 to 100,000; starting from iteration 0"),
    ("ref", "sklearn", "must be one of same, default; using the default"),
    ("target", "yes", "must be 1 or 0; using the default"),
    ("logy", "2", "must be 1 or 0; using the default"),
    ("window", "last 50", "must be one of all, last, logx; using the default"),
    ("point", "100000", "must be a whole number from 0 to 99,999; using the default"),
    ("speed", "warp", "must be one of slow, normal, fast, turbo; using the default"),
    ("classroom", "yes", "must be 1 or 0; classroom mode off"),
]


@pytest.mark.parametrize(("name", "raw", "why"), BAD_VALUES)
def test_each_bad_parameter_gives_one_plain_problem_and_the_default(name, raw, why):
    restored = from_query({name: raw})
    assert (restored.settings, restored.view, restored.n_iter) == (SEED_NOTE, DEFAULT_VIEW, 0)
    assert restored.classroom is False
    if ";" not in why:
        why += {"iter": "; starting from iteration 0", "classroom": "; classroom mode off"}.get(
            name, "; using the default"
        )
    assert restored.problems == [f"{name}={quote(raw)!r}: {why}"]
    assert len(restored.problems[0]) < 150
    assert "invalid literal" not in restored.problems[0]
    assert "Exceeds the limit" not in restored.problems[0]


def test_bad_parameters_leave_good_ones_alone():
    restored = from_query({"n": "abc", "k": "4", "lr": "nan", "solver": "nesterov", "logy": "1"})
    assert restored.settings == replace(SEED_NOTE, n_classes=4, solver="nesterov")
    assert restored.view == replace(DEFAULT_VIEW, log_y=True)
    assert [p.split("=")[0] for p in restored.problems] == ["n", "lr"]


def test_fewer_points_than_classes_fall_back_to_the_seeds_data_size():
    restored = from_query({"n": "10", "k": "3"})
    assert restored.problems == []
    restored = from_query({"n": "10", "k": "10"})
    assert (restored.settings.n_samples, restored.settings.n_classes) == (10, 10)


@pytest.mark.parametrize(
    ("raw", "limit", "shown"),
    [
        ("abc", 30, "abc"),
        ("x" * 30, 30, "x" * 30),
        ("x" * 31, 30, "x" * 29 + "…"),
        ("x" * 5000, 30, "x" * 29 + "…"),
        ("a\nb\x00c\u202ed", 30, "a?b?c?d"),
        ("![](http://host/x.gif)", 10, "![](http:…"),
    ],
)
def test_quote_keeps_printable_characters_and_cuts(raw, limit, shown):
    assert quote(raw, limit) == shown


def is_escaped(text: str) -> bool:
    """Whether every markdown special character in ``text`` is backslash-escaped."""
    i = 0
    while i < len(text):
        if text[i] == "\\":
            if i + 1 == len(text) or text[i + 1] not in MARKDOWN_SPECIAL:
                return False
            i += 2
        elif text[i] in MARKDOWN_SPECIAL or text[i] == "\n":
            return False
        else:
            i += 1
    return True


def unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\":
            i += 1
        out.append(text[i])
        i += 1
    return "".join(out)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("![](http://host/x.gif)", r"\!\[\]\(http\:\/\/host\/x\.gif\)"),
        ("**bold**", r"\*\*bold\*\*"),
        ("<img src=x>", r"\<img src\=x\>"),
        ("a\nb", "a b"),
        ("plain words", "plain words"),
    ],
)
def test_escape_markdown_examples(text, escaped):
    assert escape_markdown(text) == escaped


@given(st.text(max_size=60))
def test_escape_markdown_escapes_every_special_character(text):
    escaped = escape_markdown(text)
    assert is_escaped(escaped)
    assert unescape(escaped) == text.replace("\n", " ")


@pytest.mark.parametrize(
    ("raw", "on", "problem"),
    [
        ("1", True, False),
        ("true", True, False),
        (" ON ", True, False),
        ("TRUE", True, False),
        ("0", False, False),
        ("false", False, False),
        ("off", False, False),
        ("yes", False, True),
        ("", False, True),
        ("2", False, True),
    ],
)
def test_classroom_flag_values(raw, on, problem):
    restored = from_query({"classroom": raw})
    assert restored.classroom is on
    assert bool(restored.problems) is problem


def test_whitespace_case_and_auto_are_accepted():
    restored = from_query({"n": " 50 ", "lr": " AUTO ", "noise": "0", "tol": "0", "C": "none"})
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
        "point": str(MAX_POINT),
    }
    restored = from_query(query)
    assert restored.problems == []
    assert (restored.settings.n_samples, restored.settings.C) == (MAX_SAMPLES, 1e-4)
    assert restored.view.point == MAX_POINT


def test_schedule_is_restored():
    restored = from_query({"lr": "0.1", "iter": "30", "sched": "0.5x10,0.1x20"})
    assert restored.schedule == [(0.5, 10), (0.1, 20)]
    assert restored.n_iter == 30 and restored.problems == []
    restored = from_query({"lr": "auto", "iter": "3", "sched": "autox1,1e-06x2"})
    assert restored.schedule == [(None, 1), (1e-6, 2)]


@pytest.mark.parametrize(
    ("sched", "why"),
    [
        ("garbage", "must be segments like 0.5x120,autox30"),
        ("0.5x10,0.1", "must be segments like 0.5x120,autox30"),
        ("**bold**x1", "must be segments like 0.5x120,autox30"),
        ("0.5x10,0.1x21", "does not add up to iter"),
        ("nanx10,0.1x20", "must be segments like 0.5x120,autox30"),
        ("0.5x0,0.1x30", "must be segments like 0.5x120,autox30"),
        (",".join(["0.5x1"] * (MAX_SCHEDULE_SEGMENTS + 1)), "has more than 50 segments"),
    ],
)
def test_bad_schedule_gives_a_problem_and_the_plain_rate(sched, why):
    restored = from_query({"lr": "0.1", "iter": "30", "sched": sched})
    assert restored.n_iter == 30
    assert restored.schedule == [(0.1, 30)]
    assert restored.problems == [f"sched={quote(sched)!r}: {why}; using the plain rate"]


@pytest.mark.parametrize("query", [{"sched": "garbage"}, {"sched": "0.5x10", "iter": "-1"}])
def test_schedule_without_iter_is_reported(query):
    restored = from_query(query)
    assert restored.schedule == []
    assert any(p.startswith("sched=") and "needs a valid iter" in p for p in restored.problems)


def test_iter_above_max_iter_is_kept():
    # max_iter may be lowered mid-run; the iterations already done stay in the link.
    restored = from_query({"max_iter": "10", "iter": "12"})
    assert (restored.settings.max_iter, restored.n_iter) == (10, 12)
    assert restored.problems == []


# ------------------------------------------------------------- property tests

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
    view = View(
        reference=draw(st.sampled_from(REFERENCES)),
        show_target=draw(st.booleans()),
        log_y=draw(st.booleans()),
        loss_window=draw(st.sampled_from(LOSS_WINDOWS)),
        point=draw(st.one_of(st.none(), st.integers(0, MAX_POINT))),
        speed=draw(st.sampled_from(SPEEDS)),
    )
    n_iter = draw(st.integers(0, settings.replay_budget()))
    schedule = []
    if n_iter:
        # Segments adding up to n_iter; the rate may have changed since, or never.
        cuts = sorted(draw(st.sets(st.integers(1, n_iter - 1), max_size=5)) if n_iter > 1 else [])
        counts = [b - a for a, b in zip([0, *cuts], [*cuts, n_iter], strict=True)]
        same = st.just(settings.learning_rate)
        rates = [draw(st.one_of(same, valid_lr)) for _ in counts]
        schedule = list(zip(rates, counts, strict=True))
    return settings, view, n_iter, schedule, draw(st.booleans())


def per_iteration(schedule) -> list[float | None]:
    """The learning rate of each iteration (segments may merge or split)."""
    return [lr for lr, count in schedule for _ in range(count)]


@given(valid_runs())
def test_to_query_and_from_query_round_trip(run):
    settings, view, n_iter, schedule, classroom = run
    query = to_query(settings, n_iter, schedule, view, classroom=classroom)
    assert all(isinstance(v, str) for v in query.values())
    restored = from_query(query)
    assert restored.problems == []
    assert (restored.settings, restored.view, restored.classroom) == (settings, view, classroom)
    assert restored.n_iter == n_iter
    assert per_iteration(restored.schedule) == per_iteration(schedule)
    written = to_query(
        restored.settings, restored.n_iter, restored.schedule, restored.view, classroom=classroom
    )
    assert written == query


NAMES = [*SEED_QUERY, *VIEW_NAMES, "sched", "classroom", "utm_source"]


@given(st.dictionaries(st.sampled_from(NAMES), st.text(max_size=40)))
def test_any_query_gives_bounded_settings_and_short_plain_problems(query):
    restored = from_query(query)
    current, view = restored.settings, restored.view
    assert current.kind in KINDS and current.solver in SOLVERS
    assert MIN_SAMPLES <= current.n_samples <= MAX_SAMPLES
    assert 2 <= current.n_classes <= min(MAX_CLASSES, current.n_samples)
    assert NOISE_RANGE[0] <= current.noise <= NOISE_RANGE[1]
    assert 0 <= current.seed <= MAX_SEED
    assert current.learning_rate is None or LR_RANGE[0] <= current.learning_rate <= LR_RANGE[1]
    assert math.isinf(current.C) or C_RANGE[0] <= current.C <= C_RANGE[1]
    assert TOL_RANGE[0] <= current.tol <= TOL_RANGE[1]
    assert 1 <= current.max_iter <= MAX_ITER
    assert view.reference in REFERENCES and view.loss_window in LOSS_WINDOWS
    assert view.speed in SPEEDS and (view.point is None or 0 <= view.point <= MAX_POINT)
    assert 0 <= restored.n_iter <= current.replay_budget()
    assert sum(count for _, count in restored.schedule) == restored.n_iter
    assert len(restored.problems) <= len(query) + 1
    for problem in restored.problems:
        assert len(problem) < 200 and problem.isprintable()
        assert "invalid literal" not in problem and "Exceeds the limit" not in problem
    # What the session then writes is a clean link to the same thing.
    written = to_query(current, restored.n_iter, restored.schedule, view)
    again = from_query(written)
    assert again.problems == []
    assert (again.settings, again.view, again.n_iter) == (current, view, restored.n_iter)


@pytest.mark.parametrize(
    ("schedule", "n_iter", "expected"),
    [
        ([], 5, []),
        ([(0.5, 10)], 0, []),
        ([(0.5, 10)], 4, [(0.5, 4)]),
        ([(0.5, 10)], 15, [(0.5, 10)]),
        ([(0.5, 10), (None, 20)], 10, [(0.5, 10)]),
        ([(0.5, 10), (None, 20)], 11, [(0.5, 10), (None, 1)]),
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
    assert per_iteration(kept) == per_iteration(schedule)[: min(n_iter, total)]


def test_every_setting_has_a_url_parameter():
    query = to_query(SEED_NOTE, 0, [])
    assert len(query) == len(fields(Settings)) + 1  # and iter
    full = to_query(SEED_NOTE, 0, [], View("default", False, True, "last", 3, "slow"))
    assert set(full) - set(query) == set(VIEW_NAMES)
    assert QUOTE_LENGTH == 30
