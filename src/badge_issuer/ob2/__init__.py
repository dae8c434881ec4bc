"""Open Badges 2.0 verification: hosted and signed Assertions, with the OB 3.0 report's check ids.

1EdTech's validator core (PyPI ``openbadges`` 1.1.2, last released 2020) was evaluated and is not
used: it targets Python 2.7/3.5 and pins dependencies that conflict with ours (PyLD 0.7.1,
jsonschema 2.6, pycryptodome 3.6.6, python-jose 3.0.1, requests-cache 0.4.13, future), and it
fetches assertions, badge classes, keys, images and JSON-LD contexts with its own ``requests``
sessions, outside the guarded fetcher (no SSRF vetting, no size or fetch budget). The rules it
implements are the specification's, and are small; they are written here over our fetcher.
"""

from __future__ import annotations

from badge_issuer.ob2.documents import OB2_CONTEXT, is_ob2_assertion
from badge_issuer.ob2.verifier import Ob2Verdict, verify_ob2

__all__ = ["OB2_CONTEXT", "Ob2Verdict", "is_ob2_assertion", "verify_ob2"]
