"""The console in headless Debian Chromium, beside the companies service, on the embedded
servers. No browser is downloaded: Playwright drives /usr/bin/chromium."""

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, Page, async_playwright

from services.companies.app import create_app as create_companies
from services.monitor.app import create_app as create_monitor
from services.monitor.settings import MonitorSettings
from shared.settings import ServiceSettings
from tests.support import serving

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTEFACTS = Path(__file__).parents[3] / "test-artifacts" / "monitor"


@pytest.fixture
async def companies(settings: ServiceSettings) -> AsyncIterator[TestClient[Any, Any]]:
    async with serving(create_companies, settings) as client:
        yield client


@pytest.fixture
async def monitor(
    settings: ServiceSettings, companies: TestClient[Any, Any]
) -> AsyncIterator[TestClient[Any, Any]]:
    targets = {"companies": str(companies.make_url(""))}
    monitor_settings = MonitorSettings.of(settings).model_copy(update={"monitor_targets": targets})
    async with serving(create_monitor, monitor_settings) as client:
        yield client


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is missing: scripts/test.sh installs it (apt chromium)")
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=ARGS
        )
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    opened = await context.new_page()
    yield opened
    await context.close()


class Screenshots:
    """Saved under the test's tmp_path and copied to test-artifacts/monitor/."""

    def __init__(self, page: Page, directory: Path) -> None:
        self.page, self.directory = page, directory

    async def take(self, name: str) -> None:
        path = self.directory / f"{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, ARTEFACTS / path.name)


@pytest.fixture
def screenshots(page: Page, tmp_path: Path) -> Screenshots:
    return Screenshots(page, tmp_path)
