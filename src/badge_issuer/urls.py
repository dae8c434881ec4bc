"""The public URLs of everything the service publishes, derived from ``BADGE_BASE_URL``."""

from __future__ import annotations

from dataclasses import dataclass

from badge_issuer.crypto.did import did_web


@dataclass(frozen=True)
class Urls:
    base: str

    @classmethod
    def of(cls, base_url: str) -> Urls:
        return cls(base_url.rstrip("/"))

    def issuer_did_web(self, slug: str) -> str:
        return did_web(self.base, *self._path(), "issuers", slug)

    def issuer_profile(self, slug: str) -> str:
        return f"{self.base}/issuers/{slug}"

    def achievement(self, issuer: str, achievement: str, version: int | None = None) -> str:
        url = f"{self.base}/issuers/{issuer}/achievements/{achievement}"
        return url if version is None else f"{url}/versions/{version}"

    def pathway(self, issuer: str, pathway: str, version: int | None = None) -> str:
        url = f"{self.base}/issuers/{issuer}/pathways/{pathway}"
        return url if version is None else f"{url}/versions/{version}"

    def credential(self, credential_id: str) -> str:
        return f"{self.base}/credentials/{credential_id}"

    def status_list(self, issuer: str, purpose: str, sequence: int) -> str:
        return f"{self.base}/issuers/{issuer}/status/{purpose}/{sequence}"

    def image(self, digest: str) -> str:
        return f"{self.base}/images/{digest}"

    def _path(self) -> list[str]:
        _, _, rest = self.base.partition("://")
        return [segment for segment in rest.split("/")[1:] if segment]
