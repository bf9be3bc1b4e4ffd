"""Prometheus metrics of one bot, in a registry of its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

PREFIX = "minimax_bot"


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter(
            f"{PREFIX}_commands",
            "Slash commands served, by command and outcome",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.upstream = Counter(
            f"{PREFIX}_upstream_requests",
            "HTTP requests to useapi.net, by endpoint and status (or timeout/error)",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.alerts = Counter(
            f"{PREFIX}_alerts_sent",
            "Messages posted in the alert channel, by kind",
            ["kind"],
            registry=self.registry,
        )
        self.check_duration = Histogram(
            f"{PREFIX}_check_duration_seconds",
            "Wall time of one expiry check of every watched account",
            buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
            registry=self.registry,
        )
        self.gateway = Gauge(
            f"{PREFIX}_gateway_connected",
            "1 while the Discord gateway is connected",
            registry=self.registry,
        )

    def observe_upstream(self, endpoint: str, status: str) -> None:
        self.upstream.labels(endpoint=endpoint, status=status).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
