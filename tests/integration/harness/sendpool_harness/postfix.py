"""A private Postfix instance on loopback wired to sendpool.

    pf = PrivatePostfix(workdir, sendpool, sink)   # writes main.cf / master.cf
    pf.start()                                     # postfix -c DIR start; waits for smtpd
    pf.port                                        # smtpd on 127.0.0.1:pf.port
    pf.wait_for_delivery(2, timeout=30)            # sink messages
    pf.queue()                                     # postqueue -j, parsed
    pf.stop()                                      # postfix stop, then every process gone

Layout under `workdir/postfix`: etc/ (config_directory: main.cf, master.cf), spool/
(queue_directory), data/ (data_directory), maillog (maillog_file), bin/postqueue.

Decisions (see also the README next to this package):
- Its own config and queue directories, chroot column `n` on every service (our daemons
  listen on loopback TCP, nothing needs to be inside a chroot), `inet_interfaces =
  127.0.0.1`, `inet_protocols = ipv4`, smtpd on `127.0.0.1:PORT` only.
- No DNS anywhere: `smtp_dns_support_level = disabled`; the sink is reached as
  `[127.0.0.1]:PORT` (relayhost and default_transport) and pools carry the same next hop.
- SASL: `smtpd_sasl_type = dovecot`, `smtpd_sasl_path = inet:127.0.0.1:<policyd auth port>`,
  no TLS, PLAIN allowed in clear over loopback (`noanonymous` only).
- Restrictions: `smtpd_relay_restrictions = permit_sasl_authenticated, permit_mynetworks,
  reject_unauth_destination` decides relaying; `smtpd_recipient_restrictions =
  check_policy_service <policyd>, permit_sasl_authenticated, permit_mynetworks, reject`
  puts the policy check FIRST, so policyd sees every RCPT of every client: an authenticated
  account, a client IP that an account allows (policyd finds the account and answers DUNNO,
  permit_mynetworks with mynetworks = 127.0.0.0/8 then accepts it), or nobody (policyd
  answers 550 5.7.1 before any permit). A permit placed before the policy check would let
  mail through uncounted.
- `smtpd_end_of_data_restrictions = check_policy_service <policyd>` (charging);
  `sender_dependent_default_transport_maps = socketmap:inet:...:route` as printed by
  `sendpoolctl pool postfix-config`, whose master.cf services (one smtp per pool, with
  smtp_bind_address 127.0.0.2, 127.0.0.3, ...) are appended to master.cf.
- `maillog_file` under the temp dir needs `maillog_file_prefixes` to include it and the
  `postlog` service in master.cf.
- Hooks: `smtpd_milters` is set only when the Sendpool fixture runs a milter; the
  return-path domain's pipe transport (`sendpool-feedback`: relay_domains, transport_maps,
  a `check_recipient_access ... OK` ahead of both policy checks) only when `feedback_argv`
  is given.
- data_directory must belong to `postfix` (master.lock); the temp dir must be traversable.
- The master daemonizes; the harness process makes itself a child subreaper so the master
  and its last children are re-parented to it and reaped, not left as zombies under a PID 1
  that never reaps (containers); Postfix then also belongs to the test's process tree, which
  is what ctest's timeout kill walks.
- postqueue is set-gid postdrop, and Postfix refuses `-c DIR` from set-gid programs unless
  DIR is listed in the *default* main.cf's alternate_config_directories (which we must not
  touch). A copy of the binary without the set-gid bit, run as root, is not "unsafe" and
  accepts `-c`.
"""

import json
import os
import re
import shutil
import signal
import stat
import time

from . import util

