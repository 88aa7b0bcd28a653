#!/usr/bin/env bash
# Installs boundary-client-agent's files, sets up or tears down the system parts. Driven by the
# Makefile (make install / make uninstall / make deb); every path comes from the environment:
#
#   packaging/install.sh files       copy binaries, unit, config, completions, man pages, docs into
#                                    $DESTDIR (a staging dir for the .deb, or / for make install)
#   packaging/install.sh system      the live-system part of `make install`: the worker user, the
#                                    log file, systemd (daemon-reload + enable when systemd runs)
#   packaging/install.sh uninstall   stop and disable, undo leftovers (helper cleanup), remove the
#                                    files `files` installed, the user and the agent's directories
#
# Variables (defaults for make install): PREFIX=/usr/local SYSCONFDIR=/etc
# UNITDIR=/etc/systemd/system BIN=.build/release CLI_DOCS=.build/cli-docs DESTDIR=
set -euo pipefail

PREFIX=${PREFIX:-/usr/local}
SYSCONFDIR=${SYSCONFDIR:-/etc}
UNITDIR=${UNITDIR:-/etc/systemd/system}
BIN=${BIN:-.build/release}
CLI_DOCS=${CLI_DOCS:-.build/cli-docs}
DESTDIR=${DESTDIR:-}
# Where the zsh completion goes differs between a local install and a distribution package.
ZSHDIR=${ZSHDIR:-$PREFIX/share/zsh/site-functions}
# Where the docs go (the .deb: /usr/share/doc/boundary-client-agent).
DOCDIR=${DOCDIR:-$PREFIX/share/doc/boundary-client-agent}

NAME=boundary-client-agent
USER_NAME=boundary-agent
# Marks the account as ours: uninstall and the .deb's postrm remove only an account with it.
USER_COMMENT="boundary-client-agent sandboxed workers"
LIBEXEC=$PREFIX/libexec/$NAME
WORKERS=(boundary-agent-helper boundary-agent-dns boundary-agent-proxy)
LOG_FILE=/var/log/$NAME.log

say() { echo "install.sh: $*"; }

# The unit as shipped names /usr/libexec and /etc/boundary; rewrite for this PREFIX/SYSCONFDIR.
render_unit() {
    sed -e "s|/usr/libexec/$NAME/|$LIBEXEC/|g" -e "s|/etc/boundary/|$SYSCONFDIR/boundary/|g" \
        systemd/$NAME.service
}

# The configuration as installed: the sample with every key at its default, except the state file,
# which moves from /run to /var/lib: it holds the resolv.conf backup, and a crash followed by a
# reboot (which empties /run) must still be undone by the next start (docs/security.md).
render_config() {
    sed -e 's|^#state_file = "/run/boundary-client-agent/state.json"$|# Installed: on disk, not in /run, so that a crash followed by a reboot can still be undone\
# (the state file holds the resolv.conf backup).\
state_file = "/var/lib/boundary-client-agent/state.json"|' config/$NAME.hcl
}

