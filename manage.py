#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    # Unset means production (it refuses to start without real secrets); `make run` and the tests name
    # their settings module explicitly.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "signlearn.settings.production")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
