"""Typed app keys of the monitor."""

from aiohttp import web

from services.monitor.inspector import StreamInspector
from services.monitor.ledgers import AlertStore, AuditLog, ThresholdStore
from services.monitor.replayer import Replayer
from services.monitor.repository import DeadLetterStore, EventIndex
from services.monitor.sessions import SessionStore
from services.monitor.settings import MonitorSettings
from services.monitor.tail import ConsumedEnds, TailHub
from services.monitor.targets import HealthProbe

MONITOR_SETTINGS = web.AppKey("monitor_settings", MonitorSettings)
INDEX = web.AppKey("event_index", EventIndex)
LETTERS = web.AppKey("dead_letters", DeadLetterStore)
AUDIT = web.AppKey("audit_log", AuditLog)
THRESHOLDS = web.AppKey("thresholds", ThresholdStore)
ALERTS = web.AppKey("alerts", AlertStore)
SESSIONS = web.AppKey("sessions", SessionStore)
HUB = web.AppKey("tail_hub", TailHub)
CONSUMED = web.AppKey("consumed_ends", ConsumedEnds)
INSPECTOR = web.AppKey("stream_inspector", StreamInspector)
REPLAYER = web.AppKey("replayer", Replayer)
HEALTH = web.AppKey("health_probe", HealthProbe)
