# One image for web, worker and beat (docker-compose.yml). The trainer uses Dockerfile.train.
# Front-end files (MediaPipe Holistic for on-device landmarks) from npm, pinned by package-lock.json.
FROM node:20-bookworm-slim AS frontend
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=signlearn.settings.production SIGNLEARN_VAR_DIR=/data
# ffmpeg: test tooling and codecs; libgl1/libglib2.0-0: MediaPipe's native graph.
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt requirements-nodeps.txt ./
RUN pip install -r requirements.txt && pip install --no-deps -r requirements-nodeps.txt
COPY . .
COPY --from=frontend /app/node_modules ./node_modules
RUN SECRET_KEY=build-only-collectstatic-key-that-is-long-enough-0123456789abcdef \
    SIGNLEARN_EXPORT_ID_SECRET=build-only-collectstatic-export-id-secret \
    python manage.py collectstatic --noinput -v0
RUN useradd --create-home signlearn && mkdir -p /data && chown signlearn /data
USER signlearn
EXPOSE 8000
CMD ["gunicorn", "signlearn.wsgi:application", "-c", "gunicorn.conf.py"]
