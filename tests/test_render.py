"""`mediactl render` end to end on the example library: golden texts, images, cache, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image

from conftest import write

GOLDEN = Path(__file__).parent / "golden" / "render"
UPDATE = os.environ.get("MEDIACTL_UPDATE_GOLDEN") == "1"


def manifests(root: Path) -> dict[str, dict]:
    return {
        f"{path.parent.parent.name}/{path.parent.name}": json.loads(path.read_text("utf-8"))
        for path in sorted((root / "build").glob("*/*/manifest.json"))
    }


@pytest.fixture
def rendered(cli, example: Path) -> Path:
    result = cli(example, "render", "--jobs", "1")
    assert result.exit_code == 0, result.output
    return example


def test_every_variant_of_the_example_library_renders(rendered: Path, cli) -> None:
    found = manifests(rendered)
    listed = json.loads(cli(rendered, "ls", "--json").stdout)
    expected = set()
    for item in listed:
        for channel in item["channels"]:
            expected.add(f"{channel}/{item['slug']}")
    assert set(found) == expected
    for key, manifest in found.items():
        folder = rendered / "build" / key
        for field, meta in manifest["fields"].items():
            assert (folder / meta["file"]).read_text("utf-8") == manifest["texts"][field]
            assert meta["length"] <= meta["limit"], (key, field)
        for media in manifest["media"]:
            with Image.open(folder / media["file"]) as image:
                assert image.size == (media["width"], media["height"])


@pytest.mark.parametrize(
    "key",
    [
        "bank-wechat/anti-fraud-2026",
        "bank-weibo/anti-fraud-2026",
        "bank-xhs/anti-fraud-2026",
        "bank-wechat/wealth-steady-plus",
        "bank-wecom/wealth-steady-plus",
        "bank-douyin/spring-festival-greeting",
        "bank-bilibili/spring-festival-greeting",
        "bank-channels/spring-festival-greeting",
        "bank-xhs/credit-card-cashback",
        "outbox/credit-card-cashback",
    ],
)
def test_text_variants_match_golden_files(rendered: Path, key: str) -> None:
    manifest = manifests(rendered)[key]
    observed = {
        "texts": manifest["texts"],
        "hashtags": manifest["hashtags"],
        "link": manifest["link"],
        "media": [{k: m[k] for k in ("name", "width", "height", "format", "layout")} for m in manifest["media"]],
    }
    golden = GOLDEN / f"{key.replace('/', '__')}.json"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(observed, ensure_ascii=False, indent=2) + "\n", "utf-8")
    assert observed == json.loads(golden.read_text("utf-8")), (
        f"regenerate with MEDIACTL_UPDATE_GOLDEN=1 if intended: {golden}"
    )


def test_wechat_variant_has_inline_styles_and_cover_sizes(rendered: Path) -> None:
    manifest = manifests(rendered)["bank-wechat/anti-fraud-2026"]
    html = manifest["texts"]["content"]
    assert "<style" not in html and "<script" not in html
    assert 'style="' in html
    sizes = {m["name"]: (m["width"], m["height"]) for m in manifest["media"]}
    assert sizes == {"cover": (900, 383), "cover_square": (383, 383)}


def test_second_render_is_a_no_op_and_force_is_byte_identical(rendered: Path, cli) -> None:
    before = {p: p.read_bytes() for p in (rendered / "build").rglob("*") if p.is_file()}
    again = cli(rendered, "render", "--json")
    assert again.exit_code == 0, again.output
    summary = json.loads(again.stdout)
    assert (
        summary["rendered"] == 0
        and summary["failed"] == 0
        and summary["unchanged"] == len(before and manifests(rendered))
    )
    forced = json.loads(cli(rendered, "render", "--force", "--jobs", "2", "--json").stdout)
    assert forced["rendered"] == summary["unchanged"]
    after = {p: p.read_bytes() for p in (rendered / "build").rglob("*") if p.is_file()}
    assert after == before


def test_changing_one_item_rerenders_only_its_variants(rendered: Path, cli) -> None:
    index = rendered / "content/article/anti-fraud-2026/index.md"
    index.write_text(index.read_text("utf-8").replace("冒充", "假冒", 1), "utf-8")
    summary = json.loads(cli(rendered, "render", "--json").stdout)
    changed = {(v["item"], v["channel"]) for v in summary["variants"] if v["status"] == "rendered"}
    assert changed and {item for item, _ in changed} == {"anti-fraud-2026"}


def test_a_shared_template_rerenders_exactly_the_variants_that_use_it(rendered: Path, cli) -> None:
    packaged = Path(__file__).parents[1] / "src/mediactl/data/templates/_shared/macros.j2"
    write(rendered / "templates/_shared/macros.j2", packaged.read_text("utf-8") + "\n{# house edit #}\n")
    summary = json.loads(cli(rendered, "render", "--json").stdout)
    changed = {v["channel"] for v in summary["variants"] if v["status"] == "rendered"}
    users = {
        channel
        for channel, platform in _channel_platforms(rendered).items()
        if "_shared/macros.j2" in _template_source(platform)
    }
    rendered_platforms = {v["channel"] for v in summary["variants"]}
    assert changed == users & rendered_platforms
    assert "bank-douyin" not in changed  # douyin's template imports no macros


def _channel_platforms(root: Path) -> dict[str, str]:
    from mediactl.config.model import load_config

    return {name: ch.platform for name, ch in load_config(root / "mediactl.yaml").channels.items()}


def _template_source(platform: str) -> str:
    path = Path(__file__).parents[1] / f"src/mediactl/data/templates/{platform}/default.j2"
    return path.read_text("utf-8") if path.exists() else ""


def test_limit_exceeded_fails_that_variant_only(cli, example: Path) -> None:
    index = example / "content/article/anti-fraud-2026/index.md"
    text = index.read_text("utf-8")
    long_title = "这是一个特别特别长的标题用来测试公众号三十二个字的标题上限会不会被正确地拦截下来"
    index.write_text(text.replace(text.split("\n")[1], f"title: {long_title}"), "utf-8")
    result = cli(example, "render", "anti-fraud-2026", "--json")
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    failed = {v["channel"]: v["error"] for v in summary["variants"] if v["status"] == "failed"}
    assert "bank-weibo" not in failed and "bank-xhs" not in failed
    assert "it needs 4 lines, max_lines allows 3" in failed["outbox"]  # the cover layout cannot fit it either
    assert failed["bank-wechat"].startswith(
        f"content/article/anti-fraud-2026/index.md: wechat_oa field 'title' is {len(long_title)} characters, "
        "over the limit of 32 [[V] developers.weixin.qq.com"
    )
    assert not (example / "build/bank-wechat/anti-fraud-2026").exists()
    assert (example / "build/bank-weibo/anti-fraud-2026/manifest.json").exists()
    assert not list((example / "build").rglob(".*tmp*"))


def test_override_wins_over_template(rendered: Path) -> None:
    status = manifests(rendered)["bank-weibo/anti-fraud-2026"]["texts"]["status"]
    index = (rendered / "content/article/anti-fraud-2026/index.md").read_text("utf-8")
    assert "overrides:" in index
    assert status.startswith("【")


def test_unknown_template_variable_names_template_file_and_line(cli, example: Path) -> None:
    write(example / "templates/weibo/default.j2", "{% block status %}\n{{ item.titel }}\n{% endblock %}\n")
    result = cli(example, "render", "anti-fraud-2026", "--channel", "bank-weibo", "--json")
    assert result.exit_code == 1
    (variant,) = json.loads(result.stdout)["variants"]
    assert variant["error"] == "templates/weibo/default.j2:2: template error: 'dict object' has no attribute 'titel'"


def test_project_template_can_extend_the_builtin_one(cli, example: Path) -> None:
    write(
        example / "templates/weibo/default.j2",
        '{% extends "builtin/weibo/default.j2" %}{% block status %}[测试]{{ super() }}{% endblock %}',
    )
    assert cli(example, "render", "anti-fraud-2026", "--channel", "bank-weibo").exit_code == 0
    status = (example / "build/bank-weibo/anti-fraud-2026/status.txt").read_text("utf-8")
    assert status.startswith("[测试]【")


def test_missing_body_image_fails_the_variant(cli, example: Path) -> None:
    index = example / "content/article/anti-fraud-2026/index.md"
    index.write_text(index.read_text("utf-8") + "\n![示意图](img/missing.png)\n", "utf-8")
    result = cli(example, "render", "anti-fraud-2026", "--channel", "bank-wechat", "--json")
    assert result.exit_code == 1
    (variant,) = json.loads(result.stdout)["variants"]
    assert variant["error"] == (
        "content/article/anti-fraud-2026/index.md: body image 'img/missing.png' not found in content/article/anti-fraud-2026/"
    )


def test_unknown_channel_is_a_usage_error(cli, example: Path) -> None:
    result = cli(example, "render", "--channel", "bank-wechatt")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: unknown channel 'bank-wechatt'; did you mean 'bank-wechat'? (channels are defined in mediactl.yaml)"
    )


def test_a_channel_can_narrow_but_not_widen_a_limit(cli, example: Path) -> None:
    config = example / "mediactl.yaml"
    original = config.read_text("utf-8")
    config.write_text(
        original.replace(
            "    tracking: {utm_source: weibo", "    limits: {status: 200}\n    tracking: {utm_source: weibo"
        ),
        "utf-8",
    )
    result = cli(example, "config", "validate")
    assert result.exit_code == 2
    assert (
        "channels.bank-weibo.limits.status: 200 would widen the weibo limit of 140; limits can only narrow"
        in result.stderr
    )
    config.write_text(
        original.replace(
            "    tracking: {utm_source: weibo", "    limits: {status: 120}\n    tracking: {utm_source: weibo"
        ),
        "utf-8",
    )
    assert cli(example, "render", "anti-fraud-2026", "--channel", "bank-weibo").exit_code == 0
    status = (example / "build/bank-weibo/anti-fraud-2026/status.txt").read_text("utf-8")
    from mediactl.text.textfit import count

    assert 100 < count(status, "half_ascii") <= 120


def test_video_item_on_a_channel_that_takes_no_video_fails_clearly(cli, example: Path) -> None:
    index = example / "content/video/spring-festival-greeting/index.md"
    index.write_text(index.read_text("utf-8").replace("  - outbox\n", "  - outbox\n  - bank-wechat\n", 1), "utf-8")
    result = cli(example, "render", "spring-festival-greeting", "--json")
    assert result.exit_code == 1
    failed = [v for v in json.loads(result.stdout)["variants"] if v["status"] == "failed"]
    assert [v["error"] for v in failed] == [
        "content/video/spring-festival-greeting/index.md: channel 'bank-wechat' (wechat_oa) does not publish video "
        "items (it takes: article, graphic)"
    ]


def test_different_titles_give_different_cover_pixels(cli, example: Path) -> None:
    assert cli(example, "render", "anti-fraud-2026", "--channel", "outbox").exit_code == 0
    first = (example / "build/outbox/anti-fraud-2026/cover.jpg").read_bytes()
    index = example / "content/article/anti-fraud-2026/index.md"
    text = index.read_text("utf-8")
    index.write_text(text.replace(text.split("\n")[1], "title: 識別詐騙，守護錢包"), "utf-8")
    assert cli(example, "render", "anti-fraud-2026", "--channel", "outbox").exit_code == 0
    second = (example / "build/outbox/anti-fraud-2026/cover.jpg").read_bytes()
    assert first != second
