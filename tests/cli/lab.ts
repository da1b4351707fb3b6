// Runs the command line as a user does, in a child process.
import { spawnSync } from 'node:child_process';

export function lab(args: string[], env: NodeJS.ProcessEnv = process.env, timeout = 120_000) {
  return spawnSync('npx', ['tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', env, timeout });
}
