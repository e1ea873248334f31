"""The whole chain in one object, and a unittest base class that prints its logs on failure.

    chain = Chain(build_dir, setup=create_pools_and_accounts, default_pools={...})
    chain.start()      # sink, then sendpool (setup runs before policyd), then Postfix
    chain.swaks(to=..., from_=..., user=..., password=...)
    chain.stop()       # Postfix, sendpool, sink, by PID; removes the temp dir unless keep

`setup(chain)` runs after the sink started and sendpool's configuration was written, before
policyd and Postfix start: the place to create pools (whose master.cf services Postfix reads
at start, `chain.sink.nexthop` being their next hop), plans and accounts.
"""

import os
import shutil
import signal
import sys
import tempfile
import unittest

from . import util
from .postfix import PrivatePostfix
from .sendpool import Sendpool
from .sink import Sink
from .swaks import swaks


class Chain:
    def __init__(self, build_dir, *, workdir=None, setup=None, default_pools=None,
                 sink_refusals=None, sink_implementation=None, milter=None, main_cf=None,
                 feedback_argv=None, log_level="info", extra_config=None, keep=False):
        self.build_dir = build_dir
        self.workdir = workdir
        self._own_workdir = workdir is None
        self.setup = setup
        self.default_pools = default_pools
        self.sink_refusals = sink_refusals
        self.sink_implementation = sink_implementation
        self.milter = milter
        self.main_cf = main_cf
        self.feedback_argv = feedback_argv
        self.log_level = log_level
        self.extra_config = extra_config
        self.keep = keep
        self.sink = self.sendpool = self.postfix = None

    def start(self):
        """Starts everything; on failure stops what did start and re-raises."""
        util.require_tools("postfix", "postconf", "smtp-sink", "swaks")
        util.register_live(self)  # stopped (and its temp dir removed) at exit if need be
        try:
            if self.workdir is None:
                self.workdir = tempfile.mkdtemp(prefix="sendpool-it-")
            os.chmod(self.workdir, 0o755)  # Postfix's unprivileged daemons must traverse it
            self.sink = Sink(self.workdir, refusals=self.sink_refusals,
                             implementation=self.sink_implementation).start()
            self.sendpool = Sendpool(self.workdir, self.build_dir, milter=self.milter,
                                     default_pools=self.default_pools, log_level=self.log_level,
                                     extra_config=self.extra_config)
            if self.setup:
                self.setup(self)
            self.sendpool.start()
            self.postfix = PrivatePostfix(self.workdir, self.sendpool, self.sink,
                                          main_cf=self.main_cf, feedback_argv=self.feedback_argv)
            self.postfix.start()
        except BaseException:
            self.dump_logs()
            self.stop()
            raise
        return self

    def stop(self):
        """Stops whatever runs (Postfix first, then sendpool, then the sink); idempotent.
        Every step is attempted even when an earlier one fails; the first error is raised."""
        errors = []
        for fixture in (self.postfix, self.sendpool, self.sink):
            if fixture is None:
                continue
            try:
                fixture.stop()
            except Exception as e:  # keep stopping the others
                errors.append(e)
        if self._own_workdir and self.workdir and not self.keep and not errors:
            shutil.rmtree(self.workdir, ignore_errors=True)
        elif self.workdir and os.path.isdir(self.workdir):
            sys.stderr.write(f"sendpool_harness: kept {self.workdir}\n")
        util.unregister_live(self)
        if errors:
            raise errors[0]

    def swaks(self, **kw):
        return swaks(self.postfix.port, **kw)

    def logs(self):
        out = {}
        for fixture in (self.postfix, self.sendpool, self.sink):
            if fixture is not None:
                out.update(fixture.logs())
        return out

    def dump_logs(self, stream=None, lines=120):
        stream = stream or sys.stderr
        for title, path in self.logs().items():
            stream.write(f"\n===== {title} ({path}), last {lines} lines =====\n")
            stream.write(util.tail(path, lines) + "\n")
        if self.sink is not None:
            msgs = self.sink.messages()
            stream.write(f"\n===== the sink received {len(msgs)} message(s) =====\n")
            for m in msgs[-lines:]:
                stream.write(f"client={m.client_addr} from=<{m.mail_from}> to={m.rcpt_to} "
                             f"subject={m.message.get('Subject')!r}\n")
            for client, rcpt, reply in self.sink.refusals()[-lines:]:
                stream.write(f"refused: client={client} to=<{rcpt}>: {reply}\n")
        stream.flush()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class ChainTestCase(unittest.TestCase):
    """Runs one Chain for the whole class and prints its logs when a test fails.

    Subclasses set `chain_options` (keyword arguments of Chain) and/or override
    `setup_chain(chain)` (the Chain's `setup` hook), and use `cls.chain`."""

    build_dir = None  # set by main() from --build-dir
    chain_options = {}
    chain = None

    @classmethod
    def setup_chain(cls, chain):
        pass

    @classmethod
    def setUpClass(cls):
        if not cls.build_dir:
            raise unittest.SkipTest("no --build-dir given")
        options = dict(cls.chain_options)
        if os.environ.get("SENDPOOL_HARNESS_KEEP"):
            options["keep"] = True  # processes still stop; the temp dir stays for a look
        chain = Chain(cls.build_dir, setup=cls.setup_chain, **options)
        cls.addClassCleanup(chain.stop)  # also runs when start() fails half-way
        cls.chain = chain.start()

    def run(self, result=None):
        if result is None:
            result = self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        outcome = super().run(result)
        if len(result.failures) + len(result.errors) > before and self.chain is not None:
            sys.stderr.write(f"\n##### {self.id()} failed: logs of the chain follow #####\n")
            self.chain.dump_logs()
        return outcome


def main(argv=None, module="__main__"):
    """unittest.main() that first takes `--build-dir DIR` (or $SENDPOOL_BUILD_DIR) out of argv."""
    # SIGTERM ends the run like Ctrl-C does (KeyboardInterrupt: unittest does not swallow it,
    # unlike SystemExit); the fixtures are then stopped by util's atexit hook.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    argv = list(sys.argv if argv is None else argv)
    build_dir = os.environ.get("SENDPOOL_BUILD_DIR")
    rest = [argv[0]]
    i = 1
    while i < len(argv):
        if argv[i] == "--build-dir" and i + 1 < len(argv):
            build_dir = argv[i + 1]
            i += 2
        elif argv[i].startswith("--build-dir="):
            build_dir = argv[i].split("=", 1)[1]
            i += 1
        else:
            rest.append(argv[i])
            i += 1
    ChainTestCase.build_dir = os.path.abspath(build_dir) if build_dir else None
    unittest.main(module=module, argv=rest, verbosity=2)
