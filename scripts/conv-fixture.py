# Writes test/fixtures/torch-conv-vae.json: small convolutional VAEs built in PyTorch (Conv2d,
# Linear, ConvTranspose2d) from wavae layer specs, with their loss and every parameter gradient
# from autograd, for test/torch-conv.test.ts to check wavae's conv VAEs against. Not run by the
# tests; run it by hand (Debian's python3-torch is enough) when an architecture is added, and
# commit the JSON:
#
#   /usr/bin/python3 scripts/conv-fixture.py
#
# The model is wavae's VAE, written with torch modules:
#   - encoder and decoder are nn.ModuleLists of the parameterised layers only, numbered in order
#     (so state_dict() keys are wavae's tensor names: encoder.0.weight, ..., mean.weight,
#     logvar.weight, decoder.0.weight, ...); flatten and reshape are views between them;
#   - every parameterised layer is followed by the model's activation (or the one its spec names),
#     except the decoder's last, which gives the logits; the heads mean and logvar are linear;
#   - z = mean + exp(logvar / 2) eps, eps given;
#   - loss = (sum over rows and pixels of BCE-with-logits(decoder(z), x)
#             + beta * sum of KL(N(mean, exp(logvar)) || N(0, I))) / n,
#     reconstruction and kl the two sums / n (kl without beta), as VAE.gradients() reports them.
# A conv2dTranspose's output is (h - 1) stride - 2 padding + kernel + outputPadding (PyTorch's output_padding).
#
# Precision: the parameters, x and eps are drawn in float32 (torch.manual_seed, PyTorch's default
# initialisation, torch.rand, torch.randn), since wavae holds float32; the module is then cast to
# float64 and everything after that (forward, loss, autograd) runs in float64. The reference is
# thus the exact-arithmetic answer for wavae's own inputs to ~1e-16, and the test's differences
# are wavae's float32 rounding alone. Every number is written as the shortest decimal that reads
# back to the same float64 (so the float32 inputs read back exactly into a Float32Array).
#
# ReLU kinks: a pre-activation within float32 rounding of 0 could take the other branch in
# wavae; the smallest |pre-activation| of each architecture is recorded and asserted well away
# from 0 (> 1e-5; float32 rounding of these sums is below 1e-6 here; change the seed if an
# architecture ever fails that).
import json
import os
import re

import torch
import torch.nn.functional as F

N = 3  # rows

# The architectures: wavae VAE options (decoder omitted: wavae's mirror of the encoder, written
# out here as decoderMirror for the PyTorch side and checked against wavae's by the test).
ARCHITECTURES = [
    {
        'name': '1x12x12, two stride-2 convolutions, mirrored decoder',
        'seed': 1,
        'options': {
            'inputShape': [1, 12, 12], 'latentDim': 3, 'activation': 'relu', 'beta': 1,
            'encoder': [
                {'type': 'conv2d', 'filters': 4, 'kernelSize': 4, 'stride': 2, 'padding': 1},
                {'type': 'conv2d', 'filters': 6, 'kernelSize': 4, 'stride': 2, 'padding': 1},
                {'type': 'flatten'},
                {'type': 'dense', 'units': 10},
            ],
        },
        # wavae's default decoder for that encoder: dense back to the encoder's output, dense to the
        # flattened conv output, reshape, each conv2d undone by a conv2dTranspose in reverse order
        'decoderMirror': [
            {'type': 'dense', 'units': 10},
            {'type': 'dense', 'units': 54},
            {'type': 'reshape', 'shape': [6, 3, 3]},
            {'type': 'conv2dTranspose', 'filters': 4, 'kernelSize': 4, 'stride': 2, 'padding': 1},
            {'type': 'conv2dTranspose', 'filters': 1, 'kernelSize': 4, 'stride': 2, 'padding': 1},
        ],
    },
    {
        'name': '3x10x10, kernels 5 (stride 1, padding 2), [3, 4] and [5, 3], explicit decoder, beta 0.5',
        'seed': 2,
        'options': {
            'inputShape': [3, 10, 10], 'latentDim': 4, 'activation': 'relu', 'beta': 0.5,
            'encoder': [
                {'type': 'conv2d', 'filters': 5, 'kernelSize': 5, 'stride': 1, 'padding': 2},
                {'type': 'conv2d', 'filters': 7, 'kernelSize': [3, 4], 'stride': 2, 'padding': 1},
                {'type': 'flatten'},
                {'type': 'dense', 'units': 8},
            ],
            'decoder': [
                {'type': 'dense', 'units': 150},
                {'type': 'reshape', 'shape': [6, 5, 5]},
                {'type': 'conv2dTranspose', 'filters': 4, 'kernelSize': 4, 'stride': 2, 'padding': 1},
                {'type': 'conv2dTranspose', 'filters': 3, 'kernelSize': [5, 3], 'stride': 1, 'padding': [2, 1]},
            ],
        },
    },
    {
        'name': '2x8x7, odd sizes: stride-2 conv2d rounds 7 down, the mirror gives it back with outputPadding [1, 0]',
        'seed': 3,
        'options': {
            'inputShape': [2, 8, 7], 'latentDim': 3, 'activation': 'tanh', 'beta': 1,
            'encoder': [
                {'type': 'conv2d', 'filters': 3, 'kernelSize': 3, 'stride': 2, 'padding': 1},
                {'type': 'flatten'},
            ],
        },
        # 8x7 -> 4x4; back: (4 - 1) * 2 - 2 + 3 = 7, so outputPadding 1 in height, 0 in width
        'decoderMirror': [
            {'type': 'dense', 'units': 48},
            {'type': 'reshape', 'shape': [3, 4, 4]},
            {'type': 'conv2dTranspose', 'filters': 2, 'kernelSize': 3, 'stride': 2, 'padding': 1, 'outputPadding': [1, 0]},
        ],
    },
]

