"""The generator: generated files are current, drift is caught, an inconsistent document is refused.

The generator formats through ``python -m ruff`` with the interpreter running it, so these tests need ruff
installed in the environment (a dev dependency), not on PATH.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("authpi_generate", ROOT / "scripts" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["authpi_generate"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def document() -> dict[str, Any]:
    return json.loads((ROOT / "openapi" / "authpi-core.json").read_text())  # type: ignore[no-any-return]


def test_generated_files_are_current(generate: ModuleType) -> None:
    assert generate.main(["--check"]) == 0


def test_check_reports_an_edited_and_a_stray_file(
    generate: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    copy_dir = tmp_path / "generated"
    shutil.copytree(generate.PACKAGE, copy_dir, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(generate, "PACKAGE", copy_dir)
    (copy_dir / "resources" / "users.py").write_text("# edited by hand\n")
    (copy_dir / "resources" / "stray.py").write_text("")
    assert generate.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "out of date: authpi_admin/generated/resources/users.py" in err
    assert "out of date: authpi_admin/generated/resources/stray.py" in err
    assert generate.main([]) == 0
    assert not (copy_dir / "resources" / "stray.py").exists()
    assert generate.main(["--check"]) == 0


def test_check_reports_an_edited_reference_page(
    generate: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    copy_dir = tmp_path / "api"
    shutil.copytree(generate.REFERENCE, copy_dir)
    monkeypatch.setattr(generate, "REFERENCE", copy_dir)
    (copy_dir / "users.md").write_text("# edited by hand\n")
    assert generate.main(["--check"]) == 1
    assert "out of date: docs/api/users.md" in capsys.readouterr().err
    assert generate.main([]) == 0
    assert "::: authpi_admin.generated.resources.users.UsersResource" in (copy_dir / "users.md").read_text()


def test_a_method_missing_under_one_mount_is_refused(generate: ModuleType, document: dict[str, Any]) -> None:
    del document["paths"]["/v1/accounts/{account_id}/issuers/{issuer_id}/api-keys/{key_id}/block"]
    with pytest.raises(generate.DocumentError, match=r"ApiKeysResource.block is missing under"):
        generate.render_all(document)


def test_mounts_that_disagree_are_refused(generate: ModuleType, document: dict[str, Any]) -> None:
    operation = document["paths"]["/v1/accounts/{account_id}/api-keys/{key_id}/block"]["post"]
    operation["parameters"] = operation["parameters"][:-1]  # drop Idempotency-Key under one mount only
    with pytest.raises(generate.DocumentError, match=r"ApiKeysResource.block: mounts disagree"):
        generate.render_all(document)


def test_an_unknown_model_return_is_refused(generate: ModuleType, document: dict[str, Any]) -> None:
    broken = copy.deepcopy(document)
    operation = broken["paths"]["/v1/accounts/{account_id}/notes/backlinks"]["get"]
    operation["x-sdk-methods"][0]["returns"] = "Nothing"
    with pytest.raises(generate.DocumentError, match="not a model"):
        generate.render_all(broken)


def test_a_new_operation_becomes_a_thin_method(generate: ModuleType, document: dict[str, Any]) -> None:
    document["paths"]["/v1/accounts/{account_id}/issuers/{issuer_id}/users/{user_id}/lock"] = {
        "post": {
            "operationId": "lock_user",
            "summary": "Lock User",
            "parameters": [{"$ref": "#/components/parameters/idempotency_key"}],
            "responses": {"200": {"$ref": "#/components/responses/Object"}},
            "x-sdk-methods": [{"class": "UsersResource", "method": "lock"}],
        }
    }
    source = generate.render_all(document)["resources/users.py"]
    endpoint = 'Endpoint("POST", "/{user_id}/lock", as_object, "UsersResource.lock")'
    assert f"_LOCK: Endpoint[dict[str, Any]] = {endpoint}" in source
    assert "self.lock = raw_response_of(node.lock)" in source  # and its raw view has it
    assert "async def lock(self, user_id: str, *, idempotency_key: str | None = None" in source
    method = source[source.index("    async def lock(") :]
    docstring, body = method.split('"""Lock User.', 1)[1].split('"""\n', 1)
    assert "user_id: The id of the user (checked before sending)." in docstring
    body = body.splitlines()[0]
    call = "self._call(_LOCK, (user_id,), RequestOptions(timeout, headers, idempotency_key=idempotency_key))"
    assert body == f"        return await {call}"
