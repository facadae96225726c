// Top bar: app name, the project's name and unsaved-changes dot, and the toolbar (files, history, edit, view).
import type { ReactNode } from 'react';
import type { AppInfo } from '../../shared/api';
import type { Command } from './shortcuts';

const modeLabels: Record<AppInfo['mode'], string> = { electron: 'Desktop', browser: 'Browser mode', cli: 'CLI' };

export interface TopBarProps {
  appInfo: AppInfo | null;
  /** null on the start page */
  project: { name: string; path: string | null; dirty: boolean; canUndo: boolean; canRedo: boolean; hasSelection: boolean; snap: boolean; summary: boolean } | null;
  theme: 'light' | 'dark';
  onCommand: (command: Command) => void;
  onToggleSnap: () => void;
  onToggleTheme: () => void;
  onHome: () => void;
  /** more toolbar groups (import/export) */
  extra?: ReactNode;
}

export function TopBar({ appInfo, project, theme, onCommand, onToggleSnap, onToggleTheme, onHome, extra }: TopBarProps) {
  const button = (command: Command, label: string, text: string, disabled = false, pressed?: boolean) => (
    <button type="button" className="tool" aria-label={label} title={label} disabled={disabled} aria-pressed={pressed} onClick={() => onCommand(command)}>
      {text}
    </button>
  );
  return (
    <header className="top-bar">
      <div className="brand">
        <button type="button" className="brand-button" onClick={onHome} aria-label="Start page" title="Start page">
          <svg className="brand-mark" viewBox="0 0 24 24" aria-hidden="true">
            <circle cx="5" cy="6" r="2.5" />
            <circle cx="5" cy="18" r="2.5" />
            <circle cx="19" cy="12" r="2.5" />
            <path d="M7.3 7 16.8 11M7.3 17l9.5-4" />
          </svg>
          <h1 className="brand-name">Netwright</h1>
        </button>
        {project !== null && (
          <span className="project-title" title={project.path ?? 'Not saved yet'}>
            {project.name}
            {project.dirty && (
              <span className="dirty-dot" role="img" aria-label="Unsaved changes" title="Unsaved changes">
                ●
              </span>
            )}
          </span>
        )}
      </div>
      {project !== null && (
        <div className="toolbar" role="toolbar" aria-label="Toolbar">
          <div className="tool-group">
            {button('new', 'New project', 'New')}
            {button('open', 'Open project', 'Open')}
            {button('save', 'Save', 'Save')}
            {button('saveAs', 'Save as', 'Save as…')}
          </div>
          <div className="tool-group">
            {button('undo', 'Undo', '↶', !project.canUndo)}
            {button('redo', 'Redo', '↷', !project.canRedo)}
          </div>
          <div className="tool-group">
            {button('duplicate', 'Duplicate', 'Duplicate', !project.hasSelection)}
            {button('delete', 'Delete selection', 'Delete', !project.hasSelection)}
            {button('group', 'Group selection', 'Group', !project.hasSelection)}
            {button('ungroup', 'Ungroup', 'Ungroup', !project.hasSelection)}
          </div>
          <div className="tool-group">
            {button('layout', 'Auto-layout', 'Layout')}
            {button('fitView', 'Fit view', 'Fit')}
            <button type="button" className="tool" aria-label="Snap to grid" title="Snap to grid" aria-pressed={project.snap} onClick={onToggleSnap}>
              Snap
            </button>
            {button('summary', 'Model summary', 'Summary', false, project.summary)}
          </div>
          {extra}
        </div>
      )}
      <div className="top-bar-end">
        {appInfo !== null && (
          <span className="app-meta">
            v{appInfo.version} · {modeLabels[appInfo.mode]}
          </span>
        )}
        <button type="button" className="tool" aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`} title="Theme" onClick={onToggleTheme}>
          {theme === 'dark' ? '☀' : '☾'}
        </button>
        <button type="button" className="tool" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)" onClick={() => onCommand('help')}>
          ?
        </button>
      </div>
    </header>
  );
}
