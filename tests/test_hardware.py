"""Seed eq. 1 (R = 2NC) and the accelerator catalog."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mltk
from mltk.heuristics.hardware import PRECISIONS

REQUIRED = ["P40", "P100", "V100", "T4", "A10", "A100-40GB", "A100-80GB", "L4", "L40S",
            "H100-SXM", "H100-PCIe", "H200", "B200", "RTX-4090", "TPU-v3", "TPU-v4", "TPU-v5e",
            "TPU-v5p", "Trainium", "Inferentia2"]


def test_seed_worked_example_p40() -> None:
    # Seed eq. 2: (2)(3,840)(1.531e9 Hz) = 1.176e13 FLOP/s
    r = mltk.peak_flops(3840, 1.531e9)
    assert r == pytest.approx(1.176e13, rel=1e-3)
    assert r == 2 * 3840 * 1.531e9


def test_ops_per_cycle_generalises() -> None:
    assert mltk.peak_flops(100, 1e9, ops_per_cycle=4) == 4e11


@pytest.mark.parametrize("name", REQUIRED)
def test_required_devices_resolve(name: str) -> None:
    assert mltk.accelerator(name).name == name


@pytest.mark.parametrize("alias,name", [
    ("nvidia tesla p40", "P40"), ("Tesla V100", "V100"), ("a100_80gb", "A100-80GB"),
    ("H100 SXM", "H100-SXM"), ("  h100-pcie ", "H100-PCIe"), ("tpu v5p", "TPU-v5p"),
    ("NVIDIA RTX 4090", "RTX-4090"),
])
def test_tolerant_lookup(alias: str, name: str) -> None:
    assert mltk.accelerator(alias).name == name


def test_unknown_name_suggests_closest() -> None:
    with pytest.raises(mltk.UnknownAcceleratorError) as err:
        mltk.accelerator("H100 SMX")
    assert "H100-SXM" in str(err.value)
    assert isinstance(err.value, ValueError)
    assert err.value.suggestions


@pytest.mark.parametrize("bad", ["", None, 3])
def test_bad_names(bad) -> None:
    with pytest.raises(ValueError, match="accelerator"):
        mltk.accelerator(bad)


def test_catalog_contains_every_required_device() -> None:
    names = {a.name for a in mltk.accelerators()}
    assert set(REQUIRED) <= names


@pytest.mark.parametrize("acc", [a for a in mltk.accelerators() if a.cuda_cores],
                         ids=lambda a: a.name)
def test_2nc_matches_vendor_fp32_within_1pct(acc) -> None:
    assert acc.cuda_core_peak_flops() == pytest.approx(acc.peak_flops("fp32"), rel=0.01)


@pytest.mark.parametrize("acc", mltk.accelerators(), ids=lambda a: a.name)
def test_catalog_rows_are_sane_and_sourced(acc) -> None:
    assert acc.precisions, acc.name
    for p in acc.precisions:
        assert math.isfinite(acc.peak_flops(p)) and acc.peak_flops(p) > 0
    assert acc.memory_bytes and acc.memory_bytes >= 1e9
    if acc.memory_bandwidth_bytes_per_s is None:  # allowed only where the row says why
        assert "bandwidth" in acc.notes.lower() and "not read" in acc.notes, acc.name
    else:
        assert acc.memory_bandwidth_bytes_per_s >= 1e11
    assert acc.sources.get("source_flops") and acc.sources.get("source_memory")
    if acc.price_usd is not None:
        assert acc.price_source and acc.price_date
    if acc.cloud_price_usd_per_hour is not None:
        assert acc.cloud_price_source and acc.cloud_price_date


def test_published_dense_figures() -> None:
    # Dense, not 2:4 sparse: A100 312 TFLOP/s bf16, H100 SXM 989 TFLOP/s bf16 (NVIDIA datasheets)
    assert mltk.accelerator("A100-80GB").peak_flops("bf16") == pytest.approx(312e12, rel=0.01)
    assert mltk.accelerator("H100-SXM").peak_flops("bf16") == pytest.approx(989e12, rel=0.01)
    assert mltk.accelerator("V100").peak_flops("fp16") == pytest.approx(125e12, rel=0.01)


def test_tensor_cores_dwarf_2nc_on_modern_gpus() -> None:
    for name in ("A100-80GB", "H100-SXM"):
        a = mltk.accelerator(name)
        assert 8 <= a.peak_flops("bf16") / a.cuda_core_peak_flops() <= 16.1


def test_unsupported_precision_names_the_device() -> None:
    with pytest.raises(mltk.UnsupportedPrecisionError, match="V100"):
        mltk.accelerator("V100").peak_flops("bf16")
    with pytest.raises(ValueError, match="precision"):
        mltk.accelerator("V100").peak_flops("fp12")


@pytest.mark.parametrize("cores,clock", [(0, 1e9), (-1, 1e9), (np.nan, 1e9), (np.inf, 1e9),
                                         (3840, 0), (3840, -1.5e9), (3840, np.nan)])
def test_peak_flops_rejects_bad_input(cores, clock) -> None:
    with pytest.raises(ValueError, match="cores|clock_hz"):
        mltk.peak_flops(cores, clock)


def test_clock_in_ghz_is_caught() -> None:
    with pytest.raises(ValueError, match=r"clock_hz.*1\.531e9"):
        mltk.peak_flops(3840, 1.531)


def test_peak_flops_bool_and_text_rejected() -> None:
    with pytest.raises(ValueError, match="cores"):
        mltk.peak_flops(True, 1e9)
    with pytest.raises(ValueError, match="cores"):
        mltk.peak_flops("many", 1e9)


@given(st.floats(1, 1e6), st.floats(1e6, 1e10), st.floats(1.01, 10))
def test_peak_flops_linear_in_cores_and_clock(n: float, c: float, k: float) -> None:
    base = mltk.peak_flops(n, c)
    assert mltk.peak_flops(n * k, c) == pytest.approx(base * k)
    assert mltk.peak_flops(n, c * k) == pytest.approx(base * k)


def test_peak_flops_broadcasts() -> None:
    r = mltk.peak_flops(np.array([[1000], [2000]]), np.array([1e9, 2e9, 3e9]))
    assert r.shape == (2, 3)
    assert r[1, 2] == 2 * 2000 * 3e9


def test_precisions_are_ordered() -> None:
    assert mltk.accelerator("H100-SXM").precisions == tuple(
        p for p in PRECISIONS if p in mltk.accelerator("H100-SXM").peak_flops_by_precision)
