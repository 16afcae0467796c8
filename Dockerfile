# Digits: the web service (API, drawing page, weights) and nothing else.
#
#   docker build -t digits .
#   docker run --rm -p 8000:8000 digits                       # http://localhost:8000
#   docker run --rm -p 8000:8000 -e DIGITS_MODEL=mlp -e DIGITS_WORKERS=2 digits
#
# Any Debian-based image with Python >= 3.11 and pip works as the base; the tests
# build this file against a local Debian bookworm image (tests/deploy/test_container.py).
ARG BASE_IMAGE=python:3.12-slim
FROM ${BASE_IMAGE}

# The service lives in a virtual environment without pip of its own: the base's
# pip installs into it (`--python`), which works on python:3.12-slim and on
# Debian's Python alike (Debian refuses installs into the system Python, PEP 668).
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
RUN python3 -m venv --without-pip /opt/venv

# Dependencies in their own layer, from pyproject.toml's list alone, so that a
# change to the code does not reinstall them.
COPY pyproject.toml /tmp/src/
RUN python3 -c "import tomllib; \
deps = tomllib.load(open('/tmp/src/pyproject.toml', 'rb'))['project']['dependencies']; \
open('/tmp/requirements.txt', 'w').write('\n'.join(deps))" \
    && python3 -m pip --python /opt/venv/bin/python install --quiet -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The code: the `app` and `model` packages, installed without dependencies
# (this also gives the `digits` command and the package's version).
COPY app/ /tmp/src/app/
COPY model/ /tmp/src/model/
RUN python3 -m pip --python /opt/venv/bin/python install --quiet --no-deps /tmp/src \
    && rm -rf /tmp/src

# The page and the weights, found through DIGITS_*_DIR below. The trainer writes
# weights files 0600 and COPY keeps a working tree's modes, so whatever the server
# could not read is opened up (only those files: the layer holds no second copy).
WORKDIR /app
COPY templates/ templates/
COPY static/ static/
COPY weights/ weights/
RUN find /app \( -type f ! -perm -o=r \) -o \( -type d ! -perm -o=rx \) | xargs -r chmod a+rX

# An unprivileged user, numeric in USER so that Kubernetes' runAsNonRoot can
# check it. The files above stay root's: the server cannot change them.
RUN groupadd --gid 10001 digits \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin digits \
    && mkdir /data && chown 10001:10001 /data
USER 10001:10001
# The corrections database (SQLite, unless DIGITS_DATABASE_URL names PostgreSQL).
VOLUME /data

# Settings: every DIGITS_ variable (the README's configuration table explains each).
# Set here, with the value the image uses:
#   DIGITS_HOST            0.0.0.0         address uvicorn binds
#   DIGITS_PORT            8000            port (also the health check's)
#   DIGITS_WORKERS         1               uvicorn worker processes
#   DIGITS_LOG_LEVEL       info            debug, info, warning, error
#   DIGITS_MODELS_DIR      /app/weights    folder of <name>.json weights files
#   DIGITS_TEMPLATES_DIR   /app/templates  the drawing page's templates
#   DIGITS_STATIC_DIR      /app/static     the drawing page's scripts and styles
#   DIGITS_FEEDBACK_DIR    /data           the corrections' SQLite file (a volume)
# Unset, the service's defaults apply (docker run -e NAME=value to change):
#   DIGITS_MODELS          cnn,mlp         models to load (unset: those with a file)
#   DIGITS_MODEL           cnn, else mlp   the model used when a request names none
#   DIGITS_WEIGHTS         -               one weights file instead of the folder
#   DIGITS_UNSURE_THRESHOLD   0.6          below it an answer is "unsure"
#   DIGITS_NOT_A_DIGIT_THRESHOLD 0.49      from it, "not_a_digit" (networks with that output)
#   DIGITS_MAX_UPLOAD_BYTES   10485760     largest image file
#   DIGITS_MAX_REQUEST_BYTES  33554432     largest request body
#   DIGITS_MAX_PIXELS      40000000        largest image (width x height)
#   DIGITS_MAX_BATCH_FILES 32              most files in one /predict/batch
#   DIGITS_PREDICT_THREADS 1               predictions a worker runs at once
#   DIGITS_PREDICT_PROCESSES 0             >0: a pool of prediction processes per worker
#   DIGITS_PREDICT_NICE    10              the pool's lower CPU priority (0: the same)
#   DIGITS_MAX_PENDING     128             prediction requests a worker holds; more: 503
#   DIGITS_CORS_ORIGINS    -               origins allowed to call the API (off)
#   DIGITS_ACCESS_LOG      true            one JSON log line per request
#   DIGITS_PREDICT_TIMEOUT_S  20           seconds a prediction may take; more: 504
#   DIGITS_BODY_TIMEOUT_S  30              longest pause in an upload; more: 408
#   DIGITS_SHUTDOWN_GRACE_S 20             SIGTERM waits this long for requests in flight
#   DIGITS_FORWARDED_ALLOW_IPS -           proxies whose X-Forwarded-For is believed (none)
#   DIGITS_FEEDBACK        true            keep the corrections people send
#   DIGITS_DATABASE_URL    sqlite:////data/digits.db   or postgresql+psycopg://...
#   DIGITS_FEEDBACK_PER_MINUTE 30          corrections per client per minute; more: 429
#   DIGITS_REVIEW_TOKEN    -               the review page's access token (unset: off)
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DIGITS_HOST=0.0.0.0 \
    DIGITS_PORT=8000 \
    DIGITS_WORKERS=1 \
    DIGITS_LOG_LEVEL=info \
    DIGITS_MODELS_DIR=/app/weights \
    DIGITS_TEMPLATES_DIR=/app/templates \
    DIGITS_STATIC_DIR=/app/static \
    DIGITS_FEEDBACK_DIR=/data
EXPOSE 8000

# Python's own urllib (no curl or wget in the image): no answer or not 2xx fails.
# /health/ready answers 200 only when a test prediction just went through.
HEALTHCHECK --interval=30s --timeout=8s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('DIGITS_PORT', '8000') + '/health/ready', timeout=7)"]

# `digits serve`: uvicorn with address, port, workers, log level, shutdown grace and
# trusted proxies from the environment. It loads the models once first, so a bad
# weights file stops the container with one line and a non-zero status (uvicorn's
# own supervisor exits 0 when its workers fail to start). `exec` replaces the shell,
# so the server gets `docker stop`'s SIGTERM and shuts down cleanly. The service
# writes its own JSON access log (DIGITS_ACCESS_LOG), so uvicorn's is off, and its
# connections have Nagle's algorithm off (app.service.serving). X-Forwarded-* headers
# are believed only from DIGITS_FORWARDED_ALLOW_IPS (default: from no one).
CMD ["/bin/sh", "-c", "exec digits serve"]

