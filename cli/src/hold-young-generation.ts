/*
 * Imported first by the CLI's entry (tollgate.ts), so that it runs before any other module of the
 * CLI loads: from here on V8's young generation stays at its initial size until a serving command
 * has started (young-generation.ts: withYoungGenerationHeld), or until main() sees a command that
 * does not serve and lets it grow again. Loading the proxy's modules is what grew it before (to
 * 2 × 8 MB while the CLI's own imports loaded, before the command ran).
 */
import { holdYoungGeneration } from './young-generation';

holdYoungGeneration();
