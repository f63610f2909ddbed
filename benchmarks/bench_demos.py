"""Time every demo's update step: set a control, recompute, redraw, encode the PNG.

    .venv/bin/python benchmarks/bench_demos.py [--repeat N]

For each demo the main control is dragged through its frame values forwards and back,
then every other control through its values; each `control.value = v` runs the whole
update synchronously (what a reader waits for in a live kernel). Prints the median and
the maximum per demo and their ratio to the targets (median 50 ms, maximum 100 ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import ipywidgets as widgets

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book"))

from demos.catalog import DEMOS  # noqa: E402

MEDIAN_TARGET_MS, MAX_TARGET_MS = 50.0, 100.0


def control_values(control: widgets.ValueWidget) -> list:
    if isinstance(control, widgets.Text):
        return ["Hermione read the spell book.", "the cat sat on the road .", control.value]
    options = getattr(control, "options", None)
    if options is not None:
        return [o[1] if isinstance(o, tuple) else o for o in options]
    if isinstance(control, widgets.Checkbox | widgets.ToggleButton):
        return [not control.value, control.value]
    count = min(9, int(round((control.max - control.min) / control.step)) + 1)
    values = [control.min + (control.max - control.min) * k / (count - 1) for k in range(count)]
    values = [control.min + round((v - control.min) / control.step) * control.step
              for v in values]
    return [int(v) for v in values] if isinstance(control.value, int) else values


def time_demo(demo, repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per update over all the control changes."""
    times, cpu = [], []

    def visit(control, values):
        for value in values:
            if value == control.value:
                continue
            start, start_cpu = time.perf_counter(), time.process_time()
            control.value = value
            times.append((time.perf_counter() - start) * 1e3)
            cpu.append((time.process_time() - start_cpu) * 1e3)

    for _ in range(repeat):
        main = demo.controls[demo.main]
        start_value = main.value
        frames = demo.frame_values()
        visit(main, frames + frames[::-1])
        visit(main, [start_value])
        for name, control in demo.controls.items():
            if name == demo.main or control.disabled:
                continue
            first = control.value
            visit(control, control_values(control))
            visit(control, [first])
    return times, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="passes over every control")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(wall times grow with load; CPU times are this process's own work)")
    print(f"{'chapter':24s} {'demo':22s} {'n':>3s} {'median ms':>9s} {'max ms':>7s} "
          f"{'median/50':>9s} {'max/100':>7s} {'cpu median':>10s} {'cpu max':>7s}")
    worst_median = worst_max = 0.0
    for chapter, factories in DEMOS.items():
        for factory in factories:
            demo = factory()  # creation (training, caches) is not an update step
            times, cpu = time_demo(demo, args.repeat)
            median, peak = statistics.median(times), max(times)
            worst_median = max(worst_median, median / MEDIAN_TARGET_MS)
            worst_max = max(worst_max, peak / MAX_TARGET_MS)
            flag = "" if median < MEDIAN_TARGET_MS and peak < MAX_TARGET_MS else "  OVER TARGET"
            print(f"{chapter:24s} {factory.__name__:22s} {len(times):3d} {median:9.1f} "
                  f"{peak:7.1f} {median / MEDIAN_TARGET_MS:9.2f} {peak / MAX_TARGET_MS:7.2f} "
                  f"{statistics.median(cpu):10.1f} {max(cpu):7.1f}{flag}")
    print(f"worst median/target {worst_median:.2f}, worst max/target {worst_max:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
