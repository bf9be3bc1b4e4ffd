"""Entry point: `python bot.py` runs the bot; `python bot.py --check` checks what a start
would find (settings, database, health address, useapi.net accounts) without Discord."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import Coroutine
from typing import Any

import aiohttp
import discord
from dotenv import find_dotenv, load_dotenv

import state
from app.logs import final_line, setup_logging
from app.metrics import Metrics
from app.monitoring import MonitoringServer
from settings import Settings, SettingsError, load_settings, startup_warnings
from startup.check import listen_problem, run_check
from startup.compose import compose, make_client
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
    say = functools.partial(_say_error, fmt=settings.log_format)
    try:
        await _run_until(_serve(settings), stop)  # a signal stops it at any point, start included
    except (discord.LoginFailure, discord.PrivilegedIntentsRequired) as exc:
        code = 4004 if isinstance(exc, discord.LoginFailure) else 4014
        return say(FATAL_CLOSES[code], 2)
    except discord.ConnectionClosed as exc:
        if exc.code not in FATAL_CLOSES:
            raise
        return say(FATAL_CLOSES[exc.code], 2)
    except StartupError as exc:
        return say(str(exc), 2)
    except StoreUnavailable as exc:
        return say(f"{exc}: check DATABASE_URL and that the database is up", 1)
    except (aiohttp.ClientError, OSError) as exc:
        return say(f"cannot reach Discord ({exc.__class__.__name__}): check the network", 1)
    return 0


async def _serve(settings: Settings) -> None:
    """Open what the bot owns, in order, run it, and close everything in reverse."""
    async with contextlib.AsyncExitStack() as owned:
        metrics, monitoring = Metrics(), None
        if settings.health_port is not None:
            # listening first: a wrong HEALTH_HOST or HEALTH_PORT is said before the
            # database is touched; /healthz answers "starting" until the bot is built
            monitoring = MonitoringServer(
                settings.health_host, settings.health_port, metrics, _starting
            )
            try:
                await monitoring.start()
            except OSError as exc:
                raise StartupError(listen_problem(settings, exc)) from exc
            owned.push_async_callback(monitoring.stop)
        db = await open_database(settings)
        owned.push_async_callback(db.close)
        session = await owned.enter_async_context(aiohttp.ClientSession())
        minimax = make_client(session, settings, metrics.observe_upstream)
        bot = compose(settings, db=db, minimax=minimax, metrics=metrics, identity=this_process())
        if monitoring is not None:
            monitoring.healthz = bot.healthz
        async with bot:
            await bot.start(settings.discord_token)


def _starting() -> tuple[bool, dict[str, Any]]:
    return False, {"last_check": "starting"}


def _say_error(message: str, code: int, fmt: str) -> int:
    """Write the one line that ends the bot, in the log's format; return the exit code."""
    print(final_line(message, fmt), file=sys.stderr, flush=True)
    return code


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--check",
        action="store_true",
        help="check the settings, the database, the health address and every account the bot "
        "would watch, print a credits report, and exit (1 when something is wrong)",
    )
    args = parser.parse_args(argv)
    load_dotenv(find_dotenv(usecwd=True))
    try:
        settings = load_settings(os.environ, require_discord=not args.check)
    except SettingsError as exc:
        fmt = "json" if os.environ.get("LOG_FORMAT", "").strip().lower() == "json" else "text"
        return _say_error(str(exc), 2, fmt)
    secrets = (settings.discord_token, settings.useapi_token)
    warnings = startup_warnings(settings, os.environ)
    if args.check:  # the report is the answer; only what goes wrong is logged, on stderr
        level = "DEBUG" if settings.log_level == "DEBUG" else "WARNING"
        setup_logging(level, secrets, settings.log_format, settings.log_color)
        return asyncio.run(run_check(settings, warnings))
    setup_logging(settings.log_level, secrets, settings.log_format, settings.log_color)
    for warning in warnings:
        log.warning("%s", warning)
    try:
        return asyncio.run(run_bot(settings))
    except Exception:  # the last words, in the log's format, and never a token
        log.exception("the bot stopped on an unexpected error")
        return 1


if __name__ == "__main__":
    sys.exit(main())
