"""``{% desk_counts as desk %}``: what awaits the person on the admin's index page."""

from django import template

from stories.desk import notifications, queue

register = template.Library()


@register.simple_tag(takes_context=True)
def desk_counts(context):
    user = context["request"].user
    if not (user.is_authenticated and user.is_staff):
        return None
    return {**queue.counts(user), "unread": notifications.unread_count(user)}
