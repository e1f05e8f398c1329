"""Build examples/sample_values.csv: a complete, realistic set of values for every input row.

Published figures (workbook_specs/reference/published_figures_2018_2023.csv) are used where they
exist; other values are plausible and deterministic. Related values are derived from the rules
of checks.yaml so that no rule marked error fails; published series that disagree with each
other keep their disagreement where only a warning results (e.g. investment 2019 vs its growth).

    python examples/build_sample.py            # rewrites examples/sample_values.csv
"""

from __future__ import annotations

import csv
import hashlib
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indicator_kit.catalog import load_spec  # noqa: E402
from indicator_kit.catalog.model import PeriodAggregate, Row, Spec, ValueType  # noqa: E402

YEARS = list(range(2018, 2024))
PUBLISHED = ROOT / "workbook_specs" / "reference" / "published_figures_2018_2023.csv"
OUT = ROOT / "examples" / "sample_values.csv"

# Published indicator name (area Hải Phòng) → catalog key.
HP_MAP = {
    "Tốc độ tăng trưởng GRDP": "kt.tang_truong_grdp",
    "GRDP theo giá so sánh 2010": "kt.grdp.gia_ss2010",
    "GRDP theo giá hiện hành": "kt.grdp.gia_hh",
    "Cơ cấu kinh tế - Nông nghiệp": "kt.co_cau_nganh.nong_nghiep",
    "Cơ cấu kinh tế - Công nghiệp - Xây dựng": "kt.co_cau_nganh.cong_nghiep_xay_dung",
    "Cơ cấu kinh tế - Dịch vụ": "kt.co_cau_nganh.dich_vu",
    "Cơ cấu kinh tế - Thuế trừ trợ cấp sản phẩm": "kt.co_cau_nganh.thue_tru_tro_cap",
    "Tăng trưởng ngành - Nông nghiệp": "kt.nganh.nong_nghiep.tang_truong",
    "Tăng trưởng ngành - Công nghiệp - Xây dựng": "kt.nganh.cong_nghiep_xay_dung.tang_truong",
    "Tăng trưởng ngành - Dịch vụ": "kt.nganh.dich_vu.tang_truong",
    "Thu NSNN trên địa bàn": "kt.thu_ns.nsnn_dia_ban",
    "Thu nội địa": "kt.thu_ns.noi_dia",
    "Tổng vốn đầu tư toàn xã hội": "kt.von_dtxh.tong_von",
    "Vốn FDI thu hút": "kt.fdi.so_von",
    "Kim ngạch xuất khẩu trên địa bàn": "kt.xuat_khau.kim_ngach",
    "Chỉ số PCI": "cchc.pci",
    "Chỉ số cải cách hành chính (PAR INDEX)": "cchc.par_index",
    "Số bác sĩ/vạn dân": "xh.bac_si_van_dan",
}
# Hải Phòng 2023 structures rounded to two decimals; other years drift towards them.
STRUCTURES = {
    "kt.von_dtxh.co_cau": [38.5, 45.2, 16.3],
    "kt.xuat_khau.co_cau": [4.6, 21.8, 73.6],
    "kt.nhap_khau.co_cau": [6.1, 24.5, 69.4],
    "xh.lao_dong.co_cau": [14.2, 38.6, 47.2],
    "kt.danh_gia_xnk.co_cau_nganh": [3.8, 71.5, 24.7],
    "kt.danh_gia_xnk.co_cau_khu_vuc": [5.2, 18.9, 2.7, 73.2],
}
# Hải Phòng's levels where nothing is published, in each row's unit: (2018, 2023), moving evenly
# in between (geometrically for amounts and counts), or every year given. Orders of magnitude as
# the city's statistics report them — a population of about 2 million, industry and construction
# over half of GRDP, poverty near 1 %, a few dozen state enterprises — so no figure of the demo
# would make an officer stop and wonder; what is left to the generic levels of `base_series` is
# plausible for its unit and type.
LEVELS: dict[str, tuple[float, float] | dict[int, float]] = {
    "kt.icor": (4.9, 4.6),
    "kt.tfp": (38.5, 45.0),
    "kt.do_thi_hoa": (45.9, 48.6),
    "kt.kinh_te_so": (8.5, 12.5),
    "kt.can_doi_ns.tu_can_doi": (1.35, 1.55),
    "kt.can_doi_ns.ty_le_dieu_tiet_nstw": (68.0, 67.0),
    "kt.can_doi_ns.ty_le_tro_cap_nstw": (0.0, 0.0),  # the city balances its budget alone
    # constant-price levels along a plausible growth path (2023 follows the published growth)
    "kt.nganh.nong_nghiep.quy_mo.gia_ss2010": {2018: 8200, 2019: 8454, 2020: 8691, 2021: 8900, 2022: 9087},
    "kt.nganh.nong_nghiep.quy_mo.gia_hh": (12900, 12250),
    "kt.nganh.cong_nghiep_xay_dung.quy_mo.gia_ss2010": {
        2018: 70000,
        2019: 87570,
        2020: 100880,
        2021: 117930,
        2022: 136210,
    },
    # growth in 2018, the year before the first level the catalog asks for
    "kt.nganh.nong_nghiep.tang_truong": {2018: 2.9},
    "kt.nganh.cong_nghiep_xay_dung.tang_truong": {2018: 24.1},
    "kt.grdp_dau_nguoi.tang_truong": {2018: 15.1},
    "xh.lao_dong.tang_truong": {2018: 1.45},
    "kt.thu_ns.tang_truong": {2018: 8.5},
    "kt.nhap_khau.tang_truong": {2018: 6.0},
    "kt.nganh.cong_nghiep_xay_dung.quy_mo.gia_hh": (125000, 192000),
    "kt.nganh.cong_nghiep_xay_dung.chi_so_iip": {
        2018: 124.6,
        2019: 119.6,
        2020: 113.4,
        2021: 123.8,
        2022: 117.6,
        2023: 112.9,
    },
    "kt.nganh.dich_vu.tong_muc_blhh_dtdv": (88000, 142000),
    "kt.nganh.nong_nghiep.dong_gop_tang_truong": (1.6, 0.4),
    "kt.nganh.cong_nghiep_xay_dung.dong_gop_tang_truong": (68.0, 62.0),
    "kt.nganh.dich_vu.dong_gop_tang_truong": (27.0, 32.0),
    "kt.danh_gia_xnk.can_can.xuat_sieu": (8.0, 12.0),
    "kt.danh_gia_xnk.can_can.can_bang": (15.0, 17.0),
    "kt.danh_gia_xnk.can_can.nhap_sieu": (14.0, 12.0),
    "kt.kcn.so_luong": (12, 17),
    "kt.kcn.dien_tich": (5900, 7100),
    "kt.kcn.ty_le_lap_day": (68.0, 74.0),
    "kt.kcn.so_doanh_nghiep": (480, 720),
    "kt.ha_tang_thuong_mai.cho": (158, 152),
    "kt.ha_tang_thuong_mai.sieu_thi": (31, 42),
    "kt.ha_tang_thuong_mai.tttm": (11, 16),
    "kt.khu_kinh_te": {2018: 1, 2019: 1, 2020: 1, 2021: 1, 2022: 1, 2023: 2},
    "kt.von_dtc.ha_tang": (6200, 11000),
    "kt.von_dtc.san_xuat": (1200, 1800),
    "kt.von_dtc.quoc_phong_an_ninh": (300, 450),
    "kt.von_dtc.lien_ket_vung": (1100, 2200),
    "kt.von_dtc.co_che_chinh_sach": (200, 300),
    "kt.thu_ns.xuat_nhap_khau": (45000, 58000),
    "kt.nhap_khau.kim_ngach": (14800, 19800),
    "kt.thu_ns.vien_tro_huy_dong": (150, 250),
    "kt.thu_ns.tien_su_dung_dat": (6700, 8900),
    "kt.thu_ns.co_cau.nsdp_huong_phan_cap": (21500, 33000),
    "kt.thu_ns.co_cau.bo_sung_nstw": (2500, 4500),
    "kt.thu_ns.co_cau.chuyen_nguon_ket_du": (14000, 21000),
    "kt.thu_ns.co_cau.vien_tro": (60, 90),
    "xh.thu_nhap.muc.gia_hh": (68.0, 90.0),
    "xh.thu_nhap.muc.gia_ss2010": (50.0, 58.0),
    "xh.lao_dong.luc_luong": (1105000, 1180000),
    "xh.lao_dong_qua_dao_tao": (80.0, 88.0),
    "xh.lao_dong_qua_dao_tao.co_bang_cap": (30.5, 36.0),
    "xh.that_nghiep": {2018: 3.4, 2019: 3.3, 2020: 3.6, 2021: 3.9, 2022: 3.0, 2023: 2.7},
    "xh.giam_ngheo": {2018: 0.42, 2019: 0.48, 2020: 0.45, 2021: 0.33, 2022: 0.35, 2023: 0.36},
    "xh.giam_ngheo.ty_le_ngheo": {2018: 2.32, 2019: 1.81, 2020: 1.35, 2021: 1.02, 2022: 1.52, 2023: 1.16},
    "xh.giam_ngheo.ty_le_giam": {2018: 0.45, 2019: 0.51, 2020: 0.46, 2021: 0.33, 2022: 0.35, 2023: 0.36},
    "xh.ntm.huyen_dat_chuan": {2018: 50, 2019: 62.5, 2020: 75, 2021: 87.5, 2022: 100, 2023: 100},
    "xh.ntm.huyen_nang_cao": {2018: 0, 2019: 0, 2020: 12.5, 2021: 25, 2022: 37.5, 2023: 62.5},
    "xh.ntm.huyen_kieu_mau": {2018: 0, 2019: 0, 2020: 0, 2021: 0, 2022: 12.5, 2023: 25},
    "xh.ntm.xa_dat_chuan": {2018: 78.4, 2019: 92.1, 2020: 100, 2021: 100, 2022: 100, 2023: 100},
    "xh.ntm.xa_nang_cao": (10.2, 68.4),
    "xh.ntm.xa_kieu_mau": {2018: 0, 2019: 2.0, 2020: 5.1, 2021: 9.2, 2022: 14.3, 2023: 20.4},
    "xh.truong_chuan_qg": (78.5, 89.2),
    "xh.pho_cap_gd.tieu_hoc": (100, 100),
    "xh.pho_cap_gd.thcs": (100, 100),
    "xh.hs_den_truong.tieu_hoc": (99.6, 99.8),
    "xh.hs_den_truong.thcs": (98.6, 99.1),
    "xh.hs_den_truong.thpt": (88.5, 92.0),
    "xh.kien_co_hoa_truong": (91.0, 96.5),
    "xh.bac_si_van_dan": {2018: 11.3, 2020: 12.0, 2021: 12.3, 2022: 12.6, 2023: 13.0},  # 2019 published
    "xh.giuong_benh_van_dan": (38.5, 44.0),
    "xh.bhyt": (86.5, 93.0),
    "xh.xa_chuan_y_te": (93.5, 99.5),
    "xh.van_hoa.ho_gia_dinh": (89.5, 92.5),
    "xh.van_hoa.thon_to_dan_pho": (84.5, 89.5),
    "xh.van_hoa.co_quan_don_vi": (91.0, 94.5),
    "xh.nha_van_hoa": (94.0, 98.8),
    "xh.hdi": (0.752, 0.771),
    "mt.nuoc_sach.thanh_thi": (99.5, 100),
    "mt.nuoc_sach.nong_thon": (90.0, 98.5),
    "mt.chat_thai_ran": (95.0, 99.0),
    "mt.kcn_xu_ly_nuoc_thai": (92.0, 100),
    "mt.che_phu_rung": (10.4, 10.9),
    "tpkt.dn.so_luong.nha_nuoc": (98, 82),
    "tpkt.dn.so_luong.ngoai_nha_nuoc": (15200, 21500),
    "tpkt.dn.so_luong.fdi": (680, 920),
    "tpkt.dn.von.nha_nuoc": (41000, 45500),
    "tpkt.dn.von.ngoai_nha_nuoc": (168000, 284000),
    "tpkt.dn.von.fdi": (185000, 312000),
    "tpkt.dn.lao_dong.nha_nuoc": (36500, 29800),
    "tpkt.dn.lao_dong.ngoai_nha_nuoc": (248000, 296000),
    "tpkt.dn.lao_dong.fdi": (182000, 298000),
    "tpkt.dn.ty_trong_grdp.nha_nuoc": (12.8, 10.4),
    "tpkt.dn.ty_trong_grdp.ngoai_nha_nuoc": (37.5, 36.2),
    "tpkt.dn.ty_trong_grdp.fdi": (27.6, 33.5),
    "tpkt.dn.dong_gop_ns.nha_nuoc": (3400, 3900),
    "tpkt.dn.dong_gop_ns.ngoai_nha_nuoc": (9200, 15800),
    "tpkt.dn.dong_gop_ns.fdi": (7600, 13500),
    "tpkt.htx.so_luong": (392, 447),
    "tpkt.htx.von": (980, 1450),
    "tpkt.htx.lao_dong": (21500, 18800),
    "tpkt.htx.ty_trong_grdp": (0.62, 0.55),
    "tpkt.htx.dong_gop_ns": (28, 36),
    "cchc.par_index": {2018: 80.21, 2019: 82.68, 2020: 86.95, 2021: 88.93, 2022: 89.94},  # 2023 published
    "cchc.pci": {2023: 71.5},  # 2018–2022 published
    "cchc.papi": (41.8, 44.2),
    "cchc.ict_index": (0.561, 0.628),
    "cchc.ebi": (47.5, 59.8),
}
# The country's and the Red River Delta's period values where moving Hải Phòng's (AREA_FACTORS)
# would mislead: forest covers two fifths of the country but little of the delta and the city;
# the country's rural districts and communes are further from the new-countryside standards.
OTHER_AREAS: dict[str, dict[str, float]] = {
    "mt.che_phu_rung": {"gd2019_2023_cn": 42.02, "gd2019_2023_dbsh": 6.1},
    "xh.ntm.huyen_dat_chuan": {"gd2019_2023_cn": 40.5, "gd2019_2023_dbsh": 76.3},
    "xh.ntm.huyen_nang_cao": {"gd2019_2023_cn": 5.2, "gd2019_2023_dbsh": 18.4},
    "xh.ntm.huyen_kieu_mau": {"gd2019_2023_cn": 0.8, "gd2019_2023_dbsh": 3.9},
    "xh.ntm.xa_dat_chuan": {"gd2019_2023_cn": 78.2, "gd2019_2023_dbsh": 97.1},
    "xh.ntm.xa_nang_cao": {"gd2019_2023_cn": 26.3, "gd2019_2023_dbsh": 47.5},
    "xh.ntm.xa_kieu_mau": {"gd2019_2023_cn": 5.4, "gd2019_2023_dbsh": 10.8},
}
# Mid-year population (million people): GRDP per head is GRDP divided by it.
POPULATION = {2018: 2.013, 2019: 2.033, 2020: 2.053, 2021: 2.072, 2022: 2.088, 2023: 2.105}
PER_HEAD = {
    "kt.grdp_dau_nguoi.muc.gia_ss2010": "kt.grdp.gia_ss2010",
    "kt.grdp_dau_nguoi.muc.gia_hh": "kt.grdp.gia_hh",
}
AREA_SCALE = {"gd2014_2018": 0.62, "gd2019_2023_cn": 24.0, "gd2019_2023_dbsh": 5.8}
SCALED_UNITS = {"tỷ.đ", "tr.usd", "ha", "Dự án", "DN", "HTX", "Lao động", "lao động", "đơn vị"}


