"""``python -m authpi_admin.testing serve [--host 127.0.0.1] [--port 8787] [--api-key KEY]``."""

from __future__ import annotations

import argparse
import contextlib
import sys

from . import MissingExtraError, require_extra


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m authpi_admin.testing", description="A local AuthPI emulator.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the emulator over HTTP until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8787, help="port to listen on; 0 picks a free one (default: 8787)")
    serve.add_argument(
        "--api-key",
        default="key_test:sec_test",
        help="the API key it accepts: ID:SECRET for a key pair (HTTP Basic), else a bearer key "
        "(default: key_test:sec_test)",
    )
    serve.add_argument("--account-id", default="acc_test", help="the account the key belongs to (default: acc_test)")
    serve.add_argument("--strict", action="store_true", help="refuse what today's API refuses (see Emulator)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the emulator in the foreground and print how to reach it; 2 with a one-line error if it cannot."""
    args = _parser().parse_args(argv)
    if not 0 <= args.port <= 65535:
        print(f"error: --port must be from 0 to 65535 (0 picks a free one), not {args.port}", file=sys.stderr)
        return 2
    try:
        require_extra()
    except MissingExtraError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from .app import Emulator
    from .server import EmulatorServer

    emulator = Emulator(api_keys=[args.api_key], account_id=args.account_id, strict=args.strict)
    try:
        server = EmulatorServer(emulator, host=args.host, port=args.port)
    except OSError as error:  # a busy port, an address this machine does not have, no permission
        print(f"error: cannot listen on {args.host}:{args.port}: {error.strerror or error}", file=sys.stderr)
        return 2
    print(f"AuthPI emulator listening on {server.listen_address}", flush=True)
    key_id, colon, secret = args.api_key.partition(":")
    api_key = f'("{key_id}", "{secret}")' if colon else f'"{args.api_key}"'
    print(f"  base_url: {server.base_url}", flush=True)
    print(f"  api_key:  {args.api_key}", flush=True)
    print(f'  AuthPIAdmin(api_key={api_key}, base_url="{server.base_url}")', flush=True)
    if not server.is_loopback:
        print("  (from other machines, http:// needs AuthPIAdmin(..., allow_insecure_http=True))", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
