"""The pytest plugin as a user meets it: loaded in every project that installs the package."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USES_A_FIXTURE = """
def test_plain():
    assert 1 + 1 == 2

def test_with_the_emulator(authpi_emulator):
    assert authpi_emulator is not None

async def test_with_the_client(authpi_client):
    assert (await authpi_client.issuers.list()).data == []

def test_over_a_socket(authpi_server):
    assert authpi_server.base_url.startswith("http://127.0.0.1:")
"""

BLOCK_THE_EXTRA = """
import sys
sys.modules["uvicorn"] = None  # as if the testing extra were not installed
"""


def test_without_the_extra_only_serving_fails_saying_what_to_install(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(BLOCK_THE_EXTRA)
    pytester.makepyfile(test_user=USES_A_FIXTURE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-o", "asyncio_mode=auto")
    result.assert_outcomes(passed=3, errors=1)  # the in-process emulator needs no extra
    output = result.stdout.str()
    hint = 'pip install "authpi-admin[testing]"'
    message = f"Serving the AuthPI emulator needs the testing extra (uvicorn is not installed): {hint}"
    assert message in output.splitlines()  # the error's whole report: that one line
    assert "Traceback" not in output and "halted" not in output


@pytest.mark.parametrize("mode", ["auto", "strict"])
def test_the_client_fixture_is_closed_after_the_test_in_either_asyncio_mode(
    pytester: pytest.Pytester, mode: str
) -> None:
    pytester.makepyfile(
        test_user="""
import pytest

seen = []

@pytest.mark.asyncio
async def test_uses_it(authpi_client):
    seen.append(authpi_client)
    assert not authpi_client.http.is_closed

def test_it_was_closed():
    assert seen and seen[0].http.is_closed
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-o", f"asyncio_mode={mode}")
    result.assert_outcomes(passed=2)


def test_loading_the_plugin_imports_no_emulator_code(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user="""
import sys

def test_nothing_heavy_is_imported():
    heavy = {"starlette", "uvicorn", "authpi_admin.testing.app", "pydantic"}
    assert heavy.isdisjoint(sys.modules)
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:asyncio", "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=1)


def test_with_the_extra_the_fixtures_work(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USES_A_FIXTURE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-o", "asyncio_mode=auto")
    result.assert_outcomes(passed=4)


def _readme_pytest_configuration() -> str:
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    (block,) = [b for b in re.findall(r"```toml\n(.*?)```", readme, flags=re.DOTALL) if "asyncio_mode" in b]
    return str(block)


def test_the_readmes_pytest_configuration_runs_warning_free_under_w_error(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(_readme_pytest_configuration())
    pytester.makepyfile(
        test_user="""
async def test_with_the_client(authpi_client):
    assert (await authpi_client.issuers.list()).data == []
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=1, warnings=0)
