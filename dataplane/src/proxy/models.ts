import type { RuntimeConsumer } from '../config/snapshot';
import { modelList, modelObject } from '../formats/openai-wire';
import { GatewayError } from '../errors/errors';

/**
 * `GET /v1/models` and `GET /v1/models/{id}`: the consumer's model names, in OpenAI's shapes, or
 * Anthropic's when the caller sends `anthropic-version` (Anthropic's SDK always does).
 */
export function modelsAnswer(consumer: RuntimeConsumer, id: string | undefined, anthropic: boolean): object {
  if (id === undefined)
    return anthropic ? anthropicModelList(consumer.modelIds) : modelList(consumer.modelIds);
  if (!consumer.modelIds.includes(id)) {
    throw new GatewayError(
      404,
      'model_not_found',
      `The model '${id}' does not exist or you do not have access to it (GET /v1/models lists the models you can use).`,
      {},
      'model',
    );
  }
  return anthropic ? anthropicModel(id) : modelObject(id);
}

/** Anthropic's model object (`models.retrieve`, and each entry of the list). */
function anthropicModel(id: string) {
  return { type: 'model', id, display_name: id, created_at: '1970-01-01T00:00:00Z' };
}

/** Anthropic's model list shape (GET /v1/models with anthropic-version). */
function anthropicModelList(ids: readonly string[]) {
  return {
    data: ids.map(anthropicModel),
    has_more: false,
    first_id: ids[0] ?? null,
    last_id: ids[ids.length - 1] ?? null,
  };
}
