"""What the HTTP API answers: the JSON shapes of every 2xx body and of RFC 9457 problems.

Routes build their bodies from the application layer's results; these models are the documented
contract of those bodies (``openapi.yaml``), and tests validate real responses against them.
``responses(...)`` gives a route its documented answers in one call.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from badge_issuer.api.problems import PROBLEM_MEDIA_TYPE


class _Out(BaseModel):
    """A body we produce: every field documented, nothing else in it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class _Document(BaseModel):
    """A JSON-LD document: the members named here, and whatever else its data model allows."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    context: list[Any] | str = Field(alias="@context")
    id: str


DateTime = str  # RFC 3339, as the application layer's datetimes render


class FieldIssue(_Out):
    pointer: str
    detail: str


class Problem(BaseModel):
    """RFC 9457 problem details; ``type`` is ``tag:badge-issuer,2026:problem:<code>``."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    pointer: str | None = Field(default=None, description="JSON Pointer of the offending input")
    errors: list[FieldIssue] | list[str] | None = Field(
        default=None,
        description="every field that failed (422); on the VC-API verify routes, the verification errors "
        "(`check: message` strings, next to `verified`, `checks`, `warnings` and `report`)",
    )
    line: int | None = Field(default=None, description="malformed JSON: 1-based line")
    column: int | None = Field(default=None, description="malformed JSON: 1-based column")


class Health(BaseModel):
    """Liveness: the process answers (nothing else is checked; see ``Readiness``)."""

    model_config = ConfigDict(extra="allow")

    status: Literal["ok"]
    did: str


class Readiness(BaseModel):
    """Every readiness check passed (when one fails, the answer is a 503 problem naming it)."""

    status: Literal["ready"]
    checks: dict[str, str] = Field(description="database, schema, signing_keys: each 'ok'")


class PrometheusText(RootModel[str]):
    """Prometheus text exposition format (version 0.0.4)."""


class HtmlPage(RootModel[str]):
    """An HTML page for people (server-rendered, no script), for clients that prefer ``text/html``."""


class Links(_Out):
    credential: str
    verify: str
    baked_png: str = Field(alias="bakedPng", description="the credential baked into a PNG badge image")
    baked_svg: str = Field(alias="bakedSvg", description="the credential baked into an SVG badge image")
    claim: str | None = Field(
        default=None,
        description="the award's claim link (a secret for the learner only; it expires): its page "
        "takes the badge into the learner's wallet (OpenID4VCI) or downloads it",
    )


class Issued(_Out):
    id: str = Field(description="the issuance record's id")
    credential_id: str = Field(alias="credentialId")
    credential: dict[str, Any] = Field(description="the signed OpenBadgeCredential")
    links: Links


class BatchItemResult(_Out):
    index: int
    status: Literal["created", "replayed", "rejected"]
    id: str | None = None
    credential_id: str | None = Field(default=None, alias="credentialId")
    credential: dict[str, Any] | None = None
    links: Links | None = None
    problem: Problem | None = Field(default=None, description="why the item was rejected")


class BatchCounts(_Out):
    created: int
    replayed: int
    rejected: int


class BatchIssued(_Out):
    summary: BatchCounts
    results: list[BatchItemResult]


class JobCounts(_Out):
    pending: int = Field(description="rows not awarded yet (a cancelled job keeps them pending)")
    created: int
    replayed: int = Field(description="rows whose key had been awarded already (by this job or earlier)")
    rejected: int


class JobLinks(_Out):
    job: str = Field(alias="self")
    results: str = Field(description="per-row results as JSON lines (row, idempotencyKey, status, …)")
    cancel: str
    retry: str = Field(description="POST: put the rejected rows back in the queue")


class Job(_Out):
    id: str
    status: Literal["queued", "running", "done", "cancelled"]
    total: int = Field(description="rows in the job")
    counts: JobCounts
    created_at: str = Field(alias="createdAt")
    updated_at: str = Field(alias="updatedAt")
    links: JobLinks


class JobResultLine(_Out):
    """One line of a job's results (JSON lines, one per row, in row order)."""

    row: int = Field(description="the row's line in the submitted file (1-based; a CSV's header is line 1)")
    idempotency_key: str = Field(alias="idempotencyKey")
    status: Literal["pending", "created", "replayed", "rejected"]
    credential_id: str | None = Field(default=None, alias="credentialId")
    url: str | None = Field(default=None, description="the credential's URL")
    problem: dict[str, Any] | None = Field(
        default=None, description="code, detail, pointer of a rejected row"
    )


class RecordAchievement(_Out):
    slug: str
    version: int


