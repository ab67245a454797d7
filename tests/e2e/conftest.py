"""Fixtures for the end-to-end tests: a real `streamlit run` server and Debian's Chromium.

On a developer machine without Chromium these tests skip, saying how to install it; in CI
(``CI=true``) a missing browser fails the run instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import server as server_module
from .server import CHROMIUM, CHROMIUM_ARGS, OUTPUT, ROOT, STARTUP_SECONDS, Server, stop_server

__all__ = ["OUTPUT", "ROOT"]


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


def start_server(log_name: str) -> Server:
    """Start the app; a server that dies or never gets healthy fails the test loudly."""
    try:
        return server_module.start_server(log_name)
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)


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
