// Labelled prompts from JSONL, a JSON array or CSV, as the data sets are published: columns are
// found by name, whatever their case (COLUMN_ALIASES), a file without labels (AdvBench, HarmBench,
// CatQA…) takes one label for every row from the caller, Alpaca-style instruction + input +
// output is understood, questions grouped by category in one JSON object (CatQA's
// {category: {subcategory: [question]}}) become rows typed by category, and every row that cannot
// be read is reported with its line and the reason while the good rows still load.
import { parseCsv } from './csv.ts';
import { duplicateKey } from './splits.ts';
import { COLUMN_ALIASES, parseLabel, parseSplit, type Label, type PromptRow } from './schema.ts';

export const MAX_IMPORT_BYTES = 64 * 2 ** 20;
export const MAX_IMPORT_ROWS = 200_000;

export interface ImportProblem {
  /** 1-based line of the row in the file (the item number for a JSON array). */
  line: number;
  reason: string;
}

export interface ImportResult {
  format: 'csv' | 'jsonl' | 'json';
  rows: PromptRow[];
  problems: ImportProblem[];
  /** Rows whose prompt repeats an earlier one; they are kept, and flagged. */
  duplicates: { line: number; firstLine: number }[];
  /** The file's column used for each field (null: none), in lower case. */
  columns: Record<keyof typeof COLUMN_ALIASES, string | null>;
  /** The file has no label column and no default label was given: ask which label applies. */
  needsLabel: boolean;
}

export class ImportError extends Error {
  override name = 'ImportError';
}

export interface ImportOptions {
  /** The label of every row when the file has no label column (AdvBench: 'harmful'). */
  defaultLabel?: Label;
}

type RawRecord = { line: number; fields: Record<string, unknown> };

export function importDataset(text: string, fileName: string, options: ImportOptions = {}): ImportResult {
  const bytes = new TextEncoder().encode(text).byteLength;
  if (bytes > MAX_IMPORT_BYTES) {
    throw new ImportError(`${fileName} is ${(bytes / 2 ** 20).toFixed(0)} MiB; the lab imports files up to ${MAX_IMPORT_BYTES / 2 ** 20} MiB: split it into parts`);
  }
  const { format, records, problems } = readRecords(text, fileName);
  if (records.length > MAX_IMPORT_ROWS) {
    throw new ImportError(`${fileName} has ${records.length} rows; the lab imports up to ${MAX_IMPORT_ROWS}: split it into parts`);
  }
  // A field's column is the first alias a row has: rows of one file may spell it differently.
  const keys = new Set(records.flatMap((r) => Object.keys(r.fields)));
  const find = (aliases: readonly string[], fields?: Record<string, unknown>) =>
    aliases.find((a) => (fields ? fields[a] !== undefined : keys.has(a))) ?? null;
  const columns = {
    prompt: find(COLUMN_ALIASES.prompt),
    label: find(COLUMN_ALIASES.label),
    reference: find(COLUMN_ALIASES.reference),
    split: find(COLUMN_ALIASES.split),
    type: find(COLUMN_ALIASES.type),
    id: find(COLUMN_ALIASES.id),
    context: find(COLUMN_ALIASES.context),
  };
  if (records.length > 0 && !columns.prompt) {
    throw new ImportError(
      `${fileName} has no prompt column: name one of ${COLUMN_ALIASES.prompt.join(', ')} (found: ${[...keys].join(', ') || 'none'})`,
    );
  }
  const needsLabel = !columns.label && !options.defaultLabel;
  const rows: PromptRow[] = [];
  const duplicates: ImportResult['duplicates'] = [];
  const seen = new Map<string, number>();
  if (!needsLabel) {
    for (const { line, fields } of records) {
      const bad = (reason: string) => problems.push({ line, reason });
      const column = {
        prompt: find(COLUMN_ALIASES.prompt, fields) ?? columns.prompt!,
        label: find(COLUMN_ALIASES.label, fields),
        reference: find(COLUMN_ALIASES.reference, fields),
        split: find(COLUMN_ALIASES.split, fields),
        type: find(COLUMN_ALIASES.type, fields),
        id: find(COLUMN_ALIASES.id, fields),
        context: find(COLUMN_ALIASES.context, fields),
      };
      let prompt = String(fields[column.prompt] ?? '').trim();
      let reference = column.reference ? String(fields[column.reference] ?? '').trim() : '';
      // Alpaca: an instruction's input goes after it; seed tasks keep input and output in instances[0].
      const instance = Array.isArray(fields.instances) ? (fields.instances[0] as Record<string, unknown> | undefined) : undefined;
      const input = String(fields.input ?? instance?.input ?? '').trim();
      if (input) prompt = `${prompt}\n\n${input}`;
      if (!reference && typeof instance?.output === 'string') reference = instance.output.trim();
      // HarmBench's contextual behaviours: the context, a rule, then the behaviour, as HarmBench prompts.
      const context = column.context ? String(fields[column.context] ?? '').trim() : '';
      if (context && prompt) prompt = `${context}\n\n---\n\n${prompt}`;
      if (!prompt) {
        bad(`the prompt (${column.prompt}) is empty`);
        continue;
      }
      let label = options.defaultLabel ?? null;
      if (columns.label) {
        label = parseLabel(column.label ? fields[column.label] : '');
        if (!label) {
          bad(`the label ${JSON.stringify(column.label ? fields[column.label] : '')} is neither harmful (harmful, unsafe, 1, true, yes) nor benign (benign, safe, 0, false, no)`);
          continue;
        }
      }
      const row: PromptRow = { id: column.id && fields[column.id] !== undefined ? String(fields[column.id]) : String(line), prompt, label: label! };
      if (reference) row.reference = reference;
      if (column.type && fields[column.type] !== undefined && String(fields[column.type]).trim()) row.type = String(fields[column.type]).trim();
      if (column.split && String(fields[column.split] ?? '').trim()) {
        const split = parseSplit(fields[column.split]);
        if (!split) {
          bad(`the split ${JSON.stringify(fields[column.split])} is neither train nor eval (test, validation)`);
          continue;
        }
        row.split = split;
      }
      const key = duplicateKey(prompt);
      const firstLine = seen.get(key);
      if (firstLine !== undefined) duplicates.push({ line, firstLine });
      else seen.set(key, line);
      rows.push(row);
    }
  }
  problems.sort((a, b) => a.line - b.line);
  return { format, rows, problems, duplicates, columns, needsLabel };
}