# The services of Debian's master.cf.dist that a sending MTA uses, all with chroot = n.
BASE_MASTER_CF = """\
# ==========================================================================
# service type  private unpriv  chroot  wakeup  maxproc command + args
# ==========================================================================
{smtpd_service} inet n      -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
  -o syslog_name=postfix/$service_name
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


class PrivatePostfix:
    """A Postfix instance of its own under `workdir/postfix`, smtpd on 127.0.0.1:<port>.

    sendpool       the Sendpool fixture (policy, route, auth listeners; milter when it has one)
    sink           the Sink fixture every non-local message goes to
    pools_master_cf  master.cf text for the pool transports; default: the `master_cf` of
                   `sendpoolctl pool postfix-config --json` read at construction (so create
                   the pools first)
    main_cf        extra main.cf parameters {name: value} (override the defaults)
    feedback_argv  argv of the program the return-path domain's pipe transport runs; None
                   leaves the hook inactive (no transport_maps, no relay_domains entry)
    """

    def __init__(self, workdir, sendpool, sink, *, port=None, pools_master_cf=None,
                 main_cf=None, feedback_argv=None, feedback_user="nobody"):
        self.workdir = workdir
        self.sendpool = sendpool
        self.sink = sink
        self.dir = os.path.join(workdir, "postfix")
        self.config_dir = os.path.join(self.dir, "etc")
        self.queue_dir = os.path.join(self.dir, "spool")
        self.data_dir = os.path.join(self.dir, "data")
        self.maillog = os.path.join(self.dir, "maillog")
        self.postqueue_bin = os.path.join(self.dir, "bin", "postqueue")
        self.port = port or util.free_port()
        self.feedback_argv = feedback_argv
        self.feedback_user = feedback_user
        self.master_pid = None
        self._running = False
        for d in (self.config_dir, self.queue_dir, self.data_dir, os.path.dirname(self.postqueue_bin)):
            os.makedirs(d, exist_ok=True)
        # Postfix daemons run as `postfix`: they must reach the queue directory and own
        # the data directory (master.lock, caches).
        for d in (workdir, self.dir):
            os.chmod(d, 0o755)
        util.run(["chown", "postfix:", self.data_dir])
        if pools_master_cf is None:
            has_store = os.path.exists(os.path.join(sendpool.store, "data.mdb"))
            pools_master_cf = sendpool.postfix_config()["master_cf"] if has_store else ""
        self.pools_master_cf = pools_master_cf
        self.main_cf = self.default_main_cf()
        self.main_cf.update(main_cf or {})
        self.write_config()
        shutil.copyfile("/usr/sbin/postqueue", self.postqueue_bin)
        os.chmod(self.postqueue_bin, stat.S_IRWXU)  # no set-gid bit: see the module docstring

    # --- configuration ------------------------------------------------------------------

    def default_main_cf(self):
        sp = self.sendpool
        sink = self.sink.nexthop
        c = {
            "compatibility_level": "3.6",
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": "mta.sendpool.test",
            "mydomain": "sendpool.test",
            "myorigin": "$myhostname",
            "mydestination": "",
            "local_recipient_maps": "",
            "alias_maps": "",
            "alias_database": "",
            "local_transport": "error:5.1.1 local delivery is disabled",
            "biff": "no",
            "append_dot_mydomain": "no",
            "readme_directory": "no",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "smtpd_banner": "$myhostname ESMTP sendpool-test",
            # "The Internet" is the sink; no DNS lookups by the SMTP client.
            "relayhost": sink,
            "default_transport": f"smtp:{sink}",
            "smtp_dns_support_level": "disabled",
            "smtp_tls_security_level": "none",
            "smtp_connect_timeout": "5s",
            "smtpd_tls_security_level": "none",
            "smtpd_peername_lookup": "no",
            # SMTP AUTH against sendpool-policyd (Dovecot protocol), plaintext over loopback.
            "smtpd_sasl_auth_enable": "yes",
            "smtpd_sasl_type": "dovecot",
            "smtpd_sasl_path": sp.auth_listen,
            "smtpd_sasl_security_options": "noanonymous",
            "smtpd_sasl_authenticated_header": "no",
            # Relaying, then the policy service before any permit (module docstring).
            "smtpd_relay_restrictions": "permit_sasl_authenticated, permit_mynetworks, "
                                        "reject_unauth_destination",
            "smtpd_recipient_restrictions": f"check_policy_service {sp.policy_listen}, "
                                            "permit_sasl_authenticated, permit_mynetworks, reject",
            "smtpd_end_of_data_restrictions": f"check_policy_service {sp.policy_listen}",
            "sender_dependent_default_transport_maps": f"socketmap:{sp.route_listen}:route",
            # Delivery log for the outcome follower and for tests.
            "maillog_file": self.maillog,
            "maillog_file_prefixes": self.workdir,
            # Fast retries and no throttling: tests wait for deferred mail.
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "in_flow_delay": "0",
            "smtpd_error_sleep_time": "0s",
            "smtpd_soft_error_limit": "100",
            "smtpd_hard_error_limit": "200",
        }
        if sp.milter_listen:
            c["smtpd_milters"] = sp.milter_listen
            c["non_smtpd_milters"] = ""
            c["milter_default_action"] = "tempfail"
            c["milter_protocol"] = "6"
        if self.feedback_argv:
            # Hook: mail to the return-path domain goes to sendpool-feedback via pipe(8).
            domain = sp.return_path_domain
            c["relay_domains"] = domain
            c["transport_maps"] = f"inline:{{ {domain}=sendpool-feedback: }}"
            # Bounces and reports come from anyone, without AUTH: accept them before the
            # policy check, which refuses clients without an account at RCPT and at
            # END-OF-MESSAGE. At END-OF-DATA Postfix knows the recipient only when there is
            # exactly one, which is how DSNs and ARF reports arrive; a message with several
            # recipients still meets the policy check (and is refused when unauthenticated).
            skip = f"check_recipient_access inline:{{ {domain}=OK }}"
            for key in ("smtpd_recipient_restrictions", "smtpd_end_of_data_restrictions"):
                c[key] = f"{skip}, {c[key]}"
            c["sendpool-feedback_destination_recipient_limit"] = "1"
        return c

    def master_cf_text(self):
        text = BASE_MASTER_CF.format(smtpd_service=f"127.0.0.1:{self.port}")
        if self.feedback_argv:
            text += ("# sendpool-feedback: DSNs, ARF reports and unsubscribes to the return-path domain\n"
                     "sendpool-feedback unix -  n       n       -       -       pipe\n"
                     f"  flags=Rq user={self.feedback_user} argv={' '.join(self.feedback_argv)}\n")
        if self.pools_master_cf:
            text += "# --- sendpool pools (sendpoolctl pool postfix-config) ---\n" + self.pools_master_cf
        return text

    def write_config(self):
        with open(os.path.join(self.config_dir, "main.cf"), "w", encoding="utf-8") as f:
            f.write("# written by sendpool_harness\n")
            for key, value in self.main_cf.items():
                f.write(f"{key} = {value}\n")
        with open(os.path.join(self.config_dir, "master.cf"), "w", encoding="utf-8") as f:
            f.write(self.master_cf_text())

    def postconf(self, *args):
        return util.run(["postconf", "-c", self.config_dir] + list(args)).stdout

    def reload(self, pools_master_cf=None, main_cf=None, settle=1.0):
        """Rewrites the configuration (new pools, changed parameters) and `postfix reload`s."""
        if pools_master_cf is not None:
            self.pools_master_cf = pools_master_cf
        self.main_cf.update(main_cf or {})
        self.write_config()
        self._postfix("reload")
        time.sleep(settle)  # the master restarts its children lazily

    # --- lifecycle ----------------------------------------------------------------------

    def _postfix(self, command, timeout=60, check=True):
        return util.run(["postfix", "-c", self.config_dir, command], timeout=timeout, check=check)

    def _read_master_pid(self):
        try:
            with open(os.path.join(self.queue_dir, "pid", "master.pid"), encoding="ascii") as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def start(self, timeout=30):
        if self._running:
            return self
        # Creates the queue directories with their owners and modes, and checks the config.
        self._postfix("check")
        util.become_subreaper()  # see util.become_subreaper
        self._running = True  # from here on stop() has something to do
        util.register_live(self)
        self._postfix("start")
        self.master_pid = util.wait_until(
            lambda: (lambda p: p if p and util.pid_alive(p) else None)(self._read_master_pid()),
            timeout, "the Postfix master PID file")
        util.wait_for_port(self.port, timeout, what="Postfix smtpd")
        return self

    def process_ids(self):
        """The master's PID and its descendants' (read from /proc now)."""
        return ([self.master_pid] if self.master_pid else []) + self._descendants()

    def _descendants(self):
        if not self.master_pid:
            return []
        out, todo = [], [self.master_pid]
        for _ in range(10000):  # bounded walk of the process tree
            if not todo:
                break
            pid = todo.pop()
            kids = util.children_of(pid)
            out.extend(kids)
            todo.extend(kids)
        return out

    def stop(self, timeout=20):
        """`postfix stop`, a bounded wait for the master and every child to exit, then
        SIGKILL by PID for anything left. Safe to call when not (fully) started."""
        if not self._running:
            return
        self._running = False
        util.unregister_live(self)
        if not self.master_pid:
            self.master_pid = self._read_master_pid()
        pids = ([self.master_pid] if self.master_pid else []) + self._descendants()
        self._postfix("stop", check=False)
        left = util.wait_pids_gone(pids, timeout)
        for pid in left:
            util.signal_pid(pid, signal.SIGKILL)
        left = util.wait_pids_gone(left, 5)
        if self.master_pid:
            util.reap_session(self.master_pid)  # the master called setsid()
        if left:
            raise util.HarnessError(f"Postfix processes {left} survived SIGKILL")
        if util.port_open(self.port):
            raise util.HarnessError(f"127.0.0.1:{self.port} still accepts connections after stop")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- observing it -------------------------------------------------------------------

    def log_text(self):
        try:
            with open(self.maillog, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_lines(self, pattern=None):
        lines = self.log_text().splitlines()
        if pattern is None:
            return lines
        rx = re.compile(pattern)
        return [l for l in lines if rx.search(l)]

    def wait_for_log(self, pattern, count=1, timeout=30):
        """Waits until at least `count` maillog lines match `pattern`; returns them."""
        return util.wait_until(lambda: (lambda l: l if len(l) >= count else None)(self.log_lines(pattern)),
                               timeout, f"{count} maillog line(s) matching {pattern!r}")

    def log_for_queue_id(self, queue_id):
        """The maillog lines about one queue ID (smtpd, cleanup, qmgr, smtp, ...)."""
        return [l for l in self.log_lines() if f" {queue_id}: " in l]

    def postqueue(self, *args):
        """`postqueue -c DIR ARGS...` (the non-set-gid copy); its stdout."""
        return util.run([self.postqueue_bin, "-c", self.config_dir] + list(args)).stdout

    def queue(self):
        """The messages in the queue, as the objects of `postqueue -j`."""
        return [json.loads(line) for line in self.postqueue("-j").splitlines() if line.strip()]

    def wait_queue_empty(self, timeout=30):
        util.wait_until(lambda: not self.queue(), timeout, "the Postfix queue to empty")

    def flush(self):
        """Asks for an immediate delivery attempt of deferred mail (postqueue -f)."""
        self.postqueue("-f")

    def wait_for_delivery(self, count, timeout=30):
        """Waits until the sink holds at least `count` complete messages; returns them."""
        return self.sink.wait_for_messages(count, timeout)

    def logs(self):
        return {"Postfix maillog": self.maillog}
