"""Typed app keys of the proposals service."""

from aiohttp import web

from services.proposals.repository import CityRepository, ProposalRepository
from shared.documents import DocumentStore

CITIES = web.AppKey("cities", CityRepository)
PROPOSALS = web.AppKey("proposals", ProposalRepository)
ATTACHMENTS = web.AppKey("attachments", DocumentStore)
