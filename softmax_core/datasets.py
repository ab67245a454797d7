"""Real data sets and the user's own CSV, as labelled data for softmax regression.

Two sources give the same result, a :class:`LabelledData`: ``X`` of shape
``(n_samples, n_features)``, float64, with ``n_features`` 1 or 2 (what the app can draw), and
``y`` of shape ``(n_samples,)``, int64, in ``0 .. n_classes - 1``, with the names of the
chosen features and of the classes.

- :func:`load_real` reads iris or wine from the CSV files bundled with scikit-learn; nothing
  is downloaded.
- :func:`parse_csv` checks an uploaded file and :func:`csv_dataset` turns the chosen columns
  into ``X`` and ``y``. Every problem with the file raises ``ValueError`` with a short
  message meant for the person who uploaded it.
- :func:`to_csv` writes labelled data back as CSV, with its own names, for a spreadsheet
  (no cell can run as a formula) and for :func:`parse_csv` (which reads it back exactly).

:func:`holdout_split` sets a stratified share of the points aside to measure generalisation.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING

import numpy as np
from sklearn.datasets import load_iris, load_wine
from sklearn.utils import Bunch

from ._checks import check_int, check_real
from .data import MAX_CLASSES, MAX_SAMPLES, MAX_SEED, MIN_CLASSES
from .text import plain

if TYPE_CHECKING:
    import _csv

REAL_DATASETS = ("iris", "wine")
# The largest share of the points a split may hold out.
MAX_HOLDOUT = 0.5

MAX_CSV_BYTES = 1_000_000
# The app learns from one or two feature columns and a label column, chosen from the file's
# columns in a list on the Data page. A hundred columns is far more than such a choice needs
# (wine, with its 13 features and the class, has 14) while keeping the header, the lists and
# the per-column checks small; a megabyte of CSV could otherwise hold ~130,000 columns.
MAX_CSV_COLUMNS = 100

# Column indices of the default features, per data set and number of features. Iris: petal
# length, then petal length and width, the classic picture. Wine: flavanoids alone separates
# the three cultivars best (about 80 % in 5-fold cross-validation of a logistic regression);
# alcohol with flavanoids is the best pair (about 92 %), and both have small, similar ranges
# (11-15 and 0.3-5), so gradient descent needs no rescaling, unlike proline (278-1680).
_DEFAULT_FEATURES = {
    ("iris", 1): (2,),
    ("iris", 2): (2, 3),
    ("wine", 1): (6,),
    ("wine", 2): (0, 6),
}

_DELIMITERS = (",", ";", "\t")
_SNIFF_RECORDS = 20
# ASCII control characters other than tab, newline and carriage return: text never has
# many, binary data has about one byte in nine.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_MAX_CONTROL_FRACTION = 0.05
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# A number in a cell: ASCII digits, an optional sign, decimal point and exponent. Python's
# float() also takes other scripts' digits ("١٢"), underscores ("1_000"), "nan" and "inf".
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NOT_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
# Spreadsheets run a cell that starts with = + - @ (or a tab or carriage return before one)
# as a formula. OWASP's advice against CSV injection: a ' before it makes it text. to_csv
# also puts one before text already made of quotes and such a character, so that
# parse_csv, which takes one ' off such cells, gives every name back as it was written.
_FORMULA = re.compile(r"'*[=+\-@]|[\t\r]")
_NEUTRALISED = re.compile(r"'+[=+\-@]")


@dataclass(frozen=True, eq=False)
class LabelledData:
    """Features and encoded labels, with their names.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), float64
        ``n_features`` is 1 or 2.
    y : ndarray of shape (n_samples,), int64
        Class indices in ``0 .. n_classes - 1``.
    feature_names : tuple of str, length n_features
    class_names : tuple of str, length n_classes
        ``class_names[y[i]]`` is the class of sample ``i``.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]


