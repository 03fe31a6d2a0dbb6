"""The emulator under hostile input, over a real socket: malformed input is a 4xx, never a 500 with a trace."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest

from authpi_admin.testing import Emulator, EmulatorServer
from authpi_admin.testing.dispatch import MAX_BODY_BYTES

AUTH = {"authorization": "Bearer key_test", "content-type": "application/json"}
ISSUERS = "/v1/accounts/me/issuers"


@pytest.fixture
def served() -> Iterator[tuple[Emulator, httpx.Client]]:
    emulator = Emulator()
    with EmulatorServer(emulator) as server, httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield emulator, client


def _no_python_in(response: httpx.Response) -> None:
    text = response.text
    for leak in ("Error(", "Traceback", "RecursionError", "Exception", 'File "'):
        assert leak not in text, text[:300]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"[" * 100_000 + b"]" * 100_000, 400),  # an array nested 100,000 deep
        (b'{"name": "x", "metadata": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_000 + b"}", 400),  # deep in a field
        (b'{"name": "x", "metadata": ' + b'{"a": ' * 900 + b"1" + b"}" * 900 + b"}", 201),  # deep, but valid
        (b"[" * (10 * 1024 * 1024), 413),  # 10 MB of "["
    ],
    ids=["array-100k-deep", "object-5k-deep-in-a-field", "object-900-deep", "10MB-of-brackets"],
)
def test_deep_or_huge_bodies_are_never_a_500_or_a_python_trace(
    served: tuple[Emulator, httpx.Client], body: bytes, status: int
) -> None:
    _, client = served
    response = client.post(ISSUERS, content=body, headers=AUTH)
    assert response.status_code == status, response.text[:300]
    _no_python_in(response)
    if status >= 400:
        assert set(response.json()) >= {"error", "error_description", "reference", "retryable"}


def test_a_body_past_the_limit_is_413_even_without_a_content_length(served: tuple[Emulator, httpx.Client]) -> None:
    _, client = served

    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    response = client.post(ISSUERS, content=chunks(), headers=AUTH)  # sent chunked
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def test_a_cursor_holding_deep_json_is_a_400(served: tuple[Emulator, httpx.Client]) -> None:
    _, client = served
    cursor = base64.urlsafe_b64encode(b'{"after": ' + b"[" * 5_000 + b"]" * 5_000 + b"}").decode().rstrip("=")
    response = client.get(ISSUERS, params={"cursor": cursor}, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["fields"][0]["field"] == "cursor"
    _no_python_in(response)


def test_the_credential_is_checked_before_faults_and_the_body(served: tuple[Emulator, httpx.Client]) -> None:
    emulator, client = served
    emulator.faults.add(status=503, times=5)
    stranger = client.post(ISSUERS, content=b"[" * 100_000, headers={"content-type": "application/json"})
    assert stranger.status_code == 401  # neither the fault nor the body's fate reaches a stranger
    assert emulator.faults.injected == 0
    assert client.get(ISSUERS, headers=AUTH).status_code == 503  # the fault is still there for the key


def test_an_unexpected_failure_answers_500_without_the_exception(
    served: tuple[Emulator, httpx.Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, client = served

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("secret internals")

    monkeypatch.setattr(emulator.handlers, "handle", broken)
    response = client.get(ISSUERS, headers=AUTH)
    assert response.status_code == 500
    assert response.json()["error_description"] == "The emulator failed on this request"
    assert "secret internals" not in response.text
    _no_python_in(response)
    json.loads(response.text)
