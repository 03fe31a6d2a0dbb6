"""``python -m authpi_admin.testing serve [--host 127.0.0.1] [--port 8787] [--api-key KEY] [--strict]
[--control-key KEY] [--seed FILE] [--state FILE] [--deliver-anywhere]``."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from types import FrameType

from . import MissingExtraError, require_extra
from .control import DEFAULT_CONTROL_KEY


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
    serve.add_argument(
        "--control-key",
        default=DEFAULT_CONTROL_KEY,
        help=f"the bearer key of the control API, /_emulator (default: {DEFAULT_CONTROL_KEY})",
    )
    serve.add_argument("--seed", metavar="FILE", help='objects to start with: {"objects": [{"collection", "data"}]}')
    serve.add_argument(
        "--state",
        metavar="FILE",
        help="keep the state across restarts: loaded at start (if the file exists), written on stop",
    )
    serve.add_argument(
        "--deliver-anywhere",
        action="store_true",
        help="deliver webhooks to any host (default: loopback addresses only)",
    )
    return parser


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # stop as Ctrl-C does, so the state is written before the process ends


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
    from .snapshot import EmulatorFileError, load_seed, load_state, save_state

    emulator = Emulator(
        api_keys=[args.api_key],
        account_id=args.account_id,
        strict=args.strict,
        control_key=args.control_key,
        deliver_anywhere=args.deliver_anywhere,
    )
    try:
        restored = args.state is not None and load_state(emulator, args.state)
        if args.seed is not None and not restored:  # a restored state holds what the seed made at first
            load_seed(emulator, args.seed)
    except EmulatorFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
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
    print(f"  control:  {server.base_url}/_emulator (Authorization: Bearer {args.control_key})", flush=True)
    if not server.is_loopback and args.control_key == DEFAULT_CONTROL_KEY:
        print("  (others can reach it: pass --control-key with a secret of your own)", flush=True)
    if restored:
        print(f"  state:    restored from {args.state}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    finally:
        emulator.close()
        if args.state is not None:
            save_state(emulator, args.state)
            print(f"state written to {args.state}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
