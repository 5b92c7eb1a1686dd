"""Typed app keys of the notifications service."""

import asyncio

from aiohttp import web

from services.notifications.mailroom import Mailroom
from services.notifications.settings import NotificationSettings
from shared.clock import Clock

MAILROOM = web.AppKey("mailroom", Mailroom)
NOTIFICATION_SETTINGS = web.AppKey("notification_settings", NotificationSettings)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
INBOUND = web.AppKey("inbound_listener", asyncio.Server)
