// Values written into the generated train_grpo.py without hand-escaping: a JSON string literal is
// a Python string literal with the same value once every non-ASCII character is a \uXXXX (or, past
// the BMP, \UXXXXXXXX) escape; JSON's other escapes, \" \\ \b \f \n \r \t, mean the same in both.
// A model name, quotes and backslashes included, cannot break out.

/** A Python string literal whose value is `text`. */
export function pythonString(text: string): string {
  return JSON.stringify(text).replace(/[\u{7f}-\u{10ffff}]/gu, (ch) => {
    const code = ch.codePointAt(0)!;
    return code > 0xffff ? `\\U${code.toString(16).padStart(8, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
