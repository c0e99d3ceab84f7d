import { startMockOpenAIUpstream } from '@tollgate/dataplane/testing/mock-openai-upstream';

/** Child process: the mock OpenAI upstream every target of the benchmark talks to. */
async function main() {
  const upstream = await startMockOpenAIUpstream({ apiKey: process.env.BENCH_UPSTREAM_KEY });
  const chunkDelayMs = Number(process.env.BENCH_CHUNK_DELAY_MS ?? 0);
  upstream.behave({ kind: 'ok', reply: 'The quick brown fox jumps over the lazy dog.', chunkDelayMs });
  upstream.requests.length = 0;
  // keep memory flat over long runs: the recorder is for tests, not for load
  setInterval(() => (upstream.requests.length = 0), 1000).unref();
  process.stdout.write(`PORT=${upstream.port}\n`);
  process.on('SIGTERM', () => void upstream.close().then(() => process.exit(0)));
}
void main();
