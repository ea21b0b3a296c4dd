# keycloak-controller: every entry point a developer or CI needs.
# `make test` and `make dev` do all the set-up on a fresh machine; downloaded
# and built components are cached outside the checkout (see hack/lib.sh).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Integration tests share one control plane and one Keycloak per version, so
# two workers keep both cores busy without starving the JVMs.
PYTEST_WORKERS ?= 2

.PHONY: help venv provision lint typecheck unit integration test fuzz dev openapi models api-diff \
        crds docs argocd image kind-e2e bench lock clean-testenv

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(VENV)/.installed: pyproject.toml hack/constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "required tool '$(PYTHON)' (Python >= 3.11) not found"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -c hack/constraints.txt -e '.[dev]'
	touch $@

venv: $(VENV)/.installed ## Python virtual environment with runtime and dev dependencies

provision: ## Build kube-apiserver/etcd/kubectl and fetch every pinned Keycloak (cached)
	bash hack/build-k8s.sh
	bash hack/build-kwok.sh
	bash hack/build-gitops-readers.sh
	bash hack/fetch-postgres.sh
	bash hack/fetch-keycloak.sh
	bash hack/fetch-slapd.sh
	bash hack/fetch-krb5.sh

lint: venv ## ruff (lint and formatting)
	$(VENV)/bin/ruff check keycloak_controller tests hack bench
	$(VENV)/bin/ruff format --check keycloak_controller tests hack bench

typecheck: venv ## mypy (strict)
	$(VENV)/bin/mypy

# Some unit tests render kustomize with the pinned kubectl, hence provision.
unit: venv provision ## Unit tests (pure logic)
	$(VENV)/bin/pytest tests/unit -n $(PYTEST_WORKERS) -q

# The fuzzed specs run in the same session, so they share its Keycloaks (docs/testing.md).
integration: venv provision ## Integration, multi-version and fuzzed-spec tests against the real components
	$(VENV)/bin/pytest tests/integration tests/fuzz -n $(PYTEST_WORKERS) -q

test: venv provision lint typecheck unit integration ## Everything CI runs

fuzz: venv provision ## Only the schema-driven fuzzed specs (part of make integration)
	$(VENV)/bin/pytest tests/fuzz -n $(PYTEST_WORKERS) -q

dev: venv provision ## Local control plane + Keycloak + the controller, with the samples applied
	$(PY) hack/devenv.py

openapi: ## Fetch the pinned Keycloak Admin API specs from crates.io into openapi/
	bash hack/fetch-openapi.sh

models: venv ## Regenerate the canonical Pydantic models from the canonical spec
	bash hack/gen-models.sh

api-diff: venv ## Report the Admin API differences between the pinned specs
	$(PY) hack/diff_openapi.py --output docs/keycloak-api-differences.md

crds: venv ## Regenerate crds/ (and deploy/base/crds/) from keycloak_controller/api
	$(PY) hack/gen_crds.py
	$(PY) hack/gen_crds.py --out deploy/base/crds

docs: venv ## Regenerate docs/crd-reference.md from keycloak_controller/api
	$(PY) hack/gen_crd_docs.py

argocd: venv ## Regenerate deploy/argocd/argocd-cm.yaml from the health.lua files
	$(PY) hack/gen_argocd_cm.py

IMAGE ?= keycloak-controller:dev
image: ## Build the container image with docker or podman (needs a running engine)
	bash hack/build-image.sh $(IMAGE)

kind-e2e: ## On a machine with Docker: kind cluster, image, Keycloak, deploy, samples Ready
	bash hack/kind/e2e.sh

bench: venv provision ## Benchmarks on the real components (BENCH_ARGS=--quick: a smoke run); JSON in bench/results/
	$(PY) bench/run_all.py $(BENCH_ARGS)

lock: venv ## Re-pin the full dependency set into hack/constraints.txt
	{ echo '# Full pinned set for `pip install -c`: regenerate with `make lock`.'; \
	  $(VENV)/bin/pip freeze --exclude-editable; } > hack/constraints.txt

clean-testenv: ## Remove logs and data of earlier test runs
	rm -rf .testenv
