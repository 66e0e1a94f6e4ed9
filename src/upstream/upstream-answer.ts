// What one call to a cloud service produced: the service's answer (status, headers, a bounded
// body) or a network failure. The transport (send-upstream.ts) produces it; everything after
// it (parsing, the success check, mapping, retries) is pure and works from this alone.

/** How a call failed when the service gave no answer. */
export type NetworkErrorKind = 'refused' | 'reset' | 'timeout' | 'dns' | 'other';

/** Response headers with lower-case names, as Node delivers them. */
export type UpstreamHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: UpstreamHeaders;
  /** At most `maxBodyBytes` of the body. */
  readonly body: Buffer;
  /** True when the body was longer than the cap and the rest was not read. */
  readonly truncated: boolean;
  readonly durationMs: number;
}

export interface UpstreamNetworkFailure {
  readonly error: NetworkErrorKind;
  readonly durationMs: number;
  /**
   * True when the request may have reached the service (it was completely written before the
   * failure), so it may have taken effect. False for refused connections and DNS failures.
   */
  readonly sent: boolean;
}

export type UpstreamAnswer = UpstreamResponse | UpstreamNetworkFailure;

export function isNetworkFailure(answer: UpstreamAnswer): answer is UpstreamNetworkFailure {
  return 'error' in answer;
}

/** The first value of a header, whatever shape Node gave it. */
export function headerValue(headers: UpstreamHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value[0];
}
