"""The Discord stand-in itself, through a plain discord.Client on its gateway: what a bot posts
is kept per channel, an edit changes it as Discord's does, and a press on a button or a select
menu reaches the bot, whose answer edits the message the component is on. The team server has
channels the bot may post in, one it may only read and one it cannot see; a slash command's
channel and role options reach the bot's command tree as discord.py resolves them."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import discord
import discord.gateway
import pytest
import yarl
from discord import app_commands

from testbed.discord_payloads import (
    ALL_PERMISSIONS,
    BOT_PERMISSIONS,
    BOT_ROLE_ID,
    BOT_USER_ID,
    CHANNEL_ID,
    GUILD_ID,
    HIDDEN_CHANNEL_ID,
    MUTED_CHANNEL_ID,
    OTHER_CHANNEL_ID,
    OTHER_GUILD_ID,
    ROLES,
    ROUTED_CHANNEL_ID,
    SEND_MESSAGES,
    ChannelRef,
    RoleRef,
    channel_of,
    command_payload,
)
from testbed.discord_stub import DiscordStub
from testbed.process import DISCORD_TOKEN
from tests.support.checks import all_problems

Answer = Callable[[discord.Interaction[Any]], Awaitable[None]]
ROLE_ID = 900000000000000555
PRESSER_ID = 900000000000000301


async def no_answer(interaction: discord.Interaction[Any]) -> None:
    raise AssertionError(f"an unexpected press: {interaction.data}")


class Bot(discord.Client):
    """A bare client that hands every press of a Snooze button to `answer`, with a command
    tree a test may add slash commands to (for the team server)."""

    def __init__(self) -> None:
        super().__init__(
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=0.05,  # the stand-in sends every server right after READY
        )
        self.answer: Answer = no_answer
        self.tree = app_commands.CommandTree(self)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(Snooze)


class Snooze(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"test:snooze:(?P<h>\d+)"):
    """A persistent button as the alerts will have: what it does is in its custom_id."""

    def __init__(self, hours: int) -> None:
        super().__init__(discord.ui.Button(label="Snooze", custom_id=f"test:snooze:{hours}"))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Snooze:
        return cls(int(match["h"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await cast(Bot, interaction.client).answer(interaction)


def snooze_view(hours: int = 1) -> discord.ui.View:
    return discord.ui.View(timeout=None).add_item(Snooze(hours))


class Accounts(discord.ui.View):
    """A multi-select menu of accounts: the choice becomes the message."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.select(
        custom_id="test:accounts",
        placeholder="Accounts",
        max_values=3,
        options=[discord.SelectOption(label=name) for name in ("a", "b", "c")],
    )
    async def choose(
        self, interaction: discord.Interaction[Any], select: discord.ui.Select[Any]
    ) -> None:
        await interaction.response.edit_message(content=f"Chosen: {', '.join(select.values)}")


Connect = Callable[[], Awaitable[Bot]]


@pytest.fixture
async def connect(
    discord_stub: DiscordStub, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Connect]:
    """Log bots in and connect them to the stand-in's gateway; afterwards close them and check
    every request they made."""
    gateway = yarl.URL(discord_stub.gateway_url)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", gateway)
    running: list[tuple[Bot, asyncio.Task[None]]] = []

    async def factory() -> Bot:
        bot = Bot()
        await bot.login(DISCORD_TOKEN)
        running.append((bot, asyncio.create_task(bot.connect(reconnect=False))))
        async with asyncio.timeout(10):
            await bot.wait_until_ready()
        return bot

    yield factory
    for bot, task in running:
        await bot.close()
        await task
    problems = all_problems(discord_stub.calls, [DISCORD_TOKEN])
    assert not problems, problems


async def post(bot: Bot, text: str, view: discord.ui.View) -> str:
    """Post `text` with the components of `view` in the stand-in's channel; the message id."""
    sent = await bot.get_partial_messageable(CHANNEL_ID).send(text, view=view)
    return str(sent.id)


