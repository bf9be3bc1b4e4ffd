"""A loopback stand-in for Discord: the REST routes discord.py uses and a gateway websocket.

It records every request with its time, answers like Discord does, keeps the messages the bot
posts in each channel (and edits them as Discord does), and lets a test inject
INTERACTION_CREATE events (slash commands, autocomplete and presses on a message's buttons and
select menus) into the connected bot.
"""

from __future__ import annotations

import asyncio
import copy
import json
import mimetypes
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Unpack

from aiohttp import WSMsgType, web

from .discord_payloads import (
    API,
    APP_ID,
    BOT_USER_ID,
    EPHEMERAL,
    GUILD_ID,
    HIDDEN_CHANNEL_ID,
    MUTED_CHANNEL_ID,
    Presser,
    channel_payload,
    channels_of,
    command_payload,
    component_payload,
    guild_payload,
    message_payload,
    snowflake,
    user_payload,
)
from .waiting import Changes


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py only parses bodies whose Content-Type is exactly application/json.
    return web.Response(
        status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )


UNKNOWN_MESSAGE = {"message": "Unknown Message", "code": 10008}
UNKNOWN_CHANNEL = {"message": "Unknown Channel", "code": 10003}
MISSING_ACCESS = {"message": "Missing Access", "code": 50001}  # a channel the bot cannot see
UNKNOWN_MEMBER = {"message": "Unknown Member", "code": 10007}
DMS_CLOSED = {"message": "Cannot send messages to this user", "code": 50007}
ALREADY_ACKNOWLEDGED = {"message": "Interaction has already been acknowledged.", "code": 40060}
UPDATES_ITS_MESSAGE = (6, 7)  # DEFERRED_UPDATE_MESSAGE and UPDATE_MESSAGE: only for components
EDITABLE = ("content", "embeds", "components", "allowed_mentions")  # what an edit may change


def _public(message: dict[str, Any], *, nonce: bool = False) -> dict[str, Any]:
    """A stored message as Discord shows it: without the allowed_mentions it was sent with, and
    without its nonce unless the bot is being told it created the message."""
    hidden = {"allowed_mentions"} if nonce else {"allowed_mentions", "nonce"}
    return {k: v for k, v in message.items() if k not in hidden}


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


async def _body_of(request: web.Request) -> tuple[Any, dict[str, bytes]]:
    """The JSON a request carried (None without a body, the text when it is not JSON), and
    its files by name. A message with files comes as multipart/form-data: its JSON is the
    `payload_json` part, and each of its `attachments` gets the content type and size of its
    `files[id]` part, as Discord reports them (discord.py sends every file as
    application/octet-stream)."""
    if not request.can_read_body:
        return None, {}
    if request.content_type == "multipart/form-data":
        form = await request.post()
        body = json.loads(str(form.get("payload_json") or "{}"))
        files = {}
        for attachment in body.get("attachments") or []:
            part = form.get(f"files[{attachment.get('id')}]")
            if isinstance(part, web.FileField):
                data = part.file.read()
                attachment.setdefault("filename", part.filename)
                attachment["content_type"] = _content_type(data, attachment["filename"])
                attachment["size"] = len(data)
                files[attachment["filename"]] = data
        return body, files
    raw = await request.read()
    try:
        return (json.loads(raw) if raw else None), {}
    except ValueError:
        return raw.decode(errors="replace"), {}


@dataclass
class Call:
    """One request the bot made, with its JSON body (None when there was none)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float
    status: int = 200
    files: dict[str, bytes] = field(default_factory=dict)  # a message's attachments, by name

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
class Edit:
    """One change Discord made to a channel message, and the body that asked for it."""

    message_id: str
    body: dict[str, Any]


@dataclass
class Injected:
    """An interaction the test sent, and every request the bot made with its token."""

    id: str
    token: str
    at: float
    kind: int = 2  # the interaction type: 2 a command, 3 a component, 4 autocomplete
    message_id: str | None = None  # a component's: the message it is on
    calls: list[Call] = field(default_factory=list)

    def callback(self) -> dict[str, Any] | None:
        """The body of the bot's first answer to the interaction (any later one was refused)."""
        found = [c.body for c in self.calls if c.path.endswith("/callback")]
        return found[0] if found else None

    def final_messages(self) -> list[dict[str, Any]]:
        """What the user ends up seeing: the edited original and any follow-ups."""
        return [
            c.body
            for c in self.calls
            if c.method in ("PATCH", "POST") and "/webhooks/" in c.path and isinstance(c.body, dict)
        ]

    def followups(self) -> list[dict[str, Any]]:
        """The follow-up messages the bot sent (a line after a deferred press, say)."""
        return [
            c.body
            for c in self.calls
            if c.method == "POST" and "/webhooks/" in c.path and isinstance(c.body, dict)
        ]

    def embeds(self) -> list[dict[str, Any]]:
        return [e for m in self.final_messages() for e in m.get("embeds", [])]

    def files(self) -> dict[str, bytes]:
        """The files the bot's answers carried, by name (a chart, say)."""
        return {name: data for c in self.calls for name, data in c.files.items()}


