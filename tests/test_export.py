"""The exports rebuild the run on screen (ui/export.py).

Every case is exported as a script and as a notebook, and both are executed. The scripts run
in one interpreter, each from the top in a fresh namespace as ``python script.py FOLDER``
runs it (``runpy``), and one also as its own process; the notebooks run in one kernel whose
namespace is reset between them. That keeps interpreter and kernel start-ups to three.

What the app computes is ``ui.state``'s replay of a run: its model and data helpers, then
each segment of the schedule as ``init`` replays a link. Each form must print the app's loss
to the digits the app shows (``ui.report.format_number``), never more: beyond them rounding
decides, and a chaotic run's digits differ between kinds of processor.
"""

from __future__ import annotations

import ast
import base64
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tokenize
import warnings
from dataclasses import replace
from pathlib import Path

import nbformat
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from softmax_core import SoftmaxRegression, TrainingData
from softmax_core.datasets import MAX_CSV_BYTES, parse_csv
from ui import data as app_data
from ui import export
from ui import lab as app_lab
from ui.report import format_number
from ui.settings import DEFAULT_BATCH_SIZE, SEED_NOTE, Settings, View, quote

ROOT = Path(__file__).resolve().parents[1]
FORM1 = re.compile(r"Form 1 \(the note's loop\): final loss J = (\S+)")
FORM2 = re.compile(r"Form 2 \(softmax_core\): final loss J = (\S+)")
SHOWN = re.compile(r"form ([12]): (\S+)")

# Names that try to end every context a name could land in: a string literal, a comment,
# markdown, HTML, matplotlib's mathtext. Each carries a marker, "Qz", to look for.
NASTY_CLASSES = (
    'Qz say """hi""" \\',
    "Qz'''",
    "Qz</script><b>bold</b>",
    "Qz $\\frac{1}{0}$ # heading",
    "Qz two\nlines \U0001f600 \u2028 tab\x0bbed",
)
NASTY_FEATURES = ('Qz width """)\\', "Qz height $\\alpha$ `code`")
NASTY_LABEL = "Qz class <i>label</i> \\n"
NASTY_NAME = 'Qz evil"""\n.csv'


def _hostile_csv() -> bytes:
    """A valid CSV (BOM, CRLF, a blank line, quoted cells) whose names are all hostile."""
    rng = np.random.RandomState(7)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*NASTY_FEATURES, NASTY_LABEL])
    for i in range(80):
        k = i % len(NASTY_CLASSES)
        x1, x2 = 2.0 * k + rng.randn(), 5.0 + k % 2 + rng.randn()
        writer.writerow([f"{x1:.4f}", f" {x2:.3e}", NASTY_CLASSES[k]])
        if i == 40:
            out.write("\r\n")  # a blank line, skipped
    return ("\ufeff" + out.getvalue()).encode("utf-8")


HOSTILE_CSV = _hostile_csv()


def _upload_settings(raw: bytes, **changes) -> Settings:
    """The settings an upload gives in the app (ui.lab.default_columns)."""
    table = parse_csv(raw)
    columns, label = app_lab.default_columns(table)
    return replace(
        SEED_NOTE,
        kind="upload",
        upload=hashlib.sha256(raw).hexdigest(),
        upload_columns=columns,
        upload_label=label,
        upload_rows=len(table.rows),
        **changes,
    )


