import { lazy, Suspense, type ComponentType } from 'react';
import { AdapterPanel } from './panels/AdapterPanel.tsx';
import { DataPanel } from './panels/DataPanel.tsx';
import { EvalPanel } from './panels/EvalPanel.tsx';
import { ExportPanel } from './panels/ExportPanel.tsx';
import { ModelPanel } from './panels/ModelPanel.tsx';
import { RewardsPanel } from './panels/RewardsPanel.tsx';
import { RolloutsPanel } from './panels/RolloutsPanel.tsx';
import { RunsPanel } from './panels/RunsPanel.tsx';
import { TrainingPanel } from './panels/TrainingPanel.tsx';

// The charts bring recharts, the largest part of the page's code: a chunk of its own, fetched
// while the other panels render.
const ChartsPanel = lazy(() => import('./panels/ChartsPanel.tsx').then((m) => ({ default: m.ChartsPanel })));

/** The page, top to bottom: one entry per panel; the side navigation links to each. */
interface PanelEntry {
  id: string;
  title: string;
  Component: ComponentType;
}

const PANELS: PanelEntry[] = [
  { id: 'gpu', title: 'GPU', Component: AdapterPanel },
  { id: 'model', title: 'Model', Component: ModelPanel },
  { id: 'data', title: 'Data', Component: DataPanel },
  { id: 'rewards', title: 'Rewards', Component: RewardsPanel },
  { id: 'training', title: 'Training', Component: TrainingPanel },
  { id: 'charts', title: 'Charts', Component: ChartsPanel },
  { id: 'rollouts', title: 'Rollouts', Component: RolloutsPanel },
  { id: 'eval', title: 'Eval', Component: EvalPanel },
  { id: 'export', title: 'Export', Component: ExportPanel },
  { id: 'runs', title: 'Runs', Component: RunsPanel },
];

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <h1>AlphaAlign Lab</h1>
        <p className="tagline">Safety alignment by reinforcement learning, on a real language model, in this tab.</p>
      </header>
      <div className="layout">
        <nav className="side-nav" aria-label="Panels">
          <ul>
            {PANELS.map((p) => (
              <li key={p.id}>
                <a href={`#panel-${p.id}`}>{p.title}</a>
              </li>
            ))}
          </ul>
        </nav>
        <main>
          {PANELS.map(({ id, Component }) => (
            <div key={id} id={`panel-${id}`} className="panel-anchor">
              <Suspense fallback={<section className="panel">Loading…</section>}>
                <Component />
              </Suspense>
            </div>
          ))}
        </main>
      </div>
    </div>
  );
}
