# The bot as a container: `docker build -t minimax-bot .`, then `docker compose up` (compose.yaml)
# or `docker run --env-file .env -v minimax-bot-data:/data minimax-bot`. docs/deploying.md.
# Any base with Python 3.11 and its venv module works (CI and requirements.txt use 3.11):
# `--build-arg PYTHON_IMAGE=...`.
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}

# A virtual environment, so the image works the same whether the base names its interpreter
# python or only python3; PATH makes its python the one CMD and HEALTHCHECK run.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN python3 -m venv /opt/venv
# The exact versions (requirements.txt is compiled from requirements.in), before the code so a
# change to the code reuses this layer.
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The bot runs unprivileged; it may write only /data, where the SQLite default lives.
RUN groupadd --gid 10001 bot \
    && useradd --uid 10001 --gid bot --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin bot \
    && mkdir /data && chown bot:bot /data

WORKDIR /app
# The product only: bot.py and its packages (not the tests, the stand-ins or the benchmarks).
COPY bot.py ./
COPY alerts/ alerts/
COPY app/ app/
COPY chat/ chat/
COPY cogs/ cogs/
COPY credits/ credits/
COPY minimax_api/ minimax_api/
COPY settings/ settings/
COPY startup/ startup/
COPY state/ state/
COPY usage/ usage/

USER bot
# Without PostgreSQL the state is a SQLite file on this volume; DATABASE_URL (compose.yaml,
# --env-file) points elsewhere. HEALTH_PORT serves /healthz for the HEALTHCHECK below.
ENV DATABASE_URL=sqlite:////data/bot.sqlite3 \
    HEALTH_PORT=8080
VOLUME /data
EXPOSE 8080

# /healthz answers 200 when the gateway is connected (and, in the process that leads the
# alerts, the last check read useapi.net), 503 otherwise; urlopen raises on 503 and on a
# refused connection. The first check can take a while: start period.
HEALTHCHECK --interval=30s --timeout=5s --start-period=2m --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['HEALTH_PORT'] + '/healthz', timeout=4)"]

CMD ["python", "bot.py"]
