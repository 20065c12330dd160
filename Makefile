# A newcomer needs two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench fixtures clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	touch $(STAMP)

demo: $(STAMP)
	rm -rf out/demo
	$(BIN)/processor run --init --inbox fixtures/demo --out out/demo
	@echo
	@echo "Reports of the demo night are in $(CURDIR)/out/demo:"
	@ls -1 out/demo
	@echo
	@echo "Open these two first: $(CURDIR)/out/demo/report.xlsx (the workbook) and $(CURDIR)/out/demo/report.html (the page)"

test: $(STAMP)
	$(BIN)/python -m pytest

fixtures: $(STAMP)
	$(BIN)/processor synth --demo --out fixtures/demo

bench: $(STAMP)
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) out bench-out .pytest_cache
