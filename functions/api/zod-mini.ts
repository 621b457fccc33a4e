import * as z from 'zod/mini';
import { en } from 'zod/locales';

/**
 * Zod Mini for the schemas the data plane loads (`./pipeline-schemas`, the function
 * configuration): the same validation as `zod` and the same English messages, in a tenth of
 * its code. The full `zod` builds every method of every schema when it is imported; on the
 * inference function's cold start that was the largest import (about 50 ms). The admin
 * function's schemas (`./schemas`) keep the full API, and embed these as they are.
 *
 * Zod Mini loads no locale: without this, every message would be "Invalid input".
 */
z.config(en());

export { z };
