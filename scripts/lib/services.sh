# Shared by scripts/start and scripts/test: make sure what firstcome needs on this machine is there.
# Sourced, not run.

say() { printf '%s\n' "$*" >&2; }

# .env, when present, as firstcome reads it (src/cli/dot-env.ts): a variable set in the environment wins.
# Only the shell sees them (not exported), to tell local services from the operator's; firstcome reads
# .env itself.
load_dot_env() {
  [[ -f .env ]] || return 0
  local line name value
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    name=${BASH_REMATCH[2]} value=${BASH_REMATCH[3]}
    [[ -n ${!name+set} ]] && continue
    value=${value%%[[:space:]]#*}
    [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]] && value=${BASH_REMATCH[1]}
    printf -v "$name" '%s' "$value"
  done <.env
}

# npm ci when node_modules is missing or older than the lock file (a pull that changed dependencies).
ensure_dependencies() {
  if [[ ! -x node_modules/.bin/node || package-lock.json -nt node_modules/.package-lock.json ]]; then
    say "installing dependencies (npm ci)…"
    npm ci --no-audit --no-fund --loglevel=error >&2
  fi
}

redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && IFS= read -r -t 2 line <&3 && [[ $line == +PONG* ]]) 2>/dev/null; }
postgres_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

# Only the local defaults are started here (as .env.example spells them, or unset); a REDIS_URL or
# DATABASE_URL elsewhere is the operator's to run.
ensure_redis() {
  [[ -n ${REDIS_CLUSTER_NODES:-} || ${REDIS_URL:-redis://127.0.0.1:6379} != redis://127.0.0.1:6379 ]] && return 0
  redis_up && return 0
  say "Redis is not answering on 127.0.0.1:6379; starting it…"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >&2 || true
  for _ in $(seq 1 50); do redis_up && return 0; sleep 0.1; done
  say "Redis did not start. Start it with:"
  say "  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save \"\" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log"
  return 1
}

ensure_postgres() {
  [[ ${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/} =~ ^postgres(ql)?://[^@/]*@?(127\.0\.0\.1|localhost)(:5432)?/ ]] || return 0
  postgres_up && return 0
  say "PostgreSQL is not answering on 127.0.0.1:5432; starting it…"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start >&2 || true
  for _ in $(seq 1 100); do postgres_up && return 0; sleep 0.1; done
  say "PostgreSQL did not start. Start it with:"
  say "  pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start"
  return 1
}

mariadb_up() { mariadb-admin --protocol=socket -uroot ping >/dev/null 2>&1; }

# MariaDB for the MySQL store's tests (issue 11), and the password user they connect as: root logs in
# through the socket only, and firstcome connects over TCP with a password, as it would to a user's MySQL.
# TEST_MYSQL_SERVER, when set, names a server of the operator's instead.
ensure_mariadb() {
  [[ -n ${TEST_MYSQL_SERVER:-} ]] && return 0
  if [[ ! -x /usr/sbin/mariadbd ]]; then
    say "npm test runs the store's tests on MariaDB too: installing Debian's mariadb-server system-wide"
    say "(apt-get install, as root; TEST_MYSQL_SERVER=mysql://user:pass@host:port/ names a server of yours instead)…"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mariadb-server >&2
  fi
  if ! mariadb_up; then
    say "MariaDB is not answering; starting it…"
    # Its socket directory lives in /run, which a fresh boot empties and only systemd would make again.
    install -d -o mysql -g mysql /run/mysqld 2>/dev/null || true
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >&2 || true
    for _ in $(seq 1 100); do mariadb_up && break; sleep 0.1; done
  fi
  if ! mariadb_up; then
    say "MariaDB did not start. Start it with:"
    say "  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"
    return 1
  fi
  # Test databases are named firstcome_*; the user may create and drop only those.
  mariadb --protocol=socket -uroot <<'SQL' >&2
CREATE USER IF NOT EXISTS 'firstcome'@'127.0.0.1' IDENTIFIED BY 'firstcome';
CREATE USER IF NOT EXISTS 'firstcome'@'localhost' IDENTIFIED BY 'firstcome';
GRANT ALL PRIVILEGES ON `firstcome%`.* TO 'firstcome'@'127.0.0.1';
GRANT ALL PRIVILEGES ON `firstcome%`.* TO 'firstcome'@'localhost';
SQL
}

# The project's own broker, unless KAFKA_BROKERS names another.
ensure_kafka() {
  [[ ${KAFKA_BROKERS:-127.0.0.1:9092} != 127.0.0.1:9092 ]] && return 0
  scripts/local-kafka start >&2
}

# The local Redis Cluster (scripts/local-redis-cluster: 3 masters and 3 replicas on 127.0.0.1:7000–7005),
# started unless it is up and ok. `status` is the check: cluster_state:ok with every slot served, as seen
# from every node (7000 included), and each replica in sync, so a cluster left degraded by a failover
# test (a killed node) is brought back too. REDIS_CLUSTER_PASSWORD, if set, is used by the script.
ensure_redis_cluster() {
  scripts/local-redis-cluster status >/dev/null 2>&1 && return 0
  say "the local Redis Cluster is not up and ok; starting it…"
  scripts/local-redis-cluster start >&2
}

# Builds the dashboard (dashboard/ → dashboard/dist, served at /dashboard) and the waiting page
# (waiting-page/ → waiting-page/dist, served at /wait/:eventId) when either is missing or older than its
# sources or the installed packages. One build makes both, the dashboard first: its index.html is the older.
ensure_dashboard() {
  local built=dashboard/dist/index.html
  if [[ ! -f $built || ! -f waiting-page/dist/index.html ||
    -n $(find dashboard waiting-page package-lock.json \( -path dashboard/dist -o -path waiting-page/dist \) -prune -o -newer "$built" -type f -print -quit) ]]; then
    say "building the dashboard…"
    npm run --silent build:dashboard >&2
  fi
}

# The browser test drives Debian's Chromium; CI machines start without it.
ensure_chromium() {
  [[ -x /usr/bin/chromium ]] && return 0
  say "npm test needs a browser for the dashboard test: installing Debian's chromium and fonts-liberation"
  say "system-wide (apt-get install, as root)…"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation >&2
}

# promtool (Debian's prometheus package) for the alert rules' tests (docs/alerts.test.yaml). The package
# would start a Prometheus server of its own where an init system runs: none is wanted, so it is stopped.
ensure_promtool() {
  command -v promtool >/dev/null && return 0
  say "npm test needs promtool for the alert rules' tests: installing Debian's prometheus system-wide"
  say "(apt-get install, as root; its server is not left running)…"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >&2
  if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
    systemctl disable --now prometheus >&2 || true
  fi
}

# podman and the stand-in for the official Node image (scripts/container-base: Debian's podman, runc and
# debootstrap; the bookworm root filesystem cached in ~/.cache/firstcome), for the container image's test.
# Instant once the image exists; the first run on a machine takes a few minutes. A failure (no apt, no
# debootstrap mirror) does not stop the other tests: that test runs the script again and fails, saying why.
ensure_container_base() {
  scripts/container-base >/dev/null || say "scripts/container-base failed: test/container.e2e.test.ts will fail"
}
