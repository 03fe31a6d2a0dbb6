"""Checks on what callers hand the SDK, done before anything is sent."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping

import httpx

from .errors import ConfigurationError, InvalidTimeoutError

__all__ = [
    "DEFAULT_TIMEOUT",
    "check_base_url",
    "check_credential",
    "check_headers",
    "check_max_concurrency",
    "is_default_timeout",
    "is_loopback_host",
    "timeout_config",
    "timeout_phases",
    "validate_path_segment",
]

_SEPARATOR = re.compile(r"[/\\?#]")
# Anything unsafe in one search: separators, control characters, percent-encoded separators, dots or
# controls (a server or proxy that decodes them would see another path, or split the request line), and
# ";" parameters after nothing, "." or ".." (servlet containers strip them: "..;x" is "..").
_UNSAFE_SEGMENT = re.compile(r"[/\\?#\x00-\x1f\x7f]|%(?:2f|5c|3f|23|2e|[01][0-9a-f]|7f)|^\.{0,2};", re.IGNORECASE)
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_HEADER_VALUE_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # controls except horizontal tab
_LOOPBACK_NAMES = frozenset({"localhost"})


def validate_path_segment(value: str, name: str = "id") -> str:
    """Return ``value`` if it is safe as one URL path segment, else raise ``ValueError``.

    An empty value, ``.``, ``..``, or one holding ``/``, ``\\``, ``?`` or ``#`` would address another
    endpoint than the one meant; so would a control character, a percent-encoded separator, dot or
    control (``%2F``, ``%5C``, ``%3F``, ``%23``, ``%2E``, ``%00``-``%1F``, ``%7F``) once decoded, or a dot
    segment with ``;`` parameters (``..;``, ``.;x=1``), which servlet containers read as ``..``. All are
    refused before anything is sent.
    """
    if isinstance(value, str) and value not in ("", ".", "..") and not _UNSAFE_SEGMENT.search(value):
        return value
    if not isinstance(value, str) or value in ("", ".", "..") or _SEPARATOR.search(value):
        raise ValueError(f"Invalid {name}: must not be empty or contain path separators")
    raise ValueError(f"Invalid {name}: must not contain control characters, encoded separators or dot segments")


def check_credential(api_key: str | tuple[str, str] | None, access_token: str | None) -> tuple[str, str]:
    """The one credential given, as ``(scheme, value)`` for the ``authorization`` header.

    A string ``api_key`` or an ``access_token`` is sent as ``Bearer`` (0.3.0's form); an ``api_key`` pair
    ``(key_id, key_secret)`` as ``Basic``, which is how today's API authenticates keys.
    ``ConfigurationError`` for none, both, or one that cannot be a header; the secret is never shown.
    """
    if not api_key and not access_token:
        raise ConfigurationError("Either api_key or access_token is required")
    if api_key and access_token:
        raise ConfigurationError("Provide either api_key or access_token, not both")
    if isinstance(api_key, tuple):
        key_id, secret = api_key if len(api_key) == 2 else ("", "")
        if not (isinstance(key_id, str) and isinstance(secret, str) and key_id and secret) or ":" in key_id:
            raise ConfigurationError("api_key as a pair must be (key_id, key_secret): two non-empty strings")
        try:
            check_headers({"authorization": f"Basic {key_id}:{secret}"})  # as sent, before base64 hides it
        except ValueError:
            raise ConfigurationError("api_key holds a line break, a control or a non-ASCII character") from None
        return "Basic", base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    token = api_key or access_token
    if not isinstance(token, str):
        raise ConfigurationError("api_key must be a string or a (key_id, key_secret) pair, access_token a string")
    check_headers({"authorization": f"Bearer {token}"})
    return "Bearer", token


def check_headers(headers: Mapping[str, str] | None) -> None:
    """Raise ``TypeError``/``ValueError`` for a header that could not be sent as it is (or could split)."""
    if headers is None:
        return
    if not isinstance(headers, Mapping):
        raise TypeError("headers must be a mapping of header names to string values")
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(f"header names and values must be strings (header {name!r})")
        if not _HEADER_NAME.match(name):
            raise ValueError(f"Invalid header name {name!r}")
        # the value is not echoed: it may be a secret
        # httpx sends header values as ASCII: anything else would fail only once sending
        if not value.isascii() or _HEADER_VALUE_CONTROL.search(value):
            raise ValueError(
                f"Invalid value for header {name!r}: it holds a line break, a control or a non-ASCII character"
            )


class DefaultTimeout(float):
    """The default timeout, 30 s, told apart from a timeout the caller chose (even one of 30.0).

    A client built around an injected ``httpx.AsyncClient`` keeps that client's own timeout unless the
    caller chose one, as 0.3.0 did; signatures still show the default as ``30.0``.
    """

    __slots__ = ()


DEFAULT_TIMEOUT: float = DefaultTimeout(30.0)


def is_default_timeout(timeout: object) -> bool:
    """True for the default timeout as such (not a timeout the caller chose, even 30.0)."""
    return type(timeout) is DefaultTimeout


def check_max_concurrency(value: object) -> int:
    """``value`` if it is a whole number of 1 or more, else ``ConfigurationError``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError("max_concurrency must be a whole number, 1 or more")
    return value


def timeout_phases(timeout: httpx.Timeout) -> tuple[float | None, ...]:
    """The four phases an ``httpx.Timeout`` limits: connect, read, write, pool."""
    return (timeout.connect, timeout.read, timeout.write, timeout.pool)


def _positive_seconds(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and 0 < value < float("inf")


def timeout_config(timeout: object) -> httpx.Timeout:
    """``timeout`` (seconds, or an ``httpx.Timeout``) as the ``httpx.Timeout`` to send with.

    Seconds must be a positive, finite number; an ``httpx.Timeout``'s phases must be that or None.
    Anything else raises [`InvalidTimeoutError`][authpi_admin.errors.InvalidTimeoutError] naming what it
    got, for a client's timeout and a call's alike.
    """
    if isinstance(timeout, httpx.Timeout):
        phases = zip(("connect", "read", "write", "pool"), timeout_phases(timeout), strict=True)
        bad = [f"{name}={phase!r}" for name, phase in phases if not (phase is None or _positive_seconds(phase))]
        if not bad:
            return timeout
        got = f"an httpx.Timeout with {', '.join(bad)}"
    elif _positive_seconds(timeout):
        return httpx.Timeout(timeout)  # type: ignore[arg-type]  # a number, checked just above
    else:
        got = _shown_value(timeout)
    raise InvalidTimeoutError(
        f"timeout must be a positive number of seconds (or an httpx.Timeout of such numbers), not {got}"
    )


def _shown_value(value: object) -> str:
    """``value`` as an error message shows it: its repr, cut short, and its type where the repr hides it."""
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    plain_number = isinstance(value, int | float | type(None)) and not isinstance(value, bool)
    return shown if plain_number else f"{shown} ({type(value).__name__})"


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a name, an IP address, or an IPv6 address in brackets) is this machine only:
    ``localhost``, ``127.0.0.0/8`` or ``::1``. Any other name could resolve anywhere: False."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    import ipaddress  # only when a client is built with an http:// URL

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str, *, allow_insecure_http: bool = False) -> str:
    """The base URL without a trailing ``/``; ``ConfigurationError`` unless it is safe to send credentials to.

    ``https://`` always; ``http://`` only to a loopback host (127.0.0.0/8, ``::1``, ``localhost``) or when
    ``allow_insecure_http`` is given, since the API key would otherwise cross the network in clear text.
    """
    if not isinstance(base_url, str):
        raise ConfigurationError("base_url must be a string such as 'https://api.authpi.dev'")
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError) as error:
        raise ConfigurationError(f"base_url is not a valid URL: {error}") from None
    if url.scheme not in ("https", "http") or not url.host:
        raise ConfigurationError("base_url must be an absolute https:// URL, such as 'https://api.authpi.dev'")
    if url.query or url.fragment:
        raise ConfigurationError("base_url must not have a query or fragment")
    if url.scheme == "http" and not allow_insecure_http and not is_loopback_host(url.host):
        raise ConfigurationError(
            "base_url must use https:// (plain http:// is allowed only for loopback hosts, "
            "or with allow_insecure_http=True)"
        )
    if url.path.rstrip("/").endswith("/v1"):
        origin = base_url.rstrip("/")[: -len("/v1")]
        raise ConfigurationError(
            f"base_url must not end in /v1: the SDK adds /v1 to every path, so {base_url!r} would send "
            f"/v1/v1/... and every call would answer 404. Pass base_url={origin!r}"
        )
    return base_url.rstrip("/")
