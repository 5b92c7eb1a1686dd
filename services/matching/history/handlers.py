"""``jamp matching history import``: studies become their implementers' track record."""

from dataclasses import dataclass

from services.matching.history.repository import TrackRecord
from services.matching.index.rebuild import offline_platform, rescore_all
from services.matching.repository import MatchRepository, ReadModels
from services.matching.scoring.history import parse_studies
from services.matching.settings import MatchingSettings
from shared.clock import utc_now
from shared.platform import Trace, unit_of_work


@dataclass(frozen=True)
class Imported:
    studies: int
    companies: int
    proposals_rescored: int


async def import_history(settings: MatchingSettings, text: str, by: str) -> Imported:
    """Every row checked first (``HistoryInvalid`` before anything is written), the studies
    stored in one transaction, then every open list chosen again with the new record (the
    running replicas rebuild their index on the rebuild epoch this starts)."""
    studies = parse_studies(text)
    async with offline_platform(settings) as platform:
        database = platform.database
        trace = Trace(correlation_id=None, traceparent=None, actor=by)
        async with unit_of_work(platform, trace) as uow:
            await TrackRecord(database).put(studies, by, utc_now(), uow.session)
        rescored = await rescore_all(
            platform,
            ReadModels(database),
            MatchRepository(database),
            settings,
            reason="track record imported",
            actor=by,
        )
    companies = {company for study in studies for company in study.implementers}
    return Imported(len(studies), len(companies), rescored)
