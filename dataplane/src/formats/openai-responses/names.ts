/** The name used in this codec's TranslationError messages ("… cannot be translated to OpenAI Responses"). */
export const FORMAT = 'OpenAI Responses';
