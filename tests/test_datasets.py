"""Tests of ``softmax_core.datasets``: iris and wine against scikit-learn's own arrays, the
CSV reader against files written with Python's ``csv`` module (round trips, delimiters, the
byte order mark), one test per bad file with the message the user sees, ``csv_dataset``'s
column and label handling, and ``holdout_split``'s stratification.
"""

import contextlib
import csv
import io
import pickle
import re
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from properties import examples
from sklearn.datasets import load_iris, load_wine

import softmax_core.datasets as datasets_module
from softmax_core.datasets import (
    MAX_CLASSES,
    MAX_CSV_BYTES,
    MAX_CSV_COLUMNS,
    MAX_SAMPLES,
    REAL_DATASETS,
    CsvTable,
    csv_dataset,
    default_features,
    holdout_split,
    load_real,
    parse_csv,
    real_feature_names,
    real_shape,
    to_csv,
)

SKLEARN = {"iris": load_iris(), "wine": load_wine()}
MAX_MESSAGE_CHARS = 200


def csv_bytes(rows, delimiter=",", encoding="utf-8", lineterminator="\r\n"):
    """The bytes of a CSV file that Python's csv module writes for ``rows`` (header first)."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator=lineterminator).writerows(rows)
    return buffer.getvalue().encode(encoding)


def lines(*text):
    """A CSV file from literal lines, for files the csv module would not write."""
    return "\n".join(text).encode("utf-8")


def parse_error(raw):
    """The message ``parse_csv`` raises for ``raw`` (the test fails if it does not raise)."""
    with pytest.raises(ValueError) as info:
        parse_csv(raw)
    message = str(info.value)
    assert len(message) < MAX_MESSAGE_CHARS, message
    return message


def dataset_error(raw, features, label):
    with pytest.raises(ValueError) as info:
        csv_dataset(parse_csv(raw), features, label)
    message = str(info.value)
    assert len(message) < MAX_MESSAGE_CHARS, message
    return message


SMALL = [["length", "width", "species"], ["1.5", "0.2", "a"], ["4.5", "1.5", "b"]]


# ---------------------------------------------------------------- real data sets


def test_iris_default_1d_is_petal_length():
    data = load_real("iris", default_features("iris", 1))
    np.testing.assert_array_equal(data.X, load_iris().data[:, [2]])
    np.testing.assert_array_equal(data.y, load_iris().target)
    assert data.X.dtype == np.float64 and data.X.shape == (150, 1)
    assert data.y.dtype.kind == "i"
    assert np.bincount(data.y).tolist() == [50, 50, 50]
    assert data.feature_names == ("petal length (cm)",)
    assert data.class_names == ("setosa", "versicolor", "virginica")


def test_iris_default_2d_is_petal_length_and_width():
    data = load_real("iris", default_features("iris", 2))
    np.testing.assert_array_equal(data.X, load_iris().data[:, [2, 3]])
    assert data.feature_names == ("petal length (cm)", "petal width (cm)")


def test_wine_defaults_are_flavanoids_then_alcohol_and_flavanoids():
    sklearn_names = load_wine().feature_names
    assert [sklearn_names[j] for j in default_features("wine", 1)] == ["flavanoids"]
    assert [sklearn_names[j] for j in default_features("wine", 2)] == ["alcohol", "flavanoids"]
    data = load_real("wine", default_features("wine", 2))
    np.testing.assert_array_equal(data.X, load_wine().data[:, [0, 6]])
    assert np.bincount(data.y).tolist() == [59, 71, 48]
    assert data.class_names == ("class_0", "class_1", "class_2")


@pytest.mark.parametrize("name", REAL_DATASETS)
def test_every_single_feature_matches_sklearn(name):
    reference = SKLEARN[name]
    names = real_feature_names(name)
    assert len(names) == reference.data.shape[1]
    for j in range(reference.data.shape[1]):
        data = load_real(name, [j])
        np.testing.assert_array_equal(data.X, reference.data[:, [j]])
        assert data.feature_names == (names[j],)


@pytest.mark.parametrize("name", REAL_DATASETS)
def test_feature_order_is_kept(name):
    # (3, 0) must not come back as (0, 3): a swapped axis would mislabel the plot.
    data = load_real(name, (3, 0))
    np.testing.assert_array_equal(data.X, SKLEARN[name].data[:, [3, 0]])
    names = real_feature_names(name)
    assert data.feature_names == (names[3], names[0])


def test_feature_names_are_sklearns_with_spaces():
    assert real_feature_names("iris") == tuple(load_iris().feature_names)
    wine = real_feature_names("wine")
    assert wine == tuple(name.replace("_", " ") for name in load_wine().feature_names)
    assert wine[1] == "malic acid"


def test_numpy_integer_indices_are_accepted():
    data = load_real("iris", np.array([2, 3]))
    np.testing.assert_array_equal(data.X, load_iris().data[:, [2, 3]])


def test_each_load_returns_fresh_arrays():
    first = load_real("iris", [2])
    first.X[:] = -1.0
    first.y[:] = -1
    second = load_real("iris", [2])
    np.testing.assert_array_equal(second.X, load_iris().data[:, [2]])
    np.testing.assert_array_equal(second.y, load_iris().target)


@pytest.mark.parametrize("name", ["mnist", "Iris", "", 3, None])
def test_unknown_data_set_lists_the_valid_names(name):
    for call in (
        lambda: load_real(name, [0]),
        lambda: real_feature_names(name),
        lambda: default_features(name, 1),
    ):
        with pytest.raises(ValueError, match="name must be one of iris, wine"):
            call()


@pytest.mark.parametrize(
    ("name", "shown"), [("mnist", "'mnist'"), (3, "int"), (None, "NoneType"), (b"iris", "bytes")]
)
def test_unknown_data_set_is_shown_by_value_or_type(name, shown):
    message = f"name must be one of iris, wine, got {shown}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        load_real(name, [0])


@pytest.mark.parametrize(
    ("features", "match"),
    [
        ([], "features must be 1 or 2 column indices, got 0 of them"),
        ([0, 1, 2], "features must be 1 or 2 column indices, got 3 of them"),
        ([2, 2], r"features must be distinct, got \(2, 2\)"),
        ([4], "features must be integers from 0 to 3 for iris, got 4"),
        ([-1], "features must be integers from 0 to 3 for iris, got -1"),
        ([1.0], "features must be integers from 0 to 3 for iris, got 1.0"),
        ([True], "features must be integers from 0 to 3 for iris, got True"),
        ("01", "features must be 1 or 2 column indices, got the string '01'"),
        (2, "features must be 1 or 2 column indices, got int"),
    ],
)
def test_bad_features(features, match):
    with pytest.raises(ValueError, match=match):
        load_real("iris", features)


def test_wine_feature_range_names_wine():
    load_real("wine", [12])
    with pytest.raises(ValueError, match="from 0 to 12 for wine, got 13"):
        load_real("wine", [13])


@pytest.mark.parametrize("n_features", [0, 3, 1.5, True])
def test_default_features_needs_one_or_two(n_features):
    with pytest.raises(ValueError, match="n_features must be"):
        default_features("iris", n_features)


# ---------------------------------------------------------------- parse_csv: good files


def test_small_file_parses_to_its_cells():
    table = parse_csv(csv_bytes(SMALL))
    assert table.columns == ("length", "width", "species")
    assert table.rows == (("1.5", "0.2", "a"), ("4.5", "1.5", "b"))
    assert table.line_numbers == (2, 3)
    assert table.column("species") == ("a", "b")
    assert table.numeric_columns() == ("length", "width")
    assert table.label_columns() == ("length", "width", "species")


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters_give_the_same_table(delimiter):
    assert parse_csv(csv_bytes(SMALL, delimiter=delimiter)) == parse_csv(csv_bytes(SMALL))


def test_semicolon_file_with_decimal_commas_is_split_on_semicolons():
    table = parse_csv(lines("x;y;label", "  ", "1,5;2,5;a", "3,0;4,0;b"))
    assert table.columns == ("x", "y", "label")
    assert table.numeric_columns() == ()


def test_byte_order_mark_is_not_part_of_the_first_name():
    table = parse_csv(b"\xef\xbb\xbf" + csv_bytes(SMALL))
    assert table.columns[0] == "length"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings(newline):
    table = parse_csv(csv_bytes(SMALL, lineterminator=newline))
    assert table.rows == (("1.5", "0.2", "a"), ("4.5", "1.5", "b"))


def test_spaces_around_cells_and_names_are_stripped():
    table = parse_csv(lines(" x , label ", " 1.5 ,  a", "2, b "))
    assert table.columns == ("x", "label")
    assert table.rows == (("1.5", "a"), ("2", "b"))


def test_blank_lines_are_skipped_and_line_numbers_count_them():
    table = parse_csv(lines("", "x,label", "1,a", "", ",", "2,b", "", ""))
    assert table.rows == (("1", "a"), ("2", "b"))
    assert table.line_numbers == (3, 6)


def test_quoted_cells_keep_delimiters_quotes_and_line_breaks():
    rows = [["x", "label"], ["1", 'a, "b"'], ["2", "two\nlines"], ["3", "c"]]
    table = parse_csv(csv_bytes(rows))
    assert table.column("label") == ('a, "b"', "two\nlines", "c")
    # The row with the line break starts on line 3 and ends on 4, so "3" is on line 5.
    assert table.line_numbers == (2, 3, 5)


def test_a_quoted_cell_after_a_space_is_one_cell():
    table = parse_csv(lines("x, label", '1, "a, b"', '2, "c"'))
    assert table.rows == (("1", "a, b"), ("2", "c"))


def test_a_quoted_line_break_is_kept_as_written():
    table = parse_csv(b'x,label\r\n1,"a\r\nb"\r\n2,"c\nd"\r\n')
    assert table.column("label") == ("a\r\nb", "c\nd")


def test_numeric_columns_exclude_text_empty_nan_and_infinity():
    rows = [["ok", "text", "empty", "nan", "inf", "big", "label"]]
    rows += [["1", "1", "1", "1", "1", "1", "a"], ["2e3", "x", "", "nan", "-inf", "1e400", "b"]]
    table = parse_csv(csv_bytes(rows))
    assert table.numeric_columns() == ("ok",)


def test_number_columns_have_a_finite_number_in_some_cell():
    rows = [["label", "ok", "typo", "nan", "inf", "big", "empty", "text"]]
    rows += [["a", "1", "1", "nan", "inf", "1e400", "", "x"]]
    rows += [["b", "2e3", "1,5", "-0.5", "-inf", "NaN", "", "y"]]
    table = parse_csv(csv_bytes(rows))
    assert table.number_columns() == ("ok", "typo", "nan")
    assert table.numeric_columns() == ("ok",)


def test_label_columns_need_two_to_ten_values_and_no_empty_cell():
    rows = [["one", "two", "ten", "eleven", "gap"]]
    rows += [["a", str(i % 2), str(i % 10), str(i), "" if i == 0 else "v"] for i in range(11)]
    assert parse_csv(csv_bytes(rows)).label_columns() == ("two", "ten")


@settings(max_examples=examples(60), deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.floats(allow_nan=False, allow_infinity=False),
            st.floats(allow_nan=False, allow_infinity=False),
            st.text(alphabet="ab ,;\t\"'é\n", min_size=1, max_size=6).map(str.strip).filter(bool),
        ),
        min_size=1,
        max_size=30,
    ),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_round_trip_of_a_file_written_by_the_csv_module(data, delimiter):
    rows = [["first", "second", "label"]] + [[repr(a), repr(b), c] for a, b, c in data]
    table = parse_csv(csv_bytes(rows, delimiter=delimiter))
    labels = [c for _, _, c in data]
    if not 2 <= len(set(labels)) <= MAX_CLASSES:
        with pytest.raises(ValueError, match=r"only one class|classes; the limit is 10"):
            csv_dataset(table, ["second", "first"], "label")
        return
    result = csv_dataset(table, ["second", "first"], "label")
    np.testing.assert_array_equal(result.X, [[b, a] for a, b, _ in data])
    assert result.class_names == tuple(sorted(set(labels)))
    assert [result.class_names[k] for k in result.y] == labels


def test_exactly_max_bytes_is_accepted():
    # A 10-byte header and 99,999 rows of 10 bytes: exactly 1,000,000 bytes.
    raw = b"xxxxx,lab\n" + b"0.12345,a\n" * 49_999 + b"0.12345,b\n" * 50_000
    assert len(raw) == MAX_CSV_BYTES
    assert len(parse_csv(raw).rows) == 99_999


def test_exactly_max_rows_is_accepted():
    raw = b"x,y\n" + b"1,0\n" * MAX_SAMPLES
    assert len(parse_csv(raw).rows) == MAX_SAMPLES


def test_bytearray_is_accepted():
    assert parse_csv(bytearray(csv_bytes(SMALL))) == parse_csv(csv_bytes(SMALL))


def wide_file(n_columns, n_rows=2):
    """A header of ``n_columns`` names and ``n_rows`` rows of small numbers and labels."""
    rows = [[f"c{j}" for j in range(n_columns)]]
    rows += [[str((i + j) % 7) for j in range(n_columns)] for i in range(n_rows)]
    return csv_bytes(rows)


def best_time(call, repeat=5):
    """The shortest of ``repeat`` runs of ``call()``, in seconds (the least disturbed)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def parse_or_refuse(raw):
    with contextlib.suppress(ValueError):
        parse_csv(raw)


