# wavae's models written with torch modules, for the scripts that write PyTorch fixtures
# (conv-fixture.py, conditional-fixture.py): they build a model from the same layer specs as
# wavae, take the loss and every parameter gradient by autograd, and write the JSON the tests
# read. A fixture helper, not a training mirror: nothing here trains.
#
# The models:
#   - encoder and decoder are nn.ModuleLists of the parameterised layers only, numbered in order
#     (so state_dict() keys are wavae's tensor names: encoder.0.weight, ..., mean.weight,
#     logvar.weight, decoder.0.weight, ...); flatten and reshape are views between them;
#   - every parameterised layer is followed by the model's activation (or the one its spec names),
#     except the decoder's last, which gives the logits (or means); the heads mean and logvar and
#     an autoencoder's code layer are linear; a conv2dTranspose's output is
#     (h - 1) stride - 2 padding + kernel + outputPadding (PyTorch's output_padding);
#   - a conditional model (conditionDim C > 0) feeds c to the first dense layer of the encoder
#     (after a conv encoder's flatten) and to the decoder's first layer (dense), as
#     nn.Linear(in + C, out) on torch.cat([h, c], 1): the weight's input columns are h's, then c's;
#     an encoder without a dense layer leaves c to the heads mean and logvar (VAE) or to the code
#     layer (Autoencoder);
#   - VAE: z = mean + exp(logvar / 2) eps, eps given;
#     loss = (sum over rows and pixels of BCE-with-logits(decoder(z), x)
#             + beta * sum of KL(N(mean, exp(logvar)) || N(0, I))) / n,
#     reconstruction and kl the two sums / n (kl without beta), as VAE.gradients() reports them;
#   - Autoencoder: the code layer is encoder.{k} after the encoder's k layers;
#     reconstruction = sum over rows and values of (decoder(code) - x)^2 ('mse') or of
#     BCE-with-logits(decoder(code), x) ('bce'), / n; loss = reconstruction
#     + 0.5 weightDecay * sum of every weight squared (conv and dense weights, not biases).
import json
import os
import re

import torch
import torch.nn.functional as F

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


def input_shape(options):
    """A model's input shape from its options: inputShape, or [inputDim]."""
    return list(options['inputShape']) if 'inputShape' in options else [options['inputDim']]


def encoder_specs(options):
    """The encoder's layer specs: options['encoder'], or one dense layer per entry of hiddenDims (on flat rows)."""
    if 'encoder' in options:
        return options['encoder']
    assert len(input_shape(options)) == 1, 'hiddenDims on images: add the flatten here'
    return [{'type': 'dense', 'units': u} for u in options['hiddenDims']]


class Stack(torch.nn.ModuleList):
    """A wavae layer stack: a ModuleList of its parameterised layers (numbered as wavae numbers them), flatten/reshape as views.

    condition C > 0: the first dense layer takes torch.cat([h, c], 1) (Linear(in + C, out)); self.condition says
    whether one did.
    """

    def __init__(self, specs, input_shape, activation, last_linear, condition=0):
        super().__init__()
        self.steps = []  # (kind, module index or shape, activation, takes the condition)
        self.shapes = []  # per spec: (type, input shape, output shape, wavae name or None, condition columns)
        last = max(i for i, s in enumerate(specs) if s['type'] in ('dense', 'conv2d', 'conv2dTranspose'))
        shape = list(input_shape)
        self.condition = False
        for i, s in enumerate(specs):
            t = s['type']
            act = 'identity' if last_linear and i == last else s.get('activation', activation)
            cond = 0
            if t == 'dense':
                assert len(shape) == 1, (i, s, shape)
                if condition and not self.condition:
                    cond = condition
                    self.condition = True
                m = torch.nn.Linear(shape[0] + cond, s['units'])
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
                self.steps.append(('view', out, None, False))
                self.shapes.append((t, shape, out, None, 0))
            else:
                self.steps.append(('layer', len(self), act, cond > 0))
                self.shapes.append((t, shape, out, len(self), cond))
                self.append(m)
            shape = out
        self.output_shape = shape

    def forward(self, x, preacts, c=None):
        for kind, arg, act, takes_c in self.steps:
            if kind == 'view':
                x = x.reshape(x.shape[0], *arg)
            else:
                x = self[arg](torch.cat([x, c], 1) if takes_c else x)
                if act != 'identity':
                    preacts.append(x.detach())
                x = ACT[act](x)
        return x

    def layers(self, prefix):
        """What the stack built, layer by layer, as the test compares it with wavae's resolved layers."""
        return [{'type': t, 'input': list(i), 'output': list(o), 'name': None if j is None else f'{prefix}.{j}', **({'condition': c} if c else {})}
                for t, i, o, j, c in self.shapes]


