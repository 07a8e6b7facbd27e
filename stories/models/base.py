"""What every editorial model shares: an audit trail that records real changes only, each
row chained to the one before, public addresses that never move, and rows that, once
written, are never rewritten.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from simple_history.models import HistoricalRecords

from stories import audit


class ChainedHistoryRow(models.Model):
    """What every audit row adds to simple-history's: its link in its table's chain."""

    chain_hash = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="HMAC of the previous row's chain hash and this row's digest "
        "(stories/record/audit_chain.py).",
    )

    class Meta:
        abstract = True


class AuditTrail(HistoricalRecords):
    """simple-history's records, each row chained to the one before it in its table
    (``stories.record.audit_chain`` fills ``chain_hash`` as the row is written), and the
    user of each row from the request, else from ``audit.acting_as``.

    The chain's lock, the read of the previous row and the insert run in one transaction
    (the caller's, or one of their own), so that two writers never chain to the same row.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("get_user", audit.history_user)
        super().__init__(bases=[ChainedHistoryRow], **kwargs)

    def create_historical_record(self, instance, history_type, using=None):
        database = using if (using and self.use_base_model_db) else None
        database = database or router.db_for_write(type(instance), instance=instance)
        with transaction.atomic(using=database, savepoint=False):
            super().create_historical_record(instance, history_type, using)


class EditorialHistory(AuditTrail):
    """The audit trail of an editorial model, indexed for the question every History
    page asks: the rows of one object (or one story's credits), newest first. Without the
    index the database sorts every row of a long-running story to show the latest fifty."""

    def __init__(self, *, timeline_of: str = "id", **kwargs):
        super().__init__(**kwargs)
        self.timeline_of = timeline_of

    def get_meta_options(self, model):
        options = super().get_meta_options(model)
        options["indexes"] = (
            models.Index(
                fields=[self.timeline_of, "-history_date", "-history_id"],
                name=f"{model._meta.model_name}_timeline",
            ),
        )
        return options


def history(**kwargs):
    """Every editorial model keeps its history the same way: the user of each row comes
    from the request, else from ``audit.acting_as`` (commands, imports)."""
    return EditorialHistory(**kwargs)


class SkipUnchangedSavesMixin(models.Model):
    """A save that changes nothing writes nothing, so the audit trail holds no noise.

    django-simple-history writes a row on every ``save()``; comparing against the values
    loaded from the database skips those empty saves, and the per-save history user and
    reason are cleared afterwards so they never stick to the next save.
    """

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_values = dict(zip(field_names, values, strict=True))
        return instance

    def save(self, *args, **kwargs):
        try:
            if self.has_unsaved_changes() or kwargs.get("force_insert"):
                self.before_changed_save()
                super().save(*args, **kwargs)
                self._loaded_values = {
                    field.attname: getattr(self, field.attname)
                    for field in self._meta.concrete_fields
                }
        finally:
            for attribute in ("_change_reason", "_history_user", "_keep_edit_number"):
                self.__dict__.pop(attribute, None)

    def changed_fields(self) -> list[str] | None:
        """Names of fields changed since load; ``None`` for a new row.

        An object that was not loaded from the database (a history revert builds one from
        a history row) is compared with the stored row instead.
        """
        if self._state.adding:
            return None
        loaded = getattr(self, "_loaded_values", None)
        if loaded is None:
            loaded = self._stored_values()
            if loaded is None:
                return None
        return [
            field.name
            for field in self._meta.concrete_fields
            if field.attname in loaded
            and not getattr(field, "auto_now", False)
            and getattr(self, field.attname) != loaded[field.attname]
        ]

    def _stored_values(self) -> dict | None:
        if self.pk is None:
            return None
        names = [field.attname for field in self._meta.concrete_fields]
        return type(self)._base_manager.filter(pk=self.pk).values(*names).first()

    def has_unsaved_changes(self) -> bool:
        return self.changed_fields() != []

    def before_changed_save(self):
        """Hook for bookkeeping that belongs only to real changes (version counters)."""


class PublicSlugMixin(models.Model):
    """A model whose slug becomes a public address once published versions link to it
    (a story, a section, a contributor): its slug as stored is the one readers use."""

    class Meta:
        abstract = True

    def slug_is_public(self, slug: str | None = None) -> bool:
        raise NotImplementedError

    def stored_slug(self) -> str | None:
        """The slug as stored (``None`` for a new row): what the rules compare against."""
        if self.pk is None:
            return None
        return type(self)._base_manager.filter(pk=self.pk).values_list("slug", flat=True).first()


def refuse_public_slug_change(obj) -> None:
    """A slug that published versions link to is a public address: it never changes, and
    it is never given to a new row (the impostor who would inherit a live byline's link).

    Checked on every save of a section, contributor or story, whatever the path (admin,
    revert, service, command, shell), against the slug as stored.
    """
    if obj._state.adding:
        taken = type(obj)._base_manager.filter(slug=obj.slug).exists()
        if obj.slug and not taken and obj.slug_is_public(obj.slug):
            raise ValidationError(
                {
                    "slug": f"The address “{obj.slug}” is public: published versions link to it "
                    "(it belonged to someone else), so it cannot be given to a new entry."
                }
            )
        return
    if "slug" not in (obj.changed_fields() or []):
        return
    stored = obj.stored_slug()
    if stored is not None and stored != obj.slug and obj.slug_is_public(stored):
        raise ValidationError(
            {
                "slug": f"The address “{stored}” is public: published versions link to it, so it cannot change."
            }
        )


class LinkedFromPublishedVersions(PublicSlugMixin, SkipUnchangedSavesMixin):
    """A section or contributor: published versions link to its public address.

    Once they do, its slug never changes, it cannot be deleted (so the address cannot pass
    to someone else), and ``stories.editing`` guards what readers see of it
    (``PUBLIC_FIELDS``).
    """

    #: The fields readers see on its public page.
    PUBLIC_FIELDS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def has_public_address(self) -> bool:
        """Whether published versions link to it (by its slug as stored)."""
        if self.pk is None:
            return False
        stored = self.stored_slug()
        return stored is not None and self.slug_is_public(stored)

    def before_changed_save(self):
        refuse_public_slug_change(self)

    def delete(self, *args, **kwargs):
        if self.has_public_address():
            raise ValidationError(
                f"“{self}” cannot be deleted: published versions link to its address "
                f"“{self.stored_slug()}”, which must never pass to anyone else."
            )
        return super().delete(*args, **kwargs)


class ImmutableRowError(Exception):
    """A row of the public record (a version, a picture, a log entry...) was asked to change."""


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk changes and deletes of an append-only table are refused before the database
    (whose triggers refuse them too) is asked."""

    def update(self, **kwargs):
        raise self.model.ImmutableError(self.model.REFUSED_CHANGE)

    def delete(self):
        raise self.model.ImmutableError(self.model.REFUSED_DELETE)


class AppendOnlyModel(models.Model):
    """A row written once and never changed or deleted, whatever the path: the model
    refuses here, and the database's triggers (``stories.record.append_only``) refuse
    raw SQL too."""

    #: The exception raised, and what it says of a change and of a delete.
    ImmutableError: type[ImmutableRowError] = ImmutableRowError
    REFUSED_CHANGE = "This row is part of the public record: it never changes."
    REFUSED_DELETE = "This row is part of the public record: it is never deleted."

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise self.ImmutableError(self.REFUSED_CHANGE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.ImmutableError(self.REFUSED_DELETE)
