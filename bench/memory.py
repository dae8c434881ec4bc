"""Memory stays flat however many credentials are signed: every cache on the way is bounded.

Run: ``.venv/bin/python bench/memory.py [--count 20000] [--every 2000]`` (``--count 1000000``
for the issue's million). Signs ``--count`` OpenBadgeCredentials of varied content (each its own
id, recipient, achievement, evidence URLs, tags, numbers, non-ASCII names; a hundred issuers' keys
in turn) the way issuance does — JSON Schema validation, then an eddsa-rdfc-2022 proof on the
pinned loader — and verifies every tenth with ``verify_badge`` (its status list in process), so the
caches of both paths fill: processed contexts and IRIs (``jsonld/context_memo``), the verify data
and signature memos (``crypto/proof_memo``), the schema memo (``credential/schema_fast``) and
pyld's resolved contexts. Prints the resident set size every ``--every`` credentials and, at the
end, its growth after the first tenth (when the caches are full), which must stay small: a cache
without a bound grows with the count.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.badges import CANON, SCHEMAS, Documents, Issuer, context, status_list

from badge_issuer.crypto.data_integrity import ProofOptions, add_proof
from badge_issuer.crypto.suites import suite_by_name
from badge_issuer.verification import verify_badge
from sign_verify import typical_credential

STATUS = "https://badges.example.edu/status/revocation/1"


def rss_mb() -> float:
    """The resident set size of this process now, in MB (Linux ``/proc``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def varied(issuer: Issuer, number: int) -> dict[str, Any]:
    """The typical credential with everything a run of awards varies, varied."""
    document = typical_credential(issuer.did)
    document["id"] = f"urn:uuid:{number:08x}-1f0e-4a8c-9d55-{number * 7919 % 16**12:012x}"
    document["name"] = f"Kurs Nr. {number} — Datenanalyse ✓"
    achievement = document["credentialSubject"]["achievement"]
    achievement["id"] = f"https://badges.example.edu/achievements/a{number % 5000}/v/{number % 7 + 1}"
    achievement["name"] = f"Achievement {number % 5000} «{chr(0x4E00 + number % 2000)}»"
    achievement["tag"] = [f"tag-{number % 997}", f"skill-{number % 101}", "python"]
    achievement["creditsAvailable"] = number % 30 + 0.5
    subject = document["credentialSubject"]
    subject["identifier"][0]["identityHash"] = f"sha256${number:064x}"
    subject["identifier"][0]["salt"] = f"salt{number}"
    subject["result"][0]["value"] = "ABCD"[number % 4]
    document["evidence"][0]["id"] = f"https://badges.example.edu/evidence/{number}"
    document["evidence"][0]["narrative"] = f"Evidence {number}: notebook {number * 31 % 1000}."
    document["validFrom"] = f"2026-{number % 12 + 1:02d}-{number % 28 + 1:02d}T12:00:00Z"
    return document


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--every", type=int, default=0, help="report interval (default: count / 10)")
    args = parser.parse_args()
    count = max(10, args.count)
    every = args.every or max(1, count // 10)
    suite = suite_by_name("eddsa-rdfc-2022")
    options = ProofOptions(created=datetime(2026, 11, 24, 12, tzinfo=UTC))
    issuers = [Issuer(f"Issuer {n}") for n in range(100)]
    documents = Documents({STATUS: status_list(issuers[0], STATUS)})
    ctx = context(documents=documents, now=datetime(2027, 1, 1, tzinfo=UTC))
    print(f"{'signed':>10}{'RSS MB':>10}{'per s':>10}")
    start, started, baseline = time.perf_counter(), rss_mb(), None
    print(f"{0:>10}{started:>10.1f}{'':>10}")
    for number in range(1, count + 1):
        issuer = issuers[0] if number % 10 == 0 else issuers[number % 100]
        unsigned = varied(issuer, number)
        SCHEMAS.validate_credential(unsigned)
        signed = add_proof(unsigned, suite=suite, signer=issuer.signer, canon=CANON, options=options)
        if number % 10 == 0:
            documents.requested.clear()  # the test double's own log, not a cache of ours
            report = verify_badge(signed, ctx=ctx)
            assert report.verified, [check.to_json() for check in report.checks if check.status != "passed"]
        if number % every == 0:
            gc.collect()
            now = rss_mb()
            if baseline is None and number >= count // 10:
                baseline = now
            print(f"{number:>10}{now:>10.1f}{number / (time.perf_counter() - start):>10.0f}", flush=True)
    final = rss_mb()
    print(
        f"RSS {started:.1f} MB at start, {baseline or final:.1f} MB after the first tenth, {final:.1f} MB at "
        f"the end: {final - (baseline or final):+.1f} MB over the last {count - count // 10} credentials"
    )


if __name__ == "__main__":
    main()