ACT = {
    'relu': F.relu,
    'leaky_relu': lambda t: F.leaky_relu(t, 0.01),
    'sigmoid': torch.sigmoid,
    'tanh': torch.tanh,
    'identity': lambda t: t,
}


def pair(v, default):
    v = default if v is None else v
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


class Stack(torch.nn.ModuleList):
    """A wavae layer stack: a ModuleList of its parameterised layers (numbered as wavae numbers them), flatten/reshape as views."""

    def __init__(self, specs, input_shape, activation, last_linear):
        super().__init__()
        self.steps = []  # (kind, module index or shape, activation)
        self.shapes = []  # per spec: (type, input shape, output shape, wavae name or None)
        last = max(i for i, s in enumerate(specs) if s['type'] in ('dense', 'conv2d', 'conv2dTranspose'))
        shape = list(input_shape)
        for i, s in enumerate(specs):
            t = s['type']
            act = 'identity' if last_linear and i == last else s.get('activation', activation)
            if t == 'dense':
                assert len(shape) == 1, (i, s, shape)
                m = torch.nn.Linear(shape[0], s['units'])
                out = [s['units']]
            elif t in ('conv2d', 'conv2dTranspose'):
                assert len(shape) == 3, (i, s, shape)
                k, st, p = pair(s['kernelSize'], None), pair(s.get('stride'), 1), pair(s.get('padding'), 0)
                if t == 'conv2d':
                    m = torch.nn.Conv2d(shape[0], s['filters'], kernel_size=k, stride=st, padding=p)
                    out = [s['filters']] + [(shape[1 + d] + 2 * p[d] - k[d]) // st[d] + 1 for d in range(2)]
                else:
                    op = pair(s.get('outputPadding'), 0)
                    m = torch.nn.ConvTranspose2d(shape[0], s['filters'], kernel_size=k, stride=st, padding=p, output_padding=op)
                    out = [s['filters']] + [(shape[1 + d] - 1) * st[d] - 2 * p[d] + k[d] + op[d] for d in range(2)]
            elif t == 'flatten':
                out = [shape[0] * shape[1] * shape[2]] if len(shape) == 3 else list(shape)
            elif t == 'reshape':
                out = list(s['shape'])
            else:
                raise ValueError(t)
            if t in ('flatten', 'reshape'):
                self.steps.append(('view', out, None))
                self.shapes.append((t, shape, out, None))
            else:
                self.steps.append(('layer', len(self), act))
                self.shapes.append((t, shape, out, len(self)))
                self.append(m)
            shape = out
        self.output_shape = shape

    def forward(self, x, preacts):
        for kind, arg, act in self.steps:
            if kind == 'view':
                x = x.reshape(x.shape[0], *arg)
            else:
                x = self[arg](x)
                if act != 'identity':
                    preacts.append(x.detach())
                x = ACT[act](x)
        return x


class VAE(torch.nn.Module):
    """wavae's VAE: encoder stack, linear heads mean and logvar, decoder stack giving logits."""

    def __init__(self, options, decoder_specs):
        super().__init__()
        act = options['activation']
        self.input_shape = options['inputShape']
        self.encoder = Stack(options['encoder'], self.input_shape, act, last_linear=False)
        h = self.encoder.output_shape
        assert len(h) == 1, h
        self.mean = torch.nn.Linear(h[0], options['latentDim'])
        self.logvar = torch.nn.Linear(h[0], options['latentDim'])
        self.decoder = Stack(decoder_specs, [options['latentDim']], act, last_linear=True)
        assert self.decoder.output_shape == self.input_shape, (self.decoder.output_shape, self.input_shape)
        self.beta = options['beta']

    def loss(self, x, eps):
        n = x.shape[0]
        preacts = []
        h = self.encoder(x.reshape(n, *self.input_shape), preacts)
        mean, logvar = self.mean(h), self.logvar(h)
        z = mean + torch.exp(0.5 * logvar) * eps
        logits = self.decoder(z, preacts).reshape(n, -1)
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction='sum')
        kl = 0.5 * torch.sum(torch.exp(logvar) + mean * mean - 1 - logvar)
        loss = (recon + self.beta * kl) / n
        return loss, recon / n, kl / n, preacts


