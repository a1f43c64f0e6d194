"""SSH keys and SSH signatures (SSHSIG): what `ssh-keygen -Y sign` writes and `ssh-keygen -Y verify` accepts.

Approvals are signed with the SSH keys people already have (the keys git signs commits with), so a
team needs no new kind of key and no key server: `mediactl.yaml` lists each person's public keys, as
an allowed-signers file does. The format is OpenSSH's PROTOCOL.sshsig, byte for byte, so a signature
made here verifies with `ssh-keygen -Y verify` and one made by `ssh-keygen -Y sign` verifies here:

    signature = "SSHSIG" uint32(1) string(public key) string(namespace) string(reserved="")
                string(hash algorithm) string(SSH signature over the data below)
    signed    = "SSHSIG" string(namespace) string(reserved) string(hash algorithm) string(H(message))

armored as base64 lines of 70 characters between `-----BEGIN SSH SIGNATURE-----` and
`-----END SSH SIGNATURE-----`. The namespace keeps a signature made for one purpose (a git commit, a
file) from being replayed as another (an approval).

Public keys are parsed here without the `cryptography` library, which costs ~40 ms to import: the
configuration validates every key line at load, and most commands never verify a signature. Signing
and verifying import it when they run. Keys: ssh-ed25519, ssh-rsa (signed rsa-sha2-512; rsa-sha2-256
accepted; SHA-1 `ssh-rsa` signatures refused, as OpenSSH does) and ecdsa-sha2-nistp256/384/521.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from mediactl.core.errors import MediactlError

if TYPE_CHECKING:  # annotations only
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
    from cryptography.hazmat.primitives.hashes import HashAlgorithm
    from cryptography.hazmat.primitives.serialization.ssh import SSHPrivateKeyTypes, SSHPublicKeyTypes

MAGIC = b"SSHSIG"
VERSION = 1
BEGIN = "-----BEGIN SSH SIGNATURE-----"
END = "-----END SSH SIGNATURE-----"
ARMOR_WIDTH = 70  # what ssh-keygen writes
HASHES = ("sha512", "sha256")  # what PROTOCOL.sshsig allows; we sign with sha512, as ssh-keygen does
MIN_RSA_BITS = 2048  # OpenSSH refuses under 1024; a bank's policy should not go under 2048
ECDSA_CURVES = {  # key type -> (curve name in the blob, coordinate bytes, hash of the signature)
    "ecdsa-sha2-nistp256": ("nistp256", 32, "sha256"),
    "ecdsa-sha2-nistp384": ("nistp384", 48, "sha384"),
    "ecdsa-sha2-nistp521": ("nistp521", 66, "sha512"),
}
KEY_TYPES = ("ssh-ed25519", "ssh-rsa", *ECDSA_CURVES)
RSA_SIGNATURES = {"rsa-sha2-512": "sha512", "rsa-sha2-256": "sha256"}


class KeyFormatError(MediactlError):
    """A public or private key that is not one mediactl can use; the message says why."""


class SignatureError(MediactlError):
    """A signature that is malformed, for another namespace, or does not verify; the message says which."""


# --- the SSH wire format: strings and integers with a length in front (RFC 4251) ---------------------


def string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def mpint(value: int) -> bytes:
    """A non-negative integer as an SSH mpint: big-endian, with a zero byte when the top bit is set."""
    raw = value.to_bytes((value.bit_length() + 8) // 8, "big") if value else b""
    return string(raw)


class Reader:
    """Reads SSH wire-format fields one after another; any shortfall is a `ValueError` naming what was read."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def take(self, count: int, what: str) -> bytes:
        if self.offset + count > len(self.data):
            raise ValueError(f"cut short while reading {what}")
        chunk = self.data[self.offset : self.offset + count]
        self.offset += count
        return chunk

    def uint32(self, what: str) -> int:
        value: int = struct.unpack(">I", self.take(4, what))[0]
        return value

    def string(self, what: str) -> bytes:
        return self.take(self.uint32(what), what)

    def text(self, what: str) -> str:
        try:
            return self.string(what).decode("ascii")
        except UnicodeDecodeError:
            raise ValueError(f"{what} is not ASCII text") from None

    def mpint(self, what: str) -> int:
        raw = self.string(what)
        if raw and raw[0] & 0x80:
            raise ValueError(f"{what} is negative")
        return int.from_bytes(raw, "big")

    def end(self, what: str) -> None:
        if self.offset != len(self.data):
            raise ValueError(f"{len(self.data) - self.offset} unexpected byte(s) after {what}")


