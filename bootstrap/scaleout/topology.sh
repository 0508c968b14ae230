#!/usr/bin/env bash
# Starts and stops Onit's scale-out topology on one machine, on loopback,
# spare ports and a temporary directory, never touching the machine's own
# MariaDB or Redis:
#   - a Redis Cluster of 3 masters, each with a replica (ports BASE+1..6);
#   - a MariaDB primary (BASE+10) and a read-only replica following it by
#     GTID (BASE+11);
#   - N Onit instances (BASE+21..) in production mode, cluster mode, with the
#     replica as their reader, migrated once with `onit migrate up`;
#   - nginx (Debian package; installed when missing) as the round-robin load
#     balancer on BASE+30.
#
# usage: topology.sh up [N]     (N instances, default 2)
#        topology.sh down       (stops only the processes it started)
#        topology.sh lb N       (the load balancer over instances 1..N only)
#        topology.sh env        (prints the addresses, for scripts)
# SCALEOUT_DIR (default /tmp/onit-scaleout) and SCALEOUT_BASE_PORT (default
# 27000) choose where.
set -Eeuo pipefail
cd "$(dirname "$0")/../.."

DIR=${SCALEOUT_DIR:-/tmp/onit-scaleout}
BASE=${SCALEOUT_BASE_PORT:-27000}
PIDS=$DIR/pids
APP_USER=onit APP_PASS=onit-scaleout-pass DB=onit
METRICS_TOKEN=scaleout-metrics-token-0123456789abcdef

log() { printf '== %s\n' "$*" >&2; }
track() { echo "$1 $2" >>"$PIDS"; } # pid name

