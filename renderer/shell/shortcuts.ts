// Keyboard shortcuts: one table drives the key handler and the help panel.
export type Command =
  | 'new'
  | 'open'
  | 'save'
  | 'saveAs'
  | 'undo'
  | 'redo'
  | 'delete'
  | 'copy'
  | 'cut'
  | 'paste'
  | 'duplicate'
  | 'selectAll'
  | 'group'
  | 'ungroup'
  | 'layout'
  | 'fitView'
  | 'search'
  | 'help'
  | 'summary'
  | 'escape';

export interface Shortcut {
  command: Command;
  keys: string;
  description: string;
  /** key (lowercase, as in KeyboardEvent.key) and modifiers */
  match: { key: string; mod?: boolean; shift?: boolean; alt?: boolean }[];
}

export const shortcuts: readonly Shortcut[] = [
  { command: 'new', keys: 'Ctrl/⌘ Alt N', description: 'New project', match: [{ key: 'n', mod: true, alt: true }] },
  { command: 'open', keys: 'Ctrl/⌘ O', description: 'Open a project', match: [{ key: 'o', mod: true }] },
  { command: 'save', keys: 'Ctrl/⌘ S', description: 'Save', match: [{ key: 's', mod: true }] },
  { command: 'saveAs', keys: 'Ctrl/⌘ Shift S', description: 'Save as…', match: [{ key: 's', mod: true, shift: true }] },
  { command: 'undo', keys: 'Ctrl/⌘ Z', description: 'Undo', match: [{ key: 'z', mod: true }] },
  { command: 'redo', keys: 'Ctrl/⌘ Shift Z, Ctrl Y', description: 'Redo', match: [{ key: 'z', mod: true, shift: true }, { key: 'y', mod: true }] },
  { command: 'delete', keys: 'Delete, Backspace', description: 'Delete the selection', match: [{ key: 'delete' }, { key: 'backspace' }] },
  { command: 'copy', keys: 'Ctrl/⌘ C', description: 'Copy (as JSON, pastes into any project)', match: [] },
  { command: 'cut', keys: 'Ctrl/⌘ X', description: 'Cut', match: [] },
  { command: 'paste', keys: 'Ctrl/⌘ V', description: 'Paste', match: [] },
  { command: 'duplicate', keys: 'Ctrl/⌘ D', description: 'Duplicate the selection', match: [{ key: 'd', mod: true }] },
  { command: 'selectAll', keys: 'Ctrl/⌘ A', description: 'Select all', match: [{ key: 'a', mod: true }] },
  { command: 'group', keys: 'Ctrl/⌘ G', description: 'Group the selection into a submodule', match: [{ key: 'g', mod: true }] },
  { command: 'ungroup', keys: 'Ctrl/⌘ Shift G', description: 'Ungroup', match: [{ key: 'g', mod: true, shift: true }] },
  { command: 'layout', keys: 'Shift L', description: 'Auto-layout', match: [{ key: 'l', shift: true }] },
  { command: 'fitView', keys: 'Shift F', description: 'Fit the graph in view', match: [{ key: 'f', shift: true }] },
  { command: 'search', keys: '/', description: 'Search layers', match: [{ key: '/' }] },
  { command: 'summary', keys: 'Shift M', description: 'Model summary', match: [{ key: 'm', shift: true }] },
  { command: 'help', keys: '?', description: 'Keyboard shortcuts', match: [{ key: '?', shift: true }, { key: '?' }] },
  { command: 'escape', keys: 'Esc', description: 'Clear the selection / close a panel', match: [{ key: 'escape' }] },
];

/** The command a key event triggers, if any. Ctrl and ⌘ are the same modifier. */
export function commandFor(event: { key: string; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }): Command | null {
  const key = event.key.toLowerCase();
  const mod = event.ctrlKey || event.metaKey;
  for (const shortcut of shortcuts) {
    for (const match of shortcut.match) {
      if (match.key !== key) continue;
      if ((match.mod ?? false) !== mod) continue;
      if (match.key !== '?' && (match.shift ?? false) !== event.shiftKey) continue;
      if ((match.alt ?? false) !== event.altKey) continue;
      return shortcut.command;
    }
  }
  return null;
}