CASES = {
    "seed": export.RunSpec(Settings(), [(0.5, 1000)]),
    "blobs": export.RunSpec(
        Settings(kind="blobs", n_samples=150, n_classes=4, seed=3, learning_rate=None, C=0.5),
        [(None, 200)],
    ),
    "iris": export.RunSpec(
        Settings(kind="iris", features=(2, 3), standardise=True, holdout=0.2, learning_rate=None),
        [(None, 300)],
    ),
    "csv": export.RunSpec(
        _upload_settings(HOSTILE_CSV, learning_rate=None, standardise=True),
        [(None, 150)],
        csv_bytes=HOSTILE_CSV,
        csv_name=NASTY_NAME,
    ),
    # lr 0.5 is 4.28x the stable limit: a chaotic run that the core sums in its own order.
    "nesterov": export.RunSpec(Settings(solver="nesterov", holdout=0.1), [(0.5, 300)]),
    "newton": export.RunSpec(
        Settings(kind="wine", features=(0, 6), solver="newton", C=1.0, learning_rate=None),
        [(None, 8)],
    ),
    # A run not stepped yet: the loss at zero, log(k).
    "zero": export.RunSpec(Settings(kind="blobs"), []),
    # The lesson's Fix: 30 chaotic steps at the note's rate, then 100 at 1/L.
    "fix": export.RunSpec(Settings(learning_rate=None), [(0.5, 30), (None, 100)]),
    # Stable steps, then the note's rate: their rounding would grow if summed another way.
    "stable_then_chaotic": export.RunSpec(Settings(), [(0.05, 50), (0.5, 600)]),
    # A link asking for 400 steps at a rate the app stops at after 6: a thousandfold rise.
    "diverged": export.RunSpec(Settings(learning_rate=100.0), [(100.0, 400)]),
}
# Forms that sum in the same order throughout print the same loss to the last digit.
SAME_ORDER = ("nesterov", "newton")


def app_replay(spec: export.RunSpec) -> SoftmaxRegression:
    """The run as the app holds it after opening its link (ui.lab.Lab.from_link)."""
    table = parse_csv(spec.csv_bytes) if spec.csv_bytes is not None else None
    training = app_lab.training_data(app_data.make_dataset(spec.settings, table))
    model = app_lab.new_model(spec.settings).step(training, n_steps=0)

    def configure(learning_rate):  # ui.lab.Lab._configure
        rate = "auto" if learning_rate is None else learning_rate
        model.set_params(learning_rate=rate, tol=spec.settings.tol, max_iter=spec.settings.max_iter)
        model.step(training, n_steps=0)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a divergence warning is the app's event
        for learning_rate, count in spec.schedule:  # ui.state._advance
            configure(learning_rate)
            model.step(training, count)
            if model.diverged_:
                break
    configure(spec.settings.learning_rate)
    return model


@pytest.fixture(scope="module")
def app_models() -> dict[str, SoftmaxRegression]:
    return {name: app_replay(spec) for name, spec in CASES.items()}


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("exported")
    for name, spec in CASES.items():
        (folder / f"run-{name}.py").write_text(export.script(spec), encoding="ascii")
        nbformat.write(export.notebook(spec), folder / f"run-{name}.ipynb")
    return folder


# Runs scripts one after another in one interpreter, as `python SCRIPT FOLDER` would, each
# in a fresh namespace; "without_core" hides softmax_core (its import raises ImportError).
_RUNNER = r"""
import contextlib, json, runpy, sys, traceback
import matplotlib.pyplot as plt

for job in json.loads(sys.argv[1]):
    kept = {n: m for n, m in sys.modules.items() if n.split(".")[0] == "softmax_core"}
    if job["without_core"]:
        for name in kept:
            del sys.modules[name]
        sys.modules["softmax_core"] = None
    sys.argv = [job["script"], job["figures"]]
    with open(job["output"], "w") as out, contextlib.redirect_stdout(out):
        try:
            runpy.run_path(job["script"], run_name="__main__")
        except BaseException:
            traceback.print_exc(file=out)
    plt.close("all")
    if job["without_core"]:
        del sys.modules["softmax_core"]
        sys.modules.update(kept)
"""


def _script_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MPLBACKEND")}
    return {**env, "MPLBACKEND": "Agg", **extra}