function readRecords(text: string, fileName: string): { format: ImportResult['format']; records: RawRecord[]; problems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  const trimmed = text.trimStart();
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.json') || (!lower.endsWith('.jsonl') && trimmed.startsWith('['))) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ImportError(`${fileName} is not valid JSON: ${(error as Error).message}`);
    }
    const items = Array.isArray(parsed) ? parsed : (parsed as { data?: unknown })?.data;
    if (!Array.isArray(items)) {
      const grouped = groupedQuestions(parsed);
      if (grouped) return { format: 'json', ...grouped };
      throw new ImportError(
        `${fileName} holds no rows: the lab reads a JSON array of rows, {"data": [...]}, or questions grouped by category ({"category": {"subcategory": ["question", …]}} or {"category": ["question", …]})`,
      );
    }
    const records: RawRecord[] = [];
    items.forEach((item, i) => {
      if (isObject(item)) records.push({ line: i + 1, fields: lowerCaseKeys(item) });
      else problems.push({ line: i + 1, reason: `item ${i + 1} is not an object` });
    });
    return { format: 'json', records, problems };
  }
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson') || trimmed.startsWith('{')) {
    const records: RawRecord[] = [];
    text.split(/\r?\n/).forEach((lineText, i) => {
      if (!lineText.trim()) return;
      try {
        const value = JSON.parse(lineText) as unknown;
        if (isObject(value)) records.push({ line: i + 1, fields: lowerCaseKeys(value) });
        else problems.push({ line: i + 1, reason: 'the line is JSON but not an object' });
      } catch {
        problems.push({ line: i + 1, reason: 'the line is not valid JSON' });
      }
    });
    return { format: 'jsonl', records, problems };
  }
  let table;
  try {
    table = parseCsv(text);
  } catch (error) {
    throw new ImportError(`${fileName}: ${(error as Error).message}`);
  }
  const [header, ...body] = table;
  if (!header) return { format: 'csv', records: [], problems };
  const names = header.cells.map((c) => c.trim().toLowerCase());
  const records: RawRecord[] = [];
  for (const { line, cells } of body) {
    if (cells.length !== names.length) {
      problems.push({ line, reason: `the row has ${cells.length} fields but the header has ${names.length}` });
      continue;
    }
    records.push({ line, fields: Object.fromEntries(names.map((n, i) => [n, cells[i]])) });
  }
  return { format: 'csv', records, problems };
}

const isObject = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);

/** Keys as CSV headers are read, in lower case, so `Prompt` and `prompt` name the same column. */
const lowerCaseKeys = (fields: Record<string, unknown>) => Object.fromEntries(Object.entries(fields).map(([k, v]) => [k.toLowerCase(), v]));

/**
 * Questions grouped by category in one object, as CatQA publishes them: `{category: {subcategory:
 * [question]}}` or `{category: [question]}`. Each question becomes a record with `question` and
 * `category` (the category is the breakdown a user wants: CatQA has 11, each of 5 subcategories),
 * numbered in file order (its `line`); null when the value is not laid out so.
 */
function groupedQuestions(parsed: unknown): { records: RawRecord[]; problems: ImportProblem[] } | null {
  if (!isObject(parsed) || Object.keys(parsed).length === 0) return null;
  const groups = Object.values(parsed);
  const isList = (v: unknown) => Array.isArray(v);
  if (!groups.every((g) => isList(g) || (isObject(g) && Object.values(g).every(isList)))) return null;
  const records: RawRecord[] = [];
  const problems: ImportProblem[] = [];
  let line = 0;
  const add = (questions: unknown[], category: string, where: string) => {
    for (const question of questions) {
      line++;
      if (typeof question === 'string') records.push({ line, fields: { question, category } });
      else problems.push({ line, reason: `item ${line} (${where}) is not a question string` });
    }
  };
  for (const [category, group] of Object.entries(parsed)) {
    if (Array.isArray(group)) add(group, category, category);
    else for (const [subcategory, questions] of Object.entries(group as Record<string, unknown[]>)) add(questions, category, `${category} / ${subcategory}`);
  }
  return { records, problems };
}

/** A dataset back to JSONL, one row per line, in the lab's own field names. */
export function exportJsonl(rows: readonly PromptRow[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
}
