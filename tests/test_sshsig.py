"""SSH signatures exactly as OpenSSH makes and checks them: ours verify with `ssh-keygen -Y verify`, theirs with ours.

The real binaries are the reference: a test that needs one skips where it is missing, but never where `CI` is set.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import ssh_binary
from mediactl.core import sshagent, sshsig
from mediactl.core.sshsig import KeyFormatError, SignatureError

NAMESPACE = "mediactl-approval"
MESSAGE = "审批：anti-fraud-2026 outbox 4f1c…\n".encode()


def binary(name: str) -> str:
    return ssh_binary(name)


def keygen(folder: Path, kind: str, *, passphrase: str = "", comment: str = "tester@example") -> Path:
    key = folder / f"id_{kind}"
    args = ["-t", kind] + (["-b", "3072"] if kind == "rsa" else [])
    subprocess.run([binary("ssh-keygen"), *args, "-N", passphrase, "-C", comment, "-f", str(key), "-q"], check=True)
    return key


def ssh_verify(
    folder: Path, public_line: str, signature: str, message: bytes, namespace: str = NAMESPACE
) -> subprocess.CompletedProcess:
    allowed = folder / "allowed_signers"
    allowed.write_text(f"wang.min {public_line}\n", "utf-8")
    sig = folder / "message.sig"
    sig.write_text(signature, "utf-8")
    return subprocess.run([binary("ssh-keygen"), "-Y", "verify", "-f", str(allowed), "-I", "wang.min", "-n", namespace,
                           "-s", str(sig)], input=message, capture_output=True, check=False)  # fmt: skip


def ssh_sign(folder: Path, key: Path, message: bytes, namespace: str = NAMESPACE) -> str:
    data = folder / "message.txt"
    data.write_bytes(message)
    subprocess.run([binary("ssh-keygen"), "-Y", "sign", "-f", str(key), "-n", namespace, str(data)],
                   check=True, capture_output=True)  # fmt: skip
    return (folder / "message.txt.sig").read_text("utf-8")


def file_signer(key: Path) -> sshsig.KeyFileSigner:
    return sshsig.load_private_key(key.read_bytes(), str(key))


@pytest.mark.parametrize("kind", ["ed25519", "rsa", "ecdsa"])
def test_our_signature_verifies_with_ssh_keygen(tmp_path: Path, kind: str) -> None:
    key = keygen(tmp_path, kind)
    armored = sshsig.sign(file_signer(key), MESSAGE, NAMESPACE)
    assert armored.startswith(sshsig.BEGIN + "\n") and armored.endswith(sshsig.END + "\n")
    public_line = Path(f"{key}.pub").read_text("utf-8").strip()
    done = ssh_verify(tmp_path, public_line, armored, MESSAGE)
    assert done.returncode == 0, done.stderr
    assert b"Good" in done.stdout + done.stderr
    assert ssh_verify(tmp_path, public_line, armored, MESSAGE + b"!").returncode != 0  # and it means something


@pytest.mark.parametrize("kind", ["ed25519", "rsa", "ecdsa"])
def test_a_signature_by_ssh_keygen_verifies_with_ours(tmp_path: Path, kind: str) -> None:
    key = keygen(tmp_path, kind)
    armored = ssh_sign(tmp_path, key, MESSAGE)
    signer = sshsig.verify(armored, MESSAGE, NAMESPACE)
    assert signer.same_key(sshsig.parse_public_key(Path(f"{key}.pub").read_text("utf-8")))
    with pytest.raises(SignatureError, match="does not match"):
        sshsig.verify(armored, MESSAGE.replace(b"outbox", b"weibo"), NAMESPACE)
    with pytest.raises(SignatureError, match="namespace 'mediactl-approval', not 'git'"):
        sshsig.verify(armored, MESSAGE, "git")


def test_a_key_made_with_cryptography_signs_what_ssh_keygen_accepts(tmp_path: Path) -> None:
    """`mediactl init` makes its demo keys with the cryptography library, not ssh-keygen."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                            serialization.NoEncryption())  # fmt: skip
    signer = sshsig.load_private_key(pem, "demo")
    done = ssh_verify(tmp_path, signer.public_key.line, sshsig.sign(signer, MESSAGE, NAMESPACE), MESSAGE)
    assert done.returncode == 0, done.stderr
    path = tmp_path / "demo"
    path.write_bytes(pem)
    path.chmod(0o600)
    assert ssh_sign(tmp_path, path, MESSAGE)  # ssh-keygen reads the file as its own


