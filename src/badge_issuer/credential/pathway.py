"""A pathway: a target achievement and the requirement tree that earns it.

The tree's groups are ``allOf`` (every child), ``anyOf`` (at least ``count`` children) and
``credits`` (at least ``credits`` credit hours/points from the children that are met); its leaves
are one of our own achievements (``achievement``: a slug, optionally ``minVersion`` and a numeric
``minResult``) or an ``external`` achievement (its ``achievementId``, or the ``issuer`` DID with an
``achievementType`` and/or an ``alignment`` target URL). Trees are bounded (depth, size) before
anything reads them further; ``check_tree`` then refuses unknown achievements and cycles.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from badge_issuer.credential.requests import SLUG
from badge_issuer.errors import Issue, ValidationFailed

MAX_DEPTH = 6
MAX_NODES = 200
Policy = Literal["keep", "flag", "revoke"]


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)


class OwnLeaf(_Node):
    type: Literal["achievement"]
    achievement: str = Field(pattern=SLUG, description="one of this issuer's achievements")
    min_version: int | None = Field(default=None, alias="minVersion", ge=1, le=2**31 - 1)
    min_result: float | None = Field(
        default=None, alias="minResult", description="a result value of the award must be at least this"
    )


class ExternalLeaf(_Node):
    type: Literal["external"]
    achievement_id: str | None = Field(default=None, alias="achievementId", max_length=2000)
    issuer: str | None = Field(default=None, max_length=2000, description="the issuer's id (a DID or URL)")
    achievement_type: str | None = Field(default=None, alias="achievementType", max_length=200)
    alignment: str | None = Field(default=None, max_length=2000, description="an alignment targetUrl")
    credits: float | None = Field(default=None, ge=0, le=10_000, description="credit it counts for")

    @model_validator(mode="after")
    def _named(self) -> ExternalLeaf:
        if self.achievement_id is None and (
            self.issuer is None or (self.achievement_type is None and self.alignment is None)
        ):
            raise ValueError(
                "an external requirement names an achievementId, or an issuer with an "
                "achievementType and/or an alignment"
            )
        return self


class Group(_Node):
    type: Literal["allOf", "anyOf", "credits"]
    count: int | None = Field(default=None, ge=1, le=MAX_NODES, description="anyOf: how many children")
    credits: float | None = Field(default=None, gt=0, le=10_000, description="credits: how many")
    ordered: bool | None = Field(
        default=None,
        description="allOf: the requirements are steps taken in this order (a CLR says each of our "
        "achievements among them `precedes` the next)",
    )
    requirements: list[Requirement] = Field(min_length=1, max_length=MAX_NODES)

    @model_validator(mode="after")
    def _parameters(self) -> Group:
        if self.type == "anyOf" and (self.count is None or self.count > len(self.requirements)):
            raise ValueError("anyOf needs a count between 1 and its number of requirements")
        if self.type == "credits" and self.credits is None:
            raise ValueError("a credits group needs credits")
        if self.type != "anyOf" and self.count is not None:
            raise ValueError("only anyOf takes a count")
        if self.type != "credits" and self.credits is not None:
            raise ValueError("only a credits group takes credits")
        if self.type != "allOf" and self.ordered is not None:
            raise ValueError("only allOf takes ordered")
        return self


Requirement = Annotated[Group | OwnLeaf | ExternalLeaf, Field(discriminator="type")]
Group.model_rebuild()


class PathwayInput(_Node):
    """A pathway definition; updating one publishes a new version."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "slug": "data-certificate",
                    "name": "Certificate in Data Analysis",
                    "target": "data-certificate",
                    "policy": "flag",
                    "requirements": {
                        "type": "allOf",
                        "requirements": [
                            {"type": "achievement", "achievement": "python-data"},
                            {"type": "achievement", "achievement": "statistics", "minResult": 70},
                            {"type": "external", "achievementId": "https://mooc.example/badges/sql"},
                        ],
                    },
                }
            ]
        }
    )

    slug: str | None = Field(default=None, pattern=SLUG, description="URL name; from the name if absent")
    name: str = Field(min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=20000)
    target: str = Field(pattern=SLUG, description="the achievement awarded when the pathway is complete")
    policy: Policy = Field(
        default="flag",
        description="when a credential that completed it is revoked later: keep the award, flag it "
        "for the issuer, or revoke it",
    )
    requirements: Group