# Every file `files` installs, relative to DESTDIR (uninstall removes exactly these).
file_list() {
    echo "$PREFIX/bin/boundary-agent"
    for w in "${WORKERS[@]}"; do echo "$LIBEXEC/$w"; done
    echo "$PREFIX/sbin/boundary-agent-helper"
    echo "$UNITDIR/$NAME.service"
    echo "$SYSCONFDIR/logrotate.d/$NAME"
    echo "$PREFIX/share/bash-completion/completions/boundary-agent"
    echo "$ZSHDIR/_boundary-agent"
    echo "$PREFIX/share/fish/vendor_completions.d/boundary-agent.fish"
    for m in "$CLI_DOCS"/man/man1/*.1; do
        [ -e "$m" ] && echo "$PREFIX/share/man/man1/$(basename "$m")${MAN_SUFFIX:-}"
    done
    for d in README.md docs/*.md; do echo "$DOCDIR/$d"; done
}

files() {
    local d=$DESTDIR
    for b in boundary-agent "${WORKERS[@]}"; do
        [ -x "$BIN/$b" ] || { echo "install.sh: $BIN/$b is not built (make build)" >&2; exit 1; }
    done
    [ -f "$CLI_DOCS/completions/boundary-agent.bash" ] || {
        echo "install.sh: no completions in $CLI_DOCS (make completions man)" >&2
        exit 1
    }
    install -d -m 0755 "$d$PREFIX/bin" "$d$LIBEXEC" "$d$PREFIX/sbin" "$d$UNITDIR" "$d$SYSCONFDIR/boundary" \
        "$d$SYSCONFDIR/logrotate.d"
    install -m 0755 "$BIN/boundary-agent" "$d$PREFIX/bin/boundary-agent"
    # The helper starts the workers from its own directory (/proc/self/exe), so all three live
    # together in libexec; sbin has a symlink for admins (-validate, cleanup).
    for w in "${WORKERS[@]}"; do install -m 0755 "$BIN/$w" "$d$LIBEXEC/$w"; done
    # Symbol tables only (the Swift runtime's metadata stays): 160 MB -> 60 MB. STRIP=0 keeps them.
    if [ "${STRIP:-1}" = 1 ]; then
        strip --strip-unneeded "$d$PREFIX/bin/boundary-agent" "${WORKERS[@]/#/$d$LIBEXEC/}"
    fi
    ln -sfn "../libexec/$NAME/boundary-agent-helper" "$d$PREFIX/sbin/boundary-agent-helper"
    render_unit >"$d$UNITDIR/$NAME.service"
    chmod 0644 "$d$UNITDIR/$NAME.service"
    # The configuration is never overwritten: an admin's edits win over a new default.
    if [ -e "$d$SYSCONFDIR/boundary/$NAME.hcl" ]; then
        say "keeping the existing $SYSCONFDIR/boundary/$NAME.hcl"
    else
        render_config >"$d$SYSCONFDIR/boundary/$NAME.hcl"
        chmod 0644 "$d$SYSCONFDIR/boundary/$NAME.hcl"
    fi
    install -m 0644 packaging/logrotate "$d$SYSCONFDIR/logrotate.d/$NAME"
    install -D -m 0644 "$CLI_DOCS/completions/boundary-agent.bash" \
        "$d$PREFIX/share/bash-completion/completions/boundary-agent"
    install -D -m 0644 "$CLI_DOCS/completions/_boundary-agent" "$d$ZSHDIR/_boundary-agent"
    install -D -m 0644 "$CLI_DOCS/completions/boundary-agent.fish" \
        "$d$PREFIX/share/fish/vendor_completions.d/boundary-agent.fish"
    install -d -m 0755 "$d$PREFIX/share/man/man1"
    for m in "$CLI_DOCS"/man/man1/*.1; do
        [ -e "$m" ] || continue
        install -m 0644 "$m" "$d$PREFIX/share/man/man1/$(basename "$m")"
        [ -n "${MAN_SUFFIX:-}" ] && gzip -9nf "$d$PREFIX/share/man/man1/$(basename "$m")"
    done
    for doc in README.md docs/*.md; do install -D -m 0644 "$doc" "$d$DOCDIR/$doc"; done
}

systemd_running() { [ -d /run/systemd/system ]; }

system() {
    if ! getent passwd "$USER_NAME" >/dev/null; then
        useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
            --comment "$USER_COMMENT" "$USER_NAME"
        say "created the system user $USER_NAME"
    fi
    # ProtectSystem=strict: the unit can only write a log file that exists (ReadWritePaths).
    if [ ! -e "$LOG_FILE" ]; then
        install -m 0640 -o root -g adm /dev/null "$LOG_FILE" 2>/dev/null || install -m 0640 /dev/null "$LOG_FILE"
    fi
    if systemd_running; then
        systemctl daemon-reload
        systemctl enable "$NAME.service"
        say "enabled $NAME.service; start it with: systemctl start $NAME"
    else
        systemctl enable "$NAME.service" 2>/dev/null || true
        say "systemd is not running here (a container?): the unit is installed but not started"
    fi
}

uninstall() {
    if systemd_running; then
        systemctl disable --now "$NAME.service" 2>/dev/null || true
    else
        systemctl disable "$NAME.service" 2>/dev/null || true
    fi
    # Whatever a crashed run left (addresses, routes, nftables, resolv.conf): undone while the
    # helper is still installed. Fails harmlessly when nothing is recorded or a helper still runs.
    [ -x "$LIBEXEC/boundary-agent-helper" ] &&
        "$LIBEXEC/boundary-agent-helper" cleanup -config "$SYSCONFDIR/boundary/$NAME.hcl" >/dev/null 2>&1 || true
    local f
    while read -r f; do rm -f "$DESTDIR$f"; done < <(file_list)
    rmdir "$LIBEXEC" "$DOCDIR/docs" "$DOCDIR" 2>/dev/null || true
    local conf=$SYSCONFDIR/boundary/$NAME.hcl
    if [ -e "$conf" ] && cmp -s "$conf" <(render_config); then
        rm -f "$conf"
    elif [ -e "$conf" ]; then
        say "kept $conf (it differs from the shipped default); remove it by hand if you want"
    fi
    rmdir "$SYSCONFDIR/boundary" 2>/dev/null || true
    rm -rf /run/$NAME /var/lib/$NAME
    rm -f "$LOG_FILE" "$LOG_FILE".[0-9]* "$LOG_FILE".*.gz
    systemd_running && systemctl daemon-reload
    if [ "$(getent passwd "$USER_NAME" | cut -d: -f5)" = "$USER_COMMENT" ]; then
        userdel "$USER_NAME" || say "could not remove the user $USER_NAME (processes still running as it?)"
    fi
    say "uninstalled"
}

case "${1:-}" in
files) files ;;
config) render_config ;;
system) system ;;
uninstall) uninstall ;;
list) file_list ;;
*)
    echo "usage: packaging/install.sh files|system|uninstall|list" >&2
    exit 2
    ;;
esac
