"""The application layer: one function per use case, between the surfaces and the spines.

Surfaces (``api/``, ``cli.py``) parse their input, call a use case with the ``Services`` built by
the composition root (``application.services.build_services``), and serialise the result. A use
case owns its transaction, calls the spines (``issuance``, ``verification``, ``revocation``) and
returns plain results (dataclasses, reports) or raises an ``errors`` exception.

- ``issuing``: issue one badge or a batch, idempotently
- ``records``: list and read issuance records; revoke, suspend, unsuspend
- ``tenants``: issuers (with their first admin client), profiles, keys, API clients, images, API keys
- ``achievements``: create, read, list (or by skill alignment), publish a new version
- ``pathways``: pathway definitions (versioned requirement trees); ``pathway_awards``: a learner's
  progress, submitted external badges, the one automatic award and its audit; ``stacking``: issuing
  that advances the pathways it completes, revoking that applies their policy
- ``clr``: a learner's signed CLR 2.0 ClrCredential
- ``publishing``: the public documents (credentials, profiles, DIDs, achievements, status lists)
- ``verifying``: verify one presented badge or a batch, within a fetch budget
- ``operations``: first-run setup (deployment key, schema), migrations, readiness
"""

from __future__ import annotations

from badge_issuer.application.services import Services, build_services

__all__ = ["Services", "build_services"]
