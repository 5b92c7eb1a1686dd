"""Who can be mailed, kept from the streams: each event's contact details into the directory.

Keys: ``company:<id>`` (contact, languages), ``proposal:<id>`` (title, city, contact),
``city:<id>`` (name, time zone, the latest proposal contact), ``inquiry:<id>`` (subject,
queue, officer, requester and the contact it gave), ``person:<id>`` (a person's name,
e-mail, language, time zone, from the identity stream, as registered and as last changed),
``queues`` (each queue's members, supervisor and escalation queue, as the inquiries service
last published them, with its version). Runs in the consumer's transaction, but for a
company's events: they only set its contacts (see ``consumers.on_company``).
"""

from collections.abc import Sequence
from typing import Any

from services.notifications.repository import Directory
from shared.consumer import ConsumedEvent
from shared.contracts.companies import CompanyRegistered, CompanyUpdated
from shared.contracts.identity import PersonRegistered, PersonUpdated
from shared.contracts.inquiries import (
    InquiryAssigned,
    InquiryEscalated,
    InquirySubmitted,
    InquiryTriaged,
    QueuesChanged,
)
from shared.contracts.proposals import (
    CityAdded,
    ProposalDetails,
    ProposalDrafted,
    ProposalSubmitted,
    ProposalUpdated,
)

QUEUES = "queues"


async def project(event: ConsumedEvent, directory: Directory) -> None:
    payload, session = event.payload, event.session
    if isinstance(payload, QueuesChanged):
        queues = {queue.name: queue.model_dump(exclude={"name"}) for queue in payload.queues}
        await directory.put_newer(QUEUES, {"queues": queues}, payload.version, session)
    for key, fields in _changes(payload):
        await directory.put(key, fields, session)


async def project_all(events: Sequence[ConsumedEvent], directory: Directory) -> None:
    """``project`` of each event that only changes contacts (no queues), in one write."""
    changes = [change for event in events for change in _changes(event.payload)]
    await directory.put_all(changes, events[0].session)


def _changes(payload: object) -> list[tuple[str, dict[str, Any]]]:
    match payload:
        case CompanyRegistered(company=company):
            return [(f"company:{company.company_id}", {
                "name": company.name_en, "name_ja": company.name_ja,
                "contact": company.contact.model_dump(), "languages": company.languages,
            })]  # fmt: skip
        case CompanyUpdated(company_id=company_id, changes=changes):
            kept: dict[str, Any] = {k: changes[k] for k in ("contact", "languages") if k in changes}
            if "name_en" in changes:
                kept["name"] = changes["name_en"]
            return [(f"company:{company_id}", kept)] if kept else []
        case ProposalDrafted(proposal=proposal) | ProposalSubmitted(proposal=proposal):
            return _proposal(proposal)
        case ProposalUpdated(proposal_id=proposal_id, changes=changes):
            edited: dict[str, Any] = {k: changes[k] for k in ("title", "contact") if k in changes}
            return [(f"proposal:{proposal_id}", edited)] if edited else []
        case CityAdded(city=city):
            fields = {"name": city.name, "time_zone": city.time_zone, "country": city.country}
            return [(f"city:{city.city_id}", fields)]
        case InquirySubmitted(inquiry=inquiry):
            requester = inquiry.requester
            return [(f"inquiry:{inquiry.inquiry_id}", {
                "subject": inquiry.subject, "country": inquiry.country,
                "category": inquiry.category, "priority": inquiry.priority,
                "language": inquiry.language, "requester": requester.model_dump(),
            })]  # fmt: skip
        case InquiryTriaged(inquiry_id=inquiry_id, queue=queue):
            return [(f"inquiry:{inquiry_id}", {"queue": queue})]
        case InquiryAssigned(inquiry_id=inquiry_id, queue=queue, officer=officer):
            return [(f"inquiry:{inquiry_id}", {"queue": queue, "officer": officer})]
        case InquiryEscalated(inquiry_id=inquiry_id, to_queue=queue, officer=officer):
            return [(f"inquiry:{inquiry_id}", {"queue": queue, "officer": officer})]
        case PersonRegistered(person_id=person_id) | PersonUpdated(person_id=person_id):
            # An update carries the details as they now are: mail follows the new address
            # and language from the next event on.
            fields = payload.model_dump(include={"name", "email", "language", "time_zone"})
            return [(f"person:{person_id}", fields)]
    return []


def _proposal(proposal: ProposalDetails) -> list[tuple[str, dict[str, Any]]]:
    contact = proposal.contact.model_dump()
    return [
        (f"proposal:{proposal.proposal_id}", {
            "title": proposal.title, "city_id": proposal.city_id, "country": proposal.country,
            "contact": contact,
        }),
        (f"city:{proposal.city_id}", {"contact": contact}),
    ]  # fmt: skip
