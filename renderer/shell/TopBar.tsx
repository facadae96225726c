// Top bar: app name, version and how it is hosted (desktop or browser mode).
import type { AppInfo } from '../../shared/api';

const modeLabels: Record<AppInfo['mode'], string> = { electron: 'Desktop', browser: 'Browser mode', cli: 'CLI' };

export function TopBar({ appInfo }: { appInfo: AppInfo | null }) {
  return (
    <header className="top-bar">
      <div className="brand">
        <svg className="brand-mark" viewBox="0 0 24 24" aria-hidden="true">
          <circle cx="5" cy="6" r="2.5" />
          <circle cx="5" cy="18" r="2.5" />
          <circle cx="19" cy="12" r="2.5" />
          <path d="M7.3 7 16.8 11M7.3 17l9.5-4" />
        </svg>
        <h1 className="brand-name">Netwright</h1>
      </div>
      {appInfo !== null && (
        <span className="app-meta">
          v{appInfo.version} · {modeLabels[appInfo.mode]}
        </span>
      )}
    </header>
  );
}