@pytest.fixture(scope="module")
def script_runs(exported) -> dict[str, tuple[str, Path]]:
    """Each case's script output and figure folder, the seed's without softmax_core, and
    ("alone") the seed's run as its own program, alongside the others."""
    jobs, runs = [], {}
    for name, without_core in [*((name, False) for name in CASES), ("seed", True)]:
        key = f"{name}-without-core" if without_core else name
        output, figures = exported / f"{key}.out", exported / f"{key}-figures"
        jobs.append(
            {
                "script": str(exported / f"run-{name}.py"),
                "figures": str(figures),
                "output": str(output),
                "without_core": without_core,
            }
        )
        runs[key] = (output, figures)
    alone = exported / "alone"
    alone.mkdir()
    processes = {
        "alone": subprocess.Popen(
            [sys.executable, str(exported / "run-seed.py"), str(alone / "figures")],
            cwd=alone,
            stdout=(alone / "out").open("w"),
            stderr=subprocess.PIPE,
            text=True,
            env=_script_env(PYTHONPATH=str(ROOT)),
        ),
        "runner": subprocess.Popen(
            [sys.executable, "-c", _RUNNER, json.dumps(jobs)],
            cwd=exported,
            stderr=subprocess.PIPE,
            text=True,
            env=_script_env(PYTHONPATH=str(ROOT)),
        ),
    }
    for process in processes.values():
        _, stderr = process.communicate(timeout=240)
        assert process.returncode == 0, stderr
    runs["alone"] = (alone / "out", alone / "figures")
    return {key: (output.read_text(), figures) for key, (output, figures) in runs.items()}


@pytest.fixture(scope="module")
def notebook_runs(exported) -> dict[str, nbformat.NotebookNode | str]:
    """Each case's executed notebook (or the error that stopped it), from one kernel.

    The kernel is found by name, "python3": ipykernel's wheel installs that kernelspec in
    the virtualenv, and jupyter_client starts it with the running interpreter.
    """
    results: dict[str, nbformat.NotebookNode | str] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", str(ROOT))  # form 2 imports softmax_core from the project
        patch.delenv("MPLBACKEND", raising=False)  # the kernel draws inline
        client = NotebookClient(
            nbformat.v4.new_notebook(),
            kernel_name="python3",
            timeout=120,
            resources={"metadata": {"path": str(exported)}},
        )

        def run_alone(source: str) -> nbformat.NotebookNode:
            # nbclient stores a cell's outputs in the client's notebook, at its index.
            cell = nbformat.v4.new_code_cell(source)
            client.nb = nbformat.v4.new_notebook(cells=[cell])
            client.execute_cell(cell, 0)
            return cell

        with client.setup_kernel():
            probe = run_alone("import sys; print(sys.executable)")
            results["executable"] = probe.outputs[0]["text"].strip()
            for name in CASES:
                run_alone("%reset -f")  # nothing of the last notebook stays defined
                notebook = nbformat.read(exported / f"run-{name}.ipynb", as_version=4)
                client.nb = notebook
                try:
                    for index, cell in enumerate(notebook.cells):
                        client.execute_cell(cell, index)
                    results[name] = notebook
                except CellExecutionError as error:
                    results[name] = str(error)
    return results


def _notebook_text(notebook: nbformat.NotebookNode) -> str:
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
    )


def _check_losses(output: str, model: SoftmaxRegression, *, form2: bool = True) -> None:
    """Both forms print the app's loss, to the digits it shows; their own shown digits too."""
    assert "Traceback" not in output, output
    shown = format_number(model.loss_)
    forms = [FORM1, FORM2] if form2 else [FORM1]
    for pattern in forms:
        match = pattern.search(output)
        assert match, output
        assert format_number(float(match.group(1))) == shown, (pattern.pattern, output)
    assert dict(SHOWN.findall(output)) == {str(i + 1): shown for i in range(len(forms))}


# ------------------------------------------------------------------ the exports run


@pytest.mark.parametrize("name", CASES)
def test_the_script_prints_the_apps_loss_in_both_forms_and_saves_its_figures(
    name, script_runs, app_models
):
    output, figures = script_runs[name]
    _check_losses(output, app_models[name])
    one_d = export.prepare(CASES[name]).n_features == 1
    for figure in ("probabilities" if one_d else "regions", "loss-history"):
        png = (figures / f"{figure}.png").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


@pytest.mark.parametrize("name", CASES)
def test_the_notebook_prints_the_apps_loss_in_both_forms_and_draws_its_figures(
    name, notebook_runs, app_models
):
    notebook = notebook_runs[name]
    assert not isinstance(notebook, str), notebook
    _check_losses(_notebook_text(notebook), app_models[name])
    images = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert len(images) == 2


