import { createMockAdapter } from '../providers/mock';
import type { ProviderAdapter, UpstreamCall } from '../providers/types';

/** The built-in mock provider, keeping every call it is sent, for tests that check what went upstream. */
export function recordingMock(): { adapter: ProviderAdapter; calls: UpstreamCall[] } {
  const mock = createMockAdapter();
  const calls: UpstreamCall[] = [];
  return {
    adapter: {
      send: (call) => {
        calls.push(call);
        return mock.send(call);
      },
      close: () => mock.close(),
    },
    calls,
  };
}
