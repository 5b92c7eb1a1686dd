"""Ending the open transaction of a consumer that died, so its successor need not wait.

A process killed mid-transaction leaves the transaction open on the server until its
lifetime runs out (60 s on MongoDB and SecantusDB): meanwhile every write of the successor
to the same documents (the event's processed marker first of all) fails with a write
conflict. Each consumer therefore runs its transactions in one session whose id it
records, with a heartbeat it refreshes every ``stale_after / 5`` while it uses the
session (an idle member withdraws its record: it holds no transaction, and an idle desk
writes nothing; its next transaction claims again). A member silent for
``stale_after`` (the Kafka session timeout: by then the broker has expelled it from the
group too) is dead: the others kill its recorded session when they claim theirs (at
start and after every assignment) and at each of their own heartbeats. A live member's
session is never killed, so a claim costs nobody a transaction in hand.

The heartbeat is a timestamp in MongoDB rather than the broker's view of the group: it
works on every broker (the embedded one cannot tell a group's members reliably) and it
is about the very thing that matters, the process holding the session. Hosts' clocks
must agree to well within ``stale_after``.
"""

import os
import socket
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import OperationFailure

from shared.clock import utc_now
from shared.logs import get_logger
from shared.mongo import Document, MongoClient

log = get_logger(__name__)


class SessionRegistry:
    """The sessions the members of one consumer group run their transactions in."""

    def __init__(
        self,
        mongo: MongoClient,
        collection: AsyncCollection[Document],
        group: str,
        *,
        stale_after: timedelta,
    ) -> None:
        self.mongo, self.collection, self.group = mongo, collection, group
        self.stale_after = stale_after
        self.member = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._lsid: Mapping[str, Any] | None = None

    @property
    def beat_seconds(self) -> float:
        """How often a member refreshes its heartbeat: five chances before it counts as gone."""
        return self.stale_after.total_seconds() / 5

    async def claim(self, session: AsyncClientSession) -> None:
        """Record ``session`` as ours, then end the sessions of members that are gone."""
        self._lsid = session.session_id
        await self.beat()

    async def beat(self) -> None:
        """Say we are alive (once we have a session) and kill the sessions of the dead."""
        now = utc_now()
        if self._lsid is not None:
            await self.collection.replace_one(
                {"_id": self.member},
                {"group": self.group, "lsid": self._lsid, "alive_at": now},
                upsert=True,
            )
        await self._kill_dead(now)

    async def end_dead(self) -> None:
        """Kill the sessions of members gone silent, without beating (a read unless some)."""
        await self._kill_dead(utc_now())

    async def _kill_dead(self, now: datetime) -> None:
        # Records without a heartbeat were written before heartbeats existed: gone too.
        silent = {
            "group": self.group,
            "_id": {"$ne": self.member},
            "$or": [{"alive_at": {"$lt": now - self.stale_after}}, {"alive_at": None}],
        }
        dead = await self.collection.find(silent).to_list()
        if not dead:
            return
        try:
            await self.mongo.admin.command({"killSessions": [record["lsid"] for record in dead]})
        except OperationFailure as error:  # e.g. not permitted: they time out instead
            log.warning("consumer.kill_sessions_failed", error=repr(error))
        # Only the records just read: a member that beat meanwhile has rewritten its own.
        await self.collection.delete_many(
            {"$and": [{"_id": {"$in": [record["_id"] for record in dead]}}, silent]}
        )
        log.info("consumer.stale_sessions_killed", group=self.group, count=len(dead))

    async def release(self) -> None:
        """On a clean stop: nobody needs to kill our session."""
        self._lsid = None
        await self.collection.delete_one({"_id": self.member})