def jitter(key: str, low: float, high: float, salt: str = "") -> float:
    digest = hashlib.sha256(f"{key}{salt}".encode()).digest()
    return low + (high - low) * int.from_bytes(digest[:4], "big") / 2**32


def published() -> tuple[dict[str, dict[int, float]], dict[tuple[str, str, int], float]]:
    hp: dict[str, dict[int, float]] = {}
    other: dict[tuple[str, str, int], float] = {}
    with PUBLISHED.open(encoding="utf-8") as handle:
        for rec in csv.DictReader(handle):
            year, value = int(rec["year"]), float(rec["value"])
            if rec["area"] == "Hải Phòng" and rec["indicator"] in HP_MAP:
                hp.setdefault(HP_MAP[rec["indicator"]], {})[year] = value
            else:
                other[(rec["area"], rec["indicator"], year)] = value
    return hp, other


def base_series(row: Row) -> dict[int, float]:
    """Plausible values by unit and type, growing or drifting year by year."""
    k, vt, unit = row.key, row.value_type, row.unit or ""
    if vt is ValueType.AMOUNT:
        level = {"tỷ.đ": 12000, "tr.usd": 1500, "tr.đ/người": 95, "tr.đ/lđ": 180, "ha": 6000}.get(unit, 1000)
        level *= jitter(k, 0.4, 1.6)
        out = {2018: level}
        for y in YEARS[1:]:  # a different pace every year, as real series have
            out[y] = out[y - 1] * (1 + (jitter(k, 0.02, 0.11, str(y)) if unit != "ha" else 0.02))
        return out
    if vt is ValueType.COUNT:
        level = {"DN": 3000, "HTX": 450, "Lao động": 60000, "lao động": 1_100_000, "Dự án": 90}.get(unit, 25)
        level *= jitter(k, 0.5, 1.5)
        return {y: float(round(level * (1 + jitter(k, 0.0, 0.06, "g")) ** (y - 2018))) for y in YEARS}
    if vt is ValueType.SHARE:
        start = jitter(k, 55, 92)
        return {y: min(99.5, start + (y - 2018) * jitter(k, 0.3, 1.5, "s")) for y in YEARS}
    if vt is ValueType.GROWTH:
        return {y: jitter(k, 3, 11, str(y)) for y in YEARS}
    if vt is ValueType.RATE:
        return {y: jitter(k, 2, 25, str(y)) for y in YEARS}
    if vt is ValueType.INDEX:
        if "hdi" in k:
            return {y: 0.72 + 0.004 * (y - 2018) for y in YEARS}
        return {y: jitter(k, 60, 115, str(y)) for y in YEARS}
    return {y: jitter(k, 1.5, 6, str(y)) for y in YEARS}


