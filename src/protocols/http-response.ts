/** A standalone parser for an HTTP/1.x response head (status line + headers). */

export interface ResponseHead {
  version: string;
  status: number;
  reason: string;
  /** Lower-cased header names; repeated headers keep every value. */
  headers: Map<string, string[]>;
}

export class MalformedResponseError extends Error {
  override name = 'MalformedResponseError';
}

export function parseResponseHead(head: Buffer): ResponseHead {
  const text = head.toString('latin1');
  const lines = text.split(/\r?\n/);
  const statusLine = lines[0] ?? '';
  const match = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!match) throw new MalformedResponseError(`not an HTTP status line: ${printable(statusLine)}`);
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MalformedResponseError(`malformed header line: ${printable(line)}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const values = headers.get(name);
    if (values) values.push(value);
    else headers.set(name, [value]);
  }
  return { version: match[1] ?? '1.1', status: Number(match[2]), reason: match[3] ?? '', headers };
}

/** A short, safe rendering of bytes a peer sent, for error messages. */
export function printable(data: string | Buffer, max = 40): string {
  const text = typeof data === 'string' ? data : data.toString('latin1');
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut).slice(1, -1);
}
