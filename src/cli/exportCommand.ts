// `lab export-run`: the experiment a run would start, handed over to TRL or veRL as a folder
// (src/export/). The data, rules and config are read as `lab train` reads them.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { importDataset } from '../data/import.ts';
import type { Label, PromptRow } from '../data/schema.ts';
import { parseRlConfig, type RlConfig } from '../rl/config.ts';
import { sha256Hex } from '../rl/runSetup.ts';
import { exportRun } from '../export/exportRun.ts';
import { EXPORT_TARGETS, type ExportTarget } from '../export/exportTypes.ts';
import { ExportError } from '../export/verifierModule.ts';
import { choiceOption, requireString, UsageError } from './args.ts';
import { refusalClassifierFor } from './refusalClassifierFile.ts';

function readText(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`--${option} ${path} cannot be read`);
  }
}

function readJson(path: string, option: string): unknown {
  try {
    return JSON.parse(readText(path, option));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--${option} ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

function readRows(path: string, option: string, label: Label | undefined): PromptRow[] {
  const result = importDataset(readText(path, option), path, label ? { defaultLabel: label } : {});
  if (result.needsLabel) throw new UsageError(`--${option} ${path} has no label column: pass --label harmful or --label benign for all its rows`);
  for (const p of result.problems) process.stderr.write(`${path}:${p.line}: ${p.reason} (skipped)\n`);
  if (result.rows.length === 0) throw new UsageError(`--${option} ${path} has no usable rows`);
  return result.rows;
}

/** The config file, with --rules in place of its refusal_rules; every problem in one message. */
function readConfig(configPath: string | undefined, rulesPath: string | undefined): RlConfig {
  const json = configPath === undefined ? {} : readJson(configPath, 'config');
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new UsageError(`--config ${configPath} must hold a JSON object of settings`);
  const merged = rulesPath === undefined ? json : { ...json, refusal_rules: readJson(rulesPath, 'rules') };
  try {
    return parseRlConfig(merged);
  } catch (error) {
    throw new UsageError(`${configPath ?? 'the config'}${rulesPath ? ` with --rules ${rulesPath}` : ''}: ${(error as Error).message}`);
  }
}

/** The run record of a lab checkpoint given as --model, when it is one. */
function checkpointRunCard(model: string): Record<string, unknown> | null {
  const path = join(model, 'alphaalign_run.json');
  if (!existsSync(path)) return null;
  try {
    const { appVersion, kind, step, seed, dataset, dataset_sha256: datasetSha256 } = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    return { appVersion, kind, step, seed, dataset, dataset_sha256: datasetSha256 };
  } catch {
    throw new UsageError(`--model ${model}: alphaalign_run.json is not valid JSON`);
  }
}

export async function exportCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      target: { type: 'string' },
      model: { type: 'string' },
      data: { type: 'string' },
      eval: { type: 'string' },
      config: { type: 'string' },
      rules: { type: 'string' },
      label: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  const target: ExportTarget = choiceOption(values, 'target', EXPORT_TARGETS, 'trl');
  if (values.target === undefined) throw new UsageError(`--target is required: one of ${EXPORT_TARGETS.join(', ')}`);
  const model = requireString(values, 'model');
  const dataPath = requireString(values, 'data');
  const out = requireString(values, 'out');
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`--out ${out} is a file: name a folder to write the export in`);
  const label = values.label === undefined ? undefined : choiceOption(values, 'label', ['harmful', 'benign'] as const, 'harmful');
  const config = readConfig(values.config, values.rules);

  const rows = readRows(dataPath, 'data', label);
  const evalRows = values.eval ? readRows(values.eval, 'eval', label) : rows.filter((r) => r.split === 'eval');
  const trainRows = values.eval ? rows : rows.filter((r) => r.split !== 'eval');
  if (trainRows.length === 0) throw new UsageError(`--data ${dataPath} has only eval rows: pass training rows, or the held-out ones with --eval`);

  const runCard = {
    command: 'lab export-run',
    data: { file: dataPath, sha256: await sha256Hex(readText(dataPath, 'data')) },
    ...(values.eval ? { eval: { file: values.eval, sha256: await sha256Hex(readText(values.eval, 'eval')) } } : {}),
    ...(values.config ? { config: values.config } : {}),
    ...(values.rules ? { rules: values.rules } : {}),
    ...(existsSync(model) ? { checkpoint: checkpointRunCard(model) } : {}),
  };
  let files;
  try {
    files = exportRun(target, {
      config,
      model,
      train: trainRows,
      eval: evalRows,
      refusalClassifier: refusalClassifierFor(config),
      trainSource: basename(dataPath),
      evalSource: basename(values.eval ?? dataPath),
      runCard,
    });
  } catch (error) {
    if (error instanceof ExportError) throw new UsageError(`cannot export for ${target}: ${error.message}`);
    throw error;
  }
  mkdirSync(out, { recursive: true });
  for (const [name, content] of files) writeFileSync(join(out, name), content);
  process.stderr.write(`wrote ${[...files.keys()].join(', ')} to ${out} (${trainRows.length} training and ${evalRows.length} held-out prompts; see README.md)\n`);
}
