"""The tamper-evidence chain's format: how a stored event row is hashed, how hashes are linked,
and what a signed checkpoint says.

An event's hash covers the row exactly as stored (notification id, originator id and version,
topic, state bytes), never a decoded object: erasing a customer's key leaves the stored
ciphertext, and so the chain, unchanged. Position k of the chain links event k of the global
sequence: chain_k = SHA-256(chain_{k-1} || event_hash_k), chain_0 = 32 zero bytes. Positions
are contiguous (1, 2, 3, ...) while notification ids may have gaps (rolled-back inserts burn
sequence values); each link records the notification id it chained, and the event hash covers
that id, so a gap is just a jump in ids while a deleted event is a chained id that is gone.

A checkpoint is a signed statement "position P (notification id N) has chain hash C, at time T",
together with the (notification id, event hash) pairs since the previous checkpoint. The pairs
are authenticated by the signature: they fold from the previous checkpoint's chain hash to C,
and their digest is signed. So the checkpoint files alone say what every anchored event hashed
to, and a verifier can name the exact event that changed even when the chain table was rewritten.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GENESIS = bytes(32)
EVENT_HASH_DOMAIN = b"reseller-ledger.event.v1\x00"
CHECKPOINT_FORMAT = 1
CHECKPOINT_FILE_GLOB = "checkpoints-*.jsonl"

CHAIN_DDL = (
    "CREATE SCHEMA IF NOT EXISTS integrity",
    "CREATE TABLE IF NOT EXISTS integrity.chain ("
    " position bigint PRIMARY KEY CHECK (position > 0),"
    " notification_id bigint NOT NULL UNIQUE,"
    " event_hash bytea NOT NULL,"
    " chain_hash bytea NOT NULL,"
    " chained_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE IF NOT EXISTS integrity.store_identity ("
    " id int PRIMARY KEY CHECK (id = 1), store_id uuid NOT NULL)",
    "INSERT INTO integrity.store_identity (id, store_id) VALUES (1, gen_random_uuid()) "
    "ON CONFLICT (id) DO NOTHING",
)


def event_hash(
    notification_id: int, originator_id: UUID, originator_version: int, topic: str, state: bytes
) -> bytes:
    """SHA-256 of a stored event row, each field length-prefixed so fields cannot run together."""
    topic_bytes = topic.encode()
    digest = hashlib.sha256(EVENT_HASH_DOMAIN)
    digest.update(notification_id.to_bytes(8, "big", signed=True))
    digest.update(originator_id.bytes)
    digest.update(originator_version.to_bytes(8, "big", signed=True))
    digest.update(len(topic_bytes).to_bytes(4, "big"))
    digest.update(topic_bytes)
    digest.update(len(state).to_bytes(8, "big"))
    digest.update(state)
    return digest.digest()


def link(previous_chain_hash: bytes, this_event_hash: bytes) -> bytes:
    return hashlib.sha256(previous_chain_hash + this_event_hash).digest()


def fold(previous_chain_hash: bytes, event_hashes: Iterable[bytes]) -> bytes:
    chain_hash = previous_chain_hash
    for each in event_hashes:
        chain_hash = link(chain_hash, each)
    return chain_hash


def segment_digest(entries: Iterable[tuple[int, bytes]]) -> bytes:
    """Binds each notification id to its event hash in the signed part of a checkpoint."""
    digest = hashlib.sha256(b"reseller-ledger.segment.v1\x00")
    for notification_id, hashed in entries:
        digest.update(notification_id.to_bytes(8, "big", signed=True))
        digest.update(hashed)
    return digest.digest()


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


@dataclass(frozen=True)
class Checkpoint:
    store_id: str
    position: int
    notification_id: int
    chain_hash: bytes
    previous_position: int
    previous_chain_hash: bytes
    signed_at: datetime
    key_id: str
    entries: tuple[tuple[int, bytes], ...]  # (notification id, event hash) after previous
    signature: bytes = b""

    def signed_message(self) -> bytes:
        fields = {
            "format": CHECKPOINT_FORMAT,
            "store_id": self.store_id,
            "position": self.position,
            "notification_id": self.notification_id,
            "chain_hash": self.chain_hash.hex(),
            "previous_position": self.previous_position,
            "previous_chain_hash": self.previous_chain_hash.hex(),
            "signed_at": self.signed_at.isoformat(),
            "key_id": self.key_id,
            "segment_digest": segment_digest(self.entries).hex(),
        }
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def signed_with(self, private_key: Ed25519PrivateKey) -> Checkpoint:
        unsigned = Checkpoint(**{**self.__dict__, "signature": b""})
        return Checkpoint(
            **{**self.__dict__, "signature": private_key.sign(unsigned.signed_message())}
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": CHECKPOINT_FORMAT,
                "store_id": self.store_id,
                "position": self.position,
                "notification_id": self.notification_id,
                "chain_hash": self.chain_hash.hex(),
                "previous_position": self.previous_position,
                "previous_chain_hash": self.previous_chain_hash.hex(),
                "signed_at": self.signed_at.isoformat(),
                "key_id": self.key_id,
                "signature": self.signature.hex(),
                "events": [[nid, hashed.hex()] for nid, hashed in self.entries],
            },
            separators=(",", ":"),
        )

    @staticmethod
    def from_json(line: str) -> Checkpoint:
        data: dict[str, Any] = json.loads(line)
        if data.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"unknown checkpoint format {data.get('format')!r}")
        return Checkpoint(
            store_id=str(data["store_id"]),
            position=int(data["position"]),
            notification_id=int(data["notification_id"]),
            chain_hash=bytes.fromhex(data["chain_hash"]),
            previous_position=int(data["previous_position"]),
            previous_chain_hash=bytes.fromhex(data["previous_chain_hash"]),
            signed_at=datetime.fromisoformat(data["signed_at"]),
            key_id=str(data["key_id"]),
            entries=tuple((int(nid), bytes.fromhex(hashed)) for nid, hashed in data["events"]),
            signature=bytes.fromhex(data["signature"]),
        )

    def defect(self, trusted_keys: dict[str, Ed25519PublicKey]) -> str | None:
        """Why this checkpoint cannot be trusted on its own, or None when it can."""
        key = trusted_keys.get(self.key_id)
        if key is None:
            return f"signed by key {self.key_id}, which is not a trusted checkpoint key"
        try:
            key.verify(self.signature, self.signed_message())
        except InvalidSignature:
            return "its signature does not verify (the checkpoint was edited or forged)"
        if len(self.entries) != self.position - self.previous_position or not self.entries:
            return "it lists a different number of events than its positions span"
        ids = [nid for nid, _ in self.entries]
        if any(b <= a for a, b in itertools.pairwise(ids)):
            return "its notification ids are not increasing"
        if ids[-1] != self.notification_id:
            return "its last listed event is not its notification id"
        if fold(self.previous_chain_hash, (h for _, h in self.entries)) != self.chain_hash:
            return "its listed event hashes do not fold to its chain hash"
        return None


@dataclass(frozen=True)
class CheckpointLine:
    file: Path
    line_number: int
    checkpoint: Checkpoint | None
    error: str | None = None


def checkpoint_files(directory: Path) -> list[Path]:
    return sorted(directory.glob(CHECKPOINT_FILE_GLOB)) if directory.is_dir() else []


def read_checkpoint_lines(directory: Path) -> Iterator[CheckpointLine]:
    for path in checkpoint_files(directory):
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield CheckpointLine(path, number, Checkpoint.from_json(line))
                except (ValueError, KeyError, TypeError) as error:
                    yield CheckpointLine(path, number, None, f"unreadable: {error}")


def _last_line(path: Path, block_size: int = 65_536) -> bytes:
    """The file's last non-empty line, read from the end (the files grow all day)."""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        tail = b""
        while end > 0:
            start = max(0, end - block_size)
            handle.seek(start)
            tail = handle.read(end - start) + tail
            end = start
            stripped = tail.rstrip(b"\n")
            if b"\n" in stripped:
                return stripped.rsplit(b"\n", 1)[1]
        return tail.strip()


def last_checkpoint(directory: Path) -> Checkpoint | None:
    """The most recently written checkpoint (the chainer continues from it)."""
    for path in reversed(checkpoint_files(directory)):
        line = _last_line(path)
        if line:
            return Checkpoint.from_json(line.decode())
    return None
