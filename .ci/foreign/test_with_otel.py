"""A user's project that installed authpi-admin with the otel extra, and OpenTelemetry's SDK of its own."""

import httpx
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from authpi_admin import AuthPIAdmin


async def test_a_call_is_traced_and_carries_its_traceparent() -> None:
    sent = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"data": [], "has_more": False})

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    async with (
        http,
        AuthPIAdmin(api_key=("k", "s"), account_id="acc_1", http_client=http, tracer_provider=provider) as admin,
    ):
        await admin.issuers.list()
    operation, attempt = sorted(exporter.get_finished_spans(), key=lambda span: span.kind.value)
    assert (operation.name, attempt.name) == ("IssuersResource.list", "GET /v1/accounts/{account_id}/issuers")
    assert attempt.parent.span_id == operation.context.span_id
    assert sent[0].headers["traceparent"].split("-")[2] == f"{attempt.context.span_id:016x}"
