"""`ledger verify`: recompute the tamper-evidence chain from the events table and hold it against
the chain table and every exported, signed checkpoint; name the first bad position.

Three sources, compared in one read-only snapshot of the database:
- the checkpoint files (outside the database): each line's signature, its event hashes folding
  to its chain hash, and each line following the one before. A valid line is an authentic
  statement of what every event it covers hashed to;
- the chain table: contiguous positions, each chain hash linking the previous one, and agreeing
  with the checkpoints (where a checkpoint covers a position, its value is the reference);
- the events table: every row, re-hashed as stored, merged with the reference by notification id.
  A reference id missing from the table is a deleted event; a row whose id the reference skips
  is an inserted event; a row that hashes differently was changed (or reordered).

What it cannot see: positions after the last valid checkpoint are vouched for by the chain table
only, so somebody able to write the database can rewrite events there together with the chain
and stay unseen; the report names that unanchored range. Deleting the newest checkpoint lines
together with the events they cover is likewise invisible from the files alone: ship the
checkpoints somewhere the database's operators cannot rewrite (the report shows the newest
checkpoint's time so an auditor can compare it with their own copy).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from psycopg import sql as pgsql

from replays.chain import GENESIS, event_hash, link, read_checkpoint_lines

MAX_PROBLEMS_KEPT = 10_000
READ_BATCH = 2_000


@dataclass(frozen=True)
class Problem:
    position: int
    notification_id: int | None
    kind: str  # event_changed, event_deleted, event_inserted, chain_*, checkpoint_*
    detail: str

    def describe(self) -> str:
        at = f"position {self.position}"
        if self.notification_id is not None:
            at += f" (notification id {self.notification_id})"
        return f"{at}: {self.kind}: {self.detail}"


@dataclass
class VerifyReport:
    store_id: str
    events: int = 0
    chain_head: int = 0
    chain_head_notification_id: int | None = None
    checkpoints_read: int = 0
    checkpoints_valid: int = 0
    anchored_position: int = 0
    anchored_notification_id: int | None = None
    anchored_at: datetime | None = None
    unanchored_first_notification_id: int | None = None
    unchained_events: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def first_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def add(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(problem)

    def lines(self, shown: int = 20) -> list[str]:
        out: list[str] = []
        first = self.first_problem
        if first is not None:
            out.append(f"TAMPERED: store {self.store_id}: first bad {first.describe()}")
            out.append(
                f"{self.problem_count} problem(s); the first {min(shown, self.problem_count)}:"
            )
            out.extend(f"  {p.describe()}" for p in self.problems[:shown])
        else:
            out.append(
                f"ok: store {self.store_id}: {self.events} events; chain positions "
                f"1..{self.chain_head} match the events table; {self.checkpoints_valid} "
                f"signed checkpoint(s) verified"
            )
        if self.anchored_position:
            out.append(
                f"anchored through position {self.anchored_position} (notification id "
                f"{self.anchored_notification_id}) by the checkpoint signed at "
                f"{self.anchored_at.isoformat() if self.anchored_at else '?'}"
            )
        else:
            out.append("no signed checkpoint anchors any position yet")
        if self.chain_head > self.anchored_position:
            out.append(
                f"positions {self.anchored_position + 1}..{self.chain_head} (notification ids "
                f"{self.unanchored_first_notification_id}..{self.chain_head_notification_id}) "
                "are chained but not yet anchored by a signed checkpoint: a consistent rewrite "
                "of those events together with the chain table would not be detected"
            )
        if self.unchained_events:
            out.append(f"{self.unchained_events} event(s) after the chain head are not chained yet")
        return out


@dataclass
class _Anchors:
    entries: dict[int, tuple[int, bytes]] = field(default_factory=dict)
    chain_hashes: dict[int, bytes] = field(default_factory=dict)


def _read_checkpoints(
    report: VerifyReport, directory: Path, trusted_keys: dict[str, Ed25519PublicKey]
) -> _Anchors:
    anchors = _Anchors()
    last_position, last_hash = 0, GENESIS
    for line in read_checkpoint_lines(directory):
        report.checkpoints_read += 1
        where = f"{line.file.name} line {line.line_number}"
        checkpoint = line.checkpoint
        if checkpoint is None:
            report.add(
                Problem(last_position + 1, None, "checkpoint_unreadable", f"{where}: {line.error}")
            )
            continue
        at = (checkpoint.position, checkpoint.notification_id)
        if checkpoint.store_id != report.store_id:
            report.add(
                Problem(*at, "checkpoint_foreign", f"{where}: names store {checkpoint.store_id}")
            )
            continue
        defect = checkpoint.defect(trusted_keys)
        if defect is not None:
            report.add(Problem(*at, "checkpoint_invalid", f"{where}: {defect}"))
            continue
        previous = (checkpoint.previous_position, checkpoint.previous_chain_hash)
        if previous != (last_position, last_hash):
            if checkpoint.previous_position > last_position:
                report.add(
                    Problem(
                        checkpoint.previous_position,
                        None,
                        "checkpoint_missing",
                        f"{where} follows a checkpoint at position {checkpoint.previous_position} "
                        f"that is not in the files (the last verified one is at {last_position})",
                    )
                )
            else:
                report.add(
                    Problem(
                        *at,
                        "checkpoint_out_of_sequence",
                        f"{where} does not extend the previous checkpoint",
                    )
                )
        for offset, entry in enumerate(checkpoint.entries, start=1):
            position = checkpoint.previous_position + offset
            known = anchors.entries.get(position)
            if known is not None and known != entry:
                report.add(
                    Problem(
                        position,
                        entry[0],
                        "checkpoint_conflict",
                        f"{where} contradicts an earlier checkpoint",
                    )
                )
            anchors.entries[position] = entry
        anchors.chain_hashes[checkpoint.position] = checkpoint.chain_hash
        report.checkpoints_valid += 1
        if checkpoint.position > report.anchored_position:
            report.anchored_position = checkpoint.position
            report.anchored_notification_id = checkpoint.notification_id
            report.anchored_at = checkpoint.signed_at
        last_position, last_hash = checkpoint.position, checkpoint.chain_hash
    return anchors


def _rows(
    conn: psycopg.Connection[Any], name: str, query: pgsql.Composed | pgsql.SQL
) -> Iterator[Any]:
    with conn.cursor(name=name) as cursor:
        cursor.itersize = READ_BATCH
        cursor.execute(query)
        yield from cursor


def _reference(
    conn: psycopg.Connection[Any], report: VerifyReport, anchors: _Anchors
) -> Iterator[tuple[int, int, bytes]]:
    """(position, notification id, event hash) as the chain should be: checkpoint values where a
    checkpoint covers the position, else the chain table's, checking the table on the way."""
    expected_position, previous_hash, previous_id = 1, GENESIS, 0
    query = pgsql.SQL(
        "SELECT position, notification_id, event_hash, chain_hash FROM integrity.chain "
        "ORDER BY position"
    )
    for position, notification_id, stored_event_hash, stored_chain_hash in _rows(
        conn, "chain_rows", query
    ):
        hashed, chain_hash = bytes(stored_event_hash), bytes(stored_chain_hash)
        if position != expected_position:
            report.add(
                Problem(
                    expected_position,
                    None,
                    "chain_gap",
                    f"the chain table has no row until position {position}",
                )
            )
        if chain_hash != link(previous_hash, hashed):
            report.add(
                Problem(
                    position,
                    notification_id,
                    "chain_broken",
                    "its chain hash does not follow from the previous position's",
                )
            )
        if notification_id <= previous_id:
            report.add(
                Problem(
                    position, notification_id, "chain_broken", "notification ids do not increase"
                )
            )
        reference = (int(notification_id), hashed)
        anchored = anchors.entries.get(position)
        if anchored is not None and anchored != reference:
            report.add(
                Problem(
                    position,
                    anchored[0],
                    "chain_rewritten",
                    "the chain table's row differs from the one the signed checkpoints record",
                )
            )
            reference = anchored
        signed = anchors.chain_hashes.get(position)
        if signed is not None and signed != chain_hash:
            report.add(
                Problem(
                    position,
                    reference[0],
                    "checkpoint_mismatch",
                    "the chain table's hash here differs from the signed checkpoint's",
                )
            )
        if position > report.anchored_position and report.unanchored_first_notification_id is None:
            report.unanchored_first_notification_id = int(notification_id)
        report.chain_head, report.chain_head_notification_id = position, int(notification_id)
        expected_position, previous_hash, previous_id = position + 1, chain_hash, notification_id
        yield position, reference[0], reference[1]
    missing_from_table = sorted(p for p in anchors.entries if p > report.chain_head)
    if missing_from_table:
        first = missing_from_table[0]
        report.add(
            Problem(
                first,
                anchors.entries[first][0],
                "chain_truncated",
                f"the chain table ends at position {report.chain_head} but signed checkpoints "
                f"reach position {missing_from_table[-1]}",
            )
        )
        for position in missing_from_table:
            yield position, *anchors.entries[position]


