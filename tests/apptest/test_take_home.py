"""Take the run home (issue 20): the Train page and a lesson step offer the run on screen as a
notebook, a script and a JSON file; the Data page opens such a JSON file again.

The downloads are read as a browser would get them (the ``downloads`` fixture calls the
deferred ``data`` the page registered). What they must hold is the run the page shows: its
link (``url``, read by ``ui.settings.from_query``), its metrics, and the model the link
replays with the core alone (``expected``). The three files are checked against each other
through ``ui.export``'s own readers: the JSON file read back is the spec the notebook and the
script were made from.
"""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pytest

from ui import export, training
from ui.report import format_number

from .conftest import (
    BACK,
    DATA,
    FIX,
    LESSONS_PAGE,
    STEP,
    STEP10,
    TRAIN,
    Uploaded,
    assert_ok,
    assert_same_run_state,
    check_consistency,
    click,
    expected,
    go,
    iteration,
    metric,
    open_app,
    plain,
    record_upload,
    run_state,
    toast,
    url,
)
from .test_upload import flowers, upload

NOTEBOOK, SCRIPT, JSON = "w.export.notebook", "w.export.script", "w.export.json"
OPENER = "w.data.open_run."  # and a number: the key changes after each file


def open_take_home(at) -> None:
    """Open "Take this run home" below the charts (its contents are drawn only while it is
    open), as a reader's click does: the expander's own key, then a rerun."""
    if not any(b.key == NOTEBOOK for b in at.download_button):
        at.session_state[training.TAKE_HOME_KEY] = True
        at.run()
        assert_ok(at)


def download(at, key: str, downloads) -> str:
    open_take_home(at)
    button = at.download_button(key=key)
    return downloads(button)


def files(at, downloads) -> dict[str, str]:
    """The three downloads of the page as drawn: their labels, then their contents."""
    open_take_home(at)
    labels = {b.key: b.label for b in at.download_button}
    assert labels == {
        NOTEBOOK: "Download notebook",
        SCRIPT: "Download script",
        JSON: "Download run (JSON)",
    }
    for button in at.download_button:
        assert (
            downloads.file_name(button)
            == {
                NOTEBOOK: export.NOTEBOOK_NAME,
                SCRIPT: export.SCRIPT_NAME,
                JSON: export.JSON_NAME,
            }[button.key]
        )
    return {key: download(at, key, downloads) for key in (NOTEBOOK, SCRIPT, JSON)}


def assert_files_are_the_run_on_screen(at, downloads) -> export.OpenedRun:
    """The JSON file is the run the link describes, at the iteration and loss the metrics
    show, with the parameters the core replays from the link; the notebook and the script
    are ui.export's of that same run; returns the JSON file read back."""
    contents = files(at, downloads)
    document = json.loads(contents[JSON])
    opened, problems = export.spec_from_json(contents[JSON])
    assert problems == [] and opened is not None
    state = expected(at)
    assert opened.spec.settings == state.settings
    assert opened.spec.schedule == [tuple(segment) for segment in state.schedule]
    assert opened.view == state.view
    model = document["model"]
    assert model["n_iter"] == iteration(at) == state.n_iter
    assert format_number(model["loss"]) == metric(at, "Loss J")
    np.testing.assert_allclose(model["coef"], state.model.coef_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model["intercept"], state.model.intercept_, rtol=1e-12, atol=1e-12)
    history = model["loss_history"]
    assert history["iterations"] == list(range(state.n_iter + 1))
    np.testing.assert_allclose(history["loss"], state.model.loss_history(), rtol=1e-12)
    notebook = nbformat.reads(contents[NOTEBOOK], as_version=4)
    nbformat.validate(notebook)
    cells = [(c.cell_type, c.source) for c in notebook.cells]  # the ids are random
    assert cells == [(c.cell_type, c.source) for c in export.notebook(opened.spec).cells]
    assert contents[SCRIPT] == export.script(opened.spec)
    compile(contents[SCRIPT], export.SCRIPT_NAME, "exec")  # Python, whole
    return opened


def opener(at):
    found = [u for u in at.file_uploader if u.key and u.key.startswith(OPENER)]
    assert len(found) == 1, [u.key for u in at.file_uploader]
    return found[0]


