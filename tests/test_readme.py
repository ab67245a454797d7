"""The README's Python example runs and prints what its comments say."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_core_example_prints_what_the_readme_says():
    (code,) = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    # "print(...)  # expected  (a note)": the expected output ends at two spaces.
    expected = [
        re.split(r"\s{2,}", line.split("# ", 1)[1])[0]
        for line in code.splitlines()
        if line.startswith("print(") and "# " in line
    ]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(README), "exec"), {})  # the project's own README
    assert printed.getvalue().splitlines() == expected
