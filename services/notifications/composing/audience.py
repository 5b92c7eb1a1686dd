"""Who hears what: each consumed event → the mails it asks for (template, recipient,
context). Reads the directory; writes only its own bookkeeping of matches and meetings.
Desk staff are people from the identity stream, and a queue's people and escalation
targets are the inquiries service's queue list (``jamp.inquiry_desk.queues_changed.v1``)."""

from collections.abc import Awaitable, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pymongo.asynchronous.client_session import AsyncClientSession

from services.notifications.composing.contacts import QUEUES
from services.notifications.model import Invite, PlannedMail, Recipient, language_of
from services.notifications.repository import Directory
from services.notifications.settings import NotificationSettings
from shared.auth import KeyReplica, Role, may_work
from shared.consumer import ConsumedEvent
from shared.contracts.identity import PersonUpdated
from shared.contracts.inquiries import (
    InquiryAssigned,
    InquiryReplied,
    InquirySlaBreached,
    InquirySlaWarning,
    InquiryTriaged,
    mailed_file_path,
)
from shared.contracts.matching import (
    MatchAccepted,
    MatchMessagePosted,
    MatchOffered,
    MatchResponded,
    MeetingCancelled,
    MeetingRescheduled,
    MeetingScheduled,
    is_online_room,
    meeting_uid,
)
from shared.contracts.proposals import ProposalStatusChanged
from shared.contracts.vocabulary import NATIONAL_LANGUAGES
from shared.mongo import Document
from shared.signed_links import link_key, signed_query

StaffEvent = InquiryTriaged | InquiryAssigned | InquirySlaWarning | InquirySlaBreached
"""What desk staff hear of: each names its inquiry."""
MeetingNews = MeetingScheduled | MeetingRescheduled | MeetingCancelled
JAPAN = "Asia/Tokyo"
DECISIONS = {"accepted": "採択", "rejected": "不採択"}


