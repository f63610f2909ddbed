"""Time the reference LSTM (lstm_forward + lstm_backward) against torch.nn.LSTM.

float64 on the CPU, m = 32, T_x = 50, n_x = 64, n_a = 128 (the sizes of issue 2), the
same weights and inputs on both sides (through autograder.reference.torch_convert).
Prints the median of several repeats for each and the ratio reference / torch
(target: at most 1.2). Both sides use the same number of threads (default: 1, so that
the comparison does not depend on how busy a shared machine is; --threads to change).

    .venv/bin/python benchmarks/bench_lstm_vs_torch.py [--repeats 15] [--threads 1]
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
    parser.add_argument("--repeats", type=int, default=15)
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

    def median_time(fn):
        fn()  # warm up
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    # Interleave the two so that a change in machine load hits both alike.
    t_ref, t_torch = [], []
    for _ in range(3):
        t_ref.append(median_time(reference))
        t_torch.append(median_time(pytorch))
    t_ref, t_torch = statistics.median(t_ref), statistics.median(t_torch)
    print(
        f"LSTM forward + backward, float64, m={m} T_x={T_x} n_x={n_x} n_a={n_a}, "
        f"{args.threads} thread(s), median of {3 * args.repeats} runs"
    )
    print(f"  reference (numpy {np.__version__}): {1e3 * t_ref:8.2f} ms")
    print(f"  torch.nn.LSTM (torch {torch.__version__}): {1e3 * t_torch:8.2f} ms")
    print(f"  ratio reference / torch: {t_ref / t_torch:.2f}  (target <= 1.2)")

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
