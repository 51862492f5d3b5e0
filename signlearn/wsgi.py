import os

from django.core.wsgi import get_wsgi_application

# Unset means production (it refuses to start without real secrets); `make run` and the tests name
# their settings module explicitly.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "signlearn.settings.production")
application = get_wsgi_application()