def test_the_notebook_kernel_is_this_interpreter(notebook_runs):
    assert Path(notebook_runs["executable"]).resolve() == Path(sys.executable).resolve()


@pytest.mark.parametrize("name", SAME_ORDER)
def test_forms_that_sum_alike_print_the_same_loss_to_the_last_digit(name, script_runs):
    output, _ = script_runs[name]
    assert FORM1.search(output).group(1) == FORM2.search(output).group(1), output


def test_a_diverging_run_stops_where_the_app_stops_it(script_runs, app_models):
    output, _ = script_runs["diverged"]
    assert app_models["diverged"].diverged_ and app_models["diverged"].n_iter_ == 6
    assert output.count("Diverged: the loss reached") == 1  # form 1 says so (form 2 warns)
    assert "The two loss histories differ by at most" in output  # both stopped at 6 steps


def test_without_softmax_core_the_script_runs_the_notes_loop_alone(script_runs, app_models):
    output, figures = script_runs["seed-without-core"]
    assert "Form 2 skipped: softmax_core is not installed" in output
    _check_losses(output, app_models["seed"], form2=False)
    assert FORM2.search(output) is None
    assert {p.name for p in figures.iterdir()} == {"probabilities.png", "loss-history.png"}


def test_a_script_runs_as_its_own_program(script_runs, app_models):
    output, figures = script_runs["alone"]
    _check_losses(output, app_models["seed"])
    assert {p.name for p in figures.iterdir()} == {"probabilities.png", "loss-history.png"}


def test_the_generated_code_passes_the_projects_lint_and_format(exported):
    # NPY002: the seed note's legacy np.random.seed and rand make its data set bit for bit.
    ruff = [shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))]
    config = ["--config", str(ROOT / "pyproject.toml")]
    for command in (
        ["check", *config, "--extend-ignore", "NPY002", "--no-cache", "."],
        ["format", "--check", *config, "--no-cache", "."],
    ):
        result = subprocess.run(
            [*ruff, *command], cwd=exported, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
    names = {p.name for p in exported.iterdir()}
    assert {f"run-{name}.py" for name in CASES} <= names
    assert {f"run-{name}.ipynb" for name in CASES} <= names


def test_the_notebooks_are_valid_and_start_with_their_explanation(exported):
    for name in CASES:
        notebook = nbformat.read(exported / f"run-{name}.ipynb", as_version=4)
        nbformat.validate(notebook)
        kinds = [cell.cell_type for cell in notebook.cells]
        assert kinds[0] == "markdown" and kinds.count("markdown") >= 8
        assert notebook.metadata.kernelspec.name == "python3"


# ------------------------------------------------------------ the data and its text


@pytest.mark.parametrize("name", CASES)
def test_prepare_makes_the_apps_data_set(name):
    spec = CASES[name]
    table = parse_csv(spec.csv_bytes) if spec.csv_bytes is not None else None
    app = app_data.make_dataset(spec.settings, table)
    ours = export.prepare(spec)
    np.testing.assert_array_equal(ours.X_train, app.X_train)
    np.testing.assert_array_equal(ours.y_train, app.y_train)
    np.testing.assert_array_equal(ours.test, app.test)
    assert ours.class_names == app.class_names


def test_the_csv_is_embedded_as_ascii_that_reads_back_exactly(exported):
    source = (exported / "run-csv.py").read_text(encoding="ascii")  # ASCII, or this raises
    values = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
        if node.targets[0].id in ("CSV_TEXT", "CSV_NAME")
    }
    assert values == {"CSV_TEXT": HOSTILE_CSV.decode("utf-8-sig"), "CSV_NAME": NASTY_NAME}


