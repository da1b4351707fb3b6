// Command-line options checked with messages that name the option and the way out.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { adapterBaseName, adapterOverBase } from '../export/adapterSource.ts';
import { ADAPTER_CONFIG } from '../model/loader.ts';
import { ModelFileError, type ModelFileSource } from '../model/files.ts';
import { folderSource } from '../model/nodeFiles.ts';
import { zipSource } from '../train/checkpoint.ts';

/** A mistake in how the command was called: exit code 2 and the usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type Values = Record<string, string | boolean | undefined>;

export function requireString(values: Values, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

export function numberOption(
  values: Values,
  name: string,
  fallback: number,
  { min = -Infinity, max = Infinity, integer = false }: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}, not "${String(raw)}"`);
  }
  if (value < min || value > max) throw new UsageError(`--${name} must be between ${min} and ${max}, not ${value}`);
  return value;
}

export function choiceOption<T extends string>(values: Values, name: string, choices: readonly T[], fallback: T): T {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (!choices.includes(raw as T)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, not "${String(raw)}"`);
  return raw as T;
}

/** A model folder, or a checkpoint zip, on disk; or a LoRA adapter folder on its base (bareAdapterSource). */
export function modelSource(path: string): ModelFileSource {
  if (!existsSync(path)) throw new ModelFileError(`${path} does not exist: pass a Hugging Face model folder or a checkpoint .zip`);
  if (statSync(path).isDirectory()) {
    const bare = existsSync(join(path, ADAPTER_CONFIG)) && !existsSync(join(path, 'config.json'));
    return bare ? bareAdapterSource(path) : folderSource(path);
  }
  return zipSource(new Uint8Array(readFileSync(path)), path);
}

/**
 * A PEFT adapter folder without its base model (what TRL saves when it trains LoRA), opened on the
 * base folder its adapter_config.json names: a path, absolute or from the adapter folder.
 */
function bareAdapterSource(path: string): ModelFileSource {
  const at = join(path, ADAPTER_CONFIG);
  let adapterConfig: unknown;
  try {
    adapterConfig = JSON.parse(readFileSync(at, 'utf8'));
  } catch (error) {
    throw new ModelFileError(`${at} is not valid JSON: ${(error as Error).message}`);
  }
  const base = adapterBaseName(adapterConfig, at);
  const baseDir = isAbsolute(base) ? base : join(path, base);
  if (!existsSync(baseDir) || !statSync(baseDir).isDirectory()) {
    throw new ModelFileError(
      `${path} is a LoRA adapter without its base model, and its adapter_config.json names the base ${JSON.stringify(base)}, which is not a folder here: download that model and set base_model_name_or_path to its folder`,
    );
  }
  return adapterOverBase(folderSource(path), folderSource(baseDir));
}
