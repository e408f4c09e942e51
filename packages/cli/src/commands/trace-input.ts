/**
 * Reading a trace file for the `trace` commands and `diff`: the file's problems become usage
 * errors (exit 2) that name the file, whichever command reads it.
 */
import { SafeInstallError, TraceFileError } from '@safe-install/schema';
import { sanitize } from '../output.js';

export async function explainTraceErrors<T>(file: string, read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof TraceFileError) {
      throw new SafeInstallError('TRACE_INVALID', 'usage', `${sanitize(file)}: ${error.message}`, { hint: 'a trace is the file `safe-install ci --trace FILE` writes' });
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SafeInstallError('TRACE_NOT_FOUND', 'usage', `trace file ${sanitize(file)} does not exist`);
    if (code === 'EISDIR') throw new SafeInstallError('TRACE_INVALID', 'usage', `${sanitize(file)} is a folder, not a trace file`);
    throw error;
  }
}

/** Where a trace command's result lines go: stdout by default (to pipe into grep or less). */
export interface LineSink {
  line(text: string): void | Promise<void>;
  /** Wait until everything written has been handed to the stream. */
  flush(): Promise<void>;
}

/**
 * Lines to a stream, buffered and with back-pressure: `trace show --flat` on a trace of millions of
 * events must neither write a line at a time nor queue them all in memory. Lines are printed as
 * given: the caller has sanitized them.
 */
export function streamSink(stream: NodeJS.WritableStream = process.stdout): LineSink {
  let buffer = '';
  const drain = () => new Promise<void>((resolve) => stream.once('drain', () => resolve()));
  const push = async () => {
    const chunk = buffer;
    buffer = '';
    if (!stream.write(chunk)) await drain();
  };
  return {
    line(text) {
      buffer += `${text}\n`;
      if (buffer.length >= 64 * 1024) return push();
      return undefined;
    },
    async flush() {
      if (buffer.length > 0) await push();
    },
  };
}
