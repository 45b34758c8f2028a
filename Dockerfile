# The server's container image: one static binary, TLS roots so calls to
# Vercel verify, a non-root user and a writable /data. No shell, no package
# manager, nothing pulled: the base is scratch and the files come from a
# directory staged by scripts/build-image.sh, which builds the binary first
# (CGO_ENABLED=0) and then this image.
#
#   scripts/build-image.sh partner-server:dev
#
# The binary reads its configuration from PARTNER_* environment variables
# (or a file given with -config); see the README's "Container" section.
FROM scratch
COPY rootfs/ /
COPY --chown=65532:65532 data/ /data/
USER 65532:65532
ENV PARTNER_LISTEN=0.0.0.0:8080 PARTNER_DATABASE_DSN=/data/partner.db
EXPOSE 8080
VOLUME ["/data"]
ENTRYPOINT ["/server"]
