"""The sendpool side of the chain: configuration, store, sendpoolctl, sendpool-policyd and
(once it exists) sendpool-milter.

    sp = Sendpool(workdir, build_dir)       # writes sendpool.yaml and the token secret
    sp.ctl("customer", "add", "acme")       # sendpoolctl against that config and store
    sp.start()                              # policyd (and the milter, when given)
    ...
    sp.stop()                               # by PID, bounded; safe to call twice

Every listener is `inet:127.0.0.1:<free port>`: loopback TCP avoids the chroot and the
socket-permission questions of UNIX sockets under a private Postfix queue directory.
"""

import json as jsonlib
import os
import signal
import subprocess

from . import util

RETURN_PATH_DOMAIN = "bounces.sendpool.test"
DKIM_DOMAIN = "dkim.sendpool.test"
PLATFORM_SELECTOR = "sp1"
CATEGORIES = ("transactional", "promotional")


class CtlError(util.HarnessError):
    """sendpoolctl exited non-zero; carries its exit status and output."""

    def __init__(self, args, rc, out, err):
        super().__init__(f"sendpoolctl {' '.join(args)} exited with {rc}: {err.strip() or out.strip()}")
        self.rc, self.out, self.err = rc, out, err


def find_binary(build_dir, *relative):
    """`build_dir/relative...` when it is an executable file; HarnessError otherwise."""
    if not build_dir:
        raise util.HarnessError(f"no build directory given to find {relative[-1]}")
    path = os.path.join(build_dir, *relative)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise util.HarnessError(f"{path} not found: build it first "
                                f"(cmake --build {build_dir} --target {relative[-1]})")
    return path


