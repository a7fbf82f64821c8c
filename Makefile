# Fresh machine: `make demo` (install + score the bundled examples) or `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
EXTRAS ?= test,export,serve,labels

.PHONY: install demo test bench corpora clean

$(VENV)/.installed: setup.cfg pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c constraints.txt -e ".[$(EXTRAS)]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) predict_mos.py examples/

test: install
	OMP_NUM_THREADS=1 $(PY) -m pytest -q -p no:cacheprovider

# The audio behind lists/ (README, "Corpus"): re-simulated from the build records, about 13 minutes.
corpora: install
	$(PY) -m quality.corpus restore lists/train.list lists/train_balanced.list lists/valid.list lists/test.list \
		--build lists/corpus_build.json --out corpus/v3
	for c in v3src v3voc v3gate v3tc; do \
		$(PY) -m quality.corpus restore lists/train_tc_balanced.list lists/valid_tc.list \
			lists/test_voc.list lists/test_gate.list lists/test_tc.list --build lists/corpus_$${c}_build.json \
			--out corpus/$$c || exit $$?; \
	done

bench: install
	$(PY) benchmarks/model_speed.py --out docs/benchmarks_model_speed.csv

clean:
	rm -rf $(VENV) build *.egg-info
