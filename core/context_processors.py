from django.conf import settings


def site(request):
    """Values every page shows (footer privacy note)."""
    return {"clip_retention_days": settings.SIGNLEARN_CLIP_RETENTION_DAYS}
