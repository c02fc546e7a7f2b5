# Stockroom in a container: the same processes as the Procfile (web, worker, release), one per container.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    STOCKROOM_VAR_DIR=/app/var PORT=8000
WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# Static files are collected at build (WhiteNoise serves them); a build-time key, never used at runtime.
RUN DEBUG=false SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && useradd --create-home --uid 10001 stockroom \
    && mkdir -p /app/var/media && chown -R stockroom /app/var
USER stockroom

EXPOSE 8000
CMD ["sh", "-c", "gunicorn config.wsgi --bind 0.0.0.0:${PORT} --workers ${WEB_CONCURRENCY:-3} --timeout 30 --graceful-timeout 20 --max-requests 2000 --max-requests-jitter 200 --access-logfile -"]
