# The README's commands. Everything runs inside .venv/ at the repo root.
PY := .venv/bin/python
PIP := .venv/bin/pip
STAMP := .venv/.installed

.PHONY: venv frontend run test test-fast lint bench bench-reliability train-venv train clean

venv: $(STAMP)

## MediaPipe Holistic for on-device landmarks (npm, package-lock.json), served as static files. Without npm
## the page records and uploads clips instead (README).
FRONTEND_STAMP := node_modules/.package-lock.json
frontend: $(FRONTEND_STAMP)

$(FRONTEND_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --ignore-scripts --no-audit --no-fund; \
	else echo "npm not found: practice clips will be uploaded and graded on the server (no on-device landmarks)."; fi

$(STAMP): requirements.txt requirements-nodeps.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv .venv
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt -r requirements-dev.txt
	$(PIP) install -q --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

## Install, migrate, load the curriculum and start web + worker on the embedded default.
## manage.py, wsgi.py and celery.py default to the production settings; `make run` names the development
## ones (base), which every process runstack starts inherits.
run: export DJANGO_SETTINGS_MODULE ?= signlearn.settings.base
run: venv frontend
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_curriculum
	$(PY) manage.py register_shipped_model
	$(PY) manage.py import_tutorials --if-empty
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py runstack

## TensorFlow's own tests, in .venv-train (no Django, no database: .ci/run runs them once).
TRAIN_TESTS ?= ml/tests/test_train_export.py

## Install and run the whole test suite (embedded default, or PostgreSQL/Redis when the URLs are set).
test: venv train-venv frontend
	bash scripts/ensure_test_tools.sh
	$(PY) -m ruff check .
	$(if $(TRAIN_TESTS),$(TRAIN_PY) -m pytest -p no:django -p no:cacheprovider -q $(TRAIN_TESTS))
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

## Benchmarks (JSON in var/bench/). The dashboard one needs PostgreSQL: BENCH_DATABASE_URL, created if missing.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/signlearn_bench
bench: venv
	$(PY) bench/landmarks.py
	$(PY) bench/grading.py
	psql "$(dir $(BENCH_DATABASE_URL))postgres" -qtc "SELECT 1" >/dev/null && \
	  (psql "$(dir $(BENCH_DATABASE_URL))postgres" -qtc "CREATE DATABASE $(notdir $(BENCH_DATABASE_URL))" 2>/dev/null || true)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/dashboard.py

## Worker kills, a broker outage, orphaned beats and upload accept under load (long: 50 kills per broker).
bench-reliability: venv
	psql "$(dir $(BENCH_DATABASE_URL))postgres" -qtc "SELECT 1" >/dev/null && \
	  (psql "$(dir $(BENCH_DATABASE_URL))postgres" -qtc "CREATE DATABASE $(notdir $(BENCH_DATABASE_URL))" 2>/dev/null || true)
	$(PY) bench/reliability.py --database-url $(BENCH_DATABASE_URL)

## Training environment: TensorFlow/Keras in its own venv (never in .venv), same numpy/protobuf as mediapipe.
TRAIN_PY := .venv-train/bin/python
TRAIN_STAMP := .venv-train/.installed

train-venv: $(TRAIN_STAMP)

$(TRAIN_STAMP): requirements.txt requirements-nodeps.txt requirements-dev.txt requirements-train.txt
	test -x $(TRAIN_PY) || python3 -m venv .venv-train
	.venv-train/bin/pip install -q --upgrade pip
	.venv-train/bin/pip install -q -r requirements.txt -r requirements-dev.txt -r requirements-train.txt
	.venv-train/bin/pip install -q --no-deps -r requirements-nodeps.txt
	touch $(TRAIN_STAMP)

## Build the clip dataset (cached extraction), train the shipped recipe on all clips, export to ml/models/.
## The recipe distils from the Apache-2.0 reference model, read by path from ../shared/models (never copied).
## Held-out numbers for the card: `$(TRAIN_PY) -m ml train --split holdout` + `python -m ml evaluate` (README).
SHARED_MODELS ?= $(or $(SIGNLEARN_SHARED_MODELS_DIR),../shared/models)
TRAIN_ARGS ?= --dim 128 --blocks 2 --epochs 100 --repeats 1 --variants 8 \
	--teacher $(SHARED_MODELS)/gislr-prabhanjan --distill 0.8 --recombined 4 --teacher-aspect 0.5625 --consistent
train: train-venv
	$(TRAIN_PY) -m ml.dataset_build
	$(TRAIN_PY) -m ml train --split all --run-dir var/runs/shipped $(TRAIN_ARGS)
	$(TRAIN_PY) -m ml export var/runs/shipped -o ml/models --card ml/models/model_card.json

clean:
	rm -rf .venv var
