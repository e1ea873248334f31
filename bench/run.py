#!/usr/bin/python3
"""sendpool benchmarks, side by side with the peers a user would otherwise run.

    bench/run.py --build-dir build-bench --tools-dir build-bench/bench [--quick] [--only LIST]

Run by scripts/bench (which installs what is missing and builds Release first). Writes
bench/RESULTS.md and bench/results.json. Benchmarks are measurements, not tests: nothing
here asserts a time; the issue's targets are reported as met or missed.

  policy   sendpool-policyd vs postfwd2 (one rate-limit rule), 1/20/100 connections,
           policy_load closed loop; plus an open-loop latency run and a full-transaction mix
  milter   Postfix + sendpool-milter vs Postfix + OpenDKIM (two signatures each), RSA+RSA
           and Ed25519+RSA, 4 KiB and 100 KiB, smtp-source -> Postfix -> smtp-sink; Postfix
           without a milter as the ceiling; `openssl speed` for the bare signatures
  chain    Postfix + sendpool (milter, policy, auth, route) vs Postfix + OpenDKIM + postfwd2
  memory   RSS of every daemon at 10 and 500 concurrent SMTP sessions (held open by Python)
  scale    policy latency vs accounts (10^3..10^5) and suppression entries (10^4..10^6/10^7),
           store size, `sendpoolctl suppression import` rate for 1,000,000 addresses

Everything runs on loopback; every load is bounded in count and in time; every process
started here is stopped by PID (the harness's fixtures, or the classes below), and the run
ends by checking that none is left and that every port it used is free again.
"""

import argparse
import base64
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "harness"))

from sendpool_harness import Chain, Sendpool, SinkMessage, util  # noqa: E402
from sendpool_harness import dkim_check  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
PASSWORD = "bench-password-1"
CUSTOMER_DOMAIN = "customer.example"
SENDER = "app@" + CUSTOMER_DOMAIN
PLATFORM_DOMAIN = "dkim.sendpool.test"
SIGNED_HEADERS = ("From,Sender,Reply-To,To,Cc,Subject,Date,Message-ID,MIME-Version,Content-Type,"
                  "Content-Transfer-Encoding,In-Reply-To,References,List-Id,List-Unsubscribe,"
                  "List-Unsubscribe-Post,Feedback-ID")

# The started processes and the ports used, checked at the end (nothing left behind).
STARTED_PIDS = set()
USED_PORTS = set()


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def port():
    p = util.free_port()
    USED_PORTS.add(p)
    return p


# --- /proc helpers ---------------------------------------------------------------------------

def stat_fields(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            s = f.read()
    except OSError:
        return None
    return s[s.rfind(b")") + 2:].split()


def cpu_s(pid, with_children=False):
    """utime+stime of `pid` (and of its reaped children when asked), seconds."""
    f = stat_fields(pid)
    if not f:
        return 0.0
    ticks = int(f[11]) + int(f[12])
    if with_children:
        ticks += int(f[13]) + int(f[14])
    return ticks / CLK_TCK


def descendants(pid):
    """Every descendant of `pid`, from one scan of /proc (a scan per process would cost
    seconds once Postfix runs 500 smtpd processes or postfwd2 500 children)."""
    kids = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        f = stat_fields(entry)
        if f and len(f) > 1:
            kids.setdefault(int(f[1]), []).append(int(entry))
    out, todo = [], [pid]
    for _ in range(100000):  # bounded walk
        if not todo:
            break
        p = todo.pop()
        out.extend(kids.get(p, []))
        todo.extend(kids.get(p, []))
    return out


def tree_cpu_s(pid):
    """CPU of a daemon and of everything under it: the root's own and reaped children's time
    plus every live descendant's own time (Postfix, postfwd2: children come and go)."""
    return cpu_s(pid, with_children=True) + sum(cpu_s(p) for p in descendants(pid))


def status_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory_of(pids):
    """{"rss_mib", "pss_mib", "processes"} summed over `pids`."""
    pids = [p for p in pids if util.pid_alive(p)]
    return {"rss_mib": sum(status_kb(p, "VmRSS") for p in pids) / 1024,
            "pss_mib": sum(pss_kb(p) for p in pids) / 1024,
            "processes": len(pids)}


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


class MachineCpu:
    """Share of the machine's CPU busy during an interval (all processes, everyone's)."""

    @staticmethod
    def sample():
        with open("/proc/stat") as f:
            parts = f.readline().split()[1:]
        vals = [int(x) for x in parts]
        idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
        return sum(vals), idle

    def __init__(self):
        self.t0, self.i0 = self.sample()

    def busy_share(self):
        t1, i1 = self.sample()
        dt = t1 - self.t0
        return (1 - (i1 - self.i0) / dt) if dt > 0 else None


# --- commands ---------------------------------------------------------------------------------

class Commands:
    """The exact commands run, the first of each kind kept for the report."""

    def __init__(self):
        self.seen = {}

    def note(self, kind, cmd):
        if kind not in self.seen:
            self.seen[kind] = cmd if isinstance(cmd, str) else shlex.join(str(c) for c in cmd)


COMMANDS = Commands()


def run(cmd, timeout, kind=None, check=True, **kw):
    if kind:
        COMMANDS.note(kind, cmd)
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout,
                       stdin=kw.pop("stdin", subprocess.DEVNULL), **kw)
    if check and p.returncode != 0:
        raise RuntimeError(f"{shlex.join(str(c) for c in cmd)} exited {p.returncode}:\n"
                           f"{p.stdout[-2000:]}{p.stderr[-2000:]}")
    return p


# --- peers: postfwd2 and OpenDKIM ------------------------------------------------------------

