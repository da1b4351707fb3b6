// `lab export-run`: the experiment a run would start, handed over to TRL or veRL as a folder
// (src/export/). The data, rules and config are read as `lab train` reads them.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { sha256Hex } from '../rl/runSetup.ts';
import { exportRun } from '../export/exportRun.ts';
import { EXPORT_TARGETS, ExportError, type ExportTarget } from '../export/exportTypes.ts';
import { loadNodePythonSources } from '../export/nodePythonSources.ts';
import { choiceOption, requireString, UsageError } from './args.ts';
import { readOptionJson, readOptionText, readPromptRows, readRlConfig } from './inputFiles.ts';
import { refusalClassifierFor } from './refusalClassifierFile.ts';

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
  // --rules replaces the config's refusal_rules, as the Rewards panel's list replaces the preset's.
  const config = readRlConfig(values.config, values.rules === undefined ? {} : { refusal_rules: readOptionJson(values.rules, 'rules') });

  const rows = readPromptRows(dataPath, 'data', label);
  const evalRows = values.eval ? readPromptRows(values.eval, 'eval', label) : rows.filter((r) => r.split === 'eval');
  const trainRows = values.eval ? rows : rows.filter((r) => r.split !== 'eval');
  if (trainRows.length === 0) throw new UsageError(`--data ${dataPath} has only eval rows: pass training rows, or the held-out ones with --eval`);

  const runCard = {
    command: 'lab export-run',
    data: { file: dataPath, sha256: await sha256Hex(readOptionText(dataPath, 'data')) },
    ...(values.eval ? { eval: { file: values.eval, sha256: await sha256Hex(readOptionText(values.eval, 'eval')) } } : {}),
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
    }, loadNodePythonSources());
  } catch (error) {
    if (error instanceof ExportError) throw new UsageError(`cannot export for ${target}: ${error.message}`);
    throw error;
  }
  for (const [name, content] of files) {
    mkdirSync(dirname(join(out, name)), { recursive: true });
    writeFileSync(join(out, name), content);
  }
  // The package's files are listed as its folder.
  const written = [...new Set([...files.keys()].map((name) => name.split('/')[0]!))];
  process.stderr.write(`wrote ${written.join(', ')} to ${out} (${trainRows.length} training and ${evalRows.length} held-out prompts; see README.md)\n`);
}
