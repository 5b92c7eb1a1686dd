"""HTTP views of the webhook subscriptions: parse, call one handler, shape the answer."""

from collections.abc import Awaitable, Callable
from functools import partial

from aiohttp import web

from services.inquiries.keys import DESK
from services.inquiries.routes import READERS
from services.inquiries.webhooks import handlers as webhooks
from services.inquiries.webhooks.model import (
    Deliveries,
    Delivery,
    NewSubscription,
    Subscribe,
    Subscription,
    Subscriptions,
    WebhookConflict,
    WebhookNotFound,
    WebhookRefused,
)
from shared.http.endpoints import ApiRoutes, principal_of, trace_of
from shared.http.problems import Conflict, NotFound, RefusedByPolicy

webhooks_api = ApiRoutes(
    "webhooks",
    errors={
        WebhookNotFound: NotFound,
        WebhookConflict: Conflict,
        WebhookRefused: RefusedByPolicy,
    },
)
ONE = "/webhooks/{subscription_id}"


def subscription_id_of(request: web.Request) -> str:
    return request.match_info["subscription_id"]


@webhooks_api.post(
    "/webhooks",
    summary="Be told of the inquiry events asked for, of the inquiries this key may see",
    access=READERS,
    body=Subscribe,
    response=NewSubscription,
    status=201,
)
async def subscribe(request: web.Request, body: Subscribe) -> NewSubscription:
    return await webhooks.subscribe(
        body, principal_of(request), desk=request.app[DESK], trace=trace_of(request)
    )


@webhooks_api.get(
    "/webhooks",
    summary="This key's webhook subscriptions (staff: all)",
    access=READERS,
    response=Subscriptions,
)
async def list_webhooks(request: web.Request) -> Subscriptions:
    caller = principal_of(request)
    owner = None if caller.is_staff else caller.name
    return Subscriptions(items=await request.app[DESK].webhooks.owned_by(owner))


@webhooks_api.delete(
    ONE,
    summary="Delete a subscription; its deliveries not sent yet are dropped",
    access=READERS,
    status=204,
    problems=(404,),
)
async def delete_webhook(request: web.Request) -> None:
    caller, trace = principal_of(request), trace_of(request)
    await webhooks.delete(subscription_id_of(request), caller, desk=request.app[DESK], trace=trace)


Toggle = Callable[..., Awaitable[Subscription]]


def _action(path: str, summary: str, response: type[Subscription], act: Toggle) -> None:
    """Register a body-less action on one subscription, named after its path."""

    async def view(request: web.Request) -> Subscription:
        return await act(
            subscription_id_of(request),
            principal_of(request),
            desk=request.app[DESK],
            trace=trace_of(request),
        )

    view.__name__ = f"{path.rsplit('/', 1)[-1].replace('-', '_')}_webhook"
    webhooks_api.post(
        f"{ONE}/{path}", summary=summary, access=READERS, response=response, problems=(404,)
    )(view)


_action(
    "pause",
    "Pause: deliveries are held until it resumes",
    Subscription,
    partial(webhooks.pause, paused=True),
)
_action(
    "resume",
    "Resume: the held deliveries go out, in order",
    Subscription,
    partial(webhooks.pause, paused=False),
)
_action(
    "rotate-secret",
    "A new signing secret, shown once; the old one also signs for the overlap",
    NewSubscription,
    webhooks.rotate_secret,
)


@webhooks_api.post(
    f"{ONE}/ping",
    summary="Send a signed test delivery now and answer how it went",
    access=READERS,
    response=Delivery,
    problems=(404,),
)
async def ping_webhook(request: web.Request) -> Delivery:
    caller, trace = principal_of(request), trace_of(request)
    return await webhooks.ping(
        subscription_id_of(request), caller, desk=request.app[DESK], trace=trace
    )


@webhooks_api.get(
    f"{ONE}/deliveries",
    summary="Deliveries of a subscription, newest first, with every attempt",
    access=READERS,
    response=Deliveries,
    problems=(404,),
)
async def webhook_deliveries(request: web.Request) -> Deliveries:
    caller = principal_of(request)
    return await webhooks.deliveries(subscription_id_of(request), caller, desk=request.app[DESK])


@webhooks_api.post(
    f"{ONE}/deliveries/{{delivery_id}}/redeliver",
    summary="Send a failed delivery again, with a full round of attempts",
    access=READERS,
    response=Delivery,
    status=202,
    problems=(404, 409),
)
async def redeliver_webhook(request: web.Request) -> Delivery:
    caller, trace, delivery_id = (
        principal_of(request),
        trace_of(request),
        request.match_info["delivery_id"],
    )
    return await webhooks.redeliver(
        subscription_id_of(request), delivery_id, caller, desk=request.app[DESK], trace=trace
    )
