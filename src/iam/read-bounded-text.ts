// A response body read with a cap, so a misbehaving IAM (or something posing as it: a load
// balancer's error page, a captive portal) cannot make the gateway buffer megabytes.

export interface BoundedText {
  /** The body, or its first `maxBytes` bytes when it was longer. */
  readonly text: string;
  /** False when the body was longer than `maxBytes` and the rest was discarded. */
  readonly complete: boolean;
}

/** Reads at most `maxBytes` of `response`'s body; a network error or abort mid-body rejects. */
export async function readBoundedText(response: Response, maxBytes: number): Promise<BoundedText> {
  if (response.body === null) return { text: '', complete: true };
  // Node's types leave the chunk type open; fetch bodies are bytes.
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text: text + decoder.decode(), complete: true };
    const room = maxBytes - size;
    if (value.byteLength > room) {
      text += decoder.decode(value.subarray(0, room));
      // Stop the transfer; the rest is of no use and may be large.
      await reader.cancel().catch(() => undefined);
      return { text, complete: false };
    }
    size += value.byteLength;
    text += decoder.decode(value, { stream: true });
  }
}