def open_run_file(at, content: bytes | str, name: str = export.JSON_NAME):
    """Hand a saved run to the Data page's uploader of runs, as a browser would."""
    raw = content.encode() if isinstance(content, str) else content
    before = opener(at).key
    opener(at).set_value((name, raw, "application/json")).run()
    assert_ok(at)
    assert opener(at).key != before and not opener(at).value  # the uploader let go of it
    return at


# ---------------------------------------------------------------------- downloads


def test_the_train_page_offers_the_run_on_screen_with_its_fix(downloads):
    """The seed's 30 chaotic steps, Fix, 10 steps at 1/L: the schedule the files hold has
    the Fix as its own segment."""
    at = open_app({"iter": "30"}, TRAIN)
    click(at, FIX)
    click(at, STEP10)
    opened = assert_files_are_the_run_on_screen(at, downloads)
    assert opened.spec.schedule == [(0.5, 30), (None, 10)]
    assert opened.spec.settings.learning_rate is None


def test_a_download_is_the_run_as_the_page_drew_it(downloads):
    """The files are built when someone asks, from the run as it was drawn: a step taken
    since (the next rerun draws new buttons) does not change what the old ones hold."""
    at = open_app({"lr": "auto", "iter": "12"}, TRAIN)
    assert not at.download_button  # drawn only while "Take this run home" is open
    open_take_home(at)
    before = at.download_button(key=JSON)
    loss_before = metric(at, "Loss J")
    click(at, STEP)
    old = json.loads(downloads(before))
    assert old["model"]["n_iter"] == 12 and format_number(old["model"]["loss"]) == loss_before
    new = json.loads(download(at, JSON, downloads))
    assert new["model"]["n_iter"] == 13 == iteration(at)


def test_every_solver_and_data_set_downloads_the_run_on_screen(downloads):
    for query in (
        {"kind": "blobs", "k": "4", "C": "0.1", "lr": "auto", "iter": "25"},
        {"kind": "iris", "features": "2,3", "std": "1", "holdout": "0.2", "iter": "40"},
        {"solver": "nesterov", "iter": "60"},
        {"kind": "wine", "solver": "newton", "C": "1", "iter": "5"},
    ):
        at = open_app(query, TRAIN)
        assert_files_are_the_run_on_screen(at, downloads)


def test_a_lesson_step_offers_its_run(downloads):
    at = open_app({"lesson": "1", "step": "3"}, LESSONS_PAGE)
    opened = assert_files_are_the_run_on_screen(at, downloads)
    assert (opened.view.lesson, opened.view.lesson_step) == (0, 2)
    click(at, STEP)  # the learner goes on: the step's files follow
    assert_files_are_the_run_on_screen(at, downloads)


def test_an_uploaded_file_is_embedded_in_the_files(downloads):
    at = open_app(page=DATA)
    raw = flowers()
    upload(at, "flowers.csv", raw, uses=(("petal", "width"), "species"))
    go(at, TRAIN)
    click(at, STEP10)
    opened = assert_files_are_the_run_on_screen(at, downloads)
    assert opened.spec.csv_bytes == raw and opened.spec.csv_name == "flowers.csv"
    document = json.loads(download(at, JSON, downloads))
    assert document["upload"]["columns"] == ["petal", "width"]
    assert document["upload"]["label"] == "species"


# ---------------------------------------------------------------------- opening a run


@pytest.fixture
def saved(downloads) -> tuple[str, dict, dict]:
    """A run with a Fix, saved from the Train page: the JSON text, the session's link and
    its state as the Train page showed it."""
    at = open_app({"iter": "30"}, TRAIN)
    click(at, FIX)
    click(at, STEP10)
    return download(at, JSON, downloads), url(at), run_state(at)


def test_opening_a_saved_run_restores_it_and_its_link(saved):
    text, link, state = saved
    at = open_app({"kind": "blobs", "iter": "3"}, DATA)  # another run on screen
    open_run_file(at, text)
    loss = state["metrics"]["Loss J"]
    assert toast(at) == f"Opened {export.JSON_NAME}: iteration 40, loss J = {loss}."
    assert url(at) == link
    check_consistency(at)
    go(at, TRAIN)
    assert_same_run_state(at, state)
    click(at, BACK)  # Back returns to the run before the file
    assert url(at)["kind"] == "blobs" and iteration(at) == 3


