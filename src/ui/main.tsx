import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { wireWorkerEvents } from './stores/wire.ts';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
wireWorkerEvents();
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
