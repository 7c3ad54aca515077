# Writes test/fixtures/torch-optim.json: what torch.optim (SGD, Adam, AdamW, RMSprop, float32,
# foreach=False) does to two small parameter tensors, for each optimizer config that
# test/optimizers.test.ts checks wavae's optimizers with. Not run by the tests; run it by hand
# (Debian's python3-torch is enough) when a config is added, and commit the JSON:
#
#   /usr/bin/python3 scripts/optim-fixture.py
#
# Inputs are formulas of small integers (exact in Python and JavaScript alike, no RNG): two tensors
# of 7 and 23 elements, taken as one flat vector of 30 in wavae; a new gradient on every step.
# Recorded: the hyperparameters torch ran with (its param_groups, defaults filled in), the inputs,
# and the parameters after steps 1, 2 and 10.
import json
import os
import re

import torch

SIZES = [7, 23]
STEPS = 10
RECORD = [1, 2, 10]

# (name, wavae optimizer config, torch class and the arguments it gets). A config that leaves
# keys out gets torch's own defaults for them, which is how the defaults are checked.
CASES = [
    ('sgd', {'type': 'sgd', 'lr': 0.1}, 'SGD', {'lr': 0.1}),
    ('sgd, weight decay', {'type': 'sgd', 'lr': 0.05, 'weightDecay': 0.1}, 'SGD', {'lr': 0.05, 'weight_decay': 0.1}),
    ('sgd, momentum', {'type': 'sgd', 'lr': 0.05, 'momentum': 0.9}, 'SGD', {'lr': 0.05, 'momentum': 0.9}),
    ('sgd, momentum and weight decay', {'type': 'sgd', 'lr': 0.02, 'momentum': 0.8, 'weightDecay': 0.01},
     'SGD', {'lr': 0.02, 'momentum': 0.8, 'weight_decay': 0.01}),
    ('sgd, nesterov', {'type': 'sgd', 'lr': 0.05, 'momentum': 0.9, 'nesterov': True},
     'SGD', {'lr': 0.05, 'momentum': 0.9, 'nesterov': True}),
    ('sgd, nesterov and weight decay', {'type': 'sgd', 'lr': 0.03, 'momentum': 0.7, 'nesterov': True, 'weightDecay': 0.05},
     'SGD', {'lr': 0.03, 'momentum': 0.7, 'nesterov': True, 'weight_decay': 0.05}),
    ('adam, defaults', {'type': 'adam'}, 'Adam', {}),
    ('adam', {'type': 'adam', 'lr': 0.01}, 'Adam', {'lr': 0.01}),
    ('adam, L2 weight decay and a large eps', {'type': 'adam', 'lr': 0.005, 'beta1': 0.8, 'beta2': 0.99, 'eps': 1e-3, 'weightDecay': 0.1},
     'Adam', {'lr': 0.005, 'betas': (0.8, 0.99), 'eps': 1e-3, 'weight_decay': 0.1}),
    ('adamw, defaults', {'type': 'adamw'}, 'AdamW', {}),
    ('adamw', {'type': 'adamw', 'lr': 0.01, 'beta1': 0.5, 'beta2': 0.9, 'eps': 1e-6, 'weightDecay': 0.5},
     'AdamW', {'lr': 0.01, 'betas': (0.5, 0.9), 'eps': 1e-6, 'weight_decay': 0.5}),
    ('rmsprop, defaults', {'type': 'rmsprop'}, 'RMSprop', {}),
    ('rmsprop, weight decay', {'type': 'rmsprop', 'lr': 0.001, 'alpha': 0.9, 'eps': 1e-4, 'weightDecay': 0.1},
     'RMSprop', {'lr': 0.001, 'alpha': 0.9, 'eps': 1e-4, 'weight_decay': 0.1}),
    ('rmsprop, momentum', {'type': 'rmsprop', 'lr': 0.001, 'momentum': 0.9}, 'RMSprop', {'lr': 0.001, 'momentum': 0.9}),
    ('rmsprop, centered', {'type': 'rmsprop', 'lr': 0.001, 'alpha': 0.95, 'centered': True},
     'RMSprop', {'lr': 0.001, 'alpha': 0.95, 'centered': True}),
    ('rmsprop, centered with momentum and weight decay',
     {'type': 'rmsprop', 'lr': 0.005, 'alpha': 0.9, 'eps': 1e-6, 'weightDecay': 0.05, 'momentum': 0.5, 'centered': True},
     'RMSprop', {'lr': 0.005, 'alpha': 0.9, 'eps': 1e-6, 'weight_decay': 0.05, 'momentum': 0.5, 'centered': True}),
]