class Postfwd:
    """postfwd2 (Debian's postfwd) as a daemon on loopback with one rate-limit rule.

    postfwd2 always daemonizes (its --daemon flag is a v1 leftover): a master, a cache
    daemon (which holds the rate counters) and a Net::Server::PreFork policy server with
    one child per connection. Stopped by the master's PID (from its pidfile), then every
    process of its tree is waited for and, if need be, killed by PID."""

    def __init__(self, workdir, rule_item="sasl_username", min_servers=10, max_servers=120,
                 nolog=True, max_spare=None):
        self.dir = os.path.join(workdir, "postfwd")
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.port = port()
        self.cache_port = port()
        self.rules = os.path.join(self.dir, "rules.cf")
        self.pidfile = os.path.join(self.dir, "postfwd.pid")
        with open(self.rules, "w") as f:
            f.write(f"id=RATE01; protocol_state==RCPT; "
                    f"action=rate({rule_item}/1000000000/3600/450 4.7.1 rate limit exceeded)\n")
        self.rule_text = open(self.rules).read().strip()
        self.cmd = ["postfwd2", "-f", self.rules, "-i", "127.0.0.1", "-p", str(self.port),
                    "--cache_socket", f"tcp:127.0.0.1:{self.cache_port}", "--pidfile", self.pidfile,
                    "-n", "-u", "nobody", "-g", "nogroup",
                    "--min_servers", str(min_servers), "--max_servers", str(max_servers),
                    "--min_spare_servers", "5", "--max_spare_servers", str(max_spare or max(50, min_servers))]
        if nolog:
            self.cmd.append("--perfmon")  # = --nolog: no logging at all
        self.master = None
        self.pids = set()

    @property
    def listen(self):
        return f"inet:127.0.0.1:{self.port}"

    def start(self, timeout=30):
        util.become_subreaper()  # the daemonized master is re-parented to us and reaped
        run(self.cmd, timeout=30, kind="postfwd2")
        self.master = util.wait_until(lambda: self._read_pid(), timeout, "postfwd2's pidfile")
        STARTED_PIDS.add(self.master)
        util.wait_for_port(self.port, timeout, what="postfwd2")
        return self

    def _read_pid(self):
        try:
            with open(self.pidfile) as f:
                pid = int(f.read().strip())
            return pid if util.pid_alive(pid) else None
        except (OSError, ValueError):
            return None

    def tree(self):
        if not self.master or not util.pid_alive(self.master):
            return []
        t = [self.master] + descendants(self.master)
        self.pids.update(t)
        STARTED_PIDS.update(t)
        return t

    def cpu_s(self):
        return tree_cpu_s(self.master) if self.master else 0.0

    def stop(self, timeout=20):
        if not self.master:
            return
        pids = self.tree()
        util.signal_pid(self.master, signal.SIGTERM)
        left = util.wait_pids_gone(pids, timeout)
        for p in left:
            util.signal_pid(p, signal.SIGKILL)
        util.wait_pids_gone(left, 5)
        util.reap_session(self.master)  # postfwd2's master is a session leader (setsid)
        self.master = None


def wait_for_socket(path, timeout, process, what):
    """Waits until a UNIX socket accepts connections; fails early if `process` exited."""
    def ready():
        if process.poll() is not None:
            raise util.HarnessError(f"{what} exited with status {process.returncode}")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(path)
            return True
        except OSError:
            return False
    util.wait_until(ready, timeout, f"{what} on {path}")


def genkey(path, kind):
    if kind == "rsa":
        cmd = ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path]
    else:
        cmd = ["openssl", "genpkey", "-algorithm", "ED25519", "-out", path]
    run(cmd, timeout=60)
    os.chmod(path, 0o600)


def dns_record(path, kind):
    der = subprocess.run(["openssl", "pkey", "-in", path, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True, timeout=30).stdout
    if kind == "rsa":
        return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
    return "v=DKIM1; k=ed25519; p=" + base64.b64encode(der[-32:]).decode()


class OpenDkim:
    """One opendkim (-f, foreground) signing with the keys of its KeyTable for every
    SigningTable match (MultipleSignatures yes). OpenDKIM picks one SignatureAlgorithm per
    instance, so Ed25519 + RSA takes two instances (two milters in Postfix)."""

    def __init__(self, workdir, name, keys, signing, algorithm="rsa-sha256", unix=False):
        """keys: [(keyname, domain, selector, keyfile)]; signing: [(pattern, keyname)];
        unix: listen on a UNIX socket (mode 0777 so Postfix's smtpd can connect) not TCP."""
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = None if unix else port()
        self.sock = os.path.join(self.dir, "opendkim.sock") if unix else None
        self.conf = os.path.join(self.dir, "opendkim.conf")
        self.log = os.path.join(self.dir, "opendkim.log")
        with open(os.path.join(self.dir, "KeyTable"), "w") as f:
            for keyname, domain, selector, keyfile in keys:
                f.write(f"{keyname} {domain}:{selector}:{keyfile}\n")
        with open(os.path.join(self.dir, "SigningTable"), "w") as f:
            for pattern, keyname in signing:
                f.write(f"{pattern} {keyname}\n")
        with open(self.conf, "w") as f:
            f.write("\n".join([
                "Syslog no",
                "Mode s",
                "Canonicalization relaxed/relaxed",
                f"SignatureAlgorithm {algorithm}",
                f"KeyTable file:{self.dir}/KeyTable",
                f"SigningTable refile:{self.dir}/SigningTable",
                "MultipleSignatures yes",
                f"SignHeaders {SIGNED_HEADERS}",
                "OversignHeaders From",
                "InternalHosts 127.0.0.1",
                # the keys live under /tmp (world-writable): opendkim's safe-key check would
                # refuse them and tempfail every message
                "RequireSafeKeys no",
                f"Socket local:{self.sock}" if self.sock else f"Socket inet:{self.port}@127.0.0.1",
                f"PidFile {self.dir}/opendkim.pid",
                "UMask 000" if self.sock else "UMask 007",
            ]) + "\n")
        self.process = None

    @property
    def listen(self):
        return f"unix:{self.sock}" if self.sock else f"inet:127.0.0.1:{self.port}"

    def start(self, timeout=20):
        cmd = ["opendkim", "-f", "-x", self.conf]
        COMMANDS.note("opendkim", cmd)
        logf = open(self.log, "ab")
        try:
            self.process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT)
        finally:
            logf.close()
        STARTED_PIDS.add(self.process.pid)
        if self.sock:
            wait_for_socket(self.sock, timeout, self.process, "opendkim")
        else:
            util.wait_for_port(self.port, timeout, process=self.process, what="opendkim")
        return self

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def stop(self):
        util.stop_popen(self.process, timeout=15)