def level_series(
    row: Row, level: tuple[float, float] | dict[int, float], base: dict[int, float]
) -> dict[int, float]:
    """A row's series from its LEVELS entry; years a dict leaves out keep `base` (published ones
    replace them later)."""
    if isinstance(level, dict):
        return {y: level.get(y, base[y]) for y in YEARS}
    start, end = level
    t = {y: (y - YEARS[0]) / (YEARS[-1] - YEARS[0]) for y in YEARS}
    # the years between wobble a little around the trend, as real series do (a flat row stays flat)
    wobble = {y: jitter(row.key, -1, 1, f"w{y}") if 0 < t[y] < 1 else 0.0 for y in YEARS}
    if row.value_type in (ValueType.AMOUNT, ValueType.COUNT) and start > 0 and end > 0:
        return {y: start * (end / start) ** t[y] * (1 + 0.015 * wobble[y]) for y in YEARS}
    return {y: start + (end - start) * (t[y] + 0.15 * wobble[y] / (len(YEARS) - 1)) for y in YEARS}


def through_anchors(series: dict[int, float], anchors: dict[int, float]) -> dict[int, float]:
    """Rescale a series so it passes through published values, interpolating the ratio."""
    known = sorted(anchors)
    ratios = {y: anchors[y] / series[y] for y in known}
    out = {}
    for y in YEARS:
        before = [a for a in known if a <= y]
        after = [a for a in known if a >= y]
        if before and after:
            lo, hi = before[-1], after[0]
            t = 0 if hi == lo else (y - lo) / (hi - lo)
            ratio = ratios[lo] ** (1 - t) * ratios[hi] ** t
        else:
            ratio = ratios[(before or after)[-1 if before else 0]]
        out[y] = anchors.get(y, series[y] * ratio)
    return out


