"""Kuaishou: the adapter's parser against Kuaishou's real answers, and the sandbox's own checks (written from platforms.md §5)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mediactl.config.model import load_config
from mediactl.library.scaffold import init_project
from mediactl.publish.adapters.base import Rejected, Variant
from mediactl.publish.adapters.http import TokenExpired
from mediactl.publish.adapters.kuaishou import KuaishouAdapter
from mediactl.sandbox import Sandbox
from mediactl.sandbox.platforms.kuaishou import Kuaishou
from videoflow import grant

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "content" / "video" / "spring-festival-greeting" / "source.mp4"
POSTER = ROOT / "content" / "graphic" / "credit-card-cashback" / "poster.png"

# platforms.md §5 "1 Start" [V] mp.kuaishou.com/platformDocs/openAbility/contentManagement/createAVideo.html (verbatim).
REAL_START = {"result": 1, "upload_token": "3xwn3kkerxj6g9n", "endpoint": "uploader.test.gifshow.com"}
REAL_UPLOADED = {"result": 1}  # platforms.md §5 "2 Upload": "Each call returns {"result":1}" [V]
# platforms.md §5 "3 Publish" [S] (the values elided there are filled in).
REAL_PUBLISHED = {
    "result": 1,
    "video_info": {"photo_id": "3xk9f4c2a8e", "play_url": "https://www.kuaishou.com/short-video/3xk9f4c2a8e"},
}
# photo/info on a work not (yet) listed: KwaiPlatformException.isRetryablePlatformError (code index) [S].
REAL_NOT_EXIST = {"result": 100120001, "error": "video_not_exist", "error_msg": "VIDEO_NOT_EXIST"}


@pytest.fixture
def adapter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[KuaishouAdapter]:
    root = tmp_path / "example"
    init_project(root)
    monkeypatch.setenv("BANK_KUAISHOU_APP_ID", "ks-app-id")
    config = load_config(root / "mediactl.yaml")
    made = KuaishouAdapter(config.channel("bank-kuaishou"), config)
    yield made
    made.close()


def answer(body: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json=body)


# ---- the adapter's parser, replaying the real JSON -------------------------------------------------


def test_the_real_start_upload_answer_gives_an_https_gateway(adapter: KuaishouAdapter) -> None:
    started = adapter._result(answer(REAL_START), "photo/start_upload", mutating=False)
    assert started["upload_token"] == "3xwn3kkerxj6g9n"
    assert (
        adapter._gateway(started["endpoint"]) == "https://uploader.test.gifshow.com"
    )  # never plain http off this machine
    assert adapter._result(answer(REAL_UPLOADED), "upload", mutating=False) == {"result": 1}


@pytest.mark.parametrize("endpoint", ["user:pw@uploader.test.gifshow.com", "uploader.test.gifshow.com?x=1", ""])
def test_an_endpoint_that_is_not_a_host_is_refused(adapter: KuaishouAdapter, endpoint: str) -> None:
    with pytest.raises(Rejected, match="not a host"):
        adapter._gateway(endpoint)


def test_the_real_publish_answer_and_processing_states(adapter: KuaishouAdapter, monkeypatch) -> None:
    published = adapter._result(answer(REAL_PUBLISHED), "photo/publish", mutating=True)
    assert published["video_info"]["photo_id"] == "3xk9f4c2a8e"
    info = {"result": 1, "video_info": {**REAL_PUBLISHED["video_info"], "caption": "c", "pending": True}}
    monkeypatch.setattr(adapter, "_api", lambda *a, **k: info)
    assert adapter.status("3xk9f4c2a8e") is None
    info["video_info"]["pending"] = False
    receipt = adapter.status("3xk9f4c2a8e")
    assert receipt is not None and (receipt.state, receipt.url) == ("sent", REAL_PUBLISHED["video_info"]["play_url"])


def test_a_work_not_listed_yet_is_pending_not_failed(adapter: KuaishouAdapter, monkeypatch) -> None:
    tolerated = adapter._result(answer(REAL_NOT_EXIST), "photo/info", mutating=False, tolerate=frozenset({100120001}))
    monkeypatch.setattr(adapter, "_api", lambda *a, **k: tolerated)
    assert adapter.status("3xk9f4c2a8e") is None


@pytest.mark.parametrize(
    ("code", "kind", "words"),
    [
        (100200102, TokenExpired, "result 100200102"),
        (10000200, Rejected, "refused the request"),
        (120002, Rejected, "refused the media"),
    ],
)
def test_result_codes_are_classified_from_the_facts_table(
    adapter: KuaishouAdapter, code: int, kind: type, words: str
) -> None:
    with pytest.raises(kind, match=words):
        adapter._result(answer({"result": code, "error": "x", "error_msg": "出错了"}), "photo/publish", mutating=True)


# ---- validate ---------------------------------------------------------------------------------------


def variant(adapter: KuaishouAdapter, **document: Any) -> Variant:
    base = {"kind": "video", "texts": {"caption": "拜年啦 #春节"}, "hashtags": ["春节"],
            "media": [{"name": "cover", "file": "cover.jpg", "bytes": 77049, "sha256": "cd" * 32}],
            "video": {"file": "content/video/x/source.mp4", "bytes": 67428, "sha256": "ab" * 32}}  # fmt: skip
    return Variant(adapter.channel, "x", "0" * 64, {**base, **document}, lambda sha, what: b"")


def test_validate_refuses_what_kuaishou_would(adapter: KuaishouAdapter) -> None:
    assert adapter.validate(variant(adapter)) == []
    problems = adapter.validate(variant(adapter, kind="graphic", video=None, media=[], hashtags=["春节", "福"]))
    assert any("the variant has no video: 快手 (kuaishou) publishes videos only" in p for p in problems)
    assert "the variant has no cover image; Kuaishou's publish requires one (cover)" in problems
    assert "topic #福 is missing from the caption" in problems
    big = [{"name": "cover", "file": "cover.jpg", "bytes": 11 * 1024 * 1024, "sha256": "cd" * 32}]
    assert any("is over Kuaishou's 10485760 bytes" in p for p in adapter.validate(variant(adapter, media=big)))


def test_describe_hides_the_token(adapter: KuaishouAdapter) -> None:
    lines = [r["request"] for r in adapter.describe(variant(adapter), "key")]
    assert any("start_upload?access_token=***" in line for line in lines)


# ---- the sandbox's own checks ---------------------------------------------------------------------


pytestmark = pytest.mark.sandbox(publish_polls=0)


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    tokens = grant(sandbox, "kuaishou", user="u1")
    params = {"access_token": tokens["access_token"], "app_id": "ks-app-id"}
    with httpx.Client(base_url=sandbox.base("kuaishou"), params=params, timeout=5) as c:
        yield c


def start(client: httpx.Client) -> str:
    started = client.post("/openapi/photo/start_upload").json()
    assert started["result"] == 1 and started["endpoint"].endswith("/kuaishou")
    return str(started["upload_token"])


def test_the_sandbox_checks_tokens_in_kuaishous_shape(client: httpx.Client, sandbox: Sandbox) -> None:
    assert client.post("/openapi/photo/start_upload", params={"access_token": "forged"}).json()["result"] == 100200102
    missing = httpx.post(
        f"{sandbox.base('kuaishou')}/openapi/photo/start_upload", params={"app_id": "ks-app-id"}
    ).json()
    assert missing["result"] == 10000200 and set(missing) == {"result", "error", "error_msg"}


def test_a_raw_upload_refuses_multipart_framing_and_publish_needs_a_finished_upload(client: httpx.Client) -> None:
    token = start(client)
    framed = client.post("/api/upload", params={"upload_token": token}, files={"file": ("a.mp4", CLIP.read_bytes())})
    assert framed.json()["result"] == 10000200 and "no multipart framing" in framed.json()["error_msg"]
    early = client.post("/openapi/photo/publish", params={"upload_token": token}, data={"caption": "c"},
                        files={"cover": ("c.png", POSTER.read_bytes(), "image/png")})  # fmt: skip
    assert early.json()["result"] == 120002


def test_fragments_must_match_the_count_and_publish_needs_caption_and_an_image_cover(client: httpx.Client) -> None:
    token, data = start(client), CLIP.read_bytes()
    for fragment_id, chunk in enumerate((data[:40_000], data[40_000:])):
        sent = client.post(
            "/api/upload/fragment", params={"upload_token": token, "fragment_id": fragment_id}, content=chunk
        )
        assert sent.json() == {"result": 1}
    assert (
        client.post("/api/upload/complete", params={"upload_token": token, "fragment_count": 3}).json()["result"]
        == 10000200
    )
    assert client.post("/api/upload/complete", params={"upload_token": token, "fragment_count": 2}).json() == {
        "result": 1
    }
    query = {"upload_token": token}
    no_cover = client.post("/openapi/photo/publish", params=query, data={"caption": "c"}, files={"x": ("x", b"x")})
    assert "cover (a jpg or png image file) is required" in no_cover.json()["error_msg"]
    not_image = client.post(
        "/openapi/photo/publish", params=query, data={"caption": "c"}, files={"cover": ("c.jpg", b"text")}
    )
    assert not_image.json()["result"] == 10000200
    no_caption = client.post("/openapi/photo/publish", params=query, files={"cover": ("c.png", POSTER.read_bytes())})
    assert "caption is required" in no_caption.json()["error_msg"]


def test_a_cover_over_the_tools_cap_is_a_warning_and_an_unknown_work_does_not_exist(
    client: httpx.Client, sandbox: Sandbox, monkeypatch
) -> None:
    monkeypatch.setattr(Kuaishou, "COVER_WARN_BYTES", 100)
    token = start(client)
    assert client.post("/api/upload", params={"upload_token": token}, content=CLIP.read_bytes(),
                       headers={"Content-Type": "video/mp4"}).json() == {"result": 1}  # fmt: skip
    done = client.post("/openapi/photo/publish", params={"upload_token": token}, data={"caption": "拜年 #春节"},
                       files={"cover": ("c.png", POSTER.read_bytes(), "image/png")}).json()  # fmt: skip
    assert done["result"] == 1 and done["video_info"]["photo_id"]
    (post,) = [p for p in sandbox.posts() if p["path"].endswith("/photo/publish") and p["status"] == 200]
    assert post["warnings"] and "tools cap it at 10 MB [S]" in post["warnings"][0]
    assert client.get("/openapi/photo/info", params={"photo_id": "3xnothing"}).json() == REAL_NOT_EXIST