async def test_update_message_edits_the_message_the_button_is_on(
    connect: Connect, discord_stub: DiscordStub
) -> None:
    bot = await connect()
    message_id = await post(bot, "Expiring soon", snooze_view(1))
    [posted] = discord_stub.posted
    assert posted["channel_id"] == str(CHANNEL_ID)
    assert posted["components"][0]["components"][0]["custom_id"] == "test:snooze:1"
    seen: list[tuple[str, int, list[int]]] = []

    async def answer(interaction: discord.Interaction[Any]) -> None:
        assert interaction.message is not None and isinstance(interaction.user, discord.Member)
        seen.append(
            (interaction.message.content, interaction.user.id, list(interaction.user._roles))
        )
        await interaction.response.edit_message(content="Snoozed for 1 hour", view=None)

    bot.answer = answer
    press = await discord_stub.press(
        message_id, "test:snooze:1", roles=[ROLE_ID], user_id=PRESSER_ID
    )
    await discord_stub.wait_for(lambda: discord_stub.message(message_id)["edited_timestamp"])
    message = discord_stub.message(message_id)
    assert message["content"] == "Snoozed for 1 hour" and message["components"] == []
    assert seen == [("Expiring soon", PRESSER_ID, [ROLE_ID])], "the message as it was, and who"
    callback = press.callback() or {}
    assert (callback["type"], callback["data"]["content"]) == (7, "Snoozed for 1 hour")
    assert [e.message_id for e in discord_stub.edits] == [message_id]
    assert discord_stub.posted[0]["content"] == "Expiring soon", "what was posted stays"


