"""useapi.net's job statistics (`GET /v2/account/stats?bot=minimax`), parsed into what the bot
keeps: per account and day, jobs and time per (endpoint, outcome code), and jobs per model.

How the two facets combine. The rows carry an account (`config`), an endpoint, a code and a
time, but no model; `summary.by_model` counts jobs per model, but without codes. Splitting a
model's jobs over the codes would invent numbers (a day with two models and one failure cannot
say which model failed), so neither is attributed to the other: a day's figures are its
*outcomes* (endpoint, code → jobs, msec) from the rows, and its *models* (model → jobs) from
`summary.by_model` of a read with `config=ACCOUNT`, which covers that one account. Jobs that
`by_model` leaves out are kept under the model "" (unknown), so both facets count the same
jobs. Where rows do carry a `model` (some services add it) and the summary has none, the
models are counted from the rows.

Parsed leniently, like every payload: every field is optional, unknown models, codes and
endpoints are kept as they are, a row without a code is not counted as an outcome (it is
counted in `uncounted`), and parsing a JSON object never raises. The text of a day of 50,000
rows is parsed without keeping its rows: each row is folded into its outcome as the JSON
decoder builds it (`load_stats`), so what stays is one small record per distinct outcome.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from . import parsing as p

BOT = "minimax"
MAX_KEYS = 10_000  # entries kept of one summary map; more is not useapi.net's shape
MAX_NAME = 100  # characters kept of a model, endpoint or account name
MAX_CODE = 9999  # a code above is no HTTP status: the row is not counted
MAX_MSEC = 10**9  # a job's time above (11 days) is no time: the job counts, untimed
MAX_COUNT = 10**9  # a count of the summary above is not one
UNKNOWN_MODEL = ""

# A JSON object holding one of these keys is a row. The other objects of the body (the body
# itself, `summary` and its `by_*` maps, keyed by accounts, codes, endpoints, statuses and
# models) never have them.
_ROW_KEYS = frozenset({"jobid", "code", "msec", "func", "timestamp"})


def succeeded(code: int) -> bool:
    """A job succeeded when its code is 2xx."""
    return 200 <= code < 300


@dataclass(frozen=True)
class Outcome:
    """Jobs of one account and day that went to `endpoint` and ended with `code`; `msec` is
    their total time, over the `timed` of them whose row gave one."""

    endpoint: str
    code: int
    jobs: int
    msec: int = 0
    timed: int = 0

    @property
    def ok(self) -> bool:
        return succeeded(self.code)


@dataclass(frozen=True)
class DayFigures:
    """What the bot keeps of one account's day: the two facets (see the module's text)."""

    outcomes: tuple[Outcome, ...] = ()
    models: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    @property
    def jobs(self) -> int:
        return sum(o.jobs for o in self.outcomes)

    @property
    def succeeded(self) -> int:
        return sum(o.jobs for o in self.outcomes if o.ok)


@dataclass(frozen=True)
class Summary:
    """`summary` as useapi.net computed it (over every row of the read, codes or not)."""

    start: datetime | None = None  # `from`
    end: datetime | None = None  # `to`
    time_span: str | None = None
    by_config: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    by_code: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    by_endpoint: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    by_status: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    by_model: Mapping[str, int] | None = None  # None: not given (not every service has it)
    success_rate: float | None = None  # percent: "83.3%" is 83.3
    avg_msec: float | None = None


@dataclass(frozen=True)
class JobStats:
    """One read: the day it is of, useapi.net's `total` and `summary`, and the rows folded
    into outcomes per account (`config`; "" for rows without one)."""

    day: date | None = None
    total: int | None = None
    summary: Summary | None = None
    outcomes: Mapping[str, tuple[Outcome, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    row_models: Mapping[str, Mapping[str, int]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    rows: int = 0  # entries of `data`
    uncounted: int = 0  # of them, not an object or without a code

    def figures(self, account: str) -> DayFigures:
        """`account`'s figures, from a read with `config=account` (rows without a `config`
        are taken as its own; `summary.by_model` only when the summary is of no other
        account). An account not in the statistics has no jobs."""
        outcomes = _merge([*self.outcomes.get(account, ()), *self.outcomes.get("", ())])
        jobs = sum(o.jobs for o in outcomes)
        summary = self.summary
        if (
            summary is not None
            and summary.by_model is not None
            and summary.by_config.keys() <= {account}
        ):
            models = dict(summary.by_model)  # the summary is of this account alone
        else:
            models = _add(dict(self.row_models.get(account, {})), self.row_models.get("", {}))
        unknown = jobs - sum(models.values())
        if unknown > 0:
            models[UNKNOWN_MODEL] = models.get(UNKNOWN_MODEL, 0) + unknown
        return DayFigures(outcomes, MappingProxyType({m: n for m, n in models.items() if n > 0}))


def _add(into: dict[str, int], more: Mapping[str, int]) -> dict[str, int]:
    for key, n in more.items():
        into[key] = into.get(key, 0) + n
    return into


def _merge(outcomes: list[Outcome]) -> tuple[Outcome, ...]:
    found: dict[tuple[str, int], list[int]] = {}
    for o in outcomes:
        total = found.setdefault((o.endpoint, o.code), [0, 0, 0])
        total[0] += o.jobs
        total[1] += o.msec
        total[2] += o.timed
    return tuple(
        Outcome(endpoint, code, jobs, msec, timed)
        for (endpoint, code), (jobs, msec, timed) in sorted(found.items())
    )


def _name(value: Any) -> str:
    found = p.text(value)
    return found.strip()[:MAX_NAME] if found else ""


class _Rows:
    """Folds rows into outcomes as the decoder meets them; keeps nothing of a row itself."""

    def __init__(self) -> None:
        # (config, endpoint, code) → [jobs, msec, timed]
        self.outcomes: dict[tuple[str, str, int], list[int]] = {}
        self.models: dict[str, dict[str, int]] = {}
        self.uncounted = 0

    def hook(self, obj: dict[str, Any]) -> Any:
        """The decoder's object hook: a row is counted and replaced by None."""
        if _ROW_KEYS.isdisjoint(obj):
            return obj
        self.add(obj)
        return None

    def add(self, row: Mapping[str, Any]) -> None:
        config = _name(row.get("config"))
        if (model := _name(row.get("model"))) and len(self.models) <= MAX_KEYS:
            per = self.models.setdefault(config, {})
            per[model] = per.get(model, 0) + 1
        code = p.integer(row.get("code"))
        if code is None or not 0 <= code <= MAX_CODE:
            self.uncounted += 1
            return
        total = self.outcomes.setdefault((config, _name(row.get("endpoint")), code), [0, 0, 0])
        total[0] += 1
        msec = p.number(row.get("msec"))
        if msec is not None and 0 <= msec <= MAX_MSEC:
            total[1] += round(msec)
            total[2] += 1

    def stats(self, data: Mapping[str, Any]) -> JobStats:
        rows = p.items(data.get("data"))
        for row in rows:
            if row is None:
                continue  # folded by the hook
            if isinstance(row, Mapping):
                self.add(row)  # an object without any row field: no code, not counted
            else:
                self.uncounted += 1
        per: dict[str, list[Outcome]] = {}
        for (config, endpoint, code), (jobs, msec, timed) in sorted(self.outcomes.items()):
            per.setdefault(config, []).append(Outcome(endpoint, code, jobs, msec, timed))
        summary = data.get("summary")
        return JobStats(
            day=_day(data.get("date")),
            total=p.integer(data.get("total")),
            summary=_summary(summary) if isinstance(summary, Mapping) else None,
            outcomes=MappingProxyType({c: tuple(o) for c, o in per.items()}),
            row_models=MappingProxyType({c: MappingProxyType(m) for c, m in self.models.items()}),
            rows=len(rows),
            uncounted=self.uncounted,
        )


