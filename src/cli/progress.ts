// Progress of long work: a progress bar (cli-progress) with epoch, batch, loss, samples/s and
// ETA on a terminal; plain lines when stdout is not a terminal; nothing with --quiet; JSON
// lines with --json (for services).
import cliProgress from 'cli-progress';

export type Mode = 'bar' | 'lines' | 'json' | 'quiet';

/** Chooses the mode from --quiet, --json and whether stdout is a terminal. */
export function progressMode(opts: { quiet?: boolean; json?: boolean }): Mode {
  if (opts.json) return 'json';
  if (opts.quiet) return 'quiet';
  return process.stdout.isTTY ? 'bar' : 'lines';
}

/** Reports training progress in the chosen mode. */
export class TrainingProgress {
  private bar: cliProgress.SingleBar | null = null;

  constructor(private readonly mode: Mode, private readonly epochs: number, private readonly batches: number) {}

  batch(epoch: number, batch: number, loss: number, samplesPerSec: number): void {
    if (this.mode !== 'bar') return;
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar({
        format: 'epoch {epoch}/{epochs} |{bar}| batch {value}/{total}  loss {loss}  {sps} samples/s  ETA {eta_formatted}',
        barsize: 24, hideCursor: true, clearOnComplete: true, etaBuffer: 50,
      }, cliProgress.Presets.shades_classic);
      this.bar.start(this.batches, 0, { epoch, epochs: this.epochs, loss: '-', sps: '-' });
    }
    this.bar.update(batch + 1, { epoch, epochs: this.epochs, loss: loss.toFixed(2), sps: samplesPerSec.toFixed(0) });
  }

  epoch(record: Record<string, number>, line: string): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    }
    if (this.mode === 'json') process.stdout.write(JSON.stringify({ event: 'epoch', ...record }) + '\n');
    else if (this.mode !== 'quiet') process.stdout.write(line + '\n');
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

/** Prints a line unless quiet or json. */
export function say(mode: Mode, line: string): void {
  if (mode === 'bar' || mode === 'lines') process.stdout.write(line + '\n');
}
