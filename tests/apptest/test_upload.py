"""Your own CSV on the Data page (issue 11): a good file trains; each bad file gets its own
clear message and the data set in use stays; a link cannot carry the file.

Files are handed to the page's ``st.file_uploader`` as a browser would (AppTest's
``set_value``); the data a good file makes are read here with the standard library. A link
says kind=upload but cannot carry the file: the test records which file and which of its
columns it expects the page to learn from (``record_upload``), and every display is then
checked against the run replayed here on those columns.
"""

import re

import numpy as np
import pytest

from .conftest import (
    BACK,
    COMPARE,
    DATA,
    HOME,
    LESSONS_PAGE,
    MATH,
    STEP,
    STEP10,
    TRAIN,
    UPLOAD_NOTICE,
    UPLOADS,
    Uploaded,
    assert_ok,
    chart_data,
    check_consistency,
    choose,
    click,
    go,
    iteration,
    notice,
    open_app,
    plain_text_of,
    raw_event,
    record_upload,
    set_widget,
    summary,
    toast,
    toasts,
    url,
)

UPLOADER = "w.data.upload."  # and a number: the key changes after each file
COLUMNS, LABEL = "w.data.upload_columns", "w.data.upload_label"


def uploader(at):
    found = [u for u in at.file_uploader if u.key and u.key.startswith(UPLOADER)]
    assert len(found) == 1, [u.key for u in at.file_uploader]
    return found[0]


def upload(at, name: str, content: bytes, uses: tuple[tuple[str, ...], str] | None = None):
    """Hand ``content`` to the Data page's uploader as the file ``name``. ``uses`` is what
    the test expects the page to learn from then: the feature columns and the label column
    (checked on the pickers, and recorded for the checks of every display); None for a
    file that must leave the data set in use as it was."""
    before = uploader(at).key
    uploader(at).set_value((name, content, "text/csv")).run()
    assert_ok(at)
    # The uploader lets go of the file once read: a new, empty one takes its place.
    assert uploader(at).key != before and not uploader(at).value
    if uses is not None:
        columns, label = uses
        assert url(at)["kind"] == "upload"
        assert (tuple(at.multiselect(key=COLUMNS).value), at.selectbox(key=LABEL).value) == uses
        record_upload(at, Uploaded(name, content, tuple(columns), label))
    return at


def choose_columns(at, columns: list[str] | None = None, label: str | None = None):
    """Pick the uploaded file's feature columns or its label column on the Data page: the
    page learns from them at once (as the test then records)."""
    if columns is not None:
        at.multiselect(key=COLUMNS).set_value(columns).run()
    if label is not None:
        at.selectbox(key=LABEL).set_value(label).run()
    assert_ok(at)
    used = (tuple(at.multiselect(key=COLUMNS).value), at.selectbox(key=LABEL).value)
    old = UPLOADS[at]
    record_upload(at, Uploaded(old.name, old.raw, *used))
    return at


