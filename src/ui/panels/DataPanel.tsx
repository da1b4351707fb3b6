import { useEffect, useMemo, useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import './dataRewards.css';
import type { Label, Split } from '../../data/schema.ts';
import { findDuplicates, splitCounts, type HeldOutChoice } from '../../data/splits.ts';
import { counted } from '../../util/plural.ts';
import { getDatasetJsonl, useDatasetStore, type TableRow } from '../stores/datasetStore.ts';
import { HeldOutWarning } from './HeldOutWarning.tsx';

/** Rows per page of the table: few enough that the panel stays about a screen high. */
const PAGE_SIZES = [10, 25, 50, 100] as const;
const MAX_PROBLEMS_SHOWN = 200;

const percent = (fraction: number) => Math.round(fraction * 1000) / 10;

/** How the held-out split came about, in words. */
function heldOutWords(choice: HeldOutChoice): string {
  const parts = [
    ...(choice.fromFile ? ['from the file'] : []),
    ...(choice.made ? [`${percent(choice.made.fraction)} % of each label and type, drawn by the lab (seed ${choice.made.seed})`] : []),
    ...(choice.editedByHand ? ['edited by hand'] : []),
  ];
  return parts.length > 0 ? parts.join(', ') : 'set by hand';
}

type SplitFilter = 'all' | Split | 'none';

/** The dataset: import by drop or file picker, a label table with filters, edits and bulk relabel, export. */
export function DataPanel() {
  const init = useDatasetStore((s) => s.init);
  const generation = useDatasetStore((s) => s.generation);
  useEffect(() => {
    void init();
  }, [init]);

  return (
    <section className="panel data-panel" aria-labelledby="data-heading">
      <h2 id="data-heading">Data</h2>
      <DatasetSummary />
      <ImportControls />
      <ErrorBanner />
      <UndoBar />
      <LabelDialog />
      <ImportReport />
      <LabelTable key={generation} />
    </section>
  );
}

function DatasetSummary() {
  const name = useDatasetStore((s) => s.name);
  const rows = useDatasetStore((s) => s.rows);
  const status = useDatasetStore((s) => s.status);
  const saveState = useDatasetStore((s) => s.saveState);
  const persistent = useDatasetStore((s) => s.persistent);
  const heldOut = useDatasetStore((s) => s.heldOut);
  const counts = useMemo(() => splitCounts(rows), [rows]);
  if (status === 'loading') return <p data-testid="dataset-status">Loading the dataset…</p>;
  if (status === 'empty') return <p data-testid="dataset-status">No dataset yet: drop a JSONL, JSON or CSV file below.</p>;
  const evalRows = counts.eval.harmful + counts.eval.benign;
  return (
    <>
      <p className="dataset-summary" data-testid="dataset-status">
        <strong>{name}</strong>:{' '}
        <span data-testid="dataset-count" data-count={rows.length}>
          {counted(rows.length, 'row')}
        </span>{' '}
        · train {counts.train.harmful} harmful / {counts.train.benign} benign · eval {counts.eval.harmful} harmful / {counts.eval.benign} benign
        {evalRows > 0 && (
          <span className="muted" data-testid="dataset-held-out">
            {' '}
            (held out: {heldOutWords(heldOut)})
          </span>
        )}{' '}
        <span className="muted" data-testid="dataset-saved" data-state={saveState}>
          {!persistent ? '· not saved: this browser has no IndexedDB' : saveState === 'saving' ? '· saving…' : saveState === 'saved' ? '· saved in this browser' : ''}
        </span>
      </p>
      <HeldOutWarning />
    </>
  );
}

function ImportControls() {
  const importFile = useDatasetStore((s) => s.importFile);
  const loadDemo = useDatasetStore((s) => s.loadDemo);
  const autoSplit = useDatasetStore((s) => s.autoSplit);
  const rows = useDatasetStore((s) => s.rows);
  const name = useDatasetStore((s) => s.name);
  const evalFraction = useDatasetStore((s) => s.evalFraction);
  const setEvalFraction = useDatasetStore((s) => s.setEvalFraction);
  const [append, setAppend] = useState(false);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (file) void importFile(file, append);
  };

  const exportJsonl = () => {
    const blob = new Blob([getDatasetJsonl()], { type: 'application/x-ndjson' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `${(name || 'dataset').replace(/\.(jsonl|json|csv|ndjson)$/i, '').replace(/[^\w.+-]+/g, '_')}.jsonl`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  return (
    <div className="data-controls">
      <div
        className={`drop-zone${dragging ? ' dragging' : ''}`}
        data-testid="dataset-drop"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p>
          Drop a <strong>JSONL</strong>, <strong>JSON</strong> or <strong>CSV</strong> file of prompts here (XSTest, AdvBench, your own), or{' '}
          <label className="file-label">
            choose a file
            <input
              ref={input}
              type="file"
              accept=".jsonl,.ndjson,.json,.csv,text/csv,application/json"
              data-testid="dataset-file-input"
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) void importFile(file, append);
                e.target.value = '';
              }}
            />
          </label>
          .
        </p>
        <p className="muted small">
          Columns: prompt (prompt, goal, instruction, question, text), label (label, harmful, unsafe…: harmful/unsafe/1/true/yes or
          benign/safe/0/false/no), optional split, type, reference. A file without a split column gets a held-out split: the share set
          below, of each label and, within it, each type.
        </p>
        <label className="inline">
          <input type="checkbox" checked={append} onChange={(e) => setAppend(e.target.checked)} /> add to the current rows instead of replacing them
        </label>
      </div>
      <div className="toolbar">
        <button
          type="button"
          onClick={() => {
            if (rows.length === 0) void loadDemo();
            else if (window.confirm('Replace the current rows with the demo data? Export them first to keep them.')) void loadDemo({ replace: true });
          }}
        >
          Load the demo data
        </button>
        <button type="button" data-testid="dataset-export" onClick={exportJsonl} disabled={rows.length === 0}>
          Export JSONL
        </button>
        <span className="spacer" />
        <label className="inline">
          Hold out
          <input
            type="number"
            min={0}
            max={100}
            step={1}
            value={percent(evalFraction)}
            aria-label="Share held out for eval, in percent (each label, each type in proportion)"
            data-testid="held-out-percent"
            onChange={(e) => {
              const value = Number(e.target.value);
              if (Number.isFinite(value)) setEvalFraction(value / 100);
            }}
            className="narrow"
          />
          % of each label and type for eval
        </label>
        <button
          type="button"
          onClick={() => autoSplit(evalFraction, Date.now() % 1e9, false)}
          disabled={rows.length === 0}
          title="Only rows with no split yet"
          data-testid="split-unsplit"
        >
          Split rows without a split
        </button>
        <button type="button" onClick={() => autoSplit(evalFraction, Date.now() % 1e9, true)} disabled={rows.length === 0} data-testid="split-all">
          Re-split all
        </button>
      </div>
    </div>
  );
}

