#!/usr/bin/env bash
# make deb: boundary-client-agent_<VERSION>_<arch>.deb from the release build, with dpkg-deb.
# The version comes from ./VERSION (and must match what the binaries report: t_pkg_deb checks).
# Output: $DEB_OUT (default .build/deb/). Prints the package's path on the last line.
# For tests only: DEB_ALLOW_UNPACKAGED_LIBS=1 packages binaries that load libraries no Debian package
# owns (a debug build's Swift runtime from the toolchain), DEB_COMPRESSION=gzip|xz|none.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.build/release}
CLI_DOCS=${CLI_DOCS:-.build/cli-docs}
OUT=${DEB_OUT:-.build/deb}
VERSION=$(tr -d ' \n' <VERSION)
ARCH=$(dpkg --print-architecture)
NAME=boundary-client-agent
STAGE=$OUT/stage

rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN"
# Debian layout: /usr, the unit under /lib/systemd/system, zsh's vendor directory, gzipped man pages.
DESTDIR=$STAGE PREFIX=/usr SYSCONFDIR=/etc UNITDIR=/lib/systemd/system BIN=$BIN CLI_DOCS=$CLI_DOCS \
    ZSHDIR=/usr/share/zsh/vendor-completions DOCDIR=/usr/share/doc/$NAME MAN_SUFFIX=.gz \
    packaging/install.sh files >/dev/null

# Depends: the package owning each shared library the binaries load (>= the version built against).
depends=()
libs=$(for f in "$STAGE"/usr/bin/boundary-agent "$STAGE"/usr/libexec/$NAME/*; do ldd "$f"; done |
    awk '/=> \// { print $3 }' | sort -u)
for lib in $libs; do
    real=$(readlink -f "$lib")
    pkg=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$real" 2>/dev/null || true)
    pkg=${pkg%%:*}
    if [ -z "$pkg" ] && [ "${DEB_ALLOW_UNPACKAGED_LIBS:-0}" = 1 ]; then
        echo "build-deb: warning: $lib belongs to no Debian package (test build)" >&2
        continue
    fi
    if [ -z "$pkg" ]; then
        echo "build-deb: $lib belongs to no Debian package (link the Swift runtime statically: make build)" >&2
        exit 1
    fi
    ver=$(dpkg-query -W -f='${Version}' "$pkg")
    # Upstream part of the version only: any later Debian revision of the library will do.
    depends+=("$pkg (>= ${ver%%-*})")
done
depends+=("passwd" "init-system-helpers (>= 1.54)")
depends_line=$(printf '%s\n' "${depends[@]}" | sort -u | paste -sd, | sed 's/,/, /g')

size=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@INSTALLED_SIZE@/$size/" \
    -e "s/@DEPENDS@/$depends_line/" packaging/debian/control.in >"$STAGE/DEBIAN/control"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$STAGE/DEBIAN/"
# conffiles: dpkg keeps an admin's edits on upgrade and removes these only on purge.
(cd "$STAGE" && find etc -type f | sed 's|^|/|' | sort) >"$STAGE/DEBIAN/conffiles"
(cd "$STAGE" && find . -path ./DEBIAN -prune -o -type f -print0 | sort -z | xargs -0 md5sum | sed 's|  \./|  |') \
    >"$STAGE/DEBIAN/md5sums"

deb=$OUT/${NAME}_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-xz}" --build "$STAGE" "$deb" >/dev/null
rm -rf "$STAGE"
echo "$deb"
