# Two commands matter: `make demo` and `make test`; both install what they need.
SHELL := /bin/bash
NPM_STAMP := node_modules/.package-lock.json
GENERATED := lib/protocol/generated/console.js lib/protocol/generated/console.d.ts
TAP := npx tap --reporter=terse

.PHONY: all build web test test-unit demo bench clean

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

build: $(NPM_STAMP) $(GENERATED) web
	npx tsc -p .
	@mkdir -p dist/lib/protocol/generated
	cp lib/protocol/generated/console.js dist/lib/protocol/generated/console.js

# The browser console page: esbuild bundles lib/web/page into dist/web with hashed names.
web: $(NPM_STAMP)
	node lib/web/build.mjs

test: build
	$(TAP) 'dist/test/**/*.test.js'

demo: build
	node dist/lib/cli/main.js dev --attach demo

bench: build
	node dist/bench/run.js

clean:
	rm -rf dist lib/protocol/generated
