"""The health endpoint, Prometheus metrics and JSON logs of the real bot process."""

from __future__ import annotations

import json

import aiohttp

from testbed.discord_payloads import (
    CHANNEL_ID,
    MANAGER_PERMISSIONS,
    ROUTED_CHANNEL_ID,
    ChannelRef,
)
from testbed.discord_stub import DiscordStub
from testbed.process import DISCORD_TOKEN, free_port
from testbed.upstream import FakeUseapi, Fault, sample_features
from tests.support.bots import StartBot, command, embeds_of


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return resp.status, await resp.text()


async def test_healthz_and_metrics(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a", sample_features(batches_in_hours=[2]))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    await start_bot(
        USEAPI_ACCOUNTS="a",
        ALERT_CHANNEL_ID=str(CHANNEL_ID),
        CHECK_INTERVAL_MINUTES="0.005",
        HEALTH_PORT=str(port),
        HEALTH_HOST="127.0.0.1",
    )
    await discord_stub.wait_for(lambda: discord_stub.posted)
    await command(discord_stub, "credits")
    status, body = await get(f"{base}/healthz")
    assert status == 200, body
    health = json.loads(body)
    assert health["status"] == "ok" and health["gateway"] == "connected"
    assert health["last_check"]["ok"] is True and health["last_check"]["accounts"] == 1
    served = 'minimax_bot_commands_total{command="credits",outcome="ok"} 1.0'
    alerted = 'minimax_bot_alerts_sent_total{kind="expiry"} 1.0'
    for _ in range(100):  # counted just after the answer (and the alert) went out
        status, metrics = await get(f"{base}/metrics")
        if served in metrics and alerted in metrics:
            break
    assert status == 200
    assert served in metrics
    assert 'minimax_bot_upstream_requests_total{endpoint="features",status="200"}' in metrics
    assert alerted in metrics
    assert "minimax_bot_check_duration_seconds_count" in metrics
    assert "minimax_bot_gateway_connected 1.0" in metrics

    upstream.fail("a", Fault("status", status=401))
    upstream.listing_faults.append(Fault("status", status=401))
    seen = len(upstream.feature_calls("a"))
    # the check after the first failing request has certainly finished
    await upstream.wait_for(lambda: len(upstream.feature_calls("a")) >= seen + 2)
    status, body = await get(f"{base}/healthz")
    assert status == 503 and json.loads(body)["last_check"]["ok"] is False


async def test_healthz_without_alerts_follows_the_gateway(
    start_bot: StartBot, upstream: FakeUseapi, discord_stub: DiscordStub
) -> None:
    port = free_port()
    bot = await start_bot(HEALTH_PORT=str(port), HEALTH_HOST="127.0.0.1", USEAPI_ACCOUNTS="a")
    upstream.add_account("a")
    status, body = await get(f"http://127.0.0.1:{port}/healthz")
    assert status == 200 and json.loads(body)["alerts"] == "off"
    assert json.loads(body)["last_check"] == "alerts off"

    # only a rule names a channel: alerts are not off, and where each kind goes is said
    rules = {"account": "a", "channel": ChannelRef(ROUTED_CHANNEL_ID)}
    await command(
        discord_stub, "alerts", subcommand="rules", permissions=MANAGER_PERMISSIONS, **rules
    )
    status, body = await get(f"http://127.0.0.1:{port}/healthz")
    routed = str(ROUTED_CHANNEL_ID)
    assert json.loads(body)["alerts"] == {
        "accounts": "none",
        "own_channels": {routed: 1},
        "team_wide": routed,
    }
    shown = await command(
        discord_stub, "alerts", subcommand="status", permissions=MANAGER_PERMISSIONS
    )
    described = embeds_of(shown)[0]["description"]
    assert "Alerts of accounts without a channel of their own: nowhere" in described
    assert f"Channels of accounts' own rules: <#{routed}> (1 account)" in described
    assert f"The useapi.net account and the digest: <#{routed}>" in described
    assert await bot.stop() == 0


async def test_json_logs_are_one_object_per_line_without_tokens(
    start_bot: StartBot, discord_stub: DiscordStub, upstream: FakeUseapi
) -> None:
    upstream.add_account("a")
    upstream.fail("a", Fault("status", status=500, body={"error": f"echo {upstream.token}"}))
    bot = await start_bot(USEAPI_ACCOUNTS="a", LOG_FORMAT="json", LOG_LEVEL="INFO")
    await command(discord_stub, "credits")
    assert await bot.stop() == 0
    lines = [line for line in bot.log().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    assert entries and len(entries) == len(
        [x for x in lines if "DeprecationWarning" not in x and "import audioop" not in x]
    )
    assert {"ts", "level", "logger", "message"} <= set(entries[0])
    assert DISCORD_TOKEN not in bot.log() and upstream.token not in bot.log()
