# wavae's models in PyTorch: the VAE and the Autoencoder (dense and conv, conditional or not)
# built from the same options and layer specs as wavae, with the same forward, loss and sampling,
# and wavae model files read and written by hand (safetensors, float32, wavae's metadata). The one
# restatement of wavae in PyTorch: the fixture scripts (scripts/*-fixture.py) build their models
# here too, and train_ddp.py trains them across processes. Needs torch only.
#
#   model = load_wavae('model.safetensors')      # VAE or Autoencoder, every tensor checked
#   losses = model(x, c=None, eps=None)          # Losses: objective (what training minimises), loss (-ELBO), reconstruction, kl
#   save_wavae(model, 'model.safetensors')       # a file wavae loads (wv.loadFile, npx wavae eval)
#
# What is wavae's, restated (src/models/vae.ts, autoencoder.ts, architecture.ts, src/nn/*):
#   - encoder and decoder are nn.ModuleLists of the parameterised layers only, numbered in order,
#     so state_dict() keys are wavae's tensor names (encoder.0.weight, ..., mean.weight,
#     logvar.weight, decoder.0.weight, ..., output.logvar for a learned Gaussian variance);
#     flatten and reshape are views between them; NCHW, rows flat vectors of C*H*W values;
#   - every parameterised layer is followed by its activation, except the decoder's last, which
#     gives the logits (Bernoulli, 'bce') or means; the heads and the code layer are linear;
#   - a conditional model (conditionDim C > 0) feeds c to the first dense layer of the encoder
#     (after a conv encoder's flatten) and of the decoder, as Linear(in + C, out) on
#     torch.cat([h, c], 1); an encoder without a dense layer leaves c to the heads (VAE) or to the
#     code layer (Autoencoder);
#   - VAE: z = mean + exp(logvar / 2) eps; per sample (sums over values, means over rows):
#     reconstruction = BCE-with-logits(decoder(z), x), or the Gaussian NLL
#     0.5 ((x - mean)^2 / var + log var) + 0.5 log(2 pi) with var = exp(output.logvar) (learned)
#     or outputVariance; kl = KL(N(mean, exp(logvar)) || N(0, I)); loss (-ELBO) = reconstruction
#     + kl; objective = reconstruction + beta kl + 0.5 weightDecay * sum of every weight squared;
#   - Autoencoder: reconstruction = squared error ('mse') or BCE-with-logits ('bce'); loss =
#     reconstruction; objective adds the same L2 term;
#   - sampling and evaluate() draw their normals from wavae's generator (Rng below: xoshiro128**
#     seeded by splitmix32, Marsaglia's polar method), so sample(n, seed) and evaluate(x) draw the
#     z and eps wavae draws for the same seed.
import json
import math
import os
import struct
import sys
from collections import namedtuple

import torch
import torch.nn.functional as F

FORMAT_VERSION = 3  # the newest model file format version wavae reads and writes (src/io/model-file.ts)
ACTIVATIONS = ('relu', 'leaky_relu', 'sigmoid', 'tanh', 'identity')
ACT = {
    'relu': F.relu,
    'leaky_relu': lambda t: F.leaky_relu(t, 0.01),
    'sigmoid': torch.sigmoid,
    'tanh': torch.tanh,
    'identity': lambda t: t,
}
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
MAX_LAYERS = 128
MAX_CONDITION = 1 << 16
MAX_HEADER_SIZE = 100_000_000

Losses = namedtuple('Losses', ['objective', 'loss', 'reconstruction', 'kl'])
Losses.__doc__ = """Mean per sample: objective (what training minimises: with beta and the L2 term), loss (-ELBO, or the reconstruction), reconstruction, kl."""


class WavaeOptionError(ValueError):
    """Options or layer specs wavae would refuse (its INVALID_OPTION), naming the option or layer."""


class WavaeFileError(ValueError):
    """A model file or state_dict that does not fit (wavae's CORRUPT_FILE or UNSUPPORTED_VERSION), naming what is wrong."""


# ---- wavae's random numbers (src/random.ts) ------------------------------------------------------

M32 = 0xFFFFFFFF


def _imul(a, b):
    return (a * b) & M32


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


class Rng:
    """wavae's generator: xoshiro128** seeded through splitmix32; normals by Marsaglia's polar method, in pairs."""

    def __init__(self, seed):
        if not isinstance(seed, int) or not 0 <= seed <= M32:
            raise WavaeOptionError(f'seed must be an integer in [0, 2^32), got {seed!r}')
        x = seed
        s = []
        for _ in range(4):
            x = (x + 0x9E3779B9) & M32
            z = _imul(x ^ (x >> 16), 0x85EBCA6B)
            z = _imul(z ^ (z >> 13), 0xC2B2AE35)
            s.append(z ^ (z >> 16))
        self.s = s
        self.spare = None

    def next_u32(self):
        s0, s1, s2, s3 = self.s
        result = _imul(_rotl(_imul(s1, 5), 7), 9)
        t = (s1 << 9) & M32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 11)
        self.s = [s0, s1, s2, s3]
        return result

    def uniform(self):
        return self.next_u32() / 4294967296

    def normal(self):
        if self.spare is not None:
            v, self.spare = self.spare, None
            return v
        while True:
            u = 2 * self.uniform() - 1
            v = 2 * self.uniform() - 1
            s = u * u + v * v
            if 0 < s < 1:
                break
        f = math.sqrt(-2 * math.log(s) / s)
        self.spare = v * f
        return u * f

    def normals(self, *shape):
        """A float32 tensor of standard normals, filled row-major as wavae fills a buffer."""
        n = 1
        for d in shape:
            n *= d
        return torch.tensor([self.normal() for _ in range(n)], dtype=torch.float32).reshape(*shape)


def derive_seed(seed, *stream):
    """wavae's deriveSeed: a new 32-bit seed from a seed and stream numbers."""
    h = seed & M32
    for s in stream:
        h = (h ^ _imul(s + 1, 0x9E3779B1)) & M32
        h = _imul(h ^ (h >> 16), 0x7FEB352D)
        h = _imul(h ^ (h >> 15), 0x846CA68B)
        h = h ^ (h >> 16)
    return h


# ---- layer specs (src/nn/*.ts: resolve) -----------------------------------------------------------

