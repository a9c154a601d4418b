"""Interrupts that always work: SIGINT and SIGTERM stop a run within seconds, whatever it is blocked in.

The first signal raises KeyboardInterrupt in the main thread, so the run unwinds through its context
managers: faults heal (recorded in the history), the cluster is removed. It also arms a watchdog: if the
process has not ended ``grace_s`` later (a wait that would not return, a client library that blocks at
exit), the watchdog removes every container and network this process created and ends it with 130.
A second signal does the same at once. Removing the containers heals every fault too: iptables rules,
paused and stopped brokers all live in the containers.

A shell runs background jobs with SIGINT ignored; that choice is kept (SIGTERM is always handled).
"""

from __future__ import annotations

import os
import signal
import sys
import threading

EXIT_INTERRUPTED = 130
GRACE_S = 30.0


class Interrupts:
    def __init__(self, grace_s: float = GRACE_S):
        self.grace_s = grace_s
        self.signals = 0
        self._done = threading.Event()

    def install(self) -> Interrupts:
        for sig in (signal.SIGINT, signal.SIGTERM):
            if sig == signal.SIGINT and signal.getsignal(sig) == signal.SIG_IGN:
                continue
            signal.signal(sig, self._handle)
        return self

    def finished(self) -> None:
        """The run unwound on its own: the watchdog has nothing to do."""
        self._done.set()

    def _handle(self, signum: int, frame) -> None:
        self.signals += 1
        if self.signals == 1:
            threading.Thread(target=self._watchdog, name="interrupt-watchdog", daemon=True).start()
            raise KeyboardInterrupt
        force_exit(f"second {signal.Signals(signum).name}")

    def _watchdog(self) -> None:
        if not self._done.wait(self.grace_s):
            force_exit(f"still unwinding {self.grace_s:g} s after the interrupt")


def force_exit(why: str) -> None:
    """Remove what this process created, say so in one line, and end the process now."""
    try:
        from harness.cluster.cleanup import clean_owned

        containers, networks = clean_owned()
        done = f"removed {containers} container(s) and {networks} network(s)"
    except Exception as exc:  # the engine itself may be what hangs; say so rather than hang again
        done = f"could not remove this run's containers ({type(exc).__name__}); run `kafka-chaos clean`"
    try:
        sys.stdout.flush()
        sys.stderr.write(f"kafka-chaos: interrupted ({why}); {done}\n")
        sys.stderr.flush()
    finally:
        os._exit(EXIT_INTERRUPTED)
