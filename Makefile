# Latchkey developer tasks. The Go build needs only Go: generated templ code
# and the built CSS/JS under static/ are committed. Node is needed only to
# regenerate static/ (make css / make generate).

GO ?= go
NPM ?= npm
TAILWIND := node_modules/.bin/tailwindcss
# npm writes this file on every install; its age tells whether node_modules
# is older than package-lock.json.
NODE_STAMP := node_modules/.package-lock.json

.PHONY: run build release release-check test test-postgres generate css lint bench check-generated

run:
	$(GO) run ./cmd/latchkey serve

build:
	$(GO) build -o latchkey ./cmd/latchkey

# A static Linux binary for an empty root (the scratch image): the cgo
# SQLite driver is linked statically; osusergo and netgo keep glibc's NSS
# (getpwnam, getaddrinfo), which cannot be linked statically, out of it.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
release:
	CGO_ENABLED=1 $(GO) build -trimpath -tags 'sqlite_omit_load_extension osusergo netgo' \
		-ldflags '-s -w -linkmode external -extldflags -static -X main.version=$(VERSION) -X main.commit=$(COMMIT)' \
		-o dist/latchkey ./cmd/latchkey
	cp /etc/ssl/certs/ca-certificates.crt dist/ca-certificates.crt

# Proves the release binary is static and serves /healthz in a chroot that
# holds only what the Dockerfile copies (needs root for chroot).
release-check: release
	.ci/release-check dist

# CGO (the default when gcc is present) is needed for the SQLite driver.
# The browser and web packages run for minutes on a busy 2-core machine:
# go test's 10-minute default would stop a slow run as if it hung.
test:
	$(GO) test -count=1 -timeout 20m ./...

# The database tests again on PostgreSQL: LATCHKEY_TEST_DSN must name a
# server (each test gets its own schema); .ci/run starts one. Unset, this
# target refuses to run rather than silently testing SQLite twice.
test-postgres:
	@test -n "$$LATCHKEY_TEST_DSN" || { echo "LATCHKEY_TEST_DSN is not set (e.g. postgres://latchkey:latchkey@127.0.0.1:5432/latchkey_test?sslmode=disable)"; exit 1; }
	$(GO) test -count=1 -timeout 20m ./models/... ./notify/... ./web/... ./e2e/... ./cmd/... ./gateway/...

generate:
	$(GO) tool templ generate
	$(MAKE) css

# Reinstall exactly what package-lock.json pins when node_modules is missing
# or older than the lock file; touch afterwards so the stamp is newer even if
# npm preserved an older timestamp.
$(NODE_STAMP): package-lock.json package.json
	$(NPM) ci --no-audit --no-fund
	touch $@

# BROWSERSLIST_IGNORE_OLD_DATA silences a nag about caniuse-lite's age: its
# version is pinned by package-lock.json on purpose, for reproducible output.
css: $(NODE_STAMP)
	cp node_modules/htmx.org/dist/htmx.min.js static/htmx.min.js
	BROWSERSLIST_IGNORE_OLD_DATA=1 $(TAILWIND) -i web/tailwind.css -o static/app.css --minify

# go vet, staticcheck (pinned as a tool in go.mod) and a gofmt check.
lint:
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	@unformatted="$$(find . -name '*.go' -not -path './node_modules/*' -not -path './.git/*' -print0 | xargs -0 -r gofmt -l)"; \
	if [ -n "$$unformatted" ]; then \
		echo "gofmt needed on:"; echo "$$unformatted"; exit 1; \
	fi

# Go benchmarks, then the token endpoint's load test on loopback (each
# signing algorithm against its work floor: req/s, ratio, p50, p99; again
# with wrk when it is installed; set LATCHKEY_BENCH_PG_DSN=postgres://...
# to measure PostgreSQL too),
# then a short soak: 1,000 keep-alive connections for 10 s must see no
# error (the full run is -duration 60s, see the README).
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...
	$(GO) run ./bench/tokenload -wrk -modes client_secret_basic,private_key_jwt
	$(GO) run ./bench/tokenload -soak -conns 1000 -duration 10s
	$(GO) run ./bench/loginload -n 300

# CI: regenerating must not change anything that is committed, and must not
# produce new files (untracked files are listed by git status as well).
check-generated: generate
	@changes="$$(git status --porcelain -- '*_templ.go' static/)"; \
	if [ -n "$$changes" ]; then \
		echo "Generated files are out of date or not committed:"; \
		echo "$$changes"; \
		echo "Run 'make generate' and commit the result."; \
		exit 1; \
	fi
	@echo "Generated files are up to date."