wait_for() { # what, tries, command…
  local what=$1 tries=$2; shift 2
  for _ in $(seq 1 "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  log "$what did not come up"; return 1
}

# ports_free refuses to start when a port the topology needs already
# answers: a server found there would be someone else's (a redis-cli ping
# would succeed against it), and must not be clustered, replicated or
# killed. Redis Cluster also needs each node's port + 10000 for its bus.
ports_free() {
  local n=$1 p busy=()
  for p in $(seq $((BASE + 1)) $((BASE + 6))) $(seq $((BASE + 10001)) $((BASE + 10006))) \
    $((BASE + 10)) $((BASE + 11)) $(seq $((BASE + 21)) $((BASE + 20 + n))) $((BASE + 30)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && busy+=("$p")
  done
  [ ${#busy[@]} -eq 0 ] || { log "ports in use: ${busy[*]} (choose another SCALEOUT_BASE_PORT)"; return 1; }
}

start_redis_cluster() {
  local nodes=()
  for i in 1 2 3 4 5 6; do
    local port=$((BASE + i)) d=$DIR/redis-$i
    mkdir -p "$d"
    redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file "$d/nodes.conf" \
      --cluster-node-timeout 2000 --appendonly no --save "" --dir "$d" --logfile "$d/redis.log" \
      --daemonize yes --pidfile "$d/redis.pid"
    wait_for "redis $port" 50 redis-cli -p "$port" ping
    track "$(cat "$d/redis.pid")" "redis-$port"
    nodes+=("127.0.0.1:$port")
  done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$DIR/redis-cluster.log"
  wait_for "redis cluster" 100 sh -c "redis-cli -p $((BASE + 1)) cluster info | grep -q cluster_state:ok"
}

start_mariadb() { # name port extra options…
  local name=$1 port=$2; shift 2
  local d=$DIR/$name
  # A tmpdir of its own: a starting mariadbd deletes every #sql* file in
  # its tmpdir, which in /tmp are other servers' temporary tables.
  mkdir -p "$d/tmp"
  local user=()
  [ "$(id -u)" = 0 ] && user=(--user=root)
  mariadb-install-db --no-defaults --datadir="$d/data" --tmpdir="$d/tmp" --auth-root-authentication-method=normal \
    --skip-test-db "${user[@]}" >"$d/install.log" 2>&1
  /usr/sbin/mariadbd --no-defaults --datadir="$d/data" --tmpdir="$d/tmp" --socket="$d/mysqld.sock" --port="$port" \
    --bind-address=127.0.0.1 --skip-name-resolve --pid-file="$d/mariadb.pid" --log-error="$d/mariadb.log" \
    --innodb-buffer-pool-size=128M --max-connections=200 "${user[@]}" "$@" &
  track $! "mariadb-$name"
  wait_for "mariadb $name" 150 mariadb --socket="$d/mysqld.sock" -uroot -e 'SELECT 1'
}

sql() { mariadb --socket="$DIR/$1/mysqld.sock" -uroot -e "$2"; }

start_databases() {
  start_mariadb primary $((BASE + 10)) --log-bin=primary-bin --server-id=1 --binlog-format=ROW
  start_mariadb replica $((BASE + 11)) --server-id=2 --read-only=ON
  sql primary "CREATE DATABASE $DB CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    CREATE USER '$APP_USER'@'127.0.0.1' IDENTIFIED BY '$APP_PASS';
    GRANT ALL PRIVILEGES ON $DB.* TO '$APP_USER'@'127.0.0.1';
    GRANT REPLICA MONITOR ON *.* TO '$APP_USER'@'127.0.0.1';
    CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-pass';
    GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';"
  sql replica "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$((BASE + 10)), MASTER_USER='repl',
    MASTER_PASSWORD='repl-pass', MASTER_USE_GTID=slave_pos; START SLAVE;"
  wait_for "replication" 150 sh -c "mariadb --socket=$DIR/replica/mysqld.sock -uroot -N -e \"SELECT COUNT(*) FROM mysql.user WHERE user='repl'\" | grep -q 1"
}

onit_env() { # instance number
  cat <<ENV
ONIT_ENV=production
ONIT_SECRET_KEY=scaleout-topology-secret-5f4e3d2c1b0a99887766554433221100ffeeddcc
ONIT_HTTP_ADDR=127.0.0.1:$((BASE + 20 + $1))
ONIT_ALLOWED_HOSTS=127.0.0.1,localhost
ONIT_SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto
ONIT_SESSION_COOKIE_SECURE=false
ONIT_MYSQL_DSN='$APP_USER:$APP_PASS@tcp(127.0.0.1:$((BASE + 10)))/$DB'
ONIT_MYSQL_REPLICA_DSN='$APP_USER:$APP_PASS@tcp(127.0.0.1:$((BASE + 11)))/$DB'
ONIT_MYSQL_TLS=false
ONIT_REDIS_ADDRS=127.0.0.1:$((BASE + 1)),127.0.0.1:$((BASE + 2)),127.0.0.1:$((BASE + 3))
ONIT_REDIS_CLUSTER=true
ONIT_REDIS_TLS=false
ONIT_REDIS_DISABLE_IDENTITY=false
ONIT_METRICS_TOKEN=$METRICS_TOKEN
ENV
}

start_onit() {
  local n=$1
  log "building onit"
  go build -o "$DIR/onit" ./bootstrap/cmd/onit
  log "migrating (the deploy step)"
  (set -a; . <(onit_env 1); set +a; "$DIR/onit" migrate up >"$DIR/migrate.log" 2>&1)
  for i in $(seq 1 "$n"); do
    (set -a; . <(onit_env "$i"); set +a; exec "$DIR/onit" serve >"$DIR/onit-$i.log" 2>&1) &
    track $! "onit-$i"
  done
  for i in $(seq 1 "$n"); do
    wait_for "onit $i" 300 curl -fsS "http://127.0.0.1:$((BASE + 20 + i))/readyz"
  done
}

# nginx_conf writes the load balancer's configuration over instances 1..n.
# X-Onit-Upstream carries $upstream_addr: more than one address means nginx
# retried the request on another instance (proxy_next_upstream), which an
# AWS ALB never does, so the suite counts such a request as failed.
nginx_conf() {
  local n=$1
  {
    echo "worker_processes 1; pid $DIR/nginx/nginx.pid; error_log $DIR/nginx/error.log; daemon on;"
    echo "events { worker_connections 1024; }"
    echo "http { access_log off; client_body_temp_path $DIR/nginx; proxy_temp_path $DIR/nginx;"
    echo "  upstream onit { keepalive 32;"
    for i in $(seq 1 "$n"); do echo "    server 127.0.0.1:$((BASE + 20 + i)) max_fails=0;"; done
    echo "  }"
    echo "  server { listen 127.0.0.1:$((BASE + 30));"
    echo "    location / { proxy_pass http://onit; proxy_http_version 1.1; proxy_set_header Connection \"\";"
    echo "      proxy_set_header Host 127.0.0.1; proxy_set_header X-Forwarded-Proto https;"
    echo "      add_header X-Onit-Upstream \$upstream_addr always;"
    echo "      proxy_next_upstream error timeout http_503 non_idempotent; } } }"
  } >"$DIR/nginx/nginx.conf.new"
  mv "$DIR/nginx/nginx.conf.new" "$DIR/nginx/nginx.conf"
}

start_nginx() {
  local n=$1
  if ! command -v nginx >/dev/null 2>&1; then
    log "installing nginx"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
  fi
  mkdir -p "$DIR/nginx"
  nginx_conf "$n"
  nginx -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx"
  wait_for nginx 50 test -s "$DIR/nginx/nginx.pid"
  track "$(cat "$DIR/nginx/nginx.pid")" nginx
  wait_for "the load balancer" 50 curl -fsS "http://127.0.0.1:$((BASE + 30))/readyz"
}

# lb n points the load balancer at instances 1..n only (the scaling
# table); the others keep running, idle.
lb() {
  local n=$1 up
  up=$(grep -c '^[0-9]* onit-' "$PIDS")
  [ "$n" -ge 1 ] && [ "$n" -le "$up" ] || { log "lb: want 1..$up instances, got $n"; return 2; }
  nginx_conf "$n"
  nginx -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx" -s reload
  log "load balancer over instances 1..$n"
}

down() {
  [ -f "$PIDS" ] || { log "nothing started in $DIR"; return 0; }
  # Reverse order: the load balancer, the instances, then the servers.
  tac "$PIDS" | while read -r pid name; do
    kill "$pid" 2>/dev/null && log "stopped $name ($pid)" || true
  done
  sleep 1
  tac "$PIDS" | while read -r pid _; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$DIR"
}

case ${1:-} in
up)
  n=${2:-2}
  [ -e "$PIDS" ] && { log "$DIR is in use; run '$0 down' first"; exit 1; }
  ports_free "$n" || exit 1
  mkdir -p "$DIR"; : >"$PIDS"
  trap 'log "failed; stopping what was started"; down' ERR INT TERM
  start_redis_cluster
  start_databases
  start_onit "$n"
  start_nginx "$n"
  trap - ERR INT TERM
  log "up: http://127.0.0.1:$((BASE + 30))/ over $n instances"
  ;;
down) down ;;
lb) lb "${2:?usage: $0 lb N}" ;;
env)
  echo "SCALEOUT_LB=http://127.0.0.1:$((BASE + 30))"
  echo "SCALEOUT_PRIMARY_SOCKET=$DIR/primary/mysqld.sock"
  echo "SCALEOUT_REPLICA_SOCKET=$DIR/replica/mysqld.sock"
  echo "SCALEOUT_REDIS_PORTS=$(seq -s, $((BASE + 1)) $((BASE + 6)))"
  echo "SCALEOUT_INSTANCE_PORTS=$(grep -o ' onit-[0-9]*$' "$PIDS" 2>/dev/null | tr -dc '0-9\n' | while read -r i; do echo $((BASE + 20 + i)); done | paste -sd,)"
  echo "SCALEOUT_PIDS=$PIDS"
  echo "SCALEOUT_METRICS_TOKEN=$METRICS_TOKEN"
  ;;
*) echo "usage: $0 up [N] | down | lb N | env" >&2; exit 2 ;;
esac
