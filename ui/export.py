"""Take a run home: the run on screen as a Jupyter notebook, a Python script, or a JSON file.

Plain Python, no Streamlit. A :class:`RunSpec` is what defines a run: its settings, the
learning-rate schedule it was trained with and, for an uploaded CSV, the file itself (a link
cannot carry it, so the exports embed it).

- :func:`notebook` and :func:`script` rebuild the run in two forms side by side: the seed
  note's own NumPy loop, extended just enough to replay the schedule, the penalty and the
  other solvers, and ``softmax_core`` as the app runs it. Both print the final loss and draw
  the probabilities and the loss history. The generated code imports only NumPy,
  scikit-learn, matplotlib and (optionally) ``softmax_core``; data from a file is embedded
  as an ASCII-only string literal and never appears as markup.
- :func:`run_json` writes the run with the model's parameters and loss history;
  :func:`spec_from_json` reads such a file back, validating every value as a link's are
  (through :func:`~ui.settings.to_query` and :func:`~ui.settings.from_query`).
- :class:`TakeHome` is what a page offers for download (``ui.lab.Lab.take_home``): the spec,
  a :class:`ModelState` copy of the model as drawn, and the view; it builds each file only
  when asked for.

Summation order matters in one case (see :mod:`softmax_core.functions`): above the stable
learning-rate limit gradient descent is chaotic, and the core then sums as the seed note
does. The generated loop therefore is the note's own code there, and wherever a chaotic
stretch follows a stable one (whose rounding it would amplify) it also sums the stable steps
in the core's order, so that the two forms agree to the digits the app shows.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import itertools
import json
import math
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from urllib.parse import urlencode

import nbformat
import numpy as np

from softmax_core import SOLVERS, make_noisy_blobs, make_noisy_classes, stable_learning_rate_limit
from softmax_core.datasets import (
    MAX_CSV_BYTES,
    csv_dataset,
    default_features,
    holdout_split,
    load_real,
    parse_csv,
)
from softmax_core.model import EXPLOSION_FACTOR

from .settings import (
    DEFAULT_VIEW,
    MAX_SCHEDULE_SEGMENTS,
    REAL_SIZES,
    SEED_NOTE,
    Schedule,
    Settings,
    View,
    from_query,
    quote,
    to_query,
    within_replay_budget,
)

NOTEBOOK_NAME = "softmax-lab-run.ipynb"
SCRIPT_NAME = "softmax-lab-run.py"
JSON_NAME = "softmax-lab-run.json"
JSON_FORMAT = "softmax-lab-run"
JSON_VERSION = 1
# A run's JSON: an embedded CSV (at most MAX_CSV_BYTES, a third larger in base64), the loss
# history (at most MAX_HISTORY_POINTS numbers) and a few settings fit in this.
MAX_JSON_BYTES = 2_000_000
# The loss history in a JSON file: every iterate up to this many, evenly spaced ones beyond.
MAX_HISTORY_POINTS = 10_001
MAX_NAME_LENGTH = 200
MAX_TEXT_LENGTH = 100  # any other string in a JSON file (settings and view choices)
# The seed note's data set: the generator's settings that make it.
_SEED_DATA = ("line", 100, 3, 0.1, 0)
_LITERAL_WIDTH = 80  # characters of a string literal's content per source line
_DELIMITERS = (",", ";", "\t")


# ------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class RunSpec:
    """A run to export: what the app replays to show it.

    Parameters
    ----------
    settings : Settings
        The session's settings (``learning_rate`` is the rate of the next step; the
        schedule says which rates the steps so far used).
    schedule : list of (learning rate or None, count)
        The learning-rate schedule of the steps taken, in order (``None`` is "auto", 1/L).
    csv_bytes : bytes, optional
        The uploaded file, when ``settings.kind`` is ``"upload"`` (embedded in the exports).
    csv_name : str, optional
        The uploaded file's name, as the session shows it.
    """

    settings: Settings
    schedule: Schedule
    csv_bytes: bytes | None = None
    csv_name: str | None = None

    @property
    def n_iter(self) -> int:
        """How many iterations the schedule takes."""
        return sum(count for _, count in self.schedule)


@dataclass(frozen=True, eq=False)
class Prepared:
    """The data set of a run as the app prepares it (``ui.data``, replicated without
    Streamlit): every point, the held-out split, and the scaling the model sees."""

    X: np.ndarray
    y: np.ndarray
    class_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    train: np.ndarray
    test: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def X_train(self) -> np.ndarray:
        """The training points as the model sees them (scaled when standardised)."""
        return np.ascontiguousarray((self.X[self.train] - self.mean) / self.scale)

    @property
    def y_train(self) -> np.ndarray:
        return self.y[self.train]


def code_refusal(settings: Settings) -> str | None:
    """Why the notebook and the script cannot rebuild a run of ``settings``, or None (the
    JSON file keeps every run)."""
    if settings.solver == "sgd":
        return (
            "a mini-batch SGD run cannot be exported as code yet: the notebook and script "
            f"rebuild full-batch runs only ({', '.join(SOLVERS)}); its JSON file keeps it"
        )
    return None


def _check_spec(spec: RunSpec, *, as_code: bool = True) -> None:
    """Raise ValueError unless ``spec`` is a run the app could have made (and, ``as_code``,
    one the notebook and script rebuild)."""
    if not isinstance(spec, RunSpec) or not isinstance(spec.settings, Settings):
        raise ValueError("spec must be a RunSpec with Settings")
    refusal = code_refusal(spec.settings)
    if as_code and refusal is not None:
        raise ValueError(refusal)
    if spec.settings.solver not in (*SOLVERS, "sgd"):
        raise ValueError(f"solver must be one of {', '.join(SOLVERS)} or sgd")
    if not isinstance(spec.schedule, Sequence):
        raise ValueError("schedule must be a list of (learning rate, count) segments")
    for segment in spec.schedule:
        if not (isinstance(segment, Sequence) and len(segment) == 2):
            raise ValueError(f"schedule segments must be (learning rate, count), got {segment!r}")
        rate, count = segment
        if rate is not None and not (
            isinstance(rate, int | float) and not isinstance(rate, bool) and 0 < rate < math.inf
        ):
            raise ValueError(f"a schedule's learning rate must be None or positive, got {rate!r}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"a schedule's step count must be a whole number, got {count!r}")
    upload = spec.settings.kind == "upload"
    if upload != (spec.csv_bytes is not None):
        raise ValueError("csv_bytes must be given exactly when settings.kind is 'upload'")
    if upload:
        if not isinstance(spec.csv_bytes, bytes) or len(spec.csv_bytes) > MAX_CSV_BYTES:
            raise ValueError(f"csv_bytes must be the uploaded file, at most {MAX_CSV_BYTES:,}")
        digest = hashlib.sha256(spec.csv_bytes).hexdigest()
        if spec.settings.upload not in (None, digest):
            raise ValueError("csv_bytes is not the file the settings were made from")


def prepare(spec: RunSpec) -> Prepared:
    """The data set of ``spec``, as the app makes it (same points, split and scaling).

    Raises
    ------
    ValueError
        If the spec is not a run the app could make (the message says why).
    """
    _check_spec(spec)
    settings = spec.settings
    if settings.kind == "blobs":
        X, y = make_noisy_blobs(
            settings.n_samples, settings.n_classes, settings.noise, random_state=settings.seed
        )
        names, feature_names = tuple(map(str, range(settings.n_classes))), ("x1", "x2")
    elif settings.kind == "line":
        X, y = make_noisy_classes(
            settings.n_samples, settings.n_classes, settings.noise, random_state=settings.seed
        )
        names, feature_names = tuple(map(str, range(settings.n_classes))), ("x",)
    elif settings.kind in REAL_SIZES:
        loaded = load_real(settings.kind, _real_features(settings))
        X, y, names, feature_names = loaded.X, loaded.y, loaded.class_names, loaded.feature_names
    elif settings.kind == "upload":
        table = parse_csv(spec.csv_bytes)
        loaded = csv_dataset(table, settings.upload_columns, settings.upload_label)
        X, y, names, feature_names = loaded.X, loaded.y, loaded.class_names, loaded.feature_names
    else:
        raise ValueError(f"kind must be line, blobs, iris, wine or upload, got {settings.kind!r}")
    train, test = holdout_split(y, settings.holdout, settings.holdout_seed)
    mean, scale = np.zeros(X.shape[1]), np.ones(X.shape[1])
    if settings.standardise:
        mean = X[train].mean(axis=0)
        spread = X[train].std(axis=0)
        scale = np.where(spread > 0, spread, 1.0)  # a constant feature stays as it is
    return Prepared(X, y, tuple(names), tuple(feature_names), train, test, mean, scale)


def _real_features(settings: Settings) -> tuple[int, ...]:
    return settings.features or default_features(settings.kind, 1)


def _is_seed_data(settings: Settings) -> bool:
    data = (settings.kind, settings.n_samples, settings.n_classes, settings.noise, settings.seed)
    return data == _SEED_DATA


# ---------------------------------------------------------------- string literals


def _escape(text: str, quote_mark: str) -> str:
    """``text`` as the inside of a Python string literal: printable ASCII, the rest escaped."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in ("\\", quote_mark):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)


def _quoted(text: str) -> str:
    # Double quotes unless the text holds more of them than single ones (ruff's choice).
    mark = "'" if text.count('"') > text.count("'") else '"'
    return mark + _escape(text, mark) + mark


