"""The emulator's control API: over a real socket from a plain httpx client, and through its Python client
served and in process (one implementation behind both)."""

from __future__ import annotations

import base64
import json
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from authpi_admin import AuthenticationError, ConflictError, ServiceUnavailableError
from authpi_admin.testing import Emulator, EmulatorControl, EmulatorControlError, EmulatorServer
from authpi_admin.testing.snapshot import EmulatorFileError, load_state, save_state

NOW = 1_800_000_000
CONTROL = {"authorization": "Bearer ctl_test"}
API = {"authorization": "Basic " + base64.b64encode(b"key_test:sec_test").decode()}
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
ACCOUNT = "/v1/accounts/acc_test"


@pytest.fixture
def served() -> Iterator[EmulatorServer]:
    with EmulatorServer(Emulator(strict=True)) as server:
        yield server
    server.emulator.close()


@pytest.fixture
def http(served: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.base_url, timeout=10) as client:
        yield client


@pytest.fixture(params=["served", "in process"])
async def control(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Emulator, EmulatorControl]]:
    """The Python client, over a socket and in process: the same tests hold on both."""
    emulator = Emulator(strict=True)
    if request.param == "served":
        with EmulatorServer(emulator) as server:
            async with server.control() as client:
                yield emulator, client
    else:
        async with emulator.control() as client:
            yield emulator, client
    emulator.close()


def test_only_the_control_key_opens_it(http: httpx.Client) -> None:
    for headers in ({}, API, {"authorization": "Bearer key_test"}, {"authorization": "Bearer ctl_wrong"}):
        answer = http.get("/_emulator", headers=headers)
        assert answer.status_code == 401
        assert answer.json()["error"] == "unauthorized"
    status = http.get("/_emulator", headers=CONTROL).json()["data"]
    assert {k: status[k] for k in ("account_id", "strict", "frozen")} == {
        "account_id": "acc_test",
        "strict": True,
        "frozen": False,
    }
    # and the control key is no API key
    assert http.get(f"{ACCOUNT}/issuers", headers=CONTROL).status_code == 401


def test_unknown_control_paths_and_methods(http: httpx.Client) -> None:
    assert http.get("/_emulator/nothing", headers=CONTROL).status_code == 404
    wrong = http.put("/_emulator/faults", headers=CONTROL)
    assert (wrong.status_code, wrong.headers["allow"]) == (405, "DELETE, GET, POST")
    assert http.post("/_emulator/seed", headers=CONTROL, content=b"{").json()["error"] == "invalid_json"
    assert http.post("/_emulator/seed", headers=CONTROL, json=[1]).status_code == 400


def test_seed_objects_no_api_call_makes_then_read_them_through_the_api(http: httpx.Client) -> None:
    issuer = http.post(f"{ACCOUNT}/issuers", headers=API, json={"name": "Shop"}).json()["data"]
    users = f"{ACCOUNT}/issuers/{issuer['id']}/users"
    user = http.post(users, headers=API, json={"username_type": "email", "username": "ada@example.com"}).json()
    user_id = user["data"]["id"]
    seeded = http.post(
        "/_emulator/seed",
        headers=CONTROL,
        json={
            "objects": [
                {"collection": f"{users}/{user_id}/sessions", "data": {"id": "ses_1", "status": "active"}},
                {"collection": f"{ACCOUNT}/issuers/{issuer['id']}/approvals", "data": {"id": "apr_1"}},
                {"collection": f"{users}/{user_id}/tokens", "data": {"id": "tok_1", "name": "ci"}},
            ]
        },
    )
    assert seeded.status_code == 201
    assert [o["id"] for o in seeded.json()["data"]] == ["ses_1", "apr_1", "tok_1"]
    sessions = http.get(f"{users}/{user_id}/sessions", headers=API).json()["data"]
    assert [(s["id"], s["status"]) for s in sessions] == [("ses_1", "active")]
    assert http.get(f"{ACCOUNT}/issuers/{issuer['id']}/approvals/apr_1", headers=API).status_code == 200

    refused = http.post(
        "/_emulator/seed",
        headers=CONTROL,
        json={"objects": [{"collection": f"{ACCOUNT}/issuers/iss_none/users", "data": {}}]},
    )
    assert refused.status_code == 400
    assert refused.json()["error_description"].startswith("object 0: ")


