"""``jamp outbox replay``: move relay cursors back over retained outbox rows."""

from datetime import UTC, datetime

from shared.mongo import create_client
from shared.outbox import replay_since
from shared.settings import ServiceSettings


async def replay(
    settings: ServiceSettings, since: datetime, until: datetime | None, owners: list[str]
) -> dict[str, int]:
    client = create_client(settings.mongodb_uri)
    try:
        return {
            owner: await replay_since(
                client[settings.database_name(owner)]["outbox"],
                _utc(since),
                until and _utc(until),
            )
            for owner in owners
        }
    finally:
        await client.close()


def _utc(moment: datetime) -> datetime:
    """A time without a zone is taken as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