class Audience:
    def __init__(
        self, directory: Directory, settings: NotificationSettings, keys: KeyReplica
    ) -> None:
        self.directory, self.settings, self.keys = directory, settings, keys

    async def plan(self, event: ConsumedEvent) -> list[PlannedMail]:
        match event.payload:
            case InquiryReplied(side="desk") as replied:
                return await self._inquiry_replied(replied, event)
            case (
                InquiryTriaged() | InquiryAssigned() | InquirySlaWarning() | InquirySlaBreached()
            ) as staffed:
                return await self._inquiry_staff(staffed, event)
            case ProposalStatusChanged(to_status="accepted" | "rejected") as changed:
                return await self._proposal_decision(changed, event)
            case MatchOffered() | MatchAccepted() | MatchResponded() as matched:
                return await self._match(matched, event)
            case MatchMessagePosted() as posted:
                return await self._match_message(posted, event)
            case MeetingScheduled() | MeetingRescheduled() | MeetingCancelled() as meeting:
                return await self._meeting(meeting, event)
        return []

    async def _get(self, key: str, event: ConsumedEvent) -> Document:
        return await self.directory.get(key, event.session) or {}

    # inquiries -----------------------------------------------------------------------------

    async def _inquiry_replied(
        self, replied: InquiryReplied, event: ConsumedEvent
    ) -> list[PlannedMail]:
        inquiry = await self._get(f"inquiry:{replied.inquiry_id}", event)
        recipient = await self._requester(inquiry, event)
        if recipient is None:
            return []
        context = {**_inquiry_context(replied.inquiry_id, inquiry), "body": replied.body,
                   **self._file_links(replied, event.envelope.time)}  # fmt: skip
        return [_mail("inquiry_replied", "inquiries", recipient, context, replied.inquiry_id,
                      reply_to_inquiry=replied.inquiry_id)]  # fmt: skip

    def _file_links(self, replied: InquiryReplied, sent: datetime) -> dict[str, Any]:
        """The reply's files as signed download links: a requester reading mail may have no
        key of its own (an organisation's contact)."""
        until = sent + timedelta(days=self.settings.notifications_file_link_days)
        base, key = self.settings.inquiries_public_url.rstrip("/"), link_key(self.settings)
        files = []
        for attached in replied.attachments:
            path = mailed_file_path(replied.inquiry_id, attached.attachment_id)
            query = urlencode(signed_query(key, path, until))
            files.append({"name": attached.name, "size": readable_size(attached.size),
                          "url": f"{base}{path}?{query}"})  # fmt: skip
        return {"files": files, "files_until": _utc(until)}

    async def _requester(self, inquiry: Document, event: ConsumedEvent) -> Recipient | None:
        requester = inquiry.get("requester") or {}
        contact = requester.get("contact")
        if contact is None and requester.get("company_id"):
            contact = (await self._get(f"company:{requester['company_id']}", event)).get("contact")
        if contact is None and requester.get("city_id"):
            contact = (await self._get(f"city:{requester['city_id']}", event)).get("contact")
        if not contact or not contact.get("email"):
            return None
        language = language_of(inquiry.get("language"))
        return Recipient(address=contact["email"], name=contact.get("name", ""), language=language)

    async def _inquiry_staff(self, payload: StaffEvent, event: ConsumedEvent) -> list[PlannedMail]:
        inquiry_id = payload.inquiry_id
        inquiry = await self._get(f"inquiry:{inquiry_id}", event)
        context: dict[str, Any] = _inquiry_context(inquiry_id, inquiry)
        queues: dict[str, Document] = (await self._get(QUEUES, event)).get("queues", {})
        queue = queues.get(inquiry.get("queue") or "", {})
        deadline: datetime | None = None  # an SLA event's, shown in each recipient's time

        def working(people: Sequence[str | None]) -> Awaitable[list[str]]:
            return self._still_working(people, inquiry, event)

        if isinstance(payload, InquiryTriaged):
            members = await working(queues.get(payload.queue, {}).get("members") or [])
            people = members or await self._desk_of(inquiry, event)
            template = "inquiry_submitted"
        elif isinstance(payload, InquiryAssigned):
            people, template = await working([payload.officer]), "inquiry_assigned"
        else:
            context |= {"clock": payload.clock}
            deadline = payload.deadline
            people, template = await working([inquiry.get("officer")]), "inquiry_sla_warning"
            if isinstance(payload, InquirySlaBreached):
                template = "inquiry_sla_breached"
                people += await working(_escalation_targets(queue, queues))
            if not people:  # nobody (able to) holds it: whoever would pick it up hears instead
                people = await working(queue.get("members") or [])
                people = people or await self._desk_of(inquiry, event)
            if isinstance(payload, InquirySlaWarning) and not queue.get("notify_on_warning", True):
                people = []  # the queue's escalation settings keep warnings quiet
        recipients = await self._people(people, event)
        return [
            _mail(template, "inquiries", each, context | _deadline_for(each, deadline), inquiry_id)
            for each in recipients
        ]

    async def _still_working(
        self, people: Sequence[str | None], inquiry: Document, event: ConsumedEvent
    ) -> list[str]:
        """Those of the people who may still work the inquiry. A person whose last key for
        its desk was revoked has left it, as a deactivated agent does in a helpdesk: they
        hear nothing more of it, and whoever would pick it up hears instead. Only keys this
        replica knows count against a person: one whose keys have not arrived yet (they
        travel on another stream than the queue list) is told, as is an officer named by
        an e-mail address before people existed."""
        country = inquiry.get("country")
        return [each for each in filter(None, people)
                if await self._works(each, country, event.session)]  # fmt: skip

    async def _works(
        self, person_id: str, country: str | None, session: AsyncClientSession
    ) -> bool:
        grants = await self.keys.grants_of(person_id, session)
        if grants and (country is None or may_work(grants, country)):
            return True
        return not await self.keys.has_keys(person_id, session)

    async def _desk_of(self, inquiry: Document, event: ConsumedEvent) -> list[str]:
        """Who hears of a new inquiry in a queue nobody was put on, or of a deadline that
        nobody holds (as Zammad tells every agent with access to a group): the people whose
        keys hold the inquiry's country desk, and when that desk has no one, the operators.
        Nobody is left untold."""
        country, session = inquiry.get("country"), event.session
        desk = await self.keys.holders(Role.DESK, country, session) if country else []
        return [*(desk or await self.keys.holders(Role.OPERATOR, None, session))]

    async def _people(self, people: Sequence[str | None], event: ConsumedEvent) -> list[Recipient]:
        """Each person (an id on the identity stream) once, in their own language; an
        officer named by an e-mail address (before people existed) is mailed in English."""
        found: dict[str, Recipient] = {}
        for each in filter(None, people):
            person = await self._get(f"person:{each}", event)
            if person.get("email"):
                found.setdefault(person["email"].lower(), Recipient(
                    address=person["email"], name=person.get("name", ""),
                    language=language_of(person.get("language")),
                    time_zone=person.get("time_zone", "UTC"),
                ))  # fmt: skip
            elif "@" in each:
                found.setdefault(each.lower(), Recipient(address=each))
        return list(found.values())

    # proposals -----------------------------------------------------------------------------

    async def _proposal_decision(
        self, changed: ProposalStatusChanged, event: ConsumedEvent
    ) -> list[PlannedMail]:
        recipient = await self._proposal_contact(changed.proposal_id, event)
        if recipient is None:
            return []
        proposal = await self._get(f"proposal:{changed.proposal_id}", event)
        context = {
            "ref": _ref(changed.proposal_id), "title": proposal.get("title", ""),
            "decision": changed.to_status, "decision_ja": DECISIONS[changed.to_status],
            "reason": changed.reason,
        }  # fmt: skip
        return [_mail("proposal_decision", "proposals", recipient, context, changed.proposal_id)]

    async def _proposal_contact(self, proposal_id: str, event: ConsumedEvent) -> Recipient | None:
        proposal = await self._get(f"proposal:{proposal_id}", event)
        contact = proposal.get("contact")
        if not contact:
            return None
        city = await self._get(f"city:{proposal.get('city_id')}", event)
        zone = city.get("time_zone", "UTC")
        # The contact's own language, else the city's country's, where we have templates.
        country = proposal.get("country") or city.get("country") or ""
        language = language_of(contact.get("language") or NATIONAL_LANGUAGES.get(country))
        return Recipient(address=contact["email"], name=contact.get("name", ""),
                         language=language, time_zone=zone)  # fmt: skip

    async def _company_contact(self, company_id: str, event: ConsumedEvent) -> Recipient | None:
        company = await self._get(f"company:{company_id}", event)
        contact = company.get("contact")
        if not contact:
            return None
        language = "ja" if "ja" in company.get("languages", []) else "en"
        return Recipient(address=contact["email"], name=contact.get("name", ""),
                         language=language, time_zone=JAPAN)  # fmt: skip

    async def _sides(
        self, company_id: str, proposal_id: str, event: ConsumedEvent
    ) -> dict[str, Recipient]:
        sides = {
            "company": await self._company_contact(company_id, event),
            "city": await self._proposal_contact(proposal_id, event),
        }
        return {side: recipient for side, recipient in sides.items() if recipient is not None}

    async def _pair_context(
        self, company_id: str, proposal_id: str, event: ConsumedEvent
    ) -> dict[str, Any]:
        company = await self._get(f"company:{company_id}", event)
        proposal = await self._get(f"proposal:{proposal_id}", event)
        return {"company_name": company.get("name", company_id), "title": proposal.get("title", "")}

    # matches -------------------------------------------------------------------------------

    async def _match(
        self, payload: MatchOffered | MatchAccepted | MatchResponded, event: ConsumedEvent
    ) -> list[PlannedMail]:
        ids = payload.match if isinstance(payload, MatchOffered) else payload
        match_id, company_id, proposal_id = ids.match_id, ids.company_id, ids.proposal_id
        sides = await self._sides(company_id, proposal_id, event)
        context = {
            "ref": _ref(match_id),
            **await self._pair_context(company_id, proposal_id, event),
        }
        if isinstance(payload, MatchOffered):
            context["score"] = f"{payload.match.score:.2f}"
            return [
                _mail("match_proposed", "matches", each, context, match_id)
                for each in sides.values()
            ]
        if isinstance(payload, MatchAccepted):
            return [
                _mail("match_accepted", "matches", recipient, {
                    **context, "other_name": other.name, "other_email": other.address,
                }, match_id)
                for side, recipient in sides.items()
                for other_side, other in sides.items() if other_side != side
            ]  # fmt: skip
        other = "city" if payload.side == "company" else "company"
        key = f"match:{match_id}"
        answered = set((await self._get(key, event)).get("answered", [])) | {payload.side}
        await self.directory.put(key, {"answered": sorted(answered)}, event.session)
        if not payload.accepted or other not in sides or other in answered:
            return []  # declined, or both have answered: nobody is waited for
        expires = event.envelope.time + timedelta(days=self.settings.matching_response_days)
        notice = expires - timedelta(hours=self.settings.notifications_expiry_notice_hours)
        context |= {"expires_at": _utc(expires), "message": payload.message}
        due = max(notice, event.envelope.time)
        group = f"match-expiry:{match_id}"
        return [_mail("match_expiring", "matches", sides[other], context, match_id,
                      due_at=due, group=group)]  # fmt: skip

    async def _match_message(
        self, posted: MatchMessagePosted, event: ConsumedEvent
    ) -> list[PlannedMail]:
        """The other side hears of a message on the thread; both sides of one from staff."""
        sides = await self._sides(posted.company_id, posted.proposal_id, event)
        context = {
            "ref": _ref(posted.match_id),
            **await self._pair_context(posted.company_id, posted.proposal_id, event),
            "author": posted.side,
            "body": posted.body,
        }
        return [
            _mail("match_message", "matches", recipient, context, posted.match_id)
            for side, recipient in sides.items()
            if side != posted.side
        ]

    # meetings ------------------------------------------------------------------------------

    async def _meeting(self, payload: MeetingNews, event: ConsumedEvent) -> list[PlannedMail]:
        key = f"meeting:{payload.meeting_id}"
        known = await self._get(key, event)
        revision = meeting_revision(payload, known)
        if revision is None:
            return []
        await self.directory.put(key, revision, event.session)
        current = {**known, **revision}
        if "start" not in current:
            return []  # a cancellation overtook its invitation: nobody was invited yet
        start, end, table = current["start"], current["end"], current["table"]
        sequence = current["sequence"]
        sides = await self._sides(payload.company_id, payload.proposal_id, event)
        base = await self._pair_context(payload.company_id, payload.proposal_id, event)
        online = is_online_room(table)
        base |= {"ref": _ref(payload.meeting_id), "location": "Online" if online else table,
                 "url": table if online else None, "change": _change(known, current)}  # fmt: skip
        cancel = isinstance(payload, MeetingCancelled)
        base["reason"] = None if isinstance(payload, MeetingScheduled) else payload.reason
        invite = Invite(
            method="CANCEL" if cancel else "REQUEST",
            uid=meeting_uid(payload.meeting_id),
            sequence=sequence, start=start, end=end,
            summary=f"{base['company_name']} \u00d7 {base['title']}",
            location=base["location"], url=base["url"],
            description=_times_description(start, end, list(sides.values())),
            attendees=list(sides.values()),
        )  # fmt: skip
        mails = []
        for recipient in sides.values():
            context = {**base, **_local_times(start, end, recipient, list(sides.values()))}
            template = "meeting_cancelled" if cancel else "meeting_invitation"
            mails.append(_mail(template, "meetings", recipient, context, payload.meeting_id,
                               invite=invite))  # fmt: skip
            reminder_at = start - timedelta(hours=self.settings.notifications_reminder_hours)
            if not cancel and reminder_at > event.envelope.time:
                mails.append(_mail("meeting_reminder", "meetings", recipient, context,
                                   payload.meeting_id, due_at=reminder_at,
                                   group=f"meeting-reminder:{payload.meeting_id}"))  # fmt: skip
        return mails


