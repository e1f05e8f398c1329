"""A few Vietnamese words naming each finding code, for the lists people read (the master's
"Lỗi" sheet, findings.xlsx), beside the code itself (kept in its own column, for filtering).

Kept apart from the registry in `findings.py` so that a label can be reworded without touching
the codes' messages; `tests/test_docs.py` checks that every registered code has one.
"""

from __future__ import annotations

CODE_LABELS: dict[str, str] = {
    # files
    "not-a-workbook": "Không phải tệp bảng tính",
    "file-empty": "Tệp rỗng",
    "file-unreadable": "Không đọc được tệp",
    "file-too-large": "Tệp quá lớn",
    "file-too-slow": "Đọc tệp quá lâu",
    "file-changed": "Tệp thay đổi khi đang đọc",
    "file-no-access": "Không có quyền đọc tệp",
    "inbox-entry-skipped": "Mục không phải tệp, bỏ qua",
    "file-encrypted": "Tệp đặt mật khẩu",
    # e-mails and zips
    "mail-no-workbook": "Thư không kèm bảng tính",
    "attachment-not-workbook": "Tệp đính kèm không phải bảng tính",
    "mail-unreadable": "Không mở được thư, tệp nén",
    "mail-too-large": "Thư, tệp nén quá lớn",
    "mail-too-deep": "Thư, tệp nén lồng quá sâu",
    "archive-unsafe-name": "Tên tệp trong tệp nén không an toàn",
    "mail-sender-other": "Thư gửi từ địa chỉ khác",
    # identity and structure
    "identity-fallback": "Nhận dạng theo tiêu đề, tên chỉ tiêu",
    "identity-unknown": "Không rõ đơn vị gửi",
    "identity-conflict": "Thông tin nhận dạng mâu thuẫn",
    "identity-unverified": "Mã nhận dạng không xác thực được",
    "identity-accepted": "Đã chấp nhận dù chưa xác thực",
    "unknown-agency": "Đơn vị không có trong danh sách",
    "other-campaign": "Biểu của đợt thu thập khác",
    "spec-version-mismatch": "Biểu mẫu phiên bản khác",
    "sheet-missing": "Thiếu sheet số liệu",
    "sheet-renamed": "Sheet đã đổi tên",
    "row-missing": "Thiếu dòng chỉ tiêu",
    "row-inserted": "Chèn thêm dòng",
    "row-moved": "Dòng bị di chuyển",
    "tt-edited": "Sửa số thứ tự",
    "label-edited": "Sửa tên chỉ tiêu",
    "unit-edited": "Đơn vị tính viết khác",
    "unit-converted": "Đổi đơn vị tính (đã quy đổi)",
    "unit-unknown": "Đơn vị tính không quy đổi được",
    # values
    "value-outside-input": "Số nhập ngoài ô nhập",
    "text-number": "Số gõ dạng chữ (đã đọc)",
    "number-ambiguous": "Số đọc được hai cách",
    "value-invalid": "Không phải số",
    "no-data": "Không có số liệu",
    "value-flagged": "Số sơ bộ, ước tính",
    "formula-no-value": "Công thức chưa có giá trị",
    "date-in-number": "Ngày tháng thay cho số",
    "count-not-whole": "Số đếm không nguyên",
    "percent-formatted": "Ô định dạng phần trăm",
    "percent-as-fraction": "Tỷ lệ gõ dạng thập phân",
    "row-as-fractions": "Cả dòng tỷ lệ gõ dạng thập phân",
    "scale-slip": "Nghi sai hàng nghìn",
    "implausible-value": "Giá trị bất thường",
    "implausible-change": "Biến động bất thường",
    "reference-mismatch": "Khác số liệu đã công bố",
    # the merge
    "duplicate-file": "Tệp trùng",
    "return-empty": "Biểu chưa có số liệu",
    "kept-from-archive": "Lấy từ bản lưu trữ",
    # rules (checks.yaml)
    "growth-mismatch": "Tăng trưởng không khớp số tuyệt đối",
    "part-exceeds-whole": 'Phần "trong đó" lớn hơn tổng',
    "period-mismatch": "Số giai đoạn không khớp các năm",
    "out-of-range": "Ngoài khoảng cho phép",
    "agencies-disagree": "Các đơn vị báo khác nhau",
    "share-mismatch": "Tỷ trọng không khớp số tuyệt đối",
    "shares-not-100": "Tổng tỷ trọng khác 100",
    "sum-mismatch": "Tổng khác tổng các thành phần",
    "parts-exceed-total": "Các thành phần lớn hơn tổng",
    "parts-below-total": "Tổng lớn hơn các thành phần đã liệt kê",
}


def code_label(code: str) -> str:
    """The code's Vietnamese words (the code itself for one registered after this list)."""
    return CODE_LABELS.get(code, code)
