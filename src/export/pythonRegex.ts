// JavaScript regular expressions (the lab's refusal rules) rewritten for Python's `re`, so an
// exported reward module judges exactly as the lab does. The two engines differ in more than
// syntax: in JavaScript without the `u` flag a pattern runs over UTF-16 code units, `\w`, `\d` and
// `\b` are ASCII, `\s` and `.` have their own sets, `$` never matches before a final newline and
// `i` folds case by toUpperCase; Python's `re` is Unicode-aware and folds otherwise. So every
// character, escape and class is written out as an explicit set of code units (case-closed
// under `i` by JavaScript's own rule), `$` becomes `\Z`, and the Python side compiles with
// re.ASCII (for `\b` alone) and matches against the text as UTF-16 code units
// (python/alphaalign/settings.py and refusal_rules.py).
// What has no faithful equivalent is refused by name, never approximated.

export class UntranslatableRegexError extends Error {
  override name = 'UntranslatableRegexError';
}

/** Inclusive code-unit ranges, sorted and disjoint. */
type Ranges = [number, number][];

const MAX_CODE_UNIT = 0xffff;
/** Python's re refuses repeat counts from sre_constants.MAXREPEAT (2³² − 1) up. */
const PYTHON_MAX_REPEAT = 0xfffffffe;

const DIGITS: Ranges = [[0x30, 0x39]];
const WORD: Ranges = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
/** ECMAScript's WhiteSpace and LineTerminator: what `\s` matches and String.prototype.trim strips. */
export const JS_WHITESPACE: Ranges = [
  [0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a],
  [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff],
];
const LINE_TERMINATORS: Ranges = [[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]];

