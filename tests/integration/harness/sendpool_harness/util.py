"""Small process and network helpers shared by the fixtures (stdlib only).

Every wait here is bounded both in time and in the number of polls, and every process is
stopped by its own PID: nothing in the harness ever signals a process by name.
"""

import atexit
import errno
import os
import shutil
import signal
import socket
import subprocess
import time

POLL_INTERVAL = 0.05  # seconds between two polls of a condition


class HarnessError(RuntimeError):
    """A fixture could not do what it was asked (start, stop, wait)."""


# Fixtures that started and did not stop yet. If the interpreter exits without stopping
# them (an uncaught exception, Ctrl-C, SIGTERM turned into SystemExit by main()), atexit
# stops them. A SIGKILL of the test runner (ctest's timeout) cannot be caught; then the
# process tree goes with it: policyd and the sink are our children, and Postfix's master
# becomes one too once we are its subreaper (become_subreaper).
_LIVE = []


def register_live(fixture):
    if fixture not in _LIVE:
        _LIVE.append(fixture)


def unregister_live(fixture):
    if fixture in _LIVE:
        _LIVE.remove(fixture)


@atexit.register
def _stop_leftovers():
    for fixture in reversed(list(_LIVE)):
        try:
            fixture.stop()
        except Exception as e:  # best effort at exit
            print(f"sendpool_harness: stopping {type(fixture).__name__} at exit: {e}")


def require_tools(*names):
    """HarnessError naming every program of `names` missing from PATH (and /usr/sbin)."""
    path = os.environ.get("PATH", "") + ":/usr/sbin:/usr/bin"
    missing = [n for n in names if shutil.which(n, path=path) is None]
    if missing:
        raise HarnessError(f"missing programs: {', '.join(missing)} (install postfix and swaks)")
    if os.geteuid() != 0:
        raise HarnessError("the integration harness runs Postfix's master and smtp-sink: run as root")


def wait_until(condition, timeout, what, interval=POLL_INTERVAL):
    """Polls `condition()` until it returns a true value, which is returned.

    Bounded in time (`timeout` seconds) and in count (timeout / interval + 1 polls); raises
    HarnessError naming `what` when the condition never held."""
    deadline = time.monotonic() + timeout
    polls = int(timeout / interval) + 1
    for _ in range(polls):
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    value = condition()
    if value:
        return value
    raise HarnessError(f"timed out after {timeout:g}s waiting for {what}")


def free_port(host="127.0.0.1"):
    """A TCP port on `host` that nothing listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(port, timeout, host="127.0.0.1", process=None, what=None):
    """Waits until `host:port` accepts connections; fails early if `process` exited."""

    def ready():
        if process is not None and process.poll() is not None:
            raise HarnessError(f"{what or process.args[0]} exited with status {process.returncode} "
                               f"before listening on {host}:{port}")
        return port_open(port, host)

    wait_until(ready, timeout, f"{what or 'a listener'} on {host}:{port}")


def pid_alive(pid):
    """True while `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    # The state follows the command name, which is in parentheses and may contain spaces.
    state = stat[stat.rfind(b")") + 2:][:1]
    return state not in (b"Z", b"X", b"")


def children_of(pid):
    """PIDs whose parent is `pid` (one level), read from /proc."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            out.append(int(entry))
    return out


def _stat_fields(pid):
    """Fields of /proc/PID/stat after the command name: [state, ppid, pgrp, session, ...]."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    return stat[stat.rfind(b")") + 2:].split()


def become_subreaper():
    """Makes this process the reaper of its orphaned descendants (Linux prctl).

    `postfix start` daemonizes the master; when `postfix stop` ends it, the master's last
    children are re-parented. In a container whose PID 1 never reaps, they would stay
    zombies for good; as a subreaper we get them and reap them (reap_session)."""
    import ctypes
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def reap_session(session):
    """Reaps our zombie children that belonged to `session` (a daemon's setsid() id).
    Only those: subprocess.Popen children of other fixtures are left to their owners."""
    for pid in children_of(os.getpid()):
        fields = _stat_fields(pid)
        if fields and fields[0] == b"Z" and int(fields[3]) == session:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def signal_pid(pid, sig):
    try:
        os.kill(pid, sig)
        return True
    except OSError as e:
        if e.errno == errno.ESRCH:
            return False
        raise


def wait_pids_gone(pids, timeout):
    """Waits (bounded) until none of `pids` is alive; returns the ones still alive."""
    try:
        wait_until(lambda: not any(pid_alive(p) for p in pids), timeout, f"PIDs {pids} to exit")
    except HarnessError:
        pass
    return [p for p in pids if pid_alive(p)]


def stop_popen(process, timeout=10.0, sig=signal.SIGTERM):
    """Stops a subprocess.Popen we started: `sig`, a bounded wait, then SIGKILL by PID."""
    if process is None or process.poll() is not None:
        return None if process is None else process.returncode
    signal_pid(process.pid, sig)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        signal_pid(process.pid, signal.SIGKILL)
        return process.wait(timeout=timeout)


def tail(path, lines=80):
    """The last `lines` lines of a text file, or a note saying why there are none."""
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as e:
        return f"(cannot read {path}: {e.strerror})"
    parts = text.splitlines()
    cut = parts[-lines:]
    head = f"(... {len(parts) - len(cut)} earlier lines)\n" if len(parts) > len(cut) else ""
    return head + "\n".join(cut)


def run(cmd, timeout=60, check=True, **kw):
    """subprocess.run with captured text output and a bounded time; raises on failure."""
    if "input" not in kw:
        kw.setdefault("stdin", subprocess.DEVNULL)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise HarnessError(f"{' '.join(map(str, cmd))} exited with {p.returncode}:\n"
                           f"{p.stdout}{p.stderr}")
    return p
