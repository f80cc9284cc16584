# newsbeam: every target sets up .venv first, so any of them works on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= out
# make bench WORKERS=1,2,4,8,16: the worker counts to compare, and each worker's share of pages
WORKERS          ?= 1,2
PAGES_PER_WORKER ?= 500

.PHONY: venv run test docs eval eval-dedup bench bench-scale bench-dedup bench-warc bench-tables stress soak lint clean

$(STAMP): setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

## run: the pipeline on the bundled samples into ./out (replaced), a summary, a query, and the HTML report
run: venv
	rm -rf $(OUT)
	$(BIN)/newsbeam run --input samples --output $(OUT) --show-query
	$(BIN)/newsbeam report --output $(OUT)

## test: the whole suite, a test file per worker on two (pytest-xdist; the heavy tests are whole runs)
test: venv
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --durations=15

## docs: the documentation site into site/ (docs/, mkdocs.yml); make test builds it too, with --strict
docs: venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

## eval: quality over ../shared/corpora/fundus and naeb-dev: article fields (title, date, authors, body),
## language, places, keywords, quotes (the detectors and keyword methods newsbeam was compared with
## come from the [eval] extra)
eval: venv
	$(BIN)/python -m pip install --quiet -e '.[eval]'
	$(BIN)/python benchmarks/eval_fundus.py
	$(BIN)/python benchmarks/eval_naeb.py
	$(BIN)/python benchmarks/eval_language.py
	$(BIN)/python benchmarks/eval_places.py
	$(BIN)/python benchmarks/eval_keywords.py
	$(BIN)/python benchmarks/eval_quotes.py

## eval-dedup: near-duplicate precision and recall over copies made from ../shared/corpora/fundus
eval-dedup: venv
	$(BIN)/python benchmarks/eval_dedup.py

## bench: scaling on pages built from fundus, PAGES_PER_WORKER (500) per worker: a plain loop and in-process, then for each of WORKERS (1,2) that many plain loops side by side against multi_processing with that many workers; articles/s, ratio to the loops, per-process CPU, peak RSS and idle spans; 2 workers at 10,000 pages; targets PASS/FAIL (about 35 minutes on 2 cores with the defaults)
bench: venv
	$(BIN)/python benchmarks/bench_pipeline.py --workers $(WORKERS) --pages-per-worker $(PAGES_PER_WORKER) --growth 10000 --progress-pages 0

## bench-scale: the 2-worker run at 1,000 and 10,000 pages, to see time grow (about 30 minutes)
bench-scale: venv
	$(BIN)/python benchmarks/bench_pipeline.py --skip-runners --growth 1000,10000

## bench-dedup: dedup at scale, 100 to 100,000 synthetic articles (several minutes)
bench-dedup: venv
	$(BIN)/python benchmarks/bench_dedup.py

## bench-warc: the read stage (ReadInputs → FetchPages) on CC-NEWS-like WARCs of 100 MB and 1 GB built from fundus (cached in /tmp/newsbeam-bench-warc): pages, errors by kind, records/s and peak memory per size, 1 GB within 1.2x of 100 MB PASS/FAIL (about 2 minutes, plus about 4 to build the WARCs the first time)
bench-warc: venv
	$(BIN)/python benchmarks/bench_warc.py

## bench-tables: Delta tables: files per partition after 30 runs with and without compaction, the commit's share of a run, compact's time and query times before and after it on 10,000 articles (about 15 minutes)
bench-tables: venv
	$(BIN)/python benchmarks/bench_tables.py

## stress: 10,000 hostile inputs through one 2-worker run, and 20 runs killed with SIGKILL and rerun (about 20 minutes)
stress: venv
	$(BIN)/python benchmarks/stress.py

## soak: 336 hourly runs (14 simulated days) against a loopback news site: pages fetched per run, 304s, state read, wall time and their trend, targets PASS/FAIL (about 30 minutes)
soak: venv
	$(BIN)/python benchmarks/soak.py

## lint: ruff's checks and its formatter, in check mode
lint: venv
	$(BIN)/python -m ruff check newsbeam pipeline transforms schemas tests benchmarks docs/hooks setup.py
	$(BIN)/python -m ruff format --check newsbeam pipeline transforms schemas tests benchmarks docs/hooks setup.py

clean:
	rm -rf $(VENV) $(OUT) site build dist *.egg-info .pytest_cache
