"""Typed async client for useapi.net's MiniMax endpoints. Knows nothing of Discord."""

from .account import MINIMAX_SERVICE, ServiceCounts, UseapiAccount, parse_account
from .client import DEFAULT_BASE_URL, MiniMaxClient, RetryPolicy
from .errors import (
    AccountNotFound,
    AccountOnHold,
    BadRequest,
    OutOfCredits,
    RateLimited,
    SubscriptionExpired,
    TokenRefused,
    Unreachable,
    UpstreamTimeout,
    UpstreamUnavailable,
    UseapiError,
)
from .model_names import MODEL_NAMES, model_name
from .payloads import (
    AccountInfo,
    AudioCredits,
    CreditBatch,
    Features,
    ModelInfo,
    parse_accounts,
    parse_features,
)
from .ratelimit import Priority, RateLimiter
from .stats import DayFigures, JobStats, Outcome, Summary, load_stats, parse_stats

__all__ = [
    "DEFAULT_BASE_URL",
    "MINIMAX_SERVICE",
    "MODEL_NAMES",
    "AccountInfo",
    "AccountNotFound",
    "AccountOnHold",
    "AudioCredits",
    "BadRequest",
    "CreditBatch",
    "DayFigures",
    "Features",
    "JobStats",
    "MiniMaxClient",
    "ModelInfo",
    "OutOfCredits",
    "Outcome",
    "Priority",
    "RateLimited",
    "RateLimiter",
    "RetryPolicy",
    "ServiceCounts",
    "SubscriptionExpired",
    "Summary",
    "TokenRefused",
    "Unreachable",
    "UpstreamTimeout",
    "UpstreamUnavailable",
    "UseapiAccount",
    "UseapiError",
    "load_stats",
    "model_name",
    "parse_account",
    "parse_accounts",
    "parse_features",
    "parse_stats",
]
