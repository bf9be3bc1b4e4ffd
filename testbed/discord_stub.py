"""A loopback stand-in for Discord: the REST routes discord.py uses and a gateway websocket.

It records every request with its time, answers like Discord does, and lets a test inject
INTERACTION_CREATE events (slash commands and autocomplete) into the connected bot.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import mimetypes
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .waiting import Changes

APP_ID = 900000000000000001
BOT_USER_ID = 900000000000000001
GUILD_ID = 900000000000000100
CHANNEL_ID = 900000000000000200
OTHER_GUILD_ID = 900000000000000101  # a second server the bot is in (see DiscordStub.guilds)
OTHER_CHANNEL_ID = 900000000000000201  # its one channel
STRANGER_GUILD_ID = 900000000000000102  # a server the bot is not in (a user install's)
DM_CHANNEL_ID = 900000000000000299
USER_ID = 900000000000000300
API = "/api/v10"
EPHEMERAL = 64  # the message flag of an answer only its user sees

_ids = itertools.count(1_000_000_000_000_000_000)


def snowflake() -> str:
    return str(next(_ids))


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py only parses bodies whose Content-Type is exactly application/json.
    return web.Response(
        status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )


SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF8": "image/gif",
}


def _content_type(data: bytes, filename: str) -> str:
    """What Discord says a file is: from its first bytes, else from its name."""
    for signature, kind in SIGNATURES.items():
        if data.startswith(signature):
            return kind
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


async def _body_of(request: web.Request) -> Any:
    """The JSON a request carried (None without a body, the text when it is not JSON). A
    message with files comes as multipart/form-data: its JSON is the `payload_json` part, and
    each of its `attachments` gets the content type and size of its `files[id]` part, as
    Discord reports them (discord.py sends every file as application/octet-stream)."""
    if not request.can_read_body:
        return None
    if request.content_type == "multipart/form-data":
        form = await request.post()
        body = json.loads(str(form.get("payload_json") or "{}"))
        for attachment in body.get("attachments") or []:
            part = form.get(f"files[{attachment.get('id')}]")
            if isinstance(part, web.FileField):
                data = part.file.read()
                attachment.setdefault("filename", part.filename)
                attachment["content_type"] = _content_type(data, attachment["filename"])
                attachment["size"] = len(data)
        return body
    raw = await request.read()
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode(errors="replace")


def user_payload(user_id: int = USER_ID, name: str = "tester", bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
    }


def channel_of(guild_id: int) -> int:
    """Each server of the stand-in has one text channel."""
    return {GUILD_ID: CHANNEL_ID, OTHER_GUILD_ID: OTHER_CHANNEL_ID}.get(guild_id, guild_id + 100)


def channel_payload(guild_id: int = GUILD_ID) -> dict[str, Any]:
    return {
        "id": str(channel_of(guild_id)),
        "type": 0,
        "guild_id": str(guild_id),
        "name": "general",
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
    }


def guild_payload(guild_id: int = GUILD_ID, name: str = "Test server") -> dict[str, Any]:
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "owner_id": str(USER_ID),
        "roles": [
            {
                "id": str(guild_id),
                "name": "@everyone",
                "permissions": "2248473465835073",
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ],
        "emojis": [],
        "stickers": [],
        "features": [],
        "channels": [channel_payload(guild_id)],
        "threads": [],
        "members": [],
        "voice_states": [],
        "presences": [],
        "member_count": 2,
        "large": False,
        "unavailable": False,
        "joined_at": "2026-01-01T00:00:00+00:00",
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "system_channel_flags": 0,
        "premium_tier": 0,
        "nsfw_level": 0,
        "preferred_locale": "en-US",
    }


ALL_PERMISSIONS = 2248473465835073  # what the stand-in's members may do (Manage Server too)


def place_payload(
    where: str = "server", guild_id: int = GUILD_ID, permissions: int = ALL_PERMISSIONS
) -> dict[str, Any]:
    """The fields of an interaction that say where it comes from and who sent it: "server" (a
    server that installed the bot: `guild_id`, a member with `permissions`), "dm" (a direct
    message with the bot) or "user" (a user install, used in `guild_id`)."""
    common: dict[str, Any] = {
        "id": snowflake(),
        "application_id": str(APP_ID),
        "token": f"itoken-{snowflake()}",
        "version": 1,
        "app_permissions": str(ALL_PERMISSIONS),
        "locale": "en-US",
        "entitlements": [],
        "attachment_size_limit": 26214400,
    }
    if where == "dm":
        return {
            **common,
            "channel_id": str(DM_CHANNEL_ID),
            "channel": {"id": str(DM_CHANNEL_ID), "type": 1, "recipients": [user_payload()]},
            "user": user_payload(),
            "authorizing_integration_owners": {"0": "0"},
            "context": 1,
        }
    owners = {"0": str(guild_id)} if where == "server" else {"1": str(USER_ID)}
    return {
        **common,
        "guild_id": str(guild_id),
        "channel_id": str(channel_of(guild_id)),
        "channel": channel_payload(guild_id),
        "member": {
            "user": user_payload(),
            "roles": [],
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": str(permissions),
        },
        "guild_locale": "en-US",
        "authorizing_integration_owners": owners,
        "context": 0,
    }


@dataclass
class Call:
    """One request the bot made, with its JSON body (None when there was none)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float
    status: int = 200

    @property
    def interaction_token(self) -> str | None:
        parts = self.path.split("/")
        if "interactions" in parts:
            return parts[parts.index("interactions") + 2]
        if "webhooks" in parts:
            return parts[parts.index("webhooks") + 2]
        return None


