// The files the commands read from their options — a dataset, a settings file, a rules file —
// read one way everywhere, each problem a UsageError that names the option, the file and the way out.
import { readFileSync } from 'node:fs';
import { importDataset } from '../data/import.ts';
import type { Label, PromptRow } from '../data/schema.ts';
import { parseRlConfig, type RlConfig } from '../rl/config.ts';
import { UsageError } from './args.ts';

/** The text of the file given as --`option`. */
export function readOptionText(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`--${option} ${path} cannot be read`);
  }
}

/** The JSON of the file given as --`option`. */
export function readOptionJson(path: string, option: string): unknown {
  const text = readOptionText(path, option);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--${option} ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * The prompt rows of a dataset given as --`option`, as the page imports them; bad rows are
 * reported on stderr by line and skipped. `label` applies to every row of a file without a
 * label column (AdvBench's).
 */
export function readPromptRows(path: string, option: string, label: Label | undefined): PromptRow[] {
  const result = importDataset(readOptionText(path, option), path, label ? { defaultLabel: label } : {});
  if (result.needsLabel) throw new UsageError(`--${option} ${path} has no label column: pass --label harmful or --label benign for all its rows`);
  for (const p of result.problems) process.stderr.write(`${path}:${p.line}: ${p.reason} (skipped)\n`);
  if (result.rows.length === 0) throw new UsageError(`--${option} ${path} has no usable rows`);
  return result.rows;
}

/**
 * The run config: `base` (a recipe's settings; the defaults without one), then the --config file's
 * settings, then `overrides`; every problem in one message.
 */
export function readRlConfig(path: string | undefined, overrides: Record<string, unknown> = {}, base: Record<string, unknown> = {}): RlConfig {
  const json = path === undefined ? {} : readOptionJson(path, 'config');
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new UsageError(`--config ${path} must hold a JSON object of settings`);
  try {
    return parseRlConfig({ ...base, ...json, ...overrides });
  } catch (error) {
    throw new UsageError(`${path ?? 'the config'}: ${(error as Error).message}`);
  }
}