def test_read_requests_writes_events_and_divergences(http: httpx.Client) -> None:
    http.post(f"{ACCOUNT}/issuers", headers=API, json={"name": "Shop"})
    http.get(f"{ACCOUNT}/issuers?limit=5", headers={**API, "traceparent": TRACEPARENT, "x-long": "v" * 300})
    requests = http.get("/_emulator/requests", headers=CONTROL).json()["data"]
    headers = [request.pop("headers") for request in requests]
    assert requests == [
        {"method": "POST", "path": f"{ACCOUNT}/issuers", "query": "", "status": 201},
        {"method": "GET", "path": f"{ACCOUNT}/issuers", "query": "limit=5", "status": 200},
    ]
    # the headers as they came (lower-case names), the credential's scheme only, each value cut at 256
    assert headers[0]["content-type"] == "application/json"
    assert headers[1]["traceparent"] == TRACEPARENT
    assert headers[1]["x-long"] == "v" * 256
    assert [h["authorization"] for h in headers] == ["Basic [redacted]", "Basic [redacted]"]
    assert "sec_test" not in json.dumps(headers) and API["authorization"].split()[1] not in json.dumps(headers)
    writes = http.get("/_emulator/writes", headers=CONTROL).json()["data"]
    assert writes == [
        {"method": "POST", "path": f"{ACCOUNT}/issuers", "idempotency_key": None, "event_type": "issuer.created"}
    ]
    (event,) = http.get("/_emulator/events", headers=CONTROL).json()["data"]
    assert (event["type"], event["data"]["object"]["name"]) == ("issuer.created", "Shop")
    assert http.get("/_emulator/deliveries", headers=CONTROL).json()["data"] == []
    assert http.get("/_emulator/divergences", headers=CONTROL).json()["data"] == []  # strict: none accepted


def test_divergences_over_http() -> None:
    with EmulatorServer() as server, httpx.Client(base_url=server.base_url, timeout=10) as http:
        http.get("/v1/accounts/me/issuers", headers={"authorization": "Bearer key_test"})
        (divergence,) = http.get("/_emulator/divergences", headers=CONTROL).json()["data"]
    server.emulator.close()
    assert divergence["path"] == "/v1/accounts/me/issuers"
    assert len(divergence["reasons"]) == 2


def test_faults_over_http(http: httpx.Client) -> None:
    added = http.post("/_emulator/faults", headers=CONTROL, json={"status": 503, "times": 1, "route": "/v1/*"})
    assert added.status_code == 201
    assert (added.json()["data"]["status"], added.json()["data"]["times"]) == (503, 1)
    assert len(http.get("/_emulator/faults", headers=CONTROL).json()["data"]) == 1
    assert http.get(f"{ACCOUNT}/issuers", headers=API).status_code == 503
    assert http.get(f"{ACCOUNT}/issuers", headers=API).status_code == 200
    http.post("/_emulator/faults", headers=CONTROL, json={"status": 500})
    assert http.delete("/_emulator/faults", headers=CONTROL).status_code == 204
    assert http.get(f"{ACCOUNT}/issuers", headers=API).status_code == 200
    bad = http.post("/_emulator/faults", headers=CONTROL, json={"status": 503, "colour": "red"})
    assert (bad.status_code, bad.json()["error"]) == (400, "invalid_request")
    assert "colour" in bad.json()["error_description"]