class DiscordStub:
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.injected: dict[str, Injected] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.sync_count = 0
        self.bot_public = True  # the developer portal's "Public Bot" switch
        self.guilds: dict[int, str] = {GUILD_ID: "Test server"}  # the servers the bot is in
        self.channel_status: int = 200  # not 200: every post in any channel is refused
        # What Discord answers a post in a channel (status, code, message): the bot may not
        # send in read-only, and cannot see the hidden channel.
        self.channel_refusals: dict[int, tuple[int, int, str]] = {
            MUTED_CHANNEL_ID: (403, 50013, "Missing Permissions"),
            HIDDEN_CHANNEL_ID: (403, 50001, "Missing Access"),
        }
        self.posted: list[dict[str, Any]] = []  # what the bot posted in channels, as it sent it
        self.messages: dict[str, dict[str, Any]] = {}  # channel messages as they are now, by id
        self.edits: list[Edit] = []  # every change to a channel message, oldest first
        self.by_nonce: dict[str, dict[str, Any]] = {}
        self.dms: list[dict[str, Any]] = []  # direct messages, as sent, with their `user_id`
        self.dm_closed: set[int] = set()  # users whose DMs are closed: 403 50007
        self.left: set[int] = set()  # users who are in no server: Get Member answers 10007
        self.dm_refusal: tuple[int, int, str] | None = None  # every DM refused with it
        self.dm_gate = asyncio.Event()  # cleared: DMs wait (Discord takes them late)
        self.dm_gate.set()
        self._dm_channels: dict[int, int] = {}  # DM channel id: its recipient
        self.hold_after_post: float = 0.0  # answer late, after the message exists
        self.callback_delay: float = 0.0  # answer interaction callbacks this late
        self.history_status: int = 200
        # What Discord answers an edit of an interaction's message (status, code, message);
        # None: it edits it.
        self.edit_refusal: tuple[int, int, str] | None = None
        # A gateway close code to answer IDENTIFY and RESUME with (None: accept them).
        self.refuse_identify: int | None = None
        # Decide per message body: None posts it; (status, code, message) refuses it.
        self.refuse: Callable[[dict[str, Any]], tuple[int, int, str] | None] = lambda body: None
        self._changes = Changes()
        self._sockets: list[web.WebSocketResponse] = []
        self._acknowledged: dict[str, int] = {}  # interaction id: the type of its one callback
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
        r.add_post(f"{API}/users/@me/channels", self._open_dm)
        r.add_get(f"{API}/guilds/{{guild}}/members/{{user}}", self._member)
        r.add_post(f"{API}/channels/{{channel}}/messages", self._channel_message)
        r.add_get(f"{API}/channels/{{channel}}", self._channel)
        r.add_get(f"{API}/channels/{{channel}}/messages", self._history)
        r.add_patch(f"{API}/channels/{{channel}}/messages/{{message}}", self._edit_message)
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
        body, files = await _body_of(request)
        call = Call(
            request.method, request.path, dict(request.query), body, time.monotonic(), files=files
        )
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

    def _pressed(self, item: Injected | None) -> dict[str, Any] | None:
        """The stored channel message a component interaction came from (None for any other)."""
        return self.messages.get(item.message_id) if item and item.message_id else None

    async def _callback(self, request: web.Request) -> web.Response:
        """Create Interaction Response: once per interaction (40060 after that). For a press,
        type 7 (UPDATE_MESSAGE) edits the message the component is on; type 6
        (DEFERRED_UPDATE_MESSAGE) only acknowledges, the edit comes through @original."""
        body = request[CALL].body or {}
        data = body.get("data") or {}
        kind = body.get("type")
        interaction_id = request.match_info["id"]
        if interaction_id in self._acknowledged:
            return _json(ALREADY_ACKNOWLEDGED, 400)
        if kind is not None:
            self._acknowledged[interaction_id] = kind
        if self.callback_delay:
            await asyncio.sleep(self.callback_delay)  # a slow Discord, on demand
        item = self.injected.get(interaction_id)
        ephemeral = bool((data.get("flags") or 0) & EPHEMERAL)
        response: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": item.kind if item else 2,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": ephemeral,
            }
        }
        pressed = self._pressed(item)
        if kind == 7 and pressed is not None:
            message = self._change(pressed, data)
            response["interaction"]["response_message_id"] = message["id"]
            response["resource"] = {"type": kind, "message": message}
        elif kind in (4, 5):
            message = message_payload(data)
            response["interaction"]["response_message_id"] = message["id"]
            response["resource"] = {"type": kind, "message": message}
        elif kind is not None:
            response["resource"] = {"type": kind}
        return _json(response)

    async def _edit(self, request: web.Request) -> web.Response:
        """Edit a webhook message. For a press answered with type 6 or 7, "@original" is the
        channel message the component is on: Discord edits that one."""
        body = request[CALL].body
        if self.edit_refusal is not None:
            status, code, text = self.edit_refusal
            return _json({"message": text, "code": code}, status)
        if request.match_info["message"] == "@original":
            token = request.match_info["token"]
            item = next((i for i in self.injected.values() if i.token == token), None)
            pressed = self._pressed(item)
            if item and pressed and self._acknowledged.get(item.id) in UPDATES_ITS_MESSAGE:
                return _json(self._change(pressed, body or {}))
        return _json(message_payload(body))

    async def _delete(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _followup(self, request: web.Request) -> web.Response:
        return _json(message_payload(request[CALL].body))

    async def _history(self, request: web.Request) -> web.Response:
        channel = request.match_info["channel"]
        if self.history_status != 200:
            return _json(MISSING_ACCESS, self.history_status)
        if int(channel) == HIDDEN_CHANNEL_ID:
            return _json(MISSING_ACCESS, 403)
        limit = int(request.query.get("limit", 50))
        here = [m for m in self.messages.values() if m["channel_id"] == channel]
        return _json([_public(m) for m in here[::-1][:limit]])  # newest first

    def _server_of(self, channel_id: int) -> int | None:
        """The server the bot is in whose channels (as GUILD_CREATE sends them) hold this one."""
        return next((g for g in self.guilds if channel_id in channels_of(g)), None)

    def _guild_of(self, channel_id: int) -> int:
        """The server of a channel the bot sees; the team server for any other (the hidden
        channel is the team server's too)."""
        found = self._server_of(channel_id)
        return GUILD_ID if found is None else found

    async def _channel(self, request: web.Request) -> web.Response:
        """Get Channel: a channel of a server the bot is in; 403 50001 for the hidden one,
        10003 for any other."""
        channel = int(request.match_info["channel"])
        if channel == HIDDEN_CHANNEL_ID:
            return _json(MISSING_ACCESS, 403)
        guild = self._server_of(channel)
        if guild is None:
            return _json(UNKNOWN_CHANNEL, 404)
        return _json(channel_payload(guild, channel))

    async def _open_dm(self, request: web.Request) -> web.Response:
        """Create DM: one DM channel (type 1) per recipient."""
        user = int((request[CALL].body or {})["recipient_id"])
        channel = next((c for c, u in self._dm_channels.items() if u == user), None)
        if channel is None:
            channel = int(snowflake())
            self._dm_channels[channel] = user
        return _json(
            {
                "id": str(channel),
                "type": 1,
                "recipients": [user_payload(user)],
                "last_message_id": None,
                "flags": 0,
            }
        )

    async def _member(self, request: web.Request) -> web.Response:
        """Get Guild Member: every user is a member of every server but those in `left`."""
        user = int(request.match_info["user"])
        if user in self.left:
            return _json(UNKNOWN_MEMBER, 404)
        return _json(
            {
                "user": user_payload(user),
                "roles": [],
                "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
            }
        )

    async def _direct_message(self, user: int, channel: int, body: dict[str, Any]) -> web.Response:
        """A message in a DM channel: refused (50007) when the user closed their DMs, or as
        `dm_refusal` says; else recorded in `dms` once `dm_gate` is open."""
        await self.dm_gate.wait()
        if user in self.dm_closed:
            return _json(DMS_CLOSED, 403)
        if self.dm_refusal is not None:
            status, code, text = self.dm_refusal
            return _json({"message": text, "code": code}, status)
        message = message_payload(body, interaction=False, channel_id=channel)
        del message["guild_id"]
        self.dms.append({**body, "id": message["id"], "channel_id": str(channel), "user_id": user})
        self._changes.notify()
        return _json(message)

    async def _channel_message(self, request: web.Request) -> web.Response:
        """Create Message: a DM as `_direct_message` says; else refused everywhere while
        `channel_status` is not 200, then as `channel_refusals` says for its channel, then as
        `refuse` says for its body."""
        if (user := self._dm_channels.get(int(request.match_info["channel"]))) is not None:
            body = request[CALL].body or {}
            return await self._direct_message(user, int(request.match_info["channel"]), body)
        if self.channel_status != 200:
            return _json({"message": "Missing Permissions", "code": 50013}, self.channel_status)
        channel = int(request.match_info["channel"])
        if channel in self.channel_refusals:
            status, code, text = self.channel_refusals[channel]
            return _json({"message": text, "code": code}, status)
        body = request[CALL].body or {}
        refused = self.refuse(body)
        if refused is not None:
            status, code, text = refused
            return _json({"message": text, "code": code}, status)
        nonce = body.get("nonce")
        if nonce and body.get("enforce_nonce") and nonce in self.by_nonce:
            # Discord returns the first message again
            return _json(_public(self.by_nonce[nonce], nonce=True))
        message = message_payload(
            body, interaction=False, channel_id=channel, guild_id=self._guild_of(channel)
        )
        message.update(nonce=nonce, allowed_mentions=body.get("allowed_mentions"))
        self.posted.append(
            {
                **body,
                "id": message["id"],
                "channel_id": message["channel_id"],
                "components": message["components"],
            }
        )
        self.messages[message["id"]] = message
        if nonce:
            self.by_nonce[nonce] = message
        self._changes.notify()
        if self.hold_after_post:
            await asyncio.sleep(self.hold_after_post)
        return _json(_public(message, nonce=True))

    async def _edit_message(self, request: web.Request) -> web.Response:
        """Discord's Edit Message: only a message of that channel; 10008 for any other."""
        message = self.messages.get(request.match_info["message"])
        if message is None or message["channel_id"] != request.match_info["channel"]:
            return _json(UNKNOWN_MESSAGE, 404)
        return _json(self._change(message, request[CALL].body or {}))

    def _change(self, message: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        """Edit a stored message as Discord does: a field the body leaves out stays as it was,
        null clears it; record the edit and return the message as the bot now sees it."""
        cleared: dict[str, Any] = {"content": "", "embeds": [], "components": []}
        for key in EDITABLE:
            if key in body:
                message[key] = cleared.get(key) if body[key] is None else body[key]
        message["edited_timestamp"] = datetime.now(UTC).isoformat()
        self.edits.append(Edit(message["id"], body))
        return _public(message)

    def message(self, message_id: str) -> dict[str, Any]:
        """A channel message as it is now (a copy, with the allowed_mentions it was last sent
        with)."""
        return copy.deepcopy(self.messages[message_id])

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
        user_id: int | None = None,
        **how: Any,
    ) -> dict[str, Any]:
        """`command_payload` with the id Discord gave the command when it was synced (with
        `user_id`: sent by that member, in a server)."""
        command = next(
            (c for cs in self.commands.values() for c in cs if c["name"] == name),
            {"id": snowflake()},
        )
        payload = command_payload(name, options, command_id=command["id"], **how)
        if user_id is not None:
            payload["member"]["user"] = user_payload(user_id)
        return payload

    def track(self, payload: dict[str, Any]) -> Injected:
        """Record an interaction sent to the bot; a press remembers the message it is on."""
        item = Injected(
            payload["id"],
            payload["token"],
            time.monotonic(),
            kind=payload["type"],
            message_id=(payload.get("message") or {}).get("id"),
        )
        self.injected[item.id] = item
        return item

    async def send_interaction(self, payload: dict[str, Any], via: int | None = None) -> Injected:
        """Send an INTERACTION_CREATE to every connected bot (with `via`: only to the bot
        that connected `via`-th, counting from 0)."""
        item = self.track(payload)
        sockets = list(self._sockets)
        for ws in sockets if via is None else sockets[via : via + 1]:
            await self._dispatch(ws, "INTERACTION_CREATE", payload)
        return item

    async def inject(
        self, name: str, options: dict[str, Any] | None = None, **how: Any
    ) -> Injected:
        """A slash command (see `command_payload` for `how`) to every connected bot."""
        return await self.send_interaction(self.interaction_payload(name, options, **how))

    async def press(
        self,
        message_id: str,
        custom_id: str,
        *,
        values: list[str] | None = None,
        via: int | None = None,
        **who: Unpack[Presser],
    ) -> Injected:
        """A member presses the button `custom_id` of a channel message (with `values`: chooses
        them in its select menu): INTERACTION_CREATE with the message as it is now, to every
        connected bot. `who` (where, guild_id, permissions, roles, user_id): as for
        `component_payload`, whose defaults are a member of the stand-in's server who does not
        manage it. `via`: as for `send_interaction`."""
        message = _public(self.messages[message_id])
        payload = component_payload(custom_id, message, values=values, **who)
        return await self.send_interaction(payload, via)