def check_bounds(raw: Any) -> None:
    """Refuse a tree (its JSON form) deeper than MAX_DEPTH or larger than MAX_NODES."""
    count = 0
    stack: list[tuple[Any, int]] = [(raw, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ValidationFailed(
                f"a pathway has at most {MAX_NODES} requirements",
                [Issue("/requirements", "too many requirements")],
            )
        if depth > MAX_DEPTH:
            raise ValidationFailed(
                f"a pathway's requirements nest at most {MAX_DEPTH} deep",
                [Issue("/requirements", "nested too deep")],
            )
        children = node.get("requirements") if isinstance(node, Mapping) else None
        if isinstance(children, list):
            stack.extend((child, depth + 1) for child in children)


def leaves(node: Group | OwnLeaf | ExternalLeaf) -> Iterator[OwnLeaf | ExternalLeaf]:
    if isinstance(node, Group):
        for child in node.requirements:
            yield from leaves(child)
    else:
        yield node


def check_tree(pathway: PathwayInput, known: set[str], edges: Mapping[str, set[str]]) -> None:
    """``known``: the issuer's achievement slugs; ``edges``: for each other pathway's target, the
    own achievements it requires. Unknown achievements and requirement cycles are refused."""
    own = {leaf.achievement for leaf in leaves(pathway.requirements) if isinstance(leaf, OwnLeaf)}
    problems = [Issue("/requirements", f"no achievement {slug!r}") for slug in sorted(own - known)]
    if pathway.target not in known:
        problems.insert(0, Issue("/target", f"no achievement {pathway.target!r}"))
    if problems:
        raise ValidationFailed(problems[0].message, problems)
    graph = {key: set(value) for key, value in edges.items()}
    graph.setdefault(pathway.target, set()).update(own)
    seen: set[str] = set()
    stack = list(own)
    while stack:  # does anything the target requires (transitively) require the target?
        slug = stack.pop()
        if slug == pathway.target:
            raise ValidationFailed(
                f"the pathway to {pathway.target!r} requires {pathway.target!r} itself (a cycle)",
                [Issue("/requirements", "requirement cycle")],
            )
        if slug not in seen:
            seen.add(slug)
            stack.extend(graph.get(slug, ()))


def stored_leaves(document: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The leaves of a stored pathway document's tree (its JSON form)."""
    stack = [document.get("requirements")]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            children = node.get("requirements")
            if isinstance(children, list):
                stack.extend(children)
            else:
                yield node


def own_requirements(document: Mapping[str, Any]) -> set[str]:
    """The own achievement slugs a stored pathway document requires."""
    return {
        leaf["achievement"]
        for leaf in stored_leaves(document)
        if leaf.get("type") == "achievement" and isinstance(leaf.get("achievement"), str)
    }


def ordered_steps(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(before, after)`` for each two consecutive own achievements among the direct children of
    an ``ordered`` allOf group of a stored pathway document."""
    pairs: list[tuple[str, str]] = []
    stack = [document.get("requirements")]
    while stack:
        node = stack.pop()
        if not isinstance(node, Mapping) or not isinstance(node.get("requirements"), list):
            continue
        children = node["requirements"]
        stack.extend(children)
        if node.get("type") == "allOf" and node.get("ordered") is True:
            steps = [
                child["achievement"]
                for child in children
                if isinstance(child, Mapping)
                and child.get("type") == "achievement"
                and isinstance(child.get("achievement"), str)
            ]
            pairs.extend(pairwise(steps))
    return pairs


def counts_external(document: Mapping[str, Any]) -> bool:
    """Whether a stored pathway document has any external requirement."""
    return any(leaf.get("type") == "external" for leaf in stored_leaves(document))
