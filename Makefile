# Vigil — the two commands a newcomer needs are `make run` and `make test`.
GO        ?= go
BIN       ?= bin/vigil
LISTEN    ?= 127.0.0.1:8080
DATA_DIR  ?= ./vigil-data
TEST_TIMEOUT ?= 18m

.PHONY: build run test test-short bench fuzz vet windows clean

build:
	$(GO) build -o $(BIN) ./cmd/vigil

# Build and run the hub on SQLite with the demo organisation.
run: build
	$(BIN) serve --demo --listen $(LISTEN) --data-dir $(DATA_DIR)

# The whole test suite: unit, store (SQLite and PostgreSQL), browser, CLI,
# brief fuzzing of every parser, and the Windows cross-build.
# The slowest packages (the browser tests in internal/web, the end-to-end
# tests in internal/hub) are named first so they start first: listed in
# ./...'s order they ran last, alone on one core, for six minutes.
SLOW_PKGS := vigil/internal/web vigil/internal/hub

test: vet windows
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(SLOW_PKGS) $$($(GO) list ./... | grep -vxF $(addprefix -e ,$(SLOW_PKGS)))
	./scripts/fuzz-brief.sh

# Longer fuzzing of every parser of outside data (FUZZTIME per target).
fuzz:
	FUZZTIME=$${FUZZTIME:-60s} ./scripts/fuzz-brief.sh

test-short:
	$(GO) test -short ./...

vet:
	$(GO) vet ./...

# The agent and hub must cross-compile for Windows without cgo.
windows:
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -o /dev/null ./...

# Benchmarks named by the issues; results in bench/results.txt.
bench:
	./scripts/bench.sh

clean:
	rm -rf bin