async def test_a_deferred_update_changes_nothing_until_the_original_is_edited(
    connect: Connect, discord_stub: DiscordStub
) -> None:
    bot = await connect()
    message_id = await post(bot, "Expiring soon", snooze_view(24))
    between: list[dict[str, Any]] = []
    edited: asyncio.Future[discord.InteractionMessage] = asyncio.get_running_loop().create_future()

    async def answer(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer()
        between.append(discord_stub.message(message_id))
        embed = discord.Embed(title="Snoozed for 1 day")
        edited.set_result(await interaction.edit_original_response(embed=embed, view=None))

    bot.answer = answer
    press = await discord_stub.press(message_id, "test:snooze:24")
    async with asyncio.timeout(10):
        answered = await edited
    assert str(answered.id) == message_id, "the original of a press is the message it is on"
    assert press.callback() == {"type": 6}
    [before] = between
    assert before["content"] == "Expiring soon" and before["edited_timestamp"] is None
    assert before["components"], "type 6 leaves the buttons"
    message = discord_stub.message(message_id)
    assert message["content"] == "Expiring soon", "a field the edit leaves out stays"
    assert [e["title"] for e in message["embeds"]] == ["Snoozed for 1 day"]
    assert message["components"] == []


async def test_a_choice_in_a_select_menu_reaches_the_bot_with_its_values(
    connect: Connect, discord_stub: DiscordStub
) -> None:
    bot = await connect()
    message_id = await post(bot, "Which accounts?", Accounts())
    [row] = discord_stub.message(message_id)["components"]
    assert row["components"][0]["type"] == 3
    press = await discord_stub.press(message_id, "test:accounts", values=["a", "c"])
    await discord_stub.wait_for(press.callback)
    assert (press.callback() or {})["type"] == 7
    message = discord_stub.message(message_id)
    assert message["content"] == "Chosen: a, c"
    assert message["components"] == [row], "components the answer leaves out stay"


async def test_edit_message_changes_what_it_is_sent_and_keeps_the_rest(
    connect: Connect, discord_stub: DiscordStub
) -> None:
    bot = await connect()
    channel = bot.get_partial_messageable(CHANNEL_ID)
    sent = await channel.send("first", embed=discord.Embed(title="Alert"), view=snooze_view())
    message_id = str(sent.id)
    edited = await sent.edit(content="second")
    assert edited.content == "second" and edited.edited_at is not None
    assert [e.title for e in edited.embeds] == ["Alert"] and edited.components
    await sent.edit(view=None)
    message = discord_stub.message(message_id)
    assert (message["content"], message["components"]) == ("second", [])
    assert message["allowed_mentions"]["parse"] == []
    assert [e.message_id for e in discord_stub.edits] == [message_id, message_id]
    with pytest.raises(discord.NotFound) as unknown:
        await channel.get_partial_message(12345).edit(content="x")
    assert unknown.value.code == 10008
    elsewhere = bot.get_partial_messageable(OTHER_CHANNEL_ID).get_partial_message(sent.id)
    with pytest.raises(discord.NotFound):
        await elsewhere.edit(content="x")
    assert discord_stub.message(message_id)["content"] == "second"


async def test_history_lists_only_that_channels_messages_newest_first(
    connect: Connect, discord_stub: DiscordStub
) -> None:
    discord_stub.guilds[OTHER_GUILD_ID] = "Other server"
    bot = await connect()
    here = bot.get_partial_messageable(CHANNEL_ID)
    there = bot.get_partial_messageable(OTHER_CHANNEL_ID)
    for text in ("one", "two", "three"):
        await here.send(text)
    await there.send("elsewhere")
    assert [m.content async for m in here.history(limit=2)] == ["three", "two"]
    assert [(m.content, m.channel.id) async for m in there.history(limit=10)] == [
        ("elsewhere", OTHER_CHANNEL_ID)
    ]
    assert [m["channel_id"] for m in discord_stub.posted] == [str(CHANNEL_ID)] * 3 + [
        str(OTHER_CHANNEL_ID)
    ]


async def test_a_second_answer_to_one_press_is_refused_with_40060(
    connect: Connect, discord_stub: DiscordStub
) -> None:
    bots = [await connect(), await connect()]  # two replicas: each gets every press
    message_id = await post(bots[0], "Expiring soon", snooze_view())
    outcomes: list[int] = []
    both = asyncio.Event()

    async def answer(interaction: discord.Interaction[Any]) -> None:
        try:
            await interaction.response.defer()
            outcomes.append(0)
        except discord.HTTPException as exc:
            outcomes.append(exc.code)
        if len(outcomes) == 2:
            both.set()

    for bot in bots:
        bot.answer = answer
    press = await discord_stub.press(message_id, "test:snooze:1")
    async with asyncio.timeout(10):
        await both.wait()
    assert sorted(outcomes) == [0, 40060]
    assert sorted(c.status for c in press.calls) == [200, 400]
    assert press.callback() == {"type": 6}


def team_server(bot: Bot) -> discord.Guild:
    guild = bot.get_guild(GUILD_ID)
    assert guild is not None
    return guild


def bot_may(channel: discord.abc.GuildChannel) -> tuple[bool, bool, bool]:
    """What the bot may do in `channel`, by discord.py's rules: (view, send, embed links)."""
    me = channel.guild.me
    assert me is not None, "GUILD_CREATE carries the bot's own member"
    allowed = channel.permissions_for(me)
    return allowed.view_channel, allowed.send_messages, allowed.embed_links


async def test_the_bot_may_post_in_two_team_channels_read_one_and_not_see_one(
    connect: Connect, discord_stub: DiscordStub
) -> None:
    discord_stub.guilds[OTHER_GUILD_ID] = "Other server"
    bot = await connect()
    guild = team_server(bot)
    names = {c.id: c.name for c in guild.text_channels}
    assert names == {
        CHANNEL_ID: "general",
        ROUTED_CHANNEL_ID: "project-b",
        MUTED_CHANNEL_ID: "read-only",
    }
    assert channel_of(GUILD_ID) == CHANNEL_ID, "the main channel stays general"
    assert guild.get_channel(HIDDEN_CHANNEL_ID) is None, "GUILD_CREATE leaves out the hidden one"
    me = guild.me
    assert me is not None and me.id == BOT_USER_ID
    [own] = [r for r in me.roles if not r.is_default()]
    assert (own.id, own.name, own.is_bot_managed()) == (BOT_ROLE_ID, "minimax-bot", True)
    assert own.permissions.value == BOT_PERMISSIONS
    assert guild.default_role.permissions.send_messages, "@everyone may send: the overwrite denies"
    allowed = {c.name: bot_may(c) for c in guild.text_channels}
    assert allowed == {
        "general": (True, True, True),
        "project-b": (True, True, True),
        "read-only": (True, False, False),  # discord.py drops Embed Links without Send
    }
    other = bot.get_guild(OTHER_GUILD_ID)
    assert other is not None and other.me is not None
    assert [(c.id, bot_may(c)) for c in other.text_channels] == [
        (OTHER_CHANNEL_ID, (True, True, True))
    ]


async def test_get_channel_answers_each_channel_and_refuses_the_hidden_one(
    connect: Connect, discord_stub: DiscordStub
) -> None:
    discord_stub.guilds[OTHER_GUILD_ID] = "Other server"
    bot = await connect()
    fetched: dict[int, discord.TextChannel] = {}
    for channel_id in (ROUTED_CHANNEL_ID, MUTED_CHANNEL_ID, OTHER_CHANNEL_ID):
        channel = await bot.fetch_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)
        fetched[channel_id] = channel
    assert {c: (f.name, f.guild.id) for c, f in fetched.items()} == {
        ROUTED_CHANNEL_ID: ("project-b", GUILD_ID),
        MUTED_CHANNEL_ID: ("read-only", GUILD_ID),
        OTHER_CHANNEL_ID: ("general", OTHER_GUILD_ID),
    }
    me = team_server(bot).me
    assert me is not None
    overwrite = fetched[MUTED_CHANNEL_ID].overwrites_for(me)
    assert (overwrite.send_messages, overwrite.view_channel) == (False, None)
    assert fetched[ROUTED_CHANNEL_ID].overwrites == {}
    with pytest.raises(discord.Forbidden) as hidden:
        await bot.fetch_channel(HIDDEN_CHANNEL_ID)
    assert (hidden.value.status, hidden.value.code) == (403, 50001)
    with pytest.raises(discord.NotFound) as unknown:
        await bot.fetch_channel(900000000000000298)
    assert unknown.value.code == 10003