def build(spec: Spec) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], str]]:
    hp, other = published()
    year_col = {c.first_year: c.id for c in spec.campaign.columns if c.is_year}
    series = {r.key: base_series(r) for r in spec.input_rows}
    for key, level in LEVELS.items():
        series[key] = level_series(spec.row_by_key[key], level, series[key])
    source: dict[tuple[str, str], str] = {}
    for key, anchors in hp.items():
        if spec.row_by_key[key].value_type in (ValueType.GROWTH, ValueType.INDEX, ValueType.RATIO):
            series[key].update(anchors)
        else:
            series[key] = through_anchors(series[key], anchors)
        for y in anchors:
            source[(key, year_col[y])] = "công bố"
    # Levels at constant prices follow the published growth rates (GRDP 2020 anchored).
    grdp = series["kt.grdp.gia_ss2010"]
    for y in (2021, 2022, 2023):
        grdp[y] = grdp[y - 1] * (1 + series["kt.tang_truong_grdp"][y] / 100)
    for y in (2019, 2018):
        grdp[y] = grdp[y + 1] / (1 + series["kt.tang_truong_grdp"][y + 1] / 100)
    for key, total in PER_HEAD.items():
        series[key] = {y: series[total][y] / POPULATION[y] / 1000 for y in YEARS}  # tỷ.đ ÷ triệu người
    # Structures: fixed where amounts must match (share_of), drifting elsewhere.
    tied = {s for r in spec.rules if r.kind.name == "share_of" for s in r.operands.shares}
    for rule in spec.rules:
        if rule.kind.name != "shares_100":
            continue
        parts = rule.operands.parts
        group = spec.row_by_key[parts[0]].parent or ""
        target = STRUCTURES.get(group)
        if group == "kt.co_cau_nganh":
            target = [hp[p][2023] for p in parts]
        target = target or [round(100 / len(parts), 2)] * len(parts)
        for y in YEARS:
            drift = 0 if set(parts) & tied else (2023 - y) * 0.35
            raw = [
                max(0.5, t + (drift if i == 0 else -drift / (len(parts) - 1))) for i, t in enumerate(target)
            ]
            shares = largest_remainder(raw, 2)
            for p, v in zip(parts, shares, strict=True):
                series[p][y] = v
    for rule in spec.rules:
        if rule.kind.name == "same_value":
            series[rule.operands.b] = dict(series[rule.operands.a])
    years = {}
    for key, by_year in series.items():
        row = spec.row_by_key[key]
        for y, v in by_year.items():
            years[(key, year_col[y])] = round_for(row, v)
    anchored = {(key, year_col[y]) for key in hp for y in YEARS}  # the whole published series stays put
    relate(spec, years, [year_col[y] for y in YEARS], anchored)
    # Growth against levels: a published growth sets that year's level; other years' growth
    # follows the levels (GRDP, fully published, was chained above).
    for rule in spec.rules:
        if rule.kind.name != "growth" or set(hp.get(rule.operands.growth, {})) >= set(YEARS):
            continue
        g, lv = rule.operands.growth, rule.operands.level
        for y in YEARS[1:]:
            now, before = (lv, year_col[y]), (lv, year_col[y - 1])
            if y in hp.get(g, {}):
                years[now] = round(years[before] * (1 + years[(g, year_col[y])] / 100), 1)
            else:
                years[(g, year_col[y])] = round((years[now] / years[before] - 1) * 100, 2)
    values = dict(years)
    periods(spec, values, other, source)
    return values, source


