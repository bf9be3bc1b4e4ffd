"""Runs the unmodified bot.py against the loopback Discord: `launch_bot.py API_BASE GATEWAY [args]`.

Only the two addresses discord.py itself exposes are changed; the product has no test switch.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import discord.gateway
import discord.http
import yarl

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    api_base, gateway, *rest = sys.argv[1:]
    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    sys.path.insert(0, str(ROOT))
    sys.argv = [str(ROOT / "bot.py"), *rest]
    runpy.run_path(str(ROOT / "bot.py"), run_name="__main__")
