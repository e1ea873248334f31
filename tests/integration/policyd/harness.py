"""Shared pieces of the sendpool-policyd integration tests and measurements (stdlib only).

Daemon: a real sendpool-policyd on a fresh temporary store, configured through a temporary
sendpool.yaml (three unix sockets in the temp dir), run with --foreground and its stderr kept
in a file. Ctl: the real sendpoolctl against the same configuration. PolicyClient,
RouteClient and AuthClient speak the three protocols over the daemon's sockets.

Every wait is bounded in time; every process started here is stopped by its PID.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

DEFAULT_TIMEOUT = 10.0  # seconds for one reply (argon2id verification included)
RETURN_PATH_DOMAIN = "bounces.example.net"


class ProtocolError(Exception):
    pass


class Daemon:
    """One sendpool-policyd with its own temp dir, store, secret and configuration."""

    def __init__(self, policyd, sendpoolctl, tmpdir=None, extra_yaml=""):
        self.policyd = policyd
        self.sendpoolctl = sendpoolctl
        self.owns_dir = tmpdir is None
        # Short paths: unix socket names are limited to 107 bytes.
        self.dir = tmpdir or tempfile.mkdtemp(prefix="sp-pd-", dir="/tmp")
        self.store = os.path.join(self.dir, "store")
        self.policy_sock = os.path.join(self.dir, "policy.sock")
        self.route_sock = os.path.join(self.dir, "route.sock")
        self.auth_sock = os.path.join(self.dir, "auth.sock")
        self.secret = os.path.join(self.dir, "token.secret")
        self.config = os.path.join(self.dir, "sendpool.yaml")
        self.stderr_path = os.path.join(self.dir, "policyd.stderr")
        self.proc = None
        self._stderr = None
        if not os.path.exists(self.secret):
            fd = os.open(self.secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(os.urandom(48))
        with open(self.config, "w") as f:
            f.write(self.config_text() + extra_yaml)

    def config_text(self, **overrides):
        values = {
            "store": self.store,
            "secret": self.secret,
            "policy": self.policy_sock,
            "route": self.route_sock,
            "auth": self.auth_sock,
        }
        values.update(overrides)
        return (
            "store: {store}\n"
            "store_map_size: 64MiB\n"
            "platform:\n"
            "  return_path_domain: " + RETURN_PATH_DOMAIN + "\n"
            "  token_secret_file: {secret}\n"
            "policyd:\n"
            "  policy_listen: unix:{policy}\n"
            "  route_listen: unix:{route}\n"
            "  auth_listen: unix:{auth}\n"
            "  default_transactional_pool: pool_t\n"
            "  default_promotional_pool: pool_p\n"
            "logging:\n"
            "  level: info\n"
        ).format(**values)

    # --- the daemon process -------------------------------------------------------------

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self, timeout=15.0):
        """Starts the daemon and waits until it serves: its three sockets exist and it logged
        "listening" (no probe connection, which would use up an auth CUID)."""
        assert self.proc is None, "daemon already running"
        socks = [self.policy_sock, self.route_sock, self.auth_sock]
        for p in socks:  # left by a killed daemon
            if os.path.exists(p):
                os.unlink(p)
        offset = os.path.getsize(self.stderr_path) if os.path.exists(self.stderr_path) else 0
        self._stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(
            [self.policyd, "--config", self.config, "--foreground"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self.proc = None
                self._close_stderr()
                raise RuntimeError("sendpool-policyd exited with %s at start:\n%s" % (rc, self.stderr()))
            if all(os.path.exists(p) for p in socks) and b"listening: " in self._stderr_bytes()[offset:]:
                return
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("sendpool-policyd did not listen within %ss:\n%s" % (timeout, self.stderr()))
            time.sleep(0.02)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10.0):
        """SIGTERM, then SIGKILL after `timeout`; returns the exit status (None if not running)."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)
        self._close_stderr()
        return proc.returncode

    def kill(self):
        """SIGKILL by PID (a crash)."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        self._close_stderr()
        return proc.returncode

    def _close_stderr(self):
        if self._stderr:
            self._stderr.close()
            self._stderr = None

    def _stderr_bytes(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read()
        except OSError:
            return b""

    def stderr(self):
        return self._stderr_bytes().decode("utf-8", "replace")

    def cleanup(self):
        self.stop()
        if self.owns_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- sendpoolctl ----------------------------------------------------------------------

    def ctl(self, *args, stdin=None, check=True, as_json=False, config=None):
        cmd = [self.sendpoolctl, "--config", config or self.config]
        if as_json:
            cmd.append("--json")
        cmd += list(args)
        r = subprocess.run(cmd, input=(stdin or "").encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        out, err = r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
        if check and r.returncode != 0:
            raise RuntimeError("sendpoolctl %s exited %d:\n%s%s" % (" ".join(args), r.returncode, out, err))
        if as_json and r.returncode == 0:
            return json.loads(out)
        return r.returncode, out, err

    def ctl_json(self, *args):
        return self.ctl(*args, as_json=True)

    def accepted(self, user):
        return self.ctl_json("stats", user)["total"]["accepted"]

    def return_path(self, user):
        return self.ctl_json("route", "show", user)["return_path"]


def forge(return_path):
    """The same return path with one character of its MAC changed."""
    local, domain = return_path.rsplit("@", 1)
    last = local[-1]
    repl = "a" if last != "a" else "b"
    return local[:-1] + repl + "@" + domain


# --- protocol clients ---------------------------------------------------------------------

class _Client:
    def __init__(self, path, timeout=DEFAULT_TIMEOUT):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.eof = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        """Reads once more; False at EOF. socket.timeout propagates."""
        if self.eof:
            return False
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def read_until(self, done, max_bytes=1 << 20):
        """Reads until done(buf) gives a length n > 0; returns buf[:n]. EOF or timeout raise."""
        while True:
            n = done(self.buf)
            if n:
                out, self.buf = self.buf[:n], self.buf[n:]
                return out
            if len(self.buf) > max_bytes:
                raise ProtocolError("reply too long")
            if not self._fill():
                raise ProtocolError("connection closed (got %r)" % self.buf)

    def expect_closed(self, timeout=DEFAULT_TIMEOUT):
        """True when the peer closes without sending anything more."""
        self.sock.settimeout(timeout)
        while self._fill():
            pass
        return self.buf == b""


def policy_request(attrs):
    if isinstance(attrs, dict):
        attrs = list(attrs.items())
    return b"".join(("%s=%s\n" % (k, v)).encode() for k, v in attrs) + b"\n"


class PolicyClient(_Client):
    def read_reply(self):
        def done(b):
            i = b.find(b"\n\n")
            return i + 2 if i >= 0 else 0
        return self.read_until(done)

    def ask(self, attrs):
        """Sends one request; returns the action text (without 'action=')."""
        self.send(policy_request(attrs))
        reply = self.read_reply().decode()
        if not reply.startswith("action=") or reply.count("\n") != 2:
            raise ProtocolError("bad policy reply %r" % reply)
        return reply[len("action="):-2]


def netstring(payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return b"%d:%s," % (len(payload), payload)


def netstring_length(b):
    """Length of the complete netstring at the start of b, or 0 if incomplete."""
    i = b.find(b":")
    if i <= 0:
        if len(b) > 10:
            raise ProtocolError("bad netstring %r" % b[:20])
        return 0
    n = int(b[:i])
    total = i + 1 + n + 1
    return total if len(b) >= total else 0


class RouteClient(_Client):
    def read_reply(self):
        return self.read_until(netstring_length)

    def lookup(self, key, table="route"):
        self.send(netstring("%s %s" % (table, key)))
        raw = self.read_reply()
        return raw[raw.index(b":") + 1:-1].decode()


def line_reader(b):
    i = b.find(b"\n")
    return i + 1 if i >= 0 else 0


class AuthClient(_Client):
    def read_line(self):
        return self.read_until(line_reader).decode()[:-1]

    def handshake(self):
        self.send(b"VERSION\t1\t0\nCPID\t4242\n")
        lines = []
        for _ in range(64):
            line = self.read_line()
            lines.append(line)
            if line == "DONE":
                return lines
        raise ProtocolError("no DONE in handshake")

    def request(self, line):
        self.send(line.encode() + b"\n")
        return self.read_line()


class Transaction:
    """Builds the policy requests Postfix sends for one message (RCPT..., END-OF-MESSAGE)."""

    def __init__(self, user, instance, queue_id, client_address="192.0.2.1", size=1000):
        self.base = [("request", "smtpd_access_policy"), ("protocol_name", "ESMTP"),
                     ("client_address", client_address), ("client_name", "client.example"),
                     ("helo_name", "client.example"), ("sasl_method", "PLAIN"),
                     ("sasl_username", user), ("sender", "app@customer.example"),
                     ("instance", instance), ("size", str(size))]
        self.queue_id = queue_id

    def rcpt(self, recipient, first):
        return [("protocol_state", "RCPT"), ("queue_id", "" if first else self.queue_id),
                ("recipient", recipient), ("recipient_count", "0")] + self.base

    def end(self, accepted):
        return [("protocol_state", "END-OF-MESSAGE"), ("queue_id", self.queue_id),
                ("recipient", ""), ("recipient_count", str(accepted))] + self.base


def setup_pools(d):
    d.ctl("pool", "add", "pool_t", "--category", "transactional", "--min-score", "0",
          "--transport", "pool_t", "--bind", "127.0.0.2", "--helo", "t.example.net")
    d.ctl("pool", "add", "pool_p", "--category", "promotional", "--min-score", "0",
          "--transport", "pool_p", "--bind", "127.0.0.3", "--helo", "p.example.net",
          "--nexthop", "[127.0.0.1]:2526")
