# PyTorch as a benchmark peer: trains wavae's benchmark VAEs (the dense 784-400-20 and the MNIST conv
# VAE of CONV_RECIPE) with Adam 1e-3, batch 128, BCE with logits summed, on MNIST-shaped data from
# stdin-free deterministic noise, and prints one JSON line: {"arch", "threads", "samplesPerSec", "msPerStep"}.
#   python3 bench/torch/train_vae.py --arch conv|dense|gaussian --threads N [--seconds S]
# (gaussian: the dense VAE with a Gaussian likelihood and a learned log-variance per column, on standard normal data)
# Run by bench/conv.ts with OPENBLAS_NUM_THREADS set (on two cores PyTorch is fastest with one
# intra-op thread and OpenBLAS on two); Debian: apt-get install python3-torch libopenblas0-pthread.
import argparse, json, math, time
import torch
from torch import nn

p = argparse.ArgumentParser()
p.add_argument('--arch', default='conv')
p.add_argument('--threads', type=int, default=1)
p.add_argument('--seconds', type=float, default=8)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)
LOG_2PI = math.log(2 * math.pi)

class VAE(nn.Module):
    def __init__(self, conv, gaussian=False):
        super().__init__()
        if conv:
            self.encoder = nn.Sequential(nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(3136, 256), nn.ReLU())
            self.decoder = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 3136), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
                                         nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(32, 1, 4, 2, 1), nn.Flatten())
            h = 256
        else:
            self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 400), nn.ReLU())
            self.decoder = nn.Sequential(nn.Linear(20, 400), nn.ReLU(), nn.Linear(400, 784))
            h = 400
        self.mean, self.logvar = nn.Linear(h, 20), nn.Linear(h, 20)
        # the Gaussian case: a learned log-variance per column, as wavae's outputVariance 'learned'
        self.out_logvar = nn.Parameter(torch.zeros(784)) if gaussian else None

    def loss(self, x):
        hidden = self.encoder(x)
        mean, logvar = self.mean(hidden), self.logvar(hidden)
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
        logits = self.decoder(z)
        if self.out_logvar is None:
            recon = nn.functional.binary_cross_entropy_with_logits(logits, x.flatten(1), reduction='sum')
        else:  # Gaussian NLL with the per-column learned log-variance, summed
            lv = self.out_logvar
            recon = 0.5 * torch.sum(lv + (x.flatten(1) - logits) ** 2 * torch.exp(-lv) + LOG_2PI)
        kl = -0.5 * torch.sum(1 + logvar - mean.pow(2) - logvar.exp())
        return (recon + kl) / x.shape[0]

model = VAE(a.arch == 'conv', a.arch == 'gaussian')
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.randn(128 * 8, 1, 28, 28) if a.arch == 'gaussian' else torch.rand(128 * 8, 1, 28, 28)

def steps(n):
    for i in range(n):
        b = x[(i % 8) * 128:(i % 8 + 1) * 128]
        opt.zero_grad()
        model.loss(b).backward()
        opt.step()

steps(3)  # warm-up
t0 = time.perf_counter(); steps(5); per = (time.perf_counter() - t0) / 5
n = max(5, int(a.seconds / per))
best = float('inf')
for _ in range(3):
    t0 = time.perf_counter(); steps(n); best = min(best, (time.perf_counter() - t0) / n)
def openblas_core():
    # the OpenBLAS kernels in use (OPENBLAS_CORETYPE pins them; unset, OpenBLAS picks this CPU's)
    try:
        import ctypes
        libs = {l.split()[-1] for l in open('/proc/self/maps') if 'libopenblas' in l}
        lib = ctypes.CDLL(sorted(libs)[0])
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return 'OpenBLAS ' + lib.openblas_get_corename().decode() + ' kernels'
    except Exception as e:
        return 'OpenBLAS kernels unknown: %s' % e

print(json.dumps({'arch': a.arch, 'threads': a.threads, 'torch': torch.__version__, 'openblas': openblas_core(), 'msPerStep': best * 1000, 'samplesPerSec': 128 / best}))
