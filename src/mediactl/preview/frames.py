"""Which frame shows a channel's variants: platform data, one table, and a generic frame for the rest.

A frame imitates where the audience meets the variant (a WeChat article page, a Weibo card, a vertical
video …); the templates are `data/preview/frames/<frame>.html.j2`. A plug-in platform that is not in the
table gets the generic frame, which shows every field, image and video plainly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Channel

GENERIC = "generic"

#: platform → frame
FRAMES: dict[str, str] = {
    "wechat_oa": "wechat",
    "weibo": "weibo",
    "douyin": "video",
    "kuaishou": "video",
    "channels": "video",
    "bilibili": "video",  # horizontal: the frame takes the video's own aspect ratio
    "xiaohongshu": "xiaohongshu",
    "wecom": "wecom",
    "website": "website",
    "toutiao": "website",  # 头条号 articles read as a web article page
}

#: (platform, the channel's `mode` option) → frame, where one platform has two places to appear
MODE_FRAMES: dict[tuple[str, str], str] = {("wecom", "moments"): "moments"}


def frame_for(channel: Channel) -> str:
    mode = str(channel.options.get("mode", ""))
    return MODE_FRAMES.get((channel.platform, mode)) or FRAMES.get(channel.platform, GENERIC)
