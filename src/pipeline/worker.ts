/**
 * The worker process entry: reads one task (a model and its variants) as JSON on stdin and writes each
 * outcome as a marked JSON line on stdout. Running each model in its own process means a crash (even
 * ONNX Runtime aborting) loses only that model's unfinished variants.
 */
import { decodeTask, encodeMessage } from './task.js';
import { runTask } from './work.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(): Promise<void> {
  const task = decodeTask(await readStdin());
  await runTask(task, (message) => process.stdout.write(encodeMessage(message)));
  // Exit explicitly: a native library may keep the event loop alive after the last result is out.
  process.stdout.write('', () => process.exit(0));
}

main().catch((e: unknown) => {
  process.stderr.write(`onnxpress worker: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(3);
});
