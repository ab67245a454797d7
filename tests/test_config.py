"""Server settings that protect a shared deployment, and the project's install promises."""

import ast
import re
import sys
import tomllib
from pathlib import Path

from softmax_core.datasets import MAX_CSV_BYTES
from ui.export import MAX_JSON_BYTES

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_xsrf_protection_is_on_and_usage_stats_off():
    assert CONFIG["server"]["enableXsrfProtection"] is True
    assert CONFIG["browser"]["gatherUsageStats"] is False


def test_uploads_are_bounded_and_only_the_data_page_takes_them():
    """Issue 11: a CSV of at most 1 MB; issue 20: a saved run of at most 2 MB (its JSON
    embeds the CSV). server.maxUploadSize is raised only to the larger, each uploader asks
    for its own bound, and the core and ui.export refuse anything longer by the same bounds."""
    assert CONFIG["server"]["maxUploadSize"] == 2  # MB: Streamlit refuses larger files
    assert MAX_CSV_BYTES == 1_000_000 and MAX_JSON_BYTES == 2_000_000
    assert MAX_JSON_BYTES <= 2 * 1024 * 1024  # Streamlit's megabyte
    sources = [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")]
    mentions = {
        path.relative_to(ROOT).as_posix(): path.read_text().count("file_uploader")
        for path in sources
    }
    assert {path: n for path, n in mentions.items() if n} == {"pages/1_Data.py": 2}
    # The AppTest suite checks the page itself: tests/apptest/test_pages.py.


# Import names of the distributions the app's code may import, where they differ.
DISTRIBUTIONS = {"sklearn": "scikit-learn", "PIL": "pillow"}
# Installed with streamlit, numpy or plotly, and pinned through them.
TRANSITIVE = {"pillow"}


def imported_packages() -> set[str]:
    """The third-party distributions that the app's own code imports."""
    code = [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")]
    code += ROOT.glob("softmax_core/*.py")
    local = {"ui", "softmax_core", "pages"}
    found = set()
    for path in code:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in local:
                    found.add(DISTRIBUTIONS.get(top, top))
    return found


def test_what_the_app_imports_is_pinned_in_requirements():
    lines = [
        line
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert all(re.fullmatch(r"[\w-]+==[\w.]+", line) for line in lines)
    pinned = {line.split("==")[0] for line in lines}
    assert imported_packages() - TRANSITIVE == pinned


def test_readme_states_the_test_command_that_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = "pip install -r requirements-dev.txt && python -m pytest"
    assert command in readme and command in ci
    assert "pip install -r requirements.txt && streamlit run app.py" in readme
