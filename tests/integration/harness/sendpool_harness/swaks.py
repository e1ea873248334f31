"""swaks as the customer's application, with its transcript parsed.

    r = swaks(pf.port, to=["a@example.com", "b@example.com"], from_="app@acme.example",
              user="acme-app", password="secret")
    r.rc, r.auth_reply, r.rcpt_replies, r.data_reply, r.accepted_recipients

swaks prints every client line as " -> TEXT" and every server line as "<-  TEXT" (or
"<** TEXT" when it is an error); a refused RCPT does not stop it as long as one recipient
was accepted, so one run shows the verdict on every recipient.
"""

import re

from . import util

ADDRESS = re.compile(r"<([^>]*)>")


class SwaksResult:
    def __init__(self, cmd, rc, output):
        self.cmd, self.rc, self.output = cmd, rc, output
        self.exchanges = []  # [(client command, final server reply line)]
        self._parse()

    def _parse(self):
        command, in_data = None, False
        for line in self.output.splitlines():
            if line.startswith(" -> "):
                text = line[4:]
                if in_data:
                    if text == ".":
                        command, in_data = ".", False
                    continue
                command = text
            elif line.startswith("<-  ") or line.startswith("<** "):
                text = line[4:]
                if len(text) > 3 and text[3] == "-":
                    continue  # continuation of a multi-line reply
                self.exchanges.append((command, text))
                if command == "DATA" and text.startswith("354"):
                    in_data = True

    def replies(self, prefix):
        """Final replies to the commands starting with `prefix` (case-insensitive)."""
        p = prefix.upper()
        return [r for c, r in self.exchanges if c is not None and c.upper().startswith(p)]

    @property
    def greeting(self):
        return next((r for c, r in self.exchanges if c is None), None)

    @property
    def auth_reply(self):
        r = self.replies("AUTH")
        return r[-1] if r else None

    @property
    def mail_reply(self):
        r = self.replies("MAIL FROM")
        return r[-1] if r else None

    @property
    def rcpt_replies(self):
        """{recipient: final reply} in the order sent."""
        out = {}
        for c, r in self.exchanges:
            if c and c.upper().startswith("RCPT TO"):
                m = ADDRESS.search(c)
                out[m.group(1) if m else c[8:].strip()] = r
        return out

    @property
    def accepted_recipients(self):
        return [a for a, r in self.rcpt_replies.items() if r.startswith("250")]

    @property
    def data_reply(self):
        """The reply to the end of the message (".")."""
        r = self.replies(".")
        return r[-1] if r else None

    @property
    def queued(self):
        return bool(self.data_reply and self.data_reply.startswith("250"))

    @property
    def queue_id(self):
        m = re.search(r"queued as (\S+)", self.data_reply or "")
        return m.group(1) if m else None

    def __str__(self):
        return f"$ {' '.join(self.cmd)}\n(exit {self.rc})\n{self.output}"


def swaks(port, *, to, from_, user=None, password=None, auth="PLAIN", server="127.0.0.1",
          headers=None, body=None, helo="client.sendpool.test", extra=(), timeout=60):
    """Sends one message with swaks to `server:port`; never raises on an SMTP refusal."""
    recipients = [to] if isinstance(to, str) else list(to)
    cmd = ["swaks", "--server", f"{server}:{port}", "--from", from_, "--to", ",".join(recipients),
           "--helo", helo, "--timeout", "30s"]
    if user is not None:
        cmd += ["--auth", auth, "--auth-user", user, "--auth-password", password or ""]
    for name, value in (headers or {}).items():
        cmd += ["--add-header", f"{name}: {value}"]
    if body is not None:
        cmd += ["--body", body]
    cmd += list(extra)
    p = util.run(cmd, timeout=timeout, check=False)
    return SwaksResult(cmd, p.returncode, p.stdout + p.stderr)
