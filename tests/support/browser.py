"""Headless Debian Chromium for the browser tests, driven by Playwright's async API.

Never ``playwright install``: it downloads a browser, and this project's machines
reach only package registries. ``scripts/test.sh`` installs Debian's ``chromium``.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise RuntimeError(
            "Debian's chromium is not installed; scripts/test.sh installs it with apt "
            "(never `playwright install`)."
        )
    return path


@asynccontextmanager
async def browser_page() -> AsyncIterator[Any]:
    """A fresh page in a fresh headless Chromium, closed afterwards."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_FLAGS, headless=True
        )
        try:
            page = await browser.new_page()
            yield page
        finally:
            await browser.close()
