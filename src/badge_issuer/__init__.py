"""badge_issuer: an Open Badges 3.0 issuing and verification service."""

from badge_issuer import errors
from badge_issuer.config import Settings

__all__ = ["Settings", "errors"]
__version__ = "0.1.0"
