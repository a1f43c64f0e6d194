"""The sandbox's WeCom emulator, asked directly over HTTP: its checks come from platforms.md §2, not from the adapter."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from mediactl.sandbox import Sandbox, SandboxOptions
from mediactl.sandbox.core import Core, Request
from mediactl.sandbox.platforms import PLATFORMS

JPG = b"\xff\xd8\xff\xe0" + bytes(64)
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(64)
BASE = "/wecom/cgi-bin"


pytestmark = pytest.mark.sandbox(publish_polls=1)


@pytest.fixture
def token(client: httpx.Client) -> str:
    answer = client.get(f"{BASE}/gettoken", params={"corpid": "ww-corp", "corpsecret": "s3cret"}).json()
    assert answer["errcode"] == 0 and answer["expires_in"] == 7200
    return str(answer["access_token"])


def api(client: httpx.Client, token: str, path: str, body: Any = None, **kwargs: Any) -> dict[str, Any]:
    """A WeCom call: errors come at HTTP 200 with an errcode."""
    params = {"access_token": token, **kwargs.pop("params", {})}
    response = client.post(f"{BASE}/{path}", params=params, json=body, **kwargs) if "files" not in kwargs else \
        client.post(f"{BASE}/{path}", params=params, **kwargs)  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()


def media(client: httpx.Client, token: str, data: bytes = JPG, kind: str = "image", moments: bool = False) -> str:
    files = {"media": ("a.jpg" if kind == "image" else "a.mp4", data, "application/octet-stream")}
    if moments:
        answer = api(client, token, "media/upload_attachment", params={"media_type": kind, "attachment_type": "1"},
                     files=files)  # fmt: skip
    else:
        answer = api(client, token, "media/upload", params={"type": kind}, files=files)
    assert answer["errcode"] == 0 and answer["type"] == kind, answer
    return str(answer["media_id"])


def push(client: httpx.Client, token: str, **fields: Any) -> dict[str, Any]:
    body = {"chat_type": "single", "tag_filter": {"group_list": [{"tag_list": ["etA"]}]}, "text": {"content": "你好"}}
    return api(client, token, "externalcontact/add_msg_template", {**body, **fields})


def confirm(client: httpx.Client, **data: Any) -> httpx.Response:
    return client.post("/_sandbox/wecom/confirm", json=data)


def test_token_is_issued_per_corp_and_a_wrong_secret_is_wecom_s_40001(client: httpx.Client) -> None:
    assert client.get(f"{BASE}/gettoken", params={"corpid": "c", "corpsecret": "wrong"}).json()["errcode"] == 40001
    assert client.get(f"{BASE}/gettoken", params={"corpid": "c"}).json()["errcode"] == 41004
    assert api(client, "nope", "externalcontact/get_groupmsg_task", {"msgid": "x"})["errcode"] == 40014
    missing = client.post(f"{BASE}/externalcontact/get_groupmsg_task", json={"msgid": "x"}).json()
    assert missing["errcode"] == 41001


def test_expired_token_and_rate_limit_answer_wecom_s_codes(client: httpx.Client, token: str, sandbox: Sandbox) -> None:
    sandbox.add_fault("expired-token")
    assert push(client, token)["errcode"] == 42001
    assert push(client, token)["errcode"] == 42001  # it stays expired: a new token is needed
    fresh = client.get(f"{BASE}/gettoken", params={"corpid": "ww-corp", "corpsecret": "s3cret"}).json()["access_token"]
    sandbox.add_fault("429")
    assert (
        client.post(f"{BASE}/externalcontact/add_msg_template", params={"access_token": fresh}, json={}).status_code
        == 429
    )
    assert push(client, fresh)["errcode"] == 0
    wecom = Core(SandboxOptions(), PLATFORMS).platforms["wecom"]  # what fail_rate's "quota" draw answers
    assert wecom.transient(Request("POST", "/", {}, {}), "quota").body["errcode"] == 45009


def test_a_push_takes_at_most_nine_attachments_of_known_kinds(client: httpx.Client, token: str) -> None:
    image = media(client, token)
    ten = [{"msgtype": "image", "image": {"media_id": image}}] * 10
    assert push(client, token, attachments=ten)["errcode"] == 40035
    assert push(client, token, attachments=[{"msgtype": "music", "music": {}}])["errcode"] == 40008
    assert push(client, token, attachments=[{"msgtype": "image", "image": {"media_id": "made-up"}}])["errcode"] == 40007
    moment_media = media(client, token, moments=True)  # an attachment for moments is not a push's media
    assert (
        push(client, token, attachments=[{"msgtype": "image", "image": {"media_id": moment_media}}])["errcode"] == 40007
    )
    assert push(client, token, attachments=[{"msgtype": "link", "link": {"title": "t"}}])["errcode"] == 40035
    card = {"title": "理财", "appid": "wx1", "page": "p", "pic_media_id": image}
    nine = [{"msgtype": "image", "image": {"media_id": image}}] * 7 + [
        {"msgtype": "link", "link": {"title": "t", "url": "https://example.cn/a"}},
        {"msgtype": "miniprogram", "miniprogram": card},
    ]
    answer = push(client, token, attachments=nine)
    assert answer["errcode"] == 0 and answer["msgid"].startswith("msg") and answer["fail_list"] == []


def test_media_are_checked_by_their_bytes_and_size(client: httpx.Client, token: str) -> None:
    files = {"media": ("a.jpg", b"GIF89a" + bytes(64), "image/jpeg")}
    assert api(client, token, "media/upload", params={"type": "image"}, files=files)["errcode"] == 40004
    tiny = {"media": ("a.jpg", b"\xff\xd8\xff", "image/jpeg")}
    assert api(client, token, "media/upload", params={"type": "image"}, files=tiny)["errcode"] == 40006
    big = {"media": ("a.mp4", MP4 + bytes(10 * 1024 * 1024), "video/mp4")}
    assert api(client, token, "media/upload", params={"type": "video"}, files=big)["errcode"] == 40011
    doc = {"media": ("a.pdf", b"%PDF-1.4" + bytes(64), "application/pdf")}
    moments = {"media_type": "file", "attachment_type": "1"}
    assert api(client, token, "media/upload_attachment", params=moments, files=doc)["errcode"] == 40005


def test_a_group_push_needs_its_sender_and_raw_utf8(client: httpx.Client, token: str) -> None:
    assert push(client, token, chat_type="group", chat_id_list=["wr1"])["errcode"] == 40035
    assert push(client, token, chat_type="group", chat_id_list=["wr1"], sender="zhangsan")["errcode"] == 0
    escaped = json.dumps({"chat_type": "single", "external_userid": ["wm1"], "text": {"content": "你好"}})
    answer = client.post(f"{BASE}/externalcontact/add_msg_template", params={"access_token": token},
                         content=escaped, headers={"Content-Type": "application/json"}).json()  # fmt: skip
    assert answer["errcode"] == 40033


def test_invalid_customers_come_back_in_fail_list(client: httpx.Client, token: str) -> None:
    answer = push(client, token, tag_filter=None, external_userid=["wm-a", "invalid-1"])
    assert answer["errcode"] == 0 and answer["fail_list"] == ["invalid-1"]


def test_nothing_is_sent_until_staff_confirm_then_each_customer_has_a_result(client: httpx.Client, token: str) -> None:
    msgid = push(client, token)["msgid"]
    tasks = api(client, token, "externalcontact/get_groupmsg_task", {"msgid": msgid})["task_list"]
    assert {t["userid"]: t["status"] for t in tasks} == {"zhangsan": 0, "lisi": 0, "wangwu": 0}
    assert confirm(client, id=msgid, staff=1).json() == {"confirmed": ["zhangsan"], "staff": 3}
    tasks = api(client, token, "externalcontact/get_groupmsg_task", {"msgid": msgid})["task_list"]
    assert {t["userid"]: t["status"] for t in tasks} == {"zhangsan": 2, "lisi": 0, "wangwu": 0}
    results = api(client, token, "externalcontact/get_groupmsg_send_result", {"msgid": msgid, "userid": "zhangsan"})
    assert sorted(r["status"] for r in results["send_list"]) == [1, 2]  # wm-etA-0 sent, wm-etA-3 not a friend
    again = push(client, token)["msgid"]  # the same customers again the same day: the receive limit
    confirm(client, id=again, users=["zhangsan"])
    results = api(client, token, "externalcontact/get_groupmsg_send_result", {"msgid": again, "userid": "zhangsan"})
    assert sorted(r["status"] for r in results["send_list"]) == [2, 3]
    assert confirm(client, id=again, users=["zhangsan"]).status_code == 400  # confirmed already


def test_lists_are_paged_by_cursor(client: httpx.Client, token: str) -> None:
    msgid = push(client, token)["msgid"]
    first = api(client, token, "externalcontact/get_groupmsg_task", {"msgid": msgid, "limit": 2})
    second = api(
        client, token, "externalcontact/get_groupmsg_task", {"msgid": msgid, "limit": 2, "cursor": first["next_cursor"]}
    )
    assert len(first["task_list"]) == 2 and len(second["task_list"]) == 1 and second["next_cursor"] == ""
    listed = api(client, token, "externalcontact/get_groupmsg_list_v2", {"chat_type": "single", "start_time": 0,
                                                                         "end_time": 2**40})  # fmt: skip
    assert [m["msgid"] for m in listed["group_msg_list"]] == [msgid]
    assert listed["group_msg_list"][0]["text"] == {"content": "你好"}


def test_reminders_are_limited_to_three_a_day_and_a_cancelled_task_cannot_be_confirmed(client: httpx.Client,
                                                                                        token: str) -> None:  # fmt: skip
    msgid = push(client, token)["msgid"]
    codes = [api(client, token, "externalcontact/remind_groupmsg_send", {"msgid": msgid})["errcode"] for _ in range(4)]
    assert codes == [0, 0, 0, 45009]
    assert api(client, token, "externalcontact/cancel_groupmsg_send", {"msgid": msgid})["errcode"] == 0
    refused = confirm(client, id=msgid, staff=1)
    assert refused.status_code == 400 and "cancelled" in refused.json()["errmsg"]


def test_a_moment_takes_one_kind_of_attachment_and_moment_media(client: httpx.Client, token: str) -> None:
    image, video = media(client, token, moments=True), media(client, token, MP4, "video", moments=True)

    def moment(attachments: list[dict[str, Any]], text: str = "新春快乐") -> dict[str, Any]:
        return api(client, token, "externalcontact/add_moment_task", {"text": {"content": text}, "attachments": attachments,
                   "visible_range": {"external_contact_list": {"tag_list": ["etA"]}}})  # fmt: skip

    images = [{"msgtype": "image", "image": {"media_id": image}}]
    assert moment([*images, {"msgtype": "video", "video": {"media_id": video}}])["errcode"] == 40035
    assert moment(images * 10)["errcode"] == 40035
    assert moment([{"msgtype": "video", "video": {"media_id": video}}] * 2)["errcode"] == 40035
    assert moment([{"msgtype": "image", "image": {"media_id": media(client, token)}}])["errcode"] == 40007
    assert moment(images, "字" * 2001) == {"errcode": 45002, "errmsg": "invalid text size"}
    assert moment(images * 9)["errcode"] == 0
    assert (
        moment([{"msgtype": "link", "link": {"title": "t", "url": "https://example.cn", "media_id": image}}])["errcode"]
        == 0
    )


def test_a_moment_task_is_asynchronous_then_confirmed_by_its_staff(client: httpx.Client, token: str) -> None:
    image = media(client, token, moments=True)
    body = {"text": {"content": "新春快乐"}, "attachments": [{"msgtype": "image", "image": {"media_id": image}}],
            "visible_range": {"sender_list": {"user_list": ["lisi", "nobody"]}}}  # fmt: skip
    jobid = api(client, token, "externalcontact/add_moment_task", body)["jobid"]
    result = client.get(
        f"{BASE}/externalcontact/get_moment_task_result", params={"access_token": token, "jobid": jobid}
    )
    assert result.json()["status"] == 2  # still running (publish_polls=1)
    done = client.get(
        f"{BASE}/externalcontact/get_moment_task_result", params={"access_token": token, "jobid": jobid}
    ).json()
    assert done["status"] == 3 and done["result"]["invalid_sender_list"]["user_list"] == ["nobody"]
    moment_id = done["result"]["moment_id"]
    tasks = api(client, token, "externalcontact/get_moment_task", {"moment_id": moment_id})["task_list"]
    assert tasks == [{"userid": "lisi", "publish_status": 0}]
    confirm(client, id=moment_id, staff=1)
    tasks = api(client, token, "externalcontact/get_moment_task", {"moment_id": moment_id})["task_list"]
    assert tasks == [{"userid": "lisi", "publish_status": 1}]


def test_a_moment_task_can_fail_after_it_was_accepted(client: httpx.Client, token: str, sandbox: Sandbox) -> None:
    sandbox.add_fault("publish-fail")
    jobid = api(client, token, "externalcontact/add_moment_task", {"text": {"content": "新春快乐"}})["jobid"]
    params = {"access_token": token, "jobid": jobid}
    client.get(f"{BASE}/externalcontact/get_moment_task_result", params=params)
    done = client.get(f"{BASE}/externalcontact/get_moment_task_result", params=params).json()
    assert done["status"] == 3 and done["result"]["errcode"] != 0


def test_the_confirm_control_is_listed_and_refused_to_web_pages(client: httpx.Client) -> None:
    assert "POST /_sandbox/wecom/confirm (control)" in client.get("/_sandbox/platforms").json()["wecom"]
    assert (
        client.post("/_sandbox/wecom/confirm", content=b"{}", headers={"Origin": "https://evil.example"}).status_code
        == 403
    )
    assert confirm(client, id="nope").status_code == 400