def largest_remainder(raw: list[float], digits: int) -> list[float]:
    unit = 10**digits
    scaled = [v * 100 * unit / sum(raw) for v in raw]
    floors = [math.floor(v) for v in scaled]
    for i in sorted(range(len(raw)), key=lambda i: scaled[i] - floors[i], reverse=True)[
        : 100 * unit - sum(floors)
    ]:
        floors[i] += 1
    return [f / unit for f in floors]


def round_for(row: Row, value: float) -> float:
    if row.value_type is ValueType.COUNT:
        return float(round(value))
    if row.value_type is ValueType.SHARE:
        return round(min(value, 100.0), 2)
    if row.value_type is ValueType.INDEX and abs(value) < 2:
        return round(value, 3)  # HDI-like indexes
    two = (ValueType.GROWTH, ValueType.RATE, ValueType.RATIO, ValueType.INDEX)
    return round(value, 2 if row.value_type in two else 1)


def relate(
    spec: Spec, values: dict[tuple[str, str], float], columns: list[str], fixed: set[tuple[str, str]]
) -> None:
    """Derive parts, totals and shares column by column, in an order that settles. A total in
    `fixed` (published) keeps its value: its unpublished parts absorb the difference."""
    grouped = {p for r in spec.rules if r.kind.name == "shares_100" for p in r.operands.parts}
    for col in columns:
        v = {k: values[(k, col)] for (k, c) in values if c == col}
        for rule in spec.rules:
            o = rule.operands
            if rule.kind.name == "share_of" and set(o.shares) <= grouped:
                parts = [round(v[s] * v[o.total] / 100, 1) for s in o.shares]
                parts[-1] = round(v[o.total] - sum(parts[:-1]), 1)
                v.update(zip(o.parts, parts, strict=True))
        for rule in spec.rules:
            o = rule.operands
            if rule.kind.name == "sum" and o.total not in {
                r.operands.total for r in spec.rules if r.kind.name == "share_of"
            }:
                if (o.total, col) in fixed:
                    free = [p for p in o.parts if (p, col) not in fixed]
                    rest = v[o.total] - sum(v[p] for p in o.parts if p not in free)
                    scale = rest / sum(v[p] for p in free)
                    for p in free:
                        v[p] = round(v[p] * scale, 1)
                    v[free[-1]] = round(rest - sum(v[p] for p in free[:-1]), 1)
                else:
                    v[o.total] = round(sum(v[p] for p in o.parts), 1)
            elif rule.kind.name == "parts_within" and isinstance(o.whole, str):
                v[o.whole] = max(v[o.whole], round(sum(v[p] for p in o.parts) * 1.08, 1))
            elif rule.kind.name == "parts_within" and sum(v[p] for p in o.parts) > o.whole:
                scale = 0.95 * o.whole / sum(v[p] for p in o.parts)
                for p in o.parts:
                    v[p] = round(v[p] * scale, 2)
        for rule in spec.rules:
            o = rule.operands
            if rule.kind.name == "share_of" and not set(o.shares) <= grouped:
                for s, p in zip(o.shares, o.parts, strict=True):
                    v[o.total] = max(v[o.total], v[p] * 1.05)
                    v[s] = round(v[p] / v[o.total] * 100, 2)
        for rule in spec.rules:
            if rule.kind.name == "sum" and rule.operands.total in {
                r.operands.total for r in spec.rules if r.kind.name == "share_of"
            }:
                v[rule.operands.total] = round(sum(v[p] for p in rule.operands.parts), 1)
        for k, x in v.items():
            values[(k, col)] = x


