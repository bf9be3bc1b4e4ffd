"""A signal for whoever starts a request and has its own work to do meanwhile (a command that
defers its Discord interaction): the request no longer needs the event loop, because it is
about to be sent, joins one already under way, or waits (for the rate limiter or a retry).

The hook is a context variable, so it reaches the tasks the request runs in without being
passed down, and a request started without one signals nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_HOOK: ContextVar[Callable[[], None] | None] = ContextVar("minimax_handover", default=None)


def handed_over() -> None:
    """Tell the hook of the current context, if any, that the request has been handed over."""
    hook = _HOOK.get()
    if hook is not None:
        hook()


@contextmanager
def on_handover(hook: Callable[[], None]) -> Iterator[None]:
    """Call `hook` when a request started (or a task created) inside this block is handed
    over; it may be called more than once."""
    token = _HOOK.set(hook)
    try:
        yield
    finally:
        _HOOK.reset(token)