def _literal_pieces(text: str, width: int = _LITERAL_WIDTH) -> list[str]:
    """Short ASCII string literals whose concatenation is ``text``: one per line of it, and
    long lines cut (between characters, never inside an escape)."""
    pieces = []
    # Lines end at "\n" only (str.splitlines also ends them at \x0b, \x85, \u2028, ...).
    for line in re.split(r"(?<=\n)(?!$)", text):
        start = 0
        while start < len(line):
            end, size = start, 0
            while end < len(line) and (size < width or end == start):
                size += len(_escape(line[end], '"'))
                end += 1
            pieces.append(_quoted(line[start:end]))
            start = end
    return pieces or ['""']


def python_literal(text: str, indent: str = "", room: int = 80) -> str:
    """A Python expression, ASCII only, that evaluates to exactly ``text``.

    Every character that is not printable ASCII is escaped, and so are quotes and
    backslashes, so that no content can end the literal early. A text whose literal is
    longer than ``room`` characters becomes a parenthesised concatenation of short literals,
    one per line of the text (long lines cut), each source line indented by ``indent`` plus
    four spaces; a shorter one stays whole, as ruff's formatter would join it.
    """
    whole = _quoted(text)
    if len(whole) <= room:
        return whole
    inner = "".join(f"{indent}    {piece}\n" for piece in _literal_pieces(text))
    return f"(\n{inner}{indent})"


def _number(value: float) -> str:
    """A float as Python source that reads back exactly."""
    return "np.inf" if math.isinf(value) else repr(float(value))


def _rate_source(rate: float | None) -> str:
    return "None" if rate is None else repr(float(rate))


# ---------------------------------------------------------------- the facts of a run


@dataclass(frozen=True)
class _Facts:
    """What the generated text says about a run, computed once at export time."""

    spec: RunSpec
    data: Prepared
    limit: float  # 2/L on the training points

    @property
    def settings(self) -> Settings:
        return self.spec.settings

    @property
    def penalised(self) -> bool:
        return not math.isinf(self.settings.C)

    def rate(self, rate: float | None) -> float:
        return self.limit / 2 if rate is None else rate

    def chaotic(self, rate: float | None) -> bool:
        """Whether gradient descent at ``rate`` sums in the seed's order in the core."""
        return self.settings.solver == "gd" and self.rate(rate) > self.limit

    @property
    def two_orders(self) -> bool:
        """Whether the gradient-descent loop must sum stable steps in the core's order too:
        when a chaotic stretch comes after stable steps, whose rounding it would amplify."""
        if self.settings.solver != "gd":
            return False
        seen_stable = False
        for rate, count in self.spec.schedule:
            if count and self.chaotic(rate) and seen_stable:
                return True
            seen_stable |= bool(count) and not self.chaotic(rate)
        return False


def _facts(spec: RunSpec) -> _Facts:
    data = prepare(spec)
    return _Facts(spec, data, stable_learning_rate_limit(data.X_train, spec.settings.C))


def _schedule_words(facts: _Facts) -> str:
    if not facts.spec.schedule:
        return "no steps yet (the run is at iteration 0)"
    parts = []
    for rate, count in facts.spec.schedule:
        shown = f"auto (1/L = {facts.rate(rate):.4g})" if rate is None else f"{rate:g}"
        ratio = facts.rate(rate) / facts.limit
        steps = "1 step" if count == 1 else f"{count:,} steps"
        parts.append(f"{steps} at learning rate {shown} ({ratio:.3g}x the stable limit)")
    return "; then ".join(parts)


def _data_words(facts: _Facts) -> str:
    settings, data = facts.settings, facts.data
    if settings.kind == "line" and _is_seed_data(settings):
        source = "the seed note's data set (100 points on a line, 3 classes, 10% label noise)"
    elif settings.kind == "line":
        source = (
            f"points on a line ({settings.n_samples:,} points, {settings.n_classes} classes, "
            f"label noise {settings.noise:g}, seed {settings.seed})"
        )
    elif settings.kind == "blobs":
        source = (
            f"2-D blobs ({settings.n_samples:,} points, {settings.n_classes} classes, "
            f"label noise {settings.noise:g}, seed {settings.seed})"
        )
    elif settings.kind in REAL_SIZES:
        features = ", ".join(str(j) for j in _real_features(settings))
        source = f"scikit-learn's {settings.kind} data set (feature columns {features})"
    else:
        source = (
            f"the uploaded CSV file ({data.X.shape[0]:,} rows, {data.n_features} feature "
            f"column{'s' if data.n_features > 1 else ''}, {data.n_classes} classes), embedded below"
        )
    held = ""
    if data.test.size:
        held = (
            f" {data.test.size:,} points ({settings.holdout * 100:g}% of each class) are held out "
            f"of training (seed {settings.holdout_seed})."
        )
    scaled = " The features are standardised on the training points." * settings.standardise
    return f"Data: {source}.{held}{scaled}"


# ---------------------------------------------------------------- generated sections


class _Section:
    """A markdown cell (a comment block in the script) and the code cells after it."""

    def __init__(self, markdown: str, *codes: str) -> None:
        self.markdown = markdown
        self.codes = codes


def _code(text: str) -> str:
    """A block of generated code written indented in this module, flush left."""
    return textwrap.dedent(text).strip("\n") + "\n"


def _markdown(*paragraphs: str) -> str:
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


def _intro(facts: _Facts, *, for_script: bool) -> str:
    settings = facts.settings
    solver = {
        "gd": "gradient descent",
        "nesterov": "Nesterov's accelerated gradient (with restart)",
        "newton": "Newton's method (with a backtracking line search)",
    }[settings.solver]
    penalty = "no penalty (C = inf)" if not facts.penalised else f"C = {settings.C:g}"
    how = (
        f"Run it with `python {SCRIPT_NAME}` to show the figures, or "
        f"`python {SCRIPT_NAME} FOLDER` to save them as PNG files in FOLDER."
        if for_script
        else "Run the cells from top to bottom."
    )
    link = ""
    if settings.kind != "upload":
        query = to_query(settings, facts.spec.n_iter, facts.spec.schedule)
        link = f"The app's link to this run ends with `?{urlencode(query, safe=',')}`."
    needs = ", scikit-learn (for its data set)" if settings.kind in REAL_SIZES else ""
    return _markdown(
        "# Softmax Lab: a run to take home",
        "This rebuilds one run of Softmax Lab twice, side by side: (1) with the seed note's own "
        "NumPy loop (softmax, loss, gradient, update), extended just enough to replay this "
        "run, and (2) with `softmax_core`, the library the app runs. Both print the final "
        f"loss and draw the model's probabilities and the loss history. {how}",
        f"{_data_words(facts)} Solver: {solver}, {penalty}. Schedule: {_schedule_words(facts)}. "
        f"The stable limit of the learning rate, 2/L, is {facts.limit:.4g} on these points.",
        link,
        f"Form 1 needs NumPy{needs} and matplotlib. Form 2 also needs `softmax_core`: "
        "install the Softmax Lab project (`pip install .` in its folder); without it, form 2 "
        "is skipped.",
    )


def _imports(facts: _Facts, *, for_script: bool) -> str:
    kind = facts.settings.kind
    standard = []
    if kind == "upload":
        standard += ["import csv", "import io"]
    if facts.settings.solver == "nesterov" or facts.data.test.size or kind == "upload":
        standard.append("import math")
    if for_script:
        standard += ["import sys", "from pathlib import Path"]
    third_party = ["import matplotlib.pyplot as plt", "import numpy as np"]
    if kind in REAL_SIZES:
        third_party.append(f"from sklearn.datasets import load_{kind}")
    lines = [*standard, "", *third_party] if standard else third_party
    return (
        "\n".join(lines)
        + "\n\n"
        + _code(
            """
        try:  # form 2 needs the Softmax Lab project: pip install . in its folder
            from softmax_core import SoftmaxRegression, TrainingData
        except ImportError:
            SoftmaxRegression = TrainingData = None
        """
        )
    )


_LABEL_NOISE = _code(
    """
    def add_label_noise(y, n_classes, noise, rng):
        \"\"\"Move each label to the next class with probability `noise` (the note's
        rand() > 0.9 for noise 0.1), keeping a point of every class.\"\"\"
        noisy = (y + (rng.rand(y.shape[0]) > 1.0 - noise)) % n_classes
        if np.unique(noisy).size < n_classes:  # noise emptied a class: its first point stays
            first_of_each_class = np.unique(y, return_index=True)[1]
            noisy[first_of_each_class] = y[first_of_each_class]
        return noisy
    """
)


