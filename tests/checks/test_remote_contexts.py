"""Extension contexts: badges signed with real keys over an institution's context, served over real TLS.

The verifier is built the way the application builds it (``build_context`` from Settings) around a
guarded Fetcher that trusts the test server's CA; nothing in the verifier is replaced.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from badge_issuer.checks import VerifyContext
from badge_issuer.clock import fixed_clock
from badge_issuer.config import Settings
from badge_issuer.crypto.data_integrity import ProofOptions, add_proof
from badge_issuer.crypto.suites import CanonOptions, suite_by_name
from badge_issuer.errors import ContextNotAllowed
from badge_issuer.jsonld.loader import OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS, VC_V2, DocumentLoader
from badge_issuer.net.contexts import context_scope
from badge_issuer.net.fetch import fetch_budget
from badge_issuer.verification import VerificationReport, build_context, verify_badge
from tests.badges import LOADER, NOW, SCHEMAS, SIGNED_AT, Issuer, badge
from tests.tls import Site, https_site

NS = "https://contexts.example.edu/ns#"

#: an institution's extension context: a few new terms, nothing of VC/OB redefined
EXTENSION = {
    "@context": {
        "@version": 1.1,
        "@protected": True,
        "gpa": {"@id": f"{NS}gpa"},
        "courseCode": {"@id": f"{NS}courseCode"},
        "CourseBadge": {"@id": f"{NS}CourseBadge"},
    }
}


def context_body(context: dict[str, Any]) -> bytes:
    return json.dumps({"@context": context}).encode()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with https_site(tmp_path_factory.mktemp("tls")) as served:
        yield served


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer()


def signing_loader(extra: dict[str, Any]) -> DocumentLoader:
    """The institution's own loader: our pinned contexts plus its extension contexts (signing only)."""
    return DocumentLoader({**{url: LOADER.document(url) for url in LOADER.urls}, **extra})