def _int(where, spec, key, lo=1, hi=1 << 24):
    v = spec.get(key)
    if not _is_int(v) or not lo <= v <= hi:
        raise WavaeOptionError(f'{where}: {key} must be an integer in [{lo}, {hi}], got {v!r}')
    return v


def _is_int(v):
    return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())


def _pair(where, spec, key, default, lo):
    v = spec.get(key, default)
    both = list(v) if isinstance(v, (list, tuple)) and len(v) == 2 else [v, v]
    if not all(_is_int(d) and lo <= d <= 1024 for d in both):
        raise WavaeOptionError(f'{where}: {key} must be an integer in [{lo}, 1024] or [h, w] of them, got {v!r}')
    return [int(d) for d in both]


def _keys(where, spec, allowed):
    for k in spec:
        if k not in allowed:
            raise WavaeOptionError(f'{where}: unknown option {k!r} (expected one of {", ".join(allowed)})')


def _activation(where, spec, default, last):
    act = spec.get('activation', default)
    if act not in ACTIVATIONS:
        raise WavaeOptionError(f'{where}: activation must be one of {", ".join(ACTIVATIONS)}, got {act!r}')
    if last and act != 'identity':
        raise WavaeOptionError(f'{where}: the last layer gives the logits or means the loss works on, so it takes no activation, got {act!r}')
    return act


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def resolve_layer(spec, shape, where, activation, last):
    """One layer spec against the incoming shape: (spec with wavae's defaults filled in, output shape)."""
    t = spec.get('type') if isinstance(spec, dict) else None
    if t == 'dense':
        _keys(where, spec, ['type', 'units', 'activation'])
        if len(shape) != 1:
            raise WavaeOptionError(f"{where}: dense needs a flat input, got shape {list(shape)}; add {{ type: 'flatten' }} before it")
        units = int(_int(where, spec, 'units'))
        return {'type': 'dense', 'units': units, 'activation': _activation(where, spec, activation, last)}, [units]
    if t in ('conv2d', 'conv2dTranspose'):
        transposed = t == 'conv2dTranspose'
        _keys(where, spec, ['type', 'filters', 'kernelSize', 'stride', 'padding', 'activation'] + (['outputPadding'] if transposed else []))
        if len(shape) != 3:
            raise WavaeOptionError(f'{where}: {t} needs an image input [channels, height, width], got shape {list(shape)}')
        filters = int(_int(where, spec, 'filters'))
        k = _pair(where, spec, 'kernelSize', None, 1)
        st = _pair(where, spec, 'stride', 1, 1)
        if spec.get('padding') == 'same':
            if transposed or st != [1, 1] or k[0] % 2 == 0 or k[1] % 2 == 0:
                raise WavaeOptionError(f"{where}: padding 'same' needs conv2d with stride 1 and an odd kernelSize")
            p = [(k[0] - 1) // 2, (k[1] - 1) // 2]
        else:
            p = _pair(where, spec, 'padding', 0, 0)
        if p[0] >= k[0] or p[1] >= k[1]:
            raise WavaeOptionError(f'{where}: padding {p} must be smaller than kernelSize {k}')
        op = _pair(where, spec, 'outputPadding', 0, 0) if transposed else [0, 0]
        if op[0] >= st[0] or op[1] >= st[1]:
            raise WavaeOptionError(f'{where}: outputPadding {op} must be smaller than the stride {st}')
        if transposed:
            out = [(shape[1 + d] - 1) * st[d] - 2 * p[d] + k[d] + op[d] for d in range(2)]
        else:
            out = [(shape[1 + d] + 2 * p[d] - k[d]) // st[d] + 1 for d in range(2)]
        if out[0] < 1 or out[1] < 1:
            raise WavaeOptionError(f'{where}: a {k[0]}x{k[1]} kernel with stride {st} and padding {p} leaves no output of input {list(shape)}')
        if transposed and any((out[d] + 2 * p[d] - k[d]) // st[d] + 1 != shape[1 + d] for d in range(2)):
            raise WavaeOptionError(f"{where}: padding {p} crops past the kernel's reach on input {list(shape)}")
        full = {'type': t, 'filters': filters, 'kernelSize': k, 'stride': st, 'padding': p}
        if op != [0, 0]:
            full['outputPadding'] = op
        full['activation'] = _activation(where, spec, activation, last)
        return full, [filters] + out
    if t == 'flatten':
        _keys(where, spec, ['type'])
        return {'type': 'flatten'}, [_size(shape)]
    if t == 'reshape':
        _keys(where, spec, ['type', 'shape'])
        s = spec.get('shape')
        if not isinstance(s, (list, tuple)) or not 1 <= len(s) <= 3 or not all(_is_int(d) and d >= 1 for d in s):
            raise WavaeOptionError(f'{where}: shape must be 1 to 3 integers >= 1, like [64, 7, 7], got {s!r}')
        s = [int(d) for d in s]
        if _size(s) != _size(shape):
            raise WavaeOptionError(f'{where}: cannot reshape {list(shape)} ({_size(shape)} values) to {s} ({_size(s)} values)')
        return {'type': 'reshape', 'shape': s}, s
    raise WavaeOptionError(f'{where}: a layer spec needs a type, one of dense, conv2d, conv2dTranspose, flatten, reshape, got {spec!r}')


PARAMETERISED = ('dense', 'conv2d', 'conv2dTranspose')


def resolve_stack(prefix, specs, input_shape, model, activation, last_linear, condition=0, first_index=0):
    """wavae's resolveStack: every layer as {'spec', 'input', 'output', 'name', 'condition'}; the first dense layer takes the condition."""
    if not isinstance(specs, (list, tuple)) or len(specs) > MAX_LAYERS:
        raise WavaeOptionError(f'{model}: {prefix} must be a list of at most {MAX_LAYERS} layer specs, got {specs!r}')
    last = max([i for i, s in enumerate(specs) if isinstance(s, dict) and s.get('type') in PARAMETERISED], default=-1)
    layers, shape, index = [], list(input_shape), first_index
    for i, spec in enumerate(specs):
        t = spec.get('type') if isinstance(spec, dict) else None
        where = f'{model}: {prefix}[{i}]' + (f' ({t})' if isinstance(t, str) else '')
        is_last = last_linear and i == last
        full, out = resolve_layer(spec, shape, where, 'identity' if is_last else activation, is_last)
        takes = condition if condition and full['type'] == 'dense' else 0
        if takes:
            condition = 0
        name = None
        if full['type'] in PARAMETERISED:
            name, index = f'{prefix}.{index}', index + 1
        layers.append({'spec': full, 'input': shape, 'output': out, 'name': name, 'condition': takes})
        shape = out
    return layers


def _back_to(layer):
    """The outputPadding a conv2dTranspose needs to give back a conv2d layer's input size."""
    s = layer['spec']
    op = [layer['input'][1 + d] - ((layer['output'][1 + d] - 1) * s['stride'][d] - 2 * s['padding'][d] + s['kernelSize'][d]) for d in range(2)]
    return {'outputPadding': op} if op != [0, 0] else {}


def mirror(model, options, encoder):
    """wavae's default decoder: each encoder layer undone in reverse order (architecture.ts, mirror)."""
    activation, shape = options['activation'], options['inputShape']

    def made(j):  # the activation of the layer whose output layer j takes in, when not the model's
        for i in range(j - 1, -1, -1):
            if encoder[i]['name'] is not None:
                a = encoder[i]['spec']['activation']
                return {'activation': a} if a != activation else {}
        return {}

    back = [{'type': 'reshape', 'shape': list(shape)}] if len(shape) > 1 else []
    if not any(l['name'] is not None for l in encoder):
        return [{'type': 'dense', 'units': _size(shape)}] + back
    out = encoder[-1]['output'] if encoder else shape
    if len(out) != 1:
        raise WavaeOptionError(f"{model}: the encoder ends at shape {out}; give the decoder's layers")
    specs = [{'type': 'dense', 'units': out[0], **made(len(encoder))}]
    for j in range(len(encoder) - 1, -1, -1):
        l, s = encoder[j], encoder[j]['spec']
        if s['type'] == 'dense':
            specs.append({'type': 'dense', 'units': _size(l['input']), **made(j)})
        elif s['type'] == 'conv2d':
            specs.append({'type': 'conv2dTranspose', 'filters': l['input'][0], 'kernelSize': s['kernelSize'], 'stride': s['stride'], 'padding': s['padding'], **_back_to(l), **made(j)})
        elif s['type'] in ('flatten', 'reshape'):
            specs.append({'type': 'reshape', 'shape': list(l['input'])})
        else:
            raise WavaeOptionError(f"{model}: a {s['type']} layer has no mirror; give the decoder's layers")
    if specs[-1]['type'] == 'dense':
        specs += back
    return specs


COMMON_KEYS = ['inputDim', 'inputShape', 'hiddenDims', 'encoder', 'decoder', 'latentDim', 'conditionDim', 'activation', 'weightDecay', 'seed']


def check_common(model, options, keys, hidden_default, latent_default):
    """wavae's checkCommon: the options both models share, validated, with wavae's defaults."""
    if not isinstance(options, dict):
        raise WavaeOptionError(f'{model}: options must be a dict like {{"inputDim": 784}}, got {options!r}')
    for k in options:
        if k not in keys:
            raise WavaeOptionError(f'{model}: unknown option {k!r} (expected one of {", ".join(keys)})')
    o = options
    if 'inputShape' in o and o['inputShape'] is not None:
        s = o['inputShape']
        if not isinstance(s, (list, tuple)) or not 1 <= len(s) <= 3 or not all(_is_int(d) and 1 <= d <= 1 << 16 for d in s):
            raise WavaeOptionError(f'{model}: inputShape must be [features] or [channels, height, width], got {s!r}')
        shape = [int(d) for d in s]
        if o.get('inputDim') is not None and o['inputDim'] != _size(shape):
            raise WavaeOptionError(f'{model}: inputDim {o["inputDim"]!r} is not the size of inputShape {shape} ({_size(shape)})')
    else:
        shape = [int(_int(model, o, 'inputDim', 1, 1 << 26))]
    layered = o.get('encoder') is not None or o.get('decoder') is not None
    if layered and o.get('hiddenDims') is not None:
        raise WavaeOptionError(f'{model}: give hiddenDims (a dense stack) or encoder/decoder layer specs, not both')
    if o.get('decoder') is not None and o.get('encoder') is None:
        raise WavaeOptionError(f'{model}: a decoder needs an encoder')
    hidden = None
    if not layered:
        hidden = o.get('hiddenDims', hidden_default)
        if not isinstance(hidden, (list, tuple)) or not all(_is_int(d) and 1 <= d <= 1 << 24 for d in hidden) or len(hidden) > MAX_LAYERS - 2:
            raise WavaeOptionError(f'{model}: hiddenDims must be a list of integers >= 1, got {hidden!r}')
        hidden = [int(d) for d in hidden]
    c = {
        'inputShape': shape, 'inputDim': _size(shape), 'hiddenDims': hidden,
        'latentDim': int(_int(model, {'latentDim': o.get('latentDim', latent_default)}, 'latentDim')),
        'conditionDim': int(_int(model, {'conditionDim': o.get('conditionDim', 0)}, 'conditionDim', 0, MAX_CONDITION)),
        'activation': o.get('activation', 'relu'), 'weightDecay': o.get('weightDecay', 0),
        'seed': int(_int(model, {'seed': o.get('seed', 0)}, 'seed', 0, M32)),
    }
    if c['activation'] not in ACTIVATIONS:
        raise WavaeOptionError(f'{model}: activation must be one of {", ".join(ACTIVATIONS)}, got {c["activation"]!r}')
    if not isinstance(c['weightDecay'], (int, float)) or isinstance(c['weightDecay'], bool) or not 0 <= c['weightDecay'] < math.inf:
        raise WavaeOptionError(f'{model}: weightDecay must be a number >= 0, got {c["weightDecay"]!r}')
    flatten = [{'type': 'flatten'}] if len(shape) > 1 else []
    c['encoderSpecs'] = flatten + [{'type': 'dense', 'units': u} for u in hidden] if hidden is not None else o['encoder']
    c['decoderSpecs'] = None if hidden is not None else o.get('decoder')
    return c


def decoder_layers(model, c, encoder):
    """wavae's decoderLayers: given specs or the mirror, checked to start with a dense layer when conditional and to end at the input shape."""
    specs = c['decoderSpecs'] if c['decoderSpecs'] is not None else mirror(model, c, encoder)
    layers = resolve_stack('decoder', specs, [c['latentDim']], model, c['activation'], True, c['conditionDim'])
    if c['conditionDim'] and not (layers and layers[0]['condition']):
        raise WavaeOptionError(f'{model}: a conditional decoder starts with a dense layer, which takes [z, c]')
    out = layers[-1]['output'] if layers else [c['latentDim']]
    shape = c['inputShape']
    if not (out == shape if len(out) == len(shape) else len(out) == 1 and out[0] == c['inputDim']):
        raise WavaeOptionError(f'{model}: the decoder ends at shape {out}, but it must end at the input shape {c["inputShape"]}')
    return layers


def _dense_on(model, what, shape, units, name, condition):
    if len(shape) != 1:
        raise WavaeOptionError(f"{model}: the encoder must end flat for the {what}, got shape {shape}; end it with {{ type: 'flatten' }}")
    return {'spec': {'type': 'dense', 'units': units, 'activation': 'identity'}, 'input': shape, 'output': [units], 'name': name, 'condition': condition}


def tensor_shapes(layer):
    """A layer's tensors (name, shape), PyTorch's layouts (conv2dTranspose weight [in, out, kh, kw])."""
    s, name = layer['spec'], layer['name']
    if s['type'] == 'dense':
        return [(f'{name}.weight', [s['units'], layer['input'][0] + layer['condition']]), (f'{name}.bias', [s['units']])]
    if s['type'] == 'conv2d':
        return [(f'{name}.weight', [s['filters'], layer['input'][0]] + s['kernelSize']), (f'{name}.bias', [s['filters']])]
    if s['type'] == 'conv2dTranspose':
        return [(f'{name}.weight', [layer['input'][0], s['filters']] + s['kernelSize']), (f'{name}.bias', [s['filters']])]
    return []


# ---- the models -----------------------------------------------------------------------------------

class Stack(torch.nn.ModuleList):
    """A wavae layer stack: a ModuleList of its parameterised layers (numbered as wavae numbers them); flatten and reshape are views."""

    def __init__(self, layers):
        super().__init__()
        self.resolved = layers
        self.steps = []  # (kind, module index or shape, activation, takes the condition)
        for l in layers:
            s = l['spec']
            t, shape = s['type'], l['input']
            if t in ('flatten', 'reshape'):
                self.steps.append(('view', l['output'], None, False))
                continue
            if t == 'dense':
                m = torch.nn.Linear(shape[0] + l['condition'], s['units'])
            elif t == 'conv2d':
                m = torch.nn.Conv2d(shape[0], s['filters'], kernel_size=tuple(s['kernelSize']), stride=tuple(s['stride']), padding=tuple(s['padding']))
            else:
                m = torch.nn.ConvTranspose2d(shape[0], s['filters'], kernel_size=tuple(s['kernelSize']), stride=tuple(s['stride']), padding=tuple(s['padding']),
                                             output_padding=tuple(s.get('outputPadding', [0, 0])))
            self.steps.append(('layer', len(self), s['activation'], l['condition'] > 0))
            self.append(m)
        self.takes_condition = any(l['condition'] for l in layers)

    def forward(self, x, c=None, preacts=None):
        """Runs the stack on x (n, *input shape); preacts (a list) collects every activated layer's pre-activation."""
        for kind, arg, act, takes_c in self.steps:
            if kind == 'view':
                x = x.reshape(x.shape[0], *arg)
                continue
            x = self[arg](torch.cat([x, c], 1) if takes_c else x)
            if preacts is not None and act != 'identity':
                preacts.append(x.detach())
            x = ACT[act](x)
        return x

    def layers(self, prefix):
        """What the stack built, layer by layer: type, input and output shapes, wavae name, condition columns."""
        return [{'type': l['spec']['type'], 'input': list(l['input']), 'output': list(l['output']), 'name': l['name'], **({'condition': l['condition']} if l['condition'] else {})}
                for l in self.resolved]


def _cat(h, c):
    return h if c is None else torch.cat([h, c], 1)


class WavaeModel(torch.nn.Module):
    """What VAE and Autoencoder share: options, config and file format, strict state_dict loading with wavae's messages, the L2 term."""

    def _common(self, c):
        self.input_shape = c['inputShape']
        self.input_dim = c['inputDim']
        self.hidden_dims = c['hiddenDims']
        self.latent_dim = c['latentDim']
        self.condition_dim = c['conditionDim']
        self.activation = c['activation']
        self.weight_decay = c['weightDecay']
        self.seed = c['seed']
        self.format_version = 3 if c['conditionDim'] else 1 if c['hiddenDims'] is not None and len(c['inputShape']) == 1 else 2
        self.epochs_trained = 0
        self.metadata = {}  # metadata entries of the file it came from besides wavae's own (the CLI's scaling, image_shape, ...)

    def _architecture_config(self):
        cond = {'conditionDim': self.condition_dim} if self.condition_dim else {}
        if self.hidden_dims is not None:
            shape = {'inputDim': self.input_dim} if len(self.input_shape) == 1 else {'inputShape': list(self.input_shape)}
            return {**shape, 'hiddenDims': list(self.hidden_dims), **cond}
        return {'inputShape': list(self.input_shape), 'encoder': [l['spec'] for l in self.encoder_layers], 'decoder': [l['spec'] for l in self.decoder.resolved], **cond}

    def tensor_specs(self):
        """Every tensor (name, shape) in wavae's layout order: the weights, then the biases and the rest."""
        every = [t for l in self.all_layers for t in tensor_shapes(l)] + self.extra_tensors()
        return [t for t in every if t[0].endswith('.weight')] + [t for t in every if not t[0].endswith('.weight')]

    def extra_tensors(self):
        return []

    def l2(self):
        """0.5 weightDecay times the sum of every weight squared (biases and variances take none)."""
        if not self.weight_decay:
            return 0.0
        return 0.5 * self.weight_decay * sum(torch.sum(p * p) for name, p in self.named_parameters() if name.endswith('.weight'))

    def check_condition(self, c, n):
        if self.condition_dim and c is None:
            raise WavaeOptionError(f'this {self.kind} is conditional: give c, {n} rows of {self.condition_dim} values')
        if not self.condition_dim and c is not None:
            raise WavaeOptionError(f'this {self.kind} takes no condition')
        if c is not None and tuple(c.shape) != (n, self.condition_dim):
            raise WavaeOptionError(f'c has shape {list(c.shape)}, expected [{n}, {self.condition_dim}]')

    def load_state_dict(self, state_dict, strict=True):
        """torch's load_state_dict, after wavae's check of names and shapes when strict (WavaeFileError naming the tensor)."""
        if strict:
            check_tensors(self.tensor_specs(), {k: list(v.shape) for k, v in state_dict.items()})
        return super().load_state_dict(state_dict, strict=strict)


class VAE(WavaeModel):
    """wavae's VAE: encoder stack, linear heads mean and logvar, decoder stack giving logits (Bernoulli) or means (Gaussian)."""

    kind = 'vae'
    KEYS = COMMON_KEYS + ['likelihood', 'outputVariance', 'beta', 'klWarmupEpochs']

    def __init__(self, options):
        super().__init__()
        c = check_common('VAE', options, self.KEYS, [400], 20)
        self._common(c)
        self.likelihood = options.get('likelihood', 'bernoulli')
        if self.likelihood not in ('bernoulli', 'gaussian'):
            raise WavaeOptionError(f"VAE: likelihood must be 'bernoulli' or 'gaussian', got {self.likelihood!r}")
        if self.likelihood == 'bernoulli' and 'outputVariance' in options:
            raise WavaeOptionError("VAE: outputVariance applies to likelihood 'gaussian' only")
        self.output_variance = options.get('outputVariance', 'learned')
        if self.output_variance != 'learned' and not (isinstance(self.output_variance, (int, float)) and 0 < self.output_variance < math.inf):
            raise WavaeOptionError(f"VAE: outputVariance must be 'learned' or a number > 0, got {self.output_variance!r}")
        self.beta = options.get('beta', 1)
        self.kl_warmup_epochs = options.get('klWarmupEpochs', 0)
        for key, v in (('beta', self.beta), ('klWarmupEpochs', self.kl_warmup_epochs)):
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v < math.inf:
                raise WavaeOptionError(f'VAE: {key} must be a number >= 0, got {v!r}')
        self.encoder_layers = resolve_stack('encoder', c['encoderSpecs'], c['inputShape'], 'VAE', c['activation'], False, c['conditionDim'])
        h = self.encoder_layers[-1]['output'] if self.encoder_layers else c['inputShape']
        self.head_condition = 0 if any(l['condition'] for l in self.encoder_layers) else c['conditionDim']
        heads = [_dense_on('VAE', 'mean and log-variance heads', h, c['latentDim'], name, self.head_condition) for name in ('mean', 'logvar')]
        decoder = decoder_layers('VAE', c, self.encoder_layers)
        self.all_layers = self.encoder_layers + heads + decoder
        self.encoder = Stack(self.encoder_layers)
        self.mean = torch.nn.Linear(h[0] + self.head_condition, c['latentDim'])
        self.logvar = torch.nn.Linear(h[0] + self.head_condition, c['latentDim'])
        self.decoder = Stack(decoder)
        if self.likelihood == 'gaussian' and self.output_variance == 'learned':
            self.output = torch.nn.ParameterDict({'logvar': torch.nn.Parameter(torch.zeros(c['inputDim']))})
        elif self.likelihood == 'gaussian':
            # wavae fills a float32 buffer with log(outputVariance)
            self.register_buffer('fixed_logvar', torch.full((c['inputDim'],), math.log(self.output_variance)), persistent=False)

    def heads(self):
        """The heads mean and logvar as layers (like Stack.layers)."""
        h = self.encoder_layers[-1]['output'] if self.encoder_layers else self.input_shape
        C = self.head_condition
        return [{'type': 'dense', 'input': list(h), 'output': [self.latent_dim], 'name': name, **({'condition': C} if C else {})} for name in ('mean', 'logvar')]

    def extra_tensors(self):
        return [('output.logvar', [self.input_dim])] if self.likelihood == 'gaussian' and self.output_variance == 'learned' else []

    def config(self):
        """The options as wavae's VAE.config() writes them into a model file."""
        gauss = {'outputVariance': self.output_variance} if self.likelihood == 'gaussian' else {}
        return {**self._architecture_config(), 'latentDim': self.latent_dim, 'likelihood': self.likelihood, **gauss,
                'activation': self.activation, 'beta': self.beta, 'klWarmupEpochs': self.kl_warmup_epochs, 'weightDecay': self.weight_decay, 'seed': self.seed}

    def beta_at(self, epoch_progress):
        """beta at a point of training (epochs, fractional): the KL warm-up ramps it linearly from 0."""
        if self.kl_warmup_epochs <= 0:
            return self.beta
        return self.beta * min(1, epoch_progress / self.kl_warmup_epochs)

    def encode(self, x, c=None, preacts=None):
        """Posterior mean and log-variance, (n, latentDim) each, of rows x (n, inputDim)."""
        n = x.shape[0]
        self.check_condition(c, n)
        h = self.encoder(x.reshape(n, *self.input_shape), c, preacts)
        hc = _cat(h, c if self.head_condition else None)
        return self.mean(hc), self.logvar(hc)

    def decoder_output(self, z, c=None, preacts=None):
        """The decoder's last layer, flat (n, inputDim): logits (Bernoulli) or means (Gaussian)."""
        self.check_condition(c, z.shape[0])
        return self.decoder(z, c, preacts).reshape(z.shape[0], -1)

    def decode(self, z, c=None):
        """Decoder means for codes z (n, latentDim): probabilities for Bernoulli."""
        out = self.decoder_output(z, c)
        return torch.sigmoid(out) if self.likelihood == 'bernoulli' else out

    def reconstruct(self, x, c=None):
        return self.decode(self.encode(x, c)[0], c)

    def output_logvar(self):
        return self.output['logvar'] if hasattr(self, 'output') else self.fixed_logvar

    def reconstruction_sum(self, out, x):
        """The negative log-likelihood of x under the decoder output, summed over rows and values."""
        if self.likelihood == 'bernoulli':
            return F.binary_cross_entropy_with_logits(out, x, reduction='sum')
        lv = self.output_logvar().to(out.dtype)
        return torch.sum(0.5 * ((out - x) ** 2 * torch.exp(-lv) + lv) + HALF_LOG_2PI)

    def forward(self, x, c=None, eps=None, beta=None, preacts=None):
        """Losses per sample of rows x (n, inputDim) with eps (n, latentDim; drawn by torch when None); beta: the model's unless given (KL warm-up)."""
        n = x.shape[0]
        x = x.reshape(n, -1)
        mean, logvar = self.encode(x, c, preacts)
        if eps is None:
            eps = torch.randn_like(mean)
        z = mean + torch.exp(0.5 * logvar) * eps
        recon = self.reconstruction_sum(self.decoder_output(z, c, preacts), x) / n
        kl = 0.5 * torch.sum(torch.exp(logvar) + mean * mean - 1 - logvar) / n
        beta = self.beta if beta is None else beta
        return Losses(recon + beta * kl + self.l2(), recon + kl, recon, kl)

    @torch.no_grad()
    def evaluate(self, x, c=None, seed=None):
        """wavae's evaluate(): mean -ELBO, reconstruction and KL per sample, eps from wavae's generator (the same draws for the same seed)."""
        rng = Rng(derive_seed(self.seed, 0xE7A1) if seed is None else seed)
        eps = rng.normals(x.shape[0], self.latent_dim).to(x.dtype)
        _, loss, recon, kl = self(x, c, eps)
        return {'loss': float(loss), 'reconstruction': float(recon), 'kl': float(kl)}

    @torch.no_grad()
    def sample(self, n, c=None, seed=None):
        """n samples: decode(z ~ N(0, I)), z from wavae's generator (wavae's sample(n, { seed }) draws the same z)."""
        rng = Rng(derive_seed(self.seed, 0x5A3B) if seed is None else seed)
        dtype = next(self.parameters()).dtype
        return self.decode(rng.normals(n, self.latent_dim).to(dtype), c)


class Autoencoder(WavaeModel):
    """wavae's Autoencoder: encoder stack ending in the linear code layer (numbered after the encoder's layers), decoder stack giving logits or means."""

    kind = 'autoencoder'
    KEYS = COMMON_KEYS + ['loss', 'denoise']

    def __init__(self, options):
        super().__init__()
        c = check_common('Autoencoder', options, self.KEYS, [256], 32)
        self._common(c)
        self.loss_kind = options.get('loss', 'mse')
        if self.loss_kind not in ('mse', 'bce'):
            raise WavaeOptionError(f"Autoencoder: loss must be 'mse' or 'bce', got {self.loss_kind!r}")
        self.denoise = options.get('denoise')
        d = self.denoise
        if d is not None and not (isinstance(d, dict) and ((d.get('type') == 'gaussian' and set(d) == {'type', 'std'} and d['std'] > 0)
                                                          or (d.get('type') == 'mask' and set(d) == {'type', 'prob'} and 0 <= d['prob'] < 1))):
            raise WavaeOptionError(f"Autoencoder: denoise must be {{type: 'gaussian', std > 0}} or {{type: 'mask', prob in [0, 1)}}, got {d!r}")
        self.encoder_layers = resolve_stack('encoder', c['encoderSpecs'], c['inputShape'], 'Autoencoder', c['activation'], False, c['conditionDim'])
        h = self.encoder_layers[-1]['output'] if self.encoder_layers else c['inputShape']
        numbered = sum(1 for l in self.encoder_layers if l['name'] is not None)
        cond = 0 if any(l['condition'] for l in self.encoder_layers) else c['conditionDim']
        code = _dense_on('Autoencoder', 'code layer', h, c['latentDim'], f'encoder.{numbered}', cond)
        decoder = decoder_layers('Autoencoder', c, self.encoder_layers)
        self.all_layers = self.encoder_layers + [code] + decoder
        self.encoder = Stack(self.encoder_layers + [code])
        self.decoder = Stack(decoder)

    def config(self):
        """The options as wavae's Autoencoder.config() writes them into a model file."""
        return {**self._architecture_config(), 'latentDim': self.latent_dim, 'loss': self.loss_kind, 'activation': self.activation,
                'weightDecay': self.weight_decay, **({'denoise': self.denoise} if self.denoise else {}), 'seed': self.seed}

    def encode(self, x, c=None, preacts=None):
        """Codes (n, latentDim) of rows x."""
        n = x.shape[0]
        self.check_condition(c, n)
        return self.encoder(x.reshape(n, *self.input_shape), c, preacts)

    def decoder_output(self, z, c=None, preacts=None):
        """The decoder's last layer, flat: logits ('bce') or outputs ('mse')."""
        self.check_condition(c, z.shape[0])
        return self.decoder(z, c, preacts).reshape(z.shape[0], -1)

    def decode(self, z, c=None):
        """Outputs for codes z: probabilities for 'bce'."""
        out = self.decoder_output(z, c)
        return torch.sigmoid(out) if self.loss_kind == 'bce' else out

    def reconstruct(self, x, c=None):
        return self.decode(self.encode(x, c), c)

    def corrupt(self, x):
        """The denoising autoencoder's training input: x with Gaussian noise, or with values zeroed with probability prob (torch's generator)."""
        if not self.denoise:
            return x
        if self.denoise['type'] == 'gaussian':
            return x + self.denoise['std'] * torch.randn_like(x)
        return x * (torch.rand_like(x) >= self.denoise['prob']).to(x.dtype)

    def forward(self, x, c=None, corrupted=None, preacts=None):
        """Losses per sample of rows x; corrupted: the encoder's input when denoising (x itself otherwise)."""
        n = x.shape[0]
        x = x.reshape(n, -1)
        out = self.decoder_output(self.encode(x if corrupted is None else corrupted.reshape(n, -1), c, preacts), c, preacts)
        if self.loss_kind == 'bce':
            recon = F.binary_cross_entropy_with_logits(out, x, reduction='sum') / n
        else:
            recon = torch.sum((out - x) ** 2) / n
        zero = torch.zeros((), dtype=recon.dtype)
        return Losses(recon + self.l2(), recon, recon, zero)

    @torch.no_grad()
    def evaluate(self, x, c=None):
        """wavae's evaluate(): the mean reconstruction loss per sample (no corruption, no L2)."""
        _, loss, recon, _ = self(x, c)
        return {'loss': float(loss), 'reconstruction': float(recon), 'kl': 0.0}


MODEL_KINDS = {'vae': VAE, 'autoencoder': Autoencoder}


def build(kind, options):
    """A model of a registry kind ('vae', 'autoencoder') from wavae options."""
    if kind not in MODEL_KINDS:
        raise WavaeOptionError(f'unknown model kind {kind!r}; wavae knows {", ".join(MODEL_KINDS)}')
    return MODEL_KINDS[kind](options)


# ---- checks with wavae's messages (src/io/model-file.ts: checkTensors) ----------------------------

def check_tensors(expected, shapes):
    """Every expected (name, shape) present with its shape, and nothing else: WavaeFileError as wavae's load says it."""
    for name, shape in expected:
        if name not in shapes:
            raise WavaeFileError(f"load: the file has no tensor '{name}' (expected shape [{', '.join(map(str, shape))}])")
        if list(shapes[name]) != list(shape):
            raise WavaeFileError(f"load: tensor '{name}' has shape [{', '.join(map(str, shapes[name]))}], the architecture needs [{', '.join(map(str, shape))}]")
    names = {name for name, _ in expected}
    for name in shapes:
        if name not in names:
            raise WavaeFileError(f"load: unexpected tensor '{name}' for this architecture")


# ---- safetensors, by hand (the rules of src/io/safetensors.ts, as far as wavae's files need) -----

def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise WavaeFileError(f'safetensors: {k!r} is given twice in the header')
        out[k] = v
    return out


def read_safetensors(source):
    """(tensors {name: float32 tensor}, metadata {str: str}) of a safetensors file (path or bytes); F32 only, tensors must tile the data section."""
    if isinstance(source, (bytes, bytearray)):
        data, name = bytes(source), 'safetensors'
    else:
        with open(source, 'rb') as f:
            data = f.read()
        name = str(source)
    if len(data) < 8:
        raise WavaeFileError(f'{name}: {len(data)} bytes is too short for a header')
    (n,) = struct.unpack('<Q', data[:8])
    if n > MAX_HEADER_SIZE:
        raise WavaeFileError(f'{name}: header length {n} is more than the {MAX_HEADER_SIZE} bytes the format allows (not safetensors, or damaged)')
    if 8 + n > len(data):
        raise WavaeFileError(f'{name}: header length {n} does not fit in a file of {len(data)} bytes (truncated or not safetensors)')
    try:
        header = json.loads(data[8:8 + n].decode('utf-8'), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise WavaeFileError(f'{name}: the header is not valid JSON ({e})') from None
    if not isinstance(header, dict):
        raise WavaeFileError(f'{name}: the header is not a JSON object')
    metadata = header.pop('__metadata__', None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise WavaeFileError(f'{name}: "__metadata__" must map names to strings')
    body = memoryview(data)[8 + n:]
    spans = []
    tensors = {}
    for key, t in header.items():
        if not isinstance(t, dict) or set(t) != {'dtype', 'shape', 'data_offsets'}:
            raise WavaeFileError(f'{name}: tensor {key!r} needs dtype, shape and data_offsets, got {t!r}')
        if t['dtype'] != 'F32':
            raise WavaeFileError(f"{name}: tensor {key!r} has dtype {t['dtype']!r}; wavae reads F32 (convert with tensor.float())")
        shape, offsets = t['shape'], t['data_offsets']
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)
                and isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) and o >= 0 for o in offsets)):
            raise WavaeFileError(f'{name}: tensor {key!r} has an invalid shape or data_offsets')
        begin, end = offsets
        if end - begin != 4 * _size(shape):
            raise WavaeFileError(f'{name}: tensor {key!r} of shape {shape} needs {4 * _size(shape)} bytes, its data_offsets [{begin}, {end}] span {end - begin}')
        spans.append((begin, end, key))
        tensors[key] = (shape, begin, end)
    at = 0
    for begin, end, key in sorted(spans):
        if begin != at:
            raise WavaeFileError(f'{name}: tensor {key!r} starts at byte {begin} of the data, expected {at}: tensors must fill the data section without gaps or overlaps')
        at = end
    if at != len(body):
        raise WavaeFileError(f'{name}: the tensors end at byte {at} of a data section of {len(body)} bytes ({"truncated" if at > len(body) else "bytes after the tensors"})')
    out = {}
    for key, (shape, begin, end) in tensors.items():
        if sys.byteorder == 'little':
            t = torch.frombuffer(bytearray(body[begin:end]), dtype=torch.float32) if end > begin else torch.zeros(0)
        else:
            t = torch.tensor(struct.unpack(f'<{(end - begin) // 4}f', body[begin:end]), dtype=torch.float32)
        out[key] = t.reshape(shape)
    return out, metadata


def _tensor_bytes(t):
    t = t.detach().to(torch.float32).contiguous().cpu().reshape(-1)
    try:
        return t.numpy().astype('<f4').tobytes()
    except (ImportError, RuntimeError):  # torch without numpy
        return struct.pack(f'<{t.numel()}f', *t.tolist())


def encode_safetensors(tensors, metadata):
    """safetensors bytes as wavae writes them: compact JSON header (__metadata__ first, tensors in the given order), padded with spaces so that data starts 8-byte aligned."""
    header = {'__metadata__': metadata}
    chunks, offset = [], 0
    for name, t in tensors.items():
        b = _tensor_bytes(t)
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    head = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
    head += b' ' * ((8 - (8 + len(head)) % 8) % 8)
    return struct.pack('<Q', len(head)) + head + b''.join(chunks)


def write_atomic(path, data):
    """Writes bytes to a temporary file next to path, fsyncs, and renames it into place."""
    tmp = f'{path}.tmp-{os.getpid()}'
    with open(tmp, 'wb') as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def js_json(v):
    """JSON as JavaScript's JSON.stringify writes it (numbers included: 1 not 1.0, 0.00001 not 1e-05), so configs read back the same in wavae."""
    if isinstance(v, dict):
        return '{' + ','.join(json.dumps(str(k), ensure_ascii=False) + ':' + js_json(x) for k, x in v.items()) + '}'
    if isinstance(v, (list, tuple)):
        return '[' + ','.join(js_json(x) for x in v) + ']'
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, int):
        return str(v)
    return js_number(float(v))