def test_exactly_max_columns_is_accepted():
    table = parse_csv(wide_file(MAX_CSV_COLUMNS))
    assert len(table.columns) == MAX_CSV_COLUMNS
    assert table.number_columns() == table.columns


def test_column_classes_are_worked_out_once_when_the_table_is_built(monkeypatch):
    """The app asks for them on every rerun, and gets a pickled copy of the table from its
    cache: neither the methods nor the copy look at a cell again."""
    table = parse_csv(csv_bytes(SMALL))
    copy = pickle.loads(pickle.dumps(table))

    def no_more_parsing(cell):
        raise AssertionError(f"cell {cell!r} parsed again")

    monkeypatch.setattr(datasets_module, "_finite_float", no_more_parsing)
    for each in (table, copy):
        assert each.numeric_columns() == ("length", "width")
        assert each.number_columns() == ("length", "width")
        assert each.label_columns() == ("length", "width", "species")
    assert copy == table


def test_a_file_wider_than_the_column_limit_is_refused_naming_the_limit():
    # The file: 30,000 columns in 237 kB took 36.7 s to read.
    message = parse_error(wide_file(30_000))
    assert message == (
        f"the file has 30,000 columns; the limit is {MAX_CSV_COLUMNS} "
        "(the app learns from one or two feature columns and a label column)"
    )
    assert "101 columns" in parse_error(wide_file(MAX_CSV_COLUMNS + 1))


