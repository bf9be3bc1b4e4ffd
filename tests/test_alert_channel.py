"""Which kind of refusal a failed alert post is: the channel's (stop and say the fix), this
message's (retry, then a short notice instead) or a passing one (try again next flush)."""

from __future__ import annotations

from types import SimpleNamespace

import discord
import pytest

from alerts.chat.channel import refusal
from alerts.domain.port import Scope


def failure(kind: type[discord.HTTPException], status: int, code: int = 0) -> Exception:
    response = SimpleNamespace(status=status, reason="x")
    return kind(response, {"code": code, "message": "refused"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exc", "scope", "says"),
    [
        (failure(discord.Forbidden, 403, 50013), Scope.CHANNEL, "missing permission"),
        (failure(discord.NotFound, 404, 10003), Scope.CHANNEL, "does not exist"),
        (failure(discord.Forbidden, 403, 200000), Scope.MESSAGE, "AutoMod"),
        (failure(discord.HTTPException, 400, 50035), Scope.MESSAGE, "HTTP 400, code 50035"),
        (failure(discord.DiscordServerError, 503), Scope.TRANSIENT, "(503)"),
        (failure(discord.HTTPException, 429), Scope.TRANSIENT, "(429)"),
        (TimeoutError(), Scope.TRANSIENT, "(TimeoutError)"),
        (OSError("reset"), Scope.TRANSIENT, "(OSError)"),
    ],
)
def test_each_failure_gets_its_scope_and_words(exc: Exception, scope: Scope, says: str) -> None:
    found = refusal(exc, 123)
    assert found.scope is scope
    assert says in found.reason
