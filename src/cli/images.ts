// Pictures: image grids as PNG (fast-png, pure JavaScript, no native build), a scatter of
// 2-D latent means coloured by label, and the loss curve as SVG.
import { encode } from 'fast-png';
import { WavaeError } from '../errors.js';

/** The widest or tallest image a grid draws (pixels; channels side by side count in the width). */
const MAX_IMAGE_SIDE = 4096;

/** Why images of this shape are not drawn (too wide or tall for a picture), or null. */
export function undrawable([c, h, w]: readonly [number, number, number]): string | null {
  const width = c === 1 || c === 3 ? w : c * w;
  return width > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE
    ? `images of ${c}x${h}x${w} are ${width} x ${h} pixels drawn, more than ${MAX_IMAGE_SIDE} on a side: no pictures` : null;
}

/** The most bytes of pixels a grid picture holds (2^26: 8192 x 8192 in grey, 4729 x 4729 in colour); drawing one takes a few times that. */
export const MAX_PICTURE_BYTES = 2 ** 26;

/** The size gridPng draws count images of this shape at in cols columns: pixels across and down, channels (1 or 3). */
export function gridSize(count: number, [c, h, w]: readonly [number, number, number], cols: number): { width: number; height: number; channels: number } {
  const scale = h * w * (c === 1 || c === 3 ? 1 : c) <= 64 * 64 ? 2 : 1; // as gridPng enlarges small images
  const [channels, width] = c === 1 || c === 3 ? [c, w] : [1, c * w];
  const gap = 2;
  return { width: cols * (width * scale + gap) + gap, height: Math.ceil(count / cols) * (h * scale + gap) + gap, channels };
}

/**
 * Why a grid of count images in cols columns is not drawn (images too large, or a picture of more
 * than MAX_PICTURE_BYTES), or null; `what` names what chose the count and the columns (options).
 */
export function gridTooBig(count: number, shape: readonly [number, number, number], cols: number, what: string): string | null {
  const image = undrawable(shape);
  if (image) return `${what}: ${image}`;
  const { width, height, channels } = gridSize(count, shape, cols);
  if (width * height * channels <= MAX_PICTURE_BYTES) return null;
  return `${what}: ${count} images of ${shape.join('x')} in ${cols} columns make a picture of ${width} x ${height} pixels${channels === 3 ? ' in colour' : ''}, ` +
    `more than the ${MAX_PICTURE_BYTES} bytes of pixels wavae draws`;
}

/**
 * A grid of images (values in [0, 1], channels as planes: value k*h*w + y*w + x of an image is
 * channel k at (y, x)) as PNG bytes, with gutters: one channel in grey, three in colour (RGB), any
 * other count as grey channel planes side by side (each image c*w wide). Small images are enlarged
 * (nearest neighbour) so that a 28x28 digit is readable at a glance.
 */
export function gridPng(images: Float32Array, count: number, shape: readonly [number, number, number], cols: number, zoom?: number): Uint8Array {
  const [c, h, w] = shape;
  const tooBig = undrawable(shape);
  if (tooBig) throw new WavaeError('INVALID_OPTION', tooBig);
  if (zoom === undefined) { // the caller's call (the CLI checks its options first, with their names)
    const big = gridTooBig(count, shape, cols, 'grid');
    if (big) throw new WavaeError('OUT_OF_MEMORY', big);
  }
  const scale = zoom ?? (h * w * (c === 1 || c === 3 ? 1 : c) <= 64 * 64 ? 2 : 1);
  if (c !== 1 && c !== 3) return gridPng(sideBySide(images, count, c, h, w), count, [1, h, c * w], cols, scale);
  // enlarged (nearest neighbour) as the pixels are written: no enlarged copy of the images
  const [bh, bw] = [h * scale, w * scale];
  const rows = Math.ceil(count / cols);
  const gap = 2;
  const width = cols * (bw + gap) + gap;
  const height = rows * (bh + gap) + gap;
  const data = new Uint8Array(width * height * c).fill(32); // pixels interleaved: RGBRGB... for three channels
  for (let k = 0; k < count; k++) {
    const top = gap + Math.floor(k / cols) * (bh + gap);
    const left = gap + (k % cols) * (bw + gap);
    for (let ch = 0; ch < c; ch++) {
      const plane = (k * c + ch) * h * w;
      for (let y = 0; y < bh; y++) {
        const row = plane + Math.floor(y / scale) * w;
        for (let x = 0; x < bw; x++) {
          data[((top + y) * width + left + x) * c + ch] = Math.round(255 * Math.min(1, Math.max(0, images[row + Math.floor(x / scale)])));
        }
      }
    }
  }
  return encode({ width, height, data, channels: c, depth: 8 });
}

