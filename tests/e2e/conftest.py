"""Fixtures for the end-to-end tests: a real `streamlit run` server and Debian's Chromium.

On a developer machine without Chromium these tests skip, saying how to install it; in CI
(``CI=true``) a missing browser fails the run instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output"
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


def _require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    message = (
        f"Chromium not found at {CHROMIUM}. Install Debian's package: "
        "sudo apt-get update && sudo apt-get install -y chromium"
    )
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A running `streamlit run app.py` and where to reach it."""

    process: subprocess.Popen
    url: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def start_server(log_name: str, extra_args: tuple[str, ...] = ()) -> Server:
    """Start the app on a free port; fail loudly if it dies or never gets healthy."""
    port = _free_port()
    OUTPUT.mkdir(exist_ok=True)
    log = OUTPUT / f"{log_name}.log"
    streamlit = shutil.which("streamlit") or str(Path(sys.executable).with_name("streamlit"))
    command = [
        streamlit,
        "run",
        "app.py",
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--browser.gatherUsageStats=false",
        *extra_args,
    ]
    with log.open("w") as log_file:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"streamlit exited with code {process.returncode} (port {port} taken?):\n"
                + server.log_text(),
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    pytest.fail(f"streamlit not healthy after {STARTUP_SECONDS} s:\n" + server.log_text())


def stop_server(server: Server) -> None:
    """Stop the server we started, by its own process handle."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)


def wait_until_idle(page, timeout: float = 30_000) -> None:
    """Wait until the app has rendered and its script is not running."""
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout
    )
    page.wait_for_selector("h1", timeout=timeout)


def wait_for_first_widget(server: Server, browser) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.url, timeout=STARTUP_SECONDS * 1000)
        page.wait_for_selector('[data-testid="stButton"]', timeout=STARTUP_SECONDS * 1000)
    finally:
        context.close()


@pytest.fixture(scope="session")
def app_server(browser) -> Iterator[Server]:
    server = start_server("streamlit-e2e")
    try:
        wait_for_first_widget(server, browser)
        yield server
    finally:
        stop_server(server)


@pytest.fixture
def fresh_server(browser) -> Iterator[Server]:
    """A server that has served nobody yet (for deep links on a fresh start)."""
    server = start_server("streamlit-fresh")
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    yield context
    context.close()
