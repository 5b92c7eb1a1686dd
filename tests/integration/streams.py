"""Events of the companies and proposals streams as those services publish them, for the
tests of services that consume them: profile builders, and a publisher onto the real topics."""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from shared.contracts import EventPayload
from shared.contracts.companies import CompanyProfile
from shared.contracts.proposals import ProposalDetails
from shared.envelope import Envelope
from shared.topics import Topics


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
