"""``python -m authpi_admin.testing serve [--host 127.0.0.1] [--port 8787] [--api-key KEY]``."""

from __future__ import annotations

import argparse
import contextlib
import sys

from .app import Emulator
from .server import EmulatorServer


def main(argv: list[str] | None = None) -> int:
    """Run the emulator in the foreground and print how to reach it."""
    parser = argparse.ArgumentParser(prog="python -m authpi_admin.testing", description="A local AuthPI emulator.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the emulator over HTTP until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8787, help="port to listen on; 0 picks a free one (default: 8787)")
    serve.add_argument("--api-key", default="key_test", help="the API key the emulator accepts (default: key_test)")
    serve.add_argument("--account-id", default="acc_test", help="the account the key belongs to (default: acc_test)")
    args = parser.parse_args(argv)
    server = EmulatorServer(
        Emulator(api_keys=[args.api_key], account_id=args.account_id), host=args.host, port=args.port
    )
    print(f"AuthPI emulator listening on {server.base_url}", flush=True)
    print(f"  base_url: {server.base_url}", flush=True)
    print(f"  api_key:  {args.api_key}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
