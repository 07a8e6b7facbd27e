"""What admin tests share: the POST an editor's browser would send from a change page,
and the queries a page costs."""

from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext


def _value(value):
    if value is None:
        return ""
    if hasattr(value, "pk"):
        return value.pk
    return value


def form_data(response, **changes):
    """Everything the change form on ``response`` would submit untouched, plus ``changes``.

    Inline formsets keep their existing forms (and drop the empty extra ones), so the
    POST says exactly "nothing changed" unless ``changes`` says otherwise.
    """
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        initial = form.get_initial_for_field(field, name)
        data[form.add_prefix(name)] = _value(initial)
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        forms = [f for f in formset.forms if f.instance.pk]
        prefix = formset.prefix
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": len(forms),
                f"{prefix}-INITIAL_FORMS": len(forms),
                f"{prefix}-MIN_NUM_FORMS": 0,
                f"{prefix}-MAX_NUM_FORMS": 1000,
            }
        )
        for sub in forms:
            values = model_to_dict(sub.instance)
            for name in sub.fields:
                initial = values.get(name, sub.get_initial_for_field(sub.fields[name], name))
                data[sub.add_prefix(name)] = _value(initial)
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def add_credit(data, prefix, contributor, role="byline", position=9):
    """Append one new inline credit row to a change-form POST."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = index + 1
    data.update(
        {
            f"{prefix}-{index}-contributor": contributor.pk,
            f"{prefix}-{index}-role": role,
            f"{prefix}-{index}-position": position,
            f"{prefix}-{index}-affiliation": "",
        }
    )
    return data


def queries_of(client, url) -> int:
    client.get(url)  # the first request of a run also fills per-process caches (content types)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)
