"""The benchmarks keep working: each section they run on the server side, quickly, and the
floor app they compare the Train page with (``benchmarks/floor_app.py``) as AppTest sees it.
(The browser sections need a server and Chromium; ``python benchmarks/bench_app.py`` runs
them.)"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from benchmarks import bench_app

ROOT = Path(__file__).resolve().parents[1]


def test_the_server_side_sections_run_and_print_their_figures(capsys):
    assert bench_app.main(["--only", "figures,profile", "--quick"]) == 0
    printed = capsys.readouterr().out
    assert "both Train figures built, n=100" in printed
    # Every part of a click was called (a part that a rename left out would never be).
    for _, _, label in bench_app.PROFILED:
        line = next(row for row in printed.splitlines() if f"profile: {label} " in row)
        assert " 0 calls/click" not in line, line


def test_the_floor_app_steps_and_draws_two_charts():
    app = AppTest.from_file(str(ROOT / "benchmarks" / "floor_app.py"), default_timeout=60)
    app.run()
    app.button(key="w.train.step").click().run()
    app.button(key="w.train.step").click().run()
    assert not app.exception
    assert app.metric[0].label == "Iteration" and app.metric[0].value == "2"
    charts = app.get("plotly_chart")
    assert len(charts) == 2
