// Keeps Node's second HTTP stack out of the gateway process. Node 24's node:http exports
// WebSocket, CloseEvent and MessageEvent as lazy getters over its bundled undici (the engine of
// the global fetch, a second HTTP client). require('node:http') leaves them alone, but the
// first ES-module import of node:http (ours, httpxy's) builds its module namespace by reading
// every export, which runs the getters and loads undici whole, though nothing calls it
// (https://github.com/nodejs/node/issues/57649, https://github.com/nodejs/node/issues/59686).
// The gateway uses none of the three, so main.ts removes them before any other module loads:
// the namespace then holds them as undefined. Using fetch or WebSocket still loads undici on
// demand; the gateway uses neither (docs/design/upstream-and-rate-limit.md "The gateway's own
// calls", test/component/one-http-stack.test.ts).

const UNDICI_EXPORTS = ['WebSocket', 'CloseEvent', 'MessageEvent'] as const;

/** Removes node:http's lazy undici exports; call it before anything imports node:http. */
export function dropHttpWebSocketExports(): void {
  const http = process.getBuiltinModule('node:http') as unknown as Record<string, unknown>;
  for (const name of UNDICI_EXPORTS) {
    const descriptor = Object.getOwnPropertyDescriptor(http, name);
    // Only a lazy getter that has not run yet; a loaded value costs nothing more to keep.
    if (descriptor?.get !== undefined && descriptor.configurable === true) {
      Reflect.deleteProperty(http, name);
    }
  }
}
