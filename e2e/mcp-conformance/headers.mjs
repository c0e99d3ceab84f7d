// Preloaded (--import) into the conformance runner, whose client cannot be given headers: adds
// Tollgate's gateway slug and consumer key (JSON in TOLLGATE_CONFORMANCE_HEADERS) to every fetch.
const extra = JSON.parse(process.env.TOLLGATE_CONFORMANCE_HEADERS ?? '{}');
const original = globalThis.fetch;
globalThis.fetch = (input, init = {}) => {
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
  for (const [name, value] of Object.entries(extra)) if (!headers.has(name)) headers.set(name, value);
  return original(input, { ...init, headers });
};
