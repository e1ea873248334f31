"""sendpool's integration harness: a private Postfix on loopback wired to sendpool's daemons,
"the Internet" as an SMTP sink, and swaks as the customer's application (stdlib only).

Used by tests/integration/*, scripts/demo and the benchmarks. Put the directory above this
package on sys.path:

    sys.path.insert(0, "<source>/tests/integration/harness")
    from sendpool_harness import Chain, Sendpool, Sink, PrivatePostfix, swaks

Fixtures (each has start() / stop() / logs(), works as a context manager, and stops only the
processes it started, by PID, with bounded waits):
- Sendpool: sendpool.yaml, store, token secret, sendpoolctl (`ctl`), sendpool-policyd and the
  milter hook.
- Sink: smtp-sink with dump files, or pysink.py when chosen recipients must be refused.
- PrivatePostfix: its own config and queue directories, smtpd on 127.0.0.1:<port>.
- Chain: the three together; ChainTestCase: one Chain per test class, logs printed on failure.
"""

from .chain import Chain, ChainTestCase, main
from .postfix import PrivatePostfix
from .sendpool import CATEGORIES, DKIM_DOMAIN, RETURN_PATH_DOMAIN, CtlError, Sendpool
from .sink import Sink, SinkMessage
from .swaks import SwaksResult, swaks
from .util import HarnessError, free_port, wait_until

__all__ = [
    "Chain", "ChainTestCase", "main", "PrivatePostfix", "Sendpool", "CtlError", "Sink",
    "SinkMessage", "swaks", "SwaksResult", "HarnessError", "free_port", "wait_until",
    "CATEGORIES", "DKIM_DOMAIN", "RETURN_PATH_DOMAIN",
]
