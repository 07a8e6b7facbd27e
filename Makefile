# Two commands matter (see README): `make run` and `make test`. Everything they need is
# installed here, into .venv, from pyproject.toml pinned by constraints.txt.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
# The demo runs without DEBUG, so readers meet the site's own 404 and 500 pages, as in
# production; static files come from the source folders (WhiteNoise, settings.py). Its
# newsroom keeps a real time zone, so reader pages name it (docs/settings.md), and webhooks
# may reach a receiver on this machine (docs/partners.md), as in development.
DEMO_TIME_ZONE ?= America/New_York
DEMO_ENV := NEWSROOM_DEMO=1 NEWSROOM_TIME_ZONE=$(DEMO_TIME_ZONE) NEWSROOM_WEBHOOKS_ALLOW_PRIVATE=1
# The demo's scheduled story is due this many seconds after the demo is loaded, and the
# server publishes what is due this often (seconds): `make run DEMO_SCHEDULE_IN=30`.
DEMO_SCHEDULE_IN ?= 180
PUBLISH_EVERY ?= 10

.PHONY: install run serve worker edge test e2e lint format bench bench-smoke clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Newsroom needs Python 3.11 or newer (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# serve_demo is runserver with the scheduler on a thread of its own process, so
# scheduled stories are published on time and stop being published when it stops.
run: install
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEMO_ENV) $(BIN)/python manage.py load_demo --site http://127.0.0.1:$(PORT) --schedule-in $(DEMO_SCHEDULE_IN)
	@echo "Serving the demo on http://127.0.0.1:$(PORT)/ (admin: http://127.0.0.1:$(PORT)/admin/)"
	$(DEMO_ENV) $(BIN)/python manage.py serve_demo 127.0.0.1:$(PORT) --publish-every $(PUBLISH_EVERY)

# Production: gunicorn with DJANGO_ENV=production against DATABASE_URL (docs/operations.md).
# Needs DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS too; settings fail fast without them.
# With DATABASE_OWNER_URL the migration runs as the owner role (which grants the
# application's role its data rights), and nothing after it sees that variable: the site
# runs as the application's role alone (docs/operations.md#database-roles).
SERVE_ENV := DJANGO_ENV=production
APP_ENV := env -u DATABASE_OWNER_URL $(SERVE_ENV)

serve: install
	@test -n "$$DATABASE_URL" || { echo "make serve needs DATABASE_URL, e.g. postgres://newsroom@db.internal:5432/newsroom (see docs/operations.md)" >&2; exit 2; }
	$(SERVE_ENV) DATABASE_STATEMENT_TIMEOUT=0 $(BIN)/python manage.py migrate --noinput $${DATABASE_OWNER_URL:+--database owner}
	$(APP_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(APP_ENV) $(BIN)/python manage.py check --deploy --database default
	$(APP_ENV) $(BIN)/python manage.py invalidate_reader_cache
	exec $(APP_ENV) PORT=$(PORT) $(BIN)/gunicorn newsroom.wsgi --config newsroom/gunicorn.conf.py

# Production's background worker (django-tasks' database backend): sends the emails to
# readers, the partners' webhooks and the edges' purges that publishing enqueues. Run it
# beside `make serve`, one or more per site. It looks for new tasks every WORKER_INTERVAL
# seconds: a purge or a webhook leaves that long after the publish at most.
WORKER_INTERVAL ?= 0.2
worker: install
	@test -n "$$DATABASE_URL" || { echo "make worker needs DATABASE_URL, as make serve does (see docs/operations.md)" >&2; exit 2; }
	exec $(APP_ENV) $(BIN)/python manage.py db_worker --queue-name '*' --interval $(WORKER_INTERVAL)

# The demo behind Varnish (deploy/varnish/): the app on PORT, its worker on the database
# task backend (it sends the purges), Varnish on EDGE_PORT, started and stopped together
# (Ctrl-C). Debian's varnish and varnish-modules (xkey) are installed when missing and
# this runs as root, else it says how. DATABASE_URL is honoured, as by `make run`.
EDGE_PORT ?= 8080
VARNISH_INSTALLED := { command -v varnishd || test -x /usr/sbin/varnishd; } >/dev/null && ls /usr/lib/*/varnish/vmods/libvmod_xkey.so >/dev/null 2>&1

edge: install
	@$(VARNISH_INSTALLED) || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq varnish varnish-modules; } || { echo "make edge needs Varnish 7 and its xkey module: apt-get install varnish varnish-modules" >&2; exit 2; }
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEMO_ENV) $(BIN)/python manage.py load_demo --site http://127.0.0.1:$(EDGE_PORT)
	$(DEMO_ENV) $(BIN)/python deploy/varnish/edge.py --port $(PORT) --edge-port $(EDGE_PORT)

# Python's bytecode cache is kept for the tests even where PYTHONDONTWRITEBYTECODE is set:
# without it every run compiles and assertion-rewrites each test module again, in every
# worker (about 3 s of a run). __pycache__ is ignored by git.
test: install
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest

# Journeys in Debian's Chromium (NEWSROOM_CHROMIUM, default /usr/bin/chromium) against a
# real server; screenshots and HTML of failures land in E2E_ARTIFACTS (e2e-artifacts/).
e2e: install
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -m e2e tests/e2e

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo

# The served-site benchmark loads gunicorn with wrk (Debian's package): installed when
# missing and this runs as root, else it says how.
bench: install
	@$(BENCH_WRK)
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Every bench once, with sizes too small for its figures to mean anything: CI runs it so
# that a bench the services changed under (a new rule, a new setting) fails there, not
# on the day someone needs its figures. bench_outages needs real servers: left out.
BENCH_WRK := command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } || { echo "the benches need wrk: apt-get install wrk" >&2; exit 2; }
bench-smoke: install
	@$(BENCH_WRK)
	$(BIN)/python bench/bench_admin.py --runs 1 --versions 2 --credits 2
	$(BIN)/python bench/bench_api.py --stories 2 --runs 1 --publishes 1 --endpoints 1 --fanout 1
	$(BIN)/python bench/bench_desk.py --runs 1 --stories 2 4 --comments 2
	$(BIN)/python bench/bench_diff.py --runs 1
	$(BIN)/python bench/bench_edge.py --seconds 1 --rounds 1 --publishes 1 --bursts 1 --versions 2
	$(BIN)/python bench/bench_log.py --sizes 2 4 --runs 2
	$(BIN)/python bench/bench_reader.py --runs 1 --credits 2 --revisions 2
	$(BIN)/python bench/bench_search.py --stories 10 --paragraphs 2 --runs 1
	$(BIN)/python bench/bench_served.py --seconds 1 --rounds 1 --versions 2

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .hypothesis e2e-artifacts
