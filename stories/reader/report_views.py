"""Readers report errors: the form, the thank-you page and the 429 page. Thin: what is
recorded is ``stories.reporting``'s business; the form is ``report_form.ReportForm``.

Abuse is kept out in layers: CSRF (Django's middleware), a honeypot (bots are thanked
and nothing is stored), a per-client rate limit (``ratelimit``, counting in the
cache, answering 429), length limits and a refusal of control characters (the form, on
the field concerned). Nothing here is cached or public: the form carries a CSRF token.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from stories import reporting

from . import pages, ratelimit, report_form
from .views import withdrawn_aware

logger = logging.getLogger(__name__)


def too_many_reports(request):
    """The 429 page if this client has sent more reports than ``REPORT_RATE`` allows
    (counting this one), else ``None``. If the cache cannot count, the report is
    accepted: losing a reader's report would be worse than one more from a bot."""
    retry_after = ratelimit.over_limit(request, "reports", rate=lambda: settings.REPORT_RATE)
    if retry_after is None:
        return None
    return ratelimit.too_many_requests(
        request,
        "Too many reports from your connection.",
        retry_after=retry_after,
        template="reader/report_too_many.html",
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@withdrawn_aware
def report_error(request, slug):
    raw_version = request.POST.get("version") if request.method == "POST" else None
    raw_version = raw_version or request.GET.get("version")
    target = report_form.report_target(slug, report_form.version_number(raw_version))
    if request.method == "POST":
        refused = too_many_reports(request)
        if refused is not None:
            return refused
        form = report_form.ReportForm(request.POST, target=target)
        if form.is_bot:
            logger.info("reader report refused: honeypot filled in")
            return redirect(target.thanks_url)
        if form.is_valid():
            data = form.cleaned_data
            try:
                reporting.submit_report(
                    slug,
                    seen_number=target.number,
                    description=data["description"],
                    passage=data["passage"],
                    name=data["name"],
                    email=data["email"],
                    wants_reply=data["wants_reply"],
                )
            except ValidationError as error:
                _show(form, error)
            else:
                return redirect(target.thanks_url)
    else:
        passage = report_form.without_controls(request.GET.get("passage", ""))
        form = report_form.ReportForm(
            target=target,
            initial={
                "version": target.number,
                "passage": passage[: report_form.PASSAGE_MAX_LENGTH],
            },
        )
    return render(request, "reader/report.html", {"form": form, "target": target})


def _show(form, error: ValidationError) -> None:
    """A service error on the form: by its field when the form has it, else on top."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            for message in messages:
                form.add_error(name if name in form.fields else None, message)
    else:
        form.add_error(None, error)


@require_safe
def report_thanks(request, slug):
    return render(request, "reader/report_thanks.html", {"story_url": pages.story_url(slug)})
