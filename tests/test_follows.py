"""Following an account: the store on SQLite and PostgreSQL, and the DMs sent to followers
through discord.py against the loopback Discord (an in-process bot, logged in)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from alerts.chat.direct import Followers, closed_line
from alerts.domain.follows import Follow, Follows
from alerts.domain.notices import LowBalance, Notice, Readable
from state import Database
from testbed.discord_payloads import GUILD_ID, OTHER_GUILD_ID
from testbed.discord_stub import DiscordStub
from tests.support.bots import BotFactory

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ANNA, BO, CY = 900000000000000401, 900000000000000402, 900000000000000403


@pytest.fixture
def follows(database: Database) -> Follows:
    return Follows(database)


async def test_one_follow_per_account_and_member(follows: Follows) -> None:
    assert await follows.follow("a", ANNA, GUILD_ID, NOW)
    assert not await follows.follow("a", ANNA, GUILD_ID, NOW + timedelta(hours=1)), "already"
    assert await follows.follow("b", ANNA, GUILD_ID, NOW)
    assert await follows.follow("a", BO, OTHER_GUILD_ID, NOW)
    assert await follows.followers("a") == [
        Follow("a", ANNA, GUILD_ID, NOW),
        Follow("a", BO, OTHER_GUILD_ID, NOW),
    ]
    assert [f.account for f in await follows.followed(ANNA)] == ["a", "b"]
    assert await follows.unfollow("a", ANNA)
    assert not await follows.unfollow("a", ANNA)
    assert [f.user_id for f in await follows.followers("a")] == [BO]


async def test_closed_dms_stop_the_dms_until_followed_again_and_are_told_once(
    follows: Follows,
) -> None:
    await follows.follow("a", ANNA, GUILD_ID, NOW)
    await follows.follow("b", ANNA, GUILD_ID, NOW)
    await follows.follow("a", BO, GUILD_ID, NOW)
    assert await follows.closed_told(ANNA) == []
    assert await follows.mark_closed(ANNA, NOW) == 2
    assert [f.user_id for f in await follows.followers("a")] == [BO]
    assert {f.dm_closed_at for f in await follows.followed(ANNA)} == {NOW}
    assert await follows.follow("b", ANNA, GUILD_ID, NOW), "following again opens it"
    assert [f.user_id for f in await follows.followers("b")] == [ANNA]
    assert await follows.closed_told(ANNA) == ["a"]
    assert await follows.closed_told(ANNA) == [], "told once"
    assert [f.account for f in await follows.followed(ANNA)] == ["b"]


async def test_a_member_who_left_a_server_loses_the_follows_from_it(follows: Follows) -> None:
    await follows.follow("a", ANNA, GUILD_ID, NOW)
    await follows.follow("b", ANNA, OTHER_GUILD_ID, NOW)
    assert await follows.drop(ANNA, GUILD_ID) == 1
    assert [f.account for f in await follows.followed(ANNA)] == ["b"]


def test_the_closed_line_names_every_account() -> None:
    assert closed_line(["a"]) == (
        "I could not DM you the alerts of a (your DMs are closed); open them and use /follow again."
    )
    assert "alerts of a, b and c (" in closed_line(["a", "b", "c"])


def low_balance(nonce: str = "alow1") -> Notice:
    return Notice(nonce, "a", LowBalance("video", 10, 50), NOW)


async def followers_of(make_bot: BotFactory) -> tuple[Followers, Follows]:
    bot = await make_bot()
    follows = Follows(bot.db)
    return Followers(bot, follows, lambda guild: guild == GUILD_ID), follows


async def test_a_follower_gets_the_alert_as_the_channel_does_pinging_nobody(
    make_bot: BotFactory, discord_stub: DiscordStub
) -> None:
    followers, follows = await followers_of(make_bot)
    await follows.follow("a", ANNA, GUILD_ID, NOW)
    await follows.follow("b", BO, GUILD_ID, NOW)
    notice = low_balance()
    followers.sent(notice)
    followers.sent(Notice("aback", "a", Readable(), NOW))  # not an alert the team answers
    await followers.settled()
    [dm] = discord_stub.dms
    assert dm["user_id"] == ANNA
    assert dm["embeds"][0]["title"] == "Low balance on account a"
    assert dm["embeds"][0]["footer"]["text"].endswith(notice.nonce)
    assert dm["allowed_mentions"] == {"parse": []}
    assert not dm.get("components"), "no buttons"


async def test_closed_dms_are_marked_and_a_left_member_s_follows_end(
    make_bot: BotFactory, discord_stub: DiscordStub, caplog: pytest.LogCaptureFixture
) -> None:
    followers, follows = await followers_of(make_bot)
    for user in (ANNA, BO, CY):
        await follows.follow("a", user, GUILD_ID, NOW)
    discord_stub.dm_closed.add(BO)
    discord_stub.left.add(CY)
    with caplog.at_level(logging.INFO, logger="alerts.chat.direct"):
        followers.sent(low_balance())
        await followers.settled()
    assert [d["user_id"] for d in discord_stub.dms] == [ANNA]
    assert [f.user_id for f in await follows.followers("a")] == [ANNA]
    assert await follows.followed(CY) == []
    [closed] = await follows.followed(BO)
    assert closed.dm_closed_at is not None
    assert sum("has closed DMs" in r.message for r in caplog.records) == 1
    followers.sent(low_balance("alow2"))
    await followers.settled()
    assert [d["user_id"] for d in discord_stub.dms] == [ANNA, ANNA], "no more tries"
    dm_posts = [c for c in discord_stub.calls if c.path.startswith("/api/v10/channels/")]
    assert sum(c.status == 403 for c in dm_posts) == 1


async def test_a_server_no_longer_served_gets_no_dm_and_other_failures_keep_the_follow(
    make_bot: BotFactory, discord_stub: DiscordStub, caplog: pytest.LogCaptureFixture
) -> None:
    followers, follows = await followers_of(make_bot)
    await follows.follow("a", ANNA, OTHER_GUILD_ID, NOW)  # the check serves GUILD_ID only
    await follows.follow("a", BO, GUILD_ID, NOW)
    discord_stub.dm_refusal = (403, 50001, "Missing Access")
    with caplog.at_level(logging.INFO, logger="alerts.chat.direct"):
        followers.sent(low_balance())
        await followers.settled()
    assert discord_stub.dms == []
    members = [c.path for c in discord_stub.calls if "/members/" in c.path]
    assert members == [f"/api/v10/guilds/{GUILD_ID}/members/{BO}"], "Anna is not asked about"
    assert [f.user_id for f in await follows.followers("a")] == [ANNA, BO], "both kept"
    [warning] = [r for r in caplog.records if r.name == "alerts.chat.direct"]
    assert f"could not DM an alert to user {BO}" in warning.message


async def test_the_delivery_never_waits_for_a_dm(
    make_bot: BotFactory, discord_stub: DiscordStub
) -> None:
    followers, follows = await followers_of(make_bot)
    await follows.follow("a", ANNA, GUILD_ID, NOW)
    discord_stub.dm_gate.clear()
    followers.sent(low_balance())  # returns at once: nothing to await
    waiting = asyncio.ensure_future(followers.settled())
    await discord_stub.wait_for(
        lambda: any("/users/@me/channels" in c.path for c in discord_stub.calls)
    )
    assert not waiting.done() and discord_stub.dms == []
    discord_stub.dm_gate.set()
    await waiting
    assert len(discord_stub.dms) == 1
