"""Typed app keys of the matching service."""

from aiohttp import web
from prometheus_client import Histogram

from services.matching.conversation.repository import MessageRepository
from services.matching.index.matchmaker import Matchmaker
from services.matching.reporting.repository import FunnelSource
from services.matching.repository import IndexClock, MatchRepository, ReadModels
from services.matching.sessions.repository import SessionRepository
from services.matching.settings import MatchingSettings

MATCHING_SETTINGS = web.AppKey("matching_settings", MatchingSettings)
READ_MODELS = web.AppKey("read_models", ReadModels)
MATCHES = web.AppKey("matches", MatchRepository)
SESSIONS = web.AppKey("sessions", SessionRepository)
MATCHMAKER = web.AppKey("matchmaker", Matchmaker)
CLOCK = web.AppKey("index_clock", IndexClock)
MESSAGES = web.AppKey("messages", MessageRepository)
FUNNEL = web.AppKey("funnel", FunnelSource)
EVENT_SECONDS = web.AppKey("event_seconds", Histogram)