function ErrorBanner() {
  const error = useDatasetStore((s) => s.error);
  const clearError = useDatasetStore((s) => s.clearError);
  if (!error) return null;
  return (
    <div className="error-banner" role="alert" data-testid="dataset-error">
      <span>{error}</span>
      <button type="button" onClick={clearError} aria-label="Dismiss the message">
        Dismiss
      </button>
    </div>
  );
}

function UndoBar() {
  const undo = useDatasetStore((s) => s.undo);
  const rows = useDatasetStore((s) => s.rows);
  const undoLast = useDatasetStore((s) => s.undoLast);
  if (!undo || undo.after !== rows) return null;
  return (
    <div className="undo-bar" role="status" data-testid="dataset-undo">
      <span>{undo.description}.</span>
      <button type="button" onClick={undoLast} aria-label={`Undo: ${undo.description}`} data-testid="dataset-undo-button">
        Undo
      </button>
    </div>
  );
}

function LabelDialog() {
  const pending = useDatasetStore((s) => s.pendingLabel);
  const resolve = useDatasetStore((s) => s.resolvePendingLabel);
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (pending) first.current?.focus();
  }, [pending]);
  if (!pending) return null;
  return (
    <div className="dialog-backdrop">
      <div
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="label-dialog-title"
        data-testid="label-dialog"
        onKeyDown={(e) => {
          if (e.key === 'Escape') resolve(null);
        }}
      >
        <h3 id="label-dialog-title">Which label do these prompts have?</h3>
        <p>
          <strong>{pending.fileName}</strong> has no label column (as AdvBench). Choose the label that applies to all of its rows:
        </p>
        <div className="toolbar">
          <button ref={first} type="button" className="primary" data-testid="label-dialog-harmful" onClick={() => resolve('harmful')}>
            All harmful
          </button>
          <button type="button" className="primary" data-testid="label-dialog-benign" onClick={() => resolve('benign')}>
            All benign
          </button>
          <button type="button" className="secondary" onClick={() => resolve(null)}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}