@dataclass(frozen=True)
class CsvTable:
    """A checked CSV file: a header and at least one data row, all as stripped strings.

    Build it with :func:`parse_csv`. Every row has one cell per column. What the columns
    hold (numbers, possible labels) is worked out once, when the table is built, from each
    column's distinct values: the methods below only return it.

    Attributes
    ----------
    columns : tuple of str, length n_columns
        The header: at least two names, non-empty and distinct.
    rows : tuple of tuple of str, shape (n_rows, n_columns)
        The data rows, blank lines left out.
    line_numbers : tuple of int, length n_rows
        The line of the file on which each row starts (the header is usually line 1).
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    line_numbers: tuple[int, ...]
    _index: dict[str, int] = field(init=False, repr=False, compare=False)
    _numeric: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _number: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _label: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Frozen: the derived fields are set once, here (and travel with a pickled copy).
        numeric, number, label = [], [], []
        for j, name in enumerate(self.columns):
            values = set(map(itemgetter(j), self.rows))  # each distinct value looked at once
            finite = [_finite_float(value) is not None for value in values]
            if all(finite):
                numeric.append(name)
            if any(finite):
                number.append(name)
            if "" not in values and MIN_CLASSES <= len(values) <= MAX_CLASSES:
                label.append(name)
        object.__setattr__(self, "_index", {name: j for j, name in enumerate(self.columns)})
        object.__setattr__(self, "_numeric", tuple(numeric))
        object.__setattr__(self, "_number", tuple(number))
        object.__setattr__(self, "_label", tuple(label))

    def column(self, name: str) -> tuple[str, ...]:
        """The cells of column ``name``, one per row."""
        j = self._index.get(name) if isinstance(name, str) else None
        if j is None:
            raise ValueError(f"the file has no column {_show(str(name))}")
        return tuple(map(itemgetter(j), self.rows))

    def numeric_columns(self) -> tuple[str, ...]:
        """Names of the columns whose every cell is a finite number: the possible features."""
        return self._numeric

    def number_columns(self) -> tuple[str, ...]:
        """Names of the columns with a finite number in some cell: the features a file
        means (a stray typo or NaN among the numbers is then an error that
        :func:`csv_dataset` names, rather than a column silently left out)."""
        return self._number

    def label_columns(self) -> tuple[str, ...]:
        """Names of the columns with no empty cell and 2 to 10 distinct values."""
        return self._label


# ---------------------------------------------------------------- real data sets


def _check_name(name: object) -> str:
    if not isinstance(name, str) or name not in REAL_DATASETS:
        shown = _show(name) if isinstance(name, str) else type(name).__name__
        raise ValueError(f"name must be one of {', '.join(REAL_DATASETS)}, got {shown}")
    return name


def _load_bunch(name: str) -> Bunch:
    # Read afresh on every call (about a millisecond): no cache, so no shared arrays.
    return load_iris() if name == "iris" else load_wine()


def _readable(raw_names: Sequence[str]) -> tuple[str, ...]:
    # Wine's names are identifiers ("malic_acid"); spaces read better in a legend.
    return tuple(str(name).replace("_", " ") for name in raw_names)


def real_feature_names(name: str) -> tuple[str, ...]:
    """The names of all features of a real data set, in column order.

    Parameters
    ----------
    name : {"iris", "wine"}

    Returns
    -------
    names : tuple of str, length 4 for iris and 13 for wine
        scikit-learn's names, with underscores shown as spaces.
    """
    return _readable(_load_bunch(_check_name(name)).feature_names)


def default_features(name: str, n_features: int) -> tuple[int, ...]:
    """Column indices of the features the app shows first.

    Parameters
    ----------
    name : {"iris", "wine"}
    n_features : {1, 2}

    Returns
    -------
    features : tuple of int, length n_features
        Iris: petal length; petal length and petal width. Wine: flavanoids; alcohol and
        flavanoids.
    """
    name = _check_name(name)
    n_features = check_int("n_features", n_features, 1, 2)
    return _DEFAULT_FEATURES[name, n_features]


def _check_features(features: object, n_columns: int, name: str) -> tuple[int, ...]:
    if isinstance(features, str):
        raise ValueError(
            f"features must be 1 or 2 column indices, got the string {_show(features)}"
        )
    try:
        values = tuple(features)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(
            f"features must be 1 or 2 column indices, got {type(features).__name__}"
        ) from None
    if not 1 <= len(values) <= 2:
        raise ValueError(f"features must be 1 or 2 column indices, got {len(values)} of them")
    for value in values:
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Integral)
            or not 0 <= value < n_columns
        ):
            raise ValueError(
                f"features must be integers from 0 to {n_columns - 1} for {name}, "
                f"got {plain(repr(value))}"
            )
    indices = tuple(int(value) for value in values)
    if len(set(indices)) != len(indices):
        raise ValueError(f"features must be distinct, got {indices}")
    return indices


def real_shape(name: str) -> tuple[int, int, int]:
    """``(n_samples, n_features, n_classes)`` of a real data set, read from its file.

    Parameters
    ----------
    name : {"iris", "wine"}

    Returns
    -------
    shape : tuple of int
        Iris: (150, 4, 3). Wine: (178, 13, 3).
    """
    bunch = _load_bunch(_check_name(name))
    return bunch.data.shape[0], bunch.data.shape[1], len(bunch.target_names)


def load_real(name: str, features: Sequence[int]) -> LabelledData:
    """Load iris or wine, bundled with scikit-learn, keeping one or two features.

    Parameters
    ----------
    name : {"iris", "wine"}
    features : sequence of int, length 1 or 2
        Distinct column indices into :func:`real_feature_names`, in the order wanted in ``X``.

    Returns
    -------
    data : LabelledData
        Iris: 150 samples, classes setosa, versicolor, virginica (50 each). Wine: 178
        samples, classes class_0, class_1, class_2 (59, 71, 48).

    Raises
    ------
    ValueError
        If ``name`` is unknown or ``features`` is not 1 or 2 distinct indices in range.
    """
    bunch = _load_bunch(_check_name(name))
    columns = _check_features(features, bunch.data.shape[1], name)
    names = _readable(bunch.feature_names)
    return LabelledData(
        X=np.ascontiguousarray(bunch.data[:, list(columns)], dtype=np.float64),
        y=bunch.target.astype(np.int64),
        feature_names=tuple(names[j] for j in columns),
        class_names=tuple(str(c) for c in bunch.target_names),
    )


# ---------------------------------------------------------------- the user's CSV


def _show(text: str) -> str:
    # Messages quote file content as one short line of printable characters.
    return f"'{plain(text)}'"


def _number(cell: str) -> float | None:
    """The cell as a float if it is an ASCII decimal number (``_NUMBER``), else None."""
    return float(cell) if _NUMBER.fullmatch(cell) else None


def _finite_float(cell: str) -> float | None:
    """The cell as a finite float, or None (for text, empty cells, NaN and infinity)."""
    value = _number(cell)
    return value if value is not None and math.isfinite(value) else None


def _decode(raw: bytes) -> str:
    if len(raw) > MAX_CSV_BYTES:
        raise ValueError(f"the file is {len(raw):,} bytes; the limit is {MAX_CSV_BYTES:,} bytes")
    if not raw.removeprefix(b"\xef\xbb\xbf").strip():
        raise ValueError("the file is empty")
    if raw.startswith(_UTF16_BOMS):
        raise ValueError(
            "the file is not UTF-8 text (it is UTF-16); save it as CSV UTF-8 and upload it again"
        )
    n_control = len(raw) - len(raw.translate(None, _CONTROL_BYTES))
    if b"\x00" in raw or n_control > _MAX_CONTROL_FRACTION * len(raw):
        raise ValueError(
            "the file does not look like a text CSV: it holds binary data "
            "(save a spreadsheet as CSV first)"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ValueError(
            f"the file is not UTF-8 text (line {line} has the byte 0x{raw[error.start]:02X}); "
            "save it as CSV UTF-8 and upload it again"
        ) from None
    if not text.strip():
        raise ValueError("the file is empty")
    return text


def _reader(text: str, delimiter: str) -> _csv.Reader:
    # newline="" lets quoted cells hold line breaks; strict turns a stray quote into an error.
    return csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, strict=True, skipinitialspace=True
    )


def _is_filled(row: list[str]) -> bool:
    return any(cell.strip() for cell in row)


def _is_line(row: list[str]) -> bool:
    """Whether a record is more than a blank line (whatever the delimiter)."""
    return len(row) > 1 or (len(row) == 1 and bool(row[0].strip()))


def _sniff_delimiter(text: str) -> str:
    """The delimiter among , ; and tab that splits the first records most consistently.

    A delimiter scores (whether it splits each of the first 20 non-blank lines, without a CSV
    error, into the same number of fields, at least two; the number of fields of the first).
    The highest score wins, ties going to the earlier of , ; tab.
    """

    def score(delimiter: str) -> tuple[bool, int]:
        widths: list[int] = []
        try:
            # Skip blank lines only: a row of empty cells still shows how a delimiter splits.
            records = filter(_is_line, _reader(text, delimiter))
            for row in itertools.islice(records, _SNIFF_RECORDS):
                widths.append(len(row))
        except csv.Error:
            # A stray quote: keep the header's width so that the error is reported later.
            return False, widths[0] if widths else 0
        return len(set(widths)) == 1 and widths[0] >= 2, widths[0] if widths else 0

    return max(_DELIMITERS, key=score)


def _records(text: str, delimiter: str) -> list[tuple[int, tuple[str, ...]]]:
    """Non-blank records with the line each starts on, their cells stripped."""
    reader = _reader(text, delimiter)
    # Only a file with a ' in it can hold a neutralised cell (most have none).
    clean = _unneutralised if "'" in text else str
    records = []
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return records
        except csv.Error as error:
            # The reader's own limit on a cell (its message names it): 131,072 by default.
            if str(error).startswith("field larger than field limit"):
                raise ValueError(
                    f"the row starting on line {start} has a cell longer than "
                    f"{csv.field_size_limit():,} characters, the most a cell may hold"
                ) from None
            raise ValueError(
                f"the row starting on line {start} is not valid CSV; "
                "check it for a stray or unclosed quote"
            ) from None
        if _is_filled(row):
            records.append((start, tuple(clean(cell.strip()) for cell in row)))


def _unneutralised(cell: str) -> str:
    """The cell without the ' that :func:`to_csv` puts before formula-like text."""
    return cell[1:] if cell[:1] == "'" and _NEUTRALISED.match(cell) else cell


