"""Durable, shared state: bot processes on one real PostgreSQL (or one SQLite file) that never
double-post or double-answer, and nothing posted twice after a wiped database."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

from testbed.discord_stub import DiscordStub
from testbed.postgres import PostgresServer
from testbed.process import BotProcess
from testbed.upstream import FakeUseapi, sample_features
from tests.support.bots import StartBot, final_messages
from tests.support.databases import wipe
from tests.support.watching import FAST, ticks, titles


def leader_of(*bots: BotProcess) -> BotProcess:
    [leader] = [b for b in bots if re.search(r"this process \(\S+\) leads", b.log())]
    return leader


async def until(predicate: Callable[[], bool], within: float = 30.0) -> None:
    """For what only a log shows: poll it (everything else waits on a recorded request).
    The fixtures come first in each test's parameters: set up before the bots, so the
    database outlives them."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 (a log file has no event to await)
            await asyncio.sleep(0.1)


async def test_two_processes_on_one_postgresql_post_one_alert(
    postgres_url: str, start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[2], audio_in_hours=None))
    env = {"USEAPI_ACCOUNTS": "a", "DATABASE_URL": postgres_url, **FAST}
    first, second = await asyncio.gather(start_bot(**env), start_bot(**env))
    await discord_stub.wait_for(lambda: discord_stub.posted)
    await ticks(upstream, "a", 4)
    assert titles(discord_stub) == ["Expiring soon on account a"]
    leader_of(first, second)  # exactly one of them


async def test_one_interaction_delivered_to_both_processes_is_answered_once(
    postgres_url: str, start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a")
    env = {"USEAPI_ACCOUNTS": "a", "DATABASE_URL": postgres_url}
    first, second = await asyncio.gather(start_bot(**env), start_bot(**env))
    await until(lambda: len(discord_stub.sockets) == 2)  # both are connected
    for _ in range(5):
        credits = await discord_stub.inject("credits")  # to every gateway session
        await discord_stub.wait_for(lambda item=credits: final_messages(item))
        choices = await discord_stub.inject("credits", {"account": ""}, focused="account")
        await discord_stub.wait_for(choices.callback)
    await asyncio.sleep(0.5)  # a second answer would come now
    for item in discord_stub.injected.values():
        callbacks = [c for c in item.calls if c.path.endswith("/callback")]
        assert len(callbacks) == 1, "answered once"
        assert all(c.status < 400 for c in item.calls)
    for bot in (first, second):
        assert " ERROR " not in bot.log() and "40060" not in bot.log()
    stood_back = sum(b.log().count("is answered by another process") for b in (first, second))
    assert stood_back == len(discord_stub.injected), "the loser of each claim stays silent"


async def test_the_other_process_takes_over_when_the_leader_is_killed(
    postgres_url: str, start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[300], audio_in_hours=None))
    env = {"USEAPI_ACCOUNTS": "a", "DATABASE_URL": postgres_url, **FAST}
    first, second = await asyncio.gather(start_bot(**env), start_bot(**env))
    await until(lambda: any("leads the expiry checks now" in b.log() for b in (first, second)))
    leader = leader_of(first, second)
    other = second if leader is first else first
    await leader.kill()
    upstream.add_account("a", sample_features(batches_in_hours=[2], audio_in_hours=None))
    await discord_stub.wait_for(lambda: discord_stub.posted, within=30)
    await ticks(upstream, "a", 3)
    assert titles(discord_stub) == ["Expiring soon on account a"]
    assert re.search(r"this process \(\S+\) leads", other.log())


async def test_a_wiped_sqlite_file_posts_nothing_again(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi, tmp_path: Path
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[2], audio_in_hours=None))
    bot = await start_bot(USEAPI_ACCOUNTS="a", **FAST)
    await discord_stub.wait_for(lambda: discord_stub.posted)
    assert await bot.stop() == 0
    await asyncio.to_thread(wipe, tmp_path)  # as a restart on Heroku does
    await bot.start()
    await ticks(upstream, "a", 4)
    assert len(discord_stub.posted) == 1, "the channel's history says it was posted"
    assert "was already posted; not posting it again" in bot.log()


async def test_postgresql_lost_while_running(
    postgres_server: PostgresServer,
    postgres_url: str,
    start_bot: StartBot,
    discord_stub: DiscordStub,
    upstream: FakeUseapi,
) -> None:
    """Commands keep being answered; checks pause and resume; the alert that became due
    meanwhile is posted once when the database is back."""
    upstream.add_account("a", sample_features(batches_in_hours=[300], audio_in_hours=None))
    bot = await start_bot(USEAPI_ACCOUNTS="a", DATABASE_URL=postgres_url, **FAST)
    await ticks(upstream, "a", 2)
    await asyncio.to_thread(postgres_server.stop_server)
    try:
        for _ in range(2):
            credits = await discord_stub.inject("credits")
            await discord_stub.wait_for(lambda item=credits: final_messages(item))
        upstream.add_account("a", sample_features(batches_in_hours=[2], audio_in_hours=None))
        await until(lambda: "expiry checks paused" in bot.log())
        assert discord_stub.posted == []
    finally:
        await asyncio.to_thread(postgres_server.start_server)
    await discord_stub.wait_for(lambda: discord_stub.posted, within=30)
    await ticks(upstream, "a", 3)
    assert titles(discord_stub) == ["Expiring soon on account a"]
    assert bot.log().count("cannot claim interactions") == 1, "said once"


async def test_postgresql_unreachable_at_start_is_waited_for_before_logging_in(
    postgres_server: PostgresServer,
    postgres_url: str,
    start_bot: StartBot,
    discord_stub: DiscordStub,
    upstream: FakeUseapi,
) -> None:
    await asyncio.to_thread(postgres_server.stop_server)
    try:
        starting = asyncio.ensure_future(start_bot(DATABASE_URL=postgres_url))
        await asyncio.sleep(2)
        assert not starting.done()
        assert not [c for c in discord_stub.calls if c.path.endswith("/users/@me")], (
            "the bot must not log in to Discord before its database is open"
        )
    finally:
        await asyncio.to_thread(postgres_server.start_server)
    bot = await starting
    assert "the database is not reachable yet" in bot.log()
