from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import DISCORD_TOKEN, base_env
from tests.support.checks import all_problems
from tests.support.discord_stub import DiscordStub, Injected
from tests.support.upstream import FakeUseapi

LAUNCHER = Path(__file__).with_name("launch_bot.py")
DEADLINE = 3.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


class BotProcess:
    """`python bot.py` as a child process, its output kept in a log file."""

    def __init__(self, stub: DiscordStub, env: dict[str, str], log_path: Path) -> None:
        self.stub = stub
        self.env = env
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None
        self.killed = False

    async def kill(self) -> None:
        """SIGKILL: a crash at the worst moment, with no chance to clean up."""
        assert self.proc is not None
        self.proc.kill()
        await self.proc.wait()
        self.killed = True

    async def start(self, *, wait_ready: bool = True) -> None:
        self.stub.ready.clear()
        self.killed = False
        clean = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DISCORD_", "USEAPI_", "ALERT_"))
        }
        log = self.log_path.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(LAUNCHER),
            self.stub.api_base,
            self.stub.gateway_url,
            env={**clean, "PYTHONUNBUFFERED": "1", **self.env},
            cwd=self.log_path.parent,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
        log.close()
        if wait_ready:
            ready = asyncio.ensure_future(self.stub.ready.wait())
            died = asyncio.ensure_future(self.proc.wait())
            await asyncio.wait({ready, died}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
            died.cancel()
            assert ready.done(), f"the bot did not connect:\n{self.log()}"

    async def stop(self, sig: int = signal.SIGTERM, wait: float = 10.0) -> int:
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
            try:
                await asyncio.wait_for(self.proc.wait(), wait)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
                raise AssertionError(
                    f"the bot did not stop within {wait}s:\n{self.log()}"
                ) from None
        return self.proc.returncode or 0

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


StartBot = Callable[..., Awaitable[BotProcess]]


@pytest.fixture
async def start_bot(
    upstream: FakeUseapi, discord_stub: DiscordStub, tmp_path: Path
) -> AsyncIterator[StartBot]:
    """Start bot processes; afterwards check every request they made and everything they logged."""
    bots: list[BotProcess] = []
    extra_roles: list[int] = []
    secrets: list[str] = []

    async def factory(**env: str) -> BotProcess:
        full = {**base_env(upstream, tmp_path), "LOG_LEVEL": "DEBUG", **env}
        if password := urlsplit(full["DATABASE_URL"]).password:
            secrets.append(password)
        if env.get("ALERT_MENTION_ROLE_ID"):
            extra_roles.append(int(env["ALERT_MENTION_ROLE_ID"]))
        name = "bot.log" if not bots else f"bot-{len(bots) + 1}.log"
        bot = BotProcess(discord_stub, full, tmp_path / name)
        bots.append(bot)
        await bot.start()
        return bot

    yield factory
    codes = [await bot.stop() for bot in bots if not bot.killed]
    logs = "\n".join(bot.log() for bot in bots)
    assert codes == [0] * len(codes), f"exit codes {codes}\n{logs}"
    for secret in (DISCORD_TOKEN, upstream.token, *secrets):
        assert secret not in logs, "a secret was logged"
    assert "Traceback" not in logs, logs
    problems = all_problems(discord_stub.calls, [DISCORD_TOKEN, upstream.token], extra_roles)
    late = [
        f"interaction {i.id} first answered after {i.calls[0].at - i.at:.2f}s"
        for i in discord_stub.injected.values()
        if i.calls and i.calls[0].at - i.at > DEADLINE
    ]
    assert not problems + late, problems + late


def final_messages(item: Injected) -> list[dict[str, Any]]:
    return item.final_messages()


def embeds_of(item: Injected) -> list[dict[str, Any]]:
    return item.embeds()


async def command(
    stub: DiscordStub, name: str, *, within: float = 20.0, **options: Any
) -> Injected:
    """Inject a slash command and wait for its final answer."""
    item = await stub.inject(name, options)
    await stub.wait_for(lambda: final_messages(item), within=within)
    return item


async def autocomplete(stub: DiscordStub, name: str, focused: str, **options: Any) -> list[str]:
    item = await stub.inject(name, options, focused=focused)
    call = await stub.wait_for(
        lambda: next((c for c in item.calls if c.path.endswith("/callback")), None)
    )
    return [c["value"] for c in call.body["data"]["choices"]]
