/** A Markdown table with columns padded to a common width (readable as plain text too). */
export function markdownTable(head: readonly string[], body: readonly (readonly string[])[]): string {
  for (const row of body) {
    if (row.length !== head.length) throw new RangeError(`table row has ${row.length} cells, the header ${head.length}`);
  }
  const all = [head, ...body];
  const widths = head.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const line = (row: readonly string[]): string => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
