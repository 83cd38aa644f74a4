/**
 * Loaded once per workflow worker thread (the SDK's `preloadModules`, workers/worker.ts), before any workflow: the
 * modules imported here are evaluated once and shared, read-only, by every run of that thread, instead of once per run.
 *
 * zod is the one shared: its module bodies (hundreds of schema classes) were the largest share of a refund's workflow
 * CPU. It keeps no per-run state. Listing `'zod'` itself as a preload module does nothing: zod declares itself free of
 * side effects, so webpack drops an unused `require('zod')` (the preload function was empty), and a `require` would
 * resolve zod's CommonJS build while the workflow code imports its ES modules. This module imports zod as the workflow
 * code does and uses it, so the bundle evaluates the same modules here, once.
 *
 * After the preload the SDK deep-freezes what it loaded; zod's one lazily cached module value (whether `new Function`
 * is allowed, read when an object schema is built) is computed here first, by building one, so that it is a plain
 * value by then. test/workers/preload.test.ts checks in the bundle that this module and the workflow code import the
 * same zod module.
 *
 * Our own schema modules cannot be shared this way: zod defines a schema's methods (`safeParse`, ...) on the instance
 * the first time they are read, which a frozen instance refuses (`Cannot define property safeParse, object is not
 * extensible`: every saved history failed to replay when the domain and the message schemas were preloaded).
 */
import { z } from 'zod';

z.object({ loaded: z.literal(true) }).parse({ loaded: true });