def _data_section(facts: _Facts) -> _Section:
    settings, data = facts.settings, facts.data
    names = f"class_names = [str(k) for k in range({settings.n_classes})]\n"
    if settings.kind == "line" and _is_seed_data(settings):
        text = (
            "The seed note's data set, made exactly as the note makes it: 100 points evenly "
            "spaced on [0, 10], labelled 0, 1, 2 by the thresholds 3.3 and 6.6, and about one "
            "label in ten moved to the next class (`np.random.seed(0)` makes it the same every "
            "time)."
        )
        code = (
            _code(
                """
            # Create multi-class classification data
            np.random.seed(0)
            X = np.linspace(0, 10, 100).reshape(-1, 1)
            # Define 3 classes: 0 if X < 3.3, 1 if 3.3 <= X < 6.6, 2 if X >= 6.6
            y = np.zeros_like(X, dtype=int)
            y[X[:, 0] > 3.3] = 1
            y[X[:, 0] > 6.6] = 2
            # Add some noise to make the classification a bit messy
            noise = (np.random.rand(*y.shape) > 0.9).astype(int)
            y = (y + noise) % 3  # random small jumps between classes
            y = y.ravel()  # one label per point (the note keeps them in a column)
            """
            )
            + names
            + 'feature_names = ["x"]\n'
        )
    elif settings.kind == "line":
        text = (
            "Points evenly spaced on [0, 10], labelled by thresholds at 10 j / k (cut to one "
            "decimal), with label noise: softmax_core's `make_noisy_classes`, written out. "
            "With 100 points, 3 classes, noise 0.1 and seed 0 it is the note's data set."
        )
        code = (
            _code(
                """
                def make_noisy_classes(n_samples, n_classes, noise, seed):
                    \"\"\"Points on [0, 10] in classes split by thresholds, with label noise.\"\"\"
                    rng = np.random.RandomState(seed)
                    X = np.linspace(0.0, 10.0, n_samples).reshape(-1, 1)
                    # Class boundaries at 10 j / k, cut to one decimal: 3.3 and 6.6 for 3 classes
                    exact = 10.0 * np.arange(1, n_classes) / n_classes
                    thresholds = np.floor(exact * 10 + 1e-9) / 10
                    y = np.sum(thresholds < X, axis=1)  # above the j-th threshold: class j or more
                    return X, add_label_noise(y, n_classes, noise, rng)
                """
            )
            + "\n\n"
            + _LABEL_NOISE
            + "\n\n"
            + f"X, y = make_noisy_classes({settings.n_samples}, {settings.n_classes}, "
            f"noise={_number(settings.noise)}, seed={settings.seed})\n"
            + names
            + 'feature_names = ["x"]\n'
        )
    elif settings.kind == "blobs":
        text = (
            "Two-dimensional Gaussian clusters, one per class, centred on a circle of radius 3, "
            "with label noise: softmax_core's `make_noisy_blobs`, written out."
        )
        code = (
            _code(
                """
                def make_noisy_blobs(n_samples, n_classes, noise, seed):
                    \"\"\"Gaussian clusters (deviation 1) around a circle, with label noise.\"\"\"
                    rng = np.random.RandomState(seed)
                    angles = 2 * np.pi * np.arange(n_classes) / n_classes
                    centres = 3.0 * np.column_stack([np.cos(angles), np.sin(angles)])
                    y = np.arange(n_samples) % n_classes
                    X = centres[y] + rng.randn(n_samples, 2)
                    return X, add_label_noise(y, n_classes, noise, rng)
                """
            )
            + "\n\n"
            + _LABEL_NOISE
            + "\n\n"
            + f"X, y = make_noisy_blobs({settings.n_samples}, {settings.n_classes}, "
            f"noise={_number(settings.noise)}, seed={settings.seed})\n"
            + names
            + 'feature_names = ["x1", "x2"]\n'
        )
    elif settings.kind in REAL_SIZES:
        features = list(_real_features(settings))
        text = (
            f"scikit-learn's {settings.kind} data set (it ships with scikit-learn: nothing is "
            "downloaded), keeping the feature columns the app used."
        )
        code = _code(
            f"""
            dataset = load_{settings.kind}()
            FEATURES = {features}  # the feature columns the run uses
            X = dataset.data[:, FEATURES]
            y = dataset.target
            class_names = [str(name) for name in dataset.target_names]
            feature_names = [dataset.feature_names[j] for j in FEATURES]
            """
        )
    else:
        text, code = _upload_data(facts)
    code += "n_classes = len(class_names)\n"
    if data.n_features == 1:
        code += 'print(f"{len(y)} points, {n_classes} classes")\n'
    else:
        code += 'print(f"{len(y)} points with 2 features, {n_classes} classes")\n'
    return _Section(_markdown("## The data", text), code)


def _delimiter(text: str, columns: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> str:
    """The delimiter with which the plain reading below gives parse_csv's table."""
    for delimiter in _DELIMITERS:
        try:
            if _read_records(text, delimiter) == [list(columns), *map(list, rows)]:
                return delimiter
        except csv.Error:
            continue
    raise ValueError("the file cannot be embedded: no delimiter reads it as the app did")


def _read_records(text: str, delimiter: str) -> list[list[str]]:
    # What the generated code does (and softmax_core.datasets.parse_csv, for a valid file).
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, strict=True, skipinitialspace=True
    )
    return [
        [cell.strip() for cell in record] for record in reader if any(c.strip() for c in record)
    ]


def _upload_data(facts: _Facts) -> tuple[str, str]:
    spec, settings = facts.spec, facts.settings
    text = spec.csv_bytes.decode("utf-8-sig")
    table = parse_csv(spec.csv_bytes)
    delimiter = _delimiter(text, table.columns, table.rows)
    features = [table.columns.index(name) for name in settings.upload_columns]
    label = table.columns.index(settings.upload_label)
    # Room on the line after "CSV_NAME = ": a literal that fits stays whole.
    name = python_literal(spec.csv_name or "uploaded.csv", room=89)
    markdown = (
        "The uploaded CSV file, embedded as text (every character outside printable ASCII is "
        "escaped). It is read as the app reads it: the first non-blank line names the "
        "columns, cells are trimmed, and the classes are the label column's distinct values, "
        "in numeric order if they are all numbers, else in text order. The columns are "
        "chosen by their position in the first line."
    )
    code = f"CSV_NAME = {name}\nCSV_TEXT = {python_literal(text, room=89)}\n\n" + _code(
        f"""
            records = [
                [cell.strip() for cell in record]
                for record in csv.reader(
                    io.StringIO(CSV_TEXT, newline=""),
                    delimiter={python_literal(delimiter)},
                    strict=True,
                    skipinitialspace=True,
                )
                if any(cell.strip() for cell in record)  # blank lines are skipped
            ]
            header, rows = records[0], records[1:]
            FEATURE_COLUMNS = {features}  # positions in the header
            LABEL_COLUMN = {label}


            def is_number(text):
                try:
                    return math.isfinite(float(text))
                except ValueError:
                    return False


            labels = [row[LABEL_COLUMN] for row in rows]
            if all(is_number(label) for label in set(labels)):
                class_names = sorted(set(labels), key=lambda label: (float(label), label))
            else:
                class_names = sorted(set(labels))
            class_index = {{name: k for k, name in enumerate(class_names)}}
            X = np.array([[float(row[j]) for j in FEATURE_COLUMNS] for row in rows])
            y = np.array([class_index[label] for label in labels])
            feature_names = [header[j] for j in FEATURE_COLUMNS]
            print("File:", CSV_NAME)
            """
    )
    return markdown, code


def _split_section(facts: _Facts) -> _Section:
    settings = facts.settings
    words = []
    code = ""
    if facts.data.test.size:
        words.append(
            f"The app holds {settings.holdout * 100:g}% of each class out of training (rounded "
            "half up, at least one point of each class stays in training), drawn with NumPy's "
            f"`default_rng({settings.holdout_seed})`: the model never learns from them."
        )
        code += (
            _code(
                """
                def holdout_split(y, fraction, seed):
                    \"\"\"The app's held-out split: a random share of each class.\"\"\"
                    rng = np.random.default_rng(seed)
                    held_out = np.zeros(len(y), dtype=bool)
                    for label in np.unique(y):
                        members = np.flatnonzero(y == label)
                        n_held = min(math.floor(fraction * members.size + 0.5), members.size - 1)
                        held_out[rng.permutation(members)[:n_held]] = True
                    return np.flatnonzero(~held_out), np.flatnonzero(held_out)
                """
            )
            + "\n\n"
            + f"train, test = holdout_split(y, {_number(settings.holdout)}, "
            f"seed={settings.holdout_seed})\n"
        )
    else:
        words.append("Every point is a training point (nothing is held out).")
        code += "train, test = np.arange(len(y)), np.arange(0)  # nothing held out\n"
    if settings.standardise:
        words.append(
            "The features are standardised as a scikit-learn Pipeline would: mean 0 and "
            "variance 1 on the training points. The model learns from the scaled points; the "
            "figures keep the original axes."
        )
        code += _code(
            """
            mean = X[train].mean(axis=0)
            spread = X[train].std(axis=0)
            scale = np.where(spread > 0, spread, 1.0)  # a constant feature stays as it is
            """
        )
    else:
        words.append("The features are used as they are (not standardised).")
        code += "mean, scale = np.zeros(X.shape[1]), np.ones(X.shape[1])  # not standardised\n"
    code += _code(
        """
        X_train, y_train = (X[train] - mean) / scale, y[train]
        X_test, y_test = (X[test] - mean) / scale, y[test]
        n_samples, n_features = X_train.shape
        print(f"{n_samples} training points, {len(test)} held out")
        """
    )
    return _Section(_markdown("## Held-out points and scaling", " ".join(words)), code)


def _schedule_source(schedule: Schedule) -> str:
    items = [f"({_rate_source(rate)}, {count})" for rate, count in schedule]
    one_line = f"SCHEDULE = [{', '.join(items)}]\n"
    if len(one_line) <= 100:
        return one_line
    return "SCHEDULE = [\n" + "".join(f"    {item},\n" for item in items) + "]\n"


def _settings_section(facts: _Facts) -> _Section:
    settings = facts.settings
    code = f'SOLVER = "{settings.solver}"  # gd, nesterov or newton\n'
    code += f"C = {_number(settings.C)}  # inverse L2 strength (np.inf: no penalty)\n"
    if facts.penalised:
        code += (
            "ALPHA = 1 / (C * n_samples)  # the penalty ||W||^2 / (2 C n) has weight ALPHA / 2\n"
        )
    code += f"TOL = {_number(settings.tol)}  # converged: a step changes the loss by less\n"
    code += "# The learning-rate schedule: (learning rate, steps) in the order they were taken;\n"
    code += '# None is the app\'s "auto", 1/L\n'
    code += _schedule_source(facts.spec.schedule)
    code += f"EXPLOSION = {EXPLOSION_FACTOR:g}  # the app stops a run whose loss grows so much\n"
    text = (
        "The solver, the penalty and the learning-rate schedule: each segment is (learning "
        "rate, number of steps), in the order the steps were taken in the app; `None` is the "
        'app\'s "auto", 1/L.'
    )
    return _Section(_markdown("## The run's settings", text), code)


