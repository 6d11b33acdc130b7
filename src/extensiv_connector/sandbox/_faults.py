"""Deterministic fault injection for the sandbox.

Each request draws its fate from one seeded ``random.Random`` in arrival order, so a sequential
client sees the same faults for the same seed. Faults (all rates are per request, 0..1):

- ``latency_ms`` (+ ``latency_jitter_ms``): sleep before answering;
- ``error_rate``: answer with a status from ``error_statuses`` (plain-text body, as real 500s);
- ``reset_rate``: close the connection without answering (before anything is done);
- ``lost_response_rate``: for writes (POST/PUT/DELETE), commit the change, then lose the answer
  (``lost_response_mode``: ``"reset"`` closes the socket, ``"500"`` answers 500);
- ``rate_limit_rate``: start a burst of ``rate_limit_burst`` 429 answers with ``Retry-After``;
- ``token_expiry_rate``: a valid bearer is revoked early and the request gets 401.

``enqueue("reset", 503, "lost", 429, "expire_token")`` scripts the next matching requests exactly,
ahead of the random draws. Faults never apply to ``/events/webhook/key``; they apply to the token
endpoint only with ``include_auth=True``. ``only`` limits them to requests whose ``"METHOD /path"``
starts with one of the given prefixes (e.g. ``("POST /orders",)``).
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
from collections import deque
from typing import Any

import attrs
from werkzeug.wrappers import Request, Response

from . import _errors as err
from ._render import fault_response, json_response, text_response

__all__ = ["FaultConfig", "FaultDecision", "Faults", "injected_response", "reset_connection"]

_SCRIPTED = {"reset", "lost", "429", "expire_token", "latency"}


@attrs.frozen(kw_only=True)
class FaultConfig:
    """The faults the sandbox injects: latency, error/reset/lost-response/rate-limit rates, seed."""

    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 503, 502)
    reset_rate: float = 0.0
    lost_response_rate: float = 0.0
    lost_response_mode: str = "reset"
    rate_limit_rate: float = 0.0
    rate_limit_burst: int = 3
    retry_after_s: int = 1
    token_expiry_rate: float = 0.0
    include_auth: bool = False
    only: tuple[str, ...] = ()
    seed: int = 0

    def __attrs_post_init__(self) -> None:
        for name in (
            "error_rate",
            "reset_rate",
            "lost_response_rate",
            "rate_limit_rate",
            "token_expiry_rate",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"faults.{name} must be between 0 and 1, got {value}")
        if self.latency_ms < 0 or self.latency_jitter_ms < 0:
            raise ValueError("faults.latency_ms must not be negative")
        if self.lost_response_mode not in ("reset", "500"):
            raise ValueError("faults.lost_response_mode must be 'reset' or '500'")
        if not self.error_statuses:
            raise ValueError("faults.error_statuses must not be empty")


@attrs.frozen(kw_only=True)
class FaultDecision:
    """What happens to one request."""

    delay_s: float = 0.0
    reset: bool = False
    status: int | None = None  # 429 or an error status, answered without touching state
    retry_after_s: int | None = None
    lose_response: bool = False
    lost_mode: str = "reset"
    expire_token: bool = False


_NONE = FaultDecision()


class Faults:
    """Live fault settings; ``configure`` may be called while the server runs."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self._config = config or FaultConfig()
        self._rng = random.Random(self._config.seed)
        self._burst_left = 0
        self._script: deque[str | int] = deque()
        self.injected: dict[str, int] = {}

    @property
    def config(self) -> FaultConfig:
        return self._config

    def configure(self, **changes: Any) -> FaultConfig:
        """Change settings (unnamed ones keep their value); a given ``seed`` restarts the draws."""
        with self._lock:
            self._config = attrs.evolve(self._config, **changes)
            if "seed" in changes:
                self._rng = random.Random(self._config.seed)
            self._burst_left = 0
            return self._config

    def clear(self) -> None:
        """No faults at all (keeps the seed) and an empty script."""
        with self._lock:
            self._config = FaultConfig(seed=self._config.seed)
            self._script.clear()
            self._burst_left = 0

    def enqueue(self, *faults: str | int) -> None:
        """Script the next matching requests: ``"reset"``, ``"lost"``, ``"expire_token"``,
        ``"latency"`` (one ``latency_ms`` sleep), ``"ok"`` or an HTTP status (429, 500, 503...)."""
        for fault in faults:
            if isinstance(fault, str) and fault not in _SCRIPTED | {"ok"}:
                raise ValueError(f"unknown scripted fault: {fault!r}")
            if isinstance(fault, int) and not 400 <= fault <= 599:
                raise ValueError(f"scripted status must be 4xx/5xx, got {fault}")
        with self._lock:
            self._script.extend(faults)

    def _count(self, name: str) -> None:
        self.injected[name] = self.injected.get(name, 0) + 1

    def decide(self, method: str, path: str, *, is_auth: bool, is_write: bool) -> FaultDecision:
        with self._lock:
            cfg = self._config
            if is_auth and not cfg.include_auth:
                return _NONE
            if cfg.only and not any(f"{method} {path}".startswith(p) for p in cfg.only):
                return _NONE
            if self._script:
                return self._scripted(self._script.popleft(), cfg)
            rng = self._rng
            delay = cfg.latency_ms / 1000.0
            if cfg.latency_jitter_ms:
                delay += rng.uniform(0, cfg.latency_jitter_ms) / 1000.0
            draws = [rng.random() for _ in range(5)]
            status_pick = rng.choice(cfg.error_statuses)
            if self._burst_left > 0:
                self._burst_left -= 1
                self._count("429")
                return FaultDecision(delay_s=delay, status=429, retry_after_s=cfg.retry_after_s)
            if draws[0] < cfg.rate_limit_rate:
                self._burst_left = max(cfg.rate_limit_burst - 1, 0)
                self._count("429")
                return FaultDecision(delay_s=delay, status=429, retry_after_s=cfg.retry_after_s)
            if draws[1] < cfg.reset_rate:
                self._count("reset")
                return FaultDecision(delay_s=delay, reset=True)
            if draws[2] < cfg.error_rate:
                self._count(str(status_pick))
                return FaultDecision(delay_s=delay, status=status_pick)
            if not is_auth and draws[3] < cfg.token_expiry_rate:
                self._count("expire_token")
                return FaultDecision(delay_s=delay, expire_token=True)
            if is_write and draws[4] < cfg.lost_response_rate:
                self._count("lost")
                return FaultDecision(
                    delay_s=delay, lose_response=True, lost_mode=cfg.lost_response_mode
                )
            return FaultDecision(delay_s=delay) if delay else _NONE

    def _scripted(self, fault: str | int, cfg: FaultConfig) -> FaultDecision:
        self._count(str(fault))
        if fault == "reset":
            return FaultDecision(reset=True)
        if fault == "lost":
            return FaultDecision(lose_response=True, lost_mode=cfg.lost_response_mode)
        if fault == "expire_token":
            return FaultDecision(expire_token=True)
        if fault == "latency":
            return FaultDecision(delay_s=cfg.latency_ms / 1000.0)
        if fault == "ok":
            return _NONE
        status = int(fault)
        return FaultDecision(
            status=status, retry_after_s=cfg.retry_after_s if status == 429 else None
        )


