"""Test helpers shared by every app's tests: a package of test infrastructure, never imported by app code.

It sits at the bottom with signlearn's core (it imports Django, Celery, the Celery app and signlearn's
core modules, never an app), so the tests of any app may use it without importing an app above their
own: real worker, beat and Redis processes (`worker`), tiny media files (`clips`), and the pytest
fixtures that run a real worker (`fixtures`, loaded for the whole suite by the root conftest.py).
"""
