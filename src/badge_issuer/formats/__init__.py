"""Presented-badge formats: JSON, VC-JWT, baked PNG and SVG.

``sniff.unwrap`` recognises what was presented; ``png``/``svg`` bake and unbake; ``vcjwt`` signs,
decodes and checks VC-JWTs; ``jwk`` converts public JWKs; ``bounded_json`` parses untrusted JSON.
"""

from badge_issuer.formats.png import bake_png, unbake_png
from badge_issuer.formats.sniff import Presented, PresentedCredential, unwrap
from badge_issuer.formats.svg import bake_svg, unbake_svg
from badge_issuer.formats.vcjwt import (
    JwtParts,
    check_claims,
    decode_vc_jwt,
    encode_vc_jwt,
    verify_jws,
)

__all__ = [
    "JwtParts",
    "Presented",
    "PresentedCredential",
    "bake_png",
    "bake_svg",
    "check_claims",
    "decode_vc_jwt",
    "encode_vc_jwt",
    "unbake_png",
    "unbake_svg",
    "unwrap",
    "verify_jws",
]