def test_an_sgd_run_goes_home_as_json_and_says_why_not_as_code(downloads):
    link = {"kind": "blobs", "solver": "sgd", "batch": "10", "bseed": "3", "iter": "12"}
    first = open_app(link, TRAIN)
    why = export.code_refusal(expected(first).settings)
    assert why is not None
    open_take_home(first)
    for key in (NOTEBOOK, SCRIPT):  # nothing to click that would fail
        assert first.download_button(key=key).disabled
    assert why.capitalize() + "." in [plain(c.value) for c in first.caption]
    text, state = download(first, JSON, downloads), run_state(first)
    at = open_app(page=DATA)
    open_run_file(at, text)
    assert toast(at).startswith(f"Opened {export.JSON_NAME}: iteration 12,")
    assert url(at) == url(first)
    check_consistency(at)
    go(at, TRAIN)
    assert_same_run_state(at, state)


def test_opening_a_run_with_an_uploaded_file_restores_the_file(downloads):
    first = open_app(page=DATA)
    raw = flowers(seed=3)
    upload(first, "flowers.csv", raw, uses=(("petal", "width"), "species"))
    go(first, TRAIN)
    click(first, STEP10)
    text, link, state = download(first, JSON, downloads), url(first), run_state(first)
    at = open_app(page=DATA)
    open_run_file(at, text)
    record_upload(at, Uploaded("flowers.csv", raw, ("petal", "width"), "species"))
    assert toast(at).startswith("Opened softmax-lab-run.json: iteration 10,")
    assert url(at) == link
    go(at, TRAIN)
    assert_same_run_state(at, state)
    go(at, DATA)  # the file is the one in use, with its columns
    assert at.multiselect(key="w.data.upload_columns").value == ["petal", "width"]


BAD_FILES = {
    "not-json": (b"{not json", "the file is not JSON (Expecting property name"),
    "not-a-run": (json.dumps({"hello": 1}).encode(), "the file has no field 'format'"),
    "binary": (b"\xff\xfe\x00", "the file is not UTF-8 text"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_file_that_is_not_a_run_says_why_and_keeps_the_run(name):
    content, why = BAD_FILES[name]
    at = open_app({"iter": "7"}, TRAIN)
    before, link = run_state(at), url(at)
    go(at, DATA)
    open_run_file(at, content, f"{name}.json")
    message = toast(at)
    assert message.startswith(f"Could not open {name}.json: {why}"), message
    assert message.endswith("The run on screen stays.")
    assert url(at) == link
    go(at, TRAIN)
    assert_same_run_state(at, before)


def test_a_wrong_value_is_refused_and_one_out_of_bounds_falls_back(saved):
    text, link, _ = saved
    document = json.loads(text)
    document["settings"]["noise"] = "high"
    at = open_app({"iter": "7"}, DATA)
    before = url(at)
    open_run_file(at, json.dumps(document))
    assert toast(at) == (
        f"Could not open {export.JSON_NAME}: settings.noise must be a number, got a string. "
        "The run on screen stays."
    )
    assert url(at) == before
    document["settings"]["noise"] = 0.1
    document["settings"]["max_iter"] = 10**9  # beyond the bound: the default, as a link's
    open_run_file(at, json.dumps(document))
    message = toast(at)
    assert message.startswith(f"Opened {export.JSON_NAME}: iteration 40,"), message
    assert "Some of its values were not valid: settings.max_iter='1000000000'" in message
    assert url(at) == link  # the default is the seed's own max_iter
    check_consistency(at)


def test_a_file_whose_parameters_differ_from_its_replay_says_so(saved):
    text, link, state = saved
    document = json.loads(text)
    document["model"]["coef"][0][0] += 1.0  # edited: the settings replay to the real run
    at = open_app(page=DATA)
    open_run_file(at, json.dumps(document))
    assert toast(at) == (
        f"Opened {export.JSON_NAME}: iteration 40, loss J = {state['metrics']['Loss J']}. "
        "The parameters it records differ from those its settings replay to here by up to "
        "1.0e+00; the page shows the replay."
    )
    assert url(at) == link
    go(at, TRAIN)
    assert_same_run_state(at, state)
