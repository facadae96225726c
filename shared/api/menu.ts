// Commands of the desktop application menu (and its native dialogs) delivered to the renderer as the `menuCommand`
// event; browser mode never emits it. A path is set where main asked the user for a file with a native dialog.
import { z } from 'zod';

export const menuCommands = [
  'new', // File > New
  'newFromCheckpoint', // File > New from Checkpoint… (.mdl/.pt/.pth/.safetensors, path set)
  'open', // File > Open… / Open Recent / a project file opened from the OS (path set)
  'save', // File > Save
  'saveAs', // File > Save As… (path set)
  'importCheckpoint', // File > Import Checkpoint… (.mdl, path set)
  'exportCheckpoint', // File > Export > Checkpoint… (.mdl, path set)
  'exportPyTorch', // File > Export > PyTorch Code… (.py, path set)
  'exportOnnx', // File > Export > ONNX… (.onnx, path set)
  'undo',
  'redo',
  'train', // Run > Train
  'pause', // Run > Pause
  'stop', // Run > Stop
] as const;
export type MenuCommandName = (typeof menuCommands)[number];

export const MenuCommandSchema = z.object({ command: z.enum(menuCommands), path: z.string().nullable() });
export type MenuCommand = z.infer<typeof MenuCommandSchema>;
