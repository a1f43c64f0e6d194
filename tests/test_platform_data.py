"""The packaged platform data files: every publishing fact is well-formed and names its source.

Render and check read these files, so a typo here (an unknown count mode, a hashtag
field that does not exist, an image for a kind the platform does not publish) would
surface as a confusing failure far from its cause. These tests pin the schema and a
few facts from official documentation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import assert_no_yaml_problems

PLATFORM_DIR = Path(__file__).resolve().parents[1] / "src" / "mediactl" / "data" / "platforms"
FILES = sorted(PLATFORM_DIR.glob("*.yaml"))
EXPECTED = {
    "wechat_oa", "wecom", "weibo", "douyin", "channels", "xiaohongshu",
    "bilibili", "kuaishou", "toutiao", "website", "webhook", "outbox",
}  # fmt: skip

BASE_KEYS = ("name", "title", "api", "base_url", "credentials", "options")
FACT_KEYS = ("kinds", "body_format", "fields", "hashtags", "links", "images", "video", "rate_limits")
KINDS = {"article", "video", "graphic"}
BODY_FORMATS = {"html", "markdown", "text"}
ROLES = {"title", "summary", "body", "author", "link", "hashtags"}
COUNTS = {"chars", "half_ascii", "bytes", "utf16", "graphemes"}
HASHTAG_STYLES = {"none", "wrap", "prefix"}
LINK_POLICIES = {"allowed", "source_url_only", "none"}
IMAGE_FORMATS = {"jpeg", "png"}
LAYOUTS = {"cover-wide", "cover-tall", "cover-square", "poster"}
VIDEO_FORMATS = {"mp4", "webm", "flv", "mov"}
PERIODS = {"hour", "day", "week", "month"}
EVIDENCE = ("[V]", "[S]", "[C]", "[U]", "mediactl's own")


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text("utf-8"))
    assert isinstance(data, dict), f"{path.name}: top level must be a mapping"
    return data


@pytest.fixture(params=FILES, ids=[f.stem for f in FILES])
def platform(request: pytest.FixtureRequest) -> dict[str, Any]:
    return _load(request.param)


@pytest.fixture(scope="module")
def by_name() -> dict[str, dict[str, Any]]:
    return {f.stem: _load(f) for f in FILES}


def _is_pos_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _has_source(mapping: dict[str, Any], where: str) -> None:
    source = mapping.get("source")
    assert isinstance(source, str) and source.strip(), f"{where}: needs a non-empty 'source'"
    assert any(tag in source for tag in EVIDENCE), f"{where}: source must carry an evidence tag {EVIDENCE}: {source!r}"


def test_every_expected_platform_has_a_file() -> None:
    assert {f.stem for f in FILES} == EXPECTED


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_no_duplicate_keys(path: Path) -> None:
    assert_no_yaml_problems(path)


def test_required_keys(platform: dict[str, Any]) -> None:
    missing = [key for key in (*BASE_KEYS, *FACT_KEYS) if key not in platform]
    assert not missing, f"{platform.get('name')}: missing {missing}"
    assert platform["api"] in {"official", "manual", "local"}


def test_name_matches_file_name() -> None:
    for path in FILES:
        assert _load(path)["name"] == path.stem


def test_kinds_and_body_format(platform: dict[str, Any]) -> None:
    kinds = platform["kinds"]
    assert isinstance(kinds, list) and kinds, "kinds must be a non-empty list"
    assert set(kinds) <= KINDS
    assert len(set(kinds)) == len(kinds)
    assert platform["body_format"] in BODY_FORMATS


def test_fields(platform: dict[str, Any]) -> None:
    fields = platform["fields"]
    assert isinstance(fields, dict) and fields, "fields must be a non-empty mapping"
    for key, spec in fields.items():
        where = f"{platform['name']}.fields.{key}"
        assert isinstance(spec, dict), where
        assert spec.get("role") in ROLES, f"{where}: role {spec.get('role')!r}"
        assert spec.get("count") in COUNTS, f"{where}: count {spec.get('count')!r}"
        assert _is_pos_int(spec.get("max")), f"{where}: max must be an integer ≥ 1"
        assert spec.get("max_bytes") is None or _is_pos_int(spec["max_bytes"]), f"{where}: max_bytes"
        min_ = spec.get("min")
        assert min_ is None or (_is_pos_int(min_) and min_ <= spec["max"]), f"{where}: min"
        assert isinstance(spec.get("required"), bool), f"{where}: required must be true or false"
        _has_source(spec, where)


def test_hashtags(platform: dict[str, Any]) -> None:
    tags = platform["hashtags"]
    where = f"{platform['name']}.hashtags"
    assert isinstance(tags, dict), where
    assert tags.get("style") in HASHTAG_STYLES, f"{where}: style {tags.get('style')!r}"
    field = tags.get("field")
    assert field is None or field in platform["fields"], f"{where}: field {field!r} is not a field of the platform"
    if field is not None:
        assert tags["style"] != "none", f"{where}: hashtags appended to a field need a style"
    assert tags.get("max") is None or _is_pos_int(tags["max"]), f"{where}: max"
    _has_source(tags, where)


def test_links(platform: dict[str, Any]) -> None:
    links = platform["links"]
    assert isinstance(links, dict)
    assert links.get("policy") in LINK_POLICIES, f"{platform['name']}.links.policy {links.get('policy')!r}"
    _has_source(links, f"{platform['name']}.links")


def test_policy(platform: dict[str, Any]) -> None:
    """`policy:` (read by check: a rule's severity_by_policy): each stated policy is forbidden or allowed, sourced."""
    policy = platform["policy"]
    where = f"{platform['name']}.policy"
    assert isinstance(policy, dict) and policy.keys() - {"source"} <= {"links_out", "diversion", "qr_codes"}, where
    assert all(policy[key] in ("forbidden", "allowed") for key in policy.keys() - {"source"}), where
    if platform["links"]["policy"] == "none":
        assert policy["links_out"] == "forbidden", f"{where}: links.policy none means links out are forbidden"
    _has_source(policy, where)


def test_images(platform: dict[str, Any]) -> None:
    images = platform["images"]
    assert isinstance(images, dict), "images must be a mapping (may be empty)"
    for key, spec in images.items():
        where = f"{platform['name']}.images.{key}"
        assert isinstance(spec, dict), where
        assert _is_pos_int(spec.get("width")) and _is_pos_int(spec.get("height")), f"{where}: width/height"
        assert spec.get("format") in IMAGE_FORMATS, f"{where}: format {spec.get('format')!r}"
        assert spec.get("max_bytes") is None or _is_pos_int(spec["max_bytes"]), f"{where}: max_bytes"
        assert spec.get("layout") in LAYOUTS, f"{where}: layout {spec.get('layout')!r}"
        kinds = spec.get("kinds")
        assert isinstance(kinds, list) and kinds, f"{where}: kinds must be a non-empty list"
        assert set(kinds) <= set(platform["kinds"]), f"{where}: kinds {kinds} not all published by the platform"
        _has_source(spec, where)


def test_video(platform: dict[str, Any]) -> None:
    video = platform["video"]
    if video is None:
        return
    where = f"{platform['name']}.video"
    assert isinstance(video, dict), where
    assert "video" in platform["kinds"], f"{where}: the platform does not publish video"
    assert _is_pos_int(video.get("width")) and _is_pos_int(video.get("height")), f"{where}: width/height"
    assert "max_seconds" in video and (video["max_seconds"] is None or _is_pos_int(video["max_seconds"])), where
    assert video.get("max_bytes") is None or _is_pos_int(video["max_bytes"]), f"{where}: max_bytes"
    formats = video.get("formats")
    assert isinstance(formats, list) and formats and set(formats) <= VIDEO_FORMATS, f"{where}: formats {formats!r}"
    _has_source(video, where)


def test_rate_limits(platform: dict[str, Any]) -> None:
    limits = platform["rate_limits"]
    assert isinstance(limits, list)
    for i, limit in enumerate(limits):
        where = f"{platform['name']}.rate_limits[{i}]"
        assert isinstance(limit, dict), where
        assert _is_pos_int(limit.get("max")), f"{where}: max"
        assert limit.get("per") in PERIODS, f"{where}: per {limit.get('per')!r}"
        assert limit.get("by", "channel") in ("channel", "audience"), (
            f"{where}: by"
        )  # per account or per customer segment
        _has_source(limit, where)


# ---- fact pins: values read in official documentation ([V]) ----


def test_wechat_title_and_digest(by_name: dict[str, dict[str, Any]]) -> None:
    fields = by_name["wechat_oa"]["fields"]
    assert (fields["title"]["max"], fields["title"]["count"]) == (32, "chars")
    assert (fields["digest"]["max"], fields["digest"]["role"]) == (128, "summary")
    assert next(iter(fields)) == "title"


def test_wechat_cover_and_links(by_name: dict[str, dict[str, Any]]) -> None:
    wechat = by_name["wechat_oa"]
    cover = wechat["images"]["cover"]
    assert (cover["width"], cover["height"], cover["layout"]) == (900, 383, "cover-wide")
    assert wechat["links"]["policy"] == "source_url_only"


def test_weibo_status(by_name: dict[str, dict[str, Any]]) -> None:
    weibo = by_name["weibo"]
    status = weibo["fields"]["status"]
    assert (status["max"], status["count"]) == (140, "half_ascii")
    # share.json rejects #话题# in the status, so hashtags must not be appended to it.
    assert weibo["hashtags"]["field"] is None
    assert {"max": 30, "per": "hour"} in [{k: r[k] for k in ("max", "per")} for r in weibo["rate_limits"]]


def test_xiaohongshu_title(by_name: dict[str, dict[str, Any]]) -> None:
    title = by_name["xiaohongshu"]["fields"]["title"]
    assert (title["max"], title["count"]) == (20, "half_ascii")


def test_wecom_moments_text(by_name: dict[str, dict[str, Any]]) -> None:
    text = by_name["wecom"]["fields"]["text"]
    assert (text["max"], text["max_bytes"]) == (2000, 4000)
