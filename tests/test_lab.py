"""ui.lab: the lab's transitions, directly (no Streamlit), and as a state machine.

The state machine (:class:`LabMachine`) takes random sequences of what a person does — steps,
Play and its ticks, Back, Reset, Fix, a new solver, rate, penalty or data set, pins, lesson
steps, links — and after each checks the rules :mod:`ui.lab` promises: the report agrees
with the model, the lab's link opened anew is the same lab, Back returns to the state before
the last action, nothing runs on after a divergence, no action changes a setting it does not
name, and a smooth tick's frames end where the run is, on the figure's own traces.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from properties import examples

import ui.explain
import ui.settings
from softmax_core import SoftmaxRegression
from ui import export, views
from ui.lab import (
    ANIMATED_SPEEDS,
    OPTIMUM_TOL,
    PAST_RUNS,
    PLAY_SPEEDS,
    Lab,
    new_model,
    training_data,
)
from ui.lessons import LESSONS
from ui.services import MemoryServices
from ui.settings import DEFAULT_BATCH_SIZE, SEED_NOTE, Settings, View, from_query

SERVICES = MemoryServices(size=16)
SMALL_LINE = Settings(kind="line", n_samples=30, learning_rate=None)
SMALL_BLOBS = Settings(kind="blobs", n_samples=30, n_classes=3, seed=2, learning_rate=None)


@pytest.fixture(autouse=True)
def quick_budgets(monkeypatch):
    """Small work budgets: every rule holds for any budget, and the machine stays quick."""
    monkeypatch.setattr(ui.settings, "STEP_SECONDS", 0.01)


def opened(query: dict[str, str]) -> Lab:
    return Lab.from_link(query, SERVICES)


def visible(lab: Lab) -> tuple:
    """What a person sees of the run (and Back must restore)."""
    model = lab.model
    return (
        lab.settings,
        model.n_iter_,
        model.loss_,
        model.diverged_,
        model.converged_,
        model.learning_rate_,
        tuple(lab.run.schedule),
    )


# ----------------------------------------------------------------------- transitions


def test_a_new_lab_is_the_seed_note_at_iteration_zero():
    lab = Lab(SERVICES)
    assert lab.settings == SEED_NOTE and lab.model.n_iter_ == 0
    assert lab.model.loss_ == pytest.approx(math.log(3), rel=1e-15)
    assert lab.query() == ui.settings.to_query(SEED_NOTE, 0, [])


def test_run_to_the_optimum_changes_no_setting(monkeypatch):
    monkeypatch.setattr(ui.settings, "STEP_SECONDS", 3.0)  # the app's: enough for it here
    # Reproduced: it set tol = 1e-15 and max_iter = 100000 for good, so that a fresh
    # Newton run, Step x7, said "Converged: no" with ΔJ = -3.75e-11.
    lab = opened({"lr": "auto"})
    before = lab.settings
    lab.run_to_optimum()
    assert lab.settings == before
    assert abs(lab.model.loss_history()[-1] - lab.model.loss_history()[-2]) < OPTIMUM_TOL
    lab.update_settings(solver="newton")
    lab.step(7)
    assert lab.settings.tol == 1e-6 and lab.report().converged


def test_back_after_play_undoes_the_whole_play():
    # Reproduced: Back undid one tick (turbo 345 -> 340, smooth 180 -> 179).
    for speed in ("turbo", "smooth", "fast"):
        lab = opened({"lr": "auto", "speed": speed})
        lab.step(3)
        lab.play("Train")
        for _ in range(4):
            lab.tick()
        lab.pause()
        assert lab.model.n_iter_ > 3
        lab.back()
        assert lab.model.n_iter_ == 3 and not lab.playing


@pytest.mark.parametrize("speed", ui.settings.SPEEDS)
def test_a_tick_keeps_its_iterates_for_the_browser_at_the_animated_speeds_only(speed):
    lab = opened({"lr": "auto", "speed": speed})
    lab.step(2)
    lab.play("Train")
    lab.tick()
    steps = PLAY_SPEEDS[speed][1]
    assert lab.model.n_iter_ == 2 + steps
    frames = lab.frames()
    if speed in ANIMATED_SPEEDS:
        # Where the tick began (drawn already), then each of its steps: one frame each.
        assert frames.iterations == tuple(range(2, 3 + steps))
        assert len(frames.coefs) == len(frames.intercepts) == steps + 1
        np.testing.assert_array_equal(frames.coefs[-1], lab.model.coef_)
    else:
        assert frames is None
    lab.pause()
    assert lab.frames() is None


def test_back_while_playing_stops_and_returns_to_where_play_began():
    lab = opened({"lr": "auto", "speed": "smooth"})
    lab.play("Train")
    lab.tick()
    assert lab.frames() is not None
    lab.back()
    assert (lab.model.n_iter_, lab.playing, lab.frames()) == (0, False, None)


def test_play_never_resumes_after_another_page():
    # Reproduced: Play on Train, Compare (the run stops), back on Train: playing again.
    lab = opened({"lr": "auto"})
    lab.play("Train")
    lab.leave_page("Compare")
    assert not lab.playing
    lab.leave_page("Train")
    assert not lab.playing
    lab.play("Train")
    lab.leave_page("Train")  # a full rerun of its own page goes on playing
    assert lab.playing


def test_a_diverged_link_can_go_back_to_before_its_last_segment():
    # Reproduced: a diverged run opened by link said "Press Back to undo"; Back did nothing.
    lab = opened({"iter": "40", "sched": "0.5x30,1000000.0x10"})
    assert lab.model.diverged_ and lab.can_go_back()
    lab.back()
    assert lab.model.n_iter_ == 30 and not lab.model.diverged_


def test_a_diverged_run_without_a_past_does_not_offer_back():
    lab = opened({"lr": "1000000.0"})
    lab.step(10)
    lab.run.history.clear()  # as if it had been the first action of a link's run
    lab.step()
    assert "Press Back" not in lab.event.text and "Restart" in lab.event.text


@pytest.mark.parametrize("lesson", range(len(LESSONS)))
def test_a_lesson_step_looks_the_same_however_it_is_reached(lesson):
    # Reproduced: lesson 1 step 2 showed Probabilities by Next, the landscape by Back from
    # step 3; log y from lesson 2 step 2 carried into step 1 and all of lesson 3.
    steps = len(LESSONS[lesson].steps)
    for step in range(steps):
        by_link = opened({"lesson": str(lesson + 1), "step": str(step + 1)})
        by_next = opened({"lesson": str(lesson + 1), "step": "1"})
        for later in range(1, step + 1):
            by_next.open_lesson(lesson, later)
        by_back = opened({"lesson": str(lesson + 1), "step": str(steps)})
        by_back.update_view(log_y=True, panel="landscape", speed="slow")
        for earlier in range(steps - 2, step - 1, -1):
            by_back.open_lesson(lesson, earlier)
        if step == steps - 1:
            by_back.open_lesson(lesson, step)
        for other in (by_next, by_back):
            assert other.view == by_link.view
            assert visible(other) == visible(by_link)


def test_a_setting_that_cannot_make_a_data_set_changes_nothing():
    lab = opened({"kind": "blobs", "n": "30"})
    before = visible(lab)
    lab.update_settings(kind="upload")  # no file in this lab
    assert visible(lab) == before and lab.event.level == "error"


def test_long_work_stops_once_the_person_has_gone(monkeypatch):
    monkeypatch.setattr(ui.settings, "STEP_SECONDS", 1.0)
    calls = []

    def gone() -> bool:
        calls.append(1)
        return len(calls) > 2  # gone after two slices

    lab = Lab(SERVICES, cancelled=gone)
    lab.update_settings(learning_rate=None)
    with pytest.raises(ui.lab.SessionGoneError):
        lab.run_to_optimum()
    assert 0 < lab.model.n_iter_ < lab.settings.step_budget()
    assert lab.run.schedule == [(None, lab.model.n_iter_)]  # what was done is recorded


def test_opening_a_link_stops_once_the_person_has_gone(monkeypatch):
    monkeypatch.setattr(ui.settings, "STEP_SECONDS", 1.0)
    with pytest.raises(ui.lab.SessionGoneError):
        Lab.from_link({"lr": "auto", "iter": "60000"}, SERVICES, cancelled=lambda: True)


def test_an_upload_is_used_as_chosen_or_refused_with_why():
    # Reproduced: a file a,b,label whose labels are all "x" was used at once, with b as
    # the label, while the Features picker showed nothing selected.
    raw = b"a,b,label\n" + b"".join(f"{i},{i % 3},x\n".encode() for i in range(20))
    lab = opened({})
    lab.receive_upload("one-class.csv", raw)
    assert lab.settings.kind == "line"  # the data set in use stays
    assert lab.event.level == "error" and "'label'" in lab.event.text
    assert lab.event.text.count("only one class") == 1
    assert lab.upload_choice() == (("a", "b"), "label")  # what the Data page proposes
    lab.use_upload(("a",), "b")
    assert lab.settings.kind == "upload"
    assert (lab.settings.upload_columns, lab.settings.upload_label) == (("a",), "b")
    assert lab.upload_choice() == (("a",), "b")
    assert lab.dataset.feature_names == ("a",)


def csv_file(offset: float) -> bytes:
    """A small readable CSV: one feature, three classes (``offset`` tells two files apart)."""
    rows = "".join(f"{i + offset},{i % 3}\n" for i in range(24))
    return ("x,label\n" + rows).encode()


CSV_A, CSV_B = csv_file(0.0), csv_file(0.5)
NO_UPLOAD = {"upload": None, "upload_columns": (), "upload_label": "", "upload_rows": 0}


def as_saved(settings: Settings) -> Settings:
    """``settings`` as a link or a saved run keeps them: the last file's columns stay in the
    settings of another data source (for the Data page) but travel only with that file."""
    return settings if settings.kind == "upload" else replace(settings, **NO_UPLOAD)


def test_back_past_another_file_returns_to_the_first_files_run():
    # Reproduced: CSV A, Step, CSV B, Back, Back raised "no uploaded file in this session"
    # from the callback (a traceback on the page): the lab kept only the last file.
    lab = opened({})
    lab.receive_upload("a.csv", CSV_A)
    lab.step(5)
    on_a = visible(lab)
    lab.receive_upload("b.csv", CSV_B)
    assert lab.settings.upload != on_a[0].upload and lab.model.n_iter_ == 0
    lab.back()  # B's run has no steps: Back returns to A's run
    assert visible(lab) == on_a
    assert lab.dataset.X[0, 0] == 0.0 and lab.upload.name == "a.csv"
    assert lab.data_description().startswith(r"a\.csv (x)")
    assert lab.take_home().spec.csv_bytes == CSV_A
    lab.back()  # A's steps, then the seed's run
    lab.back()
    assert lab.settings.kind == "line" and lab.event.level == "info"


def test_back_past_an_opened_run_file_returns_to_the_upload_before():
    lab = opened({})
    lab.receive_upload("a.csv", CSV_A)
    lab.step(3)
    on_a = visible(lab)
    other = opened({})
    other.receive_upload("b.csv", CSV_B)
    other.step(7)
    lab.open_run_file(export.JSON_NAME, other.take_home().json_text().encode())
    assert lab.model.n_iter_ == 7 and lab.dataset.X[0, 0] == 0.5
    lab.back()
    assert visible(lab) == on_a and lab.dataset.X[0, 0] == 0.0


def test_the_lab_forgets_files_no_run_learns_from():
    lab = opened({})
    for index in range(PAST_RUNS + 3):
        lab.receive_upload(f"{index}.csv", csv_file(index / 10))
    assert len(lab.past_runs) == PAST_RUNS
    reachable = [lab.settings, *(settings for settings, _ in lab.past_runs)]
    assert set(lab._files) == {s.upload for s in reachable if s.kind == "upload"}


# ----------------------------------------------------------------------- the machine

RATES = st.sampled_from([None, 0.5, 0.05, 3.0, 1e6])
SOLVERS = st.sampled_from(["gd", "nesterov", "newton", "sgd"])
BATCH_SIZES = st.sampled_from([1, 7, 32, 1000])
PENALTIES = st.sampled_from([math.inf, 1.0, 0.01])
SPEEDS = st.sampled_from(["fast", "turbo", "smooth"])
DATA = st.sampled_from([SMALL_LINE, SMALL_BLOBS, replace(SMALL_LINE, n_classes=2, seed=3)])


class LabMachine(RuleBasedStateMachine):
    """Random lectures, with the lab's rules checked after every action."""

    @initialize(data=DATA)
    def open(self, data: Settings) -> None:
        self.lab = opened(ui.settings.to_query(data, 0, []))
        self.undo: list[tuple] = []  # the visible state before each action Back can undo
        self.runs = 0  # new runs since opened: the lab remembers PAST_RUNS of them

    def act(self, action: str, *arguments, names: frozenset = frozenset(), **changes) -> None:
        """Do ``action``; it may change only the settings it ``names``."""
        lab = self.lab
        before_settings, before = lab.settings, visible(lab)
        before_run, was_diverged = lab.run.run_id, lab.model.diverged_
        getattr(lab, action)(*arguments, **changes)
        changed = {
            name
            for name in Settings.__dataclass_fields__
            if getattr(lab.settings, name) != getattr(before_settings, name)
        }
        if action != "back":  # Back returns to earlier settings, whichever they were
            assert changed <= set(names) | set(changes), (action, changed)
        if was_diverged and lab.run.run_id == before_run and action != "back":
            # Nothing runs on after a divergence (a new run, or Back, may leave it).
            assert visible(lab)[1:4] == before[1:4], action
        if action == "back":
            if self.undo:
                assert visible(lab) == self.undo.pop(), "Back returned elsewhere"
            return
        if lab.run.run_id != before_run:
            self.runs += 1
        if visible(lab) != before:
            self.undo.append(before)

    def can_start_runs(self) -> bool:
        return self.runs < PAST_RUNS - 1

    @rule(n=st.sampled_from([1, 10]))
    def step(self, n: int) -> None:
        self.act("step", n)

    @rule()
    def run_to_convergence(self) -> None:
        self.act("run_to_convergence")

    @rule()
    def run_to_optimum(self) -> None:
        self.act("run_to_optimum")

    @rule(speed=SPEEDS, ticks=st.integers(1, 3))
    def play(self, speed: str, ticks: int) -> None:
        self.lab.update_view(speed=speed)
        before = visible(self.lab)
        self.lab.play("Train")
        for _ in range(ticks):
            self.lab.tick()
            self.check_frames()
        self.lab.pause()
        if visible(self.lab) != before:
            self.undo.append(before)

    @rule()
    def back(self) -> None:
        self.act("back")

    @precondition(can_start_runs)
    @rule()
    def reset(self) -> None:
        self.act("reset")

    @rule()
    def fix(self) -> None:
        self.act("use_stable_learning_rate", names=frozenset({"learning_rate"}))

    @precondition(can_start_runs)
    @rule()
    def restart_stable(self) -> None:
        self.act("restart_with_stable_rate", names=frozenset({"learning_rate"}))

    @rule(rate=RATES)
    def rate(self, rate: float | None) -> None:
        self.act("update_settings", learning_rate=rate)

    @precondition(can_start_runs)
    @rule(solver=SOLVERS)
    def solver(self, solver: str) -> None:
        self.act("update_settings", solver=solver)

    @precondition(can_start_runs)
    @rule(batch_size=BATCH_SIZES, batch_seed=st.sampled_from([0, 3]))
    def batches(self, batch_size: int, batch_seed: int) -> None:
        self.act("update_settings", batch_size=batch_size, batch_seed=batch_seed)

    @precondition(can_start_runs)
    @rule(C=PENALTIES)
    def penalty(self, C: float) -> None:
        self.act("update_settings", C=C)

    @precondition(can_start_runs)
    @rule(data=DATA)
    def data(self, data: Settings) -> None:
        fields = ("kind", "n_samples", "n_classes", "seed")
        self.act("update_settings", **{name: getattr(data, name) for name in fields})

    @precondition(can_start_runs)
    @rule(name=st.sampled_from(["a.csv", "b.csv"]))
    def upload(self, name: str) -> None:
        raw = CSV_A if name == "a.csv" else CSV_B
        self.act("receive_upload", name, raw, names=frozenset(Settings.__dataclass_fields__))

    @rule()
    def pin(self) -> None:
        before = visible(self.lab)
        self.lab.pin()
        assert visible(self.lab) == before  # a pin is not a change of the run

    @precondition(can_start_runs)
    @rule(lesson=st.integers(0, len(LESSONS) - 1), step=st.integers(0, 3))
    def lesson(self, lesson: int, step: int) -> None:
        step = min(step, len(LESSONS[lesson].steps) - 1)
        self.act("open_lesson", lesson, step, names=frozenset(Settings.__dataclass_fields__))

    @precondition(can_start_runs)
    @rule()
    def take_the_run_home_and_open_it(self) -> None:
        """The run saved as JSON opens in another session as the same run and view (the
        pins stay with the link), and opening it here changes nothing. (A full-batch run's
        file does not keep the SGD batch settings it ignores.)"""
        lab = self.lab
        text = lab.take_home().json_text().encode()
        again = Lab(SERVICES)
        again.open_run_file(export.JSON_NAME, text)
        if again.model.n_iter_ == lab.model.n_iter_:
            saved = as_saved(lab.settings)
            if saved.solver != "sgd":
                saved = replace(saved, batch_size=DEFAULT_BATCH_SIZE, batch_seed=0)
            assert visible(again) == (saved, *visible(lab)[1:]) and again.view == lab.view
            shown = ("pins", "classroom", "batch", "bseed")
            assert {k: v for k, v in again.query().items() if k not in shown} == {
                k: v for k, v in lab.query().items() if k not in shown
            }
            assert again.event.level == ("error" if lab.model.diverged_ else "success")
        else:  # beyond the replay budget: cut, and said so
            assert again.model.n_iter_ < lab.model.n_iter_
            assert "replay" in again.event.text
        self.act(
            "open_run_file", export.JSON_NAME, text, names=frozenset(Settings.__dataclass_fields__)
        )

    @rule()
    def reopen_by_link(self) -> None:
        """A reconnect: a new lab from the link (Back's memory does not travel)."""
        self.lab = opened(self.lab.query())
        self.undo, self.runs = [], 0

    # -------------------------------------------------------------- the rules

    @invariant()
    def the_report_agrees_with_the_model(self) -> None:
        lab, model = self.lab, self.lab.model
        report = lab.report()
        assert report.n_iter == model.n_iter_ and report.loss == model.loss_
        assert report.converged == model.converged_ and report.diverged == model.diverged_
        # A diverged run's report names the rate its last steps diverged at, even after a
        # Fix set another for steps it will not take (see build_report's diverged_at_rate).
        schedule = lab.run.schedule
        diverged_at = schedule[-1][0] if model.diverged_ and schedule else None
        if diverged_at is not None and diverged_at != model.learning_rate_:
            assert report.learning_rate == diverged_at
        else:
            assert report.learning_rate == model.learning_rate_
        if lab.settings.learning_rate is None:
            assert model.learning_rate_ == pytest.approx(1 / report.lipschitz, rel=1e-12)
        else:
            assert model.learning_rate_ == lab.settings.learning_rate
        assert report.tol == lab.settings.tol and report.max_iter == lab.settings.max_iter

    @invariant()
    def the_link_is_the_lab(self) -> None:
        lab = self.lab
        query = lab.query()
        restored = from_query(query)
        again = opened(query)
        if lab.settings.kind == "upload":  # the file never travels in a link: said so
            # The seed's points (kind, n, k, noise, seed, features), as the notice says.
            assert again.settings.data_key()[:6] == SEED_NOTE.data_key()[:6]
            assert any("uploaded file" in notice for notice in again.notices)
            return
        linked = as_saved(lab.settings)
        assert again.settings == linked and again.view == lab.view
        assert again.classroom == lab.classroom
        kept = [pin.spec for pin in again.pins]
        assert kept == [pin.spec for pin in lab.pins][: len(kept)]
        if len(kept) < len(lab.pins):  # beyond the pins' budget: left out, and said so
            assert any(notice.startswith("pins=") for notice in again.notices)
        if restored.n_iter == lab.model.n_iter_:
            assert visible(again) == (linked, *visible(lab)[1:])
        else:  # beyond the replay budget: cut, and said so
            assert again.model.n_iter_ == restored.n_iter < lab.model.n_iter_
            assert any("replay" in notice for notice in again.notices)

    def check_frames(self) -> None:
        lab = self.lab
        frames = lab.frames()
        if frames is None:
            return
        assert frames.iterations[-1] == lab.model.n_iter_
        report, view = lab.report(), lab.view
        still = views.model_chart(
            lab.model, lab.dataset, report, view, None, 2.0, large=False, height=300
        )
        moving = views.model_chart(
            lab.model, lab.dataset, report, view, frames, 2.0, large=False, height=300
        )
        assert_frames_share_the_figure(still, moving)
        still = views.loss_chart(
            lab.model, report, lab.run.schedule, view, None, 2.0, large=False, height=300
        )
        moving = views.loss_chart(
            lab.model, report, lab.run.schedule, view, frames, 2.0, large=False, height=300
        )
        assert_frames_share_the_figure(still, moving)


