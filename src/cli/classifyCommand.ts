// `lab classify`: the refusal judge on every row of a CSV of completions, one JSON line per row
// with the layer that decided and why, and, when the file carries human labels (XSTest's
// `final_label`), how often the two agree.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CsvError, parseCsv, type CsvRecord } from '../data/csv.ts';
import { DEFAULT_FORMAT_SETTINGS } from '../rl/formatVerifier.ts';
import { DEFAULT_REFUSAL_RULES } from '../rl/refusalRules.ts';
import { makeRefusalJudge, REFUSAL_JUDGE_KINDS } from '../rl/refusalJudge.ts';
import { parseRefusalRules, RefusalRulesError, type RefusalRule } from '../rl/refusalVerifier.ts';
import { verifyCompletions } from '../rl/verifiers.ts';
import { choiceOption, requireString, UsageError } from './args.ts';
import { readOptionJson, readOptionText } from './inputFiles.ts';
import { refusalModelOption } from './onnxModelFolders.ts';
import { readRefusalClassifier } from './refusalClassifierFile.ts';

/** The human label column of XSTest's published completions. */
export const HUMAN_LABEL_COLUMN = 'final_label';

/** XSTest's `final_label`: 1_full_compliance → false, 2_full_refusal or 3_partial_refusal → true; anything else → null. */
export function humanRefusal(label: string): boolean | null {
  const kind = /^\s*([123])_/.exec(label)?.[1];
  return kind === undefined ? null : kind !== '1';
}

export interface Agreement {
  /** Refusal by both the rules and the human. */
  truePositive: number;
  /** Refusal by the rules only. */
  falsePositive: number;
  trueNegative: number;
  /** Refusal by the human only. */
  falseNegative: number;
}

/** Confusion counts of predicted refusals against human ones; rows without a human label are left out. */
export function agreement(pairs: readonly { predicted: boolean; human: boolean | null }[]): Agreement {
  const counts: Agreement = { truePositive: 0, falsePositive: 0, trueNegative: 0, falseNegative: 0 };
  for (const { predicted, human } of pairs) {
    if (human === null) continue;
    if (predicted) counts[human ? 'truePositive' : 'falsePositive']++;
    else counts[human ? 'falseNegative' : 'trueNegative']++;
  }
  return counts;
}

/** Accuracy, precision and recall of refusals (NaN where the denominator is 0). */
export function agreementRates({ truePositive: tp, falsePositive: fp, trueNegative: tn, falseNegative: fn }: Agreement) {
  return { labelled: tp + fp + tn + fn, accuracy: (tp + tn) / (tp + fp + tn + fn), precision: tp / (tp + fp), recall: tp / (tp + fn) };
}

export interface ClassifiedRow {
  /** 1-based number of the data row (the header is not counted). */
  row: number;
  refusal: boolean;
  /** The pattern of the rule that decided; null when none did. */
  rule: string | null;
  /** The layer whose vote is the verdict. */
  decided_by: 'rules' | 'classifier';
  /** The classifier's probability of a refusal; null with the "rules" judge. */
  probability: number | null;
  /** Why, in a line: the layer, the rule, the probability and the strongest features. */
  reason: string;
}

const percent = (x: number) => (Number.isNaN(x) ? 'n/a' : `${(100 * x).toFixed(1)}%`);

/** The line `classify` ends with on stderr when the file has human labels (python/alphaalign/classify.py writes the same). */
export function agreementLine(pairs: readonly { predicted: boolean; human: boolean | null }[]): string {
  const counts = agreement(pairs);
  const rates = agreementRates(counts);
  const unlabelled = pairs.length - rates.labelled;
  return (
    `agreement with ${HUMAN_LABEL_COLUMN}: ${counts.truePositive + counts.trueNegative}/${rates.labelled} = ${percent(rates.accuracy)}` +
    ` (refusal precision ${percent(rates.precision)}, recall ${percent(rates.recall)}` +
    `${unlabelled ? `; ${unlabelled} row${unlabelled === 1 ? '' : 's'} without a 1_/2_/3_ label left out` : ''})`
  );
}

function loadRules(path: string): RefusalRule[] {
  const value = readOptionJson(path, 'rules');
  try {
    return parseRefusalRules(value);
  } catch (error) {
    if (error instanceof RefusalRulesError) throw new UsageError(`--rules ${path}: ${error.message}`);
    throw error;
  }
}

export async function classifyCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { in: { type: 'string' }, column: { type: 'string' }, out: { type: 'string' }, rules: { type: 'string' }, judge: { type: 'string' }, 'refusal-model': { type: 'string' } },
    strict: true,
  });
  const inPath = requireString(values, 'in');
  const columnName = values.column ?? 'completion';
  const rules = values.rules === undefined ? DEFAULT_REFUSAL_RULES : loadRules(values.rules);
  const kind = choiceOption(values, 'judge', REFUSAL_JUDGE_KINDS, 'combined');
  const refusalModel = await refusalModelOption(values['refusal-model'], kind);
  const judge = makeRefusalJudge(kind, rules, kind === 'combined' ? readRefusalClassifier() : null, refusalModel);

  let table: CsvRecord[];
  try {
    table = parseCsv(readOptionText(inPath, 'in'));
  } catch (error) {
    if (error instanceof CsvError) throw new UsageError(`--in ${inPath} is not valid CSV: ${error.message}`);
    throw error;
  }
  const [header, ...body] = table;
  // Column names as the importer reads them: trimmed, any case.
  const names = (header?.cells ?? []).map((c) => c.trim().toLowerCase());
  const column = names.indexOf(columnName.trim().toLowerCase());
  if (column < 0) {
    throw new UsageError(`${inPath} has no column "${columnName}" (columns: ${names.join(', ') || 'none'}): name the one to classify with --column`);
  }
  const labelColumn = names.indexOf(HUMAN_LABEL_COLUMN);

  const lines: string[] = [];
  const pairs: { predicted: boolean; human: boolean | null }[] = [];
  const rows = body.flatMap(({ line, cells }, i) => {
    if (cells.length === names.length) return [{ row: i + 1, cells }];
    process.stderr.write(`${inPath}:${line}: the row has ${cells.length} fields but the header has ${names.length} (skipped)\n`);
    return [];
  });
  // Free-form answers fail the format, so the whole text is judged; tagged ones by their answer.
  const verdicts = await verifyCompletions(
    rows.map(({ cells }) => cells[column]!),
    DEFAULT_FORMAT_SETTINGS,
    judge,
  );
  rows.forEach(({ row, cells }, k) => {
    const { refusal } = verdicts[k]!;
    const result: ClassifiedRow = {
      row,
      refusal: refusal.refusal,
      rule: refusal.rule?.pattern ?? null,
      decided_by: refusal.decidedBy,
      probability: refusal.classifierVote?.probability ?? null,
      reason: refusal.reason,
    };
    lines.push(JSON.stringify(result));
    if (labelColumn >= 0) pairs.push({ predicted: result.refusal, human: humanRefusal(cells[labelColumn]!) });
  });

  const jsonl = lines.map((l) => `${l}\n`).join('');
  if (values.out === undefined) process.stdout.write(jsonl);
  else {
    try {
      writeFileSync(values.out, jsonl);
    } catch (error) {
      throw new UsageError(`--out ${values.out} cannot be written: ${(error as Error).message}`);
    }
  }

  if (labelColumn >= 0) process.stderr.write(`${agreementLine(pairs)}\n`);
}
