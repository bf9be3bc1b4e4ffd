"""How a press on a button ends when something goes wrong, from the real bot processes: a
press another process answered is a debug line (no traceback, no second effect); any other
failure is one line to the member and one traceback in the log, as for commands."""

from __future__ import annotations

import asyncio

from testbed.discord_payloads import MANAGER_PERMISSIONS
from testbed.discord_stub import DiscordStub
from testbed.postgres import PostgresServer
from testbed.upstream import FakeUseapi, sample_features
from tests.e2e.test_replicas import until
from tests.support.bots import StartBot, command, controls, embeds_of
from tests.support.watching import FAST


def alert_for(upstream: FakeUseapi, account: str) -> None:
    upstream.add_account(account, sample_features(batches_in_hours=[2], audio_in_hours=None))


async def test_a_press_both_processes_answer_while_the_database_is_down_ends_quietly(
    postgres_server: PostgresServer,
    postgres_url: str,
    start_bot: StartBot,
    discord_stub: DiscordStub,
    upstream: FakeUseapi,
) -> None:
    alert_for(upstream, "a")
    env = {"USEAPI_ACCOUNTS": "a", "DATABASE_URL": postgres_url, "LOG_LEVEL": "DEBUG", **FAST}
    bots = await asyncio.gather(start_bot(**env), start_bot(**env))
    await until(lambda: len(discord_stub.sockets) == 2)
    [alert] = await discord_stub.wait_for(lambda: discord_stub.posted)
    ack = controls(discord_stub.message(alert["id"]))["Acknowledge"]["custom_id"]
    await asyncio.to_thread(postgres_server.stop_server)
    try:
        pressed = await discord_stub.press(alert["id"], ack, permissions=MANAGER_PERMISSIONS)
        # neither can claim it, so both answer; Discord takes the first, 40060 for the other
        await discord_stub.wait_for(
            lambda: len([c for c in pressed.calls if c.path.endswith("/callback")]) == 2
        )
        said = await discord_stub.wait_for(pressed.followups)
        await until(lambda: any("another process answered" in b.log() for b in bots))
    finally:
        await asyncio.to_thread(postgres_server.start_server)
    answers = [c for c in pressed.calls if c.path.endswith("/callback")]
    assert sorted(c.status for c in answers) == [200, 400]
    assert len(said) == 1 and "cannot use its database" in said[0]["content"]
    for bot in bots:
        assert "Traceback" not in bot.log() and " ERROR " not in bot.log(), bot.log()[-3000:]
    assert [e for e in discord_stub.edits if e.message_id == alert["id"]] == []
    status = await command(
        discord_stub, "alerts", subcommand="status", permissions=MANAGER_PERMISSIONS
    )
    assert "Acknowledged" not in embeds_of(status)[0]["description"], "nothing was recorded"


async def test_a_press_that_fails_gets_one_line_and_one_traceback(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    alert_for(upstream, "a")
    bot = await start_bot(USEAPI_ACCOUNTS="a", **FAST)
    bot.tracebacks_expected = 1
    [alert] = await discord_stub.wait_for(lambda: discord_stub.posted)
    ack = controls(discord_stub.message(alert["id"]))["Acknowledge"]["custom_id"]
    discord_stub.edit_refusal = (400, 50035, "Invalid Form Body")
    pressed = await discord_stub.press(alert["id"], ack, permissions=MANAGER_PERMISSIONS)
    said = await discord_stub.wait_for(pressed.followups)
    await until(lambda: "Traceback" in bot.log())
    assert len(said) == 1
    [embed] = said[0]["embeds"]
    assert embed["title"] == "Something went wrong on our side"
    assert said[0]["flags"] & 64, "only the member sees it"
    assert bot.log().count("Traceback") == 1
    assert "50035" in bot.log()
