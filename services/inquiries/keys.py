"""Typed app keys of the inquiries service."""

from aiohttp import web

from services.inquiries.desk import Desk
from services.inquiries.settings import InquirySettings
from shared.clock import Clock
from shared.documents import DocumentStore

DESK = web.AppKey("desk", Desk)
INQUIRY_SETTINGS = web.AppKey("inquiry_settings", InquirySettings)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
ATTACHMENTS = web.AppKey("attachments", DocumentStore)
