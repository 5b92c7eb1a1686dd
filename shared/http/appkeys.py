"""Typed application and request keys of the shared HTTP layer."""

import asyncio

from aiohttp import web

from shared.auth import KeyReplica, Principal
from shared.http.health import ReadinessCheck
from shared.http.ratelimit import RateLimiter
from shared.metrics import ServiceMetrics
from shared.settings import ServiceSettings

SETTINGS = web.AppKey("settings", ServiceSettings)
SERVICE_NAME = web.AppKey("service_name", str)
KEYS = web.AppKey("key_replica", KeyReplica)
METRICS = web.AppKey("metrics", ServiceMetrics)
READINESS_CHECKS = web.AppKey("readiness_checks", list[ReadinessCheck])
RATE_LIMITER = web.AppKey("public_rate_limiter", RateLimiter)
DRAINING = web.AppKey("draining", asyncio.Event)
"""Set when the process is shutting down: not ready, connections close after answering."""

PRINCIPAL = web.RequestKey("principal", Principal)
REQUEST_ID = web.RequestKey("request_id", str)
CORRELATION_ID = web.RequestKey("correlation_id", str)
TRACEPARENT = web.RequestKey("traceparent", str)
