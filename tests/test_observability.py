"""Seen in production: raw responses, retry events, logs that never leak, and OpenTelemetry traces.

Every test runs on the three paths to the wire, against the emulator: the SDK's own httpx client and an
injected one (both over a real socket to the served emulator), and the emulator's in-process client.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from authpi_admin import (
    AuthPIAdmin,
    ConfigurationError,
    NotFoundError,
    Page,
    RawResponse,
    RetryEvent,
    RetryPolicy,
    ServiceUnavailableError,
)
from authpi_admin.retries import RetryConfig
from authpi_admin.testing import Emulator, EmulatorServer
from authpi_admin.testing.app import IN_PROCESS_URL

KEY = ("key_test", "sec_test")
PATHS = ("own client", "injected client", "emulator in process")
ISSUERS_TEMPLATE = "/v1/accounts/{account_id}/issuers"


@dataclass
class Observed:
    """An emulator, and a way to make clients of it on the test's path, each with its retries recorded."""

    emulator: Emulator
    path: str
    base_url: str
    events: list[RetryEvent] = field(default_factory=list)
    injected: list[httpx.AsyncClient] = field(default_factory=list)

    def policy(self, limit: int = 3) -> RetryPolicy:
        """Retries that wait no real time (jitter 0: the computed backoff) and record their events."""

        async def no_wait(seconds: float) -> None:
            return None

        return RetryPolicy(
            RetryConfig(limit=limit, delay=0.25), sleep=no_wait, random=lambda: 0.0, on_retry=self.events.append
        )

    def client(self, **options: Any) -> AuthPIAdmin:
        options.setdefault("retries", self.policy())
        options.setdefault("account_id", "acc_test")
        if self.path == "emulator in process":
            return self.emulator.client(api_key=options.pop("api_key", KEY), **options)
        if self.path == "injected client":
            http = httpx.AsyncClient(timeout=30)
            self.injected.append(http)
            options["http_client"] = http
        if "access_token" not in options:
            options.setdefault("api_key", KEY)
        return AuthPIAdmin(base_url=self.base_url, **options)


@pytest.fixture(params=PATHS)
async def observed(request: pytest.FixtureRequest) -> AsyncIterator[Observed]:
    emulator = Emulator()
    if request.param == "emulator in process":
        yield Observed(emulator, request.param, IN_PROCESS_URL)
    else:
        with EmulatorServer(emulator) as server:
            world = Observed(emulator, request.param, server.base_url)
            yield world
            for http in world.injected:
                await http.aclose()
    emulator.close()


