// Image-folder datasets (torchvision ImageFolder layout): one sub-folder per class of PNG/JPEG files,
// decoded with pngjs / jpeg-js, resized (bilinear) to the model's H×W, grey or RGB, values in [0, 1], layout [C, H, W].
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DatasetError, sharedFloat32, sharedInt32, type Dataset } from './types';

export interface ImageFolderOptions {
  channels: 1 | 3;
  height: number;
  width: number;
}

interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

const imageExtensions = new Set(['.png', '.jpg', '.jpeg']);

export function decodeImage(bytes: Uint8Array, file: string): Rgba {
  const ext = extname(file).toLowerCase();
  try {
    if (ext === '.png') {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: png.data };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
    return { width: img.width, height: img.height, data: img.data };
  } catch (error) {
    throw new DatasetError(`${file}: not a readable ${ext === '.png' ? 'PNG' : 'JPEG'} image (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** Bilinear resize (align_corners=False, like torchvision's Resize on tensors) into out[c*H*W + y*W + x]. */
function resizeInto(img: Rgba, options: ImageFolderOptions, out: Float32Array, offset: number): void {
  const { channels, height: H, width: W } = options;
  const sy = img.height / H;
  const sx = img.width / W;
  const px = (x: number, y: number, c: number): number => img.data[(y * img.width + x) * 4 + c]!;
  for (let y = 0; y < H; y += 1) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < W; x += 1) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, img.width - 1);
      const wx = fx - x0;
      const sample = (c: number): number =>
        (px(x0, y0, c) * (1 - wx) + px(x1, y0, c) * wx) * (1 - wy) + (px(x0, y1, c) * (1 - wx) + px(x1, y1, c) * wx) * wy;
      if (channels === 1) out[offset + y * W + x] = (0.299 * sample(0) + 0.587 * sample(1) + 0.114 * sample(2)) / 255;
      else for (let c = 0; c < 3; c += 1) out[offset + c * H * W + y * W + x] = sample(c) / 255;
    }
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (error) {
    throw new DatasetError(`${dir} cannot be read as an image folder (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** Reads root/<class>/<image>; `classes` fixes the class order (the training set's) for a test folder. */
export function readImageFolder(root: string, options: ImageFolderOptions, classes?: string[]): Dataset {
  const classDirs = classes ?? listDir(root).filter((d) => statSync(join(root, d)).isDirectory());
  if (classDirs.length === 0) throw new DatasetError(`${root}: no class sub-folders; put each class's images in its own folder (root/cat/1.png, root/dog/2.jpg)`);
  const files: { path: string; label: number }[] = [];
  classDirs.forEach((cls, label) => {
    let entries: string[] = [];
    try {
      entries = readdirSync(join(root, cls)).sort();
    } catch {
      if (classes === undefined) throw new DatasetError(`${join(root, cls)} cannot be read`);
    }
    for (const f of entries) if (imageExtensions.has(extname(f).toLowerCase())) files.push({ path: join(root, cls, f), label });
  });
  if (files.length === 0) throw new DatasetError(`${root}: the class folders hold no .png, .jpg or .jpeg files`);
  const size = options.channels * options.height * options.width;
  const x = sharedFloat32(files.length * size);
  const y = sharedInt32(files.length);
  files.forEach((file, i) => {
    resizeInto(decodeImage(readFileSync(file.path), file.path), options, x, i * size);
    y[i] = file.label;
  });
  return {
    name: root, count: files.length,
    x: { shape: [options.channels, options.height, options.width], dtype: 'float32', data: x },
    y: { shape: [], dtype: 'int64', data: y },
    task: 'classification', classes: classDirs,
  };
}
