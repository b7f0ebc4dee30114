# syntax=docker/dockerfile:1
# The merclip worker image: built with the Swift 6 toolchain on Debian 12 (bookworm), run on
# debian:bookworm-slim with only the shared libraries the binary links, as a non-root user.
#
#   docker build -t merclip:dev .
#   docker run --rm -v /srv/models/current:/models/current:ro -e MERCLIP_BROKERS=... merclip:dev worker
#
# The Swift standard library and Foundation are linked statically (--static-swift-stdlib), so the
# runtime stage needs no Swift toolchain. Keep SWIFT_VERSION at the toolchain the project is
# developed with (Swift 6.3); the package's tools version is 6.0.
ARG SWIFT_VERSION=6.3
ARG DEBIAN_SUITE=bookworm

# ---------------------------------------------------------------------------------------------
FROM swift:${SWIFT_VERSION}-${DEBIAN_SUITE} AS build

# The -dev packages of the C libraries in Package.swift (its systemLibrary providers), and libcurl
# for FoundationNetworking (the worker downloads http(s) media from allowed hosts).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      pkg-config \
      librdkafka-dev \
      libopenblas-dev \
      libdnnl-dev \
      libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev \
      libsndfile1-dev \
      libpq-dev \
      libcurl4-openssl-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Dependencies first, so source edits reuse the resolved and fetched packages.
# The manifest names the test targets, so their folders come too (.dockerignore drops the fixtures).
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift package resolve
RUN swift build -c release --static-swift-stdlib --product merclip \
 && install -D -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/merclip" /out/usr/bin/merclip

COPY schemas/migrations /out/usr/share/merclip/migrations

# ---------------------------------------------------------------------------------------------
FROM debian:${DEBIAN_SUITE}-slim AS runtime

# Runtime libraries only (the Debian 12 packages behind the -dev packages above; libcurl4 for
# FoundationNetworking, which static linking leaves dynamic), curl for the
# healthcheck, tini as PID 1 so SIGTERM reaches the worker (it drains its batch and commits).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      librdkafka1 \
      libopenblas0-pthread \
      libdnnl2 \
      libavformat59 libavcodec59 libavutil57 libswscale6 libswresample4 \
      libsndfile1 \
      libpq5 \
      libstdc++6 \
      libcurl4 \
      ca-certificates \
      curl \
      tini \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 merclip \
 && useradd --system --uid 10001 --gid merclip --home-dir /nonexistent --no-create-home \
            --shell /usr/sbin/nologin merclip \
 && install -d -o merclip -g merclip /models /media

COPY --from=build /out/ /

ENV MERCLIP_MODEL=/models/current \
    MERCLIP_MEDIA_ROOTS=/media \
    MERCLIP_METRICS_PORT=9464 \
    MERCLIP_MIGRATIONS=/usr/share/merclip/migrations

# The model directory (config.json, model.safetensors, vocab.json, merges.txt) is mounted, read-only,
# at /models/current; media files referenced by path live under /media.
VOLUME ["/models"]
EXPOSE 9464
USER 10001:10001

HEALTHCHECK --interval=15s --timeout=3s --start-period=120s --retries=3 \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${MERCLIP_METRICS_PORT:-9464}/healthz" || exit 1

ENTRYPOINT ["/usr/bin/tini", "--", "/usr/bin/merclip"]
CMD ["worker"]
