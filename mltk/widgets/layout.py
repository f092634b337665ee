"""Calculator for parallel training layouts (ipywidgets): UI only, every number from mltk.

Kept apart from :mod:`mltk.widgets` so the layout calculator can grow without touching the
others; it reuses their plumbing (fields, messages, an in-place plot).

Examples
--------
>>> calc = LayoutCalculator()
>>> calc.result.step_time_s > 0, calc.error
(True, '')
>>> calc.set(mlp="plain")        # 2 feed-forward matrices instead of 3: less compute per step
>>> calc.result.step_time_s < LayoutCalculator().result.step_time_s
True
>>> calc.set(tp="5")
>>> calc.result is None and "tp=5" in calc.error
True
"""

from __future__ import annotations

from typing import Any

from ..foundation.units import format_si
from ..heuristics.layouts import RECOMPUTE_MODES, Layout, LayoutResult, Transformer, evaluate_layout
from .training import _Calculator, _device_names, _table

__all__ = ["LayoutCalculator", "BREAKDOWN_LABELS"]

#: Step-time components in plotting order, with their labels.
BREAKDOWN_LABELS: dict[str, str] = {
    "compute": "compute", "tensor_parallel": "tensor parallel", "context_parallel": "context parallel",
    "expert_all_to_all": "expert all-to-all", "pipeline_bubble": "pipeline bubble",
    "pipeline_p2p": "pipeline sends", "data_parallel_exposed": "data-parallel (exposed)",
    "optimizer": "optimizer",
}
#: Feed-forward kinds: gated (SwiGLU, GeGLU: 3 matrices) or plain (2), as ``Transformer.gated_mlp``.
#: A choice, not a guess from the sizes: Gemma's GeGLU is 8h wide, a multiple of 4h like GPT-3's plain MLP.
_MLP_KINDS: dict[str, bool] = {"gated": True, "plain": False}
_INTS = ("layers", "hidden", "heads", "kv_heads", "ffn_hidden", "vocab", "seq_len", "global_batch",
         "micro_batch", "devices", "tp", "pp", "virtual_stages")


class LayoutCalculator(_Calculator):
    """Memory, step time and MFU of a layout; a stacked bar of where the step time goes.

    Defaults: a Llama-3-70B-shaped model (80 layers, h = 8192, 64 heads, 8 KV heads,
    SwiGLU 28672, V = 128256) at 4096 tokens, 1024 sequences per step on 1024 H100s
    with tp 8, pp 4 (2 interleaved stages).
    """

    title = "Parallel training layout"
    plot_size = (5.6, 2.2)

    def _build(self) -> None:
        f = self._field
        f("layers", "layers", "80", constraint="at_least_one")
        f("hidden", "hidden size", "8192", constraint="at_least_one")
        f("heads", "attention heads", "64", constraint="at_least_one")
        f("kv_heads", "KV heads", "8", constraint="at_least_one")
        f("ffn_hidden", "feed-forward size", "28672", constraint="at_least_one")
        self._choice("mlp", "feed-forward", list(_MLP_KINDS), "gated")
        f("vocab", "vocabulary", "128256", constraint="at_least_one")
        f("seq_len", "sequence length", "4096", "tokens", constraint="at_least_one")
        f("global_batch", "global batch", "1024", "sequences", constraint="at_least_one")
        f("micro_batch", "micro-batch", "1", "sequences", constraint="at_least_one")
        f("devices", "devices", "1024", constraint="at_least_one")
        f("tp", "tensor parallel", "8", constraint="at_least_one")
        f("pp", "pipeline parallel", "4", constraint="at_least_one")
        f("virtual_stages", "interleaved stages", "2", constraint="at_least_one")
        self._choice("accelerator", "accelerator", _device_names(), "H100-SXM")
        self._choice("recompute", "recomputation", list(RECOMPUTE_MODES), "selective")
        self._choice("zero_stage", "ZeRO stage", ["0", "1", "2", "3"], "1")

    def _compute(self, values: dict[str, float], choices: dict[str, str]) -> LayoutResult:
        n = {}
        for key in _INTS:
            x = values[key]
            if x != int(x):
                raise ValueError(f"{self.fields[key].name}: a whole number, got {x:g}")
            n[key] = int(x)
        model = Transformer(layers=n["layers"], hidden=n["hidden"], heads=n["heads"],
                            kv_heads=n["kv_heads"], ffn_hidden=n["ffn_hidden"], vocab=n["vocab"],
                            seq_len=n["seq_len"], gated_mlp=_MLP_KINDS[choices["mlp"]],
                            tied_embeddings=False)
        inner = n["tp"] * n["pp"]
        dp = max(1, n["devices"] // inner)
        layout = Layout(tp=n["tp"], pp=n["pp"], dp=dp, virtual_stages=n["virtual_stages"],
                        micro_batch=n["micro_batch"], zero_stage=int(choices["zero_stage"]),
                        recompute=choices["recompute"])
        return evaluate_layout(model, layout, global_batch=n["global_batch"],
                               accelerator=choices["accelerator"], devices=n["devices"])

    def _render(self, result: LayoutResult, values: dict[str, float], choices: dict[str, str]) -> str:
        fit = "fits" if result.fits else f"does not fit: short by {format_si(result.shortfall_bytes, 'B')}"
        rows = [("data parallel", str(result.layout.dp)),
                ("memory per device", f"{format_si(result.memory_bytes_per_device, 'B')} of "
                                      f"{format_si(result.usable_memory_bytes, 'B')} ({fit})"),
                ("step time", format_si(result.step_time_s, "s")),
                ("tokens per second", format_si(result.tokens_per_s)),
                ("MFU / HFU", f"{result.mfu:.1%} / {result.hfu:.1%}")]
        return _table(rows)

    def _alt(self, result: LayoutResult, values: dict[str, float], choices: dict[str, str]) -> str:
        parts = ", ".join(f"{BREAKDOWN_LABELS[k]} {format_si(v, 's')}"
                          for k, v in result.breakdown_s.items() if v > 0)
        return f"Stacked bar of one training step of {format_si(result.step_time_s, 's')}: {parts}."

    def _draw(self, ax: Any, result: LayoutResult, values: dict[str, float], choices: dict[str, str]) -> None:
        left = 0.0
        colors = ["#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#c62828", "#9e9d24", "#2e7d32", "#757575"]
        for (key, label), color in zip(BREAKDOWN_LABELS.items(), colors, strict=True):
            x = result.breakdown_s[key]
            if x > 0:
                ax.barh([0], [x], left=left, color=color, label=label)
                left += x
        ax.set_yticks([])
        ax.set_xlabel("seconds per step")
        ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, 1.45), frameon=False)
