// Command-line options checked with messages that name the option and the way out.
import { existsSync, readFileSync, statSync } from 'node:fs';
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

/** A model folder, or a checkpoint zip, on disk. */
export function modelSource(path: string): ModelFileSource {
  if (!existsSync(path)) throw new ModelFileError(`${path} does not exist: pass a Hugging Face model folder or a checkpoint .zip`);
  if (statSync(path).isDirectory()) return folderSource(path);
  return zipSource(new Uint8Array(readFileSync(path)), path);
}