def _check_header(header: tuple[str, ...]) -> None:
    # Every check is one pass over the names: a header may be as wide as the file is long.
    if len(header) > MAX_CSV_COLUMNS:
        raise ValueError(
            f"the file has {len(header):,} columns; the limit is {MAX_CSV_COLUMNS} "
            "(the app learns from one or two feature columns and a label column)"
        )
    named = [name for name in header if name]
    if named and all(_finite_float(name) is not None for name in named):
        raise ValueError(
            "the first line holds only numbers; the file needs a header line with column names"
        )
    if len(header) < 2:
        raise ValueError(
            f"the file has only one column ({_show(header[0])}); it needs a label column and "
            "a feature column, separated by commas, semicolons or tabs"
        )
    for j, name in enumerate(header, start=1):
        if not name:
            raise ValueError(f"column {j} of the header has no name; every column needs one")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise ValueError(
                f"the header names the column {_show(name)} twice; column names must be distinct"
            )
        seen.add(name)


def parse_csv(raw: bytes) -> CsvTable:
    """Check and parse an uploaded CSV file.

    The file must be UTF-8 (a byte order mark is fine), at most ``MAX_CSV_BYTES`` bytes, with
    a header line of 2 to ``MAX_CSV_COLUMNS`` distinct names, then 1 to ``MAX_SAMPLES`` data
    rows with one cell per column. The delimiter is a comma, semicolon or tab, whichever
    splits the first records consistently (ties go to the comma). Blank lines are skipped and
    cells are stripped of surrounding whitespace; a cell of one or more ``'`` then ``=``,
    ``+``, ``-`` or ``@`` loses its first ``'`` (the mark against spreadsheet formulas that
    :func:`to_csv` writes). The work is linear in the file's size.

    Parameters
    ----------
    raw : bytes
        The file's content.

    Returns
    -------
    table : CsvTable

    Raises
    ------
    ValueError
        If the file breaks any rule above; the message says what is wrong, for the user.
    """
    if not isinstance(raw, bytes | bytearray):
        raise ValueError(f"raw must be the file's bytes, got {type(raw).__name__}")
    text = _decode(bytes(raw))
    # Only delimiters, quotes and blanks would leave nothing to sniff a delimiter from.
    content = text.strip("".join(_DELIMITERS) + '" \r\n')
    records = _records(text, _sniff_delimiter(text)) if content else []
    if not records:
        raise ValueError("the file has no header line with column names")
    _, header = records[0]
    _check_header(header)
    if len(records) == 1:
        raise ValueError("the file has a header but no data rows")
    for line, row in records[1:]:
        if len(row) != len(header):
            fields = "1 field" if len(row) == 1 else f"{len(row)} fields"
            raise ValueError(f"line {line} has {fields} but the header has {len(header)}")
    n_rows = len(records) - 1
    if n_rows > MAX_SAMPLES:
        raise ValueError(f"the file has {n_rows:,} data rows; the limit is {MAX_SAMPLES:,}")
    return CsvTable(
        columns=header,
        rows=tuple(row for _, row in records[1:]),
        line_numbers=tuple(line for line, _ in records[1:]),
    )


