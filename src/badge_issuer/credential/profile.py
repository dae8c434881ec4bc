"""OB 3.0 Profile (issuer, creator, source, endorser) and the small classes it uses."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import StringConstraints

from badge_issuer.credential.base import (
    Date,
    Number,
    OBModel,
    TypeValue,
    Uri,
    extensible,
    includes,
)
from badge_issuer.credential.vocab import IDENTIFIER_TYPES

#: a Compact JWS (RFC 7515), e.g. an ``endorsementJwt`` entry
CompactJws = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9_-]+\.[a-zA-Z0-9_-]*\.[a-zA-Z0-9_-]+$")]
#: an embedded EndorsementCredential, kept as received: it carries its own proof
EmbeddedCredential = dict[str, Any]
IdentifierType = Annotated[str, extensible(IDENTIFIER_TYPES, "identifier type")]


class Image(OBModel):
    """An image: a URL or ``data:`` URI, with an optional caption."""

    id: Uri
    type: Literal["Image"]
    caption: str | None = None


class GeoCoordinates(OBModel):
    """Latitude and longitude of a place."""

    type: Literal["GeoCoordinates"]
    latitude: Number
    longitude: Number


class Address(OBModel):
    """A postal address."""

    type: Annotated[TypeValue, includes("Address")]
    address_country: str | None = None
    address_country_code: str | None = None
    address_region: str | None = None
    address_locality: str | None = None
    street_address: str | None = None
    post_office_box_number: str | None = None
    postal_code: str | None = None
    geo: GeoCoordinates | None = None


class IdentifierEntry(OBModel):
    """Another identifier of a Profile or Achievement (``otherIdentifier``)."""

    type: Literal["IdentifierEntry"]
    identifier: str
    identifier_type: IdentifierType


class Profile(OBModel):
    """A person or organisation: issuer, creator, source or endorser."""

    id: Uri
    type: Annotated[TypeValue, includes("Profile")]
    name: str | None = None
    url: Uri | None = None
    phone: str | None = None
    description: str | None = None
    endorsement: list[EmbeddedCredential] | None = None
    endorsement_jwt: list[CompactJws] | None = None
    image: Image | None = None
    email: str | None = None
    address: Address | None = None
    other_identifier: list[IdentifierEntry] | None = None
    official: str | None = None
    parent_org: Profile | None = None
    family_name: str | None = None
    given_name: str | None = None
    additional_name: str | None = None
    patronymic_name: str | None = None
    honorific_prefix: str | None = None
    honorific_suffix: str | None = None
    family_name_prefix: str | None = None
    date_of_birth: Date | None = None