_FLAG = re.compile(r"\s*#\[(!?)(\w+)\]$")


def _template(text: str, **flags: bool) -> str:
    """A block of generated code, flush left, with lines kept or left out by ``flags``.

    A line ending in ``#[flag]`` is kept only when ``flags[flag]`` is true (``#[!flag]``:
    only when it is false); a line that is only such a marker applies it to every line up
    to a line ``#[end]``.
    """
    kept, block = [], None
    for line in _code(text).splitlines():
        marker = _FLAG.search(line)
        if line.strip() == "#[end]":
            block = None
            continue
        if marker and not line[: marker.start()].strip():
            block = marker.groups()
            continue
        condition = marker.groups() if marker else block
        if condition is not None:
            negate, name = condition
            if flags[name] == bool(negate):
                continue
        kept.append(line[: marker.start()] if marker else line)
    return "\n".join(kept) + "\n"


_SOFTMAX = _code(
    """
    def softmax(z):
        # Softmax over classes
        exp_z = np.exp(z - np.max(z, axis=1, keepdims=True))  # for numerical stability
        return exp_z / np.sum(exp_z, axis=1, keepdims=True)
    """
)

_LIPSCHITZ = """
    def lipschitz_constant(X):
        \"\"\"L, the most curvature the loss can have: lambda_max([X | 1]^T [X | 1] / n) / 2
        plus ALPHA. A learning rate above 2/L can overshoot the minimum.\"\"\"  #[penalty]
        (n points). A learning rate above 2/L can overshoot the minimum.\"\"\"  #[!penalty]
        design = np.column_stack([X, np.ones(len(X))])
        largest = np.max(np.abs(design))  # divided out and back in: no overflow of squares
        scaled = design / largest
        top = np.linalg.eigvalsh(scaled.T @ scaled / len(X))[-1]
        return 0.5 * top * largest * largest + ALPHA  #[penalty]
        return 0.5 * top * largest * largest  #[!penalty]
    """

_NOTE_EVALUATOR = """
    def loss_and_gradients(W, b):
        \"\"\"Steps 1, 2, 3 and 5 of the note at (W, b): the loss J and its gradients.\"\"\"
        # Step 1: Compute scores z = XW + b
        z = np.dot(X_train, W) + b
        # Step 2: Apply softmax
        y_hat = softmax(z)
        # Step 3: Compute loss: the mean of -log p(true class), from the scores (the note's
        # log(y_hat + 1e-15) is off when a probability is below about 1e-13)
        z_shifted = z - np.max(z, axis=1, keepdims=True)
        log_y_hat = z_shifted - np.log(np.sum(np.exp(z_shifted), axis=1, keepdims=True))
        loss = -np.sum(y_one_hot * log_y_hat) / n_samples
        loss += 0.5 * ALPHA * np.sum(W * W)  # the penalty ||W||^2 / (2 C n)  #[penalty]
        # Step 5: Compute gradients
        dz = (y_hat - y_one_hot) / n_samples  # shape (n_samples, n_classes)
        dW = np.dot(X_train.T, dz)  # shape (n_features, n_classes)
        dW += ALPHA * W  # the penalty's gradient, W / (C n)  #[penalty]
        db = np.sum(dz, axis=0, keepdims=True)  # shape (1, n_classes)
        return float(loss), dW, db
    """

_STACKED_EVALUATOR = """
    def stacked_loss_and_gradient(theta):
        \"\"\"The loss J and its gradient at theta = [W | b], one row per class.

        With a column of ones added to X, one product gives every score w_k . x_i + b_k (the
        note's z = XW + b, transposed). This is softmax_core's order of summation, so the
        numbers are the app's to the last digit (on the same kind of processor).
        \"\"\"
        z = theta @ X1_t  # scores, shape (n_classes, n_samples)
        z = z - np.max(z, axis=0)  # for numerical stability
        exp_z = np.exp(z)
        normaliser = np.sum(exp_z, axis=0)
        proba = exp_z / normaliser  # softmax over the classes of each point (a column)
        # The mean of -log p(true class) = log(sum_k exp z_k) - z_true
        loss = (np.sum(np.log(normaliser)) - np.vdot(Y_t, z)) / n_samples
        grad = np.dot((proba - Y_t) / n_samples, X1_t.T)  # [dJ/dW | dJ/db]
        W = theta[:, :-1]  #[penalty]
        loss += 0.5 * ALPHA * np.vdot(W, W)  # the penalty ||W||^2 / (2 C n)  #[penalty]
        grad[:, :-1] += ALPHA * W  # its gradient, W / (C n)  #[penalty]
        return float(loss), grad
    """

_APP_ORDER_EVALUATOR = """
    def loss_and_gradients_app_order(W, b):
        \"\"\"The same as loss_and_gradients, summed in softmax_core's order for stable steps.\"\"\"
        theta = np.column_stack([W.T, b.ravel()])  # [W | b], one row per class
        loss, grad = stacked_loss_and_gradient(theta)
        return loss, grad[:, :-1].T, grad[:, -1:].T
    """

_GD_TRAINING = """
    def train_numpy(schedule):
        \"\"\"Replay the schedule with the note's gradient descent: W, b and every loss.\"\"\"
        W = np.zeros((n_features, n_classes))  # Weight matrix (n_features x n_classes)
        b = np.zeros((1, n_classes))  # Bias vector (1 x n_classes)
        losses = [loss_and_gradients(W, b)[0]]
        for learning_rate, n_steps in schedule:
            rate = 1 / L if learning_rate is None else learning_rate
            # The app sums as the note does above the stable limit, in its own order below  #[two]
            evaluate = loss_and_gradients if rate > 2 / L else loss_and_gradients_app_order  #[two]
            _, dW, db = evaluate(W, b)  #[two]
            _, dW, db = loss_and_gradients(W, b)  #[!two]
            for _ in range(n_steps):
                # Step 6: Update parameters (the note's Step 4, stopping once the loss changes
                # by less than tol, is left out: the app takes every step asked for)
                W_new = W - rate * dW
                b_new = b - rate * db
                loss, dW_new, db_new = evaluate(W_new, b_new)  #[two]
                loss, dW_new, db_new = loss_and_gradients(W_new, b_new)  #[!two]
                if not np.isfinite(loss):  # the app refuses this step and stops
                    print(f"Diverged: step {len(losses)} makes the loss infinite; stopped.")
                    return W, b, losses
                W, b, dW, db = W_new, b_new, dW_new, db_new
                losses.append(loss)
                if loss > EXPLOSION * max(losses[0], 1.0):  # the app stops here
                    print(f"Diverged: the loss reached {loss:.4g}; stopped.")
                    return W, b, losses
        return W, b, losses
    """

_NESTEROV_TRAINING = """
    def train_numpy(schedule):
        \"\"\"Replay the schedule with Nesterov's accelerated gradient: theta and every loss.\"\"\"
        theta = np.zeros((n_classes, n_features + 1))  # [W | b], one row per class
        theta_prev = theta.copy()
        momentum = 1.0
        losses = [stacked_loss_and_gradient(theta)[0]]
        for learning_rate, n_steps in schedule:
            rate = 1 / L if learning_rate is None else learning_rate
            for _ in range(n_steps):
                # FISTA's momentum: m <- (1 + sqrt(1 + 4 m^2)) / 2
                momentum_next = (1 + math.sqrt(1 + 4 * momentum * momentum)) / 2
                beta = (momentum - 1) / momentum_next
                # A gradient step from the look-ahead point, with the gradient there
                point = theta + beta * (theta - theta_prev)
                point_loss, point_grad = stacked_loss_and_gradient(point)
                new_theta = point - rate * point_grad
                loss = stacked_loss_and_gradient(new_theta)[0]
                if not (np.isfinite(point_loss) and np.isfinite(loss)):  # the app stops
                    print(f"Diverged: step {len(losses)} makes the loss infinite; stopped.")
                    return theta, losses
                # Restart the momentum when the step points uphill
                restarted = np.vdot(point_grad, new_theta - theta) > 0
                momentum = 1.0 if restarted else momentum_next
                theta_prev, theta = theta, new_theta
                losses.append(loss)
                if loss > EXPLOSION * max(losses[0], 1.0):  # the app stops here
                    print(f"Diverged: the loss reached {loss:.4g}; stopped.")
                    return theta, losses
        return theta, losses
    """

