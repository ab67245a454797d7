"""Your own CSV on the Data page (issue 11): a good file trains; each bad file gets its own
clear message and the data set in use stays; a link cannot carry the file.

Files are handed to the page's ``st.file_uploader`` as a browser would (AppTest's
``set_value``); the data a good file makes are read here with the standard library.
"""

import numpy as np
import pytest

from ui.settings import escape_markdown

from .conftest import (
    COMPARE,
    DATA,
    HOME,
    LESSONS_PAGE,
    MATH,
    STEP,
    STEP10,
    TRAIN,
    UPLOAD_NOTICE,
    assert_ok,
    chart_data,
    check_consistency,
    choose,
    click,
    data_set,
    go,
    model_of,
    notice,
    open_app,
    run_of,
    settings_of,
    summary,
    texts,
    toast,
    toasts,
    url,
)

UPLOADER = "w.data.upload"


def upload(at, name: str, content: bytes):
    """Hand ``content`` to the Data page's uploader as the file ``name``."""
    at.file_uploader(key=UPLOADER).set_value((name, content, "text/csv")).run()
    assert_ok(at)
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


def message(at) -> str:
    """The one message about the upload: an error toast that says the data stay."""
    text = toast(at)
    assert text.startswith(("Could not use bad.csv: ", "Those settings cannot make a data set:"))
    assert text.endswith(("The data set stays.", "The previous one stays."))
    return text


@pytest.mark.parametrize(("content", "says"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_each_bad_file_says_what_is_wrong_and_the_data_set_stays(content, says):
    at = open_app({"kind": "blobs", "n": "40", "iter": "5"}, DATA)
    before = (settings_of(at), run_of(at).run_id, model_of(at).n_iter_, summary(at))
    upload(at, "bad.csv", content)
    assert says in message(at)
    assert (settings_of(at), run_of(at).run_id, model_of(at).n_iter_, summary(at)) == before
    check_consistency(at)
    go(at, TRAIN)
    click(at, STEP)  # and training goes on where it was
    assert model_of(at).n_iter_ == 6
    check_consistency(at)


def test_a_bad_file_after_a_good_one_keeps_the_good_one_in_use():
    at = open_app(page=DATA)
    upload(at, "flowers.csv", flowers())
    good = (settings_of(at), summary(at))
    upload(at, "bad.csv", BAD_FILES["non-numeric-feature"][0])
    assert "non-numeric value 'abc' on line 6" in message(at)
    assert (settings_of(at), summary(at)) == good  # named flowers.csv, as its data are
    check_consistency(at)


def test_a_good_csv_trains_on_every_page():
    at = open_app({"iter": "10"}, DATA)
    upload(at, "flowers.csv", flowers())
    assert toasts(at) == ["Training restarted from iteration 0 because you chose flowers.csv."]
    current = settings_of(at)
    assert (current.kind, current.upload_columns, current.upload_label) == (
        "upload",
        ("petal", "width"),  # the numeric columns; the header's spaces stripped
        "species",  # the last column that looks like classes
    )
    assert current.upload_rows == 60
    data = data_set(at)
    assert data.class_names == ("setosa", "versicolor", "virginica")
    assert summary(at).startswith("**Run:** flowers\\.csv (petal, width), 60 points, 3 classes")
    figure = chart_data(at, "w.data.chart")
    assert [t["name"] for t in figure["data"]] == list(data.class_names)
    check_consistency(at)
    go(at, TRAIN)
    assert model_of(at).n_iter_ == 0
    click(at, STEP)
    click(at, STEP10)
    assert model_of(at).n_iter_ == 11
    check_consistency(at)
    for page in (COMPARE, MATH, HOME, LESSONS_PAGE, DATA):
        go(at, page)
        check_consistency(at)
    assert url(at)["kind"] == "upload"


def test_other_columns_of_the_file_can_be_chosen():
    at = open_app(page=DATA)
    upload(at, "flowers.csv", flowers())
    at.multiselect(key="w.data.upload_columns").set_value(["width"]).run()
    at.selectbox(key="w.data.upload_label").set_value("note").run()
    assert settings_of(at).upload_label == "species"  # nothing changes before the click
    click(at, "w.data.use_upload")
    current = settings_of(at)
    assert (current.upload_columns, current.upload_label) == (("width",), "note")
    assert data_set(at).class_names == ("n0", "n1", "n2")
    assert data_set(at).X.shape == (60, 1)
    check_consistency(at)
    go(at, TRAIN)
    click(at, STEP10)
    check_consistency(at)


def test_an_uploaded_data_set_can_be_held_out_and_standardised():
    at = open_app(page=DATA)
    upload(at, "flowers.csv", flowers(30, seed=4))
    at.slider(key="w.data.holdout").set_value(0.2).run()
    at.toggle(key="w.data.standardise").set_value(True).run()
    assert_ok(at)
    data = data_set(at)
    assert (data.test.size, data.standardised) == (18, True)
    check_consistency(at)
    go(at, COMPARE)
    check_consistency(at)


def test_going_back_to_a_generated_data_set_and_to_the_file_again():
    at = open_app(page=DATA)
    upload(at, "flowers.csv", flowers())
    choose(at, "w.data.kind", "blobs")
    assert settings_of(at).kind == "blobs"
    check_consistency(at)
    choose(at, "w.data.kind", "upload")
    assert settings_of(at).kind == "upload" and data_set(at).X.shape == (60, 2)
    check_consistency(at)


def test_a_link_made_on_an_uploaded_file_asks_for_it_again_and_shows_the_seed_data():
    at = open_app(page=DATA)
    upload(at, "flowers.csv", flowers())
    go(at, TRAIN)
    click(at, STEP10)
    link = url(at)
    assert link["kind"] == "upload"
    assert not any(settings_of(at).upload in value for value in link.values())
    reopened = open_app(link, TRAIN)
    assert UPLOAD_NOTICE.split(":")[0] in notice(reopened).replace("\\", "")
    assert settings_of(reopened).kind == "line"
    assert model_of(reopened).n_iter_ == 10  # the run's iterations, on the seed's data
    check_consistency(reopened)


def test_a_files_name_and_content_are_shown_as_plain_text():
    """A message quotes the file's name and cells: never as markup (an image link in a
    name would load from anywhere)."""
    at = open_app(page=DATA)
    name = "**a** ![x](http://h.example/x.gif).csv"  # 38 characters: not cut
    upload(at, name, with_cell("*a*"))
    [raw] = texts(at, "toast")
    assert raw == escape_markdown(
        f"Could not use {name}: column 'x' has the non-numeric value '*a*' on line 6. "
        "The data set stays."
    )
