# Sourced by .ci/run: make a real Redis and a real RabbitMQ reachable on loopback for the
# Celery tests, and export REDIS_URL, RABBITMQ_URL and REQUIRE_BROKERS=1 for the suite.
# Uses the ones already running on the usual ports; otherwise installs (apt) and starts
# its own on a free loopback port, with its data in a temporary folder.

broker_probe() {  # broker_probe redis|amqp PORT: does a broker of that kind answer there?
    python3 - "$1" "$2" <<'PY'
import socket, sys
kind, port = sys.argv[1], int(sys.argv[2])
hello, answer = {"redis": (b"PING\r\n", b"+PONG"), "amqp": (b"AMQP\x00\x00\x09\x01", b"\x01")}[kind]
try:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
        connection.sendall(hello)
        sys.exit(0 if connection.recv(16).startswith(answer) else 1)
except OSError:
    sys.exit(1)
PY
}

free_loopback_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_is_free() {
    python3 -c 'import socket, sys; socket.socket().bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}

apt_install() {  # apt_install PACKAGE COMMAND: install PACKAGE unless COMMAND exists
    command -v "$2" >/dev/null 2>&1 && return 0
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$1" >/dev/null
}

wait_for_broker() {  # wait_for_broker KIND PORT SECONDS
    local deadline=$((SECONDS + $3))
    until broker_probe "$1" "$2"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "brokers.sh: no $1 answering on 127.0.0.1:$2 after $3 s" >&2
            return 1
        fi
        sleep 1
    done
}

ensure_redis() {  # ensure_redis PORT: echo the URL of a Redis answering on loopback
    local port=$1
    if ! broker_probe redis "$port"; then
        apt_install redis-server redis-server >&2
        port_is_free "$port" || port=$(free_loopback_port)
        local data
        data=$(mktemp -d)
        redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --dir "$data" \
            --save '' --appendonly no --logfile "$data/redis.log" >&2
        wait_for_broker redis "$port" 30 >&2 || return 1
    fi
    echo "redis://127.0.0.1:$port/0"
}

ensure_rabbitmq() {  # ensure_rabbitmq PORT: echo the URL of a RabbitMQ answering on loopback
    local port=$1
    if ! broker_probe amqp "$port"; then
        apt_install rabbitmq-server rabbitmq-server >&2
        port_is_free "$port" || port=$(free_loopback_port)
        local data
        data=$(mktemp -d)
        mkdir -p "$data/mnesia" "$data/log"
        echo "[]." >"$data/enabled_plugins"  # no management plugin: no second port to clash
        # A config of its own, so a system-wide one cannot move the listener.
        echo "listeners.tcp.default = 127.0.0.1:$port" >"$data/rabbitmq.conf"
        # Started as root, the packaged rabbitmq-server drops to its own user.
        if [ "$(id -u)" -eq 0 ] && id rabbitmq >/dev/null 2>&1; then chown -R rabbitmq "$data"; fi
        # guest/guest may log in from loopback only, which is all the tests need.
        (cd "$data" && RABBITMQ_NODENAME="ci-$port@localhost" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
            RABBITMQ_NODE_PORT="$port" RABBITMQ_DIST_PORT="$(free_loopback_port)" \
            RABBITMQ_MNESIA_BASE="$data/mnesia" RABBITMQ_LOG_BASE="$data/log" \
            RABBITMQ_ENABLED_PLUGINS_FILE="$data/enabled_plugins" \
            RABBITMQ_CONFIG_FILE="$data/rabbitmq.conf" \
            rabbitmq-server -detached) >&2
        wait_for_broker amqp "$port" 90 >&2 || return 1
    fi
    echo "amqp://guest:guest@127.0.0.1:$port//"
}

REDIS_URL=$(ensure_redis 6379)
RABBITMQ_URL=$(ensure_rabbitmq 5672)
REQUIRE_BROKERS=1
export REDIS_URL RABBITMQ_URL REQUIRE_BROKERS
echo "brokers: $REDIS_URL $RABBITMQ_URL"
