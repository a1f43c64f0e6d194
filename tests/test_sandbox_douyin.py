"""Douyin: the adapter's parser against Douyin's real answers, and the sandbox's own checks (written from platforms.md §4)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mediactl.config.model import load_config
from mediactl.library.scaffold import init_project
from mediactl.publish.adapters.base import Rejected, Transient, Variant
from mediactl.publish.adapters.douyin import DouyinAdapter, NotPublished, _video_id
from mediactl.publish.adapters.http import TokenExpired
from mediactl.sandbox import Sandbox
from mediactl.sandbox.platforms.douyin import Douyin
from videoflow import grant

CLIP = Path(__file__).resolve().parents[1] / "content" / "video" / "spring-festival-greeting" / "source.mp4"

# platforms.md §4 "Upload" [V] open.douyin.com …/video-management/douyin/create/upload/ (the real answer, verbatim).
REAL_UPLOAD = {"data": {"error_code": 0, "description": "", "video": {"video_id": "v0200f450000bn8c6aa0ifki8fikg1b0",
               "width": 720, "height": 1280}}, "extra": {"error_code": 0, "logid": "…", "now": 1597213176393}}  # fmt: skip
# An expired token as Douyin answers it: quoted in a client's model, qxy douyinDemo `bean/Extra.kt` (code index).
REAL_EXPIRED = {"data": {"description": "access_token过期,请刷新或重新授权", "error_code": 2190008},
                "extra": {"description": "access_token过期,请刷新或重新授权", "error_code": 2190008,
                          "logid": "202208121428010102091461593C0FFA9B", "now": 1660285681707, "sub_description": "",
                          "sub_error_code": 0}}  # fmt: skip
# /video/data/ list entries: the fields of douyin-go's `Video` struct [S] (video_status 1,2,4,5,6,7; is_reviewed).
REVIEWED = {"item_id": "@9VwL2uyIVMg", "title": "新春快乐", "cover": "", "is_top": False, "create_time": 1700000000,
            "is_reviewed": True, "share_url": "https://www.iesdouyin.com/share/video/1/", "video_status": 5,
            "media_type": 4, "statistics": {"play_count": 0, "digg_count": 0}}  # fmt: skip


@pytest.fixture
def adapter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DouyinAdapter]:
    root = tmp_path / "example"
    init_project(root)
    monkeypatch.setenv("BANK_DOUYIN_CLIENT_KEY", "dy-client-key")
    config = load_config(root / "mediactl.yaml")
    made = DouyinAdapter(config.channel("bank-douyin"), config)
    yield made
    made.close()


def answer(body: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json=body)


# ---- the adapter's parser, replaying the real JSON -------------------------------------------------


def test_the_real_upload_answer_gives_its_video_id(adapter: DouyinAdapter) -> None:
    data = adapter._data(answer(REAL_UPLOAD), "video/upload", mutating=False)
    assert _video_id(data, "video/upload") == "v0200f450000bn8c6aa0ifki8fikg1b0"


def test_the_real_expired_token_answer_means_refresh_once(adapter: DouyinAdapter) -> None:
    with pytest.raises(TokenExpired, match="error_code 2190008: access_token过期"):
        adapter._data(answer(REAL_EXPIRED), "video/create", mutating=True)


@pytest.mark.parametrize(
    ("code", "kind", "words"),
    [
        (2190001, Transient, "rate limited"),
        (2190006, Rejected, "the platform refused the media"),
        (2111001, Rejected, "the platform refused the content"),
        (10010, Rejected, "a person must authorise the channel again"),
        (2100005, Rejected, "the platform refused the request"),
        (99999, Rejected, "error_code 99999: 未知"),
    ],
)
def test_error_codes_are_classified_from_the_facts_table(
    adapter: DouyinAdapter, code: int, kind: type, words: str
) -> None:
    body = {"data": {"error_code": code, "description": "未知"}, "extra": {"error_code": code, "logid": "x", "now": 1}}
    with pytest.raises(kind, match=words) as raised:
        adapter._data(answer(body), "video/create", mutating=True)
    assert not isinstance(raised.value, TokenExpired)
    if code == 2190001:
        assert raised.value.retry_after == 3600


def test_an_answer_that_is_not_json_is_unknown_after_create_and_transient_before(adapter: DouyinAdapter) -> None:
    garbled = httpx.Response(200, text="<html>busy</html>")
    with pytest.raises(Transient):
        adapter._data(garbled, "video/upload", mutating=False)
    from mediactl.publish.adapters.base import Unknown

    with pytest.raises(Unknown, match="the post may exist"):
        adapter._data(garbled, "video/create", mutating=True)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, ("sent", "public")),
        ({"video_status": 1}, ("sent", "published")),
        ({"video_status": 7}, ("sent", "private")),
        ({"is_reviewed": False, "video_status": 4}, None),
        ({"is_reviewed": True, "video_status": 4}, None),
    ],
)
def test_review_states_from_video_data(adapter: DouyinAdapter, monkeypatch, fields: dict, expected: Any) -> None:
    entry = {**REVIEWED, **fields}
    monkeypatch.setattr(adapter, "_api", lambda *a, **k: {"list": [entry], "error_code": 0})
    receipt = adapter.status("@9VwL2uyIVMg")
    assert (receipt and (receipt.state, receipt.detail["note"])) == expected or (receipt is None and expected is None)
    if receipt is not None:
        assert receipt.url == REVIEWED["share_url"] and receipt.remote_id == "@9VwL2uyIVMg"


def test_unsuitable_for_public_is_a_definite_refusal(adapter: DouyinAdapter, monkeypatch) -> None:
    monkeypatch.setattr(adapter, "_api", lambda *a, **k: {"list": [{**REVIEWED, "video_status": 2}]})
    with pytest.raises(NotPublished, match="video_status 2"):
        adapter.status("@9VwL2uyIVMg")


# ---- validate: refused before anything is sent -----------------------------------------------------


def variant(adapter: DouyinAdapter, **document: Any) -> Variant:
    base = {"kind": "video", "texts": {"text": "新春快乐 #春节"}, "hashtags": ["春节"], "media": [],
            "video": {"file": "content/video/x/source.mp4", "bytes": 67428, "sha256": "ab" * 32}}  # fmt: skip
    return Variant(adapter.channel, "x", "0" * 64, {**base, **document}, lambda sha, what: b"")


def test_a_variant_without_a_video_is_refused_with_the_reason(adapter: DouyinAdapter) -> None:
    (problem,) = adapter.validate(variant(adapter, kind="article", video=None))
    assert problem.startswith(
        "the variant has no video: 抖音 (douyin) publishes videos only, and an article carries none"
    )


def test_validate_names_format_size_missing_topics_and_a_bad_cover_second(adapter: DouyinAdapter, monkeypatch) -> None:
    assert adapter.validate(variant(adapter)) == []
    video = {"file": "content/video/x/source.avi", "bytes": 5 * 1024**3, "sha256": "ab" * 32, "cover_at": "first frame"}
    problems = adapter.validate(variant(adapter, video=video, hashtags=["春节", "新年快乐"]))
    assert any("takes mp4, webm, not avi" in p for p in problems)
    assert any("is over 抖音's 4294967296 bytes" in p for p in problems)
    assert "topic #新年快乐 is missing from the text" in problems
    assert any("video.cover_at must be a number of seconds" in p for p in problems)


def test_describe_shows_the_requests_without_the_token(adapter: DouyinAdapter, monkeypatch) -> None:
    monkeypatch.setitem(adapter.facts["upload"], "whole_max_bytes", 20_000)
    monkeypatch.setitem(adapter.facts["upload"], "part_bytes", 16_000)
    lines = [r["request"] for r in adapter.describe(variant(adapter), "key")]
    assert "header access-token: ***" in lines
    assert any("/video/part/upload/ × 5 parts" in line for line in lines)
    assert any("/video/create/ (text '新春快乐 #春节'" in line for line in lines)


# ---- the sandbox's own checks ---------------------------------------------------------------------


pytestmark = pytest.mark.sandbox(publish_polls=0)


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    tokens = grant(sandbox, "douyin", user="u1")
    headers = {"access-token": tokens["access_token"]}
    with httpx.Client(base_url=sandbox.base("douyin"), headers=headers, params={"open_id": "u1"}, timeout=5) as c:
        yield c


def code_of(response: httpx.Response) -> int:
    body = response.json()
    assert set(body["extra"]) >= {"error_code", "logid", "now"}  # Douyin's shape on every answer
    return body["data"]["error_code"]


def upload(client: httpx.Client, data: bytes) -> httpx.Response:
    return client.post("/video/upload/", files={"video": ("clip.mp4", data, "video/mp4")})


def test_the_sandbox_answers_uploads_in_douyins_shape_with_the_files_size(client: httpx.Client) -> None:
    body = upload(client, CLIP.read_bytes()).json()
    assert body["data"]["error_code"] == 0 and body["data"]["video"]["video_id"].startswith("v0200")
    assert (body["data"]["video"]["width"], body["data"]["video"]["height"]) == (640, 360)


def test_the_sandbox_checks_the_user_and_the_token(client: httpx.Client, sandbox: Sandbox) -> None:
    assert code_of(client.post("/video/part/init/", params={"open_id": "someone-else"})) == 2190015
    assert code_of(client.post("/video/part/init/", headers={"access-token": "forged"})) == 2190002
    sandbox.add_fault("expired-token")
    assert code_of(client.post("/video/part/init/")) == 2190008


def test_the_sandbox_refuses_what_douyin_refuses_in_media(client: httpx.Client, monkeypatch) -> None:
    assert code_of(upload(client, b"not a video at all")) == 2100005
    monkeypatch.setattr(Douyin, "MAX_SECONDS", 3.0)  # 15 minutes, scaled to the 4-second clip
    assert code_of(upload(client, CLIP.read_bytes())) == 2190006


def test_parts_must_be_numbered_from_one_without_gaps(client: httpx.Client, monkeypatch) -> None:
    monkeypatch.setattr(Douyin, "MIN_PART_BYTES", 10)
    data = CLIP.read_bytes()
    upload_id = client.post("/video/part/init/").json()["data"]["upload_id"]

    def part(number: int, chunk: bytes) -> httpx.Response:
        return client.post("/video/part/upload/", params={"open_id": "u1", "upload_id": upload_id, "part_number": number},
                           files={"video": ("clip.mp4", chunk, "video/mp4")})  # fmt: skip

    assert code_of(part(0, data[:10])) == 2100005  # numbers start at 1
    assert code_of(part(1, data[:40_000])) == 0 and code_of(part(3, data[60_000:])) == 0
    complete = {"open_id": "u1", "upload_id": upload_id}
    assert (
        "none missing; got [1, 3]"
        in client.post("/video/part/complete/", params=complete).json()["data"]["description"]
    )
    assert code_of(part(2, data[40_000:60_000])) == 0
    done = client.post("/video/part/complete/", params=complete).json()["data"]
    assert done["error_code"] == 0 and done["video"]["video_id"]


def test_an_upload_id_expires_after_two_hours(client: httpx.Client, monkeypatch) -> None:
    upload_id = client.post("/video/part/init/").json()["data"]["upload_id"]
    monkeypatch.setattr(Douyin, "UPLOAD_ID_SECONDS", -1.0)
    late = client.post("/video/part/complete/", params={"open_id": "u1", "upload_id": upload_id}).json()["data"]
    assert late["error_code"] == 2100005 and "valid 2 hours" in late["description"]


def test_a_video_id_serves_one_create_and_a_long_title_is_a_warning(client: httpx.Client, sandbox: Sandbox) -> None:
    video_id = upload(client, CLIP.read_bytes()).json()["data"]["video"]["video_id"]
    title = "示例银行" * 9  # 36 characters: over the creator centre's 30 [C], not an API limit
    first = client.post("/video/create/", json={"video_id": video_id, "text": f"{title} #春节"}).json()["data"]
    assert first["error_code"] == 0 and first["item_id"].startswith("@")
    assert code_of(client.post("/video/create/", json={"video_id": video_id, "text": "again"})) == 2190007
    (post, _) = [p for p in sandbox.posts() if p["path"] == "/douyin/video/create/"]
    assert post["warnings"] == ["title of 36 characters: creator-centre tools keep it ≤30 [C]"]


def test_oauth_fields_must_be_form_encoded_and_a_refresh_keeps_the_refresh_token(sandbox: Sandbox) -> None:
    tokens = grant(sandbox, "douyin", user="u2")
    with httpx.Client(base_url=sandbox.base("douyin"), timeout=5) as c:
        as_json = c.post("/oauth/refresh_token/", json={"client_key": "dy-client-key", "grant_type": "refresh_token",
                                                         "refresh_token": tokens["refresh_token"]})  # fmt: skip
        assert as_json.json()["data"]["error_code"] == 2100005
        form = {"client_key": "dy-client-key", "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        renewed = c.post("/oauth/refresh_token/", data=form).json()["data"]
    assert renewed["refresh_token"] == tokens["refresh_token"] and renewed["access_token"] != tokens["access_token"]
    assert renewed["open_id"] == "u2" and renewed["expires_in"] > 0


def test_the_sandbox_bounds_what_unfinished_part_uploads_hold(client: httpx.Client, monkeypatch) -> None:
    import mediactl.sandbox.platforms.douyin as emulator

    monkeypatch.setattr(emulator, "HELD_MAX_BYTES", 50_000)
    upload_id = client.post("/video/part/init/").json()["data"]["upload_id"]
    query = {"open_id": "u1", "upload_id": upload_id}
    files = {"video": ("clip.mp4", CLIP.read_bytes()[:40_000], "video/mp4")}
    assert code_of(client.post("/video/part/upload/", params={**query, "part_number": 1}, files=files)) == 0
    refused = client.post("/video/part/upload/", params={**query, "part_number": 2}, files=files).json()["data"]
    assert refused["error_code"] == 2190005 and "holds at most 50000 bytes" in refused["description"]
