# Two commands matter: `make demo` and `make test`; both install what they need.
SHELL := /bin/bash
NPM_STAMP := node_modules/.package-lock.json
GENERATED := lib/protocol/generated/console.js lib/protocol/generated/console.d.ts
TAP := npx tap --reporter=terse
# What each build step reads: a step runs again only when one of these changed.
TS_SOURCES := tsconfig.json $(shell find lib test bench -name '*.ts' -not -path 'lib/protocol/generated/*')
PAGE_SOURCES := lib/web/build.mjs $(wildcard lib/web/page/*) $(shell find lib/protocol lib/client -name '*.ts' -not -path 'lib/protocol/generated/*')
TSC_STAMP := dist/.tsc-built
PAGE := dist/web/index.html

.PHONY: all build web test demo bench clean docs

all: build

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund || { rm -f $@; exit 1; }
	@touch $@

# The link schema's code is generated from proto/console.proto, never edited by hand.
lib/protocol/generated/console.js: proto/console.proto $(NPM_STAMP)
	@mkdir -p $(@D)
	npx pbjs -t static-module -w es6 --es6 --no-create --no-verify --no-convert --no-delimited --no-typeurl -o $@ $<

lib/protocol/generated/console.d.ts: lib/protocol/generated/console.js
	npx pbts -o $@ $<

# Incremental: a second `make demo` with nothing changed rebuilds nothing.
build: $(TSC_STAMP) $(PAGE)

$(TSC_STAMP): $(TS_SOURCES) $(GENERATED) $(NPM_STAMP)
	npx tsc -p .
	@mkdir -p dist/lib/protocol/generated
	cp lib/protocol/generated/console.js lib/protocol/generated/console.d.ts dist/lib/protocol/generated/
	@touch $@

# The browser console page: esbuild bundles lib/web/page into dist/web with hashed names.
web: $(PAGE)

$(PAGE): $(PAGE_SOURCES) $(NPM_STAMP)
	node lib/web/build.mjs

# The API reference in docs/, one page per entry point, from the TSDoc comments (typedoc.json).
# test/docs regenerates it and fails when the committed pages differ: run this and commit.
docs: $(GENERATED) $(NPM_STAMP)
	rm -rf docs
	npx typedoc

test: build
	$(TAP) 'dist/test/**/*.test.js'

# The reliability suite (test/reliability/*.reliability.ts): faults, load, bad input and
# security against the real gateway and provider processes, and `make demo` left attached in
# tmux for three minutes, one file at a time. Bounded by default (about 8 minutes); LONG=1 runs
# it longer and adds the soak (test/reliability/*.long.ts, 30 minutes at 1000 sessions). Knobs:
# RELIABILITY_SECONDS, RELIABILITY_SESSIONS, RELIABILITY_SEED, FUZZ_SECONDS, SOAK_SECONDS,
# SOAK_SESSIONS, DEMO_QUIET_SECONDS (test/reliability/fixtures/settings.ts).
.PHONY: test-reliability
test-reliability: build
	RELIABILITY_LONG=$(if $(LONG),1,0) $(TAP) --jobs=1 --timeout=$(if $(LONG),3600,240) \
		'dist/test/reliability/*.reliability.js' $(if $(LONG),'dist/test/reliability/*.long.js')

demo: build
	node dist/lib/cli/main.js dev --attach demo

bench: build
	node dist/bench/run.js

clean:
	rm -rf dist lib/protocol/generated