class RecordRecipient(_Out):
    lookup_hash: str | None = Field(
        alias="lookupHash", description="keyed hash of the email or DID (null: the subject has no id)"
    )
    email: str | None = Field(default=None, description="only when BADGE_STORE_RECIPIENT_EMAIL is on")
    id: str | None = None


class StatusEvent(_Out):
    action: Literal["revoke", "suspend", "unsuspend"]
    reason: str
    client: int | None
    at: DateTime


class Record(_Out):
    id: str
    credential_id: str | None = Field(alias="credentialId", description="the credential's own id, if any")
    achievement: RecordAchievement | None = Field(
        description="the badge class it was made from; null for a credential signed through the VC-API"
    )
    recipient: RecordRecipient
    client: int | None
    idempotency_key: str | None = Field(alias="idempotencyKey")
    status: Literal["active", "revoked", "suspended"]
    created: DateTime
    updated: DateTime
    credential: dict[str, Any]
    history: list[StatusEvent] | None = Field(
        default=None, description="the audit trail (who, when, why): in answers to a status change"
    )


class VcIssued(_Out):
    """VC-API IssueCredentialResponse."""

    verifiable_credential: dict[str, Any] = Field(
        alias="verifiableCredential", description="the signed credential (its subject exactly as sent)"
    )


class VcStatusEntry(_Out):
    type: Literal["BitstringStatusListEntry"]
    status_purpose: Literal["revocation", "suspension"] = Field(alias="statusPurpose")
    status: bool = Field(description="the credential's bit in this list now")


class VcStatusUpdated(_Out):
    """The credential's status after a VC-API status update."""

    credential_id: str = Field(alias="credentialId", description="as the request named it")
    credential_status: list[VcStatusEntry] = Field(alias="credentialStatus")


class RecordPage(_Out):
    items: list[Record]
    next: str | None = Field(description="cursor of the next page (also in the Link header)")


class AchievementOut(_Out):
    slug: str
    version: int
    current_version: int = Field(alias="currentVersion")
    achievement: dict[str, Any] = Field(description="the OB 3.0 Achievement document of this version")


class ClientOut(_Out):
    id: str
    name: str
    scopes: list[Literal["issue", "revoke", "read", "admin"]]
    created: DateTime
    revoked: bool


class NewClientOut(ClientOut):
    api_key: str = Field(alias="apiKey", description="shown once; only its hash is stored")


class IssuerOut(_Out):
    slug: str
    id: str = Field(description="the issuer's DID")
    did_method: Literal["web", "key"] = Field(alias="didMethod")
    suspension: bool
    profile: dict[str, Any]
    profile_url: str = Field(alias="profileUrl")
    linkedin_organization_id: str | None = Field(
        default=None, alias="linkedinOrganizationId", description="present when the profile sets one"
    )


class NewIssuerOut(IssuerOut):
    admin_client: NewClientOut = Field(alias="adminClient")


class KeyOut(_Out):
    id: str
    type: Literal["Multikey"]
    controller: str
    public_key_multibase: str = Field(alias="publicKeyMultibase")
    active: bool
    created: DateTime


class ImageOut(_Out):
    id: str = Field(description="the image's public URL: usable as an achievement's or profile's image")
    media_type: Literal["image/png", "image/svg+xml"] = Field(alias="mediaType")
    size: int = Field(alias="bytes")