def periods(spec: Spec, values: dict[tuple[str, str], float], other: dict, source: dict) -> None:  # type: ignore[type-arg]
    years = [c.id for c in spec.campaign.columns if c.is_year and c.first_year >= 2019]
    hp = "gd2019_2023_hp"
    for row in spec.input_rows:
        ys = [values[(row.key, y)] for y in years]
        if row.period is PeriodAggregate.SUM or (
            row.period is PeriodAggregate.NONE and row.unit in ("tỷ.đ", "tr.usd")
        ):
            v = round(sum(ys), 1) if row.value_type is not ValueType.COUNT else float(sum(ys))
        elif row.period is PeriodAggregate.AVERAGE_GROWTH:
            v = round((math.prod(1 + g / 100 for g in ys) ** (1 / len(ys)) - 1) * 100, 2)
        elif row.period is PeriodAggregate.LAST:
            v = ys[-1]
        else:
            v = round_for(row, sum(ys) / len(ys))
        values[(row.key, hp)] = v
    for rule in spec.rules:  # untied structures: means, balanced to exactly 100
        if rule.kind.name == "shares_100" and not set(rule.operands.parts) & {
            s for r in spec.rules if r.kind.name == "share_of" for s in r.operands.shares
        }:
            parts = rule.operands.parts
            for p, s in zip(parts, largest_remainder([values[(p, hp)] for p in parts], 2), strict=True):
                values[(p, hp)] = s
    relate(spec, values, [hp], set())
    for column, scale in AREA_SCALE.items():
        for row in spec.input_rows:
            if column in AREA_FACTORS:
                values[(row.key, column)] = other_area(row, column, values[(row.key, hp)], scale)
            else:
                values[(row.key, column)] = earlier_period(row, values, values[(row.key, hp)], scale)
        balance_structures(spec, values, column)
        relate(spec, values, [column], set())
    # Published figures of the country and the region, mapped to catalog rows by
    # workbook_specs/reference/indicator_keys.csv: a period value where one is published or
    # derivable from every year, else the period's latest published year.
    reference = spec.reference
    for column in (c for c in spec.campaign.columns if c.id in AREA_SCALE and c.area != "hai_phong"):
        for row in spec.input_rows:
            found = reference.get(row.key, column.id)
            if found is None:
                years = [
                    reference.series.get((row.key, column.area, y))
                    for y in range(column.last_year, column.first_year - 1, -1)
                ]
                found = next((y for y in years if y is not None), None)
            if found is not None:
                values[(row.key, column.id)] = round_for(row, found.value)
                source[(row.key, column.id)] = "công bố"
    for key, by_column in OTHER_AREAS.items():
        for column_id, value in by_column.items():
            values[(key, column_id)] = value
    for rule in spec.rules:
        if rule.kind.name == "same_value":
            for c in spec.campaign.columns:
                values[(rule.operands.b, c.id)] = values[(rule.operands.a, c.id)]
    # the national "of which" figure must stay within the national whole
    whole, part = (
        ("xh.lao_dong_qua_dao_tao", "gd2019_2023_cn"),
        ("xh.lao_dong_qua_dao_tao.co_bang_cap", "gd2019_2023_cn"),
    )
    values[whole] = max(values[whole], min(99.0, round(values[part] * 2.4, 2)))


