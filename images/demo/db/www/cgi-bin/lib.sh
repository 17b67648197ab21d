# Shared helpers for the db CGI scripts (sourced, not run).
data_dir="${DB_DATA_DIR:-/var/lib/demo-db}"
mkdir -p "$data_dir"

reply() {
    printf 'Content-Type: text/plain\r\n\r\n%s\n' "$1"
    exit 0
}

fail() {
    printf 'Status: %s\r\nContent-Type: text/plain\r\n\r\nerror: %s\n' "$1" "$2"
    exit 0
}

# The `key` parameter of the query string, when it is a safe file name.
query_key() {
    key="$(echo "$QUERY_STRING" | tr '&' '\n' | sed -n 's/^key=//p' | head -n1)"
    case "$key" in
        "" | *[!A-Za-z0-9_-]*) return 1 ;;
    esac
    echo "$key"
}

# A mkdir lock: busybox-static has no flock, and mkdir is atomic.
lock() {
    tries=0
    until mkdir "$data_dir/.lock" 2>/dev/null; do
        tries=$((tries + 1))
        [ "$tries" -gt 50 ] && return 1
        usleep 100000
    done
}

unlock() { rmdir "$data_dir/.lock"; }