def js_number(x):
    """A float as JavaScript's Number.prototype.toString writes it (shortest round-trip digits, JS's exponent rules)."""
    if not math.isfinite(x):
        return 'null'
    if x == 0:
        return '0'
    sign = '-' if x < 0 else ''
    r = repr(abs(x))
    mantissa, _, exp = r.partition('e')
    whole, _, frac = mantissa.partition('.')
    digits = (whole + frac).lstrip('0')
    n = len(whole.lstrip('0')) + (int(exp) if exp else 0)  # the decimal point's position after the first significant digit
    if not whole.lstrip('0'):
        n = -(len(frac) - len(frac.lstrip('0'))) + (int(exp) if exp else 0)
    digits = digits.rstrip('0') or '0'
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + '0' * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + '.' + digits[n:]
    if -6 < n <= 0:
        return sign + '0.' + '0' * (-n) + digits
    e = n - 1
    return sign + digits[0] + ('.' + digits[1:] if k > 1 else '') + 'e' + ('+' if e > 0 else '-') + str(abs(e))


# ---- model files ----------------------------------------------------------------------------------

WAVAE_KEYS = ('format', 'format_version', 'model', 'config', 'epochs_trained', 'optimizer', 'optimizer_step')


def _dense_layers_of(shapes, prefix):
    out = []
    i = 0
    while f'{prefix}.{i}.weight' in shapes and i < 64:
        s = shapes[f'{prefix}.{i}.weight']
        if len(s) != 2:
            raise WavaeFileError(f"load: '{prefix}.{i}.weight' must be 2-D, got [{', '.join(map(str, s))}]")
        out.append((s[1], s[0]))  # (nin, nout)
        i += 1
    return out


