"""One workload priced on several accelerators: the device-cost table of the platform chapters.

The chapters on CUDA, XLA and Neuron each compare devices on the same training run.
The workload and the table are defined here once, so the three pages cannot drift
apart: a one-billion-parameter language model trained on the compute-optimal number
of tokens (:data:`mltk.heuristics.planning.CHINCHILLA_TOKENS_PER_PARAM` per parameter),
estimated by :func:`mltk.estimate_training` on one device of each kind, priced in the
team's currency (:meth:`mltk.foundation.assumptions.Assumptions.format_money`).

Examples
--------
>>> runs = device_runs(["H100-SXM", "T4"])
>>> runs["T4"].precision            # the T4 has no bf16: its fp16 peak is used
'fp16'
>>> runs["H100-SXM"].estimate.flops == 6 * REFERENCE_PARAMS * REFERENCE_TOKENS
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..foundation.assumptions import assumptions
from ..foundation.units import format_si
from ..heuristics.estimate import TrainingEstimate, estimate_training
from ..heuristics.hardware import Accelerator, accelerator
from ..heuristics.planning import CHINCHILLA_TOKENS_PER_PARAM

__all__ = ["REFERENCE_PARAMS", "REFERENCE_TOKENS", "DeviceRun", "device_runs", "device_cost_table",
           "describe_workload"]

#: Parameters of the chapters' reference workload.
REFERENCE_PARAMS: float = 1e9
#: Training tokens of the reference workload: compute-optimal for :data:`REFERENCE_PARAMS`.
REFERENCE_TOKENS: float = REFERENCE_PARAMS * CHINCHILLA_TOKENS_PER_PARAM


@dataclass(frozen=True)
class DeviceRun:
    """The reference workload on one device: the precision used and the estimate."""

    accelerator: Accelerator
    precision: str
    estimate: TrainingEstimate


def device_runs(names: Iterable[str], *, params: float = REFERENCE_PARAMS,
                tokens: float = REFERENCE_TOKENS, precision: str = "bf16",
                fallback: str = "fp16") -> dict[str, DeviceRun]:
    """Estimate one training run of ``params`` on ``tokens`` on one device of each name.

    Parameters
    ----------
    names : iterable of str
        Catalog names, in the order the table should list them.
    params, tokens : float
        The workload; default the reference workload of the platform chapters.
    precision : str
        The precision whose dense peak is used; ``fallback`` where a device lacks it.
    fallback : str
        The precision used on devices without ``precision`` (the T4 has fp16, not bf16).

    Returns
    -------
    dict of str to DeviceRun
        Keyed by catalog name, in the order given.
    """
    out: dict[str, DeviceRun] = {}
    for name in names:
        acc = accelerator(name)
        prec = precision if precision in acc.precisions else fallback
        est = estimate_training(params, tokens, accelerator=acc, devices=1, precision=prec)
        out[acc.name] = DeviceRun(acc, prec, est)
    return out


def device_cost_table(runs: dict[str, DeviceRun], *, show_precision: bool = False) -> str:
    """A Markdown table of :func:`device_runs`: peak, memory, device-hours and cloud cost (mid values).

    Without ``show_precision`` every run must use one precision, named in the header.

    Examples
    --------
    >>> print(device_cost_table(device_runs(["H100-SXM"])).splitlines()[0])
    | Device | Dense bf16 peak | Memory | Device-hours | Cloud cost |
    """
    money = assumptions().format_money
    precisions = {r.precision for r in runs.values()}
    if show_precision:
        rows = ["| Device | Precision | Dense peak | Memory | Device-hours | Cloud cost |",
                "|---|---|---:|---:|---:|---:|"]
    else:
        if len(precisions) != 1:
            raise ValueError(f"runs use several precisions ({', '.join(sorted(precisions))}): "
                             "pass show_precision=True")
        rows = [f"| Device | Dense {precisions.pop()} peak | Memory | Device-hours | Cloud cost |",
                "|---|---:|---:|---:|---:|"]
    for run in runs.values():
        a, e = run.accelerator, run.estimate
        cost = money(e.cost_usd.mid) if e.cost_usd is not None else "n/a"
        memory = format_si(a.memory_bytes, "B") if a.memory_bytes is not None else "n/a"
        cells = [a.name, *([run.precision] if show_precision else []),
                 format_si(a.peak_flops(run.precision), "FLOP/s"), memory,
                 f"{e.device_hours.mid:,.0f}", cost]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def describe_workload(params: float = REFERENCE_PARAMS, tokens: float = REFERENCE_TOKENS) -> str:
    """The workload in words, for the chapters' prose.

    Examples
    --------
    >>> describe_workload()
    'a 1-billion-parameter model trained on 20 billion tokens'
    """
    return f"a {params / 1e9:g}-billion-parameter model trained on {tokens / 1e9:g} billion tokens"
