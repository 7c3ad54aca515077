// The line the CLI prints for an error: a value the user gave (an option's argument, a cell of
// a data file) may be megabytes long, and the line must stay readable, so long runs are shortened.

/** The longest run of non-space characters kept whole in an error line. */
const MAX_RUN = 256; // longer than any path a test or a user would type

/** The longest error line printed, in characters (the rest is cut with a note of how much). */
const MAX_LINE = 2000;

/**
 * `wavae: error: MESSAGE` (and commander's hint on a second line, if any), with every run of more than MAX_RUN non-space characters
 * shortened to its head and tail around a count of what was left out, and the whole line cut at
 * MAX_LINE characters.
 */
export function errorLine(message: string): string {
  let text = shortenRuns(message.trimEnd());
  if (text.length > MAX_LINE) text = `${text.slice(0, MAX_LINE)}...[${text.length - MAX_LINE} more characters]`;
  return `wavae: error: ${text}\n`;
}

/** Each run of more than MAX_RUN non-space characters as its head, a count and its tail (a scan, not a regex: runs may be megabytes). */
function shortenRuns(text: string): string {
  const parts: string[] = [];
  let from = 0; // text[from, i) is copied as is
  let start = 0; // where the current run of non-space characters starts
  for (let i = 0; i <= text.length; i++) {
    if (i < text.length && text.charCodeAt(i) > 32) continue; // spaces and control characters end a run
    if (i - start > MAX_RUN) {
      parts.push(text.slice(from, start), `${text.slice(start, start + 60)}...[${i - start - 80} characters]...${text.slice(i - 20, i)}`);
      from = i;
    }
    start = i + 1;
  }
  parts.push(text.slice(from));
  return parts.join('');
}
