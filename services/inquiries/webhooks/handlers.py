"""Use cases of the webhook subscriptions. Each change is made by the subscription's owner
or staff, in one transaction with its audit entry and event (``webhooks`` in the desk's
configuration history); a secret never reaches either."""

import secrets
from datetime import timedelta

from pydantic import BaseModel

from services.inquiries.administration.configuration import audit
from services.inquiries.desk import Desk
from services.inquiries.scope import Visibility
from services.inquiries.webhooks.dispatch import send
from services.inquiries.webhooks.model import (
    DESK_ONLY_EVENTS,
    Deliveries,
    Delivery,
    DeliveryStatus,
    NewSubscription,
    Ping,
    Subscribe,
    Subscription,
    WebhookConflict,
    WebhookNotFound,
    WebhookRefused,
)
from services.inquiries.webhooks.repository import delivery_of, ping_row, subscription_of
from shared.auth import Principal
from shared.clock import utc_now
from shared.envelope import Envelope
from shared.http.problems import Forbidden
from shared.mongo import Document, new_id
from shared.outbound import OutboundClient, OutboundRefused
from shared.platform import Trace, UnitOfWork, unit_of_work


class DeliveryState(BaseModel):
    """What the audit records of a delivery sent (again) on request."""

    delivery_id: str
    event_type: str
    status: DeliveryStatus


async def subscribe(
    command: Subscribe, caller: Principal, *, desk: Desk, trace: Trace
) -> NewSubscription:
    """Refuse at once a URL the policy would refuse at delivery (a private address, say);
    each delivery checks again, since what a name resolves to can change."""
    visibility = Visibility.of(caller)
    _within_scope(command, visibility)
    url = str(command.url)
    try:
        await desk.outbound.check_target(url)
    except OutboundRefused as refused:
        raise WebhookRefused(refused.detail, field="body.url") from None
    subscription = NewSubscription(
        subscription_id=new_id(),
        owner=caller.name,
        url=url,
        country=visibility.country or command.country,
        company_id=visibility.company_id,
        city_id=visibility.city_id,
        created_at=desk.clock(),
        events=command.events,
        secret=secrets.token_urlsafe(32),
    )
    async with unit_of_work(desk.platform, trace) as uow:
        await desk.webhooks.add(subscription, uow.session)
        await _audit(desk, uow, subscription.subscription_id, None, _shown(subscription))
    return subscription


def _within_scope(command: Subscribe, visibility: Visibility) -> None:
    """A desk hears only its country, the requester side never the desk's SLA clocks: a
    subscription asking for more is refused by the field, not quietly narrowed."""
    if visibility.country is not None and command.country not in (None, visibility.country):
        raise Forbidden(
            f"a desk:{visibility.country} key subscribes only to {visibility.country} inquiries",
            field="body.country",
        )
    if visibility.is_requester and (internal := DESK_ONLY_EVENTS & set(command.events)):
        raise Forbidden(
            f"{', '.join(sorted(internal))}: the desk's own SLA events, for desk keys only",
            field="body.events",
        )


async def deliveries(subscription_id: str, caller: Principal, *, desk: Desk) -> Deliveries:
    await _owned(subscription_id, caller, desk=desk)
    return Deliveries(items=await desk.webhooks.deliveries_of(subscription_id))


async def delete(subscription_id: str, caller: Principal, *, desk: Desk, trace: Trace) -> None:
    async with unit_of_work(desk.platform, trace) as uow:
        document = await _owned(subscription_id, caller, desk=desk, uow=uow)
        await desk.webhooks.remove(subscription_id, uow.session)
        await _audit(desk, uow, subscription_id, subscription_of(document), None)


async def pause(
    subscription_id: str, caller: Principal, *, paused: bool, desk: Desk, trace: Trace
) -> Subscription:
    """Pause (deliveries are held, new ones too) or resume (the held ones go out, in
    order); asking for the state it is in changes nothing."""
    async with unit_of_work(desk.platform, trace) as uow:
        before = subscription_of(await _owned(subscription_id, caller, desk=desk, uow=uow))
        if before.paused == paused:
            return before
        await desk.webhooks.change(subscription_id, {"paused": paused}, uow.session)
        await desk.webhooks.hold(subscription_id, paused, uow.session)
        after = before.model_copy(update={"paused": paused})
        await _audit(desk, uow, subscription_id, before, after)
    return after


