// The Eval panel's table (reasoning depth, utility, attack success), rendered to static HTML as the page shows it.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ATTACK_TEMPLATES } from '../../src/rl/attacks.ts';
import { ATTACKS_NOTE, type AttackReport, type EvalReport } from '../../src/rl/evaluation.ts';
import { EvalPanel, EvalTable } from '../../src/ui/panels/EvalPanel.tsx';

const attacks = (success: number): AttackReport => ({
  note: ATTACKS_NOTE,
  n_too_long: 0,
  refusal_rate: 1 - success,
  attack_success_rate: success,
  by_attack: Object.fromEntries(
    ATTACK_TEMPLATES.map((t) => [t.name, { family: t.family, source: t.source, n: 4, refusal_rate: 1 - success, attack_success_rate: success, format_rate: 1 }]),
  ),
});

const report = (stated: number, success: number | null): EvalReport => ({
  'refusal_rate/harmful': 0.5,
  'over_refusal_rate/benign': 0.1,
  format_rate: 1,
  n_harmful: 4,
  n_benign: 4,
  by_type: {},
  reasoning: { n_in_format: 8, n_refusals: 2, stated_reason_rate: stated, verdict_rate: 1, agreement_rate: 0.75 },
  ...(success === null ? {} : { attacks: attacks(success), utility: { n: 3, token_f1: success, rouge_l: success / 2, by_type: { alpaca: { n: 3, token_f1: success, rouge_l: success / 2 } } } }),
});

const cells = (html: string, rowText: string) => {
  const row = html.split('<tr').find((r) => r.includes(rowText));
  return row ? [...row.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]) : null;
};

describe('the Eval panel', () => {
  it('shows the reasoning depth, utility and the attack success rate per attack, before and after', () => {
    const points = [
      { step: 0, report: report(0.5, 0.75) },
      { step: 10, report: report(1, 0.25) },
    ];
    const html = renderToStaticMarkup(createElement(EvalTable, { points }));
    expect(cells(html, 'names a harm')).toEqual(['2', '50%', '100%', '+50 pts']);
    expect(cells(html, 'reasoning–answer agreement')).toEqual(['8', '75%', '75%', '0 pts']);
    expect(cells(html, 'All attacks')).toEqual([String(4 * ATTACK_TEMPLATES.length), '75%', '25%', '-50 pts']);
    expect(html.match(/data-testid="eval-attack-row"/g)).toHaveLength(ATTACK_TEMPLATES.length);
    expect(cells(html, '>payload splitting<')).toEqual(['4', '75%', '25%', '-50 pts']);
    expect(html).toContain('never trained on');
    expect(cells(html, 'token F1 of benign answers')).toEqual(['3', '0.750', '0.250', '-0.500']);
    expect(cells(html, 'ROUGE-L of benign answers')).toEqual(['3', '0.375', '0.125', '-0.250']);
    expect(html).not.toContain("reward model's mean score");
    expect(html.match(/data-testid="eval-utility-row"/g)).toHaveLength(1);
  });

  it('leaves the attack rows out when no evaluation ran them, and offers the toggle, off by default', () => {
    const html = renderToStaticMarkup(createElement(EvalTable, { points: [{ step: 0, report: report(0, null) }] }));
    expect(html).not.toContain('eval-attack-row');
    expect(html).not.toContain('Utility');
    expect(cells(html, 'names a harm')).toEqual(['2', '0%', '—', '—']);
    const panel = renderToStaticMarkup(createElement(EvalPanel));
    expect(panel).toMatch(/<input type="checkbox" data-testid="eval-attacks"\/>/);
  });
});
