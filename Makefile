# The README's two commands are `make demo` and `make test`.
GO      ?= go
DIST    := dist
# The binary's version is the VERSION file, embedded: make build, make zip,
# go build and go run of one commit all report it (main -version).
LDFLAGS := -s -w

# -race needs cgo, so CGO_ENABLED=1 and a C compiler ($(GO) env CC) on PATH;
# without them make test runs the tests without it. CC and CGO_ENABLED given
# on make's command line count too (make 4.3 does not export them to $(shell)).
CGO_VARS := $(foreach v,CC CGO_ENABLED,$(if $(filter-out default undefined file,$(origin $(v))),$(v)='$($(v))'))
RACE     := $(strip $(shell $(CGO_VARS) sh -c 'test "$$($(GO) env CGO_ENABLED)" = 1 && command -v "$$($(GO) env CC | cut -d " " -f 1)" >/dev/null 2>&1 && echo -race'))
# Without -race, cgo is turned off for vet, staticcheck and the tests alike.
NOCGO    := $(if $(RACE),,CGO_ENABLED=0 )

.PHONY: path all build zip test demo deploy deploy-plan bench fuzz clean

all: test build

## build: the SCF binary, linux/amd64, static, stripped: dist/main
build:
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(DIST)/main .

## zip: the deployable package, main at its root: dist/main.zip
zip: build
	$(GO) run ./internal/cmd/zipmain -o $(DIST)/main.zip $(DIST)/main
	@ls -l $(DIST)/main.zip

## test: vet, staticcheck (pinned in go.mod as a tool), then the tests
## (unit and end-to-end), race-checked when cgo has a C compiler, 16 parallel
## tests at a time (the end-to-end ones mostly wait on their function
## processes), each package's line shown as it finishes
test:
ifeq ($(RACE),)
	@echo "make test: cgo is off or has no C compiler (CGO_ENABLED=$$($(GO) env CGO_ENABLED), CC=$$($(GO) env CC)): testing without -race"
endif
	$(NOCGO)$(GO) vet ./...
	$(NOCGO)$(GO) tool staticcheck ./...
	$(GO) build -o $(DIST)/tools/testprogress ./internal/cmd/testprogress
	$(NOCGO)$(GO) test $(RACE:%=% )-count=1 -parallel 16 -json ./... | $(DIST)/tools/testprogress

## demo: the function, built for this machine, invoked through the SCF
## runtime protocol with every sample in events/ against the local CVM emulator
demo:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(DIST)/local/main .
	$(GO) run ./cmd/demo -bin $(DIST)/local/main -events events

## deploy: the function and its role, policy, timer, URL and (with tag rules)
## EventBridge rule, created or updated with tccli (docs/deploying.md):
##   STAGE=prod API_TOKEN_SHA256=<digest> make deploy [SETTINGS_FILE=deploy/settings.env] [EVENT_BUS_ID=eb-...]
## DRY_RUN=1 prints the calls and makes none (no keys, no tccli): as make deploy-plan
deploy: $(if $(DRY_RUN),,zip)
	$(GO) run ./cmd/deploy $(if $(DRY_RUN),-dry-run)

## deploy-plan: the calls make deploy would make, printed, none made; STAGE
## and API_TOKEN_SHA256 default to examples when unset
deploy-plan:
	STAGE=$${STAGE:-dev} API_TOKEN_SHA256=$${API_TOKEN_SHA256:-0000000000000000000000000000000000000000000000000000000000000000} \
		$(GO) run ./cmd/deploy -dry-run

## bench: signing, reading a request from each sample, and the handler path for a 100-instance request
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./signer/ ./handler/ ./handler/trigger/ ./cvm/

## fuzz: each fuzzer of the handler for FUZZTIME, one after the other, one
## worker each (CI runs only the committed corpus, through `make test`)
FUZZTIME ?= 10m
# package:fuzzer, one each
FUZZERS  := handler/answer:FuzzMaskAddresses handler:FuzzDecodeEvent handler:FuzzRequestContract handler/trigger:FuzzRequestFromEvent \
            handler/trigger:FuzzCloudEvent handler/request:FuzzPlainStringArray handler/request:FuzzUnquoteJSONString
fuzz:
	@for pf in $(FUZZERS); do \
		p=$${pf%%:*}; f=$${pf#*:}; echo "== $$p $$f"; \
		$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) -parallel 1 ./$$p/ || exit 1; \
	done

clean:
	rm -rf $(DIST)

## path: the functions and files one direct move of one instance runs through (coverage of the built binary)
path:
	./scripts/path-coverage.sh | head -2
