"""A consumer group of the workload: its members' processes, started, killed, paused and replaced.

Each member runs ``harness.workload.group_member`` in a process of its own and reports its ops on its
stdout; a thread per member writes them to the history, timed as the member timed them. The nemesis's
``member-kill`` and ``member-pause`` faults act on a ``ConsumerGroup`` through ``kill``, ``pause``,
``resume`` and ``replace``. Every member ends by itself at the group's end time, so nothing outlives the
run even if the harness itself is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from harness.history.relay import relay
from harness.history.schema import MemberEvent, Phase
from harness.history.writer import HistoryWriter
from harness.run.scenario import GroupSpec
from harness.workload.group_member import MemberConfig

STOP_WAIT_S = 15.0
"""How long a member is given to leave the group cleanly (SIGTERM) before it is killed."""


@dataclass
class Member:
    """One running member process (the current one for its index: a replacement is a new ``Member``)."""

    index: int
    process: str
    popen: subprocess.Popen
    stderr: tempfile._TemporaryFileWrapper
    reader: threading.Thread | None = None
    killed: bool = False
    paused: bool = False

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class ConsumerGroup:
    spec: GroupSpec
    topic: str
    bootstrap: str
    history: HistoryWriter
    end: float
    """``time.monotonic()`` when every member leaves and exits."""
    prefix: str = ""
    """Put before the members' process names (a lane's ``l<n>-``)."""
    members: dict[int, Member] = field(default_factory=dict)
    replacements: dict[int, int] = field(default_factory=dict)
    stopped: bool = False
    """Set by ``stop``: no member is started after it (a heal's replacement comes too late)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def group_id(self) -> str:
        return self.spec.group_id(self.topic)

    def _event(self, member: int, event: str, pid: int | None) -> MemberEvent:
        return MemberEvent(group=self.group_id, topic=self.topic, member=member, event=event, pid=pid)

    def start(self) -> ConsumerGroup:
        for i in range(self.spec.members):
            self._spawn(i)
        return self

    def _spawn(self, index: int) -> Member | None:
        """Start member ``index`` (its k-th replacement after k kills); None once the group is stopped. Holding
        the lock from the check to the registration, a stop cannot miss a member started meanwhile."""
        with self._lock:
            if self.stopped:
                return None
            return self._spawn_locked(index)

    def _spawn_locked(self, index: int) -> Member:
        k = self.replacements.get(index, 0)
        process = f"{self.prefix}group-{self.spec.name}-{index}" + (f"-r{k}" if k else "")
        cfg = MemberConfig(process=process, group_id=self.group_id, member=index, topic=self.topic,
                           bootstrap=self.bootstrap, protocol=self.spec.protocol, commit=self.spec.commit,
                           history_start=self.history.start, end=self.end,
                           auto_commit_interval_ms=self.spec.auto_commit_interval_ms,
                           session_timeout_ms=self.spec.session_timeout_ms,
                           settings={k: v for k, v in self.spec.settings.items()})
        err = tempfile.TemporaryFile(mode="w+", prefix="kafka-chaos-member-")
        popen = subprocess.Popen([sys.executable, "-m", "harness.workload.group_member", cfg.to_arg()],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, text=True,
                                 env={**os.environ, "PYTHONUNBUFFERED": "1"})
        member = Member(index, process, popen, err)
        self.history.ok(process, self._event(index, "started", popen.pid))
        member.reader = threading.Thread(target=self._relay, args=(member,), name=f"relay-{process}", daemon=True)
        member.reader.start()
        self.members[index] = member
        return member

    def _relay(self, member: Member) -> None:
        """Write the member's reports to the history until its stdout closes, then say how it ended."""
        assert member.popen.stdout is not None
        relay(member.popen.stdout, self.history, member.process,
              bad=lambda why: self.history.info(member.process, Phase(phase="workload"), error=why))
        rc = member.popen.wait()
        if member.killed:
            return  # the kill is its end, already recorded
        if rc == 0:
            return  # it closed cleanly and said so
        member.stderr.seek(0)
        last = [line for line in member.stderr.read().splitlines() if line.strip()][-1:] or [f"exit code {rc}"]
        self.history.info(member.process, self._event(member.index, "exited", member.pid), error=last[0][:500])

    # -- what faults do ------------------------------------------------------------------------------------

    def member(self, index: int) -> Member:
        with self._lock:
            return self.members[index]

    def alive(self) -> list[int]:
        with self._lock:
            return [i for i, m in sorted(self.members.items()) if m.alive() and not m.paused]

    def kill(self, index: int) -> Member:
        m = self.member(index)
        m.killed = True
        m.popen.send_signal(signal.SIGKILL)
        self.history.ok(m.process, self._event(index, "killed", m.pid))
        return m

    def replace(self, index: int) -> Member | None:
        """Start a new member in a killed one's place (an application restarted); None after the group's end
        or once it is stopped."""
        if time.monotonic() >= self.end - 1.0:
            return None
        with self._lock:
            if self.stopped:
                return None
            old = self.members[index]
            if old.alive():
                return old
            self.replacements[index] = self.replacements.get(index, 0) + 1
            return self._spawn_locked(index)

    def pause(self, index: int) -> Member:
        m = self.member(index)
        m.popen.send_signal(signal.SIGSTOP)
        m.paused = True
        self.history.ok(m.process, self._event(index, "paused", m.pid))
        return m

    def resume(self, index: int) -> Member:
        m = self.member(index)
        if m.paused and m.alive():
            m.popen.send_signal(signal.SIGCONT)
            self.history.ok(m.process, self._event(index, "resumed", m.pid))
        m.paused = False
        return m

    def stop(self, within_s: float = STOP_WAIT_S, clean: bool = True) -> None:
        """Every member leaves (SIGTERM: a clean close) within ``within_s``; one still there then is killed.
        ``clean`` False: killed at once (an interrupted run)."""
        with self._lock:
            self.stopped = True
            members = list(self.members.values())
        for m in members:
            if m.alive():
                if m.paused:
                    m.popen.send_signal(signal.SIGCONT)
                    m.paused = False
                m.popen.send_signal(signal.SIGTERM if clean else signal.SIGKILL)
        deadline = time.monotonic() + within_s
        for m in members:
            try:
                m.popen.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                m.popen.kill()
                try:
                    m.popen.wait(5)
                except subprocess.TimeoutExpired:
                    pass  # a process that outlives SIGKILL for 5 s: nothing more can be done from here
            if m.reader is not None:
                m.reader.join(max(0.0, deadline - time.monotonic()) + 2.0)
            if m.reader is None or not m.reader.is_alive():
                m.stderr.close()
