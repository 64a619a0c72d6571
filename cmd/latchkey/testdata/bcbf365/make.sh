#!/usr/bin/env bash
# make.sh makes the databases of upgrade_test.go with the binary of commit
# bcbf365, the last Latchkey before numbered migrations (its schema came
# from GORM's AutoMigrate):
#
#   latchkey.db      a SQLite database
#   postgres.sql     a PostgreSQL schema, dumped as plain SQL (pg_dump
#                    --inserts); the test replaces __SCHEMA__ with its own
#   sqlite.json, postgres.json
#                    what the test checks in each: ids, the client id and
#                    the value of a secret that never expires (test data
#                    made for this, used nowhere else)
#
# Each holds: a bootstrap administrator and a viewer made by `latchkey user
# create`, a Management API token, a domain with an expiry policy, an
# application with its Default secret (no expiry) and a secret expiring a
# day after it was made, their audit events, and the console notices and
# ledger rows of one `latchkey notify` run.
#
# Usage, from the repository root, with PostgreSQL running:
#   LATCHKEY_TEST_DSN='postgres://latchkey:latchkey@127.0.0.1:5432/latchkey_test?sslmode=disable' \
#     cmd/latchkey/testdata/bcbf365/make.sh
# Needs git, go, curl, jq, psql and pg_dump.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
: "${LATCHKEY_TEST_DSN:?set LATCHKEY_TEST_DSN to a PostgreSQL database}"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

git -C "$repo" archive bcbf365 | tar -x -C "$work"
(cd "$work" && go build -o "$work/latchkey" ./cmd/latchkey)
bin=$work/latchkey
console=127.0.0.1:18493
base=http://$console/management/organizations/DEFAULT/environments/DEFAULT

# fill DSN OUT.json: runs the old binary on DSN and makes the data.
fill() {
	local dsn=$1 out=$2
	export LATCHKEY_DATABASE_DSN=$dsn
	export LATCHKEY_BOOTSTRAP_ADMIN_EMAIL=ops@example.com LATCHKEY_BOOTSTRAP_ADMIN_PASSWORD='legacy admin password'
	export LATCHKEY_SERVER_CONSOLE_ADDR=$console LATCHKEY_SERVER_GATEWAY_ENABLED=false
	export LATCHKEY_SERVICES_NOTIFIER_ENABLED=false
	(cd "$work" && exec "$bin" serve 2>"$work/serve.log") &
	local pid=$!
	for _ in $(seq 100); do curl -fs "http://$console/healthz" >/dev/null && break; sleep 0.1; done
	local token
	token=$(curl -fs -u 'ops@example.com:legacy admin password' -X POST "http://$console/management/auth/token" | jq -r .access_token)
	api() { curl -fs -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }
	local dom app expiring
	dom=$(api -X POST "$base/domains" -d '{"name":"Legacy","description":"made by bcbf365"}')
	local domID
	domID=$(jq -r .id <<<"$dom")
	app=$(api -X POST "$base/domains/$domID/applications" -d '{"name":"Billing","type":"service"}')
	api -X PATCH "$base/domains/$domID" -d '{"secretSettings":{"enabled":true,"expiryTimeUnit":"DAYS","expiryTimeDuration":1}}' >/dev/null
	expiring=$(api -X POST "$base/domains/$domID/applications/$(jq -r .id <<<"$app")/secrets" -d '{"name":"expiring"}')
	kill -INT $pid
	wait $pid
	echo 'a viewer password' | (cd "$work" && "$bin" user create --email viewer@example.com --name Viewer --role viewer)
	(cd "$work" && LATCHKEY_SERVICES_NOTIFIER_ENABLED=true "$bin" notify)
	jq -n --arg domain "$domID" --argjson app "$app" --argjson expiring "$expiring" '{
		domain: $domain, application: $app.id, clientId: $app.settings.oauth.clientId,
		defaultSecret: $app.settings.oauth.clientSecret, expiringSecret: $expiring.id}' >"$out"
}

rm -f "$here/latchkey.db"*
fill "$here/latchkey.db" "$here/sqlite.json"
rm -f "$here/latchkey.db-wal" "$here/latchkey.db-shm"
sqlite3 "$here/latchkey.db" 'PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;' >/dev/null

schema=legacy_bcbf365
psql -q "$LATCHKEY_TEST_DSN" -c "DROP SCHEMA IF EXISTS $schema CASCADE" -c "CREATE SCHEMA $schema"
case $LATCHKEY_TEST_DSN in *\?*) sep='&' ;; *) sep='?' ;; esac
fill "$LATCHKEY_TEST_DSN${sep}search_path=$schema" "$here/postgres.json"
# Plain SQL the test can run through one connection: no psql commands, no
# CREATE SCHEMA (the test's schema exists), the schema name a placeholder.
pg_dump --inserts --no-owner --no-privileges --no-comments -n "$schema" "$LATCHKEY_TEST_DSN" |
	grep -v '^\\' | grep -v '^CREATE SCHEMA' | grep -v "set_config('search_path'" |
	sed "s/\b$schema\b/__SCHEMA__/g" >"$here/postgres.sql"
psql -q "$LATCHKEY_TEST_DSN" -c "DROP SCHEMA $schema CASCADE"
echo "made $here"
