import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TEMPLATE, renderTemplate, TemplateError, templateProblem } from '../../src/rl/template.ts';

describe('the AlphaAlign template', () => {
  it('is the paper text of DESIGN.md §1, character for character', () => {
    const design = readFileSync('../shared/docs/DESIGN.md', 'utf8');
    const block = /The paper's text[\s\S]*?```\n([\s\S]*?)\n\s*```/.exec(design)![1]!;
    const paperText = block.split('\n').map((line) => line.replace(/^ {2}/, '')).join('\n');
    expect(DEFAULT_TEMPLATE).toBe(paperText);
    // A real backslash: in a plain template literal `\b` would silently become a backspace.
    expect(DEFAULT_TEMPLATE).toContain(String.raw`\boxed{Sorry, I can't comply}`);
    expect(DEFAULT_TEMPLATE.endsWith('\n{{prompt}}')).toBe(true);
  });

  it('puts the prompt where {{prompt}} is, literally', () => {
    expect(renderTemplate('Q: {{prompt}}\nA:', 'How do I kill a Python process?')).toBe('Q: How do I kill a Python process?\nA:');
    // `$&` and `$1` are replacement patterns for String.replace; a prompt must not trigger them.
    expect(renderTemplate('<{{prompt}}>', 'costs $& and $1')).toBe('<costs $& and $1>');
    // A prompt that itself says {{prompt}} is not expanded again.
    expect(renderTemplate('[{{prompt}}]', 'a {{prompt}} b')).toBe('[a {{prompt}} b]');
    expect(renderTemplate('{{ prompt }} / {{prompt}}', 'x')).toBe('x / x');
    const rendered = renderTemplate(DEFAULT_TEMPLATE, 'Write a poem.');
    expect(rendered.endsWith('shown to users.\nWrite a poem.')).toBe(true);
  });

  it('refuses a template without {{prompt}}, saying what to add', () => {
    expect(templateProblem(DEFAULT_TEMPLATE)).toBeNull();
    expect(templateProblem('Think first. {prompt}')).toBe("the template has no {{prompt}}: put {{prompt}} where the user's prompt goes");
    expect(() => renderTemplate('no placeholder', 'x')).toThrow(TemplateError);
    expect(() => renderTemplate('no placeholder', 'x')).toThrow('the template has no {{prompt}}');
    // Checking twice gives the same answer (no state carried between calls).
    expect(templateProblem('{{prompt}}')).toBeNull();
    expect(templateProblem('{{prompt}}')).toBeNull();
  });
});
