# dsrflow: `make run` starts the whole engine on embedded defaults,
# `make test` runs every test.

GO        ?= go
GOBIN     := $(shell $(GO) env GOPATH)/bin
TEMPORAL  := $(GOBIN)/temporal
STATICCHECK := $(GOBIN)/staticcheck
WORKFLOWCHECK := $(GOBIN)/workflowcheck
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)

# Newer Temporal CLI tags carry a replace directive and cannot be go-installed.
TEMPORAL_CLI_VERSION := v1.5.1
STATICCHECK_VERSION  := v0.8.2
WORKFLOWCHECK_VERSION := v0.6.0

.PHONY: tools run build test test-short lint bench clean

tools: $(TEMPORAL)

$(TEMPORAL):
	@echo "building the Temporal CLI $(TEMPORAL_CLI_VERSION) from source (a few minutes, once)"
	$(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(WORKFLOWCHECK):
	$(GO) install go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION)

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/dsr ./cmd/dsr

run: tools build
	./bin/dsr dev

# The end-to-end tests start the Temporal dev server, so they need the tools.
test: tools
	$(GO) test -count=1 -timeout 20m ./...

test-short:
	$(GO) test -short ./...

lint: $(STATICCHECK) $(WORKFLOWCHECK)
	$(GO) vet ./...
	$(STATICCHECK) ./...
	$(WORKFLOWCHECK) ./...

# Every benchmark, the engine load runs among them (cmd/dsr: IntakeLoad,
# CaseThroughput; settings and results in docs/benchmarks.md). One alone:
#   go test ./cmd/dsr -run '^$$' -bench CaseThroughput -benchtime 1x
bench: export GOFLAGS += -timeout=2h
bench: tools
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./...

clean:
	rm -rf bin
