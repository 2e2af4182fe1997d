"""PyTorch's side of graphc's benchmark (../shared/reference/workloads.md): prints one JSON document.

Each workload is timed in-process (data already in memory; the training loop or the inference call
alone), best of 3 after a warm-up. `--only W4` runs one workload (used to read W4's peak memory alone); `--only W6a,W6b` those.
"""
import json, resource, sys, time
import numpy as np
import torch
import torch.nn.functional as F

threads = int(sys.argv[sys.argv.index('--threads') + 1]) if '--threads' in sys.argv else 1
# torch.set_num_threads sets ATen's own threads; OpenBLAS (libopenblas0-pthread) keeps a pool of its own,
# of one thread per core, unless OPENBLAS_NUM_THREADS says otherwise before it loads: the caller sets it
# (bench/run.ts), and this checks that it did
import os
if os.environ.get('OPENBLAS_NUM_THREADS') != str(threads):
    sys.exit(f'torch_peer: run with OPENBLAS_NUM_THREADS={threads} (OpenBLAS would use its own thread count)')
only = sys.argv[sys.argv.index('--only') + 1] if '--only' in sys.argv else None
diabetes = sys.argv[sys.argv.index('--diabetes') + 1] if '--diabetes' in sys.argv else '../shared/data/data-03-diabetes.csv'
torch.set_num_threads(threads)
want = lambda w: only is None or w in only.split(',')


def best(fn, repeats=3, warm=1):
    for _ in range(warm): fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return {'seconds': min(times), 'all': times}


# the one-call workloads (W5 at batch 4096, MM): CALL_WARM calls, then the best of CALL_REPEATS (bench/timing.ts)
CALL_WARM, CALL_REPEATS = 10, 20
best_call = lambda fn: best(fn, CALL_REPEATS, CALL_WARM)


def logreg(x, y, steps, lr):
    def run():
        W = torch.zeros((x.shape[1], 1), requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([W, b], lr=lr)
        for _ in range(steps):
            cost = F.binary_cross_entropy(torch.sigmoid(x.matmul(W) + b), y)
            opt.zero_grad(); cost.backward(); opt.step()
    return run


def w3():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(100_000, 256, generator=g)
    y = (x.matmul(torch.randn(256, 1, generator=g)) > 0).float()
    def run():
        W = torch.zeros((256, 1), requires_grad=True); b = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([W, b], lr=0.1)
        for _ in range(10):
            cost = F.binary_cross_entropy_with_logits(x.matmul(W) + b, y)
            opt.zero_grad(); cost.backward(); opt.step()
    return run


def mlp():
    m = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    with torch.no_grad():
        for p in m.parameters():
            p.normal_(0, 0.05) if p.dim() == 2 else p.zero_()
    return m


def w4():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(8192, 784, generator=g); y = torch.randint(0, 10, (8192,), generator=g)
    def run():
        m = mlp(); opt = torch.optim.SGD(m.parameters(), lr=0.05)
        for i in range(0, 8192, 128):
            cost = F.cross_entropy(m(x[i:i + 128]), y[i:i + 128])
            opt.zero_grad(); cost.backward(); opt.step()
    return run


def digits_cnn():
    m = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.BatchNorm2d(16), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(64, 10))
    return m


def w6a():
    xy = np.loadtxt(os.path.join(os.path.dirname(__file__), '..', '..', 'data', 'digits.csv'), delimiter=',', dtype=np.float32)
    x = torch.from_numpy(xy[:, :-1].copy()).reshape(-1, 1, 8, 8); y = torch.from_numpy(xy[:, -1].copy()).long()
    g = torch.Generator().manual_seed(0)
    def run():
        m = digits_cnn(); opt = torch.optim.Adam(m.parameters(), lr=0.005)
        order = torch.randperm(x.shape[0], generator=g)
        for i in range(0, x.shape[0], 64):
            idx = order[i:i + 64]
            cost = F.cross_entropy(m(x[idx]), y[idx])
            opt.zero_grad(); cost.backward(); opt.step()
    return run


def w6b():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(8192, 1, 28, 28, generator=g); y = torch.randint(0, 10, (8192,), generator=g)
    def run():
        m = torch.nn.Sequential(
            torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(64 * 5 * 5, 10))
        opt = torch.optim.SGD(m.parameters(), lr=0.05)
        for i in range(0, 8192, 128):
            cost = F.cross_entropy(m(x[i:i + 128]), y[i:i + 128])
            opt.zero_grad(); cost.backward(); opt.step()
    return run


results = {}
if want('W1'):
    x = torch.FloatTensor([[1, 2], [2, 3], [3, 1], [4, 3], [5, 3], [6, 2]]); y = torch.FloatTensor([[0], [0], [0], [1], [1], [1]])
    results['W1'] = best(logreg(x, y, 1001, 1.0))
if want('W2'):
    xy = np.loadtxt(diabetes, delimiter=',', dtype=np.float32)
    results['W2'] = best(logreg(torch.from_numpy(xy[:, :-1].copy()), torch.from_numpy(xy[:, [-1]].copy()), 101, 1.0))
if want('W3'):
    results['W3'] = best(w3())
if want('W4'):
    results['W4'] = best(w4())
if want('W5'):
    m = mlp()
    net = lambda v: torch.softmax(m(v), dim=1)
    one = torch.randn(1, 784); many = torch.randn(4096, 784)
    def b1():
        with torch.no_grad():
            for _ in range(1000): net(one)
    def b4096():
        with torch.no_grad(): net(many)
    r = best(b1); results['W5b1'] = {'seconds': r['seconds'] / 1000, 'all': [t / 1000 for t in r['all']]}
    results['W5b4096'] = best_call(b4096)
if want('MM'):
    a = torch.randn(1024, 1024); b = torch.randn(1024, 1024)
    r = best_call(lambda: torch.mm(a, b))
    results['MM'] = {**r, 'gflops': 2 * 1024 ** 3 / r['seconds'] / 1e9}
if want('W6a'):
    results['W6a'] = best(w6a())
if want('W6b'):
    results['W6b'] = best(w6b())
results['peak_rss_bytes'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({'peer': 'pytorch' if threads == 1 else f'pytorch-{threads}t', 'version': torch.__version__, 'threads': threads, 'results': results}))
