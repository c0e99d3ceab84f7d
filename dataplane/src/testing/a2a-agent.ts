import type { AddressInfo } from 'node:net';
import type { IncomingHttpHeaders, Server } from 'node:http';
import express from 'express';
import { AgentCard, Artifact, Message, Task, TaskStatus } from '@a2a-js/sdk';
import {
  AgentEvent,
  DefaultRequestHandler,
  InMemoryPushNotificationStore,
  InMemoryTaskStore,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
} from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';

/**
 * A real A2A agent built with the SDK's server pieces (DefaultRequestHandler, an AgentExecutor,
 * the Express JSON-RPC and card handlers, v0.3 compatibility on), for tests of the gateway's A2A
 * endpoint. It refuses requests without `Authorization: Bearer {token}` and records every request's
 * headers. It keeps push-notification configs (never sending any: its tasks end before one is set)
 * and serves an extended card. What it does depends on the first text of the message:
 *
 * - `wait`: the task stays working until it is cancelled (then `canceled`), at most 10 s;
 * - `count N`: N artifact updates 150 ms apart, then completed (a stream to watch arrive);
 * - anything else: one artifact `echo: {text}`, then completed.
 */
export interface TestAgent {
  url: string;
  /** Headers of every request the agent received, in order. */
  seen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class TestExecutor implements AgentExecutor {
  private readonly cancelled = new Set<string>();

  async execute(ctx: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const { taskId, contextId } = ctx;
    const part = ctx.userMessage.parts[0]?.content;
    const text = part?.$case === 'text' ? part.value : '';
    const status = (state: string, final = false) => {
      bus.publish(
        AgentEvent.statusUpdate({
          taskId,
          contextId,
          status: TaskStatus.fromJSON({ state, timestamp: new Date().toISOString() }),
          metadata: final ? { final: true } : undefined,
        }),
      );
    };
    const artifact = (id: string, out: string) => {
      bus.publish(
        AgentEvent.artifactUpdate({
          taskId,
          contextId,
          artifact: Artifact.fromJSON({ artifactId: id, name: id, parts: [{ text: out }] }),
          append: false,
          lastChunk: true,
          metadata: undefined,
        }),
      );
    };
    bus.publish(
      AgentEvent.task(
        Task.fromJSON({
          id: taskId,
          contextId,
          status: { state: 'TASK_STATE_SUBMITTED' },
          history: [Message.toJSON(ctx.userMessage)],
        }),
      ),
    );
    status('TASK_STATE_WORKING');
    if (text === 'wait') {
      const until = Date.now() + 10_000;
      while (!this.cancelled.has(taskId) && Date.now() < until) await sleep(10);
      status(this.cancelled.has(taskId) ? 'TASK_STATE_CANCELED' : 'TASK_STATE_FAILED', true);
    } else if (text.startsWith('count ')) {
      const n = Number(text.slice(6));
      for (let i = 1; i <= n; i++) {
        artifact(`chunk-${i}`, `chunk ${i}`);
        await sleep(150);
      }
      status('TASK_STATE_COMPLETED', true);
    } else {
      artifact('echo', `echo: ${text}`);
      status('TASK_STATE_COMPLETED', true);
    }
    bus.finished();
  }

  async cancelTask(taskId: string): Promise<void> {
    this.cancelled.add(taskId);
  }
}

export async function startTestAgent(token: string): Promise<TestAgent> {
  const seen: IncomingHttpHeaders[] = [];
  const app = express();
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const card = AgentCard.fromJSON({
    name: 'Test agent',
    description: 'Echoes, counts and waits.',
    version: '1.0.0',
    supportedInterfaces: [
      { url, protocolBinding: 'JSONRPC', protocolVersion: '1.0' },
      { url, protocolBinding: 'JSONRPC', protocolVersion: '0.3' },
      { url: 'grpc://127.0.0.1:1', protocolBinding: 'GRPC', protocolVersion: '1.0' },
    ],
    capabilities: { streaming: true, pushNotifications: true, extendedAgentCard: true },
    securitySchemes: { agentToken: { httpAuthSecurityScheme: { scheme: 'Bearer' } } },
    securityRequirements: [{ schemes: { agentToken: { list: [] } } }],
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: [{ id: 'echo', name: 'Echo', description: 'Echoes text.', tags: ['echo'] }],
  });
  const handler = new DefaultRequestHandler(
    card,
    new InMemoryTaskStore(),
    new TestExecutor(),
    undefined,
    new InMemoryPushNotificationStore(),
    undefined,
    async () => ({ ...card, description: 'The extended card.' }),
  );
  app.use((req, res, next) => {
    seen.push(req.headers);
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.status(401).json({ error: 'unauthorized' });
      return;
    }
    next();
  });
  app.use(
    '/.well-known/agent-card.json',
    agentCardHandler({ agentCardProvider: handler, legacyCompat: { enabled: true } }),
  );
  app.use(
    '/',
    jsonRpcHandler({
      requestHandler: handler,
      userBuilder: UserBuilder.noAuthentication,
      legacyCompat: { enabled: true },
    }),
  );
  return {
    url,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
