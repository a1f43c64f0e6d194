"""The example library made ready to publish everywhere, as a person would: shared by the tests that publish it all.

`mediactl init`'s library goes to the example configuration's channels (one account per platform), every one
pointed at a running sandbox. The OAuth channels are authorised the real way (`mediactl auth`), every item is
checked, reviewed by its author and approved by wang.min with the demo keys.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mediactl.sandbox import Sandbox
from oauthflow import authorise

ITEMS = ("anti-fraud-2026", "wealth-steady-plus", "credit-card-cashback", "spring-festival-greeting")
AUTHORS = {"anti-fraud-2026": "li.na", "wealth-steady-plus": "wang.lei", "credit-card-cashback": "chen.jie",
           "spring-festival-greeting": "zhang.min"}  # fmt: skip
CREDENTIALS = (  # every ${VAR} the example configuration's channels name (fake values: the sandbox takes any)
    "BANK_WECHAT_APPID", "BANK_WECHAT_SECRET", "BANK_WECOM_CORPID", "BANK_WECOM_SECRET",
    "BANK_WEIBO_APP_KEY", "BANK_WEIBO_APP_SECRET", "BANK_DOUYIN_CLIENT_KEY", "BANK_DOUYIN_CLIENT_SECRET",
    "BANK_KUAISHOU_APP_ID", "BANK_KUAISHOU_APP_SECRET", "BANK_BILIBILI_CLIENT_ID", "BANK_BILIBILI_APP_SECRET",
    "OPS_ROBOT_SECRET",
)  # fmt: skip
OAUTH_CHANNELS = ("bank-weibo", "bank-douyin", "bank-kuaishou", "bank-bilibili")


def approve_library(cli, example: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example project with credentials, every OAuth channel authorised, every item checked, reviewed, approved."""
    monkeypatch.setenv("MEDIACTL_SANDBOX_URL", sandbox.url)
    for variable in CREDENTIALS:
        monkeypatch.setenv(variable, f"fake-{variable.lower()}")
    monkeypatch.setenv("BANK_BILIBILI_APP_SECRET", "sandbox-app-secret")  # the sandbox checks Bilibili's signatures
    for channel in OAUTH_CHANNELS:
        authorise(cli, example, channel, f"account-of-{channel}", monkeypatch)
    for slug, author in AUTHORS.items():
        monkeypatch.setenv("MEDIACTL_USER", author)
        assert cli(example, "check", slug).exit_code == 0
        assert cli(example, "review", slug).exit_code == 0
    result = cli(example, "approve", *ITEMS, "--as", "wang.min")
    assert result.exit_code == 0, result.output
    return example
