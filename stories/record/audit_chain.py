"""The audit trail, chained: each simple-history row's ``chain_hash`` is an HMAC, under
the site's audit key, of the previous row's ``chain_hash`` in the same table and a digest
of this row, so ``manage.py verify_revisions`` reports a row rewritten or deleted even by
someone who lifted the append-only triggers (the database's owner, a superuser).

Why keyed: an attacker who owns the database can recompute a plain hash chain after a
rewrite. The key (``NEWSROOM_AUDIT_KEY``) lives in the application's environment, not in
the database, so the chain can only be made whole again by someone who holds both.
What it cannot show: rows cut from the end of a table (nothing follows them). The
versions' own audit rows are covered anyway, since every version must have its
creation row (``verify``).

Writing (``chain_new_row``, simple-history's ``pre_create_historical_record``): inside
the writer's transaction (``models.base.AuditTrail`` opens one if there is none) it takes
the audit trail's lock, reads the newest row's ``chain_hash`` and links the new row to
it, so two writers appending to one table queue, as publishes queue for the
transparency log. One lock for every table, not one each: writers that touch several
tables in different orders never wait for each other in a circle.

The digest covers every column of the row but ``history_id`` (given by the database as
the row is inserted; the chain's order is its order) and ``chain_hash`` itself, as the
values Django would read back: canonical JSON, keys sorted, times in UTC. A migration that
adds or removes a column of an audited model changes what old rows digest to: wrap it in
``rechained`` (which checks the chain before, and links it again after).

A legal removal is the one sanctioned rewrite (``stories.record.removal``): it checks
the chain of each table it redacts, rewrites the rows, links the table again from the
first of them (``chain_table``, under the key) and records which rows it rewrote in a
``Redaction``; ``verify`` then passes and says so.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections, migrations, router
from django.db.models import Model

from stories.models import Redaction, Revision
from stories.models.base import ChainedHistoryRow

from . import append_only

#: The link before a table's first row.
GENESIS = "0" * 64
#: Columns the digest leaves out: the row's id (its place) and the link itself.
NOT_DIGESTED = frozenset({"history_id", "chain_hash"})
#: Rows read per round trip while verifying or chaining a table.
CHUNK = 2000
#: The key of the PostgreSQL advisory lock that serialises appends to the audit trail
#: ("NEWSAUD" in ASCII; the transparency log's is "NEWSLOG").
LOCK_KEY = 0x4E455753415544


# -- the hashes ------------------------------------------------------------------------------


def digested_fields(model: type[Model]) -> list:
    return sorted(
        (f for f in model._meta.concrete_fields if f.attname not in NOT_DIGESTED),
        key=lambda f: f.attname,
    )


def digest(model: type[Model], values: dict) -> str:
    """SHA-256 of an audit row of ``model``, ``values`` by column attribute name."""
    payload = {"table": model._meta.db_table}
    for column in digested_fields(model):
        payload[column.attname] = _plain(column.to_python(values[column.attname]))
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def link(previous: str, row_digest: str) -> str:
    """The chain hash of a row: HMAC-SHA256, under the audit key, of the previous row's
    chain hash and this row's digest."""
    key = bytes.fromhex(settings.AUDIT_CHAIN_KEY)
    message = bytes.fromhex(previous) + bytes.fromhex(row_digest)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _plain(value):
    """A column's value as JSON writes it the same way before the insert and after a read."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, tuple):
        return list(value)
    return value


# -- writing ---------------------------------------------------------------------------------


def chained_models() -> list[type[Model]]:
    """Every history model whose rows are chained (every audit table)."""
    from simple_history.models import registered_models
    from simple_history.utils import get_history_model_for_model

    found = (get_history_model_for_model(model) for model in registered_models.values())
    return sorted(
        (model for model in found if issubclass(model, ChainedHistoryRow)),
        key=lambda model: model._meta.db_table,
    )


def chain_new_row(sender, history_instance, using=None, **kwargs) -> None:
    """``pre_create_historical_record``: link the row about to be inserted to the newest
    row of its table, under the table's lock (held until the transaction ends)."""
    if isinstance(history_instance, ChainedHistoryRow):
        link_new_rows(sender, [history_instance], using)


def link_new_rows(model: type[Model], rows: list, using: str | None = None) -> None:
    """Chain audit rows of ``model`` about to be inserted, in this order, after the
    table's newest row: what simple-history's own writes get, for a writer that inserts
    rows in bulk. Call it inside the transaction that inserts them."""
    database = using or router.db_for_write(model)
    lock(connections[database])
    previous = (
        model._base_manager.using(database)
        .order_by("-history_id")
        .values_list("chain_hash", flat=True)
        .first()
    ) or GENESIS
    columns = digested_fields(model)
    for row in rows:
        values = {column.attname: getattr(row, column.attname) for column in columns}
        row.chain_hash = previous = link(previous, digest(model, values))


