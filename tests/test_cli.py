"""The command line: every subcommand end to end, in process and as a real process."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import mltk
from mltk import Range
from mltk.cli import main
from mltk.cli.args import number as _number
from mltk.cli.args import seconds as _seconds
from mltk.cli.output import progress as _progress
from mltk.heuristics.planning import compute_optimal_split, max_training_flops

ROOT = Path(__file__).resolve().parents[1]
ESTIMATE = ["estimate", "--params", "7e9", "--dataset-size", "2e12", "--accelerator", "H100-SXM",
            "--devices", "512"]
U = ["--utilization", "0.3", "0.4", "0.5"]


def run(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def run_json(args: list[str], capsys):
    code, out, err = run([*args, "--json"], capsys)
    assert code == 0, err
    assert err == ""
    return json.loads(out)


def approx_range(d: dict, r: Range, rel: float = 1e-12) -> None:
    assert d == {"low": pytest.approx(float(r.low), rel=rel), "mid": pytest.approx(float(r.mid),
                 rel=rel), "high": pytest.approx(float(r.high), rel=rel)}


# --------------------------------------------------------------------------- accelerators

def test_accelerators_table_lists_the_catalog(capsys) -> None:
    code, out, err = run(["accelerators"], capsys)
    assert code == 0 and err == ""
    for acc in mltk.accelerators():
        assert f"\n{acc.name} " in out
    assert "TFLOP/s" in out and "GB" in out and "$" in out


def test_accelerators_filters_and_sort(capsys) -> None:
    data = run_json(["accelerators", "--vendor", "nvidia", "--min-memory-gb", "80",
                     "--precision", "fp8", "--sort", "peak"], capsys)
    names = [d["name"] for d in data]
    assert names[0] == "GB200"  # 5 PFLOP/s dense fp8 per GPU, ahead of the B200's 4.5
    assert set(names) == {a.name for a in mltk.accelerators() if a.vendor == "NVIDIA"
                          and (a.memory_bytes or 0) >= 80e9 and "fp8" in a.precisions}
    peaks = [d["peak_flops_by_precision"]["fp8"] for d in data]
    assert peaks == sorted(peaks, reverse=True)
    h100 = next(d for d in data if d["name"] == "H100-SXM")
    assert h100["memory_bytes"] == 81559 * 2**20  # as nvidia-smi reports it
    assert h100["dense_peak_flops"]["bf16"] == 989.4e12 and "int8" not in h100["training_precisions"]
    approx_range(h100["device_hour_price"], mltk.device_hour_price("H100-SXM"))
    tpus = run_json(["accelerators", "--kind", "tpu", "--min-memory-bytes", "30G"], capsys)
    assert {d["name"] for d in tpus} == {"TPU-v3", "TPU-v4", "TPU-v5p", "TPU-v6e", "TPU7x"}
    cheap = run_json(["accelerators", "--sort", "hour-price"], capsys)
    prices = [d["device_hour_price"]["mid"] for d in cheap if d["device_hour_price"]]
    assert prices == sorted(prices)


def test_accelerators_no_match(capsys) -> None:
    code, out, _ = run(["accelerators", "--vendor", "acme"], capsys)
    assert code == 0 and "no catalog device" in out


# --------------------------------------------------------------------------- peak

def test_peak_from_cores_and_clock(capsys) -> None:
    code, out, _ = run(["peak", "--cores", "3840", "--clock-hz", "1.531e9"], capsys)
    assert code == 0
    assert out.strip() == "R = 2NC = 2 × 3840 × 1.53 GHz = 11.8 TFLOP/s"
    data = run_json(["peak", "--cores", "3840", "--clock-hz", "1.531G"], capsys)
    assert data["flops_per_s"] == mltk.peak_flops(3840, 1.531e9) == 11758080000000.0


def test_peak_of_a_catalog_device(capsys) -> None:
    data = run_json(["peak", "--accelerator", "a100 80gb", "--precision", "bf16"], capsys)
    assert data == {"accelerator": "A100-80GB", "precision": "bf16", "flops_per_s": 312e12}
    data = run_json(["peak", "--accelerator", "P40"], capsys)
    assert data["peak_flops_by_precision"] == mltk.accelerator("P40").peak_flops_by_precision
    assert data["cuda_core_peak_flops"] == pytest.approx(11758080000000.0)
    code, out, _ = run(["peak", "--accelerator", "P40"], capsys)
    assert "fp32" in out and "R = 2NC" in out


# --------------------------------------------------------------------------- estimate

def test_estimate_json_matches_the_library(capsys) -> None:
    data = run_json([*ESTIMATE, *U, "--price-usd-per-hour", "2", "2.5", "3.9", "--pue", "1.2"],
                    capsys)
    est = mltk.estimate_training(7e9, 2e12, accelerator="H100-SXM", devices=512,
                                 utilization=(0.3, 0.4, 0.5), price_usd_per_hour=(2, 2.5, 3.9),
                                 pue=1.2)
    assert data["flops"] == est.flops == pytest.approx(8.4e22)
    for key in ("seconds", "device_hours", "energy_kwh", "energy_cost_usd", "cost_usd",
                "utilization", "price_usd_per_hour", "co2e_kg"):
        approx_range(data[key], getattr(est, key))
    approx_range(data["energy_j"], est.energy_kwh * 3.6e6)
    assert data["accelerator"] == "H100-SXM" and data["devices"] == 512
    assert data["currency"] == "USD"


def test_estimate_and_plan_take_a_rent_option(capsys) -> None:
    data = run_json([*ESTIMATE, *U, "--rent-option", "commit_3y"], capsys)
    p = mltk.rent_prices("H100-SXM")["commit_3y"].price_usd_per_device_hour
    approx_range(data["price_usd_per_hour"], mltk.Range.point(p))
    assert data["rent_option"] == "commit_3y"
    plan = run_json(["plan", "--budget-usd", "1e6", "--accelerator", "H100-SXM", *U,
                     "--rent-option", "spot"], capsys)
    direct = max_training_flops("H100-SXM", budget_usd=1e6, utilization=(0.3, 0.4, 0.5),
                                rent_option="spot")
    assert plan["flops"]["mid"] == pytest.approx(direct.flops.mid)
    code, _, err = run([*ESTIMATE, "--precision", "int8"], capsys)
    assert code != 0 and "training precision" in err


def test_estimate_defaults_follow_the_library(capsys) -> None:
    data = run_json(ESTIMATE, capsys)
    est = mltk.estimate_training(7e9, 2e12, accelerator="H100-SXM", devices=512)
    approx_range(data["utilization"], mltk.default_utilization("H100-SXM", "bf16", 512, 7e9))
    approx_range(data["cost_usd"], est.cost_usd)


def test_estimate_human_output(capsys) -> None:
    code, out, err = run([*ESTIMATE, *U], capsys)
    assert code == 0 and err == ""
    assert "84 ZFLOP" in out
    assert "days (" in out and " – " in out
    assert "$" in out and "MWh" in out
    assert "40% (30% – 50%)" in out


def test_estimate_with_known_flops_and_epochs(capsys) -> None:
    data = run_json(["estimate", "--flops", "3.14e23", "--accelerator", "V100", "--devices",
                     "10000", "--precision", "fp16", "--utilization", "0.2"], capsys)
    assert data["flops"] == 3.14e23
    data = run_json([*ESTIMATE, "--epochs", "2", "--utilization", "0.4"], capsys)
    assert data["flops"] == pytest.approx(2 * 8.4e22)


def test_estimate_without_price_or_power_notes_it(capsys) -> None:
    code, out, _ = run(["estimate", "--params", "1e9", "--dataset-size", "1e10", "--accelerator",
                        "Trainium", "--utilization", "0.3"], capsys)
    assert code == 0 and "note: no published TDP" in out


# --------------------------------------------------------------------------- tco

def test_tco_json_matches_the_library(capsys) -> None:
    args = ["tco", "--accelerator", "H100-SXM", "--devices", "8", "--years", "3",
            "--utilization", "0.8", "--purchase-price-usd", "30000",
            "--cloud-price-usd-per-hour", "3"]
    data = run_json(args, capsys)
    t = mltk.tco("H100-SXM", devices=8, years=3, utilization=0.8, purchase_price_usd=30000,
                 cloud_price_usd_per_hour=3.0)
    assert data["own_usd"] == pytest.approx(t.own_usd)
    assert data["rent_usd"] == pytest.approx(t.rent_usd)
    assert data["break_even_utilization"] == pytest.approx(float(t.break_even_utilization))
    assert data["capex_usd"]["accelerators"] == 240000
    assert data["cheaper"] == ("own" if t.own_usd < t.rent_usd else "rent")
    code, out, _ = run(args, capsys)
    assert "CapEx" in out and "OpEx per year" in out and "break-even" in out and "$" in out


def test_tco_json_reports_own_and_every_rent_option(capsys) -> None:
    data = run_json(["tco", "--accelerator", "H100-SXM"], capsys)
    t = mltk.tco("H100-SXM")
    assert data["own"]["total_usd"] == pytest.approx(t.own_usd)
    assert set(data["rent"]) == {"on_demand", "commit_1y", "commit_3y", "spot"}
    for name, r in data["rent"].items():
        assert r["total_usd"] == pytest.approx(t.rent[name].total_usd)
        assert r["usd_per_busy_device_hour"] == pytest.approx(t.rent[name].usd_per_busy_device_hour)
        assert "break_even_utilization" in r and r["source"]
    assert data["break_even_utilization_by_option"]["on_demand"] == pytest.approx(
        float(t.rent["on_demand"].break_even_utilization))
    for k in ("low", "mid", "high"):
        assert data["own"]["co2e_kg"][k] == pytest.approx(getattr(t.own_co2e_kg, k))
    only = run_json(["tco", "--accelerator", "H100-SXM", "--provider", "lambda",
                     "--rent-option", "on_demand", "--rent-option", "commit_1y"], capsys)
    assert set(only["rent"]) == {"on_demand", "commit_1y"}
    assert only["rent"]["on_demand"]["price_usd_per_device_hour"] == 3.99
    code, out, _ = run(["tco", "--accelerator", "H100-SXM"], capsys)
    assert "rent commit_3y" in out and "break-even spot" in out and "CO2e" in out


def test_tco_never_cheaper_to_own_gives_null_not_infinity(capsys) -> None:
    data = run_json(["tco", "--accelerator", "H100-SXM", "--utilization", "0.05",
                     "--purchase-price-usd", "30000", "--cloud-price-usd-per-hour", "0.5"],
                    capsys)
    assert data["break_even_years"] is None


# --------------------------------------------------------------------------- plan

def test_plan_json_matches_the_library(capsys) -> None:
    data = run_json(["plan", "--budget-usd", "1M", "--deadline-s", "30d", "--accelerator",
                     "H100-SXM", "--devices", "512", "--price-usd-per-hour", "2", "2.5", "3.5",
                     *U], capsys)
    b = max_training_flops("H100-SXM", budget_usd=1e6, deadline_s=30 * 86400, devices=512,
                           price_usd_per_hour=(2, 2.5, 3.5), utilization=(0.3, 0.4, 0.5))
    approx_range(data["flops"], b.flops)
    assert data["binding"] == b.binding == "deadline_s"
    assert data["deadline_s"] == 30 * 86400
    s = compute_optimal_split(b.flops)
    approx_range(data["compute_optimal"]["params"], s.params)
    approx_range(data["compute_optimal"]["tokens"], s.tokens)
    assert data["compute_optimal"]["tokens_per_param"] == 20


def test_plan_human_output(capsys) -> None:
    code, out, err = run(["plan", "--budget-usd", "1e6", "--accelerator", "H100-SXM",
                          "--devices", "512", "--tokens-per-param", "40", *U], capsys)
    assert code == 0 and err == ""
    assert "binding         the money budget" in out
    assert "ZFLOP" in out and "parameters" in out and "40 tokens per parameter" in out
    code, out, _ = run(["plan", "--budget-usd", "1e6", "--deadline-s", "2w", "--accelerator",
                        "H100-SXM", *U], capsys)
    assert "devices needed" in out


# --------------------------------------------------------------------------- assumptions

def test_assumptions_option_and_environment(tmp_path, capsys, monkeypatch) -> None:
    team = tmp_path / "team.yaml"
    team.write_text("currency: EUR\nprices_usd_per_device_hour: {H100-SXM: 1.5}\n")
    args = [*ESTIMATE, "--utilization", "0.4"]
    plain = run_json(args, capsys)
    opt = run_json(["--assumptions", str(team), *args], capsys)
    after = run_json([*args, "--assumptions", str(team)], capsys)   # after the command too
    assert opt["currency"] == after["currency"] == "EUR"
    assert opt["price_usd_per_hour"]["mid"] == 1.5 != plain["price_usd_per_hour"]["mid"]
    assert os.environ.get("MLTK_ASSUMPTIONS") is None, "main() restores the environment"
    code, out, _ = run(["--assumptions", str(team), *args], capsys)
    assert "EUR " in out and "$" not in out
    monkeypatch.setenv("MLTK_ASSUMPTIONS", str(team))
    env = run_json(args, capsys)
    assert env["price_usd_per_hour"] == opt["price_usd_per_hour"]
    shown = run_json(["assumptions"], capsys)
    assert shown["currency"] == "EUR" and shown["path"] == str(team)
    code, out, _ = run(["assumptions"], capsys)
    assert str(team) in out and "currency: EUR" in out


# --------------------------------------------------------------------------- usage errors

BAD = [
    (["estimate", "--params", "7e9", "--dataset-size", "2e12", "--accelerator", "H100"],
     "--accelerator", "H100-SXM"),
    ([*ESTIMATE[:-2], "--devices", "-5"], "--devices", "-5"),
    ([*ESTIMATE[:-2], "--devices", "0"], "--devices", "greater than or equal to 1"),
    (["estimate", "--params", "seven", "--dataset-size", "2e12", "--accelerator", "H100-SXM"],
     "--params", "seven"),
    (["estimate", "--params", "-7e9", "--dataset-size", "2e12", "--accelerator", "H100-SXM"],
     "--params", "greater than 0"),
    (["estimate", "--params", "7e9", "--dataset-size", "2e12", "--accelerator", "V100",
      "--precision", "bf16"], "--precision", "fp16"),
    (["estimate", "--params", "7e9", "--dataset-size", "2e12", "--accelerator", "V100",
      "--precision", "fp4"], "--precision", "fp4"),
    (["estimate", "--params", "7e9", "--accelerator", "V100"], "--dataset-size", "required"),
    ([*ESTIMATE, "--utilization", "1.5"], "--utilization", "(0, 1]"),
    ([*ESTIMATE, "--utilization", "0.5", "0.4", "0.6"], "--utilization", "low <= mid <= high"),
    ([*ESTIMATE, "--utilization", "0.3", "0.4"], "--utilization", "three"),
    ([*ESTIMATE, "--pue", "0.9"], "--pue", "greater than or equal to 1"),
    ([*ESTIMATE, "--price-usd-per-hour", "-2"], "--price-usd-per-hour",
     "greater than or equal to 0"),
    ([*ESTIMATE, "--frobnicate"], "--frobnicate", "unrecognized"),
    (["peak", "--cores", "3840", "--clock-hz", "1.531"], "--clock-hz", "1.531e9"),
    (["peak", "--cores", "3840"], "--clock-hz", "--cores"),
    (["tco", "--accelerator", "A100-80GB"], "--purchase-price-usd", "catalog has none"),
    (["tco", "--accelerator", "H100-SXM", "--years", "0"], "--years", "greater than 0"),
    (["plan", "--accelerator", "H100-SXM", "--deadline-s", "30d"], "--devices", "deadline"),
    (["plan", "--accelerator", "H100-SXM", "--deadline-s", "soon", "--devices", "8"],
     "--deadline-s", "soon"),
    (["plan", "--accelerator", "H100-SXM", "--budget-usd", "-1"], "--budget-usd", "-1"),
    (["accelerators", "--kind", "cpu"], "--kind", "cpu"),
    (["estimat"], "COMMAND", "estimate"),
]


@pytest.mark.parametrize(("args", "option", "hint"), BAD, ids=[" ".join(a[:1] + [o])
                                                                for a, o, _ in BAD])
def test_bad_input_is_one_line_naming_the_option(args, option, hint, capsys) -> None:
    code, out, err = run(args, capsys)
    assert code == 2
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert option in err and hint in err
    assert "Traceback" not in err


def test_bad_assumptions_file(tmp_path, capsys, monkeypatch) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("pue: 0.5\n")
    code, _, err = run(["--assumptions", str(bad), *ESTIMATE], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "--assumptions" in err and "pue" in err and str(bad) in err
    code, _, err = run(["--assumptions", str(tmp_path / "missing.yaml"), "accelerators"], capsys)
    assert code == 2 and "not found" in err
    monkeypatch.setenv("MLTK_ASSUMPTIONS", str(bad))
    code, _, err = run(ESTIMATE, capsys)
    assert code == 2 and "MLTK_ASSUMPTIONS" in err and "'pue'" in err


def test_help_and_version(capsys) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for cmd in ("accelerators", "peak", "estimate", "tco", "plan"):
        assert cmd in out
    assert main(["estimate", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--dataset-size S" in out and "in Hz" not in out and "FLOP" in out
    assert main(["--version"]) == 0
    assert mltk.__version__ in capsys.readouterr().out


def test_every_option_says_its_unit_or_kind() -> None:
    from mltk.cli import build_parser

    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices  # argparse has no public accessor
    for name, p in sub.items():
        for action in p._actions:
            if action.option_strings and action.dest not in ("help",):
                assert action.help and len(action.help) > 10, (name, action.dest)


# --------------------------------------------------------------------------- helpers

def test_number_and_duration_parsing() -> None:
    assert _number("7e9") == _number("7G") == _number("7_000_000_000") == 7e9
    assert _number("2T") == 2e12 and _number("1.5k") == 1500
    assert _seconds("30d") == 30 * 86400 and _seconds("12h") == 43200
    assert _seconds("90min") == 5400 and _seconds("2.6e6") == 2.6e6 and _seconds("1y") > 3e7


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal_and_only_when_slow() -> None:
    pipe = io.StringIO()
    with _progress("working", stream=pipe, delay=0.0):
        time.sleep(0.15)
    assert pipe.getvalue() == ""
    quick = FakeTerminal()
    with _progress("working", stream=quick, delay=5.0):
        pass
    assert quick.getvalue() == ""
    slow = FakeTerminal()
    with _progress("working", stream=slow, delay=0.0):
        time.sleep(0.3)
    assert "working" in slow.getvalue()
    assert slow.getvalue().endswith("\r\x1b[K")   # the line is cleared afterwards


# --------------------------------------------------------------------------- real processes

def subprocess_run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mltk", *args], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, **env}, timeout=120)


def _expect_accelerators(doc) -> None:
    assert [a["name"] for a in doc] == [a.name for a in mltk.accelerators()]
    p40 = doc[0]
    assert p40["name"] == "P40" and p40["cuda_cores"] == 3840 and p40["boost_clock_hz"] == 1.531e9


def _expect_peak(doc) -> None:
    assert doc["flops_per_s"] == mltk.accelerator("H100-SXM").peak_flops("fp8")


def _expect_estimate(doc) -> None:
    assert doc["flops"] == 6 * 7e9 * 2e12
    est = mltk.estimate_training(7e9, 2e12, accelerator="H100-SXM", devices=512,
                                 utilization=(0.3, 0.4, 0.5))
    assert doc["utilization"] == {"low": 0.3, "mid": 0.4, "high": 0.5}
    assert doc["device_hours"] == pytest.approx(est.device_hours.as_dict())
    assert doc["cost_usd"] == pytest.approx(est.cost_usd.as_dict())


def _expect_tco(doc) -> None:
    t = mltk.tco("H100-SXM", devices=doc["devices"])
    assert doc["own_usd"] == pytest.approx(float(t.own_usd))
    assert doc["rent_usd"] == pytest.approx(float(t.rent_usd))


def _expect_plan(doc) -> None:
    plan = max_training_flops("H100-SXM", budget_usd=1e6)
    assert doc["binding"] == "budget_usd"
    assert doc["flops"] == pytest.approx(plan.flops.as_dict())
    assert doc["cost_usd"]["mid"] == pytest.approx(1e6)


def _expect_assumptions(doc) -> None:
    assert doc == mltk.assumptions().as_dict()


@pytest.mark.parametrize(("args", "expect"), [
    (["accelerators", "--json"], _expect_accelerators),
    (["peak", "--accelerator", "H100-SXM", "--precision", "fp8", "--json"], _expect_peak),
    ([*ESTIMATE, *U, "--json"], _expect_estimate),
    (["tco", "--accelerator", "H100-SXM", "--json"], _expect_tco),
    (["plan", "--budget-usd", "1e6", "--accelerator", "H100-SXM", "--json"], _expect_plan),
    (["assumptions", "--json"], _expect_assumptions),
], ids=lambda a: a[0] if isinstance(a, list) else "")
def test_subprocess_json(args: list[str], expect) -> None:
    """Each command's JSON, from a separate process, carries the values the library computes."""
    proc = subprocess_run(args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""              # no progress indicator when stderr is not a terminal
    expect(json.loads(proc.stdout))


def test_subprocess_human_output_and_errors(tmp_path) -> None:
    proc = subprocess_run(ESTIMATE)
    assert proc.returncode == 0 and "ZFLOP" in proc.stdout
    proc = subprocess_run(["estimate", "--params", "7e9", "--dataset-size", "2e12",
                           "--accelerator", "H100"])
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "H100-SXM" in proc.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("colour: blue\n")
    proc = subprocess_run(ESTIMATE, MLTK_ASSUMPTIONS=str(bad))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "colour" in proc.stderr


def test_import_stays_light() -> None:
    code = ("import sys, mltk.cli; heavy = [m for m in ('matplotlib', 'scipy', 'pandas', "
            "'sklearn', 'ipywidgets') if m in sys.modules]; print(heavy)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr


def test_estimate_hours_basis_moves_the_default_utilization(capsys) -> None:
    elapsed = run_json(ESTIMATE, capsys)
    steady = run_json(ESTIMATE + ["--hours-basis", "throughput"], capsys)
    want = mltk.default_utilization("H100-SXM", "bf16", 512, 7e9, hours_basis="throughput")
    approx_range(steady["utilization"], want)
    assert steady["utilization"]["mid"] > elapsed["utilization"]["mid"]
    assert steady["device_hours"]["mid"] < elapsed["device_hours"]["mid"]
