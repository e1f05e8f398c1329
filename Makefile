# The two commands a newcomer needs: `make demo` and `make test`. Both set up the
# virtualenv themselves on a fresh machine.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT ?= generated

.PHONY: setup test lint demo clean bench robustness

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

test: $(STAMP)
	$(BIN)/pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check indicator_kit tests benchmarks examples
	$(BIN)/ruff format --check indicator_kit tests benchmarks examples

demo: $(STAMP)
	$(BIN)/indicator-kit spec check
	$(BIN)/indicator-kit generate --out $(OUT)/templates
	$(BIN)/indicator-kit mail drafts --templates $(OUT)/templates --out $(OUT)/mail/drafts
	rm -rf $(OUT)/demo/inbox
	$(BIN)/indicator-kit simulate --templates $(OUT)/templates --inbox $(OUT)/demo/inbox --values examples/sample_values.csv
	-$(BIN)/indicator-kit collect $(OUT)/demo/inbox --out $(OUT)/collect --master-out $(OUT)/master
	-$(BIN)/indicator-kit status $(OUT)/demo/inbox --as-of 2024-05-03 --html $(OUT)/status.html
	$(BIN)/indicator-kit mail reminders $(OUT)/demo/inbox --as-of 2024-05-03 --out $(OUT)/mail/reminders --state $(OUT)
	@echo
	@echo "Xem kết quả / where to look:"
	@echo "  $(OUT)/master/PL2_tong_hop.xlsx   bảng tổng hợp Phụ lục 2 (nguồn, tình trạng, lỗi, chênh lệch)"
	@echo "  $(OUT)/master/master_long.csv     số liệu dạng dài cho phân tích"
	@echo "  $(OUT)/status.html                trang tình hình nộp (mở bằng trình duyệt)"
	@echo "  $(OUT)/collect/findings.csv       danh sách lỗi của từng tệp"
	@echo "  $(OUT)/collect/feedback/          biểu phản hồi gửi lại đơn vị cần sửa"
	@echo "  $(OUT)/mail/                      thư gửi biểu mẫu (drafts/) và thư nhắc, đề nghị sửa (reminders/)"

clean:
	rm -rf $(OUT)/templates $(OUT)/collect $(OUT)/master $(OUT)/mail $(OUT)/demo

robustness: $(STAMP)
	$(BIN)/python -m tests.hostile

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py