def csv_file(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def flowers(n_per_class: int = 20, seed: int = 0) -> bytes:
    """Three labelled clusters in two numeric columns, a column of notes, the label last."""
    rng = np.random.default_rng(seed)
    rows = ["petal, width ,note,species"]
    for k, name in enumerate(("setosa", "versicolor", "virginica")):
        for i in range(n_per_class):
            note = f"n{(k + i) % 3}"
            rows.append(f"{rng.normal(k, 0.6):.6f},{rng.normal(2 * k, 0.8):.6f},{note},{name}")
    return csv_file(rows)


def numbers(n: int = 30) -> list[str]:
    """A feature column's cells (all distinct, so it never looks like a label)."""
    return [f"{0.1 * i + 0.05:.2f}" for i in range(n)]


def labelled(cells: list[str], labels: list[str] | None = None) -> bytes:
    labels = labels or [("a", "b", "c")[i % 3] for i in range(len(cells))]
    return csv_file(["x,label", *(f"{c},{y}" for c, y in zip(cells, labels, strict=True))])


def with_cell(value: str, row: int = 4) -> bytes:
    cells = numbers()
    cells[row] = value
    return labelled(cells)


# Each bad file, and what its message must say (line numbers count the header as line 1).
BAD_FILES = {
    "empty": (b"", "the file is empty"),
    "only-blank-lines": (b"\n\n  \n", "the file is empty"),
    "no-header": (csv_file(["1.0,0", "2.0,1", "3.0,0"]), "needs a header line with column names"),
    "header-only": (b"x,label\n", "the file has a header but no data rows"),
    "one-column": (csv_file(["x", "1", "2"]), "the file has only one column ('x')"),
    "non-numeric-feature": (with_cell("abc"), "non-numeric value 'abc' on line 6"),
    "decimal-comma": (with_cell('"1,5"'), "use a dot as the decimal separator"),
    "empty-feature-cell": (with_cell(""), "an empty cell on line 6"),
    "nan": (with_cell("nan"), "'nan' on line 6; features must be finite (no NaN or infinity)"),
    "inf": (with_cell("-inf"), "'-inf' on line 6; features must be finite"),
    "one-class": (labelled(numbers(), ["a"] * 30), "has only one class: 'a'"),
    "eleven-classes": (
        labelled(numbers(33), [f"c{i % 11}" for i in range(33)]),
        "has 11 classes; the limit is 10",
    ),
    "too-many-rows": (
        csv_file(["x,label", *(f"{i},{i % 2}" for i in range(100_001))]),
        "the file has 100,001 data rows; the limit is 100,000",
    ),
    "too-large": (
        csv_file(["x,label", *(f"{i}.{'0' * 20},{i % 2}" for i in range(40_000))]),
        "the limit is 1,000,000 bytes",
    ),
    "latin-1": ("x,label\n1.5,café\n2.5,thé\n".encode("latin-1"), "not UTF-8 text (line 2"),
    "utf-16": ("x,label\n1,a\n2,b\n".encode("utf-16"), "not UTF-8 text (it is UTF-16)"),
    "binary-renamed-csv": (
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
        "does not look like a text CSV: it holds binary data",
    ),
    "ragged-row": (csv_file(["x,label", "1,a", "2,b,extra", "3,c"]), "line 3 has 3 fields"),
    "stray-quote": (csv_file(["x,label", '1,"a', "2,b"]), "stray or unclosed quote"),
}


# What flowers() is learnt from when it arrives: its numeric columns (the header's spaces
# stripped), and its last column, the one named like a label.
FLOWERS_USES = (("petal", "width"), "species")


def message(at) -> str:
    """The one message about the upload: an error toast that says the data stay."""
    text = toast(at)
    assert text.startswith(("Could not use bad.csv: ", "Could not learn from bad.csv with ")), text
    assert text.endswith(("The data set stays.", "the data set in use stays.")), text
    return text


def proposed_but_refused(at, name: str, label: str) -> None:
    """A readable file whose label column cannot make a data set stays in the session, not
    in use: the Data page says so and offers its columns, the proposed ones chosen."""
    # The file's name is markdown-escaped in the caption; the rest is the page's own text.
    shown = [re.sub(r"\\(.)", r"\1", c.value) for c in at.caption]
    captions = [text for text in shown if text.startswith(f"{name}: ")]
    assert len(captions) == 1 and captions[0].endswith("(not in use: choose its columns)."), (
        captions
    )
    assert at.selectbox(key=LABEL).value == label
    assert at.multiselect(key=COLUMNS).value


@pytest.mark.parametrize(("content", "says"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_each_bad_file_says_what_is_wrong_and_the_data_set_stays(content, says):
    at = open_app({"kind": "blobs", "n": "40", "iter": "5"}, DATA)
    before = (url(at), summary(at))
    upload(at, "bad.csv", content)
    text = message(at)
    assert says in text
    if text.startswith("Could not learn from bad.csv with feature columns "):
        proposed_but_refused(at, "bad.csv", "label")
    assert (url(at), summary(at)) == before  # the same run, at the same iteration
    check_consistency(at)
    go(at, TRAIN)
    click(at, STEP)  # and training goes on where it was
    assert iteration(at) == 6
    check_consistency(at)


@pytest.mark.parametrize(
    "bad",
    [
        "stray-quote",  # not a table: refused before it is kept
        "non-numeric-feature",
        "one-class",
    ],
)
def test_a_bad_file_after_a_good_one_keeps_the_good_one_in_use(bad):
    at = open_app(page=DATA)
    upload(at, "flowers.csv", flowers(), uses=FLOWERS_USES)
    good = (url(at), summary(at))
    upload(at, "bad.csv", BAD_FILES[bad][0])
    assert BAD_FILES[bad][1] in message(at)
    assert (url(at), summary(at)) == good  # named flowers.csv, as its data are
    check_consistency(at)
    go(at, TRAIN)
    click(at, STEP10)
    check_consistency(at)  # still learning from flowers.csv
    set_widget(at, "selectbox", "w.train.C", 1.0)  # a new run on the file in use
    assert toasts(at) == [
        "Training restarted from iteration 0 because the penalty changed the objective (C = 1)."
    ]
    assert url(at)["C"] == "1.0" and url(at)["kind"] == "upload"
    check_consistency(at)


def test_after_a_refused_file_the_file_in_use_still_makes_new_runs():
    at = open_app(page=DATA)
    upload(at, "flowers.csv", flowers(), uses=FLOWERS_USES)
    upload(at, "bad.csv", BAD_FILES["one-class"][0])
    assert "has only one class: 'a'" in message(at)
    go(at, TRAIN)
    set_widget(at, "selectbox", "w.train.C", 1.0)
    assert toasts(at) == [
        "Training restarted from iteration 0 because the penalty changed the objective (C = 1)."
    ]
    assert url(at)["C"] == "1.0"
    check_consistency(at)


def test_a_good_csv_trains_on_every_page():
    at = open_app({"iter": "10"}, DATA)
    upload(at, "flowers.csv", flowers(), uses=FLOWERS_USES)
    assert toasts(at) == ["Training restarted from iteration 0 because you chose flowers.csv."]
    assert any(c.value == "flowers\\.csv: 60 rows, 4 columns (in use)." for c in at.caption)
    assert summary(at).startswith("**Run:** flowers\\.csv (petal, width), 60 points, 3 classes")
    figure = chart_data(at, "w.data.chart")
    assert [t["name"] for t in figure["data"]] == ["setosa", "versicolor", "virginica"]
    check_consistency(at)
    go(at, TRAIN)
    assert iteration(at) == 0
    click(at, STEP)
    click(at, STEP10)
    assert iteration(at) == 11
    check_consistency(at)
    for page in (COMPARE, MATH, HOME, LESSONS_PAGE, DATA):
        go(at, page)
        check_consistency(at)
    assert url(at)["kind"] == "upload"


def test_other_columns_of_the_file_can_be_chosen():
    """The pickers apply on change (there is no "Learn from" button): each choice is a new
    run on the file."""
    at = open_app(page=DATA)
    upload(at, "flowers.csv", flowers(), uses=FLOWERS_USES)
    choose_columns(at, columns=["width"])
    assert toasts(at) == ["Training restarted from iteration 0 because you chose flowers.csv."]
    assert summary(at).startswith("**Run:** flowers\\.csv (width), 60 points, 3 classes")
    check_consistency(at)
    choose_columns(at, label="note")
    assert UPLOADS[at].columns == ("width",) and UPLOADS[at].label == "note"
    assert [t["name"] for t in chart_data(at, "w.data.chart")["data"]] == ["n0", "n1", "n2"]
    check_consistency(at)
    go(at, TRAIN)
    click(at, STEP10)
    check_consistency(at)
    click(at, BACK)  # the step
    click(at, BACK)  # the label column
    assert summary(at).startswith("**Run:** flowers\\.csv (width), 60 points, 3 classes")
    record_upload(at, Uploaded("flowers.csv", flowers(), ("width",), "species"))
    check_consistency(at)


def test_a_label_column_that_cannot_make_a_data_set_is_refused_and_named():
    at = open_app(page=DATA)
    upload(at, "flowers.csv", flowers(), uses=FLOWERS_USES)
    good = (url(at), summary(at))
    at.selectbox(key=LABEL).set_value("width").run()  # a feature column
    assert_ok(at)
    text = toast(at)
    assert text.startswith(
        "Could not learn from flowers.csv with feature columns 'petal', 'width' and label "
        "column 'width': the label column 'width' cannot also be a feature."
    )
    assert text.endswith("Choose its columns on the Data page; the data set in use stays.")
    assert (url(at), summary(at)) == good
    # The pickers show the columns in use again.
    assert (tuple(at.multiselect(key=COLUMNS).value), at.selectbox(key=LABEL).value) == (
        FLOWERS_USES
    )
    check_consistency(at)


def test_an_uploaded_data_set_can_be_held_out_and_standardised():
    at = open_app(page=DATA)
    upload(at, "flowers.csv", flowers(30, seed=4), uses=FLOWERS_USES)
    at.slider(key="w.data.holdout").set_value(0.2).run()
    at.toggle(key="w.data.standardise").set_value(True).run()
    assert_ok(at)
    assert ", 90 points (18 held out), 3 classes, standardised · " in summary(at)
    assert any(c.value == "72 training points, 18 held out." for c in at.caption)
    check_consistency(at)
    go(at, COMPARE)
    check_consistency(at)


def test_going_back_to_a_generated_data_set_and_to_the_file_again():
    at = open_app(page=DATA)
    upload(at, "flowers.csv", flowers(), uses=FLOWERS_USES)
    choose(at, "w.data.kind", "blobs")
    assert url(at)["kind"] == "blobs" and summary(at).startswith("**Run:** 2-D blobs, ")
    check_consistency(at)
    choose(at, "w.data.kind", "upload")
    assert url(at)["kind"] == "upload"
    assert summary(at).startswith("**Run:** flowers\\.csv (petal, width), 60 points, 3 classes")
    check_consistency(at)


def test_going_back_to_the_file_uses_the_columns_chosen_last():
    at = open_app(page=DATA)
    upload(at, "flowers.csv", flowers(), uses=FLOWERS_USES)
    choose_columns(at, columns=["width"], label="note")
    choose(at, "w.data.kind", "blobs")
    choose(at, "w.data.kind", "upload")
    assert summary(at).startswith("**Run:** flowers\\.csv (width), 60 points, 3 classes")
    assert (tuple(at.multiselect(key=COLUMNS).value), at.selectbox(key=LABEL).value) == (
        ("width",),
        "note",
    )
    check_consistency(at)


def test_back_past_a_second_file_returns_to_the_first_files_run():
    # Reproduced: file A, Step, file B, Back raised "no uploaded file in this session" from
    # the button's callback, a traceback on the page.
    at = open_app(page=DATA)
    upload(at, "flowers.csv", flowers(), uses=FLOWERS_USES)
    first = UPLOADS[at]
    go(at, TRAIN)
    click(at, STEP10)
    go(at, DATA)
    upload(at, "other.csv", flowers(seed=1), uses=FLOWERS_USES)
    assert summary(at).startswith("**Run:** other\\.csv (petal, width), 60 points")
    go(at, TRAIN)
    click(at, BACK)  # other.csv's run has no steps: back to flowers.csv's run
    record_upload(at, first)
    assert iteration(at) == 10 and url(at)["kind"] == "upload"
    assert summary(at).startswith("**Run:** flowers\\.csv (petal, width), 60 points")
    check_consistency(at)
    go(at, DATA)
    assert any(c.value == "flowers\\.csv: 60 rows, 4 columns (in use)." for c in at.caption)
    check_consistency(at)


def test_a_link_made_on_an_uploaded_file_asks_for_it_again_and_shows_the_seed_data():
    at = open_app(page=DATA)
    upload(at, "flowers.csv", flowers(), uses=FLOWERS_USES)
    go(at, TRAIN)
    click(at, STEP10)
    link = url(at)
    assert link["kind"] == "upload"
    assert not any(UPLOADS[at].digest in value for value in link.values())
    assert not any("flowers" in value for value in link.values())
    reopened = open_app(link, TRAIN)
    assert UPLOAD_NOTICE.split(":")[0] in notice(reopened).replace("\\", "")
    assert url(reopened)["kind"] == "line"
    assert summary(reopened).startswith("**Run:** 1-D line, 100 points, 3 classes")
    assert iteration(reopened) == 10  # the run's iterations, on the seed's data
    check_consistency(reopened)


def test_a_files_name_and_content_are_shown_as_plain_text():
    """A message quotes the file's name and cells: never as markup (an image link in a
    name would load from anywhere)."""
    at = open_app(page=DATA)
    name = "**a** ![x](http://h.example/x.gif).csv"  # 38 characters: not cut
    upload(at, name, with_cell("*a*"))
    raw = raw_event(at)
    assert plain_text_of(raw) == (
        f"Could not learn from {name} with feature columns 'x' and label column 'label': "
        "column 'x' has the non-numeric value '*a*' on line 6. Choose its columns on the Data "
        "page; the data set in use stays."
    )
