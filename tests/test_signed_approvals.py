"""Issue 12: approvals that travel with the content and cannot be forged.

An approval is a record in approvals/<slug>.yaml signed with an SSH key declared under `people:`. Each attack
is replayed through the gate (publish) and the CLI, and each refusal names its reason: bad signature (a record
changed after signing), unknown key, unknown person, wrong role, another item or channel, changed since, own
item, and a policy not met. `--force` needs a signed emergency approval and never overrides the check.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import SLUG, make_key, review_example, ssh_binary
from mediactl.core import sshsig
from mediactl.publish import records
from mediactl.publish.records import NAMESPACE, Record

OTHER = "wealth-steady-plus"  # author wang.lei


def approvals_file(root: Path, slug: str = SLUG) -> Path:
    return root / "approvals" / f"{slug}.yaml"


def publish(cli, root: Path, *extra: str) -> dict:
    """Publish the item to the outbox through the gate: its one outcome (JSON)."""
    result = cli(root, "publish", SLUG, "--channel", "outbox", *extra, "--json")
    (outcome,) = json.loads(result.stdout)
    return outcome


def refused(cli, root: Path, *reasons: str) -> str:
    """The gate refuses, naming every reason, in the JSON outcome and on the terminal (exit 1, one line)."""
    outcome = publish(cli, root)
    assert outcome["state"] == "refused", outcome
    for reason in reasons:
        assert reason in outcome["detail"], (reason, outcome["detail"])
    shown = cli(root, "publish", SLUG, "--channel", "outbox")
    assert shown.exit_code == 1
    (line,) = [line for line in shown.stderr.splitlines() if line.startswith("✗ outbox/")]
    assert all(reason in line for reason in reasons) and "Traceback" not in shown.output
    assert not (root / "outbox/outbox" / SLUG).exists()
    return outcome["detail"]


def edit_first(root: Path, old: str, new: str) -> None:
    """Change the first record (the outbox one) in place, as someone editing the file by hand would."""
    path = approvals_file(root)
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def keep_only(root: Path, keep: list[Record], slug: str = SLUG) -> None:
    """Rewrite an approvals file to hold exactly these (genuine) records."""
    path = approvals_file(root, slug)
    path.unlink()
    records.write(root, slug, records.appended(root, slug, keep))


def signed(key_file: Path, record: Record) -> Record:
    """A record signed with a key file, as `approve` signs it (for records the CLI itself would refuse to make)."""
    signer = sshsig.load_private_key(key_file.read_bytes(), str(key_file))
    unsigned = dataclasses.replace(record, key=signer.public_key.fingerprint)
    return dataclasses.replace(unsigned, signature=sshsig.sign(signer, unsigned.message(), NAMESPACE))


def outbox_record(root: Path, slug: str = SLUG) -> Record:
    return next(r for r in records.read(root, slug) if r.channel == "outbox")


def set_config(root: Path, old: str, new: str) -> None:
    config = root / "mediactl.yaml"
    text = config.read_text("utf-8")
    assert old in text, old
    config.write_text(text.replace(old, new, 1), "utf-8")


def declared_key(root: Path, person: str) -> str:
    return re.search(
        rf"{re.escape(person)}:\n(?:.*\n)*?    keys: \[\"([^\"]+)\"\]", (root / "mediactl.yaml").read_text("utf-8")
    )[1]


# --- what a genuine approval is ------------------------------------------------------------------------------


def test_a_signed_approval_is_a_reviewable_file_and_publishes(cli, ready: Path) -> None:
    text = approvals_file(ready).read_text("utf-8")
    assert "person: wang.min" in text and "role: checker" in text and "note: 已核对" in text
    assert "-----BEGIN SSH SIGNATURE-----" in text and text.count("- item: anti-fraud-2026") == 6
    listed = {i["slug"]: i["approval"] for i in json.loads(cli(ready, "ls", "--json").stdout)}[SLUG]
    assert listed["state"] == "approved" and listed["approvers"] == ["wang.min"]
    assert publish(cli, ready)["state"] == "sent"
    (approved,) = [r for r in json.loads(cli(ready, "log", "--json").stdout)
                   if r["action"] == "item.approved" and r["channel"] == "outbox"]  # fmt: skip
    assert (approved["person"], approved["role"], approved["actor"]) == ("wang.min", "checker", "wang.min")
    assert approved["key_fingerprint"] == outbox_record(ready).key.split()[0]


def test_approving_one_channel_signs_that_variant_only(cli, example: Path, monkeypatch) -> None:
    """A reviewer who read the WeChat article approves it alone; the other channels wait for their own approval."""
    review_example(cli, example, monkeypatch)
    result = cli(example, "approve", SLUG, "--channel", "bank-wechat", "--note", "已核对", "--json")
    assert result.exit_code == 0, result.output
    assert [a["channels"] for a in json.loads(result.stdout)] == [1]
    assert [r.channel for r in records.read(example, SLUG)] == ["bank-wechat"]


@pytest.mark.parametrize(("channel", "words"), [("bank-nowhere", "unknown channel 'bank-nowhere'"),
                                                ("bank-douyin", "is not published on bank-douyin")])  # fmt: skip
def test_approving_a_channel_the_item_has_not_signs_nothing(cli, example: Path, monkeypatch, channel: str,
                                                             words: str) -> None:  # fmt: skip
    review_example(cli, example, monkeypatch)
    result = cli(example, "approve", SLUG, "--channel", channel, "--note", "已核对")
    assert result.exit_code == 2 and words in result.output, result.output
    assert not approvals_file(example).exists()


def test_a_record_verifies_with_ssh_keygen_over_its_canonical_message(ready: Path, tmp_path: Path) -> None:
    """The signed message is documented and reproducible: OpenSSH verifies a record with no mediactl at all."""
    record = outbox_record(ready)
    message = json.dumps({**{f: getattr(record, f) for f in records.SIGNED}, "v": 1}, sort_keys=True,
                         separators=(",", ":"), ensure_ascii=False).encode()  # fmt: skip
    assert message == record.message()
    (tmp_path / "allowed").write_text(f"wang.min {declared_key(ready, 'wang.min')}\n", "utf-8")
    (tmp_path / "record.sig").write_text(record.signature, "utf-8")
    done = subprocess.run([ssh_binary("ssh-keygen"), "-Y", "verify", "-f", str(tmp_path / "allowed"), "-I", "wang.min",
                           "-n", NAMESPACE, "-s", str(tmp_path / "record.sig")], input=message, capture_output=True)  # fmt: skip
    assert done.returncode == 0, done.stderr


# --- tampering: the record was changed after it was signed ---------------------------------------------------


def test_a_changed_content_hash_is_a_bad_signature(cli, ready: Path) -> None:
    record = outbox_record(ready)
    edit_first(ready, record.content_hash, "f" * 64)
    refused(cli, ready, "approval: needs 1 checker approval, has 0", "bad signature: the record was changed after "
            "wang.min signed it", "approvals/anti-fraud-2026.yaml:5")  # fmt: skip


def test_a_changed_role_is_a_bad_signature(cli, ready: Path) -> None:
    set_config(ready, "{role: checker, count: 1}", "{role: compliance, count: 1}")
    set_config(ready, "roles: [checker]", "roles: [checker, compliance]")
    edit_first(ready, "role: checker", "role: compliance")
    refused(cli, ready, "needs 1 compliance approval, has 0", "bad signature")


def test_a_changed_byte_of_the_signature_is_a_bad_signature(cli, ready: Path) -> None:
    signature = outbox_record(ready).signature
    last = signature.splitlines()[-2]
    edit_first(ready, last, last[:8] + ("A" if last[8] != "A" else "B") + last[9:])
    refused(cli, ready, "bad signature")


def test_a_changed_note_is_a_bad_signature_and_ls_says_so(cli, ready: Path) -> None:
    edit_first(ready, "note: 已核对", "note: 已核对（并同意删除风险提示）")
    refused(cli, ready, "bad signature")
    listed = {i["slug"]: i["approval"] for i in json.loads(cli(ready, "ls", "--json").stdout)}[SLUG]
    outbox = next(c for c in listed["channels"] if c["channel"] == "outbox")
    assert outbox["state"] == "none" and "bad signature" in outbox["refused"][0]
    assert "1 refused" in cli(ready, "ls").stdout


# --- keys and people ------------------------------------------------------------------------------------------


def test_a_swapped_key_is_an_unknown_key(cli, ready: Path, tmp_path: Path) -> None:
    """The config now declares another key for wang.min: what the old key signed no longer counts."""
    _, other = make_key(tmp_path, "new-laptop")
    set_config(ready, declared_key(ready, "wang.min"), other)
    detail = refused(cli, ready, "unknown key: the record of wang.min is signed with SHA256:",
                     "not declared for any person in mediactl.yaml")  # fmt: skip
    assert outbox_record(ready).key in detail


def test_a_key_declared_for_someone_else_is_an_unknown_key(cli, ready: Path) -> None:
    """wang.min's key moved to li.na's entry (and li.na's to wang.min's): a record must be signed by its person."""
    mine, hers = declared_key(ready, "wang.min"), declared_key(ready, "li.na")
    set_config(ready, mine, "PLACEHOLDER")
    set_config(ready, hers, mine)
    set_config(ready, "PLACEHOLDER", hers)
    refused(cli, ready, "unknown key", "declared for li.na, not wang.min")


def test_an_undeclared_signer_is_refused(cli, ready: Path, tmp_path: Path) -> None:
    stranger, _ = make_key(tmp_path, "zhao.yun")
    genuine = outbox_record(ready)
    keep_only(ready, [signed(stranger, dataclasses.replace(genuine, person="zhao.yun"))])
    refused(cli, ready, "unknown person: 'zhao.yun' is not declared under `people:`")
    keep_only(ready, [signed(stranger, genuine)])  # claims to be wang.min, with a key nobody declared
    refused(cli, ready, "unknown key", "not declared for any person")


def test_a_role_the_signer_does_not_hold_is_refused(cli, ready: Path) -> None:
    li_na = ready / ".mediactl/keys/li.na"
    keep_only(ready, [signed(li_na, dataclasses.replace(outbox_record(ready), person="li.na"))])
    refused(cli, ready, "wrong role: li.na signed as checker but does not hold that role")
    result = cli(ready, "approve", OTHER, "--as", "li.na", "--role", "checker")
    assert result.exit_code == 2 and "wrong role: li.na does not hold the role 'checker'" in result.stderr


def test_the_author_cannot_approve_their_own_item(cli, ready: Path) -> None:
    set_config(ready, "roles: [author, emergency]", "roles: [author, checker, emergency]")
    result = cli(ready, "approve", SLUG, "--as", "li.na")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: own item: li.na wrote anti-fraud-2026 and cannot also approve it")
    keep_only(
        ready, [signed(ready / ".mediactl/keys/li.na", dataclasses.replace(outbox_record(ready), person="li.na"))]
    )
    refused(cli, ready, "own item: li.na wrote anti-fraud-2026 and cannot approve it")


def test_a_draft_is_not_approved_until_its_author_hands_it_over(cli, example: Path, monkeypatch) -> None:
    """Maker-checker: the author says the item is done (`review`) before a checker signs anything."""
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    draft = example / "content/graphic/credit-card-cashback/index.md"
    before = draft.read_bytes()
    result = cli(example, "approve", "credit-card-cashback", "--as", "wang.min")
    assert result.exit_code == 2, result.output
    assert "credit-card-cashback is still a draft (content/graphic/credit-card-cashback/index.md: status: draft)" in (
        result.stderr
    )
    assert "mediactl review credit-card-cashback" in result.stderr
    assert draft.read_bytes() == before and not (example / "approvals/credit-card-cashback.yaml").exists()
    monkeypatch.setenv("MEDIACTL_USER", "chen.jie")  # its author
    reviewed = cli(example, "review", "credit-card-cashback", "--json")
    assert reviewed.exit_code == 0 and json.loads(reviewed.stdout) == [
        {"item": "credit-card-cashback", "status": "review"}
    ]
    monkeypatch.setenv("MEDIACTL_USER", "wang.min")
    approved = cli(example, "approve", "credit-card-cashback", "--as", "wang.min", "--json")
    assert approved.exit_code == 0, approved.output
    (record,) = json.loads(approved.stdout)
    assert (record["item"], record["person"], record["file"]) == ("credit-card-cashback", "wang.min",
                                                                  "approvals/credit-card-cashback.yaml")  # fmt: skip
    assert record["channels"] >= 1 and record["fingerprint"].startswith("SHA256:") and record["emergency"] is False


# --- replays: a genuine record used for what it did not approve ------------------------------------------------


def test_an_approval_replayed_on_changed_content_is_void(cli, ready: Path) -> None:
    index = ready / "content/article" / SLUG / "index.md"
    index.write_text(index.read_text("utf-8").replace("守好钱袋子", "守住钱袋子", 1), "utf-8")
    assert cli(ready, "check", SLUG).exit_code == 0
    refused(cli, ready, "changed since: wang.min approved an earlier version of this variant")
    listed = {i["slug"]: i["approval"] for i in json.loads(cli(ready, "ls", "--json").stdout)}[SLUG]
    assert listed["state"] == "void"


def test_a_record_copied_from_another_item_is_refused(cli, ready: Path) -> None:
    assert cli(ready, "approve", OTHER).exit_code == 0  # MEDIACTL_USER=wang.min from the fixture
    keep_only(ready, [outbox_record(ready, OTHER)])
    refused(cli, ready, "another item: the record approves wealth-steady-plus, not anti-fraud-2026")


def test_a_record_for_another_channel_is_refused(ready: Path) -> None:
    """Bytes approved for one channel are not approved for another, even where they are the same bytes."""
    from mediactl.config.model import load_config
    from mediactl.library.scan import load_library
    from mediactl.publish import approvals

    config = load_config(ready / "mediactl.yaml")
    item = load_library(config).get(SLUG)
    wechat = next(r for r in records.read(ready, SLUG) if r.channel == "bank-wechat")
    found = approvals.standing(config, item, "outbox", wechat.content_hash, [wechat])
    assert not found.met and found.reasons()[0].endswith("another channel: the record approves bank-wechat, not outbox")


# --- the policy -------------------------------------------------------------------------------------------------


def test_a_policy_of_two_roles_needs_both(cli, ready: Path, tmp_path: Path) -> None:
    set_config(ready, "{role: checker, count: 1}", "{role: checker, count: 1}\n      - {role: compliance, count: 1}")
    key, public = make_key(tmp_path, "zhao.yun")
    set_config(
        ready, "people:\n", f"people:\n  zhao.yun:\n    name: 赵云\n    roles: [compliance]\n    keys: ['{public}']\n"
    )
    refused(cli, ready, "needs 1 compliance approval, has 0")
    assert "incomplete" in cli(ready, "ls", "--json").stdout
    result = cli(ready, "approve", SLUG, "--as", "zhao.yun", "--key", str(key), "--note", "合规已审")
    assert result.exit_code == 0, result.output
    assert "approved by zhao.yun as compliance" in result.stdout
    assert publish(cli, ready)["state"] == "sent"


def test_a_channel_policy_replaces_the_project_one(cli, ready: Path) -> None:
    set_config(
        ready, "    # channels:", "    channels:\n      outbox:\n        require: [{role: checker, count: 2}]\n    # c:"
    )
    refused(cli, ready, "needs 2 checker approvals, has 1")


def test_one_person_counts_once_per_role(cli, ready: Path) -> None:
    set_config(ready, "{role: checker, count: 1}", "{role: checker, count: 2}")
    assert cli(ready, "approve", SLUG).exit_code == 0  # wang.min again
    refused(cli, ready, "needs 2 checker approvals, has 1")


# --- the file and the config ------------------------------------------------------------------------------------


def test_a_malformed_approvals_file_is_named_by_file_line_and_field(cli, ready: Path) -> None:
    edit_first(ready, "  at: '", "  at: 2026-12-01\n  was: '")
    for command in (("publish", SLUG, "--channel", "outbox"), ("ls",), ("approve", SLUG)):
        result = cli(ready, *command)
        assert result.exit_code == 2, (command, result.output)
        assert "approvals/anti-fraud-2026.yaml:10:" in result.stderr and "[0].at: expected text" in result.stderr
        assert "approvals/anti-fraud-2026.yaml:11:" in result.stderr and "unknown field 'was'" in result.stderr


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "wang.min@mediactl-demo",
            'wang.min@mediactl-demo", "ssh-ed25519 AAAA',
            ":{line}:119: people.wang.min.keys[1]: ssh-ed25519: not a valid key: cut short",
        ),
        ("roles: [checker]", "roles: [Checker]", "people.wang.min.roles[0]: 'Checker' is not a role name"),
        (
            "{role: checker, count: 1}",
            "{role: emergency, count: 1}",
            "project.approval.require[0].role: the emergency role",
        ),
        ("  wang.min:\n", "  Wang Min:\n", "people.Wang Min: a person id uses lowercase letters"),
        (
            "    # channels:",
            "    channels: {nowhere: {require: [{role: checker}]}}\n    # c:",
            "project.approval.channels.nowhere: unknown channel",
        ),
    ],
)
def test_people_and_policy_are_validated_at_load(cli, example: Path, old: str, new: str, expected: str) -> None:
    set_config(example, old, new)
    if "{line}" in expected:  # the line the new text is on, wherever the example config puts it
        lines = (example / "mediactl.yaml").read_text("utf-8").splitlines()
        expected = expected.replace("{line}", str(next(n for n, text in enumerate(lines, 1) if new in text)))
    result = cli(example, "config", "validate")
    assert result.exit_code == 2 and expected in result.stderr, result.stderr


def test_a_key_declared_for_two_people_is_an_error(cli, example: Path) -> None:
    set_config(example, declared_key(example, "li.na"), declared_key(example, "wang.min"))
    result = cli(example, "config", "validate")
    assert (
        result.exit_code == 2
        and "is already declared for" in result.stderr
        and "a key identifies one person" in result.stderr
    )


# --- where the key comes from ----------------------------------------------------------------------------------


def test_a_key_file_of_another_person_is_refused_before_signing(cli, example: Path) -> None:
    result = cli(example, "approve", SLUG, "--as", "wang.min", "--key", str(example / ".mediactl/keys/li.na"))
    assert result.exit_code == 2 and "unknown key: --key" in result.stderr and "the key of li.na" in result.stderr
    assert not approvals_file(example).exists()


def test_the_signing_key_from_the_environment(cli, example: Path, monkeypatch, tmp_path: Path) -> None:
    key = tmp_path / "ci-key"
    (example / ".mediactl/keys/wang.min").rename(key)
    monkeypatch.setenv("MEDIACTL_SIGNING_KEY", str(key))
    assert cli(example, "approve", SLUG, "--as", "wang.min").exit_code == 0
    monkeypatch.delenv("MEDIACTL_SIGNING_KEY")
    missing = cli(example, "approve", SLUG, "--as", "wang.min")
    assert missing.exit_code == 2 and "no key to sign as wang.min" in missing.stderr


def test_an_encrypted_key_file_says_to_use_ssh_agent(cli, example: Path, tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    subprocess.run([ssh_binary("ssh-keygen"), "-t", "ed25519", "-N", "口令-secret", "-f", str(key), "-q"], check=True)
    set_config(example, declared_key(example, "wang.min"), key.with_suffix(".pub").read_text("utf-8").strip())
    result = cli(example, "approve", SLUG, "--as", "wang.min", "--key", str(key))
    assert result.exit_code == 2 and "encrypted with a passphrase; load it into ssh-agent" in result.stderr


def test_a_checker_signs_with_the_key_in_their_ssh_agent(
    cli, example: Path, ssh_agent, tmp_path: Path, monkeypatch
) -> None:
    """The key never leaves the agent (here an encrypted one, which mediactl could not read itself)."""
    key = tmp_path / "id_ed25519"
    subprocess.run([ssh_binary("ssh-keygen"), "-t", "ed25519", "-N", "agent-only", "-f", str(key), "-q"], check=True)
    ssh_agent.add(key, "agent-only")
    set_config(example, declared_key(example, "wang.min"), key.with_suffix(".pub").read_text("utf-8").strip())
    (example / ".mediactl/keys/wang.min").unlink()  # no demo key: only the agent can sign
    monkeypatch.setenv("SSH_AUTH_SOCK", ssh_agent.socket)
    assert cli(example, "check", SLUG).exit_code == 0
    result = cli(example, "approve", SLUG, "--as", "wang.min")
    assert result.exit_code == 0, result.output
    assert sshsig.verify(outbox_record(example).signature, outbox_record(example).message(), NAMESPACE)


# --- the emergency path -----------------------------------------------------------------------------------------


def test_an_emergency_approval_is_not_an_approval(cli, example: Path) -> None:
    assert cli(example, "check", SLUG).exit_code == 0
    assert cli(example, "approve", SLUG, "--as", "li.na", "--emergency", "--reason", "监管通报").exit_code == 0
    assert "status: review" in (example / "content/article" / SLUG / "index.md").read_text("utf-8")  # no status change
    outcome = publish(cli, example)
    assert outcome["state"] == "refused" and "needs 1 checker approval, has 0" in outcome["detail"]
    assert publish(cli, example, "--force", "--reason", "监管通报")["state"] == "sent"


def test_an_emergency_needs_the_role_and_a_reason(cli, example: Path) -> None:
    no_reason = cli(example, "approve", SLUG, "--as", "li.na", "--emergency")
    assert no_reason.exit_code == 2 and "--emergency needs --reason" in no_reason.stderr
    no_role = cli(example, "approve", SLUG, "--as", "wang.min", "--emergency", "--reason", "急")
    assert no_role.exit_code == 2 and "wrong role: wang.min does not hold the role 'emergency'" in no_role.stderr
    assert cli(example, "check", SLUG).exit_code == 0
    forged = signed(example / ".mediactl/keys/wang.min", Record(SLUG, "outbox", outbox_hash(cli, example), "emergency",
                                                                "wang.min", "2026-12-06T09:00:00+08:00", reason="急"))  # fmt: skip
    records.write(example, SLUG, records.appended(example, SLUG, [forged]))
    outcome = publish(cli, example, "--force", "--reason", "急")
    assert outcome["state"] == "refused" and "--force needs an emergency approval" in outcome["detail"]
    assert "wrong role: wang.min signed as emergency" in outcome["detail"]


def test_force_with_an_emergency_approval_never_publishes_an_error_finding(cli, example: Path) -> None:
    index = example / "content/article" / SLUG / "index.md"
    index.write_text(index.read_text("utf-8") + "\n本产品年化收益率高达8%，稳赚不赔。\n", "utf-8")
    cli(example, "check", SLUG, "--fail-on", "blocker")  # passes, with error findings recorded
    assert cli(example, "approve", SLUG, "--as", "li.na", "--emergency", "--reason", "急").exit_code == 0
    outcome = publish(cli, example, "--force", "--reason", "急")
    assert outcome["state"] == "refused" and "--force never overrides the check" in outcome["detail"]


def outbox_hash(cli, root: Path) -> str:
    listed = {i["slug"]: i["approval"] for i in json.loads(cli(root, "ls", "--json").stdout)}[SLUG]
    return next(c["content_hash"] for c in listed["channels"] if c["channel"] == "outbox")


@pytest.mark.parametrize(
    "note", ["含: 冒号 # 井号", "多行\n第二行", "  两头空格  ", "'引号\"", "yes", "2026-12-01", "~", "尾行\n", ""]
)
def test_any_note_reads_back_exactly_as_signed(cli, example: Path, note: str) -> None:
    """YAML has many ways to read a scalar as something else; a record is written so it reads back as signed."""
    assert cli(example, "approve", SLUG, "--as", "wang.min", "--note", note).exit_code == 0
    record = outbox_record(example)
    assert record.note == note and sshsig.verify(record.signature, record.message(), NAMESPACE)


def test_a_control_character_in_a_note_is_refused(cli, example: Path) -> None:
    result = cli(example, "approve", SLUG, "--as", "wang.min", "--note", "已核对\u202e")
    assert result.exit_code == 2 and "--note contains U+202E RIGHT-TO-LEFT OVERRIDE" in result.stderr
    assert not approvals_file(example).exists()


def test_new_records_are_appended_below_the_old_ones_byte_for_byte(cli, ready: Path) -> None:
    before = approvals_file(ready).read_bytes()
    assert cli(ready, "approve", SLUG, "--note", "复核").exit_code == 0
    after = approvals_file(ready).read_bytes()
    assert after.startswith(before) and after.count(b"- item: anti-fraud-2026") == 12