async def test_posts_are_refused_per_channel(connect: Connect, discord_stub: DiscordStub) -> None:
    bot = await connect()
    sent = await bot.get_partial_messageable(ROUTED_CHANNEL_ID).send("routed")
    assert sent.channel.id == ROUTED_CHANNEL_ID
    assert discord_stub.message(str(sent.id))["guild_id"] == str(GUILD_ID)
    refused: dict[int, tuple[int, int]] = {}
    for channel in (MUTED_CHANNEL_ID, HIDDEN_CHANNEL_ID):
        with pytest.raises(discord.Forbidden) as no:
            await bot.get_partial_messageable(channel).send("x")
        refused[channel] = (no.value.status, no.value.code)
    assert refused == {MUTED_CHANNEL_ID: (403, 50013), HIDDEN_CHANNEL_ID: (403, 50001)}
    with pytest.raises(discord.Forbidden):
        [m async for m in bot.get_partial_messageable(HIDDEN_CHANNEL_ID).history(limit=5)]
    discord_stub.channel_refusals[ROUTED_CHANNEL_ID] = (404, 10003, "Unknown Channel")
    with pytest.raises(discord.NotFound) as gone:
        await bot.get_partial_messageable(ROUTED_CHANNEL_ID).send("x")
    assert gone.value.code == 10003
    await bot.get_partial_messageable(CHANNEL_ID).send("general still takes posts")
    discord_stub.channel_status = 403  # the old switch still refuses every channel
    with pytest.raises(discord.Forbidden):
        await bot.get_partial_messageable(CHANNEL_ID).send("x")
    assert [m["content"] for m in discord_stub.posted] == ["routed", "general still takes posts"]


def test_channel_and_role_options_carry_their_resolved_data() -> None:
    payload = command_payload(
        "alerts",
        {"channel": ChannelRef(HIDDEN_CHANNEL_ID), "mention": RoleRef(123)},
        subcommand="rules",
    )
    [rules] = payload["data"]["options"]
    assert [(o["name"], o["type"], o["value"]) for o in rules["options"]] == [
        ("channel", 7, str(HIDDEN_CHANNEL_ID)),
        ("mention", 8, "123"),
    ]
    resolved = payload["data"]["resolved"]
    assert resolved["channels"][str(HIDDEN_CHANNEL_ID)] == {
        "id": str(HIDDEN_CHANNEL_ID),
        "name": "secret",
        "type": 0,
        "permissions": str(ALL_PERMISSIONS),
        "parent_id": None,
        "guild_id": str(GUILD_ID),
    }
    assert resolved["roles"]["123"]["name"] == "role-123"
    assert "resolved" not in command_payload("usage", {"account": "a"})["data"]


Seen = dict[str, Any]


