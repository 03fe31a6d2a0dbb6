"""Fault injection: make the emulator misbehave on purpose, per route or everywhere.

emulator.faults.add(status=503, times=2)                          # the next two requests fail
emulator.faults.add(status=429, retry_after=1, route="GET /v1/accounts/{account_id}/issuers")
emulator.faults.add(latency=0.5, probability=0.3)                 # a third of requests are slow
emulator.faults.add(drop=True, route="/v1/accounts/*/webhooks*")  # the connection is cut
emulator.faults.add(malformed=True, times=1)                      # a 200 whose body is not JSON
"""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import dataclass, field

__all__ = ["Fault", "Faults"]


@dataclass
class Fault:
    """One rule. ``route`` is ``"METHOD template"``, a template, or a glob on the concrete path; None is all.

    Exactly what happens is set by the first of: ``drop`` (the connection is cut mid-answer),
    ``lose_answer`` (the request is applied, then the connection is cut before its answer), ``malformed`` (200 with a
    body that is not JSON), ``status`` (an error answer, with ``Retry-After`` when ``retry_after`` is set); ``latency``
    seconds of delay come first and may be used alone.
    ``times`` limits how many requests it hits (None: no limit); ``probability`` hits only some.
    """

    route: str | None = None
    status: int | None = None
    retry_after: int | str | None = None
    latency: float = 0.0
    drop: bool = False
    lose_answer: bool = False
    malformed: bool = False
    times: int | None = None
    probability: float = 1.0
    hits: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if not (self.drop or self.lose_answer or self.malformed or self.status is not None or self.latency > 0):
            raise ValueError("a fault needs status, latency, drop, lose_answer or malformed")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError("status must be an HTTP status code")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")

    def matches(self, method: str, template: str, path: str) -> bool:
        """Whether this rule covers a request (before ``times`` and ``probability``)."""
        if self.route is None:
            return True
        verb, _, target = self.route.partition(" ") if " " in self.route else ("", "", self.route)
        if verb and verb.upper() != method:
            return False
        return target == template or fnmatch.fnmatchcase(path, target)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times


class Faults:
    """The emulator's fault rules, checked in the order they were added; the first that hits wins."""

    def __init__(self, seed: int = 0) -> None:
        self._rules: list[Fault] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.injected = 0

    def add(self, fault: Fault | None = None, /, **options: object) -> Fault:
        """Add a rule (a [`Fault`][authpi_admin.testing.Fault], or its fields as keywords) and return it."""
        rule = fault if fault is not None else Fault(**options)  # type: ignore[arg-type]
        with self._lock:
            self._rules.append(rule)
        return rule

    @property
    def rules(self) -> list[Fault]:
        """The rules, in the order they are checked (a copy)."""
        with self._lock:
            return list(self._rules)

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def pick(self, method: str, template: str, path: str) -> Fault | None:
        """The rule that hits this request, counting the hit, or None."""
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or not rule.matches(method, template, path):
                    continue
                if rule.probability < 1.0 and self._random.random() >= rule.probability:
                    continue
                rule.hits += 1
                self.injected += 1
                return rule
        return None
