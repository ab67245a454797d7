"""The app from a read-only checkout, served by a user who owns none of it.

A school's server (or a container) installs the code as root and runs it as nobody. The app
must write nothing into its source tree at run time: before the charts' plotly.js was kept in
the repository, the first chart copied it into ``static/`` and every page failed here.
As root (CI), the server runs as ``nobody`` through ``setpriv``, since root ignores
permission bits; as any other user, the checkout's missing write bits are enough.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .browser import no_exception, open_page
from .conftest import ROOT
from .server import Server, start_server, stop_server
from .test_live import start_room

pytestmark = pytest.mark.e2e
NOBODY = 65534
AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
PAGES = ("", "Data", "Train", "Compare", "Math", "Lessons")


def tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    return [name for name in listed.decode().split("\0") if name]


@pytest.fixture
def read_only_checkout() -> Iterator[Path]:
    """A copy of the committed files, with every write bit removed."""
    checkout = Path(tempfile.mkdtemp(prefix="softmax-lab-read-only-"))
    try:
        for name in tracked_files():
            source, target = ROOT / name, checkout / name
            if source.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        read_only = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
        for path in sorted(checkout.rglob("*"), reverse=True):
            extra = stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH if path.is_dir() else 0
            path.chmod(read_only | extra)
        checkout.chmod(read_only | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        yield checkout
    finally:
        for path in [checkout, *checkout.rglob("*")]:
            if path.is_dir():
                path.chmod(stat.S_IRWXU)
        shutil.rmtree(checkout)


def nobody_can_import_streamlit(python: str | Path) -> bool:
    imported = subprocess.run(
        [*AS_NOBODY, str(python), "-c", "import streamlit"],
        capture_output=True,
        check=False,
        env={**os.environ, "HOME": "/nonexistent", "PYTHONDONTWRITEBYTECODE": "1"},
    )
    return imported.returncode == 0


@pytest.fixture
def python_for_nobody() -> Iterator[Path | None]:
    """An interpreter with this environment's packages that ``nobody`` can read.

    A clone in a private directory (``mktemp -d`` makes it 0700) keeps its virtual environment
    from every other user. Then the environment is linked, file by file, into a directory
    anyone can search: hard links share the files' own (world-readable) modes and take well
    under a second, where a copy would take 1 GB. ``None`` when this environment is readable.
    """
    if os.geteuid() != 0 or nobody_can_import_streamlit(sys.executable):
        yield None
        return
    place = Path(tempfile.mkdtemp(prefix="softmax-lab-venv-"))
    try:
        place.chmod(0o755)
        linked = subprocess.run(
            ["cp", "-al", sys.prefix, str(place / "venv")], capture_output=True, check=False
        )
        python = place / "venv" / "bin" / "python"
        if linked.returncode != 0 or not nobody_can_import_streamlit(python):
            pytest.fail(
                f"user {NOBODY} cannot read this environment ({sys.prefix}: a directory above"
                " it is private) and it cannot be hard-linked elsewhere"
                f" ({linked.stderr.decode().strip() or 'linked, still unreadable'}):"
                " run the tests from a checkout others can read"
            )
        yield python
    finally:
        shutil.rmtree(place)


@pytest.fixture
def unprivileged_server(
    read_only_checkout: Path, python_for_nobody: Path | None
) -> Iterator[Server]:
    prefix: list[str] = []
    env = {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",
        # Nothing of the user's own either: the app must not need a home directory.
        "HOME": "/nonexistent",
    }
    if os.geteuid() == 0:
        assert shutil.which("setpriv"), "setpriv (util-linux) is needed to run as nobody"
        prefix = AS_NOBODY
    server = start_server(
        "streamlit-read-only",
        cwd=read_only_checkout,
        prefix=prefix,
        env=env,
        python=python_for_nobody,
    )
    try:
        yield server
    finally:
        stop_server(server)


def server_user_cannot_write(checkout: Path) -> bool:
    """Whether the user the server runs as is refused a new file in the checkout."""
    probe = checkout / "probe"
    if os.geteuid() == 0:
        touched = subprocess.run(
            [*AS_NOBODY, "touch", str(probe)],
            capture_output=True,
            check=False,
        )
        return touched.returncode != 0
    try:
        probe.write_text("")
    except PermissionError:
        return True
    return False


def test_every_page_draws_from_a_read_only_checkout_as_another_user(
    unprivileged_server, read_only_checkout, browser
):
    assert server_user_cannot_write(read_only_checkout)
    before = sorted(str(p.relative_to(read_only_checkout)) for p in read_only_checkout.rglob("*"))
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        for path in PAGES:
            page = open_page(context, f"{unprivileged_server.url}/{path}")
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
            no_exception(page)
            assert "could not be drawn" not in page.content()
            page.close()
        # The live classroom's store is a file of the machine's temporary directory, never
        # of the checkout: a room starts as this user too.
        page = open_page(context, f"{unprivileged_server.url}/Live")
        assert re.fullmatch(r"[A-Z0-9]{6}", start_room(page))
        no_exception(page)
    finally:
        context.close()
    after = sorted(str(p.relative_to(read_only_checkout)) for p in read_only_checkout.rglob("*"))
    assert after == before
    assert "Permission denied" not in unprivileged_server.log_text()