def assert_frames_share_the_figure(still: dict, moving: dict) -> None:
    """The animated figure has the still one's traces and axes (so that nothing of an
    animation is left when Play pauses), and its last frame is where the figure is."""
    assert [(t["type"], t.get("name")) for t in moving["data"]] == [
        (t["type"], t.get("name")) for t in still["data"]
    ]
    for axis in ("xaxis", "yaxis"):
        assert moving["layout"][axis] == still["layout"][axis]
    last = moving["frames"][-1]
    for index, data in zip(last["traces"], last["data"], strict=True):
        for name in ("x", "y"):
            if name in data:
                np.testing.assert_allclose(
                    np.asarray(data[name], dtype=float),
                    np.asarray(moving["data"][index][name], dtype=float),
                    rtol=1e-6,
                    atol=1e-6,  # frames are single precision: far finer than a pixel
                )


LabMachine.TestCase.settings = settings(
    max_examples=examples(25),
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_random_lectures(monkeypatch):
    monkeypatch.setattr(ui.settings, "STEP_SECONDS", 0.01)
    LabMachine.TestCase("runTest").runTest()


def test_the_model_a_link_makes_is_the_one_the_settings_describe():
    lab = opened({"solver": "nesterov", "lr": "0.05", "C": "1.0", "iter": "12"})
    expected = new_model(lab.settings).step(training_data(lab.dataset), 12)
    assert isinstance(lab.model, SoftmaxRegression)
    np.testing.assert_array_equal(lab.model.coef_, expected.coef_)
    assert View() == lab.view


def test_the_landscape_says_how_far_off_its_plane_the_optimum_is():
    # Reproduced on /Train?classroom=1&panel=landscape&plane=steepest&lr=auto&iter=30: the
    # star sat on "now" (J = 0.94 against J* = 0.561); the optimum is 8.32 off this plane.
    lab = opened(
        {"classroom": "1", "panel": "landscape", "plane": "steepest", "lr": "auto", "iter": "30"}
    )
    directions, optimum = lab.plane()
    spec, offsets = views.landscape_figure(
        lab.model,
        lab.training,
        directions,
        optimum,
        kind="steepest",
        title="t",
        large=True,
        height=300,
    )
    gap = np.linalg.norm(optimum - np.column_stack([lab.model.coef_, lab.model.intercept_]))
    assert offsets.optimum == pytest.approx(8.32, abs=0.005) and offsets.optimum <= gap
    names = [trace["name"] for trace in spec["data"]]
    # Named with its distance, or (beside "now": a key under the plot) short, the distance
    # in its hover text.
    star = next(t for t in spec["data"] if t["name"].startswith("optimum's shadow"))
    assert star["name"] in ("optimum's shadow (8.32 off the plane)", "optimum's shadow")
    assert "8.32 off this plane" in star["hovertemplate"] and "optimum" not in names
    caption = ui.explain.landscape_caption(directions.eigenvalues[1], offsets)
    assert "the optimum 8.32 off it: the open star is its shadow, not where it is" in caption


def test_the_pins_table_says_where_each_pinned_run_ended():
    lab = opened({"lr": "auto"})
    lab.step(10)
    lab.pin()
    lab.update_settings(learning_rate=0.5)
    lab.step(5)
    lab.pin()
    report = lab.report()
    table = views.pins_table(lab.pins, report.reference_loss, report.C)
    assert table["iterations"] == [10, 15]
    assert table["rate"] == ["1/L", "1/L → 0.5"]
    replayed = opened({"lr": "0.5", "iter": "15", "sched": "autox10,0.5x5"})
    assert table["final J"] == [lab.pins[0].losses[10], replayed.model.loss_]
    J_star = report.reference_loss
    assert table["J − J*"] == [value - J_star for value in table["final J"]]
    other = views.pins_table(lab.pins, None, report.C)
    assert "J − J*" not in other  # a target with another objective: no J*


def test_the_regularization_path_is_computed_once_per_data_set(monkeypatch):
    import ui.services

    computed = []
    compute = ui.services.compute_regularization_path

    def counting(dataset):
        computed.append(dataset.key)
        return compute(dataset)

    monkeypatch.setattr(ui.services, "compute_regularization_path", counting)
    lab = Lab(MemoryServices())
    path = lab.regularization_path()
    assert path is not None and path.complete and len(computed) == 1
    lab.update_settings(C=0.01)  # a new run on the same data: the same path
    assert lab.regularization_path() is path and len(computed) == 1
    lab.update_settings(holdout=0.3)  # new data: a new path, with held-out figures
    assert lab.regularization_path().has_holdout and len(computed) == 2


def test_a_costly_path_waits_until_it_is_asked_for():
    lab = Lab(MemoryServices())
    lab.update_settings(kind="blobs", n_samples=20_000, n_classes=10)
    assert lab.path_on_demand() and lab.regularization_path() is None
    lab.request_path()
    assert lab.regularization_path().n_points == 17
    lab.update_settings(seed=1)  # other data: asked for again
    assert lab.regularization_path() is None


# ----------------------------------------------------------------------- mini-batch SGD


def test_an_sgd_link_builds_the_model_with_its_batches_and_replays_it_exactly():
    query = {"solver": "sgd", "batch": "10", "bseed": "3", "lr": "0.5", "iter": "50"}
    lab = opened(query)
    model = lab.model
    assert (model.solver, model.batch_size, model.batch_seed_, model.shuffle) == (
        "sgd",
        10,
        3,
        True,
    )
    expected = new_model(lab.settings).step(training_data(lab.dataset), 50)
    np.testing.assert_array_equal(model.coef_, expected.coef_)
    assert model.batch_loss_curve_ == expected.batch_loss_curve_
    again = opened(lab.query())
    np.testing.assert_array_equal(again.model.coef_, model.coef_)
    assert again.model.loss_curve_ == model.loss_curve_ and again.model.loss_ == model.loss_
    # The batches are sgd's: another seed is another run.
    other = opened({**query, "bseed": "4"})
    assert other.model.loss_ != model.loss_


def test_changing_the_batch_size_or_seed_of_an_sgd_run_starts_a_new_one():
    lab = opened({"solver": "sgd", "iter": "5"})
    lab.update_settings(batch_size=7)
    assert lab.model.n_iter_ == 0 and lab.model.batch_size == 7
    assert "because the batch size changed to 7" in lab.event.text
    lab.step(3)
    lab.update_settings(batch_seed=9)
    assert lab.model.n_iter_ == 0 and lab.model.batch_seed_ == 9
    assert "because the shuffle seed changed to 9" in lab.event.text
    lab.back()
    assert (lab.model.n_iter_, lab.model.batch_seed_) == (3, 0)


def test_an_sgd_pin_replays_from_its_link_with_its_batches():
    lab = opened({"solver": "sgd", "batch": "8", "bseed": "5", "iter": "20"})
    lab.pin()
    assert lab.pins[0].label == "SGD batch 8 seed 5 0.5, 20 it."
    assert "~8~5" in lab.query()["pins"]
    again = opened({**lab.query(), "solver": "gd", "iter": "0"})
    np.testing.assert_array_equal(again.pins[0].losses, lab.pins[0].losses)
    table = views.pins_table(again.pins, None, None)
    assert table["solver"] == ["sgd, batch 8, seed 5"]


def test_the_sgd_report_measures_the_last_complete_epoch():
    lab = opened({"solver": "sgd", "batch": "30", "lr": "0.5", "iter": "11"})
    report = lab.report()
    n = lab.training.n_samples
    per_epoch = -(-n // 30)
    assert (report.batch_size, report.epoch_steps) == (30, per_epoch)
    epoch = report.last_epoch
    end = 11 // per_epoch * per_epoch
    assert (epoch.start, epoch.end) == (end - per_epoch, end)
    history = lab.model.loss_history()
    changes = np.diff(history[epoch.start : epoch.end + 1])
    assert epoch.change == pytest.approx(history[epoch.end] - history[epoch.start], abs=1e-15)
    assert epoch.rise_total == pytest.approx(changes[changes > 0].sum(), abs=1e-15)
    assert epoch.fall_total == pytest.approx(-changes[changes < 0].sum(), abs=1e-15)
    assert opened({"solver": "sgd", "batch": "30", "iter": "1"}).report().last_epoch is None


def test_run_to_convergence_of_sgd_says_which_epoch_met_the_tolerance(monkeypatch):
    monkeypatch.setattr(ui.settings, "STEP_SECONDS", 3.0)
    lab = opened({"solver": "sgd", "batch": "50", "lr": "auto", "tol": "0.001"})
    lab.run_to_convergence()
    model = lab.model
    assert model.converged_ and lab.event.level == "success"
    per_epoch = 2  # 100 points in batches of 50
    end = model.n_iter_ // per_epoch * per_epoch
    history = model.loss_history()
    change = abs(history[end] - history[end - per_epoch])
    assert change < 1e-3
    assert (
        f"the last complete epoch (steps {end - per_epoch:,} to {end:,}) changed the loss by "
        f"{change:.1e} < 0.001" in lab.event.text
    )
