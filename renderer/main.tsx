// Renderer entry: connects to the host's Api and mounts the app, or explains why it cannot.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { toErrorInfo, type Api } from '../shared/api';
import { connectApi } from './api/client';
import { App } from './App';

const container = document.getElementById('root');
if (container === null) throw new Error('E_INTERNAL: #root is missing from index.html');

let api: Api | null = null;
let failure = '';
try {
  api = connectApi();
} catch (error: unknown) {
  const info = toErrorInfo(error);
  failure = `${info.code}: ${info.message}`;
}

createRoot(container).render(
  <StrictMode>
    {api !== null ? (
      <App api={api} />
    ) : (
      <p className="fatal" role="alert">
        {failure}
      </p>
    )}
  </StrictMode>,
);
