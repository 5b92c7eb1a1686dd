"""What every HTTP view of the monitor shares: who may call, how domain errors map to
problems, what the caller may read, and whose action a change records. Each capability's
views live in its own routes module (events/, streams/, letters/, alerts/, ...)."""

from aiohttp import web

from services.monitor.alerts.handlers import ThresholdNotSet
from services.monitor.events.handlers import EventNotFound
from services.monitor.letters.handlers import DeadLetterNotFound, LetterNotPending, ReplayRefused
from services.monitor.masking import M, may_look_up, shown_to
from services.monitor.streams.inspector import BrokerUnanswered
from shared.auth import Role, allow
from shared.http.endpoints import ErrorMap, principal_of
from shared.http.problems import Conflict, NotFound, ServiceUnavailable

ERRORS: ErrorMap = {
    EventNotFound: NotFound,
    DeadLetterNotFound: NotFound,
    LetterNotPending: Conflict,
    ReplayRefused: Conflict,
    BrokerUnanswered: ServiceUnavailable,
    ThresholdNotSet: NotFound,
}
STAFF = allow(Role.OPERATOR, Role.ADMIN)
# The published API keeps its grouping: the tags name the documentation's sections.
READ_TAG = "monitor"
OPERATOR_TAG = "dead letters and alerts"


def shown(request: web.Request, item: M) -> M:
    """Contact details only for admins."""
    return shown_to(principal_of(request), item)


def looks_up(request: web.Request, *values: str | None) -> bool:
    """Finding records by contact details only for admins."""
    return may_look_up(principal_of(request), *values)