class Check(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    status: Literal["passed", "failed", "warning", "indeterminate", "skipped"] = Field(
        description="indeterminate: the check could not be completed (e.g. a status list that could "
        "not be fetched); like failed, it makes verified false"
    )
    message: str
    detail: Any = None


class Report(BaseModel):
    """A verification report. A credential's checks are format, context, schema, proof, issuer_key,
    validity, status, endorsements (and recipient when asked); a presentation's are format,
    presentation_proof and holder, with one credential report per credential in ``credentials``."""

    model_config = ConfigDict(extra="allow")

    verified: bool
    summary: dict[str, Any]
    checks: list[Check]
    credentials: list[dict[str, Any]] | None = Field(
        default=None, description="a presentation's credentials, one report each"
    )


class BatchReport(BaseModel):
    model_config = ConfigDict(extra="allow")

    verified: int = Field(description="how many items verified")
    total: int
    items: list[Report]


class VcApiVerification(BaseModel):
    """A W3C VC-API verification result. ``checks`` are VC-API check names (``proof``,
    ``credentialSchema``, ``validFrom``, ``validUntil``, ``credentialStatus``) that ran; each warning
    and error is ``<our check id>: <message>``; ``report`` (an extension member) is the full report
    of ``POST /api/v1/verify``. A 400 answer carries the same members in its problem+json body."""

    model_config = ConfigDict(extra="forbid")

    verified: bool
    checks: list[str]
    warnings: list[str]
    errors: list[str]
    report: Report | None = Field(
        default=None, description="every check of ours, with its message and detail"
    )


class VcApiChecks(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checks: (
        list[Literal["proof", "credentialSchema", "validFrom", "validUntil", "credentialStatus"]] | None
    ) = Field(
        default=None,
        description="the VC-API checks that decide `verified` (default: all). The proof, the issuer's key "
        "and embedded credentials always count; an unrequested check still runs, and its failure is a "
        "warning (`not requested: …`); an unrequested credentialStatus is not looked up",
    )


class VerifyCredentialOptions(VcApiChecks):
    expected_proof_purpose: Literal["assertionMethod"] | None = Field(
        default=None,
        alias="expectedProofPurpose",
        description="a credential's proofs are verified for assertionMethod; another purpose is not verified",
    )


class VerifyPresentationOptions(VcApiChecks):
    challenge: str | None = Field(default=None, min_length=1, max_length=512)
    domain: str | None = Field(default=None, min_length=1, max_length=512)


class VerifyCredentialRequest(BaseModel):
    """VC-API ``VerifyCredentialRequest``: a credential (JSON-LD, or an EnvelopedVerifiableCredential
    holding a ``data:application/vc+jwt,`` URL) and options; any other member is refused."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    verifiable_credential: dict[str, Any] = Field(alias="verifiableCredential")
    options: VerifyCredentialOptions | None = None


class VerifyPresentationRequest(BaseModel):
    """VC-API ``VerifyPresentationRequest`` (or ``presentation`` for a proofless one); the presentation
    is JSON-LD, or an EnvelopedVerifiablePresentation holding a ``data:application/vp+jwt,`` URL."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    verifiable_presentation: dict[str, Any] | None = Field(default=None, alias="verifiablePresentation")
    presentation: dict[str, Any] | None = None
    options: VerifyPresentationOptions | None = None


class Credential(_Document):
    """A signed Verifiable Credential (OpenBadgeCredential or BitstringStatusListCredential)."""

    type: list[str]
    issuer: str | dict[str, Any]
    credential_subject: dict[str, Any] | list[dict[str, Any]] = Field(alias="credentialSubject")


class ProfileDocument(_Document):
    type: list[str] | str
    name: str


class DidDocument(_Document):
    verification_method: list[dict[str, Any]] = Field(alias="verificationMethod")


class AchievementDocument(_Document):
    type: list[str] | str
    name: str
    criteria: dict[str, Any]


class PathwayOut(_Out):
    slug: str
    version: int
    current_version: int = Field(alias="currentVersion")
    pathway: dict[str, Any] = Field(description="the public definition of this version")


class PathwayDocument(BaseModel):
    """A pathway's public definition (JSON, not JSON-LD)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: str
    type: Literal["Pathway"]
    version: int
    name: str
    target: str
    target_url: str = Field(alias="targetUrl")
    requirements: dict[str, Any]


class SkillEntry(BaseModel):
    """One skill (alignment) an issuer's achievements name, and the achievements that do."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    target_name: str = Field(alias="targetName")
    target_url: str | None = Field(default=None, alias="targetUrl")
    target_framework: str | None = Field(default=None, alias="targetFramework")
    target_code: str | None = Field(default=None, alias="targetCode")
    achievements: list[str] = Field(description="the achievements' URLs")


class IssuerSkills(BaseModel):
    """The skills an issuer's achievements are aligned to (their current versions)."""

    model_config = ConfigDict(extra="forbid")

    issuer: str = Field(description="the issuer's profile URL")
    skills: list[SkillEntry]


class PathwayProgress(_Out):
    pathway: str
    version: int
    complete: bool
    requirements: dict[str, Any] = Field(
        description="the requirement tree, each node with met, credits and countedBy (credential ids)"
    )
    counted: list[str] = Field(description="the credentials that complete it (when complete)")
    not_counting: list[dict[str, Any]] = Field(
        alias="notCounting",
        description="what the learner holds that does not count now, each {credential, source, reason}: "
        "external badges (submitted for them or stored by their wallet through the Open Badges API) "
        "that no longer verify or are not theirs, and our own active awards whose validUntil has passed "
        '(source "own")',
    )
    award: dict[str, Any] | None = Field(description="the automatic award, once made")


class PathwayAwards(_Out):
    pathway: str
    policy: str
    awards: list[dict[str, Any]] = Field(
        description="each award with its evidence and the steps no longer active (stepsNoLongerActive)"
    )


class ExternalBadgeAccepted(_Out):
    awards: list[dict[str, Any]] = Field(description="the pathway awards it completed (or had completed)")


class ClrIssued(_Out):
    id: str = Field(description="the record id (the CLR is served at /credentials/{id})")
    credential: dict[str, Any] = Field(description="the signed ClrCredential")
    totals: dict[str, Any] = Field(description="credentials: how many it carries; credits: their sum")


_PROBLEM_TEXT = {
    400: "The request could not be parsed (malformed JSON gives line and column)",
    401: "No API key, or an unknown or revoked one",
    403: "The API key lacks the scope, or belongs to another issuer",
    404: "No such resource (another issuer's records are not found either)",
    409: "Conflicts with the current state, or an Idempotency-Key reused with another body or in progress",
    413: "The body, or a part of it, is over a size bound",
    415: "The body is not sent in a media type this operation takes (application/json, or as named)",
    422: "The input did not validate (the problem names the field)",
    429: "Too many requests: retry after the Retry-After header",
    503: "Not ready or misconfigured: retry later",
}

#: the problems every operation can answer (bounded body, not ready)


class _Loose(BaseModel):
    """A protocol document (OpenID4VCI, OAuth): the members named here, and whatever else it allows."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class CredentialIssuerMetadata(_Loose):
    credential_issuer: str
    credential_endpoint: str
    nonce_endpoint: str
    credential_configurations_supported: dict[str, Any]


class AuthorizationServerMetadata(_Loose):
    issuer: str
    token_endpoint: str


class CredentialOffer(_Loose):
    credential_issuer: str
    credential_configuration_ids: list[str]
    grants: dict[str, Any]


class TokenResponse(_Out):
    access_token: str
    token_type: str = Field(description="always Bearer")
    expires_in: int
    authorization_details: list[dict[str, Any]] | None = Field(
        default=None,
        description="authorization code grant asked by authorization_details: per configuration, "
        "the credential_identifiers (award ids) the token may fetch",
    )
    scope: str | None = Field(default=None, description="authorization code grant asked by scope")


class PushedAuthorizationResponse(_Out):
    request_uri: str = Field(description="urn:ietf:params:oauth:request_uri:…, for one authorization")
    expires_in: int


class NonceResponse(_Out):
    c_nonce: str


class CredentialResponse(_Out):
    credentials: list[dict[str, Any]] = Field(
        description='one `{"credential": …}`: the award signed for the key proof\'s DID (ldp_vc)'
    )
    notification_id: str | None = Field(
        default=None, description="for the notification endpoint (credential_accepted, …)"
    )


class ExchangeRequest(_Loose):
    """A VC-API exchange step: ``{}`` to start, then ``{"verifiablePresentation": …}`` (DID Auth)."""

    verifiable_presentation: dict[str, Any] | None = Field(default=None, alias="verifiablePresentation")


class ExchangeResponse(_Loose):
    """``verifiablePresentationRequest`` (what to present), or ``verifiablePresentation`` (the award)."""

    verifiable_presentation_request: dict[str, Any] | None = Field(
        default=None, alias="verifiablePresentationRequest"
    )
    verifiable_presentation: dict[str, Any] | None = Field(default=None, alias="verifiablePresentation")


class InteractionProtocols(_Out):
    protocols: dict[str, str] = Field(description='`{"vcapi": <the exchange URL>}`')


COMMON = (413, 503)
#: and the ones every authenticated operation can answer
AUTHED = (401, 403, 404)
#: models referenced by ``$ref`` rather than through a response_model (added to the document)
REFERENCED: tuple[type[BaseModel], ...] = (
    Problem,
    JobResultLine,
    Health,
    Readiness,
    PrometheusText,
    HtmlPage,
    Report,
    BatchReport,
    VcApiVerification,
    VerifyCredentialRequest,
    VerifyPresentationRequest,
    Credential,
    ProfileDocument,
    DidDocument,
    AchievementDocument,
    ExchangeRequest,
    PathwayDocument,
    IssuerSkills,
)


def ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def responses(
    *problems: int,
    ok: int | None = None,
    model: type[BaseModel] | None = None,
    media: str = "application/json",
) -> dict[int | str, dict[str, Any]]:
    """An operation's documented answers beyond its response_model: its problem+json statuses
    (plus the common ones), and, for a route answering a Response itself, ``ok`` with ``model``."""
    documented: dict[int | str, dict[str, Any]] = {}
    if ok is not None and model is not None:
        documented[ok] = {"content": {media: {"schema": ref(model)}}}
    for status in sorted({*problems, *COMMON}):
        documented[status] = problem_answer(status)
    return documented


def problem_answer(status: int) -> dict[str, Any]:
    """The documented problem+json answer for ``status``."""
    return {"description": _PROBLEM_TEXT[status], "content": {PROBLEM_MEDIA_TYPE: {"schema": ref(Problem)}}}
