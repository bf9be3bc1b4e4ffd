"""/follow from the real bot process against the loopback Discord: a follower gets the alert
by DM as well as the channel; closed DMs stop the DMs, never the channel alert, and are told
once; a member who left gets nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from testbed.discord_stub import DiscordStub, Injected
from testbed.upstream import FakeUseapi, sample_features
from tests.support.bots import StartBot
from tests.support.watching import FAST, ticks

ANNA, BO, CY = 900000000000000401, 900000000000000402, 900000000000000403
LINE = "I could not DM you the alerts of a (your DMs are closed); open them and use /follow again."


async def typed(stub: DiscordStub, user: int, name: str, **options: Any) -> Injected:
    """`user` types a command in the team's server; returns once it is answered."""
    item = await stub.inject(name, options, user_id=user)
    await stub.wait_for(item.final_messages)
    return item


def said(item: Injected) -> str:
    return item.final_messages()[0]["content"]


def follows_of(path: Path, user: int) -> list[tuple[str, int | None]]:
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT account, dm_closed_at FROM follows WHERE user_id = ? ORDER BY account",
            (str(user),),
        )
        return list(rows.fetchall())


async def test_followers_get_the_alert_by_dm_and_closed_dms_never_hold_the_channel_up(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi, tmp_path: Path
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[300], audio_in_hours=None))
    await start_bot(USEAPI_ACCOUNTS="a", **FAST)
    for user in (ANNA, BO, CY):
        assert "by DM too" in said(await typed(discord_stub, user, "follow", account="a"))
    assert "already" in said(await typed(discord_stub, ANNA, "follow", account="a"))
    unknown = said(await typed(discord_stub, ANNA, "follow", account="zz"))
    assert unknown == "I do not know account “zz”: pick one from the list (known: a)."
    discord_stub.dm_closed.add(BO)
    discord_stub.left.add(CY)
    discord_stub.dm_gate.clear()  # Discord takes the DMs late

    upstream.add_account("a", sample_features(batches_in_hours=[2], audio_in_hours=None))
    [alert] = await discord_stub.wait_for(lambda: discord_stub.posted)
    assert discord_stub.dms == [], "the channel alert went out while the DMs waited"
    discord_stub.dm_gate.set()
    [dm] = await discord_stub.wait_for(lambda: discord_stub.dms)
    assert dm["user_id"] == ANNA
    assert dm["embeds"][0]["title"] == alert["embeds"][0]["title"] == "Expiring soon on account a"
    assert not dm.get("components") and dm["allowed_mentions"] == {"parse": []}
    # the database changes after Discord's answer: re-checked as the bot keeps reading useapi.net
    await upstream.wait_for(lambda: follows_of(tmp_path / "bot.sqlite3", CY) == [])
    [(_, closed)] = await upstream.wait_for(
        lambda: [f for f in follows_of(tmp_path / "bot.sqlite3", BO) if f[1] is not None]
    )
    assert closed is not None

    upstream.add_account("a", sample_features(batches_in_hours=[3], audio_in_hours=None))
    await discord_stub.wait_for(lambda: len(discord_stub.posted) == 2)
    await discord_stub.wait_for(lambda: len(discord_stub.dms) == 2)
    await ticks(upstream, "a", 2)
    assert [d["user_id"] for d in discord_stub.dms] == [ANNA, ANNA], "no DM for Bo or Cy"

    first = await typed(discord_stub, BO, "credits")
    [told] = await discord_stub.wait_for(first.followups)
    assert told["content"] == LINE and told["flags"] == 64
    second = await typed(discord_stub, BO, "credits")
    await typed(discord_stub, BO, "unfollow", account="a")  # answered after the second's end
    assert second.followups() == [], "told once"
    assert follows_of(tmp_path / "bot.sqlite3", BO) == []