_NEWTON_TRAINING = """
    def hessian(theta):
        \"\"\"The Hessian of J at theta, its entries in theta's order (class by class):
        the sum over points of (diag(p_i) - p_i p_i^T) times x_i x_i^T (x with a 1), over n.\"\"\"
        width = n_features + 1
        z = theta @ X1_t
        z = z - np.max(z, axis=0)
        proba = np.exp(z)
        proba = proba / np.sum(proba, axis=0)
        weighted = proba[:, None, :] * X1_t[None, :, :]  # p_k(x_i) x_i for every class and point
        flat = weighted.reshape(n_classes * width, n_samples)
        hess = -(flat @ flat.T)  # the -p_i p_i^T part
        for k in range(n_classes):  # the diag(p_i) part: one block per class
            block = slice(k * width, (k + 1) * width)
            hess[block, block] += weighted[k] @ X1_t.T
        hess /= n_samples
        weights = [k * width + j for k in range(n_classes) for j in range(n_features)]  #[penalty]
        hess[weights, weights] += ALPHA  # the penalty, on the weights only  #[penalty]
        return hess


    def newton_direction(hess, grad):
        \"\"\"d = H^+ grad. H is singular along the directions that add one vector to every
        class row (they change no probability); the pseudo-inverse solves where grad lies.\"\"\"
        values, vectors = np.linalg.eigh(hess)
        keep = values > 1e-12 * max(values[-1], 0.0)  # smaller eigenvalues count as zero
        coordinates = vectors[:, keep].T @ grad.ravel()
        return (vectors[:, keep] @ (coordinates / values[keep])).reshape(grad.shape)


    def train_numpy(schedule):
        \"\"\"Replay the schedule with Newton's method: theta and every loss.\"\"\"
        theta = np.zeros((n_classes, n_features + 1))  # [W | b], one row per class
        loss, grad = stacked_loss_and_gradient(theta)
        losses = [loss]
        # Newton chooses its own step length: only the number of steps matters
        for _ in range(sum(n_steps for _, n_steps in schedule)):
            direction = newton_direction(hessian(theta), grad)
            slope = np.vdot(grad, direction)
            rounding = 8 * np.finfo(float).eps * abs(loss)  # smaller changes are rounding
            # Backtracking: the longest step 1, 1/2, 1/4, ... that lowers the loss by at
            # least 1e-4 of what the slope predicts (Armijo); none found: stay
            step_size = 1.0
            for _ in range(50):
                trial = theta - step_size * direction
                trial_loss, trial_grad = stacked_loss_and_gradient(trial)
                if trial_loss <= loss - 1e-4 * step_size * slope + rounding:
                    theta, loss, grad = trial, trial_loss, trial_grad
                    break
                step_size /= 2
            losses.append(loss)
        return theta, losses
    """


def _form1_section(facts: _Facts) -> _Section:
    solver, penalty = facts.settings.solver, facts.penalised
    two = facts.two_orders
    stacked = solver != "gd" or two
    parts = [_SOFTMAX]
    if solver != "newton":
        parts.append(_template(_LIPSCHITZ, penalty=penalty))
    if solver == "gd":
        parts.append(_template(_NOTE_EVALUATOR, penalty=penalty))
    if stacked:
        parts.append(_template(_STACKED_EVALUATOR, penalty=penalty))
    if two:
        parts.append(_code(_APP_ORDER_EVALUATOR))
    training = {"gd": _GD_TRAINING, "nesterov": _NESTEROV_TRAINING, "newton": _NEWTON_TRAINING}
    parts.append(_template(training[solver], penalty=penalty, two=two))
    parts.append(
        _code(
            """
            def predict_proba(points, W, b):
                \"\"\"Class probabilities at points given in the data's own units.\"\"\"
                return softmax(np.dot((points - mean) / scale, W) + b)
            """
        )
    )
    functions = "\n\n".join(parts)
    run = _template(
        """
        L = lipschitz_constant(X_train)  #[rate]
        print(f"The stable limit of the learning rate: 2/L = {2 / L:.4g}")  #[rate]
        y_one_hot = np.eye(n_classes)[y_train]  # one-hot labels  #[note]
        X1_t = np.ones((n_features + 1, n_samples))  # [X | 1] transposed  #[stacked]
        X1_t[:-1] = X_train.T  #[stacked]
        Y_t = np.eye(n_classes)[y_train].T.copy()  # one-hot labels, one row per class  #[stacked]

        W, b, losses = train_numpy(SCHEDULE)  #[note]
        theta, losses = train_numpy(SCHEDULE)  #[stacked_only]
        W, b = theta[:, :-1].T, theta[:, -1:].T  # back to the note's shapes  #[stacked_only]
        converged = len(losses) > 1 and abs(losses[-1] - losses[-2]) < TOL
        print(f"Form 1 (the note's loop): final loss J = {losses[-1]!r}")
        print(f"Converged: {converged}")
        accuracy = np.mean(predict_proba(X[test], W, b).argmax(axis=1) == y_test)  #[heldout]
        print(f"Held-out accuracy: {accuracy:.1%}")  #[heldout]
        """,
        rate=solver != "newton",
        note=solver == "gd",
        stacked=stacked,
        stacked_only=solver != "gd",
        heldout=bool(facts.data.test.size),
    )
    return _Section(_markdown("## Form 1: the note's loop", *_form1_words(facts)), functions, run)


def _form1_words(facts: _Facts) -> list[str]:
    solver = facts.settings.solver
    penalty = (
        " The penalty C adds ||W||^2 / (2 C n) to the loss (n training points, the intercept "
        "b is not penalised), and W / (C n) to its gradient, as in scikit-learn."
        if facts.penalised
        else ""
    )
    stop = (
        " Like the app's Step button it takes every step asked for (the note's Step 4 stops "
        "once the loss changes by less than tol), and it stops as the app does when the loss "
        "becomes infinite or grows a thousandfold."
    )
    if solver == "gd":
        words = [
            "The note's gradient descent: Step 1, the scores z = XW + b; Step 2, the softmax; "
            "Step 3, the cross-entropy loss; Step 5, the gradients dW = X^T (y_hat - Y) / n "
            "and db; Step 6, the update. Extended just enough to replay this run: each segment "
            'of the schedule sets the learning rate ("auto" is 1/L, with L the curvature bound '
            f"below).{penalty}{stop}"
        ]
    elif solver == "nesterov":
        words = [
            "Nesterov's accelerated gradient as softmax_core runs it (FISTA's momentum with "
            "restart): each step starts from the look-ahead point theta + beta (theta - "
            "theta_prev) and uses the gradient there; the momentum restarts when a step points "
            "uphill. The parameters are stacked, theta = [W | b] with one row per class, and X "
            "gets a column of ones, so one product gives every score (the note's z = XW + b); "
            "summing in softmax_core's order gives the app's numbers to the last digit, which "
            f"matters above the stable limit, where a run is chaotic.{penalty}{stop}"
        ]
    else:
        words = [
            "Newton's method as softmax_core runs it: the direction d = H^+ grad J, with H the "
            "exact Hessian and a pseudo-inverse (adding one vector to every class row changes "
            "nothing, so H is singular there), then the longest step 1, 1/2, 1/4, ... that "
            "lowers the loss by at least 1e-4 of the slope's prediction (Armijo). Newton "
            "chooses its own step length, so only the number of steps of the schedule matters. "
            f"The parameters are stacked, theta = [W | b] with one row per class.{penalty}"
        ]
    if any(count and facts.chaotic(rate) for rate, count in facts.spec.schedule):
        words.append(
            "A learning rate above the stable limit 2/L makes gradient descent chaotic: a "
            "rounding difference of 1e-16 grows to 1e-1 within a few hundred steps. "
            "softmax_core then sums exactly as the note does, so this loop is the note's own "
            "code, step for step, and gives the app's numbers. Another processor (another BLAS "
            "library) may round differently and show other digits, in both forms alike."
        )
    if facts.two_orders:
        words.append(
            "Here a chaotic stretch follows stable steps, whose last-digit differences it "
            "would amplify. So the stable steps are summed as softmax_core sums them "
            "(`loss_and_gradients_app_order`: [W | b] times [X | 1] in one product)."
        )
    return words


def _form2_section() -> _Section:
    code = _code(
        """
        if SoftmaxRegression is None:
            model = None
            print("Form 2 skipped: softmax_core is not installed (pip install . in its folder)")
        else:
            data = TrainingData(X_train, y_train, classes=np.arange(n_classes))
            model = SoftmaxRegression(C=C, solver=SOLVER, tol=TOL).step(data, n_steps=0)
            for learning_rate, n_steps in SCHEDULE:
                model.set_params(learning_rate="auto" if learning_rate is None else learning_rate)
                model.step(data, n_steps)
                if model.diverged_:
                    break
            print(f"Form 2 (softmax_core): final loss J = {model.loss_!r}")
            print(f"Converged: {model.converged_}")
        """
    )
    text = (
        "The same run as the app runs it: `SoftmaxRegression` stepped on `TrainingData`, each "
        "segment of the schedule with its learning rate. This needs the Softmax Lab project "
        "(`pip install .` in its folder); without it this part is skipped."
    )
    return _Section(_markdown("## Form 2: softmax_core", text), code)


def _compare_section() -> _Section:
    code = _code(
        """
        def as_the_app_shows(value):
            \"\"\"The loss as the app shows it: 6 decimals below 1, 6 digits from 1 on.\"\"\"
            if value != 0 and not 1e-4 <= abs(value) < 1e5:
                return f"{value:.3e}"
            return f"{value:.6g}" if abs(value) >= 1 else f"{value:.6f}"


        print("The loss as the app shows it:")
        print("  form 1:", as_the_app_shows(losses[-1]))
        if model is not None:
            print("  form 2:", as_the_app_shows(model.loss_))
            core_losses = model.loss_history()
            if len(core_losses) == len(losses):
                gap = np.max(np.abs(core_losses - np.array(losses)))
                print(f"The two loss histories differ by at most {gap:.2g}")
        """
    )
    text = (
        "The app shows the loss with 6 decimals (6 significant digits from 1 on): both forms "
        "give the same digits."
    )
    return _Section(_markdown("## The two forms agree", text), code)


