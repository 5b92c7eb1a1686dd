"""An operator in a real browser: logs in, watches a registration arrive live, traces it,
and replays a dead letter until the consumer that failed it has processed it."""

from typing import Any

from aiohttp.test_utils import TestClient
from playwright.async_api import Page, expect

from shared.kafka import create_producer
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.e2e.monitor.conftest import Screenshots
from tests.integration.monitor.records import dead_letter, key_issued
from tests.integration.test_companies_api import registration
from tests.support import Caller, granted

TIMEOUT = 20_000


async def log_in(page: Page, monitor: TestClient[Any, Any]) -> str:
    operator = await granted(monitor, "operator")
    assert operator.key is not None
    await page.goto(str(monitor.make_url("/")))
    await page.fill("#login-key", operator.key)
    await page.click("#login-button")
    await expect(page.locator("#console")).to_be_visible()
    return operator.key


async def test_an_operator_follows_a_registration_and_replays_a_dead_letter(
    page: Page,
    monitor: TestClient[Any, Any],
    companies: TestClient[Any, Any],
    settings: ServiceSettings,
    screenshots: Screenshots,
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    key = await log_in(page, monitor)
    await screenshots.take("01-logged-in")
    assert key not in page.url
    [cookie] = await page.context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and key not in cookie["value"]

    response = await companies.post("/companies", json=registration())
    company_id = (await response.json())["company"]["company_id"]
    row = page.locator("#tail-rows tr", has_text=company_id)
    await expect(row).to_be_visible(timeout=TIMEOUT)
    await row.click()
    await expect(page.locator("#event-detail")).to_contain_text("jamp.company.registered.v1")
    await expect(page.locator("#event-detail")).to_contain_text('"email": "***"')
    await screenshots.take("02-live-tail")

    await page.click("nav [data-view=trace]")
    await page.fill("#trace-input", company_id)
    await page.click("#trace-button")
    await expect(page.locator("#trace-rows tr")).to_have_count(2, timeout=TIMEOUT)
    await expect(page.locator("#trace-rows")).to_contain_text("jamp.apikey.issued.v1")
    await screenshots.take("03-trace")
    await page.locator("#trace-rows tr", has_text="jamp.apikey.issued.v1").click()
    await expect(page.locator("#event-detail")).to_contain_text('"key_hash": "***"')
    assert errors == []  # opening the Trace tab once threw "reading 'catch'"

    plaintext = await dead_letter_a_key(settings)
    await page.click("nav [data-view=dlq]")
    letter = page.locator("#dlq-rows tr")
    await expect(letter).to_have_count(1, timeout=TIMEOUT)
    await letter.locator("button.dry-run").click()
    await expect(page.locator("#dlq-message")).to_contain_text("safe to replay")
    await letter.locator("button.replay").click()
    await expect(letter.locator(".dlq-status")).to_have_text("replayed, processed", timeout=TIMEOUT)
    await screenshots.take("04-dead-letter-replayed")
    assert (await Caller(companies, plaintext).get("/companies")).status == 200

    await page.click("nav [data-view=audit]")
    await expect(page.locator("#audit-rows")).to_contain_text("dead_letter.replay")
    await page.click("nav [data-view=streams]")
    await expect(page.locator("#group-rows")).to_contain_text(settings.group_id("companies"))
    await screenshots.take("05-streams")
    await page.click("nav [data-view=health]")
    await expect(page.locator("#health-rows")).to_contain_text("companies", timeout=TIMEOUT)
    await screenshots.take("06-health")
    assert errors == []


async def dead_letter_a_key(settings: ServiceSettings) -> str:
    """A key's issue event, dead-lettered by the companies group as if MongoDB had been away."""
    plaintext, envelope = key_issued(settings)
    producer = create_producer(settings, "e2e")
    await producer.start()
    try:
        identity = Topics(settings.topic_prefix).of("identity")
        group = settings.group_id("companies")
        await dead_letter(producer, identity, envelope, group, ConnectionError("mongo away"))
    finally:
        await producer.stop()
    return plaintext


async def test_a_wrong_key_shows_an_error_and_no_console(
    page: Page, monitor: TestClient[Any, Any], screenshots: Screenshots
) -> None:
    await page.goto(str(monitor.make_url("/")))
    await page.fill("#login-key", "jamp_0000000000000000_wrong")
    await page.click("#login-button")
    await expect(page.locator("#login-error")).to_contain_text("unknown or revoked")
    await expect(page.locator("#console")).to_be_hidden()
    await screenshots.take("00-login-refused")
