#!/usr/bin/python3
"""A tiny SMTP sink that can refuse chosen recipients (stdlib only).

Postfix's smtp-sink(1) can refuse a whole command (-f RCPT, -r RCPT) but not one recipient,
so the harness runs this program when a test needs "the Internet" to refuse some addresses.
It is deliberately small: no pipelining, no TLS, no AUTH, no SIZE/DSN extensions.

- Each accepted message is written to DUMP_DIR in smtp-sink's dump format (X-Client-Addr,
  X-Client-Proto, X-Helo-Args, X-Mail-Args, one X-Rcpt-Args per *accepted* recipient, a
  Received: header, the message, an empty line). The file is written under a temporary
  name and renamed at the end of DATA, so a dump that exists is complete.
- The refusal rules are a JSON object in RULES_FILE, re-read at every RCPT so a test can
  change them while the sink runs: {"user@example.com": "550 5.1.1 ...", "@domain": "450 ..."}
  (keys in lower case; an exact address wins over its "@domain").
- Every refusal is appended to DUMP_DIR/../refusals.log as "client<TAB>recipient<TAB>reply".

Usage: pysink.py --listen 127.0.0.1:PORT --dump-dir DIR --rules FILE [--hostname NAME]
"""

import argparse
import json
import os
import re
import socketserver
import threading
import time

ADDRESS = re.compile(r"^\s*(?:FROM|TO)\s*:\s*<([^>]*)>", re.IGNORECASE)
MAX_LINE = 10000
MAX_MESSAGE = 50 * 1024 * 1024


class Handler(socketserver.StreamRequestHandler):
    timeout = 100

    def reply(self, text):
        self.wfile.write(text.encode("utf-8", "replace") + b"\r\n")
        self.wfile.flush()

    def line(self):
        raw = self.rfile.readline(MAX_LINE)
        if not raw:
            return None
        return raw.decode("utf-8", "replace").rstrip("\r\n")

    def reset(self):
        self.mail_args, self.rcpt_args = None, []

    def handle(self):
        server = self.server
        self.client = self.client_address[0]
        self.helo, self.proto = None, "SMTP"
        self.reset()
        self.reply(f"220 {server.hostname} ESMTP pysink")
        while True:
            cmd = self.line()
            if cmd is None:
                return
            verb, _, arg = cmd.partition(" ")
            verb = verb.upper()
            if verb in ("EHLO", "HELO"):
                self.helo, self.proto = arg, ("ESMTP" if verb == "EHLO" else "SMTP")
                self.reset()
                if verb == "EHLO":
                    self.reply(f"250-{server.hostname}\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES")
                else:
                    self.reply(f"250 {server.hostname}")
            elif verb == "MAIL":
                self.reset()
                self.mail_args = arg.split(":", 1)[1].strip() if ":" in arg else arg
                self.reply("250 2.1.0 Ok")
            elif verb == "RCPT":
                if self.mail_args is None:
                    self.reply("503 5.5.1 Error: need MAIL command")
                    continue
                m = ADDRESS.match(arg)
                address = m.group(1) if m else arg
                refusal = server.refusal_for(address)
                if refusal:
                    server.log_refusal(self.client, address, refusal)
                    self.reply(refusal)
                else:
                    self.rcpt_args.append(arg.split(":", 1)[1].strip() if ":" in arg else arg)
                    self.reply("250 2.1.5 Ok")
            elif verb == "DATA":
                if not self.rcpt_args:
                    self.reply("554 5.5.1 Error: no valid recipients")
                    continue
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                if not self.data():
                    return
            elif verb == "RSET":
                self.reset()
                self.reply("250 2.0.0 Ok")
            elif verb == "NOOP":
                self.reply("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("502 5.5.2 Error: command not recognized")

    def data(self):
        body, size = [], 0
        while True:
            raw = self.rfile.readline(MAX_LINE)
            if not raw:
                return False
            if raw in (b".\r\n", b".\n"):
                break
            if raw.startswith(b"."):
                raw = raw[1:]
            size += len(raw)
            if size <= MAX_MESSAGE:
                body.append(raw.replace(b"\r\n", b"\n"))
        queue_id = self.server.save(self.client, self.proto, self.helo, self.mail_args,
                                    self.rcpt_args, b"".join(body))
        self.reset()
        self.reply(f"250 2.0.0 Ok: queued as {queue_id}")
        return True


class Sink(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address, dump_dir, rules_file, hostname):
        super().__init__(address, Handler)
        self.dump_dir, self.rules_file, self.hostname = dump_dir, rules_file, hostname
        self.refusals_log = os.path.join(os.path.dirname(os.path.abspath(dump_dir)), "refusals.log")
        self.lock = threading.Lock()
        self.sequence = 0

    def refusal_for(self, address):
        try:
            with open(self.rules_file, encoding="utf-8") as f:
                rules = json.load(f)
        except (OSError, ValueError):
            return None
        address = address.lower()
        domain = "@" + address.rpartition("@")[2]
        return rules.get(address) or rules.get(domain)

    def log_refusal(self, client, address, reply):
        with self.lock, open(self.refusals_log, "a", encoding="utf-8") as f:
            f.write(f"{client}\t{address}\t{reply}\n")

    def save(self, client, proto, helo, mail_args, rcpt_args, message):
        with self.lock:
            self.sequence += 1
            queue_id = f"{os.getpid():x}{self.sequence:06x}"
        head = [f"X-Client-Addr: {client}", f"X-Client-Proto: {proto}"]
        if helo:
            head.append(f"X-Helo-Args: {helo}")
        head.append(f"X-Mail-Args: {mail_args}")
        head += [f"X-Rcpt-Args: {r}" for r in rcpt_args]
        stamp = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
        head.append(f"Received: from {helo or client} ([{client}])\n\tby {self.hostname} (pysink) "
                    f"with {proto} id {queue_id};\n\t{stamp}")
        final = os.path.join(self.dump_dir, f"msg.{queue_id}")
        partial = os.path.join(self.dump_dir, f".partial.{queue_id}")
        with open(partial, "wb") as f:
            f.write(("\n".join(head) + "\n").encode("utf-8", "replace") + message + b"\n")
        os.rename(partial, final)
        return queue_id


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", required=True, help="HOST:PORT")
    p.add_argument("--dump-dir", required=True)
    p.add_argument("--rules", required=True)
    p.add_argument("--hostname", default="pysink.sendpool.test")
    a = p.parse_args()
    host, _, port = a.listen.rpartition(":")
    os.makedirs(a.dump_dir, exist_ok=True)
    with Sink((host, int(port)), a.dump_dir, a.rules, a.hostname) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
