# Afterglow production image: one image for web, worker and beat (the command picks the role).
FROM python:3.13-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 afterglow
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=afterglow:afterglow . .
# collectstatic needs settings, not secrets: a throwaway key is enough at build time.
RUN DEBUG=false SECRET_KEY=build-only python manage.py collectstatic --noinput

USER afterglow
EXPOSE 8000
ENV PORT=8000
CMD ["sh", "-c", "gunicorn config.wsgi:application --bind 0.0.0.0:${PORT} --workers ${WEB_CONCURRENCY:-3} --access-logfile -"]