# --- the benchmarks ---------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.build = os.path.abspath(args.build_dir)
        self.tools = os.path.abspath(args.tools_dir)
        self.policyd_bin = os.path.join(self.build, "policyd", "sendpool-policyd")
        self.milter_bin = os.path.join(self.build, "milter", "sendpool-milter")
        self.ctl_bin = os.path.join(self.build, "tools", "sendpoolctl", "sendpoolctl")
        self.load_bin = os.path.join(self.tools, "policy_load")
        self.populate_bin = os.path.join(self.tools, "populate")
        self.reps = args.reps
        self.results = {"mode": "quick" if self.quick else "full", "reps": args.reps, "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                        "errors": [], "notes": []}
        self.work = tempfile.mkdtemp(prefix="sendpool-bench-")
        os.chmod(self.work, 0o755)
        self.only = set(args.only.split(",")) if args.only else None
        # sizes of each load, bounded in count and in time
        if self.quick:
            self.policy_seconds = 2.0
            self.msg_counts = {"4KiB": 200, "100KiB": 100}
            self.chain_count = 200
            self.scale_accounts = [1000, 10000, 100000]
            self.scale_suppressions = [10_000, 100_000, 1_000_000]
            self.mem_levels = [10, 500]
            self.mem_reps = 1
            self.openssl_seconds = 1
        else:
            self.policy_seconds = 5.0
            self.msg_counts = {"4KiB": 1000, "100KiB": 400}
            self.chain_count = 1000
            self.scale_accounts = [1000, 10000, 100000]
            self.scale_suppressions = [10_000, 100_000, 1_000_000, 10_000_000]
            self.mem_levels = [10, 500]
            self.mem_reps = self.reps
            self.openssl_seconds = 3

    def want(self, name):
        if name == "profile" and self.quick:  # callgrind and perf stat: full runs (or --only profile)
            return self.only is not None and name in self.only
        return self.only is None or name in self.only

    # --- machine and versions -----------------------------------------------------------

    def machine(self):
        cpu = "?"
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name"):
                        cpu = line.split(":", 1)[1].strip()
                        break
        except OSError:
            pass
        mem = status_kb_meminfo("MemTotal")
        virt = run(["systemd-detect-virt"], timeout=10, check=False).stdout.strip() if shutil.which("systemd-detect-virt") else "?"

        def version(cmd, rx=None):
            try:
                out = run(cmd, timeout=20, check=False)
                text = (out.stdout + out.stderr).strip()
                if rx:
                    m = re.search(rx, text)
                    return m.group(1) if m else text.splitlines()[0]
                return text.splitlines()[0]
            except Exception as e:  # a missing tool is reported, not fatal
                return f"? ({e})"

        def dpkg(name):
            return version(["dpkg-query", "-W", "-f", "${Version}", name])

        self.results["machine"] = {
            "nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem / 1024 / 1024, 1),
            "kernel": platform.release(), "virtualization": virt or "none",
            "os": version(["sh", "-c", ". /etc/os-release; echo $PRETTY_NAME"]),
            "loadavg_start": loadavg(),
        }
        with open(os.path.join(ROOT, "VERSION")) as f:
            sp_version = f.read().strip()
        self.results["versions"] = {
            "sendpool": sp_version,
            "postfix": version(["postconf", "-d", "mail_version"], r"= (\S+)"),
            "postfix (deb)": dpkg("postfix"),
            "opendkim": version(["opendkim", "-V"], r"OpenDKIM Filter v(\S+)") + f" (deb {dpkg('opendkim')})",
            "libopendkim": dpkg("libopendkim11"),
            "postfwd": "postfwd2 " + version(["postfwd2", "-V"], r"postfwd2 (\S+)") + f" (deb {dpkg('postfwd')})",
            "openssl": version(["openssl", "version"]),
            "lmdb": dpkg("liblmdb0"),
            "compiler": version(["c++", "--version"]),
            "python": platform.python_version(),
        }

    # --- stores ---------------------------------------------------------------------------

    def new_sendpool(self, name, log_level="warning", milter=None, default_pools=None):
        workdir = os.path.join(self.work, name)
        os.makedirs(workdir, exist_ok=True)
        os.chmod(workdir, 0o755)
        sp = Sendpool(workdir, self.build, milter=milter, default_pools=default_pools,
                      log_level=log_level, extra_config={"store_map_size": "16GiB"})
        for p in (sp.policy_port, sp.route_port, sp.auth_port, sp.milter_port):
            if p:
                USED_PORTS.add(p)
        return sp

    def populate(self, sp, accounts, first=0):
        cmd = [self.populate_bin, "--store", sp.store, "--accounts", accounts, "--first", first,
               "--map-size-gib", 16]
        out = run(cmd, timeout=600, kind="populate accounts")
        return json.loads(out.stdout.strip().splitlines()[-1])

    def write_suppression_csv(self, path, start, count):
        with open(path, "w") as f:
            f.write("address,reason\n")
            chunk = []
            for i in range(start, start + count):
                chunk.append(f"sup{i}@suppressed.example,bounce\n")
                if len(chunk) >= 100000:
                    f.writelines(chunk)
                    chunk = []
            f.writelines(chunk)

    def import_suppressions(self, sp, user, start, count):
        """sendpoolctl suppression import USER FILE for `count` new addresses; (seconds, rate)."""
        csv = os.path.join(self.work, f"sup-{start}-{count}.csv")
        self.write_suppression_csv(csv, start, count)
        cmd = [self.ctl_bin, "--config", sp.config_path, "suppression", "import", user, csv]
        t = time.perf_counter()
        run(cmd, timeout=900, kind="suppression import")
        secs = time.perf_counter() - t
        os.unlink(csv)
        return secs, count / secs

    def start_policyd(self, sp):
        sp.start(timeout=60)
        STARTED_PIDS.add(sp.policyd.pid)
        if sp.milter:
            STARTED_PIDS.add(sp.milter.pid)

    def du_mib(self, path):
        out = run(["du", "-sk", path], timeout=60).stdout.split()[0]
        return int(out) / 1024

    # --- policy load ----------------------------------------------------------------------

    def policy_load(self, target, connections, seconds, accounts, rate=0, eom=False, label="",
                    extra=(), server_cpu=None):
        cmd = [self.load_bin, "--connect", target, "--connections", connections, "--duration", seconds,
               "--warmup", min(0.5, seconds / 4), "--accounts", accounts, "--rcpts-per-tx", 5,
               "--suppressed-ratio", 0.01, "--suppressed-count", 1_000_000, "--json", "--label", label]
        if rate:
            cmd += ["--rate", rate]
        cmd += list(extra)
        c0 = server_cpu() if server_cpu else None
        mc = MachineCpu()
        out = run(cmd, timeout=seconds + 60, kind=f"policy_load {'open' if rate else 'closed'}")
        r = json.loads(out.stdout.strip().splitlines()[-1])
        r["machine_busy"] = mc.busy_share()
        if server_cpu:
            r["server_cpu_s"] = server_cpu() - c0
            r["server_cpu_us_per_req"] = r["server_cpu_s"] * 1e6 / max(1, r["replies"])
        return r

    def bench_policy(self):
        log("policy: store with 10,000 accounts and 1,000,000 suppression entries")
        res = self.results.setdefault("policy", {})
        sp = self.new_sendpool("policy")
        t = time.perf_counter()
        self.populate(sp, 10000)
        res["populate_10k_s"] = time.perf_counter() - t
        # the import rate: three imports of 1,000,000 addresses (this store's + two throwaways)
        imports = []
        secs, rate = self.import_suppressions(sp, "acct000000", 0, 1_000_000)
        imports.append({"seconds": secs, "rate": rate})
        for i in range(2):
            tmp = self.new_sendpool(f"import{i}")
            self.populate(tmp, 10000)
            secs, rate = self.import_suppressions(tmp, "acct000000", 0, 1_000_000)
            imports.append({"seconds": secs, "rate": rate})
            shutil.rmtree(os.path.dirname(tmp.dir), ignore_errors=True)
        res["import_1m"] = imports
        res["store_mib"] = self.du_mib(sp.store)
        pfw = Postfwd(self.work, "sasl_username", min_servers=110, max_servers=120)
        res["postfwd_rule"] = pfw.rule_text
        res["postfwd_cmd"] = shlex.join(pfw.cmd)
        try:
            self.start_policyd(sp)
            pfw.start()
            seconds = self.policy_seconds
            sp_cpu = lambda: cpu_s(sp.policyd.pid)  # noqa: E731
            closed = res.setdefault("closed", {})
            for conns in (1, 20, 100):
                runs = closed.setdefault(str(conns), {"sendpool": [], "postfwd": []})
                for rep in range(self.reps):
                    runs["sendpool"].append(self.policy_load(sp.policy_listen, conns, seconds, 10000,
                                                             label="sendpool", server_cpu=sp_cpu))
                    runs["postfwd"].append(self.policy_load(pfw.listen, conns, seconds, 10000,
                                                            label="postfwd", server_cpu=pfw.cpu_s))
                    log(f"policy closed {conns} conn rep {rep + 1}: sendpool {runs['sendpool'][-1]['rps']:.0f}/s "
                        f"p99 {runs['sendpool'][-1]['p99_us']:.0f}us, postfwd {runs['postfwd'][-1]['rps']:.0f}/s "
                        f"p99 {runs['postfwd'][-1]['p99_us']:.0f}us")
            # open loop at a rate both sustain: half of postfwd's closed-loop rate at 20 connections
            pf20 = median([r["rps"] for r in closed["20"]["postfwd"]]) or 500
            rate = max(100, int(pf20 * 0.5 / 100) * 100)
            res["open_rate"] = rate
            opened = res.setdefault("open", {"sendpool": [], "postfwd": []})
            for rep in range(self.reps):
                opened["sendpool"].append(self.policy_load(sp.policy_listen, 20, seconds, 10000, rate=rate,
                                                           label="sendpool", server_cpu=sp_cpu))
                opened["postfwd"].append(self.policy_load(pfw.listen, 20, seconds, 10000, rate=rate,
                                                          label="postfwd", server_cpu=pfw.cpu_s))
            # open loop at a rate only sendpool sustains (its latency at a production-like load)
            hi = res.setdefault("open_high", {"rate": 5000, "sendpool": []})
            for rep in range(self.reps):
                hi["sendpool"].append(self.policy_load(sp.policy_listen, 20, seconds, 10000, rate=hi["rate"],
                                                       label="sendpool", server_cpu=sp_cpu))
            log(f"policy open loop {rate}/s done")
            if self.want("profile"):
                res["perf_stat"] = self.perf_stat_policyd(sp)
        finally:
            pfw.stop()
            res["postfwd_processes"] = len(pfw.pids)
            sp.stop()
        if self.want("profile"):
            res["callgrind"] = self.callgrind_policyd(sp)

    def perf_stat_policyd(self, sp):
        """perf stat (software events) on policyd during a closed-loop run at 20 connections."""
        if not shutil.which("perf"):
            return {"error": "perf not installed"}
        seconds = min(3.0, self.policy_seconds)
        out_file = os.path.join(self.work, "perf-stat.txt")
        perf = ["perf", "stat", "-e", "task-clock,context-switches,cpu-migrations,page-faults",
                "-p", str(sp.policyd.pid), "-o", out_file, "--", "sleep", str(seconds + 0.5)]
        COMMANDS.note("perf stat", perf)
        p = subprocess.Popen(perf, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        STARTED_PIDS.add(p.pid)
        time.sleep(0.2)
        r = self.policy_load(sp.policy_listen, 20, seconds, 10000, label="perf")
        try:
            p.wait(timeout=seconds + 30)
        except subprocess.TimeoutExpired:
            util.stop_popen(p)
        try:
            text = open(out_file).read()
        except OSError:
            return {"error": "no perf output: " + (p.stderr.read() if p.stderr else "")[-300:]}
        stats = {}
        for line in text.splitlines():
            m = re.match(r"\s*([\d,.]+)\s+(msec\s+)?([\w-]+)", line)
            if m and m.group(3) in ("task-clock", "context-switches", "cpu-migrations", "page-faults"):
                stats[m.group(3)] = float(m.group(1).replace(",", ""))
        stats["requests"] = r["replies"]
        stats["rps"] = r["rps"]
        if r["replies"]:
            stats["task_clock_us_per_req"] = stats.get("task-clock", 0) * 1000 / r["replies"]
            stats["cs_per_req"] = stats.get("context-switches", 0) / r["replies"]
        return stats

    def callgrind_policyd(self, sp):
        """Instruction counts of policyd over a fixed number of requests (callgrind)."""
        if not shutil.which("valgrind"):
            return {"error": "valgrind not installed"}
        out = os.path.join(self.work, "callgrind.policyd")
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
               self.policyd_bin, "--config", sp.config_path, "--foreground"]
        COMMANDS.note("callgrind policyd", cmd)
        logf = open(os.path.join(self.work, "callgrind-policyd.log"), "wb")
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT)
        logf.close()
        STARTED_PIDS.add(p.pid)
        n = 20000
        try:
            util.wait_for_port(sp.policy_port, 120, process=p, what="policyd under callgrind")
            r = self.policy_load(sp.policy_listen, 20, 120, 10000, label="callgrind",
                                 extra=["--requests", n, "--warmup", 0])
        finally:
            util.stop_popen(p, timeout=60)
        return self.callgrind_summary(out, r["replies"])

    def callgrind_summary(self, out, units):
        if not os.path.exists(out):
            return {"error": "no callgrind output"}
        ann = run(["callgrind_annotate", "--inclusive=no", out], timeout=120, check=False).stdout
        total = None
        top = []
        for line in ann.splitlines():
            m = re.match(r"\s*([\d,]+)\s+\(?\s*([\d.]+)%\)?\s+(.*)", line)
            if "PROGRAM TOTALS" in line:
                total = int(line.split()[0].replace(",", ""))
            elif m and total is not None and len(top) < 15:
                top.append({"ir": int(m.group(1).replace(",", "")), "share": float(m.group(2)),
                            "function": re.sub(r"\s+\[.*\]$", "", m.group(3))[:140]})
        inc = run(["callgrind_annotate", "--inclusive=yes", out], timeout=120, check=False).stdout
        inclusive = []
        for line in inc.splitlines():
            m = re.match(r"\s*([\d,]+)\s+\(?\s*([\d.]+)%\)?\s+(.*)", line)
            if m and len(inclusive) < 25:
                inclusive.append({"ir": int(m.group(1).replace(",", "")), "share": float(m.group(2)),
                                  "function": re.sub(r"\s+\[.*\]$", "", m.group(3))[:140]})
        return {"total_ir": total, "units": units,
                "ir_per_unit": (total / units) if total and units else None,
                "self_top": top, "inclusive_top": inclusive}

    # --- SMTP stream ----------------------------------------------------------------------

    def message_file(self, size_label):
        size = 4096 if size_label == "4KiB" else 102400
        path = os.path.join(self.work, f"message-{size_label}.eml")
        if os.path.exists(path):
            return path
        headers = [
            f"From: Customer App <{SENDER}>",
            "To: Someone <someone@example.org>",
            "Subject: Your order has shipped",
            "Date: Thu, 04 Dec 2025 10:00:00 +0000",
            f"Message-ID: <bench.1@{CUSTOMER_DOMAIN}>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=us-ascii",
            "Content-Transfer-Encoding: 7bit",
        ]
        text = "\n".join(headers) + "\n\n"
        line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor."
        body = []
        n = len(text)
        i = 0
        while n < size:
            s = f"{i:05d} {line}"
            body.append(s)
            n += len(s) + 2  # CRLF on the wire
            i += 1
        with open(path, "w") as f:
            f.write(text + "\n".join(body) + "\n")
        return path

    def setup_sendpool_catalog(self, chain, key_type="rsa", pool=False):
        sp = chain.sendpool
        if pool:
            sp.add_pool("pool-a", "transactional", "pool_a", "127.0.0.2", "a.example", nexthop=chain.sink.nexthop)
        sp.add_customer("acme")
        sp.add_plan("bulk", "monthly", 1_000_000_000, hourly_limit=1_000_000_000)
        sp.add_account("app", "acme", "bulk", "transactional", PASSWORD)
        sp.ctl("account", "set", "app", "--allow-ip", "127.0.0.0/8")
        sp.ctl("domain", "add", CUSTOMER_DOMAIN, "--key-type", key_type)
        sp.ctl("domain", "link", CUSTOMER_DOMAIN, "app")

    def chain(self, name, *, milter=False, full=False, key_type="rsa", main_cf=None, log_level="info",
              after_setup=None):
        """A Chain (sink, sendpool, Postfix); started. after_setup(chain) runs after the catalogue
        is created, before policyd and Postfix start."""
        cf = {"default_process_limit": "700"}
        if not full:
            # No policy service, no route map, no SASL: Postfix + at most one kind of milter.
            cf.update({"smtpd_recipient_restrictions": "permit_mynetworks, reject",
                       "smtpd_end_of_data_restrictions": "",
                       "sender_dependent_default_transport_maps": "",
                       "smtpd_sasl_auth_enable": "no"})
        cf.update(main_cf or {})
        ch = Chain(self.build, milter=self.milter_bin if milter else None,
                   main_cf=cf, log_level=log_level,
                   default_pools={"transactional": "pool-a"} if full else None,
                   setup=lambda c: (self.setup_sendpool_catalog(c, key_type=key_type, pool=full),
                                    after_setup and after_setup(c)))
        ch.start()
        for p in ([ch.sendpool.policyd.pid] + ([ch.sendpool.milter.pid] if ch.sendpool.milter else [])
                  + [ch.sink.process.pid, ch.postfix.master_pid]):
            STARTED_PIDS.add(p)
        USED_PORTS.update(x for x in (ch.postfix.port, ch.sink.port, ch.sendpool.policy_port,
                                      ch.sendpool.route_port, ch.sendpool.auth_port,
                                      ch.sendpool.milter_port) if x)
        return ch

    def stop_chain(self, ch):
        if ch.postfix and ch.postfix.master_pid:
            STARTED_PIDS.update([ch.postfix.master_pid] + descendants(ch.postfix.master_pid))
        ch.stop()

    def clear_sink(self, ch):
        d = ch.sink.dump_dir
        for n in os.listdir(d):
            try:
                os.unlink(os.path.join(d, n))
            except OSError:
                pass

    def sent_count(self, ch, state):
        """New `status=sent` lines in the maillog since the last call (state: file offset)."""
        try:
            with open(ch.postfix.maillog, "rb") as f:
                f.seek(state["offset"])
                data = f.read()
        except OSError:
            return state["count"]
        cut = data.rfind(b"\n") + 1
        state["offset"] += cut
        state["count"] += data[:cut].count(b" status=sent ")
        state["bounced"] += data[:cut].count(b" status=bounced ") + data[:cut].count(b" milter-reject")
        return state["count"]

    def stream(self, ch, size_label, count, cpu_probes, sessions=10):
        """smtp-source -> Postfix -> sink: `count` messages; returns rates and CPU deltas."""
        msg = self.message_file(size_label)
        state = {"offset": os.path.getsize(ch.postfix.maillog) if os.path.exists(ch.postfix.maillog) else 0,
                 "count": 0, "bounced": 0}
        cmd = ["smtp-source", "-4", "-s", str(sessions), "-m", str(count), "-d", "-f", SENDER,
               "-t", "rcpt@example.org", "-N", "-F", msg, "-M", "client.example",
               f"127.0.0.1:{ch.postfix.port}"]
        COMMANDS.note("smtp-source", cmd)
        cpu0 = {k: f() for k, f in cpu_probes.items()}
        mc = MachineCpu()
        t0 = time.perf_counter()
        src = subprocess.run(cmd, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        t_accept = time.perf_counter()
        if src.returncode != 0:
            raise RuntimeError(f"smtp-source exited {src.returncode}: {src.stdout[-500:]}{src.stderr[-500:]}")
        deadline = time.monotonic() + 180
        while self.sent_count(ch, state) < count and time.monotonic() < deadline:
            if state["bounced"]:
                break
            time.sleep(0.02)
        t_done = time.perf_counter()
        if state["count"] < count:
            raise RuntimeError(f"only {state['count']} of {count} messages delivered "
                               f"({state['bounced']} bounced/rejected) in time; maillog:\n"
                               + util.tail(ch.postfix.maillog, 15))
        cpu = {k: f() - cpu0[k] for k, f in cpu_probes.items()}
        return {"messages": count, "size": size_label, "accept_s": t_accept - t0, "e2e_s": t_done - t0,
                "accept_rate": count / (t_accept - t0), "rate": count / (t_done - t0),
                "cpu_s": cpu, "cpu_us_per_msg": {k: v * 1e6 / count for k, v in cpu.items()},
                "machine_busy": mc.busy_share()}

    def verify_one(self, ch, dnsfunc):
        """dkimpy verdicts for one delivered message: [(d, s, a, valid)]."""
        names = sorted(n for n in os.listdir(ch.sink.dump_dir) if n.startswith("msg."))
        for n in names[:5]:
            path = os.path.join(ch.sink.dump_dir, n)
            with open(path, "rb") as f:
                raw = f.read()
            m = SinkMessage(path, raw)
            try:
                return [list(v) for v in dkim_check.verify_signatures(m.delivered_bytes(), dnsfunc)]
            except Exception as e:  # reported, not fatal
                return [["error", str(e), "", False]]
        return []

    def dns_for(self, records):
        def lookup(qname, timeout=5):
            name = qname.decode() if isinstance(qname, bytes) else qname
            name = name.rstrip(".")
            v = records.get(name)
            return v.encode() if v else None
        return lookup

    def postfix_cpu(self, ch):
        return lambda: tree_cpu_s(ch.postfix.master_pid)

    def run_milter_config(self, name, res):
        """One milter configuration: a Chain, 3 reps x 2 sizes, verification, stop."""
        od = []
        ch = None
        own_milter = None  # sendpool-milter on a UNIX socket, started here (the fixture uses TCP)
        try:
            keydir = os.path.join(self.work, name + "-keys")
            os.makedirs(keydir)
            main_cf = {}
            records = {}
            unix = name.endswith("-unix")
            if name.startswith("opendkim"):
                domain_kind = "ed25519" if "ed25519" in name else "rsa"
                dkey, pkey = os.path.join(keydir, "domain.key"), os.path.join(keydir, "platform.key")
                genkey(dkey, domain_kind)
                genkey(pkey, "rsa")
                records[f"od1._domainkey.{CUSTOMER_DOMAIN}"] = dns_record(dkey, domain_kind)
                records[f"od2._domainkey.{PLATFORM_DOMAIN}"] = dns_record(pkey, "rsa")
                if domain_kind == "rsa":
                    od.append(OpenDkim(self.work, name + "-od", [
                        ("customer", CUSTOMER_DOMAIN, "od1", dkey), ("platform", PLATFORM_DOMAIN, "od2", pkey)],
                        [(f"*@{CUSTOMER_DOMAIN}", "customer"), ("*", "platform")], unix=unix))
                else:
                    od.append(OpenDkim(self.work, name + "-od-ed", [("customer", CUSTOMER_DOMAIN, "od1", dkey)],
                                       [(f"*@{CUSTOMER_DOMAIN}", "customer")], algorithm="ed25519-sha256"))
                    od.append(OpenDkim(self.work, name + "-od-rsa", [("platform", PLATFORM_DOMAIN, "od2", pkey)],
                                       [("*", "platform")]))
                for o in od:
                    o.start()
                main_cf = {"smtpd_milters": ", ".join(o.listen for o in od), "non_smtpd_milters": "",
                           "milter_default_action": "tempfail", "milter_protocol": "6"}
                res.setdefault("opendkim_conf", {})[name] = [open(o.conf).read() for o in od]
            key_type = "ed25519" if "ed25519" in name else "rsa"
            sock = os.path.join(self.work, name + "-milter.sock")
            hook = None
            if name.startswith("sendpool") and unix:
                main_cf = {"smtpd_milters": f"unix:{sock}", "non_smtpd_milters": "",
                           "milter_default_action": "tempfail", "milter_protocol": "6"}
                hook = self.unix_milter_hook(sock)
            ch = self.chain(name, milter=name.startswith("sendpool") and not unix, key_type=key_type,
                            main_cf=main_cf, after_setup=hook)
            if hook:
                own_milter = self.start_unix_milter(ch, sock, name)
            probes = {"postfix": self.postfix_cpu(ch), "sink": lambda: cpu_s(ch.sink.process.pid)}
            if name.startswith("sendpool"):
                mpid = own_milter.pid if own_milter else ch.sendpool.milter.pid
                probes["milter"] = lambda: cpu_s(mpid)
                dnsfunc = dkim_check.dns_stub(ch.sendpool, [CUSTOMER_DOMAIN])
                if own_milter:
                    plat = dict([ch.sendpool.platform_dns_record()])
                    base = dnsfunc
                    dnsfunc = lambda q, timeout=5, base=base, plat=plat: (  # noqa: E731
                        base(q, timeout) or (plat.get((q.decode() if isinstance(q, bytes) else q).rstrip("."), "").encode() or None))
            elif od:
                probes["milter"] = lambda: sum(cpu_s(o.pid) for o in od)
                dnsfunc = self.dns_for(records)
            else:
                dnsfunc = None
            out = res.setdefault(name, {})
            for size in (("4KiB",) if unix else ("4KiB", "100KiB")):
                runs = out.setdefault(size, [])
                for rep in range(self.reps):
                    self.clear_sink(ch)
                    r = self.stream(ch, size, self.msg_counts[size], probes)
                    runs.append(r)
                    if rep == 0 and dnsfunc and "verified" not in out:
                        out["verified"] = self.verify_one(ch, dnsfunc)
                log(f"milter {name} {size}: " + ", ".join(f"{r['rate']:.0f}/s" for r in runs)
                    + (f" milter {median([r['cpu_us_per_msg'].get('milter') for r in runs]) or 0:.0f}us/msg"))
                self.clear_sink(ch)
            if name == "sendpool-rsa" and self.want("profile"):
                res["callgrind_milter"] = self.callgrind_milter(ch)
        finally:
            if ch:
                self.stop_chain(ch)
            if own_milter is not None:
                util.stop_popen(own_milter, timeout=20)
            for o in od:
                o.stop()

    def callgrind_milter(self, ch):
        """Instruction counts of sendpool-milter over a fixed number of 4 KiB messages."""
        if not shutil.which("valgrind"):
            return {"error": "valgrind not installed"}
        sp = ch.sendpool
        util.stop_popen(sp.milter, timeout=20)
        out = os.path.join(self.work, "callgrind.milter")
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", self.milter_bin,
               "--config", sp.config_path, "--foreground"]
        COMMANDS.note("callgrind milter", cmd)
        logf = open(os.path.join(self.work, "callgrind-milter.log"), "wb")
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT)
        logf.close()
        STARTED_PIDS.add(p.pid)
        n = 100
        try:
            util.wait_for_port(sp.milter_port, 120, process=p, what="milter under callgrind")
            self.clear_sink(ch)
            self.stream(ch, "4KiB", n, {}, sessions=2)
        except Exception as e:
            return {"error": str(e)[:300]}
        finally:
            util.stop_popen(p, timeout=60)
            sp.milter = None
        return self.callgrind_summary(out, n)

    def openssl_speed(self):
        cmd = ["openssl", "speed", "-seconds", str(self.openssl_seconds), "rsa2048", "ed25519"]
        out = run(cmd, timeout=120, kind="openssl speed").stdout
        res = {"command": shlex.join(cmd)}
        for line in out.splitlines():
            m = re.match(r"rsa\s+2048 bits\s+([\d.]+)s\s+([\d.]+)s\s+([\d.]+)\s+([\d.]+)", line.strip())
            if m:
                res["rsa2048_sign_per_s"] = float(m.group(3))
                res["rsa2048_sign_us"] = 1e6 / float(m.group(3))
            m = re.search(r"EdDSA \(Ed25519\)\s+([\d.]+)s\s+([\d.]+)s\s+([\d.]+)\s+([\d.]+)", line)
            if m:
                res["ed25519_sign_per_s"] = float(m.group(3))
                res["ed25519_sign_us"] = 1e6 / float(m.group(3))
        return res

    def bench_milter(self):
        res = self.results.setdefault("milter", {})
        res["openssl"] = self.openssl_speed()
        log(f"openssl speed: rsa2048 {res['openssl'].get('rsa2048_sign_per_s')}/s, "
            f"ed25519 {res['openssl'].get('ed25519_sign_per_s')}/s")
        micro = os.path.join(self.tools, "sign_micro")
        if os.path.exists(micro):
            keydir = os.path.join(self.work, "micro-keys")
            os.makedirs(keydir)
            rk, ek = os.path.join(keydir, "rsa.key"), os.path.join(keydir, "ed.key")
            genkey(rk, "rsa")
            genkey(ek, "ed25519")
            try:
                out = run([micro, rk, ek, 60 if self.quick else 150], timeout=300, kind="sign_micro")
                res["micro"] = json.loads(out.stdout.strip().splitlines()[-1])
                log(f"sign_micro: {res['micro']}")
            except Exception as e:
                self.error("sign_micro", e)
        names = ("ceiling", "sendpool-rsa", "opendkim-rsa", "sendpool-ed25519", "opendkim-ed25519",
                 "sendpool-rsa-unix", "opendkim-rsa-unix")
        if self.args.milter_configs:
            names = [n for n in names if n in self.args.milter_configs.split(",")]
        for name in names:
            try:
                self.run_milter_config(name, res)
            except Exception as e:
                self.error(f"milter {name}", e)

    # --- whole chain and memory -----------------------------------------------------------

    def unix_milter_hook(self, sock):
        """Chain after_setup hook: sendpool-milter's settings with a UNIX socket listener (the
        harness's fixture only runs the milter on TCP); start it with start_unix_milter."""
        def hook(c):
            sp = c.sendpool
            sp._write_platform_key()
            sp.config["milter"] = {"listen": f"unix:{sock}"}
            sp.config["platform"]["dkim_selector"] = "sp1"
            sp.config["platform"]["dkim_key_file"] = sp.platform_key_path
            sp.write_config()
        return hook

    def start_unix_milter(self, ch, sock, name):
        logf = open(os.path.join(self.work, name + "-milter.log"), "wb")
        cmd = [self.milter_bin, "--config", ch.sendpool.config_path, "--foreground"]
        COMMANDS.note("sendpool-milter (unix socket)", cmd)
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                             preexec_fn=lambda: os.umask(0))  # smtpd (user postfix) must connect
        logf.close()
        STARTED_PIDS.add(p.pid)
        wait_for_socket(sock, 30, p, "sendpool-milter")
        return p

    def bench_chain(self):
        res = self.results.setdefault("chain", {})
        mem = self.results.setdefault("memory", {})
        milter_cf = {"non_smtpd_milters": "", "milter_default_action": "tempfail", "milter_protocol": "6"}
        for name in ("sendpool", "peer", "sendpool-unix", "peer-unix"):
            ch = None
            od = None
            pfw = None
            own_milter = None
            unix = name.endswith("-unix")
            try:
                if name.startswith("sendpool"):
                    sock = os.path.join(self.work, name + "-milter.sock")
                    if unix:
                        ch = self.chain(name, milter=False, full=True, after_setup=self.unix_milter_hook(sock),
                                        main_cf=dict(milter_cf, smtpd_milters=f"unix:{sock}"))
                        own_milter = self.start_unix_milter(ch, sock, name)
                    else:
                        ch = self.chain("chain-sendpool", milter=True, full=True)
                    mpid = own_milter.pid if own_milter else ch.sendpool.milter.pid
                    probes = {"postfix": self.postfix_cpu(ch), "sink": lambda: cpu_s(ch.sink.process.pid),
                              "milter": lambda: cpu_s(mpid),
                              "policy": lambda: cpu_s(ch.sendpool.policyd.pid)}
                    daemons = {"sendpool-policyd": lambda: [ch.sendpool.policyd.pid],
                               "sendpool-milter": lambda: [mpid]}
                else:
                    keydir = os.path.join(self.work, name + "-keys")
                    os.makedirs(keydir)
                    dkey, pkey = os.path.join(keydir, "domain.key"), os.path.join(keydir, "platform.key")
                    genkey(dkey, "rsa")
                    genkey(pkey, "rsa")
                    od = OpenDkim(self.work, name + "-od", [
                        ("customer", CUSTOMER_DOMAIN, "od1", dkey), ("platform", PLATFORM_DOMAIN, "od2", pkey)],
                        [(f"*@{CUSTOMER_DOMAIN}", "customer"), ("*", "platform")], unix=unix).start()
                    # smtp-source does no AUTH: the rate limit counts per client address here.
                    # min 10 children, spawned on demand up to 520 for the 500-session memory
                    # runs; idle ones are kept (max_spare) so only the first such run waits for
                    # Net::Server's spawning
                    pfw = Postfwd(os.path.join(self.work, name + "-pfw"), "client_address", min_servers=10,
                                  max_servers=max(self.mem_levels) + 20, nolog=False,
                                  max_spare=max(self.mem_levels) + 19)  # must stay below max_servers
                    pfw.start()
                    res["peer_postfwd_rule"] = pfw.rule_text
                    ch = self.chain(name, milter=False, full=False, main_cf=dict(milter_cf, **{
                        "smtpd_recipient_restrictions": f"check_policy_service {pfw.listen}, permit_mynetworks, reject",
                        "smtpd_milters": od.listen}))
                    probes = {"postfix": self.postfix_cpu(ch), "sink": lambda: cpu_s(ch.sink.process.pid),
                              "milter": lambda: cpu_s(od.pid), "policy": pfw.cpu_s}
                    daemons = {"opendkim": lambda: [od.pid], "postfwd2": pfw.tree}
                runs = res.setdefault(name, [])
                for rep in range(self.reps):
                    self.clear_sink(ch)
                    runs.append(self.stream(ch, "4KiB", self.chain_count, probes))
                log(f"chain {name}: " + ", ".join(f"{r['rate']:.0f}/s" for r in runs))
                self.clear_sink(ch)
                if self.want("memory") and not unix:
                    mem[name] = self.memory(ch, daemons)
            except Exception as e:
                self.error(f"chain {name}", e)
            finally:
                if ch:
                    self.stop_chain(ch)
                if own_milter is not None:
                    util.stop_popen(own_milter, timeout=20)
                if od:
                    od.stop()
                if pfw:
                    pfw.stop()

    def memory(self, ch, daemons):
        """RSS/PSS of each daemon idle, then with N SMTP sessions held open (after RCPT and
        after one message each), N in mem_levels; 3 repetitions each, medians."""
        out = {"idle": {k: memory_of(f()) for k, f in daemons.items()}, "reps": self.mem_reps}
        for n in self.mem_levels:
            reps = []
            for rep in range(self.mem_reps):
                reps.append(self.hold_sessions(ch, n, daemons))
                self.clear_sink(ch)
            out[str(n)] = reps
            log(f"memory {n} sessions: " + ", ".join(
                f"{k} {median([r['peak'][k]['rss_mib'] for r in reps]):.1f} MiB" for k in daemons))
        return out

    def hold_sessions(self, ch, n, daemons, timeout=90):
        """N SMTP sessions through Postfix, held at RCPT and again after DATA; RSS sampled at
        both points. Bounded: every socket operation has a timeout; the sessions are closed."""
        socks = []
        deadline = time.monotonic() + timeout
        samples = {}

        def expect(f, code):
            while True:
                line = f.readline()
                if not line:
                    raise RuntimeError("connection closed by Postfix")
                if line[:3] != code.encode():
                    raise RuntimeError(f"expected {code}, got {line!r}")
                if line[3:4] != b"-":
                    return

        def sample(tag):
            samples[tag] = {k: memory_of(f()) for k, f in daemons.items()}

        msg = open(self.message_file("4KiB"), "rb").read().replace(b"\n", b"\r\n")
        try:
            for i in range(n):
                s = socket.create_connection(("127.0.0.1", ch.postfix.port), timeout=60)
                socks.append((s, s.makefile("rb")))
            for s, f in socks:
                expect(f, "220")
            for s, f in socks:
                s.sendall(b"EHLO client.example\r\n")
            for s, f in socks:
                expect(f, "250")
            for i, (s, f) in enumerate(socks):
                s.sendall(f"MAIL FROM:<{SENDER}>\r\nRCPT TO:<hold{i}@example.org>\r\n".encode())
            for s, f in socks:
                expect(f, "250")
                expect(f, "250")
            if time.monotonic() > deadline:
                raise RuntimeError("holding sessions took too long")
            time.sleep(0.5)
            sample("rcpt")
            for s, f in socks:
                s.sendall(b"DATA\r\n")
            for s, f in socks:
                expect(f, "354")
            for s, f in socks:
                s.sendall(msg + b".\r\n")
            for s, f in socks:
                expect(f, "250")
            time.sleep(0.5)
            sample("message")
            for s, f in socks:
                s.sendall(b"QUIT\r\n")
        finally:
            for s, f in socks:
                try:
                    f.close()
                    s.close()
                except OSError:
                    pass
        peak = {k: {"rss_mib": max(samples[t][k]["rss_mib"] for t in samples),
                    "pss_mib": max(samples[t][k]["pss_mib"] for t in samples),
                    "processes": max(samples[t][k]["processes"] for t in samples)} for k in daemons}
        return {"sessions": n, "samples": samples, "peak": peak}

    # --- store scale ----------------------------------------------------------------------

    def scale_run(self, sp, accounts, res_list):
        seconds = max(2.0, self.policy_seconds - 1)
        for rep in range(self.reps):
            o = self.policy_load(sp.policy_listen, 20, seconds, accounts, rate=2000, label="open2000",
                                 server_cpu=lambda: cpu_s(sp.policyd.pid))
            c = self.policy_load(sp.policy_listen, 20, seconds, accounts, label="closed",
                                 server_cpu=lambda: cpu_s(sp.policyd.pid))
            res_list.append({"open": o, "closed": c})

    def bench_scale(self):
        res = self.results.setdefault("scale", {"accounts": {}, "suppression": {}})
        for n in self.scale_accounts:
            sp = self.new_sendpool(f"scale-acc-{n}")
            try:
                t = time.perf_counter()
                self.populate(sp, n)
                entry = {"populate_s": time.perf_counter() - t, "store_mib": self.du_mib(sp.store), "runs": []}
                self.start_policyd(sp)
                self.scale_run(sp, n, entry["runs"])
                res["accounts"][str(n)] = entry
                log(f"scale accounts {n}: p99 " + ", ".join(f"{r['open']['p99_us']:.0f}us" for r in entry["runs"]))
            except Exception as e:
                self.error(f"scale accounts {n}", e)
            finally:
                sp.stop()
                shutil.rmtree(os.path.dirname(sp.dir), ignore_errors=True)
        sp = self.new_sendpool("scale-sup")
        try:
            self.populate(sp, 10000)
            have = 0
            self.start_policyd(sp)
            for n in self.scale_suppressions:
                t = time.perf_counter()
                chunk = 1_000_000
                while have < n:
                    step = min(chunk, n - have)
                    self.import_suppressions(sp, "acct000000", have, step)
                    have += step
                entry = {"import_s": time.perf_counter() - t, "store_mib": self.du_mib(sp.store), "runs": []}
                self.scale_run(sp, 10000, entry["runs"])
                res["suppression"][str(n)] = entry
                log(f"scale suppression {n}: p99 " + ", ".join(f"{r['open']['p99_us']:.0f}us" for r in entry["runs"])
                    + f", store {entry['store_mib']:.0f} MiB")
        except Exception as e:
            self.error("scale suppression", e)
        finally:
            sp.stop()
            shutil.rmtree(os.path.dirname(sp.dir), ignore_errors=True)

    # --- driver ---------------------------------------------------------------------------

    def error(self, what, e):
        text = f"{what}: {type(e).__name__}: {e}"
        log("ERROR " + text)
        traceback.print_exc()
        self.results["errors"].append(text[:3000])

    def leftovers(self):
        """PIDs started by this run still alive, ports it used still bound."""
        time.sleep(1)
        alive = sorted(p for p in STARTED_PIDS if util.pid_alive(p))
        bound = []
        for p in sorted(USED_PORTS):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    bound.append(p)
        return {"pids_started": len(STARTED_PIDS), "alive": alive, "ports_used": len(USED_PORTS), "bound": bound}

    def run(self):
        t0 = time.perf_counter()
        util.become_subreaper()
        self.machine()
        log(f"machine: {self.results['machine']}")
        steps = [("policy", self.bench_policy), ("milter", self.bench_milter), ("chain", self.bench_chain),
                 ("scale", self.bench_scale)]
        try:
            for name, fn in steps:
                if self.want(name) or (name == "chain" and self.want("memory")):
                    t = time.perf_counter()
                    try:
                        fn()
                    except Exception as e:
                        self.error(name, e)
                    self.results.setdefault("durations", {})[name] = time.perf_counter() - t
        finally:
            self.results["machine"]["loadavg_end"] = loadavg()
            self.results["total_s"] = time.perf_counter() - t0
            self.results["leftovers"] = self.leftovers()
            self.results["commands"] = COMMANDS.seen
            shutil.rmtree(self.work, ignore_errors=True)
        return self.results


