import { anthropicMessagesFormat } from './anthropic-messages';
import { bedrockConverseFormat } from './bedrock-converse';
import { geminiFormat } from './gemini';
import type { FormatName, WireFormat } from './ir';
import { openAIChatFormat } from './openai-chat';
import { openAIResponsesFormat } from './openai-responses';

/** Every wire format the gateway speaks, by name. */
export const FORMATS: Record<FormatName, WireFormat> = {
  'openai-chat': openAIChatFormat,
  'anthropic-messages': anthropicMessagesFormat,
  'openai-responses': openAIResponsesFormat,
  'bedrock-converse': bedrockConverseFormat,
  gemini: geminiFormat,
};

export type { FormatName, WireFormat } from './ir';
