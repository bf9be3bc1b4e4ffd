"""The useapi.net account in a check: its subscription and the MiniMax accounts it says are in
error, judged as conditions of USEAPI_SUBJECT. When it cannot be read its alerts wait for a
check that can; the warning is logged once per new error, not every check."""

from __future__ import annotations

import logging

from alerts.domain.condition_alerts import judge
from alerts.domain.conditions import Judged, useapi_conditions
from alerts.domain.notices import USEAPI_SUBJECT
from alerts.domain.store import AlertStore
from alerts.domain.tick import Tick
from minimax_api import MiniMaxClient, Priority, SubscriptionExpired, UseapiError
from minimax_api.problems import describe
from state import StoreUnavailable

log = logging.getLogger(__name__)


class UseapiAccount:
    """Reads the useapi.net account, remembering the last error it logged."""

    def __init__(self) -> None:
        self.error: str | None = None

    async def read(self, minimax: MiniMaxClient) -> Judged | None:
        """The useapi.net account's conditions; None when it cannot be read (logged, and
        the account checks go on)."""
        try:
            found = await minimax.useapi_account(priority=Priority.BACKGROUND)
        except SubscriptionExpired:
            return useapi_conditions(False, None, 0)
        except Exception as exc:
            text = describe(exc).title if isinstance(exc, UseapiError) else repr(exc)
            if text != self.error:
                log.warning("useapi.net account unavailable (%s): its alerts wait", text)
            self.error = text
            return None
        if self.error is not None:
            log.info("useapi.net account readable again")
            self.error = None
        counts = found.minimax
        return useapi_conditions(
            found.subscription_active,
            counts.error if counts else None,
            counts.total if counts else None,
        )


async def useapi_alerts(store: AlertStore, judged: Judged, tick: Tick) -> None:
    """The useapi.net account's alerts; a failure here is logged, never the end of the
    check (its history and upkeep still follow)."""
    try:
        await judge(store, USEAPI_SUBJECT, judged, tick)
    except StoreUnavailable:
        raise
    except Exception:
        log.exception("the useapi.net account's alerts failed")