def lock(connection) -> None:
    """Hold the audit trail's lock until the transaction ends. On PostgreSQL, a
    transaction-level advisory lock, one for every audit table: writers queue in one
    line, so no two can ever wait for each other's table; on SQLite every write
    transaction holds the database's write lock already (``IMMEDIATE``)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


# -- migrations ------------------------------------------------------------------------------


def chain_table(model: type[Model], using: str, after: int = 0) -> int:
    """Link the rows of ``model``'s table again, in order, from the rows as stored: every
    row, or those after ``history_id`` ``after`` (chained to the row before them). For a
    migration or a legal removal, in their transaction, which takes the table's lock and
    lifts its triggers. Returns how many rows it linked."""
    connection = connections[using]
    table = model._meta.db_table
    lock(connection)
    names = [column.attname for column in digested_fields(model)]
    rows = model._base_manager.using(using).order_by("history_id")
    previous = (
        rows.filter(history_id__lte=after).values_list("chain_hash", flat=True).last() or GENESIS
    )
    links = []
    for history_id, *values in (
        rows.filter(history_id__gt=after)
        .values_list("history_id", *names)
        .iterator(chunk_size=CHUNK)
    ):
        previous = link(previous, digest(model, dict(zip(names, values, strict=True))))
        links.append((previous, history_id))
    quote = connection.ops.quote_name
    with append_only.lifted([table], using=using), connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(table)} SET chain_hash = %s WHERE history_id = %s", links
        )
    return len(links)


def rechained(history_model_name: str, *operations, app_label: str = "stories") -> list:
    """Migration operations that change the columns of an audit table, between a check
    that its chain is whole (refusing, as ``rehash_and_log_published_versions`` does, to
    launder tampering into a valid chain) and a new chain over the rows as they are after.

        operations = audit_chain.rechained("historicalstory", migrations.AddField(...))
    """

    def check(apps, schema_editor):
        model = apps.get_model(app_label, history_model_name)
        broken = verify_table(model, schema_editor.connection.alias)
        if broken:
            raise RuntimeError(
                f"Refusing to chain {model._meta.db_table} again: its chain is already "
                "broken (manage.py verify_revisions):\n" + "\n".join(broken)
            )

    def chain(apps, schema_editor):
        model = apps.get_model(app_label, history_model_name)
        chain_table(model, schema_editor.connection.alias)

    return [
        migrations.RunPython(check, migrations.RunPython.noop),
        *operations,
        migrations.RunPython(chain, migrations.RunPython.noop),
    ]


# -- verifying ------------------------------------------------------------------------------


@dataclass
class Report:
    """What ``verify`` found: problems, and notes (the legal removals that rewrote rows)."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def verify(using: str | None = None) -> Report:
    """Every audit table's chain, and every version's creation row; notes for the rows
    legal removals rewrote (and linked again)."""
    using = using or router.db_for_read(Redaction)
    report = Report()
    for model in chained_models():
        report.problems += verify_table(model, using)
    history = Revision.history.model.objects.using(using).filter(history_type="+")
    missing = (
        Revision.objects.using(using)
        .exclude(pk__in=history.values("id"))
        .order_by("story__slug", "number")
        .values_list("story__slug", "number")
    )
    report.problems += [
        f"{slug} version {number} has no creation row in the audit trail (deleted)"
        for slug, number in missing
    ]
    for redaction in Redaction.objects.using(using).select_related("story").order_by("pk"):
        versions = ", ".join(map(str, redaction.versions))
        report.notes.append(
            f"{len(redaction.rows)} audit rows rewritten by the legal removal of "
            f"{redaction.story.slug} version {versions} on {redaction.redacted_at:%Y-%m-%d} "
            f"({redaction.reason})"
        )
    return report


def verify_table(model: type[Model], using: str) -> list[str]:
    """Problems in one audit table's chain, its rows streamed in order."""
    table = model._meta.db_table
    names = [column.attname for column in digested_fields(model)]
    rows = (
        model._base_manager.using(using)
        .order_by("history_id")
        .values_list("history_id", "chain_hash", *names)
        .iterator(chunk_size=CHUNK)
    )
    problems, previous = [], GENESIS
    for history_id, stored, *values in rows:
        where = f"{table} row {history_id}"
        if not stored:
            problems.append(f"{where} is not chained (written around the audit trail)")
            continue
        expected = link(previous, digest(model, dict(zip(names, values, strict=True))))
        if not hmac.compare_digest(expected, stored):
            problems.append(
                f"{where} does not follow from the row before it: it was rewritten, or "
                "rows before it were deleted"
            )
        previous = stored
    return problems
