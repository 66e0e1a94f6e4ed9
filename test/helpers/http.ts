// One HTTP call to a server under test and its answer, as every component test reads it: the
// status, the headers, the text, the parsed JSON and the echoed request id.

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed JSON body; undefined when the body is not JSON. */
  readonly json: unknown;
  /** The JSON object the body holds ({} when it holds none). */
  readonly body: Record<string, unknown>;
  /** The answer's X-Request-Id ('' when absent). */
  readonly requestId: string;
}

export interface SendOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Abandon the call after this many ms (the test then fails on the abort). */
  readonly timeoutMs?: number;
}

/** Sends one request (default DELETE) to `url` and reads the whole answer. */
export async function send(url: string, options: SendOptions = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: options.method ?? 'DELETE',
    headers: { ...options.headers },
    ...(options.body === undefined ? {} : { body: options.body }),
    ...(options.timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(options.timeoutMs) }),
  });
  return toAnswer(response.status, response.headers, await response.text());
}

/** An answer from its parts (for requests sent through node:http or a raw socket). */
export function toAnswer(status: number, headers: Headers, text: string): Answer {
  const json = parseJson(text);
  return {
    status,
    headers,
    text,
    json,
    body: typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {},
    requestId: headers.get('x-request-id') ?? '',
  };
}

/** The JSON a text holds, or undefined. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