def test_refusing_a_wide_file_costs_time_linear_in_its_width():
    """Ten times the columns, about ten times the time (the old header check was quadratic:
    a hundred times). The bound is generous: the machine may be busy with other work."""
    narrow, wide = wide_file(3_000), wide_file(30_000)
    ratio = best_time(lambda: parse_or_refuse(wide)) / best_time(lambda: parse_or_refuse(narrow))
    assert ratio < 35, ratio


def test_parsing_and_column_classes_are_linear_in_the_width(monkeypatch):
    """With the column limit lifted, the parse (which works out the column classes) of ten
    times the columns takes about ten times as long, not a hundred."""
    monkeypatch.setattr(datasets_module, "MAX_CSV_COLUMNS", 10**6)
    narrow, wide = wide_file(1_500), wide_file(15_000)
    assert len(parse_csv(wide).number_columns()) == 15_000
    ratio = best_time(lambda: parse_csv(wide), 3) / best_time(lambda: parse_csv(narrow), 3)
    assert ratio < 35, ratio


def test_parsing_at_the_column_limit_costs_about_the_same_per_cell():
    """A file at the limit against one a tenth as wide, with as many rows: ten times the
    cells, so about ten times the time."""
    at_limit, tenth = wide_file(MAX_CSV_COLUMNS, 300), wide_file(MAX_CSV_COLUMNS // 10, 300)
    ratio = best_time(lambda: parse_csv(at_limit)) / best_time(lambda: parse_csv(tenth))
    assert ratio < 35, ratio


# ---------------------------------------------------------------- parse_csv: bad files


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   ",
        b" \n\r\n\t \n",
        b"\xef\xbb\xbf",
        b"\xef\xbb\xbf \n",
        "\u00a0\n\u3000\n".encode(),  # blanks beyond ASCII: no-break and ideographic spaces
    ],
)
def test_empty_file(raw):
    assert parse_error(raw) == "the file is empty"