def _figures_section(facts: _Facts, *, for_script: bool) -> _Section:
    one_d = facts.data.n_features == 1
    heldout = bool(facts.data.test.size)

    def finish(name: str) -> str:
        return f'show(fig, "{name}")\n' if for_script else "plt.show()\n"

    helpers = _template(
        """
        # `python softmax-lab-run.py FOLDER` saves the figures there, not showing them  #[script]
        FIGURE_FOLDER = Path(sys.argv[1]) if len(sys.argv) > 1 else None  #[script]
        COLORS = plt.cm.tab10.colors


        def plain(text):
            \"\"\"A name from the data, shown by matplotlib as it is ($ would start math).\"\"\"
            return str(text).replace("$", r"\\$")


        def colors_of(points):
            \"\"\"The colors of the points' classes.\"\"\"
            return [COLORS[k] for k in y[points]]
        """,
        script=for_script,
    )
    if for_script:
        helpers += "\n\n" + _code(
            """
            def show(fig, name):
                \"\"\"Show a figure, or save it as FOLDER/name.png.\"\"\"
                if FIGURE_FOLDER is None:
                    plt.show()
                else:
                    FIGURE_FOLDER.mkdir(parents=True, exist_ok=True)
                    fig.savefig(FIGURE_FOLDER / f"{name}.png", dpi=100)
                    print("Saved", FIGURE_FOLDER / f"{name}.png")
            """
        )
    if one_d:
        model_figure = _template(
            """
            x_plot = np.linspace(X[:, 0].min(), X[:, 0].max(), 300).reshape(-1, 1)
            fig, ax = plt.subplots(figsize=(8, 5))
            proba = predict_proba(x_plot, W, b)
            for k in range(n_classes):
                label = f"Class {plain(class_names[k])} probability"
                ax.plot(x_plot[:, 0], proba[:, k], linewidth=2, color=COLORS[k], label=label)
            if model is not None:
                core_proba = model.predict_proba((x_plot - mean) / scale)
                ax.plot(x_plot[:, 0], core_proba, "k--", linewidth=1)
                ax.plot([], [], "k--", linewidth=1, label="softmax_core")
            below = np.full(len(y), -0.05)  # the points, below the curves
            label = "Data (class color)"
            ax.scatter(X[train, 0], below[train], c=colors_of(train), edgecolors="k", label=label)
            #[heldout]
            label = "Held out"
            ax.scatter(X[test, 0], below[test], c=colors_of(test), marker="s", label=label)
            #[end]
            ax.set_title("Softmax Regression Fit (From Scratch)")
            ax.set_xlabel(plain(feature_names[0]))
            ax.set_ylabel("Predicted Probability")
            ax.set_ylim(-0.1, 1.1)
            ax.legend()
            """,
            heldout=heldout,
        )
    else:
        model_figure = _template(
            """
            low, high = X.min(axis=0), X.max(axis=0)
            margin = 0.05 * np.where(high > low, high - low, 1.0)
            xx, yy = np.meshgrid(
                np.linspace(low[0] - margin[0], high[0] + margin[0], 200),
                np.linspace(low[1] - margin[1], high[1] + margin[1], 200),
            )
            grid = np.column_stack([xx.ravel(), yy.ravel()])
            regions = predict_proba(grid, W, b).argmax(axis=1).reshape(xx.shape)
            fig, ax = plt.subplots(figsize=(7, 6))
            levels = np.arange(n_classes + 1) - 0.5
            ax.contourf(xx, yy, regions, levels=levels, colors=COLORS[:n_classes], alpha=0.3)
            if model is not None:
                core_regions = model.predict((grid - mean) / scale).reshape(xx.shape)
                ax.contour(xx, yy, core_regions, levels=levels[1:-1], colors="k", linestyles="--")
            for k in range(n_classes):
                members = train[y[train] == k]
                label = f"Class {plain(class_names[k])}"
                ax.scatter(*X[members].T, color=COLORS[k], edgecolors="k", label=label)
            #[heldout]
            label = "Held out"
            ax.scatter(*X[test].T, c=colors_of(test), marker="s", edgecolors="k", label=label)
            #[end]
            ax.set_title("Predicted classes (From Scratch; softmax_core's boundaries dashed)")
            ax.set_xlabel(plain(feature_names[0]))
            ax.set_ylabel(plain(feature_names[1]))
            ax.legend()
            """,
            heldout=heldout,
        )
    model_figure += finish("probabilities" if one_d else "regions")
    loss_figure = _code(
        """
        fig, ax = plt.subplots(figsize=(8, 4))
        ax.plot(losses, linewidth=2, label="Form 1: the note's loop")
        if model is not None:
            ax.plot(model.loss_history(), "k--", linewidth=1, label="Form 2: softmax_core")
        for boundary in np.cumsum([n_steps for _, n_steps in SCHEDULE])[:-1]:
            ax.axvline(boundary, color="grey", linestyle=":")  # the learning rate changed
        ax.set_title("Loss history (dotted: where the learning rate changed)")
        ax.set_xlabel("Iteration")
        ax.set_ylabel("Loss J")
        ax.legend()
        """
    ) + finish("loss-history")
    if one_d:
        text = (
            "The probability of each class along the feature (form 1 in colour, softmax_core "
            "dashed), with the points below in their class's colour (held-out points as "
            "squares), then the loss at every iteration."
        )
    else:
        text = (
            "The class form 1 predicts everywhere (shaded), softmax_core's boundaries between "
            "classes (dashed) and the points (held-out ones as squares), then the loss at "
            "every iteration."
        )
    return _Section(_markdown("## Figures", text), helpers, model_figure, loss_figure)


def _sections(spec: RunSpec, *, for_script: bool) -> tuple[str, str, list[_Section]]:
    facts = _facts(spec)
    sections = [
        _data_section(facts),
        _split_section(facts),
        _settings_section(facts),
        _form1_section(facts),
        _form2_section(),
        _compare_section(),
        _figures_section(facts, for_script=for_script),
    ]
    return _intro(facts, for_script=for_script), _imports(facts, for_script=for_script), sections


def notebook(spec: RunSpec) -> nbformat.NotebookNode:
    """A Jupyter notebook that rebuilds the run of ``spec`` in both forms.

    Raises
    ------
    ValueError
        If ``spec`` is not a run the app could make (the message says why).
    """
    intro, imports, sections = _sections(spec, for_script=False)
    cells = [nbformat.v4.new_markdown_cell(intro), nbformat.v4.new_code_cell(imports.rstrip())]
    for section in sections:
        cells.append(nbformat.v4.new_markdown_cell(section.markdown))
        cells += [nbformat.v4.new_code_cell(code.rstrip()) for code in section.codes]
    metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    return nbformat.v4.new_notebook(cells=cells, metadata=metadata)


def _wrap(text: str, **indents: str) -> list[str]:
    # A link is one word: never cut inside it.
    return textwrap.wrap(text, 96, break_long_words=False, break_on_hyphens=False, **indents)


def _comment(markdown: str) -> str:
    """A markdown cell as comment lines; a heading starts a ``# %%`` cell, as editors read."""
    lines = []
    for paragraph in markdown.split("\n\n"):
        if paragraph.startswith("#"):
            lines.append("# %% " + paragraph.lstrip("# "))
            continue
        lines += ["#", *_wrap(paragraph, initial_indent="# ", subsequent_indent="# ")]
    return "\n".join(lines) + "\n"


def script(spec: RunSpec) -> str:
    """A Python script that rebuilds the run of ``spec`` in both forms.

    ``python softmax-lab-run.py`` shows the figures; ``python softmax-lab-run.py FOLDER``
    saves them there as PNG files.

    Raises
    ------
    ValueError
        If ``spec`` is not a run the app could make (the message says why).
    """
    intro, imports, sections = _sections(spec, for_script=True)
    paragraphs = intro.split("\n\n")[1:]  # the title is the docstring's first line
    docstring = "\n\n".join("\n".join(_wrap(paragraph)) for paragraph in paragraphs)
    parts = [f'"""Softmax Lab: a run to take home.\n\n{docstring}\n"""\n\n{imports}']
    for section in sections:
        parts.append(_comment(section.markdown) + "\n\n".join(section.codes))
    return "\n\n".join(parts)


# ------------------------------------------------------------------------ JSON

_SETTINGS_FIELDS = (
    "kind",
    "n_samples",
    "n_classes",
    "noise",
    "seed",
    "learning_rate",
    "C",
    "solver",
    "tol",
    "max_iter",
    "features",
    "standardise",
    "holdout",
    "holdout_seed",
)
# Mini-batch SGD's own settings, in a file of an SGD run only (the others ignore them).
_SGD_FIELDS = ("batch_size", "batch_seed")
_VIEW_FIELDS = tuple(f.name for f in fields(View))


def _settings_fields(solver: object) -> tuple[str, ...]:
    return _SETTINGS_FIELDS + (_SGD_FIELDS if solver == "sgd" else ())