/** Images of c planes (h, w) as one-plane images (h, c*w): the channels left to right. */
function sideBySide(images: Float32Array, count: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(count * c * h * w);
  for (let k = 0; k < count; k++) {
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) out.set(images.subarray(((k * c + ch) * h + y) * w, ((k * c + ch) * h + y + 1) * w), ((k * h + y) * c + ch) * w);
    }
  }
  return out;
}

const PALETTE = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

/** A scatter plot of points (x, y) coloured by integer label, as a size x size PNG. */
export function scatterPng(points: Float32Array, labels: ArrayLike<number> | null, size = 512): Uint8Array {
  const n = points.length / 2;
  let [minX, maxX, minY, maxY] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    minX = Math.min(minX, points[2 * i]);
    maxX = Math.max(maxX, points[2 * i]);
    minY = Math.min(minY, points[2 * i + 1]);
    maxY = Math.max(maxY, points[2 * i + 1]);
  }
  const data = new Uint8Array(size * size * 3).fill(255);
  const margin = 8;
  const sx = (size - 2 * margin) / Math.max(1e-9, maxX - minX);
  const sy = (size - 2 * margin) / Math.max(1e-9, maxY - minY);
  for (let i = 0; i < n; i++) {
    const cx = Math.round(margin + (points[2 * i] - minX) * sx);
    const cy = Math.round(size - margin - (points[2 * i + 1] - minY) * sy);
    const color = PALETTE[labels ? Math.abs(Math.round(labels[i])) % PALETTE.length : 0];
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const x = cx + dx;
        const y = cy + dy;
        if (x < 0 || y < 0 || x >= size || y >= size) continue;
        data.set(color, (y * size + x) * 3);
      }
    }
  }
  if (labels) drawLegend(data, size);
  return encode({ width: size, height: size, data, channels: 3, depth: 8 });
}

// Digits 0-9 in a 3x5 bitmap font (rows top to bottom, 3 bits each), for the scatter legend.
const DIGITS = ['111101101101111', '010110010010111', '111001111100111', '111001111001111', '101101111001001',
  '111100111001111', '111100111101111', '111001001001001', '111101111101111', '111101111001111'];

/** A legend in the top-left corner: a swatch of each label's colour and the digit, 2x scale. */
function drawLegend(data: Uint8Array, size: number): void {
  const put = (x: number, y: number, color: number[]): void => data.set(color, (y * size + x) * 3);
  for (let d = 0; d < 10; d++) {
    const top = 6 + d * 14;
    for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) put(6 + x, top + y, PALETTE[d]);
    for (let r = 0; r < 5; r++) {
      for (let c = 0; c < 3; c++) {
        if (DIGITS[d][r * 3 + c] !== '1') continue;
        for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) put(20 + c * 2 + dx, top + r * 2 + dy, [40, 40, 40]);
      }
    }
  }
}

/** The loss curves (one value per epoch) as an SVG line chart with axes and a legend. */
export function lossSvg(series: { name: string; values: number[] }[], title: string): string {
  const [W, H, L, R, T, B] = [640, 360, 60, 20, 30, 40];
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const n = Math.max(...series.map((s) => s.values.length));
  const x = (i: number): number => L + (n > 1 ? (i * (W - L - R)) / (n - 1) : (W - L - R) / 2);
  const y = (v: number): number => T + ((hi - v) * (H - T - B)) / Math.max(1e-9, hi - lo);
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c'];
  const ticks = Array.from({ length: 5 }, (_, k) => lo + ((hi - lo) * k) / 4);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#444"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#444"/>`,
    ...ticks.map((v) => `<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(1)}</text><line x1="${L}" y1="${y(v)}" x2="${W - R}" y2="${y(v)}" stroke="#eee"/>`),
    ...Array.from({ length: n }, (_, i) => `<text x="${x(i)}" y="${H - B + 16}" text-anchor="middle">${i + 1}</text>`),
    `<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle">epoch</text>`,
    ...series.map((s, k) => `<polyline fill="none" stroke="${colors[k % 3]}" stroke-width="2" points="${s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>` +
      `<text x="${W - R - 4}" y="${T + 16 * (k + 1)}" text-anchor="end" fill="${colors[k % 3]}">${escapeXml(s.name)}</text>`),
    '</svg>',
  ];
  return parts.join('\n') + '\n';
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string);
}

/** The standard normal quantile function (Acklam's approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.928510446969, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lowP = 0.02425;
  if (p < lowP) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lowP) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}