def address_changed(person: PersonUpdated, old: str) -> list[PlannedMail]:
    """Account mail to the old and the new address of a person whose address changed (the
    old one hears of it, as mail services tell of a changed address; it cannot be turned
    off)."""
    context = {
        "ref": _ref(person.person_id), "old_email": old, "new_email": person.email,
        "changed_by": person.by_person.name, "changed_at": _utc(person.updated_at),
    }  # fmt: skip
    language = language_of(person.language)
    return [
        _mail("account_changed", "account", Recipient(address=address, name=person.name,
              language=language, time_zone=person.time_zone), context, person.person_id)
        for address in (old, person.email or old)
    ]  # fmt: skip


def _mail(template: str, category: Any, recipient: Recipient, context: dict[str, Any],
          thread: str, **extra: Any) -> PlannedMail:  # fmt: skip
    return PlannedMail(template=template, category=category, recipient=recipient,
                       context={**context, "recipient_name": recipient.name}, thread=thread,
                       **extra)  # fmt: skip


def meeting_revision(payload: MeetingNews, known: Document) -> Document | None:
    """What the directory keeps of the meeting after this event, or None when the event
    tells nothing new. The matching service numbers its revisions (``sequence``): one at or
    below the last seen is a replay or was overtaken (a cancellation is published under the
    meeting's key, the scheduling under the match's). Events from before revisions were
    numbered are counted here, and a scheduling that moves nothing is not news."""
    last = known.get("sequence")
    if payload.sequence is not None and last is not None and payload.sequence <= last:
        return None
    sequence = (
        payload.sequence if payload.sequence is not None else int(-1 if last is None else last) + 1
    )
    if isinstance(payload, MeetingCancelled):
        return {"sequence": sequence, "cancelled": True}
    start, end, table = payload.slot.start, payload.slot.end, payload.table
    stored = (known.get("start"), known.get("end"), known.get("table"))
    if payload.sequence is None and stored == (_ms(start), _ms(end), table):
        return None  # the same meeting again: nothing moved
    return {"start": start, "end": end, "table": table, "sequence": sequence}


