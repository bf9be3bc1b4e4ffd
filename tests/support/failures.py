"""Every way the loopback useapi.net can fail a read, and what the user is told for it.

One table for the tests that check the answers, in-process and through the real bot process.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from testbed.upstream import Fault


@dataclass(frozen=True)
class UpstreamFailure:
    """`template` as useapi.net's answer, and a piece of the text the user then sees;
    `{account}` in `says` stands for the account the command asked about."""

    name: str
    template: Fault
    says: str

    def fault(self) -> Fault:
        """A Fault of its own for each use (a Fault counts down its `times`)."""
        return copy.deepcopy(self.template)

    def expected(self, account: str) -> str:
        return self.says.format(account=account)


UPSTREAM_FAILURES = (
    UpstreamFailure(
        "400",
        Fault("status", status=400, body={"error": "Unexpected param", "code": 400}),
        "rejected the request",
    ),
    UpstreamFailure("401", Fault("status", status=401), "refused the API token"),
    UpstreamFailure("402", Fault("status", status=402), "subscription has expired"),
    UpstreamFailure("404", Fault("status", status=404), "does not know account {account}"),
    UpstreamFailure("412", Fault("status", status=412), "out of credits"),
    UpstreamFailure(
        "429-retry-after",
        Fault("status", status=429, headers={"Retry-After": "90"}),
        "about 90 seconds",
    ),
    UpstreamFailure("429", Fault("status", status=429), "Try again in a minute"),
    UpstreamFailure("500", Fault("status", status=500), "unavailable right now"),
    UpstreamFailure("502-html", Fault("html", status=502), "unavailable right now"),
    UpstreamFailure("596", Fault("status", status=596), "on hold"),
    UpstreamFailure("bad-json", Fault("badjson"), "unavailable right now"),
    UpstreamFailure("dropped", Fault("drop"), "unavailable right now"),
)

# Told as a timeout only when USEAPI_TIMEOUT_SECONDS is below the 4-second stall.
TIMEOUT_FAILURE = UpstreamFailure("timeout", Fault("slow", delay=4), "did not answer in time")
