# imgsynth-edu: the two commands of the README.
#   make lab    install everything, then start JupyterLab on notebooks/
#               (make lab HEADLESS=1: no browser, bound to 127.0.0.1, for scripts;
#               works as root too; LAB_ARGS="--port 8890" passes more options)
#   make test   install everything, then run the whole suite: unit tests,
#               every notebook under nbval (quick mode, each alone in an empty
#               folder), the book build, and the real-browser tests.
# Everything goes into a virtual environment in $(VENV); nothing depends on
# what happens to be installed on the machine already.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install lab test unit notebooks book browser system-deps lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e ".[dev,book]"
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (imgsynth-edu)"
	touch $(STAMP)

ifeq ($(HEADLESS),1)
LAB_FLAGS := --no-browser --ip 127.0.0.1
endif
# Docker containers, cloud machines and classroom servers often run as root, where JupyterLab
# refuses to start unless told it may. Only the root check is lifted: the token and the
# address stay as they are (127.0.0.1 with HEADLESS=1).
ifeq ($(shell id -u),0)
LAB_FLAGS += --allow-root
endif

lab: install
	$(VENV)/bin/jupyter lab notebooks/ $(LAB_FLAGS) $(LAB_ARGS)

# Debian packages for the browser tests: chromium and chromium-driver.
# Installed only when missing and only where apt-get can run as root.
system-deps:
	@if [ -x /usr/bin/chromium ]; then echo "chromium: present"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null && echo "chromium: installed"; \
	else echo "chromium: missing (apt-get install chromium chromium-driver); browser tests will be skipped (failed under IMGSYNTH_REQUIRE_BROWSER=1, as in CI)"; fi

unit: install
	$(PY) -m pytest tests --ignore=tests/browser

notebooks: install
	$(PY) tests/run_nbval.py

book: install
	$(PY) book/build.py

# Widgets driven in JupyterLab + the built book, in headless Chromium; screenshots in test-artifacts/browser/.
# Self-check: IMGSYNTH_BROWSER_BREAK_OBSERVERS=1 make browser must fail every widget test.
browser: install system-deps book
	$(PY) -m pytest tests/browser

lint: install
	$(VENV)/bin/ruff check imgsynth_edu tests benchmarks

test: install system-deps
	$(MAKE) lint
	$(MAKE) unit
	$(MAKE) notebooks
	$(MAKE) book
	$(MAKE) browser

clean:
	rm -rf $(VENV) book/_build book/lessons test-artifacts
