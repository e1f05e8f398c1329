# The two commands a newcomer needs: `make demo` and `make test`. Both set up the
# virtualenv themselves on a fresh machine.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT ?= generated

.PHONY: setup test lint demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

test: $(STAMP)
	$(BIN)/pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check indicator_kit tests
	$(BIN)/ruff format --check indicator_kit tests

demo: $(STAMP)
	$(BIN)/indicator-kit spec check
	$(BIN)/indicator-kit generate --out $(OUT)/templates
	rm -rf $(OUT)/demo/inbox
	$(BIN)/indicator-kit simulate --templates $(OUT)/templates --inbox $(OUT)/demo/inbox
	-$(BIN)/indicator-kit collect $(OUT)/demo/inbox --out $(OUT)/collect
	@echo "Kết quả kiểm tra: $(OUT)/collect/findings.csv — biểu phản hồi: $(OUT)/collect/feedback/"

clean:
	rm -rf $(OUT)/templates $(OUT)/collect $(OUT)/master $(OUT)/mail $(OUT)/demo
