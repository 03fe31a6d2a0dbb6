"""The bearer credential: kept out of every repr, and refreshed at most once at a time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from ._validation import check_headers
from .errors import AuthenticationError

if TYPE_CHECKING:
    import asyncio

__all__ = ["BearerToken", "TokenRefresher"]

TokenRefresher = Callable[[], Awaitable[Mapping[str, Any]]]
"""An ``on_token_expired`` callback: returns a mapping with a new ``access_token``."""


def _refresh_failed(error: Exception) -> AuthenticationError:
    """A new error for each waiter of a failed refresh (the original becomes its cause).

    The original's message is not repeated: a callback's message may hold a secret.
    """
    description = (
        error.error_description
        if isinstance(error, AuthenticationError)
        else f"on_token_expired failed with {type(error).__name__}"
    )
    return AuthenticationError(error="token_refresh_failed", error_description=description, status_code=401)


class BearerToken:
    """Holds the API key or access token; ``repr`` and ``str`` never show it.

    `refresh()` runs ``on_token_expired`` once for every request that met a 401 with the same token.
    The callback runs in its own task, so a request cancelled while it waits does not cancel the refresh
    the others are waiting on; if the callback fails, every waiter gets that failure and the next 401
    may try again.
    """

    __slots__ = ("_on_expired", "_refreshing", "_scheme", "_value", "_waiters", "authorization", "generation")

    def __init__(self, value: str, on_expired: TokenRefresher | None = None, *, scheme: str = "Bearer") -> None:
        self._scheme = scheme  # "Basic" for an API key pair (never refreshed)
        self._on_expired = on_expired
        self._refreshing: asyncio.Task[str] | None = None
        self._waiters = 0
        self.generation = 0
        self._store(value)

    def __repr__(self) -> str:
        return "BearerToken(<redacted>)"

    __str__ = __repr__

    @property
    def value(self) -> str:
        """The secret itself, for the ``authorization`` header only."""
        return self._value

    @property
    def can_refresh(self) -> bool:
        """True when an ``on_token_expired`` callback was given."""
        return self._on_expired is not None

    def _store(self, value: str) -> None:
        # the header value is built once per token, not once per request; ``generation`` names the token
        # without holding the secret (requests compare it to learn whether someone refreshed meanwhile)
        self._value = value
        self.authorization = f"{self._scheme} {value}"
        self.generation += 1

    async def refresh(self, stale: int, timeout: float | None = None) -> None:
        """Replace the token of generation ``stale``, sharing one callback run among concurrent callers.

        The wait is bounded by ``timeout`` (the call's own): a callback that hangs fails the call with
        [`AuthenticationError`][authpi_admin.errors.AuthenticationError], and the hung run is no longer shared with
        later calls.
        """
        import asyncio  # here, not at the top: importing the SDK should not cost an asyncio import

        if self.generation != stale:
            return  # another request already refreshed
        task = self._refreshing
        if task is None:
            task = asyncio.ensure_future(self._fetch())
            task.add_done_callback(self._finished)
            self._refreshing = task
        elif task is asyncio.current_task():
            # on_token_expired called this client, which met a 401 with the token being replaced: waiting
            # for the refresh would be the refresh waiting for itself
            raise AuthenticationError(
                error="token_refresh_failed",
                error_description="on_token_expired made a call with the expired token and got 401: the callback "
                "must get its new token without a call that needs the old one",
                status_code=401,
            )
        self._waiters += 1
        try:
            # Store the result here too: a task that is done but whose _finished callback has not run yet
            # returns at once from the await, before _finished could store the token.
            async with asyncio.timeout(timeout):
                fresh = await asyncio.shield(task)
            if fresh != self._value:
                self._store(fresh)
        except TimeoutError:
            self._abandon(task)
            raise AuthenticationError(
                error="token_refresh_failed",
                error_description=f"on_token_expired did not return within {timeout} s",
                status_code=401,
            ) from None
        except asyncio.CancelledError:
            raise
        except Exception as error:
            raise _refresh_failed(error) from error
        finally:
            self._waiters -= 1

    def _abandon(self, task: asyncio.Task[str]) -> None:
        """Stop sharing a refresh that outlived a caller's timeout; cancel it once nobody waits for it."""
        if self._refreshing is task:
            self._refreshing = None
        if self._waiters <= 1:
            task.cancel()

    def _finished(self, task: asyncio.Task[str]) -> None:
        """Keep the new token even if every waiter was cancelled, and stop sharing the finished task.

        Asking for the exception also marks a failure as retrieved, so none is reported as unobserved.
        """
        if self._refreshing is task:
            self._refreshing = None
        if not task.cancelled() and task.exception() is None and task.result() != self._value:
            self._store(task.result())

    async def _fetch(self) -> str:
        assert self._on_expired is not None
        result = await self._on_expired()
        token = result.get("access_token") if isinstance(result, Mapping) else None
        if not isinstance(token, str) or not token:
            raise AuthenticationError(
                error="token_refresh_failed",
                error_description="on_token_expired must return a dict with a non-empty 'access_token'",
                status_code=401,
            )
        try:
            check_headers({"authorization": f"Bearer {token}"})
        except ValueError:
            # checked like the first token; the message never repeats it
            raise AuthenticationError(
                error="token_refresh_failed",
                error_description="on_token_expired returned a token that cannot be sent as a header "
                "(a line break, a control or a non-ASCII character)",
                status_code=401,
            ) from None
        return token
