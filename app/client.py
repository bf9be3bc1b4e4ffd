"""The Discord client: its command tree, the one check every interaction passes (where it
comes from, and which process answers it), and the /healthz answer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from alerts.domain.status import AlertStatus
from app.access import REFUSAL, Access, Place, refuse
from app.access import describe as describe_interaction
from app.command_sync import sync_commands
from app.metrics import Metrics
from chat.accounts import AccountDirectory
from chat.replies import send_problem
from minimax_api import MiniMaxClient, UseapiError
from minimax_api.problems import Problem, describe
from settings import Settings
from state import Claims, Database, StoreUnavailable

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 5.0  # seconds the commands being answered get to finish at shutdown
ALREADY_ANSWERED = 40060  # Discord: "Interaction has already been acknowledged"
CLAIM_WAIT = 1.0  # seconds a claim may take before the interaction is answered regardless
DATABASE_DOWN = Problem(
    "The bot cannot use its database right now",
    "Try again in a minute. The operator finds the reason in the bot's log.",
)


MANAGES = "manages"
"""The extras key of a command only server managers may run (checked in `admit`)."""


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
        """Commands and autocomplete: where they come from, the member's permission for a
        command that changes what the bot does (`extras={MANAGES: True}`), then the claim."""
        command = interaction.command
        manage = command is not None and bool(command.extras.get(MANAGES))
        return await interaction.client.admit(interaction, manage=manage)

    async def on_error(
        self, interaction: discord.Interaction[MiniMaxBot], error: app_commands.AppCommandError
    ) -> None:
        """Unexpected command failures end in the bot's one place for them."""
        original = getattr(error, "original", error)
        command = interaction.command.qualified_name if interaction.command else "?"
        await interaction.client.interaction_failed(interaction, original, f"/{command}")


class MiniMaxBot(commands.Bot):
    """The Discord client. Everything it uses is opened before it and closed after it by
    `run_bot`, which owns them; the bot only borrows them."""

    def __init__(
        self,
        settings: Settings,
        *,
        db: Database,
        minimax: MiniMaxClient,
        metrics: Metrics,
        identity: str,
        accounts: AccountDirectory,
        claims: Claims,
        access: Access,
        alert_status: AlertStatus,
        cogs: Callable[[], Sequence[commands.Cog]] = list,
    ) -> None:
        """`cogs` gives the cogs to add at start (built by the composition root)."""
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
        self.minimax = minimax
        self.metrics = metrics
        self.identity = identity
        self.accounts = accounts  # for every `account` option's autocomplete
        self.claims = claims
        self.alert_status = alert_status
        self.access = access
        self._cogs = cogs
        self._warned_alert_server = False
        self.gateway_connected = False
        self._claims_failing = False
        self._answering: set[asyncio.Task[Any]] = set()

    async def setup_hook(self) -> None:
        for cog in self._cogs():
            await self.add_cog(cog)
        await sync_commands(self.tree, self.db, self.identity, self.settings.guild_id)
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
        Manage Server or ALERT_MANAGER_ROLE_ID: Discord applies no command permission to
        buttons and menus."""
        place = Place.of(interaction)
        where = self.access.where_refused(place)
        if where is None and not (manage and not self.access.may_manage(interaction)):
            return await self.claim_interaction(interaction.id)
        if where is not None:
            self.access.note_refusal(place, where, describe_interaction(interaction))
        if await self.claim_interaction(interaction.id):
            name = interaction.command.qualified_name if interaction.command else "component"
            self.metrics.commands.labels(command=name, outcome="refused").inc()
            await refuse(
                interaction, REFUSAL if where is not None else self.access.who_may_manage()
            )
        return False

    async def interaction_failed(
        self, interaction: discord.Interaction, error: BaseException, what: str
    ) -> None:
        """The one place an unexpected failure of a command, a button or a menu ends: 40060
        means another process answered first (a debug line); anything else is logged once,
        with its traceback when it is ours, and the member gets one short answer."""
        if isinstance(error, discord.HTTPException) and error.code == ALREADY_ANSWERED:
            log.debug("%s: another process answered interaction %s", what, interaction.id)
            return
        name = what.removeprefix("/") if what.startswith("/") else "component"
        self.metrics.commands.labels(command=name, outcome="error").inc()
        if isinstance(error, UseapiError | StoreUnavailable):
            log.warning("%s: %r", what, error)
        else:
            log.error("%s failed", what, exc_info=error)
        problem = DATABASE_DOWN if isinstance(error, StoreUnavailable) else describe(error)
        try:
            await send_problem(interaction, problem)
        except discord.HTTPException:
            log.warning("%s: could not tell the user about the failure", what)

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

    def healthz(self) -> tuple[bool, dict[str, Any]]:
        """The /healthz answer, (healthy, details). Healthy: the gateway is connected and, in
        the process that checks the accounts, the last check read useapi.net."""
        connected = self.gateway_connected and not self.is_closed()
        details: dict[str, Any] = {"gateway": "connected" if connected else "disconnected"}
        healthy, alerts = self.alert_status.healthz()
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

    async def on_ready(self) -> None:
        log.info("ready as %s in %d servers", self.user, len(self.guilds))
        for guild in self.guilds:
            self.access.note_server(guild)
        if not self._warned_alert_server and (left_out := self.access.alert_channel_left_out()):
            log.warning("%s", left_out)
            self._warned_alert_server = True

    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.access.note_server(guild)

    async def close(self) -> None:
        """Let the commands being answered finish (a few seconds at most), then close."""
        running = self._answering - {asyncio.current_task()}
        if running:
            await asyncio.wait(running, timeout=SHUTDOWN_GRACE)
        await super().close()