def _check_column_names(
    table: CsvTable, feature_columns: object, label_column: object
) -> tuple[tuple[str, ...], str]:
    if isinstance(feature_columns, str) or not isinstance(feature_columns, Sequence):
        raise ValueError(
            f"feature_columns must be a list of column names, got {type(feature_columns).__name__}"
        )
    if not 1 <= len(feature_columns) <= 2:
        raise ValueError(f"feature_columns must name 1 or 2 columns, got {len(feature_columns)}")
    if not isinstance(label_column, str):
        raise ValueError(f"label_column must be a column name, got {type(label_column).__name__}")
    for name in [*feature_columns, label_column]:
        if name not in table.columns:
            raise ValueError(f"the file has no column {_show(str(name))}")
    for j, name in enumerate(feature_columns):
        if name in feature_columns[:j]:
            raise ValueError(f"feature_columns names {_show(name)} twice")
    if label_column in feature_columns:
        raise ValueError(f"the label column {_show(label_column)} cannot also be a feature")
    return tuple(feature_columns), label_column


def _feature_values(table: CsvTable, name: str) -> np.ndarray:
    values = np.empty(len(table.rows))
    for i, cell in enumerate(table.column(name)):
        where = f"column {_show(name)} has"
        line = f"on line {table.line_numbers[i]}"
        if not cell:
            raise ValueError(f"{where} an empty cell {line}; features must be numbers")
        value = _number(cell)
        if value is None and not _NOT_FINITE.fullmatch(cell):
            hint = ""
            if _finite_float(cell.replace(",", ".", 1)) is not None:
                hint = "; use a dot as the decimal separator"
            raise ValueError(f"{where} the non-numeric value {_show(cell)} {line}{hint}")
        if value is None or not math.isfinite(value):
            raise ValueError(
                f"{where} {_show(cell)} {line}; features must be finite (no NaN or infinity)"
            )
        values[i] = value
    return values


