/**
 * The statistics as CSV, byte for byte as the API writes them (GET /v1/stats?format=csv, RFC 4180:
 * CRLF line ends), so that a downloaded table holds the API's figures and nothing the page computed.
 * One table's file is the API's header line and that table's lines, unchanged.
 */
import { problemOf } from './api.js';

export const CSV_PATH = '/v1/stats?format=csv';

export async function fetchStatisticsCsv(): Promise<string> {
  const response = await fetch(CSV_PATH, { credentials: 'same-origin', headers: { accept: 'text/csv' } });
  if (!response.ok) throw await problemOf(response);
  return response.text();
}

/**
 * The header line and the lines of one table. A table's name never holds a comma or a quote (the
 * report's names are fixed identifiers), so the first field of a line is what precedes its first comma.
 */
export function csvOfTable(csv: string, table: string): string {
  const lines = csv.split('\r\n').filter((line) => line !== '');
  const [header, ...rest] = lines;
  return [header, ...rest.filter((line) => line.slice(0, line.indexOf(',')) === table)].map((line) => `${line}\r\n`).join('');
}

/** Hands the text to the browser as a file (a blob: URL, revoked once the click has started the download). */
export function saveFile(name: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