async def rotate_secret(
    subscription_id: str, caller: Principal, *, desk: Desk, trace: Trace
) -> NewSubscription:
    """A new secret, shown once; the old one keeps signing (beside it) for the overlap.
    Real time, not the desk's clock: the dispatcher signs by the time deliveries leave."""
    now, secret = utc_now(), secrets.token_urlsafe(32)
    overlap = timedelta(seconds=desk.settings.webhook_secret_overlap_seconds)
    async with unit_of_work(desk.platform, trace) as uow:
        document = await _owned(subscription_id, caller, desk=desk, uow=uow)
        changes = {
            "secret": secret,
            "secret_rotated_at": now,
            "previous_secret": document["secret"] if overlap else None,
            "previous_secret_valid_until": now + overlap if overlap else None,
        }
        await desk.webhooks.change(subscription_id, changes, uow.session)
        after = subscription_of({**document, **changes})
        await _audit(desk, uow, subscription_id, subscription_of(document), after)
    return NewSubscription(**after.model_dump(), secret=secret)


async def ping(subscription_id: str, caller: Principal, *, desk: Desk, trace: Trace) -> Delivery:
    """Send a test delivery now (through the outbound policy, signed like any) and answer
    how it went; it is recorded with the others, and a failed one may be sent again."""
    subscription = await _owned(subscription_id, caller, desk=desk)
    envelope = Envelope.wrap(
        Ping(subscription_id=subscription_id, by=trace.actor),
        source="inquiries",
        subject=subscription_id,
        correlation_id=trace.correlation_id,
        traceparent=trace.traceparent,
    )
    row = ping_row(subscription, envelope, utc_now())
    client = OutboundClient(desk.outbound, desk.settings.webhook_timeout_seconds)
    try:
        attempt = await send(client, row, subscription)
    finally:
        await client.close()
    status: DeliveryStatus = "delivered" if attempt.outcome == "delivered" else "failed"
    row |= {"status": status, "attempts": [attempt.model_dump()], "tries": 1}
    row["next_attempt_at"] = None
    async with unit_of_work(desk.platform, trace) as uow:
        await desk.webhooks.add_delivery(row, uow.session)
        await _audit(desk, uow, subscription_id, None, _state(row))
    return delivery_of(row)


async def redeliver(
    subscription_id: str, delivery_id: str, caller: Principal, *, desk: Desk, trace: Trace
) -> Delivery:
    """A failed delivery goes out again with a full round of attempts (held if paused)."""
    async with unit_of_work(desk.platform, trace) as uow:
        subscription = await _owned(subscription_id, caller, desk=desk, uow=uow)
        found = await desk.webhooks.delivery(subscription_id, delivery_id, uow.session)
        if found is None:
            raise WebhookNotFound(f"no delivery {delivery_id} of webhook {subscription_id}")
        status: DeliveryStatus = "paused" if subscription.get("paused") else "pending"
        now = utc_now()  # the dispatcher's time, as for every attempt
        if not await desk.webhooks.redeliver(delivery_id, status, now, uow.session):
            raise WebhookConflict(
                f"delivery {delivery_id} is {found['status']}; only a failed one is sent again",
                current_status=found["status"],
            )
        again = {**found, "status": status, "next_attempt_at": now}
        await _audit(desk, uow, subscription_id, _state(found), _state(again))
    return delivery_of(again)


async def _owned(
    subscription_id: str, caller: Principal, *, desk: Desk, uow: UnitOfWork | None = None
) -> Document:
    """The subscription, if the caller owns it or is staff; others get the 404 of one
    that does not exist."""
    session = None if uow is None else uow.session
    subscription = await desk.webhooks.get(subscription_id, session)
    if subscription is None or not (caller.is_staff or subscription["owner"] == caller.name):
        raise WebhookNotFound(f"no webhook subscription {subscription_id}")
    return subscription


async def _audit(
    desk: Desk,
    uow: UnitOfWork,
    subscription_id: str,
    before: BaseModel | None,
    after: BaseModel | None,
) -> None:
    await audit(desk, uow, "webhooks", subscription_id, before, after)


def _shown(subscription: NewSubscription) -> Subscription:
    return Subscription.model_validate(subscription.model_dump(exclude={"secret"}))


def _state(delivery: Document) -> DeliveryState:
    return DeliveryState(
        delivery_id=delivery["_id"], event_type=delivery["event_type"], status=delivery["status"]
    )