def sign(issuer: Issuer, document: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    return add_proof(
        copy.deepcopy(document),
        suite=suite_by_name("eddsa-rdfc-2022"),
        signer=issuer.signer,
        canon=CanonOptions(loader=signing_loader(extra)),
        options=ProofOptions(created=SIGNED_AT),
    )


def extension_badge(issuer: Issuer, *contexts: str, **subject: Any) -> dict[str, Any]:
    unsigned = badge(issuer)
    unsigned["@context"] = [VC_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS, *contexts]
    unsigned["credentialSubject"].update(subject)
    return unsigned


def verifier(site: Site, tmp_path: Path, **settings: Any) -> VerifyContext:
    values: dict[str, Any] = {"database_url": f"sqlite:///{tmp_path}/db.sqlite3", **settings}
    return build_context(
        Settings(**values), loader=LOADER, clock=fixed_clock(NOW), fetcher=site.fetcher(), schemas=SCHEMAS
    )


def result(report: VerificationReport, check_id: str = "context") -> Any:
    return next(check for check in report.checks if check.id == check_id)


def test_an_extension_context_badge_verifies_with_a_warning_naming_url_and_sha256(
    site: Site, issuer: Issuer, tmp_path: Path
) -> None:
    body = json.dumps(EXTENSION).encode()
    url = site.serve("/ctx/university-v1.json", body)
    signed = sign(issuer, extension_badge(issuer, url, gpa="3.9", courseCode="CS-101"), {url: EXTENSION})
    ctx = verifier(site, tmp_path)

    report = verify_badge(signed, ctx=ctx)

    assert report.verified, report.to_json()
    check = result(report)
    assert check.status == "warning"
    digest = hashlib.sha256(body).hexdigest()
    assert check.detail["fetched"] == [{"url": url, "sha256": digest, "bytes": len(body)}]
    assert url in check.message and digest in check.message
    assert result(report, "proof").status == "passed"
    assert report.summary["achievement"] == "Data Analysis with Python"
    # the fetcher's cache serves the second verification: same bytes, same hash, no second request
    again = verify_badge(signed, ctx=ctx)
    assert again.verified and result(again).detail["fetched"][0]["sha256"] == digest
    assert site.hits["/ctx/university-v1.json"] == 1


def test_a_tampered_extension_field_fails_the_proof(site: Site, issuer: Issuer, tmp_path: Path) -> None:
    url = site.serve("/ctx/tamper.json", json.dumps(EXTENSION).encode())
    signed = sign(issuer, extension_badge(issuer, url, gpa="2.1"), {url: EXTENSION})
    signed["credentialSubject"]["gpa"] = "4.0"
    report = verify_badge(signed, ctx=verifier(site, tmp_path))
    assert not report.verified
    assert result(report, "proof").status == "failed"


def test_a_context_that_redefines_a_protected_term_fails(site: Site, issuer: Issuer, tmp_path: Path) -> None:
    for term in ("name", "description"):
        url = site.serve(f"/ctx/redefine-{term}.json", context_body({term: {"@id": f"{NS}{term}"}}))
        report = verify_badge(extension_badge(issuer, url), ctx=verifier(site, tmp_path))
        assert not report.verified
        assert result(report).status == "failed", term
        assert "protected term" in result(report).message
        assert result(report, "proof").status == "skipped"


@pytest.mark.parametrize("term", ["issuer", "credentialSubject"])
def test_a_shadowed_redefinition_changes_nothing_shown(
    site: Site, issuer: Issuer, tmp_path: Path, term: str
) -> None:
    # VC 2.0 defines these in the protected scope of VerifiableCredential, which wins over a
    # top-level definition: the credential still means (and shows) what was signed
    hostile = {"@context": {term: {"@id": f"{NS}{term}", "@type": "@id"}}}
    url = site.serve(f"/ctx/redefine-{term}.json", json.dumps(hostile).encode())
    signed = sign(issuer, extension_badge(issuer, url), {url: hostile})
    report = verify_badge(signed, ctx=verifier(site, tmp_path))
    assert report.verified, report.to_json()
    assert report.summary["issuer"]["id"] == issuer.did
    assert report.summary["achievement"] == "Data Analysis with Python"
    assert result(report).status == "warning"


@pytest.mark.parametrize(
    ("alias", "iri", "value", "changed"),
    [
        # a second key for schema:name: the signed achievement has two names, the page would show one
        ("headline", "https://schema.org/name", "Brain Surgery", "credentialSubject.achievement"),
        # a second key for the VC issuer IRI: the signed credential has two issuers
        ("issuedBy", "https://www.w3.org/2018/credentials#issuer", "did:example:someone-else", "issuer"),
    ],
)
def test_a_context_that_aliases_a_familiar_iri_fails_context_validation(
    site: Site, issuer: Issuer, tmp_path: Path, alias: str, iri: str, value: str, changed: str
) -> None:
    definition = {"@id": iri, "@type": "@id"} if alias == "issuedBy" else {"@id": iri}
    hostile = {"@context": {"@version": 1.1, alias: definition}}
    url = site.serve(f"/ctx/alias-{alias}.json", json.dumps(hostile).encode())
    unsigned = extension_badge(issuer, url)
    if alias == "headline":
        unsigned["credentialSubject"]["achievement"][alias] = value
    else:
        unsigned[alias] = value
    signed = sign(issuer, unsigned, {url: hostile})  # the signature itself is valid

    report = verify_badge(signed, ctx=verifier(site, tmp_path))

    assert not report.verified
    check = result(report)
    assert check.status == "failed"
    assert changed in check.detail["fields"]
    assert check.detail["fetched"][0]["url"] == url


def test_a_subject_alias_changes_the_recipient_and_fails(site: Site, issuer: Issuer, tmp_path: Path) -> None:
    hostile = {"@context": {"subject": {"@id": "https://www.w3.org/2018/credentials#credentialSubject"}}}
    url = site.serve("/ctx/alias-subject.json", json.dumps(hostile).encode())
    unsigned = extension_badge(issuer, url)
    unsigned["subject"] = {"id": "did:example:mallory", "type": "AchievementSubject"}
    signed = sign(issuer, unsigned, {url: hostile})
    report = verify_badge(signed, ctx=verifier(site, tmp_path))
    assert result(report).status == "failed"
    assert "credentialSubject" in result(report).detail["fields"]


def test_a_denied_host_is_refused_without_a_request(site: Site, issuer: Issuer, tmp_path: Path) -> None:
    url = site.serve("/ctx/denied.json", json.dumps(EXTENSION).encode()).replace(
        "contexts.example.edu", "evil.example.org"
    )
    report = verify_badge(
        extension_badge(issuer, url), ctx=verifier(site, tmp_path, remote_context_deny="example.org")
    )
    assert result(report).status == "failed"
    assert "deny list" in result(report).message
    allowed_only = verifier(site, tmp_path, remote_context_allow="cdn.example.edu")
    assert "allow list" in result(verify_badge(extension_badge(issuer, url), ctx=allowed_only)).message
    assert "/ctx/denied.json" not in site.hits


def test_too_many_contexts_are_refused(site: Site, issuer: Issuer, tmp_path: Path) -> None:
    first = site.serve("/ctx/many-1.json", context_body({"gpa": f"{NS}gpa"}))
    second = site.serve("/ctx/many-2.json", context_body({"courseCode": f"{NS}courseCode"}))
    report = verify_badge(
        extension_badge(issuer, first, second), ctx=verifier(site, tmp_path, remote_context_max=1)
    )
    assert result(report).status == "failed"
    assert "at most 1 unpinned contexts" in result(report).message


def test_a_context_too_large_is_refused(site: Site, issuer: Issuer, tmp_path: Path) -> None:
    terms = {f"term{index}": f"{NS}term{index}" for index in range(3000)}
    url = site.serve("/ctx/large.json", context_body(terms))
    report = verify_badge(
        extension_badge(issuer, url), ctx=verifier(site, tmp_path, remote_context_max_bytes=32_768)
    )
    assert result(report).status == "failed"
    assert "32768-byte limit" in result(report).message


def test_a_non_https_context_is_refused_without_a_request(site: Site, issuer: Issuer, tmp_path: Path) -> None:
    url = f"http://contexts.example.edu:{site.port}/ctx/plain.json"
    report = verify_badge(extension_badge(issuer, url), ctx=verifier(site, tmp_path))
    assert result(report).status == "failed"
    assert "only https contexts" in result(report).message
    assert "/ctx/plain.json" not in site.hits


def test_nesting_is_followed_one_level_and_refused_deeper(site: Site, issuer: Issuer, tmp_path: Path) -> None:
    leaf = site.serve("/ctx/leaf.json", context_body({"gpa": f"{NS}gpa"}))
    middle_doc = {"@context": [leaf, {"courseCode": f"{NS}courseCode"}]}
    middle = site.serve("/ctx/middle.json", json.dumps(middle_doc).encode())
    signed = sign(
        issuer,
        extension_badge(issuer, middle, gpa="3.1", courseCode="CS-2"),
        {middle: middle_doc, leaf: json.loads(site.bodies["/ctx/leaf.json"])},
    )
    report = verify_badge(signed, ctx=verifier(site, tmp_path))
    assert report.verified, report.to_json()
    assert [item["url"] for item in result(report).detail["fetched"]] == [middle, leaf]

    top = site.serve("/ctx/top.json", json.dumps({"@context": {"@import": middle, "x": f"{NS}x"}}).encode())
    report = verify_badge(extension_badge(issuer, top), ctx=verifier(site, tmp_path))
    assert result(report).status == "failed"
    assert "nest at most 2 levels" in result(report).message


def test_context_fetches_spend_the_request_budget(site: Site, issuer: Issuer, tmp_path: Path) -> None:
    first = site.serve("/ctx/budget-1.json", context_body({"gpa": f"{NS}gpa"}))
    second = site.serve("/ctx/budget-2.json", context_body({"courseCode": f"{NS}courseCode"}))
    with fetch_budget(1):
        report = verify_badge(extension_badge(issuer, first, second), ctx=verifier(site, tmp_path))
    assert result(report).status == "failed"
    assert "outbound fetches" in result(report).message


def test_the_off_switch_refuses_unpinned_contexts_as_before(
    site: Site, issuer: Issuer, tmp_path: Path
) -> None:
    url = site.serve("/ctx/off.json", json.dumps(EXTENSION).encode())
    signed = sign(issuer, extension_badge(issuer, url, gpa="3.9"), {url: EXTENSION})
    report = verify_badge(signed, ctx=verifier(site, tmp_path, remote_contexts=False))
    assert not report.verified
    assert "not one we know and pin" in result(report).message
    assert "/ctx/off.json" not in site.hits


def test_issuance_keeps_refusing_unpinned_contexts(site: Site, issuer: Issuer, tmp_path: Path) -> None:
    url = site.serve("/ctx/issuance.json", json.dumps(EXTENSION).encode())
    signed = sign(issuer, extension_badge(issuer, url, gpa="3.9"), {url: EXTENSION})
    ctx = verifier(site, tmp_path)
    assert verify_badge(signed, ctx=ctx).verified
    unsigned = {key: value for key, value in signed.items() if key != "proof"}
    # the loader the verifier was built from (the application's, used for issuance) never fetches,
    # not even inside a verification scope; nor does the verifier's own loader outside one
    with context_scope(), pytest.raises(ContextNotAllowed):
        add_proof(
            unsigned,
            suite=suite_by_name("eddsa-rdfc-2022"),
            signer=issuer.signer,
            canon=CanonOptions(loader=LOADER),
            options=ProofOptions(created=SIGNED_AT),
        )
    with pytest.raises(ContextNotAllowed, match="not vetted"):
        ctx.canon.loader.document(url)
    assert LOADER.remote is None


def test_safe_mode_still_names_terms_no_context_defines(site: Site, issuer: Issuer, tmp_path: Path) -> None:
    url = site.serve("/ctx/safe-mode.json", json.dumps(EXTENSION).encode())
    report = verify_badge(extension_badge(issuer, url, gpa="3.9", mystery="x"), ctx=verifier(site, tmp_path))
    assert result(report).status == "failed"
    assert "mystery" in result(report).message
    assert result(report).detail["pointers"] == ["/credentialSubject/mystery"]
