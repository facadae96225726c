// The main window's remembered size, position and maximised state: read, fitted to the displays present now (a
// monitor may have gone), and written atomically. No Electron at run time; main.ts passes the work areas in.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { WindowBounds } from './security';

export const WindowStateSchema = z.object({
  x: z.number().int().optional(),
  y: z.number().int().optional(),
  width: z.number().int().min(200).max(100_000),
  height: z.number().int().min(200).max(100_000),
  maximized: z.boolean(),
});
export type WindowState = z.infer<typeof WindowStateSchema>;

export interface Rectangle {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const defaultWindowState: WindowState = { width: 1280, height: 800, maximized: false };

/** The saved state, or the default when the file is missing or damaged (never throws). */
export function readWindowState(file: string): WindowState {
  try {
    const parsed = WindowStateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : defaultWindowState;
  } catch {
    return defaultWindowState;
  }
}

export function writeWindowState(file: string, state: WindowState): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(state)}\n`);
    renameSync(tmp, file);
  } catch {
    /* remembering the window is a convenience; failing to is not an error worth a dialog */
  }
}

/**
 * Bounds to open the window with: the saved ones if at least 100×50 px of the title bar area lands on a display
 * that exists now, sized down to fit it; otherwise the saved size centred by the OS (no x/y).
 */
export function fitToDisplays(state: WindowState, workAreas: readonly Rectangle[]): WindowBounds {
  const area = workAreas.find((a) => state.x !== undefined && state.y !== undefined && overlap(a, { x: state.x, y: state.y, width: state.width, height: 50 }) >= 100 * 50);
  const largest = workAreas.reduce<Rectangle | undefined>((best, a) => (best === undefined || a.width * a.height > best.width * best.height ? a : best), undefined);
  const limit = area ?? largest;
  const width = limit === undefined ? state.width : Math.min(state.width, limit.width);
  const height = limit === undefined ? state.height : Math.min(state.height, limit.height);
  if (area === undefined || state.x === undefined || state.y === undefined) return { width, height };
  const x = Math.min(Math.max(state.x, area.x), area.x + area.width - width);
  const y = Math.min(Math.max(state.y, area.y), area.y + area.height - height);
  return { x, y, width, height };
}

function overlap(a: Rectangle, b: Rectangle): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}
