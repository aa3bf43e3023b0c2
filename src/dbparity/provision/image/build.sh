#!/bin/sh
# Build a PostgreSQL container image from Debian's own packages, for machines that cannot pull
# from a registry (firewalls, air-gapped CI). Needs root, debootstrap and a Docker engine.
#
#   build.sh MAJOR TAG [TARBALL]
#
# MAJOR picks the Debian suite that ships it (13: bullseye, 15: bookworm, 17: trixie). The image
# behaves as the official postgres image does for what testcontainers uses: POSTGRES_USER,
# POSTGRES_PASSWORD, POSTGRES_DB, /docker-entrypoint-initdb.d, the readiness line, psql inside.
# With TARBALL, the image is also saved there (docker save), so a later run loads it instead of
# building again. Mirror: $DEBIAN_MIRROR, else the first deb.debian.org-style URI apt uses here.
set -eu

major=${1:?usage: build.sh MAJOR TAG [TARBALL]}
tag=${2:?usage: build.sh MAJOR TAG [TARBALL]}
tarball=${3:-}
here=$(cd "$(dirname "$0")" && pwd)

case "$major" in
    13) suite=bullseye ;;
    15) suite=bookworm ;;
    17) suite=trixie ;;
    *) echo "build.sh: no Debian suite ships PostgreSQL $major (13, 15 and 17 do)" >&2; exit 2 ;;
esac

mirror=${DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
    mirror=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
        | sed -n -e 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' \
                 -e 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\).*/\2/p' \
        | grep -v security | head -n 1)
fi
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d "${TMPDIR:-/tmp}/dbparity-image-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
root="$work/rootfs"

echo "build.sh: debootstrap $suite from $mirror" >&2
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }

# No cluster at install time (the entrypoint makes one per container), no services started.
mkdir -p "$root/etc/postgresql-common/createcluster.d"
echo "create_main_cluster = false" >"$root/etc/postgresql-common/createcluster.d/dbparity.conf"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/dbparity-unsafe-io"
chmod 755 "$root/usr/sbin/policy-rc.d"
echo "build.sh: installing postgresql-$major" >&2
chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends "postgresql-$major" >"$work/apt.log" 2>&1 \
    || { tail -n 20 "$work/apt.log" >&2; exit 1; }
chroot "$root" apt-get clean
rm -rf "$root/var/lib/apt/lists"/* "$root/usr/share/doc"/* "$root/usr/share/man"/* \
    "$root/usr/share/locale"/* "$root/usr/sbin/policy-rc.d" \
    "$root/etc/dpkg/dpkg.cfg.d/dbparity-unsafe-io"
install -m 755 "$here/entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
mkdir -p "$root/docker-entrypoint-initdb.d" "$root/var/run/postgresql"
chroot "$root" chown postgres:postgres /var/run/postgresql

echo "build.sh: importing as $tag" >&2
tar -C "$root" -c . | docker import \
    --change "ENV PATH=/usr/lib/postgresql/$major/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV PGDATA=/var/lib/postgresql/data" \
    --change "ENV LANG=C.UTF-8" \
    --change "EXPOSE 5432" \
    --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
    --change 'CMD ["postgres"]' \
    --message "dbparity: PostgreSQL $major from Debian $suite" \
    - "$tag" >/dev/null

if [ -n "$tarball" ]; then
    mkdir -p "$(dirname "$tarball")"
    docker save "$tag" >"$tarball.part"
    mv "$tarball.part" "$tarball"
fi
echo "build.sh: built $tag" >&2
