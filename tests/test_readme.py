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


def test_the_example_stops_where_rounding_cannot_move_the_iteration_count():
    # The count printed above must hold on any CPU: a stopping rule |ΔJ| < tol decides it,
    # and the BLAS kernel's summation order moves ΔJ by about eps * J. Every change before the
    # stop, and the one that stops it, must clear tol by far more than that (at tol = 1e-15
    # they did not: 837, 838 or 840 iterations by kernel).
    import numpy as np

    from softmax_core import SoftmaxRegression, make_noisy_classes

    X, y = make_noisy_classes()
    tol = 1e-12
    model = SoftmaxRegression(solver="nesterov", tol=tol, max_iter=100_000).fit(X, y)
    changes = np.abs(np.diff(model.loss_history()))
    rounding = 1_000 * np.finfo(float).eps * model.loss_
    assert model.converged_
    assert np.all(changes[:-1] > tol + rounding)
    assert changes[-1] < tol - rounding
