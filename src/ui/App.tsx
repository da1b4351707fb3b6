import { AdapterPanel } from './panels/AdapterPanel.tsx';

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <h1>AlphaAlign Lab</h1>
        <p className="tagline">Safety alignment by reinforcement learning, on a real language model, in this tab.</p>
      </header>
      <main>
        <AdapterPanel />
      </main>
    </div>
  );
}