_TOP_FIELDS = ("format", "version", "settings", "schedule", "view", "upload", "model")
_UPLOAD_FIELDS = ("name", "sha256", "columns", "label", "csv_base64")
_MODEL_FIELDS = ("n_iter", "coef", "intercept", "loss", "converged", "diverged", "loss_history")
_HISTORY_FIELDS = ("iterations", "loss")
# The names from_query's messages use, and the JSON fields they stand for.
_QUERY_FIELDS = {
    "kind": "settings.kind",
    "n": "settings.n_samples",
    "k": "settings.n_classes",
    "noise": "settings.noise",
    "seed": "settings.seed",
    "lr": "settings.learning_rate",
    "C": "settings.C",
    "solver": "settings.solver",
    "tol": "settings.tol",
    "max_iter": "settings.max_iter",
    "features": "settings.features",
    "std": "settings.standardise",
    "holdout": "settings.holdout",
    "hseed": "settings.holdout_seed",
    "batch": "settings.batch_size",
    "bseed": "settings.batch_seed",
    "iter": "schedule",
    "sched": "schedule",
    "ref": "view.reference",
    "target": "view.show_target",
    "logy": "view.log_y",
    "window": "view.loss_window",
    "point": "view.point",
    "speed": "view.speed",
    "panel": "view.panel",
    "plane": "view.plane",
    "temp": "view.temperature",
    "lesson": "view.lesson (counted from 1)",
    "step": "view.lesson_step (counted from 1)",
}


def _history_points(n_iter: int) -> np.ndarray:
    """The iterations whose loss a JSON file keeps: all, or evenly spaced ones with both ends."""
    if n_iter + 1 <= MAX_HISTORY_POINTS:
        return np.arange(n_iter + 1)
    return np.unique(np.linspace(0, n_iter, MAX_HISTORY_POINTS).round().astype(int))


def run_json(spec: RunSpec, *, model, view: View = DEFAULT_VIEW) -> str:
    """The run as a JSON document: settings, schedule, view, an uploaded file, and the
    model's parameters, loss and loss history (evenly thinned beyond ``MAX_HISTORY_POINTS``).

    Parameters
    ----------
    spec : RunSpec
    model : SoftmaxRegression
        The session's model, at the end of ``spec.schedule``.
    view : View, default=DEFAULT_VIEW

    Raises
    ------
    ValueError
        If the spec is not a run the app could make, or the model is not at its end.
    """
    _check_spec(spec, as_code=False)
    if getattr(model, "n_iter_", None) != spec.n_iter:
        raise ValueError("model must be the run's model, at the end of its schedule")
    settings = spec.settings
    history = model.loss_history()
    points = _history_points(spec.n_iter)
    upload = None
    if settings.kind == "upload":
        upload = {
            "name": spec.csv_name or "uploaded.csv",
            "sha256": hashlib.sha256(spec.csv_bytes).hexdigest(),
            "columns": list(settings.upload_columns),
            "label": settings.upload_label,
            "csv_base64": base64.b64encode(spec.csv_bytes).decode("ascii"),
        }
    document = {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "settings": {
            **{name: getattr(settings, name) for name in _settings_fields(settings.solver)},
            "C": None if math.isinf(settings.C) else settings.C,
            "features": list(settings.features),
        },
        "schedule": [[rate, count] for rate, count in spec.schedule],
        "view": {name: getattr(view, name) for name in _VIEW_FIELDS},
        "upload": upload,
        "model": {
            "n_iter": model.n_iter_,
            "coef": model.coef_.tolist(),
            "intercept": model.intercept_.tolist(),
            "loss": float(model.loss_),
            "converged": bool(model.converged_),
            "diverged": bool(model.diverged_),
            "loss_history": {"iterations": points.tolist(), "loss": history[points].tolist()},
        },
    }
    return _json_text(document)


