"""Entry point: `python bot.py` runs the bot; `python bot.py --check` checks useapi.net."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import aiohttp
import discord
from dotenv import find_dotenv, load_dotenv

import state
from app.logs import setup_logging
from app.metrics import Metrics
from app.monitoring import MonitoringServer
from chat.accounts import AccountDirectory
from chat.lookup import load_features
from credits.report import account_report, problem_report
from minimax_api import MiniMaxClient, RateLimiter, RetryPolicy
from minimax_api.problems import Problem
from settings import Settings, SettingsError, load_settings
from startup.compose import compose
from state import Database, SqliteTarget, StoreUnavailable, this_process

log = logging.getLogger("bot")

# The gateway close codes Discord documents as fatal, and what to do about each. discord.py
# gives up on these instead of reconnecting: it raises ConnectionClosed with the code, 4014 as
# PrivilegedIntentsRequired, and a token refused already at log-in as LoginFailure (as 4004).
FATAL_CLOSES: dict[int, str] = {
    4004: "DISCORD_TOKEN was refused by Discord: copy a fresh token from the developer portal "
    "(Bot → Reset Token) into .env",
    4010: "Discord closed the gateway with 4010 (invalid shard): it did not accept the shard "
    "this bot sent; update the bot and discord.py, and report a bug if it persists",
    4011: "Discord closed the gateway with 4011 (sharding required): the bot is in too many "
    "servers for one shard and needs sharding, which this bot does not do; remove it from "
    "servers it does not serve, or report it",
    4012: "Discord closed the gateway with 4012 (invalid API version): this discord.py speaks a "
    "gateway version Discord no longer accepts; update discord.py (raise its pin: uv pip "
    "compile requirements.in -o requirements.txt --upgrade-package discord-py, then "
    "pip install -r requirements.txt)",
    4013: "Discord closed the gateway with 4013 (invalid intents): it did not accept the intents "
    "this bot sent; update the bot and discord.py, and report a bug if it persists",
    4014: "Discord closed the gateway with 4014 (disallowed intents): a privileged intent was "
    "requested that the application may not use; enable it in the developer portal (Bot → "
    "Privileged Gateway Intents) or do not request it (this bot requests only the guilds "
    "intent, which is not privileged)",
}


class StartupError(Exception):
    """Start-up cannot go on; the message names the setting and the fix."""


def make_client(
    session: aiohttp.ClientSession,
    settings: Settings,
    observe: Callable[[str, str], None] | None = None,
    retry: RetryPolicy | None = None,
) -> MiniMaxClient:
    return MiniMaxClient(
        session,
        token=settings.useapi_token,
        base_url=settings.useapi_base_url,
        timeout=settings.useapi_timeout_seconds,
        limiter=RateLimiter(settings.useapi_max_rps, burst=settings.useapi_max_rps),
        retry=retry,
        observe=observe,
    )


async def open_database(settings: Settings) -> Database:
    """The store, before anything talks to Discord: a bot that cannot remember must not log
    in (a crash loop would burn Discord logins)."""

    def retrying(reason: str, delay: float) -> None:
        log.warning("the database is not reachable yet (%s); trying again in %.1fs", reason, delay)

    try:
        return await state.open_database(settings.database, on_retry=retrying)
    except (OSError, sqlite3.Error, RuntimeError) as exc:
        raise StartupError(
            f"DATABASE_URL: cannot open {settings.database} ({exc}): "
            + (
                "point DATABASE_URL at a writable file"
                if isinstance(settings.database, SqliteTarget)
                else "check DATABASE_URL and the database server"
            )
        ) from exc


async def run_bot(settings: Settings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with contextlib.AsyncExitStack() as owned:
            db = await open_database(settings)
            owned.push_async_callback(db.close)
            session = await owned.enter_async_context(aiohttp.ClientSession())
            metrics = Metrics()
            minimax = make_client(session, settings, metrics.observe_upstream)
            bot = compose(
                settings, db=db, minimax=minimax, metrics=metrics, identity=this_process()
            )
            if settings.health_port is not None:
                monitoring = MonitoringServer(
                    settings.health_host, settings.health_port, metrics, bot.healthz
                )
                try:
                    await monitoring.start()
                except OSError as exc:
                    raise StartupError(
                        f"HEALTH_PORT={settings.health_port}: cannot listen ({exc.strerror}): "
                        "pick a free port or leave it empty"
                    ) from exc
                owned.push_async_callback(monitoring.stop)
            async with bot:
                await _run_until(bot.start(settings.discord_token), stop)
    except (discord.LoginFailure, discord.PrivilegedIntentsRequired) as exc:
        code = 4004 if isinstance(exc, discord.LoginFailure) else 4014
        print(f"error: {FATAL_CLOSES[code]}", file=sys.stderr)
        return 2
    except discord.ConnectionClosed as exc:
        if exc.code not in FATAL_CLOSES:
            raise
        print(f"error: {FATAL_CLOSES[exc.code]}", file=sys.stderr)
        return 2
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except StoreUnavailable as exc:
        print(f"error: {exc}: check DATABASE_URL and that the database is up", file=sys.stderr)
        return 1
    except (aiohttp.ClientError, OSError) as exc:
        print(
            f"error: cannot reach Discord ({exc.__class__.__name__}): check the network",
            file=sys.stderr,
        )
        return 1
    return 0


async def _run_until(main: Coroutine[Any, Any, None], stop: asyncio.Event) -> None:
    """Run `main` until it ends or `stop` is set; its exceptions propagate."""
    task = asyncio.ensure_future(main)
    stopper = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if not task.done():
        log.info("stopping on signal")
        task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        if not stop.is_set():
            raise


async def check(settings: Settings) -> int:
    """Call the features endpoint for each configured account and print a report."""
    now = datetime.now(UTC)
    async with aiohttp.ClientSession() as session:
        directory = AccountDirectory(make_client(session, settings), settings.useapi_accounts)
        accounts: tuple[str | None, ...] = settings.useapi_accounts or (None,)
        results = [(account, await load_features(directory, account)) for account in accounts]
    for account, found in results:
        if isinstance(found, Problem):
            print(problem_report(account, found))
        else:
            print(account_report(account, found, now))
    return 1 if any(isinstance(found, Problem) for _, found in results) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--check",
        action="store_true",
        help="check the useapi.net token and accounts, print a credits report, and exit",
    )
    args = parser.parse_args(argv)
    load_dotenv(find_dotenv(usecwd=True))
    try:
        settings = load_settings(os.environ, require_discord=not args.check)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    secrets = (settings.discord_token, settings.useapi_token)
    setup_logging(settings.log_level, secrets, settings.log_format)
    if args.check:
        return asyncio.run(check(settings))
    return asyncio.run(run_bot(settings))


if __name__ == "__main__":
    sys.exit(main())
