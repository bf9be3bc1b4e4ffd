"""Registering the slash commands with Discord: only when their definitions changed since the
last sync, in one process at a time, and nowhere else than where they belong now."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import Any

import discord
from discord import app_commands

from state import Database, Lease, Meta

log = logging.getLogger(__name__)

SYNC_LEASE_SECONDS = 60.0
KEY = "command_sync:"  # then the target: a server id, or "global"


async def sync_commands(
    tree: app_commands.CommandTree[Any], db: Database, identity: str, guild_id: int | None
) -> None:
    """Sync `tree` (to the server `guild_id`, or globally) only when its definitions changed
    since the last sync, and only in one process at a time (replicas starting together sync
    once)."""
    meta = Meta(db)
    guild = discord.Object(guild_id) if guild_id else None
    if guild is not None:
        tree.copy_global_to(guild=guild)
    target = str(guild.id) if guild else "global"
    definitions = sorted(
        (c.to_dict(tree) for c in tree.get_commands(guild=guild)),
        key=lambda d: d["name"],
    )
    digest = hashlib.sha256(
        json.dumps([tree.client.application_id, definitions], sort_keys=True).encode()
    ).hexdigest()
    key = f"{KEY}{target}"
    lease = Lease(db, "command-sync", identity, ttl=SYNC_LEASE_SECONDS)
    try:
        async with asyncio.timeout(SYNC_LEASE_SECONDS):
            while not await lease.acquire():
                if await meta.get(key) == digest:
                    break
                await asyncio.sleep(0.5)  # another process is syncing these commands
    except TimeoutError:
        log.warning("another process has been syncing the slash commands for a minute")
        return
    try:
        if await meta.get(key) == digest:
            log.info("slash commands unchanged since the last sync (%s): not syncing", target)
            return
        try:
            synced = await tree.sync(guild=guild)
        except discord.Forbidden:
            log.error(
                "Discord refused to register slash commands in server %s: invite the bot "
                "there with the 'applications.commands' scope, or unset DISCORD_GUILD_ID",
                target,
            )
            return
        await meta.set(key, digest)
        log.info("synced %d slash commands (%s)", len(synced), target)
        await _retire_other_targets(tree.client, meta, target)
    finally:
        await lease.release()


async def _retire_other_targets(client: discord.Client, meta: Meta, target: str) -> None:
    """Remove the commands registered earlier elsewhere (globally, or in another server),
    so that moving DISCORD_GUILD_ID does not leave every command listed twice."""
    assert client.application_id is not None
    for key in await meta.keys(KEY):
        old = key.removeprefix(KEY)
        if old == target:
            continue
        try:
            if old == "global":
                await client.http.bulk_upsert_global_commands(client.application_id, [])
            else:
                await client.http.bulk_upsert_guild_commands(client.application_id, int(old), [])
        except discord.HTTPException as exc:
            log.warning("could not remove the old slash commands (%s): %s", old, exc.status)
            continue
        await meta.delete(key)
        log.info("removed the slash commands registered earlier (%s)", old)
