"""A small ssh-agent client: list the keys an agent holds, and ask it to sign.

People keep their SSH keys in an agent (ssh-agent, gpg-agent, 1Password, Windows' OpenSSH agent)
and often cannot read the key file at all: it is encrypted, or on a hardware token. The agent
protocol (draft-miller-ssh-agent) needs only two requests for signing, so mediactl speaks it itself:

    SSH_AGENTC_REQUEST_IDENTITIES (11) -> SSH_AGENT_IDENTITIES_ANSWER (12): uint32 n, n × (string key, string comment)
    SSH_AGENTC_SIGN_REQUEST (13): string key, string data, uint32 flags -> SSH_AGENT_SIGN_RESPONSE (14): string signature

each framed as `uint32 length, byte type, contents`. An RSA key is asked for an rsa-sha2-512
signature (flag 4), as ssh-keygen -Y sign does. Where the agent lives: `SSH_AUTH_SOCK` (a Unix
socket), else, on Windows, OpenSSH's named pipe `\\\\.\\pipe\\openssh-ssh-agent`. Nothing here is
POSIX-only at import: AF_UNIX is looked up when connecting.
"""

from __future__ import annotations

import os
import socket
import struct
from typing import BinaryIO

from mediactl.core.errors import MediactlError
from mediactl.core.sshsig import PublicKey, Reader, public_key_from_blob, string

REQUEST_IDENTITIES, IDENTITIES_ANSWER = 11, 12
SIGN_REQUEST, SIGN_RESPONSE = 13, 14
FAILURE = 5
RSA_SHA2_512 = 4
WINDOWS_PIPE = r"\\.\pipe\openssh-ssh-agent"
TIMEOUT = 60.0  # seconds: an agent may ask its user to confirm (ssh-add -c) before it signs
MAX_MESSAGE = 256 * 1024  # the protocol's own limit on a message


class AgentError(MediactlError):
    """The agent cannot be reached or refused a request; the message says which."""


def agent_address() -> str | None:
    """Where the agent listens: SSH_AUTH_SOCK, or Windows' OpenSSH pipe when it exists; None: no agent."""
    found = os.environ.get("SSH_AUTH_SOCK", "").strip()
    if found:
        return found
    if os.name == "nt" and os.path.exists(WINDOWS_PIPE):
        return WINDOWS_PIPE
    return None


class Agent:
    """One connection to an agent; use as a context manager."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._socket: socket.socket | None = None
        self._pipe: BinaryIO | None = None
        try:
            if address.startswith("\\\\.\\pipe\\"):
                self._pipe = open(address, "r+b", buffering=0)  # noqa: SIM115 - closed by close()
            else:
                family = getattr(socket, "AF_UNIX", None)
                if family is None:
                    raise AgentError(f"SSH_AUTH_SOCK={address}: this system has no Unix sockets")
                self._socket = socket.socket(family, socket.SOCK_STREAM)
                self._socket.settimeout(TIMEOUT)
                self._socket.connect(address)
        except OSError as exc:
            self.close()
            raise AgentError(f"cannot reach the ssh-agent at {address} ({exc.strerror or exc})") from None

    def __enter__(self) -> Agent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for handle in (self._socket, self._pipe):
            if handle is not None:
                handle.close()
        self._socket = self._pipe = None

    def identities(self) -> list[PublicKey]:
        """The keys the agent holds (those of a type mediactl cannot use are left out)."""
        kind, reader = self._request(REQUEST_IDENTITIES, b"")
        if kind != IDENTITIES_ANSWER:
            raise AgentError(f"the ssh-agent at {self.address} would not list its keys (answer {kind})")
        keys = []
        try:
            for _ in range(reader.uint32("the number of keys")):
                blob, comment = reader.string("a key"), reader.string("a comment")
                try:
                    key = public_key_from_blob(blob)
                except MediactlError:
                    continue  # a certificate or a security key: not one an approval can be signed with
                keys.append(PublicKey(key.algorithm, key.blob, comment.decode("utf-8", "replace")))
        except ValueError as exc:
            raise AgentError(f"the ssh-agent at {self.address} sent a malformed key list ({exc})") from None
        return keys

    def sign(self, key: PublicKey, data: bytes) -> bytes:
        """The agent's SSH signature blob over `data` with `key` (rsa-sha2-512 for an RSA key)."""
        flags = RSA_SHA2_512 if key.algorithm == "ssh-rsa" else 0
        kind, reader = self._request(SIGN_REQUEST, string(key.blob) + string(data) + struct.pack(">I", flags))
        if kind != SIGN_RESPONSE:
            raise AgentError(f"the ssh-agent at {self.address} refused to sign with {key.fingerprint} "
                             "(locked, or a confirmation was declined)")  # fmt: skip
        try:
            return reader.string("the signature")
        except ValueError as exc:
            raise AgentError(f"the ssh-agent at {self.address} sent a malformed signature ({exc})") from None

    def _request(self, kind: int, payload: bytes) -> tuple[int, Reader]:
        message = bytes([kind]) + payload
        try:
            self._send(struct.pack(">I", len(message)) + message)
            length = struct.unpack(">I", self._receive(4))[0]
            if not 0 < length <= MAX_MESSAGE:
                raise AgentError(f"the ssh-agent at {self.address} sent a message of {length} bytes")
            answer = self._receive(length)
        except OSError as exc:
            raise AgentError(f"the ssh-agent at {self.address} stopped answering ({exc.strerror or exc})") from None
        return answer[0], Reader(answer[1:])

    def _send(self, data: bytes) -> None:
        if self._socket is not None:
            self._socket.sendall(data)
        elif self._pipe is not None:
            self._pipe.write(data)
            self._pipe.flush()

    def _receive(self, count: int) -> bytes:
        chunks, left = [], count
        while left:
            chunk = (
                self._socket.recv(left) if self._socket is not None else (self._pipe.read(left) if self._pipe else b"")
            )
            if not chunk:
                raise AgentError(f"the ssh-agent at {self.address} closed the connection")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)


class AgentSigner:
    """A `sshsig.Signer` whose private key stays in the agent."""

    def __init__(self, address: str, key: PublicKey) -> None:
        self.address = address
        self._key = key

    @property
    def public_key(self) -> PublicKey:
        return self._key

    def sign_data(self, data: bytes) -> bytes:
        with Agent(self.address) as agent:
            return agent.sign(self._key, data)
