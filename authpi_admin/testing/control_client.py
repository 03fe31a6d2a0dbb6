"""A small Python client of the emulator's control API ([`control`][authpi_admin.testing.control]), for a served
emulator or one in process: ``EmulatorServer.control()``, ``Emulator.control()``, or ``EmulatorControl(base_url)`` for
an
emulator another process serves."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

import httpx

from .control import CONTROL_PREFIX, DEFAULT_CONTROL_KEY

__all__ = ["EmulatorControl", "EmulatorControlError"]


class EmulatorControlError(Exception):
    """The control API refused a request: ``status`` and the error's ``error`` code say why."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description


class EmulatorControl:
    """Steers an emulator over its control API. Use it as ``async with``, or call
    [`aclose()`][authpi_admin.testing.EmulatorControl.aclose].

    ``base_url`` is where the emulator listens (``http://127.0.0.1:8787``); ``control_key`` the key it was
    given (``serve --control-key``, ``Emulator(control_key=...)``). ``http_client`` sends the requests
    instead of a client of its own (it is not closed here); ``transport`` is the transport of its own client
    (an emulator's in-process one).
    """

    def __init__(
        self,
        base_url: str,
        control_key: str = DEFAULT_CONTROL_KEY,
        *,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._owns_client = http_client is None
        if http_client is None:
            http_client = httpx.AsyncClient(transport=transport, timeout=timeout, trust_env=False)
        self._http = http_client
        self._root = base_url.rstrip("/") + CONTROL_PREFIX
        self._headers = {"authorization": f"Bearer {control_key}"}

    def __repr__(self) -> str:
        return f"<EmulatorControl {self._root}>"

    async def __aenter__(self) -> EmulatorControl:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client, when it is this object's own."""
        if self._owns_client:
            await self._http.aclose()

    async def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        response = await self._http.request(method, self._root + path, json=body, headers=self._headers)
        if response.status_code == 204:
            return None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not response.is_success or not isinstance(answer, dict):
            error = answer if isinstance(answer, dict) else {}
            raise EmulatorControlError(
                response.status_code,
                str(error.get("error", "unexpected_answer")),
                str(error.get("error_description", response.text[:200])),
            )
        return answer.get("data")

    # ------------------------------------------------------------------------------------- set-up

    async def status(self) -> dict[str, Any]:
        """The emulator's account, mode (``strict``), clock and request count."""
        result: dict[str, Any] = await self._call("GET", "")
        return result

    async def reset(self) -> None:
        """Back to as started: no objects, logs, faults or issued tokens; the clock running on real time."""
        await self._call("POST", "/reset")

    async def seed(self, collection: str, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Store one object in ``collection`` (a path like ``/v1/accounts/acc_test/issuers/iss_1/users/usr_1/
        sessions``) as it is, with no event: any kind, including those no API call makes."""
        (stored,) = await self.seed_many([{"collection": collection, "data": dict(data or {})}])
        return stored

    async def seed_many(self, objects: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Store several objects (``{"collection": ..., "data": ...}`` each), in order; what was stored."""
        result: list[dict[str, Any]] = await self._call("POST", "/seed", {"objects": [dict(o) for o in objects]})
        return result

    async def issue_token(self, *, expires_in: float = 3600.0, account_id: str | None = None) -> str:
        """A new bearer access token, valid for ``expires_in`` seconds on the emulator's clock."""
        body: dict[str, Any] = {"expires_in": expires_in}
        if account_id is not None:
            body["account_id"] = account_id
        result = await self._call("POST", "/tokens", body)
        return str(result["token"])

    # ------------------------------------------------------------------------------------- reading

    async def requests(self) -> list[dict[str, Any]]:
        """The latest requests the emulator answered (``method``, ``path``, ``query``, ``status`` and
        ``headers``, credentials redacted)."""
        return await self._list("/requests")

    async def writes(self) -> list[dict[str, Any]]:
        """Every write applied (``method``, ``path``, ``idempotency_key``, ``event_type``)."""
        return await self._list("/writes")

    async def events(self) -> list[dict[str, Any]]:
        """Every event recorded, oldest first, in today's ``Event`` shape."""
        return await self._list("/events")

    async def deliveries(self) -> list[dict[str, Any]]:
        """Every webhook delivery, oldest first, with today's fields (``attempt_count``, ``last_error``, ...)."""
        return await self._list("/deliveries")

    async def divergences(self) -> list[dict[str, Any]]:
        """What lenient mode accepted that today's API refuses (``method``, ``path``, ``reasons``)."""
        return await self._list("/divergences")

    async def wait_for_deliveries(self, timeout: float = 10.0) -> bool:
        """Wait until no webhook delivery is due now; False if that took longer than ``timeout`` seconds."""
        result = await self._call("POST", "/deliveries/wait", {"timeout": timeout})
        return bool(result["settled"])

    async def _list(self, path: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", path)
        return result

    # ------------------------------------------------------------------------------------- faults

    async def faults(self) -> list[dict[str, Any]]:
        """The fault rules, in the order they are checked."""
        return await self._list("/faults")

    async def add_fault(self, **fields: Any) -> dict[str, Any]:
        """Add a fault rule (the fields of [`Fault`][authpi_admin.testing.Fault]: ``status``, ``times``, ``route``,
        ...)."""
        result: dict[str, Any] = await self._call("POST", "/faults", fields)
        return result

    async def clear_faults(self) -> None:
        """Remove every fault rule."""
        await self._call("DELETE", "/faults")

    # ------------------------------------------------------------------------------------- the clock

    async def clock(self) -> dict[str, Any]:
        """The emulator's time: ``{"now": epoch seconds, "frozen": bool}``."""
        result: dict[str, Any] = await self._call("GET", "/clock")
        return result

    async def freeze_clock(self, at: float | None = None) -> float:
        """Stop the clock (at ``at``, epoch seconds, or now); the time it shows."""
        body: dict[str, Any] = {"freeze": True}
        if at is not None:
            body["set"] = at
        return float((await self._call("POST", "/clock", body))["now"])

    async def unfreeze_clock(self) -> float:
        """Let the clock run again from where it stands; the time it shows."""
        return float((await self._call("POST", "/clock", {"freeze": False}))["now"])

    async def advance_clock(self, seconds: float) -> float:
        """Move the clock ``seconds`` forward (token expiry and delivery retries follow); the time it shows."""
        return float((await self._call("POST", "/clock", {"advance": seconds}))["now"])
