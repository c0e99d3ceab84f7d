import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  CallToolRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  ListToolsRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { OrderedEventStore } from './event-store';
import { start, type DefineServer, type TestMcpServer } from './mcp-servers';

/**
 * An MCP server written to pass the server scenarios of the MCP conformance suite
 * (`@modelcontextprotocol/conformance server`): the tools, resources and prompts the scenarios
 * name, built with the SDK's McpServer over Streamable HTTP (stateful, resumable: an event store
 * per session and a `retry` on its priming events, for SSE polling). e2e/mcp-conformance runs the
 * suite against it directly and through Tollgate.
 */

/** A 1×1 PNG and a WAV header with no samples: the smallest valid media the scenarios accept. */
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const WAV = 'UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=';
const NO_ARGS = { type: 'object' as const, properties: {} };

/** SEP-1034: a default for every primitive type. */
const SEP1034_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', default: 'John Doe' },
    age: { type: 'integer', default: 30 },
    score: { type: 'number', default: 95.5 },
    status: { type: 'string', enum: ['active', 'inactive', 'pending'], default: 'active' },
    verified: { type: 'boolean', default: true },
  },
};
const choices = (values: string[], titles: string[]) =>
  values.map((v, i) => ({ const: v, title: titles[i] }));
/** SEP-1330: the five enum forms. */
const SEP1330_SCHEMA = {
  type: 'object',
  properties: {
    untitledSingle: { type: 'string', enum: ['option1', 'option2', 'option3'] },
    titledSingle: {
      type: 'string',
      oneOf: choices(['value1', 'value2', 'value3'], ['First Option', 'Second Option', 'Third Option']),
    },
    legacyEnum: {
      type: 'string',
      enum: ['opt1', 'opt2', 'opt3'],
      enumNames: ['Option One', 'Option Two', 'Option Three'],
    },
    untitledMulti: { type: 'array', items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
    titledMulti: {
      type: 'array',
      items: {
        anyOf: choices(['value1', 'value2', 'value3'], ['First Choice', 'Second Choice', 'Third Choice']),
      },
    },
  },
};

const TOOLS: Tool[] = [
  { name: 'test_elicitation_sep1034_defaults', description: 'Elicits with defaults', inputSchema: NO_ARGS },
  { name: 'test_elicitation_sep1330_enums', description: 'Elicits with enums', inputSchema: NO_ARGS },
  { name: 'test_simple_text', description: 'Returns simple text', inputSchema: NO_ARGS },
  { name: 'test_image_content', description: 'Returns an image', inputSchema: NO_ARGS },
  { name: 'test_audio_content', description: 'Returns audio', inputSchema: NO_ARGS },
  { name: 'test_embedded_resource', description: 'Returns an embedded resource', inputSchema: NO_ARGS },
  { name: 'test_multiple_content_types', description: 'Returns mixed content', inputSchema: NO_ARGS },
  { name: 'test_tool_with_logging', description: 'Logs while it runs', inputSchema: NO_ARGS },
  { name: 'test_error_handling', description: 'Always fails', inputSchema: NO_ARGS },
  { name: 'test_tool_with_progress', description: 'Reports progress', inputSchema: NO_ARGS },
  {
    name: 'test_reconnection',
    description: 'Closes its SSE stream mid-call, then answers (the client resumes with Last-Event-ID)',
    inputSchema: NO_ARGS,
  },
  {
    name: 'test_sampling',
    description: "Asks the client's model",
    inputSchema: { type: 'object', properties: { prompt: { type: 'string' } }, required: ['prompt'] },
  },
  {
    name: 'test_elicitation',
    description: 'Asks the user',
    inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
  },
  {
    name: 'json_schema_2020_12_tool',
    description: 'Tool with JSON Schema 2020-12 features',
    inputSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: {
        address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } },
      },
      properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' } },
      additionalProperties: false,
    },
  },
];

const text = (t: string): CallToolResult => ({ content: [{ type: 'text', text: t }] });
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The `retry` of the server's priming events (ms): how long a client waits before coming back. */
export const CONFORMANCE_RETRY_MS = 200;

export function startConformanceServer(): Promise<TestMcpServer> {
  return start('conformance', true, defineConformance, {
    eventStore: () => new OrderedEventStore(),
    retryInterval: CONFORMANCE_RETRY_MS,
  });
}