def test_file_over_the_size_limit():
    raw = b"xxxxx,lab\n" + b"0.12345,a\n" * 99_999 + b"\n"
    assert len(raw) == MAX_CSV_BYTES + 1
    assert parse_error(raw) == "the file is 1,000,001 bytes; the limit is 1,000,000 bytes"


def test_latin_1_text_is_not_utf_8():
    raw = "name,ville\nJosé,Orléans\nZoë,Besançon\n".encode("latin-1")
    assert parse_error(raw) == (
        "the file is not UTF-8 text (line 2 has the byte 0xE9); "
        "save it as CSV UTF-8 and upload it again"
    )


def test_utf_16_text_is_not_utf_8():
    message = parse_error("x,label\n1,a\n2,b\n".encode("utf-16"))
    assert message.startswith("the file is not UTF-8 text (it is UTF-16)")


BINARY = (
    "the file does not look like a text CSV: it holds binary data (save a spreadsheet as CSV first)"
)


def test_png_renamed_csv_is_binary():
    rng = np.random.default_rng(0)
    raw = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.bytes(2_000)
    assert parse_error(raw) == BINARY


def test_random_bytes_without_nul_are_binary():
    # No NUL byte to give it away: the share of control characters does.
    rng = np.random.default_rng(1)
    raw = rng.bytes(5_000).replace(b"\x00", b"")
    assert parse_error(raw).startswith("the file does not look like a text CSV")


def test_a_nul_byte_in_utf_8_text_is_binary():
    assert parse_error(b"x,label\n1,a\x00\n2,b\n").startswith("the file does not look like a text")
    # One NUL byte in a thousand: the NUL alone gives it away.
    raw = b"x,label\n" + b"1,a\n" * 250 + b"2,b\x00\n"
    assert parse_error(raw) == BINARY


def test_a_text_file_with_one_control_character_is_still_text():
    rows = [["x", "label"]] + [[str(i), "a" if i % 2 else "b"] for i in range(20)]
    rows[5][1] = "b\x1b"  # a stray escape character, under 5 % of the bytes
    table = parse_csv(csv_bytes(rows))
    assert table.column("label")[4] == "b\x1b"


def test_up_to_5_percent_control_bytes_is_text():
    base = b"x,label\n" + b"1,a\x1b\n" * 5
    raw = base + b"2," + b"b" * (100 - len(base) - 3) + b"\n"
    assert len(raw) == 100  # 5 control bytes of 100: text
    assert parse_csv(raw).column("label")[:5] == ("a\x1b",) * 5
    raw = base + b"1,a\x1b\n" + b"2," + b"b" * (100 - len(base) - 3) + b"\n"
    assert parse_error(raw) == BINARY  # 6 of 105


def test_a_row_of_one_field_says_field():
    assert parse_error(lines("x,label", "1,a", "2")) == "line 3 has 1 field but the header has 2"


def test_header_only():
    assert parse_error(lines("x,label")) == "the file has a header but no data rows"
    assert parse_error(lines("x,label", "", " ", "")) == "the file has a header but no data rows"


@pytest.mark.parametrize(
    "text", [[",,", '"",""'], [";;", "", '""'], ["\u00a0,\u00a0"], ['"'], [", ;", '"']]
)
def test_no_header_line_at_all(text):
    assert parse_error(lines(*text)) == "the file has no header line with column names"


def test_numbers_on_the_first_line_are_not_a_header():
    message = parse_error(lines("1.5,0.2,0", "4.5,1.5,1"))
    assert message == (
        "the first line holds only numbers; the file needs a header line with column names"
    )


@pytest.mark.parametrize("name", ["length", "X"])
def test_one_column(name):
    assert parse_error(lines(name, name)) == (
        f"the file has only one column ('{name}'); it needs a label column and a feature "
        "column, separated by commas, semicolons or tabs"
    )


@pytest.mark.parametrize(
    ("header", "column"), [(",x,label", 1), ("x,,label", 2), ("x,label,", 3), ("x, ,label", 2)]
)
def test_header_with_an_empty_name(header, column):
    message = parse_error(lines(header, "1,2,3"))
    assert message == f"column {column} of the header has no name; every column needs one"


def test_header_with_a_duplicate_name():
    message = parse_error(lines("x,y,x", "1,2,3"))
    assert message == "the header names the column 'x' twice; column names must be distinct"


def test_names_in_messages_are_one_line_of_at_most_30_characters():
    for name, shown in [
        ("a" * 30, "a" * 30),
        ("a" * 31, "a" * 29 + "…"),
        ("two  words", "two words"),
        # Whitespace is one space; other unprintable characters show as "?" (softmax_core.text).
        ("bell\x07and\ttab\nnew line", "bell?and tab new line"),
        ("\u202eright-to-left\u200b", "?right-to-left?"),
    ]:
        message = dataset_error(lines("x,label", "1,a", "2,b"), [name], "label")
        assert message == f"the file has no column '{shown}'"


def test_long_names_are_cut_in_messages():
    long_name = "a" * 5_000
    message = parse_error(lines(f"{long_name},{long_name}", "1,2"))
    assert f"'{'a' * 29}…'" in message


@pytest.mark.parametrize(
    ("text", "bad_line", "n_fields"),
    [
        (["x,y,label", "1,2,a", "3,4,b", "5,6"], 4, 2),
        (["x,y,label", "1,2,a", "3,4,b,extra", "5,6"], 3, 4),
        (["x,y,label", "", "1,2,a", "", "3,4"], 5, 2),
    ],
)
def test_row_with_a_different_number_of_fields(text, bad_line, n_fields):
    message = parse_error(lines(*text))
    assert message == f"line {bad_line} has {n_fields} fields but the header has 3"


