# The Latchkey image: nothing but the static release binary (make release),
# the CA bundle, a non-root user id and the /data volume. .ci/release-check
# runs the binary in a chroot holding exactly these files, so what this
# image needs is proved without a container engine. Build it with
#   make release && docker build -t ghcr.io/latchkey/latchkey:$(git describe --tags --always) .
FROM scratch

LABEL org.opencontainers.image.title="latchkey" \
      org.opencontainers.image.ref.name="ghcr.io/latchkey/latchkey" \
      org.opencontainers.image.description="Latchkey: OAuth client-secret console and token gateway"

# make release puts both in dist/: the binary and this machine's CA bundle.
COPY --chmod=0755 dist/latchkey /latchkey
COPY dist/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt

# A scratch image has no /etc/passwd: a numeric, non-root id.
USER 65532:65532

# The SQLite database and its key-encryption key file (<db>.kek) live here.
# With PostgreSQL set LATCHKEY_DATABASE_DSN and LATCHKEY_SECURITY_KEYENCRYPTIONKEY.
ENV LATCHKEY_DATABASE_DSN=/data/latchkey.db
VOLUME ["/data"]

# 8092: the OAuth gateway; 8093: the console and Management API.
EXPOSE 8092 8093

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["/latchkey", "health"]

ENTRYPOINT ["/latchkey"]
CMD ["serve"]