def traced() -> tuple[TracerProvider, InMemorySpanExporter]:
    """A tracer provider of the application's, keeping every finished span in memory."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


# ------------------------------------------------------------------------------------------- raw responses


async def test_a_raw_response_has_the_wire_and_parses_to_the_plain_answer(observed: Observed) -> None:
    async with observed.client() as admin:
        created = await admin.issuers.with_raw_response.create({"name": "Acme"})
        issuer = created.parse()
        assert isinstance(created, RawResponse)
        assert created.status_code == 201
        assert isinstance(created.headers, httpx.Headers) and created.headers["content-type"] == "application/json"
        assert created.retries_taken == 0
        assert isinstance(created.elapsed, datetime.timedelta) and created.elapsed > datetime.timedelta(0)
        sent = created.http_request
        assert (sent.method, sent.url.path) == ("POST", "/v1/accounts/acc_test/issuers")
        assert json.loads(sent.content) == {"name": "Acme"}
        assert sent.headers["authorization"] == "Basic [redacted]"  # the scheme, never the credential

        got = await admin.issuer(issuer["id"]).with_raw_response.get()
        assert got.parse() == await admin.issuer(issuer["id"]).get()  # exactly what the plain call returns
        assert got.parse()["_etag"] == got.headers["etag"]
        assert got.url == httpx.URL(f"{observed.base_url}/v1/accounts/acc_test/issuers/{issuer['id']}")

        page = (await admin.issuers.with_raw_response.list(limit=1)).parse()
        assert isinstance(page, Page) and [item["id"] for item in page.data] == [issuer["id"]]

        deleted = await admin.issuer(issuer["id"]).with_raw_response.delete()
        assert (deleted.status_code, deleted.parse()) == (204, None)
        with pytest.raises(NotFoundError):  # a failed call raises, as the plain call does
            await admin.issuer(issuer["id"]).with_raw_response.get()


async def test_a_raw_response_counts_the_retries_and_times_the_last_attempt(observed: Observed) -> None:
    observed.emulator.faults.add(status=503, times=2)
    async with observed.client() as admin:
        raw = await admin.issuers.with_raw_response.list()
    assert (raw.status_code, raw.retries_taken) == (200, 2)
    assert [event.attempt for event in observed.events] == [1, 2]


def test_every_resource_and_scope_has_a_raw_view_of_each_call_but_list_all() -> None:
    admin = AuthPIAdmin(api_key=KEY)
    users = admin.issuer("iss_1").users
    view = users.with_raw_response
    assert view is users.with_raw_response  # made once
    assert {"list", "create", "get", "update", "delete"} <= set(vars(view)) and "list_all" not in vars(view)
    assert repr(view) == "UsersResource('/v1/accounts/{account_id}/issuers/iss_1/users').with_raw_response"
    assert set(vars(admin.issuer("iss_1").with_raw_response)) - {"_node"} == {"get", "update", "delete"}


# ------------------------------------------------------------------------------------------ retry events


async def test_on_retry_hears_each_retry_before_its_wait(observed: Observed) -> None:
    observed.emulator.faults.add(status=503, times=2)
    async with observed.client() as admin:
        await admin.issuers.list()
    assert observed.events == [
        RetryEvent("IssuersResource.list", "GET", attempt=1, wait=0.25, status_code=503),
        RetryEvent("IssuersResource.list", "GET", attempt=2, wait=0.5, status_code=503),
    ]
    assert observed.events[0].reason == "503"


async def test_on_retry_names_the_error_class_when_no_answer_came(observed: Observed) -> None:
    observed.emulator.faults.add(drop=True, times=1)
    async with observed.client() as admin:
        await admin.issuers.list()
    (event,) = observed.events
    # the httpx class, on every path (in process, the emulator's own error extends it)
    assert (event.status_code, event.error_type) == (None, "RemoteProtocolError")
    assert event.reason == event.error_type


async def test_an_async_on_retry_is_awaited_and_what_it_raises_ends_the_call(observed: Observed) -> None:
    heard: list[int] = []

    async def listen(event: RetryEvent) -> None:
        heard.append(event.attempt)
        if event.attempt == 2:
            raise RuntimeError("stop retrying")

    async def no_wait(seconds: float) -> None:
        return None

    observed.emulator.faults.add(status=503, times=5)
    async with observed.client(retries=RetryPolicy(sleep=no_wait, on_retry=listen)) as admin:
        with pytest.raises(RuntimeError, match="stop retrying"):
            await admin.issuers.list()
    assert heard == [1, 2]


def test_on_retry_must_be_callable() -> None:
    with pytest.raises(ConfigurationError, match="on_retry must be a function"):
        RetryPolicy(on_retry="log")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------ logs


async def test_retries_refreshes_and_give_ups_are_logged_at_info(
    observed: Observed, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = observed.emulator
    stale = emulator.issue_token()
    emulator.expire_token(stale)
    fresh = emulator.issue_token()

    async def refresh() -> dict[str, str]:
        return {"access_token": fresh}

    emulator.faults.add(status=503, times=1)
    with caplog.at_level(logging.INFO, logger="authpi_admin"):
        async with observed.client(
            access_token=stale, account_id="acc_test", on_token_expired=refresh, retries=observed.policy(limit=1)
        ) as admin:
            await admin.issuers.list()  # 401 (the credential is checked first), refreshed; then 503, retried
            emulator.faults.add(status=503, times=2)
            with pytest.raises(ServiceUnavailableError):
                await admin.issuers.list()
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "IssuersResource.list: the API answered 401; refreshing the access token"),
        ("INFO", "IssuersResource.list: retrying GET after attempt 2 (503) in 0.25 s"),  # the resend was attempt 2
        ("INFO", "IssuersResource.list: retrying GET after attempt 1 (503) in 0.25 s"),
        ("INFO", "IssuersResource.list: giving up after 2 attempt(s) (503)"),
    ]


async def test_debug_shows_one_line_per_attempt(observed: Observed, caplog: pytest.LogCaptureFixture) -> None:
    observed.emulator.faults.add(status=503, times=1)
    with caplog.at_level(logging.DEBUG, logger="authpi_admin"):
        async with observed.client() as admin:
            await admin.issuers.list(limit=5)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert [line.rsplit(", ", 1)[0] for line in lines] == [
        "IssuersResource.list: GET /v1/accounts/acc_test/issuers -> 503 (attempt 1",
        "IssuersResource.list: GET /v1/accounts/acc_test/issuers -> 200 (attempt 2",
    ]
    assert all(line.endswith(" ms)") for line in lines)


async def test_a_whole_session_leaves_no_credential_in_any_log_line_or_span(
    observed: Observed, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = observed.emulator
    provider, exporter = traced()
    stale = emulator.issue_token()
    emulator.expire_token(stale)
    fresh = emulator.issue_token()

    async def refresh() -> dict[str, str]:
        return {"access_token": fresh}

    with caplog.at_level(logging.DEBUG, logger="authpi_admin"):
        async with observed.client(tracer_provider=provider) as admin:  # the key pair, as HTTP Basic
            issuer = await admin.issuers.create({"name": "Acme"})
            made = await admin.tokens.create({"name": "ci"})  # its answer holds the token's value
            emulator.faults.add(status=503, times=1)  # a retry, logged and traced too
            await admin.issuer(issuer["id"]).with_raw_response.get()
        async with observed.client(
            access_token=stale, account_id="acc_test", on_token_expired=refresh, tracer_provider=provider
        ) as admin:  # bearer tokens, and a refresh
            await admin.issuers.list()
    secrets = [KEY[1], "a2V5X3Rlc3Q6c2VjX3Rlc3Q=", stale, fresh, made["token_plain"]]  # the Basic value too
    spans = exporter.get_finished_spans()
    assert len(spans) >= 8
    texts = [r.getMessage() for r in caplog.records]
    texts += [span.to_json() for span in spans]
    assert len(texts) > 10
    leaks = [(secret, text) for secret in secrets for text in texts if secret in text]
    assert leaks == []


# ----------------------------------------------------------------------------------------------- traces


def tree(spans: tuple[ReadableSpan, ...]) -> list[tuple[str, str, list[str]]]:
    """(operation span name, kind, its children's names) for each root span, in the order they started."""
    roots = sorted((s for s in spans if s.parent is None), key=lambda s: s.start_time or 0)
    children = {
        root.context.span_id: sorted(
            (s for s in spans if s.parent is not None and s.parent.span_id == root.context.span_id),
            key=lambda s: s.start_time or 0,
        )
        for root in roots
    }
    return [(root.name, root.kind.name, [c.name for c in children[root.context.span_id]]) for root in roots]


async def test_a_call_is_one_operation_span_with_one_client_span_per_attempt(observed: Observed) -> None:
    provider, exporter = traced()
    observed.emulator.faults.add(status=503, times=1)
    async with observed.client(tracer_provider=provider) as admin:
        await admin.issuers.list()
    spans = exporter.get_finished_spans()
    assert tree(spans) == [("IssuersResource.list", "INTERNAL", [f"GET {ISSUERS_TEMPLATE}", f"GET {ISSUERS_TEMPLATE}"])]
    operation = next(s for s in spans if s.kind == SpanKind.INTERNAL)
    first, second = sorted((s for s in spans if s.kind == SpanKind.CLIENT), key=lambda s: s.start_time or 0)
    url = httpx.URL(observed.base_url)
    server = {"server.address": url.host, "server.port": url.port or 80}
    assert dict(operation.attributes or {}) == {
        "authpi.operation": "IssuersResource.list",
        "http.request.method": "GET",
        "url.template": ISSUERS_TEMPLATE,
        **server,
    }
    assert operation.status.status_code == StatusCode.UNSET
    full = f"{observed.base_url}/v1/accounts/acc_test/issuers"
    assert dict(first.attributes or {}) == {
        "http.request.method": "GET",
        "url.full": full,
        "http.response.status_code": 503,
        "error.type": "503",
        **server,
    }
    assert first.status.status_code == StatusCode.ERROR
    assert dict(second.attributes or {}) == {
        "http.request.method": "GET",
        "url.full": full,
        "http.response.status_code": 200,
        "http.request.resend_count": 1,
        **server,
    }
    (wait,) = operation.events
    assert (wait.name, dict(wait.attributes or {})) == (
        "authpi.retry",
        {"authpi.retry.attempt": 1, "authpi.retry.reason": "503", "authpi.retry.wait": 0.25},
    )


async def test_each_attempt_carries_its_own_traceparent_to_the_server(observed: Observed) -> None:
    provider, exporter = traced()
    observed.emulator.faults.add(status=503, times=1)
    async with observed.client(tracer_provider=provider) as admin:
        await admin.issuers.list()
    attempts = sorted(
        (s for s in exporter.get_finished_spans() if s.kind == SpanKind.CLIENT), key=lambda s: s.start_time or 0
    )
    expected = [f"00-{s.context.trace_id:032x}-{s.context.span_id:016x}-{s.context.trace_flags:02x}" for s in attempts]
    requests = observed.emulator.requests
    assert [request.headers["traceparent"] for request in requests] == expected
    assert [request.headers["authorization"] for request in requests] == ["Basic [redacted]"] * 2


async def test_a_failed_call_is_an_error_span_naming_the_sdk_error(observed: Observed) -> None:
    provider, exporter = traced()
    async with observed.client(tracer_provider=provider) as admin:
        with pytest.raises(NotFoundError):
            await admin.issuer("iss_missing").get()
    operation = next(s for s in exporter.get_finished_spans() if s.kind == SpanKind.INTERNAL)
    assert operation.name == "IssuerScope.get"
    assert (operation.attributes or {})["url.template"] == "/v1/accounts/{account_id}/issuers/{issuer_id}"
    assert (operation.attributes or {})["error.type"] == "NotFoundError"
    assert operation.status.status_code == StatusCode.ERROR


async def test_the_account_lookup_nests_under_the_call_that_needed_it(observed: Observed) -> None:
    provider, exporter = traced()
    async with observed.client(tracer_provider=provider, account_id=None) as admin:  # found through /v1/me
        await admin.issuers.list()
    names = {s.name: s for s in exporter.get_finished_spans()}
    whoami = names["AuthPIAdmin.whoami"]
    assert whoami.parent is not None and whoami.parent.span_id == names["IssuersResource.list"].context.span_id
    assert (whoami.attributes or {})["url.template"] == "/v1/me"


async def test_tracing_false_and_no_provider_send_the_request_as_before(observed: Observed) -> None:
    provider, exporter = traced()
    async with observed.client(tracer_provider=provider, tracing=False) as admin:
        await admin.issuers.list()
    async with observed.client() as admin:  # OpenTelemetry imported, but the application set no provider
        await admin.issuers.list()
    assert exporter.get_finished_spans() == ()
    assert ["traceparent" in request.headers for request in observed.emulator.requests] == [False, False]


def test_a_tracer_provider_must_be_one() -> None:
    with pytest.raises(ConfigurationError, match="must be an OpenTelemetry TracerProvider, not str"):
        AuthPIAdmin(api_key=KEY, tracer_provider="jaeger")


async def test_beside_the_httpx_instrumentation_each_attempt_is_traced_once(observed: Observed) -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    provider, exporter = traced()
    instrumentor = HTTPXClientInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        async with observed.client(tracer_provider=provider) as admin:
            await admin.issuers.list()
        async with observed.client(tracer_provider=provider, tracing=False) as admin:
            await admin.issuers.list()
    finally:
        instrumentor.uninstrument()
    spans = exporter.get_finished_spans()
    ours = [s for s in spans if s.instrumentation_scope is not None and s.instrumentation_scope.name == "authpi_admin"]
    theirs = [s for s in spans if s not in ours]
    assert [s.kind for s in ours] == [SpanKind.CLIENT, SpanKind.INTERNAL]  # the attempt, then the operation
    if observed.path == "emulator in process":
        assert theirs == []  # no httpx transport of the instrumentation's kind is involved
    else:
        assert [s.kind for s in theirs] == [SpanKind.CLIENT]  # only the call made with tracing=False


def test_the_global_tracer_provider_is_used_once_the_application_sets_it() -> None:
    """In a process of its own: the global provider can be set only once, and would trace every test."""
    program = """
import asyncio
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from authpi_admin.testing import Emulator

async def main():
    emulator = Emulator()
    async with emulator.client() as admin:
        await admin.issuers.list()  # before the application set a provider: not traced
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        await admin.issuers.list()
    print(sorted(span.name for span in exporter.get_finished_spans()))
    emulator.close()

asyncio.run(main())
"""
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['GET /v1/accounts/{account_id}/issuers', 'IssuersResource.list']"


@pytest.fixture
def no_opentelemetry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As in an environment without the extra: importing OpenTelemetry fails."""
    for name in [n for n in sys.modules if n == "opentelemetry" or n.startswith("opentelemetry.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    yield


@pytest.mark.usefixtures("no_opentelemetry")
def test_without_the_extra_a_tracer_provider_names_it() -> None:
    with pytest.raises(ConfigurationError, match=r'pip install "authpi-admin\[otel\]"'):
        AuthPIAdmin(api_key=KEY, tracer_provider=object())


def test_the_guides_example_prints_the_tree_the_guide_shows() -> None:
    guide = (Path(__file__).resolve().parent.parent / "docs" / "guides" / "observability.md").read_text()
    example = re.findall(r"^```python\n(.*?)^```", guide, flags=re.DOTALL | re.MULTILINE)[-1]
    (shown,) = re.findall(r"^It prints this tree.*?```text\n(.*?)^```", guide, flags=re.DOTALL | re.MULTILINE)
    result = subprocess.run([sys.executable, "-c", example], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == shown
