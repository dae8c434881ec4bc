"""Issuer management outside HTTP: key files follow the transaction that created them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from badge_issuer.application.services import build_services
from badge_issuer.config import Settings
from badge_issuer.credential.requests import IssuerCreate
from badge_issuer.db.migrate import upgrade
from badge_issuer.issuers import add_key, create_issuer

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def test_a_key_file_is_removed_when_its_transaction_rolls_back(settings: Settings) -> None:
    services = build_services(settings)
    upgrade(services.engine)
    keys = Path(settings.keys_dir)
    try:
        with pytest.raises(RuntimeError), services.sessions() as session, session.begin():
            create_issuer(
                IssuerCreate(slug="gone", name="Gone"),
                session=session,
                keystore=services.keystore,
                urls=services.urls,
                status_list_size=settings.status_list_size,
                now=NOW,
            )
            assert len(list(keys.glob("gone-*.pem"))) == 1
            raise RuntimeError("the commit never happens")
        assert list(keys.glob("gone-*.pem")) == []

        with services.sessions() as session, session.begin():
            issuer = create_issuer(
                IssuerCreate(slug="kept", name="Kept"),
                session=session,
                keystore=services.keystore,
                urls=services.urls,
                status_list_size=settings.status_list_size,
                now=NOW,
            )
        assert len(list(keys.glob("kept-*.pem"))) == 1
        with pytest.raises(RuntimeError), services.sessions() as session, session.begin():
            session.add(issuer)
            add_key(issuer, session=session, keystore=services.keystore, now=NOW)
            raise RuntimeError("rolled back")
        assert len(list(keys.glob("kept-*.pem"))) == 1  # the committed key stays, the new one is gone
    finally:
        services.close()