# How the country and the region compare with Hải Phòng where nothing is published: Hải Phòng
# grows faster than both, is richer per head than the country, and close to the region.
AREA_FACTORS = {
    "gd2019_2023_cn": {"growth": (0.45, 0.7), "level": (0.55, 0.8), "share": (0.8, 1.02)},
    "gd2019_2023_dbsh": {"growth": (0.6, 0.85), "level": (0.85, 1.05), "share": (0.9, 1.03)},
}


def earlier_period(row: Row, values: dict[tuple[str, str], float], period: float, scale: float) -> float:
    """Hải Phòng's 2014–2018 column: a sum scaled from 2019–2023's, the average growth of
    2019–2023, the end of 2018 for a level at the period's end, and otherwise the value of 2016
    (the period's middle) along the 2018–2023 trend — never a value from after 2018."""
    first, last = values[(row.key, "y2018")], values[(row.key, "y2023")]
    if row.period is PeriodAggregate.SUM or (
        row.period is PeriodAggregate.NONE and row.unit in ("tỷ.đ", "tr.usd")
    ):
        return round_for(row, period * scale)
    if row.period is PeriodAggregate.AVERAGE_GROWTH:
        return period
    if row.period is PeriodAggregate.LAST:
        return first
    if row.value_type in (ValueType.AMOUNT, ValueType.COUNT) and first > 0 and last > 0:
        return round_for(row, first * (first / last) ** (2 / 5))
    earlier = first - (last - first) * 2 / 5
    return round_for(row, min(max(earlier, 0.0), 100.0) if row.value_type is ValueType.SHARE else earlier)