def test_the_delimiter_splits_every_line_alike():
    """Comma and semicolon both split the header in two; only the semicolon splits every
    line so (blank lines, and lines that are not valid CSV for a delimiter, do not count)."""
    expected = (("a,b", "c"), (("1", "2"), ("3", "4")))
    for raw in [lines("a,b;c", "1;2", "3;4"), lines("a,b;c", " ", "1;2", "", "3;4")]:
        table = parse_csv(raw)
        assert (table.columns, table.rows) == expected
    table = parse_csv(lines("a,b;c", '"1";2'))  # not valid CSV for the comma
    assert (table.columns, table.rows) == (("a,b", "c"), (("1", "2"),))
    table = parse_csv(lines('"h1";h2', '"1";2'))  # the header already invalid for the comma
    assert (table.columns, table.rows) == (("h1", "h2"), (("1", "2"),))


def test_without_a_consistent_delimiter_the_widest_header_wins():
    assert parse_error(lines("a;b;c", "1;2;3", "4;5")) == "line 3 has 2 fields but the header has 3"


def test_the_delimiter_is_chosen_on_the_first_20_lines():
    """The comma splits the first 20 lines alike (in three), the semicolon every line (in
    two): the comma is chosen, and line 21 is reported."""
    raw = lines("x,y;z,w", *["1,2;3,4"] * 19, *["5;6"] * 3)
    assert parse_error(raw) == "line 21 has 1 field but the header has 3"


def test_the_first_data_row_is_checked_too():
    assert parse_error(lines("x,label", "1", "2,b")) == "line 2 has 1 field but the header has 2"


@pytest.mark.parametrize(
    "text",
    [
        ["x,label", '1,"a', "2,b"],  # never closed
        ["x,label", '1,"a"b', "2,b"],  # text after the closing quote
    ],
)
def test_stray_or_unclosed_quote(text):
    message = parse_error(lines(*text))
    assert message == (
        "the row starting on line 2 is not valid CSV; check it for a stray or unclosed quote"
    )


def test_a_cell_longer_than_the_csv_readers_limit_has_its_own_message():
    limit = csv.field_size_limit()
    assert len(parse_csv(lines("x,label", f"1,{'a' * limit}", "2,b")).rows[0][1]) == limit
    message = parse_error(lines("x,label", "1,a", f"2,{'b' * (limit + 1)}", "3,c"))
    assert message == (
        f"the row starting on line 3 has a cell longer than {limit:,} characters, "
        "the most a cell may hold"
    )
    quoted = parse_error(lines("x,label", f'1,"{"a" * (limit + 1)}"', "2,b"))
    assert quoted.startswith("the row starting on line 2 has a cell longer than")


def test_one_row_over_max_rows():
    raw = b"x,y\n" + b"1,0\n" * (MAX_SAMPLES + 1)
    assert parse_error(raw) == "the file has 100,001 data rows; the limit is 100,000"


@pytest.mark.parametrize(
    ("raw", "kind"), [("x,label\n1,a\n", "str"), (None, "NoneType"), (42, "int")]
)
def test_raw_must_be_bytes(raw, kind):
    with pytest.raises(ValueError, match=f"^raw must be the file's bytes, got {kind}$"):
        parse_csv(raw)


# ---------------------------------------------------------------- csv_dataset


def test_columns_are_taken_in_the_order_given():
    table = parse_csv(csv_bytes(SMALL))
    data = csv_dataset(table, ["width", "length"], "species")
    np.testing.assert_array_equal(data.X, [[0.2, 1.5], [1.5, 4.5]])
    assert data.X.dtype == np.float64
    assert data.feature_names == ("width", "length")
    data = csv_dataset(table, ("length",), "species")
    np.testing.assert_array_equal(data.X, [[1.5], [4.5]])


def label_encoding(labels):
    """``class_names`` and ``y`` for a one-feature file with these labels."""
    rows = [["x", "label"]] + [[str(i), label] for i, label in enumerate(labels)]
    data = csv_dataset(parse_csv(csv_bytes(rows)), ["x"], "label")
    assert data.y.dtype.kind == "i"
    assert [data.class_names[k] for k in data.y] == list(labels)
    return data.class_names, data.y.tolist()


def test_numeric_labels_sort_by_value():
    assert label_encoding(["10", "9", "2", "10"]) == (("2", "9", "10"), [2, 1, 0, 2])
    assert label_encoding(["-1", "0.5", "1e1"]) == (("-1", "0.5", "1e1"), [0, 1, 2])


def test_text_labels_sort_as_text():
    assert label_encoding(["b", "a", "c", "a"]) == (("a", "b", "c"), [1, 0, 2, 0])


def test_one_text_label_makes_all_labels_sort_as_text():
    assert label_encoding(["10", "9", "x"]) == (("10", "9", "x"), [0, 1, 2])


def test_ten_classes_are_accepted():
    names, _ = label_encoding([str(k) for k in range(MAX_CLASSES)])
    assert len(names) == MAX_CLASSES


def test_numeric_looking_labels_stay_as_written():
    # "1" and "1.0" are different strings in the file, so different classes.
    assert label_encoding(["1.0", "2", "1"]) == (("1", "1.0", "2"), [1, 2, 0])


@pytest.mark.parametrize(
    ("features", "label", "message"),
    [
        ([], "species", "feature_columns must name 1 or 2 columns, got 0"),
        (["length", "width", "length"], "species", "feature_columns must name 1 or 2 columns"),
        ("length", "species", "feature_columns must be a list of column names, got str"),
        (["length", "length"], "species", "feature_columns names 'length' twice"),
        (["height"], "species", "the file has no column 'height'"),
        (["length"], "kind", "the file has no column 'kind'"),
        (["length", "species"], "species", "the label column 'species' cannot also be a feature"),
        (["length"], 2, "label_column must be a column name, got int"),
    ],
)
def test_bad_column_choices(features, label, message):
    assert dataset_error(csv_bytes(SMALL), features, label).startswith(message)


