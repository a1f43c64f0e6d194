"""A platform's error codes are data (`errors:` in its facts file): each code's outcome, and the words said after the
platform's own. WeChat and WeCom share one reader for their `{"errcode", "errmsg"}` answers."""

from __future__ import annotations

import httpx
import pytest

from mediactl.publish.adapters.base import Transient, Unknown
from mediactl.publish.adapters.codes import ErrorTable, Refused, errcode_answer
from mediactl.publish.adapters.http import TokenExpired


def answer(body: object) -> httpx.Response:
    return httpx.Response(200, json=body)


@pytest.mark.parametrize(
    ("platform", "code", "outcome", "words"),
    [
        ("wechat_oa", 42001, TokenExpired, "errcode 42001: access_token expired"),
        ("wechat_oa", 40001, TokenExpired, "errcode 40001"),  # WeChat's invalid credential: refresh once
        ("wechat_oa", 45011, Transient, "rate limited: retried later"),
        ("wechat_oa", 87014, Refused, "WeChat's content security check refused the text"),
        ("wechat_oa", 48001, Refused, "errcode 48001: api unauthorized"),  # not listed: refused, never retried
        ("wecom", 42001, TokenExpired, "errcode 42001"),
        ("wecom", 40001, Refused, "errcode 40001"),  # a wrong secret in WeCom, not an expired token
        ("wecom", 45033, Transient, "rate limited: retried later"),
        ("wecom", 40009, Refused, "WeCom refused a media file"),
        ("wecom", 45002, Refused, "WeCom's limit on a moment's text"),
    ],
)
def test_each_errcode_has_the_outcome_its_facts_file_gives(platform: str, code: int, outcome: type, words: str) -> None:
    messages = {42001: "access_token expired", 48001: "api unauthorized"}
    with pytest.raises(outcome, match=words) as raised:
        errcode_answer(answer({"errcode": code, "errmsg": messages.get(code, "x")}), ErrorTable.of(platform),
                       step="draft/add", mutating=False, who="WeChat")  # fmt: skip
    assert type(raised.value) is outcome  # TokenExpired is not merely some refusal
    if outcome is Refused:
        assert raised.value.error_code == code  # a caller may tolerate one (a post gone already)


@pytest.mark.parametrize(("mutating", "outcome"), [(True, Unknown), (False, Transient)])
def test_the_platforms_own_trouble_is_unknown_after_a_mutating_call(mutating: bool, outcome: type) -> None:
    """Weibo's 1000x system errors: after share.json the post may exist (never re-sent blindly); after a read, retry."""
    error = ErrorTable.of("weibo").error(10001, "statuses/share: error_code 10001: system error", mutating=mutating)
    assert type(error) is outcome and (mutating is False or "the post may exist" in error.message)


def test_a_success_is_the_answer_with_or_without_an_errcode() -> None:
    table = ErrorTable.of("wechat_oa")
    assert errcode_answer(answer({"errcode": 0, "media_id": "m"}), table, step="s", mutating=True, who="WeChat") == {
        "errcode": 0,
        "media_id": "m",
    }
    assert errcode_answer(answer({"media_id": "m"}), table, step="s", mutating=True, who="WeChat") == {"media_id": "m"}


def test_an_answer_that_is_not_json_is_unknown_after_a_mutating_step() -> None:
    table = ErrorTable.of("wecom")
    with pytest.raises(Unknown, match="the post may exist"):
        errcode_answer(httpx.Response(200, text="<html>"), table, step="add_msg_template", mutating=True, who="WeCom")
    with pytest.raises(Transient):
        errcode_answer(httpx.Response(200, text="<html>"), table, step="gettoken", mutating=False, who="WeCom")
