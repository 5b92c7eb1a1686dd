"""Typed app keys of the monitor."""

from aiohttp import web

from services.monitor.alerts.repository import AlertStore, ThresholdStore
from services.monitor.console.sessions import ConsoleKeys, SessionStore
from services.monitor.events.repository import EventIndex
from services.monitor.health.targets import HealthProbe
from services.monitor.letters.replayer import Replayer
from services.monitor.letters.repository import DeadLetterStore
from services.monitor.operators.repository import AuditLog
from services.monitor.settings import MonitorSettings
from services.monitor.streams.inspector import StreamInspector
from services.monitor.streams.tail import ConsumedEnds, TailHub

MONITOR_SETTINGS = web.AppKey("monitor_settings", MonitorSettings)
INDEX = web.AppKey("event_index", EventIndex)
LETTERS = web.AppKey("dead_letters", DeadLetterStore)
AUDIT = web.AppKey("audit_log", AuditLog)
THRESHOLDS = web.AppKey("thresholds", ThresholdStore)
ALERTS = web.AppKey("alerts", AlertStore)
SESSIONS = web.AppKey("sessions", SessionStore)
CONSOLE_KEYS = web.AppKey("console_keys", ConsoleKeys)
"""The same replica as ``KEYS`` (which every route authenticates with), typed as what
login needs: a key, never a session's token."""
HUB = web.AppKey("tail_hub", TailHub)
CONSUMED = web.AppKey("consumed_ends", ConsumedEnds)
INSPECTOR = web.AppKey("stream_inspector", StreamInspector)
REPLAYER = web.AppKey("replayer", Replayer)
HEALTH = web.AppKey("health_probe", HealthProbe)
