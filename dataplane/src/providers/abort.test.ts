import { CallAbort } from './abort';

describe('CallAbort', () => {
  it('calls each listener once, in order, with the reason set; a second abort changes nothing', () => {
    const a = new CallAbort();
    const seen: string[] = [];
    a.once('abort', () => seen.push(`first:${String(a.reason)}`));
    a.once('abort', () => seen.push('second'));
    a.abort('why');
    a.abort('again');
    expect(seen).toEqual(['first:why', 'second']);
    expect(a.aborted).toBe(true);
    expect(a.reason).toBe('why');
  });

  it('off() removes one registration of that listener; listeners added after the abort are not called', () => {
    const a = new CallAbort();
    let calls = 0;
    const f = () => calls++;
    a.once('abort', f);
    a.once('abort', f);
    a.off('abort', f);
    a.off('abort', () => undefined); // not registered: nothing happens
    a.abort();
    a.once('abort', f);
    expect(calls).toBe(1);
  });

  it('a listener removing another during the abort does not stop it being called', () => {
    const a = new CallAbort();
    const seen: string[] = [];
    const second = () => seen.push('second');
    a.once('abort', () => {
      seen.push('first');
      a.off('abort', second);
    });
    a.once('abort', second);
    a.abort();
    expect(seen).toEqual(['first', 'second']);
  });

  it('toSignal() follows it, before or after the abort', () => {
    const before = new CallAbort();
    const signal = before.toSignal();
    expect(signal.aborted).toBe(false);
    before.abort('r');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('r');
    const after = new CallAbort();
    after.abort('s');
    expect(after.toSignal().reason).toBe('s');
  });
});
