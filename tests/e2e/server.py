"""Start and stop a real `streamlit run app.py`, and the Chromium launch settings.

Plain Python (no pytest), shared by the end-to-end tests and ``benchmarks/bench_app.py``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output"
# The README's pictures are screenshots the tests take; they are copied into docs/ only when
# asked (``SOFTMAX_LAB_UPDATE_DOCS=1``): a test run writes nothing into the checkout but
# test-output/ (which git ignores).
UPDATE_DOCS = os.environ.get("SOFTMAX_LAB_UPDATE_DOCS", "") == "1"


def update_docs_picture(screenshot: Path, name: str) -> None:
    """Copy a screenshot to ``docs/<name>`` if the docs' pictures are being updated."""
    if UPDATE_DOCS:
        shutil.copy(screenshot, ROOT / "docs" / name)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
STARTUP_SECONDS = 60


@dataclass
class Server:
    """A running `streamlit run app.py` and where to reach it."""

    process: subprocess.Popen
    url: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def rss_bytes(self) -> int:
        """Resident memory of the server process and all its children."""
        root = psutil.Process(self.process.pid)
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far."""
        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(
    log_name: str,
    extra_args: Sequence[str] = (),
    *,
    port: int | None = None,
    cwd: Path = ROOT,
    prefix: Sequence[str] = (),
    env: dict[str, str] | None = None,
    python: Path | None = None,
) -> Server:
    """Start the app on a free loopback port (or ``port``) and wait until it is healthy.

    ``cwd`` is the checkout to serve; ``prefix`` comes before the command (e.g. ``setpriv``
    to run it as another user), ``env`` replaces the environment; ``python`` runs
    ``python -m streamlit`` instead of this environment's ``streamlit`` script.

    Raises
    ------
    RuntimeError
        If the server exits (e.g. the port was taken) or is not healthy in time; the
        server is stopped and the message ends with its log.
    """
    port = port or free_port()
    OUTPUT.mkdir(exist_ok=True)
    log = OUTPUT / f"{log_name}.log"
    if python is None:
        streamlit = [shutil.which("streamlit") or str(Path(sys.executable).with_name("streamlit"))]
    else:
        streamlit = [str(python), "-m", "streamlit"]
    command = [
        *prefix,
        *streamlit,
        "run",
        "app.py",
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--browser.gatherUsageStats=false",
        # Edits of the working tree while tests run must not reload the app under them.
        "--server.fileWatcherType=none",
        *extra_args,
    ]
    with log.open("w") as log_file:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"streamlit exited with code {process.returncode} (port {port} taken?):\n"
                + server.log_text()
            )
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    raise RuntimeError(f"streamlit not healthy after {STARTUP_SECONDS} s:\n" + server.log_text())


def stop_server(server: Server) -> None:
    """Stop the server we started, by its own process handle."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)


@contextlib.contextmanager
def running_server(log_name: str, extra_args: Sequence[str] = ()) -> Iterator[Server]:
    """A started server that is always stopped afterwards."""
    server = start_server(log_name, extra_args)
    try:
        yield server
    finally:
        stop_server(server)
