"""Who may read or use an inquiry's file. Pure.

The desk side reads every file of an inquiry it sees. The requester side reads a file
only once a reply refers to it, or when its own key uploaded it (so it can attach it): a
file only notes refer to is as internal as the notes."""

from dataclasses import dataclass
from typing import Literal

from services.inquiries.scope import Visibility
from shared.auth import Principal
from shared.documents import StoredDocument

MessageKind = Literal["reply", "note"]


def reference(kind: MessageKind, message_id: str) -> str:
    """How a message is named in a file's references."""
    return f"{kind}:{message_id}"


@dataclass(frozen=True)
class Reader:
    requester: bool
    key_id: str

    @classmethod
    def of(cls, caller: Principal) -> "Reader":
        return cls(requester=Visibility.of(caller).is_requester, key_id=caller.key_id)

    def may_read(self, stored: StoredDocument) -> bool:
        if not self.requester:
            return True
        in_a_reply = any(ref.startswith("reply:") for ref in stored.references)
        return in_a_reply or (bool(self.key_id) and stored.uploader_key == self.key_id)


MAILED = Reader(requester=True, key_id="")
"""The requester side through a signed link in its mail: no key of its own, so it reads
only what replies refer to."""
