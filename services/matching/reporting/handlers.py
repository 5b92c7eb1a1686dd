"""The report's use case: read the period's journeys, count them."""

from datetime import datetime

from services.matching.reporting.funnel import MatchingReport, ReportQuery, build_report
from services.matching.reporting.repository import FunnelSource


async def matching_report(
    query: ReportQuery, source: FunnelSource, now: datetime
) -> MatchingReport:
    journeys = await source.journeys(query.start, query.end, now)
    return build_report(journeys, query, now)