# ---------------------------------------------------------------------------- answers


def reset_connection(request: Request) -> Response:
    """Close the client's socket (it sees a reset, not an answer); the 500 is never read."""
    sock = request.environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    return Response(b"", status=500)


def injected_response(decision: FaultDecision) -> Response:
    """The answer for an injected error status, with the body the real service sends for it
    (nothing names the sandbox)."""
    status = decision.status or 500
    if status == 429:
        after = decision.retry_after_s
        headers = {"Retry-After": str(1 if after is None else after)}
        return text_response(429, "Too many requests.", headers)
    if status == 500:
        return text_response(500, "An error has occurred.")
    if status == 401:
        return json_response(
            401,
            {"Message": "Missing Authorization header with proper bearer token"},
            headers={"WWW-Authenticate": "Bearer"},
        )
    if status in (400, 403, 404, 412, 428):
        fault = {
            400: err.model_validation("ValueNotSupported", "The request is invalid."),
            403: err.authorization("The credential is not allowed to do this."),
            404: err.not_found("Resource"),
            412: err.precondition_failed(),
            428: err.precondition_required(),
        }[status]
        return fault_response(fault)
    return text_response(status, _REASONS.get(status, "An error has occurred."))


_REASONS = {
    502: "Bad Gateway",
    503: "The service is unavailable.",
    504: "Gateway Timeout",
    408: "Request Timeout",
}
