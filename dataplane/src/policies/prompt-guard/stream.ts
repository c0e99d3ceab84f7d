import type { StreamEvent } from '../../formats/ir';
import type { StreamFilter } from '../types';
import { inspectSlots, type Finding } from './decide';
import { responseBlocked } from './errors';
import { maskText, type Scanner } from './scanner';

/**
 * How much streamed text is held back: a match can only be judged once what follows it is known
 * (a card number's next digit, the rest of an address). Text further back than this is final.
 */
export const STREAM_HOLDBACK = 128;

const TEXT_PLACE = 'the streamed text';

/**
 * The built-in detectors and patterns over one streamed answer, as it streams.
 *
 * - Text goes on as it comes, less the last STREAM_HOLDBACK characters, or from the start of a
 *   match that reaches into them; the rest follows with the next event that is not text, or at the end.
 *   Mask replaces matches in what it lets go; Reject throws at the first finding, ending the
 *   stream with an error event (what was sent before stays sent).
 * - Tool calls are held until the answer finishes: their arguments are JSON, scanned in their
 *   string values once complete (as for whole responses), then sent as one delta per call.
 * - No `x-tollgate-guard` header: a stream's headers are sent before its first event.
 */
export function guardStream(scanner: Scanner, action: 'Mask' | 'Reject'): StreamFilter {
  let text = '';
  const calls: { start: Extract<StreamEvent, { type: 'tool_call_start' }>; args: string }[] = [];

  const refuse = (findings: Finding[]) => {
    throw responseBlocked(findings);
  };
  /** Releases the text that is final (all of it when `final`), masked, or refuses it. */
  const release = (final: boolean): StreamEvent[] => {
    if (text.length === 0) return [];
    const spans = scanner.scan(text);
    let cut = final ? text.length : Math.max(0, text.length - STREAM_HOLDBACK);
    if (!final) for (const s of spans) if (s.start < cut && s.end > cut) cut = Math.min(cut, s.start);
    const settled = spans.filter((s) => s.end <= cut);
    if (settled.length > 0 && action === 'Reject') {
      refuse([{ name: settled[0]?.name ?? '', places: [TEXT_PLACE] }]);
    }
    if (cut === 0) return [];
    const head = text.slice(0, cut);
    text = text.slice(cut);
    return [{ type: 'text', text: settled.length === 0 ? head : maskText(head, settled) }];
  };
  const releaseCalls = (): StreamEvent[] => {
    const out: StreamEvent[] = [];
    for (const { start, args } of calls.splice(0)) {
      let sent = args;
      if (args.length > 0) {
        const where = `the arguments of a call to '${start.name}'`;
        const verdict = inspectSlots(scanner, action, [{ path: where, text: args, json: true }]);
        if (verdict.kind === 'reject') refuse(verdict.findings);
        if (verdict.kind === 'masked') sent = verdict.texts[0] ?? args;
      }
      out.push(start);
      if (sent.length > 0) out.push({ type: 'tool_call_delta', index: start.index, arguments: sent });
    }
    return out;
  };

  return {
    push(event) {
      switch (event.type) {
        case 'text':
          text += event.text;
          return release(false);
        case 'tool_call_start':
          calls.push({ start: event, args: '' });
          return release(true);
        case 'tool_call_delta': {
          const call = calls.find((c) => c.start.index === event.index);
          if (call) call.args += event.arguments;
          else
            calls.push({
              start: { type: 'tool_call_start', index: event.index, id: '', name: '' },
              args: event.arguments,
            });
          return [];
        }
        case 'finish':
          return [...release(true), ...releaseCalls(), event];
        default:
          return [event];
      }
    },
    end: () => [...release(true), ...releaseCalls()],
  };
}
