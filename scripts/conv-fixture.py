# Writes test/fixtures/torch-conv-vae.json: small convolutional VAEs built in PyTorch (Conv2d,
# Linear, ConvTranspose2d) from wavae layer specs, with their loss and every parameter gradient
# from autograd, for test/torch-conv.test.ts to check wavae's conv VAEs against. Not run by the
# tests; run it by hand (Debian's python3-torch is enough) when an architecture is added, and
# commit the JSON:
#
#   /usr/bin/python3 scripts/conv-fixture.py
#
# The model is wavae's VAE written with torch modules: interop/pytorch/wavae_torch.py (VAE, Stack)
# says how it is built and what its loss is.
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

import torch

from torch_wavae import VAE, check_state_dict, min_abs_preactivation, parameters_and_grads, same_decoder, write_cases

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

def build(arch):
    options = arch['options']
    decoder_specs = options.get('decoder', arch.get('decoderMirror'))
    torch.manual_seed(arch['seed'])
    model = VAE(options)  # float32: PyTorch's default initialisation; the decoder: the options' or wavae's mirror
    same_decoder(model, decoder_specs)
    D = 1
    for d in options['inputShape']:
        D *= d
    x32 = torch.rand(N, D, dtype=torch.float32)
    eps32 = torch.randn(N, options['latentDim'], dtype=torch.float32)
    model = model.double()  # exact: every float32 is a float64
    x, eps = x32.double(), eps32.double()
    sd = check_state_dict(model, VAE(options).double())

    preacts = []
    loss, _, recon, kl = model(x, eps=eps, preacts=preacts)
    model.zero_grad()
    loss.backward()
    min_preact = min_abs_preactivation(arch['name'], preacts)
    tensors, values, grads = parameters_and_grads(model, sd)
    return {
        'name': arch['name'],
        'options': options,
        **({'decoderMirror': arch['decoderMirror']} if 'decoderMirror' in arch else {}),
        'layers': {'encoder': model.encoder.layers('encoder'), 'decoder': model.decoder.layers('decoder')},
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
    write_cases('conv-fixture.py', 'float64 (parameters, x and eps drawn in float32)', [build(a) for a in ARCHITECTURES], 'torch-conv-vae.json')


if __name__ == '__main__':
    main()
