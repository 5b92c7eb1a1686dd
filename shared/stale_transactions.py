"""Ending the open transaction of a consumer that was killed, so its successor need not wait.

A process killed mid-transaction leaves the transaction open on the server until its
lifetime runs out (60 s on MongoDB and SecantusDB): meanwhile every write of the successor
to the same documents (the event's processed marker first of all) fails with a write
conflict. Each consumer therefore runs its transactions in one session whose id it
records; a consumer that starts kills the recorded sessions of the other members of its
group. A live member whose session is killed this way loses only its transaction in hand,
which fails with a transient error and is retried, so killing too much costs one retry.
"""

import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import OperationFailure

from shared.logs import get_logger
from shared.mongo import Document, MongoClient

log = get_logger(__name__)
# Records of processes long gone are forgotten after this; killing them is moot by then.
FORGET_AFTER = timedelta(days=1)


class SessionRegistry:
    """The sessions the members of one consumer group run their transactions in."""

    def __init__(self, mongo: MongoClient, collection: AsyncCollection[Document], group: str):
        self.mongo, self.collection, self.group = mongo, collection, group
        self.member = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    async def claim(self, session: AsyncClientSession) -> None:
        """Kill the other members' recorded sessions, then record ours."""
        now = datetime.now(UTC)
        others = await self.collection.find(
            {"group": self.group, "_id": {"$ne": self.member}}
        ).to_list()
        lsids = [record["lsid"] for record in others]
        if lsids:
            try:
                await self.mongo.admin.command({"killSessions": lsids})
            except OperationFailure as error:  # e.g. not permitted: they time out instead
                log.warning("consumer.kill_sessions_failed", error=repr(error))
            log.info("consumer.stale_sessions_killed", group=self.group, count=len(lsids))
        await self.collection.delete_many(
            {"group": self.group, "recorded_at": {"$lt": now - FORGET_AFTER}}
        )
        await self.collection.replace_one(
            {"_id": self.member},
            {"group": self.group, "lsid": session.session_id, "recorded_at": now},
            upsert=True,
        )

    async def release(self) -> None:
        """On a clean stop: nobody needs to kill our session."""
        await self.collection.delete_one({"_id": self.member})
