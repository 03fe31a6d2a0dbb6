"""The account a client acts on, when it was not given: looked up once through ``GET /v1/me``.

Today's API has no ``me`` alias in account paths (0.3.0's ``/v1/accounts/me/...`` never worked against it).
A client built without ``account_id`` puts `ACCOUNT_PLACEHOLDER` where the id goes; the transport
fills it in with the one account the credential may act on, found by the first request that needs it and
shared by every request that meets it meanwhile (like the token refresh).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ._validation import validate_path_segment
from .errors import ConfigurationError, MalformedResponseError

if TYPE_CHECKING:
    import asyncio

__all__ = ["ACCOUNT_PLACEHOLDER", "AccountResolver", "accounts_of", "readable_path"]

# No id can hold a NUL (validate_path_segment refuses controls), so no id a caller passes can pose as it.
ACCOUNT_PLACEHOLDER = "\x00account\x00"


def readable_path(path: str, account_id: str | None) -> str:
    """``path`` as a person should read it: the account found in the placeholder's place, or
    ``{account_id}`` while it has not been found yet. The placeholder itself is never shown."""
    return path.replace(ACCOUNT_PLACEHOLDER, account_id or "{account_id}")


def accounts_of(identity: Any) -> list[str]:
    """The account ids a ``/v1/me`` identity lists (``MalformedResponseError`` for another shape)."""
    accounts = identity.get("accounts") if isinstance(identity, dict) else None
    if not isinstance(accounts, list) or not all(isinstance(a, dict) for a in accounts):
        raise MalformedResponseError(
            status_code=200, error_description="GET /v1/me answered without an 'accounts' list", raw_body=None
        )
    ids = [account.get("account_id") for account in accounts]
    if not all(isinstance(account_id, str) and account_id for account_id in ids):
        # never str() it: a missing id would become "None" and requests would go to /v1/accounts/None/...
        raise MalformedResponseError(
            status_code=200,
            error_description="GET /v1/me answered an account without a string 'account_id'",
            raw_body=None,
        )
    return [str(account_id) for account_id in ids]


class AccountResolver:
    """Finds the client's account once; concurrent first requests share the one lookup."""

    __slots__ = ("_fetch_identity", "_found", "_looking")

    def __init__(self, fetch_identity: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        self._fetch_identity = fetch_identity  # GET /v1/me, unwrapped
        self._found: str | None = None
        self._looking: asyncio.Task[str] | None = None

    @property
    def account_id(self) -> str | None:
        """The account found, once it has been."""
        return self._found

    async def resolve(self) -> str:
        """The account id; looked up on first use. A failed lookup is not kept: the next call tries again."""
        if self._found is not None:
            return self._found
        import asyncio  # the loop is running: already imported

        if self._looking is None or self._looking.done():
            self._looking = asyncio.ensure_future(self._look_up())
        self._found = await asyncio.shield(self._looking)
        return self._found

    async def _look_up(self) -> str:
        found = accounts_of(await self._fetch_identity())
        if not found:
            raise ConfigurationError("The credential has no access to any account: pass account_id=... to AuthPIAdmin")
        if len(found) > 1:
            raise ConfigurationError(
                f"The credential can act on {len(found)} accounts ({', '.join(found)}): "
                "pass account_id=... to AuthPIAdmin to choose one"
            )
        try:
            return validate_path_segment(found[0], "account_id")
        except ValueError:
            raise MalformedResponseError(
                status_code=200, error_description="GET /v1/me answered with an unusable account id", raw_body=None
            ) from None
