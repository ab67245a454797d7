"""ui.live_chart: the figure JSON the browser gets, against plotly's own encoder, and the
plotly.js bundle it is drawn with, against the installed plotly package."""

import base64
import json
import math
import subprocess
from pathlib import Path

import numpy as np
import plotly
import plotly.graph_objects as go
import plotly.io
import pytest

from tests.test_animation import proba_tables
from tests.test_figures import BUILDERS, NAMES
from ui import figures, live_chart


def plotly_json(spec: dict) -> object:
    """What ``st.plotly_chart`` sent: plotly's encoder on a graph-objects figure."""
    return json.loads(plotly.io.to_json(go.Figure(spec, _validate=False), validate=False))


def animated_curves() -> dict:
    grid = np.linspace(0.0, 1.0, 20)
    *earlier, current = proba_tables(5, (20,))
    spec = figures.probability_curves(
        grid, current, grid.reshape(-1, 1), np.arange(20) % 3, NAMES, frames=earlier
    )
    return figures.autoplay(spec, "model:1:2", 30.0, redraw=False)


def animated_regions() -> dict:
    gx, gy = np.linspace(-3, 3, 20), np.linspace(-2, 2, 15)
    *earlier, current = proba_tables(3, (15, 20))
    X = np.random.default_rng(0).normal(size=(30, 2))
    spec = figures.decision_regions(gx, gy, current, X, np.arange(30) % 3, NAMES, frames=earlier)
    return figures.autoplay(spec, "model:1:2", 30.0, redraw=True)


def animated_loss() -> dict:
    spec = figures.loss_history(np.linspace(1.1, 0.6, 40), reference=0.59, animate_from=20)
    return figures.autoplay(spec, "loss:1:2", 30.0, redraw=False)


SPECS = {name: lambda build=build: build(False) for name, build in BUILDERS.items()}
SPECS |= {"animated-curves": animated_curves, "animated-regions": animated_regions}
SPECS["animated-loss"] = animated_loss


@pytest.mark.parametrize("build", SPECS.values(), ids=SPECS.keys())
def test_every_figure_is_sent_as_plotly_itself_would_send_it(build):
    spec = build()
    assert json.loads(live_chart.figure_json(spec)) == plotly_json(spec)


def test_arrays_become_plotly_typed_arrays_or_plain_lists_as_plotly_decides():
    spec = {
        "data": [
            {
                "type": "heatmap",
                "z": np.arange(6, dtype=np.float32).reshape(2, 3),
                "x": np.array([1, 2, 300], dtype=np.int64),  # narrowed to int16
                "y": np.array([0, 2**40], dtype=np.int64),  # beyond 32 bits: a list
                "text": np.array(["a", "b"]),
                "customdata": np.array([True, False]),
                "ids": np.array([], dtype=np.float64),
            }
        ],
        "layout": {
            "template": "none",
            "xaxis": {"range": np.array([0.0, 1.0])},
            "meta": {"n": np.int64(3)},
        },
    }
    sent = json.loads(live_chart.figure_json(spec))
    assert sent == plotly_json(spec)
    trace = sent["data"][0]
    assert trace["z"]["dtype"] == "f4" and trace["z"]["shape"] == "2, 3"
    assert trace["x"]["dtype"] == "i2"
    assert trace["y"] == [0, 2**40] and trace["text"] == ["a", "b"]
    assert trace["customdata"] == [True, False] and trace["ids"] == []
    assert sent["layout"]["xaxis"]["range"] == [0.0, 1.0] and sent["layout"]["meta"]["n"] == 3


def test_numbers_json_has_no_word_for_are_null_in_lists_and_kept_in_typed_arrays():
    spec = {
        "data": [{"type": "scatter", "x": [0.0, math.nan, math.inf], "y": np.array([1.0, np.nan])}],
        "layout": {"template": "none", "yaxis": {"range": [-math.inf, 1.0]}},
    }
    text = live_chart.figure_json(spec)
    sent = json.loads(text)  # strict JSON: no NaN or Infinity tokens
    assert "NaN" not in text and "Infinity" not in text
    assert sent["data"][0]["x"] == [0.0, None, None]
    assert sent["layout"]["yaxis"]["range"] == [None, 1.0]
    assert sent == plotly_json(spec)
    decoded = np.frombuffer(base64.b64decode(sent["data"][0]["y"]["bdata"]), dtype=np.float64)
    np.testing.assert_array_equal(decoded, [1.0, np.nan])


def test_the_bundle_is_plotlys_for_the_installed_plotly_and_in_the_repository():
    # The version the installed plotly writes figures for: a mismatch draws them wrongly.
    header = live_chart.PLOTLY_JS.read_bytes()[:200].decode()
    assert f"plotly.js (cartesian - minified) v{live_chart.PLOTLY_JS_VERSION}" in header
    assert plotly.offline.get_plotlyjs_version() == live_chart.PLOTLY_JS_VERSION
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", str(live_chart.PLOTLY_JS)],
        cwd=live_chart.ROOT,
        capture_output=True,
        check=False,
    )
    assert tracked.returncode == 0, "the bundle must be committed (nothing is copied at run time)"


def test_the_bundle_is_served_by_streamlits_static_serving():
    config = (live_chart.ROOT / ".streamlit" / "config.toml").read_text()
    assert "enableStaticServing = true" in config
    assert live_chart.STATIC == live_chart.ROOT / "static"  # next to app.py, as Streamlit wants
    assert live_chart.PLOTLY_JS.parent == live_chart.STATIC


def test_nothing_in_the_chart_module_writes_to_disk():
    source = Path(live_chart.__file__).read_text()
    for writer in ("shutil", "write_bytes", "write_text", "mkdir", "open(", "os.replace"):
        assert writer not in source
