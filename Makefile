# Two commands on a fresh Debian machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the tests and `orchid up` start as their own servers (never the system ones).
TEST_PACKAGES := mariadb-server mariadb-client mariadb-backup percona-toolkit redis-server \
                 openjdk-17-jre-headless maven unzip prometheus prometheus-alertmanager \
                 nginx libnginx-mod-http-modsecurity modsecurity-crs tor-geoipdb \
                 chromium wrk podman runc debootstrap

.PHONY: run test install servers elasticsearch deploy-tools go-tools kustomize lint check clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/orchid db upgrade
	$(BIN)/orchid seed --if-empty --products 2000 --customers 200
	$(BIN)/orchid serve

# The packages' own services (nginx on :80, prometheus on :9090) are kept from starting:
# the stack and the tests run their own instances on 127.0.0.1.
servers:
	@missing=""; \
	for pkg in $(TEST_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  policy=/usr/sbin/policy-rc.d; made=""; \
	  if [ ! -e $$policy ]; then \
	    printf '#!/bin/sh\nexit 101\n' | $(SUDO) tee $$policy >/dev/null; \
	    $(SUDO) chmod +x $$policy; made=1; \
	  fi; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    --no-install-recommends $$missing; status=$$?; \
	  [ -z "$$made" ] || $(SUDO) rm -f $$policy; \
	  exit $$status; \
	fi

# Elasticsearch's test distribution, from Maven Central, into .cache/elasticsearch/.
elasticsearch: servers
	scripts/fetch-elasticsearch.sh

# What tests/deploy needs beside the app's venv: the linters and scanners in venvs of their own
# (their pins clash with the app's), Trivy built from the Go module proxy (GOEXPERIMENT=jsonv2,
# as its release build), and a debootstrapped Debian root for the image and the Ansible target.
TOOLS   := .cache/venvs
TRIVY_VERSION := v0.74.0

$(TOOLS)/%/.installed: deploy/tools/%.txt
	rm -rf $(TOOLS)/$*
	$(PYTHON) -m venv $(TOOLS)/$*
	$(TOOLS)/$*/bin/pip install --quiet --upgrade pip
	$(TOOLS)/$*/bin/pip install --quiet -r $<
	touch $@

.cache/bin/trivy:
	mkdir -p .cache/bin
	GOEXPERIMENT=jsonv2 GOBIN=$(abspath .cache/bin) GOFLAGS=-trimpath \
	  go install github.com/aquasecurity/trivy/cmd/trivy@$(TRIVY_VERSION)

# The Cloud SQL Auth Proxy from the Go module proxy: what the Ansible test installs on its
# management VM (production takes the binary out of the sidecar's pinned image).
CLOUD_SQL_PROXY_VERSION := v2.27.0
.cache/bin/cloud-sql-proxy:
	mkdir -p .cache/bin
	GOBIN=$(abspath .cache/bin) GOFLAGS=-trimpath \
	  go install github.com/GoogleCloudPlatform/cloud-sql-proxy/v2@$(CLOUD_SQL_PROXY_VERSION)

.cache/debian/bookworm-python.tar: scripts/debian-root.sh
	$(SUDO) scripts/debian-root.sh

# Groovy, from Maven Central into Maven's own cache: compiles the Jenkinsfile in the tests.
GROOVY_JAR := $(HOME)/.m2/repository/org/apache/groovy/groovy/4.0.33/groovy-4.0.33.jar
$(GROOVY_JAR):
	mvn -q dependency:get -Dartifact=org.apache.groovy:groovy:4.0.33

# kubectl carries kustomize; where kubectl is missing, kustomize from the Go module proxy.
kustomize:
	@command -v kubectl >/dev/null || [ -x .cache/bin/kustomize ] || \
	  GOBIN=$(abspath .cache/bin) go install sigs.k8s.io/kustomize/kustomize/v5@v5.5.0

deploy-tools: servers $(TOOLS)/checkov/.installed $(TOOLS)/ansible/.installed \
              .cache/debian/bookworm-python.tar $(GROOVY_JAR) kustomize

GO_TOOLS := .cache/bin/trivy .cache/bin/cloud-sql-proxy
go-tools: $(GO_TOOLS)

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/mypy src tests

# The Go tools take ≈ 17 min to build on a fresh machine (Trivy most of it) and the suite leaves
# most of the CPU idle: they build beside it, and the tests that use them run last and wait for
# the build (tests/support/tools.py). Cached, the build is a minute.
test: install servers elasticsearch deploy-tools lint
	@mkdir -p .cache/builds
	@$(MAKE) --no-print-directory go-tools > .cache/builds/go-tools.log 2>&1 & \
	echo $$! > .cache/builds/go-tools.pid; \
	$(BIN)/pytest; status=$$?; wait; exit $$status

clean:
	rm -rf .orchid .pytest_cache .mypy_cache .ruff_cache
