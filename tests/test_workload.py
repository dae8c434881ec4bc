"""The lanes: which verifications are light (served in-process) and which heavy (a worker's)."""

from __future__ import annotations

import json
import zlib
from typing import Any

from badge_issuer.config import Settings
from badge_issuer.formats.png import bake_png, make_chunk
from badge_issuer.formats.sniff import unwrap
from badge_issuer.formats.vcjwt import encode_vc_jwt
from badge_issuer.workload import LightLimits, weigh_batch, weigh_presented
from tests.badges import Issuer, badge, present
from tests.checks.test_clr import clr, nested_badge
from tests.jsonld.test_bounds import clr_of, complete, star
from tests.test_verification import tiny_png

LIMITS = LightLimits()


def weigh(document: Any, content_type: str = "application/json") -> tuple[str, str]:
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    weight = weigh_presented(data, content_type, LIMITS)
    return weight.lane, weight.reason


def test_real_badges_are_light_whatever_form_they_come_in() -> None:
    issuer = Issuer()
    signed = issuer.sign(badge(issuer))
    assert weigh(signed)[0] == "light"
    assert weigh(complete())[0] == "light"  # the complete OB 3.0 example: 16 KB, 86 objects
    assert weigh(present(issuer, [signed, issuer.sign(badge(issuer, name="Another"))]))[0] == "light"
    assert weigh(bake_png(tiny_png(), json.dumps(signed)), "image/png")[0] == "light"
    token = encode_vc_jwt(signed, private_key=issuer.key, kid=f"{issuer.did}#key-1")
    assert weigh(token.encode(), "text/plain")[0] == "light"
    assert weigh(clr(issuer, [nested_badge(issuer, "one"), nested_badge(issuer, "two")]))[0] == "light"


def test_long_input_is_heavy_without_being_parsed() -> None:
    big = clr_of(12)  # 200 KB, in bounds but a third of a second of work
    assert weigh(big) == ("heavy", f"{len(json.dumps(big).encode()):,} bytes presented")
    assert weigh(b"{" * (LIMITS.max_bytes + 1))[0] == "heavy"  # not even JSON: never parsed here


def test_short_input_asking_for_much_json_ld_work_is_heavy() -> None:
    issuer = Issuer()
    small_star = star(400)  # 400 blank nodes in 39 KB
    assert len(json.dumps(small_star)) < LIMITS.max_bytes
    assert weigh(small_star) == ("heavy", "more JSON-LD work than a light verification may do")
    blank = badge(issuer)  # 120 blank nodes in four arrays: few objects and duplicate checks
    for key in "abcd":
        blank["credentialSubject"][key] = [{"n": n} for n in range(30)]
    assert weigh(blank)[0] == "heavy"
    values = badge(issuer)
    values["credentialSubject"]["achievement"]["tag"] = [f"t{n}" for n in range(3_100)]
    assert weigh(values)[0] == "heavy"  # few objects, many values (and duplicate checks)


def test_many_credentials_are_heavy() -> None:
    issuer = Issuer()
    signed = issuer.sign(badge(issuer))
    five = [nested_badge(issuer, str(n)) for n in range(5)]
    assert weigh(clr(issuer, five)) == ("heavy", "more than 4 credentials")
    assert weigh(present(None, [signed] * 5)) == ("heavy", "more than 4 credentials")


def test_a_small_png_whose_text_expands_past_the_light_size_is_heavy() -> None:
    text = json.dumps(star(1_000)).encode()
    chunk = b"openbadgecredential\x00\x01\x00\x00\x00" + zlib.compress(text, 9)
    png = tiny_png()[:33] + make_chunk(b"iTXt", chunk) + tiny_png()[33:]
    assert len(png) < 5_000 < LIMITS.max_bytes < len(text)
    assert weigh(png, "image/png") == ("heavy", f"the presented text expands past {LIMITS.max_bytes:,} bytes")


def test_what_is_not_a_credential_is_light_the_verifier_refuses_it_at_once() -> None:
    assert weigh(b"not a badge", "text/plain")[0] == "light"
    assert weigh(b'{"unterminated": ')[0] == "light"


def test_batches_are_weighed_by_their_items() -> None:
    issuer = Issuer()
    signed = issuer.sign(badge(issuer))
    assert weigh_batch([signed, signed], LIMITS).lane == "light"
    assert weigh_batch([signed] * 5, LIMITS).reason == "a batch of 5 items"
    assert weigh_batch([signed, {"url": "https://example.org/b"}], LIMITS).heavy
    assert weigh_batch([signed, star(400)], LIMITS).heavy
    crowded = badge(issuer)
    crowded["credentialSubject"]["identifier"] = star(400)["credentialSubject"]["identifier"]
    token = encode_vc_jwt(crowded, private_key=issuer.key, kid=f"{issuer.did}#key-1")
    assert weigh_batch([signed, token], LIMITS).heavy
    assert weigh_batch([signed, signed, complete(), complete()], LIMITS).lane == "light"


def test_limits_come_from_the_settings() -> None:
    limits = LightLimits.from_settings(Settings(verify_heavy_bytes=1_000, verify_heavy_objects=5))
    assert (limits.max_bytes, limits.max_objects) == (1_000, 5)
    issuer = Issuer()
    assert weigh_presented(json.dumps(issuer.sign(badge(issuer))).encode(), None, limits).heavy
    assert limits.bounds.max_values == limits.bounds.max_duplicate_checks == 50


def test_a_light_weight_carries_what_it_unwrapped_and_a_heavy_one_nothing() -> None:
    """The verifier reuses a light input's unwrapping (``verify_badge(unwrapped=…)``): it must be
    exactly what ``unwrap`` makes of the bytes; a heavy input goes to a worker, which parses it."""
    issuer = Issuer()
    signed = issuer.sign(badge(issuer))
    token = encode_vc_jwt(signed, private_key=issuer.key, kid=f"{issuer.did}#key-1").encode()
    presentation = json.dumps(present(issuer, [signed])).encode()
    for data, content_type in (
        (json.dumps(signed).encode(), "application/json"),
        (token, None),
        (presentation, None),
    ):
        weight = weigh_presented(data, content_type, LIMITS)
        assert not weight.heavy
        assert weight.presented == unwrap(data, content_type, max_bytes=LIMITS.max_bytes)
    assert weigh_presented(json.dumps(star(400)).encode(), None, LIMITS).presented is None
    assert weigh_presented(b"not a badge", None, LIMITS).presented is None  # refused by the verifier