def test_names_from_a_file_never_reach_markdown_comments_or_docstrings(exported):
    notebook = nbformat.read(exported / "run-csv.ipynb", as_version=4)
    assert all(cell.source.isascii() for cell in notebook.cells)
    markdown = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    source = (exported / "run-csv.py").read_text()
    reader = io.StringIO(source).readline
    comments = [t.string for t in tokenize.generate_tokens(reader) if t.type == tokenize.COMMENT]
    docstrings = [
        ast.get_docstring(node) or ""
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Module | ast.FunctionDef)
    ]
    assert len(comments) > 20
    assert all("Qz" not in text for text in (*markdown, *comments, *docstrings))
    assert "Qz" in source  # the names are there, inside the file's string literal


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_a_python_literal_is_ascii_and_reads_back_exactly(text):
    for room in (0, 80):  # cut into one literal per line (and long lines cut), or whole
        literal = export.python_literal(text, indent="    ", room=room)
        assert literal.isascii()
        assert ast.literal_eval(literal) == text
        # In a statement it stays one expression: nothing after it runs.
        tree = ast.parse(f"value = {literal}\n")
        assert len(tree.body) == 1 and isinstance(tree.body[0], ast.Assign)


@pytest.mark.parametrize(
    "text",
    [
        '"""',
        "'''",
        '\\"',
        "\\",
        "a\\\nb",
        "\n\r\x00\x0b\x85\u2028",
        '");import os;("',
        "\U0001f600",
    ],
)
def test_a_python_literal_cannot_be_broken_out_of(text):
    literal = export.python_literal(text * 50, room=0)
    assert ast.literal_eval(literal) == text * 50
    assert all(len(line) <= 100 for line in literal.splitlines())


def test_exports_refuse_runs_the_app_could_not_make():
    upload = CASES["csv"]
    with pytest.raises(ValueError, match="csv_bytes must be given"):
        export.script(replace(upload, csv_bytes=None))
    with pytest.raises(ValueError, match="not the file"):
        export.notebook(replace(upload, csv_bytes=HOSTILE_CSV + b"1,2,x\r\n"))
    with pytest.raises(ValueError, match="step count"):
        export.script(export.RunSpec(Settings(), [(0.5, -1)]))
    with pytest.raises(ValueError, match="learning rate"):
        export.script(export.RunSpec(Settings(), [(float("nan"), 3)]))
    with pytest.raises(ValueError, match="kind"):
        export.script(export.RunSpec(Settings(kind="moons"), []))


# -------------------------------------------------------------------------- JSON


@pytest.mark.parametrize("name", ["fix", "iris", "csv", "newton"])
def test_a_json_file_restores_the_run(name, app_models):
    spec, model = CASES[name], app_models[name]
    view = View(panel="landscape", point=4, log_y=True, temperature=2.5, lesson=0, lesson_step=2)
    text = export.run_json(spec, model=model, view=view)
    assert text.isascii()
    opened, problems = export.spec_from_json(text)
    assert problems == []
    # A session's file name is printable and short already; a file's is made so.
    if spec.csv_name is not None:
        spec = replace(spec, csv_name=quote(spec.csv_name, 40))
    assert opened.spec == spec and opened.view == view
    recorded = opened.recorded
    assert recorded.n_iter == model.n_iter_ and recorded.loss == model.loss_
    np.testing.assert_array_equal(recorded.coef, model.coef_)
    np.testing.assert_array_equal(recorded.history_losses, model.loss_history())
    assert recorded.agrees_with(app_replay(opened.spec))


def test_a_long_runs_history_is_thinned_and_the_largest_file_fits(app_models):
    # 99,999 rows of 10 bytes: as large as an upload may be.
    rows = (b"%03d.%03d,%d\n" % (i % 1000, i % 997, i % 2) for i in range(99_999))
    raw = b"x,label\n" + b"".join(rows)
    assert len(raw) <= MAX_CSV_BYTES
    settings = _upload_settings(raw, learning_rate=None)
    training = TrainingData(np.arange(20.0).reshape(-1, 1), np.arange(20) % 2)
    model = SoftmaxRegression(learning_rate="auto").step(training, n_steps=100_000)
    spec = export.RunSpec(settings, [(None, 100_000)], csv_bytes=raw, csv_name="big.csv")
    text = export.run_json(spec, model=model)
    assert len(text) <= export.MAX_JSON_BYTES
    opened, problems = export.spec_from_json(text)
    iterations = opened.recorded.history_iterations
    assert len(iterations) == export.MAX_HISTORY_POINTS
    assert iterations[0] == 0 and iterations[-1] == 100_000
    np.testing.assert_array_equal(opened.recorded.history_losses, model.loss_history()[iterations])
    # A link may replay fewer iterations on this many rows: the file's run is cut as a link's.
    budget = settings.replay_budget()
    assert opened.spec.n_iter == budget < 100_000
    assert problems == [
        f"iter=100,000 is more than a link may replay on {len(parse_csv(raw).rows):,} points "
        f"with gd; restored the first {budget:,} iterations"
    ]