CALL = web.RequestKey("call", Call)


@dataclass
class Injected:
    """An interaction the test sent, and every request the bot made with its token."""

    id: str
    token: str
    at: float
    calls: list[Call] = field(default_factory=list)

    def callback(self) -> dict[str, Any] | None:
        found = [c.body for c in self.calls if c.path.endswith("/callback")]
        return found[0] if found else None

    def final_messages(self) -> list[dict[str, Any]]:
        """What the user ends up seeing: the edited original and any follow-ups."""
        return [
            c.body
            for c in self.calls
            if c.method in ("PATCH", "POST") and "/webhooks/" in c.path and isinstance(c.body, dict)
        ]

    def embeds(self) -> list[dict[str, Any]]:
        return [e for m in self.final_messages() for e in m.get("embeds", [])]


class DiscordStub:
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.injected: dict[str, Injected] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.sync_count = 0
        self.bot_public = True  # the developer portal's "Public Bot" switch
        self.guilds: dict[int, str] = {GUILD_ID: "Test server"}  # the servers the bot is in
        self.channel_status: int = 200
        self.posted: list[dict[str, Any]] = []  # channel messages Discord created
        self.by_nonce: dict[str, dict[str, Any]] = {}
        self.hold_after_post: float = 0.0  # answer late, after the message exists
        self.history_status: int = 200
        # A gateway close code to answer IDENTIFY and RESUME with (None: accept them).
        self.refuse_identify: int | None = None
        # Decide per message body: None posts it; (status, code, message) refuses it.
        self.refuse: Callable[[dict[str, Any]], tuple[int, int, str] | None] = lambda body: None
        self._created: list[dict[str, Any]] = []
        self._changes = Changes()
        self._sockets: list[web.WebSocketResponse] = []
        self._seq = 0
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.ready = asyncio.Event()

    # -- lifecycle -------------------------------------------------------------
    @property
    def sockets(self) -> list[web.WebSocketResponse]:
        """The gateway sessions connected now (one per bot process)."""
        return list(self._sockets)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record])
        r = app.router
        r.add_get(f"{API}/users/@me", self._me)
        r.add_get(f"{API}/oauth2/applications/@me", self._application)
        r.add_get(f"{API}/applications/@me", self._application)
        r.add_put(f"{API}/applications/{{app}}/commands", self._sync)
        r.add_put(f"{API}/applications/{{app}}/guilds/{{guild}}/commands", self._sync)
        r.add_get(f"{API}/applications/{{app}}/commands", self._list_commands)
        r.add_get(f"{API}/applications/{{app}}/guilds/{{guild}}/commands", self._list_commands)
        r.add_post(f"{API}/interactions/{{id}}/{{token}}/callback", self._callback)
        r.add_patch(f"{API}/webhooks/{{app}}/{{token}}/messages/{{message}}", self._edit)
        r.add_delete(f"{API}/webhooks/{{app}}/{{token}}/messages/{{message}}", self._delete)
        r.add_post(f"{API}/webhooks/{{app}}/{{token}}", self._followup)
        r.add_post(f"{API}/channels/{{channel}}/messages", self._channel_message)
        r.add_get(f"{API}/channels/{{channel}}", self._channel)
        r.add_get(f"{API}/channels/{{channel}}/messages", self._history)
        r.add_get("/gateway", self._gateway)
        self._runner = runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self.port = runner.addresses[0][1]  # (host, port) of its one site

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner:
            await self._runner.cleanup()

    # -- waiting -----------------------------------------------------------------
    async def wait_for(self, predicate: Callable[[], Any], within: float = 15.0) -> Any:
        """Wait until `predicate()` is truthy, re-checking on every recorded request."""
        return await self._changes.wait_for(predicate, within)

    # -- recording -----------------------------------------------------------------
    @web.middleware
    async def _record(
        self, request: web.Request, handler: Callable[..., Any]
    ) -> web.StreamResponse:
        if request.path == "/gateway":
            return await handler(request)
        body = await _body_of(request)
        call = Call(request.method, request.path, dict(request.query), body, time.monotonic())
        if request.path != f"{API}/users/@me" and request.headers.get("Authorization") not in (
            f"Bot {self.token}",
            None,
        ):
            call.status = 401
            self.calls.append(call)
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        request[CALL] = call
        self.calls.append(call)
        token = call.interaction_token
        if token:
            for item in self.injected.values():
                if item.token == token:
                    item.calls.append(call)
        response = await handler(request)
        call.status = response.status
        self._changes.notify()
        return response

    # -- REST --------------------------------------------------------------------------
    async def _me(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bot {self.token}":
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        return _json(user_payload(BOT_USER_ID, "minimax-bot", bot=True))

    async def _application(self, request: web.Request) -> web.Response:
        return _json(
            {
                "id": str(APP_ID),
                "name": "minimax-bot",
                "icon": None,
                "description": "",
                "bot_public": self.bot_public,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "owner": user_payload(),
                "team": None,
                "summary": "",
                "bot": user_payload(BOT_USER_ID, "minimax-bot", bot=True),
            }
        )

    async def _sync(self, request: web.Request) -> web.Response:
        body = request[CALL].body or []
        target = request.match_info.get("guild", "global")
        self.sync_count += 1
        stored = [
            {
                **cmd,
                "id": snowflake(),
                "application_id": str(APP_ID),
                "version": snowflake(),
                "default_member_permissions": cmd.get("default_member_permissions"),
                **({"guild_id": target} if target != "global" else {}),
            }
            for cmd in body
        ]
        self.commands[target] = stored
        return _json(stored)

    async def _list_commands(self, request: web.Request) -> web.Response:
        return _json(self.commands.get(request.match_info.get("guild", "global"), []))

    def _message(
        self, body: dict[str, Any] | None, *, flags: int = 0, interaction: bool = True
    ) -> dict[str, Any]:
        body = body or {}
        return {
            "id": snowflake(),
            "channel_id": str(CHANNEL_ID),
            "guild_id": str(GUILD_ID),
            "type": 20 if interaction else 0,
            "content": body.get("content") or "",
            "author": user_payload(BOT_USER_ID, "minimax-bot", bot=True),
            "embeds": body.get("embeds") or [],
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": "2026-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "flags": body.get("flags", flags) or 0,
            "components": [],
            "application_id": str(APP_ID),
            "webhook_id": str(APP_ID),
        }

    async def _callback(self, request: web.Request) -> web.Response:
        body = request[CALL].body or {}
        data = body.get("data") or {}
        kind = body.get("type")
        ephemeral = bool((data.get("flags") or 0) & EPHEMERAL)
        response: dict[str, Any] = {
            "interaction": {
                "id": request.match_info["id"],
                "type": 2,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": ephemeral,
            }
        }
        if kind in (4, 5):
            message = self._message(data)
            response["interaction"]["response_message_id"] = message["id"]
            response["resource"] = {"type": kind, "message": message}
        elif kind is not None:
            response["resource"] = {"type": kind}
        return _json(response)

    async def _edit(self, request: web.Request) -> web.Response:
        return _json(self._message(request[CALL].body))

    async def _delete(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _followup(self, request: web.Request) -> web.Response:
        return _json(self._message(request[CALL].body))

    async def _history(self, request: web.Request) -> web.Response:
        if self.history_status != 200:
            return _json({"message": "Missing Access", "code": 50001}, self.history_status)
        limit = int(request.query.get("limit", 50))
        return _json(
            [{k: v for k, v in m.items() if k != "nonce"} for m in self._created[::-1][:limit]]
        )

    async def _channel(self, request: web.Request) -> web.Response:
        wanted = int(request.match_info["channel"])
        guild = next((g for g in self.guilds if channel_of(g) == wanted), GUILD_ID)
        return _json(channel_payload(guild))

    async def _channel_message(self, request: web.Request) -> web.Response:
        if self.channel_status != 200:
            return _json({"message": "Missing Permissions", "code": 50013}, self.channel_status)
        body = request[CALL].body or {}
        refused = self.refuse(body)
        if refused is not None:
            status, code, text = refused
            return _json({"message": text, "code": code}, status)
        nonce = body.get("nonce")
        if nonce and body.get("enforce_nonce") and nonce in self.by_nonce:
            return _json(self.by_nonce[nonce])  # Discord returns the first message again
        message = self._message(body, interaction=False)
        message["nonce"] = nonce
        self.posted.append({**body, "id": message["id"]})
        self._created.append(message)
        if nonce:
            self.by_nonce[nonce] = message
        self._changes.notify()
        if self.hold_after_post:
            await asyncio.sleep(self.hold_after_post)
        return _json(message)

    # -- gateway ------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(
            json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        )
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                if data["op"] == 1:
                    await ws.send_str(json.dumps({"op": 11, "d": None}))
                elif data["op"] in (2, 6) and self.refuse_identify is not None:
                    await ws.close(code=self.refuse_identify)
                elif data["op"] in (2, 6):
                    await self._send_ready(ws)
        finally:
            self._sockets.remove(ws)
        return ws

    async def close_gateway(self, code: int) -> None:
        """Close every connected gateway socket with `code`, as Discord does (4004: the token
        was reset in the developer portal while the bot ran)."""
        for ws in list(self._sockets):
            await ws.close(code=code)

    async def _dispatch(
        self, ws: web.WebSocketResponse, event: str, payload: dict[str, Any]
    ) -> None:
        self._seq += 1
        await ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": payload}))

    async def _send_ready(self, ws: web.WebSocketResponse) -> None:
        await self._dispatch(
            ws,
            "READY",
            {
                "v": 10,
                "user": user_payload(BOT_USER_ID, "minimax-bot", bot=True),
                "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds],
                "session_id": "stub-session",
                "resume_gateway_url": self.gateway_url,
                "application": {"id": str(APP_ID), "flags": 0},
                "private_channels": [],
                "relationships": [],
            },
        )
        for guild_id, name in self.guilds.items():
            await self._dispatch(ws, "GUILD_CREATE", guild_payload(guild_id, name))
        self.ready.set()

    async def join(self, guild_id: int, name: str) -> None:
        """Someone adds the bot to a server: GUILD_CREATE to every connected bot."""
        self.guilds[guild_id] = name
        payload = guild_payload(guild_id, name)
        del payload["unavailable"]  # a new server, not one coming back from an outage
        for ws in list(self._sockets):
            await self._dispatch(ws, "GUILD_CREATE", payload)

    # -- injecting interactions -------------------------------------------------------------
    def interaction_payload(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        focused: str | None = None,
        subcommand: str | None = None,
        where: str = "server",
        guild_id: int = GUILD_ID,
    ) -> dict[str, Any]:
        """A slash command (or its autocomplete, with `focused`) as Discord sends it, from
        `where` (see `place_payload`)."""
        kinds = {bool: 5, int: 4, float: 10, str: 3}
        opts = [
            {
                "name": k,
                "type": kinds[type(v)],
                "value": v,
                **({"focused": True} if k == focused else {}),
            }
            for k, v in (options or {}).items()
        ]
        if subcommand:
            opts = [{"name": subcommand, "type": 1, "options": opts}]
        command = next(
            (c for cs in self.commands.values() for c in cs if c["name"] == name),
            {"id": snowflake()},
        )
        payload = place_payload(where, guild_id)
        data = {"id": command["id"], "name": name, "type": 1, "options": opts}
        if "guild_id" in payload:
            data["guild_id"] = payload["guild_id"]
        return {**payload, "type": 4 if focused else 2, "data": data}

    def component_payload(
        self,
        custom_id: str,
        *,
        values: list[str] | None = None,
        message: dict[str, Any] | None = None,
        where: str = "server",
        guild_id: int = GUILD_ID,
        permissions: int = ALL_PERMISSIONS,
    ) -> dict[str, Any]:
        """A press on a button (or a choice in a string select menu, with `values`) of
        `message`, as Discord sends it."""
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": 2}
        if values is not None:
            data.update(component_type=3, values=values)
        payload = place_payload(where, guild_id, permissions)
        message = message or self._message({}, interaction=False)
        return {**payload, "type": 3, "data": data, "message": message}

    def track(self, payload: dict[str, Any]) -> Injected:
        item = Injected(payload["id"], payload["token"], time.monotonic())
        self.injected[item.id] = item
        return item

    async def inject(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        focused: str | None = None,
        subcommand: str | None = None,
        where: str = "server",
        guild_id: int = GUILD_ID,
    ) -> Injected:
        """Send an INTERACTION_CREATE to every connected bot."""
        payload = self.interaction_payload(
            name, options, focused=focused, subcommand=subcommand, where=where, guild_id=guild_id
        )
        item = self.track(payload)
        for ws in list(self._sockets):
            await self._dispatch(ws, "INTERACTION_CREATE", payload)
        return item
