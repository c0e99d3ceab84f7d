import { isObject, type Json } from '../wire';

/**
 * Gemini's `parameters` / `responseSchema` use an OpenAPI 3.0 subset whose `type` is an upper-case
 * enum (`OBJECT`, `STRING`, …) and whose nullability is `nullable: true`. The neutral model holds
 * JSON Schema, so decode rewrites those two things (recursively) and keeps every other keyword.
 * Encode never needs the reverse: it sends `parametersJsonSchema` / `responseJsonSchema`.
 */
export function openApiToJsonSchema(schema: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable') continue;
    if (key === 'type' && typeof value === 'string') out.type = value.toLowerCase();
    else if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, isObject(v) ? openApiToJsonSchema(v) : v]),
      );
    } else if (key === 'items' && isObject(value)) out.items = openApiToJsonSchema(value);
    else if ((key === 'anyOf' || key === 'oneOf' || key === 'allOf') && Array.isArray(value))
      out[key] = value.map((v) => (isObject(v) ? openApiToJsonSchema(v) : v));
    else out[key] = value;
  }
  if (schema.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}
