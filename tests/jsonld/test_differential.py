"""The fast path gives exactly the reference path's canonical N-Quads, over generated credentials.

Fast path: the one walk of ``jsonld.fast_rdf`` where it applies, else our pyld path (processed
contexts kept across documents, one shared loader, as in the service). Reference path: plain
pyld — its own ``JsonLdProcessor``, its own context resolver and cache, a loader of its own — then
our RDFC-1.0. Generated credentials carry unicode and control
characters, numbers, booleans, language-tagged and directed values, nested results, result
descriptions (with an ``@list``), alignments, evidence, blank node identifiers, many blank nodes,
and every pinned context in many combinations (some of which conflict: then both paths must
refuse); proof options too. Each run: 400 credentials and 100 proof options (derandomized).

``HYPOTHESIS_PROFILE=explore`` (or a profile with more examples) searches further.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pyld import jsonld
from pyld.context_resolver import ContextResolver

from badge_issuer.errors import BadgeIssuerError
from badge_issuer.jsonld import canon
from badge_issuer.jsonld.loader import PINNED, DocumentLoader
from badge_issuer.jsonld.processor import canonical_nquads, to_dataset, walk
from badge_issuer.jsonld.safemode import RELATIVE_BASE

FAST = DocumentLoader.pinned()
REFERENCE = DocumentLoader.pinned()
#: examples in the default ("ci") profile: well under 30 s on the loaded 2-core gate
EXAMPLES = max(400, hypothesis_settings().max_examples)

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
OB = [
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
CLR = [
    "https://purl.imsglobal.org/spec/clr/v2p0/context.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
]
OTHERS = [entry.url for entry in PINNED if entry.url not in {VC_V2, VC_V1, *OB, *CLR}]


def reference_nquads(document: dict[str, Any]) -> str:
    options = {
        "documentLoader": REFERENCE,
        "contextResolver": ContextResolver({}, REFERENCE),
        "base": RELATIVE_BASE,
        "processingMode": "json-ld-1.1",
    }
    return canon.canonicalize(jsonld.JsonLdProcessor().to_rdf(document, options))


text = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
words = st.sampled_from(
    ["", "a", "Ünï", "日本語", 'q"uo\\te', "tab\there", "nl\n", "\x00\x1f\x7f", "ß", "🎓", "\u2028\ufeff"]
)
strings = st.one_of(text, words)
numbers = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -0.0, 1.0, 1e21, 1e-7, 123456789012345678, 0.1]),
)
scalars = st.one_of(strings, numbers, st.booleans())
language = st.sampled_from(["en", "en-US", "de-CH-1996", "zh-Hant-TW", "x-private", "EN-gb"])
iris = st.one_of(
    st.builds(lambda n: f"https://example.org/{n}", st.integers(0, 5)),
    st.builds(lambda n: f"urn:uuid:00000000-0000-4000-8000-{n:012d}", st.integers(0, 5)),
    st.sampled_from(["did:example:1", "https://example.org/ü?x=1#frag", "https://example.org/a%20b"]),
    st.sampled_from(["_:b0", "_:x", "_:b1"]),  # blank node identifiers, relabelled by both paths
)
value_objects = st.one_of(
    st.builds(lambda value, lang: {"@value": value, "@language": lang}, strings, language),
    st.builds(
        lambda value, lang, way: {"@value": value, "@language": lang, "@direction": way},
        strings,
        language,
        st.sampled_from(["ltr", "rtl"]),
    ),
)
#: mostly plain strings: a document holding any value object takes pyld's path
localized = st.builds(
    lambda dice, text, value: value if dice == 0 else text, st.integers(0, 24), strings, value_objects
)


def node(kind: str, **fields: Any) -> st.SearchStrategy[dict[str, Any]]:
    """An object of type ``kind``: each of ``fields`` present or not, maybe with an ``id``."""
    optional = {"id": iris, **fields}
    return st.fixed_dictionaries({"type": st.just(kind)}, optional=optional)


alignment = node(
    "Alignment",
    targetName=strings,
    targetUrl=iris,
    targetDescription=localized,
    targetCode=strings,
    targetFramework=strings,
    targetType=st.sampled_from(["ceasn:Competency", "CFItem", "ext:Custom"]),
)
criterion_level = node("RubricCriterionLevel", name=strings, level=strings, points=strings)
result_description = node(
    "ResultDescription",
    name=strings,
    resultType=st.sampled_from(["GradePointAverage", "LetterGrade", "ext:Other"]),
    allowedValue=st.lists(strings, max_size=4),
    requiredValue=strings,
    valueMin=strings,
    valueMax=strings,
    alignment=st.lists(alignment, max_size=2),
    rubricCriterionLevel=st.lists(criterion_level, max_size=3),
)
result = node(
    "Result",
    value=st.one_of(strings, numbers),
    status=st.sampled_from(["Completed", "Enrolled", "Failed"]),
    achievedLevel=iris,
    resultDescription=iris,
    alignment=st.lists(alignment, max_size=2),
)
evidence = node(
    "Evidence",
    name=localized,
    description=localized,
    narrative=strings,
    genre=strings,
    audience=strings,
)
achievement = node(
    "Achievement",
    name=localized,
    description=localized,
    criteria=st.fixed_dictionaries({}, optional={"narrative": strings, "id": iris}),
    achievementType=st.sampled_from(["Course", "Badge", "ext:Thing"]),
    creditsAvailable=numbers,
    alignment=st.lists(alignment, max_size=3),
    resultDescription=st.lists(result_description, max_size=2),
    tag=st.lists(strings, max_size=3),
    version=strings,
    humanCode=strings,
)
identity = node(
    "IdentityObject",
    hashed=st.booleans(),
    identityHash=strings,
    identityType=st.sampled_from(["emailAddress", "ext:Other"]),
    salt=strings,
)
subject = st.fixed_dictionaries(
    {"type": st.just(["AchievementSubject"]), "achievement": achievement},
    optional={
        "id": iris,
        "identifier": st.lists(identity, max_size=4),
        "result": st.lists(result, max_size=4),
        "creditsEarned": numbers,
        "activityStartDate": st.sampled_from(["2026-01-01", "2026-13-45", "x"]),
        "role": strings,
    },
)
profile = node("Profile", name=localized, url=iris, email=strings, phone=strings, description=localized)
contexts = st.one_of(
    st.builds(
        lambda ob, extensions, others: [VC_V2, ob, *extensions, *others],
        st.sampled_from(OB[2:]),
        st.lists(st.just(OB[3].replace("context-3.0.3.json", "extensions.json")), max_size=1),
        st.lists(st.sampled_from(OTHERS), max_size=2, unique=True),
    ),
    st.builds(
        lambda ob, extensions, others: [VC_V2, ob, *extensions, *others],
        st.sampled_from(OB[2:]),
        st.lists(st.just(OB[3].replace("context-3.0.3.json", "extensions.json")), max_size=1),
        st.lists(st.sampled_from(OTHERS), max_size=2, unique=True),
    ),
    st.builds(
        lambda clr, others: [VC_V2, OB[3], clr, *others],
        st.sampled_from(CLR),
        st.lists(st.sampled_from(OTHERS), max_size=2, unique=True),
    ),
    st.builds(
        lambda ob, others: [VC_V1, ob, *others], st.sampled_from(OB), st.lists(st.sampled_from(OTHERS))
    ),
)
credentials = st.fixed_dictionaries(
    {
        "@context": contexts,
        "type": st.sampled_from([["VerifiableCredential", "OpenBadgeCredential"], ["VerifiableCredential"]]),
        "issuer": st.one_of(iris, profile),
        "credentialSubject": subject,
    },
    optional={
        "id": iris,
        "name": localized,
        "description": localized,
        "validFrom": st.sampled_from(["2026-11-24T12:00:00Z", "2026-11-24T12:00:00.123+01:00", "soon"]),
        "evidence": st.lists(evidence, max_size=3),
        "credentialSchema": st.lists(
            st.fixed_dictionaries({"id": iris, "type": st.just("1EdTechJsonSchemaValidator2019")}), max_size=2
        ),
        "credentialStatus": st.fixed_dictionaries(
            {"type": st.just("BitstringStatusListEntry"), "statusListCredential": iris},
            optional={"id": iris, "statusPurpose": strings, "statusListIndex": strings},
        ),
    },
)
#: now and then an undefined term, dropped (or @vocab-expanded) by both paths alike
credentials = st.builds(
    lambda doc, dice, extra: {**doc, "extra": extra} if dice == 0 else doc,
    credentials,
    st.integers(0, 9),
    scalars,
)


#: proof options as the suites canonicalize them (proofValue removed, the document's @context added)
proof_options = st.fixed_dictionaries(
    {
        "@context": contexts,
        "type": st.sampled_from(["DataIntegrityProof", "Ed25519Signature2020"]),
        "verificationMethod": iris,
        "proofPurpose": st.sampled_from(["assertionMethod", "authentication", "capabilityInvocation"]),
    },
    optional={
        "cryptosuite": st.sampled_from(["eddsa-rdfc-2022", "eddsa-jcs-2022", "eddsa-2022"]),
        "created": st.sampled_from(["2026-11-24T12:00:00Z", "2026-11-24T12:00:00.5+01:00", "yesterday"]),
        "expires": st.sampled_from(["2027-01-01T00:00:00Z", "never"]),
        "id": iris,
        "challenge": strings,
        "domain": st.one_of(strings, st.lists(strings, max_size=3)),
        "nonce": strings,
        "previousProof": st.one_of(iris, st.lists(iris, max_size=2)),
    },
)


@hypothesis_settings(max_examples=EXAMPLES // 4)
@given(proof_options)
def test_proof_options_take_the_fast_path_to_the_reference_nquads(options: dict[str, Any]) -> None:
    same_nquads_on_both_paths(options)


@hypothesis_settings(max_examples=EXAMPLES)
@given(credentials)
def test_the_fast_path_gives_the_reference_nquads(credential: dict[str, Any]) -> None:
    same_nquads_on_both_paths(credential)


def same_nquads_on_both_paths(credential: dict[str, Any]) -> None:
    try:
        reference: str | None = reference_nquads(credential)
    except jsonld.JsonLdError:
        reference = None
    before = json.dumps(credential)
    try:
        fast: str | None = canon.canonicalize(to_dataset(credential, loader=FAST, safe=False))
    except BadgeIssuerError:
        fast = None
    walked = walk(credential, loader=FAST)
    assert json.dumps(credential) == before  # the fast path never edits its input
    if walked is not None:
        assert canon.canonicalize_quads(walked) == reference
        assert canonical_nquads(credential, loader=FAST) == reference  # what signing hashes
    event("both refused" if reference is None else f"{reference.count(chr(10)) // 20 * 20}+ quads")
    event("one walk" if walked is not None else "pyld's path")
    assert fast == reference
