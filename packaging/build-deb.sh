#!/bin/sh
# Build the oxidis .deb from this checkout in one command:
#
#     packaging/build-deb.sh            -> target/debian/oxidis_VERSION-1_ARCH.deb
#
# It runs "cargo build --release" (a no-op when the binary is up to date), stages the files
# the package installs, and packs them with "dpkg-deb --build --root-owner-group". Set
# OXIDIS_BIN=/path/to/oxidis to package an existing binary without calling cargo (the tests do),
# and OUT_DIR to put the .deb elsewhere. Needs dpkg-deb, gzip, strip (binutils); uses
# dpkg-shlibdeps for the library dependencies when dpkg-dev is installed.
set -eu
umask 022
cd "$(dirname "$0")/.."
ROOT_DIR=$(pwd)

VERSION=$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)
DEB_VERSION="$VERSION-1"
ARCH=$(dpkg --print-architecture)
OUT_DIR=${OUT_DIR:-$ROOT_DIR/target/debian}

if [ -z "${OXIDIS_BIN:-}" ]; then
	cargo build --release --locked --bin oxidis
	OXIDIS_BIN=${CARGO_TARGET_DIR:-$ROOT_DIR/target}/release/oxidis
fi

STAGE=$OUT_DIR/stage
rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$OUT_DIR"

# The program, stripped, and the names it answers to.
install -d "$STAGE/usr/bin"
install -m 0755 "$OXIDIS_BIN" "$STAGE/usr/bin/oxidis"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$STAGE/usr/bin/oxidis"
ln -s oxidis "$STAGE/usr/bin/oxidis-sentinel"
ln -s oxidis "$STAGE/usr/bin/oxidis-check-rdb"

# Configuration (all conffiles).
install -d "$STAGE/etc/oxidis" "$STAGE/etc/logrotate.d"
for f in etc/*.conf; do
	install -m 0644 "$f" "$STAGE/etc/oxidis/"
done
install -m 0644 packaging/debian/logrotate "$STAGE/etc/logrotate.d/oxidis"

# systemd units.
install -d "$STAGE/lib/systemd/system"
for f in systemd/*; do
	install -m 0644 "$f" "$STAGE/lib/systemd/system/"
done

# Documentation.
DOC=$STAGE/usr/share/doc/oxidis
install -d "$DOC" "$STAGE/usr/share/man/man1" "$STAGE/usr/share/man/man5" \
	"$STAGE/usr/share/lintian/overrides"
install -m 0644 packaging/debian/copyright "$DOC/copyright"
gzip -9n <packaging/debian/changelog >"$DOC/changelog.Debian.gz"
gzip -9n <packaging/man/oxidis.1 >"$STAGE/usr/share/man/man1/oxidis.1.gz"
gzip -9n <packaging/man/oxidis.conf.5 >"$STAGE/usr/share/man/man5/oxidis.conf.5.gz"
ln -s oxidis.1.gz "$STAGE/usr/share/man/man1/oxidis-sentinel.1.gz"
ln -s oxidis.1.gz "$STAGE/usr/share/man/man1/oxidis-check-rdb.1.gz"
install -m 0644 packaging/debian/lintian-overrides "$STAGE/usr/share/lintian/overrides/oxidis"
chmod 0644 "$DOC"/* "$STAGE"/usr/share/man/man*/oxidis*.gz 2>/dev/null || true

# Maintainer scripts and metadata.
for s in postinst prerm postrm; do
	install -m 0755 "packaging/debian/$s" "$STAGE/DEBIAN/$s"
done
(cd "$STAGE" && find etc -type f | sed 's|^|/|' | sort) >"$STAGE/DEBIAN/conffiles"
chmod 0644 "$STAGE/DEBIAN/conffiles"

# Library dependencies: from dpkg-shlibdeps when available, else what a Rust binary on a
# glibc system always needs.
DEPENDS=""
if command -v dpkg-shlibdeps >/dev/null 2>&1; then
	SHLIB_TMP=$(mktemp -d)
	mkdir -p "$SHLIB_TMP/debian"
	printf 'Source: oxidis\n\nPackage: oxidis\nArchitecture: any\n' >"$SHLIB_TMP/debian/control"
	DEPENDS=$(cd "$SHLIB_TMP" && dpkg-shlibdeps -O "$STAGE/usr/bin/oxidis" 2>/dev/null |
		sed -n 's/^shlibs:Depends=//p') || DEPENDS=""
	rm -rf "$SHLIB_TMP"
fi
if [ -z "$DEPENDS" ]; then
	DEPENDS="libc6, libgcc-s1"
fi
DEPENDS="adduser, $DEPENDS"

SIZE=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
sed -e "s/@VERSION@/$DEB_VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE@/$SIZE/" \
	-e "s/@DEPENDS@/$DEPENDS/" packaging/debian/control.in >"$STAGE/DEBIAN/control"
(cd "$STAGE" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | sort |
	xargs md5sum) >"$STAGE/DEBIAN/md5sums"
chmod 0644 "$STAGE/DEBIAN/control" "$STAGE/DEBIAN/md5sums"

DEB=$OUT_DIR/oxidis_${DEB_VERSION}_$ARCH.deb
dpkg-deb --build --root-owner-group -Zxz "$STAGE" "$DEB" >/dev/null
echo "$DEB"
