"""Typed app keys of the proposals service."""

from aiohttp import web

from services.proposals.repository import CityRepository, ProposalRepository

CITIES = web.AppKey("cities", CityRepository)
PROPOSALS = web.AppKey("proposals", ProposalRepository)
