"""When a command's deferral goes out: once its work has handed its request over (or is
done), not after a guessed number of loop turns, and never later than DEFER_BY."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chat import replies
from minimax_api.handover import handed_over


class Response:
    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.deferred = asyncio.Event()

    async def defer(self, **kwargs: Any) -> None:
        self.log.append("defer")
        self.deferred.set()


class Interaction:
    """What `replies.deferred` touches of a discord.Interaction."""

    def __init__(self, log: list[str]) -> None:
        self.extras: dict[str, Any] = {}
        self.response = Response(log)


async def test_the_deferral_waits_for_the_handover_however_many_turns_it_takes() -> None:
    log: list[str] = []
    answer = asyncio.Event()

    async def work() -> str:
        for _ in range(50):  # a long way to the wire: a cache, a lock, a pool
            await asyncio.sleep(0)
        log.append("handed over")
        handed_over()
        await answer.wait()
        log.append("answered")
        return "done"

    interaction = Interaction(log)
    running = asyncio.ensure_future(replies.deferred(interaction, work(), public=False))  # type: ignore[arg-type]
    await interaction.response.deferred.wait()
    assert log == ["handed over", "defer"]
    answer.set()
    assert await running == "done"


async def test_work_done_first_is_deferred_after_it() -> None:
    log: list[str] = []

    async def work() -> int:
        log.append("done")
        return 1

    assert await replies.deferred(Interaction(log), work(), public=True) == 1  # type: ignore[arg-type]
    assert log == ["done", "defer"]


async def test_work_that_never_hands_over_is_deferred_by_the_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(replies, "DEFER_BY", 0.01)
    log: list[str] = []
    release = asyncio.Event()

    async def work() -> None:
        await release.wait()  # waits on something that is not a request

    interaction = Interaction(log)
    running = asyncio.ensure_future(replies.deferred(interaction, work(), public=False))  # type: ignore[arg-type]
    await interaction.response.deferred.wait()
    assert not running.done()
    release.set()
    await running
