"""The emulator: a stateful, in-memory AuthPI Core API, in process or served over a socket.

Routes are derived from the bundled OpenAPI document, so every call the SDK can make is answered the
way the API documents: ``{"data": ...}`` envelopes, cursor pages, ETags and ``If-Match``, ``Idempotency-Key`` replay,
validation errors with ``fields``, 404/409/412, events for every write, API keys and expiring bearer tokens, and faults
on demand (`faults`).

This module is the set-up facade. The layers below it: `transport` (in process) and `asgi` (over a socket), the two
front doors, which speak `wire`; `dispatch` (HTTP: routing through `router`, auth, faults, idempotency, validation,
errors), `handlers` (create, read, update, delete, list and the dispatch of actions), `store` (the records), `routes`
(the route table read from the document), and `kinds`: one module per family of the API holding all the emulator
knows of its kinds and their actions (see CONTRIBUTING.md).
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from .asgi import AsgiApp, Receive, Scope, Send
from .clock import EmulatorClock
from .control import DEFAULT_CONTROL_KEY, ControlApi
from .deliveries import AsgiReceiver, CallbackReceiver, CallbackTransport, Deliverer
from .dispatch import Dispatcher, DroppedConnection
from .document import load_document
from .faults import Faults
from .handlers import Handlers
from .kinds import KINDS, shown
from .records import Problem
from .state import Credential, Divergence, EmulatorLimits, EmulatorState, RequestLog, WriteLog
from .store import Store
from .transport import EmulatorTransport

if TYPE_CHECKING:
    from ..client import AuthPIAdmin
    from .control_client import EmulatorControl

__all__ = ["DEFAULT_BEARER_KEY", "DEFAULT_KEY_PAIR", "IN_PROCESS_URL", "DroppedConnection", "Emulator", "WriteLog"]

IN_PROCESS_URL = "http://localhost"

DEFAULT_KEY_PAIR = "key_test:sec_test"
"""The API key pair an emulator accepts by default (sent as HTTP Basic: ``api_key=("key_test", "sec_test")``)."""

DEFAULT_BEARER_KEY = "key_test"
"""0.3.0's form of an API key, a bearer string: a lenient emulator accepts it by default too."""


def key_pair(key: str) -> tuple[str, str] | None:
    """``"ID:SECRET"`` as the pair ``(ID, SECRET)``: a key sent as HTTP Basic. None for a bearer key.
    ValueError for an empty key, or a pair with an empty half: it would let anyone in."""
    key_id, colon, secret = key.partition(":")
    if not key or (colon and not (key_id and secret)):
        raise ValueError(f"an API key must not be empty, nor a pair with an empty id or secret: {key!r}")
    return (key_id, secret) if colon else None


