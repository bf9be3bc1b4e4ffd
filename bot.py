"""Entry point: `python bot.py` runs the bot; `python bot.py --check` checks useapi.net."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
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
from discord import app_commands
from discord.ext import commands
from dotenv import find_dotenv, load_dotenv

import state
from alerts.status import AlertStatus
from core.access import NOT_A_MANAGER, REFUSAL, Access, Place, refuse
from core.access import describe as describe_interaction
from core.accounts import AccountDirectory
from core.health import HealthServer
from core.logs import setup_logging
from core.lookup import load_features
from core.metrics import Metrics
from core.replies import send_problem
from minimax_api import MiniMaxClient, RateLimiter, RetryPolicy, UseapiError
from minimax_api.problems import Problem, describe
from render.report import account_report, problem_report
from settings import Settings, SettingsError, load_settings
from state import (
    Claims,
    Database,
    Lease,
    Meta,
    SqliteTarget,
    StoreUnavailable,
    this_process,
)
from usage.history import History

log = logging.getLogger("bot")

EXTENSIONS = ("cogs.credits", "cogs.models", "cogs.usage", "cogs.alerts")
SYNC_LEASE_SECONDS = 60.0
SHUTDOWN_GRACE = 5.0  # seconds the commands being answered get to finish at shutdown

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
    "gateway version Discord no longer accepts; update discord.py "
    "(pip install -U -r requirements.txt)",
    4013: "Discord closed the gateway with 4013 (invalid intents): it did not accept the intents "
    "this bot sent; update the bot and discord.py, and report a bug if it persists",
    4014: "Discord closed the gateway with 4014 (disallowed intents): a privileged intent was "
    "requested that the application may not use; enable it in the developer portal (Bot → "
    "Privileged Gateway Intents) or do not request it (this bot requests only the guilds "
    "intent, which is not privileged)",
}


class StartupError(Exception):
    """Start-up cannot go on; the message names the setting and the fix."""


ALREADY_ANSWERED = 40060  # Discord: "Interaction has already been acknowledged"
CLAIM_WAIT = 1.0  # seconds a claim may take before the interaction is answered regardless
DATABASE_DOWN = Problem(
    "The bot cannot use its database right now",
    "Try again in a minute. The operator finds the reason in the bot's log.",
)


class Tree(app_commands.CommandTree["MiniMaxBot"]):
    def __init__(self, client: MiniMaxBot) -> None:
        # Every command is for the servers that installed the bot: never in a direct message,
        # never through a user install (Discord's contexts [0], integration_types [0]).
        super().__init__(
            client,
            allowed_contexts=app_commands.AppCommandContext(
                guild=True, dm_channel=False, private_channel=False
            ),
            allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
        )

    def add_command(self, command: Any, /, **kwargs: Any) -> None:
        if isinstance(command, app_commands.Command | app_commands.Group):
            command.guild_only = True  # dm_permission: false, for clients that still read it
        super().add_command(command, **kwargs)

    async def interaction_check(self, interaction: discord.Interaction[MiniMaxBot]) -> bool:
        """Commands and autocomplete: where they come from, then the claim."""
        return await interaction.client.admit(interaction, manage=False)

    async def on_error(
        self, interaction: discord.Interaction[MiniMaxBot], error: app_commands.AppCommandError
    ) -> None:
        """The one place unexpected command failures end: log them, answer briefly."""
        original = getattr(error, "original", error)
        command = interaction.command.qualified_name if interaction.command else "?"
        if isinstance(original, discord.HTTPException) and original.code == ALREADY_ANSWERED:
            log.debug("/%s: another process answered interaction %s", command, interaction.id)
            return
        interaction.client.metrics.commands.labels(command=command, outcome="error").inc()
        if isinstance(original, UseapiError | StoreUnavailable):
            log.warning("/%s: %r", command, original)
        else:
            log.error("/%s failed", command, exc_info=original)
        problem = DATABASE_DOWN if isinstance(original, StoreUnavailable) else describe(original)
        try:
            await send_problem(interaction, problem)
        except discord.HTTPException:
            log.warning("/%s: could not tell the user about the failure", command)


class MiniMaxBot(commands.Bot):
    """The Discord client. Everything it uses is opened before it and closed after it by
    `run_bot`, which owns them; the bot only borrows them."""

    def __init__(
        self,
        settings: Settings,
        *,
        db: Database,
        client: MiniMaxClient,
        metrics: Metrics,
        identity: str,
    ) -> None:
        # The bot never joins voice: the warnings about voice libraries would only confuse.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=Tree,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
        )
        self.settings = settings
        self.db = db
        self.minimax = client
        self.metrics = metrics
        self.identity = identity
        self.accounts = AccountDirectory(client, settings.useapi_accounts)
        self.meta = Meta(db)
        self.claims = Claims(db, identity)
        self.history = History(db)
        self.alert_status = AlertStatus(enabled=settings.alert_channel_id is not None)
        self.access = Access(settings, self._guild_of_channel)
        self.gateway_connected = False
        self._claims_failing = False
        self._answering: set[asyncio.Task[Any]] = set()

    async def setup_hook(self) -> None:
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.sync_commands()
        if self.access.open and self.application is not None and self.application.bot_public:
            log.warning(
                "anyone can add this bot to a server and read the team's credits there: set "
                "ALLOWED_GUILD_IDS to your server's id, and turn off 'Public Bot' in the "
                "Discord developer portal (your application → Bot)"
            )

    async def admit(self, interaction: discord.Interaction, *, manage: bool) -> bool:
        """The one check every interaction passes before any cog code runs: it comes from a
        server the bot serves, this process claims it first (Discord delivers each one to
        every replica), and, for a control that changes state (`manage`), the member has
        Manage Server: Discord applies no command permission to buttons and menus."""
        place = Place.of(interaction)
        where = self.access.where_refused(place)
        if where is None and not (manage and not interaction.permissions.manage_guild):
            return await self.claim_interaction(interaction.id)
        if where is not None:
            self.access.note_refusal(place, where, describe_interaction(interaction))
        if await self.claim_interaction(interaction.id):
            name = interaction.command.qualified_name if interaction.command else "component"
            self.metrics.commands.labels(command=name, outcome="refused").inc()
            await refuse(interaction, REFUSAL if where is not None else NOT_A_MANAGER)
        return False

    def _guild_of_channel(self, channel_id: int) -> int | None:
        channel = self.get_channel(channel_id)
        guild = getattr(channel, "guild", None)
        return guild.id if guild is not None else None

    async def claim_interaction(self, interaction_id: int) -> bool:
        task = asyncio.current_task()  # the command's own task: let it finish at shutdown
        if task is not None:
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)
        try:
            async with asyncio.timeout(CLAIM_WAIT):
                mine = await self.claims.claim(f"interaction:{interaction_id}")
        except (StoreUnavailable, TimeoutError) as exc:
            if not self._claims_failing:
                log.warning("cannot claim interactions (%s): answering every one", exc or "slow")
                self._claims_failing = True
            return True
        if self._claims_failing:
            log.info("claiming interactions works again")
            self._claims_failing = False
        if not mine:
            log.debug("interaction %s is answered by another process", interaction_id)
        return mine

    def health_state(self) -> tuple[bool, dict[str, Any]]:
        """Healthy: the gateway is connected and, in the process that checks the accounts,
        the last check read useapi.net."""
        connected = self.gateway_connected and not self.is_closed()
        details: dict[str, Any] = {"gateway": "connected" if connected else "disconnected"}
        healthy, alerts = self.alert_status.health()
        return connected and healthy, {**details, **alerts}

    async def on_connect(self) -> None:
        self._set_gateway(True)

    async def on_resumed(self) -> None:
        self._set_gateway(True)

    async def on_disconnect(self) -> None:
        self._set_gateway(False)

    def _set_gateway(self, connected: bool) -> None:
        self.gateway_connected = connected
        self.metrics.gateway.set(int(connected))

    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: app_commands.Command[Any, ..., Any]
    ) -> None:
        self.metrics.commands.labels(command=command.qualified_name, outcome="ok").inc()

    async def sync_commands(self) -> None:
        """Sync the command tree only when its definitions changed since the last sync, and
        only in one process at a time (replicas starting together sync once)."""
        guild = discord.Object(self.settings.guild_id) if self.settings.guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        target = str(guild.id) if guild else "global"
        definitions = sorted(
            (c.to_dict(self.tree) for c in self.tree.get_commands(guild=guild)),
            key=lambda d: d["name"],
        )
        digest = hashlib.sha256(
            json.dumps([self.application_id, definitions], sort_keys=True).encode()
        ).hexdigest()
        key = f"command_sync:{target}"
        lease = Lease(self.db, "command-sync", self.identity, ttl=SYNC_LEASE_SECONDS)
        try:
            async with asyncio.timeout(SYNC_LEASE_SECONDS):
                while not await lease.acquire():
                    if await self.meta.get(key) == digest:
                        break
                    await asyncio.sleep(0.5)  # another process is syncing these commands
        except TimeoutError:
            log.warning("another process has been syncing the slash commands for a minute")
            return
        try:
            if await self.meta.get(key) == digest:
                log.info("slash commands unchanged since the last sync (%s): not syncing", target)
                return
            try:
                synced = await self.tree.sync(guild=guild)
            except discord.Forbidden:
                log.error(
                    "Discord refused to register slash commands in server %s: invite the bot "
                    "there with the 'applications.commands' scope, or unset DISCORD_GUILD_ID",
                    target,
                )
                return
            await self.meta.set(key, digest)
            log.info("synced %d slash commands (%s)", len(synced), target)
            await self._retire_other_targets(target)
        finally:
            await lease.release()

    async def _retire_other_targets(self, target: str) -> None:
        """Remove the commands registered earlier elsewhere (globally, or in another server),
        so that moving DISCORD_GUILD_ID does not leave every command listed twice."""
        assert self.application_id is not None
        for key in await self.meta.keys("command_sync:"):
            old = key.removeprefix("command_sync:")
            if old == target:
                continue
            try:
                if old == "global":
                    await self.http.bulk_upsert_global_commands(self.application_id, [])
                else:
                    await self.http.bulk_upsert_guild_commands(self.application_id, int(old), [])
            except discord.HTTPException as exc:
                log.warning("could not remove the old slash commands (%s): %s", old, exc.status)
                continue
            await self.meta.delete(key)
            log.info("removed the slash commands registered earlier (%s)", old)

    async def on_ready(self) -> None:
        log.info("ready as %s in %d servers", self.user, len(self.guilds))
        for guild in self.guilds:
            self.access.note_server(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.access.note_server(guild)

    async def close(self) -> None:
        """Let the commands being answered finish (a few seconds at most), then close."""
        running = self._answering - {asyncio.current_task()}
        if running:
            await asyncio.wait(running, timeout=SHUTDOWN_GRACE)
        await super().close()


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
            client = make_client(session, settings, metrics.observe_upstream)
            bot = MiniMaxBot(
                settings, db=db, client=client, metrics=metrics, identity=this_process()
            )
            if settings.health_port is not None:
                health = HealthServer(
                    settings.health_host, settings.health_port, metrics, bot.health_state
                )
                try:
                    await health.start()
                except OSError as exc:
                    raise StartupError(
                        f"HEALTH_PORT={settings.health_port}: cannot listen ({exc.strerror}): "
                        "pick a free port or leave it empty"
                    ) from exc
                owned.push_async_callback(health.stop)
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
