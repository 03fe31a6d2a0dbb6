"""One attempt on the wire: the request built and sent, and its answer read with a bound on its size.

An httpx client the caller injected is used through its public ``send``, so its hooks, auth, mounts and
cookies all apply. A client the SDK made for itself serves only the SDK, whose API sets no cookies and
whose requests never follow redirects, carry no httpx auth and have no event hooks: those layers of
``AsyncClient.send`` only cost time (its cookie jar alone builds urllib and email objects for every
answer), so such a request goes straight to the transport httpx would have picked for its URL, which
keeps environment proxies and connection pooling exactly as httpx sets them up.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import httpx

from ._reading import Answer, BodyTooLarge, read_body, release
from .errors import ClosedClientError, MalformedResponseError

__all__ = ["direct_route", "exchange", "is_made_for_the_sdk", "made_for_the_sdk"]

TransportFor = Callable[[httpx.URL], httpx.AsyncBaseTransport]

# httpx clients this package made for an SDK client to use (the emulator's in-process client): sent
# through directly like the one an SDK client makes for itself, though handed to it as http_client.
_MADE_FOR_THE_SDK: weakref.WeakSet[httpx.AsyncClient] = weakref.WeakSet()


def made_for_the_sdk(http: httpx.AsyncClient) -> httpx.AsyncClient:
    """Mark ``http`` as made by this package for an SDK client's sole use; returns it.

    The SDK client it is handed to treats it as its own: sends through it directly, and closes it.
    """
    _MADE_FOR_THE_SDK.add(http)
    return http


def is_made_for_the_sdk(http: httpx.AsyncClient) -> bool:
    """True for an httpx client `made_for_the_sdk` marked."""
    return http in _MADE_FOR_THE_SDK


def direct_route(http: httpx.AsyncClient, *, owned: bool) -> TransportFor | None:
    """How ``http`` picks its transport for a URL (its mounts, then its pool), when the SDK may send
    through it directly: ``owned`` (made by the SDK client, or for it). Otherwise, or if this httpx
    version does not say, None: the SDK sends through ``send``."""
    if not owned:
        return None
    route = getattr(http, "_transport_for_url", None)
    return route if callable(route) else None


async def exchange(
    http: httpx.AsyncClient,
    route: TransportFor | None,
    method: str,
    url: httpx.URL,
    headers: dict[str, str],
    content: bytes | None,
    timeout: httpx.Timeout | None,
) -> Answer:
    """Send one request through ``route`` (or ``http.send`` when None) and read its answer.

    ``timeout`` None keeps the client's own. Redirects are never followed: the credential must not
    travel to another origin, so a 3xx comes back as an answer.
    """
    if route is None:
        response = await _through_client(http, method, url, headers, content, timeout)
    else:
        response = await _direct(route, method, url, headers, content, timeout or http.timeout)
    try:
        body = await read_body(response, error=not 200 <= response.status_code < 300)
    except BodyTooLarge as error:
        raise MalformedResponseError(
            status_code=response.status_code, error_description=str(error), raw_body=None
        ) from None
    release(response)
    return Answer(response, body)


async def _through_client(
    http: httpx.AsyncClient,
    method: str,
    url: httpx.URL,
    headers: dict[str, str],
    content: bytes | None,
    timeout: httpx.Timeout | None,
) -> httpx.Response:
    request = http.build_request(
        method, url, headers=headers, content=content, timeout=timeout or httpx.USE_CLIENT_DEFAULT
    )
    try:
        return await http.send(request, stream=True, follow_redirects=False)
    except RuntimeError:
        # httpx raises a bare RuntimeError when its client was closed elsewhere.
        if http.is_closed:
            raise ClosedClientError() from None
        raise


async def _direct(
    route: TransportFor,
    method: str,
    url: httpx.URL,
    headers: dict[str, str],
    content: bytes | None,
    timeout: httpx.Timeout,
) -> httpx.Response:
    extensions: dict[str, Any] = {"timeout": timeout.as_dict()}
    request = httpx.Request(method, url, headers=headers, content=content, extensions=extensions)
    try:
        response = await route(url).handle_async_request(request)
    except httpx.RequestError as error:
        error.request = request  # as AsyncClient.send attaches it: the SDK redacts its credential
        raise
    response.request = request
    return response
