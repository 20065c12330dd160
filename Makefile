# A newcomer needs two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo demo-spark test bench bench-nights bench-spark fixtures clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	@if [ -n "$$PROCESSOR_WITH_SPARK" ]; then $(BIN)/pip install --quiet -e '.[spark]' || echo "pyspark not installed: the Spark tests will be skipped"; fi
	touch $(STAMP)

demo: $(STAMP)
	rm -rf out/demo
	$(BIN)/processor run --init --inbox fixtures/demo --out out/demo
	@echo
	@echo "Reports of the demo night are in $(CURDIR)/out/demo:"
	@ls -1 out/demo
	@echo
	@echo "Open these two first: $(CURDIR)/out/demo/report.xlsx (the workbook) and $(CURDIR)/out/demo/report.html (the page)"

demo-spark: $(STAMP)
	$(BIN)/pip install --quiet -e '.[spark]'
	rm -rf out/demo-spark
	$(BIN)/processor run --engine spark --spark-master 'local[2]' --init --inbox fixtures/demo --out out/demo-spark \
		--ledger file://$(CURDIR)/out/demo-spark/lake
	@echo
	@echo "Reports of the demo night, decided on Spark, are in $(CURDIR)/out/demo-spark; the ledger is the Parquet lake"
	@echo "$(CURDIR)/out/demo-spark/lake (one folder per table). They equal out/demo's: make demo, then"
	@echo "  diff <(cut -d, -f2- out/demo/decisions.csv) <(cut -d, -f2- out/demo-spark/decisions.csv)"

test: $(STAMP)
	$(BIN)/python -m pytest

fixtures: $(STAMP)
	$(BIN)/processor synth --demo --out fixtures/demo

# PG_URL=postgresql://user@host/db: also the 100k night on that server against SQLite (bench/postgres.py)
bench: $(STAMP)
	$(BIN)/python bench/bench.py $(if $(PG_URL),--pg $(PG_URL)) $(BENCH_ARGS)

# consecutive nights on one ledger: NIGHTS (12) of NIGHT_ITEMS (300000) export items each (bench/nights.py);
# PG_URL=postgresql://user@host/db: the nights on a fresh database of that server instead of a SQLite file;
# NIGHT_DAYS=30 ARCHIVE=1: a month of exports a night, `processor archive` before each (years in a few dozen nights);
# FIRST_DAY=2025-01-01: night 1's day (36 monthly nights from it stay within the bundled rates, which end in 2027-12)
bench-nights: $(STAMP)
	$(BIN)/python bench/bench.py --nights $(or $(NIGHTS),12) --night-items $(or $(NIGHT_ITEMS),300000) \
		$(if $(NIGHT_DAYS),--night-days $(NIGHT_DAYS)) $(if $(FIRST_DAY),--first-day $(FIRST_DAY)) \
		$(if $(ARCHIVE),--archive) \
		$(if $(PG_URL),--pg $(PG_URL)) $(BENCH_ARGS)

bench-spark: $(STAMP)
	$(BIN)/pip install --quiet -e '.[spark]'
	$(BIN)/python bench/spark.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) out bench-out .pytest_cache
