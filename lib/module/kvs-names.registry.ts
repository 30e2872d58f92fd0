import { KvsInvalidArgumentError } from '../store/index.js';

/** Store names taken in each application, keyed by that application's module container. */
const taken = new WeakMap<object, Set<string>>();

/**
 * Records that `app` registers a store under `name`, and throws when it already does: two stores
 * behind one token would give different modules different data without any warning.
 */
export function claimKvsName(app: object, name: string | undefined): void {
  const names = taken.get(app) ?? new Set<string>();
  taken.set(app, names);
  const key = name === undefined ? '' : `:${name}`;
  if (names.has(key)) {
    const which =
      name === undefined ? 'the default store' : `the store named ${JSON.stringify(name)}`;
    throw new KvsInvalidArgumentError(
      `KvsModule registers ${which} twice in this application. Call forRoot()/forRootAsync() once per ` +
        'name (in the root module) and share it with isGlobal: true or by exporting that module; give ' +
        'every other store its own name.',
    );
  }
  names.add(key);
}
