"""Server settings that protect a shared deployment, and the project's install promises."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_xsrf_protection_is_on_and_usage_stats_off():
    assert CONFIG["server"]["enableXsrfProtection"] is True
    assert CONFIG["browser"]["gatherUsageStats"] is False


def test_the_app_accepts_no_file_uploads():
    sources = [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")]
    assert sources and not any("file_uploader" in path.read_text() for path in sources)
    assert CONFIG["server"]["maxUploadSize"] <= 1  # MB, should one ever be added


def test_runtime_requirements_are_pinned():
    lines = [
        line
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert {re.split("==", line)[0] for line in lines} == {
        "numpy",
        "plotly",
        "scikit-learn",
        "streamlit",
    }
    assert all(re.fullmatch(r"[\w-]+==[\w.]+", line) for line in lines)


def test_readme_states_the_test_command_that_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = "pip install -r requirements-dev.txt && python -m pytest"
    assert command in readme and command in ci
    assert "pip install -r requirements.txt && streamlit run app.py" in readme
