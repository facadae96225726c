// Chart export: an SVG chart (recharts) or a canvas to PNG, and CSV text, offered as downloads.

function download(url: string, filename: string): void {
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
}

export function downloadText(text: string, filename: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  download(url, filename);
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The chart (first <svg> or <canvas> in `container`) as PNG, with the panel background and 2× pixels. */
export async function downloadPng(container: HTMLElement, filename: string): Promise<void> {
  const canvasEl = container.querySelector('canvas');
  const svg = container.querySelector<SVGSVGElement>('svg.recharts-surface') ?? container.querySelector('svg');
  const background = getComputedStyle(container).getPropertyValue('--panel').trim() || '#ffffff';
  let source: HTMLCanvasElement;
  if (svg !== null) {
    const { width, height } = svg.getBoundingClientRect();
    const clone = svg.cloneNode(true) as SVGSVGElement;
    clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
    clone.setAttribute('width', String(width));
    clone.setAttribute('height', String(height));
    // Resolve CSS variables and inherited text styles, which an SVG drawn as an image would not see.
    const style = getComputedStyle(container);
    clone.setAttribute('style', `font-family:${style.fontFamily};font-size:11px;color:${style.color}`);
    const text = new XMLSerializer().serializeToString(clone).replace(/var\((--[\w-]+)\)/g, (_, name: string) => style.getPropertyValue(name).trim() || '#888');
    const image = new Image();
    // A data: URL, not a blob: one: the browser-mode CSP allows images from 'self' and data: only.
    await new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error('the chart could not be drawn as an image'));
      image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`;
    });
    source = document.createElement('canvas');
    source.width = Math.ceil(width * 2);
    source.height = Math.ceil(height * 2);
    const ctx = source.getContext('2d');
    if (ctx === null) return;
    ctx.fillStyle = background;
    ctx.fillRect(0, 0, source.width, source.height);
    ctx.drawImage(image, 0, 0, source.width, source.height);
  } else if (canvasEl !== null) {
    source = canvasEl;
  } else return;
  const blob = await new Promise<Blob | null>((resolve) => source.toBlob(resolve, 'image/png'));
  if (blob === null) return;
  const url = URL.createObjectURL(blob);
  download(url, filename);
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
