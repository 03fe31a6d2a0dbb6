"""The facade: [`AuthPIAdmin`][authpi_admin.AuthPIAdmin], the one object user code creates."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from ._account import ACCOUNT_PLACEHOLDER
from ._auth import TokenRefresher
from ._validation import DEFAULT_TIMEOUT, check_credential, validate_path_segment
from .errors import ConfigurationError
from .generated.root import AccountRoot
from .http_client import DEFAULT_MAX_CONCURRENCY, HttpClient
from .retries import RetryConfig, RetryPolicy

if TYPE_CHECKING:
    from .generated.typed.root import TypedAccountRoot

__all__ = ["DEFAULT_BASE_URL", "AuthPIAdmin"]

DEFAULT_BASE_URL = "https://api.authpi.dev"

# The account-level base path as the document writes it (traces name calls by templates, not ids).
_ACCOUNT_TEMPLATE = "/v1/accounts/{account_id}"


class AuthPIAdmin(AccountRoot):
    """An async client for the AuthPI Core API, scoped to one account.

    Authenticate with an ``api_key``: a ``(key_id, key_secret)`` pair, sent as HTTP Basic as today's API
    expects, or a string, sent as ``Bearer`` as 0.3.0 did. Or with an ``access_token`` plus the
    ``account_id`` it acts on (optionally with ``on_token_expired`` to refresh it on 401). Without
    ``account_id`` the account is found once, on first use, through ``GET /v1/me``; ``account_id="me"``
    sends 0.3.0's ``/v1/accounts/me/...`` paths. Account-level resources hang off this object (``admin.issuers``,
    ``admin.webhooks``, ...), and ``admin.issuer(id)`` / ``admin.webhook(id)`` scope into one object. Use it as ``async
    with AuthPIAdmin(...) as admin:`` or call [`close()`][authpi_admin.AuthPIAdmin.close].

    ``base_url`` must be ``https://`` (plain ``http://`` only for loopback hosts, or with ``allow_insecure_http=True``).
    A write that carries an ``idempotency_key`` is retried like a read (the API replays it rather than applying it
    twice); ``idempotency_keys=True`` gives every write without one a fresh key, so all writes retry safely. At most
    ``max_concurrency`` requests (default 100, httpx's pool size) are in flight at once; more wait their turn in the
    client.

    With OpenTelemetry's API installed (the ``otel`` extra) and a tracer provider (``tracer_provider``, else
    the application's global one), every call makes an operation span with one span per attempt under it;
    ``tracing=False`` turns that off. See the Observability guide.
    """

    def __init__(
        self,
        *,
        api_key: str | tuple[str, str] | None = None,
        access_token: str | None = None,
        on_token_expired: TokenRefresher | None = None,
        account_id: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        http_client: httpx.AsyncClient | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        default_headers: Mapping[str, str] | None = None,
        retries: bool | Mapping[str, Any] | RetryConfig | RetryPolicy | None = True,
        allow_insecure_http: bool = False,
        idempotency_keys: bool = False,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        tracer_provider: object | None = None,
        tracing: bool = True,
    ) -> None:
        check_credential(api_key, access_token)
        if access_token and not account_id:
            raise ConfigurationError("account_id is required when using access_token")
        account = validate_path_segment(account_id, "account_id") if account_id else ACCOUNT_PLACEHOLDER
        self._client = HttpClient(
            base_url,
            api_key=api_key,
            access_token=access_token,
            on_token_expired=on_token_expired,
            http_client=http_client,
            timeout=timeout,
            default_headers=default_headers,
            retries=retries,
            allow_insecure_http=allow_insecure_http,
            idempotency_keys=idempotency_keys,
            max_concurrency=max_concurrency,
            tracer_provider=tracer_provider,
            tracing=tracing,
        )
        self._base_path = f"/v1/accounts/{account}"
        self._template = _ACCOUNT_TEMPLATE
        self.account_id = account_id

    def __repr__(self) -> str:
        account = self.acting_account_id
        shown = repr(account) if account is not None else "<found through /v1/me on first use>"
        return f"AuthPIAdmin(base_url={self._client.base_url!r}, account={shown})"

    @property
    def acting_account_id(self) -> str | None:
        """The account this client acts on: ``account_id`` as given or, without one, the account found
        through ``GET /v1/me`` by the first call that needed it (None until then).

        ``account_id`` keeps what was passed to the constructor, as in 0.3.0.
        """
        if self.account_id:
            return self.account_id
        return self._client._account.account_id

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        retries: bool | Mapping[str, Any] | RetryConfig | RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> AuthPIAdmin:
        """A client for one block of calls with other settings, sharing this one's connection pool,
        credential (and its refreshes) and account::

            patient = admin.with_options(timeout=120, retries={"limit": 8}) await patient.issuers.list()

        ``timeout`` and ``retries`` replace this client's (None keeps them); ``headers`` are added to
        its default headers. Closing the sibling does not close the shared connections.
        """
        sibling = object.__new__(type(self))
        sibling._client = self._client.with_options(timeout=timeout, retries=retries, headers=headers)
        sibling._base_path = self._base_path
        sibling._template = self._template
        sibling.account_id = self.account_id
        return sibling

    async def whoami(self) -> dict[str, Any]:
        """Who the credential is (``GET /v1/me``): its type, ids, and the accounts and organizations it reaches.

        Asked anew on every call (not cached); the answer's ``{"data": ...}`` envelope is removed.
        """
        return await self._client.whoami()

    @cached_property
    def typed(self) -> TypedAccountRoot:
        """The same client answering models: ``await admin.typed.issuers.get(...)`` is an ``Issuer``.

        Every resource, scope and method is there with the same arguments; each call answers the model of
        ``authpi_admin.types`` the API document names for it (a ``Page`` of models for a list, an iterator
        of models for ``list_all``, ``None`` for a 204). An answer that does not fit its model raises
        [`MalformedResponseError`][authpi_admin.errors.MalformedResponseError] saying where and why. It shares this
        client's connections, credential and settings (``admin.with_options(...).typed`` too); the plain calls keep
        answering dicts.
        """
        from .generated.typed.root import TypedAccountRoot

        return TypedAccountRoot(self._client, self._base_path, self._template)

    @property
    def http(self) -> HttpClient:
        """The transport every call goes through."""
        return self._client

    async def close(self) -> None:
        """Close the client and every ``with_options()`` sibling of it (a sibling's own ``close()`` ends only
        its calls); the httpx client is closed too unless it was injected. Calls in flight end with
        [`ClosedClientError`][authpi_admin.errors.ClosedClientError]."""
        await self._client.close()

    async def __aenter__(self) -> AuthPIAdmin:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
