# Sourced by .ci/run: a real PostgreSQL on loopback for the jobs_store=postgresql suites, and
# PostgreSQL's server programs (initdb, pg_ctl) for the outage tests, which start their own.
# Exports JOBS_TEST_DATABASE_URL and REQUIRE_POSTGRES=1, so those tests cannot skip.
# Uses the server answering on 127.0.0.1:5432 (user postgres, trust authentication) if there is
# one; otherwise installs PostgreSQL (apt) and starts a private one on a free loopback port,
# with its data in a temporary folder.

postgres_bindir() {  # the folder of initdb and pg_ctl (Debian keeps them off PATH)
    local found
    if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
        pg_config --bindir
        return 0
    fi
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$found" ] && [ -x "$found/initdb" ] && echo "$found"
}

postgres_probe() {  # postgres_probe PORT: does a PostgreSQL accept user postgres there?
    local bindir
    bindir=$(postgres_bindir)
    if [ -n "$bindir" ] && [ -x "$bindir/psql" ]; then
        "$bindir/psql" -w -h 127.0.0.1 -p "$1" -U postgres -d postgres -Atqc "SELECT 1" \
            >/dev/null 2>&1
        return
    fi
    # No client here: PostgreSQL answers an SSLRequest with one byte, S or N.
    python3 - "$1" <<'PY'
import socket, struct, sys
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2) as connection:
        connection.sendall(struct.pack("!ii", 8, 80877103))
        sys.exit(0 if connection.recv(1) in (b"S", b"N") else 1)
except OSError:
    sys.exit(1)
PY
}

postgres_install() {  # PostgreSQL's server programs, from apt, unless they are here already
    [ -n "$(postgres_bindir)" ] && return 0
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q >/dev/null &&
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q postgresql >/dev/null
}

postgres_start_private() {  # echo the URL of a new PostgreSQL on a free loopback port
    local bindir port data as_owner=()
    bindir=$(postgres_bindir) || return 1
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    data=$(mktemp -d)
    # initdb and pg_ctl refuse to run as root: as root, the cluster belongs to postgres.
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$data"
        as_owner=(runuser -u postgres --)
    fi
    "${as_owner[@]}" "$bindir/initdb" -D "$data/db" -A trust -U postgres >/dev/null || return 1
    "${as_owner[@]}" "$bindir/pg_ctl" -D "$data/db" -l "$data/postgres.log" -w \
        -o "-p $port -k $data -c listen_addresses=127.0.0.1" start >/dev/null || return 1
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
}

ensure_postgres() {  # echo the URL of a PostgreSQL the tests may create databases on
    postgres_install >&2 || return 1
    if postgres_probe 5432; then
        echo "postgresql://postgres@127.0.0.1:5432/postgres"
    else
        postgres_start_private
    fi
}

JOBS_TEST_DATABASE_URL=$(ensure_postgres)
REQUIRE_POSTGRES=1
export JOBS_TEST_DATABASE_URL REQUIRE_POSTGRES
echo "postgres: $JOBS_TEST_DATABASE_URL"
