/**
 * What a terminal shows after `raw` was written to it: the lines of its scrollback, as far as the
 * control sequences a progress bar uses go (carriage return, newline, cursor save/restore, column
 * and line moves, erase in line). Other escape sequences are dropped.
 */
export function screenLines(raw: string): string[] {
  const lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  let saved: [number, number] = [0, 0];
  const line = (): string[] => (lines[row] ??= []);
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\r') col = 0;
    else if (c === '\n') {
      row++;
      line();
    } else if (c === '\b') col = Math.max(0, col - 1);
    else if (c === '\x1b') {
      const next = raw[i + 1];
      if (next === '7') {
        saved = [row, col];
        i++;
      } else if (next === '8') {
        [row, col] = saved;
        line();
        i++;
      } else if (next === '[') {
        const m = /^\[([?\d;]*)([A-Za-z])/.exec(raw.slice(i + 1));
        if (!m) continue;
        i += m[0].length;
        const n = m[1]!.startsWith('?') ? 0 : Number(m[1] || '0');
        switch (m[2]) {
          case 'G':
            col = Math.max(0, (n || 1) - 1);
            break;
          case 'K': {
            const l = line();
            if (n === 0) l.length = Math.min(l.length, col);
            else if (n === 1) l.fill(' ', 0, col);
            else l.length = 0;
            break;
          }
          case 'A':
            row = Math.max(0, row - (n || 1));
            line();
            break;
          case 'B':
            row += n || 1;
            line();
            break;
          case 'C':
            col += n || 1;
            break;
          case 'D':
            col = Math.max(0, col - (n || 1));
            break;
          default:
            break; // colours, cursor visibility, line wrap: nothing to show
        }
      }
    } else if (c >= ' ' || c === '\t') {
      const l = line();
      while (l.length < col) l.push(' ');
      l[col++] = c;
    }
  }
  return lines.map((l) => l.join('').trimEnd());
}
