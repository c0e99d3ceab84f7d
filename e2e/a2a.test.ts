import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Message, SendMessageRequest, TaskState, type Task } from '@a2a-js/sdk';
import { ClientFactory, DefaultAgentCardResolver, JsonRpcTransportFactory } from '@a2a-js/sdk/client';
import { startTestAgent, type TestAgent } from '@tollgate/dataplane/testing/a2a-agent';
import { standaloneOn, type InProcessTollgate } from './standalone';

/**
 * examples/a2a as a user runs it (`tollgate run -f examples/a2a`), its planner agent a real
 * @a2a-js/sdk agent, driven by the SDK's own client through the gateway.
 */
const EXAMPLE = path.resolve(__dirname, '../examples/a2a/a2a.yaml');
const PLANNER_TOKEN = 'planner-token-replace-me';
const KEY = 'sk-assistant-replace-me';

let agent: TestAgent;
let tollgate: InProcessTollgate;

beforeAll(async () => {
  agent = await startTestAgent(PLANNER_TOKEN);
  const yaml = readFileSync(EXAMPLE, 'utf8').replace('http://localhost:41241', agent.url);
  tollgate = await standaloneOn(yaml);
});

afterAll(async () => {
  await tollgate.stop();
  await agent.close();
});

/** The example's gateway is found by its slug header; the key goes as a bearer token. */
const viaGateway: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set('authorization', `Bearer ${KEY}`);
  headers.set('x-ag-gateway-slug', 'agents');
  return fetch(input, { ...init, headers });
};

const message = (text: string) =>
  SendMessageRequest.fromJSON({
    message: Message.toJSON(
      Message.fromJSON({ messageId: `m-${text}`, role: 'ROLE_USER', parts: [{ text }] }),
    ),
  });

describe('examples/a2a in standalone mode', () => {
  it('serves the planner through the gateway: card, send, stream', async () => {
    const factory = new ClientFactory({
      transports: [new JsonRpcTransportFactory({ fetchImpl: viaGateway })],
      cardResolver: new DefaultAgentCardResolver({ fetchImpl: viaGateway }),
    });
    const client = await factory.createFromUrl(`${tollgate.base}/assistant/a2a/planner/`);
    const card = await client.getAgentCard();
    expect(card.supportedInterfaces.map((i) => i.url)).toContain(`${tollgate.base}/assistant/a2a/planner`);

    const task = (await client.sendMessage(message('hi'))) as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);

    const kinds: string[] = [];
    for await (const event of client.sendMessageStream(message('count 2')))
      kinds.push(event.payload?.$case ?? '');
    expect(kinds.filter((k) => k === 'artifactUpdate')).toHaveLength(2);
    // The rate limit of the example counted these requests.
    const res = await viaGateway(`${tollgate.base}/assistant/a2a/planner/.well-known/agent-card.json`);
    expect(Number(res.headers.get('x-ratelimit-remaining'))).toBeLessThan(60);
  });

  it("keeps the agents' credentials out of config_dump", async () => {
    const dump = await (await fetch(`${tollgate.ops}/config_dump`)).text();
    expect(dump).toContain('"provider":"a2a"');
    expect(dump).not.toContain(PLANNER_TOKEN);
    expect(dump).not.toContain('researcher-key-replace-me');
  });
});
