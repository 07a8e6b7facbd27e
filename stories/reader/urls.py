"""Reader-facing URLs."""

from django.urls import path

from . import feeds, outside_preview, record_views, report_views, views

app_name = "reader"

urlpatterns = [
    path("", views.home, name="home"),
    # Stories: the live version, its public history and word-level comparisons.
    path("stories/<slug:slug>/", views.story, name="story"),
    path("stories/<slug:slug>/history/", views.history, name="history"),
    path("stories/<slug:slug>/history/<int:number>/", views.revision, name="revision"),
    path(
        "stories/<slug:slug>/history/<int:old>/compare/<int:new>/",
        views.compare,
        name="compare",
    ),
    # The history's form: any two versions, as ?old=&new=, sent on to the comparison.
    path("stories/<slug:slug>/history/compare/", views.compare_choice, name="compare_choice"),
    path("stories/<slug:slug>/preview/", views.preview, name="preview"),
    # An outside approver's signed link to one edit under review (stories.desk.previews).
    path("review/<str:token>/", outside_preview.outside_preview, name="outside_preview"),
    path("stories/<slug:slug>/record.json", record_views.story_record, name="story_record"),
    # Readers report errors (private: the desk reads reports in the admin).
    path("stories/<slug:slug>/report/", report_views.report_error, name="report"),
    path("stories/<slug:slug>/report/thanks/", report_views.report_thanks, name="report_thanks"),
    # Sections and contributors.
    path("sections/<slug:slug>/", views.section, name="section"),
    path(
        "sections/<slug:slug>/feeds/rss/",
        views.feed(feeds.LatestStoriesRss()),
        name="section_feed_rss",
    ),
    path(
        "sections/<slug:slug>/feeds/atom/",
        views.feed(feeds.LatestStoriesAtom()),
        name="section_feed_atom",
    ),
    path("contributors/<slug:slug>/", views.contributor, name="contributor"),
    # The public record of corrections.
    path("corrections/", views.corrections, name="corrections"),
    path("corrections/policy/", views.corrections_policy, name="corrections_policy"),
    # Feeds.
    path("feeds/latest/rss/", views.feed(feeds.LatestStoriesRss()), name="feed_rss"),
    path("feeds/latest/atom/", views.feed(feeds.LatestStoriesAtom()), name="feed_atom"),
    path("feeds/corrections/atom/", views.feed(feeds.CorrectionsAtom()), name="corrections_feed"),
    # Full-text search over the live stories.
    path("search/", views.search_page, name="search"),
    # How a reader checks the record: in plain words, then technically.
    path("record/", views.verify, name="verify"),
    path("record/technical/", views.verify_technical, name="verify_technical"),
    # The transparency log, for outsiders' verifiers (docs/transparency.md).
    path("log/tree-head.json", record_views.tree_head, name="log_head"),
    path("log/tree-heads.json", record_views.tree_heads, name="log_heads"),
    path("log/checkpoint", record_views.checkpoint, name="log_checkpoint"),
    path("log/cosignatures", record_views.cosignatures, name="log_cosignatures"),
    path(
        "log/consistency/<int:first>/<int:second>.json",
        record_views.consistency,
        name="log_consistency",
    ),
    path("log/entries.json", record_views.entries, name="log_entries"),
    path("log/public-key.txt", record_views.public_key, name="log_public_key"),
]
