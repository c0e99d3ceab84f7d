import { userSetV8Flag } from './v8-flags';

describe('userSetV8Flag', () => {
  it.each([
    [['--max-semi-space-size=16'], undefined, true],
    [['--max_semi_space_size=16'], undefined, true],
    [[], '--max-semi-space-size=8', true],
    [[], '--inspect  --max-semi-space-size=8 ', true],
    [['--no-max-semi-space-size'], undefined, true],
    [[], undefined, false],
    [['--max-old-space-size=512'], '--max-semi-space-size-x=1', false],
    [['max-semi-space-size=16'], '', false],
  ])('execArgv %j, NODE_OPTIONS %j: %s', (execArgv, nodeOptions, given) => {
    expect(userSetV8Flag('max-semi-space-size', execArgv, nodeOptions)).toBe(given);
  });

  it('takes the name with underscores as well', () => {
    expect(userSetV8Flag('liftoff_only', ['--liftoff-only'], undefined)).toBe(true);
    expect(userSetV8Flag('liftoff-only', [], '--no-liftoff_only')).toBe(true);
  });
});
