# Newsroom's edge: Varnish 7 with the xkey module (Debian: varnish, varnish-modules).
#
# What it keeps: only answers the origin marked as public and tagged with surrogate
# keys (an `xkey` header; stories/edge/). Reader pages, feeds, sitemaps, the public
# record's JSON and the anonymous API say so; the admin, previews, the report form,
# logins, errors and anything that sets a cookie do not, and are never stored.
#
# Purges: the origin sends `PURGE /` with `xkey-softpurge: KEY KEY ...` to every edge
# after a publish commits (stories/edge/purging.py). A soft purge expires the objects but
# keeps them for a day of grace, so the last good copy can still be served if the origin
# fails; while the origin answers, a purged page is never served stale: the next request
# fetches it afresh and every request arriving meanwhile waits for that one fetch
# (request coalescing).
#
# The origin (backends, the director, and who may purge) lives in origin.vcl beside this
# file: see origin.vcl.example. docs/operations.md#the-edge explains the layout.

vcl 4.1;

import std;
import xkey;

# Defines `sub newsroom_backend` (sets req.backend_hint) and `acl newsroom_purgers`.
include "origin.vcl";

sub vcl_recv {
    call newsroom_backend;

    if (req.restarts == 0) {
        # Markers of this file's own: never taken from a client.
        unset req.http.X-Newsroom-Stale;
        unset req.http.X-Newsroom-Public;
        # The reader's address for the origin's rate limits (NEWSROOM_CLIENT_IP_HEADER=
        # HTTP_X_REAL_IP). Behind a TLS terminator, give varnishd PROXY protocol so that
        # client.ip is the reader's.
        set req.http.X-Real-IP = client.ip;
    }

    if (req.method == "PURGE") {
        if (client.ip !~ newsroom_purgers) {
            return (synth(403, "Not allowed to purge"));
        }
        if (req.http.xkey-softpurge) {
            set req.http.n-gone = xkey.softpurge(req.http.xkey-softpurge);
        } elsif (req.http.xkey-purge) {
            set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        } else {
            return (synth(400, "Name the keys in an xkey-softpurge header"));
        }
        return (synth(200, "Purged " + req.http.n-gone + " objects"));
    }

    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # Private: the admin (and its login), previews, the report form and its thanks,
    # health checks; and partners' API requests, whose key travels in Authorization.
    if (req.url ~ "^/admin(/|$)"
        || req.url ~ "^/stories/[^/]+/(preview|report)/"
        || req.url ~ "^/health/"
        || req.http.Authorization) {
        return (pass);
    }

    # Everything else is public and the same for everyone: no cookie reaches the origin,
    # so a logged-in editor reading the site gets the page every reader gets.
    unset req.http.Cookie;
    set req.http.X-Newsroom-Public = "1";
    if (req.http.X-Newsroom-Stale) {
        # The origin just failed this request: the last good copy, however stale.
        set req.grace = 24h;
    } else {
        # The origin answers: a purged page is fetched afresh, never served stale.
        set req.grace = 0s;
    }
    return (hash);
}

sub vcl_backend_response {
    if (beresp.status >= 500) {
        # Errors are never stored, and never replace the last good copy: a refresh in
        # the background that fails keeps it, and a reader's fetch that fails is given
        # up and looked up again, stale copies accepted (vcl_synth). Only when there
        # was none does the reader get the origin's own error page.
        if (bereq.is_bgfetch || (bereq.http.X-Newsroom-Public && !bereq.http.X-Newsroom-Stale)) {
            return (abandon);
        }
        set beresp.uncacheable = true;
        set beresp.ttl = 0s;
        return (deliver);
    }
    if (beresp.http.Set-Cookie || beresp.http.Cache-Control ~ "private|no-store"
        || (!beresp.http.xkey && bereq.url !~ "^/static/")) {
        # Not marked public by the origin: passed, never stored. A short
        # hit-for-miss, so that later answers that are public get stored. (Static
        # files carry no keys: hashed names, kept as long as their Cache-Control says.)
        set beresp.uncacheable = true;
        set beresp.ttl = 10s;
        return (deliver);
    }
    if (beresp.http.xkey) {
        # TTL from s-maxage (long: purges keep pages fresh); a day of grace as the
        # fallback when the origin fails.
        set beresp.grace = 24h;
    }
    # Stored compressed; readers whose browser does not take gzip get it unpacked.
    if (beresp.http.Content-Type ~ "^(text/|application/(json|xml|rss\+xml|atom\+xml|javascript))") {
        set beresp.do_gzip = true;
    }
    return (deliver);
}

sub vcl_backend_error {
    # The origin could not be reached: as for its errors above.
    if (bereq.is_bgfetch || (bereq.http.X-Newsroom-Public && !bereq.http.X-Newsroom-Stale)) {
        return (abandon);
    }
    set beresp.uncacheable = true;
    set beresp.ttl = 0s;
}

sub vcl_synth {
    if (resp.status == 503 && req.http.X-Newsroom-Public && !req.http.X-Newsroom-Stale) {
        # The origin failed this public page: look again, accepting a stale copy
        # (stale-if-error).
        set req.http.X-Newsroom-Stale = "1";
        return (restart);
    }
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Cache = "hit";
    } else {
        set resp.http.X-Cache = "miss";
    }
    if (req.http.X-Newsroom-Stale && resp.status < 500) {
        set resp.http.X-Cache = "stale";
    }
    # The keys are for edges, not readers.
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
}
