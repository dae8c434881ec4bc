"""Remote contexts: the policy, nested references, the per-verification scope, and the settings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextvars import copy_context
from pathlib import Path

import pytest

from badge_issuer.config import Settings
from badge_issuer.errors import ContextRefused
from badge_issuer.jsonld.loader import OB_V3P0_CONTEXT, DocumentLoader
from badge_issuer.net.contexts import RemoteContextPolicy, RemoteContexts, context_scope, references
from tests.tls import Site, https_site

PINNED = DocumentLoader.pinned()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with https_site(tmp_path_factory.mktemp("tls")) as served:
        yield served


@pytest.mark.parametrize(
    ("policy", "url", "reason"),
    [
        (RemoteContextPolicy(), "http://contexts.example.edu/c.json", "only https"),
        (RemoteContextPolicy(), "ftp://contexts.example.edu/c.json", "only https"),
        (RemoteContextPolicy(), "https:///c.json", "no host"),
        (RemoteContextPolicy(deny=("example.edu",)), "https://contexts.example.edu/c", "deny list"),
        (RemoteContextPolicy(deny=("example.edu",)), "https://EXAMPLE.EDU./c", "deny list"),
        (RemoteContextPolicy(allow=("example.edu",)), "https://notexample.edu/c", "allow list"),
        (RemoteContextPolicy(allow=("a.example",), deny=("a.example",)), "https://a.example/c", "deny list"),
    ],
)
def test_policy_refusals(policy: RemoteContextPolicy, url: str, reason: str) -> None:
    refusal = policy.refusal(url)
    assert refusal is not None and reason in refusal


def test_policy_allows_listed_hosts_and_their_subdomains() -> None:
    policy = RemoteContextPolicy(allow=("example.edu",), deny=("evil.example.edu",))
    assert policy.refusal("https://example.edu/c.json") is None
    assert policy.refusal("https://contexts.example.edu/c.json") is None
    assert policy.refusal("https://evil.example.edu/c.json") is not None


def test_references_find_nested_scoped_and_imported_contexts_made_absolute() -> None:
    document = {
        "@context": [
            "other.json",
            {
                "Course": {"@id": "https://x.example/Course", "@context": "https://y.example/scoped.json"},
                "@import": "../imported.json",
            },
        ]
    }
    assert sorted(references(document, "https://x.example/ctx/main.json")) == [
        "https://x.example/ctx/other.json",
        "https://x.example/imported.json",
        "https://y.example/scoped.json",
    ]


def test_the_loader_serves_only_what_this_scope_vetted(site: Site) -> None:
    url = site.serve("/scope/c.json", json.dumps({"@context": {"gpa": "https://x.example/gpa"}}).encode())
    remote = RemoteContexts(site.fetcher(), RemoteContextPolicy(), PINNED)
    loader = PINNED.with_remote(remote)
    with pytest.raises(ContextRefused, match="within a verification"):
        remote.resolve([url])
    with context_scope():
        [loaded] = remote.resolve([OB_V3P0_CONTEXT, url])  # pinned URLs are not fetched
        assert loader.document(url) == {"@context": {"gpa": "https://x.example/gpa"}}
        # another request (a copied context with its own scope) does not see this one's contexts
        other = copy_context()

        def look() -> object:
            with context_scope():
                return loader.document(url)

        with pytest.raises(ContextRefused, match="not vetted"):
            other.run(look)
    with pytest.raises(ContextRefused, match="not vetted"):
        loader.document(url)
    assert loaded.url == url and len(loaded.sha256) == 64
    assert loader("https://www.w3.org/ns/credentials/v2")["tag"] == "static"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[1, 2]", "not a JSON-LD context document"),
        (b'{"name": "no context here"}', "not a JSON-LD context document"),
        (b"<html>", "not valid JSON"),
    ],
)
def test_what_is_not_a_context_document_is_refused(site: Site, body: bytes, reason: str) -> None:
    url = site.serve(f"/bad/{len(body)}.json", body)
    remote = RemoteContexts(site.fetcher(), RemoteContextPolicy(), PINNED)
    with context_scope(), pytest.raises(ContextRefused, match=reason):
        remote.resolve([url])


def test_an_unreachable_context_is_refused(site: Site) -> None:
    remote = RemoteContexts(site.fetcher(), RemoteContextPolicy(), PINNED)
    with context_scope(), pytest.raises(ContextRefused, match="HTTP 404"):
        remote.resolve([site.url("/missing.json")])
    with context_scope(), pytest.raises(ContextRefused, match="cannot resolve"):
        remote.resolve(["https://unknown.example.net/c.json"])


def test_settings_read_host_lists_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BADGE_REMOTE_CONTEXT_ALLOW", "Example.edu, cdn.example.org ,")
    monkeypatch.setenv("BADGE_REMOTE_CONTEXT_DENY", "evil.example")
    monkeypatch.setenv("BADGE_REMOTE_CONTEXTS", "false")
    settings = Settings(database_url=f"sqlite:///{tmp_path}/db.sqlite3")
    assert settings.remote_context_allow == ("example.edu", "cdn.example.org")
    assert settings.remote_context_deny == ("evil.example",)
    assert settings.remote_contexts is False
    policy = RemoteContextPolicy.from_settings(settings)
    assert policy.max_contexts == 4 and policy.max_bytes == 65536