def cat(h, c):
    return h if c is None else torch.cat([h, c], 1)


class VAE(torch.nn.Module):
    """wavae's VAE: encoder stack, linear heads mean and logvar, decoder stack giving logits (Bernoulli likelihood)."""

    def __init__(self, options, decoder_specs):
        super().__init__()
        act = options['activation']
        C = options.get('conditionDim', 0)
        self.input_shape = input_shape(options)
        self.encoder = Stack(encoder_specs(options), self.input_shape, act, last_linear=False, condition=C)
        h = self.encoder.output_shape
        assert len(h) == 1, h
        self.head_condition = 0 if self.encoder.condition else C
        self.mean = torch.nn.Linear(h[0] + self.head_condition, options['latentDim'])
        self.logvar = torch.nn.Linear(h[0] + self.head_condition, options['latentDim'])
        self.decoder = Stack(decoder_specs, [options['latentDim']], act, last_linear=True, condition=C)
        assert self.decoder.steps[0][3] or not C, 'a conditional decoder starts with a dense layer'
        assert self.decoder.output_shape == self.input_shape, (self.decoder.output_shape, self.input_shape)
        self.beta = options['beta']

    def loss(self, x, eps, c=None):
        n = x.shape[0]
        preacts = []
        h = self.encoder(x.reshape(n, *self.input_shape), preacts, c)
        hc = cat(h, c if self.head_condition else None)
        mean, logvar = self.mean(hc), self.logvar(hc)
        z = mean + torch.exp(0.5 * logvar) * eps
        logits = self.decoder(z, preacts, c).reshape(n, -1)
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction='sum')
        kl = 0.5 * torch.sum(torch.exp(logvar) + mean * mean - 1 - logvar)
        loss = (recon + self.beta * kl) / n
        return loss, recon / n, kl / n, preacts

    def heads(self):
        """The heads as layers (like Stack.layers)."""
        h = self.encoder.output_shape
        C = self.head_condition
        return [{'type': 'dense', 'input': list(h), 'output': [self.mean.out_features], 'name': name, **({'condition': C} if C else {})} for name in ('mean', 'logvar')]


class Autoencoder(torch.nn.Module):
    """wavae's Autoencoder: encoder stack ending in the linear code layer (numbered after the encoder's layers), decoder stack giving logits or means."""

    def __init__(self, options, decoder_specs):
        super().__init__()
        act = options.get('activation', 'relu')
        C = options.get('conditionDim', 0)
        self.input_shape = input_shape(options)
        code = {'type': 'dense', 'units': options['latentDim'], 'activation': 'identity'}
        self.encoder = Stack(encoder_specs(options) + [code], self.input_shape, act, last_linear=False, condition=C)
        self.decoder = Stack(decoder_specs, [options['latentDim']], act, last_linear=True, condition=C)
        assert self.decoder.steps[0][3] or not C, 'a conditional decoder starts with a dense layer'
        assert self.decoder.output_shape == self.input_shape, (self.decoder.output_shape, self.input_shape)
        self.kind = options.get('loss', 'mse')
        self.weight_decay = options.get('weightDecay', 0)

    def loss(self, x, c=None):
        n = x.shape[0]
        preacts = []
        code = self.encoder(x.reshape(n, *self.input_shape), preacts, c)
        out = self.decoder(code, preacts, c).reshape(n, -1)
        if self.kind == 'bce':
            recon = F.binary_cross_entropy_with_logits(out, x, reduction='sum')
        else:
            recon = torch.sum((out - x) ** 2)
        l2 = sum(torch.sum(p * p) for name, p in self.named_parameters() if name.endswith('.weight'))
        loss = recon / n + 0.5 * self.weight_decay * l2
        return loss, recon / n, preacts