def _sorted_classes(labels: set[str]) -> tuple[str, ...]:
    # Numbers sort by value ("2" before "10"); as soon as one label is text, all sort as text.
    if all(_finite_float(label) is not None for label in labels):
        return tuple(sorted(labels, key=lambda label: (float(label), label)))
    return tuple(sorted(labels))


def csv_dataset(table: CsvTable, feature_columns: Sequence[str], label_column: str) -> LabelledData:
    """Features and encoded labels from chosen columns of a parsed CSV.

    Parameters
    ----------
    table : CsvTable
        From :func:`parse_csv`.
    feature_columns : sequence of str, length 1 or 2
        Distinct column names, in the order wanted in ``X``; every cell a finite number
        written with ASCII digits: an optional sign, digits with an optional decimal point,
        an optional exponent (``-1.5``, ``.5``, ``2e-3``).
    label_column : str
        Another column; its distinct non-empty strings are the classes, between
        ``MIN_CLASSES`` and ``MAX_CLASSES`` of them. They are ordered by numeric value if
        every label is a number, else as strings; ``y`` indexes that order.

    Returns
    -------
    data : LabelledData
        ``class_names`` holds the labels as written in the file.

    Raises
    ------
    ValueError
        If a column is missing or chosen twice, a feature cell is not a finite number, a
        label is empty, or the number of classes is out of range; the message names the
        column and the first bad line.
    """
    if not isinstance(table, CsvTable):
        raise ValueError(f"table must be a CsvTable from parse_csv, got {type(table).__name__}")
    features, label = _check_column_names(table, feature_columns, label_column)
    X = np.column_stack([_feature_values(table, name) for name in features])
    labels = table.column(label)
    if "" in labels:
        line = table.line_numbers[labels.index("")]
        raise ValueError(f"the label column {_show(label)} has an empty cell on line {line}")
    classes = _sorted_classes(set(labels))
    if len(classes) < MIN_CLASSES:
        raise ValueError(
            f"the label column {_show(label)} has only one class: {_show(classes[0])}; "
            f"at least {MIN_CLASSES} are needed"
        )
    if len(classes) > MAX_CLASSES:
        raise ValueError(
            f"the label column {_show(label)} has {len(classes):,} classes; "
            f"the limit is {MAX_CLASSES}"
        )
    index = {name: k for k, name in enumerate(classes)}
    return LabelledData(
        X=X,
        y=np.array([index[value] for value in labels], dtype=np.int64),
        feature_names=features,
        class_names=classes,
    )