function ImportReport() {
  const lastImport = useDatasetStore((s) => s.lastImport);
  const problems = useDatasetStore((s) => s.problems);
  if (!lastImport || lastImport.format === 'demo' || lastImport.format === 'saved') {
    if (problems.length === 0) return null;
  }
  return (
    <div className="import-report" data-testid="import-report">
      {lastImport && lastImport.format !== 'demo' && lastImport.format !== 'saved' && (
        <p>
          Read {counted(lastImport.rows, 'row')} from <strong>{lastImport.fileName}</strong> ({lastImport.format.toUpperCase()})
          {lastImport.problems > 0 ? `; ${counted(lastImport.problems, 'row')} could not be read` : ''}
          {lastImport.duplicates > 0 ? `; ${counted(lastImport.duplicates, 'row')} ${lastImport.duplicates === 1 ? 'repeats' : 'repeat'} an earlier prompt (kept, and flagged)` : ''}.
        </p>
      )}
      {problems.length > 0 && (
        <details data-testid="import-problems" open={problems.length <= 10}>
          <summary className="error">
            {counted(problems.length, 'row')} not loaded
          </summary>
          <ul>
            {problems.slice(0, MAX_PROBLEMS_SHOWN).map((p, i) => (
              <li key={i}>
                {p.file}, line {p.line}: {p.reason}
              </li>
            ))}
            {problems.length > MAX_PROBLEMS_SHOWN && <li>… and {problems.length - MAX_PROBLEMS_SHOWN} more</li>}
          </ul>
        </details>
      )}
    </div>
  );
}

