# syntax=docker/dockerfile:1

# dsrflow: the single `dsr` binary (serve | worker | migrate | version).
#
#   docker build -t dsrflow/dsr:dev .
#   docker run --rm dsrflow/dsr:dev version

FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# Shown by `dsr version`.
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /dsr ./cmd/dsr

# Alpine rather than distroless: the compose healthcheck of `dsr serve` needs
# an HTTP client (busybox wget) to call /readyz. tzdata for the deadline
# calendars, ca-certificates for SMTP over TLS and TLS to Postgres/Temporal.
FROM alpine:3.22
RUN apk add --no-cache ca-certificates tzdata \
 && addgroup -S -g 10001 dsr \
 && adduser -S -D -H -u 10001 -G dsr -h /var/lib/dsr dsr \
 && mkdir -p /var/lib/dsr /etc/dsr \
 && chown dsr:dsr /var/lib/dsr
COPY --from=build /dsr /usr/local/bin/dsr

# `dsr` reads dsr.yaml from its working directory when present: mount one at
# /etc/dsr/dsr.yaml for calendars and policies. Everything else comes from
# DSR_* variables (see docker-compose.yml).
WORKDIR /etc/dsr
ENV DSR_HTTP_ADDR=0.0.0.0:8080 \
    DSR_DATA_DIR=/var/lib/dsr
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/dsr"]
CMD ["serve"]
