# apt_get: apt-get that waits, a bounded time, while another apt-get or dpkg holds Debian's package locks.
# Sourced by scripts/install.sh and scripts/debian_root.sh. On a shared machine an unattended upgrade
# or another install may run at the same moment: apt-get then fails at once with "Could not get lock".
#
#   APT_LOCK_TIMEOUT  seconds to wait in all (default 600)
#   APT_PREFIX        a command to run apt-get through (sudo, or chroot ROOT), empty by default

apt_get() {
    local limit="${APT_LOCK_TIMEOUT:-600}" log said=0
    local deadline=$((SECONDS + limit))
    log="$(mktemp)"
    while true; do
        # DPkg::Lock::Timeout makes apt itself wait for dpkg's lock; the lists' lock needs the loop.
        if DEBIAN_FRONTEND=noninteractive ${APT_PREFIX:-} apt-get -o DPkg::Lock::Timeout=30 "$@" >"$log" 2>&1; then
            rm -f "$log"
            return 0
        fi
        if ! grep -qE "Could not get lock|Unable to acquire the dpkg frontend lock|Unable to lock" "$log"; then
            cat "$log" >&2
            rm -f "$log"
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            grep -E "lock" "$log" | head -3 >&2
            echo "apt-get: another apt-get or dpkg held Debian's package lock for over $limit s;" \
                "run this again once it has finished (or set APT_LOCK_TIMEOUT)" >&2
            rm -f "$log"
            return 1
        fi
        if [ "$said" = 0 ]; then
            echo "apt-get: another apt-get or dpkg holds Debian's package lock ($(grep -oE '/var/lib/[a-z/-]*lock[a-z-]*' "$log" | head -1));" \
                "waiting for it, up to $limit s" >&2
            said=1
        fi
        sleep 5
    done
}