function LabelTable() {
  const rows = useDatasetStore((s) => s.rows);
  const setLabel = useDatasetStore((s) => s.setLabel);
  const setSplit = useDatasetStore((s) => s.setSplit);
  const deleteRows = useDatasetStore((s) => s.deleteRows);
  const [labelFilter, setLabelFilter] = useState<'all' | Label>('all');
  const [splitFilter, setSplitFilter] = useState<SplitFilter>('all');
  const [typeFilter, setTypeFilter] = useState('all');
  const [text, setText] = useState('');
  const [duplicatesOnly, setDuplicatesOnly] = useState(false);
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [page, setPage] = useState(0);
  const [pageSize, setPageSize] = useState<number>(PAGE_SIZES[0]);

  const types = useMemo(() => [...new Set(rows.map((r) => r.type).filter((t): t is string => !!t))].sort(), [rows]);
  const duplicateOf = useMemo(() => {
    const map = new Map<number, string>();
    for (const [i, j] of findDuplicates(rows)) map.set(rows[i]!.uid, rows[j]!.id);
    return map;
  }, [rows]);
  const filtered = useMemo(() => {
    const needle = text.trim().toLowerCase();
    return rows.filter(
      (r) =>
        (labelFilter === 'all' || r.label === labelFilter) &&
        (splitFilter === 'all' || (splitFilter === 'none' ? !r.split : r.split === splitFilter)) &&
        (typeFilter === 'all' || r.type === typeFilter) &&
        (!duplicatesOnly || duplicateOf.has(r.uid)) &&
        (!needle || r.prompt.toLowerCase().includes(needle) || r.id.toLowerCase().includes(needle)),
    );
  }, [rows, labelFilter, splitFilter, typeFilter, text, duplicatesOnly, duplicateOf]);

  // Selection only ever holds rows that still exist.
  useEffect(() => {
    setSelected((s) => {
      if (s.size === 0) return s;
      const live = new Set(rows.map((r) => r.uid));
      const next = new Set([...s].filter((uid) => live.has(uid)));
      return next.size === s.size ? s : next;
    });
  }, [rows]);

  const pages = Math.max(1, Math.ceil(filtered.length / pageSize));
  const current = Math.min(page, pages - 1);
  const shown = filtered.slice(current * pageSize, (current + 1) * pageSize);
  const targets = selected.size > 0 ? [...selected] : filtered.map((r) => r.uid);
  const targetWords = selected.size > 0 ? `${selected.size} selected` : `all ${filtered.length} shown`;
  const resetPage = <T,>(f: (v: T) => void) => (v: T) => {
    f(v);
    setPage(0);
  };
  const allShownSelected = shown.length > 0 && shown.every((r) => selected.has(r.uid));

  return (
    <div className="label-table-wrap">
      <AddRowForm />
      <div className="filters" role="search" aria-label="Filter the rows">
        <label>
          Label
          <select data-testid="filter-label" value={labelFilter} onChange={(e) => resetPage(setLabelFilter)(e.target.value as 'all' | Label)}>
            <option value="all">all</option>
            <option value="harmful">harmful</option>
            <option value="benign">benign</option>
          </select>
        </label>
        <label>
          Split
          <select data-testid="filter-split" value={splitFilter} onChange={(e) => resetPage(setSplitFilter)(e.target.value as SplitFilter)}>
            <option value="all">all</option>
            <option value="train">train</option>
            <option value="eval">eval</option>
            <option value="none">none</option>
          </select>
        </label>
        <label>
          Type
          <select data-testid="filter-type" value={typeFilter} onChange={(e) => resetPage(setTypeFilter)(e.target.value)}>
            <option value="all">all</option>
            {types.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label className="grow">
          Text
          <input type="search" data-testid="filter-text" placeholder="words in the prompt or id" value={text} onChange={(e) => resetPage(setText)(e.target.value)} />
        </label>
        <label className="inline">
          <input type="checkbox" checked={duplicatesOnly} onChange={(e) => resetPage(setDuplicatesOnly)(e.target.checked)} /> duplicates only (
          {duplicateOf.size})
        </label>
      </div>
      <div className="toolbar bulk" aria-label="Change many rows">
        <span>
          For {targetWords}: <span className="muted small">(select rows to narrow)</span>
        </span>
        <button type="button" data-testid="bulk-harmful" disabled={targets.length === 0} onClick={() => setLabel(targets, 'harmful')}>
          Label harmful
        </button>
        <button type="button" data-testid="bulk-benign" disabled={targets.length === 0} onClick={() => setLabel(targets, 'benign')}>
          Label benign
        </button>
        <button type="button" disabled={targets.length === 0} onClick={() => setSplit(targets, 'train')}>
          Split train
        </button>
        <button type="button" disabled={targets.length === 0} onClick={() => setSplit(targets, 'eval')}>
          Split eval
        </button>
        <button
          type="button"
          className="danger"
          disabled={targets.length === 0}
          onClick={() => {
            if (selected.size > 0 || window.confirm(`Delete all ${targets.length} rows shown?`)) {
              deleteRows(targets);
              setSelected(new Set());
            }
          }}
        >
          Delete
        </button>
        {selected.size > 0 && (
          <button type="button" className="secondary" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        )}
      </div>
      <table className="label-table" data-testid="label-table" data-rows={filtered.length} data-total={rows.length}>
        <thead>
          <tr>
            <th scope="col" className="narrow-col">
              <input
                type="checkbox"
                aria-label="Select every row on this page"
                checked={allShownSelected}
                onChange={(e) =>
                  setSelected((s) => {
                    const next = new Set(s);
                    for (const r of shown) e.target.checked ? next.add(r.uid) : next.delete(r.uid);
                    return next;
                  })
                }
              />
            </th>
            <th scope="col">id</th>
            <th scope="col">Prompt</th>
            <th scope="col">Label</th>
            <th scope="col">Split</th>
            <th scope="col">Type</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {shown.map((row) => (
            <RowView
              key={row.uid}
              row={row}
              duplicateOf={duplicateOf.get(row.uid)}
              selected={selected.has(row.uid)}
              onSelect={(on) =>
                setSelected((s) => {
                  const next = new Set(s);
                  on ? next.add(row.uid) : next.delete(row.uid);
                  return next;
                })
              }
            />
          ))}
          {shown.length === 0 && (
            <tr>
              <td colSpan={7} className="muted">
                {rows.length === 0 ? 'No rows.' : 'No row matches the filters.'}
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <nav className="pager" aria-label="Pages of the table">
        <button type="button" onClick={() => setPage(0)} disabled={current === 0} aria-label="First page">
          «
        </button>
        <button type="button" onClick={() => setPage(current - 1)} disabled={current === 0} data-testid="page-prev">
          Previous
        </button>
        <span data-testid="page-info">
          Page {current + 1} of {pages} · {filtered.length} of {counted(rows.length, 'row')}
        </span>
        <button type="button" onClick={() => setPage(current + 1)} disabled={current >= pages - 1} data-testid="page-next">
          Next
        </button>
        <button type="button" onClick={() => setPage(pages - 1)} disabled={current >= pages - 1} aria-label="Last page">
          »
        </button>
        <label className="inline">
          Rows per page
          <select data-testid="page-size" value={pageSize} onChange={(e) => resetPage(setPageSize)(Number(e.target.value))}>
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </nav>
    </div>
  );
}

function RowView({ row, duplicateOf, selected, onSelect }: { row: TableRow; duplicateOf: string | undefined; selected: boolean; onSelect(on: boolean): void }) {
  const updateRow = useDatasetStore((s) => s.updateRow);
  const setSplit = useDatasetStore((s) => s.setSplit);
  const deleteRows = useDatasetStore((s) => s.deleteRows);
  const [draft, setDraft] = useState<string | null>(null);
  const [expanded, setExpanded] = useState(false);
  const save = () => {
    if (draft !== null && draft.trim()) updateRow(row.uid, { prompt: draft.trim() });
    setDraft(null);
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') setDraft(null);
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) save();
  };
  return (
    <tr data-testid="label-row" data-id={row.id} data-label={row.label} className={selected ? 'selected' : undefined}>
      <td>
        <input type="checkbox" aria-label={`Select row ${row.id}`} checked={selected} onChange={(e) => onSelect(e.target.checked)} data-testid="row-select" />
      </td>
      <td className="id-cell">{row.id}</td>
      <td className="prompt-cell">
        {draft === null ? (
          <>
            <span
              className={`prompt-text${expanded ? ' expanded' : ''}`}
              data-testid="row-prompt"
              title={expanded ? undefined : 'Click to show the whole prompt'}
              onClick={() => setExpanded((x) => !x)}
            >
              {row.prompt}
            </span>
            {duplicateOf !== undefined && (
              <span className="badge warn" title={`The same prompt as row ${duplicateOf}`}>
                duplicate of {duplicateOf}
              </span>
            )}
          </>
        ) : (
          <div className="edit-prompt">
            <textarea aria-label={`Prompt of row ${row.id}`} value={draft} onChange={(e) => setDraft(e.target.value)} onKeyDown={onKey} autoFocus rows={3} data-testid="row-prompt-edit" />
            <div className="toolbar">
              <button type="button" className="primary" onClick={save} disabled={!draft.trim()} data-testid="row-save">
                Save
              </button>
              <button type="button" className="secondary" onClick={() => setDraft(null)}>
                Cancel
              </button>
            </div>
          </div>
        )}
      </td>
      <td>
        <select
          aria-label={`Label of row ${row.id}`}
          data-testid="row-label"
          className={`label-select ${row.label}`}
          value={row.label}
          onChange={(e) => updateRow(row.uid, { label: e.target.value as Label })}
        >
          <option value="harmful">harmful</option>
          <option value="benign">benign</option>
        </select>
      </td>
      <td>
        <select aria-label={`Split of row ${row.id}`} data-testid="row-split" value={row.split ?? ''} onChange={(e) => setSplit([row.uid], (e.target.value || null) as Split | null)}>
          <option value="">—</option>
          <option value="train">train</option>
          <option value="eval">eval</option>
        </select>
      </td>
      <td className="type-cell">{row.type ?? ''}</td>
      <td className="actions">
        {draft === null && (
          <button type="button" className="link" onClick={() => setDraft(row.prompt)} aria-label={`Edit the prompt of row ${row.id}`} data-testid="row-edit">
            Edit
          </button>
        )}
        <button type="button" className="link danger" onClick={() => deleteRows([row.uid])} aria-label={`Delete row ${row.id}`} data-testid="row-delete">
          Delete
        </button>
      </td>
    </tr>
  );
}

function AddRowForm() {
  const addRow = useDatasetStore((s) => s.addRow);
  const [open, setOpen] = useState(false);
  const [prompt, setPrompt] = useState('');
  const [label, setLabelValue] = useState<Label>('harmful');
  const [split, setSplitValue] = useState<Split>('train');
  if (!open)
    return (
      <div className="toolbar">
        <button type="button" onClick={() => setOpen(true)} data-testid="row-add-open">
          Add a prompt
        </button>
      </div>
    );
  return (
    <form
      className="add-row"
      data-testid="row-add-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!prompt.trim()) return;
        addRow({ prompt: prompt.trim(), label, split });
        setPrompt('');
      }}
    >
      <label className="grow">
        Prompt
        <textarea value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={2} data-testid="row-add-prompt" />
      </label>
      <label>
        Label
        <select value={label} onChange={(e) => setLabelValue(e.target.value as Label)}>
          <option value="harmful">harmful</option>
          <option value="benign">benign</option>
        </select>
      </label>
      <label>
        Split
        <select value={split} onChange={(e) => setSplitValue(e.target.value as Split)}>
          <option value="train">train</option>
          <option value="eval">eval</option>
        </select>
      </label>
      <button type="submit" className="primary" disabled={!prompt.trim()} data-testid="row-add">
        Add
      </button>
      <button type="button" className="secondary" onClick={() => setOpen(false)}>
        Close
      </button>
    </form>
  );
}