def test_a_changed_byte_of_the_signature_is_refused(tmp_path: Path) -> None:
    signer = file_signer(keygen(tmp_path, "ed25519"))
    armored = sshsig.sign(signer, MESSAGE, NAMESPACE)
    body = bytearray(sshsig.dearmor(armored))
    body[-1] ^= 1
    with pytest.raises(SignatureError, match="does not match"):
        sshsig.verify(sshsig.armor(bytes(body)), MESSAGE, NAMESPACE)
    with pytest.raises(SignatureError, match="base64"):
        sshsig.verify(armored.replace(armored.splitlines()[1][:4], "!!!!", 1), MESSAGE, NAMESPACE)
    with pytest.raises(SignatureError, match="not an armored SSH signature"):
        sshsig.verify("AAAA", MESSAGE, NAMESPACE)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("ssh-ed25519", "expected `TYPE BASE64"),
        ("ssh-ed25519 AAAA!!!", "not valid base64"),
        ("ssh-dss AAAAB3NzaC1kc3M=", "unsupported key type 'ssh-dss'"),
        ("sk-ssh-ed25519@openssh.com AAAA", "security-key"),
        (
            "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
            "the line says ssh-rsa but the key inside is ssh-ed25519",
        ),
        ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9", "cut short"),
    ],
)
def test_a_bad_public_key_line_says_what_is_wrong(line: str, reason: str) -> None:
    with pytest.raises(KeyFormatError, match=reason.replace("(", r"\(").replace("`", ".")):
        sshsig.parse_public_key(line)


def test_a_short_rsa_key_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "weak"
    subprocess.run([binary("ssh-keygen"), "-t", "rsa", "-b", "1024", "-N", "", "-f", str(key), "-q"], check=True)
    with pytest.raises(KeyFormatError, match="1024-bit RSA key is too weak"):
        sshsig.parse_public_key(Path(f"{key}.pub").read_text("utf-8"))


def test_the_fingerprint_is_the_one_ssh_keygen_prints(tmp_path: Path) -> None:
    key = keygen(tmp_path, "ed25519")
    printed = subprocess.run([binary("ssh-keygen"), "-l", "-f", f"{key}.pub"], capture_output=True, text=True,
                             check=True).stdout.split()[1]  # fmt: skip
    assert sshsig.parse_public_key(Path(f"{key}.pub").read_text("utf-8")).fingerprint == printed


def test_an_encrypted_key_file_says_to_use_the_agent(tmp_path: Path) -> None:
    key = keygen(tmp_path, "ed25519", passphrase="geheim-口令")
    with pytest.raises(KeyFormatError, match="encrypted with a passphrase; load it into ssh-agent"):
        sshsig.load_private_key(key.read_bytes(), str(key))


# --- ssh-agent -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
def test_the_agent_signs_what_ssh_keygen_verifies(tmp_path: Path, ssh_agent, kind: str) -> None:
    key = keygen(tmp_path, kind, passphrase="only-the-agent-knows")  # encrypted: only the agent can use it
    ssh_agent.add(key, "only-the-agent-knows")
    with sshagent.Agent(ssh_agent.socket) as connection:
        (held,) = connection.identities()
    public_line = Path(f"{key}.pub").read_text("utf-8").strip()
    assert held.same_key(sshsig.parse_public_key(public_line)) and held.comment == "tester@example"
    armored = sshsig.sign(sshagent.AgentSigner(ssh_agent.socket, held), MESSAGE, NAMESPACE)
    if kind == "rsa":  # asked for rsa-sha2-512, as ssh-keygen -Y sign asks
        assert b"rsa-sha2-512" in sshsig.parse(armored).signature
    assert sshsig.verify(armored, MESSAGE, NAMESPACE).same_key(held)
    done = ssh_verify(tmp_path, public_line, armored, MESSAGE)
    assert done.returncode == 0, done.stderr


def test_an_unreachable_agent_is_named(tmp_path: Path) -> None:
    with pytest.raises(sshagent.AgentError, match="cannot reach the ssh-agent at"):
        sshagent.Agent(str(tmp_path / "nobody-listens.sock"))
