"""The CLI's client of the service's HTTP API, for the commands an issuer's staff run with an API key.

Requests that may safely be repeated (every issue carries an idempotency key; status changes are
retry-safe on the server) are retried on connection failures, 429, 502, 503 and 504, honouring
``Retry-After``, with exponential backoff. A problem+json answer becomes one line: its title, detail
and the field it names.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from badge_issuer.errors import BadgeIssuerError

RETRY_STATUSES = frozenset({429, 502, 503, 504})
ATTEMPTS = 6
MAX_WAIT = 30.0


class ApiError(BadgeIssuerError):
    """The service refused a request (or could not be reached after retries)."""


class ApiClient:
    """Calls ``/api/v1/issuers/{issuer}/…`` of the service at ``base_url`` with a bearer API key."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        issuer: str,
        *,
        timeout: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.issuer = issuer
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=f"{self.base_url}/api/v1/issuers/{issuer}",
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": "badge-issuer-cli"},
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, **params: Any) -> Any:
        return self._call("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self._call("POST", path, json=body, headers=headers)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        wait = 0.5
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                if attempt == ATTEMPTS:
                    raise ApiError(f"cannot reach {self.base_url}: {exc}") from None
            else:
                if response.status_code not in RETRY_STATUSES or attempt == ATTEMPTS:
                    return _answer(response)
                wait = _retry_after(response, wait)
            self._sleep(min(wait, MAX_WAIT))
            wait *= 2
        raise AssertionError("unreachable")  # pragma: no cover


def _retry_after(response: httpx.Response, default: float) -> float:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else default


def _answer(response: httpx.Response) -> Any:
    if response.is_success:
        return response.json()
    try:
        problem = response.json()
    except ValueError:
        raise ApiError(f"HTTP {response.status_code} from {response.request.url}") from None
    if not isinstance(problem, dict):
        raise ApiError(f"HTTP {response.status_code} from {response.request.url}")
    message = f"{problem.get('title') or response.status_code}: {problem.get('detail') or ''}".strip()
    errors = problem.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        message += f" ({errors[0].get('pointer')}: {errors[0].get('detail')})"
    elif problem.get("pointer"):
        message += f" ({problem['pointer']})"
    raise ApiError(message)