# --- public keys ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicKey:
    """One OpenSSH public key: its type, its wire-format blob and the comment of its line."""

    algorithm: str
    blob: bytes
    comment: str = ""

    @property
    def fingerprint(self) -> str:
        """`SHA256:…` exactly as `ssh-keygen -l` and `ssh-add -l` print it."""
        digest = base64.b64encode(hashlib.sha256(self.blob).digest()).decode("ascii").rstrip("=")
        return f"SHA256:{digest}"

    @property
    def line(self) -> str:
        """The key as a line of an authorized_keys or allowed_signers file, comment included."""
        text = f"{self.algorithm} {base64.b64encode(self.blob).decode('ascii')}"
        return f"{text} {self.comment}" if self.comment else text

    def same_key(self, other: PublicKey) -> bool:
        """The same key, whatever the comments say."""
        return self.blob == other.blob

    def crypto_key(self) -> SSHPublicKeyTypes:
        """The key as a `cryptography` object, to verify with (imports cryptography)."""
        # lazy: start-up; only signing and verifying pay cryptography's import (~40 ms)
        from cryptography.hazmat.primitives.serialization import load_ssh_public_key

        return load_ssh_public_key(f"{self.algorithm} {base64.b64encode(self.blob).decode('ascii')}".encode())


def parse_public_key(line: str) -> PublicKey:
    """An OpenSSH public key line (`ssh-ed25519 AAAA… comment`), checked field by field.

    Raises KeyFormatError saying what is wrong: the type, the base64, the blob's own type, the key's size.
    """
    fields = line.strip().split(None, 2)
    if len(fields) < 2:
        raise KeyFormatError("not an OpenSSH public key line: expected `TYPE BASE64 [COMMENT]`, e.g. the "
                             "contents of ~/.ssh/id_ed25519.pub")  # fmt: skip
    algorithm, encoded = fields[0], fields[1]
    comment = fields[2].strip() if len(fields) > 2 else ""
    if algorithm.startswith("sk-"):
        raise KeyFormatError(f"{algorithm}: security-key (FIDO) keys are not supported yet; use an ed25519 or RSA key")
    if algorithm not in KEY_TYPES:
        raise KeyFormatError(f"unsupported key type '{algorithm}' (use one of: {', '.join(KEY_TYPES)})")
    try:
        blob = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise KeyFormatError(f"{algorithm}: the key is not valid base64 (copied incompletely?)") from None
    try:
        _check_blob(algorithm, blob)
    except ValueError as exc:
        raise KeyFormatError(f"{algorithm}: not a valid key: {exc}") from None
    return PublicKey(algorithm, blob, comment)


def public_key_from_blob(blob: bytes) -> PublicKey:
    """A key as it travels inside a signature or an agent's answer."""
    try:
        algorithm = Reader(blob).text("the key type")
        if algorithm not in KEY_TYPES:
            raise ValueError(f"unsupported key type '{algorithm}'")
        _check_blob(algorithm, blob)
    except ValueError as exc:
        raise KeyFormatError(f"not a usable public key: {exc}") from None
    return PublicKey(algorithm, blob)


def _check_blob(algorithm: str, blob: bytes) -> None:
    reader = Reader(blob)
    inner = reader.text("the key type")
    if inner != algorithm:
        raise ValueError(f"the line says {algorithm} but the key inside is {inner}")
    if algorithm == "ssh-ed25519":
        if len(reader.string("the ed25519 key")) != 32:
            raise ValueError("an ed25519 key is 32 bytes")
    elif algorithm == "ssh-rsa":
        reader.mpint("the RSA exponent")
        bits = reader.mpint("the RSA modulus").bit_length()
        if bits < MIN_RSA_BITS:
            raise ValueError(f"a {bits}-bit RSA key is too weak; use at least {MIN_RSA_BITS} bits (or ed25519)")
    else:
        curve, size, _ = ECDSA_CURVES[algorithm]
        if reader.text("the curve name") != curve:
            raise ValueError(f"the curve is not {curve}")
        point = reader.string("the curve point")
        if len(point) != 1 + 2 * size or point[0] != 4:
            raise ValueError("the curve point is not an uncompressed point of that curve")
    reader.end("the key")


# --- signing ------------------------------------------------------------------------------------------------


class Signer(Protocol):
    """Something that holds a private key: a key file, or an ssh-agent (core/sshagent.py)."""

    @property
    def public_key(self) -> PublicKey: ...

    def sign_data(self, data: bytes) -> bytes:
        """An SSH signature blob (`string algorithm, string signature`) over `data`."""
        ...


def signed_data(message: bytes, namespace: str, hash_algorithm: str = "sha512") -> bytes:
    """What the key signs for `message` (PROTOCOL.sshsig): the namespace and the message's hash, framed."""
    digest = hashlib.new(hash_algorithm, message).digest()
    return MAGIC + string(namespace.encode()) + string(b"") + string(hash_algorithm.encode()) + string(digest)


