"""ui.settings: URL query parameters to Settings and View and back, with bounds, work budgets
and plain-text problem messages (no Streamlit)."""

import math
from dataclasses import fields, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from softmax_core import iteration_cost
from softmax_core.solvers import SECONDS_PER_FLOP
from softmax_core.text import plain
from ui.settings import (
    APP_SOLVERS,
    BATCH_RANGE,
    C_RANGE,
    DEFAULT_VIEW,
    HOLDOUT_RANGE,
    KINDS,
    LOSS_WINDOWS,
    LR_RANGE,
    MAX_CLASSES,
    MAX_ITER,
    MAX_LESSON_STEPS,
    MAX_LESSONS,
    MAX_PINS,
    MAX_POINT,
    MAX_SAMPLES,
    MAX_SCHEDULE_SEGMENTS,
    MAX_SEED,
    MIN_SAMPLES,
    NOISE_RANGE,
    PANELS,
    PLANES,
    QUOTE_LENGTH,
    REAL_FEATURE_COUNTS,
    REAL_SIZES,
    REFERENCES,
    REPLAY_FACTOR,
    SEED_NOTE,
    SOLVERS,
    SPEEDS,
    STEP_SECONDS,
    TEMPERATURE_RANGE,
    TOL_RANGE,
    PinSpec,
    Settings,
    View,
    escape_markdown,
    from_query,
    pins_within_budget,
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
VIEW_NAMES = ("ref", "target", "logy", "window", "point", "speed", "panel", "plane", "temp")
# What a link says when it was made on an uploaded file (which no link carries).
UPLOAD_NOTICE = (
    "this link was made with an uploaded file, which never leaves the session that "
    "uploaded it: upload it again on the Data page (showing the seed's data meanwhile)"
)
UPLOAD_FIELDS = {"upload": None, "upload_columns": (), "upload_label": "", "upload_rows": 0}
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
    assert (DEFAULT_VIEW.panel, DEFAULT_VIEW.plane, DEFAULT_VIEW.temperature) == (
        "model",
        "start",
        1.0,
    )
    assert (DEFAULT_VIEW.lesson, DEFAULT_VIEW.lesson_step) == (None, 0)
    assert (SEED_NOTE.features, SEED_NOTE.standardise, SEED_NOTE.holdout) == ((), False, 0.0)
    assert SEED_NOTE.upload is None


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
    view = replace(view, point=7, speed="slow", panel="landscape", plane="steepest")
    query = to_query(SEED_NOTE, 0, [], replace(view, temperature=0.05))
    assert {name: query[name] for name in VIEW_NAMES} == {
        "ref": "default",
        "target": "0",
        "logy": "1",
        "window": "logx",
        "point": "7",
        "speed": "slow",
        "panel": "landscape",
        "plane": "steepest",
        "temp": "0.05",
    }
    assert "point" not in to_query(SEED_NOTE, 0, [], View(point=None))
    assert not {"lesson", "step"} & set(query)


def test_a_lesson_step_is_written_counting_from_one():
    query = to_query(SEED_NOTE, 0, [], View(lesson=0, lesson_step=2))
    assert (query["lesson"], query["step"]) == ("1", "3")
    restored = from_query({"lesson": "1", "step": "3"})
    assert (restored.view.lesson, restored.view.lesson_step) == (0, 2)
    assert restored.problems == []


def test_a_step_without_a_lesson_is_ignored_so_that_the_link_round_trips():
    # Found by the property test below: the step was kept, and the link the session then
    # wrote (no lesson, so no step) opened at another step.
    restored = from_query({"kind": "", "n": "", "step": "2"})
    assert (restored.view.lesson, restored.view.lesson_step) == (None, 0)
    assert any(problem.startswith("step=") for problem in restored.problems)
    again = from_query(to_query(restored.settings, 0, [], restored.view))
    assert again.view == restored.view and again.problems == []


def test_to_query_writes_a_schedule_only_when_the_rate_changed():
    query = to_query(replace(SEED_NOTE, learning_rate=None), 30, [(0.5, 10), (None, 20)])
    assert query["lr"] == "auto"
    assert query["sched"] == "0.5x10,autox20"
    assert "sched" not in to_query(SEED_NOTE, 30, [(0.5, 30)])
    # The rate changed after the last step: the link still replays the old one.
    query = to_query(replace(SEED_NOTE, learning_rate=0.1), 10, [(0.5, 10)])
    assert query["sched"] == "0.5x10"
    assert from_query(query).schedule == [(0.5, 10)]


SEED_DATA_KEY = ("line", 100, 3, 0.1, 0, (), False, 0.0, 0, None, (), "")


def test_keys_and_runs():
    assert SEED_NOTE.data_key() == SEED_DATA_KEY
    assert SEED_NOTE.run_key() == (*SEED_DATA_KEY, math.inf, "gd")
    other = replace(SEED_NOTE, learning_rate=0.1, tol=1e-3, max_iter=5)
    assert other.run_key() == SEED_NOTE.run_key()
    assert replace(SEED_NOTE, C=1.0).run_key() != SEED_NOTE.run_key()
    assert replace(SEED_NOTE, solver="newton").run_key() != SEED_NOTE.run_key()


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "iris"},
        {"features": (2, 3)},
        {"standardise": True},
        {"holdout": 0.2},
        {"holdout_seed": 3},
        {"upload": "ab12"},
        {"upload_columns": ("x",)},
        {"upload_label": "label"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_every_part_of_the_data_set_is_in_its_key(change):
    """The points, the held-out split and the scaling each define the data set."""
    assert replace(SEED_NOTE, **change).data_key() != SEED_NOTE.data_key()


def test_the_work_budget_counts_the_points_of_the_data_set_in_use():
    for kind, size in REAL_SIZES.items():
        assert Settings(kind=kind, n_samples=100_000).n_points == size
    assert Settings(kind="upload", upload_rows=2_000).n_points == 2_000
    assert Settings(kind="upload").n_points == 1
    big = Settings(kind="upload", upload_rows=100_000, upload_columns=("a", "b"))
    assert big.iteration_cost() == iteration_cost("gd", 100_000, 2, MAX_CLASSES)


def step_work() -> float:
    return STEP_SECONDS / SECONDS_PER_FLOP


@pytest.mark.parametrize("solver", APP_SOLVERS)
@pytest.mark.parametrize(
    ("kind", "n_samples", "n_classes"),
    [("line", 100, 3), ("line", 10_000, 3), ("blobs", 100_000, 10), ("blobs", 1_000, 2)],
)
def test_a_click_does_at_most_its_work_whatever_the_solver_k_and_n(
    solver, kind, n_samples, n_classes
):
    # Reproduced: the budget counted points only, so at n = 100,000 and k = 10 a Newton link
    # (whose Hessian grows with (k (d + 1))^2) took 117 s and 172 CPU-s.
    current = Settings(kind=kind, n_samples=n_samples, n_classes=n_classes, solver=solver)
    cost = iteration_cost(solver, n_samples, 2 if kind == "blobs" else 1, n_classes, 32)
    assert current.iteration_cost() == cost
    budget = current.step_budget()
    assert 1 <= budget <= MAX_ITER
    assert budget * cost <= step_work() or budget == 1
    assert budget == MAX_ITER or (budget + 1) * cost > step_work()
    assert current.replay_budget() == current.iterations_within(REPLAY_FACTOR * STEP_SECONDS)


def test_dearer_solvers_and_more_classes_get_fewer_iterations():
    data = Settings(kind="blobs", n_samples=100_000, n_classes=10)
    gd, nesterov, newton = (replace(data, solver=s).step_budget() for s in SOLVERS)
    assert newton < nesterov < gd
    assert replace(data, n_classes=3).step_budget() > gd


def test_replay_budget_cuts_iter_and_says_what_was_restored():
    query = {"n": "100000", "iter": "30000", "lr": "0.1", "sched": "0.5x15000,0.1x15000"}
    budget = replace(SEED_NOTE, n_samples=100_000, learning_rate=0.1).replay_budget()
    assert budget < 15_000
    restored = from_query(query)
    assert restored.n_iter == budget
    assert restored.schedule == [(0.5, budget)]
    assert restored.problems == [
        f"iter=30,000 is more than a link may replay on 100,000 points with gd; restored the "
        f"first {budget:,} iterations"
    ]


def test_pins_beyond_their_budget_are_left_out_with_a_notice():
    data = {"kind": "blobs", "n": "100000", "k": "10"}
    newton = replace(SEED_NOTE, kind="blobs", n_samples=100_000, n_classes=10)
    each = newton.step_budget("newton") // 2 + 1  # two fit, a third does not
    pins = ";".join(f"newton~none~autox{each - i}" for i in range(4))
    restored = from_query({**data, "pins": pins})
    assert [pin.n_iter for pin in restored.pins] == [each]
    assert restored.problems == [
        f"pins={quote(pins)!r}: 3 of 4 left out: replaying them would take more than "
        f"{STEP_SECONDS:g} s of work on this data"
    ]


BAD_VALUES = [
    ("kind", "cube", "must be one of line, blobs, iris, wine, upload; using the default"),
    ("kind", "Line", "must be one of line, blobs, iris, wine, upload"),
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
    ("solver", "lbfgs", "must be one of gd, nesterov, newton, sgd"),
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
    ("speed", "warp", f"must be one of {', '.join(SPEEDS)}; using the default"),
    ("classroom", "yes", "must be 1 or 0; classroom mode off"),
    ("std", "yes", "must be 1 or 0"),
    ("holdout", "0.6", "must be a number from 0 to 0.5"),
    ("holdout", "-0.1", "must be a number from 0 to 0.5"),
    ("hseed", "-1", "must be a whole number from 0 to 4,294,967,295"),
    ("panel", "3d", "must be one of model, landscape, simplex"),
    ("plane", "random", "must be one of start, steepest"),
    ("temp", "0", "must be a number from 0.05 to 20"),
    ("temp", "21", "must be a number from 0.05 to 20"),
    ("temp", "inf", "must be a number from 0.05 to 20"),
    ("lesson", "0", "must be a whole number from 1 to 9"),
    ("lesson", "10", "must be a whole number from 1 to 9"),
    ("step", "0", "must be a whole number from 1 to 20"),
    ("pins", "gd~none", "must be pins like gd~none~0.5x30 separated by ;; no pins"),
    ("pins", "lbfgs~none~0.5x3", "must be one of gd, nesterov, newton, sgd; no pins"),
    ("pins", "gd~0~0.5x3", "must be a number from 0.0001 to 10000; no pins"),
    ("pins", "gd~none~0.5x0", "must be segments like 0.5x120,autox30; no pins"),
    ("pins", ";".join(["gd~none~0.5x1"] * (MAX_PINS + 1)), "has more than 4 pins; no pins"),
    (
        "pins",
        "gd~none~0.5x100000,0.5x100000",
        "1 of 1 left out: replaying them would take more than 3 s of work on this data; no pins",
    ),
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


@pytest.mark.parametrize(
    ("kind", "raw", "why"),
    [
        ("iris", "4", "must be a whole number from 0 to 3"),
        ("iris", "1,1", "must be two different columns"),
        ("wine", "1,2,3", "must be one or two column numbers"),
        ("wine", "x", "must be a whole number from 0 to 12"),
    ],
)
def test_bad_features_of_a_real_data_set_give_the_default_ones(kind, raw, why):
    restored = from_query({"kind": kind, "features": raw})
    assert restored.settings == replace(SEED_NOTE, kind=kind)
    assert restored.problems == [f"features={quote(raw)!r}: {why}; using the default"]


@pytest.mark.parametrize(
    ("kind", "raw", "features"), [("iris", "3,2", (3, 2)), ("wine", "12", (12,))]
)
def test_features_of_a_real_data_set_come_from_the_link_in_their_order(kind, raw, features):
    restored = from_query({"kind": kind, "features": raw})
    assert restored.problems == []
    assert restored.settings == replace(SEED_NOTE, kind=kind, features=features)
    assert to_query(restored.settings, 0, [])["features"] == raw


def test_an_upload_link_says_the_file_must_be_uploaded_again_and_shows_the_seed_data():
    uploaded = replace(
        SEED_NOTE,
        kind="upload",
        upload="0" * 64,
        upload_columns=("a", "b"),
        upload_label="c",
        upload_rows=500,
        holdout=0.2,
        standardise=True,
    )
    query = to_query(uploaded, 0, [])
    assert query["kind"] == "upload"
    assert not {"upload", "columns", "label"} & set(query)
    assert not any("0" * 64 in value for value in query.values())  # not even its digest
    restored = from_query(query)
    assert restored.problems == [UPLOAD_NOTICE]
    assert restored.settings == replace(SEED_NOTE, holdout=0.2, standardise=True)


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
        # softmax_core.text.plain: whitespace runs are one space, other unprintables "?".
        ("a\nb\x00c\u202ed", 30, "a b?c?d"),
        (" a\t\r\n b ", 30, "a b"),
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
    # Whitespace runs are one space, other unprintable characters "?" (softmax_core.text).
    assert unescape(escaped) == plain(text, None)


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
def pin_specs(draw, settings):
    schedule = draw(st.lists(st.tuples(valid_lr, st.integers(1, 1000)), min_size=1, max_size=3))
    budget = settings.step_budget()
    schedule = [(lr, min(count, budget // 3)) for lr, count in schedule]
    C = draw(st.one_of(st.just(math.inf), st.floats(*C_RANGE)))
    solver = draw(st.sampled_from(APP_SOLVERS))
    if solver != "sgd":
        return PinSpec(solver, C, tuple(schedule))
    batch_size, batch_seed = draw(st.integers(*BATCH_RANGE)), draw(st.integers(0, MAX_SEED))
    return PinSpec(solver, C, tuple(schedule), batch_size, batch_seed)


@st.composite
def valid_runs(draw):
    """Any run a link can carry: every kind but an upload (tested on its own), with the
    features of a real data set, a split, scaling, a view, a lesson's step and pins."""
    kind = draw(st.sampled_from([kind for kind in KINDS if kind != "upload"]))
    features = ()
    if kind in REAL_FEATURE_COUNTS:
        columns = st.integers(0, REAL_FEATURE_COUNTS[kind] - 1)
        features = tuple(draw(st.lists(columns, min_size=0, max_size=2, unique=True)))
    holdout = draw(st.one_of(st.just(0.0), st.floats(*HOLDOUT_RANGE)))
    settings = Settings(
        kind=kind,
        features=features,
        standardise=draw(st.booleans()),
        holdout=holdout,
        holdout_seed=draw(st.integers(0, MAX_SEED)),
        n_samples=draw(st.integers(MIN_SAMPLES, MAX_SAMPLES)),
        n_classes=draw(st.integers(2, MAX_CLASSES)),
        noise=draw(st.floats(*NOISE_RANGE)),
        seed=draw(st.integers(0, MAX_SEED)),
        learning_rate=draw(valid_lr),
        C=draw(st.one_of(st.just(math.inf), st.floats(*C_RANGE))),
        solver=draw(st.sampled_from(APP_SOLVERS)),
        tol=draw(st.floats(*TOL_RANGE)),
        max_iter=draw(st.integers(1, MAX_ITER)),
        batch_size=draw(st.one_of(st.just(32), st.integers(*BATCH_RANGE))),
        batch_seed=draw(st.one_of(st.just(0), st.integers(0, MAX_SEED))),
    )
    view = View(
        reference=draw(st.sampled_from(REFERENCES)),
        show_target=draw(st.booleans()),
        log_y=draw(st.booleans()),
        loss_window=draw(st.sampled_from(LOSS_WINDOWS)),
        point=draw(st.one_of(st.none(), st.integers(0, MAX_POINT))),
        speed=draw(st.sampled_from(SPEEDS)),
        panel=draw(st.sampled_from(PANELS)),
        plane=draw(st.sampled_from(PLANES)),
        temperature=draw(st.floats(*TEMPERATURE_RANGE)),
        lesson=draw(st.one_of(st.none(), st.integers(0, MAX_LESSONS - 1))),
    )
    if view.lesson is not None:
        view = replace(view, lesson_step=draw(st.integers(0, MAX_LESSON_STEPS - 1)))
    n_iter = draw(st.integers(0, settings.replay_budget()))
    schedule = []
    if n_iter:
        # Segments adding up to n_iter; the rate may have changed since, or never.
        cuts = sorted(draw(st.sets(st.integers(1, n_iter - 1), max_size=5)) if n_iter > 1 else [])
        counts = [b - a for a, b in zip([0, *cuts], [*cuts, n_iter], strict=True)]
        same = st.just(settings.learning_rate)
        rates = [draw(st.one_of(same, valid_lr)) for _ in counts]
        schedule = list(zip(rates, counts, strict=True))
    # What a link may replay: the first pins within the pins' budget.
    pins, _ = pins_within_budget(
        tuple(draw(st.lists(pin_specs(settings), max_size=MAX_PINS))), settings
    )
    return settings, view, n_iter, schedule, draw(st.booleans()), pins


def per_iteration(schedule) -> list[float | None]:
    """The learning rate of each iteration (segments may merge or split)."""
    return [lr for lr, count in schedule for _ in range(count)]


@given(valid_runs())
def test_to_query_and_from_query_round_trip(run):
    settings, view, n_iter, schedule, classroom, pins = run
    query = to_query(settings, n_iter, schedule, view, classroom=classroom, pins=pins)
    assert all(isinstance(v, str) for v in query.values())
    restored = from_query(query)
    assert restored.problems == []
    assert (restored.settings, restored.view, restored.classroom) == (settings, view, classroom)
    assert restored.n_iter == n_iter
    assert per_iteration(restored.schedule) == per_iteration(schedule)
    assert restored.pins == pins
    written = to_query(
        restored.settings,
        restored.n_iter,
        restored.schedule,
        restored.view,
        classroom=classroom,
        pins=restored.pins,
    )
    assert written == query


@given(valid_runs(), st.text(min_size=1, max_size=20), st.integers(1, MAX_SAMPLES))
def test_a_link_never_carries_an_upload_and_says_so(run, column, rows):
    settings, view, _, _, classroom, _ = run
    uploaded = replace(
        settings,
        kind="upload",
        features=(),
        upload="f" * 64,
        upload_columns=(column,),
        upload_label=column + "!",
        upload_rows=rows,
    )
    query = to_query(uploaded, 0, [], view, classroom=classroom)
    restored = from_query(query)
    assert restored.problems == [UPLOAD_NOTICE]
    # The seed's points, split, scaled and trained as the link asks.
    seed_points = ("kind", "n_samples", "n_classes", "noise", "seed", "features")
    seed_data = {name: getattr(SEED_NOTE, name) for name in seed_points}
    assert restored.settings == replace(uploaded, **seed_data, **UPLOAD_FIELDS)
    assert restored.view == view


NAMES = [
    *SEED_QUERY,
    *VIEW_NAMES,
    "sched",
    "classroom",
    "utm_source",
    "features",
    "std",
    "holdout",
    "hseed",
    "pins",
    "lesson",
    "step",
    "batch",
    "bseed",
]


@given(st.dictionaries(st.sampled_from(NAMES), st.text(max_size=40)))
def test_any_query_gives_bounded_settings_and_short_plain_problems(query):
    restored = from_query(query)
    current, view = restored.settings, restored.view
    assert current.kind in KINDS and current.solver in APP_SOLVERS
    assert BATCH_RANGE[0] <= current.batch_size <= BATCH_RANGE[1]
    assert 0 <= current.batch_seed <= MAX_SEED
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
    assert view.panel in PANELS and view.plane in PLANES
    assert TEMPERATURE_RANGE[0] <= view.temperature <= TEMPERATURE_RANGE[1]
    assert view.lesson is None or 0 <= view.lesson < MAX_LESSONS
    assert 0 <= view.lesson_step < MAX_LESSON_STEPS
    assert current.kind != "upload" and current.upload is None
    assert HOLDOUT_RANGE[0] <= current.holdout <= HOLDOUT_RANGE[1]
    if current.features:
        assert current.kind in REAL_FEATURE_COUNTS
        assert all(0 <= j < REAL_FEATURE_COUNTS[current.kind] for j in current.features)
        assert 1 <= len(set(current.features)) == len(current.features) <= 2
    assert len(restored.pins) <= MAX_PINS
    assert all(pin.n_iter <= current.step_budget() for pin in restored.pins)
    assert 0 <= restored.n_iter <= current.replay_budget()
    assert sum(count for _, count in restored.schedule) == restored.n_iter
    assert len(restored.problems) <= len(query) + 1
    for problem in restored.problems:
        assert len(problem) < 200 and problem.isprintable()
        assert "invalid literal" not in problem and "Exceeds the limit" not in problem
    # What the session then writes is a clean link to the same thing.
    written = to_query(current, restored.n_iter, restored.schedule, view, pins=restored.pins)
    again = from_query(written)
    assert again.problems == []
    assert (again.settings, again.view, again.n_iter) == (current, view, restored.n_iter)
    assert again.pins == restored.pins


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


# Settings a link leaves out while they have their default value (written when set), and
# those no link carries: an uploaded file stays in the session that uploaded it.
OPTIONAL_SETTINGS = {
    "features": "features",
    "standardise": "std",
    "holdout": "holdout",
    "batch_size": "batch",
    "batch_seed": "bseed",
}
NEVER_IN_A_LINK = {"upload", "upload_columns", "upload_label", "upload_rows"}


def test_every_setting_has_a_url_parameter():
    query = to_query(SEED_NOTE, 0, [])
    always = len(fields(Settings)) - len(OPTIONAL_SETTINGS) - len(NEVER_IN_A_LINK) - 1
    assert len(query) == always + 1  # and iter; holdout_seed goes with holdout
    assert {f.name for f in fields(Settings)} >= set(OPTIONAL_SETTINGS) | NEVER_IN_A_LINK
    full = replace(
        SEED_NOTE,
        kind="iris",
        features=(2, 3),
        standardise=True,
        holdout=0.3,
        batch_size=10,
        batch_seed=3,
    )
    written = to_query(full, 0, [])
    assert set(written) - set(query) == {*OPTIONAL_SETTINGS.values(), "hseed"}
    view = View("default", False, True, "last", 3, "slow", "landscape", "steepest", 2.0)
    full = to_query(SEED_NOTE, 0, [], view)
    assert set(full) - set(query) == set(VIEW_NAMES)
    assert QUOTE_LENGTH == 30


# ------------------------------------------------------------- mini-batch SGD


def test_an_sgd_link_carries_its_batch_size_and_seed_and_omits_the_defaults():
    sgd = Settings(solver="sgd", batch_size=10, batch_seed=3)
    query = to_query(sgd, 50, [(0.5, 50)])
    assert (query["solver"], query["batch"], query["bseed"]) == ("sgd", "10", "3")
    restored = from_query(query)
    assert restored.problems == []
    assert restored.settings == sgd and restored.n_iter == 50
    plain = to_query(Settings(solver="sgd"), 0, [])
    assert "batch" not in plain and "bseed" not in plain
    assert from_query(plain).settings == Settings(solver="sgd", batch_size=32, batch_seed=0)


@pytest.mark.parametrize("raw", ["0", "-3", "abc", "2.5", "100001", "１０", ""])
def test_a_bad_batch_size_is_named_and_the_default_used(raw):
    restored = from_query({"solver": "sgd", "batch": raw})
    assert restored.settings == Settings(solver="sgd")
    assert restored.problems == [
        f"batch={raw!r}: must be a whole number from 1 to 100,000; using the default"
    ]


@pytest.mark.parametrize("raw", ["-1", "x", "4294967296"])
def test_a_bad_shuffle_seed_is_named_and_the_default_used(raw):
    restored = from_query({"solver": "sgd", "bseed": raw})
    assert restored.settings == Settings(solver="sgd")
    assert restored.problems == [
        f"bseed={raw!r}: must be a whole number from 0 to 4,294,967,295; using the default"
    ]


def test_the_batches_are_part_of_an_sgd_run_only():
    sgd = Settings(solver="sgd")
    assert replace(sgd, batch_size=5).run_key() != sgd.run_key()
    assert replace(sgd, batch_seed=5).run_key() != sgd.run_key()
    gd = Settings()
    assert replace(gd, batch_size=5, batch_seed=5).run_key() == gd.run_key()


def test_an_sgd_click_costs_its_batch():
    small = Settings(solver="sgd", n_samples=10_000, batch_size=10)
    large = replace(small, batch_size=1_000)
    assert small.iteration_cost() == iteration_cost("sgd", 10_000, 1, 3, 10)
    assert small.iteration_cost() < large.iteration_cost()
    assert small.step_budget() >= large.step_budget()


def test_sgd_pins_carry_their_batches_and_a_pin_without_them_is_refused():
    pin = PinSpec("sgd", math.inf, ((0.5, 30),), 10, 3)
    query = to_query(Settings(), 0, [], pins=(pin,))
    assert query["pins"] == "sgd~none~0.5x30~10~3"
    assert from_query(query).pins == (pin,)
    refused = from_query({"pins": "sgd~none~0.5x30"})
    assert refused.pins == ()
    assert refused.problems == [
        "pins='sgd~none~0.5x30': must give an sgd pin its batch size and seed: "
        "sgd~none~0.5x30~32~0; no pins"
    ]
    assert from_query({"pins": "sgd~none~0.5x30~0~3"}).pins == ()
