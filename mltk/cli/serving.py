"""Commands about serving: ``mltk serve`` (latency, throughput, cost per token) and ``mltk memory``."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from ..foundation.assumptions import Assumptions
from ..foundation.units import format_si
from ..heuristics.rent import RENT_OPTIONS
from .args import (
    PROG,
    UsageError,
    add_accelerator,
    add_command,
    add_common,
    add_price_per_hour,
    number,
    value_range,
)
from .output import aligned_lines, assumptions_source, emit_json, progress, show_range

_WEIGHT_PRECISIONS = ("fp32", "fp16", "bf16", "fp8", "int8", "int4")


def _money(x: Any, asm: Assumptions) -> str:
    if x is None:
        return "no price known (give --price-usd-per-hour)"
    return show_range(x, lambda v, **_: asm.format_money(v)) if hasattr(x, "mid") else asm.format_money(x)


def _whole(option: str, x: float | None) -> int | None:
    if x is None:
        return None
    if not float(x).is_integer() or x < 1:
        raise UsageError(PROG, f"argument {option}: expected a whole number >= 1, got {x:g}")
    return int(x)


def _cmd_serve(args: argparse.Namespace, asm: Assumptions, out: TextIO) -> int:
    from ..heuristics.serving import continuous_batching_estimate, plan_serving

    price: Any = value_range("--price-usd-per-hour", args.price_usd_per_hour)
    if price is not None and price.low == price.high:
        price = float(price.mid)
    batch = _whole("--batch", args.batch)
    common: dict[str, Any] = dict(prompt_tokens=args.prompt_tokens, output_tokens=args.output_tokens,
                                  weight_precision=args.weight_precision,
                                  kv_precision=args.kv_precision, price_usd_per_hour=price,
                                  rent_option=args.rent_option)
    with progress("planning"):
        if batch is not None:
            devices = _whole("--devices", args.devices) or 1
            e = continuous_batching_estimate(args.model, args.accelerator, batch=batch,
                                             devices=devices, **common)
            data: dict[str, Any] = {
                "feasible": bool(e.fits), "binding": e.bound if e.fits else "memory_capacity",
                "ttft_s": e.ttft_s, "tpot_s": e.tpot_s, "tokens_per_s": e.tokens_per_s,
                "devices": e.devices, "batch": e.batch, "tensor_parallel": e.devices, "replicas": 1,
                "usd_per_million_input_tokens": e.usd_per_million_input_tokens,
                "usd_per_million_output_tokens": e.usd_per_million_output_tokens,
                "estimate": e.as_dict()}
            est = e
        else:
            plan = plan_serving(args.model, args.accelerator, requests_per_s=args.requests_per_s,
                                ttft_target_s=args.ttft_target_s, tpot_target_s=args.tpot_target_s,
                                **common)
            data = plan.as_dict()
            est = plan.estimate
    data["model"] = est.model if est is not None else args.model
    data["accelerator"] = args.accelerator
    if args.json:
        data.update(currency=asm.currency, assumptions=asm.path)
        emit_json(data, out)
        return 0
    if est is None:
        out.write(f"{data['message']}\n(binding: {data['binding']})\n")
        return 0
    head = (f"{est.model} on {data['devices']} x {est.accelerator} "
            f"({est.weight_precision} weights, {est.kv_precision} KV cache), "
            f"{args.prompt_tokens:g} prompt + {args.output_tokens:g} output tokens per request\n\n")
    out.write(head)
    pairs = [
        ("layout", f"{data['replicas']} replica(s) x tensor-parallel {data['tensor_parallel']}, "
                   f"batch {int(data['batch'])} per replica"),
        ("time to first token", f"{est.ttft_s * 1e3:.3g} ms"),
        ("time per output token", f"{est.tpot_s * 1e3:.3g} ms ({est.bound}-bound)"),
        ("output tokens/s", f"{format_si(data['tokens_per_s'])}"),
        ("KV cache per request", f"{format_si(est.kv_cache_bytes_per_sequence_start, 'B')} -> "
                                 f"{format_si(est.kv_cache_bytes_per_sequence_end, 'B')}"),
        ("memory per device", f"{format_si(est.memory_bytes_per_device, 'B')} of "
                              f"{format_si(est.usable_bytes_per_device, 'B')} usable"),
        ("per million input", _money(est.usd_per_million_input_tokens, asm)),
        ("per million output", _money(est.usd_per_million_output_tokens, asm)),
        ("binding", str(data["binding"])),
    ]
    out.write(aligned_lines(pairs) + "\n")
    out.write(f"Assumptions: {assumptions_source(asm)}\n")
    return 0


def _cmd_memory(args: argparse.Namespace, asm: Assumptions, out: TextIO) -> int:
    from ..heuristics import memory as mem
    from ..heuristics.serving import model_shape

    if args.model is None and args.params is None:
        raise UsageError(f"{PROG} memory", "give --model NAME or --params N")
    shape = model_shape(args.model) if args.model is not None else None
    params = args.params if args.params is not None else shape.params  # type: ignore[union-attr]
    data_parallel = args.data_parallel
    train = mem.training_memory_bytes(params, args.training_precision, args.optimizer,
                                      zero_stage=args.zero_stage, data_parallel=data_parallel)
    weights = mem.inference_memory_bytes(params, args.weight_precision)
    kv = 0.0
    if shape is not None:
        kv = shape.kv_bytes_per_token(args.kv_precision or "bf16") * args.context_tokens * args.batch
    serve = mem.inference_memory_bytes(params, args.weight_precision, kv_cache_bytes=kv)
    data: dict[str, Any] = {
        "model": None if shape is None else shape.name, "params": params,
        "training_bytes_per_device": train, "weights_bytes": weights, "kv_cache_bytes": kv,
        "serving_bytes": serve, "zero_stage": args.zero_stage, "data_parallel": data_parallel}
    if args.accelerator:
        data["accelerator"] = args.accelerator
        data["devices_needed_training"] = mem.devices_needed(train, args.accelerator)
        data["devices_needed_serving"] = mem.devices_needed(serve, args.accelerator)
    if args.json:
        emit_json(data, out)
        return 0
    pairs = [("training state per device", f"{format_si(train, 'B')} ({args.training_precision}, "
                                            f"{args.optimizer}, ZeRO {args.zero_stage}, "
                                            f"{data_parallel:g} data-parallel; activations extra)"),
             ("serving weights", f"{format_si(weights, 'B')} ({args.weight_precision})")]
    if shape is not None:
        pairs.append(("serving KV cache", f"{format_si(kv, 'B')} ({args.batch:g} x "
                                          f"{args.context_tokens:g} tokens)"))
    pairs.append(("serving total", format_si(serve, "B")))
    if args.accelerator:
        pairs.append(("devices to train", f"{data['devices_needed_training']} x {args.accelerator}"))
        pairs.append(("devices to serve", f"{data['devices_needed_serving']} x {args.accelerator}"))
    out.write(aligned_lines(pairs) + "\n")
    return 0


def register(sub: Any, fmt: type[argparse.HelpFormatter]) -> None:
    """Add this group's subcommands to the parser's ``sub`` (an argparse subparsers action)."""
    p = add_command(sub, fmt, "serve", "serving plan: latency, throughput, devices, cost per token",
                    "Prefill and decode on the roofline with tensor-parallel all-reduce: without "
                    "--batch, the cheapest batch and device count that serve --requests-per-s within "
                    "the latency targets; with --batch, that configuration's figures. Any rent "
                    "option's price per device-hour can be given with --price-usd-per-hour.")
    p.add_argument("--model", default="Llama-3-70B", metavar="NAME",
                   help="model shape, e.g. Llama-2-70B, Llama-3-8B, DeepSeek-V3 (default Llama-3-70B)")
    add_accelerator(p)
    p.add_argument("--prompt-tokens", type=number, default=1000.0, metavar="N",
                   help="prompt tokens per request (default 1000)")
    p.add_argument("--output-tokens", type=number, default=200.0, metavar="N",
                   help="output tokens per request (default 200)")
    p.add_argument("--requests-per-s", type=number, default=1.0, metavar="RATE",
                   help="load to serve, requests per second (default 1)")
    p.add_argument("--ttft-target-s", type=number, metavar="S",
                   help="time-to-first-token target in seconds (default: none)")
    p.add_argument("--tpot-target-s", type=number, metavar="S",
                   help="time-per-output-token target in seconds (default: none)")
    p.add_argument("--batch", type=number, metavar="B",
                   help="evaluate this batch (requests in flight) instead of planning")
    p.add_argument("--devices", type=number, metavar="N",
                   help="tensor-parallel devices with --batch (default 1)")
    p.add_argument("--weight-precision", default="bf16", type=str.lower, choices=_WEIGHT_PRECISIONS,
                   metavar="PRECISION", help=f"{', '.join(_WEIGHT_PRECISIONS)} (default bf16)")
    p.add_argument("--kv-precision", default=None, type=str.lower, choices=_WEIGHT_PRECISIONS[:-1],
                   metavar="PRECISION", help="KV-cache precision (default: the weights')")
    add_price_per_hour(p)
    p.add_argument("--rent-option", choices=RENT_OPTIONS, metavar="OPTION",
                   help="price device-hours at one rent option: on_demand, spot, or a commitment "
                        "(commit_1y, commit_3y); default on-demand with spot as the low end")
    add_common(p)
    p.set_defaults(func=_cmd_serve, parser=p)

    m = add_command(sub, fmt, "memory", "memory per device to train and to serve a model",
                    "Training state (weights, gradients, optimizer, with ZeRO) and serving memory "
                    "(weights plus KV cache) per device.")
    m.add_argument("--model", metavar="NAME", help="model shape (gives params and the KV cache)")
    m.add_argument("--params", type=number, metavar="N", help="parameters (default: the model's)")
    add_accelerator(m, required=False)
    m.add_argument("--training-precision", default="mixed", choices=("mixed", "fp32"),
                   help="mixed (16-bit + fp32 master) or fp32 (default mixed)")
    m.add_argument("--optimizer", default="adam", metavar="NAME",
                   help="adam, adamw, sgd, sgd-momentum, adam8bit, adafactor (default adam)")
    m.add_argument("--zero-stage", type=int, default=0, choices=(0, 1, 2, 3), help="ZeRO stage (default 0)")
    m.add_argument("--data-parallel", type=number, default=1.0, metavar="N",
                   help="data-parallel devices sharing ZeRO state (default 1)")
    m.add_argument("--weight-precision", default="bf16", type=str.lower, choices=_WEIGHT_PRECISIONS,
                   metavar="PRECISION", help="serving weight precision (default bf16)")
    m.add_argument("--kv-precision", default=None, type=str.lower, choices=_WEIGHT_PRECISIONS[:-1],
                   metavar="PRECISION", help="KV-cache precision (default bf16)")
    m.add_argument("--context-tokens", type=number, default=4096.0, metavar="N",
                   help="tokens cached per sequence (default 4096)")
    m.add_argument("--batch", type=number, default=1.0, metavar="B",
                   help="concurrent sequences (default 1)")
    add_common(m)
    m.set_defaults(func=_cmd_memory, parser=m)