def wavae_names(model):
    """wavae's naming rule, applied independently: parameterised layers numbered per stack, a VAE's heads mean and logvar after its encoder, in layout order."""
    names = []
    for prefix, stack in (('encoder', model.encoder), ('decoder', model.decoder)):
        names += [f'{prefix}.{j}.{suffix}' for j in range(len(stack)) for suffix in ('weight', 'bias')]
        if prefix == 'encoder' and isinstance(model, VAE):
            names += ['mean.weight', 'mean.bias', 'logvar.weight', 'logvar.bias']
    return names


def check_state_dict(model, fresh):
    """The state_dict's keys, in order, are wavae's tensor names; its tensors load strictly into fresh (the same architecture) and are the same."""
    sd = model.state_dict()
    assert list(sd.keys()) == wavae_names(model), (list(sd.keys()), wavae_names(model))
    fresh.load_state_dict({k: v.clone() for k, v in sd.items()}, strict=True)
    assert all(torch.equal(a, b) for a, b in zip(fresh.state_dict().values(), sd.values()))
    return sd


def parameters_and_grads(model, sd):
    """After backward(): the tensors (name, shape) in state_dict order, their values and gradients as flat lists."""
    tensors, values, grads = [], {}, {}
    for name, p in model.named_parameters():
        tensors.append({'name': name, 'shape': list(p.shape)})
        values[name] = p.detach().reshape(-1).tolist()
        grads[name] = p.grad.reshape(-1).tolist()
    assert [t['name'] for t in tensors] == list(sd.keys())
    return tensors, values, grads


def min_abs_preactivation(name, preacts):
    """The smallest |pre-activation| of an activated layer, asserted away from a kink at 0 (> 1e-5)."""
    m = min(float(p.abs().min()) for p in preacts)
    assert m > 1e-5, f'{name}: a pre-activation is {m}, too close to a ReLU kink'
    return m


def write_fixture(path, fixture):
    """Writes fixture as JSON: one line per list of numbers and per small object; floats as the shortest decimal that reads back exactly."""
    text = json.dumps(fixture, indent=1)
    text = re.sub(r'\[\s+([^\[\]{}]*?)\s+\]', lambda m: '[' + ' '.join(m.group(1).split()) + ']', text)
    text = re.sub(r'\{\s+([^{}]*?)\s+\}', lambda m: '{' + ' '.join(m.group(1).split()) + '}' if len(m.group(0)) < 400 else m.group(0), text)
    with open(path, 'w') as f:
        f.write(text + '\n')


def write_cases(script, dtype, cases, name):
    """Writes test/fixtures/<name> from a fixture script's built cases, and prints one line per case."""
    fixture = {'generator': f'scripts/{script} (generated, do not edit)', 'torch': torch.__version__, 'dtype': dtype, 'cases': cases}
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', name)
    write_fixture(out, fixture)
    for c in cases:
        size = sum(len(v) for v in c['params'].values())
        print(f"{c['name']}: {len(c['tensors'])} tensors, {size} parameters, loss {c['loss']:.6f}, min |pre-activation| {c['minAbsPreactivation']:.2e}")
    print(f'wrote {os.path.normpath(out)}, torch {torch.__version__}')
