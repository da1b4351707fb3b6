// The Data and Rewards stores outside the browser: storage falls back to memory in Node.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CURRENT_DATASET_KEY, labStorage } from '../../src/data/storage.ts';
import { DEFAULT_REFUSAL_RULES } from '../../src/rl/refusalRules.ts';
import { parseRlConfig } from '../../src/rl/config.ts';
import { getDatasetJsonl, getDatasetRows, getEvalRows, getTrainRows, useDatasetStore } from '../../src/ui/stores/datasetStore.ts';
import { defaultRewardSettings, getRewardSettings, getRewardSettingsProblems, reviveRewardSettings, rewardSettingsProblems, useRewardsStore } from '../../src/ui/stores/rewardsStore.ts';

const settle = () => new Promise((r) => setTimeout(r, 400));

describe('the dataset store', () => {
  it('imports XSTest, asks for AdvBench’s label, edits rows, and saves', async () => {
    const store = useDatasetStore.getState();
    store.importText(readFileSync('../shared/datasets/xstest_prompts.csv', 'utf8'), 'xstest_prompts.csv');
    expect(getDatasetRows()).toHaveLength(450);
    const advbench = readFileSync('../shared/datasets/advbench_harmful_behaviors.csv', 'utf8');
    store.importText(advbench, 'advbench.csv', { append: true });
    expect(useDatasetStore.getState().pendingLabel?.fileName).toBe('advbench.csv');
    expect(getDatasetRows()).toHaveLength(450);
    useDatasetStore.getState().resolvePendingLabel('harmful');
    const rows = getDatasetRows();
    expect(rows.length).toBeGreaterThan(900);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(rows.slice(450).every((r) => r.label === 'harmful')).toBe(true);
    expect(rows[0]).not.toHaveProperty('uid');

    const first = useDatasetStore.getState().rows[0]!;
    useDatasetStore.getState().updateRow(first.uid, { prompt: 'edited', label: 'harmful' });
    // Both files come without a split column: a share of each was held out on import.
    const heldBefore = getEvalRows().filter((r) => r.id !== first.id).length;
    expect(heldBefore).toBeGreaterThan(0);
    useDatasetStore.getState().setSplit([first.uid], 'eval');
    expect(getEvalRows()).toHaveLength(heldBefore + 1);
    expect(getEvalRows().find((r) => r.id === first.id)).toMatchObject({ prompt: 'edited', label: 'harmful', split: 'eval' });
    expect(getTrainRows()).toHaveLength(rows.length - heldBefore - 1);
    useDatasetStore.getState().addRow({ prompt: 'new one', label: 'benign' });
    expect(getDatasetRows()[0]).toMatchObject({ id: expect.stringMatching(/^added-/), prompt: 'new one' });
    useDatasetStore.getState().deleteRows([useDatasetStore.getState().rows[0]!.uid]);
    expect(getDatasetJsonl().split('\n')[0]).toContain('"edited"');

    await settle();
    expect(useDatasetStore.getState().saveState).toBe('saved');
    const saved = await labStorage().store<{ rows: unknown[] }>('datasets').get(CURRENT_DATASET_KEY);
    expect(saved!.rows).toHaveLength(rows.length);
  });

  it('reports a file it cannot read, and keeps the rows it has', () => {
    const before = getDatasetRows().length;
    useDatasetStore.getState().importText('[not json', 'x.json');
    expect(useDatasetStore.getState().error).toMatch(/not valid JSON/);
    expect(getDatasetRows()).toHaveLength(before);
    useDatasetStore.getState().importText('a,b\n1,2\n', 'x.csv');
    expect(useDatasetStore.getState().error).toMatch(/no prompt column/);
  });
});

describe('the rewards store', () => {
  it('gives the trainer settings that parseRlConfig accepts, and edits rules in order', async () => {
    await useRewardsStore.getState().init();
    expect(getRewardSettings()).toEqual(defaultRewardSettings());
    expect(() => parseRlConfig(getRewardSettings())).not.toThrow();
    const s = useRewardsStore.getState();
    s.addRule({ pattern: 'Nope', kind: 'prefix', caseSensitive: true });
    s.moveRule(DEFAULT_REFUSAL_RULES.length, -1);
    expect(getRewardSettings().refusal_rules[DEFAULT_REFUSAL_RULES.length - 1]!.pattern).toBe('Nope');
    s.updateRule(0, { pattern: '(' , kind: 'regex' });
    expect(getRewardSettingsProblems()[0]).toMatch(/refusal_rules: rule 1 .*does not compile/);
    s.deleteRule(0);
    s.update({ r_f: 0.5, helpfulness_scorer: { kind: 'overlap', metric: 'rougeL' } });
    expect(getRewardSettingsProblems()).toEqual([]);
    const config = parseRlConfig({ ...getRewardSettings(), num_generations: 4 });
    expect(config.r_f).toBe(0.5);
    await settle();
    expect(await labStorage().store('settings').get('rewards')).toEqual(getRewardSettings());
  });

  it('revives saved settings field by field', () => {
    const d = defaultRewardSettings();
    expect(reviveRewardSettings(null)).toEqual(d);
    const r = reviveRewardSettings({ r_a: 2, r_f: -1, template: 7, refusal_rules: [{ pattern: 'x', kind: 'prefix' }, { pattern: 1 }], helpfulness_scorer: { kind: 'overlap' } });
    expect(r).toEqual({ ...d, r_a: 2, refusal_rules: [{ pattern: 'x', kind: 'prefix', caseSensitive: false }], helpfulness_scorer: { kind: 'overlap', metric: 'f1' } });
    expect(rewardSettingsProblems({ ...d, template: 'no placeholder', refusal_rules: [] }).map((p) => p.field)).toEqual(['template', 'refusal_rules']);
  });
});
