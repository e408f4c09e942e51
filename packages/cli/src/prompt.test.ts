import { PassThrough } from 'node:stream';
import { parseChoice, readlinePrompter } from './prompt.js';

const CHOICES = [
  { value: 'approve', key: 'a' },
  { value: 'deny', key: 'd' },
  { value: 'skip', key: 's' },
] as const;

function streams() {
  const input = new PassThrough();
  const output = new PassThrough();
  let written = '';
  output.on('data', (chunk: Buffer) => (written += chunk.toString('utf8')));
  return { input, output, written: () => written };
}

describe('parseChoice', () => {
  it('takes the letter or the word, any case; nothing else', () => {
    expect(parseChoice(' A ', CHOICES)).toBe('approve');
    expect(parseChoice('Deny', CHOICES)).toBe('deny');
    expect(parseChoice('s', CHOICES)).toBe('skip');
    expect(parseChoice('', CHOICES)).toBeNull();
    expect(parseChoice('yes', CHOICES)).toBeNull();
    expect(parseChoice('ad', CHOICES)).toBeNull();
  });
});

describe('readlinePrompter', () => {
  it('asks, asks again after an answer it does not know, and returns the answer', async () => {
    const io = streams();
    const prompter = readlinePrompter(io.input, io.output);
    const answer = prompter.choose('foo@1.0.0: approve its install scripts', CHOICES);
    io.input.write('maybe\n');
    io.input.write('d\n');
    expect(await answer).toBe('deny');
    expect(io.written()).toBe('foo@1.0.0: approve its install scripts [a]pprove / [d]eny / [s]kip? please answer a, d, s\nfoo@1.0.0: approve its install scripts [a]pprove / [d]eny / [s]kip? ');
    prompter.close();
  });

  it('answers in order when lines come before the questions', async () => {
    const io = streams();
    const prompter = readlinePrompter(io.input, io.output);
    io.input.write('a\ns\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(await prompter.choose('one', CHOICES)).toBe('approve');
    expect(await prompter.choose('two', CHOICES)).toBe('skip');
    prompter.close();
  });

  it('the end of input answers null, now and for every later question', async () => {
    const io = streams();
    const prompter = readlinePrompter(io.input, io.output);
    const answer = prompter.choose('one', CHOICES);
    io.input.end();
    expect(await answer).toBeNull();
    expect(await prompter.choose('two', CHOICES)).toBeNull();
  });
});
