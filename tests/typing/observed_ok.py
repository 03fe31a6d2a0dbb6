"""Must pass ``mypy --strict``: raw responses say what ``parse()`` gives; retry events are typed."""

from datetime import timedelta
from typing import Any, assert_type

import httpx

from authpi_admin import AuthPIAdmin, Page, RawResponse, RetryEvent, RetryPolicy


def heard(event: RetryEvent) -> None:
    assert_type(event.attempt, int)
    assert_type(event.reason, str)
    assert_type(event.status_code, int | None)


async def main(admin: AuthPIAdmin) -> None:
    listed = await admin.issuers.with_raw_response.list(limit=5)
    assert_type(listed, RawResponse[Page[dict[str, Any]]])
    assert_type(listed.parse(), Page[dict[str, Any]])
    assert_type(listed.headers, httpx.Headers)
    assert_type(listed.http_request, httpx.Request)
    assert_type(listed.elapsed, timedelta)
    assert_type(listed.retries_taken, int)
    gone = await admin.issuer("iss_1").users.with_raw_response.delete("usr_1")
    assert_type(gone.parse(), None)
    user = await admin.issuer("iss_1").users.with_raw_response.get("usr_1", timeout=5)
    assert_type(user.parse(), dict[str, Any])
    AuthPIAdmin(api_key=("key", "secret"), retries=RetryPolicy(on_retry=heard), tracing=False)
