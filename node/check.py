"""`roost check`: is this home's library sound, and if not, what to do about it.

It reads everything, changes nothing (unless asked to repair), and reports each problem with
the one action that fixes it:

- every table reads in full (a truncated or missing data file shows here);
- every table's key (the column marked as primary key) is unique;
- every face's photo is in `media`, and every file's content too (the index writes faces,
  then media, then files, so anything else is damage, never an interrupted run);
- the label log reads and folds;
- the family identity, if any, loads (keys readable and matching), and the revocation list
  reads; keys stored unencrypted are a warning, not a problem.

`repair` fixes what can be fixed without losing anything the user said: it keeps one row per
duplicated key, and deletes faces without a photo and files whose content is missing, so the
next `roost index` processes those photos again. An unreadable table, or label events that do
not fold, it leaves to the person, with what to restore.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from node.family import has_identity
from node.family import identity as identity_files
from node.family.keys import PLAIN_WARNING, Protection
from node.family.revocations import REVOCATION_FILE, RevocationStore
from node.library.store import Library, in_clauses, write_lock
from node.people.events import EventLog
from node.settings import Home
from protocol.errors import RoostError
from protocol.labels import fold

_PRIMARY_KEY = b"lance-schema:unenforced-primary-key"
# What indexing recomputes from the photos, and what it derives from them.
INDEX_TABLES = ("files", "media", "faces")
DERIVED_TABLES = ("clusters", "places", "people_state")
LABELS_TABLE = "label_events"
# What reading a damaged table raises from LanceDB and Arrow.
_READ_ERRORS = (OSError, RuntimeError, ValueError, pa.ArrowException)


class Severity(StrEnum):
    PROBLEM = "problem"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    what: str
    fix: str


def check(home: Home) -> list[Finding]:
    """Everything wrong with `home`, problems first."""
    if not has_identity(home.identity) and not (home.library / "library.json").exists():
        what = f"{home.root} holds neither a library nor a family identity"
        fix = "give the right --home, or start with `roost index PATH`"
        return [Finding(Severity.PROBLEM, what, fix)]
    findings = [*_check_identity(home), *_check_library(home)]
    return sorted(findings, key=lambda f: f.severity != Severity.PROBLEM)


def repair(home: Home) -> list[str]:
    """Fix what `check` marks as repairable, under the index lock and then the labels lock
    (the label log and people state are deduplicated too); what was done."""
    with write_lock(home.library_lock):
        library = Library.open(home.library)
        with library.labels_lock():
            done = [_dedupe(library, name) for name in _table_names(library)]
        media = set(_column(library.media, "hash"))
        done.append(_delete_unless(library.faces, "id", "media_hash", media, "faces"))
        done.append(_delete_unless(library.files, "path", "hash", media, "files"))
        done.append(_forget_stages(library, media))
    return [line for line in done if line]


def _check_identity(home: Home) -> list[Finding]:
    if not has_identity(home.identity):
        return []
    try:
        identity = identity_files.load(home.identity)
        RevocationStore(home.identity / REVOCATION_FILE, identity.ca_certificate).current()
    except RoostError as exc:
        fix = (
            "restore <home>/identity from a backup; an admin device can also restore its CA "
            "key with `roost family restore`, and a member can join again with a new code"
        )
        return [Finding(Severity.PROBLEM, str(exc), fix)]
    if identity.protection is Protection.PLAIN:
        return [Finding(Severity.WARNING, PLAIN_WARNING, "use full-disk encryption")]
    return []


def _check_library(home: Home) -> list[Finding]:
    if not (home.library / "library.json").exists():
        return []
    try:
        library = Library.open(home.library)
    except (RoostError, *_READ_ERRORS) as exc:
        fix = "move <home>/library aside and run `roost index` on your folders again"
        return [Finding(Severity.PROBLEM, f"the library cannot be opened: {exc}", fix)]
    findings: list[Finding] = []
    tables: dict[str, pa.Table] = {}
    for name in _table_names(library):
        try:
            tables[name] = library.table(name, pa.schema([])).to_arrow()
        except _READ_ERRORS as exc:
            findings.append(Finding(Severity.PROBLEM, f"{name} cannot be read: {exc}", _lost(name)))
    for name, table in tables.items():
        key = _key(table.schema)
        duplicates = table.num_rows - len(set(table.column(key).to_pylist())) if key else 0
        if duplicates:
            what = f"{name}: {duplicates} rows repeat a {key} another row has"
            findings.append(Finding(Severity.PROBLEM, what, "run `roost check --repair`"))
    faces = library.meta.space.faces  # the faces table of the library's embedding space
    if {"media", faces, "files"} <= tables.keys():
        media = set(tables["media"].column("hash").to_pylist())
        for name, column, rows in ((faces, "media_hash", "faces"), ("files", "hash", "files")):
            missing = _count_unless(tables[name].column(column).to_pylist(), media)
            if missing:
                what = f"{missing} {rows} point at photos that are not in media"
                fix = "run `roost check --repair`, then `roost index` on your folders"
                findings.append(Finding(Severity.PROBLEM, what, fix))
    if LABELS_TABLE in tables:
        findings.extend(_check_labels(library))
    return findings


def _check_labels(library: Library) -> list[Finding]:
    try:
        fold(EventLog(library).read())
    except (ValueError, TypeError, KeyError, AssertionError, RoostError) as exc:
        what = f"the label log does not fold: {exc!r}"
        return [Finding(Severity.PROBLEM, what, _lost(LABELS_TABLE))]
    return []


def _lost(name: str) -> str:
    path = f"<home>/library/{name}.lance"
    if name in DERIVED_TABLES:
        return f"remove {path} and run `roost index`: it is computed again"
    if name in INDEX_TABLES or name.startswith("faces"):
        tables = " and ".join(f"{t}.lance" for t in INDEX_TABLES)
        return f"remove {tables} and run `roost index` on your folders; labels are kept"
    return (
        f"restore {path} from a backup of this home; the events family devices hold come "
        "back with `roost sync`"
    )


def _table_names(library: Library) -> list[str]:
    return sorted(p.name.removesuffix(".lance") for p in library.root.glob("*.lance"))


def _key(schema: pa.Schema) -> str | None:
    return next((f.name for f in schema if (f.metadata or {}).get(_PRIMARY_KEY) == b"true"), None)


def _column(table: Any, name: str) -> list[Any]:
    return list(table.search().select([name]).limit(None).to_arrow().column(name).to_pylist())


def _count_unless(values: Iterable[Any], allowed: set[Any]) -> int:
    return sum(value not in allowed for value in values)


def _dedupe(library: Library, name: str) -> str:
    """Keep the first row of each repeated key (rows with one key are copies of one record).
    A table that cannot be read is left as it is: `check` says what to do about it."""
    table = library.table(name, pa.schema([]))
    try:
        rows = table.to_arrow()
    except _READ_ERRORS:
        return ""
    key = _key(rows.schema)
    if key is None:
        return ""
    counts = pc.value_counts(rows.column(key)).to_pylist()
    repeated = sorted(c["values"] for c in counts if c["counts"] > 1)
    if not repeated:
        return ""
    keep = rows.filter(pc.is_in(rows.column(key), pa.array(repeated)))
    firsts = pa.Table.from_pylist(list({r[key]: r for r in reversed(keep.to_pylist())}.values()))
    for predicate in in_clauses(key, repeated):
        table.delete(predicate)
    table.add(firsts.cast(rows.schema))
    return f"{name}: {len(repeated)} repeated {key}s now have one row each"


def _delete_unless(table: Any, key: str, column: str, allowed: set[str], what: str) -> str:
    rows = table.search().select([key, column]).limit(None).to_arrow().to_pylist()
    doomed = sorted(r[key] for r in rows if r[column] not in allowed)
    for predicate in in_clauses(key, doomed):
        table.delete(predicate)
    return f"{what}: deleted {len(doomed)} whose photo is missing" if doomed else ""


def _forget_stages(library: Library, media: set[str]) -> str:
    """Drop the done markers of content that is not in media, so indexing redoes all of it."""
    rows = library.stages.search().select(["hash"]).limit(None).to_arrow()
    doomed = sorted({h for h in rows.column("hash").to_pylist() if h not in media})
    for predicate in in_clauses("hash", doomed):
        library.stages.delete(predicate)
    return f"stages: forgot what was done for {len(doomed)} missing photos" if doomed else ""


def describe(findings: list[Finding], out: Callable[[str], None] = print) -> None:
    """Print findings as a person reads them."""
    for finding in findings:
        out(f"{finding.severity.upper()}: {finding.what}")
        out(f"  what to do: {finding.fix}")
    if not findings:
        out("The library and identity are sound.")