def test_table_must_come_from_parse_csv():
    with pytest.raises(ValueError, match="table must be a CsvTable from parse_csv, got dict"):
        csv_dataset({"x": [1]}, ["x"], "label")


def test_non_numeric_feature_names_column_line_and_value():
    raw = lines("x,y,label", "1,2,a", "3,4,b", "5,six,c", "seven,8,d")
    message = dataset_error(raw, ["x", "y"], "label")
    # Columns are checked in the order given, so the bad "x" on line 5 comes first.
    assert message == "column 'x' has the non-numeric value 'seven' on line 5"
    message = dataset_error(raw, ["y"], "label")
    assert message == "column 'y' has the non-numeric value 'six' on line 4"


def test_decimal_comma_gets_a_hint():
    message = dataset_error(lines("x;label", "1,5;a", "2;b"), ["x"], "label")
    assert message.endswith("'1,5' on line 2; use a dot as the decimal separator")


def test_long_cell_is_cut():
    message = dataset_error(lines("x,label", "1,a", f"{'z' * 1_000},b"), ["x"], "label")
    assert message == f"column 'x' has the non-numeric value '{'z' * 29}…' on line 3"


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("0", 0.0),
        ("-1.5", -1.5),
        ("+2", 2.0),
        (".5", 0.5),
        ("5.", 5.0),
        ("-0", -0.0),
        ("007", 7.0),
        ("1e5", 1e5),
        ("2E-3", 2e-3),
        ("-1.25e+02", -125.0),
        ("12345678901234567890", 1.2345678901234567e19),
    ],
)
def test_ascii_decimal_numbers_are_features(cell, value):
    data = csv_dataset(parse_csv(lines("x,label", f"{cell},a", "1,b")), ["x"], "label")
    assert data.X[0, 0] == value
    assert np.signbit(data.X[0, 0]) == np.signbit(value)


@pytest.mark.parametrize(
    "cell",
    [
        "١٢",  # Arabic-Indic digits: float() reads 12
        "１２",  # full-width digits
        "1_000",  # float() reads 1000
        "1 000",
        "1\u20095",  # a thin space between digits
        "0x10",
        "1.5.2",
        "1e",
        "e5",
        ".",
        "+",
        "--1",
        "1e5e5",
        "½",
        "²",
    ],
)
def test_other_spellings_of_numbers_are_text(cell):
    message = dataset_error(lines("x,label", f"{cell},a", "1,b"), ["x"], "label")
    assert message.startswith("column 'x' has the non-numeric value '")
    assert message.endswith("' on line 2")
    table = parse_csv(lines("x,label", f"{cell},a", "1,b"))
    assert table.numeric_columns() == ()


@pytest.mark.parametrize("cell", ["nan", "NaN", "-nan", "+inf", "Infinity", "-INFINITY", "1e400"])
def test_every_spelling_of_nan_and_infinity_is_refused_as_not_finite(cell):
    message = dataset_error(lines("x,label", "1,a", f"{cell},b"), ["x"], "label")
    assert message.endswith(f"'{cell}' on line 3; features must be finite (no NaN or infinity)")


def test_a_header_of_other_scripts_digits_is_a_header():
    table = parse_csv(lines("١,٢", "1,a", "2,b"))
    assert table.columns == ("١", "٢")
    assert table.number_columns() == ("١",)


def test_labels_in_other_scripts_digits_sort_as_text():
    assert label_encoding(["٢", "١٠", "٩"]) == (("١٠", "٢", "٩"), [1, 0, 2])


def test_empty_feature_cell():
    message = dataset_error(lines("x,y,label", "1,2,a", "3,,b"), ["y"], "label")
    assert message == "column 'y' has an empty cell on line 3; features must be numbers"


@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", "-Infinity", "1e999"])
def test_nan_or_infinity_in_a_feature(cell):
    message = dataset_error(lines("x,label", "1,a", f"{cell},b"), ["x"], "label")
    assert message == (
        f"column 'x' has '{cell}' on line 3; features must be finite (no NaN or infinity)"
    )


def test_empty_label_cell():
    message = dataset_error(lines("x,label", "1,a", "2,b", "3,"), ["x"], "label")
    assert message == "the label column 'label' has an empty cell on line 4"


def test_only_one_class():
    message = dataset_error(lines("x,label", "1,a", "2,a", "3,a"), ["x"], "label")
    assert message == "the label column 'label' has only one class: 'a'; at least 2 are needed"


def test_more_than_ten_classes():
    rows = [["x", "label"]] + [[str(i), str(i)] for i in range(57)]
    message = dataset_error(csv_bytes(rows), ["x"], "label")
    assert message == "the label column 'label' has 57 classes; the limit is 10"
    rows = [["x", "label"]] + [[str(i), f"c{i}"] for i in range(MAX_CLASSES + 1)]
    assert "has 11 classes" in dataset_error(csv_bytes(rows), ["x"], "label")


def test_column_of_a_hand_built_table_names_unknown_column():
    table = CsvTable(columns=("x", "label"), rows=(("1", "a"),), line_numbers=(2,))
    with pytest.raises(ValueError, match="the file has no column 'y'"):
        table.column("y")


# ---------------------------------------------------------------- to_csv

NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
# OWASP's CSV injection list: a spreadsheet runs a cell starting with one of these.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cells(text):
    """The cells a spreadsheet reads from CSV text (any quoting undone)."""
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def test_to_csv_writes_the_datas_own_names_and_numbers():
    text = to_csv(
        np.array([[-1.5, 2.0], [0.1, -0.0], [1e-7, 3e300]]),
        np.array([0, 1, 2]),
        ("petal length", 'width "cm"'),
        ("-1", "setosa", '=HYPERLINK("http://host")'),
        "species",
    )
    assert text == (
        '"petal length","width ""cm""","species"\r\n'
        "-1.5,2,-1\r\n"
        '0.1,-0,"setosa"\r\n'
        '1e-07,3e+300,"\'=HYPERLINK(""http://host"")"\r\n'
    )


@pytest.mark.parametrize(
    "name",
    ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", "-x", "=", "'=x", "''@x"],
)
def test_formula_text_is_neutralised_wherever_it_is(name):
    text = to_csv(np.array([[-1.0], [2.0]]), np.array([0, 1]), [name], [name, "b"], f"{name}2")
    cells = spreadsheet_cells(text)
    assert cells.count("'" + name) == 2 and cells.count(f"'{name}2") == 1
    for cell in cells:
        assert NUMBER.fullmatch(cell) or not cell.startswith(FORMULA_START), cell
    assert "-1" in cells  # a negative number stays a number


def test_numbers_and_safe_text_are_not_prefixed():
    cells = spreadsheet_cells(to_csv([[-2.5]], [0], ["x"], ["-3"], "'quoted"))
    assert cells == ["x", "'quoted", "-2.5", "-3"]


@pytest.mark.parametrize(
    ("cell", "read"),
    [("'=x", "=x"), ("''-y", "'-y"), ("'+", "+"), ("'@", "@"), ("'x", "'x"), ("'", "'")],
)
def test_parse_csv_takes_the_mark_off_neutralised_cells(cell, read):
    table = parse_csv(lines(f"{cell},label", "1,a", "2,b"))
    assert table.columns[0] == read
    assert parse_csv(lines("x,label", f"1,{cell}", "2,b")).column("label")[0] == read


def test_a_neutralised_number_in_a_file_is_a_number():
    table = parse_csv(lines("x,label", "'-1.5,a", "2,b"))
    assert table.numeric_columns() == ("x",)


def test_to_csv_of_iris_reads_back_as_iris():
    data = load_real("iris", (2, 3))
    text = to_csv(data.X, data.y, data.feature_names, data.class_names, "species")
    back = csv_dataset(parse_csv(text.encode()), list(data.feature_names), "species")
    np.testing.assert_array_equal(back.X, data.X)
    np.testing.assert_array_equal(back.y, data.y)
    assert (back.feature_names, back.class_names) == (data.feature_names, data.class_names)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1.0, 2.0], [0, 1], ["x"], ["a", "b"]), "X must be 2-D"),
        (([[np.nan], [1.0]], [0, 1], ["x"], ["a", "b"]), "X must hold finite numbers"),
        (([[1.0], [2.0]], [0], ["x"], ["a", "b"]), "y must be 2 labels, one per row of X"),
        (([[1.0], [2.0]], [0.0, 1.0], ["x"], ["a", "b"]), "y must hold integer labels, got"),
        (([[1.0], [2.0]], [0, 2], ["x"], ["a", "b"]), "y must be class indices from 0 to 1"),
        (([[1.0], [2.0]], [0, -1], ["x"], ["a", "b"]), "y must be class indices from 0 to 1"),
        (
            ([[1.0], [2.0]], [0, 1], ["x", "y"], ["a", "b"]),
            "feature_names must hold 1 name, got 2",
        ),
        (([[1.0], [2.0]], [0, 1], ["label"], ["a", "b"]), "feature_names and label_name must be"),
        (([[1.0], [2.0]], [0, 1], ["x"], ["a", "b"], ""), "must be non-empty strings, got ''"),
        (([[1.0], [2.0]], [0, 1], [""], ["a", "b"]), "must be non-empty strings, got ''"),
        (([[1.0], [2.0]], [0, 1], "x", ["a", "b"]), "must be a sequence of strings, got str"),
        (([[1.0], [2.0]], [0, 1], ["x"], ["a", "a"]), "class_names must be distinct"),
        (([[1.0], [2.0]], [0, 1], ["x"], ["a", 2]), "class_names must be non-empty strings"),
    ],
)
def test_to_csv_bad_arguments(args, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        to_csv(*args)


def as_csv_dataset_orders(classes):
    """Class names in csv_dataset's order: by value if all are numbers, else as text."""
    if all(NUMBER.fullmatch(name) for name in classes):
        return sorted(classes, key=lambda name: (float(name), name))
    return sorted(classes)


HOSTILE_NAMES = st.one_of(
    st.text(alphabet="ab =+-@'\"\t\n\r,;é日1.e|!$%<>&", min_size=1, max_size=8)
    .map(str.strip)
    .filter(bool),
    st.sampled_from(
        ["=1+1", "@SUM(A1)", "-x", "+cmd|' /C calc'!A0", "'=x", "''-y", "-1", "+2", "1e5", ".5"]
    ),
)


@st.composite
def labelled_data(draw):
    n_features = draw(st.integers(1, 2))
    header = draw(
        st.lists(
            HOSTILE_NAMES, min_size=n_features + 1, max_size=n_features + 1, unique=True
        ).filter(lambda names: not all(NUMBER.fullmatch(name) for name in names))
    )
    classes = draw(st.lists(HOSTILE_NAMES, min_size=2, max_size=MAX_CLASSES, unique=True))
    extra = draw(st.lists(st.integers(0, len(classes) - 1), max_size=20))
    y = draw(st.permutations([*range(len(classes)), *extra]))
    finite = st.floats(allow_nan=False, allow_infinity=False)
    X = draw(arrays(np.float64, (len(y), n_features), elements=finite))
    return X, np.array(y), tuple(header[:-1]), tuple(as_csv_dataset_orders(classes)), header[-1]


@settings(max_examples=examples(150), deadline=None)
@given(data=labelled_data())
def test_to_csv_then_parse_csv_gives_the_data_back(data):
    X, y, feature_names, class_names, label_name = data
    text = to_csv(X, y, feature_names, class_names, label_name)
    for cell in spreadsheet_cells(text):
        assert NUMBER.fullmatch(cell) or not cell.startswith(FORMULA_START), cell
    back = csv_dataset(parse_csv(text.encode()), list(feature_names), label_name)
    np.testing.assert_array_equal(back.X, X)
    np.testing.assert_array_equal(np.signbit(back.X), np.signbit(X))  # -0.0 stays -0.0
    np.testing.assert_array_equal(back.y, y)
    assert back.feature_names == feature_names
    assert back.class_names == class_names


# ---------------------------------------------------------------- holdout_split


def held_out_per_class(y, held_out):
    return {label: int(np.sum(y[held_out] == label)) for label in np.unique(y)}


@settings(max_examples=examples(200), deadline=None)
@given(
    y=st.lists(st.integers(0, 5), min_size=1, max_size=80).map(np.array),
    fraction=st.floats(0.0, 0.5),
    random_state=st.integers(0, 2**32 - 1),
)
def test_holdout_split_properties(y, fraction, random_state):
    train, held_out = holdout_split(y, fraction, random_state)
    assert train.dtype.kind == held_out.dtype.kind == "i"
    assert np.all(np.diff(train) > 0) and np.all(np.diff(held_out) > 0)
    assert np.intersect1d(train, held_out).size == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train, held_out])), np.arange(y.size))
    assert set(y[train]) == set(y)  # every class keeps a training point
    for label, n_held in held_out_per_class(y, held_out).items():
        n_class = int(np.sum(y == label))
        if n_class == 1:
            assert n_held == 0
        else:
            assert abs(n_held - fraction * n_class) <= 0.5 + 1e-9
    again = holdout_split(y, fraction, random_state)
    np.testing.assert_array_equal(again[0], train)
    np.testing.assert_array_equal(again[1], held_out)