/** The tools, resources and prompts the scenarios name. */
const defineConformance: DefineServer = (server, hit) => {
  server.server.registerCapabilities({
    tools: {},
    logging: {},
    completions: {},
    resources: { subscribe: true, listChanged: true },
  });
  const subscribed = new Set<string>();
  server.server.setRequestHandler(SetLevelRequestSchema, () => ({}));
  server.server.setRequestHandler(SubscribeRequestSchema, (req) => {
    subscribed.add(req.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, (req) => {
    subscribed.delete(req.params.uri);
    return {};
  });
  server.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOLS }));
  server.server.setRequestHandler(CallToolRequestSchema, async (req, extra): Promise<CallToolResult> => {
    const name = req.params.name;
    const args = req.params.arguments ?? {};
    hit(name);
    const log = (data: string) =>
      extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data } });
    switch (name) {
      case 'test_simple_text':
        return text('This is a simple text response for testing.');
      case 'test_image_content':
        return { content: [{ type: 'image', data: PNG, mimeType: 'image/png' }] };
      case 'test_audio_content':
        return { content: [{ type: 'audio', data: WAV, mimeType: 'audio/wav' }] };
      case 'test_embedded_resource':
        return {
          content: [
            {
              type: 'resource',
              resource: {
                uri: 'test://embedded-resource',
                mimeType: 'text/plain',
                text: 'This is an embedded resource content.',
              },
            },
          ],
        };
      case 'test_multiple_content_types':
        return {
          content: [
            { type: 'text', text: 'Multiple content types test:' },
            { type: 'image', data: PNG, mimeType: 'image/png' },
            {
              type: 'resource',
              resource: {
                uri: 'test://mixed-content-resource',
                mimeType: 'application/json',
                text: JSON.stringify({ test: 'data', value: 123 }),
              },
            },
          ],
        };
      case 'test_tool_with_logging':
        await log('Tool execution started');
        await pause(50);
        await log('Tool processing data');
        await pause(50);
        await log('Tool execution completed');
        return text('Logging tool completed');
      case 'test_error_handling':
        return {
          isError: true,
          content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }],
        };
      case 'test_tool_with_progress': {
        const token = req.params._meta?.progressToken;
        for (const progress of [0, 50, 100]) {
          if (token !== undefined)
            await extra.sendNotification({
              method: 'notifications/progress',
              params: { progressToken: token, progress, total: 100 },
            });
          if (progress < 100) await pause(50);
        }
        return text('Progress tool completed');
      }
      case 'test_reconnection':
        // SSE polling (SEP-1699): the stream closes before the answer, which the store keeps for
        // the client's GET with Last-Event-ID. The SDK offers the close only to clients that can
        // resume (protocol 2025-11-25 on, priming event sent).
        extra.closeSSEStream?.();
        await pause(100);
        return text('Reconnection test completed successfully.');
      case 'test_sampling': {
        const answer = await extra.sendRequest(
          {
            method: 'sampling/createMessage',
            params: {
              messages: [{ role: 'user', content: { type: 'text', text: String(args.prompt ?? '') } }],
              maxTokens: 100,
            },
          },
          CreateMessageResultSchema,
        );
        const said = answer.content.type === 'text' ? answer.content.text : answer.content.type;
        return text(`LLM response: ${said}`);
      }
      case 'test_elicitation': {
        const answer = await extra.sendRequest(
          {
            method: 'elicitation/create',
            params: {
              message: String(args.message ?? ''),
              requestedSchema: {
                type: 'object',
                properties: {
                  username: { type: 'string', description: "User's response" },
                  email: { type: 'string', description: "User's email address" },
                },
                required: ['username', 'email'],
              },
            },
          },
          ElicitResultSchema,
        );
        return text(`User response: ${JSON.stringify(answer)}`);
      }
      case 'test_elicitation_sep1034_defaults':
      case 'test_elicitation_sep1330_enums': {
        const answer = await extra.sendRequest(
          {
            method: 'elicitation/create',
            params: {
              message: 'Please review and update the form fields',
              requestedSchema: (name === 'test_elicitation_sep1034_defaults'
                ? SEP1034_SCHEMA
                : SEP1330_SCHEMA) as never,
            },
          },
          ElicitResultSchema,
        );
        return text(
          `Elicitation completed: action=${answer.action}, content=${JSON.stringify(answer.content ?? {})}`,
        );
      }
      case 'json_schema_2020_12_tool':
        return text(JSON.stringify(args));
      default:
        return { isError: true, content: [{ type: 'text', text: `Unknown tool: ${name}` }] };
    }
  });

  server.registerResource(
    'static-text',
    'test://static-text',
    { description: 'A static text resource', mimeType: 'text/plain' },
    (uri) => ({
      contents: [
        { uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' },
      ],
    }),
  );
  server.registerResource(
    'static-binary',
    'test://static-binary',
    { description: 'A static binary resource', mimeType: 'image/png' },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG }] }),
  );
  server.registerResource(
    'watched-resource',
    'test://watched-resource',
    { description: 'A resource clients subscribe to', mimeType: 'text/plain' },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'watched' }] }),
  );
  server.registerResource(
    'template',
    new ResourceTemplate('test://template/{id}/data', { list: undefined }),
    { description: 'A resource template', mimeType: 'application/json' },
    (uri, { id }) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: 'application/json',
          text: JSON.stringify({ id: String(id), templateTest: true, data: `Data for ID: ${String(id)}` }),
        },
      ],
    }),
  );

  server.registerPrompt('test_simple_prompt', { description: 'A simple prompt' }, () => ({
    messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
  }));
  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      description: 'A prompt with arguments',
      argsSchema: {
        arg1: completable(z.string().describe('First test argument'), (v) =>
          ['paris', 'park', 'party'].filter((c) => c.startsWith(v)),
        ),
        arg2: z.string().describe('Second test argument'),
      },
    },
    ({ arg1, arg2 }) => ({
      messages: [
        {
          role: 'user',
          content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` },
        },
      ],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    { description: 'A prompt embedding a resource', argsSchema: { resourceUri: z.string() } },
    ({ resourceUri }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: {
              uri: resourceUri,
              mimeType: 'text/plain',
              text: 'Embedded resource content for testing.',
            },
          },
        },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  );
  server.registerPrompt('test_prompt_with_image', { description: 'A prompt with an image' }, () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: PNG, mimeType: 'image/png' } },
      { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
    ],
  }));
};
