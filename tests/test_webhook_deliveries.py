"""Webhook deliveries: the emulator POSTs each event to the webhooks that want it, in the background, and
retries on its own clock. Receivers over a real socket (a stdlib HTTP server) and in process."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from authpi_admin import AuthPIAdmin
from authpi_admin.testing import Emulator, EmulatorServer
from authpi_admin.testing.deliveries import ATTEMPT_HEADER, BACKOFF_SECONDS, DELIVERY_HEADER

NOW = 1_800_000_000


@dataclass
class Receiver:
    """A webhook receiver on a real socket: it records each POST and answers the statuses it is told."""

    url: str
    statuses: list[int] = field(default_factory=list)  # answered in turn; 200 once they run out
    received: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, body: bytes, headers: dict[str, str], path: str) -> int:
        self.received.append({"event": json.loads(body), "headers": headers, "path": path})
        return self.statuses.pop(0) if self.statuses else 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    holder: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            headers = {name.lower(): value for name, value in self.headers.items()}
            status = holder[0].answer(body, headers, self.path)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(Receiver(f"http://127.0.0.1:{server.server_address[1]}/hooks/authpi"))
    # shutdown() waits for the loop's next look: every 10 ms, not the default 0.5 s per test
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield holder[0]
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
async def world() -> AsyncIterator[tuple[Emulator, AuthPIAdmin]]:
    emulator = Emulator(strict=True)
    emulator.clock.freeze(NOW)
    async with emulator.client() as admin:
        yield emulator, admin
    emulator.close()


async def subscribe(admin: AuthPIAdmin, url: str, events: list[str] | None = None) -> str:
    body = {"name": "orders", "url": url, "auth": {"type": "none"}, "events": events or ["user.created"]}
    webhook = await admin.webhooks.create(body)  # type: ignore[arg-type]
    return str(webhook["id"])


async def make_user(admin: AuthPIAdmin, issuer_id: str | None = None, name: str = "ada") -> dict[str, Any]:
    if issuer_id is None:
        issuer_id = str((await admin.issuers.create({"name": "Shop"}))["id"])
    body = {"username_type": "email", "username": f"{name}@example.com"}
    return dict(await admin.issuer(issuer_id).users.create(body))  # type: ignore[arg-type]


async def the_delivery(admin: AuthPIAdmin, webhook_id: str) -> dict[str, Any]:
    (delivery,) = (await admin.webhook(webhook_id).deliveries.list()).data
    return dict(delivery)


async def test_an_event_is_posted_to_a_receiver_over_a_socket(
    world: tuple[Emulator, AuthPIAdmin], receiver: Receiver
) -> None:
    emulator, admin = world
    webhook_id = await subscribe(admin, receiver.url)
    user = await make_user(admin)
    assert await emulator.settle_deliveries()

    (post,) = receiver.received
    (event,) = [e for e in emulator.events if e["type"] == "user.created"]
    assert post["event"] == event  # today's Event shape, as the events API shows it
    assert post["event"]["data"]["object"]["id"] == user["id"]
    assert post["path"] == "/hooks/authpi"
    delivery = await the_delivery(admin, webhook_id)
    assert post["headers"]["content-type"] == "application/json"
    assert post["headers"][DELIVERY_HEADER] == delivery["id"]
    assert post["headers"][ATTEMPT_HEADER] == "1"
    assert {k: delivery[k] for k in ("event_id", "event_type", "status", "attempt_count")} == {
        "event_id": event["id"],
        "event_type": "user.created",
        "status": "succeeded",
        "attempt_count": 1,
    }
    assert delivery["first_attempted_at"] == delivery["last_attempted_at"] == NOW
    assert (delivery["next_attempt_at"], delivery["last_response_status"], delivery["last_error"]) == (None, 200, None)


async def test_a_failed_attempt_is_retried_after_a_backoff_on_the_emulators_clock(
    world: tuple[Emulator, AuthPIAdmin], receiver: Receiver
) -> None:
    emulator, admin = world
    receiver.statuses = [500, 503]
    webhook_id = await subscribe(admin, receiver.url)
    await make_user(admin)
    assert await emulator.settle_deliveries()
    delivery = await the_delivery(admin, webhook_id)
    assert (delivery["status"], delivery["attempt_count"]) == ("pending", 1)
    assert (delivery["last_response_status"], delivery["last_error"]) == (500, "answered 500")
    assert delivery["next_attempt_at"] == NOW + BACKOFF_SECONDS[0]

    emulator.clock.advance(BACKOFF_SECONDS[0] - 1)  # not due yet: nothing is sent
    assert await emulator.settle_deliveries()
    assert len(receiver.received) == 1

    emulator.clock.advance(1)
    assert await emulator.settle_deliveries()
    delivery = await the_delivery(admin, webhook_id)
    assert (delivery["attempt_count"], delivery["last_response_status"]) == (2, 503)
    assert delivery["first_attempted_at"] == NOW
    assert delivery["last_attempted_at"] == NOW + BACKOFF_SECONDS[0]
    assert delivery["next_attempt_at"] == NOW + BACKOFF_SECONDS[0] + BACKOFF_SECONDS[1]

    emulator.clock.advance(BACKOFF_SECONDS[1])
    assert await emulator.settle_deliveries()
    delivery = await the_delivery(admin, webhook_id)
    assert (delivery["status"], delivery["attempt_count"], delivery["last_error"]) == ("succeeded", 3, None)
    assert [post["headers"][ATTEMPT_HEADER] for post in receiver.received] == ["1", "2", "3"]
    assert len({post["event"]["id"] for post in receiver.received}) == 1  # the same event each time


async def test_a_delivery_fails_for_good_when_its_attempt_budget_is_spent(
    world: tuple[Emulator, AuthPIAdmin], receiver: Receiver
) -> None:
    emulator, admin = world
    receiver.statuses = [500] * 10
    webhook_id = await subscribe(admin, receiver.url)
    await make_user(admin)
    for _ in range(8):
        assert await emulator.settle_deliveries()
        emulator.clock.advance(max(BACKOFF_SECONDS))
    delivery = await the_delivery(admin, webhook_id)
    assert (delivery["status"], delivery["attempt_count"], delivery["attempt_budget"]) == ("failed", 5, 5)
    assert delivery["next_attempt_at"] is None
    assert len(receiver.received) == 5


async def test_a_network_error_is_a_failed_attempt_that_says_what_happened(
    world: tuple[Emulator, AuthPIAdmin],
) -> None:
    emulator, admin = world
    with EmulatorServer() as nobody_home:  # a port that was listening and no longer is
        closed_url = f"{nobody_home.base_url}/hook"
    webhook_id = await subscribe(admin, closed_url)
    await make_user(admin)
    assert await emulator.settle_deliveries()
    delivery = await the_delivery(admin, webhook_id)
    assert (delivery["status"], delivery["attempt_count"], delivery["last_response_status"]) == ("pending", 1, None)
    assert delivery["last_error"].startswith("ConnectError")


async def test_deliveries_leave_loopback_only_when_the_emulator_allows_it(world: tuple[Emulator, AuthPIAdmin]) -> None:
    emulator, admin = world
    webhook_id = await subscribe(admin, "https://hooks.example.com/authpi")
    await make_user(admin)
    assert await emulator.settle_deliveries()
    delivery = await the_delivery(admin, webhook_id)
    assert (delivery["status"], delivery["attempt_count"], delivery["last_response_status"]) == ("failed", 1, None)
    assert delivery["last_error"].startswith("not sent: the emulator delivers only to loopback addresses")
    assert "deliver_anywhere=True" in delivery["last_error"]


async def test_the_api_answer_does_not_wait_for_the_delivery(world: tuple[Emulator, AuthPIAdmin]) -> None:
    emulator, admin = world
    release = threading.Event()
    calls: list[httpx.Request] = []

    def slow_receiver(request: httpx.Request) -> int:
        calls.append(request)
        release.wait(10)
        return 204

    emulator.add_receiver("https://hooks.example.test", callback=slow_receiver)
    webhook_id = await subscribe(admin, "https://hooks.example.test/in")
    await make_user(admin)  # answered while the receiver still holds the delivery
    assert (await the_delivery(admin, webhook_id))["status"] == "pending"
    release.set()
    assert await emulator.settle_deliveries()
    delivery = await the_delivery(admin, webhook_id)
    assert (delivery["status"], delivery["last_response_status"]) == ("succeeded", 204)
    assert len(calls) == 1


async def test_in_process_receivers_take_deliveries_with_no_socket(world: tuple[Emulator, AuthPIAdmin]) -> None:
    emulator, admin = world
    seen_by_app: list[dict[str, Any]] = []

    async def asgi_receiver(scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        seen_by_app.append({"path": scope["path"], "event": json.loads(body)})
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def refusing_callback(request: httpx.Request) -> httpx.Response:
        return httpx.Response(410, request=request)

    emulator.add_receiver("http://orders.internal", asgi_app=asgi_receiver)
    emulator.add_receiver("http://audit.internal", callback=refusing_callback)
    to_app = await subscribe(admin, "http://orders.internal/webhooks")
    to_callback = await subscribe(admin, "http://audit.internal/webhooks")
    await make_user(admin)
    assert await emulator.settle_deliveries()
    assert [(seen["path"], seen["event"]["type"]) for seen in seen_by_app] == [("/webhooks", "user.created")]
    assert (await the_delivery(admin, to_app))["last_response_status"] == 202
    refused = await the_delivery(admin, to_callback)
    assert (refused["status"], refused["last_response_status"], refused["last_error"]) == (
        "pending",
        410,
        "answered 410",
    )
    with pytest.raises(TypeError, match="one of asgi_app or callback"):
        emulator.add_receiver("http://x.internal")


async def test_a_receiver_that_raises_is_a_failed_attempt(world: tuple[Emulator, AuthPIAdmin]) -> None:
    emulator, admin = world

    def broken(request: httpx.Request) -> int:
        raise ValueError("no database")

    emulator.add_receiver("http://broken.internal", callback=broken)
    webhook_id = await subscribe(admin, "http://broken.internal/")
    await make_user(admin)
    assert await emulator.settle_deliveries()
    delivery = await the_delivery(admin, webhook_id)
    assert delivery["last_error"] == "the receiver raised ValueError: no database"
    assert delivery["status"] == "pending"


async def test_a_paused_webhook_delivers_nothing(world: tuple[Emulator, AuthPIAdmin], receiver: Receiver) -> None:
    emulator, admin = world
    receiver.statuses = [500]
    webhook_id = await subscribe(admin, receiver.url)
    user = await make_user(admin)
    assert await emulator.settle_deliveries()
    await admin.webhooks.update(webhook_id, {"status": "paused"})
    await make_user(admin, user["issuer_id"], name="grace")  # no delivery is made for a paused webhook
    emulator.clock.advance(max(BACKOFF_SECONDS))  # the first delivery's retry is due, and waits
    assert await emulator.settle_deliveries()
    assert len(receiver.received) == 1
    assert (await the_delivery(admin, webhook_id))["attempt_count"] == 1

    await admin.webhooks.update(webhook_id, {"status": "active"})
    emulator.deliverer.wake()
    assert await emulator.settle_deliveries()
    delivery = await the_delivery(admin, webhook_id)
    assert (delivery["status"], delivery["attempt_count"]) == ("succeeded", 2)


async def test_redelivery_makes_new_attempts(world: tuple[Emulator, AuthPIAdmin], receiver: Receiver) -> None:
    emulator, admin = world
    webhook_id = await subscribe(admin, receiver.url)
    await make_user(admin)
    assert await emulator.settle_deliveries()
    delivery = await the_delivery(admin, webhook_id)

    answer = await admin.webhook(webhook_id).deliveries.redeliver(delivery["id"])
    assert (answer["status"], answer["success"]) == ("pending", True)
    assert await emulator.settle_deliveries()
    assert (await the_delivery(admin, webhook_id))["attempt_count"] == 2

    many = await admin.webhook(webhook_id).redeliver.create({"delivery_ids": [delivery["id"]]})
    assert many["redelivered"] == 1
    assert await emulator.settle_deliveries()
    again = await the_delivery(admin, webhook_id)
    assert (again["status"], again["attempt_count"]) == ("succeeded", 3)
    assert [post["headers"][ATTEMPT_HEADER] for post in receiver.received] == ["1", "2", "3"]


def test_an_emulator_without_webhooks_starts_no_delivery_thread() -> None:
    emulator = Emulator()
    emulator.seed("/v1/accounts/acc_test/issuers", {"name": "Quiet"})
    emulator.clock.advance(60)
    assert emulator.deliverer.settle(0.1)  # nothing to wait for
    assert not emulator.deliverer.running


async def test_a_seeded_delivery_the_emulator_could_not_send_stops_no_other(
    world: tuple[Emulator, AuthPIAdmin], receiver: Receiver
) -> None:
    emulator, admin = world
    webhook_id = await subscribe(admin, receiver.url)
    user = await make_user(admin)
    assert await emulator.settle_deliveries()
    event_id = emulator.events[-1]["id"]
    deliveries = f"/v1/accounts/acc_test/webhooks/{webhook_id}/deliveries"
    emulator.seed(deliveries, {"id": "dlv_junk", "status": "pending", "event_id": event_id, "next_attempt_at": "soon"})
    emulator.seed(deliveries, {"id": "dlv_odd", "status": "pending", "event_id": event_id, "attempt_count": True})
    await make_user(admin, user["issuer_id"], name="grace")
    assert await emulator.settle_deliveries()
    assert [post["event"]["data"]["object"]["username"] for post in receiver.received] == [
        "ada@example.com",
        "grace@example.com",
    ]
    junk = emulator.get(f"{deliveries}/dlv_junk")
    assert junk is not None and (junk["status"], junk["next_attempt_at"]) == ("pending", "soon")  # left as it is


# ------------------------------------------------------------------------------ deliveries tell the truth


async def test_an_attempt_in_flight_during_reset_lands_on_no_other_delivery(
    world: tuple[Emulator, AuthPIAdmin],
) -> None:
    emulator, admin = world
    first_attempt_held, release = threading.Event(), threading.Event()
    received: list[str] = []

    def hold_the_first(request: httpx.Request) -> int:
        received.append(request.headers[DELIVERY_HEADER])
        if len(received) == 1:
            first_attempt_held.set()
            release.wait(30)
            return 200  # the old delivery's attempt succeeds, after the reset
        return 503

    emulator.add_receiver("https://orders.example.test", callback=hold_the_first)
    await subscribe(admin, "https://orders.example.test/hooks")
    await make_user(admin)
    assert first_attempt_held.wait(30)
    emulator.reset()  # ids start again: the same calls make a delivery with the same id
    emulator.clock.freeze(NOW)
    webhook_id = await subscribe(admin, "https://orders.example.test/hooks")
    await make_user(admin)
    release.set()
    assert await emulator.settle_deliveries()
    delivery = await the_delivery(admin, webhook_id)
    assert received == [delivery["id"], delivery["id"]]  # the same id, two deliveries
    # the new delivery shows its own attempt (503), not the old one's success
    assert (delivery["status"], delivery["attempt_count"], delivery["last_response_status"]) == ("pending", 1, 503)


def _seed_a_pending_delivery(emulator: Emulator, url: str, next_attempt_at: int) -> str:
    account = f"/v1/accounts/{emulator.account_id}"
    emulator.seed(f"{account}/webhooks", {"id": "wh_s", "name": "s", "url": url, "events": ["*"]})
    emulator.seed(f"{account}/events", {"id": "evt_s", "spec": "1.0", "type": "user.created", "timestamp": NOW})
    emulator.seed(
        f"{account}/webhooks/wh_s/deliveries",
        {"id": "dlv_s", "event_id": "evt_s", "event_type": "user.created", "next_attempt_at": next_attempt_at},
    )
    return f"{account}/webhooks/wh_s/deliveries/dlv_s"


async def test_a_seeded_pending_delivery_goes_out_when_the_clock_brings_it_due(receiver: Receiver) -> None:
    emulator = Emulator(strict=True)
    emulator.clock.freeze(NOW)
    try:
        path = _seed_a_pending_delivery(emulator, receiver.url, next_attempt_at=NOW + 60)
        assert await emulator.settle_deliveries()  # not due yet
        assert receiver.received == []
        emulator.clock.advance(60)  # any move of the clock wakes the deliverer
        assert await emulator.settle_deliveries()
        assert [post["headers"][DELIVERY_HEADER] for post in receiver.received] == ["dlv_s"]
        assert (emulator.get(path) or {})["status"] == "succeeded"
    finally:
        emulator.close()


async def test_a_pending_delivery_restored_from_a_state_file_goes_out(receiver: Receiver, tmp_path: Any) -> None:
    from authpi_admin.testing.snapshot import load_state, save_state

    before = Emulator(strict=True)
    before.clock.freeze(NOW)
    before.deliverer.stop()  # stopped before anything is seeded: the state holds a pending delivery
    path = _seed_a_pending_delivery(before, receiver.url, next_attempt_at=NOW)
    save_state(before, tmp_path / "state.json")
    records = json.loads((tmp_path / "state.json").read_text())["store"]["records"]
    (stored,) = [record for record in records if record["key"] == "dlv_s"]
    assert stored["data"]["status"] == "pending" and receiver.received == []
    after = Emulator(strict=True)
    try:
        load_state(after, tmp_path / "state.json")  # the clock too: frozen where it was
        assert await after.settle_deliveries()
        assert [post["headers"][DELIVERY_HEADER] for post in receiver.received] == ["dlv_s"]
        assert (after.get(path) or {})["status"] == "succeeded"
    finally:
        after.close()


def test_the_deliverer_reads_only_the_deliveries_that_wait() -> None:
    emulator = Emulator()
    emulator.clock.freeze(NOW)
    emulator.add_receiver("https://r.example.test", callback=lambda request: 204)
    account = f"/v1/accounts/{emulator.account_id}"
    emulator.seed(f"{account}/webhooks", {"id": "wh_r", "name": "r", "url": "https://r.example.test/", "events": []})
    emulator.seed(f"{account}/events", {"id": "evt_r", "spec": "1.0", "type": "user.created", "timestamp": NOW})
    for _ in range(200):  # ended deliveries: never read again
        emulator.seed(f"{account}/webhooks/wh_r/deliveries", {"event_id": "evt_r", "status": "succeeded"})
    emulator.seed(f"{account}/webhooks/wh_r/deliveries", {"event_id": "evt_r"})
    assert emulator.deliverer.settle(30)
    assert emulator.deliverer.tracked == 0  # after one look, nothing that ended is watched
    assert [d["status"] for d in emulator.deliveries].count("succeeded") == 201
    emulator.close()
