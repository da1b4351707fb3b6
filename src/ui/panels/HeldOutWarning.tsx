import { useMemo } from 'react';
import { useDatasetStore } from '../stores/datasetStore.ts';

/** Says so when the dataset holds no held-out rows: a run would train but never be evaluated. */
export function HeldOutWarning() {
  const rows = useDatasetStore((s) => s.rows);
  const status = useDatasetStore((s) => s.status);
  const heldOut = useMemo(() => rows.filter((r) => r.split === 'eval').length, [rows]);
  if (status !== 'ready' || rows.length === 0 || heldOut > 0) return null;
  return (
    <p className="warning-note" role="status" data-testid="no-held-out">
      No held-out rows: a run would train without ever being evaluated (the Eval panel and the held-out chart lines stay empty). In the Data
      panel, set a share above 0 % and press “Re-split all” (or “Split rows without a split”), or set some rows’ split to eval.
    </p>
  );
}
