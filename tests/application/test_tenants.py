"""Tenants without HTTP: sub-issuers, profiles, keys, API clients, images, authentication."""

from __future__ import annotations

import pytest

from badge_issuer.application import Services
from badge_issuer.application.publishing import image, issuer_did_document
from badge_issuer.application.tenants import (
    create_issuer_with_admin,
    get_issuer,
    list_clients,
    list_keys,
    new_client,
    new_key,
    replace_profile,
    revoke_api_client,
    upload_image,
)
from badge_issuer.credential.requests import ClientCreate, IssuerCreate, ProfileInput
from badge_issuer.errors import InputError, NotFound, Unauthenticated
from tests.application.conftest import make_issuer, principal_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_a_sub_issuer_names_its_parent_and_keeps_it_across_profile_edits(services: Services) -> None:
    parent = make_issuer(services, "uni")
    caller = principal_of(services, parent.admin.api_key)
    assert caller.issuer_slug == "uni"
    assert caller.scopes == frozenset({"admin"})
    child = create_issuer_with_admin(
        services,
        IssuerCreate.model_validate({"slug": "law", "name": "Law"}),
        client_id=caller.client_id,
        parent_id=caller.issuer_id,
    )
    parent_org = {"id": parent.issuer.did, "type": ["Profile"], "name": "Uni"}
    assert child.issuer.profile["parentOrg"] == parent_org
    assert principal_of(services, child.admin.api_key).issuer_slug == "law"

    edited = replace_profile(services, "law", ProfileInput.model_validate({"name": "Faculty of Law"}))
    assert edited.profile["name"] == "Faculty of Law"
    assert edited.profile["parentOrg"] == parent_org
    assert get_issuer(services, "law") == edited


def test_a_taken_slug_is_refused_and_leaves_no_key_behind(services: Services) -> None:
    make_issuer(services, "uni")
    keys_before = sorted(services.settings.keys_dir.glob("*.pem"))
    with pytest.raises(InputError):
        create_issuer_with_admin(
            services, IssuerCreate.model_validate({"slug": "uni", "name": "Again"}), client_id=None
        )
    assert sorted(services.settings.keys_dir.glob("*.pem")) == keys_before


def test_keys_rotate_for_did_web_only(services: Services) -> None:
    make_issuer(services, "uni")
    added = new_key(services, "uni", client_id=None)
    keys = list_keys(services, "uni")
    assert added.id in {key.id for key in keys}
    assert len(keys) == 2
    methods = issuer_did_document(services, "uni")["assertionMethod"]
    assert added.id in [m if isinstance(m, str) else m["id"] for m in methods]
    make_issuer(services, "keyed", didMethod="key")
    with pytest.raises(InputError):
        new_key(services, "keyed", client_id=None)


def test_a_revoked_client_no_longer_authenticates(services: Services) -> None:
    make_issuer(services, "uni")
    make_issuer(services, "other")
    created = new_client(services, "uni", ClientCreate(name="LMS", scopes=["issue"]), client_id=None)
    assert principal_of(services, created.api_key).scopes == frozenset({"issue"})
    assert created.client in list_clients(services, "uni")
    with pytest.raises(NotFound):
        revoke_api_client(services, "other", created.client.key_id, client_id=None)
    assert revoke_api_client(services, "uni", created.client.key_id, client_id=None).revoked
    with pytest.raises(Unauthenticated):
        principal_of(services, created.api_key)
    with pytest.raises(Unauthenticated):
        principal_of(services, created.api_key[:-2] + "xx")


def test_an_uploaded_image_is_served_by_its_hash(services: Services) -> None:
    caller = principal_of(services, make_issuer(services, "uni").admin.api_key)
    stored = upload_image(services, caller.issuer_id, PNG)
    assert stored.media_type == "image/png"
    assert stored.size == len(PNG)
    assert image(services, stored.url.rsplit("/", 1)[1]).data == PNG
    with pytest.raises(InputError):
        upload_image(services, caller.issuer_id, b"<html></html>")
