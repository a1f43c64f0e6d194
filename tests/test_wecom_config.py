"""WeCom in mediactl.yaml: `segments:`, the wecom channel options, and the receive limit as a per-segment cap."""

from __future__ import annotations

from pathlib import Path

from conftest import write
from mediactl.config.model import Cap, load_config
from mediactl.config.options import wecom_options
from mediactl.publish.gate import channel_caps

HEAD = """\
project:
  name: 测试
channels:
"""
CREDENTIALS = "    credentials: {corpid: '${CORP}', corpsecret: '${SECRET}'}\n"


def problems(cli, root: Path) -> list[str]:
    result = cli(root, "config", "validate")
    assert result.exit_code == 2, result.output
    return [line for line in result.stderr.splitlines() if line.startswith("mediactl.yaml:")]


def test_segments_are_checked_with_file_line_and_key(cli, minimal: Path) -> None:
    write(minimal / "mediactl.yaml", HEAD + """\
  push:
    platform: wecom
segments:
  老年客群:
    wecom: {tags: [etA, etA], tag: [etB]}
  代发客群:
    weibo: {tags: [x]}
  年轻客群:
    wecom:
  财富客群:
    wecom: {customers: etC}
""")  # fmt: skip
    assert problems(cli, minimal) == [
        "mediactl.yaml:8:13: segments.老年客群.wecom.tags: an id is listed twice",
        "mediactl.yaml:8:31: segments.老年客群.wecom.tag: unknown target 'tag'; did you mean 'tags'? (one of: tags, customers, groups)",
        "mediactl.yaml:10:5: segments.代发客群.weibo: 'weibo' takes no segment targets (platforms that do: wecom)",
        "mediactl.yaml:12:5: segments.年轻客群.wecom: name at least one target (tags, customers, groups)",
    ]  # a single id (customers: etC) is a one-item list, as elsewhere in the config


def test_wecom_options_are_checked_and_normalised(cli, minimal: Path) -> None:
    write(minimal / "mediactl.yaml", HEAD + """\
  push:
    platform: wecom
    mode: pushh
    chat_type: group
    confirm_share: 80%
    expire_after: three days
    receive_limit: {max: 7, per: fortnight}
    miniprogram: {appid: wx1}
  moments:
    platform: wecom
    mode: moments
    sender: zhangsan
""")  # fmt: skip
    assert problems(cli, minimal) == [
        "mediactl.yaml:6:5: channels.push.mode: unknown mode 'pushh'; did you mean 'push'?",
        "mediactl.yaml:8:5: channels.push.confirm_share: expected a share of the staff between 0 and 1 (0.8 = 80 %), got a string '80%'",
        "mediactl.yaml:9:5: channels.push.expire_after: expected a duration such as 3d, 36h or 90m, got 'three days'",
        "mediactl.yaml:10:29: channels.push.receive_limit.per: unknown window 'fortnight' (one of: hour, day, week, month)",
        "mediactl.yaml:11:5: channels.push.miniprogram: 'page' is required",
        "mediactl.yaml:11:5: channels.push.miniprogram: 'title' is required",
        "mediactl.yaml:15:5: channels.moments.sender: 'sender' is an option of mode: push; a moments post cannot use it "
        "(moments name their staff with `senders`)",
    ]


def test_a_group_push_needs_a_sender(cli, minimal: Path) -> None:
    write(minimal / "mediactl.yaml", HEAD + "  push:\n    platform: wecom\n    chat_type: group\n")
    assert problems(cli, minimal) == [
        "mediactl.yaml:6:5: channels.push.chat_type: a push to customer groups (chat_type: group) needs `sender`: the "
        "staff member whose groups receive it (add_msg_template requires it)"
    ]


def test_options_reach_the_adapter_typed_with_their_defaults(minimal: Path) -> None:
    write(minimal / "mediactl.yaml", HEAD + "  push:\n    platform: wecom\n" + CREDENTIALS + """\
    confirm_share: 0.8
    expire_after: 36h
    receive_limit: {max: 7, per: week}
  plain:
    platform: wecom
segments:
  老年客群: {wecom: {tags: [etA]}}
""")  # fmt: skip
    config = load_config(minimal / "mediactl.yaml")
    options = wecom_options(config.channel("push"))
    assert (options.mode, options.confirm_share, options.expire_after) == ("push", 0.8, 36 * 3600)
    assert options.receive_limit == {"max": 7, "per": "week"}
    plain = wecom_options(config.channel("plain"))
    assert (plain.confirm_share, plain.expire_after, plain.receive_limit, plain.remind) == (1.0, 3 * 86400, None, True)
    assert config.segments["老年客群"].on("wecom") == {"tags": ("etA",)}


def test_the_receive_limit_replaces_the_platform_default_per_segment(minimal: Path) -> None:
    """The facts file's default (1 a day per customer) is the corp admin's setting: a channel's receive_limit replaces it."""
    write(minimal / "mediactl.yaml", HEAD + "  push:\n    platform: wecom\n    receive_limit: {max: 7, per: week}\n"
          "  plain:\n    platform: wecom\n")  # fmt: skip
    config = load_config(minimal / "mediactl.yaml")
    assert channel_caps(config.channel("push")) == (Cap(7, "week", "audience"),)
    assert channel_caps(config.channel("plain")) == (Cap(1, "day", "audience"),)


def test_the_example_config_gives_every_wecom_audience_a_segment(example: Path) -> None:
    """The example's WeCom items name segments the example defines, and its channels carry the new options."""
    from mediactl.library.scan import load_library

    config = load_config(example / "mediactl.yaml")
    for item in load_library(config).items.values():
        if {"bank-wecom", "bank-moments"} & set(item.channels):
            assert set(item.audience) <= set(config.segments), item.slug
    for name in ("bank-wecom", "bank-moments"):
        assert {"confirm_share", "expire_after", "receive_limit"} <= set(config.channel(name).options)
