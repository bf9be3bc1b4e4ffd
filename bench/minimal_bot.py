"""The yardstick for the command path: the least a discord.py bot can do to answer /credits.

    python -m bench.minimal_bot API_BASE GATEWAY_URL

It defers, makes the same useapi.net request as the real bot (one aiohttp session for its
life), and edits the answer into one embed: no database, no claim, no history, no cache. Run
beside the real bot against its own loopback servers (bench.command_overhead does), so the
real bot's cost over it is what the product adds. It reads DISCORD_TOKEN, USEAPI_TOKEN and
USEAPI_BASE_URL from the environment.
"""

from __future__ import annotations

import os
import sys

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands


class MinimalBot(discord.Client):
    def __init__(self, base_url: str, token: str) -> None:
        super().__init__(intents=discord.Intents.none())
        self.tree = app_commands.CommandTree(self)
        self.base_url, self.token = base_url, token
        self.session: aiohttp.ClientSession | None = None

        @self.tree.command(name="credits")
        async def credits(interaction: discord.Interaction, account: str) -> None:
            """Show MiniMax credits."""
            await interaction.response.defer(ephemeral=True, thinking=True)
            assert self.session is not None
            async with self.session.get(
                f"{self.base_url}/minimax/features/",
                params={"account": account},
                headers={"Authorization": f"Bearer {self.token}"},
            ) as response:
                data = await response.json()
            embed = discord.Embed(
                title=f"Credits · {account}",
                description=f"**{data.get('totalCredits', 0):,}** video/image credits",
            )
            await interaction.edit_original_response(embed=embed)

    async def setup_hook(self) -> None:
        self.session = aiohttp.ClientSession()

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
        await super().close()


def main() -> None:
    api_base, gateway = sys.argv[1:3]
    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    bot = MinimalBot(os.environ["USEAPI_BASE_URL"], os.environ["USEAPI_TOKEN"])
    bot.run(os.environ["DISCORD_TOKEN"], log_handler=None)


if __name__ == "__main__":
    main()
