// Moved to errors/errors.ts (below its users). Kept for branches written against the old path
// until they are merged; new code imports '../errors/errors'.
export { GatewayError, errors } from '../errors/errors';
