"""Health endpoints for load balancers and docker-compose.

`/healthz`: the process answers (liveness; touches nothing else).
`/readyz`: this instance can do its job: the database answers, the Celery broker accepts a connection
and the grading model loads. Each part reports its own state; any failure answers 503.
"""

import logging
import os
import time
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)

BROKER_TIMEOUT_S = 2.0


@dataclass
class Check:
    ok: bool
    detail: str
    ms: float = 0.0
    info: dict = field(default_factory=dict)


def _timed(check) -> Check:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as exc:  # a readiness probe reports every failure instead of raising it
        log.warning("readiness check %s failed: %s", check.__name__, exc)
        result = Check(ok=False, detail=f"{type(exc).__name__}: {exc}"[:300])
    result.ms = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return Check(ok=True, detail=f"{connection.vendor} answers")


def check_broker() -> Check:
    from signlearn.celery import app

    with app.connection_for_write() as conn:
        transport = conn.transport_cls
        conn.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0.2, interval_max=0.2, timeout=BROKER_TIMEOUT_S
        )
        if transport == "filesystem":
            # Connecting to the filesystem transport always succeeds; what matters is the folders.
            options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
            for key in ("data_folder_in", "data_folder_out"):
                folder = options[key]
                if not os.access(folder, os.W_OK):
                    return Check(
                        ok=False,
                        detail=f"broker folder {folder} is not writable",
                        info={"transport": transport},
                    )
        else:
            conn.default_channel  # noqa: B018 - opening the channel is the round trip to the server
    return Check(ok=True, detail=f"{transport} broker reachable", info={"transport": transport})


def _active_predictor():
    """The grading model: the registry's active configuration, or the shipped model without a registry."""
    try:
        from registry.selectors import active_predictor
    except ImportError:
        from ml.inference import get_classifier

        return get_classifier(settings.SIGNLEARN_MODEL_DIR)
    return active_predictor()


def check_model() -> Check:
    predictor = _active_predictor()
    version = getattr(predictor, "version", None) or predictor.info.version
    return Check(
        ok=True, detail="model loaded", info={"version": str(version), "labels": len(predictor.labels)}
    )


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    checks = {
        "database": _timed(check_database),
        "broker": _timed(check_broker),
        "model": _timed(check_model),
    }
    ready = all(check.ok for check in checks.values())
    return JsonResponse(
        {
            "status": "ready" if ready else "not_ready",
            "checks": {name: asdict(c) for name, c in checks.items()},
        },
        status=200 if ready else 503,
    )
