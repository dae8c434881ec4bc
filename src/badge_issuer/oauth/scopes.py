"""The scopes of the Open Badges 3.0 API (OB 3.0 §Open Badges API, Scopes) and the one of the
CLR 2.0 API this server answers (CLR 2.0 §API, Scopes: reading the learner's ClrCredentials)."""

from __future__ import annotations

_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"

CREDENTIAL_READ = _PREFIX + "credential.readonly"
CREDENTIAL_UPSERT = _PREFIX + "credential.upsert"
PROFILE_READ = _PREFIX + "profile.readonly"
PROFILE_UPDATE = _PREFIX + "profile.update"
CLR_CREDENTIAL_READ = "https://purl.imsglobal.org/spec/clr/v2p0/scope/credential.readonly"

#: the Open Badges API's scopes with the spec's own descriptions
OB_SCOPES: dict[str, str] = {
    CREDENTIAL_READ: "Permission to read AchievementCredentials for the authenticated entity.",
    CREDENTIAL_UPSERT: "Permission to create or update AchievementCredentials for the authenticated entity.",
    PROFILE_READ: "Permission to read the profile for the authenticated entity.",
    PROFILE_UPDATE: "Permission to update the profile for the authenticated entity.",
}
#: the CLR API's scopes this server answers, with the spec's own descriptions
CLR_SCOPES: dict[str, str] = {
    CLR_CREDENTIAL_READ: "Permission to read ClrCredentials for the authenticated entity.",
}
#: every scope a client may register for and be granted
SCOPES: dict[str, str] = {**OB_SCOPES, **CLR_SCOPES}

#: what the learner reads on the consent and connected-apps pages
IN_PLAIN_WORDS: dict[str, str] = {
    CREDENTIAL_READ: "see your badges",
    CREDENTIAL_UPSERT: "add badges to your collection here, or update them",
    PROFILE_READ: "see your profile",
    PROFILE_UPDATE: "change your profile",
    CLR_CREDENTIAL_READ: "get your Comprehensive Learner Record (your badges, signed together)",
}


def scope_list(scope: str | None) -> list[str]:
    """The scopes of a space-separated ``scope`` value, each once, in the order given."""
    return list(dict.fromkeys((scope or "").split()))