@pytest.fixture(scope="module")
def document(app_models) -> dict:
    return json.loads(export.run_json(CASES["csv"], model=app_models["csv"]))


def _set(document: dict, path: str, value) -> dict:
    changed = json.loads(json.dumps(document))
    *parents, last = path.split(".")
    target = changed
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is _DELETE:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return changed


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("model", _DELETE, "the file has no field 'model'"),
        ("settings.noise", _DELETE, "settings has no field 'noise'"),
        ("surprise", 1, "the file has an unknown field 'surprise'"),
        ("view.colour", "red", "view has an unknown field 'colour'"),
        ("format", "something-else", "not a Softmax Lab run"),
        ("version", 2, "version must be 1"),
        ("settings", [], "settings must be an object, got a list"),
        ("settings.seed", "0", "settings.seed must be a whole number, got a string"),
        ("settings.seed", 1.5, "settings.seed must be a whole number, got a number"),
        ("settings.standardise", 1, "settings.standardise must be true or false"),
        ("settings.learning_rate", "auto", "settings.learning_rate must be a number or null"),
        ("settings.C", 10**400, "settings.C is too large"),
        ("settings.kind", "x" * 101, "settings.kind is longer than 100 characters"),
        ("settings.features", [0, 1, 2], "settings.features has more than 2 entries"),
        ("schedule", [[0.5, 0]], "schedule[0][1] must be at least 1 step"),
        ("schedule", [[0.5]], "schedule[0] must be [learning rate or null, number of steps]"),
        ("schedule", [[None, 1]] * 51, "schedule has more than 50 entries"),
        ("schedule", [[None, 10]], "model.n_iter is not the number of steps"),
        ("view.point", "3", "view.point must be a whole number, got a string"),
        ("view.temperature", None, "view.temperature must be a number, got null"),
        ("model.coef", [[1.0]], "model.coef must be 2 to 10 rows"),
        ("model.coef.0.0", "1", "model.coef[0][0] must be a number"),
        ("model.intercept", [0.0], "one number per row of model.coef"),
        ("model.loss_history.iterations", [0, 1], "increasing iterations from 0 to model.n_iter"),
        ("upload", None, "upload must be an object exactly when settings.kind is 'upload'"),
        ("upload.csv_base64", "not base64!", "upload.csv_base64 is not base64"),
        ("upload.sha256", "0" * 64, "upload.sha256 is not the digest of the embedded file"),
        ("upload.label", "no such column", "the embedded file cannot be used: the file has no"),
    ],
)
def test_a_json_file_with_a_wrong_structure_is_refused(document, path, value, message):
    opened, problems = export.spec_from_json(json.dumps(_set(document, path, value)))
    assert opened is None
    assert len(problems) == 1 and message in problems[0], problems


def test_an_embedded_file_that_is_not_a_csv_is_refused(document):
    bad = b"\x00\x01binary"
    changed = _set(document, "upload.csv_base64", base64.b64encode(bad).decode())
    changed = _set(changed, "upload.sha256", hashlib.sha256(bad).hexdigest())
    opened, problems = export.spec_from_json(json.dumps(changed))
    assert opened is None
    assert problems == [
        "the embedded file cannot be used: the file does not look like a text CSV: it holds "
        "binary data (save a spreadsheet as CSV first)"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is not JSON"),
        ("{", "the file is not JSON"),
        ("[]", "the file must be an object, got a list"),
        ('{"format": NaN}', "NaN is not a number this app reads"),
        ('{"a": 1, "a": 2}', "the field 'a' appears twice"),
        ("[" * 1_000_000, "nest too deeply"),
        ('{"a": ' + "9" * 5000 + "}", "not JSON this app reads"),
        ('"' + "x" * 999_990 + '"', "the file must be an object, got a string"),
        (b"\xff\xfe{}", "the file is not UTF-8 text"),
        (b" " * (export.MAX_JSON_BYTES + 1), "the limit is 2,000,000 bytes"),
        (12, "the file must be text"),
    ],
)
def test_a_file_that_is_not_a_run_is_refused(text, message):
    opened, problems = export.spec_from_json(text)
    assert opened is None
    assert len(problems) == 1 and message in problems[0], problems


