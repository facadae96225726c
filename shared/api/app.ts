// Facts about the running app that the renderer shows (version, how it is hosted).
import { z } from 'zod';

export const hostModes = ['electron', 'browser', 'cli'] as const;
export type HostMode = (typeof hostModes)[number];

export const AppInfoSchema = z.object({
  name: z.literal('Netwright'),
  version: z.string(),
  mode: z.enum(hostModes),
  platform: z.string(),
});

export type AppInfo = z.infer<typeof AppInfoSchema>;
