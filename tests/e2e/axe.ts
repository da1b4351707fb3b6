// axe-core run in the lab's page, for the tests that check what a screen reader and a keyboard get.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Lab } from './browser.ts';

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's WCAG 2 A and AA rules over the whole page as it is now: one line per offending element. */
export async function axeViolations(lab: Lab): Promise<string[]> {
  // Evaluated through the debugging protocol: the page's Content-Security-Policy allows no script
  // tag but its own, and the scan must not loosen it.
  await lab.page.evaluate(AXE_SOURCE);
  const violations = await lab.page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })).violations;
  });
  // One line per offending element, so a failure names what to fix.
  return violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact ?? 'n/a'}): ${v.help} at ${n.target.join(' ')}`));
}
