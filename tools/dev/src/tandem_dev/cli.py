"""`tandem-dev run` starts everything and stops it on Ctrl-C; `tandem-dev token` prints a JWT."""

from __future__ import annotations

import argparse
import signal
import sys
import time

from tandem_dev.system import SERVICES, System
from tandem_kit.auth import TokenVerifier
from tandem_kit.settings import DEV_SECRET, AuthSettings


def _say(message: str) -> None:
    print(f"[tandem {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run() -> int:
    system = System(progress=_say)
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        system.start()
        s = system.settings
        print(
            f"""
Tandem is running (data in {s.data_dir.resolve()}, logs in {s.data_dir.resolve()}/logs).

  Gateway (one base URL):  {system.gateway_url}        API docs: {system.gateway_url}/docs
"""
            + "\n".join(
                f"  {svc:<12} service:   {system.service_url(svc)}        "
                f"docs: {system.service_url(svc)}/docs"
                for svc in SERVICES
            )
            + f"""
  Broker:                  {system.kafka_bootstrap}

Get a development token:
  curl -s -X POST {system.gateway_url}/auth/token -H 'content-type: application/json' \\
       -d '{{"subject": "alice", "roles": ["admin"]}}'
Then call the API with it:
  curl -s {system.gateway_url}/api/v1/customers -H "authorization: Bearer $TOKEN"

Press Ctrl-C to stop everything.
""",
            flush=True,
        )
        while True:
            time.sleep(1)
            if dead := system.dead():
                for name in dead:
                    _say(f"{name} stopped unexpectedly:\n{system.processes[name].log_tail()}")
                return 1
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, TimeoutError) as exc:
        _say(f"failed to start: {exc}")
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _say("stopping every process")
        system.stop()
        _say("stopped")


def token(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tandem-dev token")
    parser.add_argument("--subject", default="dev")
    parser.add_argument("--roles", default="admin", help="comma-separated")
    args = parser.parse_args(argv)
    verifier = TokenVerifier(AuthSettings(development=True, secret=DEV_SECRET))
    print(verifier.issue(args.subject, [r for r in args.roles.split(",") if r]))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="tandem-dev")
    parser.add_argument("command", choices=["run", "token"])
    args, rest = parser.parse_known_args()
    sys.exit(run() if args.command == "run" else token(rest))


if __name__ == "__main__":
    main()
