"""Fixtures of the matching tests: the service on a real socket, and a publisher that puts
companies and proposals events on their real topics, as those services would."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from aiokafka import AIOKafkaProducer

from services.matching.app import create_app
from shared.contracts import EventPayload
from shared.contracts.companies import CompanyProfile, CompanyRegistered
from shared.contracts.proposals import CityAdded, ProposalDetails, ProposalSubmitted
from shared.envelope import Envelope
from shared.settings import ServiceSettings
from shared.topics import Topics
from tests.support import Caller, granted, serving

SOURCES = {"companies": "companies", "proposals": "proposals"}


@pytest.fixture
async def matching(settings: ServiceSettings) -> AsyncIterator[TestClient[Any, Any]]:
    async with serving(create_app, settings) as client:
        yield client


@pytest.fixture
async def admin(matching: TestClient[Any, Any]) -> Caller:
    return await granted(matching, "admin")


@dataclass
class Publisher:
    producer: AIOKafkaProducer
    topics: Topics

    async def send(self, subject: str, payload: EventPayload) -> Envelope:
        envelope = Envelope.wrap(payload, source=payload.stream, subject=subject)
        await self.resend(envelope, payload.stream)
        return envelope

    async def resend(self, envelope: Envelope, stream: str) -> None:
        """The same event again, as an at-least-once delivery may bring it."""
        await self.producer.send_and_wait(
            self.topics.of(stream),
            envelope.to_bytes(),
            key=envelope.subject.encode(),
            headers=envelope.kafka_headers(),
        )


@pytest.fixture
async def publish(settings: ServiceSettings) -> AsyncIterator[Publisher]:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    yield Publisher(producer, Topics(settings.topic_prefix))
    await producer.stop()


def company(**overrides: Any) -> CompanyProfile:
    values: dict[str, Any] = {
        "company_id": uuid.uuid4().hex[:24],
        "corporate_number": None,
        "name_en": "Kaiyo Water Engineering",
        "name_ja": "海洋水道エンジニアリング",
        "size": "medium",
        "focus_areas": ["quality_environment"],
        "tags": ["water_supply", "wastewater"],
        "countries": ["VN"],
        "languages": ["ja", "en"],
        "capability_statement": "Design and operation of water supply networks and wastewater "
        "treatment plants for fast-growing cities.",
        "references": [
            {
                "title": "Non-revenue water reduction feasibility study",
                "country": "VN",
                "city": "Da Nang",
                "description": "JICA-funded study of leakage in the water supply network",
                "tags": ["water_supply"],
            }
        ],
        "contact": {"name": "Sato Hanako", "email": "sato@example.co.jp"},
        "status": "registered",
        "version": 1,
        "registered_at": datetime.now(UTC),
        **overrides,
    }
    return CompanyProfile.model_validate(values)


def proposal(**overrides: Any) -> ProposalDetails:
    values: dict[str, Any] = {
        "proposal_id": uuid.uuid4().hex[:24],
        "city_id": "da-nang",
        "country": "VN",
        "title": "Water supply network leakage reduction",
        "description": "Reduce non-revenue water in the city water supply network; flood "
        "control of the river basin comes next.",
        "focus_areas": ["quality_environment", "safety_security"],
        "tags": ["water_supply", "flood_control"],
        "stage": "feasibility_study",
        "financing": ["oda"],
        "budget": {"min": 100000, "max": 500000, "currency": "USD"},
        "timeline": {"start": date(2026, 4, 1), "end": date(2027, 3, 31)},
        "contact": {"name": "Nguyen Van A", "email": "a@danang.gov.vn"},
        "status": "submitted",
        "version": 2,
        "created_at": datetime.now(UTC),
        **overrides,
    }
    return ProposalDetails.model_validate(values)


async def add_city(
    publish: Publisher, city_id: str = "da-nang", zone: str = "Asia/Ho_Chi_Minh"
) -> None:
    city = {
        "city_id": city_id,
        "name": "Da Nang",
        "country": "VN",
        "joined": 2018,
        "time_zone": zone,
    }
    await publish.send(city_id, CityAdded.model_validate({"city": city}))


async def register(publish: Publisher, profile: CompanyProfile) -> Envelope:
    return await publish.send(profile.company_id, CompanyRegistered(company=profile))


async def submit(publish: Publisher, details: ProposalDetails) -> Envelope:
    return await publish.send(details.proposal_id, ProposalSubmitted(proposal=details, by="city:x"))


Probe = Callable[[], Awaitable[Any]]
