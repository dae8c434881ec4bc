"""The request bodies of the W3C VC-API issuer routes (``/credentials/issue``, ``/credentials/status``).

The credential itself stays a JSON object here: what we sign is checked by ``credential.supplied``
(its own rules, not a schema of ours), so that the subject comes back exactly as sent.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from badge_issuer.credential.requests import _Input
from badge_issuer.errors import Issue, ValidationFailed

Cryptosuite = Literal["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"]
Purpose = Literal["revocation", "suspension"]
#: the reason recorded in the audit history when a VC-API status update gives none
DEFAULT_REASON = "VC-API status update"


class StatusOption(_Input):
    """``options.credentialStatus``: which of our status lists the credential gets an entry in."""

    type: Literal["BitstringStatusListEntry"]
    status_purpose: Purpose = Field(default="revocation", alias="statusPurpose")


class IssueOptions(_Input):
    cryptosuite: Cryptosuite = Field(default="eddsa-rdfc-2022", description="the proof's cryptosuite")
    credential_status: StatusOption | None = Field(
        default=None, alias="credentialStatus", description="add a BitstringStatusListEntry of this purpose"
    )
    credential_id: str | None = Field(
        default=None,
        alias="credentialId",
        min_length=1,
        max_length=512,
        description="names a credential without an `id` in later requests (`/credentials/status`)",
    )


class VcIssueRequest(_Input):
    """VC-API IssueCredentialRequest: an unsigned VCDM 1.1 or 2.0 credential and how to sign it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "credential": {
                        "@context": [
                            "https://www.w3.org/ns/credentials/v2",
                            "https://www.w3.org/ns/credentials/examples/v2",
                        ],
                        "type": ["VerifiableCredential", "ExampleAlumniCredential"],
                        "validFrom": "2026-06-30T00:00:00Z",
                        "credentialSubject": {"id": "did:example:ada", "alumniOf": "Example University"},
                    },
                    "options": {
                        "cryptosuite": "eddsa-rdfc-2022",
                        "credentialStatus": {
                            "type": "BitstringStatusListEntry",
                            "statusPurpose": "revocation",
                        },
                    },
                },
                {
                    "credential": {
                        "@context": [
                            "https://www.w3.org/2018/credentials/v1",
                            "https://www.w3.org/ns/credentials/examples/v2",
                        ],
                        "type": ["VerifiableCredential"],
                        "issuanceDate": "2026-06-30T00:00:00Z",
                        "credentialSubject": {"id": "did:example:ada", "alumniOf": "Example University"},
                    },
                    "options": {"cryptosuite": "Ed25519Signature2020", "credentialId": "urn:example:ada-1"},
                },
            ]
        }
    )

    credential: dict[str, Any] = Field(description="the unsigned credential (its issuer: yours, or left out)")
    options: IssueOptions = Field(default_factory=IssueOptions)


class StatusItem(_Input):
    """One status change: ``status`` is a state word, or a bit (true / "1" sets it) of ``statusPurpose``."""

    type: Literal["BitstringStatusListEntry"]
    status: bool | Literal["0", "1", "revoked", "suspended", "active"] | None = None
    status_purpose: Purpose | None = Field(default=None, alias="statusPurpose")
    id: str | None = Field(default=None, max_length=1000)
    status_list_index: str | None = Field(default=None, alias="statusListIndex", max_length=20)
    status_list_credential: str | None = Field(default=None, alias="statusListCredential", max_length=1000)


class VcStatusRequest(_Input):
    """VC-API UpdateCredentialStatusRequest, in both of its published shapes:
    ``{credentialId, credentialStatus: [{type, status}]}`` and
    ``{credentialId, credentialStatus: {type, statusPurpose}, status: true|false}``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "credentialId": "urn:example:ada-1",
                    "credentialStatus": [{"type": "BitstringStatusListEntry", "status": "revoked"}],
                    "reason": "Issued in error (ticket 4711)",
                },
                {
                    "credentialId": "urn:example:ada-1",
                    "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
                    "status": True,
                },
            ]
        }
    )

    credential_id: str = Field(
        alias="credentialId",
        min_length=1,
        max_length=1000,
        description="the credential's id, its URL here, or the options.credentialId it was issued with",
    )
    credential_status: list[StatusItem] = Field(
        alias="credentialStatus", min_length=1, max_length=2, description="one entry (an object) or two"
    )
    status: bool | None = Field(default=None, description="the new bit (with a credentialStatus object)")
    reason: str = Field(default=DEFAULT_REASON, min_length=1, max_length=2000)

    @field_validator("credential_status", mode="before")
    @classmethod
    def _one_entry(cls, value: Any) -> Any:
        """A single entry object reads as a list of one (so problems point at ``/credentialStatus/0``)."""
        return [value] if isinstance(value, dict) else value

    def actions(self) -> list[str]:
        """What each entry asks: ``revoke``, ``suspend``, ``unsuspend`` or ``unrevoke`` (never possible:
        revocation is permanent, so it changes nothing on a credential that is not revoked)."""
        actions: list[str] = []
        for index, item in enumerate(self.credential_status):
            pointer = f"/credentialStatus/{index}"
            value: Any = item.status if item.status is not None else self.status
            if value is None:
                raise ValidationFailed(
                    "give the new status", [Issue(pointer + "/status", "status is missing")]
                )
            words = {"revoked": "revoke", "suspended": "suspend", "active": "unsuspend"}
            if isinstance(value, str) and value in words:
                actions.append(words[value])
                continue
            bit = value in (True, "1")
            purpose = item.status_purpose or "revocation"
            actions.append(
                ("revoke" if bit else "unrevoke")
                if purpose == "revocation"
                else ("suspend" if bit else "unsuspend")
            )
        return actions
