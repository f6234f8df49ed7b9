# Multi-stage build: compile in the Rust image, run in a slim Debian as a non-root user.
#   docker build -t liaison .
#   docker run -p 8080:8080 -e DATABASE_URL=postgres://user:pass@db-host:5432/liaison \
#       -e LIAISON_JWT_SECRET="$(openssl rand -base64 48)" liaison
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
COPY migrations ./migrations
RUN cargo build --release --locked --bin liaison

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin liaison
COPY --from=build /src/target/release/liaison /usr/local/bin/liaison
USER 10001
ENV LIAISON_BIND=0.0.0.0:8080 \
    LIAISON_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["liaison"]
CMD ["serve"]
