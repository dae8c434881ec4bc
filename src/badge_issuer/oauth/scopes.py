"""The four scopes of the Open Badges 3.0 API (OB 3.0 §Open Badges API, Scopes)."""

from __future__ import annotations

_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"

CREDENTIAL_READ = _PREFIX + "credential.readonly"
CREDENTIAL_UPSERT = _PREFIX + "credential.upsert"
PROFILE_READ = _PREFIX + "profile.readonly"
PROFILE_UPDATE = _PREFIX + "profile.update"

#: every scope with the words a learner reads on the consent page (the spec's own descriptions)
SCOPES: dict[str, str] = {
    CREDENTIAL_READ: "Permission to read AchievementCredentials for the authenticated entity.",
    CREDENTIAL_UPSERT: "Permission to create or update AchievementCredentials for the authenticated entity.",
    PROFILE_READ: "Permission to read the profile for the authenticated entity.",
    PROFILE_UPDATE: "Permission to update the profile for the authenticated entity.",
}

#: what the learner reads on the consent and connected-apps pages
IN_PLAIN_WORDS: dict[str, str] = {
    CREDENTIAL_READ: "see your badges",
    CREDENTIAL_UPSERT: "add badges to your collection here, or update them",
    PROFILE_READ: "see your profile",
    PROFILE_UPDATE: "change your profile",
}


def scope_list(scope: str | None) -> list[str]:
    """The scopes of a space-separated ``scope`` value, each once, in the order given."""
    return list(dict.fromkeys((scope or "").split()))
