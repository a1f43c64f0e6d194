"""A platform's link and diversion policy sets the severity of the rules that follow it.

Contact diversion (加V, 二维码 + 微信) and links out are what a content platform that forbids them
throttles or bans accounts for, and a matter of taste on the bank's own website. So the rule says
which policy it follows and the severity for each answer (`severity_by_policy: {policy: diversion,
forbidden: error, allowed: warning}`), and the platform's facts say the answer, with a source
(`policy: {diversion: forbidden, links_out: forbidden}` in data/platforms/*.yaml). Resolved per profile
by the engine; a platform that is unknown or says nothing keeps the rule's own severity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only
    from mediactl.check.rules import Rule


def platform_policy(platform: str | None, policy: str) -> str:
    """What a platform's facts say about `policy` ("forbidden", "allowed"), or "" when unknown."""
    if not platform:
        return ""
    from mediactl.config.platforms import all_platforms  # lazy: start-up, only rules that follow a policy ask

    facts = all_platforms().get(platform)
    if facts is None:
        return ""
    return str((facts.facts.get("policy") or {}).get(policy) or "")


def policy_severity(rule: Rule, platform: str | None) -> str:
    """The rule's severity on `platform`: by its policy where the rule follows one and the platform says."""
    by_policy = rule.severity_by_policy
    if not by_policy:
        return rule.severity
    return by_policy.get(platform_policy(platform, by_policy["policy"])) or rule.severity
