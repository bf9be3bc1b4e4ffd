"""The real bot as a child process against the loopback servers, for the tests and the benchmarks.

`BotProcess` runs the unmodified `bot.py` through testbed/launch_bot.py, which points
discord.py at the Discord stand-in; `base_env` is the least a bot needs to start there.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Protocol

from settings.names import PREFIXES, SETTING_NAMES

from .discord_stub import DiscordStub

DISCORD_TOKEN = "discord-test-token-abcdefghijklmnop"
LAUNCHER = Path(__file__).resolve().parent / "launch_bot.py"


class Upstream(Protocol):
    """A loopback useapi.net, in this process (FakeUseapi) or in one of its own."""

    @property
    def token(self) -> str: ...

    @property
    def base_url(self) -> str: ...


def base_env(upstream: Upstream, tmp_path: Path) -> dict[str, str]:
    return {
        "DISCORD_TOKEN": DISCORD_TOKEN,
        "USEAPI_TOKEN": upstream.token,
        "USEAPI_BASE_URL": upstream.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        "USEAPI_MAX_RPS": "1000",  # the rate limiter has tests of its own
    }


def inherited_env() -> dict[str, str]:
    """This process's environment less everything named like a setting of the bot: a
    developer's variables of those names never reach a bot under test."""
    return {
        k: v for k, v in os.environ.items() if not k.startswith(PREFIXES) and k not in SETTING_NAMES
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    """`python bot.py` as a child process, its output kept in a log file."""

    def __init__(
        self,
        stub: DiscordStub,
        env: dict[str, str],
        log_path: Path,
        script: Path = LAUNCHER,
        *,
        inherit: bool = True,
    ) -> None:
        self.script = script  # run as `python script API_BASE GATEWAY_URL`
        self.stub = stub
        self.env = env
        self.inherit = inherit  # False: `env` is all of its environment
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None
        self.killed = False
        self.tracebacks_expected = 0  # a test that injects a failure says how many it logs

    async def kill(self) -> None:
        """SIGKILL: a crash at the worst moment, with no chance to clean up."""
        assert self.proc is not None
        self.proc.kill()
        await self.proc.wait()
        self.killed = True

    async def start(self, *, wait_ready: bool = True) -> None:
        self.stub.ready.clear()
        self.killed = False
        log = self.log_path.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(self.script),
            self.stub.api_base,
            self.stub.gateway_url,
            env={**(inherited_env() if self.inherit else {}), "PYTHONUNBUFFERED": "1", **self.env},
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

    async def wait_for_log(self, text: str, within: float = 10.0) -> None:
        """Wait until the bot has logged `text` (its log is a file: looked at every 20 ms)."""
        async with asyncio.timeout(within):
            while text not in self.log():  # noqa: ASYNC110 (a file sets no event)
                await asyncio.sleep(0.02)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
