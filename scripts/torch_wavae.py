# The fixture scripts' side of PyTorch (conv-fixture.py, conditional-fixture.py): wavae's VAE and
# Autoencoder come from interop/pytorch/wavae_torch.py, the one restatement of wavae's models in
# PyTorch (how they are built and what their losses are is written there); here are what the
# fixtures add: the naming check of the state_dict, parameters and gradients as lists, the check
# that no pre-activation sits on a ReLU kink, and the JSON writer. A fixture helper: nothing here
# trains.
import json
import os
import re
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'interop', 'pytorch'))
from wavae_torch import VAE, Autoencoder, resolve_stack  # noqa: E402


def input_shape(options):
    """A model's input shape from its options: inputShape, or [inputDim]."""
    return list(options['inputShape']) if 'inputShape' in options else [options['inputDim']]


def encoder_specs(options):
    """The encoder's layer specs as given: options['encoder'], or one dense layer per entry of hiddenDims (on flat rows)."""
    if 'encoder' in options:
        return options['encoder']
    assert len(input_shape(options)) == 1, 'hiddenDims on images: add the flatten here'
    return [{'type': 'dense', 'units': u} for u in options['hiddenDims']]


def same_decoder(model, decoder_specs):
    """The decoder wavae_torch built (its mirror of the encoder, or the options' own) resolves as decoder_specs (a fixture's decoderMirror) do."""
    want = resolve_stack('decoder', decoder_specs, [model.latent_dim], 'fixture', model.activation, True, model.condition_dim)
    assert [l['spec'] for l in model.decoder.resolved] == [l['spec'] for l in want], (model.decoder.resolved, want)


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
