"""Outboxes written before rows were numbered (a desk upgraded in place keeps its data).

Such rows have an ObjectId ``_id``, no ``seq`` and a ``sent_at``. At start, before the
service takes requests, each is rewritten as a numbered row in transactions of a batch
(insert the numbered copy, delete the old row: a crash leaves either, never both):

- rows already sent get numbers below every new one (counted down from 0, newest first,
  so a migration stopped part-way goes on where it was and keeps their order): they are
  settled, below any cursor, and a replay still re-publishes them;
- rows not yet sent get fresh numbers in their old order, after any number taken so far,
  so the relay publishes them once, like any new row.

The old ``(sent_at, _id)`` index is dropped: nothing reads it any more and it cost a write
per row.
"""

import contextlib

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import OperationFailure, PyMongoError

from shared.logs import get_logger
from shared.mongo import TRANSIENT, Document, retrying_transactions, transaction
from shared.outbox import Outbox, create_outbox_indexes

log = get_logger(__name__)
BATCH = 500
OLD_INDEX = "sent_at_1__id_1"
OLD_FIELDS = ("sent_at", "sent_batch", "replays")


async def prepare_outbox(outbox: Outbox) -> None:
    """Indexes, the sequence counter, and numbers for rows written by an older version."""
    await create_outbox_indexes(outbox.collection)
    await outbox.create_counter()
    sent = await migrate(outbox, {"seq": None, "sent_at": {"$ne": None}}, DESCENDING)
    pending = await migrate(outbox, {"seq": None}, ASCENDING)
    if sent or pending:
        log.info("outbox.migrated", sent=sent, pending=pending, outbox=outbox.collection.full_name)
    with contextlib.suppress(OperationFailure):  # not there: new, or dropped already
        await outbox.collection.drop_index(OLD_INDEX)


async def migrate(outbox: Outbox, legacy: Document, order: int) -> int:
    """Number the rows matching ``legacy`` a batch per transaction; returns how many."""

    async def one_batch() -> int:
        found = await outbox.collection.find(legacy).sort("_id", order).limit(BATCH).to_list()
        if found:
            await _renumber(outbox, sorted(found, key=lambda row: row["_id"]), order == DESCENDING)
        return len(found)

    moved = 0
    while count := await retrying_transactions(one_batch):
        moved += count
    return moved


async def _renumber(outbox: Outbox, rows: list[Document], below: bool) -> None:
    """One transaction: the old rows go, their numbered copies (oldest first) come."""
    first = await outbox.allocate(len(rows), "bottom" if below else "top")
    numbered = [
        {key: value for key, value in row.items() if key not in OLD_FIELDS}
        | {"_id": first + index, "seq": first + index}
        for index, row in enumerate(rows)
    ]
    async with transaction(outbox.collection.database.client) as session:
        gone = await outbox.collection.delete_many(
            {"_id": {"$in": [row["_id"] for row in rows]}, "seq": None}, session=session
        )
        if gone.deleted_count != len(rows):  # another instance is migrating them too
            raise PyMongoError("outbox rows migrated elsewhere", error_labels=[TRANSIENT])
        await outbox.collection.insert_many(numbered, session=session)