def infer_config(shapes):
    """(kind, options) of a plain PyTorch state_dict with no wavae metadata, read off its dense layers as wavae's load() reads them."""
    if 'decoder.0.weight' not in shapes:
        raise WavaeFileError('load: no wavae metadata and no decoder.0.weight: not a wavae model or a state_dict of its architecture')
    decoder = _dense_layers_of(shapes, 'decoder')
    encoder = _dense_layers_of(shapes, 'encoder')

    def condition(latent):
        k = decoder[0][0] - latent
        return {'conditionDim': k} if k > 0 else {}

    if 'mean.weight' in shapes and decoder:
        latent = shapes['mean.weight'][0]
        return 'vae', {'inputDim': decoder[-1][1], 'hiddenDims': [o for _, o in encoder], 'latentDim': latent, **condition(latent),
                       **({'likelihood': 'gaussian'} if 'output.logvar' in shapes else {})}
    if encoder and decoder:
        latent = encoder[-1][1]
        return 'autoencoder', {'inputDim': decoder[-1][1], 'hiddenDims': [o for _, o in encoder[:-1]], 'latentDim': latent, **condition(latent)}
    raise WavaeFileError('load: no encoder layers found')


def load_wavae(path, config=None):
    """A VAE or Autoencoder from a wavae model file (or a safetensors state_dict of its dense architecture), every tensor checked as wavae checks it.

    config: options that replace the file's (or, for a state_dict, those its shapes cannot say: activation, likelihood).
    Optimizer tensors are skipped (the model has torch parameters; train it with a torch optimizer).
    """
    tensors, metadata = read_safetensors(path)
    params = {k: v for k, v in tensors.items() if not k.startswith('optimizer.')}
    shapes = {k: list(v.shape) for k, v in params.items()}
    if metadata.get('format') != 'wavae':
        kind, options = infer_config(shapes)
        options = {**options, **(config or {})}
        version, epochs = 0, 0
    else:
        v = metadata.get('format_version', '')
        if not v.isdigit() or int(v) < 1:
            raise WavaeFileError(f'load: invalid format_version {v!r}')
        version = int(v)
        if version > FORMAT_VERSION:
            raise WavaeFileError(f'load: model file format version {version} is newer than this reads ({FORMAT_VERSION}); upgrade wavae_torch.py')
        try:
            options = json.loads(metadata.get('config', ''))
        except json.JSONDecodeError:
            raise WavaeFileError('load: the metadata "config" is not valid JSON') from None
        if not isinstance(options, dict):
            raise WavaeFileError('load: the metadata "config" is not a JSON object')
        options = {**options, **(config or {})}
        if options.get('conditionDim', 0) and version < 3:
            raise WavaeFileError(f'load: the file says format version {version}, which has no conditionDim (a conditional model is version 3)')
        kind = metadata.get('model')
        if kind not in MODEL_KINDS:
            raise WavaeFileError(f'load: unknown model kind {kind!r}; wavae knows {", ".join(MODEL_KINDS)}')
        e = metadata.get('epochs_trained', '0')
        epochs = int(e) if e.isdigit() else 0
    try:
        model = MODEL_KINDS[kind](options)
    except WavaeOptionError as err:
        if version and not config:
            raise WavaeFileError(f"load: the file's architecture is invalid: {err}") from None
        raise
    check_tensors(model.tensor_specs(), shapes)
    for name, t in params.items():
        bad = torch.nonzero(~torch.isfinite(t.reshape(-1)))
        if len(bad):
            i = int(bad[0])
            v = float(t.reshape(-1)[i])
            raise WavaeFileError(f"load: setParameters: '{name}'[{i}] is {'NaN' if v != v else 'Infinity' if v > 0 else '-Infinity'}")
    model.load_state_dict({k: params[k] for k in model.state_dict()})
    model.epochs_trained = epochs
    model.metadata = {k: v for k, v in metadata.items() if k not in WAVAE_KEYS}
    return model