def test_values_out_of_bounds_fall_back_as_a_links_do(document):
    changed = _set(document, "settings.learning_rate", 1e300)
    changed = _set(changed, "settings.holdout", 0.9)
    changed = _set(changed, "view.speed", "warp")
    changed = _set(changed, "settings.n_samples", 10**30)
    opened, problems = export.spec_from_json(json.dumps(changed))
    assert problems == [
        f"settings.n_samples={quote(str(10**30))!r}: must be a whole number from 10 to "
        "100,000; using the default",
        "settings.learning_rate='1e+300': must be auto or a number from 1e-06 to 1e+06; using "
        "the default",
        "settings.holdout='0.9': must be a number from 0 to 0.5; using the default",
        "view.speed='warp': must be one of slow, normal, fast, smooth, turbo; using the default",
    ]
    # Those fall back to the defaults; the rest of the run is the file's.
    settings, original = opened.spec.settings, CASES["csv"]
    assert settings.learning_rate == SEED_NOTE.learning_rate and opened.view.speed == "fast"
    assert replace(settings, learning_rate=None) == original.settings
    assert opened.spec.schedule == original.schedule and opened.spec.csv_bytes == HOSTILE_CSV


SGD_RUN = export.RunSpec(
    Settings(
        kind="blobs",
        n_samples=60,
        n_classes=3,
        seed=4,
        learning_rate=None,
        solver="sgd",
        batch_size=10,
        batch_seed=3,
    ),
    [(None, 25), (0.2, 5)],
)


def test_an_sgd_run_is_refused_by_the_code_exports_with_why():
    why = "a mini-batch SGD run cannot be exported as code yet"
    assert export.code_refusal(SGD_RUN.settings).startswith(why)
    assert export.code_refusal(Settings()) is None
    for build in (export.script, export.notebook):
        with pytest.raises(ValueError, match=why):
            build(SGD_RUN)


def test_a_json_file_keeps_an_sgd_run_with_its_batches():
    model = app_replay(SGD_RUN)
    text = export.run_json(SGD_RUN, model=model)
    settings = json.loads(text)["settings"]
    assert (settings["batch_size"], settings["batch_seed"]) == (10, 3)
    opened, problems = export.spec_from_json(text)
    assert problems == [] and opened.spec == SGD_RUN
    assert opened.recorded.agrees_with(app_replay(opened.spec))
    # Another batch seed is another run: the file's parameters are not its replay.
    other = replace(SGD_RUN, settings=replace(SGD_RUN.settings, batch_seed=4))
    assert not opened.recorded.agrees_with(app_replay(other))


def test_a_full_batch_file_has_no_batch_settings(document):
    assert not {"batch_size", "batch_seed"} & set(document["settings"])
    batched = _set(document, "settings.batch_size", 10)
    opened, problems = export.spec_from_json(json.dumps(batched))
    assert opened is None and problems == ["settings has an unknown field 'batch_size'"]


def test_an_sgd_files_batches_are_checked_as_a_links_are():
    text = export.run_json(SGD_RUN, model=app_replay(SGD_RUN))
    missing = _set(json.loads(text), "settings.batch_seed", _DELETE)
    opened, problems = export.spec_from_json(json.dumps(missing))
    assert opened is None and problems == ["settings has no field 'batch_seed'"]
    zero = _set(json.loads(text), "settings.batch_size", 0)
    opened, problems = export.spec_from_json(json.dumps(zero))
    assert opened.spec.settings.batch_size == DEFAULT_BATCH_SIZE
    assert len(problems) == 1 and problems[0].startswith("settings.batch_size="), problems
