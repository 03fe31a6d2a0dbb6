"""OpenTelemetry traces of SDK calls: one INTERNAL span per operation, one CLIENT span per attempt under it.

Only ``opentelemetry-api`` is used (the ``otel`` extra), and only when the application has a tracer provider:
the one given as ``AuthPIAdmin(tracer_provider=...)``, else the global one once it is set. An application
that never imported OpenTelemetry cannot have set one, so a call first looks for the module among those
already imported and costs nothing more when it is absent. No attribute or event holds a credential: the
SDK never puts one in a URL, and headers are not recorded.

Beside ``opentelemetry-instrumentation-httpx``: while the SDK sends an attempt, it sets the context key
HTTP instrumentations share to step aside, so the attempt is traced once, by the SDK's span; the SDK
injects ``traceparent`` itself. With ``tracing=False`` the instrumentation traces the SDK's requests as it
traces any other.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import httpx

__all__ = ["AttemptTrace", "OperationTrace", "Tracing", "check_tracer_provider"]

_TRACER_NAME = "authpi_admin"

T = TypeVar("T")


def check_tracer_provider(tracer_provider: object | None) -> None:
    """A ``tracer_provider`` needs the ``otel`` extra; anything but a provider is refused early."""
    from .errors import ConfigurationError

    if tracer_provider is None:
        return
    try:
        from opentelemetry import trace
    except ImportError:
        raise ConfigurationError(
            'tracer_provider needs OpenTelemetry\'s API: pip install "authpi-admin[otel]"'
        ) from None
    if not isinstance(tracer_provider, trace.TracerProvider):
        raise ConfigurationError(
            f"tracer_provider must be an OpenTelemetry TracerProvider, not {type(tracer_provider).__name__}"
        )


class Tracing:
    """Whether a client traces its calls, and with which tracer: decided per call, since the application
    may set its global provider after making the client."""

    __slots__ = ("_named_in_environment", "_tools", "enabled", "provider")

    def __init__(self, *, enabled: bool, provider: object | None) -> None:
        self.enabled = enabled
        self.provider = provider
        self._tools: _Tools | None = None
        # read once: a provider named by the environment is named before the application starts
        self._named_in_environment = _PROVIDER_VARIABLE in os.environ

    def tools(self) -> _Tools | None:
        """The tracer to use now, or None: tracing off, OpenTelemetry never imported, or no provider set."""
        if not self.enabled:
            return None
        trace = sys.modules.get("opentelemetry.trace")
        if trace is None:
            return None
        provider = self.provider
        if provider is None:
            provider = _global_provider(trace, self._named_in_environment)
        if provider is None or isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider):
            return None  # none set, or the API's stand-ins: the application traces nothing
        tools = self._tools
        if tools is None or tools.provider is not provider:
            self._tools = tools = _Tools(provider)
        return tools


def _global_provider(trace: Any, named_in_environment: bool) -> Any:
    """The application's global tracer provider, or None when it set none.

    ``get_tracer_provider()`` looks the environment up on every call while no provider is set (a
    microsecond a call, most of what tracing off would cost): the module's global says the same at once.
    A private name, hence the ``<2`` bound of the ``otel`` extra; ``tests/test_dependency_pins.py`` pins
    it. A provider named by ``OTEL_PYTHON_TRACER_PROVIDER`` is loaded through the public call.
    """
    provider = getattr(trace, "_TRACER_PROVIDER", _UNKNOWN)
    if provider is None and not named_in_environment:
        return None
    return trace.get_tracer_provider()


_UNKNOWN = object()  # an API release without the global: ask the public function
_PROVIDER_VARIABLE = "OTEL_PYTHON_TRACER_PROVIDER"


class _Tools:
    """A tracer of one provider, and the parts of the OpenTelemetry API a traced call uses."""

    def __init__(self, provider: Any) -> None:
        from opentelemetry import context, propagate, trace

        from ._version import SDK_VERSION

        self.provider = provider
        self.tracer = provider.get_tracer(_TRACER_NAME, SDK_VERSION)
        self.trace = trace
        self.context = context
        self.inject = propagate.inject
        try:  # present where an HTTP instrumentation is installed: the one way to ask it to step aside
            from opentelemetry.instrumentation.utils import suppress_http_instrumentation
        except ImportError:
            self.step_aside: Any = nullcontext
        else:
            self.step_aside = suppress_http_instrumentation


def _server(url: httpx.URL) -> dict[str, Any]:
    port = url.port or (443 if url.scheme == "https" else 80)
    return {"server.address": url.host, "server.port": port}


class OperationTrace:
    """The span of one SDK call, current while the call runs (so what it does nests under it)."""

    __slots__ = ("_name", "_token", "_tools", "span")

    def __init__(self, tools: _Tools, operation: str, method: str, template: str | None, url: httpx.URL) -> None:
        attributes = {"authpi.operation": operation, "http.request.method": method, **_server(url)}
        if template is not None:  # a call through HttpClient.request() has no template: its path is not one
            attributes["url.template"] = template
        self._tools = tools
        self._name = f"{method} {template}" if template is not None else method  # its attempts' name
        self.span = tools.tracer.start_span(operation, kind=tools.trace.SpanKind.INTERNAL, attributes=attributes)
        self._token = tools.context.attach(tools.trace.set_span_in_context(self.span))

    def attempt(self, method: str, url: httpx.URL, number: int) -> AttemptTrace:
        """The span of attempt ``number`` (from 1), a child of this one."""
        return AttemptTrace(self._tools, self.span, self._name, method, url, number)

    def retry_wait(self, attempt: int, reason: str, wait: float) -> None:
        """A retry wait, as an event on the operation's span."""
        self.span.add_event(
            "authpi.retry", {"authpi.retry.attempt": attempt, "authpi.retry.reason": reason, "authpi.retry.wait": wait}
        )

    def end(self, error: BaseException | None) -> None:
        """End the span: its status left unset when the call succeeded (OpenTelemetry leaves OK to the
        application), ERROR with ``error.type`` naming the SDK's error class when it failed."""
        tools = self._tools
        try:
            if error is not None:
                kind = type(error).__name__
                self.span.set_attribute("error.type", kind)
                self.span.set_status(tools.trace.Status(tools.trace.StatusCode.ERROR, kind))
            self.span.end()
        finally:
            tools.context.detach(self._token)


