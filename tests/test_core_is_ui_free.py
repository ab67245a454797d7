"""The core stays UI-free: importing ``softmax_core`` loads neither Streamlit nor Plotly, and
no module of the package imports them."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE_FILES = sorted((ROOT / "softmax_core").glob("*.py"))
UI_PACKAGES = ("streamlit", "plotly")


def test_importing_the_core_loads_no_ui_package():
    code = (
        "import json, sys; import softmax_core; "
        "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(result.stdout))
    assert "softmax_core" in loaded
    assert loaded.isdisjoint(UI_PACKAGES), sorted(loaded & set(UI_PACKAGES))


def test_the_core_has_modules_to_check():
    names = {path.name for path in CORE_FILES}
    assert {"__init__.py", "functions.py", "model.py"} <= names


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda path: path.name)
def test_no_core_module_imports_a_ui_package(path):
    source = path.read_text(encoding="utf-8")
    assert "import streamlit" not in source
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert imported.isdisjoint(UI_PACKAGES), sorted(imported & set(UI_PACKAGES))
