import { config } from 'zod/mini';
import { en } from 'zod/locales';

/**
 * Zod Mini for the schemas the data plane loads (`./pipeline-schemas`, the function
 * configuration, the usage spill): the same validation as `zod` and the same English
 * messages, in a fraction of its code. The full `zod` builds every method of every schema
 * when it is imported; on the inference function's cold start that was the largest import
 * (about 50 ms). The admin function's schemas (`./schemas`) keep the full API, and embed
 * these as they are.
 *
 * Import it as a namespace (`import * as z from './zod-mini'`): the bundler then keeps only
 * what the schemas use. Zod Mini loads no locale: without `config(en())` every message would
 * be "Invalid input".
 */
config(en());

export * from 'zod/mini';
