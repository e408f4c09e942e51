/**
 * A small question-and-answer prompt on a terminal, with Node's readline: one question, a few
 * one-letter choices, the answer. Used only on a TTY (the caller checks): never a hidden prompt in
 * a pipe. An unknown answer asks again; the end of input (Ctrl-D) answers null, and so does every
 * question after it.
 */
import { createInterface, type Interface } from 'node:readline';

export interface Choice<T extends string> {
  /** What is returned, and what may be typed in full (`approve`). */
  value: T;
  /** The letter that answers it (`a`). */
  key: string;
}

export interface Prompter {
  /** Ask until one of `choices` is answered; null when input ended. */
  choose<T extends string>(question: string, choices: readonly Choice<T>[]): Promise<T | null>;
  close(): void;
}

/** The answer `text` gives among `choices`: its letter or its whole word, any case; null otherwise. */
export function parseChoice<T extends string>(text: string, choices: readonly Choice<T>[]): T | null {
  const answer = text.trim().toLowerCase();
  if (answer === '') return null;
  return choices.find((c) => c.key === answer || c.value === answer)?.value ?? null;
}

/** Most times a question is asked again after an answer it does not understand. */
const MAX_ATTEMPTS = 20;

export function readlinePrompter(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Prompter {
  let ended = false;
  let rl: Interface | null = createInterface({ input, output, terminal: (input as { isTTY?: boolean }).isTTY === true });
  let pending: ((line: string | null) => void) | null = null;
  const lines: string[] = [];
  rl.on('line', (line) => {
    if (pending) {
      const settle = pending;
      pending = null;
      settle(line);
    } else lines.push(line);
  });
  rl.on('close', () => {
    ended = true;
    rl = null;
    pending?.(null);
    pending = null;
  });
  const next = (): Promise<string | null> => {
    const queued = lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (ended) return Promise.resolve(null);
    return new Promise((resolve) => (pending = resolve));
  };
  return {
    async choose(question, choices) {
      const menu = choices.map((c) => `[${c.key}]${c.value.startsWith(c.key) ? c.value.slice(c.key.length) : ` ${c.value}`}`).join(' / ');
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        if (ended && lines.length === 0) return null;
        output.write(`${question} ${menu}? `);
        const line = await next();
        if (line === null) {
          output.write('\n');
          return null;
        }
        const value = parseChoice(line, choices);
        if (value !== null) return value;
        output.write(`please answer ${choices.map((c) => c.key).join(', ')}\n`);
      }
      return null;
    },
    close() {
      rl?.close();
    },
  };
}
