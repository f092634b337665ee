"""Interactive calculators (ipywidgets) for the heuristics: UI only, every number from mltk.

Each calculator is a small class holding its controls, a results panel and, where it
helps, a plot that redraws in place (a PNG in an ``ipywidgets.Image``, so the static
site shows the default state too). Bad input never raises: the field shows a short
message and the results panel is cleared rather than showing a wrong number.

Examples
--------
>>> calc = ProjectEstimator()
>>> calc.set(params="7e9", dataset_size="2T", devices="512")
>>> calc.result.flops                  # 6 · P · D = 6 · 7e9 · 2e12
8.4e+22
>>> calc.result.devices
512.0
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import numpy as np

from ..evidence.calibration import default_utilization
from ..foundation.assumptions import assumptions
from ..foundation.checks import check
from ..foundation.errors import InputError
from ..foundation.ranges import Range
from ..foundation.units import (
    SECONDS_PER_DAY,
    currency_prefix,
    format_co2e,
    format_duration,
    format_money,
    format_si,
    parse_quantity,
)
from ..heuristics import estimate as _estimate
from ..heuristics.compute import training_flops
from ..heuristics.estimate import device_hour_price, estimate_training
from ..heuristics.hardware import PRECISIONS, TRAINING_PRECISIONS, accelerator, accelerators, peak_flops
from ..heuristics.tco import capex_per_device, tco
from ..heuristics.timing import training_time
from ..heuristics.utilization import device_hours

__all__ = ["PeakCalculator", "ComputeCalculator", "TimeCalculator", "TCOCalculator",
           "ProjectEstimator", "parse_number"]

_STYLE = {"description_width": "13em"}
_LAYOUT = w.Layout(width="24em")


def parse_number(text: str, name: str, constraint: str = "positive", *,
                 minimum: float | None = None, inclusive: bool = False,
                 maximum: float | None = None) -> float:
    """Parse a number typed by a person (``"7e9"``, ``"1,024"``, ``" 0.4 "``, ``"7G"``) and check it.

    The text is read by :func:`mltk.foundation.units.parse_quantity` and checked against
    ``constraint``, a key of :data:`mltk.foundation.checks.CONSTRAINTS`, with the same
    words as every other face. ``minimum``, ``inclusive`` and ``maximum`` (the bounds of
    earlier versions) are still honoured where given.

    Raises ValueError with a short message naming the field.

    Examples
    --------
    >>> parse_number("1,024", "devices", "at_least_one")
    1024.0
    >>> parse_number("abc", "devices")
    Traceback (most recent call last):
    ...
    ValueError: devices: expected a number such as 7e9 or 7G, got 'abc'
    >>> parse_number("1.5", "utilization", "fraction")
    Traceback (most recent call last):
    ...
    ValueError: utilization: expected a fraction in (0, 1], e.g. 0.4 for 40%
    >>> parse_number("7G", "params")
    7000000000.0
    """
    if not str(text).strip():
        raise ValueError(f"{name}: enter a number")
    try:
        x = parse_quantity(text)
    except ValueError as e:
        raise ValueError(f"{name}: {e}") from None
    if minimum is not None or maximum is not None:
        lo = 0.0 if minimum is None else minimum
        if x < lo or (x == lo and not inclusive):
            raise ValueError(f"{name}: must be {'at least' if inclusive else 'greater than'} {lo:g}")
        if maximum is not None and x > maximum:
            raise ValueError(f"{name}: must be at most {maximum:g}")
        return x
    try:
        check(name, x, constraint)
    except InputError as e:
        raise ValueError(f"{name}: expected {e.expected}") from None
    return x


class _Field:
    """A labelled text box with a message area beside it."""

    def __init__(self, label: str, value: str, unit: str = "", constraint: str = "positive") -> None:
        self.name = label
        self.constraint = constraint
        self.text = w.Text(value=value, description=label, style=_STYLE, layout=_LAYOUT,
                           continuous_update=False)
        self.message = w.HTML(value="")
        unit_html = w.HTML(value=f"<span style='opacity:.7'>{unit}</span>")
        self.box = w.HBox([self.text, unit_html, self.message])

    def value(self) -> float | None:
        """The parsed number, or None after showing why the text is not acceptable."""
        try:
            x = parse_number(self.text.value, self.name, self.constraint)
        except ValueError as err:
            self.message.value = f"<span style='color:#c62828'>⚠ {err}</span>"
            return None
        self.message.value = ""
        return x


class _Calculator:
    """Shared plumbing: fields, an update on every change, results, an in-place plot."""

    title = ""
    plot_size = (5.0, 2.6)

    def __init__(self) -> None:
        self.fields: dict[str, _Field] = {}
        self.choices: dict[str, w.Dropdown] = {}
        self.result: Any = None
        self.error: str = ""
        self.results = w.HTML(value="")
        self.status = w.HTML(value="")
        # The plot is an <img> in an HTML widget so it carries alt text on the static site
        # (ipywidgets.Image has no alt attribute).
        self.image = w.HTML(value="", layout=w.Layout(max_width="34em"))
        self.image_png = b""
        self._fig = None
        self._build()
        controls = [f.box for f in self.fields.values()] + [
            w.HBox([d, self._choice_messages[k]]) for k, d in self.choices.items()]
        self.widget = w.VBox([w.HTML(f"<b>{self.title}</b>"), *controls, self.status,
                              self.results, self.image])
        for f in self.fields.values():
            f.text.observe(lambda _c: self.update(), names="value")
        for d in self.choices.values():
            d.observe(lambda _c: self.update(), names="value")
        self.update()

    # -- construction helpers -------------------------------------------------------
    def _build(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _field(self, key: str, label: str, value: str, unit: str = "", constraint: str = "positive") -> None:
        self.fields[key] = _Field(label, value, unit, constraint)

    def _choice(self, key: str, label: str, options: list[str], value: str) -> None:
        self.choices[key] = w.Dropdown(options=options, value=value, description=label,
                                       style=_STYLE, layout=_LAYOUT)
        if not hasattr(self, "_choice_messages"):
            self._choice_messages: dict[str, w.HTML] = {}
        self._choice_messages[key] = w.HTML(value="")

    # -- public API ------------------------------------------------------------------
    def set(self, **values: Any) -> None:
        """Set fields or choices by key, as a person would type them, and update once."""
        for key, v in values.items():
            if key in self.fields:
                self.fields[key].text.unobserve_all("value")
                self.fields[key].text.value = str(v)
            elif key in self.choices:
                self.choices[key].unobserve_all("value")
                self.choices[key].value = v
            else:
                raise KeyError(f"{type(self).__name__} has no field {key!r}; "
                               f"fields: {', '.join([*self.fields, *self.choices])}")
        for f in self.fields.values():
            f.text.unobserve_all("value")
            f.text.observe(lambda _c: self.update(), names="value")
        for d in self.choices.values():
            d.unobserve_all("value")
            d.observe(lambda _c: self.update(), names="value")
        self.update()

    def messages(self) -> dict[str, str]:
        """Current messages shown beside fields (empty string where none)."""
        out = {k: f.message.value for k, f in self.fields.items()}
        out.update({k: m.value for k, m in getattr(self, "_choice_messages", {}).items()})
        return out

    def update(self) -> None:
        """Recompute from the current inputs; never raises for bad input."""
        values = {k: f.value() for k, f in self.fields.items()}
        for m in getattr(self, "_choice_messages", {}).values():
            m.value = ""
        self.result, self.error = None, ""
        if any(v is None for v in values.values()):
            self._show_error("fix the highlighted field to see results")
            return
        choices = {k: d.value for k, d in self.choices.items()}
        try:
            self.result = self._compute(values, choices)
        except ValueError as err:
            self._show_error(str(err))
            return
        self.status.value = ""
        self.results.value = self._render(self.result, values, choices)
        self._plot(self.result, values, choices)

    def _show_error(self, text: str) -> None:
        self.error = text
        self.results.value = ""
        self.status.value = f"<span style='color:#c62828'>⚠ {text}</span>"

    def _choice_error(self, key: str, text: str) -> ValueError:
        self._choice_messages[key].value = f"<span style='color:#c62828'>⚠ {text}</span>"
        return ValueError(text)

    def _compute(self, values: dict[str, float], choices: dict[str, str]) -> Any:
        raise NotImplementedError  # pragma: no cover

    def _render(self, result: Any, values: dict[str, float], choices: dict[str, str]) -> str:
        raise NotImplementedError  # pragma: no cover

    def _plot(self, result: Any, values: dict[str, float], choices: dict[str, str]) -> None:
        draw = getattr(self, "_draw", None)
        if draw is None:
            return
        from matplotlib.figure import Figure

        if self._fig is None:
            self._fig = Figure(figsize=self.plot_size, dpi=72)
        self._fig.clear()
        # A fixed layout: constrained layout would double the redraw time.
        self._fig.subplots_adjust(left=0.17, bottom=0.2, right=0.97, top=0.9)
        ax = self._fig.add_subplot()
        draw(ax, result, values, choices)
        _cheap_ticks(ax)
        buf = io.BytesIO()
        self._fig.savefig(buf, format="png")
        self.image_png = buf.getvalue()
        alt = html.escape(self._alt(result, values, choices), quote=True)
        data = base64.b64encode(self.image_png).decode("ascii")
        self.image.value = f'<img alt="{alt}" src="data:image/png;base64,{data}" style="max-width:100%">'

    def _alt(self, result: Any, values: dict[str, float], choices: dict[str, str]) -> str:
        """Text alternative of the plot; calculators with plots override it."""
        return f"Plot of the {self.title.lower()} result."

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def _cheap_ticks(ax: Any) -> None:
    """Plain SI tick labels and no minor ticks on log axes.

    Log axes otherwise typeset every label as mathtext and create dozens of minor
    ticks, which triples the redraw time of a calculator.
    """
    from matplotlib.ticker import FuncFormatter, NullLocator

    for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
        if scale == "log":
            axis.set_minor_locator(NullLocator())
            axis.set_major_formatter(FuncFormatter(lambda x, _pos: format_si(x, digits=2)))


def _table(rows: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><td style='padding-right:1.5em'>{k}</td><td><b>{v}</b></td></tr>"
                    for k, v in rows)
    return f"<table class='mltk-range'>{cells}</table>"


def _range_text(r: Range, fmt: Callable[..., str], **kw: Any) -> str:
    return f"{fmt(r.mid, **kw)} &nbsp;<span style='opacity:.75'>(low {fmt(r.low, **kw)} – " \
           f"high {fmt(r.high, **kw)})</span>"


def _device_names() -> list[str]:
    return [a.name for a in accelerators()]


def _peak_at(name: str, precision: str, calc: _Calculator, key: str = "precision") -> float:
    acc = accelerator(name)
    if precision not in acc.precisions:
        raise calc._choice_error(key, f"{name} has no {precision}: choose "
                                      f"{', '.join(acc.precisions)}")
    return acc.peak_flops(precision)


class PeakCalculator(_Calculator):
    """Hooda (2023) eq. 1, R = 2NC, beside the catalog peak of a device at a precision."""

    title = "Peak throughput: R = 2NC and the catalog"

    def _build(self) -> None:
        self._field("cores", "CUDA cores N", "3840", "cores")
        self._field("clock_ghz", "boost clock C", "1.531", "GHz")
        self._choice("accelerator", "catalog device", _device_names(), "P40")
        self._choice("precision", "precision", list(PRECISIONS), "fp32")

    def _compute(self, values: dict[str, float], choices: dict[str, str]) -> dict[str, float]:
        r = peak_flops(values["cores"], values["clock_ghz"] * 1e9)
        device = _peak_at(choices["accelerator"], choices["precision"], self)
        return {"formula": float(r), "catalog": device}

    def _render(self, result: dict[str, float], values: dict[str, float],
                choices: dict[str, str]) -> str:
        return _table([
            ("R = 2NC", format_si(result["formula"], "FLOP/s")),
            (f"{choices['accelerator']} {choices['precision']} (dense)",
             format_si(result["catalog"], "FLOP/s")),
            ("catalog / formula", f"{result['catalog'] / result['formula']:.2f}×"),
        ])

    def _alt(self, result: Any, values: dict[str, float], choices: dict[str, str]) -> str:
        return (f"Bar chart on a log scale of the dense peak of {choices['accelerator']} at each "
                f"precision, with a dotted line at R = 2NC = {format_si(result['formula'], 'FLOP/s')}.")

    def _draw(self, ax: Any, result: Any, values: dict[str, float], choices: dict[str, str]) -> None:
        acc = accelerator(choices["accelerator"])
        ps = acc.precisions
        ax.bar(ps, [acc.peak_flops(p) for p in ps],
               color=["tab:orange" if p == choices["precision"] else "tab:blue" for p in ps])
        ax.axhline(result["formula"], color="k", ls=":", label="R = 2NC")
        ax.set_yscale("log")
        ax.set_ylabel("FLOP/s")
        ax.set_title(f"{acc.name}: dense peak per precision", fontsize=9)
        ax.legend(fontsize=7)


class ComputeCalculator(_Calculator):
    """Hooda (2023) eq. 3, C = O_f · O_b · P · S · E."""

    title = "Training compute: C = O_f · O_b · P · S · E"
    plot_size = (5.0, 2.4)

    def _build(self) -> None:
        self._field("params", "parameters P", "7e9")
        self._field("dataset_size", "examples or tokens S", "2e12")
        self._field("epochs", "epochs E", "1")
        self._field("forward_ops", "forward ops O_f", "2", "per parameter per example")
        self._field("backward_factor", "backward factor O_b", "3")

    def _compute(self, values: dict[str, float], choices: dict[str, str]) -> float:
        return float(training_flops(**values))

    def _render(self, result: float, values: dict[str, float], choices: dict[str, str]) -> str:
        return _table([("training compute C", format_si(result, "FLOP")),
                       ("in scientific notation", f"{result:.3e} FLOP")])

    def _alt(self, result: float, values: dict[str, float], choices: dict[str, str]) -> str:
        return (f"Line chart of training compute rising linearly with epochs; the current input "
                f"({values['epochs']:g} epochs) is marked at {format_si(result, 'FLOP')}.")

    def _draw(self, ax: Any, result: float, values: dict[str, float], choices: dict[str, str]) -> None:
        epochs = np.linspace(max(values["epochs"] / 4, 1e-3), values["epochs"] * 2, 50)
        ax.plot(epochs, training_flops(values["params"], values["dataset_size"], epochs,
                                       values["forward_ops"], values["backward_factor"]))
        ax.plot([values["epochs"]], [result], "o", color="tab:orange")
        ax.set_xlabel("epochs")
        ax.set_ylabel("FLOP")


class TimeCalculator(_Calculator):
    """Hooda (2023) eq. 4 generalised: T = C / (n · u · R), with the utilization as a range."""

    title = "Training time: T = C / (n · u · R)"

    def _build(self) -> None:
        u = default_utilization("H100-SXM", "bf16", devices=256)
        self._field("flops", "training compute C", "8.4e22", "FLOP")
        self._field("devices", "devices n", "256", constraint="at_least_one")
        self._field("u_low", "utilization low", f"{u.low:.3f}", "fraction", constraint="fraction")
        self._field("u_mid", "utilization mid", f"{u.mid:.3f}", "fraction", constraint="fraction")
        self._field("u_high", "utilization high", f"{u.high:.3f}", "fraction", constraint="fraction")
        self._choice("accelerator", "accelerator", _device_names(), "H100-SXM")
        self._choice("precision", "precision", list(TRAINING_PRECISIONS), "bf16")

    def _compute(self, values: dict[str, float], choices: dict[str, str]) -> Range:
        peak = _peak_at(choices["accelerator"], choices["precision"], self)
        u = Range.coerce((values["u_low"], values["u_mid"], values["u_high"]), "utilization", "fraction")
        return u.map(lambda x: training_time(values["flops"], peak, values["devices"], x),
                     decreasing=True)

    def _render(self, result: Range, values: dict[str, float], choices: dict[str, str]) -> str:
        return _table([("wall-clock time", _range_text(result, format_duration)),
                       ("device-hours", _range_text(device_hours(result, values["devices"]),
                                                    format_si, unit="h"))])

    def _alt(self, result: Range, values: dict[str, float], choices: dict[str, str]) -> str:
        return _time_alt(choices["accelerator"], values["devices"], result)

    def _draw(self, ax: Any, result: Range, values: dict[str, float], choices: dict[str, str]) -> None:
        n0 = values["devices"]
        n = np.unique(np.geomspace(max(1, n0 / 16), n0 * 16, 40))
        peak = accelerator(choices["accelerator"]).peak_flops(choices["precision"])
        days = [training_time(values["flops"], peak, n, u) / SECONDS_PER_DAY
                for u in (values["u_high"], values["u_mid"], values["u_low"])]
        _shaded(ax, n, days, n0, result.mid / SECONDS_PER_DAY)


def _time_alt(device: str, devices: float, seconds: Range) -> str:
    return (f"Log-log chart of training days against the number of {device} devices, falling "
            f"with a shaded utilization band; {devices:g} devices are marked at "
            f"{format_duration(seconds.mid)}.")


def _shaded(ax: Any, x: Any, ys: list[Any], x0: float, y0: float) -> None:
    ax.fill_between(x, ys[0], ys[2], alpha=0.25, label="utilization range")
    ax.plot(x, ys[1], label="mid")
    ax.plot([x0], [y0], "o", color="tab:orange")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("devices")
    ax.set_ylabel("days")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)


class TCOCalculator(_Calculator):
    """Seed 3.3.4: own (CapEx + OpEx) against each rent option, billed as billed."""

    title = "Total cost of ownership: buy or rent"

    def _build(self) -> None:
        acc = accelerator("H100-SXM")
        price = device_hour_price(acc, "on_demand")
        currency = assumptions().currency
        self._choice("accelerator", "accelerator", _device_names(), acc.name)
        self._field("devices", "devices", "64", constraint="at_least_one")
        self._field("years", "years", "3")
        self._field("utilization", "busy fraction", "0.6", constraint="fraction")
        self._field("purchase_price_usd", "purchase price",
                    f"{capex_per_device(acc)['accelerator']:g}", f"{currency} per device, server excluded")
        self._field("cloud_price_usd_per_hour", "on-demand price", f"{price.mid:.4g}",
                    f"{currency} per device-hour")

    def _compute(self, values: dict[str, float], choices: dict[str, str]) -> Any:
        return tco(choices["accelerator"], **values)

    def _render(self, result: Any, values: dict[str, float], choices: dict[str, str]) -> str:
        format_money = assumptions().format_money
        rows = [("CapEx (up front)", format_money(result.capex_total_usd)),
                ("OpEx per year", format_money(result.opex_total_usd_per_year)),
                ("own, whole period", format_money(result.own_usd)),
                ("own per busy device-hour", format_money(result.own_usd_per_device_hour))]
        for name, r in result.rent.items():
            be = float(r.break_even_utilization)
            verdict = {"rent_always": "rent always cheaper", "own_always": "own always cheaper",
                       "own_above": f"own wins above {be:.0%} busy",
                       "own_below": f"own wins below {be:.0%} busy"}[r.break_even_case]
            rows.append((f"rent {name.replace('_', ' ')}", f"{format_money(r.total_usd)} ({verdict})"))
        if result.own_co2e_kg is not None:
            rows.append(("own CO2e, whole period", _range_text(result.own_co2e_kg, format_co2e)))
        return _table(rows)

    def _alt(self, result: Any, values: dict[str, float], choices: dict[str, str]) -> str:
        format_money = assumptions().format_money
        return ("Line chart of the cost over the period against the busy fraction: owning nearly "
                "flat, on-demand and spot rising, one- and three-year commitments flat; owning "
                f"{format_money(result.own_usd)} against on-demand {format_money(result.rent_usd)} "
                "at the current input.")

    def _draw(self, ax: Any, result: Any, values: dict[str, float], choices: dict[str, str]) -> None:
        busy = np.linspace(0.05, 1.0, 40)
        sweep = tco(choices["accelerator"], **(values | {"utilization": busy}))
        ax.plot(busy, sweep.own_usd, label="own", color="k", lw=2)
        for name, r in sweep.rent.items():
            ax.plot(busy, r.total_usd, label=name.replace("_", " "),
                    ls="--" if name.startswith("commit") else "-")
        ax.plot([values["utilization"]], [result.own_usd], "o", color="tab:orange")
        ax.set_xlabel("busy fraction")
        asm = assumptions()
        ax.set_ylabel(f"{asm.currency} over the period")
        ax.yaxis.set_major_formatter(lambda v, _: asm.format_money(v))
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)


class ProjectEstimator(_Calculator):
    """End to end: model, data, hardware → compute, time, device-hours, energy, cost (ranges)."""

    title = "Project estimator"

    def _build(self) -> None:
        asm = assumptions()
        u = default_utilization("H100-SXM", "bf16", devices=256, params=7e9)
        price = device_hour_price("H100-SXM")
        self._field("params", "parameters", "7e9")
        self._field("dataset_size", "examples or tokens", "2e12", "per epoch")
        self._field("epochs", "epochs", "1")
        self._choice("accelerator", "accelerator", _device_names(), "H100-SXM")
        self._choice("precision", "precision", list(TRAINING_PRECISIONS), "bf16")
        self._field("devices", "devices", "256", constraint="at_least_one")
        self._field("u_low", "utilization low", f"{u.low:.3f}", "fraction", constraint="fraction")
        self._field("u_mid", "utilization mid", f"{u.mid:.3f}", "fraction", constraint="fraction")
        self._field("u_high", "utilization high", f"{u.high:.3f}", "fraction", constraint="fraction")
        self._field("price_usd_per_hour", "price per device-hour", f"{price.mid:.4g}",
                    f"{asm.currency}; on-demand list price")
        self._field("pue", "PUE", f"{asm.pue.mid:g}", constraint="at_least_one")
        self._field("electricity_usd_per_kwh", "electricity tariff",
                    f"{asm.electricity_usd_per_kwh:g}", f"{asm.currency} per kWh",
                    constraint="non_negative")

    def _compute(self, values: dict[str, float], choices: dict[str, str]) -> Any:
        _peak_at(choices["accelerator"], choices["precision"], self)
        u = Range.coerce((values["u_low"], values["u_mid"], values["u_high"]), "utilization", "fraction")
        return estimate_training(values["params"], values["dataset_size"], values["epochs"],
                                 accelerator=choices["accelerator"], devices=values["devices"],
                                 precision=choices["precision"], utilization=u,
                                 price_usd_per_hour=values["price_usd_per_hour"],
                                 pue=values["pue"],
                                 electricity_usd_per_kwh=values["electricity_usd_per_kwh"])

    def _render(self, est: _estimate.TrainingEstimate, values: dict[str, float],
                choices: dict[str, str]) -> str:
        cur = currency_prefix(est.currency)
        rows = [("training compute", format_si(est.flops, "FLOP")),
                ("wall-clock time", _range_text(est.seconds, format_duration)),
                ("device-hours", _range_text(est.device_hours, format_si, unit="h"))]
        if est.energy_kwh is not None:
            rows.append(("energy", _range_text(est.energy_kwh * 1000, format_si, unit="Wh")))
            rows.append(("energy cost", _range_text(est.energy_cost_usd, format_money,
                                                    currency=cur)))
        if est.co2e_kg is not None:
            rows.append(("CO2e", _range_text(est.co2e_kg, format_co2e)))
        if est.cost_usd is not None:
            rows.append(("compute cost", _range_text(est.cost_usd, format_money, currency=cur)))
        return _table(rows) + "".join(f"<div style='opacity:.75'>{n}</div>" for n in est.notes)

    def _alt(self, est: Any, values: dict[str, float], choices: dict[str, str]) -> str:
        return _time_alt(choices["accelerator"], values["devices"], est.seconds)

    def _draw(self, ax: Any, est: Any, values: dict[str, float], choices: dict[str, str]) -> None:
        n0 = values["devices"]
        n = np.unique(np.geomspace(max(1, n0 / 16), n0 * 16, 40))
        sweep = estimate_training(values["params"], values["dataset_size"], values["epochs"],
                                  accelerator=choices["accelerator"], devices=n,
                                  precision=choices["precision"], utilization=est.utilization,
                                  price_usd_per_hour=values["price_usd_per_hour"])
        days = sweep.seconds / SECONDS_PER_DAY
        _shaded(ax, n, [days.low, days.mid, days.high], n0, est.seconds.mid / SECONDS_PER_DAY)
