import type { BackendRun, InferenceBackend } from './backend';
import type { ModelSessions } from './inference-service';

/**
 * The Lambda tier: models run in this process (onnxruntime-web in Lambda), loaded through
 * the session cache. Compute is the time of the runtime's `run`.
 */
export function lambdaBackend(
  sessions: ModelSessions,
  clock: () => number = () => performance.now(),
): InferenceBackend {
  return {
    prepare: async (version) => {
      await sessions.withModel(version.artifact, async () => undefined);
    },
    run: (version, request) =>
      sessions.withModel(version.artifact, async (model): Promise<BackendRun> => {
        const started = clock();
        const outputs = await model.run(request.inputs, request.outputNames);
        return { outputs, computeMs: clock() - started };
      }),
  };
}
