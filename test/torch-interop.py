# The PyTorch side of test/torch-interop.test.ts (not a test itself): runs what the test asks
# of interop/pytorch/wavae_torch.py and writes the answers as JSON.
#
#   python3 test/torch-interop.py check REQUEST.json ANSWER.json   # load wavae's files, compute in float64
#   python3 test/torch-interop.py train REQUEST.json ANSWER.json   # train in PyTorch (float32), save_wavae, then as check
#   python3 test/torch-interop.py bad   REQUEST.json ANSWER.json   # write broken files, report PyTorch's errors on them
#
# check computes in float64 on the file's float32 parameters (model.double()), so the answers are
# the exact-arithmetic values for wavae's own parameters and inputs: what wavae computes in
# float32 differs from them by its rounding only.
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'interop', 'pytorch'))
import wavae_torch as wt  # noqa: E402


def rows(values, cols):
    """A (n, cols) float64 tensor of float32 values given as a flat list (None stays None)."""
    if values is None:
        return None
    return torch.tensor(values, dtype=torch.float32).reshape(-1, cols).double()


def flat(t):
    return t.detach().reshape(-1).tolist()


def answers(path, case):
    """Everything the test compares, from the model file at path, in float64."""
    model = wt.load_wavae(path)
    identical = wt.wavae_bytes(model) == open(path, 'rb').read()
    model = model.double()
    vae = isinstance(model, wt.VAE)
    x = rows(case['x'], model.input_dim)
    c = rows(case.get('c'), model.condition_dim) if model.condition_dim else None
    z = rows(case['z'], model.latent_dim)
    zc = rows(case.get('zc'), model.condition_dim) if model.condition_dim else None
    out = {'kind': model.kind, 'config': model.config(), 'epochsTrained': model.epochs_trained, 'metadata': model.metadata, 'resavedIdentical': identical}
    with torch.no_grad():
        out['decode'] = flat(model.decode(z, zc))
        if vae:
            mean, logvar = model.encode(x, c)
            out['mean'], out['logVar'] = flat(mean), flat(logvar)
            out['evaluate'] = model.evaluate(x, c)
            out['sample'] = flat(model.sample(case['sampleN'], zc[:case['sampleN']] if zc is not None else None, seed=case['sampleSeed']))
        else:
            out['codes'] = flat(model.encode(x, c))
            out['evaluate'] = model.evaluate(x, c)
    model.zero_grad()
    losses = model(x, c, rows(case['eps'], model.latent_dim)) if vae else model(x, c)
    losses.objective.backward()
    out['objective'], out['loss'], out['reconstruction'], out['kl'] = (float(v) for v in losses)
    out['grads'] = {name: flat(p.grad) for name, p in model.named_parameters()}
    return out


def train(case, directory):
    """A model built from wavae options, trained in PyTorch (float32, Adam) on the case's rows, saved with save_wavae."""
    torch.manual_seed(case['seed'])
    model = wt.build(case['kind'], case['options'])
    x = torch.tensor(case['x'], dtype=torch.float32).reshape(-1, model.input_dim)
    c = torch.tensor(case['c'], dtype=torch.float32).reshape(-1, model.condition_dim) if model.condition_dim else None
    opt = torch.optim.Adam(model.parameters(), lr=case['lr'])
    first = None
    for _ in range(case['steps']):
        opt.zero_grad()
        losses = model(x, c)
        losses.objective.backward()
        opt.step()
        first = float(losses.objective) if first is None else first
    model.epochs_trained = case['steps']
    path = os.path.join(directory, case['name'] + '.safetensors')
    wt.save_wavae(model, path, metadata={'trained_by': 'torch'})
    return path, {'firstObjective': first, 'lastObjective': float(losses.objective)}


def error_of(fn):
    try:
        fn()
    except (wt.WavaeFileError, wt.WavaeOptionError) as e:
        return {'type': type(e).__name__, 'message': str(e)}
    return None


