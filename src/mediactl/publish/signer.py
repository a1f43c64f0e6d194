"""Which private key signs an approval: the first of these that holds a key declared for the approver.

1. `--key FILE`: a private key file (OpenSSH or PEM, unencrypted);
2. `MEDIACTL_SIGNING_KEY`: the path of such a file (for a CI job or a service account);
3. an ssh-agent (`SSH_AUTH_SOCK`, or Windows' OpenSSH agent pipe): the key stays in the agent, which
   is where an encrypted key or a hardware-backed one lives;
4. the demo keys `mediactl init` made under the state folder (`.mediactl/keys/`, git-ignored), so the
   quick start signs without any setup. A convenience for trying mediactl, never a team's key store.

A key named explicitly (1, 2) that is not declared for the person is an error at once: the gate would
refuse what it signs. Nothing is signed with a key the person does not own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from mediactl.core import sshagent, sshsig
from mediactl.core.errors import FilesystemError, UsageError
from mediactl.library.scaffold import DEMO_KEYS

if TYPE_CHECKING:  # annotations only
    from mediactl.config.model import Config, Person

ENV_KEY = "MEDIACTL_SIGNING_KEY"


def find_signer(config: Config, someone: Person, key_file: Path | None = None) -> sshsig.Signer:
    """A signer holding one of `someone`'s declared keys, from the sources above in order; else an error saying
    what was tried and which keys would do."""
    if not someone.keys:
        raise UsageError(f"{someone.id} has no key declared under people.{someone.id}.keys in mediactl.yaml, so "
                         "nothing they sign can be verified; add their SSH public key there")  # fmt: skip
    if key_file is not None:
        return _from_file(config, someone, key_file, "--key")
    from_env = os.environ.get(ENV_KEY, "").strip()
    if from_env:
        return _from_file(config, someone, Path(from_env), ENV_KEY)
    tried = [f"no --key and no {ENV_KEY}"]
    signer = _from_agent(someone, tried) or _from_demo_keys(config, someone, tried)
    if signer is not None:
        return signer
    wanted = ", ".join(key.fingerprint for key in someone.keys)
    raise UsageError(f"no key to sign as {someone.id}: {'; '.join(tried)}. A key declared for {someone.id} "
                     f"({wanted}) must be in ssh-agent (ssh-add), or named with --key FILE")  # fmt: skip


def _from_file(config: Config, someone: Person, path: Path, source: str) -> sshsig.Signer:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FilesystemError.from_os_error(exc, path, doing=f"read the private key ({source})") from None
    signer = sshsig.load_private_key(data, str(path))
    _require_owned(config, someone, signer.public_key, f"{source} {path}")
    return signer


def _require_owned(config: Config, someone: Person, key: sshsig.PublicKey, what: str) -> None:
    if someone.owns(key):
        return
    owner = config.key_owner(key)
    whose = f"the key of {owner.id}" if owner else "not declared for anyone"
    raise UsageError(f"unknown key: {what} holds {key.fingerprint}, {whose}; {someone.id} can only sign with a key "
                     f"declared under people.{someone.id}.keys")  # fmt: skip


def _from_agent(someone: Person, tried: list[str]) -> sshsig.Signer | None:
    address = sshagent.agent_address()
    if address is None:
        tried.append("no ssh-agent (SSH_AUTH_SOCK is not set)")
        return None
    try:
        with sshagent.Agent(address) as agent:
            held = agent.identities()
    except sshagent.AgentError as exc:
        tried.append(exc.message)
        return None
    mine = next((key for key in held if someone.owns(key)), None)
    if mine is None:
        tried.append(f"the ssh-agent at {address} holds {len(held)} key(s), none declared for {someone.id}")
        return None
    return sshagent.AgentSigner(address, mine)


def _from_demo_keys(config: Config, someone: Person, tried: list[str]) -> sshsig.Signer | None:
    folder = config.state_path / DEMO_KEYS
    files = sorted(p for p in folder.glob("*") if p.is_file() and p.suffix != ".pub") if folder.is_dir() else []
    for path in files:
        try:
            signer = sshsig.load_private_key(path.read_bytes(), str(path))
        except (OSError, sshsig.KeyFormatError):
            continue  # not a demo key we made: not ours to use
        if someone.owns(signer.public_key):
            return signer
    tried.append(f"no demo key of {someone.id} in {folder}")
    return None
