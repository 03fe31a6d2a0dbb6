"""The documentation site: it builds strictly, its search index finds every public name of the SDK, every
page is in the navigation, and the performance page shows the last benchmark run."""

from __future__ import annotations

import html
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

# the site's tools are the docs dependency group, which CI installs for this module
pytest.importorskip("mkdocs", reason="needs the docs group: uv run --group docs pytest tests/test_docs_site.py")
import yaml  # comes with mkdocs

import authpi_admin
from authpi_admin import errors, testing
from authpi_admin.generated import inputs, models, resources, scopes

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built as CI builds it: ``mkdocs build --strict`` (a warning fails it)."""
    target = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return target


@pytest.fixture(scope="module")
def anchors(site: Path) -> set[str]:
    """Every anchor the search index can take a reader to (``authpi_admin.errors.NotFoundError``, ...)."""
    index = json.loads((site / "search" / "search_index.json").read_text())
    return {entry["location"].partition("#")[2] for entry in index["docs"]}


def _public_methods(cls: type) -> list[str]:
    return [
        name
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, property))
    ]


def test_every_method_of_every_resource_and_scope_is_found(anchors: set[str]) -> None:
    missing = []
    for package in (resources, scopes):
        for class_name in package.__all__:
            cls = getattr(package, class_name)
            path = f"{cls.__module__}.{class_name}"
            missing += [f"{path}" for _ in [0] if path not in anchors]
            missing += [f"{path}.{m}" for m in _public_methods(cls) if f"{path}.{m}" not in anchors]
    assert missing == []
    assert len(anchors) > 600


def test_the_client_errors_types_and_emulator_are_found(anchors: set[str]) -> None:
    wanted = [f"authpi_admin.AuthPIAdmin.{m}" for m in _public_methods(authpi_admin.AuthPIAdmin)]
    wanted += [f"authpi_admin.errors.{name}" for name in errors.__all__ if isinstance(getattr(errors, name), type)]
    wanted += [f"authpi_admin.generated.inputs.{name}" for name in inputs.__all__]
    wanted += [f"authpi_admin.generated.models.{name}" for name in models.__all__ if _is_model(name)]
    wanted += [f"authpi_admin.testing.{name}" for name in testing.__all__ if isinstance(getattr(testing, name), type)]
    wanted += [f"authpi_admin.testing.Emulator.{m}" for m in _public_methods(testing.Emulator)]
    wanted += [f"authpi_admin.testing.EmulatorControl.{m}" for m in _public_methods(testing.EmulatorControl)]
    wanted += ["authpi_admin.pagination.Page", "authpi_admin.retries.RetryConfig", "authpi_admin.retries.RetryPolicy"]
    assert [name for name in wanted if name not in anchors] == []


def _is_model(name: str) -> bool:
    value = getattr(models, name)
    return isinstance(value, type) and value.__name__ == name  # not an alias kept for 0.3.0 code


def test_every_page_is_in_the_navigation() -> None:
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    listed = set(re.findall(r"[\w/-]+\.md", json.dumps(config["nav"])))
    pages = {str(path.relative_to(ROOT / "docs")) for path in (ROOT / "docs").rglob("*.md")}
    assert pages == listed


def test_the_performance_page_shows_the_last_benchmark_run(site: Path) -> None:
    page = html.unescape((site / "guides" / "performance.html").read_text())
    lines = (ROOT / "benchmarks" / "results.md").read_text().splitlines()
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines if line.startswith("| ")][1:]
    assert len(rows) >= 15
    for measure, value, target, *_ in rows:
        assert f"<td>{measure}</td>\n<td>{value}</td>\n<td>{target}</td>" in page
    assert page.count("<rect") == len(rows)  # one bar a row, each row having a numeric target


def test_the_reference_pages_are_generated_and_current() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/generate.py", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr


_ROLE = re.compile(r":(?:class|meth|func|data|attr|mod|exc|obj|ref):[`~\w.]")
_TAG = re.compile(r"<[^>]+>")


def _text_of(page: Path) -> str:
    """What a reader sees of a page: its HTML without tags (code blocks included), entities decoded."""
    return html.unescape(_TAG.sub("", page.read_text()))


def test_no_cross_reference_is_shown_as_role_text(site: Path) -> None:
    """A reStructuredText role (``:class:`ApiError```) does not render in Markdown docstrings: each must be
    a link instead. Every page of the site is read as a reader sees it."""
    shown = []
    for page in sorted(site.rglob("*.html")):
        text = _text_of(page)
        shown += [
            f"{page.relative_to(site)}: ...{text[max(0, m.start() - 40) : m.end() + 40]}..."
            for m in _ROLE.finditer(text)
        ]
    assert shown == []


def test_returns_sections_name_what_comes_back(site: Path) -> None:
    """A Returns table has one row per thing returned: never a row made of a sentence's first word."""
    bogus = []
    for page in sorted((site / "api").rglob("*.html")):
        source = page.read_text()
        bogus += [
            f"{page.relative_to(site)}: {row}"
            for row in re.findall(r"<td>\s*<code>(One|The|What|None:)</code>", source)
        ]
    assert bogus == []


@pytest.fixture(scope="module")
def prefixed_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built to be served below a path (AUTHPI_DOCS_URL), as a project site often is."""
    target = tmp_path_factory.mktemp("prefixed-site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "AUTHPI_DOCS_URL": "https://docs.test/authpi-admin/"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return target


@pytest.mark.parametrize("root", ["/", "/authpi-admin/"])
def test_the_not_found_page_works_at_any_missing_path(root: str, site: Path, prefixed_site: Path) -> None:
    """A host shows 404.html for any missing path, however deep: each of its links and assets must resolve
    from there to a file of the site (or leave the site), whether the site is served at a root or below a
    path."""
    from urllib.parse import urljoin, urlsplit

    built = site if root == "/" else prefixed_site
    page = (built / "404.html").read_text()
    links = re.findall(r'(?:href|src)="([^"]+)"', page)
    assert len(links) > 20
    broken = []
    for where in (f"https://docs.test{root}nope.html", f"https://docs.test{root}guides/deeper/still/nope.html"):
        for link in links:
            target = urlsplit(urljoin(where, link))
            if target.netloc != "docs.test":
                continue  # outside the site
            inside = target.path.startswith(root) and (built / target.path[len(root) :]).is_file()
            if not inside:
                broken.append(f"{link} from {where}")
    assert broken == []
