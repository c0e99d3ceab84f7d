import { DATAPLANE_OPTIONS, parseFileFlags, RUN_OPTIONS } from './args';
import { CONTROLLER_OPTIONS } from './controller-args';
import { commandHelp, COMMANDS, HELP, usageError } from './help';

describe('help', () => {
  it.each([
    ['run', RUN_OPTIONS],
    ['dataplane', DATAPLANE_OPTIONS],
    ['controller', CONTROLLER_OPTIONS],
  ] as const)('describes every flag %s accepts, and no other', (command, options) => {
    expect(Object.keys(HELP[command].flags).sort()).toEqual(Object.keys(options).sort());
    for (const [name, option] of Object.entries(options)) {
      const help = HELP[command].flags[name];
      expect(help?.text).toMatch(/\w{3}/);
      // a value placeholder exactly for the flags that take a value
      expect(help?.arg !== undefined).toBe(option.type === 'string');
    }
  });

  it.each(['validate', 'compile'] as const)('describes flags %s accepts', (command) => {
    for (const [name, f] of Object.entries(HELP[command].flags)) {
      // a flag without a value placeholder is a switch
      const value = f.arg === undefined ? [] : [name === 'output' ? 'json' : 'x'];
      expect(() => parseFileFlags([`--${name}`, ...value, '-f', 'x'], command)).not.toThrow();
      if (f.short) expect(() => parseFileFlags([`-${f.short}`, ...value, '-f', 'x'], command)).not.toThrow();
    }
  });

  it.each(COMMANDS)('%s: one line per flag, with its environment variable and default', (command) => {
    const text = commandHelp(command);
    expect(text).toContain(`tollgate ${command} — ${HELP[command].summary}`);
    for (const [name, f] of Object.entries(HELP[command].flags)) {
      const row = new RegExp(`^  (-\\w, |    )--${name}( |$)`);
      const line = text.split('\n').findIndex((l) => row.test(l));
      expect(line).toBeGreaterThan(0);
      const described = text
        .split('\n')
        .slice(line, line + 2)
        .join('\n');
      expect(described).toContain(f.text);
      if (f.env) expect(described).toContain(`env ${f.env}`);
      if (f.default) expect(described).toContain(`default ${f.default}`);
    }
    expect(text).toContain('-h, --help');
  });

  it('a usage error is a line and a pointer to the help', () => {
    expect(usageError('run', "Unknown option '--x'")).toBe(
      "tollgate run: Unknown option '--x'\nsee 'tollgate run --help'\n",
    );
    expect(usageError(undefined, "unknown command 'x'")).toBe(
      "tollgate: unknown command 'x'\nsee 'tollgate --help'\n",
    );
  });
});
