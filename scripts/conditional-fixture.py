# Writes test/fixtures/torch-conditional.json: small conditional VAEs and autoencoders (dense and
# conv) built in PyTorch from wavae layer specs, with their loss and every parameter gradient from
# autograd, for test/torch-conditional.test.ts to check wavae's conditional models against. Not
# run by the tests; run it by hand (Debian's python3-torch is enough) when a case is added, and
# commit the JSON:
#
#   /usr/bin/python3 scripts/conditional-fixture.py
#
# The models are wavae's VAE and Autoencoder written with torch modules (interop/pytorch/wavae_torch.py
# says how they are built and what their losses are). The condition c (n, C) joins as
# nn.Linear(in + C, out) on torch.cat([h, c], 1), the weight's input columns h's then c's: at
# the encoder's first dense layer (after a conv encoder's flatten), or at the heads mean and
# logvar (the code layer of an autoencoder) when the encoder has no dense layer, and at the
# decoder's first layer, on [z, c]. c is real-valued features in [-1, 1), not one-hot, so that
# every column of the condition's weights gets a gradient of its own.
#
# Precision: the parameters, x, c and eps are drawn in float32 (torch.manual_seed, PyTorch's
# default initialisation, torch.rand, torch.randn), since wavae holds float32; the module is then
# cast to float64 and everything after that (forward, loss, autograd) runs in float64, so the
# test's differences are wavae's float32 rounding alone. Every number is written as the shortest
# decimal that reads back to the same float64 (the float32 inputs read back exactly).
#
# ReLU kinks: the smallest |pre-activation| of each case is recorded and asserted away from 0
# (> 1e-5, well above float32 rounding of these sums; change the seed if a case ever fails it).

import torch

from torch_wavae import (
    VAE, Autoencoder, check_state_dict, encoder_specs, input_shape, min_abs_preactivation, parameters_and_grads, same_decoder, write_cases,
)

N = 4  # rows

# The cases: kind, wavae options, and the decoder PyTorch builds when the options give none
# (wavae's mirror of the encoder, written out as decoderMirror and checked against wavae's by the test).
CASES = [
    {
        'name': 'dense VAE 12-8-3, condition 4: encoder.0 takes [x, c], decoder.0 [z, c]',
        'kind': 'vae',
        'seed': 11,
        'options': {'inputDim': 12, 'hiddenDims': [8], 'latentDim': 3, 'conditionDim': 4, 'activation': 'relu', 'beta': 1},
        'decoderMirror': [{'type': 'dense', 'units': 8}, {'type': 'dense', 'units': 12}],
    },
    {
        'name': 'conv VAE 2x8x8, condition 3: c joins after the flatten at the dense layer, mirrored decoder (outputPadding [1, 1]), beta 0.5',
        'kind': 'vae',
        'seed': 12,
        'options': {
            'inputShape': [2, 8, 8], 'latentDim': 3, 'conditionDim': 3, 'activation': 'relu', 'beta': 0.5,
            'encoder': [
                {'type': 'conv2d', 'filters': 4, 'kernelSize': 3, 'stride': 2, 'padding': 1},
                {'type': 'flatten'},
                {'type': 'dense', 'units': 6},
            ],
        },
        # 8x8 -> 4x4; back: (4 - 1) * 2 - 2 + 3 = 7, so outputPadding 1 in both
        'decoderMirror': [
            {'type': 'dense', 'units': 6},
            {'type': 'dense', 'units': 64},
            {'type': 'reshape', 'shape': [4, 4, 4]},
            {'type': 'conv2dTranspose', 'filters': 2, 'kernelSize': 3, 'stride': 2, 'padding': 1, 'outputPadding': [1, 1]},
        ],
    },
    {
        'name': 'conv VAE 1x9x9 without a dense layer, condition 5: the heads take [h, c]; explicit decoder, leaky_relu',
        'kind': 'vae',
        'seed': 13,
        'options': {
            'inputShape': [1, 9, 9], 'latentDim': 2, 'conditionDim': 5, 'activation': 'leaky_relu', 'beta': 1,
            'encoder': [
                {'type': 'conv2d', 'filters': 3, 'kernelSize': 3, 'stride': 2, 'padding': 0},
                {'type': 'flatten'},
            ],
            'decoder': [
                {'type': 'dense', 'units': 48, 'activation': 'sigmoid'},
                {'type': 'reshape', 'shape': [3, 4, 4]},
                {'type': 'conv2dTranspose', 'filters': 1, 'kernelSize': 3, 'stride': 2, 'padding': 0},
            ],
        },
    },
    {
        'name': "dense Autoencoder 10-6-5-3 ('mse', tanh, weightDecay 0.01), condition 2",
        'kind': 'autoencoder',
        'seed': 14,
        'options': {'inputDim': 10, 'hiddenDims': [6, 5], 'latentDim': 3, 'conditionDim': 2, 'activation': 'tanh', 'loss': 'mse', 'weightDecay': 0.01},
        'decoderMirror': [{'type': 'dense', 'units': 5}, {'type': 'dense', 'units': 6}, {'type': 'dense', 'units': 10}],
    },
    {
        'name': "conv Autoencoder 1x6x6 ('bce') without a dense layer, condition 3: the code layer takes [h, c]",
        'kind': 'autoencoder',
        'seed': 15,
        'options': {
            'inputShape': [1, 6, 6], 'latentDim': 3, 'conditionDim': 3, 'activation': 'relu', 'loss': 'bce',
            'encoder': [
                {'type': 'conv2d', 'filters': 2, 'kernelSize': 4, 'stride': 2, 'padding': 1},
                {'type': 'flatten'},
            ],
        },
        # 6x6 -> 3x3; back: (3 - 1) * 2 - 2 + 4 = 6
        'decoderMirror': [
            {'type': 'dense', 'units': 18},
            {'type': 'reshape', 'shape': [2, 3, 3]},
            {'type': 'conv2dTranspose', 'filters': 1, 'kernelSize': 4, 'stride': 2, 'padding': 1},
        ],
    },
]