def wavae_bytes(model, metadata=None, epochs_trained=None):
    """The model file's bytes: wavae's tensors in wavae's layout order and its metadata (format, format_version, model, config, epochs_trained)."""
    sd = model.state_dict()
    specs = model.tensor_specs()
    check_tensors(specs, {k: list(v.shape) for k, v in sd.items()})
    for name, _ in specs:
        if not torch.isfinite(sd[name]).all():
            raise WavaeOptionError(f"save_wavae: '{name}' holds a NaN or an infinity (training diverged?)")
    meta = {**model.metadata, **(metadata or {})}
    for k, v in meta.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise WavaeOptionError(f'save_wavae: metadata {k!r} must be a string, got {type(v).__name__}')
    meta.update({
        'format': 'wavae', 'format_version': str(model.format_version), 'model': model.kind, 'config': js_json(model.config()),
        'epochs_trained': str(model.epochs_trained if epochs_trained is None else epochs_trained),
    })
    return encode_safetensors({name: sd[name] for name, _ in specs}, meta)


def save_wavae(model, path, metadata=None, epochs_trained=None):
    """Writes a model file wavae loads (wv.loadFile, npx wavae ...), atomically; metadata: extra string entries (the CLI's scaling, image_shape)."""
    write_atomic(path, wavae_bytes(model, metadata, epochs_trained))
