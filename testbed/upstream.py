"""A real aiohttp server on 127.0.0.1 that plays useapi.net, and misbehaves on demand."""

from __future__ import annotations

import argparse
import asyncio
import copy
import dataclasses
import functools
import json
import struct
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from .waiting import Changes

SAMPLE_PATH = Path(__file__).parent / "features_sample.json"  # useapi.net's documented sample
TOKEN = "useapi-test-token-0123456789"

HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
MiB = 1 << 20


@functools.cache
def gzip_zeros(size: int) -> bytes:
    """A valid gzip stream of `size` zero bytes (a whole number of MiB), built without ever
    holding them: every MiB is compressed after a full flush, so all but the first compress
    to the same bytes, which are repeated (300 MiB give about 0.3 MB)."""
    blocks, rest = divmod(size, MiB)
    assert blocks and not rest, "a whole number of MiB"
    zeros = bytes(MiB)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate; the gzip frame is ours
    first = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(blocks):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return header + first + again * (blocks - 1) + packer.flush() + trailer


def deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def padded_json(size: int) -> bytes:
    """A valid JSON object of exactly `size` bytes."""
    shell = b'{"pad":""}'
    return shell[:-2] + b"x" * (size - len(shell)) + shell[-2:]


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def sample_features(
    *,
    batches_in_hours: Sequence[float] = (48.0,),
    audio_in_hours: Sequence[float] | None = (100.0,),
    total: int = 100,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The documented sample with credit batches expiring the given hours from now."""
    now = now or datetime.now(UTC)
    payload = json.loads(SAMPLE_PATH.read_text())
    payload["totalCredits"] = total
    payload["totalCreditsStr"] = str(total)
    payload["creditExpireText"] = [
        {"credit": 10 * (i + 1), "endTime": ms(now + timedelta(hours=h))}
        for i, h in enumerate(batches_in_hours)
    ]
    if audio_in_hours is None:
        payload.pop("audio")
    else:
        payload["audio"]["sub_credits"] = [
            {
                "credit_type": 3,
                "end_time": ms(now + timedelta(hours=h)),
                "credit": 5,
                "text": "",
                "record": [{"credit": 5, "endTime": ms(now + timedelta(hours=h))}],
                "coin_type": 0,
            }
            for h in audio_in_hours
        ]
    return payload


def account_entry(account: str, *, session_in_days: float = 20.0) -> dict[str, Any]:
    now = datetime.now(UTC)
    exp = int((now + timedelta(days=session_in_days)).timestamp())
    return {
        "account": account,
        "jwt": {
            "token": "…masked…",
            "user": {"id": account, "name": f"user {account}"},
            "exp": exp,
            "iat": exp - 30 * 86400,
        },
        "maxJobs": 3,
        "supportMusic": True,
        "supportVideo": True,
    }


def useapi_account_payload(
    *, active: bool = True, total: int = 1, error: int = 0, sub: str = "261115"
) -> dict[str, Any]:
    """The documented `GET /v2/account` example with `total` MiniMax accounts, `error` of
    them in error (the rest active), the subscription active or not, renewed on `sub`."""
    return {
        "id": "u_123",
        "email": "team@example.com",
        "name": "Team",
        "created": "2024-01-10T10:00:00.000Z",
        "verified": True,
        "subscriptionIsActive": active,
        "subscriptions": 3,
        "maxAccountsPerAPI": 50,
        "sub": sub,
        "accounts": {"MiniMax API": {"total": total, "active": total - error, "error": error}},
        "updated": "2026-11-15T08:00:00.000Z",
    }


@dataclass(frozen=True)
class Job:
    """One job as useapi.net's statistics keep it; `model` is in `summary.by_model` only (the
    MiniMax rows carry none), `code` None makes a row without a code."""

    account: str
    at: datetime
    model: str | None = "hailuo-02"
    endpoint: str = "videos-create"
    code: int | None = 200
    msec: int | None = 40_000
    jobid: str = ""


def _status_text(code: int | None) -> str:
    return "OK" if code is not None and 200 <= code < 300 else "Failed"


def _time_span(seconds: float) -> str:
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours} hours {rest // 60} minutes"


def _iso_ms(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def stats_payload(jobs: Sequence[Job], day: date | None, *, bot: str = "minimax") -> dict[str, Any]:
    """The `GET /v2/account/stats` answer for `jobs` (already chosen by date, limit and config),
    its `summary` computed as useapi.net documents it and left out when there are no rows."""
    ordered = sorted(jobs, key=lambda j: j.at)
    rows = [
        {
            "timestamp": _iso_ms(j.at),
            "jobid": j.jobid or f"j-{i}",
            "config": j.account,
            "endpoint": j.endpoint,
            "status": _status_text(j.code),
            "func": f"v1-minimax-{j.endpoint}",
            **({"code": j.code} if j.code is not None else {}),
            **({"msec": j.msec} if j.msec is not None else {}),
        }
        for i, j in enumerate(ordered)
    ]
    payload: dict[str, Any] = {
        "bot": bot,
        "date": (day or datetime.now(UTC).date()).isoformat(),
        "total": len(rows),
        "data": rows,
    }
    if not ordered:
        return payload

    def tally(values: Sequence[Any]) -> dict[str, int]:
        found: dict[str, int] = {}
        for value in values:
            found[str(value)] = found.get(str(value), 0) + 1
        return found

    coded = [j for j in ordered if j.code is not None]
    ok = sum(1 for j in coded if j.code is not None and 200 <= j.code < 300)
    timed = [j.msec for j in ordered if j.msec is not None]
    payload["summary"] = {
        "from": _iso_ms(ordered[0].at),
        "to": _iso_ms(ordered[-1].at),
        "time_span": _time_span((ordered[-1].at - ordered[0].at).total_seconds()),
        "by_config": tally([j.account for j in ordered]),
        "by_code": tally([j.code for j in coded]),
        "by_endpoint": tally([j.endpoint for j in ordered]),
        "by_status": tally([_status_text(j.code) for j in ordered]),
        "by_model": tally([j.model for j in ordered if j.model is not None]),
        "success_rate": f"{100 * ok / len(coded):.1f}%" if coded else "0.0%",
        "avg_msec": round(sum(timed) / len(timed)) if timed else 0,
    }
    return payload


@dataclass
class Fault:
    """One way to misbehave: `kind` is status, html, badjson, drop or slow, or one of the
    hostile 200 answers: deepjson (arrays nested `size` deep), bomb (`size` zero bytes,
    gzip-compressed), huge (valid JSON of `size` bytes) and lying (declares a body of `size`
    bytes, sends a few and stalls for `delay` seconds). bomb and huge are sent with a
    Content-Length, or in chunks without one when `chunked`."""

    kind: str
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    times: int | None = None  # None: every request until cleared
    size: int = 0
    chunked: bool = False


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    raw_query: str
    authorization: str | None
    at: float
    served_in: float = 0.0  # seconds from arrival to the answer being ready


async def _body(
    request: web.Request, body: bytes, chunked: bool, headers: dict[str, str]
) -> web.StreamResponse:
    """`body` as it is, with a Content-Length or in 64 KiB chunks without one."""
    headers = {"Content-Type": "application/json", **headers}
    if not chunked:
        return web.Response(body=body, headers=headers)
    response = web.StreamResponse(headers=headers)
    response.enable_chunked_encoding()
    await response.prepare(request)
    view = memoryview(body)
    try:
        for start in range(0, len(body), 64 * 1024):
            await response.write(view[start : start + 64 * 1024])
        await response.write_eof()
    except ConnectionError:
        pass  # the client hung up, as it should when it had enough
    return response


class FakeUseapi:
    def __init__(self, token: str = TOKEN, latency: float = 0.0) -> None:
        self.token = token
        self.latency = latency  # added to every answer, for benchmarks
        self.features: dict[str, dict[str, Any]] = {}
        self.listing_extra: dict[str, dict[str, Any]] = {}
        self.faults: dict[str | None, list[Fault]] = {}
        self.listing_faults: list[Fault] = []
        # GET /v2/account: None answers useapi_account_payload(total=<accounts added>)
        self.useapi_account: dict[str, Any] | None = None
        self.account_faults: list[Fault] = []
        self.jobs: list[Job] = []  # GET /v2/account/stats serves these
        self.stats_faults: list[Fault] = []
        self.requests: list[Seen] = []
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._changes = Changes()

    async def wait_for(self, predicate: Callable[[], Any], within: float = 20.0) -> Any:
        """Wait until `predicate()` is truthy, re-checking on every request served."""
        return await self._changes.wait_for(predicate, within)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def add_account(self, account: str, payload: dict[str, Any] | None = None) -> None:
        self.features[account] = payload if payload is not None else sample_features()

    def fail(self, account: str | None, fault: Fault) -> None:
        self.faults.setdefault(account, []).append(fault)

    def fail_account(self, fault: Fault) -> None:
        """Make `GET /v2/account` (and nothing else) misbehave."""
        self.account_faults.append(fault)

    def add_job(
        self,
        account: str,
        day: date | None = None,
        model: str | None = "hailuo-02",
        endpoint: str = "videos-create",
        code: int | None = 200,
        msec: int | None = 40_000,
        *,
        at: datetime | None = None,
        count: int = 1,
    ) -> None:
        """`count` jobs of `account` for the statistics, at `at` (default: noon UTC of `day`,
        today when neither is given)."""
        if at is None:
            at = datetime.combine(day or datetime.now(UTC).date(), datetime.min.time(), UTC)
            at += timedelta(hours=12)
        for _ in range(count):
            jobid = f"j-{len(self.jobs)}"
            self.jobs.append(Job(account, at, model, endpoint, code, msec, jobid))

    def fail_stats(self, fault: Fault) -> None:
        """Make `GET /v2/account/stats` (and nothing else) misbehave."""
        self.stats_faults.append(fault)

    def clear(self) -> None:
        self.faults.clear()
        self.listing_faults.clear()
        self.account_faults.clear()
        self.stats_faults.clear()

    def stats_calls(self, account: str | None = None) -> list[Seen]:
        """The statistics requests, of `account` (its `config`) when given."""
        return [
            r
            for r in self.requests
            if r.path == "/v2/account/stats"
            and (account is None or r.query.get("config") == account)
        ]

    def feature_calls(self, account: str | None = None) -> list[Seen]:
        return [
            r
            for r in self.requests
            if r.path.endswith("/features/") and r.query.get("account") == account
        ]

    def account_calls(self) -> list[Seen]:
        """The `GET /v2/account` requests (the statistics beside it are not among them)."""
        return [r for r in self.requests if r.path == "/v2/account"]

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/v1/minimax/features/", self._features)
        app.router.add_get("/v1/minimax/accounts", self._accounts)
        app.router.add_get("/v2/account", self._useapi_account)
        app.router.add_get("/v2/account/stats", self._stats)
        app.router.add_get("/_requests", self._seen)
        self._runner = runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self.port = runner.addresses[0][1]  # (host, port) of its one site
        return self.base_url

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    def _record(self, request: web.Request) -> Seen:
        seen = Seen(
            path=request.path,
            query=dict(request.query),
            raw_query=request.query_string,
            authorization=request.headers.get("Authorization"),
            at=time.monotonic(),
        )
        self.requests.append(seen)
        self._changes.notify()
        return seen

    async def _misbehave(
        self, request: web.Request, faults: list[Fault]
    ) -> web.StreamResponse | None:
        if not faults:
            return None
        fault = faults[0]
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                faults.pop(0)
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay)
            return None
        if fault.kind == "html":
            return web.Response(status=fault.status, text=HTML_502, content_type="text/html")
        if fault.kind == "badjson":
            return web.Response(
                status=200, text='{"totalCredits": 1,', content_type="application/json"
            )
        if fault.kind == "drop":
            assert request.transport is not None
            request.transport.close()
            raise asyncio.CancelledError  # aiohttp drops the connection without an answer
        if fault.kind == "deepjson":
            return web.Response(
                text=deep_json(fault.size or 100_000), content_type="application/json"
            )
        if fault.kind == "bomb":
            gzip = {"Content-Encoding": "gzip"}
            return await _body(request, gzip_zeros(fault.size or 300 * MiB), fault.chunked, gzip)
        if fault.kind == "huge":
            return await _body(request, padded_json(fault.size), fault.chunked, {})
        if fault.kind == "lying":
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            response.content_length = fault.size
            await response.prepare(request)
            await response.write(b'{"totalCredits": ')
            await asyncio.sleep(fault.delay or 30.0)
            return response
        body = (
            fault.body
            if fault.body is not None
            else {"error": f"fault {fault.status}", "code": fault.status}
        )
        return web.json_response(body, status=fault.status, headers=fault.headers)

    async def _seen(self, request: web.Request) -> web.Response:
        """What this server saw, for a benchmark that runs it in a process of its own."""
        return web.json_response([dataclasses.asdict(s) for s in self.requests])

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    async def _features(self, request: web.Request) -> web.StreamResponse:
        seen = self._record(request)
        response = await self._features_answer(request)
        seen.served_in = time.monotonic() - seen.at
        return response

    async def _features_answer(self, request: web.Request) -> web.StreamResponse:
        if self.latency:
            await asyncio.sleep(self.latency)
        account = request.query.get("account")
        if (early := await self._misbehave(request, self.faults.get(account, []))) is not None:
            return early
        if not self._authorized(request):
            return web.json_response({"error": "Unauthorized", "code": 401}, status=401)
        if account is None:
            if len(self.features) != 1:
                return web.json_response(
                    {"error": "Parameter account is required", "code": 400}, status=400
                )
            account = next(iter(self.features))
        payload = self.features.get(account)
        if payload is None:
            return web.json_response(
                {"error": f"Unable to find configuration for account {account}", "code": 404},
                status=404,
            )
        return web.json_response(copy.deepcopy(payload))

    async def _accounts(self, request: web.Request) -> web.StreamResponse:
        self._record(request)
        if self.latency:
            await asyncio.sleep(self.latency)
        if (early := await self._misbehave(request, self.listing_faults)) is not None:
            return early
        if not self._authorized(request):
            return web.json_response({"error": "Unauthorized", "code": 401}, status=401)
        listing = {a: account_entry(a) for a in self.features}
        listing.update(self.listing_extra)
        return web.json_response(listing)

    async def _useapi_account(self, request: web.Request) -> web.StreamResponse:
        self._record(request)
        if self.latency:
            await asyncio.sleep(self.latency)
        if (early := await self._misbehave(request, self.account_faults)) is not None:
            return early
        if not self._authorized(request):
            return web.json_response({"error": "Unauthorized", "code": 401}, status=401)
        payload = self.useapi_account
        if payload is None:
            payload = useapi_account_payload(total=len(self.features))
        return web.json_response(copy.deepcopy(payload))

    async def _stats(self, request: web.Request) -> web.StreamResponse:
        self._record(request)
        if self.latency:
            await asyncio.sleep(self.latency)
        if (early := await self._misbehave(request, self.stats_faults)) is not None:
            return early
        if not self._authorized(request):
            return web.json_response({"error": "Unauthorized", "code": 401}, status=401)
        query = request.query
        bot = query.get("bot")
        if not bot:
            return web.json_response(
                {"error": "Parameter bot is required", "code": 400}, status=400
            )
        jobs = [j for j in self.jobs if bot == "minimax"]
        if (config := query.get("config")) is not None:
            jobs = [j for j in jobs if j.account == config]
        day: date | None = None
        if (limit := query.get("limit")) is not None:
            if not limit.isdigit() or not 1 <= int(limit) <= 50_000:
                return web.json_response(
                    {"error": "Parameter limit must be from 1 to 50000", "code": 400}, status=400
                )
            jobs = sorted(jobs, key=lambda j: j.at)[-int(limit) :]
        else:
            try:
                day = date.fromisoformat(query["date"]) if "date" in query else None
            except ValueError:
                return web.json_response(
                    {"error": "Parameter date must be YYYY-MM-DD", "code": 400}, status=400
                )
            wanted = day or datetime.now(UTC).date()
            jobs = [j for j in jobs if j.at.astimezone(UTC).date() == wanted]
        return web.json_response(stats_payload(jobs, day, bot=bot))


async def _serve_forever(latency: float, accounts: int) -> None:
    server = FakeUseapi(latency=latency)
    for i in range(accounts):
        server.add_account(f"acct{i}")
    await server.start()
    print(server.port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The loopback useapi.net in a process of its own")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--accounts", type=int, default=1)
    options = parser.parse_args()
    asyncio.run(_serve_forever(options.latency, options.accounts))
