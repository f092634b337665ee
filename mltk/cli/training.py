"""Commands about one training run: ``mltk estimate`` and ``mltk plan``."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from ..foundation.assumptions import Assumptions
from ..foundation.units import JOULES_PER_KWH, format_co2e, format_duration, format_si
from ..heuristics.planning import CHINCHILLA_TOKENS_PER_PARAM
from ..heuristics.rent import RENT_OPTIONS
from .args import (
    PROG,
    UsageError,
    add_accelerator,
    add_command,
    add_common,
    add_electricity_price,
    add_precision,
    add_price_per_hour,
    add_range,
    add_utilization,
    number,
    seconds,
    value_range,
)
from .output import (
    aligned_lines,
    assumptions_source,
    emit_json,
    progress,
    show_count,
    show_percent,
    show_range,
)


def _cmd_estimate(args: argparse.Namespace, asm: Assumptions, out: TextIO) -> int:
    from ..heuristics.estimate import estimate_training

    if args.flops is None and (args.params is None or args.dataset_size is None):
        missing = [o for o, v in (("--params", args.params), ("--dataset-size", args.dataset_size))
                   if v is None]
        raise UsageError(f"{PROG} estimate", "the following arguments are required: "
                                             f"{', '.join(missing)} (or give --flops)")
    kwargs: dict[str, Any] = {
        "utilization": value_range("--utilization", args.utilization),
        "price_usd_per_hour": value_range("--price-usd-per-hour", args.price_usd_per_hour),
        "pue": value_range("--pue", args.pue),
        "electricity_usd_per_kwh": args.electricity_usd_per_kwh,
        "forward_ops": args.forward_ops, "backward_factor": args.backward_factor,
        "flops": args.flops, "rent_option": args.rent_option, "hours_basis": args.hours_basis,
    }
    with progress("estimating"):
        est = estimate_training(args.params if args.params is not None else 1.0,
                                args.dataset_size if args.dataset_size is not None else 1.0,
                                args.epochs, args.accelerator, args.devices, args.precision,
                                **kwargs)
    if args.json:
        data = est.as_dict()
        data["inputs"] = {"params": args.params, "dataset_size": args.dataset_size,
                          "epochs": args.epochs}
        data["energy_j"] = None if est.energy_kwh is None else est.energy_kwh * JOULES_PER_KWH
        data["assumptions"] = asm.path
        emit_json(data, out)
        return 0
    money = asm.format_money
    pairs = [
        ("accelerator", f"{est.devices:g} × {est.accelerator.name}, {est.precision} dense peak "
                        f"{format_si(est.peak_flops_per_device, 'FLOP/s')} each"),
        ("utilization", show_range(est.utilization, show_percent)),
        ("compute", format_si(est.flops, "FLOP")),
        ("time", show_range(est.seconds, format_duration)),
        ("device-hours", show_range(est.device_hours, show_count)),
    ]
    if est.energy_kwh is not None and est.energy_cost_usd is not None:
        pairs += [("energy", show_range(est.energy_kwh * 1000, format_si, unit="Wh")),
                  ("energy cost", show_range(est.energy_cost_usd, money))]
    if est.co2e_kg is not None:
        pairs.append(("CO2e", show_range(est.co2e_kg, format_co2e)))
    if est.price_usd_per_hour is not None and est.cost_usd is not None:
        pairs += [("price/device-h", show_range(est.price_usd_per_hour, money)),
                  ("cost", show_range(est.cost_usd, money))]
    out.write(aligned_lines(pairs) + "\n")
    for note in est.notes:
        out.write(f"note: {note}\n")
    out.write(f"Ranges are mid (low – high); money in {asm.currency}; "
              f"assumptions: {assumptions_source(asm)}\n")
    return 0


def _cmd_plan(args: argparse.Namespace, asm: Assumptions, out: TextIO) -> int:
    from ..heuristics.planning import BUDGET, compute_optimal_split, max_training_flops

    if args.budget_usd is None and args.deadline_s is None:
        raise UsageError(f"{PROG} plan", "give --budget-usd, --deadline-s or both")
    with progress("planning"):
        plan = max_training_flops(args.accelerator, budget_usd=args.budget_usd,
                                  deadline_s=args.deadline_s, devices=args.devices,
                                  price_usd_per_hour=value_range("--price-usd-per-hour",
                                                            args.price_usd_per_hour),
                                  precision=args.precision,
                                  utilization=value_range("--utilization", args.utilization),
                                  rent_option=args.rent_option)
        split = compute_optimal_split(plan.flops, args.tokens_per_param)
    if args.json:
        data = plan.as_dict()
        data["compute_optimal"] = split.as_dict()
        data["assumptions"] = asm.path
        emit_json(data, out)
        return 0
    money = asm.format_money
    acc = plan.accelerator.name
    pairs: list[tuple[str, str]] = []
    if plan.budget_usd is not None:
        pairs.append(("budget", money(plan.budget_usd)))
    if plan.deadline_s is not None:
        pairs.append(("deadline", format_duration(plan.deadline_s)))
    on = f"{plan.devices:g} × {acc}" if plan.devices is not None else acc
    pairs.append(("devices", f"{on}, {plan.precision} dense peak "
                             f"{format_si(plan.peak_flops_per_device, 'FLOP/s')} each"))
    pairs.append(("utilization", show_range(plan.utilization, show_percent)))
    if plan.price_usd_per_hour is not None:
        pairs.append(("price/device-h", show_range(plan.price_usd_per_hour, money)))
    if plan.flops_by_budget is not None and plan.flops_by_deadline is not None:
        other = plan.flops_by_deadline if plan.binding == BUDGET else plan.flops_by_budget
        what = "the money budget" if plan.binding == BUDGET else "the deadline"
        alone = "deadline" if plan.binding == BUDGET else "budget"
        pairs.append(("binding", f"{what} (the {alone} alone would allow "
                                 f"{format_si(other.mid, 'FLOP')})"))
    else:
        pairs.append(("binding", "the money budget" if plan.binding == BUDGET else "the deadline"))
    pairs += [("compute", show_range(plan.flops, format_si, unit="FLOP")),
              ("device-hours", show_range(plan.device_hours, show_count))]
    if plan.seconds is not None:
        pairs.append(("time", show_range(plan.seconds, format_duration)))
    if plan.devices_needed is not None:
        pairs.append(("devices needed", show_range(plan.devices_needed, lambda x: f"{x:,.0f}")))
    if plan.cost_usd is not None:
        pairs.append(("cost", show_range(plan.cost_usd, money)))
    out.write("Largest training run that fits\n" + aligned_lines(pairs, "  ") + "\n")
    out.write(f"Compute-optimal transformer language model (Hoffmann et al. 2022, "
              f"{split.tokens_per_param:g} tokens per parameter, C = 6·N·D)\n")
    out.write(aligned_lines([("parameters", show_range(split.params, format_si)),
                      ("tokens", show_range(split.tokens, format_si))], "  ") + "\n")
    for note in plan.notes:
        out.write(f"note: {note}\n")
    out.write(f"Ranges are mid (low – high): low pairs the lowest utilization with the highest "
              f"price; money in {asm.currency}; assumptions: {assumptions_source(asm)}\n")
    return 0


def register(sub: Any, fmt: type[argparse.HelpFormatter]) -> None:
    """Add this group's subcommands to the parser's ``sub`` (an argparse subparsers action)."""
    p = add_command(sub, fmt, "estimate", "end-to-end training estimate with ranges",
                    "Compute (C = O_f·O_b·P·S·E), time, device-hours, energy "
                    "and cost of one training run, as mid (low – high) ranges.")
    p.add_argument("--params", type=number, metavar="P", help="trainable parameters P (count)")
    p.add_argument("--dataset-size", type=number, metavar="S",
                   help="examples or tokens per epoch S (count)")
    p.add_argument("--epochs", type=number, default=1.0, metavar="E",
                   help="passes over the data E (default 1)")
    add_accelerator(p)
    p.add_argument("--devices", type=number, default=1.0, metavar="N",
                   help="accelerators used at once (count, >= 1; default 1)")
    add_precision(p)
    add_utilization(p)
    p.add_argument("--hours-basis", choices=("elapsed", "throughput"), default="elapsed",
                   help="what the default utilization predicts: device-hours of the whole run "
                        "with restarts and downtime (elapsed, default) or steady-state hours "
                        "(throughput)")
    add_price_per_hour(p)
    p.add_argument("--rent-option", choices=RENT_OPTIONS, metavar="OPTION",
                   help="price device-hours at one rent option: on_demand, spot, or a commitment "
                        "you hold (commit_1y, commit_3y); default on-demand with spot as the low end")
    add_range(p, "--pue", "PUE", "power usage effectiveness (dimensionless, >= 1)", "assumptions file")
    add_electricity_price(p)
    p.add_argument("--forward-ops", type=number, default=2.0, metavar="O_F",
                   help="operations per parameter per example, forward pass (default 2)")
    p.add_argument("--backward-factor", type=number, default=3.0, metavar="O_B",
                   help="forward+backward cost over forward cost (default 3)")
    p.add_argument("--flops", type=number, metavar="FLOP",
                   help="known training compute in FLOP (replaces --params/--dataset-size)")
    add_common(p)
    p.set_defaults(func=_cmd_estimate, parser=p)
    p = add_command(sub, fmt, "plan", "planning backwards: the largest run a budget allows",
                    "The largest training compute that fits a money budget "
                    "and/or a deadline, which constraint binds, and the "
                    "compute-optimal parameters and tokens (Chinchilla).")
    p.add_argument("--budget-usd", type=number, metavar="MONEY",
                   help="money for device-hours, in the assumptions' currency (e.g. 1e6 or 1M)")
    p.add_argument("--deadline-s", type=seconds, metavar="SECONDS",
                   help="wall-clock time for training in s (also 30d, 12h, 2w, 1y)")
    add_accelerator(p)
    p.add_argument("--devices", type=number, metavar="N",
                   help="accelerators used at once (count, >= 1); needed with a deadline alone")
    add_price_per_hour(p)
    p.add_argument("--rent-option", choices=RENT_OPTIONS, metavar="OPTION",
                   help="price device-hours at one rent option: on_demand, spot, or a commitment "
                        "you hold (commit_1y, commit_3y); default on-demand with spot as the low end")
    add_precision(p)
    add_utilization(p)
    p.add_argument("--tokens-per-param", type=number, default=CHINCHILLA_TOKENS_PER_PARAM,
                   metavar="RATIO", help="training tokens per parameter for the compute-optimal "
                   f"split (default {CHINCHILLA_TOKENS_PER_PARAM:g}, Hoffmann et al. 2022)")
    add_common(p)
    p.set_defaults(func=_cmd_plan, parser=p)
