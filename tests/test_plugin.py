"""The pytest plugin as a user meets it: loaded in every project that installs the package."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USES_A_FIXTURE = """
def test_plain():
    assert 1 + 1 == 2

def test_with_the_emulator(authpi_emulator):
    assert authpi_emulator is not None
"""

BLOCK_THE_EXTRA = """
import sys
sys.modules["uvicorn"] = None  # as if the testing extra were not installed
"""


def test_without_the_extra_only_the_tests_that_use_a_fixture_fail_saying_what_to_install(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(BLOCK_THE_EXTRA)
    pytester.makepyfile(test_user=USES_A_FIXTURE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    output = result.stdout.str()
    hint = 'pip install "authpi-admin[testing]"'
    message = f"The AuthPI emulator needs the testing extra (uvicorn is not installed): {hint}"
    assert message in output.splitlines()  # the error's whole report: that one line
    assert "Traceback" not in output and "halted" not in output


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
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
