"""The emulator's knowledge of each kind lives in one module per family, keyed by API operation."""

from __future__ import annotations

import pytest

from authpi_admin.testing.document import load_document
from authpi_admin.testing.kinds import KINDS, OPERATIONS, PARENT_KIND, action_for
from authpi_admin.testing.routes import route_table

ROUTES = [spec for verbs in route_table(load_document()).values() for spec in verbs.values()]


def test_every_collection_of_the_document_is_a_kind() -> None:
    assert {spec.collection for spec in ROUTES} - set(KINDS) == {"sso"}  # sso: operations on an organization


def test_the_parent_placeholders_are_derived_from_the_kinds() -> None:
    assert PARENT_KIND == {
        "account_id": "accounts",
        "issuer_id": "issuers",
        "agent_id": "agents",
        "user_id": "users",
        "org_id": "organizations",
        "webhook_id": "webhooks",
    }


def test_every_registered_operation_is_an_operation_of_the_document() -> None:
    served = {(spec.verb, spec.template) for spec in ROUTES}
    for verb, end in OPERATIONS:
        assert any(v == verb and t.endswith(end) for v, t in served), (verb, end)


def test_every_action_route_runs_its_registered_action_and_none_is_a_mere_acknowledgement() -> None:
    for spec in ROUTES:
        if spec.action == "action":
            assert spec.run is not None, f"{spec.verb} {spec.template} has no implementation"
            assert spec.run is action_for(spec.verb, spec.template)


@pytest.mark.parametrize(
    ("verb", "template", "expected"),
    [
        ("POST", "/v1/accounts/{account_id}/domains/{domain}/verify", ("POST", "/domains/{domain}/verify")),
        (
            "POST",
            "/v1/accounts/{account_id}/issuers/{issuer_id}/domains/{domain}/verify",
            ("POST", "/domains/{domain}/verify"),
        ),
        ("GET", "/v1/accounts/{account_id}/domains/{domain}/verify", None),
        (
            "POST",
            "/v1/accounts/{account_id}/issuers/{issuer_id}/organizations/{org_id}/sso/domains/{domain}/verify",
            "sso",
        ),
    ],
)
def test_an_operation_is_found_by_its_verb_and_the_end_of_its_path_after_an_id(
    verb: str, template: str, expected: tuple[str, str] | str | None
) -> None:
    found = action_for(verb, template)
    if expected == "sso":  # never the account domains' verify, whose end it also has
        assert found is not OPERATIONS[("POST", "/domains/{domain}/verify")]
    elif expected is None:
        assert found is None
    else:
        assert found is OPERATIONS[expected]


def test_each_kind_names_its_events_in_todays_words() -> None:
    assert KINDS["groups"].event_type("created") == "organization.group.created"
    assert KINDS["trusted-devices"].event_type("created") == "user.device.trusted"
    assert KINDS["domains"].event_type("deleted") == "account.domain.removed"
    assert KINDS["users"].event_type("updated") == "user.updated"
