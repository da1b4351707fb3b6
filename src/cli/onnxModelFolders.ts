// The user's ONNX models on disk, for the command line: a folder with one .onnx file and its
// tokenizer.json (tokenizer_config.json for a reward model's chat template, config.json for a
// refusal classifier's id2label), as `--reward-model DIR` and `--refusal-model DIR` name them.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { rewardModelFromFiles, type OnnxRewardModel } from '../rl/onnxRewardModel.ts';
import { refusalModelFromFiles, type OnnxRefusalClassifier } from '../rl/onnxRefusalClassifier.ts';
import { ONNX_MODEL_FILE, OnnxModelError } from '../rl/onnxTextModel.ts';
import type { RefusalJudgeKind } from '../rl/refusalJudge.ts';
import { UsageError } from './args.ts';

async function fromFolder<T>(dir: string, option: string, open: (files: Map<string, Uint8Array>, label: string) => Promise<T>): Promise<T> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--${option} ${dir} is not a folder: pass a folder with the .onnx file and its tokenizer.json`);
  const names = readdirSync(dir).filter((f) => ONNX_MODEL_FILE.test(f));
  try {
    return await open(new Map(names.map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))])), dir);
  } catch (error) {
    if (error instanceof OnnxModelError) throw new UsageError(`--${option}: ${error.message}`);
    throw error;
  }
}

export const loadRewardModel = (dir: string): Promise<OnnxRewardModel> => fromFolder(dir, 'reward-model', rewardModelFromFiles);

const loadRefusalModel = (dir: string): Promise<OnnxRefusalClassifier> => fromFolder(dir, 'refusal-model', refusalModelFromFiles);

/**
 * `--refusal-model DIR` as the judges in use need it: the model when one of them is "onnx", and a
 * usage error when that judge has no model, or a model was given that no judge reads.
 */
export async function refusalModelOption(dir: string | undefined, ...judges: RefusalJudgeKind[]): Promise<OnnxRefusalClassifier | null> {
  const wanted = judges.includes('onnx');
  if (wanted && dir === undefined) throw new UsageError(`the "onnx" refusal judge needs --refusal-model DIR: a folder with your refusal classifier's .onnx file and its tokenizer.json`);
  if (!wanted && dir !== undefined) {
    throw new UsageError(`--refusal-model is read only by the "onnx" refusal judge, which is not chosen: add --judge onnx (or set reward_judge / eval_judge to "onnx" in the config), or leave the option out`);
  }
  return dir === undefined ? null : loadRefusalModel(dir);
}