function normalise(ranges: Ranges): Ranges {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function complement(ranges: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (const [lo, hi] of normalise(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_UNIT) out.push([next, MAX_CODE_UNIT]);
  return out;
}

let canonicalTable: Uint16Array | null = null;
let canonicalMembers: Map<number, number[]> | null = null;

/**
 * ECMAScript's Canonicalize for a non-unicode, ignore-case pattern: the code unit's
 * toUpperCase when that is one code unit and does not take a non-ASCII unit to ASCII.
 */
function canonicalOf(unit: number): number {
  if (!canonicalTable) {
    canonicalTable = new Uint16Array(MAX_CODE_UNIT + 1);
    canonicalMembers = new Map();
    for (let u = 0; u <= MAX_CODE_UNIT; u++) {
      const upper = String.fromCharCode(u).toUpperCase();
      const c = upper.length === 1 && !(u >= 128 && upper.charCodeAt(0) < 128) ? upper.charCodeAt(0) : u;
      canonicalTable[u] = c;
      const members = canonicalMembers.get(c);
      if (members) members.push(u);
      else canonicalMembers.set(c, [u]);
    }
  }
  return canonicalTable[unit]!;
}

/** Every code unit that matches a member of the set under `i`: the members of their canonical classes. */
function caseClosure(ranges: Ranges): Ranges {
  const out: Ranges = [...ranges];
  const seen = new Set<number>();
  for (const [lo, hi] of ranges) {
    for (let u = lo; u <= hi; u++) {
      const c = canonicalOf(u);
      if (seen.has(c)) continue;
      seen.add(c);
      for (const m of canonicalMembers!.get(c)!) out.push([m, m]);
    }
  }
  return normalise(out);
}

/** One code unit as Python's re reads it: letters and digits bare, ASCII punctuation escaped, anything else as \uXXXX. */
function pythonUnit(unit: number): string {
  const ch = String.fromCharCode(unit);
  if (/[A-Za-z0-9]/.test(ch)) return ch;
  if (unit > 0x20 && unit < 0x7f) return `\\${ch}`;
  return `\\u${unit.toString(16).padStart(4, '0')}`;
}

function pythonSet(ranges: Ranges): string {
  const set = normalise(ranges);
  if (set.length === 0) return '(?!)';
  if (set.length === 1 && set[0]![0] === set[0]![1]) return pythonUnit(set[0]![0]);
  return `[${set.map(([lo, hi]) => (lo === hi ? pythonUnit(lo) : `${pythonUnit(lo)}-${pythonUnit(hi)}`)).join('')}]`;
}

/** A translated piece and how many code units it always matches (null: it varies). */
interface Piece {
  python: string;
  width: number | null;
}

/**
 * `source` (the text between the slashes) with no flags but, optionally, `i`, as a Python
 * pattern to compile with re.ASCII and search in the text's UTF-16 code units. Throws
 * UntranslatableRegexError naming the construct when there is no faithful equivalent.
 */
export function pythonPattern(source: string, ignoreCase: boolean): string {
  return new Translator(source, ignoreCase).translate();
}

class Translator {
  private pos = 0;
  private readonly groupCount: number;
  private readonly hasNamedGroups: boolean;

  constructor(
    private readonly source: string,
    private readonly ignoreCase: boolean,
  ) {
    const groups = countGroups(source);
    this.groupCount = groups.count;
    this.hasNamedGroups = groups.named;
  }

  translate(): string {
    const piece = this.disjunction();
    if (this.pos < this.source.length) throw this.refuse(`an unexpected "${this.source[this.pos]}"`);
    return piece.python;
  }

  private refuse(what: string): UntranslatableRegexError {
    return new UntranslatableRegexError(`${what} at position ${this.pos} of /${this.source}/ has no exact equivalent in Python's re`);
  }

  private peek(offset = 0): string | undefined {
    return this.source[this.pos + offset];
  }

  private set(ranges: Ranges): Piece {
    return { python: pythonSet(this.ignoreCase ? caseClosure(ranges) : ranges), width: 1 };
  }

  private disjunction(): Piece {
    const alternatives = [this.alternative()];
    while (this.peek() === '|') {
      this.pos++;
      alternatives.push(this.alternative());
    }
    const widths = new Set(alternatives.map((a) => a.width));
    return { python: alternatives.map((a) => a.python).join('|'), width: widths.size === 1 ? alternatives[0]!.width : null };
  }

  /** The top-level alternatives of a group's body, each translated, for lookbehinds of differing widths. */
  private alternativesOf(): Piece[] {
    const alternatives = [this.alternative()];
    while (this.peek() === '|') {
      this.pos++;
      alternatives.push(this.alternative());
    }
    return alternatives;
  }

  private alternative(): Piece {
    let python = '';
    let width: number | null = 0;
    while (this.pos < this.source.length && this.peek() !== '|' && this.peek() !== ')') {
      const term = this.term();
      python += term.python;
      width = width === null || term.width === null ? null : width + term.width;
    }
    return { python, width };
  }

  private term(): Piece {
    const start = this.pos;
    const ch = this.peek()!;
    if (ch === '^') {
      this.pos++;
      return { python: '^', width: 0 };
    }
    if (ch === '$') {
      this.pos++;
      // Python's $ also matches before a final newline; JavaScript's only at the end.
      return { python: '\\Z', width: 0 };
    }
    if (ch === '\\' && (this.peek(1) === 'b' || this.peek(1) === 'B')) {
      this.pos += 2;
      // ASCII word characters on both sides: JavaScript without `u`, Python under re.ASCII.
      return { python: `\\${this.source[start + 1]}`, width: 0 };
    }
    if (ch === '(' && this.peek(1) === '?' && (this.peek(2) === '=' || this.peek(2) === '!')) {
      this.pos += 3;
      const body = this.disjunction();
      this.expect(')');
      if (this.quantifier() !== null) throw this.refuse('a quantified lookahead');
      return { python: `(?${this.source[start + 2]}${body.python})`, width: 0 };
    }
    if (ch === '(' && this.peek(1) === '?' && this.peek(2) === '<' && (this.peek(3) === '=' || this.peek(3) === '!')) {
      this.pos += 4;
      const negative = this.source[start + 3] === '!';
      const alternatives = this.alternativesOf();
      this.expect(')');
      return { python: this.lookbehind(alternatives, negative), width: 0 };
    }
    const atom = this.atom();
    const quantifier = this.quantifier();
    if (quantifier === null) return atom;
    const { min, max, lazy } = quantifier;
    if (min > PYTHON_MAX_REPEAT || (max !== null && max > PYTHON_MAX_REPEAT)) throw this.refuse('a repeat count above 4294967294');
    const braces = max === min ? `{${min}}` : `{${min},${max ?? ''}}`;
    const python = `${atom.python}${braces}${lazy ? '?' : ''}`;
    return { python, width: atom.width !== null && max === min ? atom.width * min : null };
  }

  /**
   * Python's lookbehind needs a fixed width. Alternatives of differing fixed widths become one
   * lookbehind each (any of them for a positive one, none of them for a negative one).
   */
  private lookbehind(alternatives: Piece[], negative: boolean): string {
    if (alternatives.some((a) => a.width === null)) throw this.refuse('a lookbehind of variable width');
    const widths = new Set(alternatives.map((a) => a.width));
    const mark = negative ? '<!' : '<=';
    if (widths.size === 1) return `(?${mark}${alternatives.map((a) => a.python).join('|')})`;
    const each = alternatives.map((a) => `(?${mark}${a.python})`);
    return negative ? each.join('') : `(?:${each.join('|')})`;
  }

  private expect(ch: string): void {
    if (this.peek() !== ch) throw this.refuse(`a missing "${ch}"`);
    this.pos++;
  }

  private quantifier(): { min: number; max: number | null; lazy: boolean } | null {
    const ch = this.peek();
    let min: number;
    let max: number | null;
    if (ch === '*' || ch === '+' || ch === '?') {
      this.pos++;
      [min, max] = ch === '*' ? [0, null] : ch === '+' ? [1, null] : [0, 1];
    } else if (ch === '{') {
      const braced = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.pos));
      if (!braced) return null;
      this.pos += braced[0].length;
      min = Number(braced[1]);
      max = braced[2] === undefined ? min : braced[3] === '' ? null : Number(braced[3]);
    } else return null;
    const lazy = this.peek() === '?';
    if (lazy) this.pos++;
    return { min, max, lazy };
  }

  private atom(): Piece {
    const ch = this.peek()!;
    if (ch === '.') {
      this.pos++;
      return { python: pythonSet(complement(LINE_TERMINATORS)), width: 1 };
    }
    if (ch === '(') return this.group();
    if (ch === '[') return this.characterClass();
    if (ch === '\\') return this.atomEscape();
    if (ch === '*' || ch === '+' || ch === '?') throw this.refuse(`a "${ch}" with nothing to repeat`);
    // Annex B: a lone ] { } stands for itself.
    this.pos++;
    return this.set([[ch.charCodeAt(0), ch.charCodeAt(0)]]);
  }

  private group(): Piece {
    this.pos++;
    if (this.peek() === '?') {
      if (this.peek(1) === ':') this.pos += 2;
      else if (this.peek(1) === '<') {
        const name = /^\?<([^>]*)>/.exec(this.source.slice(this.pos));
        if (!name) throw this.refuse('a malformed group name');
        this.pos += name[0].length;
      } else throw this.refuse(`the group syntax "(?${this.peek(1) ?? ''}"`);
    }
    const body = this.disjunction();
    this.expect(')');
    // No capture is ever read (backreferences are refused), so every group is non-capturing.
    return { python: `(?:${body.python})`, width: body.width };
  }

  private atomEscape(): Piece {
    const next = this.peek(1);
    if (next === undefined) throw this.refuse('a trailing backslash');
    if (/[1-9]/.test(next)) {
      const digits = /^\d+/.exec(this.source.slice(this.pos + 1))![0];
      if (Number(digits) <= this.groupCount) throw this.refuse(`the backreference \\${digits} (JavaScript and Python differ on a group that has not matched)`);
    }
    if (next === 'k' && this.hasNamedGroups) throw this.refuse('the named backreference \\k<…>');
    if (next === 'c' && !/[A-Za-z]/.test(this.peek(2) ?? '')) {
      // Annex B: a \c without a control letter is a backslash, and the c is read next.
      this.pos++;
      return this.set([[0x5c, 0x5c]]);
    }
    this.pos++;
    return this.set(this.escapeSet(false));
  }

  /** The set of an escape after its backslash (this.pos at the character after it); advances past it. */
  private escapeSet(inClass: boolean): Ranges {
    const ch = this.source[this.pos]!;
    this.pos++;
    const unit = (u: number): Ranges => [[u, u]];
    switch (ch) {
      case 'd': return DIGITS;
      case 'D': return complement(DIGITS);
      case 'w': return WORD;
      case 'W': return complement(WORD);
      case 's': return JS_WHITESPACE;
      case 'S': return complement(JS_WHITESPACE);
      case 'f': return unit(0x0c);
      case 'n': return unit(0x0a);
      case 'r': return unit(0x0d);
      case 't': return unit(0x09);
      case 'v': return unit(0x0b);
      case 'b': return unit(0x08); // only reached inside a class, where \b is a backspace
      case 'c': {
        const letter = this.source[this.pos];
        // Annex B: inside a class a digit or _ is a control letter too.
        if (letter && (/[A-Za-z]/.test(letter) || (inClass && /[0-9_]/.test(letter)))) {
          this.pos++;
          return unit(letter.charCodeAt(0) % 32);
        }
        this.pos--; // \c without a letter is a backslash, inside a class too; the c comes next
        return unit(0x5c);
      }
      case 'x': {
        const hex = /^[0-9A-Fa-f]{2}/.exec(this.source.slice(this.pos));
        if (!hex) return unit(0x78);
        this.pos += 2;
        return unit(parseInt(hex[0], 16));
      }
      case 'u': {
        const hex = /^[0-9A-Fa-f]{4}/.exec(this.source.slice(this.pos));
        if (!hex) return unit(0x75);
        this.pos += 4;
        return unit(parseInt(hex[0], 16));
      }
      default:
        break;
    }
    if (/[0-7]/.test(ch)) {
      // \0 alone is NUL; otherwise Annex B's legacy octal escape (up to \377).
      const octal = /^[0-7]{0,2}/.exec(this.source.slice(this.pos))![0];
      let digits = ch + octal;
      if (ch >= '4') digits = digits.slice(0, 2);
      this.pos += digits.length - 1;
      return unit(parseInt(digits, 8));
    }
    // Any other escaped character stands for itself (\8, \9, \., \/, \a, \p, ...).
    return unit(ch.charCodeAt(0));
  }

  private characterClass(): Piece {
    this.pos++;
    const negated = this.peek() === '^';
    if (negated) this.pos++;
    const members: Ranges = [];
    while (this.peek() !== ']') {
      if (this.pos >= this.source.length) throw this.refuse('an unclosed class');
      const from = this.classAtom();
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.pos++;
        const to = this.classAtom();
        const single = (r: Ranges) => r.length === 1 && r[0]![0] === r[0]![1];
        if (single(from) && single(to)) {
          members.push([from[0]![0], to[0]![0]]);
          continue;
        }
        // Annex B: a range with a class escape at either end is the two sets and a literal -.
        members.push(...from, [0x2d, 0x2d], ...to);
        continue;
      }
      members.push(...from);
    }
    this.pos++;
    // Under `i` a class matches whatever folds onto a member, and its negation what does not.
    const closed = this.ignoreCase ? caseClosure(normalise(members)) : normalise(members);
    return { python: pythonSet(negated ? complement(closed) : closed), width: 1 };
  }

  private classAtom(): Ranges {
    const ch = this.peek()!;
    if (ch !== '\\') {
      this.pos++;
      return [[ch.charCodeAt(0), ch.charCodeAt(0)]];
    }
    if (this.peek(1) === undefined) throw this.refuse('a trailing backslash');
    this.pos++;
    return this.escapeSet(true);
  }
}

/** How many capturing groups the pattern has, and whether any is named: a backslash and digits mean a backreference only up to that count. */
function countGroups(source: string): { count: number; named: boolean } {
  let count = 0;
  let named = false;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\') i++;
    else if (inClass) inClass = ch !== ']';
    else if (ch === '[') inClass = true;
    else if (ch === '(') {
      if (source[i + 1] !== '?') count++;
      else if (source[i + 2] === '<' && source[i + 3] !== '=' && source[i + 3] !== '!') {
        count++;
        named = true;
      }
    }
  }
  return { count, named };
}