def _change(known: Document, current: Document) -> str | None:
    """What an update changed, for its wording: "time" (perhaps the place too) or "place"
    only; None for the first invitation."""
    if "start" not in known:
        return None
    moved = (known["start"], known["end"]) != (_ms(current["start"]), _ms(current["end"]))
    return "time" if moved else "place"


def readable_size(octets: int) -> str:
    """A file's size as people read it: 980 bytes, 14 KB, 2.3 MB."""
    if octets < 1000:
        return f"{octets} bytes"
    kilobytes = round(octets / 1000)
    if kilobytes < 1000:  # 999,999 bytes is "1.0 MB", not "1000 KB"
        return f"{kilobytes} KB"
    return f"{octets / 1_000_000:.1f} MB"


def _escalation_targets(queue: Document, queues: dict[str, Document]) -> list[str]:
    """Whom a breach escalates to: the queue's supervisor and the escalation queue's people."""
    targets = [queue["supervisor"]] if queue.get("supervisor") else []
    if queue.get("escalate_to"):
        targets += queues.get(queue["escalate_to"], {}).get("members", [])
    return targets


def _inquiry_context(inquiry_id: str, inquiry: Document) -> dict[str, Any]:
    fields = ("subject", "country", "category", "priority", "queue")
    return {"ref": _ref(inquiry_id), **{name: inquiry.get(name, "") for name in fields}}