def verify_store(
    conn: psycopg.Connection[Any],
    events_table: pgsql.Composable,
    checkpoint_dir: Path,
    trusted_keys: dict[str, Ed25519PublicKey],
) -> VerifyReport:
    """Run inside one transaction (REPEATABLE READ for a consistent snapshot); reads only."""
    row = conn.execute("SELECT store_id FROM integrity.store_identity WHERE id = 1").fetchone()
    report = VerifyReport(store_id=str(row[0]) if row else "unknown")
    anchors = _read_checkpoints(report, checkpoint_dir / report.store_id, trusted_keys)
    events = _rows(
        conn,
        "event_rows",
        pgsql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {} ORDER BY notification_id"
        ).format(events_table),
    )
    references = _reference(conn, report, anchors)
    event = next(events, None)
    reference = next(references, None)
    while event is not None:
        notification_id = int(event[0])
        report.events += 1
        if reference is None:
            report.unchained_events += 1
            event = next(events, None)
            continue
        position, expected_id, expected_hash = reference
        if notification_id == expected_id:
            actual = event_hash(notification_id, event[1], int(event[2]), event[3], bytes(event[4]))
            if actual != expected_hash:
                report.add(
                    Problem(
                        position,
                        notification_id,
                        "event_changed",
                        "the stored event no longer hashes to its chained hash",
                    )
                )
            event, reference = next(events, None), next(references, None)
        elif notification_id < expected_id:
            report.add(
                Problem(
                    position,
                    notification_id,
                    "event_inserted",
                    f"an event that was never chained sits before position {position}",
                )
            )
            event = next(events, None)
        else:
            report.add(
                Problem(
                    position,
                    expected_id,
                    "event_deleted",
                    "the chained event is missing from the events table",
                )
            )
            reference = next(references, None)
    while reference is not None:
        report.add(
            Problem(
                reference[0],
                reference[1],
                "event_deleted",
                "the chained event is missing from the events table",
            )
        )
        reference = next(references, None)
    report.problems.sort(key=lambda p: (p.position, p.kind))
    return report
