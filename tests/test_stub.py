"""The Discord stand-in itself, through a plain discord.Client on its gateway: what a bot posts
is kept per channel, an edit changes it as Discord's does, and a press on a button or a select
menu reaches the bot, whose answer edits the message the component is on."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import discord
import discord.gateway
import pytest
import yarl

from testbed.discord_payloads import CHANNEL_ID, OTHER_CHANNEL_ID, OTHER_GUILD_ID
from testbed.discord_stub import DiscordStub
from testbed.process import DISCORD_TOKEN
from tests.support.checks import all_problems

Answer = Callable[[discord.Interaction[Any]], Awaitable[None]]
ROLE_ID = 900000000000000555
PRESSER_ID = 900000000000000301


async def no_answer(interaction: discord.Interaction[Any]) -> None:
    raise AssertionError(f"an unexpected press: {interaction.data}")


class Bot(discord.Client):
    """A bare client that hands every press of a Snooze button to `answer`."""

    def __init__(self) -> None:
        super().__init__(
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=0.05,  # the stand-in sends every server right after READY
        )
        self.answer: Answer = no_answer

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