def _day(value: Any) -> date | None:
    raw = p.text(value)
    try:
        return date.fromisoformat(raw.strip()[:10]) if raw else None
    except ValueError:
        return None


def _moment(value: Any) -> datetime | None:
    raw = p.text(value)
    if not raw:
        return None
    try:
        found = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo is not None else None


def _counts(value: Any) -> Mapping[str, int]:
    found: dict[str, int] = {}
    for key, raw in p.mapping(value).items():
        n = p.integer(raw)
        if isinstance(key, str) and n is not None and 0 <= n <= MAX_COUNT and len(found) < MAX_KEYS:
            found[key.strip()[:MAX_NAME]] = found.get(key.strip()[:MAX_NAME], 0) + n
    return MappingProxyType(found)


def _rate(value: Any) -> float | None:
    raw = p.text(value)
    if raw is None:
        return None
    n = p.number(raw.strip().removesuffix("%"))
    return float(n) if n is not None and 0 <= n <= 100 else None


def _summary(data: Mapping[str, Any]) -> Summary:
    by_model = data.get("by_model")
    avg = p.number(data.get("avg_msec"))
    return Summary(
        start=_moment(data.get("from")),
        end=_moment(data.get("to")),
        time_span=p.text(data.get("time_span")),
        by_config=_counts(data.get("by_config")),
        by_code=_counts(data.get("by_code")),
        by_endpoint=_counts(data.get("by_endpoint")),
        by_status=_counts(data.get("by_status")),
        by_model=_counts(by_model) if isinstance(by_model, Mapping) else None,
        success_rate=_rate(data.get("success_rate")),
        avg_msec=float(avg) if avg is not None else None,
    )


def parse_stats(payload: Any) -> JobStats:
    """An answer already decoded; anything but an object reads as no statistics."""
    rows = _Rows()
    return rows.stats(p.mapping(payload))


def load_stats(text: str) -> JobStats:
    """The answer's text, folding rows as they are decoded (memory: the text and one record
    per distinct outcome, not the rows). ValueError when it is not a JSON object."""
    rows = _Rows()
    try:
        payload = json.loads(text, object_hook=rows.hook)
    except RecursionError:
        raise ValueError("nested too deep to be statistics") from None
    if not isinstance(payload, dict):
        raise ValueError("not a JSON object")
    return rows.stats(payload)


__all__ = [
    "BOT",
    "UNKNOWN_MODEL",
    "DayFigures",
    "JobStats",
    "Outcome",
    "Summary",
    "load_stats",
    "parse_stats",
    "succeeded",
]
