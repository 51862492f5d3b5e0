# The README's commands. Everything runs inside .venv/ at the repo root.
PY := .venv/bin/python
PIP := .venv/bin/pip
STAMP := .venv/.installed

.PHONY: venv run test test-fast lint bench train-venv train clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-nodeps.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv .venv
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt -r requirements-dev.txt
	$(PIP) install -q --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

## Install, migrate, load the curriculum and start web + worker on the embedded default.
run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_curriculum
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py runstack

## Install and run the whole test suite (embedded default, or PostgreSQL/Redis when the URLs are set).
test: venv
	bash scripts/ensure_test_tools.sh
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

bench: venv
	$(PY) bench/landmarks.py
	$(PY) bench/grading.py

clean:
	rm -rf .venv var