def _json_text(document: dict) -> str:
    """JSON with one line per field, two levels deep, lists kept on one line; ASCII only."""

    def dumps(value: object) -> str:
        return json.dumps(value, allow_nan=False)

    lines = []
    for key, value in document.items():
        if isinstance(value, dict):
            inner = ",\n".join(f"  {dumps(name)}: {dumps(item)}" for name, item in value.items())
            lines.append(f" {dumps(key)}: {{\n{inner}\n }}")
        else:
            lines.append(f" {dumps(key)}: {dumps(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


@dataclass(frozen=True, eq=False)
class ModelState:
    """What :func:`run_json` reads of a model, copied: the model as a page drew it.

    A page offers its downloads when it is drawn and builds the files only when someone asks
    for them; by then a Play tick, a Step or Back may have moved the session's model on. This
    copy is the model on screen (the parameters and the loss history: a copy of a list of
    floats, well under a millisecond for the longest run a link replays).
    """

    n_iter_: int
    coef_: np.ndarray
    intercept_: np.ndarray
    loss_: float
    converged_: bool
    diverged_: bool
    loss_curve_: tuple[float, ...]  # the objective before each step, as the model keeps it

    @classmethod
    def of(cls, model) -> ModelState:
        """A copy of ``model``'s state (a fitted or stepped ``SoftmaxRegression``)."""
        return cls(
            n_iter_=int(model.n_iter_),
            coef_=model.coef_.copy(),
            intercept_=model.intercept_.copy(),
            loss_=float(model.loss_),
            converged_=bool(model.converged_),
            diverged_=bool(model.diverged_),
            loss_curve_=tuple(model.loss_curve_),
        )

    def loss_history(self) -> np.ndarray:
        """The objective at every iterate: ``[*loss_curve_, loss_]`` (the model's own)."""
        return np.array([*self.loss_curve_, self.loss_])


@dataclass(frozen=True, eq=False)
class TakeHome:
    """The run on screen, to take home: cheap to make when a page is drawn; each file is
    built only when asked for (a download button's deferred ``data``).

    Parameters
    ----------
    spec : RunSpec
    model : ModelState
        The model at the end of ``spec.schedule``.
    view : View
    """

    spec: RunSpec
    model: ModelState
    view: View = DEFAULT_VIEW

    def notebook_text(self) -> str:
        """:func:`notebook` as the ``.ipynb`` file's text (nbformat 4)."""
        return nbformat.writes(notebook(self.spec))

    def script_text(self) -> str:
        """:func:`script`: the ``.py`` file's text."""
        return script(self.spec)

    def json_text(self) -> str:
        """:func:`run_json`: the run's ``.json`` file, which the app opens again."""
        return run_json(self.spec, model=self.model, view=self.view)


@dataclass(frozen=True, eq=False)
class RecordedModel:
    """Where a JSON file says the model was: to compare with the run replayed from it."""

    n_iter: int
    coef: np.ndarray  # (n_classes, n_features)
    intercept: np.ndarray  # (n_classes,)
    loss: float
    converged: bool
    diverged: bool
    history_iterations: np.ndarray  # the iterations of history_losses, from 0 to n_iter
    history_losses: np.ndarray

    def agrees_with(self, model, rtol: float = 1e-9) -> bool:
        """Whether a replayed ``model`` is where the file says: the same iteration and
        parameters within ``rtol`` (a chaotic run replayed on another kind of processor
        may part from the file's, as it may from the app's there)."""
        return (
            getattr(model, "n_iter_", None) == self.n_iter
            and model.coef_.shape == self.coef.shape
            and np.allclose(model.coef_, self.coef, rtol=rtol, atol=rtol)
            and np.allclose(model.intercept_, self.intercept, rtol=rtol, atol=rtol)
        )


@dataclass(frozen=True)
class OpenedRun:
    """A run read from a JSON file, validated: what the app replays, and what the file says
    the model was."""

    spec: RunSpec
    view: View
    recorded: RecordedModel


class _RefusedError(ValueError):
    """A file that cannot be opened; the message says why, for a person."""


def _type_name(value: object) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "true or false",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _fields(value: object, where: str, names: tuple[str, ...]) -> dict:
    if not isinstance(value, dict):
        raise _RefusedError(f"{where} must be an object, got {_type_name(value)}")
    for name in names:
        if name not in value:
            raise _RefusedError(f"{where} has no field {name!r}")
    for name in value:
        if name not in names:
            raise _RefusedError(f"{where} has an unknown field {quote(name)!r}")
    return value


def _integer(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _RefusedError(f"{where} must be a whole number, got {_type_name(value)}")
    return value


def _real(value: object, where: str, *, nullable: bool = False) -> float | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        expected = "a number or null" if nullable else "a number"
        raise _RefusedError(f"{where} must be {expected}, got {_type_name(value)}")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range
        raise _RefusedError(f"{where} is too large") from None
    if not math.isfinite(number):
        raise _RefusedError(f"{where} must be a finite number")
    return number


def _text(value: object, where: str, limit: int = MAX_TEXT_LENGTH) -> str:
    if not isinstance(value, str):
        raise _RefusedError(f"{where} must be a string, got {_type_name(value)}")
    if len(value) > limit:
        raise _RefusedError(f"{where} is longer than {limit} characters")
    return value


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise _RefusedError(f"{where} must be true or false, got {_type_name(value)}")
    return value


def _list(value: object, where: str, limit: int) -> list:
    if not isinstance(value, list):
        raise _RefusedError(f"{where} must be a list, got {_type_name(value)}")
    if len(value) > limit:
        raise _RefusedError(f"{where} has more than {limit:,} entries")
    return value


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    names = [name for name, _ in pairs]
    for j, name in enumerate(names):
        if name in names[:j]:
            raise _RefusedError(f"the field {quote(name)!r} appears twice in one object")
    return dict(pairs)


def _refuse_constant(name: str) -> None:
    raise _RefusedError(f"{name} is not a number this app reads")


def _document(text: str | bytes) -> dict:
    if not isinstance(text, str | bytes | bytearray):
        raise _RefusedError(f"the file must be text, got {type(text).__name__}")
    if len(text) > MAX_JSON_BYTES:
        raise _RefusedError(
            f"the file is {len(text):,} bytes; the limit is {MAX_JSON_BYTES:,} bytes"
        )
    if not isinstance(text, str):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _RefusedError("the file is not UTF-8 text") from None
    try:
        document = json.loads(
            text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant
        )
    except _RefusedError:
        raise
    except json.JSONDecodeError as error:
        raise _RefusedError(
            f"the file is not JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise _RefusedError("the file is not a run: its lists or objects nest too deeply") from None
    except ValueError as error:  # e.g. an integer with more digits than Python converts
        raise _RefusedError(
            f"the file is not JSON this app reads ({quote(str(error), 60)})"
        ) from None
    document = _fields(document, "the file", _TOP_FIELDS)
    if document["format"] != JSON_FORMAT:
        raise _RefusedError(f"the file is not a Softmax Lab run (format must be {JSON_FORMAT!r})")
    if document["version"] != JSON_VERSION:
        raise _RefusedError(f"the file's version must be {JSON_VERSION}")
    return document


def _read_settings(value: object) -> Settings:
    solver = value.get("solver") if isinstance(value, dict) else None
    raw = _fields(value, "settings", _settings_fields(solver))
    features = _list(raw["features"], "settings.features", 2)
    rate = _real(raw["learning_rate"], "settings.learning_rate", nullable=True)
    C = _real(raw["C"], "settings.C", nullable=True)
    solver = _text(raw["solver"], "settings.solver")
    batches = {}
    if solver == "sgd":  # out of bounds: as a link's (spec_from_json)
        batches = {name: _integer(raw[name], f"settings.{name}") for name in _SGD_FIELDS}
    return Settings(
        kind=_text(raw["kind"], "settings.kind"),
        n_samples=_integer(raw["n_samples"], "settings.n_samples"),
        n_classes=_integer(raw["n_classes"], "settings.n_classes"),
        noise=_real(raw["noise"], "settings.noise"),
        seed=_integer(raw["seed"], "settings.seed"),
        learning_rate=rate,
        C=math.inf if C is None else C,
        solver=solver,
        tol=_real(raw["tol"], "settings.tol"),
        max_iter=_integer(raw["max_iter"], "settings.max_iter"),
        features=tuple(_integer(j, f"settings.features[{i}]") for i, j in enumerate(features)),
        standardise=_flag(raw["standardise"], "settings.standardise"),
        holdout=_real(raw["holdout"], "settings.holdout"),
        holdout_seed=_integer(raw["holdout_seed"], "settings.holdout_seed"),
        **batches,
    )


def _read_schedule(value: object) -> Schedule:
    segments = _list(value, "schedule", MAX_SCHEDULE_SEGMENTS)
    schedule = []
    for i, segment in enumerate(segments):
        where = f"schedule[{i}]"
        if not (isinstance(segment, list) and len(segment) == 2):
            raise _RefusedError(f"{where} must be [learning rate or null, number of steps]")
        count = _integer(segment[1], f"{where}[1]")
        if count < 1:
            raise _RefusedError(f"{where}[1] must be at least 1 step")
        schedule.append((_real(segment[0], f"{where}[0]", nullable=True), count))
    return schedule


def _read_view(value: object) -> View:
    raw = _fields(value, "view", _VIEW_FIELDS)
    numbers = {"point", "lesson", "lesson_step"}
    values = {}
    for name in _VIEW_FIELDS:
        where = f"view.{name}"
        default = getattr(DEFAULT_VIEW, name)
        if name in numbers:
            nullable = default is None or name in ("point", "lesson")
            values[name] = None if raw[name] is None and nullable else _integer(raw[name], where)
        elif name == "temperature":
            values[name] = _real(raw[name], where)
        elif isinstance(default, bool):
            values[name] = _flag(raw[name], where)
        else:
            values[name] = _text(raw[name], where)
    return View(**values)


def _read_upload(value: object) -> tuple[bytes, str, tuple[str, ...], str]:
    raw = _fields(value, "upload", _UPLOAD_FIELDS)
    name = quote(_text(raw["name"], "upload.name", MAX_NAME_LENGTH), 40)
    columns = _list(raw["columns"], "upload.columns", 2)
    columns = tuple(_text(c, f"upload.columns[{i}]", 10_000) for i, c in enumerate(columns))
    label = _text(raw["label"], "upload.label", 10_000)
    encoded = _text(raw["csv_base64"], "upload.csv_base64", 4 * (MAX_CSV_BYTES // 3 + 1))
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise _RefusedError("upload.csv_base64 is not base64") from None
    if hashlib.sha256(content).hexdigest() != raw["sha256"]:
        raise _RefusedError("upload.sha256 is not the digest of the embedded file")
    return content, name, columns, label


def _read_model(value: object) -> RecordedModel:
    raw = _fields(value, "model", _MODEL_FIELDS)
    n_iter = _integer(raw["n_iter"], "model.n_iter")
    rows = _list(raw["coef"], "model.coef", 10)
    coef = np.array(
        [
            [_real(x, f"model.coef[{i}][{j}]") for j, x in enumerate(_list(row, "model.coef", 2))]
            for i, row in enumerate(rows)
        ],
        dtype=object,
    )
    if coef.ndim != 2 or coef.shape[0] < 2 or coef.shape[1] < 1:
        raise _RefusedError("model.coef must be 2 to 10 rows of 1 or 2 numbers each")
    intercept = [
        _real(x, f"model.intercept[{i}]")
        for i, x in enumerate(_list(raw["intercept"], "model.intercept", 10))
    ]
    if len(intercept) != coef.shape[0]:
        raise _RefusedError("model.intercept must have one number per row of model.coef")
    history = _fields(raw["loss_history"], "model.loss_history", _HISTORY_FIELDS)
    where = "model.loss_history"
    iterations = [
        _integer(i, f"{where}.iterations[{k}]")
        for k, i in enumerate(
            _list(history["iterations"], f"{where}.iterations", MAX_HISTORY_POINTS)
        )
    ]
    losses = [
        _real(x, f"{where}.loss[{k}]")
        for k, x in enumerate(_list(history["loss"], f"{where}.loss", MAX_HISTORY_POINTS))
    ]
    if (
        not iterations
        or len(losses) != len(iterations)
        or iterations[0] != 0
        or iterations[-1] != n_iter
        or any(b <= a for a, b in itertools.pairwise(iterations))
    ):
        raise _RefusedError(
            f"{where} must list increasing iterations from 0 to model.n_iter, one loss each"
        )
    return RecordedModel(
        n_iter=n_iter,
        coef=coef.astype(float),
        intercept=np.array(intercept, dtype=float),
        loss=_real(raw["loss"], "model.loss"),
        converged=_flag(raw["converged"], "model.converged"),
        diverged=_flag(raw["diverged"], "model.diverged"),
        history_iterations=np.array(iterations),
        history_losses=np.array(losses),
    )


def _renamed(problem: str) -> str:
    """A problem from_query found, named by the JSON field rather than the link's."""
    name, sep, rest = problem.partition("=")
    if sep and name in _QUERY_FIELDS and rest.startswith(("'", '"')):
        return f"{_QUERY_FIELDS[name]}={rest}"
    return problem


def spec_from_json(text: str | bytes) -> tuple[OpenedRun | None, list[str]]:
    """Read a run from a JSON file written by :func:`run_json`.

    The settings, schedule and view are validated as a link's are (through ``to_query``
    and ``from_query``): a value out of bounds falls back to the default and a problem says
    so, as a link's notice does. A file whose structure is wrong (not JSON, too large, a
    field missing, unknown or of the wrong type, an embedded file that is not a valid CSV or
    not the one its digest names) is refused: ``(None, [why])``.

    Returns
    -------
    opened : OpenedRun or None
    problems : list of str
        What was wrong, for a notice (plain text: quote it as such).
    """
    try:
        document = _document(text)
        settings = _read_settings(document["settings"])
        schedule = _read_schedule(document["schedule"])
        view = _read_view(document["view"])
        recorded = _read_model(document["model"])
        if recorded.n_iter != sum(count for _, count in schedule):
            raise _RefusedError("model.n_iter is not the number of steps the schedule takes")
        upload = settings.kind == "upload"
        if upload != (document["upload"] is not None):
            raise _RefusedError("upload must be an object exactly when settings.kind is 'upload'")
        csv_bytes = csv_name = None
        table = None
        if upload:
            csv_bytes, csv_name, columns, label = _read_upload(document["upload"])
            try:
                table = parse_csv(csv_bytes)
                csv_dataset(table, columns, label)
            except ValueError as error:
                raise _RefusedError(f"the embedded file cannot be used: {error}") from None
    except _RefusedError as refused:
        return None, [str(refused)]
    query = to_query(
        replace(settings, kind="line") if upload else settings, recorded.n_iter, schedule, view
    )
    problems: list[str] = []
    if upload:
        # n and k describe generated data: checked as a link's, unused by a file. The replay
        # budget is the file's, counted below (the seed's n and k never cut a link's run).
        generated = from_query({"n": query["n"], "k": query["k"]})
        problems += generated.problems
        query.update(n=str(SEED_NOTE.n_samples), k=str(SEED_NOTE.n_classes))
    restored = from_query(query)
    problems += restored.problems
    restored_settings, schedule = restored.settings, restored.schedule
    if upload:
        restored_settings = replace(
            restored_settings,
            kind="upload",
            n_samples=generated.settings.n_samples,
            n_classes=generated.settings.n_classes,
            upload=hashlib.sha256(csv_bytes).hexdigest(),
            upload_columns=columns,
            upload_label=label,
            upload_rows=len(table.rows),
        )
        n_iter = sum(count for _, count in schedule)
        _, schedule, cut = within_replay_budget(restored_settings, n_iter, schedule)
        problems += [cut] if cut else []
    spec = RunSpec(restored_settings, schedule, csv_bytes, csv_name)
    return OpenedRun(spec, restored.view, recorded), [_renamed(p) for p in problems]
