"""gunicorn settings of the web container (Dockerfile, docker-compose.yml: `-c gunicorn.conf.py`).

gunicorn limits the request line and headers (below) but has no request body limit. It reads a body
only when the application reads `wsgi.input`, and core.limits.BodyLimitMiddleware, near the top of
MIDDLEWARE, refuses a body over its view's limit from the Content-Length header (413) and a chunked
body (411) before anything reads it: that check is this server's body limit. The sync workers close
the connection after each response, so an unread body is never taken for the next request.

The application is loaded once, in the master, and warmed there (when_ready) before the workers are
forked: Django imports the URL conf, and with it every view, on its first request, and the upload path
imports PyAV and the Celery tasks on its first upload. Each fresh worker paid 0.7-3 s of imports on
its first requests, so after a start or a deploy the first uploads waited seconds, and every client
queued behind them. Forked from a warm master, a worker answers its first request as fast as its
hundredth and shares those modules' memory. Code changes need a restart (not HUP) to be seen.
"""

bind = "0.0.0.0:8000"
workers = 3
worker_class = "sync"
timeout = 60
preload_app = True
limit_request_line = 4094  # bytes of "POST /path HTTP/1.1"
limit_request_fields = 100  # headers per request
limit_request_field_size = 8190  # bytes per header

# Imported lazily (by the code, so `manage.py check` and the worker stay light, or by Django and kombu on
# first use of the cache and the broker), and needed by every upload.
WARM_MODULES = ("ml.video", "practice.tasks", "django.core.cache.backends.redis", "kombu.transport.redis")


def when_ready(server) -> None:
    """Warm the preloaded application in the master, before any worker is forked (see above)."""
    import importlib

    from django.db import connections
    from django.urls import get_resolver

    from signlearn.celery import app

    get_resolver().url_patterns  # noqa: B018 - imports every view module
    for name in WARM_MODULES:
        importlib.import_module(name)
    app.finalize()  # registers the tasks, as the first .delay() would
    app.backend  # noqa: B018 - looked up through package entry points by the first .delay()
    # Nothing above should connect; if anything did, no worker may inherit the socket.
    connections.close_all()


def post_worker_init(worker) -> None:
    """Open this worker's own database, cache and broker connections before its first request.

    They cannot be inherited from the master (a socket shared by forked processes mixes their
    replies); opened here, the first upload a fresh worker takes is as fast as the next ones instead of
    paying every handshake while clients queue behind it. The connections stay open: the database's
    for CONN_MAX_AGE (production settings), the cache's and the broker's in their pools. A service
    that is down now is the first request's problem, as it would have been: the worker starts anyway.
    """
    from django.core.cache import cache
    from django.db import connections

    from signlearn.celery import app

    try:
        connections["default"].ensure_connection()
        cache.get("gunicorn-worker-warm-up")
        with app.producer_pool.acquire(block=True, timeout=5) as producer:
            producer.connection.ensure_connection(max_retries=1)
    except Exception:  # noqa: BLE001 - a warm-up; whatever failed is retried by the first request
        worker.log.warning("could not open every connection before the first request", exc_info=True)
