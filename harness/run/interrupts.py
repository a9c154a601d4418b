"""Interrupts that always work: SIGINT and SIGTERM stop a run within seconds, whatever it is blocked in.

The first signal raises KeyboardInterrupt in the main thread, so the run unwinds through its context
managers: faults heal (recorded in the history), the cluster is removed. It also arms a watchdog: if the
process has not ended ``grace_s`` later, the watchdog removes every container and network this process
created and ends it with 130. A second signal does the same at once. Removing the containers heals
every fault too: iptables rules, paused and stopped brokers all live in the containers.

The watchdog does not depend on the main thread: Python runs a signal handler only when the main thread
comes back to the interpreter, which it may not do while stuck in a C call. The C-level handler also
writes the signal's number to a wake-up pipe (``signal.set_wakeup_fd``), and a watcher thread reading it
counts signals and keeps the deadline itself. The last resort is bounded too: a Docker engine that does
not answer cannot hold the process past ``CLEAN_S``.

A shell runs background jobs with SIGINT ignored; that choice is kept (SIGTERM is always handled).
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading

EXIT_INTERRUPTED = 130
GRACE_S = 30.0
CLEAN_S = 15.0
"""How long the last resort waits for the engine to remove this process's containers."""


class Interrupts:
    def __init__(self, grace_s: float = GRACE_S):
        self.grace_s = grace_s
        self._done = threading.Event()
        self._first = threading.Event()
        self._signals = 0
        self._lock = threading.Lock()

    def install(self) -> Interrupts:
        """Call from the main thread, once."""
        handled = [s for s in (signal.SIGINT, signal.SIGTERM)
                   if not (s == signal.SIGINT and signal.getsignal(s) == signal.SIG_IGN)]
        for sig in handled:
            signal.signal(sig, self._raise)
        reader, writer = socket.socketpair()
        writer.setblocking(False)
        signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        self._pipe = (reader, writer)  # kept open for the life of the process
        threading.Thread(target=self._watch_pipe, args=(reader, {int(s) for s in handled}),
                         name="interrupt-pipe", daemon=True).start()
        threading.Thread(target=self._watchdog, name="interrupt-watchdog", daemon=True).start()
        return self

    def finished(self) -> None:
        """The run unwound on its own: the watchdog has nothing to do."""
        self._done.set()

    def _raise(self, signum: int, frame) -> None:
        raise KeyboardInterrupt

    def _watch_pipe(self, reader: socket.socket, handled: set[int]) -> None:
        while True:
            data = reader.recv(64)
            if not data:
                return
            for signum in data:
                if signum in handled:
                    self._count(signum)

    def _count(self, signum: int) -> None:
        with self._lock:
            self._signals += 1
            second = self._signals >= 2
        if second:
            force_exit(f"second {signal.Signals(signum).name}")
        self._first.set()

    def _watchdog(self) -> None:
        self._first.wait()
        if not self._done.wait(self.grace_s):
            force_exit(f"still unwinding {self.grace_s:g} s after the interrupt")


def clean_owned_within(timeout_s: float = CLEAN_S) -> str:
    """Remove what this process created, waiting at most ``timeout_s``; says what happened."""
    outcome: list[str] = []

    def clean() -> None:
        try:
            from harness.cluster.cleanup import clean_owned

            containers, networks = clean_owned()
            outcome.append(f"removed {containers} container(s) and {networks} network(s)")
        except Exception as exc:
            outcome.append(f"could not remove this run's containers ({type(exc).__name__}); run `kafka-chaos clean`")

    t = threading.Thread(target=clean, name="clean-owned", daemon=True)
    t.start()
    t.join(timeout_s)
    return outcome[0] if outcome else "the Docker engine did not answer in time; run `kafka-chaos clean`"


def force_exit(why: str) -> None:
    """Remove what this process created (bounded), say so in one line, and end the process now."""
    done = clean_owned_within()
    try:
        sys.stdout.flush()
        sys.stderr.write(f"kafka-chaos: interrupted ({why}); {done}\n")
        sys.stderr.flush()
    finally:
        os._exit(EXIT_INTERRUPTED)
