"""``python -m badge_issuer`` runs the CLI."""

from badge_issuer.cli import main

raise SystemExit(main())
