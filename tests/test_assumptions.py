"""Team assumptions: one validated YAML file that every face of mltk reads."""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

import pytest

import mltk
from mltk import Range
from mltk.foundation.assumptions import DEFAULT_ASSUMPTIONS_PATH, ENV_VAR, load_assumptions
from mltk.foundation.errors import AssumptionsError

ROOT = Path(__file__).resolve().parents[1]

KEYS = [
    "currency", "electricity_usd_per_kwh", "pue", "cloud_price_factor",
    "prices_usd_per_device_hour", "purchase_prices_usd", "utilization", "amortisation_years",
    "server_usd_per_device", "networking_fraction_of_capex", "storage_usd_per_device",
    "hosting_usd_per_kw_year", "maintenance_fraction_per_year", "staff_usd_per_device_year",
    "host_power_fraction", "idle_power_fraction", "discount_rate", "residual_value_fraction",
    "spot_preemption_overhead", "cloud_provider", "cloud_region", "cloud_prices_path",
    "grid_region", "grid_carbon_g_per_kwh", "inter_node_bandwidth_bytes_per_s_per_device",
    "intra_node_latency_s",
    "inter_node_latency_s", "failure_rate_per_device_hour", "checkpoint_write_bytes_per_s",
    "restart_s",
]


def write(tmp_path: Path, text: str, name: str = "team.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def error_for(tmp_path: Path, text: str) -> str:
    p = write(tmp_path, text)
    with pytest.raises(AssumptionsError) as info:
        load_assumptions(p)
    message = str(info.value)
    assert str(p) in message, "the message names the file"
    assert "\n" not in message, "one line"
    return message


# --------------------------------------------------------------------------- the packaged file

def test_packaged_defaults_load_and_are_sane() -> None:
    a = load_assumptions(DEFAULT_ASSUMPTIONS_PATH)
    assert a.currency == "USD"
    assert 0 < a.electricity_usd_per_kwh < 1
    assert 1 <= a.pue.low <= a.pue.mid <= a.pue.high < 3
    assert 0 < a.cloud_price_factor.low <= a.cloud_price_factor.high <= 1
    assert a.amortisation_years > 0 and a.staff_usd_per_device_year >= 0
    assert sorted(a.as_dict()) == sorted(["path", *KEYS])


def test_every_key_is_documented_with_a_source() -> None:
    """Each key in the packaged file has a comment block above it naming a source or
    saying it is an assumption."""
    lines = DEFAULT_ASSUMPTIONS_PATH.read_text().splitlines()
    for key in KEYS:
        i = next(i for i, ln in enumerate(lines) if ln.startswith(f"{key}:"))
        j = i
        while j > 0 and lines[j - 1].startswith("#"):
            j -= 1
        comment = " ".join(lines[j:i]) + " " + lines[i].partition("#")[2]
        assert comment.strip(), f"{key} has no comment"
        assert re.search(r"\bSources?\b|\bAssumption\b", comment), key


def test_environment_variable_is_used(tmp_path, monkeypatch) -> None:
    a = write(tmp_path, "electricity_usd_per_kwh: 0.2\n", "a.yaml")
    b = write(tmp_path, "electricity_usd_per_kwh: 0.3\ncurrency: EUR\n", "b.yaml")
    monkeypatch.setenv(ENV_VAR, str(a))
    assert mltk.assumptions().electricity_usd_per_kwh == 0.2
    assert mltk.assumptions().path == str(a)
    monkeypatch.setenv(ENV_VAR, str(b))
    assert mltk.assumptions().electricity_usd_per_kwh == 0.3
    assert mltk.assumptions().currency == "EUR"
    monkeypatch.delenv(ENV_VAR)
    assert mltk.assumptions().path == str(DEFAULT_ASSUMPTIONS_PATH)


def test_partial_file_keeps_other_defaults(tmp_path) -> None:
    default = load_assumptions(DEFAULT_ASSUMPTIONS_PATH)
    a = load_assumptions(write(tmp_path, "pue: 1.2\n"))
    assert a.pue == Range.point(1.2)
    for key in KEYS:
        if key != "pue":
            assert getattr(a, key) == getattr(default, key), key


def test_an_edited_file_is_reloaded(tmp_path) -> None:
    p = write(tmp_path, "electricity_usd_per_kwh: 0.11\n")
    assert load_assumptions(p).electricity_usd_per_kwh == 0.11
    p.write_text("electricity_usd_per_kwh: 0.125\n")
    os.utime(p, ns=(p.stat().st_atime_ns, p.stat().st_mtime_ns + 10**9))
    assert load_assumptions(p).electricity_usd_per_kwh == 0.125


def test_empty_file_means_all_defaults(tmp_path) -> None:
    a = load_assumptions(write(tmp_path, "# nothing changed\n"))
    assert a.as_dict() | {"path": ""} == \
        load_assumptions(DEFAULT_ASSUMPTIONS_PATH).as_dict() | {"path": ""}


def test_accepted_spellings(tmp_path) -> None:
    a = load_assumptions(write(tmp_path, """\
        currency: EUR
        purchase_prices_usd: {nvidia h100 sxm: 3e4, a100_80gb: 1.5E+4}
        prices_usd_per_device_hour:
          H100-SXM: {low: 2, mid: 2.5, high: 3.9}
          TPU-v5p: 3
        utilization: [0.3, 0.4, 0.5]
        """))
    assert a.purchase_prices_usd == {"H100-SXM": 30000.0, "A100-80GB": 15000.0}
    assert a.prices_usd_per_device_hour["H100-SXM"] == Range(2, 2.5, 3.9)
    assert a.prices_usd_per_device_hour["TPU-v5p"] == Range.point(3.0)
    assert a.utilization == Range(0.3, 0.4, 0.5)
    assert a.format_money(1.5e6) == "EUR 1.5M"


# --------------------------------------------------------------------------- the promised messages

def test_unknown_key_is_named_with_a_suggestion(tmp_path) -> None:
    m = error_for(tmp_path, "electricity_usd_per_kw: 0.1\n")
    assert "unknown key 'electricity_usd_per_kw'" in m
    assert "did you mean 'electricity_usd_per_kwh'" in m


@pytest.mark.parametrize(("text", "key"), [
    ("electricity_usd_per_kwh: cheap\n", "electricity_usd_per_kwh"),
    ("electricity_usd_per_kwh: '0.1'\n", "electricity_usd_per_kwh"),
    ("amortisation_years: true\n", "amortisation_years"),
    ("pue: yes\n", "pue"),
    ("pue: [1.1, 1.2]\n", "pue"),
    ("cloud_price_factor: {low: 1}\n", "cloud_price_factor"),
    ("currency: 978\n", "currency"),
    ("currency: ''\n", "currency"),
    ("currency: a very long currency label\n", "currency"),
    ("purchase_prices_usd: [H100-SXM, 30000]\n", "purchase_prices_usd"),
    ("purchase_prices_usd: {H100-SXM: lots}\n", "purchase_prices_usd.H100-SXM"),
    ("prices_usd_per_device_hour: {H100-SXM: [1, 2]}\n", "prices_usd_per_device_hour.H100-SXM"),
])
def test_wrong_type_names_the_key(tmp_path, text: str, key: str) -> None:
    m = error_for(tmp_path, text)
    assert f"key '{key}'" in m
    assert "expected" in m


@pytest.mark.parametrize(("text", "key", "expected"), [
    ("electricity_usd_per_kwh: -0.1\n", "electricity_usd_per_kwh", "greater than or equal to 0"),
    ("electricity_usd_per_kwh: .nan\n", "electricity_usd_per_kwh", "greater than or equal to 0"),
    ("storage_usd_per_device: .inf\n", "storage_usd_per_device", "greater than or equal to 0"),
    ("pue: 0.9\n", "pue", "greater than or equal to 1"),
    ("pue: [0.95, 1.2, 1.5]\n", "pue", "greater than or equal to 1"),
    ("pue: [1.5, 1.2, 1.6]\n", "pue", "low <= mid <= high"),
    ("utilization: 1.5\n", "utilization", "(0, 1]"),
    ("utilization: [0, 0.4, 0.5]\n", "utilization", "(0, 1]"),
    ("cloud_price_factor: 0\n", "cloud_price_factor", "greater than 0"),
    ("amortisation_years: 0\n", "amortisation_years", "greater than 0"),
    ("networking_fraction_of_capex: 1.5\n", "networking_fraction_of_capex", "[0, 1]"),
    ("maintenance_fraction_per_year: -0.01\n", "maintenance_fraction_per_year", "[0, 1]"),
    ("purchase_prices_usd: {H100-SXM: -30000}\n", "purchase_prices_usd.H100-SXM", "greater than 0"),
    ("prices_usd_per_device_hour: {H100-SXM: [0, 1, 2]}\n",
     "prices_usd_per_device_hour.H100-SXM", "greater than 0"),
])
def test_impossible_value_names_the_key(tmp_path, text: str, key: str, expected: str) -> None:
    m = error_for(tmp_path, text)
    assert f"key '{key}'" in m
    assert expected in m


def test_unknown_device_lists_the_closest_names(tmp_path) -> None:
    m = error_for(tmp_path, "purchase_prices_usd: {H100: 30000}\n")
    assert "purchase_prices_usd" in m and "'H100'" in m
    assert "H100-SXM" in m and "H100-PCIe" in m


def test_same_device_twice_is_rejected(tmp_path) -> None:
    m = error_for(tmp_path, "purchase_prices_usd: {H100-SXM: 30000, h100 sxm: 25000}\n")
    assert "H100-SXM is given twice" in m


def test_duplicate_key_is_rejected(tmp_path) -> None:
    m = error_for(tmp_path, "pue: 1.2\npue: 1.4\n")
    assert "duplicate key 'pue'" in m and "line 2" in m


def test_bad_yaml_names_the_file_and_line(tmp_path) -> None:
    m = error_for(tmp_path, "pue: [1.1, 1.2\ncurrency: USD\n")
    assert "not valid YAML" in m and "line" in m


def test_non_mapping_is_rejected(tmp_path) -> None:
    m = error_for(tmp_path, "- pue\n- 1.2\n")
    assert "expected a mapping" in m and "list" in m


def test_unsafe_yaml_is_refused(tmp_path) -> None:
    m = error_for(tmp_path, "pue: !!python/object/apply:os.system ['echo hi']\n")
    assert "not valid YAML" in m


def test_missing_file(tmp_path, monkeypatch) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(AssumptionsError, match=re.escape(f"{missing}: assumptions file not found")):
        load_assumptions(missing)
    monkeypatch.setenv(ENV_VAR, str(missing))
    with pytest.raises(AssumptionsError, match=f"not found \\(set by {ENV_VAR}\\)"):
        mltk.assumptions()


def test_errors_are_value_errors(tmp_path) -> None:
    with pytest.raises(ValueError, match="unknown key"):
        load_assumptions(write(tmp_path, "colour: blue\n"))


# --------------------------------------------------------------------------- every face follows

def test_estimates_and_tco_follow_the_file(tmp_path, monkeypatch) -> None:
    kw = {"accelerator": "H100-SXM", "devices": 8, "utilization": 0.4}
    before = mltk.estimate_training(7e9, 1e11, **kw)
    monkeypatch.setenv(ENV_VAR, str(write(tmp_path, """\
        currency: EUR
        electricity_usd_per_kwh: 0.25
        pue: 1.2
        prices_usd_per_device_hour: {H100-SXM: 2.0}
        purchase_prices_usd: {H100-SXM: 20000}
        utilization: [0.2, 0.3, 0.4]
        """)))
    after = mltk.estimate_training(7e9, 1e11, **kw)
    assert after.cost_usd.mid == pytest.approx(after.device_hours.mid * 2.0)
    assert after.energy_cost_usd.mid == pytest.approx(after.energy_kwh.mid * 0.25)
    host = mltk.assumptions().host_power_fraction  # one energy convention: TDP x (1 + host) x PUE
    assert after.energy_kwh.mid == pytest.approx(after.device_hours.mid * 1.2 * 0.7 * (1 + host))
    assert after.energy_kwh.mid != pytest.approx(before.energy_kwh.mid)
    assert after.currency == "EUR" and "EUR" in after.summary()
    assert mltk.device_hour_price("H100-SXM") == Range.point(2.0)
    assert mltk.default_utilization() == Range(0.2, 0.3, 0.4)
    t = mltk.tco("H100-SXM", devices=8, years=3, utilization=0.5)
    assert t.capex_usd["accelerators"] == pytest.approx(8 * 20000)
    assert t.cloud_price_usd_per_hour == pytest.approx(2.0)


def test_nothing_reads_the_file_behind_mltk_assumptions_back() -> None:
    """One door: the package, the widgets, the CLI and the book go through mltk.assumptions()."""
    reads = re.compile(r"yaml\.(safe_)?load|open\([^)]*assumptions|DATA_DIR / .assumptions")
    pkg = Path(mltk.__file__).parent
    for py in pkg.glob("*.py"):
        if py.name != "assumptions.py":
            assert not reads.search(py.read_text()), py
    for md in (pkg.parent / "book").rglob("*.md"):
        text = md.read_text()
        assert not ("assumptions" in text and reads.search(text)), md


# --------------------------------------------------------------------------- the book follows

PAGE = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# Tariff

```{code-cell} ipython3
import mltk
from myst_nb import glue

glue("tariff", float(mltk.assumptions().electricity_usd_per_kwh), display=False)
est = mltk.estimate_training(7e9, 2e11, accelerator="H100-SXM", devices=8, utilization=0.4)
glue("cost", float(est.cost_usd.mid), display=False)
```

The tariff is {glue:text}`tariff:.4f` per kWh and the run costs {glue:text}`cost:.2f`.
"""


def _glued(nb) -> dict[str, str]:
    """What each ``glue(name, value)`` of an executed notebook recorded (its text/plain form)."""
    out: dict[str, str] = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            meta = o.get("metadata", {}).get("scrapbook")
            if meta:
                out[meta["name"]] = o["data"][meta["mime_prefix"] + "text/plain"]
    return out


def test_a_book_page_shows_the_altered_assumption(tmp_path, monkeypatch) -> None:
    """A chapter's kernel, started under a team's MLTK_ASSUMPTIONS, glues the team's numbers.

    The page is executed as the book build executes it (jupytext + nbclient, as
    ``tools/run_page.py`` does), without a second book build; the session's one build
    (tests/test_book.py) checks that glued values reach the HTML.
    """
    import jupytext
    from nbclient import NotebookClient

    team = write(tmp_path, "electricity_usd_per_kwh: 0.1234\n"
                           "prices_usd_per_device_hour: {H100-SXM: 1.5}\n")
    monkeypatch.setenv(ENV_VAR, str(team))  # the kernel inherits it
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    est = mltk.estimate_training(7e9, 2e11, accelerator="H100-SXM", devices=8, utilization=0.4)
    assert est.cost_usd.mid == pytest.approx(est.device_hours.mid * 1.5)
    nb = jupytext.reads(PAGE, fmt="md:myst")
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    glued = _glued(nb)
    assert float(glued["tariff"]) == 0.1234
    assert float(glued["cost"]) == pytest.approx(est.cost_usd.mid, rel=1e-12)