def build(case):
    options = case['options']
    decoder_specs = options.get('decoder', case.get('decoderMirror'))
    vae = case['kind'] == 'vae'
    Model = VAE if vae else Autoencoder
    torch.manual_seed(case['seed'])
    model = Model(options)  # float32: PyTorch's default initialisation; the decoder: the options' or wavae's mirror
    same_decoder(model, decoder_specs)
    D = 1
    for d in input_shape(options):
        D *= d
    C = options['conditionDim']
    x32 = torch.rand(N, D, dtype=torch.float32)
    c32 = 2 * torch.rand(N, C, dtype=torch.float32) - 1  # real features in [-1, 1), exact in float32
    eps32 = torch.randn(N, options['latentDim'], dtype=torch.float32) if vae else None
    model = model.double()  # exact: every float32 is a float64
    x, c = x32.double(), c32.double()
    sd = check_state_dict(model, Model(options).double())

    preacts = []
    if vae:
        eps = eps32.double()
        loss, _, recon, kl = model(x, c, eps, preacts=preacts)
    else:
        loss, _, recon, _ = model(x, c, preacts=preacts)
    model.zero_grad()
    loss.backward()
    min_preact = min_abs_preactivation(case['name'], preacts)
    tensors, values, grads = parameters_and_grads(model, sd)
    taken = [l for l in model.encoder.layers('encoder') + model.decoder.layers('decoder') + (model.heads() if vae else []) if 'condition' in l]
    assert len(taken) == (3 if vae and not model.encoder.takes_condition else 2) and all(l['condition'] == C for l in taken), taken
    return {
        'name': case['name'],
        'kind': case['kind'],
        'options': options,
        # the specs PyTorch built: the encoder's (an autoencoder's with its code layer last), the decoder's
        'built': {'encoder': encoder_specs(options) + ([] if vae else [{'type': 'dense', 'units': options['latentDim'], 'activation': 'identity'}]), 'decoder': decoder_specs},
        'layers': {
            'encoder': model.encoder.layers('encoder'),
            **({'heads': model.heads()} if vae else {}),
            'decoder': model.decoder.layers('decoder'),
        },
        'tensors': tensors,
        'n': N,
        'minAbsPreactivation': min_preact,
        'params': values,
        'x': x.reshape(-1).tolist(),
        'condition': c.reshape(-1).tolist(),
        **({'eps': eps.reshape(-1).tolist()} if vae else {}),
        'loss': float(loss),
        'reconstruction': float(recon),
        **({'kl': float(kl)} if vae else {}),
        'grads': grads,
    }


def main():
    torch.set_num_threads(1)
    write_cases('conditional-fixture.py', 'float64 (parameters, x, condition and eps drawn in float32)', [build(c) for c in CASES], 'torch-conditional.json')


if __name__ == '__main__':
    main()
