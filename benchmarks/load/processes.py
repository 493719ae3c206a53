"""The processes of the load test: web servers, mail workers, Locust, each in a process group of its own.

Every process is started with ``start_new_session=True`` and stopped through its own process group (its
id is the process's), so nothing else on the machine is ever signalled. ``Supervisor`` restarts a mail
worker that exits by itself (a worker stops when it loses the database), as systemd or supervisord
would in production, and writes down each restart.
"""

import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    def __init__(self, name, command, env, cwd, log_path):
        self.name = name
        self.command = command
        self.env = env
        self.cwd = cwd
        self.log_path = log_path
        self.popen = None
        self.wanted = False  # should be running (the supervisor restarts it otherwise)
        self.starts = 0

    def start(self):
        log = open(self.log_path, "ab")
        try:
            self.popen = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        self.wanted = True
        self.starts += 1
        return self

    @property
    def pid(self):
        return self.popen.pid if self.popen else None

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def signal_group(self, sig):
        if self.popen is None:
            return
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, timeout=15.0, sig=signal.SIGTERM):
        """Ask the process group to stop; kill it after ``timeout`` seconds."""
        self.wanted = False
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.signal_group(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                self.popen.wait(10)
        # Children left behind in the group (none expected): gone too.
        self.signal_group(signal.SIGKILL)
        return self.popen.returncode


class Supervisor(threading.Thread):
    """Restart the processes that should run and exited by themselves; record each restart."""

    def __init__(self, processes, clock, delay=1.0):
        super().__init__(daemon=True, name="supervisor")
        self.processes = processes
        self.clock = clock
        self.delay = delay
        self.restarts = []
        self.halt = threading.Event()
        self.lock = threading.Lock()

    def run(self):
        while not self.halt.wait(0.5):
            for process in self.processes:
                with self.lock:
                    if process.wanted and process.popen is not None and process.popen.poll() is not None:
                        code = process.popen.returncode
                        time.sleep(self.delay)
                        if not process.wanted or self.halt.is_set():
                            continue
                        process.start()
                        self.restarts.append({"process": process.name, "exit_code": code, "at": self.clock()})


def wait_http(url, timeout=90.0, expect=200):
    """Wait until ``url`` answers ``expect``; True when it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == expect:
                    return True
        except urllib.error.HTTPError as error:
            if error.code == expect:
                return True
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.3)
    return False


def cpu_snapshot():
    """pid -> (process group, name, CPU seconds used so far), for every process of the machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    snapshot = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        # After the name: state, ppid, pgrp, ...; utime and stime are the 12th and 13th.
        snapshot[int(entry)] = (int(fields[2]), name, (int(fields[11]) + int(fields[12])) / ticks)
    return snapshot


class CpuSampler(threading.Thread):
    """The CPU time each process of the machine spends while it runs, sampled every second.

    Sampling keeps the last figure of processes that exit meanwhile (Locust at the end, PostgreSQL's
    backends at its restart), to within a second.
    """

    def __init__(self, interval=1.0):
        super().__init__(daemon=True, name="cpu")
        self.interval = interval
        self.first = cpu_snapshot()
        self.last = dict(self.first)
        self.halt = threading.Event()

    def run(self):
        while not self.halt.wait(self.interval):
            self.last.update(cpu_snapshot())
        self.last.update(cpu_snapshot())

    def by_component(self, groups):
        """CPU seconds by component: ``groups`` maps process groups to names; PostgreSQL; the rest."""
        totals = {}
        for pid, (pgid, name, seconds) in self.last.items():
            before = self.first.get(pid)
            used = seconds - before[2] if before is not None and before[1] == name else seconds
            if pgid in groups:
                component = groups[pgid]
            elif name.startswith("postgres"):
                component = "postgresql"
            else:
                component = "other processes"
            totals[component] = totals.get(component, 0.0) + max(0.0, used)
        return {k: round(v, 1) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}