def status_kb_meminfo(field):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--tools-dir", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", help="comma list of policy,milter,chain,memory,scale,profile")
    ap.add_argument("--milter-configs", help="comma list of milter configurations (debugging)")
    ap.add_argument("--results", default=os.path.join(HERE, "results.json"))
    ap.add_argument("--report", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--command", default="scripts/bench", help="the command line, for the report")
    ap.add_argument("--render-only", action="store_true",
                    help="only re-render --report from an existing --results file (no benchmark)")
    args = ap.parse_args()
    if args.render_only:
        sys.path.insert(0, HERE)
        import report  # noqa: E402
        with open(args.results) as f:
            results = json.load(f)
        with open(args.report, "w") as f:
            f.write(report.render(results))
        return 0
    if args.reps < 3:
        print("note: fewer than 3 repetitions; medians are then not what the report claims", file=sys.stderr)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop fixtures on SIGTERM too
    bench = Bench(args)
    results = bench.run()
    results["command"] = args.command
    # Paths inside the checkout are written relative to it: the report must not carry the
    # layout of the machine it ran on.
    with open(args.results, "w") as f:
        f.write(json.dumps(results, indent=1, default=str).replace(ROOT + "/", ""))
    sys.path.insert(0, HERE)
    import report  # noqa: E402
    with open(args.report, "w") as f:
        f.write(report.render(results).replace(ROOT + "/", ""))
    left = results["leftovers"]
    log(f"done in {results['total_s'] / 60:.1f} min; report: {args.report}; "
        f"left running: {left['alive'] or 'nothing'}; ports still bound: {left['bound'] or 'none'}")
    return 1 if (left["alive"] or left["bound"]) else 0


if __name__ == "__main__":
    sys.exit(main())
