"""What awaits each person: the review queue's tabs, their counts, and each row's order.

Overdue first, then by priority, then by due time, then oldest submission: the order a
desk works in. The tabs are querysets, so the admin pages them and counts them in SQL
(``counts`` is one query however many stories are in review).
"""

from __future__ import annotations

from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.utils import timezone

from stories.models import Review, ReviewState, SectionEditor
from stories.models.desk import PRIORITY_RANK

#: The tabs, in the order the queue shows them.
TABS = {
    "mine": "Waiting for me",
    "sections": "Waiting for my sections",
    "submitted": "Mine in review",
    "changes": "Changes requested of me",
    "all": "Everything in review",
}

#: A review waits for a reviewer when it is in review, or approved but edited since (the
#: approval named an earlier edit, so it is void and must be given again).
WAITING = Q(state=ReviewState.IN_REVIEW) | (
    Q(state=ReviewState.APPROVED) & ~Q(approved_edit=F("story__edit_number"))
)


def _filters(user) -> dict[str, Q]:
    sections = SectionEditor.objects.filter(user=user).values("section_id")
    return {
        "mine": WAITING & Q(reviewer=user),
        "sections": WAITING & Q(reviewer__isnull=True, reviewer_section__in=sections),
        "submitted": Q(submitted_by=user),
        "changes": Q(state=ReviewState.CHANGES_REQUESTED, submitted_by=user),
        "all": Q(),
    }


def tab(user, name: str, *, now=None):
    """The open reviews of one tab, most pressing first, with what a row shows."""
    now = now or timezone.now()
    condition = _filters(user).get(name, Q())
    return (
        Review.objects.open()
        .filter(condition)
        .select_related(
            "story", "story__section", "submitted_by", "reviewer", "reviewer_section", "approved_by"
        )
        .annotate(
            overdue=Case(
                When(due_at__lt=now, then=Value(0)), default=Value(1), output_field=IntegerField()
            ),
            urgency=Case(
                *(When(priority=value, then=Value(rank)) for value, rank in PRIORITY_RANK.items()),
                default=Value(9),
                output_field=IntegerField(),
            ),
        )
        .order_by("overdue", "urgency", F("due_at").asc(nulls_last=True), "submitted_at", "pk")
    )


def counts(user) -> dict[str, int]:
    """How many reviews each tab holds, in one query."""
    return Review.objects.open().aggregate(
        **{name: Count("pk", filter=condition) for name, condition in _filters(user).items()}
    )
