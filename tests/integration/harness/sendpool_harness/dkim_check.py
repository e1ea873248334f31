"""DKIM signatures of a delivered message, verified by dkimpy (python3-dkim) with a DNS stub.

dkimpy is an implementation independent of libopendkim (which signs), so a signature it
accepts is one any receiver would. The DNS stub answers from the store (`sendpoolctl domain
dns --json`) and the platform key, so no real DNS is involved.
"""

import dkim


def dns_stub(sendpool, domains):
    """A dkimpy dnsfunc serving every DKIM record of `domains` and the platform's."""
    records = {}
    for d in domains:
        for r in sendpool.ctl("domain", "dns", d, json=True):
            records[r["record_name"] + "."] = r["txt"]
    if sendpool.milter_bin:
        name, txt = sendpool.platform_dns_record()
        records[name + "."] = txt

    def lookup(qname, timeout=5):
        name = qname.decode() if isinstance(qname, bytes) else qname
        if not name.endswith("."):
            name += "."
        value = records.get(name)
        return value.encode() if value else None
    return lookup


def header_fields(raw):
    """(name, value) of the message's header block, folds kept."""
    head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    out = []
    for line in head.decode("utf-8", "replace").replace("\r\n", "\n").split("\n"):
        if line[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + "\n" + line)
        elif ":" in line:
            name, value = line.split(":", 1)
            out.append((name, value))
    return out


def signature_tags(value):
    """{tag: value} of one DKIM-Signature header value."""
    flat = "".join(value.split())
    return dict(t.split("=", 1) for t in flat.split(";") if "=" in t)


def verify_signatures(raw, dnsfunc):
    """[(d=, s=, a=, valid)] for every DKIM-Signature of `raw`, top to bottom."""
    checker = dkim.DKIM(raw)
    sigs = [v for k, v in header_fields(raw) if k.lower() == "dkim-signature"]
    out = []
    for i, sig in enumerate(sigs):
        tags = signature_tags(sig)
        out.append((tags.get("d", ""), tags.get("s", ""), tags.get("a", ""),
                    bool(checker.verify(idx=i, dnsfunc=dnsfunc))))
    return out