def bad_files(request):
    """Broken variants of a good file: written here, PyTorch's error on each, for the test to compare with wavae's."""
    d = request['dir']
    tensors, metadata = wt.read_safetensors(request['file'])
    out = {}

    def write(name, ts, meta):
        path = os.path.join(d, name + '.safetensors')
        with open(path, 'wb') as f:
            f.write(wt.encode_safetensors(ts, meta))
        out[name] = {'file': path, 'torch': error_of(lambda: wt.load_wavae(path))}

    write('missing', {k: v for k, v in tensors.items() if k != 'decoder.1.bias'}, metadata)
    write('shape', {k: (torch.zeros(v.shape[0], v.shape[1] + 1) if k == 'mean.weight' else v) for k, v in tensors.items()}, metadata)
    write('extra', {**tensors, 'decoder.9.weight': torch.zeros(2, 2)}, metadata)
    write('newer', tensors, {**metadata, 'format_version': '99'})
    write('kind', tensors, {**metadata, 'model': 'gan'})
    write('nan', {k: (torch.full(v.shape, float('nan')) if k == 'logvar.bias' else v) for k, v in tensors.items()}, metadata)
    # float64 tensors (a state_dict saved without .float()): the header says F64
    f64 = wt.encode_safetensors(tensors, metadata)
    n = struct.unpack('<Q', f64[:8])[0]
    header = json.loads(f64[8:8 + n])
    at, body = 0, b''
    for k in [k for k in header if k != '__metadata__']:
        values = tensors[k].double().reshape(-1).tolist()
        header[k] = {'dtype': 'F64', 'shape': header[k]['shape'], 'data_offsets': [at, at + 8 * len(values)]}
        body += struct.pack(f'<{len(values)}d', *values)
        at += 8 * len(values)
    head = json.dumps(header, separators=(',', ':')).encode()
    head += b' ' * ((8 - (8 + len(head)) % 8) % 8)
    path = os.path.join(d, 'f64.safetensors')
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(head)) + head + body)
    out['f64'] = {'file': path, 'torch': error_of(lambda: wt.load_wavae(path))}

    # a plain state_dict (torch's order, no metadata) of the model loads on both sides, read off its shapes
    model = wt.load_wavae(request['file'])
    path = os.path.join(d, 'plain.safetensors')
    with open(path, 'wb') as f:
        f.write(wt.encode_safetensors(model.state_dict(), {}))
    plain = wt.load_wavae(path).double()
    z = rows(request['z'], model.latent_dim)
    with torch.no_grad():
        out['plain'] = {'file': path, 'config': plain.config(), 'decode': flat(plain.decode(z))}

    # a state_dict into a built model, and a model whose tensor no longer fits, saved
    sd = model.state_dict()
    out['stateDictMissing'] = error_of(lambda: model.load_state_dict({k: v for k, v in sd.items() if k != 'decoder.1.bias'}))
    out['stateDictShape'] = error_of(lambda: model.load_state_dict({**sd, 'mean.weight': torch.zeros(1, 1)}))
    model.mean.weight = torch.nn.Parameter(torch.zeros(model.latent_dim, 3))
    out['saveShape'] = error_of(lambda: wt.save_wavae(model, os.path.join(d, 'never.safetensors')))
    out['saveShapeWrote'] = os.path.exists(os.path.join(d, 'never.safetensors'))
    out['badOption'] = error_of(lambda: wt.VAE({'inputDim': 4, 'hiddenDims': [3], 'latentDims': 2}))
    return out


def main():
    torch.set_num_threads(1)
    command, request_path, answer_path = sys.argv[1:4]
    with open(request_path) as f:
        request = json.load(f)
    if command == 'check':
        answer = {case['name']: answers(case['file'], case) for case in request['cases']}
    elif command == 'train':
        answer = {}
        for case in request['cases']:
            path, trained = train(case, request['dir'])
            answer[case['name']] = {'file': path, **trained, **answers(path, case)}
    elif command == 'bad':
        answer = bad_files(request)
    else:
        raise SystemExit(f'unknown command {command!r}')
    with open(answer_path, 'w') as f:
        json.dump(answer, f)


if __name__ == '__main__':
    main()
