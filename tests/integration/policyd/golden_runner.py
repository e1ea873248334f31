"""Replays one golden transcript (see golden/README.md) against a running Daemon.

replay(daemon, path) returns a list of problems (empty when the transcript matched) and a
unified diff between the file and what the daemon actually said.
"""

import base64
import difflib
import json
import re
import shlex

from harness import (AuthClient, PolicyClient, ProtocolError, RouteClient, forge, line_reader,
                     netstring, netstring_length)

PLACEHOLDER = re.compile(r"\{([A-Z][A-Z0-9_]*|\*)(?: ([^{}]*))?\}")
MATCH_ONLY = {"PID": None, "HEX": r"[0-9a-f]+", "TIMESTAMP": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
              "*": r"[^\n]*"}


def unescape(text):
    """\\t \\n \\r \\0 \\\\ and \\xNN in a transcript text."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n == "x" and i + 3 < len(text) + 1:
                out.append(chr(int(text[i + 2:i + 4], 16)))
                i += 4
                continue
            out.append({"t": "\t", "n": "\n", "r": "\r", "0": "\0", "\\": "\\"}.get(n, "\\" + n))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def escape(text):
    """The inverse of unescape, for showing actual bytes in a diff."""
    out = []
    for c in text:
        if c == "\\":
            out.append("\\\\")
        elif c == "\t":
            out.append("\\t")
        elif c == "\n":
            out.append("\\n")
        elif c == "\0":
            out.append("\\0")
        elif ord(c) < 32 or ord(c) == 127:
            out.append("\\x%02x" % ord(c))
        else:
            out.append(c)
    return "".join(out)


class Replay:
    def __init__(self, daemon):
        self.d = daemon
        self.connections = []
        self.kind = None
        self.conn = None
        self.pending_policy = []  # attribute lines of the request being written
        self.last_json = None
        self.problems = []
        self.actual = []  # the transcript as the daemon really answered

    # --- placeholders -------------------------------------------------------------------

    def value(self, name, arg):
        if name == "RETURN_PATH":
            return self.d.return_path(arg)
        if name == "FORGED_RETURN_PATH":
            return forge(self.d.return_path(arg))
        if name == "RESET_DATE":
            return self.d.ctl_json("account", "show", arg)["period_end"]
        if name == "EXPIRES":
            return self.d.ctl_json("account", "show", arg)["expires"]
        if name == "B64":
            return base64.b64encode(unescape(arg).encode("latin-1")).decode()
        if name == "REPEAT":
            count, _, text = arg.partition(" ")
            return unescape(text) * int(count)
        if name == "PID":
            return str(self.d.pid)
        raise ValueError("unknown placeholder {%s}" % name)

    def expand(self, text):
        """Text to send: escapes and placeholders replaced."""
        out, pos = [], 0
        for m in PLACEHOLDER.finditer(text):
            out.append(unescape(text[pos:m.start()]))
            out.append(self.value(m.group(1), m.group(2)))
            pos = m.end()
        out.append(unescape(text[pos:]))
        return "".join(out)

    def pattern(self, text):
        """A regex for an expected text: literal except for placeholders."""
        out, pos = [], 0
        for m in PLACEHOLDER.finditer(text):
            out.append(re.escape(unescape(text[pos:m.start()])))
            name = m.group(1)
            if name in MATCH_ONLY and MATCH_ONLY[name] is not None:
                out.append(MATCH_ONLY[name])
            else:
                out.append(re.escape(self.value(name, m.group(2))))
            pos = m.end()
        out.append(re.escape(unescape(text[pos:])))
        return "".join(out)

    # --- steps ----------------------------------------------------------------------------

    def fail(self, lineno, message):
        self.problems.append("line %d: %s" % (lineno, message))

    def flush_policy(self):
        if self.pending_policy:
            data = "".join(line + "\n" for line in self.pending_policy) + "\n"
            self.pending_policy = []
            self.send(data.encode("latin-1"))

    def send(self, data):
        try:
            self.conn.send(data)
        except OSError:
            pass  # the daemon may have closed already; the next expectation says so

    def open(self, kind, lineno):
        path = {"policy": self.d.policy_sock, "route": self.d.route_sock,
                "auth": self.d.auth_sock}.get(kind)
        if path is None:
            raise ValueError("line %d: unknown listener @%s" % (lineno, kind))
        cls = {"policy": PolicyClient, "route": RouteClient, "auth": AuthClient}[kind]
        self.kind, self.conn = kind, cls(path, timeout=10)
        self.connections.append(self.conn)

    def expect(self, lines, lineno):
        """lines: the texts of consecutive '<' lines (policy) or one line (route, auth)."""
        if self.kind == "policy":
            regex = "".join(self.pattern(t) + "\n" for t in lines) + "\n"
            reader = self.conn.read_reply
        elif self.kind == "auth":
            regex = self.pattern(lines[0]) + "\n"
            reader = lambda: self.conn.read_until(line_reader)
        else:
            regex = self.pattern(lines[0])
            reader = lambda: self.conn.read_until(netstring_length)
        try:
            got = reader().decode("latin-1")
        except (ProtocolError, OSError, ValueError) as e:
            self.fail(lineno, "expected %r, got no reply (%s)" % (lines, e))
            if self.conn.eof and not self.conn.buf:
                self.actual.append("<closed")
            else:
                self.actual.append("<! no complete reply: %s" % escape(str(e)))
            return
        if re.fullmatch(regex, got, re.S):
            self.actual += ["<" + (" " + t if t else "") for t in lines]
            return
        self.fail(lineno, "expected %r, got %r" % (lines, got))
        shown = got[:-2].split("\n") if self.kind == "policy" else [got.rstrip("\n")]
        self.actual += ["< " + escape(t) for t in shown]

    def expect_closed(self, lineno):
        try:
            closed = self.conn.expect_closed(timeout=10)
        except OSError as e:
            self.fail(lineno, "connection not closed within 10s (%s)" % e)
            self.actual.append("<! still open")
            return
        if not closed:
            self.fail(lineno, "expected the connection closed without a reply, got %r" % self.conn.buf)
            self.actual.append("< " + escape(self.conn.buf.decode("latin-1")))
            return
        self.actual.append("<closed")

    def run_ctl(self, text, lineno):
        stdin = None
        if " <<< " in text:
            text, stdin = text.split(" <<< ", 1)
            stdin = self.expand(stdin)
        args = [self.expand(a) for a in shlex.split(text)]
        rc, out, err = self.d.ctl(*args, stdin=stdin, check=False)
        if rc != 0:
            self.fail(lineno, "sendpoolctl %s exited %d: %s" % (text, rc, err.strip()))
        self.last_json = None
        if "--json" in args and rc == 0:
            self.last_json = json.loads(out)

    def check_json(self, text, lineno):
        path, _, want = text.partition(" ")
        node = self.last_json
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                self.fail(lineno, "%s: not in the JSON output" % path)
                return
            node = node[part]
        got = node if isinstance(node, str) else json.dumps(node)
        if not re.fullmatch(self.pattern(want.strip()), got):
            self.fail(lineno, "%s: expected %s, got %s" % (path, want.strip(), got))
            self.actual.append("= %s %s" % (path, got))
            return
        self.actual.append("= " + text)

    def run(self, text):
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        i = 0
        while i < len(lines):
            line, lineno = lines[i], i + 1
            i += 1
            if self.kind == "policy" and not line.startswith("> ") and line != ">":
                self.flush_policy()
            if line.startswith("#") or not line.strip():
                self.actual.append(line)
            elif line.startswith("$ "):
                self.actual.append(line)
                self.run_ctl(line[2:], lineno)
            elif line.startswith("= "):
                self.check_json(line[2:], lineno)
            elif line.startswith("@"):
                self.actual.append(line)
                self.open(line[1:].strip(), lineno)
            elif line.startswith(">> "):
                self.actual.append(line)
                self.flush_policy()
                self.send(self.expand(line[3:]).encode("latin-1"))
            elif line.startswith("> ") or line == ">":
                self.actual.append(line)
                body = line[2:]
                if self.kind == "policy":
                    self.pending_policy.append(self.expand(body))
                elif self.kind == "auth":
                    self.send((self.expand(body) + "\n").encode("latin-1"))
                else:
                    self.send(netstring(self.expand(body).encode("latin-1")))
            elif line == "<closed":
                self.expect_closed(lineno)
            elif line.startswith("< ") or line == "<":
                group = [line[2:]]
                if self.kind == "policy":
                    while i < len(lines) and (lines[i].startswith("< ") or lines[i] == "<"):
                        group.append(lines[i][2:])
                        i += 1
                self.expect(group, lineno)
            else:
                raise ValueError("line %d: cannot parse %r" % (lineno, line))
        if self.kind == "policy":
            self.flush_policy()
        for c in self.connections:
            c.close()


def replay(daemon, path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    r = Replay(daemon)
    try:
        r.run(text)
    except ValueError as e:
        r.problems.append("transcript error: %s" % e)
    expected = text.split("\n")
    if expected and expected[-1] == "":
        expected.pop()
    diff = "\n".join(difflib.unified_diff(expected, r.actual, "expected", "actual", lineterm=""))
    return r.problems, diff