def sign(signer: Signer, message: bytes, namespace: str) -> str:
    """An armored SSH signature of `message`, as `ssh-keygen -Y sign -n NAMESPACE` writes it."""
    signature = signer.sign_data(signed_data(message, namespace))
    _check_signature_blob(signer.public_key, signature)  # an agent that answered for another key is caught here
    body = (MAGIC + struct.pack(">I", VERSION) + string(signer.public_key.blob) + string(namespace.encode())
            + string(b"") + string(b"sha512") + string(signature))  # fmt: skip
    return armor(body)


def armor(body: bytes) -> str:
    encoded = base64.b64encode(body).decode("ascii")
    lines = [encoded[i : i + ARMOR_WIDTH] for i in range(0, len(encoded), ARMOR_WIDTH)]
    return "\n".join([BEGIN, *lines, END]) + "\n"


def dearmor(text: str) -> bytes:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if len(lines) < 3 or lines[0] != BEGIN or lines[-1] != END:
        raise SignatureError(f"not an armored SSH signature (expected {BEGIN} … {END})")
    try:
        return base64.b64decode("".join(lines[1:-1]), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("the signature is not valid base64 (changed or cut short)") from None


@dataclass(frozen=True)
class Signature:
    """A parsed SSHSIG: who signed (the public key it carries), for which namespace, and the signature."""

    public_key: PublicKey
    namespace: str
    hash_algorithm: str
    signature: bytes
    reserved: bytes = b""


def parse(text: str) -> Signature:
    """Parse an armored signature (without verifying it: see `verify`)."""
    reader = Reader(dearmor(text))
    try:
        if reader.take(6, "the magic") != MAGIC:
            raise ValueError("it does not start with SSHSIG")
        version = reader.uint32("the version")
        if version != VERSION:
            raise ValueError(f"version {version} is not supported (only {VERSION})")
        key = public_key_from_blob(reader.string("the public key"))
        namespace = reader.string("the namespace").decode("utf-8", "replace")
        reserved = reader.string("the reserved field")
        hash_algorithm = reader.text("the hash algorithm")
        signature = reader.string("the signature")
        reader.end("the signature")
    except (ValueError, KeyFormatError) as exc:
        message = exc.message if isinstance(exc, KeyFormatError) else str(exc)
        raise SignatureError(f"not a valid SSH signature: {message}") from None
    if hash_algorithm not in HASHES:
        raise SignatureError(f"hash algorithm '{hash_algorithm}' is not allowed (only {', '.join(HASHES)})")
    return Signature(key, namespace, hash_algorithm, signature, reserved)


def verify(text: str, message: bytes, namespace: str) -> PublicKey:
    """The key that signed `message` in `namespace`, as `ssh-keygen -Y verify` checks it; SignatureError if not.

    Which keys may sign is the caller's to decide (the allowed signers): this proves only that the key
    the signature names made it, over exactly `message`, for exactly `namespace`.
    """
    found = parse(text)
    if found.namespace != namespace:
        raise SignatureError(f"the signature is for namespace '{found.namespace}', not '{namespace}'")
    data = (MAGIC + string(namespace.encode()) + string(found.reserved) + string(found.hash_algorithm.encode())
            + string(hashlib.new(found.hash_algorithm, message).digest()))  # fmt: skip
    _verify_blob(found.public_key, found.signature, data)
    return found.public_key


def _check_signature_blob(key: PublicKey, blob: bytes) -> tuple[str, bytes]:
    """(signature algorithm, raw signature) of an SSH signature blob made with `key`'s type."""
    reader = Reader(blob)
    try:
        algorithm = reader.text("the signature algorithm")
        raw = reader.string("the signature")
        reader.end("the signature")
    except ValueError as exc:
        raise SignatureError(f"not a valid SSH signature: {exc}") from None
    allowed = {"ssh-ed25519": ("ssh-ed25519",), "ssh-rsa": tuple(RSA_SIGNATURES)}.get(key.algorithm, (key.algorithm,))
    if algorithm not in allowed:
        raise SignatureError(f"a {algorithm} signature cannot come from a {key.algorithm} key"
                             + (" (SHA-1 RSA signatures are refused, as OpenSSH refuses them)" if algorithm == "ssh-rsa" else ""))  # fmt: skip
    return algorithm, raw


def _verify_blob(key: PublicKey, blob: bytes, data: bytes) -> None:
    from cryptography.exceptions import InvalidSignature  # lazy: start-up, see the module doc
    from cryptography.hazmat.primitives import hashes  # lazy: start-up
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa  # lazy: start-up
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature  # lazy: start-up

    algorithm, raw = _check_signature_blob(key, blob)
    public = key.crypto_key()
    try:
        if isinstance(public, ed25519.Ed25519PublicKey):
            public.verify(raw, data)
        elif isinstance(public, rsa.RSAPublicKey):
            digest = hashes.SHA512() if RSA_SIGNATURES[algorithm] == "sha512" else hashes.SHA256()
            public.verify(raw, data, padding.PKCS1v15(), digest)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            reader = Reader(raw)
            r, s = reader.mpint("r"), reader.mpint("s")
            reader.end("the ECDSA signature")
            public.verify(encode_dss_signature(r, s), data, ec.ECDSA(_hash(ECDSA_CURVES[key.algorithm][2])))
        else:  # pragma: no cover - parse_public_key admits no other type
            raise SignatureError(f"{key.algorithm} keys cannot be verified")
    except (InvalidSignature, ValueError):
        raise SignatureError("the signature does not match: the signed text or the signature was changed") from None


def _hash(name: str) -> HashAlgorithm:
    from cryptography.hazmat.primitives import hashes  # lazy: start-up, see the module doc

    return {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}[name]


# --- private key files -----------------------------------------------------------------------------------


class KeyFileSigner:
    """Signs with a private key read from an unencrypted OpenSSH (or PEM) key file."""

    def __init__(self, private_key: SSHPrivateKeyTypes | PrivateKeyTypes) -> None:
        # lazy: start-up; only signing pays cryptography's import
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        self._key = private_key
        line = private_key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode("ascii")
        self._public = parse_public_key(line)

    @property
    def public_key(self) -> PublicKey:
        return self._public

    def sign_data(self, data: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes  # lazy: start-up, see the module doc
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa  # lazy: start-up
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature  # lazy: start-up

        key = self._key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return string(b"ssh-ed25519") + string(key.sign(data))
        if isinstance(key, rsa.RSAPrivateKey):
            return string(b"rsa-sha2-512") + string(key.sign(data, padding.PKCS1v15(), hashes.SHA512()))
        if isinstance(key, ec.EllipticCurvePrivateKey):
            algorithm = self._public.algorithm
            r, s = decode_dss_signature(key.sign(data, ec.ECDSA(_hash(ECDSA_CURVES[algorithm][2]))))
            return string(algorithm.encode()) + string(mpint(r) + mpint(s))
        raise KeyFormatError(f"{type(key).__name__} keys cannot sign SSH signatures")  # pragma: no cover


def load_private_key(data: bytes, source: str) -> KeyFileSigner:
    """A signer from the bytes of a private key file; KeyFormatError (naming `source`) when it cannot be used.

    An encrypted key is refused with what to do instead: reading it would need its passphrase (and the
    bcrypt package), while ssh-agent already holds it unlocked for every program that asks.
    """
    # lazy: start-up; only signing pays cryptography's import
    from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_ssh_private_key  # lazy

    if _encrypted(data):
        raise KeyFormatError(
            f"{source}: the private key is encrypted with a passphrase; load it into ssh-agent "
            f"(`ssh-add {source}`) and run again: mediactl asks the agent to sign, the key never leaves it"
        )
    try:
        if b"BEGIN OPENSSH PRIVATE KEY" in data:
            key: SSHPrivateKeyTypes | PrivateKeyTypes = load_ssh_private_key(data, password=None)
        else:
            key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFormatError(f"{source}: not a private key mediactl can read ({exc})") from None
    except Exception as exc:  # cryptography's UnsupportedAlgorithm and kin: say what, not a traceback
        raise KeyFormatError(f"{source}: cannot use this private key ({type(exc).__name__}: {exc})") from None
    try:
        return KeyFileSigner(key)
    except KeyFormatError as exc:
        raise KeyFormatError(f"{source}: {exc.message}") from None


def _encrypted(data: bytes) -> bool:
    """Whether a private key file needs a passphrase: its cipher is not `none` (OpenSSH), or PEM says so."""
    if b"ENCRYPTED" in data:  # PEM: `Proc-Type: 4,ENCRYPTED` or `BEGIN ENCRYPTED PRIVATE KEY`
        return True
    if b"BEGIN OPENSSH PRIVATE KEY" not in data:
        return False
    body = "".join(line.strip() for line in data.decode("ascii", "replace").splitlines() if "-----" not in line)
    try:
        raw = base64.b64decode(body)
        magic = b"openssh-key-v1\0"
        return raw.startswith(magic) and Reader(raw[len(magic) :]).string("the cipher") != b"none"
    except (binascii.Error, ValueError):
        return False
