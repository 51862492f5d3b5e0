"""gunicorn settings of the web container (Dockerfile, docker-compose.yml: `-c gunicorn.conf.py`).

gunicorn limits the request line and headers (below) but has no request body limit. It reads a body
only when the application reads `wsgi.input`, and core.limits.BodyLimitMiddleware, near the top of
MIDDLEWARE, refuses a body over its view's limit from the Content-Length header (413) and a chunked
body (411) before anything reads it: that check is this server's body limit. The sync workers close
the connection after each response, so an unread body is never taken for the next request.
"""

bind = "0.0.0.0:8000"
workers = 3
worker_class = "sync"
timeout = 60
limit_request_line = 4094  # bytes of "POST /path HTTP/1.1"
limit_request_fields = 100  # headers per request
limit_request_field_size = 8190  # bytes per header
