"""The emulated platforms, one module each, registered in `PLATFORMS` (the one table: one line per platform).

Each is served under ``/<name>/`` with the paths of its real API below that prefix (see the
package docstring of `mediactl.sandbox` for how to add one).
"""

from __future__ import annotations

from mediactl.sandbox.core import Platform
from mediactl.sandbox.platforms.bilibili import Bilibili
from mediactl.sandbox.platforms.douyin import Douyin
from mediactl.sandbox.platforms.kuaishou import Kuaishou
from mediactl.sandbox.platforms.linktracker import LinkTracker
from mediactl.sandbox.platforms.webhook import Webhook
from mediactl.sandbox.platforms.wechat_oa import WechatOfficialAccount
from mediactl.sandbox.platforms.wecom import Wecom
from mediactl.sandbox.platforms.weibo import Weibo

PLATFORMS: tuple[type[Platform], ...] = (
    WechatOfficialAccount,
    Webhook,
    Douyin,
    Kuaishou,
    Weibo,
    Bilibili,
    Wecom,
    LinkTracker,
)
