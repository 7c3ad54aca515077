# Trains a wavae architecture on more than one process (or machine) with PyTorch's
# DistributedDataParallel (gloo, CPU), and writes a wavae model file: when one machine is not
# enough, train here, then evaluate, sample and serve with wavae (Node or the browser).
#
#   torchrun --nproc_per_node 4 interop/pytorch/train_ddp.py --data train-images-idx3-ubyte.gz --out model.safetensors
#   npx wavae eval --model model.safetensors --data t10k-images-idx3-ubyte.gz
#
# (python3 -m torch.distributed.run where there is no torchrun.) Data: the files wavae's CLI
# reads (wavae_data.py), scaled as the CLI scales them and recorded in the file the same way.
# The model: wavae's options (--model, --arch dense|conv|FILE.json, --hidden, --latent, ...), or
# --init FILE to go on training a wavae model file. --batch-size is the global batch, split
# evenly over the processes (DistributedSampler); DDP averages the gradients, so a step is the
# step of one process on the whole batch. Rank 0 prints one JSON line per epoch and a summary
# (with the final evaluate() on the training rows, drawn from wavae's generator as `wavae eval`
# draws, and the largest difference between the processes' parameters), and writes the file.
import argparse
import copy
import json
import os
import sys
import time

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wavae_torch as wt  # noqa: E402
from wavae_data import apply_scaling, cli_metadata, fit_scaling, read_data  # noqa: E402

# src/models/recipes.ts: CONV_RECIPE's encoder (its decoder is wavae's mirror)
CONV_ENCODER = [{'type': 'conv2d', 'filters': 32, 'kernelSize': 4, 'stride': 2, 'padding': 1},
                {'type': 'conv2d', 'filters': 64, 'kernelSize': 4, 'stride': 2, 'padding': 1},
                {'type': 'flatten'}, {'type': 'dense', 'units': 256}]


def arguments():
    p = argparse.ArgumentParser(description='Train a wavae model with PyTorch DDP (launch with torchrun --nproc_per_node N).')
    p.add_argument('--data', required=True, help='IDX (.gz), .csv, .json or .npy, as the wavae CLI reads them')
    p.add_argument('--out', required=True, help='the wavae model file to write (.safetensors)')
    p.add_argument('--limit', type=int, help='use the first N rows')
    p.add_argument('--label-column', help='CSV: a column to leave out (and use as labels)')
    p.add_argument('--labels', help='labels file (IDX, .npy or .csv), one per row')
    p.add_argument('--condition', choices=['labels'], help='a conditional model on the one-hot labels')
    p.add_argument('--classes', type=int, help='the class count (default: the largest label + 1)')
    p.add_argument('--scale', choices=['none', 'divide255', 'minmax', 'standardize'], help='input scaling (default: divide255 for byte data, else none)')
    p.add_argument('--init', help='go on training this wavae model file (its architecture and scaling)')
    p.add_argument('--model', choices=['vae', 'ae'], default='vae')
    p.add_argument('--arch', default='dense', help="dense, conv (wavae's conv recipe) or a JSON file { encoder, decoder? }")
    p.add_argument('--hidden', default='400', help='dense hidden sizes, comma separated')
    p.add_argument('--latent', type=int, default=20)
    p.add_argument('--likelihood', choices=['bernoulli', 'gaussian'], default='bernoulli')
    p.add_argument('--loss', choices=['mse', 'bce'], default='mse', help='autoencoder loss')
    p.add_argument('--activation', default='relu')
    p.add_argument('--beta', type=float, default=1.0)
    p.add_argument('--kl-warmup', type=float, default=0.0, help='epochs of linear KL warm-up')
    p.add_argument('--weight-decay', type=float, default=0.0, help="wavae's L2 term 0.5 wd ||W||^2, in the loss")
    p.add_argument('--epochs', type=int, default=10)
    p.add_argument('--batch-size', type=int, default=128, help='the global batch, split over the processes')
    p.add_argument('--lr', type=float, default=1e-3, help='Adam learning rate')
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--threads', type=int, default=1, help='intra-op threads per process')
    return p.parse_args()