def test_the_clock_moves_timestamps_and_token_expiry(http: httpx.Client) -> None:
    frozen = http.post("/_emulator/clock", headers=CONTROL, json={"freeze": True, "set": NOW}).json()["data"]
    assert frozen == {"now": NOW, "frozen": True}
    issuer = http.post(f"{ACCOUNT}/issuers", headers=API, json={"name": "Shop"}).json()["data"]
    assert issuer["created_at"] == NOW
    token = http.post("/_emulator/tokens", headers=CONTROL, json={"expires_in": 60}).json()["data"]["token"]
    bearer = {"authorization": f"Bearer {token}"}
    assert http.get(f"{ACCOUNT}/issuers", headers=bearer).status_code == 200
    moved = http.post("/_emulator/clock", headers=CONTROL, json={"advance": 60}).json()["data"]
    assert moved == {"now": NOW + 60, "frozen": True}
    expired = http.get(f"{ACCOUNT}/issuers", headers=bearer)
    assert (expired.status_code, expired.json()["error"]) == (401, "token_expired")
    later = http.post(f"{ACCOUNT}/issuers", headers=API, json={"name": "Later"}).json()["data"]
    assert later["created_at"] == NOW + 60
    assert http.post("/_emulator/clock", headers=CONTROL, json={"advance": -1}).status_code == 400
    assert http.post("/_emulator/clock", headers=CONTROL, json={"rewind": 5}).status_code == 400
    running = http.post("/_emulator/clock", headers=CONTROL, json={"freeze": False}).json()["data"]
    assert running["frozen"] is False
    assert running["now"] >= NOW + 60


def test_reset_goes_back_to_as_started(http: httpx.Client) -> None:
    http.post("/_emulator/clock", headers=CONTROL, json={"freeze": True, "set": NOW})
    first = http.post(f"{ACCOUNT}/issuers", headers=API, json={"name": "Shop"}).json()["data"]
    token = http.post("/_emulator/tokens", headers=CONTROL, json={}).json()["data"]["token"]
    http.post("/_emulator/faults", headers=CONTROL, json={"latency": 0.001})
    assert http.post("/_emulator/reset", headers=CONTROL).status_code == 204
    assert http.get(f"{ACCOUNT}/issuers", headers=API).json()["data"] == []
    assert http.get(f"{ACCOUNT}/issuers", headers={"authorization": f"Bearer {token}"}).status_code == 401
    assert http.get("/_emulator/faults", headers=CONTROL).json()["data"] == []
    assert http.get("/_emulator/clock", headers=CONTROL).json()["data"]["frozen"] is False
    requests = http.get("/_emulator/requests", headers=CONTROL).json()["data"]
    assert [request.pop("headers")["authorization"] for request in requests] == [
        "Basic [redacted]",
        "Bearer [redacted]",
    ]
    assert requests == [
        {"method": "GET", "path": f"{ACCOUNT}/issuers", "query": "", "status": 200},
        {"method": "GET", "path": f"{ACCOUNT}/issuers", "query": "", "status": 401},
    ]
    again = http.post(f"{ACCOUNT}/issuers", headers=API, json={"name": "Shop"}).json()["data"]
    assert again["id"] == first["id"]  # ids as from a new emulator


async def test_the_python_client_steers_it(control: tuple[Emulator, EmulatorControl]) -> None:
    emulator, client = control
    await client.freeze_clock(NOW)
    assert await client.clock() == {"now": NOW, "frozen": True}
    issuer = await client.seed(f"{ACCOUNT}/issuers", {"name": "Seeded"})
    assert emulator.get(f"{ACCOUNT}/issuers/{issuer['id']}") == issuer
    await client.add_fault(status=503, times=1)
    async with emulator.client(retries=False) as admin:
        with pytest.raises(ServiceUnavailableError):
            await admin.issuers.list()
        assert [i["id"] for i in (await admin.issuers.list()).data] == [issuer["id"]]
        token = await client.issue_token(expires_in=30)
        assert await client.advance_clock(31) == NOW + 31
        async with emulator.client(access_token=token, account_id="acc_test", retries=False) as expired:
            with pytest.raises(AuthenticationError):
                await expired.issuers.list()
    issuers = f"{ACCOUNT}/issuers"
    assert [(r["path"], r["status"]) for r in await client.requests()] == [
        ("/v1/me", 200),  # the client finds its account first
        (issuers, 503),
        (issuers, 200),
        (issuers, 401),
    ]
    assert await client.writes() == []  # seeding writes no log and records no event
    assert await client.events() == []
    assert await client.wait_for_deliveries(1.0) is True
    await client.clear_faults()
    assert await client.faults() == []
    await client.reset()
    assert (await client.status())["request_count"] == 0
    assert emulator.get(f"{ACCOUNT}/issuers/{issuer['id']}") is None
    with pytest.raises(EmulatorControlError) as refused:
        await client.seed("/v2/nowhere")
    assert (refused.value.status, refused.value.error) == (400, "invalid_request")


