"""`GET /healthz` and `GET /metrics` on HEALTH_PORT, for orchestrators and Prometheus."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from app.metrics import Metrics

log = logging.getLogger(__name__)


class MonitoringServer:
    """`healthz()` returns (healthy, details); it is called on every /healthz request."""

    def __init__(
        self,
        host: str,
        port: int,
        metrics: Metrics,
        healthz: Callable[[], tuple[bool, dict[str, Any]]],
    ) -> None:
        self.host, self.port = host, port
        self.metrics = metrics
        self.healthz = healthz
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        log.info("health endpoint on http://%s:%d/healthz", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _healthz(self, request: web.Request) -> web.Response:
        healthy, details = self.healthz()
        return web.json_response(
            {"status": "ok" if healthy else "unhealthy", **details}, status=200 if healthy else 503
        )

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self.metrics.render(), headers={"Content-Type": self.metrics.content_type}
        )
