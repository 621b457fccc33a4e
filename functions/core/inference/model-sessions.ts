import type { ArtifactStore } from '../artifacts';
import { InfergateError, NotFoundError } from '../errors';
import type { SessionCache } from '../runtime/session-cache';
import type { ModelSessions } from './inference-service';

/**
 * Models by artifact, loaded from the artifact store through the session cache. A
 * registered artifact that is missing from the store is the platform's fault, not the
 * caller's: it answers 502 `artifact_missing`, not 404.
 */
export function modelSessions(cache: SessionCache, artifacts: Pick<ArtifactStore, 'get'>): ModelSessions {
  return {
    withModel: (artifact, fn) =>
      cache.use(
        artifact.sha256,
        async () => {
          try {
            return await artifacts.get(artifact.key);
          } catch (error) {
            if (error instanceof NotFoundError) {
              throw new InfergateError(
                502,
                'artifact_missing',
                `The model's artifact sha256:${artifact.sha256} is missing from the store`,
                { cause: error },
              );
            }
            throw error;
          }
        },
        fn,
      ),
  };
}
