"""What every app builds on and that imports no app: serving stored media, request body limits, error
answers, security headers, rate limits, the embedded broker's layout, processes that die with their
parent, and (in `testing/`) the helpers every app's tests share.

It sits just above `ml` and below `accounts`; `signlearn` (settings, URLs, the Celery app) wires the
apps together on top of all of them.
"""
