# syntax=docker/dockerfile:1
# netreach as a container: `docker run --rm -v "$PWD:/work" IMAGE audit deploy/`.
# Stage 1 builds the wheel (with the vendored graph library) and the wheels of its
# dependencies; stage 2 installs only those, runs as a non-root user, and has `netreach` as
# its entry point. No compiler, pip cache or source tree in the final image.
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir "build>=1.2"
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN python -m build --wheel --outdir /dist . \
 && pip wheel --no-cache-dir --wheel-dir /dist /dist/netreach-*.whl

FROM python:${PYTHON_VERSION}-slim AS runtime
LABEL org.opencontainers.image.title="netreach" \
      org.opencontainers.image.description="What Kubernetes NetworkPolicies allow, proved" \
      org.opencontainers.image.licenses="Apache-2.0"
# git: `netreach diff --git BASE..HEAD` in CI; a mounted checkout belongs to another user,
# so git must trust it (safe.directory) or it refuses to read it. Debian's git of the base
# image's release, unpinned: a pinned version disappears from the archive with the next update.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/* \
 && git config --system --add safe.directory '*' \
 && useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin netreach
COPY --from=build /dist /tmp/dist
# Offline from the wheels built above: the versions are the ones stage 1 resolved.
# hadolint ignore=DL3013
RUN pip install --no-cache-dir --no-index --find-links /tmp/dist netreach \
 && rm -rf /tmp/dist
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["netreach"]
CMD ["--help"]