async def test_a_wrong_control_key_is_a_typed_error() -> None:
    emulator = Emulator()
    async with EmulatorControl("http://localhost", "nope", transport=emulator.transport()) as client:
        with pytest.raises(EmulatorControlError, match="401 unauthorized"):
            await client.status()


# ------------------------------------------------------------------------------ seed and state files


def test_state_is_written_on_stop_and_read_back_whole(tmp_path: Path) -> None:
    emulator = Emulator()
    emulator.clock.freeze(NOW)
    issuer = emulator.seed(f"{ACCOUNT}/issuers", {"name": "Kept"})
    emulator.issue_token(expires_in=600)
    path = tmp_path / "state.json"
    save_state(emulator, path)
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary file left behind

    revived = Emulator()
    assert load_state(revived, path) is True
    assert revived.get(f"{ACCOUNT}/issuers/{issuer['id']}") == issuer
    assert revived.store.dump() == emulator.store.dump()
    assert revived.state.credentials == emulator.state.credentials
    # ids go on where they stopped, so no new object takes a kept one's id
    assert revived.seed(f"{ACCOUNT}/issuers", {"name": "New"})["id"] == emulator.seed(f"{ACCOUNT}/issuers")["id"]
    assert load_state(Emulator(), tmp_path / "absent.json") is False


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "is not JSON"),
        (b'{"format": "something else"}', "is not an emulator state file"),
        (
            b'{"format": "authpi-emulator-state/1", "store": {"records": [{"kind": "users"}]}, "credentials": []}',
            "damaged",
        ),
        (b"\xff\xfe", "is not JSON"),
    ],
)
def test_a_damaged_state_file_is_a_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    with pytest.raises(EmulatorFileError, match=message):
        load_state(Emulator(), path)


CLI = [sys.executable, "-m", "authpi_admin.testing", "serve", "--port", "0"]


