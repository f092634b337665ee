"""Commands about parallel training layouts: ``mltk layout``."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from ..foundation.assumptions import Assumptions
from ..foundation.units import format_si
from ..heuristics.layouts import (
    RECOMPUTE_MODES,
    Layout,
    LayoutResult,
    Transformer,
    evaluate_layout,
    search_layouts,
)
from .args import UsageError, add_accelerator, add_command, add_common, add_precision, number
from .output import aligned_lines, emit_json, show_percent, table


def _int(name: str, x: float | None) -> int | None:
    if x is None:
        return None
    if x != int(x) or x < 1:
        raise UsageError("mltk layout", f"argument --{name}: expected a positive whole number, got {x:g}")
    return int(x)


def _model(args: argparse.Namespace) -> Transformer:
    return Transformer(layers=_int("layers", args.layers), hidden=_int("hidden", args.hidden),
                       heads=_int("heads", args.heads), vocab=_int("vocab", args.vocab),
                       seq_len=_int("seq-len", args.seq_len), kv_heads=_int("kv-heads", args.kv_heads),
                       ffn_hidden=_int("ffn-hidden", args.ffn_hidden), gated_mlp=args.gated_mlp,
                       experts=_int("experts", args.experts),
                       experts_per_token=_int("experts-per-token", args.experts_per_token),
                       tied_embeddings=not args.untied_embeddings)


def _summary(r: LayoutResult) -> dict[str, Any]:
    return {"fits": r.fits, "memory_bytes_per_device": r.memory_bytes_per_device,
            "usable_memory_bytes": r.usable_memory_bytes, "shortfall_bytes": r.shortfall_bytes,
            "memory_breakdown_bytes": r.memory_breakdown_bytes, "step_time_s": r.step_time_s,
            "breakdown_s": r.breakdown_s, "tokens_per_s": r.tokens_per_s,
            "model_flops_per_s_per_device": r.model_flops_per_s_per_device,
            "hardware_flops_per_s_per_device": r.hardware_flops_per_s_per_device,
            "mfu": r.mfu, "hfu": r.hfu, "micro_batches": r.micro_batches, "devices": r.devices,
            "accelerator": r.accelerator, "layout": r.as_dict()["layout"],
            "assumptions": r.assumptions}


def _human(r: LayoutResult, out: TextIO) -> None:
    lay = r.layout
    out.write(f"layout: tp {lay.tp} x cp {lay.cp} x pp {lay.pp} (v {lay.virtual_stages}) x dp {lay.dp}"
              f" x ep {lay.ep} = {r.devices} x {r.accelerator}; micro-batch {lay.micro_batch}, "
              f"{r.micro_batches} micro-batches per step, ZeRO {lay.zero_stage}, "
              f"recompute {lay.recompute}\n")
    fit = "fits" if r.fits else f"does NOT fit (short by {format_si(r.shortfall_bytes, 'B')})"
    out.write(f"memory per device: {format_si(r.memory_bytes_per_device, 'B')} of "
              f"{format_si(r.usable_memory_bytes, 'B')} usable: {fit}\n")
    out.write(aligned_lines([(k, format_si(x, "B")) for k, x in r.memory_breakdown_bytes.items()],
                            indent="  ") + "\n")
    out.write(f"step time: {format_si(r.step_time_s, 's')}\n")
    out.write(aligned_lines([(k, f"{format_si(x, 's')}  ({show_percent(x / r.step_time_s)})")
                             for k, x in r.breakdown_s.items() if x > 0], indent="  ") + "\n")
    out.write(aligned_lines([
        ("tokens/s", format_si(r.tokens_per_s)),
        ("model FLOP/s per device", format_si(r.model_flops_per_s_per_device, "FLOP/s")),
        ("hardware FLOP/s per device", format_si(r.hardware_flops_per_s_per_device, "FLOP/s")),
        ("MFU", show_percent(r.mfu)), ("HFU", show_percent(r.hfu))]) + "\n")


def _cmd_layout(args: argparse.Namespace, asm: Assumptions, out: TextIO) -> int:
    model = _model(args)
    devices = _int("devices", args.devices)
    gb = _int("global-batch", args.global_batch)
    if args.search:
        if devices is None:
            raise UsageError("mltk layout", "argument --devices: needed with --search")
        results = search_layouts(model, devices, gb, accelerator=args.accelerator, top=args.top,
                                 devices_per_node=_int("devices-per-node", args.devices_per_node),
                                 precision=args.precision,
                                 inter_node_bandwidth_bytes_per_s_per_device=args.inter_node_bandwidth)
        if args.json:
            emit_json({"layouts": [_summary(r) for r in results]}, out)
            return 0
        if not results:
            out.write("no valid layout fits in memory\n")
            return 0
        rows = [[str(i + 1), str(r.layout.tp), str(r.layout.pp), str(r.layout.virtual_stages),
                 str(r.layout.dp), str(r.layout.micro_batch), str(r.layout.zero_stage),
                 r.layout.recompute, format_si(r.step_time_s, "s"), show_percent(r.mfu),
                 format_si(r.memory_bytes_per_device, "B")] for i, r in enumerate(results)]
        out.write(table(rows, ["#", "tp", "pp", "v", "dp", "mb", "ZeRO", "recompute", "step",
                               "MFU", "memory"]) + "\n")
        return 0
    tp, pp, cp, ep = (_int(n, getattr(args, n)) for n in ("tp", "pp", "cp", "ep"))
    dp = _int("dp", args.dp)
    if dp is None:
        if devices is None:
            raise UsageError("mltk layout", "argument --dp: give --dp or --devices")
        # a remainder is reported by evaluate_layout, after its checks of tp and pp
        dp = max(1, devices // (tp * pp * cp * ep))
    layout = Layout(tp=tp, pp=pp, dp=dp, ep=ep, cp=cp,
                    virtual_stages=_int("virtual-stages", args.virtual_stages),
                    micro_batch=_int("micro-batch", args.micro_batch), zero_stage=args.zero_stage,
                    recompute=args.recompute, sequence_parallel=not args.no_sequence_parallel,
                    flash_attention=not args.no_flash_attention)
    r = evaluate_layout(model, layout, global_batch=gb, accelerator=args.accelerator, devices=devices,
                        devices_per_node=_int("devices-per-node", args.devices_per_node),
                        precision=args.precision,
                        inter_node_bandwidth_bytes_per_s_per_device=args.inter_node_bandwidth)
    if args.json:
        emit_json(_summary(r), out)
    else:
        _human(r, out)
    return 0


def register(sub: Any, fmt: type[argparse.HelpFormatter]) -> None:
    """Add this group's subcommands to the parser's ``sub`` (an argparse subparsers action)."""
    p = add_command(sub, fmt, "layout", "memory, step time and MFU of a parallel training layout",
                    "Memory per device, step time (compute, tensor-parallel communication, "
                    "pipeline bubble, exposed data-parallel reduction, expert all-to-all), "
                    "tokens/s, MFU and HFU of a transformer trained with tensor, pipeline, "
                    "data, context and expert parallelism; --search lists the fastest "
                    "layouts that fit.")
    g = p.add_argument_group("model")
    g.add_argument("--layers", type=number, required=True, help="transformer layers")
    g.add_argument("--hidden", type=number, required=True, help="hidden size")
    g.add_argument("--heads", type=number, required=True, help="attention heads")
    g.add_argument("--kv-heads", type=number, default=None, help="key/value heads (GQA; default heads)")
    g.add_argument("--ffn-hidden", type=number, default=None, help="feed-forward size (default 4 x hidden)")
    g.add_argument("--gated-mlp", action="store_true", help="SwiGLU feed-forward (3 matrices)")
    g.add_argument("--untied-embeddings", action="store_true", help="separate output layer")
    g.add_argument("--vocab", type=number, required=True, help="vocabulary size")
    g.add_argument("--seq-len", type=number, required=True, help="sequence length in tokens")
    g.add_argument("--experts", type=number, default=1, help="MoE experts per layer (default 1)")
    g.add_argument("--experts-per-token", type=number, default=1, help="experts per token (default 1)")
    g = p.add_argument_group("batch and cluster")
    g.add_argument("--global-batch", type=number, required=True, help="sequences per step")
    g.add_argument("--micro-batch", type=number, default=1, help="sequences per micro-batch (default 1)")
    add_accelerator(g)
    add_precision(g)
    g.add_argument("--devices", type=number, default=None,
                   help="total devices (default tp x pp x dp x cp x ep)")
    g.add_argument("--devices-per-node", type=number, default=8, help="devices per node (default 8)")
    g.add_argument("--inter-node-bandwidth", type=number, default=None, metavar="BYTES_PER_S",
                   help="inter-node bandwidth per device and direction in bytes/s "
                        "(default: assumptions file)")
    g = p.add_argument_group("layout")
    g.add_argument("--tp", type=number, default=1, help="tensor parallel degree (default 1)")
    g.add_argument("--pp", type=number, default=1, help="pipeline parallel degree (default 1)")
    g.add_argument("--dp", type=number, default=None, help="data parallel degree (default devices / rest)")
    g.add_argument("--cp", type=number, default=1, help="context parallel degree (default 1)")
    g.add_argument("--ep", type=number, default=1, help="expert parallel degree (default 1)")
    g.add_argument("--virtual-stages", type=number, default=1,
                   help="interleaved stages per device (default 1)")
    g.add_argument("--zero-stage", type=int, default=1, choices=(0, 1, 2, 3),
                   help="ZeRO stage; 3 = FSDP (default 1)")
    g.add_argument("--recompute", default="selective", choices=RECOMPUTE_MODES,
                   help="activation recomputation (default selective)")
    g.add_argument("--no-sequence-parallel", action="store_true", help="turn sequence parallelism off")
    g.add_argument("--no-flash-attention", action="store_true",
                   help="attention scores materialised (pre-FlashAttention kernels)")
    g.add_argument("--search", action="store_true", help="list the fastest layouts that fit")
    g.add_argument("--top", type=int, default=5, help="layouts listed by --search (default 5)")
    add_common(p)
    p.set_defaults(func=_cmd_layout, parser=p)
