# The README's two commands are `make demo` and `make test`.
GO      ?= go
DIST    := dist
LDFLAGS := -s -w

.PHONY: all build zip test demo bench fuzz clean

all: test build

## build: the SCF binary, linux/amd64, static, stripped: dist/main
build:
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(DIST)/main .

## zip: the deployable package, main at its root: dist/main.zip
zip: build
	$(GO) run ./internal/cmd/zipmain -o $(DIST)/main.zip $(DIST)/main
	@ls -l $(DIST)/main.zip

## test: vet, staticcheck (pinned in go.mod as a tool), then the
## race-checked tests (unit and end-to-end)
test:
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) test -race -count=1 ./...

## demo: the function, built for this machine, invoked through the SCF
## runtime protocol with every sample in events/ against the local CVM emulator
demo:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(DIST)/local/main .
	$(GO) run ./cmd/demo -bin $(DIST)/local/main -events events

## bench: signing and the handler path for a 100-instance request
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./signer/ ./handler/ ./cvm/

## fuzz: each fuzzer of the handler for FUZZTIME, one after the other, one
## worker each (CI runs only the committed corpus, through `make test`)
FUZZTIME ?= 10m
FUZZERS  := FuzzDecodeEvent FuzzRequestFromEvent FuzzCloudEvent FuzzPlainStringArray FuzzUnquoteJSONString
fuzz:
	@for f in $(FUZZERS); do \
		echo "== $$f"; \
		$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) -parallel 1 ./handler/ || exit 1; \
	done

clean:
	rm -rf $(DIST)
