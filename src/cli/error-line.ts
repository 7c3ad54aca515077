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
  let text = message.trimEnd().replace(new RegExp(`\\S{${MAX_RUN + 1},}`, 'g'), (run) => `${run.slice(0, 60)}...[${run.length - 80} characters]...${run.slice(-20)}`);
  if (text.length > MAX_LINE) text = `${text.slice(0, MAX_LINE)}...[${text.length - MAX_LINE} more characters]`;
  return `wavae: error: ${text}\n`;
}
