// `npm ci` (the README's and CI's install) warns of every dependency whose install script
// package.json's allowScripts neither allows nor denies; each one is decided there.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const listed = spawnSync('npm', ['install-scripts', 'ls'], { encoding: 'utf8' });
// npm before 11.x has no such command, and runs every install script without a word.
const npmHasAllowScripts = listed.status === 0 || !/Unknown command/i.test(`${listed.stdout}${listed.stderr}`);

describe('install scripts', () => {
  it.skipIf(!npmHasAllowScripts)('are all reviewed in package.json (allowScripts)', () => {
    expect(listed.stdout.trim()).toBe('No packages with unreviewed install scripts.');
  });
});