def _csv_text(text: str) -> str:
    """A name or label as a quoted CSV cell, made text for a spreadsheet if it could run."""
    if _FORMULA.match(text):
        text = "'" + text
    return '"' + text.replace('"', '""') + '"'


def _csv_number(value: float) -> str:
    """The shortest decimal that reads back as exactly ``value`` (no ".0" on whole numbers)."""
    text = repr(float(value))
    return text.removesuffix(".0")


def _check_names(what: str, names: object, count: int | None = None) -> tuple[str, ...]:
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise ValueError(f"{what} must be a sequence of strings, got {type(names).__name__}")
    names = tuple(names)
    if count is not None and len(names) != count:
        noun = "name" if count == 1 else "names"
        raise ValueError(f"{what} must hold {count} {noun}, got {len(names)}")
    for name in names:
        if not isinstance(name, str) or not name:
            raise ValueError(f"{what} must be non-empty strings, got {plain(repr(name))}")
    if len(set(names)) != len(names):
        raise ValueError(f"{what} must be distinct")
    return names


def to_csv(
    X: np.ndarray,
    y: np.ndarray,
    feature_names: Sequence[str],
    class_names: Sequence[str],
    label_name: str = "label",
) -> str:
    """Labelled data as CSV text: one column per feature, then the label, with their names.

    Numbers are written as the shortest decimal that reads back as the same float (``1.5``,
    ``-0.1``, ``1e-07``; whole numbers without ``.0``). Names and labels are quoted; text
    that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a
    tab or a carriage return; OWASP's list) gets a ``'`` before it, as does text of quotes
    then one of ``= + - @``. A label that is a number (``-1``, ``2.5``) is written as the
    number it is. Lines end with CRLF.

    :func:`parse_csv` then :func:`csv_dataset` with ``feature_names`` and ``label_name``
    give back ``X`` exactly, and the same ``y`` and names when the names are as
    :func:`parse_csv` gives them (without surrounding whitespace, ``class_names`` in
    :func:`csv_dataset`'s order, every class present) and the file within its limits.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Finite numbers.
    y : array-like of shape (n_samples,)
        Integers in ``0 .. len(class_names) - 1``.
    feature_names : sequence of str, length n_features
    class_names : sequence of str
        ``class_names[y[i]]`` is written as the label of row ``i``.
    label_name : str, default "label"
        The label column's name; distinct from the feature names.

    Returns
    -------
    text : str

    Raises
    ------
    ValueError
        If the shapes disagree, ``X`` is not finite, a label index is out of range, or a
        name is empty, not a string or repeated.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X must hold finite numbers")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must be {X.shape[0]} labels, one per row of X, got shape {y.shape}")
    if y.size and y.dtype.kind not in "iu":
        raise ValueError(f"y must hold integer labels, got dtype {y.dtype}")
    features = _check_names("feature_names", feature_names, X.shape[1])
    header = _check_names("feature_names and label_name", [*features, label_name])
    classes = _check_names("class_names", class_names)
    if y.size and not (y.min() >= 0 and y.max() < len(classes)):
        raise ValueError(f"y must be class indices from 0 to {len(classes) - 1}")
    labels = [name if _NUMBER.fullmatch(name) else _csv_text(name) for name in classes]
    lines = [",".join(_csv_text(name) for name in header)]
    for row, k in zip(X.tolist(), y.tolist(), strict=True):
        lines.append(",".join([*map(_csv_number, row), labels[k]]))
    return "\r\n".join(lines) + "\r\n"


# ---------------------------------------------------------------- held-out split


def holdout_split(
    y: np.ndarray, fraction: float, random_state: int
) -> tuple[np.ndarray, np.ndarray]:
    """Set a stratified, random share of each class aside.

    Each class of ``n_c`` points gives ``floor(fraction * n_c + 1/2)`` of them (``fraction *
    n_c`` rounded half up) to the held-out set, but at most ``n_c - 1``: every class keeps a
    training point, and a class of one point stays in training.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Integer class labels.
    fraction : float
        Share of each class to hold out, in [0, 0.5]; 0 holds out nothing.
    random_state : int
        Seed of ``np.random.default_rng``, in [0, 2**32 - 1]; the same seed gives the same
        split.

    Returns
    -------
    train : ndarray of shape (n_train,), int
    held_out : ndarray of shape (n_samples - n_train,), int
        Sorted, disjoint indices into ``y`` that together cover it.

    Raises
    ------
    ValueError
        If ``y`` is not a non-empty 1-D array of integers or a parameter is out of range.
    """
    try:
        labels = np.asarray(y)
    except ValueError:
        raise ValueError("y must be a 1-D array of integer labels") from None
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"y must be a non-empty 1-D array of labels, got shape {labels.shape}")
    if labels.dtype.kind not in "iu":
        raise ValueError(f"y must hold integer labels, got dtype {labels.dtype}")
    fraction = check_real("fraction", fraction, 0.0, MAX_HOLDOUT)
    rng = np.random.default_rng(check_int("random_state", random_state, 0, MAX_SEED))
    held = np.zeros(labels.shape[0], dtype=bool)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        n_held = min(math.floor(fraction * members.size + 0.5), members.size - 1)
        held[rng.permutation(members)[:n_held]] = True
    return np.flatnonzero(~held), np.flatnonzero(held)
