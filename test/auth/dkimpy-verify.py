#!/usr/bin/python3
"""An independent DKIM verifier for the tests: Debian's python3-dkim (dkimpy) with python3-dnspython.

Usage: dkimpy-verify.py HOST PORT FILE...

Verifies every DKIM-Signature of each message file (dkimpy checks one signature per call, by
index) with the key records served by the DNS server at HOST PORT, and prints one line per file:
a JSON list with one object per signature, {"d": ..., "s": ..., "a": ..., "ok": bool, "error": ...}.
"""
import json
import re
import sys

import dkim
import dns.flags
import dns.message
import dns.query
import dns.rdatatype


def main():
    host, port = sys.argv[1], int(sys.argv[2])

    def dnsfunc(name, timeout=5):
        qname = name.decode() if isinstance(name, bytes) else name
        query = dns.message.make_query(qname, dns.rdatatype.TXT)
        reply = dns.query.udp(query, host, port=port, timeout=timeout)
        if reply.flags & dns.flags.TC:
            reply = dns.query.tcp(query, host, port=port, timeout=timeout)
        for rrset in reply.answer:
            if rrset.rdtype == dns.rdatatype.TXT:
                return b"".join(list(rrset.items)[0].strings)
        return None

    for path in sys.argv[3:]:
        with open(path, "rb") as f:
            message = f.read()
        verifier = dkim.DKIM(message)
        header = re.split(rb"\r?\n\r?\n", message, maxsplit=1)[0]
        count = len(re.findall(rb"(?im)^dkim-signature:", header))
        results = []
        for idx in range(count):
            try:
                ok = verifier.verify(idx=idx, dnsfunc=dnsfunc)
                error = None
            except dkim.DKIMException as e:
                ok, error = False, str(e)
            sig = verifier.signature_fields or {}
            get = lambda k: sig.get(k).decode() if isinstance(sig.get(k), bytes) else None
            results.append({"d": get(b"d"), "s": get(b"s"), "a": get(b"a"), "ok": bool(ok), "error": error})
        print(json.dumps(results))


main()
