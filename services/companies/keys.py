"""Typed app keys of the companies service."""

from aiohttp import web

from services.companies.repository import CompanyRepository

COMPANIES = web.AppKey("companies", CompanyRepository)
