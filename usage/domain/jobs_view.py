"""Where the credits go, in numbers a team reads: jobs per model and per account over a
window, the success rate, failures grouped by cause, and the credits spent per model as
estimated from each model's cost per job. Pure: the figures come from the job statistics
store, the costs from the features' `modelControl[].videoCost`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from minimax_api.stats import succeeded

CAUSES: Mapping[int, str] = {
    400: "request rejected (prompt or settings)",
    401: "API token refused",
    402: "useapi.net subscription expired",
    404: "account unknown at useapi.net",
    412: "out of credits",
    429: "busy (too many jobs at once)",
    502: "MiniMax or useapi.net unavailable",
    504: "MiniMax or useapi.net unavailable",
    596: "session rejected or account on hold",
}
"""What a failed job's code means, from useapi.net's status code table; any other code is
kept as it is ("code 418")."""

ADVICE: Mapping[int, str] = {
    412: "top up the account at hailuoai.video or use another",
    429: "fewer jobs at once",
    596: "re-add the account at useapi.net (log in to MiniMax again)",
    401: "the operator checks USEAPI_TOKEN",
    402: "renew the subscription at useapi.net",
}


def cause(code: int) -> str:
    return CAUSES.get(code, f"code {code}")


@dataclass(frozen=True)
class Tally:
    """Jobs and how many of them succeeded."""

    jobs: int = 0
    succeeded: int = 0

    @property
    def rate(self) -> float | None:
        """Percent succeeded; None without jobs."""
        return 100 * self.succeeded / self.jobs if self.jobs else None


@dataclass(frozen=True)
class Cause:
    """Failed jobs of one cause (one or more codes meaning the same)."""

    words: str
    codes: tuple[int, ...]
    jobs: int

    @property
    def advice(self) -> str | None:
        return next((ADVICE[c] for c in self.codes if c in ADVICE), None)


@dataclass(frozen=True)
class ModelSpend:
    """A model's jobs and the credits they cost at its price per job (None: unknown)."""

    model: str  # "" when the statistics named none
    jobs: int
    credits: float | None


@dataclass(frozen=True)
class JobsView:
    days: int
    total: Tally
    models: tuple[ModelSpend, ...] = ()
    accounts: Mapping[str, Tally] = field(default_factory=dict)
    causes: tuple[Cause, ...] = ()

    @property
    def spent(self) -> float:
        """The estimated credits of the models whose cost is known."""
        return sum(m.credits or 0 for m in self.models)


def causes(outcomes: Mapping[int, int]) -> tuple[Cause, ...]:
    """The failed jobs (codes not 2xx) by cause, most first."""
    grouped: dict[str, tuple[list[int], int]] = {}
    for code, jobs in outcomes.items():
        if succeeded(code) or jobs <= 0:
            continue
        codes, count = grouped.get(cause(code), ([], 0))
        grouped[cause(code)] = ([*codes, code], count + jobs)
    found = [Cause(w, tuple(sorted(c)), n) for w, (c, n) in grouped.items()]
    return tuple(sorted(found, key=lambda c: (-c.jobs, c.words)))


def spend(by_model: Mapping[str, int], costs: Mapping[str, float | None]) -> tuple[ModelSpend, ...]:
    """Each model's jobs with their estimated credits, most jobs first; a model without a
    known cost is kept, its credits unknown."""
    found = []
    for model, jobs in by_model.items():
        cost = costs.get(model)
        found.append(ModelSpend(model, jobs, None if cost is None else jobs * float(cost)))
    return tuple(sorted(found, key=lambda m: (-m.jobs, m.model)))


def jobs_view(
    days: int,
    outcomes: Mapping[int, int],
    by_model: Mapping[str, int],
    accounts: Mapping[str, Tally],
    costs: Mapping[str, float | None],
) -> JobsView:
    total = Tally(sum(outcomes.values()), sum(n for c, n in outcomes.items() if succeeded(c)))
    return JobsView(days, total, spend(by_model, costs), dict(accounts), causes(outcomes))
