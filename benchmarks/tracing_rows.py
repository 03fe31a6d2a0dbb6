"""What tracing costs per call: nothing when the application traces nothing, and its price when it does.

Both rows use the canned answers of ``per_call`` (no network). They import OpenTelemetry, so they run after
the rows that measure the SDK in a process that never did; the untraced row first, with the API alone (the
``otel`` extra, and no provider set), then the traced one, which needs the OpenTelemetry SDK.
"""

from __future__ import annotations

import httpx
from harness import Row, at_most, interleaved, ratios
from per_call import KEY, Call, _canned, _raw_calls, _us

from authpi_admin import AuthPIAdmin


def _users_get(transport: httpx.MockTransport, **options: object) -> tuple[AuthPIAdmin, Call]:
    """A client on ``transport`` and its ``users.get`` call."""
    admin = AuthPIAdmin(account_id="me", api_key=KEY, http_client=httpx.AsyncClient(transport=transport), **options)
    users = admin.issuer("iss_1").users

    async def get() -> None:
        await users.get("usr_1")

    return admin, get


async def untraced_cost(rounds: int, calls: int) -> Row:
    """users.get with OpenTelemetry's API imported and no provider set, against raw httpx."""
    from opentelemetry import trace

    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)  # the application set none
    transport = httpx.MockTransport(_canned)
    raw = httpx.AsyncClient(transport=transport)
    admin, sdk_get = _users_get(transport)
    times = await interleaved({"sdk": sdk_get, "raw": _raw_calls(raw)["users.get"]}, rounds, calls)
    await admin.close()
    await raw.aclose()
    detail = f"SDK {_us(times['sdk'])} vs raw httpx {_us(times['raw'])} per call; tracing on (the default), no provider"
    name = "per call, OpenTelemetry API imported, no provider: users.get"
    return at_most(name, ratios(times["sdk"], times["raw"]), 1.02, detail)


async def traced_cost(rounds: int, calls: int) -> Row:
    """users.get traced by an OpenTelemetry SDK provider whose spans go nowhere, against the same call untraced."""
    from opentelemetry.sdk.trace import TracerProvider

    transport = httpx.MockTransport(_canned)
    plain, plain_get = _users_get(transport)
    traced, traced_get = _users_get(transport, tracer_provider=TracerProvider())
    times = await interleaved({"traced": traced_get, "plain": plain_get}, rounds, calls)
    for admin in (plain, traced):
        await admin.close()
    middle = rounds // 2
    cost = (sorted(times["traced"])[middle] - sorted(times["plain"])[middle]) * 1e6
    detail = (
        f"traced {_us(times['traced'])} vs untraced {_us(times['plain'])}: about {cost:.0f} us a call for an "
        "operation span, an attempt span and a traceparent (a report of the cost; the limit only catches a blow-up)"
    )
    name = "per call, traced (SDK tracer provider, no exporter): users.get"
    return at_most(name, ratios(times["traced"], times["plain"]), 2.0, detail)
