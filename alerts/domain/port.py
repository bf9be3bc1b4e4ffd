"""The port alert delivery posts through (`AlertChannel`, implemented for Discord in
`alerts.chat.channel`), the drafts it hands over, the refusals it can raise, and which
notices go out together."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from alerts.domain.notices import (
    ExpiringSoon,
    JobFailures,
    LowBalance,
    Notice,
    RunningOut,
    Unreadable,
    UseapiTrouble,
    make_nonce,
)

Message = TypeVar("Message")


class Scope(StrEnum):
    CHANNEL = "channel"
    MESSAGE = "message"
    TRANSIENT = "transient"


class Refused(Exception):
    """Discord did not take a message; `scope` says what it is about, `reason` says why."""

    def __init__(self, scope: Scope, reason: str, *, short: str = "") -> None:
        super().__init__(reason)
        self.scope = scope
        self.reason = reason
        self.short = short or reason


def ref_of(unit: Sequence[Notice]) -> str:
    """The nonce of a message: its notice's, or one made of all of them."""
    return unit[0].nonce if len(unit) == 1 else make_nonce("group", *sorted(n.nonce for n in unit))


@dataclass(frozen=True)
class Draft(Generic[Message]):
    """A message ready to post and the notices it carries."""

    notices: tuple[Notice, ...]
    message: Message

    @property
    def ref(self) -> str:
        return ref_of(self.notices)


class AlertChannel(Protocol[Message]):
    async def posted(self, channel_id: int) -> Mapping[str, int]:
        """Message ids of the notices already in the channel's recent history, by nonce."""
        ...

    async def drafts(self, notices: Sequence[Notice], role_id: int | None) -> list[Draft[Message]]:
        """The messages of `notices` (one notice, or alerts due together: as many messages as
        Discord's limits need), pinging `role_id` when given; no side effects."""
        ...

    async def post(self, message: Message, nonce: str, channel_id: int) -> int:
        """Post `message` with its nonce; returns the message id or raises Refused."""
        ...


_SHARED = (ExpiringSoon, Unreadable, LowBalance, RunningOut, UseapiTrouble, JobFailures)


def shared(notice: Notice) -> bool:
    """Whether `notice` is an alert the team may answer: those due together share a message
    (and its buttons). A "back to normal" is not one."""
    payload = notice.payload
    return isinstance(payload, _SHARED) and not (
        isinstance(payload, UseapiTrouble | JobFailures) and payload.cleared
    )


def units(notices: Sequence[Notice]) -> list[list[Notice]]:
    """What goes out together, in order: the shared alerts together (by check, then account)
    where the first of them stood, every other notice on its own."""
    together = sorted(
        (n for n in notices if shared(n)),
        key=lambda n: (n.created_at, n.account),
    )
    first = next((n for n in notices if shared(n)), None)
    return [together if n is first else [n] for n in notices if not shared(n) or n is first]
