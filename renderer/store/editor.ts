// The editor's state: the open project, its file, undo/redo history, selection and the dirty flag, as a reducer.
import type { Project } from '../../shared/graph';

export interface Selection {
  readonly nodes: readonly string[];
  readonly edges: readonly string[];
  /** a selected group box */
  readonly groups: readonly string[];
}

export const emptySelection: Selection = { nodes: [], edges: [], groups: [] };

export interface EditorState {
  readonly project: Project | null;
  /** the file the project was opened from or saved to; null for a new project */
  readonly path: string | null;
  /** the project as last saved or opened: dirty = project !== saved (undoing back to it is clean again) */
  readonly saved: Project | null;
  readonly past: readonly Project[];
  readonly future: readonly Project[];
  readonly selection: Selection;
  /** the state before a drag began (committed to history once, when the drag ends) */
  readonly dragOrigin: Project | null;
  /** the last edit's coalescing key (typing into one field is one undo step) */
  readonly lastKey: string | null;
}

export const initialEditor: EditorState = { project: null, path: null, saved: null, past: [], future: [], selection: emptySelection, dragOrigin: null, lastKey: null };

const historyLimit = 200;

export type EditorAction =
  | { type: 'load'; project: Project; path: string | null; clean: boolean }
  | { type: 'close' }
  | { type: 'edit'; edit: (project: Project) => Project; key?: string; select?: Selection }
  | { type: 'drag'; edit: (project: Project) => Project }
  | { type: 'dragEnd' }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'select'; selection: Selection }
  | { type: 'saved'; path: string; project: Project };

function validSelection(project: Project, selection: Selection): Selection {
  const nodes = new Set(project.graph.nodes.map((node) => node.id));
  const edges = new Set(project.graph.edges.map((edge) => edge.id));
  const groups = new Set(project.graph.groups.map((group) => group.id));
  return { nodes: selection.nodes.filter((id) => nodes.has(id)), edges: selection.edges.filter((id) => edges.has(id)), groups: selection.groups.filter((id) => groups.has(id)) };
}

export function editorReducer(state: EditorState, action: EditorAction): EditorState {
  switch (action.type) {
    case 'load':
      return { ...initialEditor, project: action.project, path: action.path, saved: action.clean ? action.project : null };
    case 'close':
      return initialEditor;
    case 'select':
      return { ...state, selection: action.selection };
    case 'saved':
      return { ...state, path: action.path, saved: action.project, lastKey: null };
    case 'edit': {
      const current = state.project;
      if (current === null) return state;
      const next = action.edit(current);
      const selection = action.select ?? state.selection;
      if (next === current) return action.select === undefined ? state : { ...state, selection };
      const coalesce = action.key !== undefined && action.key === state.lastKey;
      return {
        ...state,
        project: next,
        past: coalesce ? state.past : [...state.past, current].slice(-historyLimit),
        future: [],
        selection: validSelection(next, selection),
        lastKey: action.key ?? null,
      };
    }
    case 'drag': {
      const current = state.project;
      if (current === null) return state;
      return { ...state, project: action.edit(current), dragOrigin: state.dragOrigin ?? current };
    }
    case 'dragEnd': {
      const origin = state.dragOrigin;
      if (origin === null || state.project === null) return state;
      if (origin === state.project) return { ...state, dragOrigin: null };
      return { ...state, dragOrigin: null, past: [...state.past, origin].slice(-historyLimit), future: [], lastKey: null };
    }
    case 'undo': {
      const previous = state.past[state.past.length - 1];
      if (previous === undefined || state.project === null) return state;
      return { ...state, project: previous, past: state.past.slice(0, -1), future: [state.project, ...state.future], selection: validSelection(previous, state.selection), lastKey: null };
    }
    case 'redo': {
      const next = state.future[0];
      if (next === undefined || state.project === null) return state;
      return { ...state, project: next, past: [...state.past, state.project], future: state.future.slice(1), selection: validSelection(next, state.selection), lastKey: null };
    }
  }
}

export const isDirty = (state: EditorState): boolean => state.project !== null && state.project !== state.saved;
