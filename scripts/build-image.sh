#!/usr/bin/env bash
# Builds the server's container image in two steps: a static binary
# (CGO_ENABLED=0), then an image FROM scratch around it (Dockerfile).
#
#   scripts/build-image.sh [TAG]        (default partner-server:dev)
#
# Uses buildah when it is installed (no daemon needed; BUILDAH_FLAGS adds
# global flags such as "--storage-driver vfs"), else docker. VERSION sets
# the version the binary reports (default: from git).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

tag="${1:-partner-server:dev}"
version="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
ctx="build/image"
certs=""
for f in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/cert.pem; do
	if [ -s "$f" ]; then certs="$f"; break; fi
done
if [ -z "$certs" ]; then
	echo "build-image: no CA bundle found on this machine (install ca-certificates)" >&2
	exit 1
fi

rm -rf "$ctx"
mkdir -p "$ctx/rootfs/etc/ssl/certs" "$ctx/data"
chmod 0700 "$ctx/data"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$ctx/rootfs/server" ./cmd/server
cp "$certs" "$ctx/rootfs/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/data:/sbin/nologin\n' >"$ctx/rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$ctx/rootfs/etc/group"
cp Dockerfile "$ctx/Dockerfile"

if command -v buildah >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	buildah ${BUILDAH_FLAGS:-} bud --isolation "${BUILDAH_ISOLATION:-chroot}" -t "$tag" "$ctx"
else
	docker build -t "$tag" "$ctx"
fi
echo "built $tag (server $version)"
