"""``python -m authpi_admin.testing serve [--host 127.0.0.1] [--port 8787] [--api-key KEY] [--strict]
[--control-key KEY] [--seed FILE] [--state FILE] [--save-every SECONDS] [--deliver-anywhere]
[--deliver-locally]``."""

from __future__ import annotations

import argparse
import contextlib
import math
import signal
import sys
from types import FrameType

from .._validation import is_loopback_host
from . import MissingExtraError, require_extra
from .control import DEFAULT_CONTROL_KEY

# The key pair `serve` takes by default (the same as app.DEFAULT_KEY_PAIR, which loads the emulator).
_DEFAULT_API_KEY = "key_test:sec_test"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m authpi_admin.testing", description="A local AuthPI emulator.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the emulator over HTTP until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8787, help="port to listen on; 0 picks a free one (default: 8787)")
    serve.add_argument(
        "--api-key",
        default=_DEFAULT_API_KEY,
        help="the API key it accepts: ID:SECRET for a key pair (HTTP Basic), else a bearer key "
        f"(default: {_DEFAULT_API_KEY}; beyond loopback, give your own)",
    )
    serve.add_argument("--account-id", default="acc_test", help="the account the key belongs to (default: acc_test)")
    serve.add_argument("--strict", action="store_true", help="refuse what today's API refuses (see Emulator)")
    serve.add_argument(
        "--control-key",
        default=DEFAULT_CONTROL_KEY,
        help=f"the bearer key of the control API, /_emulator (default: {DEFAULT_CONTROL_KEY}; beyond loopback, "
        "give your own)",
    )
    serve.add_argument("--seed", metavar="FILE", help='objects to start with: {"objects": [{"collection", "data"}]}')
    serve.add_argument(
        "--state",
        metavar="FILE",
        help="keep the state across restarts: loaded at start (if the file exists), written while it changes "
        "and on stop",
    )
    serve.add_argument(
        "--save-every",
        metavar="SECONDS",
        type=float,
        default=10.0,
        help="with --state, how often a changed state is written (default: 10): a kill loses at most this much",
    )
    serve.add_argument(
        "--deliver-anywhere",
        action="store_true",
        help="deliver webhooks to any host (default: loopback addresses only)",
    )
    serve.add_argument(
        "--deliver-locally",
        action="store_true",
        help="beyond loopback, deliver webhooks to loopback and private addresses too (off: others who reach "
        "the emulator could aim this machine at its own services)",
    )
    return parser


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # stop as Ctrl-C does, so the state is written before the process ends


def _refusal(args: argparse.Namespace) -> str | None:
    """Why ``serve`` will not start with these arguments (checked before anything is loaded), or None."""
    if not 0 <= args.port <= 65535:
        return f"--port must be from 0 to 65535 (0 picks a free one), not {args.port}"
    if not (math.isfinite(args.save_every) and 0.1 <= args.save_every <= 86_400):
        return f"--save-every must be a number of seconds from 0.1 to 86400, not {args.save_every:g}"
    default_key = args.api_key == _DEFAULT_API_KEY or args.control_key == DEFAULT_CONTROL_KEY
    if default_key and not is_loopback_host(args.host):
        return (
            f"--host {args.host} lets other machines reach the emulator, and its default keys are public: "
            "give keys of your own with --api-key ID:SECRET and --control-key KEY"
        )
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the emulator in the foreground and print how to reach it; 2 with a one-line error if it cannot."""
    args = _parser().parse_args(argv)
    refused = _refusal(args)
    if refused is None:
        try:
            require_extra()
        except MissingExtraError as error:
            refused = str(error)
    if refused is not None:
        print(f"error: {refused}", file=sys.stderr)
        return 2
    from .app import Emulator, key_pair
    from .server import EmulatorServer
    from .snapshot import EmulatorFileError, StateSaver, check_writable, load_seed, load_state

    try:
        emulator = Emulator(
            api_keys=[args.api_key],
            account_id=args.account_id,
            strict=args.strict,
            control_key=args.control_key,
            deliver_anywhere=args.deliver_anywhere,
            deliver_locally=args.deliver_locally,
        )
    except ValueError as error:  # an empty key
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        if args.state is not None:
            check_writable(args.state)
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
    pair = key_pair(args.api_key)
    api_key = f'("{pair[0]}", "{pair[1]}")' if pair is not None else f'"{args.api_key}"'
    print(f"  base_url: {server.base_url}", flush=True)
    print(f"  api_key:  {args.api_key}", flush=True)
    print(f'  AuthPIAdmin(api_key={api_key}, base_url="{server.base_url}")', flush=True)
    if not server.is_loopback:
        print("  (from other machines, http:// needs AuthPIAdmin(..., allow_insecure_http=True))", flush=True)
    print(f"  control:  {server.base_url}/_emulator (Authorization: Bearer {args.control_key})", flush=True)
    if restored:
        print(f"  state:    restored from {args.state}", flush=True)
    if args.state is not None:
        print(f"  state:    written to {args.state} every {args.save_every:g} s while it changes, and on stop")
    print("Press Ctrl-C to stop.", flush=True)
    saver = StateSaver(emulator, args.state, args.save_every, restored=restored).start() if args.state else None
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    finally:
        emulator.close()
        kept = saver.stop() if saver is not None else True
    if not kept:
        return 1  # the saver said why, in one line
    if saver is not None:
        print(f"state kept in {args.state}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
