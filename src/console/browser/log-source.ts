/**
 * What the in-browser checks read of the gateway, behind one interface: the page passes the /v1 API
 * (api.ts), the tests the same API over their own TLS client. Every answer is treated as hostile by the
 * checks (src/audit validates shapes before it uses a value), never by this module.
 */
import type { PublishedCheckpoint } from '../../audit/checkpoint.js';
import type { ExportedEntry, InclusionProof } from '../../audit/verify.js';

export interface GatewayKey {
  fingerprint: string;
  armored: string;
}

export interface EntriesPage {
  entries: ExportedEntry[];
  next?: number;
}

export interface LogSource {
  checkpoint(): Promise<PublishedCheckpoint>;
  gatewayKeys(): Promise<GatewayKey[]>;
  /** Entries with start <= index < end, at most 1000 (the API's page). */
  entries(start: number, end: number): Promise<EntriesPage>;
  inclusionProof(index: number, treeSize: number): Promise<InclusionProof>;
  consistencyProof(first: number, second: number): Promise<{ proof: string[] }>;
}

/** The log as the /v1/audit API serves it, through `getJson` (api.ts in the browser). */
export function apiLogSource(getJson: <T>(path: string) => Promise<T>): LogSource {
  return {
    checkpoint: () => getJson<PublishedCheckpoint>('/v1/audit/checkpoint'),
    gatewayKeys: async () => (await getJson<{ keys: GatewayKey[] }>('/v1/audit/gateway-keys')).keys,
    entries: (start, end) => getJson<EntriesPage>(`/v1/audit/entries?start=${start}&end=${end}`),
    inclusionProof: (index, treeSize) => getJson<InclusionProof>(`/v1/audit/proofs/inclusion?index=${index}&treeSize=${treeSize}`),
    consistencyProof: (first, second) => getJson<{ proof: string[] }>(`/v1/audit/proofs/consistency?first=${first}&second=${second}`),
  };
}
