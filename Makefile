# Fresh machine: `make demo` (install + score the bundled examples) or `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
EXTRAS ?= test,export,serve,labels

.PHONY: install demo test bench clean

$(VENV)/.installed: setup.cfg pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c constraints.txt -e ".[$(EXTRAS)]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) predict_mos.py examples/

test: install
	OMP_NUM_THREADS=1 $(PY) -m pytest -q -p no:cacheprovider

bench: install
	$(PY) benchmarks/model_speed.py --out docs/benchmarks_model_speed.csv

clean:
	rm -rf $(VENV) build *.egg-info