def test_holdout_counts_round_half_up():
    y = np.array([0] * 10 + [1] * 4 + [2] * 1 + [3] * 3)
    _, held_out = holdout_split(y, 0.25, 0)
    # 2.5 -> 3, 1.0 -> 1, a single point stays in training, 0.75 -> 1.
    assert held_out_per_class(y, held_out) == {0: 3, 1: 1, 2: 0, 3: 1}
    _, held_out = holdout_split(y, 0.5, 0)
    # 5, 2, 0 and 1.5 -> 2, which leaves the class of three one training point.
    assert held_out_per_class(y, held_out) == {0: 5, 1: 2, 2: 0, 3: 2}


def test_holdout_zero_fraction_holds_out_nothing():
    y = np.array([0, 1, 1, 2, 2, 2])
    train, held_out = holdout_split(y, 0.0, 3)
    np.testing.assert_array_equal(train, np.arange(6))
    assert held_out.shape == (0,)


def test_holdout_seed_changes_the_split_and_leaves_the_global_rng_alone():
    y = np.repeat([0, 1, 2], 50)
    np.random.seed(123)  # noqa: NPY002 (the legacy global state is what must stay untouched)
    state = np.random.get_state()[1].copy()  # noqa: NPY002
    splits = {tuple(holdout_split(y, 0.2, seed)[1]) for seed in range(5)}
    assert len(splits) == 5
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_holdout_works_on_iris_labels():
    y = load_iris().target
    train, held_out = holdout_split(y, 0.2, 0)
    assert held_out.size == 30 and train.size == 120
    assert np.bincount(y[held_out]).tolist() == [10, 10, 10]


@pytest.mark.parametrize(
    ("y", "fraction", "random_state", "match"),
    [
        ([0, 1], -0.1, 0, r"fraction must be in \[0.0, 0.5\], got -0.1"),
        ([0, 1], 0.6, 0, r"fraction must be in \[0.0, 0.5\], got 0.6"),
        ([0, 1], float("nan"), 0, "fraction must be a number"),
        ([0, 1], "0.2", 0, "fraction must be a real number"),
        ([0, 1], 0.2, -1, "random_state must be between 0 and 4294967295, got -1"),
        ([0, 1], 0.2, 1.5, "random_state must be an integer, got 1.5"),
        (
            [[0, 1]],
            0.2,
            0,
            re.escape("y must be a non-empty 1-D array of labels, got shape (1, 2)"),
        ),
        ([], 0.2, 0, re.escape("y must be a non-empty 1-D array of labels, got shape (0,)")),
        ([0.0, 1.0], 0.2, 0, "y must hold integer labels, got dtype float64"),
        ([True, False], 0.2, 0, "y must hold integer labels, got dtype bool"),
        (["a", "b"], 0.2, 0, "y must hold integer labels, got dtype <U1"),
        ([[0], [0, 1]], 0.2, 0, "^y must be a 1-D array of integer labels$"),
    ],
)
def test_holdout_bad_arguments(y, fraction, random_state, match):
    with pytest.raises(ValueError, match=match):
        holdout_split(y, fraction, random_state)


def test_the_real_data_sets_shapes_are_read_from_their_files():
    assert real_shape("iris") == (150, 4, 3) == (*load_iris().data.shape, 3)
    assert real_shape("wine") == (178, 13, 3) == (*load_wine().data.shape, 3)
    with pytest.raises(ValueError, match="name must be one of iris, wine"):
        real_shape("mnist")