def route_commands(bot: Bot, seen: list[Seen]) -> None:
    """/route takes any channel as Discord resolves it; /post only one the bot sees, as a
    TextChannel from its cache. Each records what its callback got, or the error."""

    async def route(
        interaction: discord.Interaction[Any],
        channel: app_commands.AppCommandChannel,
        mention: discord.Role,
    ) -> None:
        seen.append({"channel": channel, "mention": mention})
        await interaction.response.send_message("ok")

    async def post(
        interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None
    ) -> None:
        seen.append({"channel": channel})
        await interaction.response.send_message("ok")

    async def on_error(
        interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        seen.append({"error": error})
        await interaction.response.send_message("refused")

    server = discord.Object(GUILD_ID)
    bot.tree.add_command(
        app_commands.Command(name="route", description="r", callback=route), guild=server
    )
    bot.tree.add_command(
        app_commands.Command(name="post", description="p", callback=post), guild=server
    )
    bot.tree.on_error = on_error


async def run(discord_stub: DiscordStub, name: str, options: dict[str, Any]) -> None:
    item = await discord_stub.inject(name, options)
    await discord_stub.wait_for(item.callback)


@pytest.mark.parametrize(
    ("channel", "name", "may_send"),
    [
        (ROUTED_CHANNEL_ID, "project-b", True),
        (MUTED_CHANNEL_ID, "read-only", False),
        (HIDDEN_CHANNEL_ID, "secret", None),  # not in the bot's cache: resolve() is None
    ],
)
async def test_an_app_command_channel_option_reaches_the_callback_for_every_channel(
    connect: Connect, discord_stub: DiscordStub, channel: int, name: str, may_send: bool | None
) -> None:
    bot = await connect()
    seen: list[Seen] = []
    route_commands(bot, seen)
    managers = next(r for r, n in ROLES.items() if n == "alert-managers")
    await run(discord_stub, "route", {"channel": ChannelRef(channel), "mention": RoleRef(managers)})
    [got] = seen
    option, mention = got["channel"], got["mention"]
    assert isinstance(option, app_commands.AppCommandChannel)
    assert (option.id, option.name, option.guild_id) == (channel, name, GUILD_ID)
    assert option.permissions.value == ALL_PERMISSIONS, "the invoking member's, not the bot's"
    cached = option.resolve()
    if may_send is None:
        assert cached is None
    else:
        assert isinstance(cached, discord.TextChannel)
        assert cached is team_server(bot).get_channel(channel)
        assert bot_may(cached)[1] is may_send
    assert isinstance(mention, discord.Role)
    assert (mention.id, mention.name, mention.guild.id) == (managers, "alert-managers", GUILD_ID)


async def test_a_text_channel_option_gets_the_cached_channel_and_refuses_a_hidden_one(
    connect: Connect, discord_stub: DiscordStub
) -> None:
    bot = await connect()
    seen: list[Seen] = []
    route_commands(bot, seen)
    await run(discord_stub, "post", {"channel": ChannelRef(MUTED_CHANNEL_ID)})
    await run(discord_stub, "post", {})
    await run(discord_stub, "post", {"channel": ChannelRef(HIDDEN_CHANNEL_ID)})
    assert len(seen) == 3
    assert seen[0]["channel"] is team_server(bot).get_channel(MUTED_CHANNEL_ID)
    assert seen[1] == {"channel": None}
    error = seen[2].get("error")
    assert isinstance(error, app_commands.TransformerError), "the callback never runs"
    assert error.type is discord.AppCommandOptionType.channel


async def test_the_bots_own_role_and_an_unknown_one_resolve_as_roles(
    connect: Connect, discord_stub: DiscordStub
) -> None:
    bot = await connect()
    seen: list[Seen] = []
    route_commands(bot, seen)
    for role in (BOT_ROLE_ID, 900000000000000999):
        await run(
            discord_stub, "route", {"channel": ChannelRef(CHANNEL_ID), "mention": RoleRef(role)}
        )
    roles = [s["mention"] for s in seen]
    assert [(r.id, r.name, r.is_bot_managed()) for r in roles] == [
        (BOT_ROLE_ID, "minimax-bot", True),
        (900000000000000999, "role-900000000000000999", False),
    ]
    assert roles[0].permissions.value & SEND_MESSAGES


async def test_direct_messages_open_one_channel_per_user_and_are_kept_apart(
    connect: Connect, discord_stub: DiscordStub
) -> None:
    bot = await connect()
    other = 900000000000000302
    first = await bot.create_dm(discord.Object(PRESSER_ID))
    assert isinstance(first, discord.DMChannel)
    sent = await first.send("hello", allowed_mentions=discord.AllowedMentions.none())
    assert sent.guild is None
    second = await bot.create_dm(discord.Object(other))
    await second.send("hi", allowed_mentions=discord.AllowedMentions.none())
    assert first.id != second.id
    assert [(d["user_id"], d["content"]) for d in discord_stub.dms] == [
        (PRESSER_ID, "hello"),
        (other, "hi"),
    ]
    assert discord_stub.posted == [], "a DM is not a channel post"
    discord_stub.dm_closed.add(other)
    with pytest.raises(discord.Forbidden) as closed:
        await second.send("again", allowed_mentions=discord.AllowedMentions.none())
    assert (closed.value.status, closed.value.code) == (403, 50007)
    assert len(discord_stub.dms) == 2


async def test_get_member_answers_unknown_member_for_who_left(
    connect: Connect, discord_stub: DiscordStub
) -> None:
    bot = await connect()
    member = await bot.http.get_member(GUILD_ID, PRESSER_ID)
    assert member["user"]["id"] == str(PRESSER_ID)
    discord_stub.left.add(PRESSER_ID)
    with pytest.raises(discord.NotFound) as gone:
        await bot.http.get_member(GUILD_ID, PRESSER_ID)
    assert gone.value.code == 10007


def test_a_command_may_come_from_another_member(discord_stub: DiscordStub) -> None:
    payload = discord_stub.interaction_payload("credits", user_id=PRESSER_ID)
    assert payload["member"]["user"]["id"] == str(PRESSER_ID)
    assert discord_stub.interaction_payload("credits")["member"]["user"]["id"] != str(PRESSER_ID)
