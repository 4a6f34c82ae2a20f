# The uninews image: the `uninews` command, run as an unprivileged user (docs/deploy.md).
#   docker build -t uninews .
#   docker run --rm uninews sites
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/uninews \
        --shell /usr/sbin/nologin uninews

# Only what the package needs; .dockerignore keeps the rest of the tree out of the context.
WORKDIR /build
COPY pyproject.toml README.md scrapy.cfg ./
COPY crawler/ crawler/
COPY scheduler/ scheduler/
COPY storage/ storage/
COPY uninews/ uninews/
# /var/log/uninews is created owned by the user, so a fresh named volume mounted there is too.
# /app keeps scrapy.cfg so `scrapy list` and `scrapy crawl SITE` work in the container.
RUN pip install --no-cache-dir . \
    && install -d -o uninews -g uninews /var/log/uninews /app /etc/uninews/sites \
    && cp scrapy.cfg /app/ \
    && rm -rf /build

USER uninews
WORKDIR /app
ENV UNINEWS_LOG_DIR=/var/log/uninews

# Stop with SIGTERM: the daemon gives running crawls --grace seconds (default 30) to finish.
STOPSIGNAL SIGTERM
ENTRYPOINT ["uninews"]
CMD ["daemon"]