def other_area(row: Row, column: str, value: float, scale: float) -> float:
    """A plausible value for another area's period column, never Hải Phòng's copied."""
    factors = AREA_FACTORS[column]
    if row.value_type in (ValueType.AMOUNT, ValueType.COUNT) and row.unit in SCALED_UNITS:
        return round_for(row, value * scale * jitter(row.key, 0.9, 1.1, column))
    kind = {ValueType.GROWTH: "growth", ValueType.AMOUNT: "level"}.get(row.value_type, "share")  # type: ignore[arg-type]
    low, high = factors[kind]
    moved = value * jitter(row.key, low, high, column)
    if row.value_type is ValueType.SHARE:
        moved = min(moved, 99.5)
    return round_for(row, moved)


def balance_structures(spec: Spec, values: dict[tuple[str, str], float], column: str) -> None:
    """Structures of another area still add up to exactly 100 after moving their parts."""
    for rule in spec.rules:
        if rule.kind.name == "shares_100":
            parts = rule.operands.parts
            for p, v in zip(parts, largest_remainder([values[(p, column)] for p in parts], 2), strict=True):
                values[(p, column)] = v


def main() -> None:
    spec = load_spec(ROOT / "workbook_specs")
    values, source = build(spec)
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["key", "column", "value", "source"])
        for row in spec.input_rows:
            for column in spec.campaign.columns:
                value = values[(row.key, column.id)]
                text = repr(int(value)) if float(value).is_integer() else repr(value)
                writer.writerow([row.key, column.id, text, source.get((row.key, column.id), "minh họa")])
    print(f"{OUT}: {len(spec.input_rows) * len(spec.campaign.columns)} values")


if __name__ == "__main__":
    main()