class Emulator:
    """A stateful, in-memory AuthPI Core API. Call it as an ASGI app, or use
    [`client()`][authpi_admin.testing.Emulator.client].

    ``api_keys`` are accepted as credentials for ``account_id``: ``"key_id:secret"`` is a key pair that
    authenticates as HTTP Basic (today's form), any other string a bearer key (0.3.0's form). By default
    the pair ``key_test:sec_test`` (`DEFAULT_KEY_PAIR`), and in lenient mode the bearer key ``key_test``
    too; [`client()`][authpi_admin.testing.Emulator.client] sends the first.
    [`issue_token()`][authpi_admin.testing.Emulator.issue_token] makes bearer tokens that can expire.
    ``seed`` is a random seed that makes generated ids repeatable (objects are stored with
    [`seed()`][authpi_admin.testing.Emulator.seed]); ``clock`` gives the time (epoch seconds), which
    [`clock`][authpi_admin.testing.Emulator.clock] can freeze and move forward.

    ``control_key`` opens the control API ([`control`][authpi_admin.testing.control]: reset, seed, read what
    happened, faults, the clock, over HTTP); [`control()`][authpi_admin.testing.Emulator.control] is a client of it.
    Webhooks get their deliveries POSTed (see [`deliveries`][authpi_admin.testing.deliveries]): to loopback addresses
    and receivers added with [`add_receiver()`][authpi_admin.testing.Emulator.add_receiver], and to any
    host only with ``deliver_anywhere=True``. Served beyond loopback, it delivers to no loopback or private
    address unless ``deliver_locally=True``. An empty control key or API key is a ValueError: it would let
    anyone in.

    ``limits`` caps every log and history it keeps ([`EmulatorLimits`][authpi_admin.testing.EmulatorLimits]: requests,
    writes, divergences, replays, events and deliveries per account, issued tokens; 10,000 each by default), so
    one that serves for days holds no more than one that served for an hour.

    ``strict=True`` refuses what today's API refuses: API keys sent as bearer tokens, the ``me`` alias in
    account paths, the issuer-level groups, invitations, members and domains (404), bodies without today's
    required fields and lists without today's required query keys (422 naming them). The default accepts
    0.3.0's code as well.
    """

    def __init__(
        self,
        *,
        api_keys: Iterable[str] | None = None,
        account_id: str = "acc_test",
        seed: int = 0,
        clock: Callable[[], float] = time.time,
        strict: bool = False,
        control_key: str = DEFAULT_CONTROL_KEY,
        deliver_anywhere: bool = False,
        limits: EmulatorLimits | None = None,
        deliver_locally: bool = False,
    ) -> None:
        if not isinstance(control_key, str) or not control_key.strip():
            raise ValueError("control_key must not be empty: an empty key would open the control API to anyone")
        if api_keys is None:
            api_keys = [DEFAULT_KEY_PAIR] if strict else [DEFAULT_KEY_PAIR, DEFAULT_BEARER_KEY]
        self.api_keys = list(api_keys)
        for key in self.api_keys:
            key_pair(key)  # refuses an empty one
        self.document = load_document()
        emulator_clock = clock if isinstance(clock, EmulatorClock) else EmulatorClock(clock)
        limits = limits or EmulatorLimits()
        store = Store(KINDS, seed, caps={"events": limits.events, "deliveries": limits.deliveries})
        self.state = EmulatorState(account_id, store, Faults(seed), emulator_clock, strict, limits)
        self.handlers = Handlers(self.state)
        self.control_key = control_key
        self._token_counter = 0
        self._start_state()
        self.dispatcher = Dispatcher(self.state, self.handlers, self.document)
        self.dispatcher.control = ControlApi(self).answer
        self.deliverer = Deliverer(self.state, deliver_anywhere=deliver_anywhere, deliver_locally=deliver_locally)
        self.state.deliveries_due = self.deliverer.track
        self.store.watch("deliveries", self.deliverer.track)
        self.retry_waits: list[float] = []  # the retry waits of the clients it made (see client())
        self.app = AsgiApp(self.dispatcher)

    def _start_state(self) -> None:
        """The state it starts with: its account, and its API keys as credentials."""
        self.add_account(self.account_id, name="Emulated account")
        for key in self.api_keys:
            self.add_credential(key, self.account_id)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def __repr__(self) -> str:
        mode = "strict" if self.state.strict else "lenient"
        return f"<Emulator account_id={self.account_id!r} {mode}, {self.request_count} requests served>"

    # the state, under the names tests and users reach for
    @property
    def store(self) -> Store:
        """Every stored object."""
        return self.state.store

    @property
    def faults(self) -> Faults:
        """Faults to inject: ``emulator.faults.add(status=503, times=2)``."""
        return self.state.faults

    @property
    def clock(self) -> EmulatorClock:
        """The emulator's time (call it: epoch seconds), which ``freeze()``, ``advance(seconds)`` and
        ``set(at)`` steer: timestamps, token and invitation expiry and delivery retries follow it."""
        return self.state.clock

    @property
    def account_id(self) -> str:
        """The account the default credentials act on."""
        return self.state.account_id

    @property
    def writes(self) -> list[WriteLog]:
        """The mutations applied, in order, the latest ``limits.writes`` (replays are not applied again, so
        they are not here)."""
        with self.state.lock:
            return list(self.state.writes)

    @property
    def requests(self) -> list[RequestLog]:
        """The latest requests answered (``limits.requests`` of them), oldest first: method, path, query,
        status and headers (credentials redacted), as ``GET /_emulator/requests`` lists them."""
        with self.state.lock:
            return list(self.state.requests)

    @property
    def divergences(self) -> list[Divergence]:
        """The requests this lenient emulator accepted that today's API refuses, with the reasons, the latest
        ``limits.divergences`` (a strict emulator refuses them instead); served answers to them also carry the header
        ``authpi-emulator-divergence``."""
        with self.state.lock:
            return list(self.state.divergences)

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event recorded, in every account, oldest first."""
        return self._every("events")

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        """Every webhook delivery, in every account, oldest first, with today's fields."""
        return self._every("deliveries")

    def _every(self, kind: str) -> list[dict[str, Any]]:
        with self.state.lock:
            records = [r for account in self.store.accounts_with(kind) for r in self.store.under(kind, account, {})]
            return [record.public() for record in sorted(records, key=lambda record: record.seq)]

    @property
    def request_count(self) -> int:
        """How many requests reached a route (faults that answered first are not counted)."""
        return self.state.request_count

    # ------------------------------------------------------------------------------------ set-up API

    def reset(self) -> None:
        """Back to as started: no objects, events, deliveries, logs, faults, replays or issued tokens, ids
        as from a new emulator, the clock running on its source again. API keys and receivers stay."""
        with self.state.lock:
            state = self.state
            state.store.clear()
            self.deliverer.forget_all()
            state.faults.clear()
            state.credentials.clear()
            state.issued_tokens.clear()
            state.idempotency.clear()
            for log in (state.writes, state.divergences, state.requests):
                log.clear()
            state.request_count = 0
            state.clock.reset()
            self.retry_waits.clear()
            self._token_counter = 0
            self._start_state()

    def seed_objects(self, objects: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Store each ``{"collection": path, "data": {...}}`` with [`seed()`][authpi_admin.testing.Emulator.seed], in
        order; what was stored.

        The format of ``serve --seed FILE`` (``{"objects": [...]}``) and of the control API's seed. A
        ValueError names the first item it cannot take (nothing after it is stored).
        """
        stored = []
        for index, item in enumerate(objects):
            collection = item.get("collection") if isinstance(item, Mapping) else None
            data = item.get("data", {}) if isinstance(item, Mapping) else None
            if not isinstance(collection, str) or not isinstance(data, Mapping):
                raise ValueError(f"object {index}: needs a collection path and a data object")
            try:
                stored.append(self.seed(collection, data))
            except ValueError as error:
                raise ValueError(f"object {index}: {error}") from None
        return stored

    def add_account(self, account_id: str, **fields: Any) -> dict[str, Any]:
        """Create an account (no credential yet: see
        [`add_credential()`][authpi_admin.testing.Emulator.add_credential])."""
        with self.state.lock:
            data = {"id": account_id, "name": account_id, **fields}
            return shown(self.store, account_id, self.handlers.insert(account_id, "accounts", {}, data))

    def add_credential(self, token: str, account_id: str | None = None, *, expires_in: float | None = None) -> str:
        """Accept ``token`` as an API key (no expiry) or access token (with ``expires_in`` seconds)."""
        kind = "api_key" if expires_in is None else "access_token"
        expires_at = None if expires_in is None else self.clock() + expires_in
        pair = key_pair(token) if kind == "api_key" else None
        if pair is not None:  # sent as HTTP Basic
            header = "basic " + base64.b64encode(token.encode()).decode()
            credential = Credential(account_id or self.account_id, kind, None, pair[0])
        else:
            header = f"bearer {token}"
            credential = Credential(account_id or self.account_id, kind, expires_at)
        with self.state.lock:
            self.state.accept(header, credential)
        return token

    def issue_token(self, account_id: str | None = None, *, expires_in: float = 3600.0) -> str:
        """A new bearer access token for the account, valid for ``expires_in`` seconds."""
        with self.state.lock:
            self._token_counter += 1
            token = f"tok_{self._token_counter:04d}_{hashlib.sha256(str(self.clock()).encode()).hexdigest()[:8]}"
        return self.add_credential(token, account_id, expires_in=expires_in)

    def expire_token(self, token: str) -> None:
        """Make a token answer 401 ``token_expired`` from now on."""
        with self.state.lock:
            self.state.credentials[f"bearer {token}"].expires_at = self.clock() - 1

    def seed(self, collection_path: str, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Store an object directly, with no validation and no event: for set-up of tests.

        ``collection_path`` is the collection it belongs to, e.g.
        ``/v1/accounts/me/issuers/iss_1/users/usr_1/sessions``; ``data`` may fix the ``id``.
        """
        with self.state.lock:
            account, collection, key, parents = self._locate(collection_path)
            if key is not None:
                raise ValueError("seed() takes a collection path, not an object path")
            try:
                self.handlers.require_parents(account, parents)
            except Problem as problem:
                raise ValueError(problem.description) from None
            return self.handlers.insert(account, collection, parents, dict(data or {})).public()

    def add_session(self, issuer_id: str, user_id: str, **fields: Any) -> dict[str, Any]:
        """Seed a session of a user (the API has no call that creates one)."""
        defaults = {"authentication": {"method": "password"}, "client": {}, "expires_at": int(self.clock()) + 3600}
        path = f"/v1/accounts/me/issuers/{issuer_id}/users/{user_id}/sessions"
        return self.seed(path, {**defaults, **fields})

    def add_api_key(self, issuer_id: str, **fields: Any) -> dict[str, Any]:
        """Seed an API key of an issuer (the API has no call that creates one)."""
        defaults = {"name": "seeded key", "org_id": "", "secret": {"prefix": "sk_test"}}
        return self.seed(f"/v1/accounts/me/issuers/{issuer_id}/api-keys", {**defaults, **fields})

    def add_approval(self, issuer_id: str, **fields: Any) -> dict[str, Any]:
        """Seed a pending approval of an issuer (the API has no call that creates one)."""
        return self.seed(f"/v1/accounts/me/issuers/{issuer_id}/approvals", {"action": "login", **fields})

    def get(self, object_path: str) -> dict[str, Any] | None:
        """The stored object at a concrete path (``me`` allowed), or None: for assertions in tests."""
        with self.state.lock:
            account, collection, key, _ = self._locate(object_path)
            record = self.store.get(collection, account, key) if key is not None else None
            return record.public() if record is not None else None

    def add_receiver(
        self, url: str, *, asgi_app: AsgiReceiver | None = None, callback: CallbackReceiver | None = None
    ) -> None:
        """Take the deliveries to ``url``'s scheme, host and port in process, with no socket: by the ASGI
        app ``asgi_app``, or by ``callback`` (given each ``httpx.Request``; it answers a status code, an
        ``httpx.Response``, None for 200, or an awaitable of one). Either runs on the deliverer's own thread
        and event loop, not the caller's: share nothing loop-bound with it."""
        transport: httpx.AsyncBaseTransport
        if asgi_app is not None and callback is None:
            transport = httpx.ASGITransport(app=asgi_app)
        elif callback is not None and asgi_app is None:
            transport = CallbackTransport(callback)
        else:
            raise TypeError("add_receiver() takes one of asgi_app or callback")
        self.deliverer.add_receiver(url, transport)

    async def settle_deliveries(self, timeout: float = 10.0) -> bool:
        """Wait until no webhook delivery is due now (one waiting for a retry later on the emulator's clock
        does not count); False if that took longer than ``timeout`` seconds."""
        import asyncio

        return await asyncio.to_thread(self.deliverer.settle, timeout)

    def close(self) -> None:
        """Stop delivering webhooks (the thread that sends them ends). The state stays readable."""
        self.deliverer.stop()

    def control(self) -> EmulatorControl:
        """A client of this emulator's control API, in process (no socket)."""
        from .control_client import EmulatorControl

        return EmulatorControl(IN_PROCESS_URL, self.control_key, transport=self.transport())

    def transport(self) -> EmulatorTransport:
        """An httpx transport that sends requests straight to this emulator, with no socket."""
        return EmulatorTransport(self.dispatcher)

    def client(
        self, *, api_key: str | tuple[str, str] | None = None, real_time: bool = False, **options: Any
    ) -> AuthPIAdmin:
        """An [`AuthPIAdmin`][authpi_admin.AuthPIAdmin] bound to this emulator in process (``options`` go to the
        constructor).

        It authenticates with ``api_key``, else with the emulator's first key: a ``"key_id:secret"`` string or
        a ``(key_id, secret)`` pair is sent as HTTP Basic, any other string as a bearer key.

        Its retries do not wait in real time (faults would make a test sleep the real backoff): each wait is
        recorded in `retry_waits` and passes at once, unless ``real_time=True`` or ``retries`` is a
        [`RetryPolicy`][authpi_admin.retries.RetryPolicy] of the caller's own.
        """
        from .._sending import made_for_the_sdk
        from ..client import AuthPIAdmin
        from ..retries import RetryConfig, RetryPolicy

        if "access_token" not in options:
            key = api_key or self.api_keys[0]
            options["api_key"] = key if isinstance(key, tuple) else (key_pair(key) or key)
        retries = options.get("retries", True)
        if not real_time and not isinstance(retries, RetryPolicy):
            config = RetryConfig.from_option(retries)
            options["retries"] = RetryPolicy(config, sleep=self._retry_wait) if config is not None else False
        http = made_for_the_sdk(httpx.AsyncClient(transport=self.transport(), base_url=IN_PROCESS_URL))
        return AuthPIAdmin(base_url=IN_PROCESS_URL, http_client=http, **options)

    async def _retry_wait(self, seconds: float) -> None:
        """A retry wait of a client this emulator made: recorded, and over at once."""
        import asyncio

        self.retry_waits.append(seconds)
        await asyncio.sleep(0)

    def _locate(self, path: str) -> tuple[str, str, str | None, dict[str, str]]:
        """Where ``path`` points, found by the router that routes requests: (account, collection, the
        object's key or None for the collection itself, the parents' ids). ValueError for a path where the
        API keeps no objects."""
        found = self.dispatcher.places.match(path)
        if found is None:
            raise ValueError(
                f"{path!r} is not a collection or object path of the API (for example "
                "/v1/accounts/acc_test/issuers/ISSUER_ID/users)"
            )
        (collection, item_param), params = found
        account = self.account_id if params["account_id"] == "me" else params["account_id"]
        key = params.pop(item_param) if item_param is not None else None
        if collection == "accounts":
            return account, collection, account, {}
        return account, collection, key, {**params, "account_id": account}
