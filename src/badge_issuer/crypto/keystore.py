"""Ed25519 private keys as files: ``<keys_dir>/<name>.pem``, PKCS#8 PEM, mode 0600.

With a passphrase the files are encrypted (PKCS#8 with the best available algorithm). The private
key never leaves this module except as a ``Signer``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from badge_issuer.crypto.keys import Ed25519Signer, raw_public_key
from badge_issuer.errors import ConfigurationError, InputError, KeyMismatch, KeyUnavailable

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class KeyStore:
    """Named Ed25519 keys in one folder."""

    def __init__(
        self,
        folder: Path,
        *,
        passphrase: str | None = None,
        generate: Callable[[], Ed25519PrivateKey] = Ed25519PrivateKey.generate,
    ) -> None:
        self.folder = Path(folder)
        self._passphrase = passphrase.encode() if passphrase else None
        #: where new private keys come from (a CSPRNG; a test may pin one)
        self._generate = generate

    def _path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise InputError(f"invalid key name {name!r} (letters, digits, '.', '_', '-')")
        return self.folder / f"{name}.pem"

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def list(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(path.stem for path in self.folder.glob("*.pem") if _NAME.match(path.stem))

    def create(self, name: str) -> bytes:
        """Create a new key (refusing to overwrite one); returns its raw public key."""
        path = self._path(name)
        self.folder.mkdir(parents=True, exist_ok=True)
        key = self._generate()
        encryption = BestAvailableEncryption(self._passphrase) if self._passphrase else NoEncryption()
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, encryption)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise InputError(f"key {name!r} already exists") from None
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        return raw_public_key(key.public_key())

    def remove(self, name: str) -> None:
        """Delete a key file (used when the transaction that created it rolls back)."""
        self._path(name).unlink(missing_ok=True)

    def _load(self, name: str) -> Ed25519PrivateKey:
        path = self._path(name)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise KeyUnavailable(f"signing key {name!r} has no key file in BADGE_KEYS_DIR") from None
        try:
            key = load_pem_private_key(data, password=self._passphrase)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                f"key {name!r} cannot be loaded (wrong or missing BADGE_KEY_PASSPHRASE?)"
            ) from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigurationError(f"key {name!r} is not an Ed25519 key")
        return key

    def public_key(self, name: str) -> bytes:
        return raw_public_key(self._load(name).public_key())

    def is_encrypted(self, name: str) -> bool:
        """Whether the key file is passphrase-encrypted PKCS#8 (``ENCRYPTED PRIVATE KEY``)."""
        try:
            head = self._path(name).read_bytes()[:64]
        except FileNotFoundError:
            raise KeyUnavailable(f"signing key {name!r} has no key file in BADGE_KEYS_DIR") from None
        return head.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")

    def signer(self, name: str, verification_method: str, *, expected_public_key: bytes) -> Ed25519Signer:
        """A Signer over key ``name`` that names itself ``verification_method`` in proofs.

        ``expected_public_key`` is the public key recorded for ``name`` (and published in DID
        documents): a key file that does not hold it would sign badges that never verify, so it
        raises ``KeyMismatch`` instead.
        """
        key = self._load(name)
        if raw_public_key(key.public_key()) != expected_public_key:
            raise KeyMismatch(
                f"key file {name!r} does not hold the public key recorded for it; refusing to sign "
                "(restore the original key file)"
            )
        return Ed25519Signer(key, verification_method)
