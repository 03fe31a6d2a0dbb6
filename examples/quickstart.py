"""The README's quick start, run against the bundled emulator over real HTTP.

    uv run examples/quickstart.py

It starts the emulator on a free loopback port, in strict mode (it refuses what today's API refuses), then
uses the SDK exactly as against the real API, in today's forms: an API key pair, the account found through
``/v1/me``, users made of ``username_type``/``username``/``profile``, an organization with a group. It lists,
walks pages, makes an ETag-guarded update and catches a typed error. Pass ``--base-url`` and ``--api-key
ID:SECRET`` to run the same steps against another server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Iterator

from authpi_admin import AuthPIAdmin, NotFoundError, PreconditionFailedError


async def quick_start(base_url: str, api_key: tuple[str, str]) -> None:
    """The steps of the README's quick start, printing what each one does."""
    async with AuthPIAdmin(api_key=api_key, base_url=base_url) as admin:
        me = await admin.whoami()
        print(f"signed in as {me['type']} {me['key_id']}, account {me['accounts'][0]['account_id']}")
        issuer = await admin.issuers.create({"name": "Quick Start Inc."})
        print(f"created issuer {issuer['id']} ({issuer['name']})")

        page = await admin.issuers.list(limit=10)
        print(f"issuers listed: {[i['id'] for i in page.data]} (has_more={page.has_more})")

        users = admin.issuer(issuer["id"]).users
        alice = await users.create(
            {"username_type": "email", "username": "alice@example.com", "profile": {"display_name": "Alice"}}
        )
        print(f"created user {alice['id']} <{alice['username']}>")
        for n in range(1, 6):
            await users.create({"username_type": "email", "username": f"user{n}@example.com", "profile": {}})

        first = await users.list(limit=2)
        print(f"first page: {len(first.data)} users, has_more={first.has_more}, next_cursor={first.next_cursor!r}")
        pages = 1
        while first.has_more:
            first = await users.list(limit=2, cursor=first.next_cursor)
            pages += 1
        print(f"walked {pages} pages by hand")
        ids = [user["user_id"] async for user in users.list_all(limit=2)]
        print(f"list_all yielded {len(ids)} users across pages")

        fetched = await admin.issuer(issuer["id"]).user(alice["id"]).get()
        print(f"read user {fetched['id']} with ETag {fetched['_etag']}")
        renamed = {"profile": {"display_name": "Alice B."}}
        updated = await users.update(alice["id"], renamed, if_match=fetched["_etag"])
        print(f"ETag-guarded update applied: profile={updated['profile']!r}, new ETag {updated['_etag']}")
        try:
            await users.update(alice["id"], {"profile": {"display_name": "Stale"}}, if_match=fetched["_etag"])
        except PreconditionFailedError as error:
            print(f"stale update refused: {type(error).__name__} (412), current_etag={error.current_etag}")

        try:
            await admin.issuer(issuer["id"]).user("usr_missing").get()
        except NotFoundError as error:
            print(f"typed error caught: {type(error).__name__}: {error}")

        org = await admin.issuer(issuer["id"]).organizations.create({"name": "Quick Start Team"})
        team = admin.issuer(issuer["id"]).organization(org["id"])
        group = await team.groups.create({"name": "Admins"})
        await team.members.create({"user_id": alice["id"]})
        print(
            f"organization {org['id']} has group {group['name']!r} and {len((await team.members.list()).data)} member"
        )

        events = [event.type async for event in admin.events.list_all()]
        print(f"the account recorded {len(events)} events, e.g. {events[:3]}")


@contextlib.contextmanager
def local_emulator() -> Iterator[tuple[str, tuple[str, str]]]:
    """Serve the bundled emulator (strict) on a free 127.0.0.1 port for the duration of the block."""
    from authpi_admin.testing import Emulator, EmulatorServer

    key_id, secret = "key_quickstart", "sec_quickstart"
    with EmulatorServer(Emulator(api_keys=[f"{key_id}:{secret}"], strict=True)) as server:
        print(f"emulator listening on {server.base_url}")
        yield server.base_url, (key_id, secret)


def main() -> None:
    """Run the quick start against the emulator, or against ``--base-url`` when given."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", help="run against this server instead of a local emulator")
    parser.add_argument("--api-key", default="key_test:secret", help="ID:SECRET of an API key for --base-url")
    args = parser.parse_args()
    if args.base_url:
        key_id, _, secret = args.api_key.partition(":")
        asyncio.run(quick_start(args.base_url, (key_id, secret)))
        return
    with local_emulator() as (base_url, api_key):
        asyncio.run(quick_start(base_url, api_key))
    print("done")


if __name__ == "__main__":
    main()
