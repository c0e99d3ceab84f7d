/*
 * Imported first by the CLI's entry (tollgate.ts), so that it runs before any other module of the
 * CLI loads (the CLI's own imports already load ~190 modules: the HTTP server's limits pull in the
 * formats and undici).
 *
 * - V8's young generation is held at its initial size until a serving command has started
 *   (young-generation.ts: withYoungGenerationHeld), or until main() sees a command that does not
 *   serve and lets it grow again. Unheld, loading the CLI's modules grew it to 2 × 8 MB before the
 *   command even ran, and V8 kept it committed while idle.
 * - WebAssembly is compiled by Liftoff, V8's baseline compiler, only: undici's HTTP parser (llhttp)
 *   is the one WebAssembly module, and optimising it with TurboFan once it is hot (during the
 *   warm-up) took about 20 MB of RSS for a moment, the process's peak (measured: VmHWM 128 MB with,
 *   105 MB without), for about 1 % more CPU per request. The user's own --liftoff-only or
 *   --no-liftoff-only (node's command line or NODE_OPTIONS) is left alone.
 */
import { setFlagsFromString } from 'node:v8';
import { userSetV8Flag } from './v8-flags';
import { holdYoungGeneration } from './young-generation';

holdYoungGeneration();
if (!userSetV8Flag('liftoff-only')) setFlagsFromString('--liftoff-only');
