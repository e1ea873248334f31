""""The Internet": an SMTP server on loopback that keeps every message it accepts.

Two implementations behind one fixture:
- Postfix's smtp-sink(1) with `-d DIR/msg.` dump files (the default);
- pysink.py (this package) when a test wants chosen recipients refused with 5xx or 4xx:
  smtp-sink can only refuse a whole command (every RCPT), never one recipient.

    sink = Sink(workdir)                                    # smtp-sink
    sink = Sink(workdir, refusals={"gone@example.com": "550 5.1.1 <gone@example.com>: no such user"})
    sink.start(); sink.nexthop           # "[127.0.0.1]:PORT", for a pool or relayhost
    sink.set_refusals({...})             # pysink only; takes effect at the next RCPT
    msgs = sink.wait_for_messages(2, timeout=30)
    msgs[0].client_addr, msgs[0].mail_from, msgs[0].rcpt_to, msgs[0].message["Subject"]
    sink.stop()
"""

import email
import email.policy
import json
import os
import re
import subprocess
import sys

from . import util

PYSINK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pysink.py")
ANGLE = re.compile(r"<([^>]*)>")


def _address(args):
    """The address of an X-Mail-Args / X-Rcpt-Args value ("<a@b> SIZE=12" -> "a@b")."""
    m = ANGLE.search(args or "")
    return m.group(1) if m else (args or "").split(" ")[0]


class SinkMessage:
    """One dump file: the envelope smtp-sink saw and the message as received."""

    def __init__(self, path, raw):
        self.path = path
        self.raw = raw
        self.message = email.message_from_bytes(raw, policy=email.policy.compat32)
        self.client_addr = (self.message.get("X-Client-Addr") or "").strip()
        self.helo = (self.message.get("X-Helo-Args") or "").strip()
        self.mail_args = (self.message.get("X-Mail-Args") or "").strip()
        self.mail_from = _address(self.mail_args)
        self.rcpt_args = [v.strip() for v in self.message.get_all("X-Rcpt-Args") or []]
        self.rcpt_to = [_address(v) for v in self.rcpt_args]
        self.mtime = os.stat(path).st_mtime

    def delivered_bytes(self):
        """The message as the sink received it, without the X-Client-Addr, X-Helo-Args,
        X-Mail-Args and X-Rcpt-Args lines the sink puts above it."""
        lines = self.raw.split(b"\n")
        i = 0
        while i < len(lines) and lines[i].startswith((b"X-Client-", b"X-Helo-", b"X-Mail-", b"X-Rcpt-")):
            i += 1
        return b"\n".join(lines[i:])

    def __repr__(self):
        return (f"SinkMessage(client={self.client_addr}, from={self.mail_from!r}, "
                f"to={self.rcpt_to!r}, subject={self.message.get('Subject')!r})")


class Sink:
    """An SMTP sink on 127.0.0.1:<port> (a free port unless given)."""

    def __init__(self, workdir, *, refusals=None, implementation=None, port=None,
                 hostname="sink.sendpool.test", name="sink"):
        if implementation is None:
            implementation = "python" if refusals is not None else "smtp-sink"
        if implementation not in ("python", "smtp-sink"):
            raise ValueError("implementation must be 'python' or 'smtp-sink'")
        self.implementation = implementation
        self.dir = os.path.join(workdir, name)
        self.dump_dir = os.path.join(self.dir, "dumps")
        self.rules_file = os.path.join(self.dir, "refusals.json")
        self.refusals_log = os.path.join(self.dir, "refusals.log")
        self.log_path = os.path.join(self.dir, "sink.log")
        self.port = port or util.free_port()
        self.hostname = hostname
        self.process = None
        os.makedirs(self.dump_dir, exist_ok=True)
        if implementation == "smtp-sink":
            # smtp-sink must drop root (-u); the dump directory is written as that user.
            util.run(["chown", "postfix:", self.dump_dir])
        self.set_refusals(refusals or {})

    @property
    def nexthop(self):
        """The Postfix next hop of this sink, without MX lookup: [127.0.0.1]:PORT."""
        return f"[127.0.0.1]:{self.port}"

    def set_refusals(self, refusals):
        """{address or "@domain": "NNN X.Y.Z text"}; only the python sink honours them."""
        if refusals and self.implementation != "python":
            raise util.HarnessError("smtp-sink cannot refuse single recipients: "
                                    "use Sink(..., refusals={...}) or implementation='python'")
        rules = {k.lower(): v for k, v in refusals.items()}
        tmp = self.rules_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(rules, f)
        os.replace(tmp, self.rules_file)

    def start(self, timeout=10):
        if self.process is not None and self.process.poll() is None:
            return self
        if self.implementation == "smtp-sink":
            cmd = ["smtp-sink", "-4", "-u", "postfix", "-h", self.hostname,
                   "-d", os.path.join(self.dump_dir, "msg."), f"127.0.0.1:{self.port}", "128"]
        else:
            cmd = [sys.executable, PYSINK, "--listen", f"127.0.0.1:{self.port}",
                   "--dump-dir", self.dump_dir, "--rules", self.rules_file,
                   "--hostname", self.hostname]
        util.register_live(self)
        log = open(self.log_path, "ab")
        try:
            self.process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT)
        finally:
            log.close()
        util.wait_for_port(self.port, timeout, process=self.process, what=self.implementation)
        return self

    def stop(self):
        util.stop_popen(self.process)
        util.unregister_live(self)

    # --- what it received ---------------------------------------------------------------

    def _open_dumps(self):
        """Dump files the sink process still has open (transactions in progress)."""
        if self.process is None or self.process.poll() is not None:
            return set()
        fd_dir = f"/proc/{self.process.pid}/fd"
        out = set()
        try:
            for fd in os.listdir(fd_dir):
                try:
                    out.add(os.readlink(os.path.join(fd_dir, fd)))
                except OSError:
                    pass
        except OSError:
            pass
        return out

    def messages(self):
        """Every complete message received so far, oldest first."""
        try:
            names = [n for n in os.listdir(self.dump_dir) if n.startswith("msg.")]
        except OSError:
            return []
        busy = self._open_dumps()
        out = []
        for name in names:
            path = os.path.join(self.dump_dir, name)
            if path in busy:
                continue  # smtp-sink is still writing this transaction
            try:
                with open(path, "rb") as f:
                    raw = f.read()
                out.append(SinkMessage(path, raw))
            except OSError:
                continue
        out.sort(key=lambda m: (m.mtime, m.path))
        return out

    def messages_to(self, address):
        address = address.lower()
        return [m for m in self.messages() if address in (r.lower() for r in m.rcpt_to)]

    def recipients(self):
        """Every (client address, recipient) pair delivered, in order."""
        return [(m.client_addr, r) for m in self.messages() for r in m.rcpt_to]

    def wait_for_messages(self, count, timeout=30):
        """Waits until at least `count` complete messages arrived; returns all of them."""
        return util.wait_until(lambda: (lambda m: m if len(m) >= count else None)(self.messages()),
                               timeout, f"{count} message(s) at the sink on port {self.port}")

    def refusals(self):
        """[(client, recipient, reply)] the python sink refused so far."""
        try:
            with open(self.refusals_log, encoding="utf-8") as f:
                return [tuple(line.rstrip("\n").split("\t", 2)) for line in f if line.strip()]
        except OSError:
            return []

    def clear(self):
        """Forgets the messages received so far (removes their dump files)."""
        for m in self.messages():
            os.unlink(m.path)

    def logs(self):
        return {f"{self.implementation} log": self.log_path}

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
