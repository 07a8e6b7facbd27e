"""The page an outside approver (a lawyer, a source) opens from a signed preview link.

No account: the signed token is the key (``stories.desk.previews``). The page shows the
working copy of the exact edit the link names, as readers would see it (the reader's
own preview rendering), never cached and ``noindex``; it takes a comment with the
visitor's name, rate-limited per client like the reader's search. A link that has
ended (expired, revoked, the story edited or published) answers 410 and says why.
Every opening is recorded by the service.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from stories import publishing
from stories.desk import previews

from . import caching, pages, ratelimit, structured_data


class OutsideCommentForm(forms.Form):
    name = forms.CharField(label="Your name", max_length=previews.NAME_MAX_LENGTH)
    body = forms.CharField(
        label="Your comment",
        max_length=previews.BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["class"] = "form-control"


def client_address(request) -> str:
    return request.META.get(settings.CLIENT_IP_META_KEY or "REMOTE_ADDR", "")


@require_http_methods(["GET", "HEAD", "POST"])
def outside_preview(request, token):
    form = OutsideCommentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        refused = ratelimit.over_limit(
            request, "preview-comments", rate=lambda: settings.PREVIEW_COMMENT_RATE
        )
        if refused is not None:
            return _private(
                ratelimit.too_many_requests(
                    request,
                    "You have sent more comments than we can take in a short time.",
                    retry_after=refused,
                )
            )
        if form.is_valid():
            try:
                previews.add_outside_comment(
                    token, client=client_address(request), **form.cleaned_data
                )
            except previews.LinkEnded as ended:
                return _ended(request, str(ended))
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    for message in messages:
                        form.add_error(name if name in form.fields else None, message)
            else:
                return redirect(f"{request.path}?sent=1")
    try:
        # A POST with errors re-shows the page: only real openings count as views.
        link, story = previews.open_link(
            token, client=client_address(request), record=request.method != "POST"
        )
    except previews.LinkEnded as ended:
        return _ended(request, str(ended))
    page = pages.preview_page(story, publishing.snapshot_story(story))
    response = render(
        request,
        "reader/outside_preview.html",
        {
            "page": page,
            "story_status": story.get_status_display(),
            "jsonld": structured_data.news_article(page),
            "open_graph": structured_data.open_graph(page),
            "for_whom": link.label,
            "form": form,
            "sent": request.GET.get("sent") == "1",
        },
    )
    return _private(response)


def _ended(request, reason: str):
    return _private(
        render(request, "reader/outside_preview_ended.html", {"reason": reason}, status=410)
    )


def _private(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    # The token is in the address: never sent to another site (same-origin keeps the
    # Origin header that the CSRF check reads on this page's own form).
    response["Referrer-Policy"] = "same-origin"
    return caching.private_no_store(response)