def param0(i):
    """Initial value of flat element i (the same formula is in test/optimizers.test.ts)."""
    return ((i * 37 + 11) % 101 - 50) / 40


def grad(t, i):
    """Gradient of flat element i on step t (1-based); the second tensor's are 64x smaller."""
    return ((i * 53 + t * 29 + 7) % 97 - 48) / (32 if i < SIZES[0] else 2048)


def flat_ranges():
    start = 0
    for n in SIZES:
        yield range(start, start + n)
        start += n


def run(cls, kwargs):
    params = [torch.tensor([param0(i) for i in r], dtype=torch.float32, requires_grad=True) for r in flat_ranges()]
    opt = getattr(torch.optim, cls)(params, foreach=False, **kwargs)
    group = {k: v for k, v in opt.param_groups[0].items() if k != 'params'}
    recorded = {}
    for t in range(1, STEPS + 1):
        for p, r in zip(params, flat_ranges()):
            p.grad = torch.tensor([grad(t, i) for i in r], dtype=torch.float32)
        opt.step()
        if t in RECORD:
            recorded[str(t)] = [x for p in params for x in p.detach().tolist()]
    return group, recorded


def torch_hyperparameters(cls, group):
    """The hyperparameters torch ran with, in wavae's names (betas split into beta1, beta2)."""
    if cls == 'SGD':
        assert group['dampening'] == 0 and not group['maximize']
        return {'lr': group['lr'], 'momentum': group['momentum'], 'nesterov': group['nesterov'], 'weightDecay': group['weight_decay']}
    if cls in ('Adam', 'AdamW'):
        assert not group['amsgrad'] and not group['maximize']
        return {'lr': group['lr'], 'beta1': group['betas'][0], 'beta2': group['betas'][1], 'eps': group['eps'],
                'weightDecay': group['weight_decay']}
    assert not group['maximize']
    return {'lr': group['lr'], 'alpha': group['alpha'], 'eps': group['eps'], 'weightDecay': group['weight_decay'],
            'momentum': group['momentum'], 'centered': group['centered']}


def main():
    torch.set_num_threads(1)
    n = sum(SIZES)
    cases = []
    for name, config, cls, kwargs in CASES:
        group, recorded = run(cls, kwargs)
        cases.append({'name': name, 'config': config, 'torch': {'optimizer': cls, **torch_hyperparameters(cls, group)},
                      'params': recorded})
    fixture = {
        'generator': 'scripts/optim-fixture.py (generated, do not edit)',
        'torch': torch.__version__,
        'dtype': 'float32',
        'sizes': SIZES,
        'param0': [float(torch.tensor(param0(i), dtype=torch.float32)) for i in range(n)],
        'grads': [[float(torch.tensor(grad(t, i), dtype=torch.float32)) for i in range(n)] for t in range(1, STEPS + 1)],
        'cases': cases,
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'torch-optim.json')
    text = json.dumps(fixture, indent=1)
    # one line per list of numbers (floats print as the shortest decimal that reads back exactly)
    text = re.sub(r'\[\s+([^\[\]{}]*?)\s+\]', lambda m: '[' + ' '.join(m.group(1).split()) + ']', text)
    with open(out, 'w') as f:
        f.write(text + '\n')
    print(f'wrote {os.path.normpath(out)}: {len(cases)} cases, torch {torch.__version__}')


if __name__ == '__main__':
    main()
