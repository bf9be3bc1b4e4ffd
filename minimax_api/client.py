"""The async useapi.net MiniMax client: one shared aiohttp session, retries and a short cache."""

from __future__ import annotations

import asyncio
import codecs
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import aiohttp
from yarl import URL

from . import errors
from .account import UseapiAccount, parse_account
from .handover import handed_over
from .payloads import AccountInfo, Features, parse_accounts, parse_features
from .ratelimit import Priority, RateLimiter
from .stats import BOT, JobStats, load_stats

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 502, 503, 504})
DEFAULT_BASE_URL = "https://api.useapi.net/v1"
PRUNE_AT = 256  # cache size from which expired entries are dropped on the next insert
MAX_BODY = 4 * 1024 * 1024  # bytes of an answer, on the wire and inflated; more is refused
STATS_MAX_BODY = 32 * 1024 * 1024  # a day of job statistics: 50,000 rows are about 12 MiB
MAX_STATS_LIMIT = 50_000  # useapi.net's most rows for `limit`
READ_CHUNK = 64 * 1024
NOT_JSON = "useapi.net answered with something that is not usable JSON"


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries for idempotent GETs; `deadline` caps the whole call including waits."""

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 4.0
    deadline: float = 45.0

    def backoff(self, attempt: int) -> float:
        delay = min(self.max_delay, self.base_delay * 2**attempt)
        return delay * (0.5 + random.random() / 2)


@dataclass
class _Entry:
    expires: float
    value: Any


class MiniMaxClient:
    """Reads account features and the accounts listing from useapi.net, and the useapi.net
    account behind the token.

    The session belongs to the caller (the bot opens one for its whole life); this class
    never closes it. Results are cached per account for `cache_ttl` seconds, and concurrent
    requests for the same key share one upstream call.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 20.0,
        cache_ttl: float = 30.0,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        observe: Callable[[str, str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`limiter` is shared by everything that uses the token; `observe(endpoint, outcome)`
        hears of every HTTP attempt (outcome: the status code, "timeout" or "error")."""
        self._session = session
        self._token = token
        self._base = URL(base_url.rstrip("/"))
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._cache_ttl = cache_ttl
        self._retry = retry or RetryPolicy()
        self._limiter = limiter
        self._observe = observe
        self._clock = clock
        self._cache: dict[tuple[str, str | None], _Entry] = {}
        self._inflight: dict[tuple[str, str | None, Priority], asyncio.Task[Any]] = {}

    def features_url(self, account: str | None) -> URL:
        url = self._base / "minimax" / "features" / ""
        return url.with_query({"account": account}) if account is not None else url

    def accounts_url(self) -> URL:
        return self._base / "minimax" / "accounts"

    def useapi_account_url(self) -> URL:
        """`/v2/account`, beside the base URL: `https://api.useapi.net/v1` gives
        `https://api.useapi.net/v2/account` (a base not ending in `v1` has its last segment
        replaced all the same)."""
        return self._base.parent / "v2" / "account"

    async def features(
        self,
        account: str | None = None,
        *,
        fresh: bool = False,
        priority: Priority = Priority.INTERACTIVE,
    ) -> Features:
        """Features of `account` (None: let useapi.net pick its only account)."""

        async def load() -> Features:
            payload = await self._get_json(self.features_url(account), "features", priority)
            return parse_features(payload, fetched_at=datetime.now(UTC))

        return await self._cached(("features", account), load, fresh=fresh, priority=priority)

    async def accounts(
        self, *, fresh: bool = False, priority: Priority = Priority.INTERACTIVE
    ) -> tuple[AccountInfo, ...]:
        async def load() -> tuple[AccountInfo, ...]:
            return parse_accounts(await self._get_json(self.accounts_url(), "accounts", priority))

        return await self._cached(("accounts", None), load, fresh=fresh, priority=priority)

    async def useapi_account(self, *, priority: Priority = Priority.BACKGROUND) -> UseapiAccount:
        """The useapi.net account behind the token: subscription and accounts per service.
        Never cached; the same retries, rate limiter and errors as `features`."""
        return parse_account(await self._get_json(self.useapi_account_url(), "account", priority))

    def stats_url(
        self, day: date | None = None, *, limit: int | None = None, config: str | None = None
    ) -> URL:
        """`/v2/account/stats?bot=minimax`, beside the base URL as `/v2/account` is: the day
        (`date`), or the last `limit` rows over every day; of one account with `config`."""
        query = {"bot": BOT}
        if limit is not None:
            query["limit"] = str(limit)
        elif day is not None:
            query["date"] = day.isoformat()
        if config is not None:
            query["config"] = config
        return (self.useapi_account_url() / "stats").with_query(query)

    async def stats(
        self,
        day: date | None = None,
        *,
        limit: int | None = None,
        config: str | None = None,
        priority: Priority = Priority.BACKGROUND,
    ) -> JobStats:
        """Job statistics of `day` (None: today at useapi.net), or of the last `limit` jobs
        (1 to 50,000; `day` is then ignored), of every account or of `config` alone. Never
        cached; the same retries, rate limiter and errors as `features`, with a body cap
        sized for a full day. A 200 body that is not a JSON object is UpstreamUnavailable;
        one that is, is read as far as it goes."""
        if limit is not None and not 1 <= limit <= MAX_STATS_LIMIT:
            raise ValueError(f"limit must be from 1 to {MAX_STATS_LIMIT}")
        url = self.stats_url(day, limit=limit, config=config)
        return await self._get_json(url, "stats", priority, load=load_stats, cap=STATS_MAX_BODY)

    async def _cached(
        self,
        key: tuple[str, str | None],
        load: Callable[[], Awaitable[T]],
        *,
        fresh: bool,
        priority: Priority,
    ) -> T:
        """Serve from the cache, or share a call already under way at the same priority
        (a command never queues behind a sweep's request)."""
        entry = self._cache.get(key)
        if not fresh and entry and entry.expires > self._clock():
            return entry.value
        flight = (*key, priority)
        task = self._inflight.get(flight)
        if task is None:
            task = asyncio.ensure_future(load())
            self._inflight[flight] = task

            def done(t: asyncio.Task[Any]) -> None:
                self._inflight.pop(flight, None)
                if not t.cancelled() and t.exception() is None:
                    self._store(key, t.result())

            task.add_done_callback(done)
        else:
            handed_over()
        return await asyncio.shield(task)

    def _store(self, key: tuple[str, str | None], value: object) -> None:
        now = self._clock()
        if len(self._cache) >= PRUNE_AT:
            self._cache = {k: e for k, e in self._cache.items() if e.expires > now}
        self._cache[key] = _Entry(now + self._cache_ttl, value)

    async def _get_json(
        self,
        url: URL,
        endpoint: str,
        priority: Priority,
        *,
        load: Callable[[str], Any] = json.loads,
        cap: int = MAX_BODY,
    ) -> Any:
        """The answer's body read by `load` (which raises ValueError on what it cannot read),
        at most `cap` bytes of it."""
        policy = self._retry
        started = self._clock()
        attempt = 0
        while True:
            try:
                if self._limiter is not None:
                    await self._limiter.acquire(priority, waiting=handed_over)
                return await self._get_once(url, endpoint, load, cap)
            except (errors.RateLimited, errors.UpstreamUnavailable) as exc:
                retryable = isinstance(exc, errors.RateLimited) or exc.status in (
                    None,
                    *RETRY_STATUSES,
                )
                attempt += 1
                if not retryable or attempt >= policy.attempts:
                    raise
                retry_after = getattr(exc, "retry_after", None)  # within [0, MAX_RETRY_AFTER]
                delay = retry_after if retry_after is not None else policy.backoff(attempt - 1)
                if self._clock() - started + delay > policy.deadline:
                    raise
                log.info("useapi.net %s (%s); retry %d in %.1fs", url.path, exc, attempt, delay)
                handed_over()
                await asyncio.sleep(delay)

    async def _get_once(self, url: URL, endpoint: str, load: Callable[[str], Any], cap: int) -> Any:
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        handed_over()
        try:
            async with self._session.get(
                url, headers=headers, timeout=self._timeout, allow_redirects=False
            ) as resp:
                body = await _read_text(resp, cap)
                self._tell(endpoint, str(resp.status))
                if body is None:
                    resp.close()  # the rest is never read: the connection is not reused
                    raise errors.UpstreamUnavailable(
                        f"useapi.net sent an answer larger than {cap // 2**20} MiB",
                        status=resp.status,
                    )
                if self._token in body:
                    body = body.replace(self._token, "***")
                return _interpret(resp.status, resp.headers, body, load)
        except TimeoutError as exc:
            self._tell(endpoint, "timeout")
            raise errors.UpstreamTimeout("useapi.net did not answer in time") from exc
        except aiohttp.ClientConnectorError as exc:
            self._tell(endpoint, "error")
            raise errors.Unreachable(f"could not connect to useapi.net ({exc.strerror})") from exc
        except aiohttp.ClientError as exc:
            self._tell(endpoint, "error")
            raise errors.UpstreamUnavailable(
                f"could not reach useapi.net ({exc.__class__.__name__})"
            ) from exc

    def _tell(self, endpoint: str, outcome: str) -> None:
        if self._observe is not None:
            self._observe(endpoint, outcome)


async def _read_text(resp: aiohttp.ClientResponse, cap: int = MAX_BODY) -> str | None:
    """The body as text, or None when it is larger than `cap` (MAX_BODY unless said).

    A declared Content-Length over the cap is refused before reading (for a compressed
    answer that is the size on the wire). What is read is counted after aiohttp inflated it,
    so neither a big body nor a small gzip bomb ever holds more than about MAX_BODY; a body
    without a Content-Length (chunked) stops at the cap too, and the client's timeout bounds
    how long any answer can stream.
    """
    if resp.content_length is not None and resp.content_length > cap:
        return None
    body = bytearray()
    async for chunk in resp.content.iter_chunked(READ_CHUNK):
        body += chunk
        if len(body) > cap:
            return None
    encoding = resp.charset or "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:
        encoding = "utf-8"
    return body.decode(encoding, errors="replace")


def _interpret(
    status: int, headers: Mapping[str, str], body: str, load: Callable[[str], Any] = json.loads
) -> Any:
    """Turn one HTTP answer into a payload or the matching exception; `load` reads a 2xx
    body (an error's body is read as JSON)."""
    payload: Any = None
    is_json = True
    try:
        reader = load if 200 <= status < 300 else json.loads
        payload = reader(body) if body.strip() else None
    except (ValueError, RecursionError):  # RecursionError: nested too deep to be data
        is_json = False

    if 200 <= status < 300:
        if not is_json or payload is None:
            raise errors.UpstreamUnavailable(NOT_JSON, status=status)
        return payload

    detail = _error_text(payload) if is_json else ""
    kind = errors.BY_STATUS.get(status)
    if kind is errors.RateLimited:
        raise errors.RateLimited(detail, retry_after=_retry_after(headers.get("Retry-After")))
    if kind is not None:
        raise kind(detail)
    raise errors.UpstreamUnavailable(detail or f"useapi.net answered HTTP {status}", status=status)


def _error_text(payload: Any) -> str:
    if isinstance(payload, dict):
        for key in ("error", "message", "detail"):
            value = payload.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:500]
    return ""


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP-date (RFC 9110
    section 10.2.3), clamped to [0, MAX_RETRY_AFTER]; None when it cannot be read."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:  # "-0000": UTC, says RFC 5322
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return errors.sane_wait(seconds)
