/** Progress bars on a terminal (stderr): one for the whole run and one per model being worked on. */
import cliProgress from 'cli-progress';
import type { RunEvent } from './run.js';

/** Functions that use no `this`: `onEvent` is handed to the runner as it is. */
export interface Progress {
  onEvent: (event: RunEvent) => void;
  stop: () => void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const multibar = new cliProgress.MultiBar(
    {
      stream,
      format: '{name} {bar} {value}/{total} {status}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      autopadding: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  let total: cliProgress.SingleBar | undefined;
  const counts = { pass: 0, fail: 0, error: 0, cached: 0 };
  const perModel = new Map<string, cliProgress.SingleBar>();
  const totals = () => `${counts.pass} pass, ${counts.fail} fail, ${counts.error} error${counts.cached ? ` (${counts.cached} from cache)` : ''}`;
  const label = (name: string) => (name.length > 24 ? `${name.slice(0, 23)}…` : name.padEnd(24));

  return {
    onEvent(event) {
      switch (event.type) {
        case 'start':
          total = multibar.create(event.entries, 0, { name: label('all'), status: totals() });
          break;
        case 'model-start':
          perModel.set(event.model, multibar.create(event.variants, 0, { name: label(event.model), status: 'starting' }));
          break;
        case 'stage':
          perModel.get(event.model)?.update({ status: `${event.variant}: ${event.stage === 'convert' ? 'converting' : 'validating'}` });
          break;
        case 'entry':
          counts[event.outcome.status]++;
          if (event.outcome.cached) counts.cached++;
          perModel.get(event.outcome.model)?.increment(1);
          total?.increment(1, { status: totals() });
          break;
        case 'model-end': {
          const bar = perModel.get(event.model);
          if (bar) multibar.remove(bar);
          perModel.delete(event.model);
          break;
        }
      }
    },
    stop() {
      multibar.stop();
    },
  };
}