def _start(*arguments: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([*CLI, *arguments], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first.startswith("AuthPI emulator listening on 127.0.0.1:"), first + (
        process.stderr.read() if process.stderr else ""
    )
    return process, f"http://127.0.0.1:{first.rsplit(':', 1)[1].strip()}"


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    return out


def test_serve_keeps_its_state_across_a_restart(tmp_path: Path) -> None:
    state, seed = tmp_path / "state.json", tmp_path / "seed.json"
    seed.write_text(
        json.dumps({"objects": [{"collection": f"{ACCOUNT}/issuers", "data": {"id": "iss_seeded", "name": "S"}}]})
    )
    process, base_url = _start("--state", str(state), "--seed", str(seed))
    try:
        with httpx.Client(base_url=base_url, headers=API, timeout=10) as http:
            made = http.post(f"{ACCOUNT}/issuers", json={"name": "Made over HTTP"}).json()["data"]
    finally:
        out = _stop(process)
    assert f"state kept in {state}" in out
    kept = json.loads(state.read_text())
    assert kept["format"] == "authpi-emulator-state/1"

    process, base_url = _start("--state", str(state), "--seed", str(seed))  # the seed does not apply again
    try:
        with httpx.Client(base_url=base_url, headers=API, timeout=10) as http:
            names = [(i["id"], i["name"]) for i in http.get(f"{ACCOUNT}/issuers").json()["data"]]
    finally:
        _stop(process)
    assert names == [("iss_seeded", "S"), (made["id"], "Made over HTTP")]


def test_serve_refuses_a_damaged_state_file_rather_than_starting_empty(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text('{"format": "authpi-emulator-state/1", "store": {}}')
    result = subprocess.run([*CLI, "--state", str(state)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: the state file {state} is damaged")
    assert state.read_text() == '{"format": "authpi-emulator-state/1", "store": {}}'  # left as it was
    bad_seed = tmp_path / "seed.json"
    bad_seed.write_text('{"objects": [{"collection": "/v1/accounts/acc_test/nothing"}]}')
    result = subprocess.run([*CLI, "--seed", str(bad_seed)], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr.splitlines()[0][:31]) == (2, f"error: the seed file {bad_seed}"[:31])
    assert "object 0" in result.stderr


def test_the_served_control_api_over_a_restart_keeps_seeded_sessions(tmp_path: Path) -> None:
    """What a process in another language does: seed over HTTP, stop, start again, read it back."""
    state = tmp_path / "state.json"
    process, base_url = _start("--state", str(state), "--control-key", "ctl_ci")
    try:
        with httpx.Client(base_url=base_url, timeout=10) as http:
            key = {"authorization": "Bearer ctl_ci"}
            http.post(
                "/_emulator/seed",
                headers=key,
                json={"objects": [{"collection": f"{ACCOUNT}/issuers", "data": {"id": "iss_1", "name": "I"}}]},
            )
            assert http.get("/_emulator", headers=CONTROL).status_code == 401  # the default key is not this one
    finally:
        _stop(process)
    process, base_url = _start("--state", str(state))
    try:
        with httpx.Client(base_url=base_url, headers=API, timeout=10) as http:
            assert http.get(f"{ACCOUNT}/issuers/iss_1").json()["data"]["name"] == "I"
    finally:
        _stop(process)


async def test_invitation_expiry_follows_the_clock() -> None:
    emulator = Emulator(strict=True)
    emulator.clock.freeze(NOW)
    async with emulator.client() as admin:
        issuer = await admin.issuers.create({"name": "Shop"})
        org = await admin.issuer(issuer["id"]).organizations.create({"name": "Acme"})
        invitations = admin.issuer(issuer["id"]).organization(org["id"]).invitations
        invitation = await invitations.create({"email": "new@example.com"})
        assert invitation["expires_at"] == NOW + 7 * 24 * 3600
        await invitations.resend(invitation["id"])  # still valid
        emulator.clock.advance(7 * 24 * 3600)
        with pytest.raises(ConflictError, match="The invitation has expired"):
            await invitations.resend(invitation["id"])
    emulator.close()


# ------------------------------------------------------------------------- the control API is an API


BAD_CONTROL_INPUT = [
    # (method, path, raw body, the field named, what the description must say)
    ("POST", "/clock", b'{"set": NaN}', None, "NaN is not a JSON number"),
    ("POST", "/clock", b'{"set": Infinity}', None, "Infinity is not a JSON number"),
    ("POST", "/clock", b'{"set": 1e400}', "set", "set must be a number of epoch seconds from 0 to"),
    ("POST", "/clock", b'{"set": -5}', "set", "set must be a number of epoch seconds from 0 to"),
    ("POST", "/clock", b'{"advance": "60"}', "advance", "advance must be a number of seconds from 0 to"),
    ("POST", "/clock", b'{"advance": 253402300000}', None, "the time advanced to must be from 0 (1970)"),
    ("POST", "/clock", b'{"freeze": 1}', "freeze", "freeze must be true or false, not 1"),
    ("POST", "/clock", b'{"sett": 1}', "sett", "sett is not a field: it takes freeze, set, advance"),
    ("POST", "/deliveries/wait", b'{"timeout": Infinity}', None, "Infinity is not a JSON number"),
    ("POST", "/deliveries/wait", b'{"timeout": 1e400}', "timeout", "timeout must be a number of seconds from 0 to 300"),
    ("POST", "/deliveries/wait", b'{"timeout": 86400}', "timeout", "timeout must be a number of seconds from 0 to 300"),
    ("POST", "/faults", b'{"statuss": 503}', "statuss", "statuss is not a field: it takes route, status,"),
    (
        "POST",
        "/faults",
        b'{"status": "503"}',
        "status",
        'status must be an HTTP status code from 100 to 599, not "503"',
    ),
    ("POST", "/faults", b'{"status": 700}', "status", "status must be an HTTP status code from 100 to 599, not 700"),
    ("POST", "/faults", b'{"latency": -1}', "latency", "latency must be a number of seconds from 0 to 60"),
    ("POST", "/faults", b'{"times": 0, "status": 503}', "times", "times must be a whole number of requests"),
    ("POST", "/faults", b"{}", None, "a fault needs status, latency, drop, lose_answer or malformed"),
    ("POST", "/tokens", b'{"expires_in": 0}', "expires_in", "expires_in must be a number of seconds from 1 to"),
    ("POST", "/tokens", b'{"account_id": 7}', "account_id", "account_id must be an account id, as a string"),
    ("POST", "/seed", b"{}", "objects", 'objects is required: a list of {"collection": path'),
    ("POST", "/seed", b'{"objects": {}}', "objects", "objects must be a list of"),
    (
        "POST",
        "/seed",
        b'{"objects": [{"collection": "/v1/accounts/acc_test/planets/p/users", "data": {}}]}',
        None,
        "object 0: '/v1/accounts/acc_test/planets/p/users' is not a collection or object path of the API",
    ),
    ("POST", "/seed", b'{"objects": [{"collection": 5}]}', None, "object 0: needs a collection path and a data"),
    ("POST", "/reset", b'{"hard": true}', "hard", "hard is not a field: it takes no fields"),
    ("DELETE", "/faults", b'{"all": true}', "all", "all is not a field: it takes no fields"),
    ("POST", "/clock", b"[1]", None, "The body must be a JSON object"),
    ("POST", "/clock", b'{"set": ', None, "The body is not valid JSON: check its quotes, commas and brackets"),
    ("POST", "/clock", b"[" * 100_000, None, "The body is"),
]


@pytest.mark.parametrize(("method", "path", "body", "field", "says"), BAD_CONTROL_INPUT)
def test_bad_control_input_is_a_400_in_the_apis_error_body_and_the_emulator_keeps_serving(
    http: httpx.Client, served: EmulatorServer, method: str, path: str, body: bytes, field: str | None, says: str
) -> None:
    answer = http.request(method, f"/_emulator{path}", headers=CONTROL, content=body)
    assert answer.status_code == 400, answer.text
    error = answer.json()
    assert error["error"] in ("invalid_request", "invalid_json")
    assert says in error["error_description"]
    for python_text in ("Traceback", "__init__", "KeyError", "TypeError", "unexpected keyword", "<"):
        assert python_text not in error["error_description"]
    if field is not None:
        assert field in [item["field"] for item in error["fields"]]
    assert error["reference"].startswith("req_")
    # nothing was changed, and every later write still works (a NaN clock used to break them all)
    clock = http.get("/_emulator/clock", headers=CONTROL).json()["data"]
    assert clock["frozen"] is False and 1_600_000_000 < clock["now"] < 2**33
    assert http.get("/_emulator/faults", headers=CONTROL).json()["data"] == []
    assert http.post(f"{ACCOUNT}/issuers", headers=API, json={"name": "After"}).status_code == 201


def test_the_clock_itself_refuses_a_time_it_cannot_show() -> None:
    from authpi_admin.testing import EmulatorClock

    clock = EmulatorClock()
    for bad in (float("nan"), float("inf"), -1.0, 1e20):
        with pytest.raises(ValueError, match="must be"):
            clock.set(bad)
        with pytest.raises(ValueError, match="must be"):
            clock.freeze(bad)
    with pytest.raises(ValueError, match="must be a finite number"):
        clock.advance(float("nan"))
    assert 1_600_000_000 < clock() < 2**33


def test_a_drop_fault_cuts_the_connection_quietly(served: EmulatorServer) -> None:
    import logging

    logged: list[logging.LogRecord] = []
    collector = logging.Handler()
    collector.emit = logged.append  # type: ignore[method-assign]
    server_log = logging.getLogger("uvicorn.error")  # uvicorn's loggers do not propagate to the root
    server_log.addHandler(collector)
    try:
        served.emulator.faults.add(drop=True, times=1)
        with httpx.Client(base_url=served.base_url, timeout=10) as http, pytest.raises(httpx.RemoteProtocolError):
            http.get(f"{ACCOUNT}/issuers", headers=API)
        with httpx.Client(base_url=served.base_url, timeout=10) as http:
            assert http.get(f"{ACCOUNT}/issuers", headers=API).status_code == 200
    finally:
        server_log.removeHandler(collector)
    assert len(logged) <= 1  # one line at most, and no traceback
    assert all(record.exc_info is None and "Exception in ASGI" not in record.getMessage() for record in logged)