def _ref(aggregate_id: str) -> str:
    """A short reference for subject lines: sortable and quotable on the phone."""
    return f"#{aggregate_id[-6:]}"


def _ms(moment: datetime) -> datetime:
    """As MongoDB keeps it: milliseconds."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _deadline_for(recipient: Recipient, deadline: datetime | None) -> dict[str, str]:
    """An SLA deadline in the recipient's own time, as their meetings are, with UTC beside
    it for a desk whose people sit in several zones."""
    if deadline is None:
        return {}
    if recipient.time_zone == "UTC":
        return {"deadline": _utc(deadline)}
    local = deadline.astimezone(_zone(recipient.time_zone)).strftime("%Y-%m-%d %H:%M")
    return {"deadline": f"{local} {recipient.time_zone} ({_utc(deadline)})"}


def _utc(moment: datetime) -> str:
    return moment.astimezone(_zone("UTC")).strftime("%Y-%m-%d %H:%M UTC")


def _local_times(start: datetime, end: datetime, recipient: Recipient,
                 everyone: list[Recipient]) -> dict[str, Any]:  # fmt: skip
    zone = _zone(recipient.time_zone)
    others = sorted({each.time_zone for each in everyone} - {recipient.time_zone} | {"UTC"})
    return {
        "start_local": start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "end_local": end.astimezone(zone).strftime("%H:%M"),
        "time_zone": recipient.time_zone,
        "other_times": [
            f"{start.astimezone(_zone(other)).strftime('%Y-%m-%d %H:%M')} ({other})"
            for other in others if other != recipient.time_zone
        ],
    }  # fmt: skip


def _times_description(start: datetime, end: datetime, everyone: list[Recipient]) -> str:
    zones = sorted({each.time_zone for each in everyone} | {"UTC"})
    lines = [
        f"{zone}: {start.astimezone(_zone(zone)).strftime('%Y-%m-%d %H:%M')}"
        f"-{end.astimezone(_zone(zone)).strftime('%H:%M')}"
        for zone in zones
    ]
    return "\n".join(lines)
