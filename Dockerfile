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
COPY pyproject.toml README.md scrapy.cfg setup.py constraints.txt ./
COPY crawler/ crawler/
COPY scheduler/ scheduler/
COPY storage/ storage/
COPY uninews/ uninews/
# /var/log/uninews and /var/lib/scrapyd are created owned by the user, so fresh named volumes
# mounted there are too. /app keeps scrapy.cfg so `scrapy list` and `scrapy crawl SITE` work in
# the container; /app/src keeps the project for scrapyd-deploy (compose profile `cluster`).
# The `cluster` extra is Scrapyd and scrapyd-client: the same image is a node. The versions
# are the ones the tests passed with (constraints.txt).
RUN pip install --no-cache-dir -c constraints.txt .[cluster] \
    && install -d -o uninews -g uninews /var/log/uninews /app /etc/uninews/sites /var/lib/scrapyd \
    && cp scrapy.cfg /app/ \
    && cp -r /build /app/src && chown -R uninews:uninews /app/src \
    && rm -rf /build

USER uninews
WORKDIR /app
ENV UNINEWS_LOG_DIR=/var/log/uninews

# Stop with SIGTERM: the daemon gives running crawls --grace seconds (default 30) to finish.
STOPSIGNAL SIGTERM
ENTRYPOINT ["uninews"]
CMD ["daemon"]
