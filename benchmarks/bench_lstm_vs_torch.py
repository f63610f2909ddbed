"""Time the reference LSTM (lstm_forward + lstm_backward) against torch.nn.LSTM.

float64 on the CPU, m = 32, T_x = 50, n_x = 64, n_a = 128 (the sizes of issue 2), the
same weights and inputs on both sides (through autograder.reference.torch_convert).
Prints the median time of each over alternating runs and the median ratio reference / torch
(target: at most 1.2). Both sides use the same number of threads (default: 1, so that
the comparison does not depend on how busy a shared machine is; --threads to change).

    .venv/bin/python benchmarks/bench_lstm_vs_torch.py [--repeats 30] [--threads 1]
        [--profile]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="cProfile the reference")
    args = parser.parse_args()
    # BLAS threads must be fixed before numpy loads its BLAS.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import numpy as np

    from autograder import reference as ref

    try:
        import torch
    except ImportError:
        print("torch is not installed (pip install torch==2.13.0): nothing to compare with")
        return 1
    torch.set_num_threads(args.threads)

    m, T_x, n_x, n_a = 32, 50, 64, 128
    rng = np.random.default_rng(0)
    p = ref.init_lstm_parameters(n_x, n_a, 10, rng)
    x = rng.standard_normal((n_x, m, T_x))
    a0 = rng.standard_normal((n_a, m))
    c0 = rng.standard_normal((n_a, m))
    da = rng.standard_normal((n_a, m, T_x))

    def reference():
        a, _, _, caches = ref.lstm_forward(x, a0, p, c0)
        return a, ref.lstm_backward(da, caches)

    module = torch.nn.LSTM(n_x, n_a, dtype=torch.float64)
    module.load_state_dict({k: torch.from_numpy(v) for k, v in ref.lstm_to_torch(p).items()})
    xt = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 1, 0))).requires_grad_()
    h0 = torch.from_numpy(np.ascontiguousarray(a0.T[None])).requires_grad_()
    cc0 = torch.from_numpy(np.ascontiguousarray(c0.T[None])).requires_grad_()
    dat = torch.from_numpy(np.ascontiguousarray(da.transpose(2, 1, 0)))

    def pytorch():
        module.zero_grad()
        xt.grad = h0.grad = cc0.grad = None
        out, _ = module(xt, (h0, cc0))
        out.backward(dat)
        return out

    # Same numbers on both sides, or the timing means nothing.
    a, grads = reference()
    out = pytorch()
    assert np.allclose(out.detach().numpy().transpose(2, 1, 0), a, atol=1e-10)
    assert np.allclose(xt.grad.numpy().transpose(2, 1, 0), grads["dx"], atol=1e-10)

    def timed(fn):
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    reference(), pytorch()  # warm up
    # Alternate the two, one run each, so that a change in the load of a shared machine
    # hits both alike; the median of the per-pair ratios is the figure to read.
    t_ref, t_torch = [], []
    for _ in range(args.repeats):
        t_ref.append(timed(reference))
        t_torch.append(timed(pytorch))
    ratios = [r / t for r, t in zip(t_ref, t_torch, strict=True)]
    print(
        f"LSTM forward + backward, float64, m={m} T_x={T_x} n_x={n_x} n_a={n_a}, "
        f"{args.threads} thread(s), {args.repeats} alternating runs each (medians)"
    )
    print(f"  reference (numpy {np.__version__}): {1e3 * statistics.median(t_ref):8.2f} ms")
    print(
        f"  torch.nn.LSTM (torch {torch.__version__}): {1e3 * statistics.median(t_torch):8.2f} ms"
    )
    quartiles = statistics.quantiles(ratios, n=4)
    print(
        f"  ratio reference / torch: {statistics.median(ratios):.2f} "
        f"(quartiles {quartiles[0]:.2f}-{quartiles[2]:.2f}; target <= 1.2)"
    )

    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.repeats):
            reference()
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
