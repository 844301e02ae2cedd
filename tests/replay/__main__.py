"""Run the replay server standalone: ``python -m tests.replay --port 8000 --shared ../shared``.

Prints the base URL, then serves until interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path

from .server import FAULT_KINDS, ReplayServer, default_shared_dir


def _fault(text: str) -> tuple[str, float]:
    kind, sep, probability = text.partition("=")
    if not sep or kind not in FAULT_KINDS:
        raise argparse.ArgumentTypeError(f"expected KIND=PROBABILITY with KIND one of {', '.join(FAULT_KINDS)}")
    return kind, float(probability)


def main(argv: list[str] | None = None) -> int:
    """Parse options, start a :class:`ReplayServer` and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m tests.replay", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port (default 8000)")
    parser.add_argument("--shared", type=Path, default=None,
                        help=f"recorded data directory (default {default_shared_dir()})")
    parser.add_argument("--rate-limit", type=int, default=None, help="requests per interval (default: pool's)")
    parser.add_argument("--rate-interval", type=float, default=1.0)
    parser.add_argument("--concurrency-limit", type=int, default=None, help="in flight (default: pool's)")
    parser.add_argument("--no-limits", action="store_true", help="announce limits but never answer 429")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each answer")
    parser.add_argument("--retry-after", type=int, default=1)
    parser.add_argument("--no-retry-after", action="store_true", help="send 429s without retry-after")
    parser.add_argument("--fault", type=_fault, action="append", default=[], metavar="KIND=P",
                        help=f"inject a fault with probability P; KIND in {', '.join(FAULT_KINDS)}")
    parser.add_argument("--fault-seed", type=int, default=0)
    parser.add_argument("--fault-paths", default=None, help="regexp: only matching paths get faults")
    parser.add_argument("--stall-seconds", type=float, default=30.0)
    parser.add_argument("--fail-first", type=int, default=0, help="answer the first N requests 503")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s")

    server = ReplayServer(
        args.shared,
        host=args.host,
        port=args.port,
        rate_limit=args.rate_limit,
        rate_interval=args.rate_interval,
        concurrency_limit=args.concurrency_limit,
        enforce_limits=not args.no_limits,
        latency=args.latency,
        retry_after=args.retry_after,
        send_retry_after=not args.no_retry_after,
        faults=dict(args.fault) or None,
        fault_seed=args.fault_seed,
        fault_paths=args.fault_paths,
        stall_seconds=args.stall_seconds,
        fail_first=args.fail_first,
    ).start()
    print(server.url, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    try:
        done.wait()
    finally:
        server.stop()
        stats = server.stats
        print(f"served {stats['requests']} requests: {dict(stats['status'])}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
