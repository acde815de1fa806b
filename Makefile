# One gate for developers and CI (STYLE.md principle 14).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test gate install-test install-server system-deps lock wheelhouse fuzz soak bench

# Install the server into a local venv and start a first-look instance.
demo: install-server
	$(BIN)/samizdat demo

# Install everything the tests need (system peers + hash-pinned Python deps) and run the gate.
test: system-deps install-test
	$(BIN)/python scripts/gate.py

gate:
	$(BIN)/python scripts/gate.py

$(BIN)/python:
	$(PY) -m venv $(VENV)

install-server: $(BIN)/python
	$(BIN)/pip install --require-hashes -r requirements/build.lock
	$(BIN)/pip install --require-hashes -r requirements/server.lock
	$(BIN)/pip install --no-deps --no-build-isolation -e .

install-test: $(BIN)/python
	$(BIN)/pip install --require-hashes -r requirements/build.lock
	$(BIN)/pip install --require-hashes -r requirements/test.lock
	$(BIN)/pip install --no-deps --no-build-isolation -e .

system-deps:
	bash scripts/install-system-deps.sh

# Re-pin every dependency with hashes after editing pyproject.toml.
lock:
	bash scripts/lock.sh

# Offline install bundle for the air-gapped workstation (client only).
wheelhouse:
	bash scripts/wheelhouse.sh

# Long coverage-guided runs (atheris), FUZZ_SECONDS per target; new crash
# inputs land in tests/fuzz/regressions/<target>/ to be committed.
FUZZ_SECONDS ?= 300
FUZZ_SEED ?= 1
fuzz:
	for t in $$($(BIN)/python -c "from tests.fuzz.targets import all_targets; print(' '.join(all_targets()))"); do \
		$(BIN)/python -m tests.fuzz.run_atheris $$t --seconds $(FUZZ_SECONDS) --seed $(FUZZ_SEED) \
			--work build/fuzz/$$t --save-crashes || echo "fuzz: $$t found a crash (see tests/fuzz/regressions/$$t)"; \
	done
	SAMIZDAT_FUZZ_SECONDS=30 $(BIN)/python -m pytest -p no:cacheprovider tests/fuzz

# The proof battery with the bigger numbers (10 crash trials, 24 MiB files,
# 50 x 5 MB sources + 50 logins).
soak:
	SAMIZDAT_SOAK=1 $(BIN)/python -m pytest -p no:cacheprovider -s tests/proof

bench:
	$(BIN)/python bench/run_all.py
