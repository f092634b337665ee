"""The layout model against published per-device throughput (``data/layout_measurements.csv``).

Each row is a published training configuration with its layout and a measured step time
or per-device model FLOP/s. The model's prediction for that layout is compared as
per-device model FLOP/s (PaLM convention, :attr:`mltk.heuristics.layouts.Transformer.
model_flops_per_token`); where the source gives a step time, the measured figure is the
same FLOP count divided by that time, so the comparison is one of step times. Where the
source gives per-GPU FLOP/s counted with Narayanan et al.'s eq. 3 (which includes the
recomputed forward pass), :func:`megatron_flops_per_step` turns them back into a step time.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from functools import cache

from ..foundation.datafiles import opt_float, read_csv
from ..heuristics.layouts import Layout, LayoutResult, Transformer, evaluate_layout

__all__ = ["LayoutMeasurement", "layout_measurements", "layout_validation", "validation_summary",
           "megatron_flops_per_step"]


def megatron_flops_per_step(model: Transformer, global_batch: int) -> float:
    """FLOPs per iteration as Narayanan et al. (2021) count them, eq. 3, with recomputation.

    F = 96·B·s·l·h² · (1 + s/(6h) + V/(16·l·h)). Model FLOPs (PaLM convention, no
    recomputation) are this minus one forward pass of the layers, 24·B·s·l·h² + 4·B·s²·l·h.

    Examples
    --------
    >>> m = Transformer(layers=128, hidden=25600, heads=160, vocab=51200, seq_len=2048)
    >>> f = megatron_flops_per_step(m, 3072)
    >>> round(f / (3072 * 163e12), 1)   # seconds per iteration at 163 TFLOP/s on 3,072 GPUs
    102.6
    >>> b, s, l, h = 3072, 2048, 128, 25600
    >>> round((f - (24 * b * s * l * h**2 + 4 * b * s**2 * l * h)) / (b * s * m.model_flops_per_token), 3)
    1.0
    """
    b, s, n_l, h, v = global_batch, model.seq_len, model.layers, model.hidden, model.vocab
    return 96.0 * b * s * n_l * h * h * (1.0 + s / (6.0 * h) + v / (16.0 * n_l * h))


@dataclass(frozen=True)
class LayoutMeasurement:
    """One published configuration, its layout and its measured throughput."""

    id: str
    model_name: str
    model: Transformer
    layout: Layout
    global_batch: int
    accelerator: str
    devices: int
    devices_per_node: int
    inter_node_bandwidth_bytes_per_s_per_device: float
    measured_model_flops_per_s_per_device: float
    source: str
    source_detail: str
    notes: str


def _bool(text: str) -> bool:
    return text.strip().lower() in ("true", "1", "yes")


@cache
def layout_measurements() -> tuple[LayoutMeasurement, ...]:
    """Every row of ``data/layout_measurements.csv``.

    Examples
    --------
    >>> rows = layout_measurements()
    >>> len(rows) >= 11, all(r.source for r in rows)
    (True, True)
    """
    out = []
    for r in read_csv("layout_measurements.csv"):
        model = Transformer(
            layers=int(r["layers"]), hidden=int(r["hidden"]), heads=int(r["heads"]),
            vocab=int(r["vocab"]), seq_len=int(r["seq_len"]),
            kv_heads=int(r["kv_heads"]) if r["kv_heads"] else None,
            ffn_hidden=int(r["ffn_hidden"]) if r["ffn_hidden"] else None,
            gated_mlp=_bool(r["gated_mlp"]), tied_embeddings=_bool(r["tied_embeddings"]),
            experts=int(r["experts"]), experts_per_token=int(r["experts_per_token"]))
        layout = Layout(tp=int(r["tp"]), pp=int(r["pp"]), dp=int(r["dp"]), ep=int(r["ep"]),
                        cp=int(r["cp"]), virtual_stages=int(r["virtual_stages"]),
                        micro_batch=int(r["micro_batch"]), zero_stage=int(r["zero_stage"]),
                        recompute=r["recompute"], sequence_parallel=_bool(r["sequence_parallel"]),
                        flash_attention=_bool(r["flash_attention"]),
                        uneven_stages=int(r["layers"]) % (int(r["pp"]) * int(r["virtual_stages"])) != 0)
        gb = int(r["global_batch"])
        step = opt_float(r["measured_step_time_s"])
        fps = opt_float(r["measured_model_flops_per_s_per_device"])
        megatron = opt_float(r.get("measured_megatron_flops_per_s_per_device", ""))
        if fps is None and step is None and megatron is not None:
            step = megatron_flops_per_step(model, gb) / (megatron * int(r["devices"]))
        if fps is None:
            if step is None:
                raise ValueError(f"layout_measurements.csv row {r['id']}: no measurement")
            fps = gb * model.seq_len * model.model_flops_per_token / step / int(r["devices"])
        out.append(LayoutMeasurement(
            id=r["id"], model_name=r["model"], model=model, layout=layout, global_batch=gb,
            accelerator=r["accelerator"], devices=int(r["devices"]),
            devices_per_node=int(r["devices_per_node"]),
            inter_node_bandwidth_bytes_per_s_per_device=float(
                r["inter_node_bandwidth_bytes_per_s_per_device"]),
            measured_model_flops_per_s_per_device=fps, source=r["source"],
            source_detail=r["source_detail"], notes=r["notes"]))
    return tuple(out)


def _predict(m: LayoutMeasurement) -> LayoutResult:
    return evaluate_layout(m.model, m.layout, global_batch=m.global_batch, accelerator=m.accelerator,
                           devices=m.devices, devices_per_node=m.devices_per_node,
                           inter_node_bandwidth_bytes_per_s_per_device=(
                               m.inter_node_bandwidth_bytes_per_s_per_device))


def layout_validation() -> list[dict[str, object]]:
    """Predicted against measured per-device model FLOP/s, one dict per published configuration.

    Keys: ``id``, ``model``, ``devices``, ``tp``, ``pp``, ``dp``, ``cp``, ``recompute``,
    ``measured_flops_per_s``, ``predicted_flops_per_s``, ``error`` (predicted / measured - 1),
    ``predicted_mfu``, ``fits``, ``source``.

    Examples
    --------
    >>> rows = layout_validation()
    >>> all(abs(r["error"]) < 0.5 for r in rows)
    True
    """
    out = []
    for m in layout_measurements():
        p = _predict(m)
        out.append({"id": m.id, "model": m.model_name, "devices": m.devices, "tp": m.layout.tp,
                    "pp": m.layout.pp, "dp": m.layout.dp, "cp": m.layout.cp,
                    "recompute": m.layout.recompute,
                    "measured_flops_per_s": m.measured_model_flops_per_s_per_device,
                    "predicted_flops_per_s": p.model_flops_per_s_per_device,
                    "error": p.model_flops_per_s_per_device / m.measured_model_flops_per_s_per_device - 1.0,
                    "predicted_mfu": p.mfu, "fits": p.fits, "source": m.source})
    return out


def validation_summary() -> dict[str, float]:
    """Median and worst absolute error of per-device throughput over the published configurations.

    Examples
    --------
    >>> s = validation_summary()
    >>> 0 <= s["median_abs_error"] <= s["worst_abs_error"]
    True
    """
    errs = [abs(float(r["error"])) for r in layout_validation()]
    return {"median_abs_error": statistics.median(errs), "worst_abs_error": max(errs),
            "configurations": float(len(errs))}
