import { GenaiError } from "./errors.js";

/**
 * Splits a byte stream into text lines (UTF-8; `\n` or `\r\n`) while it arrives: only the current chunk
 * and one unfinished line are held, so memory stays flat however long the stream is. A line longer than
 * `maxLineChars` is an error (a stream with no newline must not grow memory without bound).
 */
export async function* splitLines(source: AsyncIterable<Uint8Array>, maxLineChars: number): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8");
  let parts: string[] = []; // the unfinished line, in pieces (no quadratic re-concatenation)
  let partsLength = 0;
  let lineNo = 0;
  const finish = (tail: string): string => {
    let line = tail;
    if (parts.length > 0) {
      parts.push(tail);
      line = parts.join("");
      parts = [];
      partsLength = 0;
    }
    lineNo++;
    if (line.length > maxLineChars) throw tooLong(lineNo, maxLineChars);
    return line.endsWith("\r") ? line.slice(0, -1) : line;
  };
  for await (const chunk of source) {
    const text = decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      yield finish(text.slice(start, nl));
      start = nl + 1;
    }
    if (start < text.length) {
      parts.push(text.slice(start));
      partsLength += text.length - start;
      if (partsLength > maxLineChars) throw tooLong(lineNo + 1, maxLineChars);
    }
  }
  const last = decoder.decode();
  if (partsLength > 0 || last !== "") yield finish(last);
}

function tooLong(line: number, max: number): GenaiError {
  return new GenaiError("invalid_line", `Line ${line} of the results file is longer than maxLineChars (${max}); raise it if your responses are that large.`);
}
