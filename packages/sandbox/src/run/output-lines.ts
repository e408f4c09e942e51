/**
 * The install's output, split into lines for the terminal — bounded, because the install writes it:
 * one line without a newline, or hundreds of megabytes of it, must cost the host neither memory
 * nor its terminal. A line longer than `maxLine` is cut (the rest of it is counted, not kept); after
 * `maxTotal` bytes only a count is kept, reported once at the end.
 */
export interface OutputLimits {
  /** Longest line passed on, in characters; the rest of a longer one is dropped. */
  maxLine: number;
  /** Bytes of output passed on in all; after that, lines are counted only. */
  maxTotal: number;
}

export const DEFAULT_OUTPUT_LIMITS: OutputLimits = { maxLine: 16 * 1024, maxTotal: 8 * 1024 * 1024 };

export interface OutputLines {
  push(chunk: string): void;
  /** The stream ended: pass on the last line and, if anything was held back, one line saying so. */
  end(): void;
}

export function outputLines(onLine: (line: string) => void, limits: OutputLimits = DEFAULT_OUTPUT_LIMITS): OutputLines {
  let pending = '';
  /** Characters of the current line dropped past `maxLine`. */
  let cut = 0;
  let passed = 0;
  let withheldBytes = 0;
  let withheldLines = 0;
  const emit = (line: string) => {
    const text = cut > 0 ? `${line}… (${cut} more characters on this line not shown)` : line;
    cut = 0;
    if (passed + text.length > limits.maxTotal) {
      withheldBytes += text.length;
      withheldLines += 1;
      return;
    }
    passed += text.length + 1;
    onLine(text);
  };
  const take = (piece: string) => {
    const room = limits.maxLine - pending.length;
    if (piece.length <= room) pending += piece;
    else {
      pending += piece.slice(0, Math.max(0, room));
      cut += piece.length - Math.max(0, room);
    }
  };
  return {
    push(chunk) {
      let start = 0;
      for (;;) {
        const newline = chunk.indexOf('\n', start);
        if (newline < 0) {
          take(chunk.slice(start));
          return;
        }
        take(chunk.slice(start, newline));
        emit(pending);
        pending = '';
        start = newline + 1;
      }
    },
    end() {
      if (pending !== '' || cut > 0) emit(pending);
      pending = '';
      if (withheldLines > 0) onLine(`… ${withheldLines} more line(s) of output (${withheldBytes} characters) not shown: the install wrote more than ${limits.maxTotal} bytes`);
    },
  };
}