def options_of(args, dim, image, classes):
    """wavae options for the arguments and the data."""
    common = {'latentDim': args.latent, 'activation': args.activation, 'weightDecay': args.weight_decay, 'seed': args.seed}
    if classes:
        common['conditionDim'] = classes
    if args.arch == 'dense':
        arch = {'inputDim': dim, 'hiddenDims': [int(h) for h in args.hidden.split(',') if h]}
    else:
        if not image:
            raise SystemExit(f'--arch {args.arch} needs image data (IDX or .npy of (n, h, w) or (n, c, h, w))')
        if args.arch == 'conv':
            arch = {'inputShape': image, 'encoder': CONV_ENCODER}
        else:
            with open(args.arch) as f:
                spec = json.load(f)
            arch = {'inputShape': image, 'encoder': spec['encoder'], **({'decoder': spec['decoder']} if 'decoder' in spec else {})}
    if args.model == 'vae':
        return 'vae', {**arch, **common, 'likelihood': args.likelihood, 'beta': args.beta, 'klWarmupEpochs': args.kl_warmup}
    return 'autoencoder', {**arch, **common, 'loss': args.loss}


def main():
    args = arguments()
    dist.init_process_group('gloo')
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.set_num_threads(args.threads)
    say = (lambda line: print(json.dumps(line), flush=True)) if rank == 0 else (lambda line: None)

    raw, labels, image = read_data(args.data, args.label_column, args.labels, args.limit)
    if args.init:
        model = wt.load_wavae(args.init)
        scaling = json.loads(model.metadata.get('scaling', '{"type": "none"}'))
        classes = model.condition_dim or None
    else:
        scaling = fit_scaling(args.scale, raw)
        classes = None
        if args.condition:
            if labels is None:
                raise SystemExit(f'--condition labels: {args.data} has no labels (--labels FILE, --label-column, or the IDX labels file next to it)')
            classes = args.classes or int(labels.max()) + 1
    x = apply_scaling(scaling, raw)
    c = None
    if classes:
        if labels is None or bool((labels < 0).any()) or int(labels.max()) >= classes or not bool((labels == labels.round()).all()):
            raise SystemExit(f'the labels must be integers in [0, {classes})')
        c = torch.nn.functional.one_hot(labels.long(), classes).to(torch.float32)
    if not args.init:
        kind, options = options_of(args, x.shape[1], image, classes)
        torch.manual_seed(args.seed)
        model = wt.build(kind, options)
        model.metadata = cli_metadata(scaling, image, args.data, classes)
    if x.shape[1] != model.input_dim:
        raise SystemExit(f'{args.data}: rows of {x.shape[1]} values, the model takes {model.input_dim}')

    ddp = DistributedDataParallel(model)
    data = TensorDataset(x, c) if c is not None else TensorDataset(x)
    sampler = DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    loader = DataLoader(data, batch_size=max(1, args.batch_size // world), sampler=sampler)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    vae = isinstance(model, wt.VAE)
    say({'event': 'start', 'world': world, 'rows': len(x), 'model': model.kind, 'config': model.config(), 'batchPerProcess': loader.batch_size})
    started = time.time()
    first_epoch = model.epochs_trained
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        totals = torch.zeros(4, dtype=torch.float64)  # rows, loss, reconstruction, kl (sums over this process's rows)
        for step, batch in enumerate(loader):
            xb, cb = batch[0], (batch[1] if c is not None else None)
            opt.zero_grad()
            if vae:
                losses = ddp(xb, cb, beta=model.beta_at(first_epoch + epoch + step / len(loader)))
            else:
                losses = ddp(xb, cb, corrupted=model.corrupt(xb))
            losses.objective.backward()
            opt.step()
            n = len(xb)
            totals += torch.tensor([n, float(losses.loss) * n, float(losses.reconstruction) * n, float(losses.kl) * n], dtype=torch.float64)
        dist.all_reduce(totals)
        say({'epoch': first_epoch + epoch + 1, 'loss': float(totals[1] / totals[0]), 'reconstruction': float(totals[2] / totals[0]), 'kl': float(totals[3] / totals[0]),
             'seconds': round(time.time() - started, 3)})
    model.epochs_trained = first_epoch + args.epochs

    # the processes' parameters must be the same: DDP's all-reduced gradients and one optimizer each
    mine = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    theirs = mine.clone()
    dist.broadcast(theirs, 0)
    spread = torch.tensor([float((mine - theirs).abs().max())])
    dist.all_reduce(spread, op=dist.ReduceOp.MAX)
    if rank == 0:
        exact = copy.deepcopy(model).double()
        result = exact.evaluate(x.double(), c.double() if c is not None else None)
        wt.save_wavae(model, args.out)
        say({'event': 'done', 'out': args.out, 'epochsTrained': model.epochs_trained, 'evaluate': result, 'maxParameterSpread': float(spread[0]),
             'seconds': round(time.time() - started, 3)})
    dist.barrier()
    dist.destroy_process_group()


if __name__ == '__main__':
    main()