class AttemptTrace:
    """The CLIENT span of one attempt on the wire."""

    __slots__ = ("_tools", "span")

    def __init__(self, tools: _Tools, parent: Any, name: str, method: str, url: httpx.URL, number: int) -> None:
        attributes: dict[str, Any] = {"http.request.method": method, "url.full": str(url), **_server(url)}
        if number > 1:
            attributes["http.request.resend_count"] = number - 1
        self._tools = tools
        self.span = tools.tracer.start_span(
            name,
            context=tools.trace.set_span_in_context(parent),
            kind=tools.trace.SpanKind.CLIENT,
            attributes=attributes,
        )

    async def send(self, sending: Awaitable[T], headers: dict[str, str]) -> T:
        """Await ``sending`` (the attempt on the wire, its ``headers`` not yet sent) as this attempt: with its
        ``traceparent`` (and what else the configured propagator sends) added to the headers, and an installed
        HTTP instrumentation stepping aside meanwhile, so the attempt is traced once."""
        tools = self._tools
        tools.inject(headers, context=tools.trace.set_span_in_context(self.span))
        with tools.step_aside():
            return await sending

    def end(self, status_code: int | None, error_type: str | None) -> None:
        """End the span with the answer's status, or the error that came instead of one."""
        span = self.span
        trace = self._tools.trace
        if status_code is not None:
            span.set_attribute("http.response.status_code", status_code)
            if status_code >= 400:
                error_type = str(status_code)
        if error_type is not None:
            span.set_attribute("error.type", error_type)
            span.set_status(trace.Status(trace.StatusCode.ERROR, error_type))
        span.end()