def yaml_scalar(value):
    """A YAML scalar for our own config values: booleans and numbers bare, text quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return jsonlib.dumps(str(value))  # a JSON string is a valid double-quoted YAML scalar


def yaml_dump(mapping, indent=0):
    lines = []
    for key, value in mapping.items():
        if isinstance(value, dict):
            lines.append(" " * indent + f"{key}:")
            lines.extend(yaml_dump(value, indent + 2))
        else:
            lines.append(" " * indent + f"{key}: {yaml_scalar(value)}")
    return lines


def merge(base, extra):
    for key, value in (extra or {}).items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


class Sendpool:
    """sendpool's configuration, store and daemons under `workdir/sendpool`.

    build_dir     CMake build directory holding policyd/sendpool-policyd and
                  tools/sendpoolctl/sendpoolctl (explicit paths may be given instead).
    default_pools {"transactional": pool name, "promotional": pool name} for policyd's
                  default_*_pool keys (the pool of an account that has none assigned yet).
    milter        path of sendpool-milter; None (the default) runs no milter, and then
                  `milter_listen` is None so PrivatePostfix configures no smtpd_milters.
    extra_config  nested dict merged over the generated sendpool.yaml (e.g. the platform
                  DKIM key the milter will need).
    """

    def __init__(self, workdir, build_dir=None, *, policyd=None, sendpoolctl=None, milter=None,
                 default_pools=None, log_level="info", extra_config=None):
        self.dir = os.path.join(workdir, "sendpool")
        os.makedirs(self.dir, exist_ok=True)
        self.policyd_bin = policyd or find_binary(build_dir, "policyd", "sendpool-policyd")
        self.sendpoolctl_bin = sendpoolctl or find_binary(build_dir, "tools", "sendpoolctl", "sendpoolctl")
        self.milter_bin = milter
        self.config_path = os.path.join(self.dir, "sendpool.yaml")
        self.store = os.path.join(self.dir, "store")
        self.secret_path = os.path.join(self.dir, "token.secret")
        self.policyd_log = os.path.join(self.dir, "policyd.log")
        self.milter_log = os.path.join(self.dir, "milter.log")
        self.return_path_domain = RETURN_PATH_DOMAIN
        self.dkim_domain = DKIM_DOMAIN
        self.policy_port = util.free_port()
        self.route_port = util.free_port()
        self.auth_port = util.free_port()
        self.milter_port = util.free_port() if milter else None
        self.default_pools = dict(default_pools or {})
        self.policyd = None  # subprocess.Popen while running
        self.milter = None
        self._write_secret()
        self.platform_key_path = os.path.join(self.dir, "platform.private")
        if milter:
            self._write_platform_key()
        self.config = self._config(log_level, extra_config)
        self.write_config()

    # --- listen specs as Postfix must name them -----------------------------------------

    @property
    def policy_listen(self):
        return f"inet:127.0.0.1:{self.policy_port}"

    @property
    def route_listen(self):
        return f"inet:127.0.0.1:{self.route_port}"

    @property
    def auth_listen(self):
        return f"inet:127.0.0.1:{self.auth_port}"

    @property
    def milter_listen(self):
        """smtpd_milters value, or None when no milter runs."""
        return f"inet:127.0.0.1:{self.milter_port}" if self.milter_bin else None

    # --- configuration ------------------------------------------------------------------

    def _write_secret(self):
        fd = os.open(self.secret_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(os.urandom(32))
        os.chmod(self.secret_path, 0o600)

    def _write_platform_key(self):
        """The platform's own DKIM key (RSA-2048), which the milter signs with."""
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                        "-out", self.platform_key_path], check=True, capture_output=True)
        os.chmod(self.platform_key_path, 0o600)

    def platform_dns_record(self):
        """(name, TXT value) publishing the platform key, as a DNS stub would serve it."""
        der = subprocess.run(["openssl", "pkey", "-in", self.platform_key_path, "-pubout",
                              "-outform", "DER"], check=True, capture_output=True).stdout
        import base64
        return (f"{PLATFORM_SELECTOR}._domainkey.{DKIM_DOMAIN}",
                "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode())

    def _config(self, log_level, extra):
        config = {
            "store": self.store,
            "store_map_size": "256MiB",
            "platform": {
                "id": "sendpool-test",
                "dkim_domain": DKIM_DOMAIN,
                "return_path_domain": RETURN_PATH_DOMAIN,
                "token_secret_file": self.secret_path,
            },
            "policyd": {
                "policy_listen": self.policy_listen,
                "route_listen": self.route_listen,
                "auth_listen": self.auth_listen,
                "default_transactional_pool": self.default_pools.get("transactional", ""),
                "default_promotional_pool": self.default_pools.get("promotional", ""),
            },
            "logging": {"level": log_level},
        }
        if self.milter_bin:
            config["milter"] = {"listen": self.milter_listen}
            config["platform"]["dkim_selector"] = PLATFORM_SELECTOR
            config["platform"]["dkim_key_file"] = self.platform_key_path
        return merge(config, extra)

    def write_config(self):
        """(Re)writes sendpool.yaml from self.config; daemons read it when they start."""
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write("# written by sendpool_harness\n" + "\n".join(yaml_dump(self.config)) + "\n")

    # --- sendpoolctl --------------------------------------------------------------------

    def ctl_run(self, *args, json=False, input=None, timeout=60):
        """Runs sendpoolctl; returns the CompletedProcess whatever its exit status."""
        cmd = [self.sendpoolctl_bin, "--config", self.config_path] + (["--json"] if json else [])
        cmd += [str(a) for a in args]
        return util.run(cmd, timeout=timeout, check=False, input=input)

    def ctl(self, *args, json=False, input=None, timeout=60):
        """Runs sendpoolctl; its stdout (parsed when json=True); CtlError on a non-zero exit."""
        p = self.ctl_run(*args, json=json, input=input, timeout=timeout)
        if p.returncode != 0:
            raise CtlError([str(a) for a in args], p.returncode, p.stdout, p.stderr)
        return jsonlib.loads(p.stdout) if json else p.stdout

    # A few shortcuts for the catalogue every scenario needs.

    def add_customer(self, name, max_accounts=10):
        return self.ctl("customer", "add", name, "--max-accounts", max_accounts)

    def add_plan(self, name, kind, messages, **limits):
        """limits: hourly_limit, max_recipients, max_size, valid_days (CLI option names)."""
        args = ["plan", "add", name, "--kind", kind, "--messages", messages]
        for key, value in limits.items():
            args += ["--" + key.replace("_", "-"), value]
        return self.ctl(*args)

    def add_account(self, user, customer, plan, type_, password):
        return self.ctl("account", "add", user, "--customer", customer, "--plan", plan,
                        "--type", type_, "--password-stdin", input=password + "\n")

    def add_pool(self, name, category, transport, bind, helo, nexthop=None, min_score=0):
        args = ["pool", "add", name, "--category", category, "--min-score", min_score,
                "--transport", transport, "--bind", bind, "--helo", helo]
        if nexthop:
            args += ["--nexthop", nexthop]
        return self.ctl(*args)

    def account(self, user):
        return self.ctl("account", "show", user, json=True)

    def stats(self, user, days=1):
        """The `total` counters of `sendpoolctl stats USER --days N --json`."""
        return self.ctl("stats", user, "--days", days, json=True)["total"]

    def route(self, user):
        return self.ctl("route", "show", user, json=True)

    def postfix_config(self):
        """{"master_cf": ..., "main_cf": ...} from `sendpoolctl pool postfix-config --json`."""
        return self.ctl("pool", "postfix-config", json=True)

    # --- daemons ------------------------------------------------------------------------

    def start(self, timeout=20):
        """Starts sendpool-policyd (and the milter when configured); waits for their ports."""
        util.register_live(self)
        if self.policyd is None or self.policyd.poll() is not None:
            self.policyd = self._spawn([self.policyd_bin, "--config", self.config_path,
                                        "--foreground"], self.policyd_log)
            try:
                for port in (self.policy_port, self.route_port, self.auth_port):
                    util.wait_for_port(port, timeout, process=self.policyd, what="sendpool-policyd")
            except util.HarnessError as e:
                # e.g. "no store at ...": policyd never creates the store, sendpoolctl does
                # (create the catalogue before start()).
                raise util.HarnessError(f"{e}\n{util.tail(self.policyd_log, 20)}") from None
        if self.milter_bin and (self.milter is None or self.milter.poll() is not None):
            self.milter = self._spawn([self.milter_bin, "--config", self.config_path,
                                       "--foreground"], self.milter_log)
            util.wait_for_port(self.milter_port, timeout, process=self.milter, what="sendpool-milter")
        return self

    @staticmethod
    def _spawn(cmd, log_path):
        log = open(log_path, "ab")
        try:
            return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        finally:
            log.close()  # the child keeps its own descriptor

    def kill_policyd(self, sig=signal.SIGKILL):
        """Signals policyd by PID and reaps it (crash tests); start() brings it back."""
        if self.policyd is not None and self.policyd.poll() is None:
            util.signal_pid(self.policyd.pid, sig)
            self.policyd.wait(timeout=10)

    def restart_policyd(self, timeout=20):
        util.stop_popen(self.policyd)
        self.policyd = None
        return self.start(timeout)

    def stop(self):
        """Stops what start() started, by PID (SIGTERM, bounded wait, SIGKILL)."""
        util.stop_popen(self.milter)
        util.stop_popen(self.policyd)
        util.unregister_live(self)

    def logs(self):
        """{title: path} of the log files worth printing when a test fails."""
        out = {"sendpool-policyd log": self.policyd_log}
        if self.milter_bin:
            out["sendpool-milter log"] = self.milter_log
        return out

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
