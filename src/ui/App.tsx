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

/**
 * The page as a lab's run view: the setup (model, data, rewards, export) on the left; the run on
 * the right (controls and progress, the charts with the two headline rates first, rollouts,
 * evaluation), held in view while the setup column scrolls, so a run's controls, progress and
 * headline curves are seen together without scrolling past the dataset table. One column on a
 * narrow screen, the run after the setup.
 */
interface PanelEntry {
  id: string;
  title: string;
  Component: ComponentType;
}

const SETUP_PANELS: PanelEntry[] = [
  { id: 'gpu', title: 'GPU', Component: AdapterPanel },
  { id: 'model', title: 'Model', Component: ModelPanel },
  { id: 'data', title: 'Data', Component: DataPanel },
  { id: 'rewards', title: 'Rewards', Component: RewardsPanel },
  { id: 'export', title: 'Export', Component: ExportPanel },
  { id: 'runs', title: 'Runs', Component: RunsPanel },
];

const RUN_PANELS: PanelEntry[] = [
  { id: 'training', title: 'Training', Component: TrainingPanel },
  { id: 'charts', title: 'Charts', Component: ChartsPanel },
  { id: 'rollouts', title: 'Rollouts', Component: RolloutsPanel },
  { id: 'eval', title: 'Eval', Component: EvalPanel },
];

function PanelColumn({ panels, className, label }: { panels: PanelEntry[]; className: string; label: string }) {
  return (
    <div className={className} aria-label={label} role="region">
      {panels.map(({ id, Component }) => (
        <div key={id} id={`panel-${id}`} className="panel-anchor">
          <Suspense fallback={<section className="panel">Loading…</section>}>
            <Component />
          </Suspense>
        </div>
      ))}
    </div>
  );
}

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <div>
          <h1>AlphaAlign Lab</h1>
          <p className="tagline">Safety alignment by reinforcement learning, on a real language model, in this tab.</p>
        </div>
        <nav className="panel-nav" aria-label="Panels">
          <ul>
            {[...SETUP_PANELS, ...RUN_PANELS].map((p) => (
              <li key={p.id}>
                <a href={`#panel-${p.id}`}>{p.title}</a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main className="workspace">
        <PanelColumn panels={SETUP_PANELS} className="setup-column" label="Setup" />
        <PanelColumn panels={RUN_PANELS} className="run-column" label="Run" />
      </main>
    </div>
  );
}