def wavae_names(model):
    """wavae's naming rule, applied independently: parameterised layers numbered per stack, heads mean and logvar, in layout order."""
    names = []
    for prefix, stack in (('encoder', model.encoder), ('decoder', model.decoder)):
        layer_names = [f'{prefix}.{j}.{suffix}' for j in range(len(stack)) for suffix in ('weight', 'bias')]
        names += layer_names
        if prefix == 'encoder':
            names += ['mean.weight', 'mean.bias', 'logvar.weight', 'logvar.bias']
    return names


def build(arch):
    options = arch['options']
    decoder_specs = options.get('decoder', arch.get('decoderMirror'))
    torch.manual_seed(arch['seed'])
    model = VAE(options, decoder_specs)  # float32: PyTorch's default initialisation
    D = 1
    for d in options['inputShape']:
        D *= d
    x32 = torch.rand(N, D, dtype=torch.float32)
    eps32 = torch.randn(N, options['latentDim'], dtype=torch.float32)
    model = model.double()  # exact: every float32 is a float64
    x, eps = x32.double(), eps32.double()

    # state_dict compatibility: the keys, in order, are wavae's tensor names
    sd = model.state_dict()
    assert list(sd.keys()) == wavae_names(model), (list(sd.keys()), wavae_names(model))
    # ... and the fixture's tensors (wavae's names) load into a fresh module, strictly, and are the same
    check = VAE(options, decoder_specs).double()
    check.load_state_dict({k: v.clone() for k, v in sd.items()}, strict=True)
    assert all(torch.equal(a, b) for a, b in zip(check.state_dict().values(), sd.values()))

    params = dict(model.named_parameters())
    loss, recon, kl, preacts = model.loss(x, eps)
    model.zero_grad()
    loss.backward()
    min_preact = min(float(p.abs().min()) for p in preacts)
    assert min_preact > 1e-5, f'{arch["name"]}: a pre-activation is {min_preact}, too close to a ReLU kink'

    def layers_of(stack, prefix):
        return [{'type': t, 'input': list(i), 'output': list(o), 'name': None if j is None else f'{prefix}.{j}'} for t, i, o, j in stack.shapes]

    tensors = []
    grads = {}
    values = {}
    for k, p in params.items():
        name = k
        tensors.append({'name': name, 'shape': list(p.shape)})
        values[name] = p.detach().reshape(-1).tolist()
        grads[name] = p.grad.reshape(-1).tolist()
    assert [t['name'] for t in tensors] == list(sd.keys())
    return {
        'name': arch['name'],
        'options': options,
        **({'decoderMirror': arch['decoderMirror']} if 'decoderMirror' in arch else {}),
        'layers': {'encoder': layers_of(model.encoder, 'encoder'), 'decoder': layers_of(model.decoder, 'decoder')},
        'tensors': tensors,
        'n': N,
        'minAbsPreactivation': min_preact,
        'params': values,
        'x': x.reshape(-1).tolist(),
        'eps': eps.reshape(-1).tolist(),
        'loss': float(loss),
        'reconstruction': float(recon),
        'kl': float(kl),
        'grads': grads,
    }


def main():
    torch.set_num_threads(1)
    cases = [build(a) for a in ARCHITECTURES]
    fixture = {
        'generator': 'scripts/conv-fixture.py (generated, do not edit)',
        'torch': torch.__version__,
        'dtype': 'float64 (parameters, x and eps drawn in float32)',
        'cases': cases,
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'torch-conv-vae.json')
    text = json.dumps(fixture, indent=1)
    # one line per list of numbers (floats print as the shortest decimal that reads back exactly)
    text = re.sub(r'\[\s+([^\[\]{}]*?)\s+\]', lambda m: '[' + ' '.join(m.group(1).split()) + ']', text)
    # and one line per small object (layer specs, shapes)
    text = re.sub(r'\{\s+([^{}]*?)\s+\}', lambda m: '{' + ' '.join(m.group(1).split()) + '}' if len(m.group(0)) < 400 else m.group(0), text)
    with open(out, 'w') as f:
        f.write(text + '\n')
    for c in cases:
        size = sum(len(v) for v in c['params'].values())
        print(f"{c['name']}: {len(c['tensors'])} tensors, {size} parameters, loss {c['loss']:.6f}, min |pre-activation| {c['minAbsPreactivation']:.2e}")
    print(f'wrote {os.path.normpath(out)}, torch {torch.__version__}')


if __name__ == '__main__':
    main()
