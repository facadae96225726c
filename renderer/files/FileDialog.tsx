// In-app file browser for open / save as, over the host's listDirectory (browser mode has no native dialogs).
import { useCallback, useEffect, useRef, useState } from 'react';
import { projectExtension, toErrorInfo, type Api, type DirectoryListing } from '../../shared/api';
import { Modal } from '../shell/Modal';

export interface FileDialogProps {
  api: Api;
  mode: 'open' | 'save';
  /** suggested file name for save */
  suggestedName?: string;
  /** folder to start in; null: the projects folder */
  startDir: string | null;
  onChoose: (path: string) => void;
  onCancel: () => void;
  /** the dialog's title (default: Open project / Save project as) */
  title?: string;
  /** other files than projects: extensions (".mdl") that can be picked, and that save adds when missing */
  accept?: readonly string[];
}

const join = (dir: string, name: string): string => (dir.endsWith('/') || dir.endsWith('\\') ? `${dir}${name}` : `${dir}/${name}`);

export function FileDialog({ api, mode, suggestedName, startDir, onChoose, onCancel, title, accept }: FileDialogProps) {
  const accepts = (file: string): boolean => accept?.some((ext) => file.toLowerCase().endsWith(ext)) ?? false;
  const [listing, setListing] = useState<DirectoryListing | null>(null);
  const [folder, setFolder] = useState(startDir ?? '');
  const [name, setName] = useState(suggestedName ?? '');
  const [error, setError] = useState<string | null>(null);
  const nameRef = useRef<HTMLInputElement>(null);

  const load = useCallback(
    (path: string | null) => {
      api.listDirectory(path).then(
        (next) => {
          setListing(next);
          setFolder(next.path);
          setError(null);
        },
        (failure: unknown) => setError(toErrorInfo(failure).message),
      );
    },
    [api],
  );
  useEffect(() => load(startDir), [load, startDir]);
  useEffect(() => {
    if (mode === 'save') nameRef.current?.select();
  }, [mode]);

  const submit = (): void => {
    const trimmed = name.trim();
    if (trimmed === '') {
      setError(mode === 'save' ? 'Type a file name.' : accept !== undefined ? 'Pick a file.' : 'Pick a project file.');
      return;
    }
    const isAbsolute = trimmed.startsWith('/') || /^[A-Za-z]:[\\/]/.test(trimmed);
    let path = isAbsolute ? trimmed : join(listing?.path ?? folder, trimmed);
    if (mode === 'save' && accept === undefined && !/\.(nwproj|json)$/.test(path)) path += projectExtension;
    if (mode === 'save' && accept !== undefined && accept[0] !== undefined && !accepts(path)) path += accept[0];
    onChoose(path);
  };

  return (
    <Modal title={title ?? (mode === 'open' ? 'Open project' : 'Save project as')} onClose={onCancel}>
      <form
        className="file-dialog"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <div className="field-row">
          <label className="field grow">
            <span className="field-label">Folder</span>
            <input
              type="text"
              aria-label="Folder"
              value={folder}
              onChange={(event) => setFolder(event.target.value)}
              onKeyDown={(event) => {
                if (event.key === 'Enter') {
                  event.preventDefault();
                  load(folder);
                }
              }}
            />
          </label>
          <button type="button" onClick={() => load(folder)}>
            Go
          </button>
          <button type="button" disabled={listing?.parent == null} onClick={() => listing?.parent != null && load(listing.parent)} aria-label="Up one folder">
            ↑ Up
          </button>
          <button type="button" onClick={() => load(null)}>
            Projects
          </button>
        </div>
        <ul className="file-list" aria-label="Files" role="listbox">
          {listing?.entries.map((entry) => (
            <li key={entry.name} role="option" aria-selected={entry.name === name}>
              <button
                type="button"
                className={`file-entry ${entry.kind}`}
                disabled={accept !== undefined ? entry.kind !== 'directory' && !accepts(entry.name) : entry.kind === 'file'}
                onClick={() => (entry.kind === 'directory' ? load(join(listing.path, entry.name)) : setName(entry.name))}
                onDoubleClick={() => {
                  if (accept !== undefined ? accepts(entry.name) : entry.kind === 'project') onChoose(join(listing.path, entry.name));
                }}
              >
                <span aria-hidden="true">{entry.kind === 'directory' ? '📁' : entry.kind === 'project' ? '◆' : '·'}</span> {entry.name}
              </button>
            </li>
          ))}
          {listing !== null && listing.entries.length === 0 && <li className="muted">This folder is empty.</li>}
        </ul>
        <label className="field">
          <span className="field-label">File name</span>
          <input ref={nameRef} type="text" aria-label="File name" value={name} onChange={(event) => setName(event.target.value)} />
        </label>
        {error !== null && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        <div className="button-row end">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="primary">
            {mode === 'open' ? 'Open' : 'Save'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
