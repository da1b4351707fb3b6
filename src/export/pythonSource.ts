// Values written into generated Python without hand-escaping: a JSON string literal is a Python
// string literal with the same value once every non-ASCII code unit is a \uXXXX escape (JSON's
// other escapes, \" \\ \b \f \n \r \t, mean the same in both), and data goes in as JSON that
// Python's json.loads reads back. A user's rule, quotes and backslashes included, cannot break out.

/**
 * A Python string literal whose value is `text` as UTF-16 code units: a character outside the
 * BMP arrives in Python as its two surrogates, as the verifiers there expect (verifierModule.ts).
 */
export function pythonString(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A Python expression that evaluates to `value` (strings as UTF-16 code units, as pythonString). */
export function pythonJson(value: unknown): string {
  return `json.loads(${pythonString(JSON.stringify(value))})`;
}
